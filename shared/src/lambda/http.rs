//! API Gateway HTTP API and Function URL requests to ingest.

use crate::config::Refresher;
use crate::ingest::{Ingest, IngestRequest};
use crate::queue::EventQueue;
use bytes::Bytes;
use lambda_http::{Body, Request, Response};

/// Converts an API Gateway HTTP API (payload v2) or Function URL request. The body is kept as
/// raw bytes: API Gateway base64-encodes non-text bodies and `lambda_http` decodes them.
pub fn ingest_request(req: Request) -> IngestRequest {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    // The address API Gateway / the Function URL saw for the connection; never a header.
    let source_ip = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => {
            ctx.http.source_ip.as_deref().and_then(|ip| ip.parse().ok())
        }
        #[allow(unreachable_patterns)]
        _ => None,
    };
    let (parts, body) = req.into_parts();
    let body = match body {
        Body::Empty => Bytes::new(),
        Body::Text(s) => Bytes::from(s),
        Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    IngestRequest::from_parts(parts, body).with_source_ip(source_ip)
}

/// Runs one request through ingest and converts the answer back.
pub async fn handle_ingest<Q: EventQueue>(ingest: &Ingest<Q>, req: Request) -> Response<Body> {
    ingest.handle(ingest_request(req)).await.map(Body::from)
}

/// Serves ingest on the Lambda runtime, reloading the sources when due.
pub async fn run_ingest<Q: EventQueue>(
    ingest: Ingest<Q>,
    refresher: Refresher,
) -> Result<(), lambda_http::Error> {
    let (ingest, refresher) = (&ingest, &refresher);
    lambda_http::run(lambda_http::service_fn(move |req: Request| async move {
        if let Some(fresh) = refresher.refresh_if_due().await {
            ingest.sources().replace(fresh);
        }
        Ok::<_, std::convert::Infallible>(handle_ingest(ingest, req).await)
    }))
    .await
}
