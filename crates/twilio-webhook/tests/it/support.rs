//! What every framework's tests share: the handler's behaviour, a server handle, signing.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::Notify;
use twilio_webhook::replay::MAX_STORED_BODY;
use twilio_webhook::signature::url_with_body_hash;
use twilio_webhook::webhook::BodyKind;
use twilio_webhook::{Key, PublicUrl, Validator, VerifiedWebhook, WebhookConfig};

pub const TOKEN: &str = "it-auth-token-0123456789abcdef";
pub const PUBLIC: &str = "https://example.com";

/// How a framework test starts a server for a config.
pub type Spawn = fn(WebhookConfig) -> Pin<Box<dyn Future<Output = Server> + Send>>;

/// What the handler saw: how often it ran; a gate that holds `Body=wait` requests.
#[derive(Clone, Default)]
pub struct Probe {
    pub calls: Arc<AtomicUsize>,
    pub gate: Arc<Notify>,
}

impl Probe {
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// The handler both frameworks run: echoes the verified pairs (or the JSON body) as
    /// TwiML. `Body=wait` waits for the gate; `Body=slow` takes 0.8 s; `Body=fail` answers
    /// 500; `Body=big`, a body too large for the replay store.
    pub async fn respond(&self, webhook: &VerifiedWebhook) -> (u16, String) {
        self.calls.fetch_add(1, Ordering::SeqCst);
        match webhook.get("Body") {
            Some("wait") => self.gate.notified().await,
            Some("fail") => return (500, "handler failed".into()),
            Some("slow") => tokio::time::sleep(Duration::from_millis(800)).await,
            Some("big") => return (200, "x".repeat(MAX_STORED_BODY + 1)),
            _ => {}
        }
        let text = match webhook.kind() {
            BodyKind::Raw => String::from_utf8_lossy(webhook.body()).into_owned(),
            _ => webhook
                .pairs()
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join(";"),
        };
        (
            200,
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>{text}</Message></Response>"
            ),
        )
    }
}

pub struct Server {
    pub addr: SocketAddr,
    pub probe: Probe,
}

pub struct Reply {
    pub status: u16,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn send(&self, call: Call) -> Reply {
        let client = crate::client::http_client();
        let method = reqwest::Method::from_bytes(call.method.as_bytes()).unwrap();
        let mut request = client.request(method, self.url(&call.path));
        for (name, value) in &call.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some(body) = call.body {
            request = request.body(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap();
        Reply {
            status,
            body,
            headers,
        }
    }

    /// Sends exact bytes (a request target reqwest would re-encode), returns the status.
    pub async fn send_raw(&self, request: &str) -> u16 {
        let mut stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response))
            .await
            .unwrap()
            .unwrap();
        let text = String::from_utf8_lossy(&response);
        text.split(' ').nth(1).unwrap().parse().unwrap()
    }

    /// Sends `call` over a fresh connection and hangs up once `until` resolves, without
    /// reading any answer: a client that gave up. `reset` closes abortively (RST, as a killed
    /// client or a timing-out proxy does), else with an orderly FIN.
    pub async fn hang_up(&self, call: &Call, until: impl Future<Output = ()>, reset: bool) {
        let mut stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        stream.write_all(&call.to_bytes()).await.unwrap();
        until.await;
        if reset {
            stream.set_zero_linger().unwrap();
        }
        drop(stream);
    }

    /// Waits (bounded) until the handler has run `n` times.
    pub async fn wait_for_calls(&self, n: usize) {
        for _ in 0..500 {
            if self.probe.calls() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("handler never reached {n} calls");
    }
}

/// One request to send.
#[derive(Clone, Debug)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl Call {
    /// A form POST of `pairs` to `path`, signed with `key` over `signed_url`.
    pub fn form_signed(key: &Key, signed_url: &str, path: &str, pairs: &[(&str, &str)]) -> Call {
        let body = form_body(pairs);
        Call {
            method: "POST".into(),
            path: path.into(),
            headers: vec![
                (
                    "content-type".into(),
                    "application/x-www-form-urlencoded; charset=UTF-8".into(),
                ),
                (
                    "x-twilio-signature".into(),
                    key.sign(signed_url, pairs.iter().copied()),
                ),
            ],
            body: Some(body.into_bytes()),
        }
    }

    /// A form POST to `path` signed with the test token over the public URL.
    pub fn form(path: &str, pairs: &[(&str, &str)]) -> Call {
        Call::form_signed(&token_key(), &format!("{PUBLIC}{path}"), path, pairs)
    }

    /// A GET of `path` (query included) signed over the public URL.
    pub fn get(path: &str) -> Call {
        Call {
            method: "GET".into(),
            path: path.into(),
            headers: vec![(
                "x-twilio-signature".into(),
                token_key().sign_url(&format!("{PUBLIC}{path}")),
            )],
            body: None,
        }
    }

    /// A JSON POST to `path`, with `bodySHA256` added to the query and the URL signed.
    pub fn json(path: &str, body: &str) -> Call {
        let signed = url_with_body_hash(&format!("{PUBLIC}{path}"), body.as_bytes());
        let path = signed.strip_prefix(PUBLIC).unwrap().to_owned();
        Call {
            method: "POST".into(),
            path,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("x-twilio-signature".into(), token_key().sign_url(&signed)),
            ],
            body: Some(body.as_bytes().to_vec()),
        }
    }

    pub fn method(mut self, method: &str) -> Call {
        self.method = method.into();
        self
    }

    pub fn path(mut self, path: &str) -> Call {
        self.path = path.into();
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Call {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn set_header(mut self, name: &str, value: &str) -> Call {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.header(name, value)
    }

    pub fn without_header(mut self, name: &str) -> Call {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Call {
        self.body = Some(body.into());
        self
    }

    /// The request as HTTP/1.1 bytes, with `Host` and `Content-Length`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let body = self.body.clone().unwrap_or_default();
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: 127.0.0.1\r\n",
            self.method, self.path
        );
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&body);
        bytes
    }

    pub fn signature(&self) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n == "x-twilio-signature")
            .map(|(_, v)| v.as_str())
            .unwrap()
    }
}

pub fn form_body(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

pub fn token_key() -> Key {
    Key::auth_token("primary", TOKEN).unwrap()
}

/// The default test config: the test token, the public base URL.
pub fn config() -> WebhookConfig {
    WebhookConfig::new(
        Validator::from_token(TOKEN).unwrap(),
        PublicUrl::base(PUBLIC).unwrap(),
    )
}

/// A typical inbound SMS.
pub const SMS: &[(&str, &str)] = &[
    ("AccountSid", "AC00000000000000000000000000000001"),
    ("MessageSid", "SM00000000000000000000000000000001"),
    ("From", "+15551230000"),
    ("To", "+15559870000"),
    ("Body", "4 stars & more"),
    ("Digits", "1234"),
];

/// What the `/typed` routes deserialize.
#[derive(serde::Deserialize)]
pub struct Sms {
    #[serde(rename = "Body")]
    pub body: String,
    #[serde(rename = "NumMedia")]
    pub num_media: u32,
}

/// The `/message` routes' answer: the library's own payload type as the extractor's `T`.
pub fn describe_message(
    message: &twilio_webhook::TwilioRequest<twilio_webhook::payload::IncomingMessage>,
) -> String {
    format!(
        "{} from {}: {}",
        message.message_sid, message.from, message.body
    )
}

/// The `/typed` routes' answer.
pub fn describe(sms: &twilio_webhook::TwilioRequest<Sms>) -> String {
    format!("{} {} {}", sms.body, sms.num_media, sms.pairs().len())
}

/// A response body that breaks while it is read.
#[cfg(feature = "tower")]
pub struct Broken;

#[cfg(feature = "tower")]
impl http_body::Body for Broken {
    type Data = bytes::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, std::io::Error>>> {
        std::task::Poll::Ready(Some(Err(std::io::Error::other("broken"))))
    }
}
