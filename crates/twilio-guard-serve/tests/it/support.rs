//! A small axum app served by `twilio_guard_serve::serve`, and raw-socket clients.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::ConnectInfo;
use axum::routing::{get, post};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use twilio_guard_serve::Limits;

/// What a closed connection may take beyond its limit on a loaded machine.
pub(crate) const SLACK: Duration = Duration::from_secs(10);

/// Short limits, so the tests run in seconds; each test changes what it examines.
pub(crate) fn short() -> Limits {
    let mut limits = Limits::default();
    limits.head_timeout = Duration::from_secs(1);
    limits.body_timeout = Duration::from_secs(1);
    limits.idle_timeout = Duration::from_secs(1);
    limits.max_header_bytes = 4096;
    limits.drain_timeout = Duration::from_secs(5);
    limits
}

/// `GET /` → "ok"; `POST /echo` → the body's length; `GET /peer` → the peer address;
/// `GET /slow` → "done" after half a second.
pub(crate) fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "ok" }))
        .route(
            "/echo",
            post(|body: Bytes| async move { body.len().to_string() }),
        )
        .route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(500)).await;
                "done"
            }),
        )
}

/// A running server and the means to stop it.
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    pub(crate) task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    pub(crate) async fn start(limits: Limits) -> Self {
        Self::start_with(limits, None, app()).await
    }

    pub(crate) async fn start_with(
        limits: Limits,
        tls: Option<std::sync::Arc<rustls::ServerConfig>>,
        app: Router,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(twilio_guard_serve::serve(
            listener,
            tls,
            app,
            limits,
            async {
                let _ = stopped.await;
            },
        ));
        Self {
            addr,
            stop: Some(stop),
            task,
        }
    }

    pub(crate) fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    pub(crate) async fn connect(&self) -> TcpStream {
        TcpStream::connect(self.addr).await.unwrap()
    }
}

/// Reads until the server closes the connection (end of stream or reset); `Err` if it is
/// still open after `within`. Returns what was received.
pub(crate) async fn closed_within(
    stream: &mut (impl AsyncRead + Unpin),
    within: Duration,
) -> Result<String, String> {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let read_all = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    };
    let closed = tokio::time::timeout(within, read_all).await.is_ok();
    let text = String::from_utf8_lossy(&received).into_owned();
    if closed {
        Ok(text)
    } else {
        Err(format!("still open after {within:?}; received {text:?}"))
    }
}

/// Sends `GET path` on a kept-alive connection and reads one response (head and a body of
/// Content-Length bytes).
pub(crate) async fn get_kept_alive(
    stream: &mut (impl AsyncRead + AsyncWrite + Unpin),
    path: &str,
) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed before a whole response: {received:?}");
        received.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&received);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if received.len() >= end + 4 + length {
                return text.into_owned();
            }
        }
    }
}

/// One request on a fresh connection (`Connection: close`); the whole response.
pub(crate) async fn get_once(addr: SocketAddr, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

/// Half a request head: never finished.
pub(crate) const HALF_HEAD: &[u8] = b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Le";
