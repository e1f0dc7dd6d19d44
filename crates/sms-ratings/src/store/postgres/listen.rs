//! `LISTEN/NOTIFY`: how instances sharing one PostgreSQL database tell each other's live
//! pages that an event changed, within a second instead of at the next safety re-read.
//!
//! The writer calls [`announce`] inside the transaction that changes an event; PostgreSQL
//! delivers the notification only if and when that transaction commits (once per code per
//! transaction). Each instance keeps one dedicated connection that `LISTEN`s on [`CHANNEL`]
//! and turns every notification into a [`Change`]; after the connection is lost and
//! re-established (notifications may have been missed meanwhile) it sends
//! [`Change::Unknown`].

use std::time::Duration;

use futures_util::StreamExt as _;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;
use tokio_postgres::AsyncMessage;

use super::tls::Connector;
use crate::store::Change;

/// The notification channel (one per database; instances on other schemas of the same
/// database hear each other's codes too, which only costs them a re-read).
pub(crate) const CHANNEL: &str = "sms_ratings_changes";
/// Changes a slow subscriber may fall behind before it is told it missed some.
const BACKLOG: usize = 1024;
/// Longest wait between two attempts to re-establish the listening connection.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Announces, inside the caller's transaction, that `code` changed.
pub(crate) async fn announce(
    client: &impl deadpool_postgres::GenericClient,
    code: &str,
) -> Result<(), tokio_postgres::Error> {
    client
        .execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &code])
        .await
        .map(drop)
}

/// The listening task; aborted when dropped (with the store).
pub(crate) struct Listener {
    changes: broadcast::Sender<Change>,
    task: JoinHandle<()>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Listener {
    /// Starts listening with `config` over `tls`, reconnecting for as long as it lives.
    pub(crate) fn start(config: tokio_postgres::Config, tls: Connector) -> Self {
        let changes = broadcast::channel(BACKLOG).0;
        let task = tokio::spawn(listen(config, tls, changes.clone()));
        Self { changes, task }
    }

    /// A receiver of the changes announced from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }
}

async fn listen(
    config: tokio_postgres::Config,
    tls: Connector,
    changes: broadcast::Sender<Change>,
) {
    let mut backoff = Duration::from_millis(250);
    let mut first = true;
    loop {
        match listen_once(&config, tls.clone(), &changes, first).await {
            Ok(()) => backoff = Duration::from_millis(250),
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?backoff, "live updates: PostgreSQL listener lost");
            }
        }
        first = false;
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One connection's life: `LISTEN`, then forward notifications until it ends.
async fn listen_once(
    config: &tokio_postgres::Config,
    tls: Connector,
    changes: &broadcast::Sender<Change>,
    first: bool,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(tls).await?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    // The connection must be polled for the client's queries to complete, and it is where
    // notifications arrive: drive it on its own task.
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    let _ = tx.send(n.payload().to_owned());
                }
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    if !first {
        let _ = changes.send(Change::Unknown);
    }
    while let Some(code) = rx.recv().await {
        let _ = changes.send(Change::Event(code));
    }
    drop(client);
    match driver.await {
        Ok(result) => result,
        Err(_) => Ok(()),
    }
}
