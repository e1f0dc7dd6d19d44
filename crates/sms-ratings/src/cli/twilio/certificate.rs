//! What `twilio check` says about the certificate at `PUBLIC_URL`: connect with rustls, read
//! the leaf the server sends, and tell whether it covers the host, whether this machine
//! trusts it, and how many days it has left.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// How long the check waits for the TLS handshake.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The certificate the server sent.
#[derive(Debug)]
pub(super) struct Report {
    /// The leaf names the host.
    pub(super) covers_host: bool,
    /// Verified against this machine's roots, or why not.
    pub(super) trusted: Result<(), String>,
    /// Whole days until `notAfter` (negative: expired).
    pub(super) days_left: i64,
}

/// Connects to `host:port` and reads its certificate.
pub(super) async fn inspect(host: &str, port: u16) -> Result<Report, String> {
    let name = ServerName::try_from(host.to_owned()).map_err(|e| format!("{host}: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
        .build()
        .map_err(|e| format!("no trusted roots on this machine: {e}"))?;
    let recorder = Arc::new(Recorder {
        inner,
        seen: Mutex::new(None),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::clone(&recorder) as Arc<dyn ServerCertVerifier>)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let handshake = async {
        let tcp = tokio::net::TcpStream::connect((host, port)).await?;
        connector.connect(name.clone(), tcp).await
    };
    tokio::time::timeout(TIMEOUT, handshake)
        .await
        .map_err(|_| format!("no TLS handshake with {host}:{port} within {TIMEOUT:?}"))?
        .map_err(|e| format!("TLS handshake with {host}:{port} failed: {e}"))?;
    let seen = recorder
        .seen
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    let (leaf, trusted) = seen.ok_or("the server sent no certificate")?;
    let covers_host = webpki::EndEntityCert::try_from(&CertificateDer::from(leaf.as_slice()))
        .is_ok_and(|cert| cert.verify_is_valid_for_subject_name(&name).is_ok());
    let (_, parsed) = x509_parser::parse_x509_certificate(&leaf)
        .map_err(|e| format!("the certificate does not parse: {e}"))?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let days_left = (parsed.validity().not_after.timestamp() - now).div_euclid(86_400);
    Ok(Report {
        covers_host,
        trusted,
        days_left,
    })
}

/// Lets every handshake finish, keeping the leaf and what the real verifier said of it:
/// the check reports on a bad certificate instead of stopping at it. Nothing is sent over
/// the connection.
#[derive(Debug)]
struct Recorder {
    inner: Arc<WebPkiServerVerifier>,
    seen: Mutex<Option<Seen>>,
}

/// The leaf (DER) and the verifier's verdict on the chain.
type Seen = (Vec<u8>, Result<(), String>);

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map(|_| ())
            .map_err(|e| e.to_string());
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((end_entity.to_vec(), verdict));
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
