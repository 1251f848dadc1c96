//! `hookwell serve`: the ingest contract over plain HTTP on loopback, the same [`Ingest`] the
//! Lambda function runs, without the Lambda runtime. For load tests side by side with other
//! receivers, and for running ingest where there is no Lambda.

use bytes::Bytes;
use hookwell::{Ingest, IngestRequest, SourcesCell, SqsEventQueue};
use std::sync::Arc;

/// Serves `ingest` on `addr` until the process ends; returns the bound address first through
/// `on_ready`.
///
/// The server runs on a runtime of its own with one thread (issue #16): each request's work is
/// a few microseconds of CPU between waits on the network, so a second worker only adds
/// wake-ups and hand-offs between threads (tokio's work-stealing scheduler woke its idle
/// worker for most requests). Connections are still served concurrently, as tasks; the
/// queue's SDK calls run there too.
pub async fn serve(
    addr: &str,
    ingest: Ingest<SqsEventQueue>,
    on_ready: impl FnOnce(std::net::SocketAddr),
) -> std::io::Result<()> {
    // Bound here (as tokio binds: SO_REUSEADDR), then handed to the server's runtime.
    let listener = tokio::net::TcpListener::bind(addr).await?.into_std()?;
    on_ready(listener.local_addr()?);
    let (done, ended) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("hookwell-serve".into())
        .spawn(move || {
            let served = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .and_then(|rt| {
                    rt.block_on(async {
                        let listener = tokio::net::TcpListener::from_std(listener)?;
                        serve_on(listener, ingest).await
                    })
                });
            let _ = done.send(served);
        })?;
    ended
        .await
        .unwrap_or_else(|_| Err(std::io::Error::other("the server thread ended")))
}

async fn serve_on(
    listener: tokio::net::TcpListener,
    ingest: Ingest<SqsEventQueue>,
) -> std::io::Result<()> {
    let ingest = Arc::new(ingest);
    let app = axum::Router::new().fallback(
        move |axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<
            std::net::SocketAddr,
        >,
              req: http::Request<axum::body::Body>| {
            let ingest = ingest.clone();
            async move {
                let (parts, body) = req.into_parts();
                // No source accepts more than the front end's limit; beyond it, stop reading.
                let limit = hookwell::config::MAX_BODY_BYTES;
                let body: Bytes = match axum::body::to_bytes(body, limit).await {
                    Ok(b) => b,
                    Err(_) => {
                        let e = hookwell::IngestError::TooLarge {
                            size: limit + 1,
                            limit,
                        };
                        return hookwell::ingest::error_response(&e).map(axum::body::Body::from);
                    }
                };
                let req = IngestRequest::from_parts(parts, body).with_source_ip(Some(peer.ip()));
                let resp = ingest.handle(req).await;
                resp.map(axum::body::Body::from)
            }
        },
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await
}

/// Ingest over `queue_url` with the sources document at `sources`.
pub fn ingest(
    sources: hookwell::Sources,
    sqs: aws_sdk_sqs::Client,
    queue_url: &str,
) -> Ingest<SqsEventQueue> {
    Ingest::new(
        SourcesCell::new(sources),
        SqsEventQueue::new(sqs, queue_url),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body over the largest any source accepts is refused before it is read whole, with
    /// nothing sent anywhere (the queue client points at a closed port).
    #[tokio::test]
    async fn oversized_body_is_413_without_reaching_the_queue() {
        let conf = aws_sdk_sqs::Config::builder()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .region(aws_sdk_sqs::config::Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .credentials_provider(aws_sdk_sqs::config::Credentials::new(
                "t", "t", None, None, "t",
            ))
            .build();
        let sources =
            hookwell::Sources::from_json(include_str!("../../infra/local/sources.json")).unwrap();
        let ingest = ingest(
            sources,
            aws_sdk_sqs::Client::from_conf(conf),
            "http://127.0.0.1:9/q",
        );
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(serve("127.0.0.1:0", ingest, move |a| {
            let _ = tx.send(a);
        }));
        let addr = rx.await.unwrap();
        let body = vec![b'a'; hookwell::config::MAX_BODY_BYTES + 1];
        let resp = hookwell::handlers::client(std::time::Duration::from_secs(10))
            .unwrap()
            .post(format!("http://{addr}/webhooks/github"))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 413);
        let v: serde_json::Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
        assert_eq!(v["error"], "payload_too_large");
    }
}
