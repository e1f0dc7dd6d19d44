//! The tower layer under `lambda_http`: the event shapes AWS delivers (fixtures in
//! `lambda/`, see its README), each turned into a request exactly as `lambda_http` does
//! (`lambda_http::request::from_str`) and driven through the layer in-process.

use std::convert::Infallible;

use base64::Engine as _;
use http_body_util::BodyExt as _;
use lambda_http::http::{Request, Response};
use serde_json::Value;
use tower::{Layer as _, ServiceExt as _};
use twilio_webhook::tower::{TwilioLayer, VerifiedBody};
use twilio_webhook::{Key, PublicUrl, Validator, VerifiedWebhook, WebhookConfig};

const TOKEN: &str = "lambda-auth-token-0123456789abcdef";
const REST_V1: &str = include_str!("lambda/rest-v1.json");
const HTTP_V2: &str = include_str!("lambda/http-v2.json");
const FUNCTION_URL: &str = include_str!("lambda/function-url.json");
const EXECUTE_API: &str = "https://1234567890.execute-api.us-east-1.amazonaws.com";
const FUNCTION_HOST: &str = "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws";

const SMS: &[(&str, &str)] = &[
    ("AccountSid", "AC00000000000000000000000000000001"),
    ("MessageSid", "SM00000000000000000000000000000001"),
    ("From", "+15551230000"),
    ("Body", "4 stars & more"),
];

/// The handler: answers TwiML naming the verified `Body`.
async fn echo(request: Request<VerifiedBody>) -> Result<Response<String>, Infallible> {
    let said = request
        .extensions()
        .get::<VerifiedWebhook>()
        .and_then(|w| w.get("Body"))
        .unwrap_or("(not verified)")
        .to_owned();
    Ok(Response::new(format!(
        "<Response><Message>{said}</Message></Response>"
    )))
}

/// `fixture` with `pairs` as its form body, signed for `signed_url`.
fn event(fixture: &str, signed_url: &str, pairs: &[(&str, &str)]) -> String {
    let key = Key::auth_token("primary", TOKEN).unwrap();
    let signature = key.sign(signed_url, pairs.iter().copied());
    let mut event: Value = serde_json::from_str(fixture).unwrap();
    for (name, value) in event["headers"].as_object_mut().unwrap() {
        if name.eq_ignore_ascii_case("x-twilio-signature") {
            *value = Value::from(signature.clone());
        }
    }
    if let Some(headers) = event["multiValueHeaders"].as_object_mut() {
        headers.insert("X-Twilio-Signature".into(), Value::from(vec![signature]));
    }
    event["body"] = Value::from(event_body(&event, pairs));
    event.to_string()
}

/// The form body as the event carries it: base64 when the event says so.
fn event_body(event: &Value, pairs: &[(&str, &str)]) -> String {
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    if event["isBase64Encoded"].as_bool().unwrap() {
        base64::engine::general_purpose::STANDARD.encode(form)
    } else {
        form
    }
}

/// Runs `event` through `TwilioLayer` as `lambda_http::run` would; the status and body.
async fn invoke(public_base: &str, event: &str) -> (u16, String) {
    let request = lambda_http::request::from_str(event).unwrap();
    let config = WebhookConfig::new(
        Validator::from_token(TOKEN).unwrap(),
        PublicUrl::base(public_base).unwrap(),
    );
    let service = TwilioLayer::new(config).layer(tower::service_fn(echo));
    let response = service.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

/// A signed event verifies; the same event with the body changed after signing is refused.
async fn signed_then_tampered(fixture: &str, base: &str, signed_url: &str) {
    let signed = event(fixture, signed_url, SMS);
    let (status, body) = invoke(base, &signed).await;
    assert_eq!(
        (status, body.as_str()),
        (
            200,
            "<Response><Message>4 stars & more</Message></Response>"
        )
    );
    let mut tampered: Value = serde_json::from_str(&signed).unwrap();
    let evil = [("Body", "5 stars")];
    tampered["body"] = Value::from(event_body(
        &tampered,
        &[SMS[..3].to_vec(), evil.to_vec()].concat(),
    ));
    let (status, _) = invoke(base, &tampered.to_string()).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn rest_api_v1_signs_the_stage_and_the_rebuilt_query() {
    // Twilio called the execute-api URL with the stage; the query as the adapter rebuilds it
    // from the event's map: names sorted, a space as `+`.
    let url = format!("{EXECUTE_API}/prod/sms?Lang=en+US&tenant=b");
    signed_then_tampered(REST_V1, EXECUTE_API, &url).await;
    // Without the stage (the top-level `path`), the signature is for another URL.
    let without_stage = event(
        REST_V1,
        &format!("{EXECUTE_API}/sms?Lang=en+US&tenant=b"),
        SMS,
    );
    assert_eq!(invoke(EXECUTE_API, &without_stage).await.0, 403);
}

#[tokio::test]
async fn rest_api_v1_on_a_custom_domain_has_no_stage() {
    // A custom domain's base path mapping: `requestContext.path` is what the caller wrote.
    let mut custom: Value = serde_json::from_str(REST_V1).unwrap();
    custom["requestContext"]["path"] = Value::from("/twilio/sms");
    custom["requestContext"]["domainName"] = Value::from("hooks.example.com");
    let base = "https://hooks.example.com";
    let url = format!("{base}/twilio/sms?Lang=en+US&tenant=b");
    signed_then_tampered(&custom.to_string(), base, &url).await;
}

#[tokio::test]
async fn http_api_v2_signs_raw_path_and_raw_query() {
    let url = format!("{EXECUTE_API}/prod/sms?tenant=b&Lang=en%20US");
    signed_then_tampered(HTTP_V2, EXECUTE_API, &url).await;
    // The query re-ordered: not what Twilio signed.
    let reordered = event(
        HTTP_V2,
        &format!("{EXECUTE_API}/prod/sms?Lang=en%20US&tenant=b"),
        SMS,
    );
    assert_eq!(invoke(EXECUTE_API, &reordered).await.0, 403);
}

#[tokio::test]
async fn function_url_signs_raw_path_and_raw_query() {
    let url = format!("{FUNCTION_HOST}/sms?tenant=b&Lang=en%20US");
    signed_then_tampered(FUNCTION_URL, FUNCTION_HOST, &url).await;
    // Signed for another function's URL.
    let other = event(
        FUNCTION_URL,
        "https://other.lambda-url.us-east-1.on.aws/sms?tenant=b&Lang=en%20US",
        SMS,
    );
    assert_eq!(invoke(FUNCTION_HOST, &other).await.0, 403);
}

#[tokio::test]
async fn unsigned_event_is_refused() {
    let mut unsigned: Value =
        serde_json::from_str(&event(FUNCTION_URL, FUNCTION_HOST, SMS)).unwrap();
    unsigned["headers"]
        .as_object_mut()
        .unwrap()
        .remove("x-twilio-signature");
    assert_eq!(invoke(FUNCTION_HOST, &unsigned.to_string()).await.0, 400);
}
