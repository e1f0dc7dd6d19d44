//! TLS to PostgreSQL with rustls (`sslmode=prefer`, the default, and `sslmode=require`).
//!
//! As with libpq, `require` (and `prefer` when the server offers TLS) encrypts the
//! connection without checking whose certificate the server shows: PostgreSQL servers
//! commonly run on self-signed certificates. To also verify the server's identity, point
//! `PGSSLROOTCERT` (libpq's variable) at the PEM file of the CA that signed its certificate:
//! then every connection behaves as libpq's `sslmode=verify-full` — TLS is required (a server
//! or a man in the middle declining TLS is refused, never answered in plaintext as `prefer`
//! would), the certificate must chain to that CA and name the host of the URL.
//! `PGSSLROOTCERT` with `sslmode=disable` contradicts itself and refuses to start.
//! `sslmode=disable` alone never uses TLS.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_postgres::config::SslMode;

use crate::store::StoreError;

/// The connector every PostgreSQL connection of the store uses.
pub(crate) type Connector = tokio_postgres_rustls::MakeRustlsConnect;

/// The connector: verifying against `PGSSLROOTCERT` when set (and then requiring TLS in
/// `config`), else encrypting only.
pub(crate) fn connector(config: &mut tokio_postgres::Config) -> Result<Connector, StoreError> {
    if std::env::var_os("PGSSLROOTCERT").is_some() {
        match config.get_ssl_mode() {
            SslMode::Disable => {
                return Err(StoreError::Config(
                    "PGSSLROOTCERT asks to verify the server's certificate but the URL says \
                     sslmode=disable: remove one of them"
                        .to_owned(),
                ));
            }
            // `prefer` would answer a server (or anyone in between) declining TLS in
            // plaintext: with a CA to verify against, TLS is the point.
            _ => {
                config.ssl_mode(SslMode::Require);
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Config(format!("TLS: {e}")))?;
    let config = match std::env::var_os("PGSSLROOTCERT") {
        Some(path) => builder
            .with_root_certificates(roots(std::path::Path::new(&path))?)
            .with_no_client_auth(),
        None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(
                provider.signature_verification_algorithms,
            )))
            .with_no_client_auth(),
    };
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

fn roots(path: &std::path::Path) -> Result<rustls::RootCertStore, StoreError> {
    use rustls_pki_types::pem::PemObject as _;
    let bad = |e: &dyn std::fmt::Display| {
        StoreError::Config(format!("PGSSLROOTCERT {}: {e}", path.display()))
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| bad(&e))? {
        roots.add(cert.map_err(|e| bad(&e))?).map_err(|e| bad(&e))?;
    }
    if roots.is_empty() {
        return Err(bad(&"no certificate in the file"));
    }
    Ok(roots)
}

/// libpq's `sslmode=require`: the handshake's signatures are checked (the session key is
/// really the server's), the certificate's issuer and name are not.
#[derive(Debug)]
struct EncryptOnly(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}
