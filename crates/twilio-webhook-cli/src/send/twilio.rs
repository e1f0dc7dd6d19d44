//! One request as Twilio builds it: URL, form or JSON body, signature and headers.

use bytes::Bytes;
use clap::ValueEnum;
use twilio_webhook::Key;
use twilio_webhook::signature::url_with_body_hash;

use super::fake::Scenario;

/// The HTTP method Twilio is configured to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Method {
    /// Parameters in a form body (Twilio's default).
    #[value(name = "POST")]
    Post,
    /// Parameters in the query string; the signature then covers the URL alone.
    #[value(name = "GET")]
    Get,
}

impl Method {
    /// The method's name on the wire.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Method::Post => "POST",
            Method::Get => "GET",
        }
    }
}

/// Basic-auth credentials, sent only after a `401` challenge (as Twilio does).
#[derive(Clone)]
pub(crate) struct Credentials {
    pub(crate) user: String,
    pub(crate) password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}:[redacted])", self.user)
    }
}

/// The key that signs and, for a Webhook Shared Key, the settings header naming it.
#[derive(Debug, Clone)]
pub(crate) struct Signer {
    /// The signing key.
    pub(crate) key: Key,
    /// The `X-Twilio-Webhooks-Signature-Settings` value, when signing with a shared key.
    pub(crate) settings: Option<String>,
}

/// What a request carries.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Payload<'a> {
    /// Form parameters: in the body (POST) or the query string (GET).
    Form(&'a [(String, String)]),
    /// A raw JSON body: no form parameters, `bodySHA256` in the URL.
    Json(&'a Bytes),
}

/// One request to sign: where it goes and the URL Twilio would have signed for it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unsigned<'a> {
    /// How parameters travel.
    pub(crate) method: Method,
    /// Where the request goes: no userinfo, no fragment.
    pub(crate) url: &'a str,
    /// The URL as Twilio knows it, which is what gets signed (userinfo included).
    pub(crate) signed_url: &'a str,
    /// The parameters or body.
    pub(crate) payload: Payload<'a>,
}

impl Signer {
    /// `request` signed as Twilio signs it, with the headers Twilio sends and idempotency
    /// token `token`.
    pub(crate) fn prepare(&self, request: Unsigned<'_>, token: String) -> Prepared {
        let Unsigned {
            method,
            url,
            signed_url,
            payload,
        } = request;
        let (url, body, content_type, signature) = match (payload, method) {
            (Payload::Json(json), _) => {
                let sig = self.key.sign_url(&url_with_body_hash(signed_url, json));
                let url = url_with_body_hash(url, json);
                (url, json.clone(), "application/json; charset=utf-8", sig)
            }
            (Payload::Form(params), Method::Post) => {
                let sig = self.key.sign(signed_url, pairs(params));
                let body = Bytes::from(encode(params));
                let ct = "application/x-www-form-urlencoded; charset=UTF-8";
                (url.to_owned(), body, ct, sig)
            }
            (Payload::Form(params), Method::Get) => {
                let query = encode(params);
                let sig = self.key.sign_url(&append_query(signed_url, &query));
                (append_query(url, &query), Bytes::new(), "", sig)
            }
        };
        let mut headers = vec![
            ("x-twilio-signature", signature),
            ("i-twilio-idempotency-token", token),
            ("user-agent", "TwilioProxy/1.1".to_owned()),
            ("accept", "*/*".to_owned()),
            ("x-home-region", "us1".to_owned()),
        ];
        if !content_type.is_empty() {
            headers.push(("content-type", content_type.to_owned()));
        }
        if let Some(settings) = &self.settings {
            headers.push(("x-twilio-webhooks-signature-settings", settings.clone()));
        }
        Prepared {
            method,
            url,
            headers,
            body,
        }
    }
}

/// Everything that stays the same from one request to the next.
#[derive(Debug)]
pub(crate) struct Target {
    /// How parameters travel.
    pub(crate) method: Method,
    /// Where requests go: no userinfo, no fragment.
    pub(crate) url: String,
    /// The URL as Twilio knows it, which is what gets signed (userinfo included).
    pub(crate) signed_url: String,
    /// The signing key and settings header.
    pub(crate) signer: Signer,
    /// The request contents.
    pub(crate) scenario: Scenario,
    /// A raw JSON body: no form parameters, `bodySHA256` in the URL.
    pub(crate) json_body: Option<Bytes>,
    /// Basic-auth credentials for a `401` challenge.
    pub(crate) credentials: Option<Credentials>,
}

/// A request ready to send.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    /// The method.
    pub(crate) method: Method,
    /// The URL to request.
    pub(crate) url: String,
    /// The header values Twilio sends.
    pub(crate) headers: Vec<(&'static str, String)>,
    /// The body bytes (empty for GET).
    pub(crate) body: Bytes,
}

impl Target {
    /// The request for message/call SID digits `sid` with idempotency token `token`.
    pub(crate) fn prepare(&self, sid: &str, token: String) -> Prepared {
        let params;
        let payload = match &self.json_body {
            Some(json) => Payload::Json(json),
            None => {
                params = self.scenario.params(sid);
                Payload::Form(&params)
            }
        };
        self.signer.prepare(self.unsigned(payload), token)
    }

    /// A request to this target's URL with `payload`.
    pub(crate) fn unsigned<'a>(&'a self, payload: Payload<'a>) -> Unsigned<'a> {
        Unsigned {
            method: self.method,
            url: &self.url,
            signed_url: &self.signed_url,
            payload,
        }
    }
}

fn pairs(params: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    params.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

/// `application/x-www-form-urlencoded`, in the given order.
fn encode(params: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs(params))
        .finish()
}

/// `url` with `query` appended after its existing query, if any.
fn append_query(url: &str, query: &str) -> String {
    if query.is_empty() {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&{query}")
    } else {
        format!("{url}?{query}")
    }
}

/// `url` without its fragment: fragments (Twilio's connection overrides) never go on the wire.
pub(crate) fn without_fragment(url: &str) -> &str {
    url.split_once('#').map_or(url, |(before, _)| before)
}

/// Splits `scheme://user:pass@host…` into the URL without userinfo and the credentials.
pub(crate) fn split_userinfo(url: &str) -> (String, Option<Credentials>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            let creds = Credentials {
                user: decode(user),
                password: decode(password),
            };
            (format!("{scheme}://{host}{tail}"), Some(creds))
        }
        None => (url.to_owned(), None),
    }
}

/// `url` with `user:password@` in its authority, as the URL Twilio signs when the console
/// URL carries credentials. A URL that already has userinfo is kept as it is.
pub(crate) fn with_userinfo(url: &str, creds: &Credentials) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) if split_userinfo(url).1.is_none() => {
            format!("{scheme}://{}:{}@{rest}", creds.user, creds.password)
        }
        _ => url.to_owned(),
    }
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::send::fake::Kind;
    use twilio_webhook::Validator;

    fn target(method: Method, json: Option<&[u8]>) -> Target {
        Target {
            method,
            url: "http://127.0.0.1:1/sms?x=1".into(),
            signed_url: "https://example.com/sms?x=1".into(),
            signer: Signer {
                key: Key::auth_token("primary", "12345").unwrap(),
                settings: None,
            },
            scenario: Scenario {
                kind: Kind::Sms,
                from: "+14155550100".into(),
                to: "+14155550199".into(),
                body: Some("Hi there & more".into()),
                media: vec![],
                account_sid: "AC1".into(),
                overrides: vec![],
                recorded: None,
            },
            json_body: json.map(Bytes::copy_from_slice),
            credentials: None,
        }
    }

    fn header<'a>(p: &'a Prepared, name: &str) -> &'a str {
        &p.headers.iter().find(|(n, _)| *n == name).unwrap().1
    }

    #[test]
    fn form_request_verifies_against_the_signed_url() {
        let p = target(Method::Post, None).prepare("ab", "tok".into());
        let params: Vec<(String, String)> = form_urlencoded::parse(&p.body).into_owned().collect();
        let v = Validator::from_token("12345").unwrap();
        let sig = Some(header(&p, "x-twilio-signature"));
        v.validate_params("https://example.com/sms?x=1", pairs(&params), sig)
            .unwrap();
        assert!(header(&p, "content-type").starts_with("application/x-www-form-urlencoded"));
        assert_eq!(header(&p, "user-agent"), "TwilioProxy/1.1");
        assert_eq!(p.url, "http://127.0.0.1:1/sms?x=1");
    }

    #[test]
    fn get_and_json_requests_verify() {
        let v = Validator::from_token("12345").unwrap();
        let p = target(Method::Get, None).prepare("ab", "tok".into());
        assert!(p.body.is_empty());
        let query = p.url.split_once('?').unwrap().1;
        let signed = format!("https://example.com/sms?{query}");
        v.validate_params(&signed, [], Some(header(&p, "x-twilio-signature")))
            .unwrap();

        let p = target(Method::Post, Some(b"{\"a\":1}")).prepare("ab", "tok".into());
        let query = p.url.split_once('?').unwrap().1;
        let signed = format!("https://example.com/sms?{query}");
        v.validate_body(&signed, &p.body, Some(header(&p, "x-twilio-signature")))
            .unwrap();
    }

    #[test]
    fn userinfo_is_split_and_restored() {
        let (url, creds) = split_userinfo("https://tw%40x:p%3Ass@host.test:8443/a?b#rt=100");
        let creds = creds.unwrap();
        assert_eq!(url, "https://host.test:8443/a?b#rt=100");
        assert_eq!(
            (creds.user.as_str(), creds.password.as_str()),
            ("tw@x", "p:ss")
        );
        assert!(!format!("{creds:?}").contains("p:ss"));
        assert_eq!(split_userinfo("http://h/p@q").1.map(|c| c.user), None);
        let plain = Credentials {
            user: "u".into(),
            password: "p".into(),
        };
        assert_eq!(with_userinfo("https://h/x", &plain), "https://u:p@h/x");
        assert_eq!(with_userinfo("https://a:b@h/x", &plain), "https://a:b@h/x");
        assert_eq!(without_fragment("https://h/x?y#rt=1"), "https://h/x?y");
    }
}
