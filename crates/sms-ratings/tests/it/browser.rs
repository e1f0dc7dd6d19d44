//! The results page in a real browser: headless Chromium driven over WebDriver (fantoccini).
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/browser-deps` installs them); skips,
//! saying so, when either is missing. Votes go over real HTTP, signed like Twilio's.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

use sms_ratings::model::{Rating, Submission, Timestamp, Vote};

use crate::e2e::add;
use crate::server::{ADMIN, NUMBER, TestServer};
use crate::support::{KillOnDrop, TestDb, free_port};

/// A program on `PATH`, or `None`.
fn which(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Chromium and chromedriver; `None` (saying the test skips) when either is missing.
pub fn programs() -> Option<(PathBuf, PathBuf)> {
    let found = (
        which(&["chromium", "chromium-browser", "google-chrome"]),
        which(&["chromedriver"]),
    );
    if let (Some(chromium), Some(driver)) = found {
        return Some((chromium, driver));
    }
    eprintln!(
        "skipping the browser test: chromium and chromedriver are not both installed \
         (run .ci/browser-deps, or apt-get install chromium chromium-driver)"
    );
    None
}

/// The chromedriver this test started, killed (by its handle) however the test ends.
type Driver = KillOnDrop;

pub async fn start_browser(
    chromium: &Path,
    driver: &Path,
    profile: &Path,
    extra: &[&str],
) -> (Driver, Client) {
    let port = free_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let driver = KillOnDrop(child);
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while crate::support::http_client()
        .get(format!("{url}/status"))
        .send()
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1000",
    ]
    .iter()
    .chain(extra)
    .map(|a| a.to_string())
    .collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": { "binary": chromium, "args": args },
    });
    let Value::Object(capabilities) = capabilities else {
        unreachable!()
    };
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&url)
        .await
        .unwrap();
    (driver, client)
}

/// Stores a vote `(message_sid, rating, comment)` directly with its time (ms since the
/// epoch): a history no real-time sending could make quickly.
pub async fn store_vote(
    s: &TestServer,
    code: &str,
    vote: (&str, u8, String),
    phone: &str,
    at: i64,
) {
    let (sid, rating, comment) = vote;
    let vote = Vote {
        code: Some(code.parse().unwrap()),
        rating: Rating::new(rating).unwrap(),
        comment,
    };
    s.store
        .submit(Submission {
            idempotency_key: sid.to_owned(),
            phone: phone.to_owned(),
            to: NUMBER.into(),
            vote,
            at: Timestamp::from_millis(at),
            channel: sms_ratings::model::Channel::Sms,
            caller: sms_ratings::model::CallerId::Trusted,
            quiet: false,
        })
        .await
        .unwrap();
}

/// Evaluates `expr` in the page (a JavaScript expression).
pub async fn eval(browser: &Client, expr: &str) -> Value {
    browser
        .execute(&format!("return ({expr});"), vec![])
        .await
        .unwrap()
}

/// Waits (up to `limit`) until `expr` is true in the page; returns how long it took.
pub async fn wait_for(browser: &Client, expr: &str, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        if eval(browser, expr).await == Value::Bool(true) {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "not within {limit:?}: {expr}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Opens `url` and waits until its script is connected `via` "live" (event stream) or "polling".
pub async fn open_page(browser: &Client, url: &str, via: &str) -> Result<(), String> {
    browser.goto(url).await.map_err(|e| e.to_string())?;
    let connected = format!("document.querySelector('main').dataset.via === '{via}'");
    wait_for(browser, &connected, Duration::from_secs(5)).await;
    Ok(())
}

/// Waits until the page shows `count` votes: at most a second after the vote was answered.
async fn wait_for_count(browser: &Client, count: u64) -> Duration {
    wait_for(
        browser,
        &format!("document.querySelector('[data-field=count]').textContent === '{count}'"),
        Duration::from_secs(1),
    )
    .await
}

/// What the page shows, read from the DOM.
async fn figures(browser: &Client) -> Value {
    eval(
        browser,
        "{ count: document.querySelector('[data-field=count]').textContent, \
           average: document.querySelector('[data-field=average]').textContent, \
           histogram: [1,2,3,4,5].map(r => document.querySelector('[data-n=\"' + r + '\"]').textContent), \
           widths: [1,2,3,4,5].map(r => document.querySelector('[data-bar=\"' + r + '\"]').getAttribute('width')), \
           columns: document.querySelectorAll('[data-chart=timeline] rect.col').length, \
           chart_votes: [...document.querySelectorAll('[data-chart=timeline] rect.col title')] \
              .map(t => parseInt(t.textContent.split(': ')[1])).reduce((a, b) => a + b, 0) }",
    )
    .await
}

/// The average to one decimal, half up, computed here from the API's histogram.
fn expected_average(results: &Value) -> String {
    let (count, sum) = (1..=5u64).fold((0, 0), |(c, s), r| {
        let n = results["histogram"][r.to_string()].as_u64().unwrap();
        (c + n, s + n * r)
    });
    if count == 0 {
        return "–".into();
    }
    let tenths = (sum * 20 + count) / (count * 2);
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// The page equals `GET /api/events/{code}/results`: count, average, every histogram bar.
async fn assert_page_matches_api(browser: &Client, s: &TestServer, code: &str) {
    let api = s.results(code).await;
    let count = api["count"].as_u64().unwrap();
    let histogram: Vec<Value> = (1..=5)
        .map(|r| Value::String(api["histogram"][r.to_string()].to_string()))
        .collect();
    // A re-rate leaves the count as it was: wait for the whole histogram, not only the count.
    // The wait is generous because the live hub paces its builds by how long the last one
    // took, and on a loaded 2-core CI machine a build of this small event can take a second.
    let started = Instant::now();
    let page = loop {
        let page = figures(browser).await;
        if page["histogram"] == Value::Array(histogram.clone())
            || started.elapsed() > Duration::from_secs(10)
        {
            break page;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(page["count"], count.to_string());
    assert_eq!(page["average"], expected_average(&api));
    let shown: f64 = page["average"].as_str().unwrap().parse().unwrap();
    assert!((shown - api["average"].as_f64().unwrap()).abs() <= 0.05 + 1e-9);
    let max = (1..=5)
        .map(|r| api["histogram"][r.to_string()].as_u64().unwrap())
        .max()
        .unwrap();
    for r in 1..=5usize {
        let n = api["histogram"][r.to_string()].as_u64().unwrap();
        assert_eq!(page["histogram"][r - 1], n.to_string(), "bar {r}");
        let tenths = n * 1000 / max.max(1);
        assert_eq!(
            page["widths"][r - 1],
            format!("{}.{}%", tenths / 10, tenths % 10),
            "bar {r} width"
        );
    }
    assert_eq!(
        page["chart_votes"], count,
        "the timeline adds up to the count"
    );
}

/// Tiny xorshift: random votes without another dependency; the seed is printed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

pub fn screenshot_path(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_page_in_headless_chromium() {
    let Some((chromium, driver)) = programs() else {
        return;
    };
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    add(&s, "RUST25", Some(NUMBER)).await;
    // An hour and a half of earlier votes (stored directly, with their times), so the
    // ratings-over-time chart has a history.
    let now = Timestamp::now().millis();
    for i in 0..30u8 {
        let at = now - 90 * 60_000 + i64::from(i) * 3 * 60_000;
        let vote = (&format!("SMH{i:04}") as &str, i % 5 + 1, String::new());
        store_vote(&s, "RUST25", vote, &format!("+1202555{i:04}"), at).await;
    }
    let profile = tempfile::tempdir().unwrap();
    let (driver_process, browser) = start_browser(&chromium, &driver, profile.path(), &[]).await;
    let run = drive(&browser, &s).await;
    let light = eval(&browser, "getComputedStyle(document.body).backgroundColor").await;
    let closed = browser.close().await;
    drop(driver_process);
    run.unwrap_or_else(|e| panic!("{e}"));
    closed.unwrap();

    // The same page with the system in dark mode: dark colours, screenshot for review.
    let profile = tempfile::tempdir().unwrap();
    let dark_flags = [
        "--force-dark-mode",
        "--blink-settings=preferredColorScheme=0",
    ];
    let (_driver, browser) = start_browser(&chromium, &driver, profile.path(), &dark_flags).await;
    let page = format!(
        "http://{}:{}@{}/events/RUST25",
        ADMIN.0,
        ADMIN.1.replace(' ', "%20"),
        s.base.trim_start_matches("http://")
    );
    open_page(&browser, &page, "live").await.unwrap();
    let dark = eval(&browser, "getComputedStyle(document.body).backgroundColor").await;
    assert_eq!(
        eval(
            &browser,
            "matchMedia('(prefers-color-scheme: dark)').matches"
        )
        .await,
        true
    );
    assert_ne!(
        dark, light,
        "prefers-color-scheme: dark changes the colours"
    );
    browser.set_window_size(1280, 800).await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let png = browser.screenshot().await.unwrap();
    std::fs::write(screenshot_path("results-page-dark.png"), &png).unwrap();
    browser.close().await.unwrap();
    s.stop().await;
}

/// Credentials in the URL once, at the root: the browser then sends them to every page,
/// form, fetch and event stream of this origin.
pub async fn sign_in(browser: &Client, s: &TestServer) -> Result<(), String> {
    let host = s.base.trim_start_matches("http://");
    let password = ADMIN.1.replace(' ', "%20");
    browser
        .goto(&format!("http://{}:{password}@{host}/", ADMIN.0))
        .await
        .map_err(|e| e.to_string())
}

/// The scenario; errors come back so the browser is closed either way.
async fn drive(browser: &Client, s: &TestServer) -> Result<(), String> {
    sign_in(browser, s).await?;
    wait_for(
        browser,
        "document.querySelector('a[href=\"/events/RUST25\"]') !== null",
        Duration::from_secs(5),
    )
    .await;
    let index = eval(
        browser,
        "document.querySelector('main.index tbody').innerText",
    )
    .await;
    assert!(index.as_str().unwrap().contains("RUST25"), "{index}");
    let png = browser.screenshot().await.map_err(|e| e.to_string())?;
    std::fs::write(screenshot_path("events-page.png"), &png).map_err(|e| e.to_string())?;
    open_page(browser, &format!("{}/events/RUST25", s.base), "live").await?;
    let before = figures(browser).await;
    assert_eq!(before["count"], "30");
    assert_eq!(before["average"], "3.0");
    assert_eq!(before["chart_votes"], 30);
    let columns = before["columns"].as_u64().unwrap();
    assert!((10..=48).contains(&columns), "{columns} columns");
    let cta = eval(
        browser,
        "document.querySelector('.cta').innerText.replace(/\\s+/g, ' ')",
    )
    .await;
    assert!(
        cta.as_str().unwrap().contains("Text 4 to +1 500 555 0006"),
        "{cta}"
    );

    // A vote shows within a second, without a reload.
    let marker = eval(browser, "window.__loaded = performance.timeOrigin").await;
    let (status, _) = s.sms("SM0001", "+14155550001", "5 what a talk").await;
    assert_eq!(status, 200);
    let took = wait_for_count(browser, 31).await;
    // Screen readers hear it (the first change at once, later ones at most every 15 s).
    wait_for(
        browser,
        "document.querySelector('[aria-live][data-field=announce]').textContent === \
         '31 votes, average 3.1.'",
        Duration::from_secs(2),
    )
    .await;
    eprintln!("first vote on the page after {took:?}");
    let after = figures(browser).await;
    assert_eq!(after["average"], "3.1", "95 / 31");
    assert_eq!(after["histogram"][4], "7");
    assert_eq!(after["widths"][4], "100.0%", "5 is now the tallest bar");
    assert_ne!(
        after["widths"][3], before["widths"][3],
        "the other bars shrank"
    );
    assert_eq!(after["chart_votes"], 31, "the timeline chart changed");
    assert_eq!(
        eval(browser, "window.__loaded === performance.timeOrigin").await,
        Value::Bool(true),
        "same document: no reload (marker {marker})"
    );

    // Hostile comment: shown as text, runs nothing.
    let hostile = "<img src=x onerror=alert(1)>";
    s.sms("SM0002", "+14155550002", &format!("2 {hostile}"))
        .await;
    wait_for_count(browser, 32).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let shown = eval(
        browser,
        "document.querySelector('[data-field=comments] li .said').textContent",
    )
    .await;
    assert_eq!(shown, hostile);
    assert_eq!(
        eval(browser, "document.querySelectorAll('img:not(.qr)').length").await,
        0
    );
    assert!(browser.get_alert_text().await.is_err(), "an alert is open");
    assert_eq!(figures(browser).await["average"], "3.0", "97 / 32");

    // Random votes (re-rates included): the page equals the API.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("random votes, seed {seed}");
    let mut rng = Rng(seed);
    for i in 0..40 {
        let phone = format!("+1415556{:04}", rng.below(25));
        let rating = rng.below(5) + 1;
        let comment = ["", " good", " meh", " loved it", " too long"][rng.below(5) as usize];
        let (status, _) = s
            .sms(&format!("SMR{i:05}"), &phone, &format!("{rating}{comment}"))
            .await;
        assert_eq!(status, 200);
    }
    assert_page_matches_api(browser, s, "RUST25").await;
    // Projector-sized, after the bars' transitions.
    browser
        .set_window_size(1280, 800)
        .await
        .map_err(|e| e.to_string())?;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let png = browser.screenshot().await.map_err(|e| e.to_string())?;
    std::fs::write(screenshot_path("results-page.png"), &png).map_err(|e| e.to_string())?;

    // The server-rendered page (after a reload) shows the same, and the comment still as text.
    let url = browser.current_url().await.map_err(|e| e.to_string())?;
    open_page(browser, url.as_str(), "live").await?;
    assert_page_matches_api(browser, s, "RUST25").await;
    assert_eq!(
        eval(browser, "document.querySelectorAll('img:not(.qr)').length").await,
        0
    );

    // Phone-sized window.
    browser
        .set_window_size(390, 844)
        .await
        .map_err(|e| e.to_string())?;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let overflow = eval(
        browser,
        "document.documentElement.scrollWidth <= window.innerWidth",
    )
    .await;
    assert_eq!(
        overflow,
        Value::Bool(true),
        "no sideways scrolling on a phone"
    );
    let png = browser.screenshot().await.map_err(|e| e.to_string())?;
    std::fs::write(screenshot_path("results-page-phone.png"), &png).map_err(|e| e.to_string())?;
    browser
        .set_window_size(1280, 1000)
        .await
        .map_err(|e| e.to_string())?;

    // Polling fallback (forced, as when a proxy blocks the event stream).
    open_page(
        browser,
        &format!("{}/events/RUST25?transport=poll", s.base),
        "polling",
    )
    .await?;
    s.sms("SM0003", "+14155550003", "4 polled").await;
    let took = wait_for(
        browser,
        "document.querySelector('[data-field=comments] li .said').textContent === 'polled'",
        Duration::from_millis(2500),
    )
    .await;
    eprintln!("vote on the polling page after {took:?}");
    assert_page_matches_api(browser, s, "RUST25").await;
    Ok(())
}

/// Clicks the element matching `css`.
async fn click(browser: &Client, css: &str) -> Result<(), String> {
    let element = browser
        .find(fantoccini::Locator::Css(css))
        .await
        .map_err(|e| format!("{css}: {e}"))?;
    element.click().await.map_err(|e| format!("{css}: {e}"))
}

/// Sets form fields (`#id` → value) the way typing would leave them.
async fn fill(browser: &Client, fields: &[(&str, &str)]) {
    for (id, value) in fields {
        let value = serde_json::to_string(value).unwrap();
        eval(
            browser,
            &format!("(document.getElementById('{id}').value = {value}, true)"),
        )
        .await;
    }
}

async fn save_screenshot(browser: &Client, name: &str) -> Result<(), String> {
    tokio::time::sleep(Duration::from_millis(400)).await;
    let png = browser.screenshot().await.map_err(|e| e.to_string())?;
    std::fs::write(screenshot_path(name), &png).map_err(|e| e.to_string())
}

/// A window of its own for `url`, connected live.
async fn window_for(browser: &Client, url: &str) -> Result<fantoccini::wd::WindowHandle, String> {
    let window = browser.new_window(false).await.map_err(|e| e.to_string())?;
    browser
        .switch_to_window(window.handle.clone())
        .await
        .map_err(|e| e.to_string())?;
    open_page(browser, url, "live").await?;
    Ok(window.handle)
}

async fn switch(browser: &Client, window: &fantoccini::wd::WindowHandle) -> Result<(), String> {
    browser
        .switch_to_window(window.clone())
        .await
        .map_err(|e| e.to_string())
}

const NO_SPAM: &str = "![...document.querySelectorAll('[data-field=comments] .said')]\
    .some(q => q.textContent.includes('spam'))";

/// The projector names the event's zone and its script writes comment times on that zone's
/// clock (+05:30), not the browser's.
async fn assert_times_in_kolkata(browser: &Client) {
    let zone = eval(
        browser,
        "document.querySelector('[data-field=zone]').textContent",
    )
    .await;
    assert_eq!(zone, "times in Asia/Kolkata");
    let time = eval(
        browser,
        "(t => [t.getAttribute('datetime'), t.textContent])(document.querySelector('.comments time'))",
    )
    .await;
    let at: sms_ratings::model::Timestamp = time[0].as_str().unwrap().parse().unwrap();
    let kolkata: sms_ratings::model::Zone = "Asia/Kolkata".parse().unwrap();
    assert_eq!(time[1], kolkata.clock(at).as_str(), "{time}");
}

/// The whole evening in the browser: create the event in the form, open it, show it on the
/// projector and to the audience, moderate, hide and reveal results, revoke the link.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organiser_runs_an_event_in_chromium() {
    let Some((chromium, driver)) = programs() else {
        return;
    };
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    let profile = tempfile::tempdir().unwrap();
    let (driver_process, browser) = start_browser(&chromium, &driver, profile.path(), &[]).await;
    let run = organise(&browser, &s).await;
    let closed = browser.close().await;
    drop(driver_process);
    run.unwrap_or_else(|e| panic!("{e}"));
    closed.unwrap();

    // The manage page in dark mode, for review.
    let profile = tempfile::tempdir().unwrap();
    let dark = [
        "--force-dark-mode",
        "--blink-settings=preferredColorScheme=0",
    ];
    let (_driver, browser) = start_browser(&chromium, &driver, profile.path(), &dark).await;
    sign_in(&browser, &s).await.unwrap();
    browser
        .goto(&format!("{}/events/MEETUP/manage", s.base))
        .await
        .unwrap();
    save_screenshot(&browser, "manage-page-dark.png")
        .await
        .unwrap();
    browser.close().await.unwrap();
    s.stop().await;
}

async fn organise(browser: &Client, s: &TestServer) -> Result<(), String> {
    sign_in(browser, s).await?;
    wait_for(
        browser,
        "document.querySelector('.empty-state') !== null",
        Duration::from_secs(5),
    )
    .await;
    save_screenshot(browser, "events-empty.png").await?;
    click(browser, "main .topbar a.primary[href='/events/new']").await?;
    wait_for(
        browser,
        "document.getElementById('code') !== null",
        Duration::from_secs(5),
    )
    .await;

    // A typo first: the form comes back with the error next to the field, values kept.
    fill(
        browser,
        &[
            ("code", "9am"),
            ("name", "Rust Meetup <3"),
            ("number", "+1 500 555 0006"),
            ("time_zone", "Asia/Kolkata"),
            ("opens", "2099-06-01T19:00"),
        ],
    )
    .await;
    click(browser, "form.event-form button[type=submit]").await?;
    wait_for(
        browser,
        "document.querySelector('[data-error=code]') !== null",
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(
        eval(browser, "document.getElementById('name').value").await,
        "Rust Meetup <3"
    );
    assert_eq!(
        eval(browser, "document.getElementById('opens').value").await,
        "2099-06-01T19:00"
    );
    save_screenshot(browser, "event-form-errors.png").await?;
    assert!(s.store.events().await.unwrap().is_empty(), "nothing saved");
    fill(browser, &[("code", "meetup")]).await;
    click(browser, "form.event-form button[type=submit]").await?;
    wait_for(
        browser,
        "location.pathname === '/events/MEETUP/manage'",
        Duration::from_secs(5),
    )
    .await;
    let state = "document.querySelector('[data-field=manage-state]').textContent";
    assert_eq!(eval(browser, state).await, "not open yet");
    let opens = eval(browser, "document.querySelector('.big-state').textContent").await;
    assert_eq!(opens, "Opens 2099-06-01 19:00 IST (Asia/Kolkata)");

    // Open it now, and make an audience link.
    click(browser, "button[data-action=open]").await?;
    wait_for(
        browser,
        "document.querySelector('[data-notice=opened]') !== null",
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(eval(browser, state).await, "open");
    click(browser, "button[data-action=share-new]").await?;
    wait_for(
        browser,
        "document.querySelector('[data-field=share-url]') !== null",
        Duration::from_secs(5),
    )
    .await;
    let share = eval(
        browser,
        "document.querySelector('[data-field=share-url]').value",
    )
    .await;
    let share = share.as_str().unwrap().to_owned();
    assert!(share.starts_with(&format!("{}/p/", s.base)), "{share}");
    let manage = browser.window().await.map_err(|e| e.to_string())?;

    // The projector and the audience in windows of their own; votes arrive by SMS.
    let projector = window_for(browser, &format!("{}/events/MEETUP", s.base)).await?;
    let cta = eval(
        browser,
        "document.querySelector('.cta').innerText.replace(/\\s+/g, ' ')",
    )
    .await;
    assert!(
        cta.as_str().unwrap().contains("Text 4 to +1 500 555 0006"),
        "{cta}"
    );
    assert_eq!(
        eval(browser, "document.querySelector('img.qr').naturalWidth > 0").await,
        true,
        "the QR code loads"
    );
    let public = window_for(browser, &share).await?;
    for (sid, phone, text) in [
        ("SMO1", "+14155550101", "5 brilliant talk"),
        ("SMO2", "+14155550102", "2 spam spam buy now"),
        ("SMO3", "+14155550103", "4"),
    ] {
        assert_eq!(s.sms(sid, phone, text).await.0, 200);
    }
    wait_for_count(browser, 3).await;
    let text = eval(browser, "document.body.innerText").await;
    let text = text.as_str().unwrap();
    assert!(
        text.contains("brilliant talk") && text.contains("spam"),
        "{text}"
    );
    for leak in ["0101", "0102", "•", "Manage"] {
        assert!(!text.contains(leak), "{leak} on the public page: {text}");
    }
    switch(browser, &projector).await?;
    wait_for_count(browser, 3).await;
    assert_eq!(figures(browser).await["average"], "3.7");
    assert_times_in_kolkata(browser).await;
    save_screenshot(browser, "projector-live.png").await?;

    // Hide the spam: off the projector and the public page within a second, in the CSV.
    switch(browser, &manage).await?;
    browser
        .goto(&format!("{}/events/MEETUP/manage", s.base))
        .await
        .map_err(|e| e.to_string())?;
    // In place: no reload, and the comment stays where it was on screen (the notice that
    // appears at the top does not push the list away).
    const PLACE: &str =
        "document.querySelector('li[data-comment=SMO2]').getBoundingClientRect().top";
    let scrolled = eval(
        browser,
        "(window.__page = 'kept', \
          document.querySelector('li[data-comment=SMO2]').scrollIntoView(), scrollY)",
    )
    .await;
    assert!(
        scrolled.as_f64() > Some(0.0),
        "the page scrolled: {scrolled}"
    );
    let before = eval(browser, PLACE).await;
    click(browser, "li[data-comment=SMO2] button[data-action=hide]").await?;
    wait_for(
        browser,
        "document.querySelector('li.is-hidden[data-comment=SMO2]') !== null && \
         document.querySelector('[data-notice=comment-hidden]') !== null",
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(eval(browser, "window.__page").await, "kept", "no reload");
    let after = eval(browser, PLACE).await;
    assert!(
        (after.as_f64().unwrap() - before.as_f64().unwrap()).abs() < 2.0,
        "the comment stayed in place: {before} → {after}"
    );
    save_screenshot(browser, "manage-page.png").await?;
    switch(browser, &projector).await?;
    let took = wait_for(browser, NO_SPAM, Duration::from_secs(1)).await;
    eprintln!("hidden comment gone from the projector after {took:?}");
    switch(browser, &public).await?;
    wait_for(browser, NO_SPAM, Duration::from_secs(1)).await;
    let csv = s.get_admin("/api/events/MEETUP/ratings.csv").await;
    let csv = csv.text().await.unwrap();
    let spam = csv.lines().find(|l| l.contains("spam")).unwrap_or_default();
    assert!(spam.contains(",\"hidden\","), "{csv}");

    // Hide the results for the show: the count only, everywhere; then reveal.
    switch(browser, &manage).await?;
    click(browser, "button[data-action=hide-results]").await?;
    for window in [&projector, &public] {
        switch(browser, window).await?;
        wait_for(
            browser,
            "document.querySelector('main').dataset.revealed === 'false'",
            Duration::from_secs(1),
        )
        .await;
        let shown = eval(
            browser,
            "[getComputedStyle(document.querySelector('.histogram')).display, \
              getComputedStyle(document.querySelector('.reveal-soon')).display, \
              document.querySelector('[data-field=count]').textContent]",
        )
        .await;
        // Hidden means hidden: no star rating and no bar left in the document either.
        let ratings = eval(
            browser,
            "document.querySelectorAll('.stars, [data-bar]').length +              (document.body.textContent.includes('★') ? 100 : 0)",
        )
        .await;
        assert_eq!(ratings, json!(0));
        assert_eq!(shown[0], "none", "no histogram");
        assert_ne!(shown[1], "none", "the revealed-soon card shows");
        assert_eq!(shown[2], "3");
    }
    save_screenshot(browser, "public-results-hidden.png").await?;
    switch(browser, &projector).await?;
    save_screenshot(browser, "projector-results-hidden.png").await?;
    switch(browser, &manage).await?;
    click(browser, "button[data-action=reveal]").await?;
    for window in [&projector, &public] {
        switch(browser, window).await?;
        wait_for(
            browser,
            "document.querySelector('main').dataset.revealed === 'true' && \
             document.querySelector('[data-field=average]').textContent === '3.7' && \
             document.querySelectorAll('[data-bar]').length === 5 && \
             document.querySelectorAll('.stars').length > 0 && \
             document.querySelector('[data-field=announce]').textContent === \
               'Results revealed: average 3.7 from 3 votes.'",
            Duration::from_secs(1),
        )
        .await;
    }
    browser
        .set_window_size(390, 844)
        .await
        .map_err(|e| e.to_string())?;
    save_screenshot(browser, "public-page-phone.png").await?;
    browser
        .set_window_size(1280, 1000)
        .await
        .map_err(|e| e.to_string())?;

    // The manage page follows the votes live: its count and comment list, without a reload.
    switch(browser, &manage).await?;
    assert_eq!(s.sms("SMO4", "+14155550104", "3 late").await.0, 200);
    wait_for(
        browser,
        "document.querySelector('[data-field=manage-count]').textContent === '4' && \
         document.querySelector('li[data-comment=SMO4]') !== null && window.__page === 'kept'",
        Duration::from_secs(5),
    )
    .await;
    // Revoke the link: it answers 404, and the open page says so.
    click(browser, "button[data-action=share-revoke]").await?;
    wait_for(
        browser,
        "document.querySelector('[data-notice=revoked]') !== null",
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(s.get(share.trim_start_matches(&s.base)).await.status(), 404);
    switch(browser, &public).await?;
    wait_for(
        browser,
        "document.querySelector('[data-field=transport]').textContent === 'no longer available'",
        Duration::from_secs(8),
    )
    .await;
    // Loudly: a banner across the top of the wall, not a small word.
    let banner = eval(
        browser,
        "[document.querySelector('[data-field=reconnecting]').textContent, \
          document.querySelector('[data-field=reconnecting]').getBoundingClientRect().height]",
    )
    .await;
    assert_eq!(banner[0], "This page is no longer available");
    assert!(banner[1].as_f64() > Some(30.0), "{banner}");
    save_screenshot(browser, "public-page-gone.png").await?;
    Ok(())
}
