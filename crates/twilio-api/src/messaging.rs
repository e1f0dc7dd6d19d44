//! Messaging Services: which one holds a number, and whether it overrides the number's URL.

use serde::Deserialize;

use crate::client::{Client, segment};
use crate::error::ApiError;

/// The fields of a Messaging Service the project reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MessagingService {
    /// `MG…`.
    pub sid: String,
    /// The name shown in the console.
    #[serde(default)]
    pub friendly_name: Option<String>,
    /// Where the Service sends incoming messages of its numbers.
    #[serde(default)]
    pub inbound_request_url: Option<String>,
    /// When true, each number's own SMS URL is used instead of `inbound_request_url`.
    #[serde(default)]
    pub use_inbound_webhook_on_number: Option<bool>,
}

impl MessagingService {
    /// Whether incoming messages of the Service's numbers go to the Service's URL rather
    /// than to each number's own `SmsUrl` (Twilio error 11210 when that URL is dead).
    pub fn overrides_numbers(&self) -> bool {
        self.use_inbound_webhook_on_number != Some(true)
            && self
                .inbound_request_url
                .as_deref()
                .is_some_and(|u| !u.is_empty())
    }
}

/// A number inside a Messaging Service.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServiceNumber {
    /// The `IncomingPhoneNumber` SID (`PN…`).
    pub sid: String,
    /// E.164.
    pub phone_number: String,
    /// The Service (`MG…`).
    pub service_sid: String,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    next_page_url: Option<String>,
}

#[derive(Deserialize)]
struct ServicePage {
    services: Vec<MessagingService>,
    meta: Meta,
}

#[derive(Deserialize)]
struct ServiceNumberPage {
    phone_numbers: Vec<ServiceNumber>,
    meta: Meta,
}

impl Client {
    /// Every Messaging Service of the account.
    pub async fn services(&self) -> Result<Vec<MessagingService>, ApiError> {
        let mut url = format!("{}/v1/Services", self.hosts().messaging);
        let mut all = Vec::new();
        loop {
            let page: ServicePage = self.get("list services", url, &[]).await?;
            all.extend(page.services);
            match page.meta.next_page_url {
                Some(next) => url = Client::next_page(&self.hosts().messaging, &next),
                None => return Ok(all),
            }
        }
    }

    /// The numbers inside Service `service_sid`.
    pub async fn service_numbers(&self, service_sid: &str) -> Result<Vec<ServiceNumber>, ApiError> {
        let mut url = format!(
            "{}/v1/Services/{}/PhoneNumbers",
            self.hosts().messaging,
            segment(service_sid)
        );
        let mut all = Vec::new();
        loop {
            let page: ServiceNumberPage = self.get("list service numbers", url, &[]).await?;
            all.extend(page.phone_numbers);
            match page.meta.next_page_url {
                Some(next) => url = Client::next_page(&self.hosts().messaging, &next),
                None => return Ok(all),
            }
        }
    }

    /// The Messaging Services holding number `number_sid` (`PN…`).
    pub async fn services_holding(
        &self,
        number_sid: &str,
    ) -> Result<Vec<MessagingService>, ApiError> {
        let mut holding = Vec::new();
        for service in self.services().await? {
            let numbers = self.service_numbers(&service.sid).await?;
            if numbers.iter().any(|n| n.sid == number_sid) {
                holding.push(service);
            }
        }
        Ok(holding)
    }

    /// Sets the Service's `UseInboundWebhookOnNumber` (true: each number's own SMS URL wins).
    pub async fn set_use_inbound_webhook_on_number(
        &self,
        service_sid: &str,
        on: bool,
    ) -> Result<MessagingService, ApiError> {
        let url = format!(
            "{}/v1/Services/{}",
            self.hosts().messaging,
            segment(service_sid)
        );
        let value = if on { "true" } else { "false" };
        self.post(
            "update service",
            url,
            &[("UseInboundWebhookOnNumber", value)],
        )
        .await
    }
}
