//! A real server on 127.0.0.1:0 and a client that signs like Twilio.

use std::sync::Arc;

use reqwest::StatusCode;
use sms_ratings::clock::Clock;
use sms_ratings::server::{App, Config};
use sms_ratings::service::Ratings;
use sms_ratings::store::{self, Options, Store};
use tokio::sync::oneshot;
use twilio_webhook::Key;

pub const TOKEN: &str = "test-auth-token-0123456789";
pub const ADMIN: (&str, &str) = ("organiser", "correct-horse-battery-staple");
pub const NUMBER: &str = "+15005550006";

pub struct TestServer {
    pub base: String,
    pub store: Arc<dyn Store>,
    pub ratings: Ratings,
    pub client: reqwest::Client,
    key: Key,
    stop: std::sync::Mutex<Option<oneshot::Sender<()>>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    pub async fn start(location: &str) -> Self {
        Self::start_with(location, Options::default()).await
    }

    pub async fn start_with(location: &str, options: Options) -> Self {
        Self::start_full(location, options, |c| c).await
    }

    pub async fn start_configured(
        location: &str,
        configure: impl FnOnce(Config) -> Config,
    ) -> Self {
        Self::start_full(location, Options::default(), configure).await
    }

    /// A server whose service goes by `clock` (vote windows a test opens and closes).
    pub async fn start_clocked(location: &str, clock: Clock) -> Self {
        Self::start_with_service(location, |r| r.with_clock(clock)).await
    }

    async fn start_full(
        location: &str,
        options: Options,
        configure: impl FnOnce(Config) -> Config,
    ) -> Self {
        Self::start_serving(location, options, configure, |r| r).await
    }

    /// A server whose rating service `service` adjusts (its clock, reply budget, Lookup).
    pub async fn start_with_service(
        location: &str,
        service: impl FnOnce(Ratings) -> Ratings,
    ) -> Self {
        Self::start_serving(location, Options::default(), |c| c, service).await
    }

    async fn start_serving(
        location: &str,
        options: Options,
        configure: impl FnOnce(Config) -> Config,
        service: impl FnOnce(Ratings) -> Ratings,
    ) -> Self {
        let store = store::open_with(location, options).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let config = configure(
            Config::new(TOKEN, &base)
                .unwrap()
                .admin(twilio_webhook::BasicAuth::new(ADMIN.0, ADMIN.1).unwrap()),
        );
        let ratings = service(Ratings::new(Arc::clone(&store)));
        let app = App::new(ratings.clone(), config);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(sms_ratings::server::run(listener, app, async {
            let _ = stopped.await;
        }));
        Self {
            base,
            store,
            ratings,
            client: crate::support::http_client(),
            key: Key::auth_token("test", TOKEN).unwrap(),
            stop: std::sync::Mutex::new(Some(stop)),
            task,
        }
    }

    /// Signs `params` for `POST /sms` exactly as Twilio would.
    pub fn sign(&self, params: &[(&str, &str)]) -> String {
        self.key
            .sign(&format!("{}/sms", self.base), params.iter().copied())
    }

    pub async fn post(
        &self,
        params: &[(&str, &str)],
        signature: &str,
        extra: &[(&str, &str)],
    ) -> reqwest::Response {
        let body = form(params);
        let mut request = self
            .client
            .post(format!("{}/sms", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", signature)
            .body(body);
        for (k, v) in extra {
            request = request.header(*k, *v);
        }
        request.send().await.unwrap()
    }

    /// A signed incoming SMS; returns the status and the TwiML message text.
    pub async fn sms(&self, sid: &str, from: &str, body: &str) -> (StatusCode, String) {
        self.sms_to(sid, from, NUMBER, body).await
    }

    pub async fn sms_to(
        &self,
        sid: &str,
        from: &str,
        to: &str,
        body: &str,
    ) -> (StatusCode, String) {
        let params = sms_params(sid, from, to, body);
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let response = self.post(&params, &self.sign(&params), &[]).await;
        let status = response.status();
        (status, message_text(&response.text().await.unwrap()))
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        let url = format!("{}{path}", self.base);
        self.client.get(url).send().await.unwrap()
    }

    pub async fn get_admin(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .basic_auth(ADMIN.0, Some(ADMIN.1))
            .send()
            .await
            .unwrap()
    }

    pub async fn results(&self, code: &str) -> serde_json::Value {
        let r = self.get_admin(&format!("/api/events/{code}/results")).await;
        assert_eq!(r.status(), 200);
        serde_json::from_str(&r.text().await.unwrap()).unwrap()
    }

    /// The raw figures of the results API (what the snapshot carries while the public sees
    /// raw figures): without the cleaned figures and flagged votes beside them.
    pub async fn raw_results(&self, code: &str) -> serde_json::Value {
        let mut results = self.results(code).await;
        if let Some(fields) = results.as_object_mut() {
            for key in ["cleaned", "public", "excluded", "flagged"] {
                fields.remove(key);
            }
        }
        results
    }

    pub async fn count(&self, code: &str) -> u64 {
        self.results(code).await["count"].as_u64().unwrap()
    }

    /// Starts a graceful shutdown; `stop` waits for it.
    pub fn signal_stop(&self) {
        if let Some(stop) = self.stop.lock().unwrap().take() {
            let _ = stop.send(());
        }
    }

    pub async fn stop(mut self) {
        self.signal_stop();
        (&mut self.task).await.unwrap().unwrap();
    }
}

pub fn sms_params(sid: &str, from: &str, to: &str, body: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AccountSid", "AC00000000000000000000000000000000".into()),
        ("ApiVersion", "2010-04-01".into()),
        ("Body", body.into()),
        ("From", from.into()),
        ("MessageSid", sid.into()),
        ("NumMedia", "0".into()),
        ("NumSegments", "1".into()),
        ("SmsMessageSid", sid.into()),
        ("SmsSid", sid.into()),
        ("SmsStatus", "received".into()),
        ("To", to.into()),
    ]
}

pub fn form(params: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}

/// The text inside `<Message>…</Message>`, unescaped ("" when there is none).
pub fn message_text(twiml: &str) -> String {
    let Some(start) = twiml.find("<Message>") else {
        return String::new();
    };
    let rest = &twiml[start + "<Message>".len()..];
    let end = rest.find("</Message>").unwrap_or(rest.len());
    rest[..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}
