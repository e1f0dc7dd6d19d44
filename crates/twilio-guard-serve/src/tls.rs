//! The one TLS server configuration: rustls 0.23 with the `ring` provider chosen here (not
//! whatever a dependency installed process-wide), certificate chain and key from PEM files.

use std::path::Path;

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Why the TLS configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The certificate file is missing, unreadable or holds no certificate.
    #[error("certificate {path}: {reason}")]
    Certificate {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The key file is missing, unreadable or holds no private key.
    #[error("private key {path}: {reason}")]
    Key {
        /// The file.
        path: String,
        /// Why (never the key itself).
        reason: String,
    },
    /// rustls refused the pair (the key does not match, an unsupported algorithm).
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

/// A server configuration for the PEM certificate chain at `cert` and the key at `key`,
/// offering HTTP/2 and HTTP/1.1 by ALPN ([`crate::serve`] speaks whichever was agreed).
/// Set `alpn_protocols` to `[b"http/1.1"]` on the result to keep HTTP/2 off.
pub fn load(cert: &Path, key: &Path) -> Result<ServerConfig, TlsError> {
    let certificate_error = |reason: String| TlsError::Certificate {
        path: cert.display().to_string(),
        reason,
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| certificate_error(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| certificate_error(e.to_string()))?;
    if chain.is_empty() {
        return Err(certificate_error("no certificate in the file".into()));
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Key {
        path: key.display().to_string(),
        reason: e.to_string(),
    })?;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, private)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}
