//! The CSV export and the ratings JSON over real HTTP: every text cell quoted, formula
//! starters defused in every cell, phone numbers masked wherever they appear.

use sms_ratings::model::{Rating, Submission, Timestamp, Vote};

use crate::e2e::add;
use crate::server::{NUMBER, TestServer};
use crate::support::TestDb;

/// Stores a vote straight into the store, so a comment can hold what `parse` would clean
/// (tabs, a leading `=`): the export must be safe for any stored text.
async fn vote(s: &TestServer, sid: &str, phone: &str, rating: u8, comment: &str) {
    let vote = Vote {
        code: Some("CSV".parse().unwrap()),
        rating: Rating::new(rating).unwrap(),
        comment: comment.into(),
    };
    s.store
        .submit(Submission {
            idempotency_key: sid.into(),
            phone: phone.into(),
            to: NUMBER.into(),
            vote,
            at: Timestamp::now(),
            channel: sms_ratings::model::Channel::Sms,
            caller: sms_ratings::model::CallerId::Trusted,
            quiet: false,
        })
        .await
        .unwrap();
}

/// Every cell of a CSV document, read back by a real CSV parser.
fn cells(csv: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_cells_are_quoted_defused_and_masked() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    add(&s, "CSV", Some(NUMBER)).await;
    vote(&s, "SM1", "+14155551234", 4, "x;=1+1;y").await;
    vote(&s, "SM2", "+14155551235", 3, "\t=cmd|' /C calc'!A0").await;
    vote(&s, "SM3", "+14155551236", 5, "+1 415 555 9876 call me").await;
    vote(&s, "SM4", "+14155551237", 2, "-2+3").await;
    vote(&s, "SM5", "+14155551238", 1, "@SUM(A1)\r\nnext").await;
    let response = s.get_admin("/api/events/csv/ratings.csv").await;
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap();
    // A UTF-8 BOM first: spreadsheets read the file as UTF-8, not the local code page.
    assert!(bytes.starts_with(b"\xEF\xBB\xBF\"phone\""), "{bytes:?}");
    let csv = String::from_utf8(bytes[3..].to_vec()).unwrap();

    // Every line of a row starts with a quoted cell: a `;`-splitting spreadsheet sees
    // `"x;=1+1;y"` as one text, never `=1+1` as a cell of its own.
    for line in csv
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.starts_with("next"))
    {
        assert!(
            line.starts_with('"'),
            "unquoted first cell: {line:?} in {csv}"
        );
    }
    assert!(csv.contains("\"x;=1+1;y\""), "{csv}");
    let rows = cells(&csv);
    assert_eq!(rows[0][0], "phone");
    assert_eq!(rows.len(), 6, "{rows:?}");
    for row in &rows[1..] {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "cell {cell:?} starts a formula: {csv}"
            );
        }
        // The phone column: masked, with neither a leading `+` nor a `'` to defuse one.
        assert!(row[0].starts_with("1•••••"), "{row:?}");
        assert!(!row[0].contains('\''), "{row:?}");
    }
    assert_eq!(rows[2][2], "'\t=cmd|' /C calc'!A0");
    assert_eq!(rows[4][2], "'-2+3");
    for full in ["4155551234", "4155559876", "415 555 9876"] {
        assert!(!csv.contains(full), "{full} in {csv}");
    }
    assert!(
        rows[3][2].ends_with("call me") && rows[3][2].contains("•••••"),
        "{rows:?}"
    );

    // The ratings JSON masks numbers inside comments with the same function.
    let json = s
        .get_admin("/api/events/CSV/ratings")
        .await
        .text()
        .await
        .unwrap();
    for full in ["4155551234", "4155559876", "415 555 9876"] {
        assert!(!json.contains(full), "{full} in {json}");
    }
    assert!(json.contains("9876 call me"), "{json}");
    s.stop().await;
}

/// Numbers written with other separators or full-width digits are masked
/// in the JSON and the CSV alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_in_any_writing_are_masked() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    add(&s, "CSV", Some(NUMBER)).await;
    let writings = [
        "call 415/555/0199",
        "or 415_555_0199",
        "+1·415·555·0199 anytime",
        "text ４１５５５５０１９９",
        "＋１ ４１５ ５５５ ０１９９",
    ];
    for (n, comment) in writings.iter().enumerate() {
        vote(
            &s,
            &format!("SM{n}"),
            &format!("+1415555124{n}"),
            4,
            comment,
        )
        .await;
    }
    for path in ["/api/events/CSV/ratings", "/api/events/CSV/ratings.csv"] {
        let text = s.get_admin(path).await.text().await.unwrap();
        for middle in ["555", "５５５"] {
            assert!(!text.contains(middle), "{middle} in {path}: {text}");
        }
        assert_eq!(
            text.matches("•••••0199").count(),
            writings.len(),
            "{path}: {text}"
        );
    }
    s.stop().await;
}

/// "Also by reading": the organiser's JSON and CSV answers are never cached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organiser_answers_are_not_cached() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    add(&s, "CSV", Some(NUMBER)).await;
    for path in [
        "/api/events",
        "/api/events/CSV/results",
        "/api/events/CSV/ratings",
        "/api/events/CSV/ratings.csv",
        "/api/events/CSV/ratings.xlsx",
        "/api/events/CSV/snapshot",
    ] {
        let response = s.get_admin(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let cache = response.headers().get("cache-control");
        assert_eq!(
            cache.and_then(|v| v.to_str().ok()),
            Some("no-store"),
            "{path}"
        );
    }
    s.stop().await;
}

/// Comments in several scripts, with emoji, accents and an em dash: what Excel garbled when
/// the CSV had no byte order mark.
const WORLD: [&str; 4] = [
    "Café crème — très bien 🎉",
    "رائع جدا 👏",
    "Отлично, спасибо",
    "素晴らしい発表でした 🍣",
];

/// Stores one vote per [`WORLD`] comment (ratings 5, 4, 3, 2).
async fn world_votes(s: &TestServer) {
    add(s, "CSV", Some(NUMBER)).await;
    for ((n, comment), rating) in WORLD.iter().enumerate().zip([5, 4, 3, 2]) {
        vote(
            s,
            &format!("SM{n}"),
            &format!("+1415555124{n}"),
            rating,
            comment,
        )
        .await;
    }
}

/// The cells of one sheet of an `.xlsx` file, as calamine reads them.
fn sheet(bytes: &[u8], name: &str) -> calamine::Range<calamine::Data> {
    use calamine::Reader as _;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    book.worksheet_range(name).unwrap()
}

/// A cell as text (numbers as written by a spreadsheet: `5`, `3.5`).
fn text(range: &calamine::Range<calamine::Data>, row: u32, col: u32) -> String {
    range
        .get_value((row, col))
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// Rows 1 to 4 of a votes sheet hold every [`WORLD`] comment intact, and masked phones with
/// neither `+` nor `'`.
fn assert_world_votes(sheet: &calamine::Range<calamine::Data>) {
    let comments: Vec<String> = (1..=4).map(|row| text(sheet, row, 2)).collect();
    for comment in WORLD {
        assert!(
            comments.iter().any(|c| c == comment),
            "{comment} in {comments:?}"
        );
    }
    for row in 1..=4 {
        let phone = text(sheet, row, 0);
        assert!(phone.starts_with("1•••••124"), "{phone}");
    }
}

/// The `.xlsx` export over HTTP (organiser only, never cached), read back: the
/// summary sheet's event, count, average and histogram, and the votes sheet's text intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xlsx_export_has_a_summary_sheet() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    world_votes(&s).await;
    assert_eq!(s.get("/api/events/CSV/ratings.xlsx").await.status(), 401);
    let response = s.get_admin("/api/events/CSV/ratings.xlsx").await;
    assert_eq!(response.status(), 200);
    let headers = response.headers();
    assert_eq!(
        headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"CSV-ratings.xlsx\""
    );
    assert_eq!(headers["cache-control"], "no-store");
    let bytes = response.bytes().await.unwrap();

    let summary = sheet(&bytes, sms_ratings::export::SUMMARY);
    let pairs: Vec<(String, String)> = (0..13)
        .map(|row| (text(&summary, row, 0), text(&summary, row, 1)))
        .collect();
    let expected = [
        ("Event", "CSV Conf"),
        ("Code", "CSV"),
        ("Votes", "4"),
        ("Average", "3.5"),
        ("", ""),
        ("Rating", "Votes"),
        ("1", "0"),
        ("2", "1"),
        ("3", "1"),
        ("4", "1"),
        ("5", "1"),
        ("", ""),
        ("Times", sms_ratings::export::TIMES),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    assert_eq!(pairs, expected);

    let votes = sheet(&bytes, sms_ratings::export::VOTES);
    assert_eq!(text(&votes, 0, 0), "phone");
    assert_world_votes(&votes);
    s.stop().await;
}

/// The CSV as downloaded opens in LibreOffice Calc (headless, read as UTF-8) with
/// emoji, accents and scripts intact, and the byte order mark not taken for text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_opens_in_libreoffice_with_text_intact() {
    if std::process::Command::new("soffice")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no soffice (.ci/run installs libreoffice-calc-nogui)");
        return;
    }
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    world_votes(&s).await;
    let csv = s.get_admin("/api/events/CSV/ratings.csv").await;
    let csv = csv.bytes().await.unwrap();
    s.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ratings.csv");
    std::fs::write(&file, &csv).unwrap();
    // A profile of its own, so parallel runs do not share LibreOffice's lock.
    let profile = format!(
        "-env:UserInstallation=file://{}/profile",
        dir.path().display()
    );
    let out = tokio::task::spawn_blocking({
        let (dir, file) = (dir.path().to_owned(), file.clone());
        move || {
            std::process::Command::new("soffice")
                .arg(&profile)
                // Comma-separated, `"` quotes, UTF-8 (76), from line 1.
                .args(["--headless", "--infilter=CSV:44,34,76,1"])
                .args(["--convert-to", "xlsx", "--outdir"])
                .arg(&dir)
                .arg(&file)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let converted = dir.path().join("ratings.xlsx");
    let bytes = std::fs::read(&converted).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let sheet = {
        use calamine::Reader as _;
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        book.worksheet_range_at(0).unwrap().unwrap()
    };
    assert_eq!(text(&sheet, 0, 0), "phone", "the BOM is not read as text");
    assert_world_votes(&sheet);
}
