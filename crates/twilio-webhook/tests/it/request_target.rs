//! The request target never decides the scheme or host of the signed URL:
//! an absolute-form `POST https://prod.example.com/sms` on a plain listener is still `http`.

use twilio_webhook::{PublicUrl, Validator, WebhookConfig};

use crate::support::{Server, Spawn, TOKEN, form_body, token_key};

fn from_host() -> WebhookConfig {
    WebhookConfig::new(
        Validator::from_token(TOKEN).unwrap(),
        PublicUrl::from_host(),
    )
}

/// An absolute-form form POST for `target` with `Host: host`, signed over `signed_url`.
fn absolute_form(target: &str, host: &str, signed_url: &str) -> String {
    let pairs = [("Body", "absolute")];
    let body = form_body(&pairs);
    let sig = token_key().sign(signed_url, pairs);
    format!(
        "POST {target} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: {sig}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

async fn scheme_is_the_listeners(spawn: Spawn) {
    let s: Server = spawn(from_host()).await;
    let target = "https://prod.example.com/sms";
    // Signed for the https URL the target names: the plain listener must not believe it.
    let raw = absolute_form(target, "prod.example.com", target);
    assert_eq!(s.send_raw(&raw).await, 403, "scheme taken from the target");
    assert_eq!(s.probe.calls(), 0);
    // The same request signed for what the listener really is passes: only the scheme mattered.
    let raw = absolute_form(target, "prod.example.com", "http://prod.example.com/sms");
    assert_eq!(s.send_raw(&raw).await, 200);
}

#[cfg(feature = "axum")]
#[tokio::test]
async fn axum_absolute_form_target_does_not_set_the_scheme() {
    scheme_is_the_listeners(crate::axum::spawn).await;
}

#[cfg(feature = "actix")]
#[actix_web::test]
async fn actix_absolute_form_target_does_not_set_the_scheme() {
    scheme_is_the_listeners(crate::actix::spawn).await;
}

#[cfg(feature = "rocket")]
#[tokio::test]
async fn rocket_absolute_form_target_does_not_set_the_scheme() {
    scheme_is_the_listeners(crate::rocket::spawn).await;
}
