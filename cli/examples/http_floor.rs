//! The yardstick of `make load`'s rejected phase: the HTTP server `hookwell serve` runs (axum
//! on a one-thread tokio runtime, the peer's address taken, the body read whole up to the same
//! limit), answering every request 401 without looking at it. No signature check, no log
//! line, no metric line, no AWS. What a request costs here is what any receiver built on this
//! stack pays before its own work, so `make load` reads hookwell's rejected path against it
//! (docs/BENCHMARKS.md). Never deployed; loopback only.
//!
//! Usage: `http_floor <port>` (0 or none: a free port, printed on stderr).

use std::net::SocketAddr;

fn main() -> std::io::Result<()> {
    let port: u16 = match std::env::args().nth(1) {
        Some(p) => p
            .parse()
            .map_err(|_| std::io::Error::other(format!("not a port: {p}")))?,
        None => 0,
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
            eprintln!("http_floor on {}", listener.local_addr()?);
            let app = axum::Router::new().fallback(
                |axum::extract::ConnectInfo(_peer): axum::extract::ConnectInfo<SocketAddr>,
                 req: http::Request<axum::body::Body>| async move {
                    let limit = hookwell::config::MAX_BODY_BYTES;
                    let _ = axum::body::to_bytes(req.into_body(), limit).await;
                    let mut resp = http::Response::new(axum::body::Body::from(
                        r#"{"error":"invalid_signature","message":"signature does not match"}"#,
                    ));
                    *resp.status_mut() = http::StatusCode::UNAUTHORIZED;
                    resp.headers_mut().insert(
                        http::header::CONTENT_TYPE,
                        http::HeaderValue::from_static("application/json"),
                    );
                    resp
                },
            );
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
        })
}
