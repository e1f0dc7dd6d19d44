//! A stand-in for Twilio's REST API on `127.0.0.1`, for tests (feature `test-server`).
//!
//! It answers the operations of the OpenAPI excerpts in `spec/` (numbers, Messaging Services,
//! Lookup) and the account fetch, from state the test seeds and then reads back. It refuses
//! what Twilio refuses: wrong credentials (401, code 20003), a path it does not know (404,
//! 20404), a method the path does not take (405, 20004), a parameter the operation does not
//! know or a value its schema does not allow (400, 20001). The route table and the known
//! parameters are read from the spec files, not written out here.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use twilio_api::test_server::{NumberRecord, TestServer};
//! use twilio_api::{Client, Credentials, Hosts};
//!
//! let account = "AC0123456789abcdef0123456789abcdef";
//! let server = TestServer::builder(account, "the-token")
//!     .number(NumberRecord::new("PN0123456789abcdef0123456789abcdef", "+15005550006"))
//!     .start()
//!     .await?;
//! let client = Client::new(Credentials::auth_token(account, "the-token")?, Hosts::with_base(&server.base_url())?)?;
//! let number = client.find_number("+15005550006").await?.expect("seeded");
//! assert_eq!(number.sid, "PN0123456789abcdef0123456789abcdef");
//!
//! let wrong = Client::new(Credentials::auth_token(account, "wrong")?, Hosts::with_base(&server.base_url())?)?;
//! let refused = wrong.account().await.unwrap_err();
//! assert_eq!(refused.twilio().and_then(|e| e.code), Some(20003));
//! # Ok(()) }
//! ```

mod spec;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use spec::{Operation, Route};

/// A number of the account, as the test server holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberRecord {
    /// `PN…`.
    pub sid: String,
    /// E.164.
    pub phone_number: String,
    /// The console name.
    pub friendly_name: String,
    /// `SmsUrl` (empty: none).
    pub sms_url: String,
    /// `SmsMethod`.
    pub sms_method: String,
    /// `VoiceUrl` (empty: none).
    pub voice_url: String,
    /// `VoiceMethod`.
    pub voice_method: String,
    /// `SmsApplicationSid` (empty: none).
    pub sms_application_sid: String,
    /// `VoiceApplicationSid` (empty: none).
    pub voice_application_sid: String,
}

impl NumberRecord {
    /// A number with no webhooks, methods POST, named after the number.
    pub fn new(sid: &str, phone_number: &str) -> Self {
        Self {
            sid: sid.into(),
            phone_number: phone_number.into(),
            friendly_name: phone_number.into(),
            sms_url: String::new(),
            sms_method: "POST".into(),
            voice_url: String::new(),
            voice_method: "POST".into(),
            sms_application_sid: String::new(),
            voice_application_sid: String::new(),
        }
    }

    /// With these SMS and voice URLs.
    #[must_use]
    pub fn urls(mut self, sms: &str, voice: &str) -> Self {
        self.sms_url = sms.into();
        self.voice_url = voice.into();
        self
    }
}

/// A Messaging Service, as the test server holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRecord {
    /// `MG…`.
    pub sid: String,
    /// The console name.
    pub friendly_name: String,
    /// `inbound_request_url` (empty: none).
    pub inbound_request_url: String,
    /// `use_inbound_webhook_on_number`.
    pub use_inbound_webhook_on_number: bool,
    /// The `PN…` SIDs of its numbers.
    pub numbers: Vec<String>,
}

/// What the test server holds and what it was asked.
#[derive(Debug, Default)]
struct Data {
    account_sid: String,
    auth_token: String,
    api_keys: Vec<(String, String)>,
    numbers: Vec<NumberRecord>,
    services: Vec<ServiceRecord>,
    line_types: BTreeMap<String, (String, String)>,
    log: Vec<String>,
}

/// Seeds a [`TestServer`].
#[derive(Debug)]
pub struct Builder {
    data: Data,
}

impl Builder {
    /// Also accept API key `key_sid` (`SK…`) with `secret`.
    #[must_use]
    pub fn api_key(mut self, key_sid: &str, secret: &str) -> Self {
        self.data.api_keys.push((key_sid.into(), secret.into()));
        self
    }

    /// A number of the account.
    #[must_use]
    pub fn number(mut self, number: NumberRecord) -> Self {
        self.data.numbers.push(number);
        self
    }

    /// A Messaging Service.
    #[must_use]
    pub fn service(mut self, service: ServiceRecord) -> Self {
        self.data.services.push(service);
        self
    }

    /// Lookup's answer for `e164`: its line type (`mobile`, `nonFixedVoip`, …) and carrier.
    #[must_use]
    pub fn line_type(mut self, e164: &str, line_type: &str, carrier: &str) -> Self {
        self.data
            .line_types
            .insert(e164.into(), (line_type.into(), carrier.into()));
        self
    }

    /// Binds `127.0.0.1:0` and serves until the [`TestServer`] is dropped.
    pub async fn start(self) -> std::io::Result<TestServer> {
        let routes = spec::routes().map_err(std::io::Error::other)?;
        let shared = Arc::new(Shared {
            routes,
            data: Mutex::new(self.data),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(TestServer { addr, shared, task })
    }
}

struct Shared {
    routes: Vec<Route>,
    data: Mutex<Data>,
}

impl Shared {
    fn data(&self) -> MutexGuard<'_, Data> {
        // A panic elsewhere in a test must not hide what the server holds.
        self.data.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running stand-in for Twilio's REST API; stops when dropped.
pub struct TestServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl TestServer {
    /// A server for account `account_sid` whose Auth Token is `auth_token`.
    pub fn builder(account_sid: &str, auth_token: &str) -> Builder {
        Builder {
            data: Data {
                account_sid: account_sid.into(),
                auth_token: auth_token.into(),
                ..Data::default()
            },
        }
    }

    /// `http://127.0.0.1:PORT`: the value for `TWILIO_API_BASE`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The number `e164` as the server now holds it.
    pub fn number(&self, e164: &str) -> Option<NumberRecord> {
        let data = self.shared.data();
        data.numbers
            .iter()
            .find(|n| n.phone_number == e164)
            .cloned()
    }

    /// The Service `sid` as the server now holds it.
    pub fn service(&self, sid: &str) -> Option<ServiceRecord> {
        let data = self.shared.data();
        data.services.iter().find(|s| s.sid == sid).cloned()
    }

    /// Every request so far, as `METHOD /path` (queries left out), in order.
    pub fn requests(&self) -> Vec<String> {
        self.shared.data().log.clone()
    }

    /// How many requests so far changed something (answered 2xx to a POST).
    pub fn writes(&self) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.starts_with("POST ") && r.ends_with(" 200"))
            .count()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Twilio's error body with its status.
fn error(status: StatusCode, code: u32, message: &str) -> Response {
    let body = json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status.as_u16(),
    });
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Basic realm=\"Twilio API\""),
        );
    }
    response
}

fn ok(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn handle(
    AxumState(shared): AxumState<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let response = answer(&shared, &method, &uri, &headers, &body);
    let line = format!("{method} {} {}", uri.path(), response.status().as_u16());
    shared.data().log.push(line);
    response
}

fn answer(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    if !authenticated(&shared.data(), headers) {
        return error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    let not_found = || {
        let message = format!("The requested resource {} was not found", uri.path());
        error(StatusCode::NOT_FOUND, 20404, &message)
    };
    let Some((route, path_params)) = shared
        .routes
        .iter()
        .find_map(|r| r.matches(uri.path()).map(|p| (r, p)))
    else {
        return not_found();
    };
    let Some(op) = route.methods.get(method.as_str()) else {
        return error(StatusCode::METHOD_NOT_ALLOWED, 20004, "Method not allowed");
    };
    let query: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let form: Vec<(String, String)> = if method == Method::POST {
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !body.is_empty() && !is_form {
            return error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                20001,
                "Content-Type must be application/x-www-form-urlencoded",
            );
        }
        form_urlencoded::parse(body).into_owned().collect()
    } else {
        Vec::new()
    };
    if let Err(message) = check_params(op, &path_params, &query, &form) {
        // A malformed path SID names no resource; an unknown or bad parameter is a 400.
        return match message {
            ParamError::Path => not_found(),
            ParamError::Bad(message) => error(StatusCode::BAD_REQUEST, 20001, &message),
        };
    }
    let mut data = shared.data();
    if path_params
        .get("AccountSid")
        .is_some_and(|sid| *sid != data.account_sid)
    {
        return not_found();
    }
    let request = Request {
        params: path_params,
        query,
        form,
    };
    operate(&mut data, &op.id, &request).unwrap_or_else(not_found)
}

fn authenticated(data: &Data, headers: &HeaderMap) -> bool {
    let Some((user, secret)) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|pair| {
            pair.split_once(':')
                .map(|(u, s)| (u.to_owned(), s.to_owned()))
        })
    else {
        return false;
    };
    let same = |a: &str, b: &str| bool::from(a.as_bytes().ct_eq(b.as_bytes()));
    (user == data.account_sid && same(&secret, &data.auth_token))
        || data
            .api_keys
            .iter()
            .any(|(key, key_secret)| user == *key && same(&secret, key_secret))
}

enum ParamError {
    Path,
    Bad(String),
}

fn check_params(
    op: &Operation,
    path: &BTreeMap<String, String>,
    query: &[(String, String)],
    form: &[(String, String)],
) -> Result<(), ParamError> {
    for (name, value) in path {
        if op
            .path_params
            .get(name)
            .is_some_and(|rule| !rule.accepts(value))
        {
            return Err(ParamError::Path);
        }
    }
    for (pairs, known) in [(query, &op.query), (form, &op.form)] {
        let unknown: Vec<&str> = pairs
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| !known.contains_key(*n))
            .collect();
        if !unknown.is_empty() {
            return Err(ParamError::Bad(format!(
                "Unknown parameters: {}",
                unknown.join(", ")
            )));
        }
        for (name, value) in pairs {
            if known.get(name).is_some_and(|rule| !rule.accepts(value)) {
                return Err(ParamError::Bad(format!(
                    "Invalid parameter {name}: {value:?}"
                )));
            }
        }
    }
    Ok(())
}

/// A request that passed the checks.
struct Request {
    params: BTreeMap<String, String>,
    query: Vec<(String, String)>,
    form: Vec<(String, String)>,
}

impl Request {
    fn param(&self, name: &str) -> &str {
        self.params.get(name).map_or("", String::as_str)
    }

    fn query(&self, name: &str) -> Option<&str> {
        pick(&self.query, name)
    }

    fn form(&self, name: &str) -> Option<&str> {
        pick(&self.form, name)
    }
}

fn pick<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The operation's answer, or `None` for a resource that does not exist (404).
fn operate(data: &mut Data, op: &str, req: &Request) -> Option<Response> {
    let account = data.account_sid.clone();
    Some(match op {
        "api.FetchAccount" => {
            if req.param("Sid") != account {
                return None;
            }
            ok(
                StatusCode::OK,
                &json!({"sid": account, "friendly_name": "Test account", "status": "active",
                        "type": "Full", "uri": format!("/2010-04-01/Accounts/{account}.json")}),
            )
        }
        "api.ListIncomingPhoneNumber" => list_numbers(data, req),
        "api.FetchIncomingPhoneNumber" => {
            let n = data.numbers.iter().find(|n| n.sid == req.param("Sid"))?;
            ok(StatusCode::OK, &number_json(&account, n))
        }
        "api.UpdateIncomingPhoneNumber" => {
            let n = data
                .numbers
                .iter_mut()
                .find(|n| n.sid == req.param("Sid"))?;
            for (field, name) in [
                (&mut n.sms_url, "SmsUrl"),
                (&mut n.sms_method, "SmsMethod"),
                (&mut n.voice_url, "VoiceUrl"),
                (&mut n.voice_method, "VoiceMethod"),
                (&mut n.sms_application_sid, "SmsApplicationSid"),
                (&mut n.voice_application_sid, "VoiceApplicationSid"),
                (&mut n.friendly_name, "FriendlyName"),
            ] {
                if let Some(value) = req.form(name) {
                    value.clone_into(field);
                }
            }
            ok(StatusCode::OK, &number_json(&account, n))
        }
        "messaging.ListService" => {
            let all: Vec<Value> = data
                .services
                .iter()
                .map(|s| service_json(&account, s))
                .collect();
            page(req, "/v1/Services", "services", all)
        }
        "messaging.FetchService" => {
            let s = data.services.iter().find(|s| s.sid == req.param("Sid"))?;
            ok(StatusCode::OK, &service_json(&account, s))
        }
        "messaging.UpdateService" => {
            let s = data
                .services
                .iter_mut()
                .find(|s| s.sid == req.param("Sid"))?;
            if let Some(v) = req.form("FriendlyName") {
                v.clone_into(&mut s.friendly_name);
            }
            if let Some(v) = req.form("InboundRequestUrl") {
                v.clone_into(&mut s.inbound_request_url);
            }
            if let Some(v) = req.form("UseInboundWebhookOnNumber") {
                s.use_inbound_webhook_on_number = v == "true";
            }
            ok(StatusCode::OK, &service_json(&account, s))
        }
        "messaging.ListPhoneNumber" => {
            let sid = req.param("ServiceSid");
            let s = data.services.iter().find(|s| s.sid == sid)?;
            let all: Vec<Value> = s
                .numbers
                .iter()
                .filter_map(|pn| data.numbers.iter().find(|n| n.sid == *pn))
                .map(|n| {
                    json!({"sid": n.sid, "account_sid": account, "service_sid": sid,
                           "phone_number": n.phone_number, "country_code": "US",
                           "capabilities": ["SMS", "Voice"],
                           "url": format!("https://messaging.twilio.com/v1/Services/{sid}/PhoneNumbers/{}", n.sid)})
                })
                .collect();
            page(
                req,
                &format!("/v1/Services/{sid}/PhoneNumbers"),
                "phone_numbers",
                all,
            )
        }
        "lookups.FetchPhoneNumber" => lookup(data, req),
        _ => error(
            StatusCode::NOT_IMPLEMENTED,
            20001,
            "The test server does not answer this operation",
        ),
    })
}

fn number_json(account: &str, n: &NumberRecord) -> Value {
    let or_null = |v: &str| {
        if v.is_empty() {
            Value::Null
        } else {
            Value::from(v)
        }
    };
    json!({
        "account_sid": account,
        "api_version": "2010-04-01",
        "capabilities": {"voice": true, "sms": true, "mms": true, "fax": false},
        "friendly_name": n.friendly_name,
        "phone_number": n.phone_number,
        "sid": n.sid,
        "sms_application_sid": n.sms_application_sid,
        "sms_method": n.sms_method,
        "sms_url": n.sms_url,
        "sms_fallback_method": "POST",
        "sms_fallback_url": "",
        "status_callback": "",
        "status_callback_method": "POST",
        "trunk_sid": Value::Null,
        "voice_application_sid": or_null(&n.voice_application_sid),
        "voice_caller_id_lookup": false,
        "voice_fallback_method": "POST",
        "voice_fallback_url": Value::Null,
        "voice_method": n.voice_method,
        "voice_url": or_null(&n.voice_url),
        "status": "in-use",
        "uri": format!("/2010-04-01/Accounts/{account}/IncomingPhoneNumbers/{}.json", n.sid),
    })
}

fn service_json(account: &str, s: &ServiceRecord) -> Value {
    let inbound = if s.inbound_request_url.is_empty() {
        Value::Null
    } else {
        Value::from(s.inbound_request_url.as_str())
    };
    json!({
        "sid": s.sid,
        "account_sid": account,
        "friendly_name": s.friendly_name,
        "inbound_request_url": inbound,
        "inbound_method": "POST",
        "use_inbound_webhook_on_number": s.use_inbound_webhook_on_number,
        "url": format!("https://messaging.twilio.com/v1/Services/{}", s.sid),
    })
}

/// `PageSize` (default 50) and `Page` of a list.
fn page_window(req: &Request) -> (usize, usize) {
    let size = req
        .query("PageSize")
        .and_then(|v| v.parse().ok())
        .filter(|s| (1..=1000).contains(s))
        .unwrap_or(50);
    let page = req.query("Page").and_then(|v| v.parse().ok()).unwrap_or(0);
    (size, page)
}

/// The requested page of `all`, whether more follow, the page size and number.
fn window(req: &Request, all: Vec<Value>) -> (Vec<Value>, bool, usize, usize) {
    let (size, number) = page_window(req);
    let more = all.len() > (number + 1) * size;
    let items = all.into_iter().skip(number * size).take(size).collect();
    (items, more, size, number)
}

/// A page of a v1 list: `{key: [...], meta: {...}}` with absolute links on Twilio's host,
/// as Twilio gives them (the client must re-point them at `TWILIO_API_BASE`).
fn page(req: &Request, path: &str, key: &str, all: Vec<Value>) -> Response {
    let (items, more, size, number) = window(req, all);
    let link = |p: usize| format!("https://messaging.twilio.com{path}?PageSize={size}&Page={p}");
    let next = if more {
        Value::from(link(number + 1))
    } else {
        Value::Null
    };
    let body = json!({
        key: items,
        "meta": {"first_page_url": link(0), "key": key, "next_page_url": next,
                 "page": number, "page_size": size, "previous_page_url": Value::Null,
                 "url": link(number)},
    });
    ok(StatusCode::OK, &body)
}

fn list_numbers(data: &Data, req: &Request) -> Response {
    let account = &data.account_sid;
    let filter = req.query("PhoneNumber").unwrap_or("");
    let all: Vec<Value> = data
        .numbers
        .iter()
        .filter(|n| phone_matches(filter, &n.phone_number))
        .map(|n| number_json(account, n))
        .collect();
    let (items, more, size, number) = window(req, all);
    let base = format!("/2010-04-01/Accounts/{account}/IncomingPhoneNumbers.json");
    let filter_q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("PhoneNumber", filter)
        .finish();
    let link = |p: usize| format!("{base}?{filter_q}&PageSize={size}&Page={p}");
    let body = json!({
        "incoming_phone_numbers": items,
        "first_page_uri": link(0),
        "next_page_uri": if more { Value::from(link(number + 1)) } else { Value::Null },
        "previous_page_uri": Value::Null,
        "page": number,
        "page_size": size,
        "start": number * size,
        "end": number * size,
        "uri": link(number),
    });
    ok(StatusCode::OK, &body)
}

/// Twilio's `PhoneNumber` filter: a part of the number, `*` standing for any one digit.
fn phone_matches(filter: &str, number: &str) -> bool {
    let filter = filter.as_bytes();
    let number = number.as_bytes();
    filter.is_empty()
        || number.windows(filter.len()).any(|w| {
            w.iter()
                .zip(filter)
                .all(|(n, f)| n == f || (*f == b'*' && n.is_ascii_digit()))
        })
}

fn lookup(data: &Data, req: &Request) -> Response {
    let number = req.param("PhoneNumber");
    let digits = number.strip_prefix('+').unwrap_or("");
    let valid = (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    let fields = req.query("Fields").unwrap_or("");
    let wants_line_type = fields
        .split(',')
        .any(|f| f.trim() == "line_type_intelligence");
    let line_type = match data.line_types.get(number) {
        Some((kind, carrier)) if valid && wants_line_type => json!({
            "type": kind, "carrier_name": carrier, "error_code": Value::Null,
            "mobile_country_code": "310", "mobile_network_code": "456"}),
        None if valid && wants_line_type => json!({
            "type": Value::Null, "carrier_name": Value::Null, "error_code": 60600,
            "mobile_country_code": Value::Null, "mobile_network_code": Value::Null}),
        _ => Value::Null,
    };
    let body = json!({
        "calling_country_code": if valid { Value::from("1") } else { Value::Null },
        "country_code": if valid { Value::from("US") } else { Value::Null },
        "phone_number": number,
        "national_format": Value::Null,
        "valid": valid,
        "validation_errors": if valid { Value::Null } else { json!(["NOT_A_NUMBER"]) },
        "caller_name": Value::Null, "sim_swap": Value::Null, "call_forwarding": Value::Null,
        "line_status": Value::Null, "line_type_intelligence": line_type,
        "identity_match": Value::Null, "reassigned_number": Value::Null,
        "sms_pumping_risk": Value::Null, "phone_number_quality_score": Value::Null,
        "pre_fill": Value::Null,
        "url": format!("https://lookups.twilio.com/v2/PhoneNumbers/{number}"),
    });
    ok(StatusCode::OK, &body)
}
