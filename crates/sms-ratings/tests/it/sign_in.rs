//! The organiser sign-in limits over real HTTP (issue 22, items 6 and 7): a full address table
//! still limits new addresses, networks and the server have budgets of their own, a browser
//! that signed in before keeps its way in, and behind a trusted proxy each client counts apart.

use std::net::IpAddr;

use base64::Engine as _;
use futures_util::StreamExt as _;
use sms_ratings::server::{GLOBAL_FAILURES, MAX_FAILURES, NETWORK_FAILURES};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use twilio_webhook::TrustedProxies;

use crate::server::{ADMIN, TestServer};
use crate::support::{TestDb, free_port};

const GUESS: &str = "wrong-guess-0123456789";

/// One `GET /api/events` from `from` over a connection of its own; the status code.
async fn sign_in(base: &str, from: IpAddr, password: &str, extra: &str) -> u16 {
    let addr: std::net::SocketAddr = base.trim_start_matches("http://").parse().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind((from, 0).into()).unwrap();
    let mut stream = socket.connect(addr).await.unwrap();
    let credentials =
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{password}", ADMIN.0));
    let request = format!(
        "GET /api/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic {credentials}\r\n\
         {extra}Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = [0; 12];
    stream.read_exact(&mut head).await.unwrap();
    std::str::from_utf8(&head[9..12]).unwrap().parse().unwrap()
}

fn loopback(n: u32) -> IpAddr {
    IpAddr::from((127 << 24 | n).to_be_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_address_table_still_limits_new_addresses() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    // One wrong guess from each of 16 384 addresses (the old table's size), 32 at a time.
    let base = s.base.clone();
    let fill = futures_util::stream::iter(0..16_384u32)
        .map(|n| {
            let base = base.clone();
            async move { sign_in(&base, loopback(0x10_0000 + n), GUESS, "").await }
        })
        .buffer_unordered(32)
        .collect::<Vec<u16>>()
        .await;
    assert!(fill.iter().all(|&s| s == 401 || s == 429), "{fill:?}");
    // A new address: its guesses must meet a 429 within its own budget.
    let newcomer = loopback(0x20_0001);
    let mut statuses = Vec::new();
    for _ in 0..60 {
        statuses.push(sign_in(&s.base, newcomer, GUESS, "").await);
    }
    let first_limited = statuses.iter().position(|&s| s == 429);
    assert!(
        first_limited.is_some_and(|i| i <= MAX_FAILURES as usize),
        "60 guesses from a new address after 16 384 others: {statuses:?}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_and_the_server_have_failure_budgets() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    // Each address stays under its own limit; together they use up their /24's.
    let per_address = MAX_FAILURES - 1;
    let hosts = NETWORK_FAILURES.div_ceil(per_address);
    let mut sent = 0;
    for host in 1..=hosts {
        for _ in 0..per_address {
            let expected = if sent < NETWORK_FAILURES { 401 } else { 429 };
            assert_eq!(
                sign_in(&s.base, loopback(0x05_00 + host), GUESS, "").await,
                expected
            );
            sent += 1;
        }
    }
    assert_eq!(
        sign_in(&s.base, loopback(0x05_c8), ADMIN.1, "").await,
        429,
        "same /24"
    );
    assert_eq!(
        sign_in(&s.base, loopback(0x06_c8), ADMIN.1, "").await,
        200,
        "other /24"
    );
    s.stop().await;

    let s = TestServer::start(&TestDb::sqlite().location).await;
    // Addresses of distinct /24s, each under its own limit, use up the server's budget.
    let networks = GLOBAL_FAILURES.div_ceil(per_address);
    let mut sent = 0;
    for net in 0..networks {
        for _ in 0..per_address {
            let expected = if sent < GLOBAL_FAILURES { 401 } else { 429 };
            let from = loopback(0x30_0001 + (net << 8));
            assert_eq!(sign_in(&s.base, from, GUESS, "").await, expected);
            sent += 1;
        }
    }
    assert_eq!(
        sign_in(&s.base, loopback(0x7f_0001), ADMIN.1, "").await,
        429,
        "global"
    );
    s.stop().await;
}

/// The device cookie's `name=value` from a response's `Set-Cookie` lines, if any.
fn device_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("device="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

/// `GET url` signed in with `password`, showing `cookie` when given.
async fn get(s: &TestServer, url: &str, password: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut request = s.client.get(url).basic_auth(ADMIN.0, Some(password));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_that_signed_in_before_is_not_locked_out() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    let url = format!("{}/api/events", s.base);
    let signed_in = get(&s, &url, ADMIN.1, None).await;
    assert_eq!(signed_in.status(), 200);
    let cookie = device_cookie(&signed_in);
    // A guesser from the same address (everyone behind one proxy) uses up its limit.
    for _ in 0..MAX_FAILURES {
        assert_eq!(get(&s, &url, GUESS, None).await.status(), 401);
    }
    let guesser = get(&s, &url, ADMIN.1, None).await;
    assert_eq!(
        guesser.status(),
        429,
        "without a device cookie the lockout holds"
    );
    let organiser = get(&s, &url, ADMIN.1, cookie.as_deref()).await;
    assert_eq!(
        organiser.status(),
        200,
        "the organiser's browser (device cookie {cookie:?}) is locked out too"
    );
    let cookie = cookie.unwrap();
    // A forged cookie earns nothing; the real one is counted on its own.
    let forged = cookie.replacen('.', ".x", 1);
    assert_eq!(get(&s, &url, ADMIN.1, Some(&forged)).await.status(), 429);
    for _ in 0..MAX_FAILURES {
        assert_eq!(get(&s, &url, GUESS, Some(&cookie)).await.status(), 401);
    }
    assert_eq!(
        get(&s, &url, ADMIN.1, Some(&cookie)).await.status(),
        429,
        "the cookie's own limit"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_client_is_counted_apart() {
    let db = TestDb::sqlite();
    let proxy = TrustedProxies::new(["127.0.0.1"]).unwrap();
    let s = TestServer::start_configured(&db.location, |c| c.trusted_proxies(proxy)).await;
    let via_proxy = |client: &str| format!("X-Forwarded-For: {client}\r\n");
    let mallory = via_proxy("6.6.6.6, 203.0.113.5");
    for _ in 0..MAX_FAILURES {
        assert_eq!(sign_in(&s.base, loopback(1), GUESS, &mallory).await, 401);
    }
    assert_eq!(sign_in(&s.base, loopback(1), GUESS, &mallory).await, 429);
    let organiser = via_proxy("198.51.100.7");
    assert_eq!(
        sign_in(&s.base, loopback(1), ADMIN.1, &organiser).await,
        200,
        "another client behind the same proxy is locked out by mallory's guesses"
    );
    // A peer that is not a listed proxy cannot name another client.
    let direct = loopback(2);
    for _ in 0..MAX_FAILURES {
        let pretend = via_proxy(&format!("192.0.2.{}", rand_octet()));
        assert_eq!(sign_in(&s.base, direct, GUESS, &pretend).await, 401);
    }
    assert_eq!(sign_in(&s.base, direct, ADMIN.1, &organiser).await, 429);
    s.stop().await;
}

/// A different forged address each time (the limiter must not believe any of them).
fn rand_octet() -> u8 {
    let mut b = [0];
    getrandom::fill(&mut b).unwrap();
    b[0]
}

/// The binary's `--trusted-proxy` (here through `TRUSTED_PROXIES`) reaches the limits; a value
/// that is not an address or CIDR block refuses to start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_takes_trusted_proxies() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("proxy.db").to_str().unwrap().to_owned();
    let serve = |port: u16, proxies: &str| {
        crate::load::sms_ratings(&db)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("TWILIO_AUTH_TOKEN", crate::server::TOKEN)
            .env("ADMIN_USER", ADMIN.0)
            .env("ADMIN_PASSWORD", ADMIN.1)
            .env("TRUSTED_PROXIES", proxies)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let bad = serve(free_port(), "10.0.0.0/8,not-an-address")
        .wait_with_output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        !bad.status.success() && stderr.contains("--trusted-proxy"),
        "{stderr}"
    );

    let port = free_port();
    let _server = crate::support::KillOnDrop(serve(port, "192.0.2.0/24, 127.0.0.1"));
    crate::support::wait_healthy(port).await;
    let base = format!("http://127.0.0.1:{port}");
    let mallory = "X-Forwarded-For: 203.0.113.5\r\n";
    for _ in 0..MAX_FAILURES {
        assert_eq!(sign_in(&base, loopback(1), GUESS, mallory).await, 401);
    }
    assert_eq!(sign_in(&base, loopback(1), GUESS, mallory).await, 429);
    let organiser = "X-Forwarded-For: 198.51.100.7\r\n";
    assert_eq!(sign_in(&base, loopback(1), ADMIN.1, organiser).await, 200);
}
