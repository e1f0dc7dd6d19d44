//! The `sms-ratings` command; see `sms-ratings --help`.
#![forbid(unsafe_code)]

// mimalloc: the request path allocates many small, short-lived buffers (HTTP parsing, form
// pairs, TwiML); glibc's malloc spent a fifth of the server's CPU on them under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    sms_ratings::cli::main()
}
