//! One issued certificate: its chain and key as rustls serves them, its validity, the names
//! it covers, and its ARI identifier (RFC 9773).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use instant_acme::CertificateIdentifier;
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use x509_parser::extensions::GeneralName;

use super::AcmeError;

/// A certificate ready to serve.
#[derive(Debug, Clone)]
pub(crate) struct Issued {
    /// What rustls hands to clients.
    pub(crate) key: Arc<CertifiedKey>,
    /// Start of validity.
    pub(crate) not_before: SystemTime,
    /// End of validity.
    pub(crate) not_after: SystemTime,
    /// The DNS names it covers.
    pub(crate) names: Vec<String>,
    /// Its ARI identifier, when it has an Authority Key Identifier.
    pub(crate) id: Option<CertificateIdentifier<'static>>,
    /// The key and chain as stored in the cache (PEM).
    pub(crate) pem: String,
}

impl Issued {
    /// Reads `pem`: the private key and the chain, leaf first (as the cache stores them).
    pub(crate) fn from_pem(pem: String) -> Result<Issued, AcmeError> {
        let bad = |why: String| AcmeError::Certificate(why);
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|e| bad(format!("certificate chain: {e}")))?;
        let leaf = chain
            .first()
            .ok_or_else(|| bad("no certificate in the chain".into()))?;
        let private = PrivateKeyDer::from_pem_slice(pem.as_bytes())
            .map_err(|e| bad(format!("private key: {e}")))?;
        let (not_before, not_after, names) = facts(leaf)?;
        let id = CertificateIdentifier::try_from(leaf)
            .ok()
            .map(CertificateIdentifier::into_owned);
        let provider = rustls::crypto::ring::default_provider();
        let key = CertifiedKey::from_der(chain, private, &provider)?;
        Ok(Issued {
            key: Arc::new(key),
            not_before,
            not_after,
            names,
            id,
            pem,
        })
    }

    /// Whether it names every one of `domains`.
    pub(crate) fn covers(&self, domains: &[String]) -> bool {
        domains.iter().all(|d| self.names.iter().any(|n| n == d))
    }

    /// Two thirds into its lifetime: when to renew without an ARI window (as certbot and
    /// Caddy do; Let's Encrypt's 90 days leave 30 for retries).
    pub(crate) fn two_thirds(&self) -> SystemTime {
        let life = self
            .not_after
            .duration_since(self.not_before)
            .unwrap_or_default();
        self.not_before + life * 2 / 3
    }

    /// Days until it expires, negative once expired.
    pub(crate) fn days_left(&self, now: SystemTime) -> f64 {
        match self.not_after.duration_since(now) {
            Ok(left) => left.as_secs_f64() / 86_400.0,
            Err(past) => -past.duration().as_secs_f64() / 86_400.0,
        }
    }
}

/// Validity and DNS names of the leaf.
fn facts(leaf: &CertificateDer<'_>) -> Result<(SystemTime, SystemTime, Vec<String>), AcmeError> {
    let (_, parsed) = x509_parser::parse_x509_certificate(leaf.as_ref())
        .map_err(|e| AcmeError::Certificate(format!("leaf certificate: {e}")))?;
    let at = |seconds: i64| UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).unwrap_or(0));
    let validity = parsed.validity();
    let names = parsed
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::DNSName(dns) => Some(dns.to_ascii_lowercase()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    Ok((
        at(validity.not_before.timestamp()),
        at(validity.not_after.timestamp()),
        names,
    ))
}
