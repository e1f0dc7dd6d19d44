//! Ballot-stuffing seen, flagged and set aside, over real HTTP with signed webhooks: a
//! simulated evening on a clock the test controls, Lookup answered by the `twilio-api` test
//! server, the organiser's choice of public figures, a call flood, and the reply budget.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::Value;
use sms_ratings::clock::Clock;
use sms_ratings::model::Timestamp;
use sms_ratings::service::BudgetLimits;
use sms_ratings::store::EventChange;
use twilio_api::test_server::TestServer as Twilio;
use twilio_api::{Client, Credentials, Hosts};

use crate::both_backends;
use crate::e2e::add;
use crate::manage::Organiser;
use crate::server::{ADMIN, NUMBER, TestServer};
use crate::support::TestDb;
use crate::texting::{EMPTY, call_with_verdict, sms_raw};

const AC: &str = "AC0123456789abcdef0123456789abcdef";
const AUTH: &str = "lookup-test-token";
/// When the simulated evening starts.
const START: i64 = 1_800_000_000_000;
/// The number block the stuffing wave was bought in.
const BLOCK: &str = "+1415867";

/// A small deterministic generator, so every run sees the same evening.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A rating centred on 4: 2% 1s, 5% 2s, 18% 3s, 45% 4s, 30% 5s.
    fn honest_rating(&mut self) -> u8 {
        match self.below(100) {
            0..2 => 1,
            2..7 => 2,
            7..25 => 3,
            25..70 => 4,
            _ => 5,
        }
    }
}

/// One vote sent: its `MessageSid`, the rating, and whether it was part of the wave.
struct Sent {
    sid: String,
    rating: u8,
    wave: bool,
}

/// A wave number (`i` < 200): in [`BLOCK`] unless `spread_blocks`, every other one
/// non-fixed VoIP per Lookup.
fn wave_phone(i: u64, spread_blocks: bool) -> String {
    if spread_blocks {
        format!("+1{}{}{:04}", 300 + i * 3, 400 + i, 1000 + i)
    } else {
        format!("{BLOCK}{:04}", 1000 + i)
    }
}

/// Lookup's stand-in: half the wave non-fixed VoIP, the other half mobile.
async fn lookup_server(spread_blocks: bool) -> Twilio {
    let mut builder = Twilio::builder(AC, AUTH);
    for i in 0..200 {
        let kind = if i % 2 == 0 { "nonFixedVoip" } else { "mobile" };
        builder = builder.line_type(&wave_phone(i, spread_blocks), kind, "Carrier");
    }
    builder.start().await.unwrap()
}

async fn start(db: &TestDb, twilio: &Twilio, clock: &Clock) -> TestServer {
    let client = Client::new(
        Credentials::auth_token(AC, AUTH).unwrap(),
        Hosts::with_base(&twilio.base_url()).unwrap(),
    )
    .unwrap();
    let clock = clock.clone();
    TestServer::start_with_service(&db.location, move |r| {
        r.with_clock(clock)
            .with_lookup(client)
            // Every vote is answered here: the budget has a test of its own.
            .with_reply_budget(BudgetLimits {
                per_sender_per_hour: 100,
                per_minute: 100_000,
            })
    })
    .await
}

/// Sends `votes` (offset from [`START`] in ms, phone, rating) in time order.
async fn send(s: &TestServer, clock: &Clock, votes: &mut [(i64, String, u8, bool)]) -> Vec<Sent> {
    votes.sort_by_key(|v| v.0);
    let mut sent = Vec::new();
    for (n, (at, phone, rating, wave)) in votes.iter().enumerate() {
        clock.set(Timestamp::from_millis(START + at));
        let sid = format!("SM{}{n:05}", if *wave { "w" } else { "h" });
        let (status, _) = s.sms(&sid, phone, &rating.to_string()).await;
        assert_eq!(status, 200);
        sent.push(Sent {
            sid,
            rating: *rating,
            wave: *wave,
        });
    }
    sent
}

/// 300 honest voters over 20 minutes, ratings centred on 4, from all over the map.
fn honest(rng: &mut Rng) -> Vec<(i64, String, u8, bool)> {
    let mut phones = HashSet::new();
    (0..300)
        .map(|_| {
            let phone = loop {
                let p = format!(
                    "+1{}{}{:04}",
                    200 + rng.below(700),
                    200 + rng.below(700),
                    rng.below(10_000)
                );
                if phones.insert(p.clone()) {
                    break p;
                }
            };
            let at = i64::try_from(rng.below(20 * 60_000)).unwrap();
            (at, phone, rng.honest_rating(), false)
        })
        .collect()
}

/// 200 texts of "1": within 60 s after the honest 20 minutes, or (`crowd`) spread over the
/// same 20 minutes as the honest voters.
fn wave(rng: &mut Rng, crowd: bool, spread_blocks: bool) -> Vec<(i64, String, u8, bool)> {
    (0..200)
        .map(|i| {
            let at = if crowd {
                i64::try_from(rng.below(20 * 60_000)).unwrap()
            } else {
                20 * 60_000 + 5_000 + i64::try_from(i * 290).unwrap()
            };
            (at, wave_phone(i, spread_blocks), 1, true)
        })
        .collect()
}

/// The results API once the lookups of the wave's virtual numbers landed (they run after
/// each vote committed).
async fn results_after_lookups(s: &TestServer, code: &str) -> Value {
    let started = std::time::Instant::now();
    loop {
        let r = s.results(code).await;
        let line_types = groups(&r, "line-type").len();
        if line_types >= 100 {
            return r;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "lookups did not land: {line_types}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The `MessageSid`s flagged for `reason` ("" for any).
fn groups(results: &Value, reason: &str) -> HashSet<String> {
    results["flagged"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| reason.is_empty() || g["reason"] == reason)
        .flat_map(|g| g["votes"].as_array().unwrap().iter())
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect()
}

/// What the detector made of an evening: (share of the wave flagged, share of honest votes
/// flagged, honest average, raw average, cleaned average).
fn judge(results: &Value, sent: &[Sent]) -> (f64, f64, f64, f64, f64) {
    let flagged = groups(results, "");
    let share = |wave: bool| {
        let all: Vec<_> = sent.iter().filter(|v| v.wave == wave).collect();
        let hit = all.iter().filter(|v| flagged.contains(&v.sid)).count();
        hit as f64 / all.len() as f64
    };
    let honest: Vec<f64> = sent
        .iter()
        .filter(|v| !v.wave)
        .map(|v| f64::from(v.rating))
        .collect();
    let honest_average = honest.iter().sum::<f64>() / honest.len() as f64;
    let raw = results["average"].as_f64().unwrap();
    let cleaned = results["cleaned"]["average"].as_f64().unwrap();
    (share(true), share(false), honest_average, raw, cleaned)
}

/// An evening: 300 honest voters and a wave (see [`wave`]), sent to event `code` of a fresh
/// server; the server, Lookup's stand-in, the results once the lookups landed, what was sent.
async fn evening(
    db: &TestDb,
    code: &str,
    seed: u64,
    crowd: bool,
    spread_blocks: bool,
) -> (TestServer, Twilio, Value, Vec<Sent>) {
    let mut rng = Rng(seed);
    let twilio = lookup_server(spread_blocks).await;
    let clock = Clock::manual(Timestamp::from_millis(START));
    let s = start(db, &twilio, &clock).await;
    add(&s, code, Some(NUMBER)).await;
    let mut votes = honest(&mut rng);
    votes.extend(wave(&mut rng, crowd, spread_blocks));
    let sent = send(&s, &clock, &mut votes).await;
    let results = results_after_lookups(&s, code).await;
    (s, twilio, results, sent)
}

async fn a_stuffing_wave_is_flagged_and_set_aside(db: TestDb) {
    let (s, twilio, results, sent) = evening(&db, "STUFF", 0x5eed_0001, false, false).await;
    let (wave, honest, honest_average, raw, cleaned) = judge(&results, &sent);
    eprintln!(
        "wave flagged {wave:.3}, honest flagged {honest:.3}, averages: honest \
         {honest_average:.3} raw {raw:.3} cleaned {cleaned:.3}"
    );
    assert!(raw < honest_average - 1.0, "the raw average falls: {raw}");
    assert!((cleaned - honest_average).abs() <= 0.1, "cleaned {cleaned}");
    assert!(wave >= 0.9, "wave flagged: {wave}");
    assert!(honest <= 0.02, "honest flagged: {honest}");
    // Every signal that saw the wave: its block, its burst, half of it by Lookup.
    assert!(groups(&results, "prefix").len() >= 190);
    assert!(!groups(&results, "burst").is_empty());
    assert_eq!(groups(&results, "line-type").len(), 100);
    // Each number was looked up once, wave and honest alike.
    let lookups = twilio
        .requests()
        .iter()
        .filter(|r| r.contains("/v2/PhoneNumbers/"))
        .count();
    assert_eq!(lookups, 500);
    // Until the organiser chooses, the public sees the raw figures; the organiser sees both.
    assert_eq!(results["public"]["figures"], "raw");
    let page = s
        .get_admin("/events/STUFF/manage")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-flag=\"stuffing\""), "the alert shows");
    assert!(page.contains("data-field=\"figures-compare\""));
    let metrics = s.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("sms_ratings_flag_alerts_total{reason=\"prefix\"}"));
    // The exports carry the flags.
    let csv = s
        .get_admin("/api/events/STUFF/ratings.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains("\"flags\",\"counted\""), "{}", &csv[..200]);
    assert!(csv.contains("prefix") && csv.contains("\"no\""));
    s.stop().await;
}
both_backends!(flags_wave, a_stuffing_wave_is_flagged_and_set_aside);

/// The same wave spread over the evening like a crowd, still from one number block: the rate
/// never jumps, so `burst` stays silent, but the block and Lookup give it away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wave_spread_like_a_crowd_still_shows_its_number_block() {
    let db = TestDb::sqlite();
    let (s, _twilio, results, sent) = evening(&db, "CROWD", 0x5eed_0002, true, false).await;
    let (wave, honest, honest_average, raw, cleaned) = judge(&results, &sent);
    eprintln!("crowd: wave {wave:.3} honest {honest:.3} raw {raw:.3} cleaned {cleaned:.3}");
    assert!(raw < honest_average - 1.0);
    assert!((cleaned - honest_average).abs() <= 0.1, "cleaned {cleaned}");
    assert!(wave >= 0.9 && honest <= 0.02, "{wave} {honest}");
    s.stop().await;
}

/// What the detector cannot catch: a wave spread over the evening from numbers of as many
/// blocks as voters, half of them mobile. Only the virtual half is flagged (by Lookup); the
/// mobile half looks like unhappy people and stays in the cleaned figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crowd_of_mobile_numbers_from_many_blocks_is_not_caught() {
    let db = TestDb::sqlite();
    let (s, _twilio, results, sent) = evening(&db, "SLOW", 0x5eed_0003, true, true).await;
    let (wave, honest, honest_average, raw, cleaned) = judge(&results, &sent);
    eprintln!("many blocks: wave {wave:.3} honest {honest:.3} raw {raw:.3} cleaned {cleaned:.3}");
    assert!(
        (0.45..=0.6).contains(&wave),
        "about the virtual half: {wave}"
    );
    assert!(honest <= 0.02);
    assert!(
        raw < cleaned && cleaned < honest_average - 0.3,
        "cleaned {cleaned}"
    );
    s.stop().await;
}

/// The snapshot at `path` (the organiser's, or the audience's with `/p/…`) once `ready` holds
/// (the live pages rebuild it within moments of a change).
async fn snapshot(s: &TestServer, path: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let started = std::time::Instant::now();
    loop {
        let response = if path.starts_with("/p/") {
            s.get(path).await
        } else {
            s.get_admin(path).await
        };
        // A busy server may answer 503 for a moment: that is not the snapshot yet.
        let text = response.text().await.unwrap();
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if ready(&value) {
            return value;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{path}: {text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The organiser's choice: the public sees cleaned figures (the projector's snapshot and the
/// audience link), a vote moved back in by hand counts again, each choice is recorded with
/// who and when, and hidden results stay hidden whatever the choice.
async fn the_public_sees_the_chosen_figures(db: TestDb) {
    let twilio = lookup_server(false).await;
    let clock = Clock::manual(Timestamp::from_millis(START));
    let s = start(&db, &twilio, &clock).await;
    add(&s, "CHOICE", Some(NUMBER)).await;
    // Ten honest 5s, then nine 1s from one block: the ninth makes it crowded (8 is the bar).
    for i in 0..10 {
        s.sms(&format!("SMc{i}"), &format!("+1{}5550000", 201 + i), "5")
            .await;
    }
    for i in 0..9 {
        s.sms(&format!("SMx{i}"), &wave_phone(i + 1, false), "1")
            .await;
    }
    let results = s.results("CHOICE").await;
    assert_eq!(results["count"], 19);
    assert_eq!(results["cleaned"]["count"], 10);
    let organiser = Organiser::sign_in(&s).await;
    let fields = [
        ("public", "cleaned"),
        ("exclude", "prefix"),
        ("exclude", "burst"),
    ];
    let r = organiser.post("/events/CHOICE/figures", &fields).await;
    assert_eq!(r.status(), 303);
    // The live pages rebuild their snapshot once the change is announced.
    let projector = snapshot(&s, "/api/events/CHOICE/snapshot", |v| {
        v["results"]["count"] == 10
    })
    .await;
    assert_eq!(projector["average_text"], "5.0");
    let r = organiser
        .post("/events/CHOICE/share", &[("action", "new")])
        .await;
    assert_eq!(r.status(), 303);
    let page = organiser.get("/events/CHOICE/manage").await;
    let token = page.split("/p/").nth(1).unwrap().split('"').next().unwrap();
    let public = format!("/p/{token}/snapshot");
    snapshot(&s, &public, |v| v["results"]["count"] == 10).await;
    // One flagged vote counted by hand.
    let r = organiser
        .post("/events/CHOICE/votes", &[("id", "SMx0"), ("action", "in")])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(s.results("CHOICE").await["cleaned"]["count"], 11);
    let page = organiser.get("/events/CHOICE/manage").await;
    assert!(page.contains(&format!(
        "{}: public sees figures cleaned of burst,prefix",
        ADMIN.0
    )));
    assert!(page.contains(&format!("{}: vote SMx0 counted by hand", ADMIN.0)));
    // Hidden results: the count only, even of the cleaned figures.
    s.ratings
        .change_event("CHOICE".parse().unwrap(), EventChange::HideResults(true))
        .await
        .unwrap();
    snapshot(&s, &public, |v| {
        v["results"]["count"] == 11 && v["results"]["average"].is_null() && v["revealed"] == false
    })
    .await;
    // A form naming an unknown reason changes nothing.
    let bad = [("public", "raw"), ("exclude", "astrology")];
    assert_eq!(
        organiser
            .post("/events/CHOICE/figures", &bad)
            .await
            .status(),
        400
    );
    assert_eq!(s.results("CHOICE").await["public"]["figures"], "cleaned");
    s.stop().await;
}
both_backends!(flags_choice, the_public_sees_the_chosen_figures);

/// A flood of calls from invented numbers without attestation: counted (the organiser chose
/// to count unverified calls) they move the raw figures, never the cleaned ones; held (the
/// default) they move neither.
async fn a_call_flood_does_not_move_the_cleaned_figures(db: TestDb) {
    let s = TestServer::start(&db.location).await;
    add(&s, "CALLS", Some(NUMBER)).await;
    for i in 0..40 {
        let rating = if i % 2 == 0 { "4" } else { "5" };
        s.sms(&format!("SMh{i}"), &format!("+1{}5551234", 301 + i), rating)
            .await;
    }
    let before = s.results("CALLS").await;
    for i in 0..30 {
        let from = format!("+1{}{:07}", 700 + i, i * 7919);
        call_with_verdict(&s, &format!("CAh{i}"), &from, "1", None).await;
    }
    let held = s.results("CALLS").await;
    assert_eq!(
        held["average"], before["average"],
        "held calls move nothing"
    );
    s.ratings
        .change_event(
            "CALLS".parse().unwrap(),
            EventChange::CountUnverifiedCalls(true),
        )
        .await
        .unwrap();
    for i in 0..30 {
        let from = format!("+1{}{:07}", 800 + i, i * 7919);
        call_with_verdict(&s, &format!("CAc{i}"), &from, "1", None).await;
    }
    let after = s.results("CALLS").await;
    assert_eq!(after["count"], 70);
    assert!(
        after["average"].as_f64().unwrap() < 3.5,
        "raw moved: {after}"
    );
    assert_eq!(after["cleaned"]["count"], 40);
    assert_eq!(after["cleaned"]["average"], before["average"]);
    assert_eq!(groups(&after, "caller-unverified").len(), 30);
    s.stop().await;
}
both_backends!(flags_calls, a_call_flood_does_not_move_the_cleaned_figures);

/// A flood from one number: five replies an hour, then empty answers; every vote processed
/// by the usual rules (the latest replaces), the sender flagged for its rate; other senders
/// still answered; an hour later the number gets replies again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reply_budget_holds_under_a_one_number_flood() {
    let db = TestDb::sqlite();
    let clock = Clock::manual(Timestamp::from_millis(START));
    let s = TestServer::start_with_service(&db.location, {
        let clock = clock.clone();
        move |r| r.with_clock(clock)
    })
    .await;
    add(&s, "FLOOD", Some(NUMBER)).await;
    let flooder = "+14155550199";
    let mut answered = 0;
    for i in 0..30 {
        clock.advance(Duration::from_secs(2));
        let rating = 1 + i % 5;
        let (status, twiml) =
            sms_raw(&s, &format!("SMf{i}"), flooder, &rating.to_string(), &[]).await;
        assert_eq!(status, 200);
        if twiml != EMPTY {
            answered += 1;
            assert!(i < 5, "reply {i} after the budget: {twiml}");
        }
    }
    assert_eq!(answered, 5);
    // A retry of a message answered with nothing is answered with nothing again.
    let (_, retry) = sms_raw(&s, "SMf29", flooder, "5 again", &[]).await;
    assert_eq!(retry, EMPTY);
    let results = s.results("FLOOD").await;
    assert_eq!(results["count"], 1, "one phone, one vote");
    assert_eq!(results["average"], 5.0, "the latest (30th) vote counts");
    assert_eq!(groups(&results, "rate").len(), 1);
    let (_, other) = s.sms("SMo1", "+14155550200", "4").await;
    assert!(other.contains("4/5"), "{other}");
    clock.advance(Duration::from_secs(3600));
    let (_, later) = s.sms("SMf99", flooder, "3").await;
    assert!(later.contains("3/5"), "{later}");
    s.stop().await;
}

/// Lookup failing (here: refused credentials) never blocks a vote, and the number is looked
/// up again at its next vote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookup_errors_never_block_a_vote() {
    let db = TestDb::sqlite();
    let twilio = lookup_server(false).await;
    let client = Client::new(
        Credentials::auth_token(AC, "not-the-auth-token").unwrap(),
        Hosts::with_base(&twilio.base_url()).unwrap(),
    )
    .unwrap();
    let s = TestServer::start_with_service(&db.location, move |r| r.with_lookup(client)).await;
    add(&s, "LOOK", Some(NUMBER)).await;
    let lookups = || {
        twilio
            .requests()
            .iter()
            .filter(|r| r.contains("/v2/PhoneNumbers/"))
            .count()
    };
    for i in 0..3 {
        let (status, reply) = s
            .sms(&format!("SMl{i}"), &wave_phone(i * 2, false), "4")
            .await;
        assert_eq!(status, 200);
        assert!(reply.contains("4/5"), "{reply}");
    }
    let started = std::time::Instant::now();
    while lookups() < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{:?}",
            twilio.requests()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let results = s.results("LOOK").await;
    assert_eq!(results["count"], 3);
    assert!(groups(&results, "line-type").is_empty());
    s.sms("SMl9", &wave_phone(0, false), "5").await;
    while lookups() < 4 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "not tried again"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    s.stop().await;
}
