//! When to renew, and the renewal loop: at two thirds of the lifetime, or at a random time in
//! the server's ARI window (RFC 9773) when it offers one; on failure the old certificate
//! stays, the error is logged loudly, and the next try follows a growing pause.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use instant_acme::Account;

use super::cache::Cache;
use super::certificate::Issued;
use super::order;
use super::resolver::Resolver;
use super::{CertStatus, Settings};

/// First pause after a failed renewal; doubles per failure up to [`MOST_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(5);
/// Longest pause between tries (Let's Encrypt's limits allow hourly tries comfortably).
const MOST_BACKOFF: Duration = Duration::from_secs(3600);
/// Longest sleep before the ARI window is asked again (RFC 9773 §4.3.2 suggests ≥ daily).
const ARI_RECHECK: Duration = Duration::from_secs(6 * 3600);

/// The pause after `failures` failed tries in a row, never past a tenth of the time left.
pub(crate) fn backoff(failures: u32, left: Duration) -> Duration {
    let grown = FIRST_BACKOFF.saturating_mul(1 << failures.min(16));
    grown
        .min(MOST_BACKOFF)
        .min((left / 10).max(Duration::from_secs(1)))
}

/// A time in `[start, end)` picked from `seed` (RFC 9773 §4.2: uniformly at random, so
/// that servers renewing the same batch spread their orders).
pub(crate) fn in_window(start: SystemTime, end: SystemTime, seed: u64) -> SystemTime {
    let width = end.duration_since(start).unwrap_or_default();
    let nanos = u64::try_from(width.as_nanos()).unwrap_or(u64::MAX);
    match nanos {
        0 => start,
        n => start + Duration::from_nanos(seed % n),
    }
}

/// When to renew `current`: inside the ARI window if the server has one (asked again after
/// its Retry-After or [`ARI_RECHECK`], whichever is sooner), else at two thirds.
/// Returns the time, and whether it is only a time to ask again.
async fn next(account: Option<&Account>, current: &Issued) -> (SystemTime, bool) {
    let fallback = (current.two_thirds(), false);
    let (Some(account), Some(id)) = (account, current.id.as_ref()) else {
        return fallback;
    };
    match account.renewal_info(id).await {
        Ok((info, retry_after)) => {
            let window = &info.suggested_window;
            let at = |t: time::OffsetDateTime| SystemTime::from(t);
            let pick = in_window(at(window.start), at(window.end), seed());
            let ask_again =
                SystemTime::now() + retry_after.clamp(Duration::from_secs(60), ARI_RECHECK);
            if pick > ask_again {
                (ask_again, true)
            } else {
                (pick, false)
            }
        }
        Err(instant_acme::Error::Unsupported(_)) => fallback,
        Err(e) => {
            tracing::debug!(error = %e, "ACME renewal info unavailable: renewing at two thirds");
            fallback
        }
    }
}

/// Not for secrets: only spreads renewal times.
fn seed() -> u64 {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    u64::from(now.subsec_nanos()) ^ now.as_secs().rotate_left(29) ^ u64::from(std::process::id())
}

/// Everything the loop works with.
pub(crate) struct Renewer {
    pub(crate) settings: Settings,
    pub(crate) cache: Cache,
    pub(crate) resolver: Arc<Resolver>,
    pub(crate) status: CertStatus,
    pub(crate) account: Option<Account>,
    pub(crate) current: Issued,
}

impl Renewer {
    /// Renews for ever: sleep until due, order, swap; on failure keep serving the old one.
    pub(crate) async fn run(mut self) {
        loop {
            if self.account.is_none() {
                // After a restart from the cache: the account only to ask for the ARI
                // window (no order); unreachable, the two-thirds rule applies.
                match order::account(&self.settings, &self.cache).await {
                    Ok(account) => self.account = Some(account),
                    Err(e) => tracing::debug!(error = %e, "ACME server not reached for ARI"),
                }
            }
            let (when, only_ask) = next(self.account.as_ref(), &self.current).await;
            let wait = when.duration_since(SystemTime::now()).unwrap_or_default();
            tracing::info!(
                in_seconds = wait.as_secs(),
                "next certificate renewal check"
            );
            tokio::time::sleep(wait).await;
            if !only_ask {
                self.renew_until_done().await;
            }
        }
    }

    /// Tries with growing pauses until one renewal succeeds, saying so loudly each time.
    async fn renew_until_done(&mut self) {
        let mut failures: u32 = 0;
        while let Err(e) = self.renew().await {
            failures = failures.saturating_add(1);
            let now = SystemTime::now();
            let left = self
                .current
                .not_after
                .duration_since(now)
                .unwrap_or_default();
            let pause = backoff(failures, left);
            self.status.failed(&e.to_string());
            tracing::error!(
                error = %e,
                failures,
                days_left = self.current.days_left(now),
                retry_in_seconds = pause.as_secs(),
                "CERTIFICATE RENEWAL FAILED: still serving the old certificate"
            );
            tokio::time::sleep(pause).await;
        }
    }

    /// One renewal: order, store, swap in.
    async fn renew(&mut self) -> Result<(), super::AcmeError> {
        let account = match &self.account {
            Some(account) => account.clone(),
            None => {
                let account = order::account(&self.settings, &self.cache).await?;
                self.account = Some(account.clone());
                account
            }
        };
        let replaces = self.current.id.clone();
        let issued = match order::order(
            &account,
            &self.settings,
            &self.resolver.challenges,
            replaces,
        )
        .await
        {
            // A server without ARI, or refusing `replaces` (the old one was already
            // replaced): order plainly.
            Err(super::AcmeError::Acme(
                instant_acme::Error::Api(_) | instant_acme::Error::Unsupported(_),
            )) if self.current.id.is_some() => {
                order::order(&account, &self.settings, &self.resolver.challenges, None).await?
            }
            other => other?,
        };
        self.cache.store_certificate(&issued.pem)?;
        self.resolver.swap(Arc::clone(&issued.key));
        self.status.serving(&issued);
        tracing::info!(
            days_left = issued.days_left(SystemTime::now()),
            "certificate renewed and in use for new connections"
        );
        self.current = issued;
        Ok(())
    }
}
