//! The real rating service (`sms-ratings`), in-process on loopback with one event, for
//! walking its SMS and voice flows with `chat` and `send`.

use std::sync::Arc;

use sms_ratings::model::NewEvent;
use sms_ratings::server::{App, Config};
use sms_ratings::service::Ratings;
use tokio::sync::oneshot;

pub(crate) const TOKEN: &str = "chat-test-token";
pub(crate) const NUMBER: &str = "+15005550006";

/// The rating service with one event on `NUMBER`, until the sender is dropped or used.
pub(crate) struct RatingService {
    pub(crate) base: String,
    pub(crate) store: Arc<dyn sms_ratings::store::Store>,
    _stop: oneshot::Sender<()>,
    _dir: TempDir,
}

/// A directory removed when the test ends.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl RatingService {
    pub(crate) async fn start() -> RatingService {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!("twh-chat-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("ratings.db");
        let store = sms_ratings::store::open(db.to_str().unwrap())
            .await
            .unwrap();
        store
            .add_event(NewEvent {
                code: "RUST25".parse().unwrap(),
                name: "Rust Conf".into(),
                number: Some(NUMBER.into()),
                opens: None,
                closes: None,
                time_zone: None,
            })
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = App::new(
            Ratings::new(store.clone()),
            Config::new(TOKEN, &base).unwrap(),
        );
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(sms_ratings::server::run(listener, app, async {
            let _ = stopped.await;
        }));
        RatingService {
            base,
            store,
            _stop: stop,
            _dir: TempDir(dir),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn phone_vote_walked_with_send_kind_call_digits_4() {
    use crate::send::{args, send, stdout};
    let service = RatingService::start().await;
    let voice = format!("{}/voice", service.base);
    let from = "+14155550002";
    let out = send(
        TOKEN,
        args(&[
            &voice, "--kind", "call", "--digits", "4", "--from", from, "--to", NUMBER,
        ]),
    )
    .await;
    let text = stdout(&out);
    // Every step 2xx: the service verified each signature (it answers 403 otherwise).
    assert!(out.status.success(), "{text}");
    let webhook = text.find("(webhook)").expect(&text);
    let gather = text.find("/voice/rate (gather)").expect(&text);
    assert!(webhook < gather, "{text}");
    assert!(text.contains("keys 4"), "{text}");
    assert!(text.contains("is recorded"), "{text}");
    assert!(text.contains("hangup"), "{text}");
    let results = service
        .store
        .results("RUST25".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((results.count, results.average), (1, Some(4.0)));

    // A wrong token: the service refuses the first request and the flow fails.
    let out = send(
        "wrong-token",
        args(&[&voice, "--kind", "call", "--digits", "4"]),
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
}
