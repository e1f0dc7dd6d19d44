//! The HTTP client of the tests.

/// A reqwest client that ignores proxy settings.
///
/// Installs ring as the process's rustls provider first: when the whole workspace is built
/// together (`cargo test --workspace`), feature unification gives reqwest the CLI's
/// `rustls-no-provider`, and then no client can be built without a provider installed.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a client without TLS configuration builds")
}
