//! `batch`: JSON Lines in, one verdict per line out, in order.
//!
//! In: `{"id":…,"token":"…","url":"…","params":{"K":"V" or ["V",…]}}` or
//! `{"id":…,"token":"…","url":"…","body":"raw"}`, optionally `"signature"` and
//! `"algorithm":"HMAC_SHA1"|"HMAC_SHA256"`. Out: `{"id":…,"signature":"…","body_hash":"…"
//! (body lines only),"valid":bool (only when a signature was given)}`, or
//! `{"id":…,"error":"…"}` for a line that cannot be used; the run goes on. Fields it does
//! not know (a harness's `"note"`, `"expected"`, …) are ignored, so annotated cases run as
//! they are; a misspelt `"signature"` shows as a verdict without `"valid"`. A line without
//! `"token"` uses the token from `TWILIO_AUTH_TOKEN` or `--token-file`, so a case file need
//! not hold the secret.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use twilio_webhook::signature::body_sha256;
use twilio_webhook::{Algorithm, Key, KeySet, KeyStore, Validator};

use crate::params::{SECRETS_HELP, TokenSource, UsageError};
use crate::sign::body_url;

#[derive(Deserialize)]
struct Case {
    #[serde(default)]
    id: Value,
    token: Option<String>,
    url: String,
    params: Option<Map<String, Value>>,
    body: Option<String>,
    signature: Option<String>,
    algorithm: Option<String>,
}

#[derive(Serialize)]
struct LineResult {
    id: Value,
    signature: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    body_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid: Option<bool>,
}

#[derive(Serialize)]
struct LineError<'a> {
    id: Value,
    error: &'a str,
}

/// Arguments of `batch`.
#[derive(Debug, clap::Args)]
#[command(after_help = SECRETS_HELP)]
pub(crate) struct BatchArgs {
    /// The token for lines without `"token"`.
    #[command(flatten)]
    token: TokenSource,
}

/// `batch` over stdin and stdout.
pub(crate) fn main(args: &BatchArgs) -> Result<ExitCode, UsageError> {
    let token = args.token.read()?;
    run(
        std::io::stdin().lock(),
        std::io::stdout().lock(),
        token.as_deref(),
    )
}

/// Processes every line of `input`; each line's answer is written before the next is read.
/// Lines without a token use `default_token`.
pub(crate) fn run(
    input: impl BufRead,
    output: impl Write,
    default_token: Option<&str>,
) -> Result<ExitCode, UsageError> {
    let mut out = std::io::BufWriter::new(output);
    let mut keys = KeyCache::default();
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Case>(&line) {
            Ok(case) => match answer(&case, &mut keys, default_token) {
                Ok(verdict) => serde_json::to_writer(&mut out, &verdict),
                Err(error) => serde_json::to_writer(
                    &mut out,
                    &LineError {
                        id: case.id,
                        error: &error,
                    },
                ),
            },
            Err(err) => serde_json::to_writer(
                &mut out,
                &LineError {
                    id: id_of(&line),
                    error: &format!("invalid line: {err}"),
                },
            ),
        }
        .map_err(std::io::Error::from)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The `id` of a line that did not parse as a case, if it is JSON with one.
fn id_of(line: &str) -> Value {
    serde_json::from_str::<Map<String, Value>>(line)
        .ok()
        .and_then(|mut m| m.remove("id"))
        .unwrap_or(Value::Null)
}

fn answer(case: &Case, keys: &mut KeyCache, default: Option<&str>) -> Result<LineResult, String> {
    let algorithm = match case.algorithm.as_deref() {
        None => Algorithm::HmacSha1,
        Some(name) => Algorithm::from_settings_name(name)
            .ok_or("algorithm must be HMAC_SHA1 or HMAC_SHA256")?,
    };
    let token = case.token.as_deref().or(default).ok_or(
        "no token: give \"token\", or set TWILIO_AUTH_TOKEN or --token-file for every line",
    )?;
    let key = keys.get(token, algorithm)?;
    let validator = || Validator::new(KeyStore::single(KeySet::from(key.clone())));
    let verdict = match (&case.params, &case.body) {
        (Some(_), Some(_)) => return Err("give params or body, not both".into()),
        (_, Some(body)) => {
            let url = body_url(&case.url, body.as_bytes());
            LineResult {
                id: case.id.clone(),
                signature: key.sign_url(&url),
                body_hash: Some(body_sha256(body.as_bytes())),
                valid: case.signature.as_deref().map(|sig| {
                    validator()
                        .validate_body(&url, body.as_bytes(), Some(sig))
                        .is_ok()
                }),
            }
        }
        (params, None) => {
            let pairs = flatten(params.as_ref())?;
            let pairs = || pairs.iter().map(|(k, v)| (*k, *v));
            LineResult {
                id: case.id.clone(),
                signature: key.sign(&case.url, pairs()),
                body_hash: None,
                valid: case.signature.as_deref().map(|sig| {
                    validator()
                        .validate_params(&case.url, pairs(), Some(sig))
                        .is_ok()
                }),
            }
        }
    };
    Ok(verdict)
}

/// `{"K":"V","L":["a","b"]}` → `[(K,V),(L,a),(L,b)]`.
fn flatten(params: Option<&Map<String, Value>>) -> Result<Vec<(&str, &str)>, String> {
    let mut pairs = Vec::new();
    for (name, value) in params.into_iter().flatten() {
        match value {
            Value::String(v) => pairs.push((name.as_str(), v.as_str())),
            Value::Array(values) => {
                for v in values {
                    let v = v.as_str().ok_or_else(|| not_text(name))?;
                    pairs.push((name.as_str(), v));
                }
            }
            _ => return Err(not_text(name)),
        }
    }
    Ok(pairs)
}

fn not_text(name: &str) -> String {
    format!("params.{name}: values must be strings or arrays of strings")
}

/// The key of the previous line is reused when the token and algorithm repeat (the common
/// case), saving the HMAC key schedule.
#[derive(Default)]
struct KeyCache {
    last: Option<(String, Algorithm, Key)>,
}

impl KeyCache {
    fn get(&mut self, token: &str, algorithm: Algorithm) -> Result<Key, String> {
        if let Some((t, a, key)) = &self.last
            && t == token
            && *a == algorithm
        {
            return Ok(key.clone());
        }
        let secret = twilio_webhook::Secret::new(token).map_err(|e| format!("token: {e}"))?;
        let key = Key::new("token", &secret, algorithm);
        self.last = Some((token.to_owned(), algorithm, key.clone()));
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_lines(input: &str) -> Vec<Value> {
        let mut out = Vec::new();
        run(input.as_bytes(), &mut out, None).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn signs_validates_and_reports_errors_in_order() {
        let input = concat!(
            r#"{"id":1,"token":"12345","url":"https://mycompany.com/myapp.php?foo=1&bar=2","params":{"CallSid":"CA1234567890ABCDE","Caller":"+14158675309","Digits":"1234","From":"+14158675309","To":"+18005551212"},"signature":"RSOYDt4T1cUTdK1PDd93/VVr8B8="}"#,
            "\n",
            r#"{"id":"two","token":"12345","url":"https://mycompany.com/myapp.php?foo=1&bar=2","params":{"Digits":["5678","1234","1234"],"Sid":"CA123","SidAccount":"AC123"}}"#,
            "\n",
            "not json\n",
            r#"{"id":4,"token":"","url":"u"}"#,
            "\n",
            r#"{"id":5,"token":"12345","url":"https://mycompany.com/myapp.php?foo=1&bar=2","body":"{\"property\": \"value\", \"boolean\": true}","signature":"a9nBmqA0ju/hNViExpshrM61xv4="}"#,
            "\n",
        );
        let out = run_lines(input);
        assert_eq!(out.len(), 5);
        assert_eq!(out[0]["signature"], "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert_eq!(out[0]["valid"], true);
        assert_eq!(out[1]["id"], "two");
        assert_eq!(out[1]["signature"], "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
        assert!(out[1].get("valid").is_none());
        assert!(
            out[2]["error"]
                .as_str()
                .unwrap()
                .starts_with("invalid line")
        );
        assert_eq!(out[3]["id"], 4);
        assert!(out[3]["error"].as_str().unwrap().contains("empty"));
        assert_eq!(out[4]["signature"], "a9nBmqA0ju/hNViExpshrM61xv4=");
        assert_eq!(
            out[4]["body_hash"],
            "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
        );
        assert_eq!(out[4]["valid"], true);
    }

    #[test]
    fn sha256_and_wrong_signatures() {
        let input = concat!(
            r#"{"id":1,"token":"k","url":"https://e.com/","params":{},"algorithm":"HMAC_SHA256","signature":"nope"}"#,
            "\n",
            r#"{"id":2,"token":"k","url":"https://e.com/","algorithm":"MD5"}"#,
            "\n",
            r#"{"id":3,"token":"k","url":"https://e.com/","params":{"A":1}}"#,
            "\n",
        );
        let out = run_lines(input);
        assert_eq!(out[0]["valid"], false);
        assert_eq!(out[0]["signature"].as_str().unwrap().len(), 44);
        assert!(out[1]["error"].as_str().unwrap().contains("HMAC_SHA1"));
        assert!(out[2]["error"].as_str().unwrap().contains("params.A"));
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let input = concat!(
            r#"{"id":1,"note":"docs example","expected":{"valid":true},"token":"12345","url":"https://mycompany.com/myapp.php?foo=1&bar=2","params":{"CallSid":"CA1234567890ABCDE","Caller":"+14158675309","Digits":"1234","From":"+14158675309","To":"+18005551212"},"signature":"RSOYDt4T1cUTdK1PDd93/VVr8B8="}"#,
            "\n",
        );
        let out = run_lines(input);
        assert_eq!(out[0]["valid"], true, "{}", out[0]);
        assert!(out[0].get("note").is_none());
    }
}
