//! Keys that can change while the server runs: rotate an Auth Token without a restart.
//!
//! Every [`WebhookConfig`](crate::WebhookConfig) reads its [`Validator`] through a
//! [`LiveKeys`] handle. [`WebhookConfig::live_keys`](crate::WebhookConfig::live_keys) hands
//! out a handle to the same slot; [`LiveKeys::replace`] swaps the validator atomically for
//! every clone of the config and every layer or middleware built from it. Requests already
//! being checked finish with the keys they started with.
//!
//! Reading is lock-free (`arc-swap`): a request costs one atomic load, no lock and no
//! allocation, so the swap costs the hot path nothing.
//!
//! ```
//! use twilio_webhook::{Key, PublicUrl, Validator, WebhookConfig, WebhookRequest};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = WebhookConfig::new(
//!     Validator::from_token("old-token")?,
//!     PublicUrl::base("https://example.com")?,
//! );
//! let signature = Key::auth_token("x", "new-token")?.sign("https://example.com/sms", [("Body", "hi")]);
//! let headers = [
//!     ("content-type", "application/x-www-form-urlencoded"),
//!     ("x-twilio-signature", signature.as_str()),
//! ];
//! let request = WebhookRequest::new("POST", "/sms", &headers);
//! let shared = config.clone();
//! assert_eq!(shared.verify(&request, "Body=hi".into()).unwrap_err().status(), 403);
//!
//! config.live_keys().replace(Validator::from_token("new-token")?);
//! assert!(shared.verify(&request, "Body=hi".into()).is_ok());
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::validator::Validator;

/// A shared, atomically replaceable [`Validator`]; cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct LiveKeys {
    current: Arc<ArcSwap<Validator>>,
}

impl LiveKeys {
    /// A slot holding `validator`.
    pub fn new(validator: Validator) -> Self {
        LiveKeys {
            current: Arc::new(ArcSwap::from_pointee(validator)),
        }
    }

    /// Swaps in `validator` for every holder of this slot at once. Requests already being
    /// checked finish with the previous keys.
    pub fn replace(&self, validator: Validator) {
        self.current.store(Arc::new(validator));
    }

    /// The validator now in force.
    pub fn current(&self) -> Arc<Validator> {
        self.current.load_full()
    }

    /// A cheap, lock-free read for one request.
    pub(crate) fn load(&self) -> arc_swap::Guard<Arc<Validator>> {
        self.current.load()
    }
}

impl fmt::Debug for LiveKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LiveKeys")
            .field(&*self.current.load())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PublicUrl, WebhookConfig};

    #[test]
    fn every_clone_sees_a_replacement() {
        let config = WebhookConfig::new(
            Validator::from_token("old").unwrap(),
            PublicUrl::base("https://example.com").unwrap(),
        );
        let clone = config.clone();
        let before = clone.validator();
        config
            .live_keys()
            .replace(Validator::from_token("new").unwrap());
        let url = "https://example.com/sms";
        let sig = crate::Key::auth_token("x", "new").unwrap().sign(url, []);
        assert!(
            clone
                .validator()
                .validate_params(url, [], Some(&sig))
                .is_ok()
        );
        // A validator taken before the swap keeps the keys it had.
        assert!(before.validate_params(url, [], Some(&sig)).is_err());
        assert!(format!("{:?}", config.live_keys()).starts_with("LiveKeys("));
    }
}
