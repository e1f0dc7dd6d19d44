//! The account the credentials act on: reading it proves the credentials work.

use serde::Deserialize;

use crate::client::{Client, segment};
use crate::error::ApiError;

/// The fields of an `Account` the project reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Account {
    /// `AC…`.
    pub sid: String,
    /// The account's name.
    #[serde(default)]
    pub friendly_name: Option<String>,
    /// `active`, `suspended` or `closed`.
    #[serde(default)]
    pub status: Option<String>,
}

impl Client {
    /// Reads the account (`GET /2010-04-01/Accounts/{Sid}.json`): a wrong token is
    /// [`ApiError::Unauthorized`].
    pub async fn account(&self) -> Result<Account, ApiError> {
        let url = format!(
            "{}/2010-04-01/Accounts/{}.json",
            self.hosts().api,
            segment(self.account_sid())
        );
        self.get("fetch account", url, &[]).await
    }
}
