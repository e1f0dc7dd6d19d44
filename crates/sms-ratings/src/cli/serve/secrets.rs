//! The organiser's and the webhook's passwords from `--…-file` options, and generated
//! secrets for `--demo`.

use std::path::Path;

use super::Serve;
use crate::cli::CliError;

/// Replaces each `--…-file` secret by the file's first line.
pub(super) fn read_secret_files(serve: &mut Serve) -> Result<(), CliError> {
    if let Some(path) = &serve.admin_password_file {
        serve.admin_password = Some(secret_file(path)?);
    }
    if let Some(path) = &serve.webhook_password_file {
        serve.webhook_password = Some(secret_file(path)?);
    }
    if serve.webhook_user.is_some() != serve.webhook_password.is_some() {
        return Err(CliError::Usage(
            "--webhook-user and a webhook password (WEBHOOK_PASSWORD or \
             --webhook-password-file) go together"
                .into(),
        ));
    }
    Ok(())
}

/// The first line of a secret file, without its line end.
fn secret_file(path: &Path) -> Result<String, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
    let line = text.lines().next().unwrap_or_default();
    if line.trim().is_empty() {
        return Err(CliError::Usage(format!("{} is empty", path.display())));
    }
    Ok(line.to_owned())
}

/// 16 random bytes as 32 hex digits (demo token and password).
pub(super) fn random_secret() -> Result<String, CliError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| CliError::Usage(format!("no randomness available: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
