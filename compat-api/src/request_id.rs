//! `x-openstack-request-id` on every response, a request-scoped tracing span
//! (so every log line of a request names it) and an access log line.
//!
//! A service calling another may send its own id in `X-OpenStack-Request-ID`;
//! as upstream, a well-formed one (`req-<uuid>`) is logged as the global
//! request id and the response still carries this service's local id.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use std::time::Instant;
use tracing::Instrument;

pub const HEADER: &str = "x-openstack-request-id";

/// The local request id, stored in the request extensions.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

impl RequestId {
    pub fn generate() -> Self {
        RequestId(format!("req-{}", uuid::Uuid::new_v4()))
    }
}

fn is_well_formed(id: &str) -> bool {
    id.strip_prefix("req-")
        .map(|rest| uuid::Uuid::parse_str(rest).is_ok())
        .unwrap_or(false)
}

/// Middleware: `App::new().wrap(from_fn(request_id::middleware))`.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = RequestId::generate();
    let global = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_well_formed(v))
        .unwrap_or("-")
        .to_owned();
    req.extensions_mut().insert(id.clone());
    let span = tracing::info_span!("request", id = %id.0, global = %global);
    let method = req.method().clone();
    let uri = req.uri().clone();
    let started = Instant::now();
    let mut res = next.call(req).instrument(span.clone()).await?;
    if let Ok(value) = HeaderValue::from_str(&id.0) {
        res.headers_mut()
            .insert(HeaderName::from_static(HEADER), value);
    }
    span.in_scope(|| {
        tracing::info!(
            target: "access",
            "\"{} {}\" status: {} time: {:.4}",
            method,
            uri,
            res.status().as_u16(),
            started.elapsed().as_secs_f64()
        )
    });
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_req_uuid_is_accepted_as_global_id() {
        assert!(is_well_formed("req-8c5d3a2e-7c1f-4b5e-9d2a-1f0e3c4b5a69"));
        assert!(!is_well_formed("req-nope"));
        assert!(!is_well_formed("8c5d3a2e-7c1f-4b5e-9d2a-1f0e3c4b5a69"));
    }
}
