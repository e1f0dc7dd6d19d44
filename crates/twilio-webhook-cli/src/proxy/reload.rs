//! `SIGHUP`: read every route's token file again and swap its keys in place.
//!
//! Where a route's keys come from is the library's one rule ([`KeySource`], built for each
//! route by [`super::config::key_source`]): its token file alone when it has one (unless its
//! entry sets `env_tokens = true`), else `TWILIO_AUTH_TOKEN(_SECONDARY)`. The swap goes through the
//! library's [`LiveKeys`] slot of each route, so connections, requests being checked and the
//! replay store are untouched; the log says how many keys each route now has, never which. A
//! file that no longer parses keeps the keys in force (and says why, naming the line, never a
//! secret). A route without a file has nothing to reload.

use twilio_webhook::LiveKeys;
use twilio_webhook::keys::KeySource;

/// One route's live keys and where they come from.
#[derive(Debug, Clone)]
pub struct Reloadable {
    /// The route's prefix, for the log.
    pub prefix: String,
    /// The slot the route's checks read.
    pub live: LiveKeys,
    /// Where its keys come from.
    pub source: KeySource,
}

/// Reloads every route's keys from their token files; the log says what happened per route.
pub fn reload_all(routes: &[Reloadable]) {
    for route in routes {
        match route.source.reload(&route.live) {
            Ok(Some(count)) => {
                tracing::info!(route = %route.prefix, "keys reloaded: {count} keys");
            }
            Ok(None) => {
                tracing::info!(route = %route.prefix, "no token file: nothing to reload, the keys given at start stay");
            }
            Err(e) => {
                tracing::warn!(route = %route.prefix, error = %e, "keys not reloaded, the previous keys stay in force");
            }
        }
    }
}

/// Reloads on every `SIGHUP` until the process ends (Unix only; elsewhere a no-op).
pub async fn on_sighup(routes: Vec<Reloadable>) {
    twilio_guard_serve::on_hangup(move || reload_all(&routes)).await;
}
