//! `/metrics` memory stays flat with no scraper: the recorder's histograms keep every sample
//! until upkeep folds them, and `sms_ratings::metrics` runs that upkeep itself.
//!
//! A test binary of its own (not a module of `tests/it`): it reads the process's resident
//! memory, which other tests running in parallel in the same process would disturb.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::Duration;

/// Resident memory of this process, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn histograms_do_not_grow_without_a_scraper() {
    if !std::path::Path::new("/proc/self/status").exists() {
        eprintln!("skipping: no /proc/self/status to read resident memory from");
        return;
    }
    assert!(
        sms_ratings::metrics::handle().is_some(),
        "our recorder is installed"
    );
    let histogram = metrics::histogram!("sms_ratings_commit_seconds", "backend" => "upkeep-test");
    // One round: 2 M samples (32 MB retained without upkeep), then more than one
    // upkeep interval of quiet. Nobody renders /metrics meanwhile.
    const ROUND: u32 = 2_000_000;
    let mut after = Vec::new();
    for round in 0..6 {
        for i in 0..ROUND {
            histogram.record(f64::from(i % 1000) / 1000.0);
        }
        std::thread::sleep(sms_ratings::metrics::UPKEEP_EVERY + Duration::from_millis(700));
        after.push(rss_kib());
        eprintln!("round {round}: rss {} KiB", after[round]);
    }
    // The first three rounds warm up the allocator (on a loaded machine a round's samples
    // can pile up past one upkeep interval before they are folded, so the peak may come as
    // late as round 2); from then on the samples of a round are folded and freed before the
    // next, so memory stays within a fraction of one round (without upkeep it grows by
    // 32 MB every round: 64 MB over the two rounds measured).
    let growth = after[5].saturating_sub(after[3]);
    assert!(
        growth < 8 * 1024,
        "resident memory grew {growth} KiB: {after:?}"
    );
}
