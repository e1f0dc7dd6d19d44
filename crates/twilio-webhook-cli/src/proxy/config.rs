//! Flags (each with an environment fallback), token sources, the routes file (module
//! [`file`](mod@file)) and the [`Config`] they make.
//!
//! Secrets never come from the command line, where other users of the machine can read
//! them: Auth Tokens from `TWILIO_AUTH_TOKEN` / `TWILIO_AUTH_TOKEN_SECONDARY` or a token
//! file, basic-auth credentials from `TWILIO_PROXY_BASIC_AUTH` or a file.

pub mod file;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use twilio_webhook::keys::{self, KeySource, TokenFileError};
use twilio_webhook::replay::ReplayError;
use twilio_webhook::{
    BasicAuth, CredentialsError, KeyStore, MemoryReplayGuard, ReplayGuard, TrustedProxies,
    Validator, WebhookConfig,
};

use twilio_guard_serve::{LimitsArgs, tls};

use super::{Config, ProxyError, Public, Resigner, Route};
use crate::replay_redis::RedisReplayGuard;
use file::{RouteEntry, RoutesFile};

const SECRETS_HELP: &str = "\
Secrets (never on the command line):
  TWILIO_AUTH_TOKEN            Auth Token, key slot \"primary\"
  TWILIO_AUTH_TOKEN_SECONDARY  a second token during rotation, key slot \"secondary\"
  --token-file FILE            lines \"TOKEN\", \"SLOT TOKEN\" or \"ACCOUNT_SID SLOT TOKEN\"
                               (# starts a comment); with account SIDs, each request is
                               checked only against its AccountSid's tokens. A route with a
                               token file takes its keys from it alone: TWILIO_AUTH_TOKEN*
                               count only where there is no file (or env_tokens = true)
  TWILIO_PROXY_BASIC_AUTH      USER:PASS to require basic auth (or --basic-auth-file)
  --resign-secret-file FILE    Standard Webhooks secret (whsec_...) for the hop behind us
  --replay-store rediss://...  a Redis password belongs in the URL: prefer the environment
                               variable TWILIO_PROXY_REPLAY_STORE to the flag (ps shows flags)
Files and environment variables keep secrets out of `ps`; no flag takes a secret itself.
The upstream receives X-Twilio-Verified: <slot> naming the key that matched, and
X-Forwarded-For/-Proto/-Host and Forwarded written by the proxy (client-sent ones removed).

Routes: --config FILE (TOML) gives several routes, each with its own upstream, methods,
body limit, basic auth, replay guard, key kind, token file and re-signing secret:
  [[route]]
  prefix = \"/voice/gather\"
  upstream = \"http://127.0.0.1:4000\"
  replay_guard = false
Keys a route leaves out take the flag's value; unknown keys are an error naming the line.
SIGHUP reloads every token file (the log says how many keys, never which).";

/// Arguments of `proxy`.
#[derive(Debug, Args)]
#[command(after_help = SECRETS_HELP)]
pub struct ProxyArgs {
    /// Address to listen on.
    #[arg(
        help_heading = "Listening",
        long,
        env = "TWILIO_PROXY_LISTEN",
        hide_env_values = true,
        default_value = "127.0.0.1:8080"
    )]
    pub listen: SocketAddr,
    /// Where verified requests go: `http://host[:port][/prefix]`; the request path and query
    /// are appended unchanged. Not with --config (each route names its upstream).
    #[arg(
        help_heading = "Forwarding",
        long,
        env = "TWILIO_PROXY_UPSTREAM",
        hide_env_values = true,
        required_unless_present = "config",
        conflicts_with = "config"
    )]
    pub upstream: Option<String>,
    /// Routes file (TOML, see below): several routes by path prefix.
    #[arg(
        long,
        help_heading = "Forwarding",
        env = "TWILIO_PROXY_CONFIG",
        hide_env_values = true
    )]
    pub config: Option<PathBuf>,
    /// File holding a Standard Webhooks secret (`whsec_<base64>`): re-sign every forwarded
    /// request (`webhook-id`, `webhook-timestamp`, `webhook-signature`) so the upstream can
    /// verify the hop behind the proxy.
    #[arg(
        long,
        help_heading = "Forwarding",
        env = "TWILIO_PROXY_RESIGN_SECRET_FILE",
        hide_env_values = true
    )]
    pub resign_secret_file: Option<PathBuf>,
    /// The public base URL Twilio calls (scheme, host, port, optional path prefix), e.g.
    /// `https://hooks.example.com`. Required unless --trusted-proxy is given; then the URL
    /// comes from those proxies' Forwarded / X-Forwarded-Proto/-Host and requests from any
    /// other peer are refused (never from the client's Host alone).
    #[arg(
        long,
        help_heading = "Public URL",
        env = "TWILIO_PROXY_PUBLIC_URL",
        hide_env_values = true
    )]
    pub public_url: Option<String>,
    /// A proxy or load balancer in front (IP or CIDR) whose Forwarded / X-Forwarded-*
    /// headers are believed; repeat or comma-separate. Other clients' forwarding headers are
    /// removed before forwarding.
    #[arg(
        help_heading = "Public URL",
        long = "trusted-proxy",
        env = "TWILIO_PROXY_TRUSTED_PROXIES",
        hide_env_values = true,
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<String>,
    /// File of Auth Tokens (see below): a route with it takes its keys from it alone, not from
    /// TWILIO_AUTH_TOKEN* (unless its routes-file entry sets `env_tokens = true`).
    #[arg(
        long,
        help_heading = "Verification",
        env = "TWILIO_PROXY_TOKEN_FILE",
        hide_env_values = true
    )]
    pub token_file: Option<PathBuf>,
    /// What the token file holds: Auth Tokens (HMAC-SHA1) or Webhook Shared Keys.
    #[arg(
        help_heading = "Verification",
        long,
        env = "TWILIO_PROXY_KEY_KIND",
        hide_env_values = true,
        value_enum,
        default_value = "auth-token"
    )]
    pub key_kind: KeyKind,
    /// File holding USER:PASS: require basic auth (401 challenge first, as Twilio expects).
    #[arg(
        long,
        help_heading = "Verification",
        env = "TWILIO_PROXY_BASIC_AUTH_FILE",
        hide_env_values = true
    )]
    pub basic_auth_file: Option<PathBuf>,
    /// Largest body accepted, in bytes (413 above).
    #[arg(long, help_heading = "Verification", env = "TWILIO_PROXY_BODY_LIMIT", hide_env_values = true, default_value_t = twilio_webhook::DEFAULT_BODY_LIMIT)]
    pub body_limit: usize,
    /// Methods accepted (405 for others); comma-separated.
    #[arg(
        help_heading = "Verification",
        long,
        env = "TWILIO_PROXY_METHODS",
        hide_env_values = true,
        value_delimiter = ',',
        default_value = "POST"
    )]
    pub methods: Vec<String>,
    /// Replay store: "memory" (this process), "redis://host:6379/" or "rediss://…" (TLS;
    /// shared by every instance), or "off" (only for `<Gather>`/`<Record>`/`<Dial>` action
    /// URLs, which Twilio may legitimately repeat byte for byte). A URL with a password:
    /// give it in the environment variable, not as a flag (`ps` shows flags).
    #[arg(
        help_heading = "Replay protection",
        long,
        env = "TWILIO_PROXY_REPLAY_STORE",
        default_value = "memory",
        hide_env_values = true
    )]
    pub replay_store: String,
    /// How long a handled request is remembered (e.g. 1h, 900s).
    #[arg(long, help_heading = "Replay protection", env = "TWILIO_PROXY_REPLAY_TTL", hide_env_values = true, default_value = "1h", value_parser = parse_duration)]
    pub replay_ttl: Duration,
    /// Most requests remembered by the memory store (oldest forgotten first): bounds memory.
    #[arg(
        help_heading = "Replay protection",
        long,
        env = "TWILIO_PROXY_REPLAY_CAPACITY",
        hide_env_values = true,
        default_value_t = 100_000
    )]
    pub replay_capacity: usize,
    /// PEM file of the CA that signed a `rediss://` replay store's certificate (default: the
    /// system's root certificates).
    #[arg(
        long,
        help_heading = "Replay protection",
        env = "TWILIO_PROXY_REDIS_CA_FILE",
        hide_env_values = true
    )]
    pub redis_ca_file: Option<PathBuf>,
    /// Key prefix in the Redis replay store.
    #[arg(
        help_heading = "Replay protection",
        long,
        env = "TWILIO_PROXY_REDIS_PREFIX",
        hide_env_values = true,
        default_value = "twilio-webhook:replay:"
    )]
    pub redis_prefix: String,
    /// Upstream deadline for the whole answer, body included (504 after it); keep under
    /// Twilio's 15 s.
    #[arg(long, help_heading = "Forwarding", env = "TWILIO_PROXY_UPSTREAM_TIMEOUT", hide_env_values = true, default_value = "10s", value_parser = parse_duration)]
    pub upstream_timeout: Duration,
    /// On shutdown, how long in-flight requests may take to finish.
    #[arg(long, help_heading = "Forwarding", env = "TWILIO_PROXY_DRAIN_TIMEOUT", hide_env_values = true, default_value = "30s", value_parser = parse_duration)]
    pub drain_timeout: Duration,
    /// PEM certificate chain: serve HTTPS (needs --tls-key).
    #[arg(
        help_heading = "Listening",
        long,
        env = "TWILIO_PROXY_TLS_CERT",
        hide_env_values = true,
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(
        help_heading = "Listening",
        long,
        env = "TWILIO_PROXY_TLS_KEY",
        hide_env_values = true,
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,
    /// Slow and flooding clients: timeouts, connection cap, head size.
    #[command(flatten, next_help_heading = "Connection limits")]
    pub limits: LimitsArgs,
    /// Automatic HTTPS: certificates from Let's Encrypt (or another ACME server); the
    /// public URL defaults to `https://<first domain>`.
    #[command(flatten, next_help_heading = "Automatic HTTPS (ACME)")]
    pub acme: twilio_guard_serve::AcmeArgs,
}

/// The kind of secret that signs the webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyKind {
    /// Account Auth Tokens (HMAC-SHA1), Twilio's default.
    AuthToken,
    /// Webhook Shared Keys (HMAC-SHA256), named by id in the settings header.
    SharedKey,
}

impl From<KeyKind> for keys::KeyKind {
    fn from(kind: KeyKind) -> Self {
        match kind {
            KeyKind::AuthToken => keys::KeyKind::AuthToken,
            KeyKind::SharedKey => keys::KeyKind::SharedKey,
        }
    }
}

/// Why the configuration is unusable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No token from the environment or the token file: refusing to run (fail closed).
    #[error("no Auth Token: set TWILIO_AUTH_TOKEN or --token-file")]
    NoToken,
    /// The token file or a token from the environment is unusable (names the line or slot,
    /// never the token).
    #[error(transparent)]
    Tokens(TokenFileError),
    /// A secret file could not be read.
    #[error("cannot read {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Basic-auth credentials not `USER:PASS` or refused.
    #[error("basic auth: {0}")]
    BasicAuth(String),
    /// `--public-url` or `--trusted-proxy` malformed.
    #[error("{0}")]
    Url(String),
    /// `--replay-store` is not memory, off or a redis:// URL, or Redis is unreachable.
    #[error("replay store: {0}")]
    Replay(String),
    /// The TLS certificate or key is unusable.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// Automatic HTTPS could not obtain a certificate.
    #[error("automatic HTTPS: {0}")]
    Acme(#[from] twilio_guard_serve::acme::AcmeError),
    /// The routes file is not valid TOML or has a key it does not know.
    #[error("{path}: {message}")]
    RoutesFile {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        message: String,
    },
    /// The Standard Webhooks secret is unusable.
    #[error(transparent)]
    Resign(#[from] super::resign::ResignError),
    /// A stream cap would take the connections kept for other requests.
    #[error(transparent)]
    Limits(#[from] twilio_guard_serve::LimitsError),
}

impl From<ReplayError> for ConfigError {
    fn from(e: ReplayError) -> Self {
        ConfigError::Replay(e.to_string())
    }
}

impl From<CredentialsError> for ConfigError {
    fn from(e: CredentialsError) -> Self {
        ConfigError::BasicAuth(e.to_string())
    }
}

impl ProxyArgs {
    /// The configuration these arguments describe, with secrets from `env` (a lookup such as
    /// `|name| std::env::var(name).ok()`).
    pub async fn config(&self, env: impl Fn(&str) -> Option<String>) -> Result<Config, ProxyError> {
        let trusted = TrustedProxies::new(&self.trusted_proxies)
            .map_err(|e| ConfigError::Url(format!("--trusted-proxy: {e}")))?;
        let public = match self.public_url.clone().or_else(|| self.acme.public_url()) {
            Some(url) => Public::base(&url)?.trusting(trusted),
            None => Public::behind(trusted)?,
        };
        let entries = match (&self.config, &self.upstream) {
            (Some(path), _) => RoutesFile::load(path)?.route,
            (None, Some(upstream)) => vec![self.flags_route(upstream)],
            (None, None) => return Err(ConfigError::Url("--upstream or --config".into()).into()),
        };
        // One store for every route: fingerprints differ by URL, so routes never collide.
        let shared_guard = self.replay_guard().await?;
        let routes = entries
            .into_iter()
            .map(|entry| self.route(&env, entry, shared_guard.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut config = Config::new(public, routes)?
            .upstream_timeout(self.upstream_timeout)
            .drain_timeout(self.drain_timeout)
            .limits(self.limits.limits().map_err(ConfigError::from)?);
        if self.acme.enabled() && self.tls_cert.is_some() {
            return Err(ConfigError::Url(
                "--acme-domain and --tls-cert exclude each other: the certificate comes from one"
                    .into(),
            )
            .into());
        }
        if let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) {
            let tls = tls::load(cert, key).map_err(ConfigError::from)?;
            config = config.tls(Arc::new(tls));
        }
        Ok(config)
    }

    /// The one route the flags describe.
    fn flags_route(&self, upstream: &str) -> RouteEntry {
        RouteEntry {
            prefix: "/".into(),
            upstream: upstream.to_owned(),
            methods: None,
            body_limit: None,
            basic_auth_file: None,
            replay_guard: None,
            key_kind: None,
            token_file: None,
            env_tokens: None,
            resign_secret_file: None,
        }
    }

    /// A route from its entry, the flags filling in what it leaves out.
    fn route(
        &self,
        env: &impl Fn(&str) -> Option<String>,
        entry: RouteEntry,
        shared_guard: Option<Arc<dyn ReplayGuard>>,
    ) -> Result<Route, ProxyError> {
        let kind = entry.key_kind.unwrap_or(self.key_kind);
        let token_file = entry.token_file.as_deref().or(self.token_file.as_deref());
        let env_tokens = entry.env_tokens == Some(true);
        let source = key_source(&entry.prefix, token_file, kind, env_tokens, env)?;
        let (keys, _) = load_keys(&source)?;
        let basic_file = entry.basic_auth_file.as_deref();
        let basic = match basic_file {
            Some(path) => basic_auth(env, Some(path))?,
            None => basic_auth(env, self.basic_auth_file.as_deref())?,
        };
        let replay = match (entry.replay_guard, shared_guard) {
            (Some(false), _) | (None, None) => None,
            (_, Some(guard)) => Some(guard),
            (Some(true), None) => {
                return Err(ConfigError::Replay(format!(
                    "route {}: replay_guard = true needs a --replay-store other than off",
                    entry.prefix
                ))
                .into());
            }
        };
        let limit = entry.body_limit.unwrap_or(self.body_limit);
        let methods = entry.methods.unwrap_or_else(|| self.methods.clone());
        let resign_file = entry
            .resign_secret_file
            .as_deref()
            .or(self.resign_secret_file.as_deref());
        let resigner = resign_file
            .map(Resigner::from_file)
            .transpose()
            .map_err(ConfigError::from)?;
        let route = Route::new(&entry.prefix, &entry.upstream, move |public| {
            let mut webhook = WebhookConfig::new(Validator::new(keys), public)
                .body_limit(limit)
                .methods(methods.iter().map(|m| m.trim().to_ascii_uppercase()));
            if let Some(auth) = basic {
                webhook = webhook.basic_auth(auth);
            }
            match replay {
                Some(guard) => webhook.replay_guard(guard),
                None => webhook.without_replay_guard(),
            }
        })?;
        let route = route.key_source(source);
        Ok(match resigner {
            Some(resigner) => route.resign(resigner),
            None => route,
        })
    }

    async fn replay_guard(&self) -> Result<Option<Arc<dyn ReplayGuard>>, ConfigError> {
        match self.replay_store.as_str() {
            "off" => Ok(None),
            "memory" => Ok(Some(Arc::new(MemoryReplayGuard::new(
                self.replay_capacity,
                self.replay_ttl,
            )))),
            url if url.starts_with("redis://") || url.starts_with("rediss://") => {
                let ca = match &self.redis_ca_file {
                    Some(path) => {
                        Some(std::fs::read(path).map_err(|source| ConfigError::File {
                            path: path.clone(),
                            source,
                        })?)
                    }
                    None => None,
                };
                let guard =
                    RedisReplayGuard::connect_with_ca(url, &self.redis_prefix, self.replay_ttl, ca)
                        .await?;
                Ok(Some(Arc::new(guard)))
            }
            _ => Err(ConfigError::Replay(
                "expected memory, off, redis://host:port/ or rediss://host:port/".into(),
            )),
        }
    }
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::File {
        path: path.to_owned(),
        source,
    })
}

fn basic_auth(
    env: &impl Fn(&str) -> Option<String>,
    file: Option<&Path>,
) -> Result<Option<BasicAuth>, ConfigError> {
    let pair = match file {
        Some(path) => Some(read(path)?.trim().to_owned()),
        None => env("TWILIO_PROXY_BASIC_AUTH"),
    };
    let Some(pair) = pair else { return Ok(None) };
    let (user, pass) = pair
        .split_once(':')
        .ok_or_else(|| ConfigError::BasicAuth("expected USER:PASS".into()))?;
    Ok(Some(BasicAuth::new(user, pass)?))
}

/// `500ms`, `10s`, `2m`, `1h`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: f64 = number
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 10s"))?;
    let scale = match unit {
        "ms" => 0.001,
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return Err(format!("unknown unit {unit:?} (use ms, s, m or h)")),
    };
    Duration::try_from_secs_f64(n * scale).map_err(|e| e.to_string())
}

/// The key source of route `prefix` with `kind` keys and `file` (if any), the token variables
/// looked up in `env` (e.g. `|name| std::env::var(name).ok()`); `env_tokens` (a routes-file
/// entry's `env_tokens = true`) adds them to the file's. A route with a token file otherwise
/// takes its keys from it alone (the environment's token is another account's as far as that
/// route knows); a token variable it leaves unused is warned of.
pub fn key_source(
    prefix: &str,
    file: Option<&Path>,
    kind: KeyKind,
    env_tokens: bool,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<KeySource, ConfigError> {
    let kind = keys::KeyKind::from(kind);
    let mut source =
        KeySource::new(file.map(Path::to_path_buf), kind, env).map_err(ConfigError::Tokens)?;
    if env_tokens {
        source = source.with_env_tokens(env).map_err(ConfigError::Tokens)?;
    }
    if source.file().is_some() {
        for var in source.ignored() {
            tracing::warn!(
                route = %prefix,
                "{var} is set but not used: this route takes its keys from its token file \
                 alone (env_tokens = true in its routes-file entry adds it)"
            );
        }
    }
    Ok(source)
}

/// The key store of `source` now, and how many keys it holds.
pub fn load_keys(source: &KeySource) -> Result<(KeyStore, usize), ConfigError> {
    source.load().map_err(|e| match e {
        TokenFileError::Empty => ConfigError::NoToken,
        e => ConfigError::Tokens(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tokens from the environment and the token file (format: [`twilio_webhook::keys::file`]).
    fn key_store(
        env: &impl Fn(&str) -> Option<String>,
        file: Option<&Path>,
        kind: KeyKind,
    ) -> Result<KeyStore, ConfigError> {
        let source = key_source("/", file, kind, false, env)?;
        Ok(load_keys(&source)?.0)
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5d").is_err());
    }

    #[test]
    fn tokens_from_env_and_file() {
        let dir = std::env::temp_dir().join(format!("twh-proxy-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("tokens");
        std::fs::write(&file, "# rotation\nnext 54321\n").unwrap();
        let env = |name: &str| (name == "TWILIO_AUTH_TOKEN").then(|| "12345".to_owned());
        let none = |_: &str| None;
        let auth = KeyKind::AuthToken;
        let store = |env: &dyn Fn(&str) -> Option<String>, file, kind| {
            key_store(&|n: &str| env(n), file, kind)
        };
        assert!(store(&env, Some(&file), auth).is_ok());
        // A file's keys are its own: the environment's token joins only when asked.
        let count = |file: Option<&Path>, env_tokens: bool| {
            let source = key_source("/", file, auth, env_tokens, &env).unwrap();
            load_keys(&source).unwrap().1
        };
        assert_eq!(count(Some(&file), false), 1);
        assert_eq!(count(Some(&file), true), 2);
        assert_eq!(count(None, false), 1);
        assert!(matches!(
            store(&none, None, auth),
            Err(ConfigError::NoToken)
        ));
        std::fs::write(&file, "AC1 a 111\nAC2 b 222\n").unwrap();
        assert!(store(&none, Some(&file), auth).is_ok());
        // With a file its keys alone count (issue 22 items 4, 10): the environment's token is
        // not mixed in, so there is no mix of lines with and without an account to refuse...
        assert!(store(&env, Some(&file), auth).is_ok());
        // ...unless the route asks for both.
        let both = key_source("/", Some(&file), auth, true, &env).unwrap();
        assert!(matches!(
            load_keys(&both),
            Err(ConfigError::Tokens(TokenFileError::Mixed))
        ));
        // Shared keys: the environment's Auth Token plays no part.
        assert!(store(&env, Some(&file), KeyKind::SharedKey).is_ok());
        std::fs::write(&file, "lonely-secret\n").unwrap();
        let shared = store(&none, Some(&file), KeyKind::SharedKey);
        assert!(matches!(
            shared,
            Err(ConfigError::Tokens(TokenFileError::Line { line: 1, .. }))
        ));
        std::fs::write(&file, "a b c d\n").unwrap();
        let long = store(&none, Some(&file), auth);
        assert!(matches!(
            long,
            Err(ConfigError::Tokens(TokenFileError::Line { line: 1, .. }))
        ));
        let blank = |_: &str| Some(" ".to_owned());
        let err = store(&blank, None, auth).unwrap_err().to_string();
        assert!(err.contains("primary"), "{err}");
    }
}
