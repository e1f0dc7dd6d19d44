//! The ACME flags both binaries flatten into their own: one definition, one set of names.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::AcmeError;

/// Let's Encrypt's production directory, the default.
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";
/// Let's Encrypt's staging directory (`--acme-staging`): untrusted certificates, high limits.
pub const LETS_ENCRYPT_STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/directory";

/// Automatic HTTPS: obtain and renew the certificate from an ACME server (Let's Encrypt).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AcmeArgs {
    /// Domain to obtain a certificate for (repeat, or comma-separate in the environment):
    /// serves HTTPS without --tls-cert/--tls-key, and PUBLIC_URL defaults to
    /// `https://<first domain>`. Its DNS must point at this server, port 443 (TLS-ALPN-01)
    /// or --http-listen on port 80 (HTTP-01).
    #[arg(
        long = "acme-domain",
        env = "ACME_DOMAINS",
        hide_env_values = true,
        value_delimiter = ','
    )]
    pub acme_domains: Vec<String>,
    /// Contact for the ACME account, e.g. mailto:ops@example.com (expiry warnings).
    #[arg(long, env = "ACME_CONTACT", hide_env_values = true)]
    pub acme_contact: Option<String>,
    /// ACME directory URL [default: Let's Encrypt production].
    #[arg(
        long,
        env = "ACME_DIRECTORY",
        hide_env_values = true,
        conflicts_with = "acme_staging"
    )]
    pub acme_directory: Option<String>,
    /// Use Let's Encrypt's staging directory (untrusted certificates; for trying it out).
    #[arg(long)]
    pub acme_staging: bool,
    /// Directory for the ACME account key and certificates (created 0700, files 0600)
    /// [default: `acme` beside the database, or in $STATE_DIRECTORY].
    #[arg(long, env = "ACME_CACHE", hide_env_values = true)]
    pub acme_cache: Option<PathBuf>,
    /// PEM file of a root certificate the ACME server's own HTTPS is trusted by (a private
    /// ACME server such as Pebble); default: the system's roots.
    #[arg(long, env = "ACME_ROOT_CA", hide_env_values = true)]
    pub acme_root_ca: Option<PathBuf>,
    /// Also listen for plain HTTP here (e.g. 0.0.0.0:80): it answers ACME HTTP-01
    /// challenges, redirects browsers to https and refuses webhooks (403). With it the
    /// certificate is validated by HTTP-01; without it by TLS-ALPN-01 on the TLS port.
    #[arg(
        long,
        env = "HTTP_LISTEN",
        hide_env_values = true,
        requires = "acme_domains"
    )]
    pub http_listen: Option<SocketAddr>,
}

impl AcmeArgs {
    /// Whether a domain was given: then the certificate comes from the ACME server.
    pub fn enabled(&self) -> bool {
        !self.acme_domains.is_empty()
    }

    /// `https://<first domain>`, the public URL when none is configured.
    pub fn public_url(&self) -> Option<String> {
        public_url(&self.acme_domains)
    }

    /// The directory URL: `--acme-directory`, else staging or production Let's Encrypt.
    pub fn directory(&self) -> &str {
        match (&self.acme_directory, self.acme_staging) {
            (Some(url), _) => url,
            (None, true) => LETS_ENCRYPT_STAGING,
            (None, false) => LETS_ENCRYPT,
        }
    }

    /// The cache directory: `--acme-cache`, else `acme` in the directory of `beside` (the
    /// database file), else in `$STATE_DIRECTORY` (systemd's), else `./acme`.
    pub fn cache_dir(&self, beside: Option<&Path>) -> PathBuf {
        if let Some(dir) = &self.acme_cache {
            return dir.clone();
        }
        let state = std::env::var_os("STATE_DIRECTORY")
            // systemd may list several, colon-separated: the first is this service's.
            .and_then(|s| {
                s.to_str()
                    .and_then(|s| s.split(':').next())
                    .map(PathBuf::from)
            });
        let base = beside
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .or(state)
            .unwrap_or_default();
        base.join("acme")
    }

    /// Domains lower-cased and checked: plain DNS names, no wildcard, no duplicates.
    pub(crate) fn domains(&self) -> Result<Vec<String>, AcmeError> {
        let mut domains: Vec<String> = Vec::with_capacity(self.acme_domains.len());
        for raw in &self.acme_domains {
            let domain = raw.trim().trim_end_matches('.').to_ascii_lowercase();
            let fits = !domain.is_empty()
                && domain.len() <= 253
                && domain.contains('.')
                && domain.parse::<std::net::Ipv4Addr>().is_err()
                && domain.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && !label.starts_with('-')
                        && !label.ends_with('-')
                        && label
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                });
            if !fits {
                return Err(AcmeError::Config(format!(
                    "--acme-domain {raw:?} is not a DNS name (no wildcard, no IP address, no port)"
                )));
            }
            if !domains.contains(&domain) {
                domains.push(domain);
            }
        }
        Ok(domains)
    }
}

/// The public URL automatic HTTPS implies: `https://` and the first domain (the rule every
/// command that derives `PUBLIC_URL` from `--acme-domain` shares).
#[must_use]
pub fn public_url(domains: &[String]) -> Option<String> {
    domains.first().map(|d| format!("https://{d}"))
}
