//! Event management, moderation and share links over real HTTP, with the anti-forgery
//! token a real page hands out; and every state-changing route refusing a cross-site post.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::redirect::Policy;

use crate::e2e::add;
use crate::server::{ADMIN, NUMBER, TestServer, form};
use crate::support::TestDb;

/// An organiser's browser: basic auth, the anti-forgery cookie and token of a page.
pub(crate) struct Organiser {
    client: reqwest::Client,
    base: String,
    cookie: String,
    token: String,
}

impl Organiser {
    /// Loads the new-event form and keeps its cookie and token.
    pub(crate) async fn sign_in(s: &TestServer) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap();
        let page = client
            .get(format!("{}/events/new", s.base))
            .basic_auth(ADMIN.0, Some(ADMIN.1))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let set_cookie = page.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(set_cookie.contains("SameSite=Strict"), "{set_cookie}");
        assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        let html = page.text().await.unwrap();
        let token = hidden_field(&html, "csrf");
        assert_eq!(cookie.split_once('=').unwrap().1, token);
        Self {
            client,
            base: s.base.clone(),
            cookie,
            token,
        }
    }

    /// POSTs `fields` with basic auth, the given `token` field, the cookie (or not) and
    /// extra `headers`.
    async fn post_raw(
        &self,
        path: &str,
        token: &str,
        cookie: bool,
        headers: &[(&str, &str)],
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut all = vec![("csrf", token)];
        all.extend_from_slice(fields);
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .basic_auth(ADMIN.0, Some(ADMIN.1))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&all));
        if cookie {
            request = request.header("cookie", &self.cookie);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.unwrap()
    }

    /// POSTs `fields` (plus the token and cookie) from `origin`.
    async fn post_from(
        &self,
        origin: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        self.post_raw(path, &self.token, true, &[("origin", origin)], fields)
            .await
    }

    /// POSTs from our own origin.
    pub(crate) async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.post_from(&self.base.clone(), path, fields).await
    }

    pub(crate) async fn get(&self, path: &str) -> String {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .basic_auth(ADMIN.0, Some(ADMIN.1))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.text().await.unwrap()
    }
}

/// The value of the hidden input `name` in `html`.
fn hidden_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap() + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

fn location(r: &reqwest::Response) -> &str {
    r.headers()["location"].to_str().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_follows_the_event_rules_and_keeps_what_was_typed() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    let o = Organiser::sign_in(&s).await;
    let bad = [
        ("code", "9lives"),
        ("name", "Bell\u{7} <b>Co</b>"),
        ("number", "+1 555 CALL"),
        ("opens", "2026-11-29T18:00"),
        ("closes", "2026-11-29T17:00"),
    ];
    let r = o.post("/events", &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    for field in ["code", "name", "number", "closes"] {
        assert!(
            html.contains(&format!("data-error=\"{field}\"")),
            "{field}: {html}"
        );
    }
    assert!(html.contains("value=\"9lives\""), "the code is kept");
    assert!(
        html.contains("&#60;b&#62;Co&#60;/b&#62;"),
        "the name is kept, escaped"
    );
    assert!(!html.contains("<b>Co"));
    assert!(s.store.events().await.unwrap().is_empty(), "nothing saved");

    let good = [
        ("code", "show"),
        ("name", "The Show"),
        ("number", "+1 (500) 555-0006"),
        ("opens", ""),
        ("closes", ""),
    ];
    let r = o.post("/events", &good).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // No opening time, so it is open now, and the notice says so.
    assert_eq!(location(&r), "/events/SHOW/manage?notice=created-open");
    let page = o.get(location(&r)).await;
    assert!(
        page.contains("Event created. Voting is open now."),
        "{page}"
    );
    assert!(!page.contains("when you are ready"), "{page}");
    let stored = s
        .store
        .event("SHOW".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.number.as_deref(), Some(NUMBER));
    assert!(
        o.get("/events/SHOW/manage?notice=created")
            .await
            .contains("Event created")
    );

    // The same code again, and a second open event on the same number: refused.
    let r = o.post("/events", &good).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("already exists"));
    let clash = [("code", "OTHER"), ("name", "Other"), ("number", NUMBER)];
    let r = o.post("/events", &clash).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("data-error=\"number\"") && html.contains("SHOW"),
        "{html}"
    );
    assert_eq!(s.store.events().await.unwrap().len(), 1);

    // Edit: same rules, code fixed; a bad edit changes nothing.
    let r = o
        .post("/events/SHOW/edit", &[("name", ""), ("number", NUMBER)])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("data-error=\"name\""));
    let r = o
        .post(
            "/events/SHOW/edit",
            &[("name", "The Big Show"), ("closes", "2099-01-01T20:00")],
        )
        .await;
    assert_eq!(location(&r), "/events/SHOW/manage?notice=saved");
    let stored = s
        .store
        .event("SHOW".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.name, "The Big Show");
    assert_eq!(stored.number, None);
    assert_eq!(stored.closes.unwrap().rfc3339(), "2099-01-01T20:00:00Z");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_close_archive_and_the_one_open_event_per_number_rule() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    add(&s, "FIRST", Some(NUMBER)).await;
    add(&s, "SECOND", Some(NUMBER)).await;
    s.store
        .close_event("SECOND".parse().unwrap())
        .await
        .unwrap();
    let o = Organiser::sign_in(&s).await;
    let r = o.post("/events/SECOND/state", &[("action", "open")]).await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "FIRST is open"
    );
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("already serves event FIRST")
    );
    let r = o.post("/events/FIRST/state", &[("action", "close")]).await;
    assert_eq!(location(&r), "/events/FIRST/manage?notice=closed");
    let r = o.post("/events/SECOND/state", &[("action", "open")]).await;
    assert_eq!(location(&r), "/events/SECOND/manage?notice=opened");
    let (_, reply) = s.sms("SM1", "+14155550001", "5").await;
    assert!(reply.contains("SECOND"), "{reply}");
    let r = o
        .post("/events/FIRST/state", &[("action", "archive")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let index = o.get("/").await;
    assert!(
        !index.contains("/events/FIRST\""),
        "archived events leave the list"
    );
    assert!(index.contains("Archived (1)"));
    assert!(o.get("/?archived=1").await.contains("/events/FIRST\""));
    let r = o.post("/events/FIRST/state", &[("action", "bogus")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moderation_share_link_and_reset() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    add(&s, "MOD", Some(NUMBER)).await;
    s.sms("SM1", "+14155550001", "5 lovely talk").await;
    s.sms("SM2", "+14155550002", "1 rude words here").await;
    let o = Organiser::sign_in(&s).await;

    // Hide the rude comment: gone from the projector's snapshot, flagged in the CSV.
    let r = o
        .post("/events/MOD/comments", &[("id", "SM2"), ("action", "hide")])
        .await;
    assert_eq!(location(&r), "/events/MOD/manage?notice=comment-hidden");
    let snap = o.get("/api/events/MOD/snapshot").await;
    assert!(!snap.contains("rude"), "{snap}");
    assert!(snap.contains("lovely"));
    assert!(!o.get("/events/MOD").await.contains("rude"));
    let csv = o.get("/api/events/MOD/ratings.csv").await;
    let rude = csv.lines().find(|l| l.contains("rude")).unwrap();
    assert!(rude.contains(",\"hidden\","), "{csv}");
    let manage = o.get("/events/MOD/manage").await;
    assert!(manage.contains("rude words here") && manage.contains("is-hidden"));

    // Hide results: the count only.
    o.post("/events/MOD/results", &[("action", "hide")]).await;
    let snap: serde_json::Value =
        serde_json::from_str(&o.get("/api/events/MOD/snapshot").await).unwrap();
    assert_eq!(snap["revealed"], false);
    assert_eq!(snap["results"]["count"], 2);
    assert_eq!(snap["results"]["average"], serde_json::Value::Null);
    // No rating in any form: no histogram entry, no comment's rating.
    assert_eq!(snap["results"]["histogram"], serde_json::json!({}));
    assert!(
        snap["comments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c.get("rating").is_none()),
        "{snap}"
    );
    o.post("/events/MOD/results", &[("action", "reveal")]).await;
    let snap: serde_json::Value =
        serde_json::from_str(&o.get("/api/events/MOD/snapshot").await).unwrap();
    assert_eq!(snap["revealed"], true);
    assert_eq!(snap["results"]["histogram"]["5"], 1);

    // The audience link: figures and comments, no phone at all, no hidden comment.
    assert!(
        o.get("/events/MOD/manage")
            .await
            .contains("Create audience link")
    );
    let r = o.post("/events/MOD/share", &[("action", "new")]).await;
    assert_eq!(location(&r), "/events/MOD/manage?notice=shared");
    let manage = o.get("/events/MOD/manage").await;
    let link = hidden_value_of_share(&manage);
    let path = link.strip_prefix(&s.base).unwrap().to_owned();
    let public = s.get(&path).await;
    assert_eq!(public.status(), 200, "no credentials needed");
    let html = public.text().await.unwrap();
    assert!(html.contains("lovely talk") && !html.contains("rude"));
    for leak in ["0001", "0002", "•", "/manage"] {
        assert!(!html.contains(leak), "{leak} in the public page");
    }
    let snap = s
        .get(&format!("{path}/snapshot"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        snap.contains("\"count\":2") && !snap.contains("phone"),
        "{snap}"
    );
    assert_eq!(s.get(&format!("{path}/qr.svg")).await.status(), 200);
    // A new link replaces it; revoking ends it.
    o.post("/events/MOD/share", &[("action", "new")]).await;
    assert_eq!(s.get(&path).await.status(), 404, "the old link is dead");
    o.post("/events/MOD/share", &[("action", "revoke")]).await;
    let after = hidden_value_of_share(&o.get("/events/MOD/manage").await);
    assert!(after.is_empty(), "no link after revoking");
    assert_eq!(s.get("/p/not-a-token").await.status(), 404);

    // Reset: the typed code must match; the count removed is reported.
    // Exactly the code, so `mod ` or `mod` does not remove every vote of `MOD`.
    for wrong in ["nope", "mod", "MOD ", " MOD", "mod "] {
        let r = o.post("/events/MOD/reset", &[("confirm", wrong)]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{wrong:?}");
        assert_eq!(s.count("MOD").await, 2, "nothing removed for {wrong:?}");
    }
    let r = o.post("/events/MOD/reset", &[("confirm", "MOD")]).await;
    assert_eq!(location(&r), "/events/MOD/manage?notice=reset&removed=2");
    assert!(o.get(location(&r)).await.contains("Removed 2 votes."));
    assert_eq!(s.count("MOD").await, 0);
    s.stop().await;
}

/// The audience link shown on the manage page ("" when there is none).
fn hidden_value_of_share(html: &str) -> String {
    let Some(at) = html.find("data-field=\"share-url\"") else {
        return String::new();
    };
    let before = &html[..at];
    let start = before.rfind("value=\"").unwrap() + "value=\"".len();
    before[start..start + before[start..].find('"').unwrap()].to_owned()
}

/// Every state-changing route, with a body that would change something.
const ROUTES: &[(&str, &[(&str, &str)])] = &[
    (
        "/events",
        &[("code", "EVIL"), ("name", "Evil"), ("number", "")],
    ),
    ("/events/CSRF/edit", &[("name", "Renamed by evil")]),
    ("/events/CSRF/state", &[("action", "close")]),
    ("/events/CSRF/results", &[("action", "hide")]),
    ("/events/CSRF/share", &[("action", "new")]),
    ("/events/CSRF/calls", &[("action", "count")]),
    (
        "/events/CSRF/comments",
        &[("id", "SM1"), ("action", "hide")],
    ),
    ("/events/CSRF/figures", &[("public", "cleaned")]),
    ("/events/CSRF/votes", &[("id", "SM1"), ("action", "out")]),
    ("/events/CSRF/reset", &[("confirm", "CSRF")]),
    ("/events/CSRF/embed", &[("origins", "https://evil.example")]),
];

/// Everything the routes above could change.
async fn state_of(s: &TestServer) -> String {
    let code = || "CSRF".parse().unwrap();
    format!(
        "{:?} {:?} {:?} {:?} {:?}",
        s.store.events().await.unwrap(),
        s.store.event_settings(code()).await.unwrap(),
        s.store.ratings(code()).await.unwrap(),
        s.store.results(code()).await.unwrap().map(|r| r.count),
        s.store.flag_review(code()).await.unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_posts_are_refused_and_change_nothing() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    add(&s, "CSRF", Some(NUMBER)).await;
    s.sms("SM1", "+14155550001", "4 fine").await;
    let o = Organiser::sign_in(&s).await;
    let before = state_of(&s).await;
    for (path, fields) in ROUTES {
        // Valid credentials, cookie and token, but posted by another site's page.
        let r = o.post_from("https://evil.example", path, fields).await;
        assert_eq!(r.status(), 403, "Origin: evil on {path}");
        let cross_site = [("sec-fetch-site", "cross-site")];
        let sneaky = o.post_raw(path, &o.token, true, &cross_site, fields).await;
        assert_eq!(sneaky.status(), 403, "Sec-Fetch-Site: cross-site on {path}");
        // Same origin but no cookie (SameSite=Strict keeps it from cross-site posts), or a
        // token that does not match it.
        let no_cookie = o.post_raw(path, &o.token, false, &[], fields).await;
        assert_eq!(no_cookie.status(), 403, "no cookie on {path}");
        let r = o.post_raw(path, &"A".repeat(43), true, &[], fields).await;
        assert_eq!(r.status(), 403, "wrong token on {path}");
        assert_eq!(state_of(&s).await, before, "{path} changed something");
    }
    // The same requests from our own page do change things (so the 403s above mean it).
    for (path, fields) in ROUTES {
        let r = o.post(path, fields).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
    }
    assert_ne!(state_of(&s).await, before);
    assert!(
        s.store
            .event("EVIL".parse().unwrap())
            .await
            .unwrap()
            .is_some()
    );
    s.stop().await;
}

/// `sms-ratings events add` and the form share the rules: the CLI refuses what the form
/// refuses, with the same words.
#[test]
fn the_cli_follows_the_same_rules() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db").to_str().unwrap().to_owned();
    let add = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_sms-ratings"))
            .args(["--database", &db, "events", "add"])
            .args(args)
            .output()
            .unwrap()
    };
    let first = add(&["FIRST", "First", "--number", "+1 500 555 0006"]);
    assert!(first.status.success(), "{first:?}");
    let second = add(&["SECOND", "Second", "--number", NUMBER]);
    assert!(!second.status.success());
    let error = String::from_utf8_lossy(&second.stderr);
    assert!(error.contains("already serves event FIRST"), "{error}");
    let bad = add(&["9x", "Bell\u{7}"]);
    let error = String::from_utf8_lossy(&bad.stderr);
    assert!(
        error.contains("a code is 2-32 characters") && error.contains("control character"),
        "{error}"
    );
    let later = add(&[
        "LATER",
        "Later",
        "--number",
        NUMBER,
        "--opens",
        "2099-01-01T00:00:00Z",
    ]);
    assert!(
        !later.status.success(),
        "FIRST never closes, so it overlaps"
    );
}

/// A share link's event stream carries the public view and ends when the link is revoked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_share_link_stream_ends_when_the_link_is_revoked() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    add(&s, "LINK", Some(NUMBER)).await;
    s.sms("SM1", "+14155550001", "5 lovely").await;
    let o = Organiser::sign_in(&s).await;
    o.post("/events/LINK/share", &[("action", "new")]).await;
    let link = hidden_value_of_share(&o.get("/events/LINK/manage").await);
    let path = link.strip_prefix(&s.base).unwrap().to_owned();
    let mut stream = s.get(&format!("{path}/live")).await;
    assert_eq!(stream.status(), 200);
    let mut seen = String::new();
    while !seen.contains("\n\n") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        seen.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    assert!(seen.contains("lovely") && !seen.contains("phone"), "{seen}");
    o.post("/events/LINK/share", &[("action", "revoke")]).await;
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(chunk) = stream.chunk().await.unwrap() {
            assert!(!std::str::from_utf8(&chunk).unwrap().contains("lovely"));
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "the stream ended within 5 s of the revocation"
    );
    assert_eq!(s.get(&format!("{path}/live")).await.status(), 404);
    s.stop().await;
}

/// Two instances on one PostgreSQL: a comment hidden on A leaves a stream served by B within
/// a second (the organiser's change is announced with NOTIFY like a vote).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comment_hidden_on_one_instance_leaves_a_stream_on_another() {
    let Some(db) = TestDb::postgres("a_comment_hidden_on_one_instance_leaves_another").await else {
        return;
    };
    let a = TestServer::start(&db.location).await;
    let b = TestServer::start(&db.location).await;
    add(&a, "TWO", Some(NUMBER)).await;
    a.sms("SM1", "+14155550001", "1 rude words").await;
    let mut stream = b.get_admin("/events/TWO/live").await;
    let mut buffer = String::new();
    let first = crate::page::next_snapshot(&mut stream, &mut buffer).await;
    assert_eq!(first["comments"][0]["comment"], "rude words");
    tokio::time::sleep(Duration::from_millis(500)).await; // B's listener settles
    let o = Organiser::sign_in(&a).await;
    let sent = std::time::Instant::now();
    let r = o
        .post("/events/TWO/comments", &[("id", "SM1"), ("action", "hide")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let next = crate::page::next_snapshot(&mut stream, &mut buffer).await;
    let took = sent.elapsed();
    assert_eq!(next["comments"], serde_json::json!([]));
    assert!(took < Duration::from_secs(1), "B showed it after {took:?}");
    eprintln!("hidden on A, gone from B's stream after {took:?}");
    drop(stream);
    a.stop().await;
    b.stop().await;
}

/// The form reads a national number in the deployment's default region and stores E.164;
/// what is no phone number is a field error naming the expected form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_stores_numbers_in_e164_with_the_default_region() {
    let db = TestDb::sqlite();
    let region = "GB".parse().ok();
    let s = TestServer::start_configured(&db.location, |c| c.default_region(region)).await;
    let o = Organiser::sign_in(&s).await;
    let r = o
        .post(
            "/events",
            &[
                ("code", "LDN"),
                ("name", "London"),
                ("number", "0207 946 0000"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let stored = s
        .store
        .event("LDN".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.number.as_deref(), Some("+442079460000"));

    let r = o
        .post(
            "/events",
            &[("code", "SHORT"), ("name", "Short"), ("number", "12345")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("data-error=\"number\"") && html.contains("+442079460000"),
        "{html}"
    );
    assert!(
        s.store
            .event("SHORT".parse().unwrap())
            .await
            .unwrap()
            .is_none()
    );
    s.stop().await;
}

/// `events add` follows the same number rule, the region from `--default-region` or
/// `DEFAULT_REGION`.
#[test]
fn the_cli_stores_numbers_in_e164_with_the_default_region() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db").to_str().unwrap().to_owned();
    let run = |args: &[&str], region: Option<&str>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_sms-ratings"));
        command
            .env_remove("DEFAULT_REGION")
            .args(["--database", &db]);
        if let Some(region) = region {
            command.env("DEFAULT_REGION", region);
        }
        command.args(args).output().unwrap()
    };
    let national = [
        "events",
        "add",
        "LDN",
        "London",
        "--number",
        "0207 946 0000",
    ];
    let without = run(&national, None);
    assert!(!without.status.success(), "no region, no national numbers");
    let added = run(&national, Some("GB"));
    assert!(added.status.success(), "{added:?}");
    let flagged = run(
        &[
            "events",
            "add",
            "SHORT",
            "Short",
            "--number",
            "12345",
            "--default-region",
            "gb",
        ],
        None,
    );
    assert!(!flagged.status.success());
    let error = String::from_utf8_lossy(&flagged.stderr);
    assert!(error.contains("+442079460000"), "{error}");
    let list = run(&["events", "list"], None);
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.contains("+442079460000") && !list.contains("SHORT"),
        "{list}"
    );
}

/// Migration 6 cleans numbers stored with a country code; a national one (no region known at
/// migration time) stays and the manage page flags it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_6_cleans_numbers_and_the_manage_page_flags_the_rest() {
    let db = TestDb::sqlite();
    {
        let store = db.open().await;
        store.close().await;
        let conn = rusqlite::Connection::open(&db.location).unwrap();
        conn.execute_batch(
            "DELETE FROM schema_migrations WHERE version = 6;
             INSERT INTO events (code, name, number, created_at) VALUES
                 ('SPACED', 'Spaced', ' +44 20-7946 (0000) ', 0),
                 ('LOCAL', 'Local', '02079460000', 0),
                 ('WA', 'WhatsApp', 'whatsapp:+1 500 555 0006', 0),
                 ('BLANK', 'Blank', ' ', 0);",
        )
        .unwrap();
    }
    let s = TestServer::start(&db.location).await;
    let number = |e: Option<sms_ratings::model::Event>| e.unwrap().number;
    let event = |code: &str| s.store.event(code.parse().unwrap());
    assert_eq!(
        number(event("SPACED").await.unwrap()).as_deref(),
        Some("+442079460000")
    );
    assert_eq!(
        number(event("LOCAL").await.unwrap()).as_deref(),
        Some("02079460000")
    );
    assert_eq!(
        number(event("WA").await.unwrap()).as_deref(),
        Some("whatsapp:+15005550006")
    );
    assert_eq!(number(event("BLANK").await.unwrap()), None);

    let o = Organiser::sign_in(&s).await;
    let flagged = o.get("/events/LOCAL/manage").await;
    assert!(
        flagged.contains("data-flag=\"number\"") && flagged.contains("+442079460000"),
        "{flagged}"
    );
    assert!(!o.get("/events/SPACED/manage").await.contains("data-flag"));
    s.stop().await;
}

/// The organiser lets listed origins frame the audience link, and only it: its page's
/// `frame-ancestors` lists exactly them (no `X-Frame-Options`); every other page stays
/// unframeable; a bad list is a field error that changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_audience_link_is_framed_and_only_by_the_listed_origins() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    add(&s, "DECK", Some(NUMBER)).await;
    let o = Organiser::sign_in(&s).await;
    o.post("/events/DECK/share", &[("action", "new")]).await;
    let link = hidden_value_of_share(&o.get("/events/DECK/manage").await);
    let audience = link.trim_start_matches(&s.base).to_owned();
    let headers = |path: String, auth: bool| {
        let client = o.client.clone();
        let url = format!("{}{path}", s.base);
        async move {
            let mut request = client.get(url);
            if auth {
                request = request.basic_auth(ADMIN.0, Some(ADMIN.1));
            }
            let r = request.send().await.unwrap();
            assert_eq!(r.status(), 200, "{path}");
            let h = |name: &str| {
                r.headers()
                    .get(name)
                    .map(|v| v.to_str().unwrap().to_owned())
            };
            (h("content-security-policy").unwrap(), h("x-frame-options"))
        }
    };
    let ancestors = |csp: &str| csp.split("frame-ancestors ").nth(1).unwrap().to_owned();
    let (csp, xfo) = headers(audience.clone(), false).await;
    assert_eq!(
        (ancestors(&csp), xfo.as_deref()),
        ("'none'".into(), Some("DENY"))
    );

    let r = o
        .post(
            "/events/DECK/embed",
            &[(
                "origins",
                "https://docs.google.com, HTTPS://*.officeapps.live.com/",
            )],
        )
        .await;
    assert_eq!(location(&r), "/events/DECK/manage?notice=embed");
    let (csp, xfo) = headers(audience.clone(), false).await;
    assert_eq!(
        ancestors(&csp),
        "https://docs.google.com https://*.officeapps.live.com"
    );
    assert_eq!(xfo, None);
    assert!(
        csp.starts_with("default-src 'none'; script-src 'self';"),
        "{csp}"
    );
    // Everything else: the audience link's feeds, the projector, the manage page.
    for (path, auth) in [
        (format!("{audience}/snapshot"), false),
        ("/events/DECK".to_owned(), true),
        ("/events/DECK/manage".to_owned(), true),
    ] {
        let (csp, xfo) = headers(path.clone(), auth).await;
        assert_eq!(
            (ancestors(&csp), xfo.as_deref()),
            ("'none'".into(), Some("DENY")),
            "{path}"
        );
    }

    let before = s
        .store
        .event_settings("DECK".parse().unwrap())
        .await
        .unwrap();
    for bad in [
        "https://docs.google.com/presentation",
        "http://docs.google.com",
        "https://*",
    ] {
        let r = o.post("/events/DECK/embed", &[("origins", bad)]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let html = r.text().await.unwrap();
        assert!(html.contains("data-error=\"embed\""), "{html}");
    }
    let after = s
        .store
        .event_settings("DECK".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(before, after);

    o.post("/events/DECK/embed", &[("origins", "")]).await;
    let (csp, xfo) = headers(audience, false).await;
    assert_eq!(
        (ancestors(&csp), xfo.as_deref()),
        ("'none'".into(), Some("DENY"))
    );
    s.stop().await;
}
