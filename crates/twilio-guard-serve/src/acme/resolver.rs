//! The certificate rustls hands out: the current one behind an atomic swap (renewal replaces
//! it while handshakes go on; open connections keep the one they began with), and the
//! answers to pending challenges (TLS-ALPN-01 certificates by name, HTTP-01 tokens).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwapOption;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// The ALPN protocol of TLS-ALPN-01 (RFC 8737): a validator, never a browser, offers it.
pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";

/// The pending challenges' answers, while an order is open.
#[derive(Debug, Default)]
pub(crate) struct Challenges {
    /// TLS-ALPN-01: the self-signed certificate for each name being validated.
    alpn: Mutex<HashMap<String, Arc<CertifiedKey>>>,
    /// HTTP-01: token → key authorization.
    http: Mutex<HashMap<String, String>>,
}

impl Challenges {
    pub(crate) fn put_alpn(&self, name: &str, key: Arc<CertifiedKey>) {
        lock(&self.alpn).insert(name.to_owned(), key);
    }

    pub(crate) fn put_http(&self, token: &str, key_authorization: &str) {
        lock(&self.http).insert(token.to_owned(), key_authorization.to_owned());
    }

    /// The key authorization for an HTTP-01 `token`, if one is pending.
    pub(crate) fn http(&self, token: &str) -> Option<String> {
        lock(&self.http).get(token).cloned()
    }

    fn alpn(&self, name: &str) -> Option<Arc<CertifiedKey>> {
        lock(&self.alpn).get(name).cloned()
    }

    /// Forgets every answer (the order is done, one way or the other).
    pub(crate) fn clear(&self) {
        lock(&self.alpn).clear();
        lock(&self.http).clear();
    }
}

/// A panic elsewhere while holding the lock leaves a map that is still a map.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// rustls's certificate source for the ACME listener.
#[derive(Debug, Default)]
pub(crate) struct Resolver {
    current: ArcSwapOption<CertifiedKey>,
    pub(crate) challenges: Challenges,
}

impl Resolver {
    /// Serves `key` from the next handshake on.
    pub(crate) fn swap(&self, key: Arc<CertifiedKey>) {
        self.current.store(Some(key));
    }
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let validating = hello
            .alpn()
            .is_some_and(|mut offered| offered.any(|p| p == ACME_TLS_ALPN));
        if validating {
            // Only the challenge certificate answers acme-tls/1 (RFC 8737 §3).
            return self
                .challenges
                .alpn(&hello.server_name()?.to_ascii_lowercase());
        }
        self.current.load_full()
    }
}
