//! A small TwiML app inside the test: fixed documents by path, every request recorded with
//! the library's verdict on its signature.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use twilio_webhook::Validator;

use crate::upstream::serve;

/// One request as the app saw it.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub(crate) method: Method,
    pub(crate) path: String,
    /// Form parameters (POST) or query parameters (GET), in order.
    pub(crate) params: Vec<(String, String)>,
    /// Whether `twilio_webhook::Validator` accepted its signature.
    pub(crate) signed: bool,
}

impl Hit {
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone)]
struct Shared {
    validator: Arc<Validator>,
    /// The public base the signature covers; `{host}` is the request's Host.
    base: String,
    routes: Arc<HashMap<String, String>>,
    hits: Arc<Mutex<Vec<Hit>>>,
}

/// A running app.
pub(crate) struct Bot {
    pub(crate) addr: SocketAddr,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Bot {
    /// Serves `routes` (path → TwiML; any other path answers an empty 200), checking
    /// signatures with `token` over `base` + the request target.
    pub(crate) async fn start(token: &str, base: &str, routes: &[(&str, &str)]) -> Bot {
        let hits = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            validator: Arc::new(Validator::from_token(token).unwrap()),
            base: base.to_owned(),
            routes: Arc::new(
                routes
                    .iter()
                    .map(|(p, b)| ((*p).to_owned(), (*b).to_owned()))
                    .collect(),
            ),
            hits: hits.clone(),
        };
        let addr = serve(Router::new().fallback(handle).with_state(shared)).await;
        Bot { addr, hits }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
}

async fn handle(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let url = format!("{}{uri}", shared.base.replace("{host}", host));
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok());
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let pairs = form.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let signed = shared
        .validator
        .validate_params(&url, pairs, signature)
        .is_ok();
    let params = if method == Method::GET {
        form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect()
    } else {
        form
    };
    shared.hits.lock().unwrap().push(Hit {
        method,
        path: uri.path().to_owned(),
        params,
        signed,
    });
    if !signed {
        return (StatusCode::FORBIDDEN, "invalid signature").into_response();
    }
    match shared.routes.get(uri.path()) {
        Some(twiml) => ([("content-type", "text/xml")], twiml.clone()).into_response(),
        None => StatusCode::OK.into_response(),
    }
}
