//! Log capture: every scenario of `cases.rs`, for every framework compiled in, under a
//! TRACE subscriber writing to a buffer; no token, signature, URL userinfo or body may
//! appear in it, and every 403 carries a log-safe explanation.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter;

use crate::cases::ALL;
use crate::support::{Call, SMS, TOKEN};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;

    fn make_writer(&'a self) -> Buffer {
        self.clone()
    }
}

#[tokio::test]
async fn no_secret_signature_userinfo_or_body_in_trace_logs() {
    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(buffer.clone())
        .finish();
    // Global: the actix servers run on threads of their own.
    tracing::subscriber::set_global_default(subscriber).unwrap();

    for (name, scenario) in ALL {
        eprintln!("axum: {name}");
        scenario(crate::axum::spawn).await;
        #[cfg(feature = "actix")]
        {
            eprintln!("actix: {name}");
            scenario(crate::actix::spawn).await;
        }
    }

    let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    // The logs are real: every outcome shows up, with its fields.
    for expected in [
        "outcome=\"accepted\"",
        "outcome=\"rejected\"",
        "outcome=\"replayed\"",
        "outcome=\"in_flight\"",
        "reason=signature does not match",
        "reason=missing or wrong basic-auth credentials",
        "account_sid=\"ACbbb\"",
        "key=\"secondary\"",
        "url_form=default-port-added",
        // Every 403 says why: the URL the signature was made for, beside the one checked.
        "explanation=\"signed for https://example.com/sms, rebuilt from the request http://127.0.0.1:",
        "the scheme, host and port differ",
        "a proxy that is not trusted",
        "Tried 2 URL forms (as-received, port-removed) × 1 key over 6 form parameters",
        "the request names a Webhook Shared Key but this route verifies Auth Tokens",
    ] {
        assert!(
            logs.contains(expected),
            "missing {expected:?} in logs:\n{logs}"
        );
    }
    let sms_signature = Call::form("/sms", SMS).signature().to_owned();
    let json_signature = Call::json("/events", r#"{"property": "value", "boolean": true}"#)
        .signature()
        .to_owned();
    for secret in [
        TOKEN,
        "the-secondary-token",
        "tenant-a-token",
        "tenant-b-token",
        "a-shared-key-secret",
        "wrong-token",
        "pa55-word",
        "dHdpbGlvOnBhNTUtd29yZA", // the Authorization header's base64
        "twilio:pa55",
        &sms_signature,
        &json_signature,
        "4 stars",
        "4+stars",
        "stars+%26+more",
        "\"property\"",
        "+15551230000",
    ] {
        assert!(!logs.contains(secret), "{secret:?} leaked into the logs");
    }
}
