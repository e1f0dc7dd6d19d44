//! One ACME exchange: the account (created once, then from the cache), an order for the
//! domains, its challenges answered (TLS-ALPN-01 or HTTP-01), the certificate finalized and
//! downloaded. instant-acme retries a `badNonce` refusal with the fresh nonce by itself.

use std::sync::Arc;
use std::time::Duration;

use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, CertificateIdentifier, ChallengeType,
    Identifier, NewAccount, NewOrder, OrderStatus, RetryPolicy,
};
use rcgen::{CertificateParams, CustomExtension, KeyPair};
use rustls::sign::CertifiedKey;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::cache::Cache;
use super::certificate::Issued;
use super::resolver::Challenges;
use super::{AcmeError, Settings};

/// How long the server may take to validate and to sign.
const POLL: RetryPolicy = RetryPolicy::new()
    .initial_delay(Duration::from_millis(250))
    .backoff(1.5)
    .timeout(Duration::from_secs(90));

/// The account from the cache, or a new one (stored at once).
pub(crate) async fn account(settings: &Settings, cache: &Cache) -> Result<Account, AcmeError> {
    let builder = || match &settings.root_ca {
        Some(root) => Account::builder_with_root(root),
        None => Account::builder(),
    };
    if let Some(json) = cache.account()? {
        let credentials: AccountCredentials = serde_json::from_str(&json)
            .map_err(|e| AcmeError::Cache(format!("account credentials: {e}")))?;
        return Ok(builder()?.from_credentials(credentials).await?);
    }
    let contact: Vec<&str> = settings.contact.iter().map(String::as_str).collect();
    let new = NewAccount {
        contact: &contact,
        terms_of_service_agreed: true,
        only_return_existing: false,
    };
    let (account, credentials) = builder()?
        .create(&new, settings.directory.clone(), None)
        .await?;
    let json = serde_json::to_string(&credentials)
        .map_err(|e| AcmeError::Cache(format!("account credentials: {e}")))?;
    cache.store_account(&json)?;
    tracing::info!(directory = %settings.directory, "ACME account created");
    Ok(account)
}

/// Orders a certificate for the domains and answers its challenges through `challenges`;
/// `replaces` names the certificate it succeeds (ARI), when the server takes that.
pub(crate) async fn order(
    account: &Account,
    settings: &Settings,
    challenges: &Challenges,
    replaces: Option<CertificateIdentifier<'static>>,
) -> Result<Issued, AcmeError> {
    let result = exchange(account, settings, challenges, replaces).await;
    challenges.clear();
    result
}

async fn exchange(
    account: &Account,
    settings: &Settings,
    challenges: &Challenges,
    replaces: Option<CertificateIdentifier<'static>>,
) -> Result<Issued, AcmeError> {
    let identifiers: Vec<Identifier> = settings
        .domains
        .iter()
        .map(|d| Identifier::Dns(d.clone()))
        .collect();
    let mut request = NewOrder::new(&identifiers);
    if let Some(id) = replaces {
        request = request.replaces(id);
    }
    let mut order = account.new_order(&request).await?;
    let kind = if settings.http01 {
        ChallengeType::Http01
    } else {
        ChallengeType::TlsAlpn01
    };
    let mut authorizations = order.authorizations();
    while let Some(authorization) = authorizations.next().await {
        let mut authorization = authorization?;
        match authorization.status {
            AuthorizationStatus::Valid => continue,
            AuthorizationStatus::Pending => {}
            other => {
                return Err(AcmeError::Refused(format!(
                    "authorization for {} is {other:?}",
                    authorization.identifier()
                )));
            }
        }
        let name = authorization.identifier().to_string();
        let mut challenge = authorization.challenge(kind.clone()).ok_or_else(|| {
            AcmeError::Refused(format!(
                "the server offers no {kind:?} challenge for {name}"
            ))
        })?;
        let key_authorization = challenge.key_authorization();
        if settings.http01 {
            challenges.put_http(&challenge.token, key_authorization.as_str());
        } else {
            challenges.put_alpn(
                &name,
                alpn_certificate(&name, key_authorization.digest().as_ref())?,
            );
        }
        challenge.set_ready().await?;
    }
    let status = order.poll_ready(&POLL).await?;
    if status != OrderStatus::Ready {
        let why = order.state().error.as_ref().map_or_else(
            || {
                format!(
                    "order is {status:?} (a challenge failed: is the domain's DNS pointing here?)"
                )
            },
            ToString::to_string,
        );
        return Err(AcmeError::Refused(why));
    }
    let key_pem = order.finalize().await?;
    let chain_pem = order.poll_certificate(&POLL).await?;
    Issued::from_pem(format!("{key_pem}{chain_pem}"))
}

/// The self-signed certificate of TLS-ALPN-01 (RFC 8737 §3): the name, and the digest of
/// the key authorization in the critical acmeIdentifier extension.
fn alpn_certificate(name: &str, digest: &[u8]) -> Result<Arc<CertifiedKey>, AcmeError> {
    let mut params = CertificateParams::new(vec![name.to_owned()])?;
    params.custom_extensions = vec![CustomExtension::new_acme_identifier(digest)];
    let key = KeyPair::generate()?;
    let certificate = params.self_signed(&key)?;
    let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let chain = vec![CertificateDer::from(certificate.der().to_vec())];
    // Not `CertifiedKey::from_der`: its key check parses the certificate with webpki, which
    // refuses the critical acmeIdentifier extension.
    let signer = rustls::crypto::ring::sign::any_ecdsa_type(&private)?;
    Ok(Arc::new(CertifiedKey::new(chain, signer)))
}
