//! The yardstick of `make load`: the HTTP server `hookwell serve` runs (axum on a one-thread
//! tokio runtime, the peer's address taken, the body read whole up to the same limit) and
//! nothing of ingest. No signature check, no identity, no envelope, no log line, no metric
//! line. What a request costs here is what any receiver built on this stack pays before its
//! own work, so `make load` reads hookwell's figures against it (docs/BENCHMARKS.md). Never
//! deployed; loopback only.
//!
//! Usage:
//! - `http_floor <port>`: answers every request 401, unread (the rejected phase's yardstick);
//! - `http_floor <port> <queue url>`: sends each request's body to the queue with one
//!   `SendMessage` through the AWS SDK, configured as `hookwell serve` configures it (the same
//!   timeouts and retries, stalled-stream protection off), with the three attributes ingest
//!   sets, and answers 200 once SQS has it (the accepted phase's yardstick); anything but a
//!   POST is answered 405 without a send.
//!
//! Port 0: a free port, printed on stderr.

use std::net::SocketAddr;
use std::time::Duration;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = match args.next() {
        Some(p) => p
            .parse()
            .map_err(|_| std::io::Error::other(format!("not a port: {p}")))?,
        None => 0,
    };
    let queue_url = args.next();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
            let app = match queue_url {
                None => axum::Router::new().fallback(
                    |_: axum::extract::ConnectInfo<SocketAddr>,
                     req: http::Request<axum::body::Body>| async move {
                        let _ = read_body(req).await;
                        answer(http::StatusCode::UNAUTHORIZED, REFUSED)
                    },
                ),
                Some(url) => {
                    let sdk = hookwell::aws::sdk_config(Duration::from_secs(10)).await;
                    let client =
                        hookwell::aws::sqs::sending_client(&aws_sdk_sqs::Client::new(&sdk));
                    let queue = std::sync::Arc::new((client, url));
                    axum::Router::new().fallback(
                        move |_: axum::extract::ConnectInfo<SocketAddr>,
                              req: http::Request<axum::body::Body>| {
                            let queue = queue.clone();
                            async move {
                                if req.method() != http::Method::POST {
                                    return answer(http::StatusCode::METHOD_NOT_ALLOWED, "{}");
                                }
                                let Some(body) = read_body(req).await else {
                                    return answer(http::StatusCode::PAYLOAD_TOO_LARGE, "{}");
                                };
                                match send(&queue.0, &queue.1, &body).await {
                                    Ok(()) => answer(http::StatusCode::OK, ACCEPTED),
                                    Err(_) => answer(http::StatusCode::SERVICE_UNAVAILABLE, "{}"),
                                }
                            }
                        },
                    )
                }
            };
            eprintln!("http_floor on {}", listener.local_addr()?);
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
        })
}

/// ingest's answer to a tampered delivery, byte for byte.
const REFUSED: &str = r#"{"error":"invalid_signature","message":"signature does not match"}"#;
/// An answer the size of ingest's 200.
const ACCEPTED: &str = r#"{"event_id":"00000000-0000-0000-0000-000000000000","status":"accepted"}"#;

async fn read_body(req: http::Request<axum::body::Body>) -> Option<bytes::Bytes> {
    axum::body::to_bytes(req.into_body(), hookwell::config::MAX_BODY_BYTES)
        .await
        .ok()
}

async fn send(
    client: &aws_sdk_sqs::Client,
    queue_url: &str,
    body: &[u8],
) -> Result<(), Box<dyn std::error::Error>> {
    let attribute = |v: &str| {
        aws_sdk_sqs::types::MessageAttributeValue::builder()
            .data_type("String")
            .string_value(v)
            .build()
    };
    client
        .send_message()
        .queue_url(queue_url)
        .message_body(std::str::from_utf8(body)?)
        .message_attributes("source", attribute("floor")?)
        .message_attributes("event_type", attribute("floor")?)
        .message_attributes("event_id", attribute("floor")?)
        .send()
        .await?;
    Ok(())
}

fn answer(status: http::StatusCode, body: &'static str) -> http::Response<axum::body::Body> {
    let mut resp = http::Response::new(axum::body::Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    resp
}
