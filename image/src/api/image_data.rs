//! `PUT` and `GET /v2/images/{id}/file`, `PUT /v2/images/{id}/stage`:
//! image data, streamed both ways.

use super::{media_type, no_content, viewer, Svc};
use crate::data::ByteRange;
use crate::error::Error;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::{ApiError, AuthContext};

fn header_str<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The octet-stream content type and the declared size of image data.
fn data_request(req: &HttpRequest) -> Result<Option<u64>, Error> {
    let media = media_type(req);
    if media.as_deref() != Some("application/octet-stream") {
        return Err(Error::UnsupportedMediaType(format!(
            "Invalid content type {}",
            media.as_deref().unwrap_or("None")
        )));
    }
    match header_str(req, "x-openstack-image-size") {
        None => Ok(None),
        Some(v) => v.trim().parse::<u64>().map(Some).map_err(|_| {
            Error::BadRequest("Invalid or missing image size in request headers.".into())
        }),
    }
}

pub async fn upload_image_data(
    req: HttpRequest,
    svc: Svc,
    auth: AuthContext,
    id: web::Path<String>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let expected_size = data_request(&req)?;
    let store = header_str(&req, "x-image-meta-store");
    svc.upload_image(&viewer(&auth), &id, expected_size, store, body)
        .await?;
    Ok(no_content())
}

/// `PUT /v2/images/{id}/stage` (glance-direct's first half).
pub async fn stage_image_data(
    req: HttpRequest,
    svc: Svc,
    auth: AuthContext,
    id: web::Path<String>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let expected_size = data_request(&req)?;
    svc.stage_image(&viewer(&auth), &id, expected_size, body)
        .await?;
    Ok(no_content())
}

/// `Range: bytes=a-b`, `bytes=a-` or `bytes=-n`; one range only.
fn parse_range(value: &str) -> Result<ByteRange, Error> {
    let bad = || Error::RangeNotSatisfiable("Invalid Range header.".into());
    let spec = value.trim().strip_prefix("bytes=").ok_or_else(bad)?;
    if spec.contains(',') {
        return Err(Error::BadRequest("Requests with multiple ranges are not supported in Glance. You may make multiple single-range requests instead.".into()));
    }
    let (first, last) = spec.split_once('-').ok_or_else(bad)?;
    let num = |s: &str| s.trim().parse::<u64>().map_err(|_| bad());
    match (first.trim().is_empty(), last.trim().is_empty()) {
        (true, false) => Ok(ByteRange::Suffix(num(last)?)),
        (false, true) => Ok(ByteRange::From {
            first: num(first)?,
            last: None,
        }),
        (false, false) if num(last)? >= num(first)? => Ok(ByteRange::From {
            first: num(first)?,
            last: Some(num(last)?),
        }),
        _ => Err(bad()),
    }
}

pub async fn download_image_data(
    req: HttpRequest,
    svc: Svc,
    auth: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let range = header_str(&req, "range").map(parse_range).transpose()?;
    let Some(download) = svc.download_image(&viewer(&auth), &id, range).await? else {
        return Ok(no_content());
    };
    let (status, len) = match download.range {
        Some((_, len)) => (StatusCode::PARTIAL_CONTENT, len),
        None => (StatusCode::OK, download.size),
    };
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CONTENT_TYPE, "application/octet-stream"));
    // Already-compressed disk images gain nothing from gzip, and the
    // checksum and length must describe the bytes as stored.
    response.insert_header((
        header::CONTENT_ENCODING,
        HeaderValue::from_static("identity"),
    ));
    if let Some((offset, len)) = download.range {
        response.insert_header((
            header::CONTENT_RANGE,
            format!("bytes {offset}-{}/{}", offset + len - 1, download.size),
        ));
    } else if let Some(md5) = &download.checksum {
        response.insert_header(("Content-MD5", md5.as_str()));
    }
    Ok(response.no_chunking(len).streaming(download.stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_single_ranges() {
        assert_eq!(
            parse_range("bytes=0-9").unwrap(),
            ByteRange::From {
                first: 0,
                last: Some(9)
            }
        );
        assert_eq!(
            parse_range("bytes=5-").unwrap(),
            ByteRange::From {
                first: 5,
                last: None
            }
        );
        assert_eq!(parse_range("bytes=-3").unwrap(), ByteRange::Suffix(3));
        assert!(parse_range("bytes=0-1,4-5").is_err());
        assert!(parse_range("items=0-1").is_err());
        assert!(parse_range("bytes=-").is_err());
        assert!(parse_range("bytes=10-5").is_err());
    }
}
