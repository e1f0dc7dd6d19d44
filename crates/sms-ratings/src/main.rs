//! The `sms-ratings` command; see `sms-ratings --help`.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    sms_ratings::cli::main()
}
