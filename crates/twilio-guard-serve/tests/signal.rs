//! [`on_terminate`] resolves on `SIGTERM` and on `SIGINT`, sent to this very process (a test
//! binary of its own, so the handlers it installs stay out of every other test's way).
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::Duration;

use rustix::process::{Signal, getpid, kill_process};
use tokio::signal::unix::{SignalKind, signal};
use twilio_guard_serve::on_terminate;

/// Sends `sig` to this process until `on_terminate` returns (at most 10 s). Tokio's handler
/// for `kind` is installed first, so no send can take the default action (exit).
async fn ends_on(kind: SignalKind, sig: Signal) {
    let _installed = signal(kind).unwrap();
    let mut waiting = tokio::spawn(on_terminate());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        kill_process(getpid(), sig).unwrap();
        match tokio::time::timeout(Duration::from_millis(50), &mut waiting).await {
            Ok(done) => return done.unwrap(),
            Err(_) => assert!(
                tokio::time::Instant::now() < deadline,
                "on_terminate ignored {sig:?}"
            ),
        }
    }
}

#[tokio::test]
async fn sigterm_and_sigint_end_the_wait_and_sighup_does_not() {
    // SIGHUP is for reloading: it must not end the server.
    let _hangups = signal(SignalKind::hangup()).unwrap();
    let mut waiting = tokio::spawn(on_terminate());
    for _ in 0..5 {
        kill_process(getpid(), Signal::HUP).unwrap();
        assert!(
            tokio::time::timeout(Duration::from_millis(50), &mut waiting)
                .await
                .is_err(),
            "SIGHUP ended on_terminate"
        );
    }
    waiting.abort();
    ends_on(SignalKind::terminate(), Signal::TERM).await;
    ends_on(SignalKind::interrupt(), Signal::INT).await;
}
