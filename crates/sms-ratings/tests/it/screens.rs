//! Every page at every size the room uses, light and dark, in headless Chromium, with 500
//! votes (long, right-to-left and mixed-script comments among them): the wall fits one
//! screen, nothing overflows sideways, chart labels never overlap, no voter digit reaches the
//! projector or the audience, every piece of user text is bidi-isolated, and axe-core finds
//! no serious or critical WCAG 2.2 AA violation. Screenshots of each page at each size and
//! theme land in `$CARGO_TARGET_DIR/screenshots/` for a person to look at.
//!
//! axe-core comes from npm (`.ci/axe` installs it into `$CARGO_TARGET_DIR/axe`, or set
//! `AXE_CORE_JS` to its `axe.min.js`); without it the accessibility check is skipped, saying
//! so, and everything else still runs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::Client;
use serde_json::{Value, json};

use sms_ratings::model::Timestamp;
use sms_ratings::store::EventChange;

use crate::browser::{
    eval, programs, screenshot_path, sign_in, start_browser, store_vote, wait_for,
};
use crate::e2e::add;
use crate::server::{NUMBER, TestServer};
use crate::support::TestDb;

/// Window sizes: three projectors and a phone.
const SIZES: [(u32, u32); 4] = [(1920, 1080), (1280, 720), (1024, 768), (390, 844)];
const THEMES: [&str; 2] = ["light", "dark"];
const VOTES: u32 = 500;
/// 43 characters: the shape of a share token.
const SHARE: &str = "screensScreensScreensScreensScreensScreens1";

/// Comments of every kind the room sends: long, right-to-left, mixed, emoji, markup.
fn comments() -> Vec<String> {
    let long = "This talk was excellent, the examples were clear and the pace was right; \
                I would happily listen to a second part. "
        .repeat(6)
        .chars()
        .take(600)
        .collect::<String>();
    let arabic_long = "محاضرة رائعة جدا، شكرا للمتحدث على الأمثلة الواضحة. ".repeat(12);
    vec![
        long,
        "محاضرة رائعة، شكرا! 10/10".to_owned(),
        arabic_long.chars().take(600).collect(),
        "הרצאה מעולה, תודה רבה".to_owned(),
        "Great talk — محاضرة رائعة — très bien".to_owned(),
        "素晴らしい発表でした 🎉🔥".to_owned(),
        "Отличный доклад, спасибо".to_owned(),
        "<b>bold</b> & <script>alert(1)</script>".to_owned(),
        "👍".to_owned(),
    ]
}

/// `axe.min.js`, or `None` with the reason printed.
fn axe_source() -> Option<String> {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    let path = std::env::var_os("AXE_CORE_JS").map_or_else(
        || target.join("axe/node_modules/axe-core/axe.min.js"),
        PathBuf::from,
    );
    match std::fs::read_to_string(&path) {
        Ok(source) => Some(source),
        Err(e) => {
            eprintln!(
                "skipping the axe-core checks: {} ({e}); run .ci/axe or set AXE_CORE_JS",
                path.display()
            );
            None
        }
    }
}

/// A Chrome DevTools command through chromedriver (`goog/cdp/execute`): the viewport and
/// `prefers-color-scheme` emulated in one browser session.
#[derive(Debug)]
struct Cdp(&'static str, Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        let body = json!({ "cmd": self.0, "params": self.1 });
        (axum::http::Method::POST, Some(body.to_string()))
    }
}

async fn emulate(browser: &Client, (width, height): (u32, u32), theme: &str) {
    let metrics =
        json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false });
    browser
        .issue_cmd(Cdp("Emulation.setDeviceMetricsOverride", metrics))
        .await
        .unwrap();
    let media = json!({ "features": [{ "name": "prefers-color-scheme", "value": theme }] });
    browser
        .issue_cmd(Cdp("Emulation.setEmulatedMedia", media))
        .await
        .unwrap();
}

/// Elements that stick out of the viewport sideways (none may, at any size).
const OVERFLOWING: &str = "(() => { const W = document.documentElement.clientWidth; \
    return [...document.body.querySelectorAll('*')].filter(e => { \
      if (e.closest('.visually-hidden')) return false; \
      const r = e.getBoundingClientRect(); \
      return r.width > 0 && r.height > 0 && (r.right > W + 0.5 || r.left < -0.5); }) \
    .slice(0, 5).map(e => e.tagName + '.' + (e.getAttribute('class') || '') + ' ' + \
      Math.round(e.getBoundingClientRect().left) + '..' + Math.round(e.getBoundingClientRect().right)); })()";

/// The first two chart labels whose boxes intersect, and how many labels are visible.
const LABELS: &str = "(() => { const boxes = [...document.querySelectorAll('svg[data-chart] text')] \
      .map(t => [t.textContent, t.getBoundingClientRect()]).filter(([, r]) => r.width > 0); \
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) { \
      const [a, b] = [boxes[i][1], boxes[j][1]]; \
      if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) \
        return { overlap: [boxes[i][0], boxes[j][0]], visible: boxes.length }; } \
    return { overlap: null, visible: boxes.length, \
      chart: document.querySelector('svg[data-chart]').getBoundingClientRect().height > 0 }; })()";

/// The focus ring of the first enabled button: its width and its contrast against the card
/// or page behind it (WCAG 2.2: at least 2 px and 3:1).
const FOCUS_RING: &str = "(() => { \
    const parse = c => { const n = c.match(/[\\d.]+/g).map(Number); \
      const k = c.startsWith('color(') ? 255 : 1; \
      return { rgb: n.slice(0, 3).map(v => v * k), a: n.length > 3 ? n[3] : 1 }; }; \
    const over = (fg, bg) => { const [f, b] = [parse(fg), parse(bg)]; \
      return f.rgb.map((v, i) => f.a * v + (1 - f.a) * b.rgb[i]); }; \
    const lum = rgb => { const [r, g, b] = rgb.map(v => { v /= 255; \
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); \
      return 0.2126 * r + 0.7152 * g + 0.0722 * b; }; \
    const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); \
      return (x + 0.05) / (y + 0.05); }; \
    const button = document.querySelector('button:not([disabled])'); \
    button.focus({ focusVisible: true }); \
    const style = getComputedStyle(button); \
    const behind = getComputedStyle(button.closest('.card') || document.body).backgroundColor; \
    const out = { width: parseFloat(style.outlineWidth), style: style.outlineStyle, \
      color: style.outlineColor, \
      contrast: ratio(over(style.outlineColor, behind), parse(behind).rgb) }; \
    button.blur(); return out; })()";

/// The first two parts of the wall (its cards) that cover each other, or null.
const CARDS: &str = "(() => { const parts = [...document.querySelectorAll('main.wall > *')] \
      .map(e => [e.getAttribute('class'), e.getBoundingClientRect()]) \
      .filter(([, r]) => r.width > 1 && r.height > 1); \
    for (let i = 0; i < parts.length; i++) for (let j = i + 1; j < parts.length; j++) { \
      const [a, b] = [parts[i][1], parts[j][1]]; \
      if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) \
        return [parts[i][0], parts[j][0]]; } \
    return null; })()";

/// Serious and critical WCAG 2.x A/AA violations, a few nodes each, and how many rules
/// passed (so a run that checked nothing cannot pass for a clean one).
const AXE_RUN: &str = "const done = arguments[arguments.length - 1]; \
    axe.run(document, { runOnly: { type: 'tag', values: \
        ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }, resultTypes: ['violations'] }) \
      .then(r => done({ passes: r.passes.length, bad: r.violations \
        .filter(v => v.impact === 'serious' || v.impact === 'critical') \
        .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3) \
          .map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').slice(0, 160)).join(' | ')) })) \
      .catch(e => done({ passes: 0, bad: ['axe failed: ' + e] }));";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_fits_every_screen_in_both_themes() {
    let Some((chromium, driver)) = programs() else {
        return;
    };
    let axe = axe_source();
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    add(&s, "NIGHT", Some(NUMBER)).await;
    // A second open event on the number: texts must start with the code, so the wall shows
    // the longer instruction ("Text NIGHT 4 to …").
    add(&s, "OTHER", Some(NUMBER)).await;
    s.store
        .change_event(
            "NIGHT".parse().unwrap(),
            EventChange::Share(Some(SHARE.into())),
        )
        .await
        .unwrap();
    submit_votes(&s).await;

    let profile = tempfile::tempdir().unwrap();
    let (driver_process, browser) = start_browser(&chromium, &driver, profile.path(), &[]).await;
    let mut run = look_at_everything(&browser, &s, axe.as_deref()).await;
    if let Ok(problems) = &mut run {
        // Last, as it stops the server.
        match server_gone(&browser, s).await {
            Ok(found) => problems.extend(found),
            Err(e) => problems.push(e),
        }
    }
    let closed = browser.close().await;
    drop(driver_process);
    let problems = run.unwrap_or_else(|e| panic!("{e}"));
    closed.unwrap();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// 500 votes over the last 90 minutes, a third with comments; the newest all have one.
async fn submit_votes(s: &TestServer) {
    let texts = comments();
    let now = Timestamp::now().millis();
    for i in 0..VOTES {
        let commented = i % 3 == 0 || i >= VOTES - 12;
        let comment = if commented {
            texts[i as usize % texts.len()].clone()
        } else {
            String::new()
        };
        let rating = [5, 5, 4, 5, 3, 4, 5, 2, 4, 1][i as usize % 10];
        let at = now - 90 * 60_000 + i64::from(i) * 10_800;
        let vote = (&format!("SMS{i:05}") as &str, rating, comment);
        store_vote(s, "NIGHT", vote, &format!("+1202555{i:04}"), at).await;
    }
}

/// Which pages, and whether each is a wall (one screen, no organiser data).
fn pages(s: &TestServer) -> Vec<(&'static str, String, bool)> {
    vec![
        ("projector", format!("{}/events/NIGHT", s.base), true),
        ("audience", format!("{}/p/{SHARE}", s.base), true),
        ("manage", format!("{}/events/NIGHT/manage", s.base), false),
        ("events", format!("{}/", s.base), false),
        ("new-event", format!("{}/events/new", s.base), false),
    ]
}

/// Visits every page at every size and theme; returns what is wrong (empty when all holds).
async fn look_at_everything(
    browser: &Client,
    s: &TestServer,
    axe: Option<&str>,
) -> Result<Vec<String>, String> {
    sign_in(browser, s).await?;
    let mut problems = Vec::new();
    problems.extend(results_hidden(browser, s).await?);
    problems.extend(two_minutes(browser, s).await?);
    for theme in THEMES {
        for size in SIZES {
            emulate(browser, size, theme).await;
            for (name, url, wall) in pages(s) {
                let at = format!("{name} at {}x{} {theme}", size.0, size.1);
                browser.goto(&url).await.map_err(|e| e.to_string())?;
                let ready = if wall {
                    "document.querySelector('main').dataset.via === 'live' && \
                     document.querySelector('main').dataset.revealed === 'true'"
                } else {
                    "document.readyState === 'complete'"
                };
                wait_for(browser, ready, Duration::from_secs(5)).await;
                // The bars' transitions and the comment fitting settle.
                tokio::time::sleep(Duration::from_millis(350)).await;
                problems.extend(check(browser, &at, wall, size).await);
                let file = format!("{name}-{}x{}-{theme}.png", size.0, size.1);
                problems.extend(shoot_and_axe(browser, &file, &at, axe).await?);
            }
        }
        // The form refused, at phone size: the errors beside their fields fit too.
        let at = format!("new-event refused at 390x844 {theme}");
        browser
            .goto(&format!("{}/events/new", s.base))
            .await
            .map_err(|e| e.to_string())?;
        wait_for(
            browser,
            "document.getElementById('code') !== null",
            Duration::from_secs(5),
        )
        .await;
        eval(
            browser,
            "(document.getElementById('code').value = '9am', \
              document.getElementById('name').value = 'عرض <تجريبي> demo', \
              document.getElementById('closes').value = '2001-01-01T00:00', \
              document.getElementById('opens').value = '2099-01-01T00:00', \
              document.querySelector('form.event-form').submit(), true)",
        )
        .await;
        wait_for(
            browser,
            "document.querySelector('[data-error=code]') !== null",
            Duration::from_secs(5),
        )
        .await;
        problems.extend(check(browser, &at, false, (390, 844)).await);
        let file = format!("new-event-refused-390x844-{theme}.png");
        problems.extend(shoot_and_axe(browser, &file, &at, axe).await?);
    }
    Ok(problems)
}

/// Saves a screenshot as `file`; returns what axe-core (when there) finds wrong.
async fn shoot_and_axe(
    browser: &Client,
    file: &str,
    at: &str,
    axe: Option<&str>,
) -> Result<Vec<String>, String> {
    let png = browser.screenshot().await.map_err(|e| e.to_string())?;
    std::fs::write(screenshot_path(file), &png).map_err(|e| e.to_string())?;
    let Some(axe) = axe else {
        return Ok(Vec::new());
    };
    browser
        .execute(axe, vec![])
        .await
        .map_err(|e| e.to_string())?;
    let found = browser
        .execute_async(AXE_RUN, vec![])
        .await
        .map_err(|e| e.to_string())?;
    let mut problems = Vec::new();
    if found["passes"].as_u64() < Some(5) {
        problems.push(format!("{at}: axe checked next to nothing: {found}"));
    }
    for v in found["bad"].as_array().into_iter().flatten() {
        problems.push(format!("{at}: axe {}", v.as_str().unwrap_or_default()));
    }
    Ok(problems)
}

/// The projector when its server goes away: a banner across the top says so, and the wall
/// still fits the screen.
async fn server_gone(browser: &Client, s: TestServer) -> Result<Vec<String>, String> {
    let size = (1280, 720);
    emulate(browser, size, "dark").await;
    browser
        .goto(&format!("{}/events/NIGHT", s.base))
        .await
        .map_err(|e| e.to_string())?;
    let live = "document.querySelector('main').dataset.via === 'live'";
    wait_for(browser, live, Duration::from_secs(5)).await;
    s.stop().await;
    let banner = "document.querySelector('[data-field=reconnecting]')";
    wait_for(
        browser,
        &format!("{banner}.textContent.startsWith('Reconnecting')"),
        Duration::from_secs(8),
    )
    .await;
    let at = "projector, server gone, at 1280x720 dark";
    let mut problems = check(browser, at, true, size).await;
    let height = eval(browser, &format!("{banner}.getBoundingClientRect().height")).await;
    if height.as_f64() < Some(0.05 * 720.0) {
        problems.push(format!("{at}: the banner is small: {height}px"));
    }
    let png = browser.screenshot().await.map_err(|e| e.to_string())?;
    let file = screenshot_path("projector-reconnecting-1280x720-dark.png");
    std::fs::write(file, &png).map_err(|e| e.to_string())?;
    Ok(problems)
}

/// A young event (votes in two neighbouring minutes): the first and last time labels would
/// sit on top of each other, so one is left out.
async fn two_minutes(browser: &Client, s: &TestServer) -> Result<Vec<String>, String> {
    add(s, "YOUNG", None).await;
    let now = Timestamp::now().millis();
    for (i, at) in [now - 60_000, now - 1_000].into_iter().enumerate() {
        let vote = (&format!("SMY{i}") as &str, 4, String::new());
        store_vote(s, "YOUNG", vote, &format!("+1202666000{i}"), at).await;
    }
    emulate(browser, (1920, 1080), "light").await;
    browser
        .goto(&format!("{}/events/YOUNG", s.base))
        .await
        .map_err(|e| e.to_string())?;
    let live = "document.querySelector('main').dataset.via === 'live'";
    wait_for(browser, live, Duration::from_secs(5)).await;
    let labels = eval(browser, LABELS).await;
    let mut problems = Vec::new();
    if !labels["overlap"].is_null() || labels["visible"].as_u64() < Some(3) {
        problems.push(format!("young event at 1920x1080: chart labels {labels}"));
    }
    Ok(problems)
}

/// The projector while the organiser hides the results: the count and a "revealed soon"
/// card in the histogram's place, still one screen, nothing covering anything.
async fn results_hidden(browser: &Client, s: &TestServer) -> Result<Vec<String>, String> {
    let code = || "NIGHT".parse().unwrap();
    // Through the service, as the organiser's button: the live pages hear of it.
    s.ratings
        .change_event(code(), EventChange::HideResults(true))
        .await
        .map_err(|e| e.to_string())?;
    let mut problems = Vec::new();
    for size in &SIZES[..3] {
        emulate(browser, *size, "light").await;
        let at = format!("projector, results hidden, at {}x{}", size.0, size.1);
        browser
            .goto(&format!("{}/events/NIGHT", s.base))
            .await
            .map_err(|e| e.to_string())?;
        wait_for(
            browser,
            "document.querySelector('main').dataset.via === 'live'",
            Duration::from_secs(5),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        problems.extend(check(browser, &at, true, *size).await);
        let soon = eval(
            browser,
            "document.querySelector('.reveal-soon').getBoundingClientRect().height",
        )
        .await;
        if soon.as_f64() < Some(40.0) {
            problems.push(format!("{at}: no 'revealed soon' card ({soon})"));
        }
        let png = browser.screenshot().await.map_err(|e| e.to_string())?;
        let file = format!("projector-hidden-{}x{}.png", size.0, size.1);
        std::fs::write(screenshot_path(&file), &png).map_err(|e| e.to_string())?;
    }
    // (A feed still running from the last page must not serve the hidden snapshot to the next.)
    s.ratings
        .change_event(code(), EventChange::HideResults(false))
        .await
        .map_err(|e| e.to_string())?;
    Ok(problems)
}

/// The layout and privacy rules of one page as shown.
async fn check(browser: &Client, at: &str, wall: bool, (width, height): (u32, u32)) -> Vec<String> {
    let mut problems = Vec::new();
    let overflowing = eval(browser, OVERFLOWING).await;
    if overflowing != json!([]) {
        problems.push(format!("{at}: sticks out sideways: {overflowing}"));
    }
    let scroll = eval(
        browser,
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight, \
          window.innerWidth, window.innerHeight]",
    )
    .await;
    if scroll[0].as_u64() > scroll[2].as_u64() {
        problems.push(format!("{at}: scrolls sideways: {scroll}"));
    }
    if at.starts_with("manage") {
        let ring = eval(browser, FOCUS_RING).await;
        if ring["style"] != "solid"
            || ring["width"].as_f64() < Some(2.0)
            || ring["contrast"].as_f64() < Some(3.0)
        {
            problems.push(format!("{at}: focus ring {ring}"));
        }
    }
    let isolated = eval(
        browser,
        "[...document.querySelectorAll('.said')].every(p => p.dir === 'auto') && \
         [...document.querySelectorAll('main.wall h1, main.manage h1')].every(h => h.dir === 'auto') && \
         [...document.querySelectorAll('.events td.name')].every(td => td.firstElementChild?.tagName === 'BDI') && \
         [...document.querySelectorAll('input#name')].every(i => i.dir === 'auto')",
    )
    .await;
    if isolated != Value::Bool(true) {
        problems.push(format!("{at}: user text without bidi isolation"));
    }
    if !wall {
        return problems;
    }
    let landscape = width > height;
    if landscape && scroll[1].as_u64() > scroll[3].as_u64() {
        problems.push(format!("{at}: the wall scrolls: {scroll}"));
    }
    let overlapping = eval(browser, CARDS).await;
    if !overlapping.is_null() {
        problems.push(format!("{at}: parts of the wall overlap: {overlapping}"));
    }
    let labels = eval(browser, LABELS).await;
    if !labels["overlap"].is_null() {
        problems.push(format!("{at}: chart labels overlap: {labels}"));
    }
    if labels["chart"] == true && labels["visible"].as_u64() < Some(3) {
        problems.push(format!(
            "{at}: the timeline shows without its labels: {labels}"
        ));
    }
    let shown = eval(
        browser,
        "({ text: document.body.innerText, \
            organiser: document.querySelectorAll('a[href=\"/\"], a[href*=\"/manage\"]').length, \
            count: document.querySelector('[data-field=count]').textContent, \
            revealed: document.querySelector('main').dataset.revealed === 'true', \
            say: document.querySelector('.cta').innerText.replace(/\\s+/g, ' '), \
            comments: [...document.querySelectorAll('[data-field=comments] li')].filter(li => !li.hidden).length, \
            qr: document.querySelector('img.qr').getBoundingClientRect().height / innerHeight, \
            number: parseFloat(getComputedStyle(document.querySelector('.cta .number')).fontSize), \
            largest_else: Math.max(...[...document.querySelectorAll('main.wall *')] \
              .filter(e => !e.closest('.cta') && e.getBoundingClientRect().height > 0) \
              .map(e => parseFloat(getComputedStyle(e).fontSize))) })",
    )
    .await;
    let text = shown["text"].as_str().unwrap_or_default();
    if text.contains('•') || text.contains("2555") {
        problems.push(format!("{at}: voter digits on the wall"));
    }
    if shown["organiser"] != 0 || text.contains("Tap to text") && landscape {
        problems.push(format!("{at}: organiser chrome on the wall: {shown}"));
    }
    let say = shown["say"].as_str().unwrap_or_default();
    if shown["revealed"] != json!(!at.contains("results hidden")) {
        problems.push(format!("{at}: results revealed = {}", shown["revealed"]));
    }
    if !say.starts_with("Text NIGHT 4 to") {
        problems.push(format!("{at}: the join instruction reads {say:?}"));
    }
    if shown["count"] != "500" {
        problems.push(format!("{at}: count {}", shown["count"]));
    }
    if shown["comments"].as_u64() < Some(2) {
        problems.push(format!(
            "{at}: fewer than 2 comments fit: {}",
            shown["comments"]
        ));
    }
    if landscape && shown["number"].as_f64() < shown["largest_else"].as_f64() {
        problems.push(format!(
            "{at}: the number ({}px) is not the largest text (others up to {}px)",
            shown["number"], shown["largest_else"]
        ));
    }
    if landscape && shown["qr"].as_f64() < Some(0.25) {
        problems.push(format!("{at}: QR under 25% of the height: {}", shown["qr"]));
    }
    problems
}
