//! A [`ReplayGuard`] in Redis, so several proxy instances suppress each other's replays.
//!
//! One key per fingerprint (`PREFIX` + hex): the value `F` while the first request is in
//! flight (with a lease, so a crashed instance does not block Twilio's retry for long), then
//! `D` + the stored response for the TTL. `begin` is one Lua script, so of two instances
//! seeing the same request at once exactly one gets [`Begin::Fresh`]; `abort` is another, so
//! it deletes an in-flight mark and nothing else (a late abort from an instance whose lease
//! lapsed must not delete the answer another instance stored since, which would let the
//! next replay through).

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands as _, Script};
use twilio_webhook::ReplayGuard;
use twilio_webhook::replay::{Begin, BoxFuture, Fingerprint, ReplayError, StoredResponse};

/// Set the in-flight mark unless the key exists; else return what is there.
const BEGIN: &str = r"
if redis.call('SET', KEYS[1], 'F', 'NX', 'PX', ARGV[1]) then return false end
return redis.call('GET', KEYS[1])
";

/// Delete the key only while it holds the in-flight mark (compare-and-delete, atomically).
const ABORT: &str = r"
if redis.call('GET', KEYS[1]) == 'F' then return redis.call('DEL', KEYS[1]) end
return 0
";

/// A replay guard backed by Redis.
#[derive(Clone)]
pub struct RedisReplayGuard {
    connection: ConnectionManager,
    prefix: String,
    ttl: Duration,
    lease: Duration,
    begin: Script,
    abort: Script,
}

impl std::fmt::Debug for RedisReplayGuard {
    // The connection holds the URL, which may carry a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisReplayGuard")
            .field("prefix", &self.prefix)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl RedisReplayGuard {
    /// Connects to `url` (`redis://[:password@]host[:port][/db]`, or `rediss://` for TLS
    /// checked against the system's root certificates); keys start with `prefix` and
    /// completed entries live for `ttl`. In-flight marks lapse after 30 s.
    pub async fn connect(url: &str, prefix: &str, ttl: Duration) -> Result<Self, ReplayError> {
        RedisReplayGuard::connect_with_ca(url, prefix, ttl, None).await
    }

    /// As [`connect`](Self::connect), a `rediss://` server's certificate checked against
    /// `root_ca_pem` (a private CA) instead of the system's roots.
    pub async fn connect_with_ca(
        url: &str,
        prefix: &str,
        ttl: Duration,
        root_ca_pem: Option<Vec<u8>>,
    ) -> Result<Self, ReplayError> {
        let tls = url.starts_with("rediss://");
        if root_ca_pem.is_some() && !tls {
            return Err(ReplayError::Unavailable(
                "redis: a CA file needs a rediss:// URL".into(),
            ));
        }
        let client = if tls {
            // redis builds its rustls client from the process default: make it ring, as
            // every other TLS connection here.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let certificates = redis::TlsCertificates {
                client_tls: None,
                root_cert: root_ca_pem,
            };
            redis::Client::build_with_tls(url, certificates)
        } else {
            redis::Client::open(url)
        }
        .map_err(unavailable)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2);
        let connection = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(unavailable)?;
        Ok(RedisReplayGuard {
            connection,
            prefix: prefix.to_owned(),
            ttl,
            lease: Duration::from_secs(30),
            begin: Script::new(BEGIN),
            abort: Script::new(ABORT),
        })
    }

    fn key(&self, fp: &Fingerprint) -> String {
        format!("{}{}", self.prefix, fp.to_hex())
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// Redis errors can quote the command, never the URL's password; keep only the kind, and
/// for I/O errors (TLS included) the operating system's or rustls's reason.
fn unavailable(e: redis::RedisError) -> ReplayError {
    let reason = std::error::Error::source(&e)
        .filter(|_| e.kind() == redis::ErrorKind::Io)
        .map(|io| format!(" ({io})"))
        .unwrap_or_default();
    ReplayError::Unavailable(format!("redis: {:?}{reason}", e.kind()))
}

impl ReplayGuard for RedisReplayGuard {
    fn begin<'a>(&'a self, fp: &'a Fingerprint) -> BoxFuture<'a, Result<Begin, ReplayError>> {
        Box::pin(async move {
            let mut conn = self.connection.clone();
            let found: Option<Vec<u8>> = self
                .begin
                .key(self.key(fp))
                .arg(millis(self.lease))
                .invoke_async(&mut conn)
                .await
                .map_err(unavailable)?;
            match found {
                None => Ok(Begin::Fresh),
                Some(value) => decode(&value),
            }
        })
    }

    fn complete<'a>(
        &'a self,
        fp: &'a Fingerprint,
        response: StoredResponse,
    ) -> BoxFuture<'a, Result<(), ReplayError>> {
        Box::pin(async move {
            let mut conn = self.connection.clone();
            // Over the library's `MAX_STORED_BODY`, a 409 is kept instead (as in memory).
            let value = encode(&response.bounded());
            conn.pset_ex::<_, _, ()>(self.key(fp), value, millis(self.ttl))
                .await
                .map_err(unavailable)
        })
    }

    fn abort<'a>(&'a self, fp: &'a Fingerprint) -> BoxFuture<'a, Result<(), ReplayError>> {
        // Spawned, so the delete happens even when the caller drops this future after one
        // poll (a dropped ticket does exactly that).
        let mut conn = self.connection.clone();
        let (script, key) = (self.abort.clone(), self.key(fp));
        let task = tokio::spawn(async move {
            script
                .key(key)
                .invoke_async::<()>(&mut conn)
                .await
                .map_err(unavailable)
        });
        Box::pin(async move {
            task.await
                .unwrap_or_else(|e| Err(ReplayError::Unavailable(format!("abort task: {e}"))))
        })
    }
}

/// `D`, status (2 bytes), content-type length (2 bytes), content type, body.
fn encode(response: &StoredResponse) -> Vec<u8> {
    let content_type = response.content_type().unwrap_or_default().as_bytes();
    let content_type = &content_type[..content_type.len().min(usize::from(u16::MAX))];
    let body = response.body();
    let mut out = Vec::with_capacity(5 + content_type.len() + body.len());
    out.push(b'D');
    out.extend_from_slice(&response.status().to_be_bytes());
    out.extend_from_slice(&(content_type.len() as u16).to_be_bytes());
    out.extend_from_slice(content_type);
    out.extend_from_slice(body);
    out
}

fn decode(value: &[u8]) -> Result<Begin, ReplayError> {
    let corrupt = || ReplayError::Unavailable("redis: corrupt replay entry".into());
    match value {
        b"F" => Ok(Begin::InFlight),
        [b'D', s0, s1, l0, l1, rest @ ..] => {
            let len = usize::from(u16::from_be_bytes([*l0, *l1]));
            let (content_type, body) = rest.split_at_checked(len).ok_or_else(corrupt)?;
            let content_type = std::str::from_utf8(content_type).map_err(|_| corrupt())?;
            let content_type = (!content_type.is_empty()).then_some(content_type);
            let status = u16::from_be_bytes([*s0, *s1]);
            Ok(Begin::Done(StoredResponse::new(
                status,
                content_type,
                body.to_vec(),
            )))
        }
        _ => Err(corrupt()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use twilio_webhook::replay::MAX_STORED_BODY;

    #[test]
    fn stored_responses_round_trip() {
        let r = StoredResponse::new(200, Some("text/xml"), b"<Response/>".to_vec());
        assert_eq!(decode(&encode(&r)), Ok(Begin::Done(r)));
        let r = StoredResponse::new(204, None, vec![]);
        assert_eq!(decode(&encode(&r)), Ok(Begin::Done(r)));
        assert_eq!(decode(b"F"), Ok(Begin::InFlight));
        assert!(decode(b"D\x00").is_err());
        assert!(decode(b"D\x00\xc8\x00\x09text").is_err());
    }

    #[test]
    fn oversized_bodies_are_not_kept() {
        let r = StoredResponse::new(200, None, vec![b'x'; MAX_STORED_BODY + 1]);
        let Ok(Begin::Done(stored)) = decode(&encode(&r.bounded())) else {
            panic!("not decoded")
        };
        assert_eq!(stored, StoredResponse::not_kept());
    }
}
