//! The scenarios every framework adapter must pass, each asserting statuses over real HTTP.
//! `framework_tests!(spawn)` turns them into `#[tokio::test]`s for one framework.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use twilio_webhook::replay::MAX_STORED_BODY;
use twilio_webhook::{
    BasicAuth, Key, KeySet, KeyStore, MemoryReplayGuard, PublicUrl, Scheme, TrustedProxies,
    Validator,
};

use crate::support::{Call, PUBLIC, SMS, Spawn, TOKEN, config, token_key};

pub async fn form_ok(spawn: Spawn) {
    let s = spawn(config()).await;
    let r = s.send(Call::form("/sms", SMS)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("Body=4 stars & more;Digits=1234"),
        "{}",
        r.body
    );
    assert_eq!(s.probe.calls(), 1);
}

pub async fn get_query_ok(spawn: Spawn) {
    let s = spawn(config().methods(["GET"])).await;
    let r = s.send(Call::get("/sms?From=%2B1555&Body=hi+there")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("From=+1555;Body=hi there"), "{}", r.body);
}

pub async fn json_ok_and_tampered(spawn: Spawn) {
    let s = spawn(config()).await;
    let body = r#"{"property": "value", "boolean": true}"#;
    let r = s.send(Call::json("/events", body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains(body));
    // §5.19: body altered under a valid URL + MAC.
    let r = s
        .send(Call::json("/events", body).body(r#"{"property": "evil"}"#))
        .await;
    assert_eq!(r.status, 403);
    // §5.20: a JSON body without bodySHA256.
    let call = Call::json("/events", body);
    let r = s.send(call.clone().path("/events")).await;
    assert_eq!(r.status, 415);
    // §5.21: the hash in upper case, or the hash of another body.
    let upper = call
        .path
        .to_ascii_uppercase()
        .replace("/EVENTS?BODYSHA256", "/events?bodySHA256");
    let resigned = token_key().sign_url(&format!("{PUBLIC}{upper}"));
    let r = s
        .send(
            call.clone()
                .path(&upper)
                .set_header("x-twilio-signature", &resigned),
        )
        .await;
    assert_eq!(r.status, 403);
    let other = Call::json("/events", "");
    let r = s.send(other.body("{}")).await;
    assert_eq!(r.status, 403);
    assert_eq!(s.probe.calls(), 1);
}

pub async fn unsupported_body(spawn: Spawn) {
    let s = spawn(config()).await;
    let call = Call::form("/sms", &[]).set_header("content-type", "text/plain");
    assert_eq!(s.send(call.body("hello")).await.status, 415);
    // An empty POST without a content type: a GET's signature must not pass as a POST.
    let get = Call::get("/sms").method("POST");
    assert_eq!(s.send(get).await.status, 415);
    assert_eq!(s.probe.calls(), 0);
}

pub async fn forwarded_headers_trusted_and_not(spawn: Spawn) {
    let from_localhost = config_with(PublicUrl::trusting(
        TrustedProxies::new(["127.0.0.0/8"]).unwrap(),
    ));
    let s = spawn(from_localhost).await;
    let call = Call::form("/sms", SMS)
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "example.com");
    assert_eq!(s.send(call.clone()).await.status, 200);
    let rfc = Call::form("/sms", &[("Body", "rfc 7239")])
        .header("forwarded", "for=203.0.113.1;proto=https;host=example.com");
    assert_eq!(s.send(rfc).await.status, 200);

    // §5.24: the same headers from a peer that is not a listed proxy are ignored.
    let elsewhere = config_with(PublicUrl::trusting(
        TrustedProxies::new(["10.0.0.0/8"]).unwrap(),
    ));
    let s = spawn(elsewhere).await;
    assert_eq!(s.send(call).await.status, 403);
    assert_eq!(s.probe.calls(), 0);
}

pub async fn host_header_and_listener_scheme(spawn: Spawn) {
    let s = spawn(config_with(PublicUrl::from_host())).await;
    let url = s.url("/sms");
    let call = Call::form_signed(&token_key(), &url, "/sms", SMS);
    assert_eq!(s.send(call).await.status, 200);
    let https = url.replacen("http://", "https://", 1);
    let call = Call::form_signed(&token_key(), &https, "/sms", &[("Body", "tls")]);
    assert_eq!(s.send(call).await.status, 403);
    let s = spawn(config_with(PublicUrl::from_host()).listener_scheme(Scheme::Https)).await;
    let https = s.url("/sms").replacen("http://", "https://", 1);
    let call = Call::form_signed(&token_key(), &https, "/sms", &[("Body", "tls")]);
    assert_eq!(s.send(call).await.status, 200);
}

pub async fn public_base_with_prefix(spawn: Spawn) {
    let s = spawn(config_with(
        PublicUrl::base("https://example.com/twilio/").unwrap(),
    ))
    .await;
    let key = token_key();
    let call = Call::form_signed(&key, "https://example.com/twilio/sms?x=1", "/sms?x=1", SMS);
    assert_eq!(s.send(call).await.status, 200);
    // §5.12: signed for another host.
    let call = Call::form_signed(&key, "https://other.example.com/twilio/sms", "/sms", SMS);
    assert_eq!(s.send(call).await.status, 403);
}

pub async fn port_candidates(spawn: Spawn) {
    let s = spawn(config()).await;
    let key = token_key();
    let with_443 = Call::form_signed(&key, "https://example.com:443/sms", "/sms", SMS);
    assert_eq!(s.send(with_443).await.status, 200);
    let s = spawn(config()).await;
    let plain = Call::form_signed(&key, "https://example.com/sms", "/sms", SMS);
    assert_eq!(s.send(plain).await.status, 200);
    // §5.13: a non-default port the configured URL does not have.
    let other = Call::form_signed(&key, "https://example.com:8443/sms", "/sms", SMS);
    assert_eq!(s.send(other).await.status, 403);
}

pub async fn rotation_two_tokens(spawn: Spawn) {
    let secondary = Key::auth_token("secondary", "the-secondary-token").unwrap();
    // §5.15: the secondary is not configured yet.
    let s = spawn(config()).await;
    let call = Call::form_signed(&secondary, &format!("{PUBLIC}/sms"), "/sms", SMS);
    assert_eq!(s.send(call.clone()).await.status, 403);
    // Added: both tokens verify.
    let keys = KeySet::new([token_key(), secondary.clone()]);
    let s = spawn(config_with_keys(KeyStore::single(keys))).await;
    assert_eq!(s.send(call.clone()).await.status, 200);
    assert_eq!(s.send(Call::form("/sms", SMS)).await.status, 200);
    // Expired: rejected again.
    let past = SystemTime::now() - Duration::from_secs(1);
    let keys = KeySet::new([token_key(), secondary.expires_at(past)]);
    let s = spawn(config_with_keys(KeyStore::single(keys))).await;
    assert_eq!(s.send(call).await.status, 403);
    // §5.14: a wrong token.
    let wrong = Key::auth_token("x", "wrong-token").unwrap();
    let call = Call::form_signed(&wrong, &format!("{PUBLIC}/sms"), "/sms", SMS);
    assert_eq!(s.send(call).await.status, 403);
}

pub async fn sub_accounts(spawn: Spawn) {
    let a = Key::auth_token("a", "tenant-a-token").unwrap();
    let b = Key::auth_token("b", "tenant-b-token").unwrap();
    let store = KeyStore::accounts([
        ("ACaaa", KeySet::from(a.clone())),
        ("ACbbb", KeySet::from(b.clone())),
    ]);
    let s = spawn(config_with_keys(store)).await;
    let url = format!("{PUBLIC}/sms");
    let as_b = [("AccountSid", "ACbbb"), ("Body", "hi")];
    assert_eq!(
        s.send(Call::form_signed(&b, &url, "/sms", &as_b))
            .await
            .status,
        200
    );
    // §5.16: names tenant A, signed with B's token; and an unknown account.
    let as_a = [("AccountSid", "ACaaa"), ("Body", "hi")];
    assert_eq!(
        s.send(Call::form_signed(&b, &url, "/sms", &as_a))
            .await
            .status,
        403
    );
    let unknown = [("AccountSid", "ACccc"), ("Body", "hi")];
    assert_eq!(
        s.send(Call::form_signed(&a, &url, "/sms", &unknown))
            .await
            .status,
        403
    );
    assert_eq!(s.probe.calls(), 1);
}

pub async fn shared_key_sha256(spawn: Spawn) {
    let shared = Key::shared_key("ks-1", "a-shared-key-secret").unwrap();
    let store = KeyStore::shared_keys([("KS1", KeySet::from(shared.clone()))]);
    let s = spawn(config_with_keys(store)).await;
    let url = format!("{PUBLIC}/sms");
    let call = Call::form_signed(&shared, &url, "/sms", SMS);
    let settings = "key=KS1,algorithm=HMAC_SHA256";
    let r = s
        .send(
            call.clone()
                .header("x-twilio-webhooks-signature-settings", settings),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // §5.17: header stripped (no downgrade); unsupported algorithm.
    assert_eq!(s.send(call.clone()).await.status, 403);
    let md5 = call.clone().header(
        "x-twilio-webhooks-signature-settings",
        "key=KS1,algorithm=MD5",
    );
    assert_eq!(s.send(md5).await.status, 403);
    // A settings header on an endpoint without shared keys: see
    // `settings_header_on_token_route_is_403`.
}

pub async fn basic_auth_challenge_then_ok(spawn: Spawn) {
    let auth = BasicAuth::new("twilio", "pa55-word").unwrap().realm("sms");
    let s = spawn(config().basic_auth(auth)).await;
    let url = "https://twilio:pa55-word@example.com/sms";
    let call = Call::form_signed(&token_key(), url, "/sms", SMS);
    let r = s.send(call.clone()).await;
    assert_eq!(r.status, 401);
    let challenge = r.headers.get("www-authenticate").unwrap().to_str().unwrap();
    assert!(challenge.starts_with("Basic realm=\"sms\""), "{challenge}");
    // Twilio repeats the request with the credentials from the URL.
    let basic = "Basic dHdpbGlvOnBhNTUtd29yZA=="; // base64("twilio:pa55-word")
    let r = s.send(call.clone().header("authorization", basic)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Wrong password: 401 again, before any signature work.
    let wrong = call.header("authorization", "Basic dHdpbGlvOm5vcGU=");
    assert_eq!(s.send(wrong).await.status, 401);
    // Signed without the credentials in the URL (as older docs describe): accepted too.
    let s = spawn(config().basic_auth(BasicAuth::new("twilio", "pa55-word").unwrap())).await;
    let plain = Call::form("/sms", SMS).header("authorization", basic);
    assert_eq!(s.send(plain).await.status, 200);
    assert_eq!(s.probe.calls(), 1);
}

pub async fn replay_with_new_idempotency_token(spawn: Spawn) {
    let s = spawn(config()).await;
    let call = Call::form("/sms", SMS);
    let first = s
        .send(call.clone().header(
            "i-twilio-idempotency-token",
            "d50dc30c-5d0d-418d-92ea-12cd8fd05f09",
        ))
        .await;
    assert_eq!(first.status, 200);
    // §5.22: replayed byte for byte, then with a fresh (unsigned) idempotency token.
    let again = s.send(call.clone()).await;
    let changed = s
        .send(call.header(
            "i-twilio-idempotency-token",
            "00000000-0000-4000-8000-000000000000",
        ))
        .await;
    for r in [&again, &changed] {
        assert_eq!((r.status, r.body.as_str()), (200, first.body.as_str()));
        assert_eq!(
            r.headers.get("content-type").unwrap(),
            first.headers.get("content-type").unwrap()
        );
    }
    assert_eq!(s.probe.calls(), 1);
}

pub async fn replay_in_flight_is_409(spawn: Spawn) {
    let s = Arc::new(spawn(config()).await);
    let call = Call::form("/sms", &[("Body", "wait")]);
    let first = tokio::spawn({
        let (s, call) = (Arc::clone(&s), call.clone());
        async move { s.send(call).await }
    });
    s.wait_for_calls(1).await;
    assert_eq!(s.send(call.clone()).await.status, 409);
    s.probe.gate.notify_one();
    assert_eq!(first.await.unwrap().status, 200);
    assert_eq!(s.send(call).await.status, 200);
    assert_eq!(s.probe.calls(), 1);
}

pub async fn replay_off_and_failed_handler(spawn: Spawn) {
    let s = spawn(config().without_replay_guard()).await;
    let call = Call::form("/gather", &[("Digits", "1")]);
    assert_eq!(s.send(call.clone()).await.status, 200);
    assert_eq!(s.send(call).await.status, 200);
    assert_eq!(s.probe.calls(), 2);
    // A 5xx is not stored: Twilio's retry reaches the handler again.
    let guard = Arc::new(MemoryReplayGuard::new(100, Duration::from_secs(60)));
    let s = spawn(config().replay_guard(guard.clone())).await;
    let fail = Call::form("/sms", &[("Body", "fail")]);
    assert_eq!(s.send(fail.clone()).await.status, 500);
    assert_eq!(s.send(fail).await.status, 500);
    assert_eq!(s.probe.calls(), 2);
    assert!(guard.is_empty());
}

/// A response too large to keep is not stored, and its repeat still never
/// reaches the handler: it gets 409.
pub async fn replay_of_oversized_response_is_409(spawn: Spawn) {
    let guard = Arc::new(MemoryReplayGuard::new(100, Duration::from_secs(60)));
    let s = spawn(config().replay_guard(guard.clone())).await;
    let call = Call::form("/sms", &[("Body", "big")]);
    let r = s.send(call.clone()).await;
    assert_eq!((r.status, r.body.len()), (200, MAX_STORED_BODY + 1));
    let r = s.send(call).await;
    assert_eq!((r.status, r.body.as_str()), (409, "Duplicate request"));
    assert_eq!(s.probe.calls(), 1);
    assert!(guard.stored_bytes() < 100, "{}", guard.stored_bytes());
}

/// A made-up signature-settings header on an Auth-Token route is the client's
/// error (403), not ours (500), even on an otherwise valid request.
pub async fn settings_header_on_token_route_is_403(spawn: Spawn) {
    let s = spawn(config()).await;
    for settings in [
        "key=KSmadeup,algorithm=HMAC_SHA256",
        "key=x,algorithm=HMAC_SHA1",
    ] {
        let call = Call::form("/sms", SMS).header("x-twilio-webhooks-signature-settings", settings);
        let r = s.send(call).await;
        assert_eq!(
            (r.status, r.body.as_str()),
            (403, "Twilio request validation failed")
        );
    }
    assert_eq!(s.probe.calls(), 0);
}

/// §5.1–6: the header itself.
pub async fn signature_header_cases(spawn: Spawn) {
    let s = spawn(config()).await;
    let good = Call::form("/sms", SMS);
    let sig = good.signature().to_owned();
    assert_eq!(
        s.send(good.clone().without_header("x-twilio-signature"))
            .await
            .status,
        400
    );
    assert_eq!(
        s.send(good.clone().set_header("x-twilio-signature", ""))
            .await
            .status,
        400
    );
    for junk in [
        "not base64!!",
        "a9b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5", // a hex digest
        "RSOYDt4T1cUTdK1PDd93/VVr8B8=AAAA",         // too long
        &sig[..8],                                  // partial
        sig.trim_end_matches('='),                  // padding stripped
    ] {
        let r = s
            .send(good.clone().set_header("x-twilio-signature", junk))
            .await;
        assert_eq!(r.status, 400, "{junk}");
    }
    let twice = good.clone().header("x-twilio-signature", &sig);
    assert_eq!(s.send(twice).await.status, 400);
    let swapped: String = sig
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    // Still base64 of 20 bytes (403), unless the swap broke the canonical last symbol (400).
    let status = s
        .send(good.set_header("x-twilio-signature", &swapped))
        .await
        .status;
    assert!(matches!(status, 400 | 403), "{status}");
    assert_eq!(s.probe.calls(), 0);
}

/// §5.7–13: tampering with what was signed.
pub async fn tampering_cases(spawn: Spawn) {
    let s = spawn(config()).await;
    let good = Call::form("/sms?x=1&y=2", SMS);
    let body = |pairs: &[(&str, &str)]| crate::support::form_body(pairs);
    let mut changed = SMS.to_vec();
    changed[5] = ("Digits", "1235");
    let mut extra = SMS.to_vec();
    extra.push(("somethingUnexpected", "true"));
    let removed = &SMS[..5];
    let mut renamed = SMS.to_vec();
    renamed[5] = ("digits", "1234");
    let mut duplicated = SMS.to_vec();
    duplicated.push(("Digits", "9999"));
    for (what, pairs) in [
        ("value changed", changed),
        ("param added", extra),
        ("param removed", removed.to_vec()),
        ("name case", renamed),
        ("duplicate key", duplicated),
    ] {
        let r = s.send(good.clone().body(body(&pairs))).await;
        assert_eq!(r.status, 403, "{what}");
    }
    for path in [
        "/sms?x=1&y=2&somethingUnexpected=true",
        "/sms?y=2&x=1",
        "/sms?x=%31&y=2",
        "/other?x=1&y=2",
    ] {
        assert_eq!(s.send(good.clone().path(path)).await.status, 403, "{path}");
    }
    assert_eq!(s.probe.calls(), 0);
    // The handler gets exactly the verified multimap, repeats in received order.
    let repeats = [
        ("Digits", "5678"),
        ("Sid", "CA1"),
        ("Digits", "1234"),
        ("Digits", "1234"),
    ];
    let r = s.send(Call::form("/sms", &repeats)).await;
    assert_eq!(r.status, 200);
    assert!(
        r.body
            .contains("Digits=5678;Sid=CA1;Digits=1234;Digits=1234"),
        "{}",
        r.body
    );
}

/// §5.24: method pinning, size limit, malformed encoding, untouched raw targets.
pub async fn transport_cases(spawn: Spawn) {
    let s = spawn(config().body_limit(1024)).await;
    let get_signed = Call::get("/sms?From=%2B1");
    let r = s.send(get_signed.clone()).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.headers.get("allow").unwrap(), "POST");
    let big = "x".repeat(2000);
    let r = s.send(Call::form("/sms", &[("Body", &big)])).await;
    assert_eq!(r.status, 413);
    // Without Content-Length the limit holds while reading a chunked body.
    let sig = token_key().sign(&format!("{PUBLIC}/sms"), [("Body", big.as_str())]);
    let chunked = format!(
        "POST /sms HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: {sig}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\nBody={big}\r\n0\r\n\r\n",
        big.len() + 5
    );
    assert_eq!(s.send_raw(&chunked).await, 413);
    // Far over the limit, the answer is still a 413 and not a reset connection: the server
    // reads on (discarding) while the client sends, instead of closing under it.
    let huge = "x".repeat(512 * 1024);
    for _ in 0..5 {
        assert_eq!(
            s.send(Call::form("/sms", &[("Body", &huge)])).await.status,
            413
        );
    }
    for bad in ["Body=%ZZ", "Body=%", "Body=%C3%28"] {
        let call = Call::form("/sms", &[]).body(bad);
        assert_eq!(s.send(call).await.status, 400, "{bad}");
    }
    // A raw target with characters a client library would re-encode.
    let path = "/sms?name=O'Hara&q=a%20b+c";
    let sig = token_key().sign(&format!("{PUBLIC}{path}"), [("Body", "x")]);
    let raw = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: {sig}\r\nContent-Length: 6\r\nConnection: close\r\n\r\nBody=x"
    );
    assert_eq!(s.send_raw(&raw).await, 200);
    // A GET-signed URL replayed as POST to a GET route passes nothing either.
    let s = spawn(config().methods(["GET"])).await;
    assert_eq!(s.send(get_signed.clone()).await.status, 200);
    let as_post = get_signed
        .method("POST")
        .header("content-type", "application/x-www-form-urlencoded");
    assert_eq!(s.send(as_post).await.status, 405);
    let bad_query = Call::get("/sms?Body=%ZZ");
    assert_eq!(s.send(bad_query).await.status, 400);
}

/// `TwilioRequest<T>`: the typed pairs, and a 400 when they do not fit.
pub async fn typed_extractor_and_its_rejections(spawn: Spawn) {
    let s = spawn(config()).await;
    let ok = Call::form(
        "/typed",
        &[("Body", "hello"), ("NumMedia", "2"), ("Extra", "")],
    );
    let r = s.send(ok).await;
    assert_eq!((r.status, r.body.as_str()), (200, "hello 2 3"));
    // Verified, but not an `Sms`: 400 from the extractor.
    let r = s
        .send(Call::form(
            "/typed",
            &[("Body", "hello"), ("NumMedia", "two")],
        ))
        .await;
    assert_eq!((r.status, r.body.as_str()), (400, "Bad request"));
}

/// The extractor on a route without the layer: 500, failing closed. (Rocket has no such
/// route: its guard is the check; `rocket.rs` tests a Rocket without the fairing instead.)
pub async fn extractor_without_layer_is_500(spawn: Spawn) {
    let s = spawn(config()).await;
    let r = s.send(Call::form("/unprotected", &[("Body", "x")])).await;
    assert_eq!(r.status, 500);
}

/// A client that hangs up while the handler runs does not get the same
/// signed request handled twice. Each request below is sent, the socket closed, and the
/// identical request sent again: the handler runs exactly once per request, whether the
/// server noticed the hang-up before the handler (the mark is dropped, the re-send runs it)
/// or after (the mark holds: 409 while in flight).
pub async fn replay_after_hang_up(spawn: Spawn) {
    let s = spawn(config()).await;
    // Hang up once the handler is surely running: with a FIN, then with a reset.
    for (round, reset) in [false, true].into_iter().enumerate() {
        let n = round.to_string();
        let call = Call::form("/sms", &[("Body", "slow"), ("Round", &n)]);
        s.hang_up(&call, s.wait_for_calls(round + 1), reset).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let again = s.send(call.clone()).await;
        assert!(matches!(again.status, 200 | 409), "{}", again.status);
        assert_eq!(s.probe.calls(), round + 1);
    }
    // The probe of the issue: closed 0.5–5 ms after sending.
    let delays = [500u64, 1000, 2000, 3500, 5000];
    for (round, micros) in delays.iter().enumerate() {
        let n = (round + 2).to_string();
        let call = Call::form("/sms", &[("Body", "slow"), ("Round", &n)]);
        let hang_up = tokio::time::sleep(Duration::from_micros(*micros));
        s.hang_up(&call, hang_up, round % 2 == 0).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        let again = s.send(call).await;
        assert!(matches!(again.status, 200 | 409), "{}", again.status);
    }
    // Let any handler still running finish, then count.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(s.probe.calls(), 2 + delays.len());
    // A request whose client stays gets its answer, and its replay the stored one.
    let call = Call::form("/sms", &[("Body", "slow"), ("Round", "last")]);
    assert_eq!(s.send(call.clone()).await.status, 200);
    assert_eq!(s.send(call).await.status, 200);
    assert_eq!(s.probe.calls(), 3 + delays.len());
}

/// On a route that takes GET and POST, a URL Twilio signed for a GET is
/// not accepted as an empty POST (which would hand the handler none of the query's pairs).
pub async fn get_signature_is_not_an_empty_post(spawn: Spawn) {
    let s = spawn(config().methods(["GET", "POST"])).await;
    let get = Call::get("/sms?From=%2B1555&Body=hi");
    let as_post = get
        .clone()
        .method("POST")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("");
    assert_eq!(s.send(as_post).await.status, 403);
    assert_eq!(s.probe.calls(), 0);
    let r = s.send(get).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("From=+1555;Body=hi"), "{}", r.body);
    // A POST with its parameters is still a POST on that route.
    assert_eq!(s.send(Call::form("/sms", SMS)).await.status, 200);
    assert_eq!(s.probe.calls(), 2);
}

/// Twilio signs the URL and the parameters with nothing between them. A
/// pair without a name adds its value alone, right after the URL, so it can carry the end
/// of the query into the body under the same MAC: refused.
pub async fn resplit_through_a_nameless_pair(spawn: Spawn) {
    let s = spawn(config()).await;
    let signed = Call::form("/sms?a=12", &[("Body", "x")]);
    // "https://example.com/sms?a=1" + "2" + "Body" + "x" signs as the original.
    let moved = signed.clone().path("/sms?a=1").body("=2&Body=x");
    assert_eq!(s.send(moved).await.status, 400);
    assert_eq!(s.probe.calls(), 0);
    assert_eq!(s.send(signed).await.status, 200);
    assert_eq!(s.probe.calls(), 1);
}

/// Keys replaced while the server runs, through `WebhookConfig::live_keys`.
pub async fn live_key_rotation(spawn: Spawn) {
    let config = config();
    let live = config.live_keys();
    let s = spawn(config).await;
    let new = Key::auth_token("new", "a-brand-new-auth-token").unwrap();
    let url = format!("{PUBLIC}/sms");
    let call = Call::form_signed(&new, &url, "/sms", SMS);
    assert_eq!(s.send(call.clone()).await.status, 403);
    live.replace(Validator::new(KeyStore::single(KeySet::new([
        new.clone(),
        token_key(),
    ]))));
    assert_eq!(s.send(call).await.status, 200);
    // The old token works while both are configured, and stops when it is dropped.
    assert_eq!(
        s.send(Call::form("/sms", &[("Body", "old")])).await.status,
        200
    );
    live.replace(Validator::new(KeyStore::single(KeySet::from(new))));
    let late = Call::form("/sms", &[("Body", "too late")]);
    assert_eq!(s.send(late).await.status, 403);
    assert_eq!(s.probe.calls(), 2);
}

/// A response body that breaks while the replay guard buffers it: the same answer under
/// every adapter (500, fixed text), and the request is forgotten, as for a 5xx.
pub async fn failing_response_body(spawn: Spawn) {
    let s = spawn(config()).await;
    let call = Call::form("/broken", &[("Body", "x")]);
    for calls in 1..=2 {
        let r = s.send(call.clone()).await;
        assert_eq!((r.status, r.body.as_str()), (500, "Internal server error"));
        assert_eq!(s.probe.calls(), calls);
    }
}

/// `TwilioRequest<T>` with the library's own payload type.
pub async fn library_payload_extractor(spawn: Spawn) {
    let s = spawn(config()).await;
    let r = s.send(Call::form("/message", SMS)).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            200,
            "SM00000000000000000000000000000001 from +15551230000: 4 stars & more"
        )
    );
    // Verified, but not a message (no MessageSid): 400 from the extractor.
    let r = s.send(Call::form("/message", &[("Body", "hi")])).await;
    assert_eq!((r.status, r.body.as_str()), (400, "Bad request"));
}

fn config_with(public_url: PublicUrl) -> twilio_webhook::WebhookConfig {
    twilio_webhook::WebhookConfig::new(Validator::from_token(TOKEN).unwrap(), public_url)
}

fn config_with_keys(store: KeyStore) -> twilio_webhook::WebhookConfig {
    twilio_webhook::WebhookConfig::new(Validator::new(store), PublicUrl::base(PUBLIC).unwrap())
}

/// A scenario, boxed so they can be listed.
pub type Scenario = fn(Spawn) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// Every scenario, in the order `logs.rs` replays them.
#[cfg_attr(not(feature = "axum"), allow(dead_code))]
pub const ALL: &[(&str, Scenario)] = &[
    ("form_ok", |s| Box::pin(form_ok(s))),
    ("get_query_ok", |s| Box::pin(get_query_ok(s))),
    ("json_ok_and_tampered", |s| {
        Box::pin(json_ok_and_tampered(s))
    }),
    ("unsupported_body", |s| Box::pin(unsupported_body(s))),
    ("forwarded_headers_trusted_and_not", |s| {
        Box::pin(forwarded_headers_trusted_and_not(s))
    }),
    ("host_header_and_listener_scheme", |s| {
        Box::pin(host_header_and_listener_scheme(s))
    }),
    ("public_base_with_prefix", |s| {
        Box::pin(public_base_with_prefix(s))
    }),
    ("port_candidates", |s| Box::pin(port_candidates(s))),
    ("rotation_two_tokens", |s| Box::pin(rotation_two_tokens(s))),
    ("sub_accounts", |s| Box::pin(sub_accounts(s))),
    ("shared_key_sha256", |s| Box::pin(shared_key_sha256(s))),
    ("basic_auth_challenge_then_ok", |s| {
        Box::pin(basic_auth_challenge_then_ok(s))
    }),
    ("replay_with_new_idempotency_token", |s| {
        Box::pin(replay_with_new_idempotency_token(s))
    }),
    ("replay_in_flight_is_409", |s| {
        Box::pin(replay_in_flight_is_409(s))
    }),
    ("replay_off_and_failed_handler", |s| {
        Box::pin(replay_off_and_failed_handler(s))
    }),
    ("signature_header_cases", |s| {
        Box::pin(signature_header_cases(s))
    }),
    ("tampering_cases", |s| Box::pin(tampering_cases(s))),
    ("transport_cases", |s| Box::pin(transport_cases(s))),
    ("typed_extractor_and_its_rejections", |s| {
        Box::pin(typed_extractor_and_its_rejections(s))
    }),
    ("extractor_without_layer_is_500", |s| {
        Box::pin(extractor_without_layer_is_500(s))
    }),
    ("replay_of_oversized_response_is_409", |s| {
        Box::pin(replay_of_oversized_response_is_409(s))
    }),
    ("settings_header_on_token_route_is_403", |s| {
        Box::pin(settings_header_on_token_route_is_403(s))
    }),
    ("replay_after_hang_up", |s| {
        Box::pin(replay_after_hang_up(s))
    }),
    ("get_signature_is_not_an_empty_post", |s| {
        Box::pin(get_signature_is_not_an_empty_post(s))
    }),
    ("resplit_through_a_nameless_pair", |s| {
        Box::pin(resplit_through_a_nameless_pair(s))
    }),
    ("live_key_rotation", |s| Box::pin(live_key_rotation(s))),
    ("library_payload_extractor", |s| {
        Box::pin(library_payload_extractor(s))
    }),
    ("failing_response_body", |s| {
        Box::pin(failing_response_body(s))
    }),
];

/// One `#[tokio::test]` per scenario for the framework whose server `$spawn` starts.
#[macro_export]
macro_rules! framework_tests {
    ($spawn:path) => {
        $crate::framework_tests!(@common $spawn);
        $crate::framework_tests!(@each $spawn; extractor_without_layer_is_500);
    };
    // The cases every adapter passes, Rocket's data guard included.
    (@common $spawn:path) => {
        $crate::framework_tests!(@each $spawn;
            form_ok, get_query_ok, json_ok_and_tampered, unsupported_body,
            forwarded_headers_trusted_and_not, host_header_and_listener_scheme,
            public_base_with_prefix, port_candidates, rotation_two_tokens, sub_accounts,
            shared_key_sha256, basic_auth_challenge_then_ok, replay_with_new_idempotency_token,
            replay_in_flight_is_409, replay_off_and_failed_handler, signature_header_cases,
            replay_of_oversized_response_is_409, settings_header_on_token_route_is_403,
            tampering_cases, transport_cases, typed_extractor_and_its_rejections,
            replay_after_hang_up, get_signature_is_not_an_empty_post,
            resplit_through_a_nameless_pair, live_key_rotation, library_payload_extractor,
            failing_response_body);
    };
    (@each $spawn:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                $crate::cases::$case($spawn).await;
            }
        )*
    };
}
