//! The ACME cache directory: the account's credentials and the certificates with their keys,
//! readable by this user alone (directory 0700, files 0600), written atomically.

use std::path::{Path, PathBuf};

use super::AcmeError;

/// The cache directory for one ACME directory URL and one set of domains.
#[derive(Debug, Clone)]
pub(crate) struct Cache {
    dir: PathBuf,
    /// Names the files of this directory URL (an account belongs to one server).
    server: String,
    /// Names the certificate file of this server and these domains.
    certificate: String,
}

impl Cache {
    /// Creates `dir` (0700) if needed.
    pub(crate) fn open(
        dir: &Path,
        directory_url: &str,
        domains: &[String],
    ) -> Result<Cache, AcmeError> {
        let io = |e: std::io::Error| AcmeError::Cache(format!("{}: {e}", dir.display()));
        std::fs::create_dir_all(dir).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
        }
        let server = short_hash(directory_url);
        let certificate = short_hash(&format!("{directory_url} {}", domains.join(",")));
        Ok(Cache {
            dir: dir.to_path_buf(),
            server,
            certificate,
        })
    }

    fn account_path(&self) -> PathBuf {
        self.dir.join(format!("account-{}.json", self.server))
    }

    fn certificate_path(&self) -> PathBuf {
        self.dir
            .join(format!("certificate-{}.pem", self.certificate))
    }

    /// The stored account credentials (JSON), if any.
    pub(crate) fn account(&self) -> Result<Option<String>, AcmeError> {
        read(&self.account_path())
    }

    pub(crate) fn store_account(&self, json: &str) -> Result<(), AcmeError> {
        write(&self.account_path(), json)
    }

    /// The stored key and chain (PEM), if any.
    pub(crate) fn certificate(&self) -> Result<Option<String>, AcmeError> {
        read(&self.certificate_path())
    }

    pub(crate) fn store_certificate(&self, pem: &str) -> Result<(), AcmeError> {
        write(&self.certificate_path(), pem)
    }
}

/// 16 hex digits of SHA-256: stable file names that hold no URL characters.
fn short_hash(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    digest.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn read(path: &Path) -> Result<Option<String>, AcmeError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(AcmeError::Cache(format!("{}: {e}", path.display()))),
    }
}

/// Writes a temporary file created 0600, then renames it over `path`: a crash leaves the
/// old file or the new one, never half of either.
fn write(path: &Path, text: &str) -> Result<(), AcmeError> {
    use std::io::Write as _;
    let io = |e: std::io::Error| AcmeError::Cache(format!("{}: {e}", path.display()));
    let partial = path.with_extension("partial");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&partial).map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    drop(file);
    std::fs::rename(&partial, path).map_err(io)
}
