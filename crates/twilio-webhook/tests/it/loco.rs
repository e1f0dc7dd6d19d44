//! The `loco_sms` example: a route mounted at its full path, as Loco mounts controllers.

use std::net::SocketAddr;

use crate::support::{Call, PUBLIC, Probe, Server, config, token_key};

#[allow(dead_code, unreachable_pub)]
#[path = "../../examples/loco_sms.rs"]
mod example;

async fn start() -> Server {
    let ctx = example::AppContext {
        app_name: "ratings".into(),
    };
    let app = example::routes(config(), ctx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app).await.unwrap();
    });
    Server {
        addr,
        probe: Probe::default(),
    }
}

#[tokio::test]
async fn loco_route_verifies_with_its_prefix() {
    let s = start().await;
    let path = "/api/twilio/sms";
    let r = s.send(Call::form(path, &[("Body", "5")])).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("<Message>ratings got: 5</Message>"),
        "{}",
        r.body
    );
    // Signed for the path without Loco's prefix: refused.
    let unprefixed = format!("{PUBLIC}/sms");
    let call = Call::form_signed(&token_key(), &unprefixed, path, &[("Body", "5")]);
    assert_eq!(s.send(call).await.status, 403);
}
