//! `serve --demo`: generated secrets, a private database, the demo event, and the commands
//! to try it, printed.

use super::Serve;
use super::secrets::random_secret;
use crate::cli::CliError;
use crate::cli::events::{Place, new_event};
use crate::service::Ratings;
use crate::store::StoreError;

const DEMO_NUMBER: &str = "+15005550006";

/// The `twilio-webhook` binary the demo's commands run: the one built beside this binary
/// (same profile), so they answer at once; and, when it is not built yet, the line that
/// builds it (printed first, with cargo's own progress) instead of a `cargo run` that
/// compiles silently.
fn sender() -> (String, String) {
    let exe = std::env::current_exe().ok();
    let dir = exe.as_deref().and_then(std::path::Path::parent);
    let Some(dir) = dir else {
        return ("twilio-webhook".into(), String::new());
    };
    let cli = dir.join(format!("twilio-webhook{}", std::env::consts::EXE_SUFFIX));
    let build = match dir.file_name().and_then(|n| n.to_str()) {
        _ if cli.exists() => String::new(),
        Some("debug") => "  cargo build -p twilio-webhook-cli\n".into(),
        Some("release") => "  cargo build --release -p twilio-webhook-cli\n".into(),
        Some(profile) => format!("  cargo build --profile {profile} -p twilio-webhook-cli\n"),
        None => String::new(),
    };
    (cli.display().to_string(), build)
}

/// A generated auth token (the only key: a token file or a secondary token would make the
/// printed commands lie) and organiser password.
pub(super) fn generate_secrets(serve: &mut Serve) -> Result<(), CliError> {
    if serve.token_file.is_some() {
        return Err(CliError::Usage(
            "--demo generates its own auth token: drop --token-file (TOKEN_FILE)".into(),
        ));
    }
    serve.auth_token = Some(random_secret()?);
    serve.auth_token_secondary = None;
    serve.admin_password = Some(random_secret()?);
    Ok(())
}

/// A new demo database nobody else can read or guess: `ratings.db` (mode 0600) in a new
/// directory (mode 0700) with a random name in the temp directory. SQLite gives its `-wal`
/// and `-shm` files the database file's mode. Kept after the run, so it can be inspected.
pub(super) fn database() -> Result<String, CliError> {
    let mut builder = tempfile::Builder::new();
    builder.prefix("sms-ratings-demo-");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
    let dir = builder.tempdir()?.keep();
    let path = dir.join("ratings.db");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(&path)?;
    path.to_str()
        .map(str::to_owned)
        .ok_or_else(|| CliError::Usage("the temp directory path is not UTF-8".into()))
}

/// The demo event (kept if it exists) and the commands to try it, on stdout.
pub(super) async fn setup(
    ratings: &Ratings,
    serve: &Serve,
    public_url: &str,
    location: &str,
) -> Result<(), CliError> {
    let event = new_event(
        "DEMO",
        "Demo event".into(),
        Some(DEMO_NUMBER.into()),
        (None, None),
        &Place::default(),
    )?;
    match ratings.create_event(event).await {
        Ok(_) | Err(StoreError::DuplicateEvent(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let token = serve.auth_token.as_deref().unwrap_or_default();
    let password = serve.admin_password.as_deref().unwrap_or_default();
    let user = &serve.admin_user;
    let (cli, build) = sender();
    println!(
        "\nsms-ratings demo: event DEMO (\"Demo event\") on {DEMO_NUMBER}, database {location}\n\
         \nIn Twilio's console the number's Messaging webhook is {public_url}/sms and its \
         Voice URL is {public_url}/voice (both POST).\n\
         \nRate it, signed like Twilio would (in another terminal, from the repository):\n\
         \n{build}  export TWILIO_AUTH_TOKEN={token}\
         \n  {cli} send {public_url}/sms --kind sms \
         --from +15551234567 --to {DEMO_NUMBER} --body '5 great demo'\n\
         \nand from a second phone, by call, pressing 4:\n\
         \n  {cli} send {public_url}/voice --kind call \
         --from +15557654321 --to {DEMO_NUMBER} --digits 4\n\
         \nRun it in the browser (sign in as {user} / {password}):\n\
         \n  {public_url}/events/DEMO          projector page: live results, QR code to text\n\
         \x20 {public_url}/events/DEMO/manage   open/close, moderate, audience link, reset\n\
         \x20 {public_url}/                     all events; \"New event\" creates one\n\
         \n  curl -u {user}:{password} {public_url}/api/events/DEMO/results\n\
         \nDemo credentials (generated, valid for this run only): \
         TWILIO_AUTH_TOKEN={token} ADMIN_USER={user} ADMIN_PASSWORD={password}\n\
         Stop with Ctrl-C.\n"
    );
    Ok(())
}
