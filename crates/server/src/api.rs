//! The HTTP routes: the WebSocket upgrades for viewers and producers, and the
//! JSON API. Each handler names the right it needs ([`CanView`],
//! [`CanPublish`]) and returns `Result<_, ApiError>`; every refusal is a
//! JSON `{"error": "..."}` that says what to do about it ([`crate::error`]).

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use framecast_codec::colormap::View;
use framecast_codec::PixelFormat;
use futures_util::StreamExt;
use serde::Serialize;

use crate::access::{CanPublish, CanView};
pub use crate::error::ApiError;
use crate::events::EventTotals;
use crate::quality::Quality;
use crate::session::{Inbox, Outbox, SessionConfig, Shutdown};
use crate::stream::{Frame, JoinError, Role, Streams};
use crate::{producer, view, viewer};

/// `GET /ws/{stream}?quality=auto|lossless|1..100`: a viewer's WebSocket.
pub async fn viewer_socket(
    _: CanView,
    request: HttpRequest,
    body: web::Payload,
    name: web::Path<String>,
    streams: web::Data<Streams>,
    config: web::Data<SessionConfig>,
    shutdown: web::Data<Shutdown>,
) -> Result<HttpResponse, actix_web::Error> {
    let quality = quality_query(&request)?.unwrap_or_default();
    let (stream, presence) = streams.join(&name, Role::Viewer).map_err(ApiError::from)?;
    let (response, session, messages) = upgrade(&request, body)?;
    let inbox = Inbox::new(messages, viewer::MAX_VIEWER_MESSAGE);
    let stopping = shutdown.get_ref().clone();
    shutdown.spawn(async move {
        let outbox = Outbox::start(session);
        let viewer = viewer::ViewerSession::new(
            stream,
            presence,
            outbox,
            config.get_ref().clone(),
            streams.limits(),
            quality,
        );
        viewer.run(inbox, stopping).await;
    });
    Ok(response)
}

/// `GET /ingest/{stream}?quality=auto|lossless|1..100`: a producer's
/// WebSocket; creates the stream, and sets what it allows its viewers when
/// `quality` is given.
pub async fn producer_socket(
    _: CanPublish,
    request: HttpRequest,
    body: web::Payload,
    name: web::Path<String>,
    streams: web::Data<Streams>,
    config: web::Data<SessionConfig>,
    shutdown: web::Data<Shutdown>,
) -> Result<HttpResponse, actix_web::Error> {
    let cap = quality_query(&request)?;
    let (stream, presence) = streams
        .join(&name, Role::Producer)
        .map_err(ApiError::from)?;
    if let Some(cap) = cap {
        tracing::info!(stream = stream.name(), quality = %cap, "producer set the stream's quality");
        stream.set_quality_cap(cap);
    }
    let (response, session, messages) = upgrade(&request, body)?;
    let inbox = Inbox::new(messages, producer::MAX_PUBLISH_MESSAGE);
    let stopping = shutdown.get_ref().clone();
    shutdown.spawn(async move {
        let outbox = Outbox::start(session);
        let producer =
            producer::ProducerSession::new(stream, presence, outbox, config.get_ref().clone());
        producer.run(inbox, stopping).await;
    });
    Ok(response)
}

/// Accepts the WebSocket upgrade; a request that is not one gets a JSON
/// error saying so.
fn upgrade(
    request: &HttpRequest,
    body: web::Payload,
) -> Result<(HttpResponse, actix_ws::Session, actix_ws::MessageStream), ApiError> {
    actix_ws::handle(request, body).map_err(|error| {
        ApiError::BadRequest(format!(
            "{} is a WebSocket; this request is not an upgrade to one ({error})",
            request.path()
        ))
    })
}

/// Anything no route answers: 404, as JSON.
pub async fn no_route(request: HttpRequest) -> HttpResponse {
    let error = ApiError::NotFound(format!(
        "no route for {} {}; PROTOCOL.md lists them",
        request.method(),
        request.path()
    ));
    actix_web::ResponseError::error_response(&error)
}

/// An extractor's refusal (a query or path that does not parse), as JSON.
pub fn bad_request(error: impl std::fmt::Display) -> actix_web::Error {
    ApiError::BadRequest(error.to_string()).into()
}

/// The request's `quality` query parameter, if given: `auto`, `lossless` or
/// 1 to 100.
fn quality_query(request: &HttpRequest) -> Result<Option<Quality>, ApiError> {
    let query = web::Query::<HashMap<String, String>>::from_query(request.query_string())
        .map_err(|error| ApiError::BadRequest(error.to_string()))?;
    query
        .get("quality")
        .map(|text| text.parse().map_err(ApiError::BadRequest))
        .transpose()
}

/// `POST /api/streams/{stream}/frame?width=W&height=H&format=F`: publishes
/// the body as one frame; creates the stream.
///
/// Everything that can be refused from the request's head is refused before
/// its body is read: the type, the size and format, a `Content-Length` other
/// than the frame's, the stream limit, and the uploads at once
/// ([`Limits::max_uploads`]). A body sent without a length (chunked) is
/// read up to the frame's size and refused (413) the moment it goes past.
///
/// [`Limits::max_uploads`]: crate::Limits::max_uploads
pub async fn post_frame(
    _: CanPublish,
    request: HttpRequest,
    name: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
    mut body: web::Payload,
    streams: web::Data<Streams>,
) -> Result<HttpResponse, ApiError> {
    const USAGE: &str = "POST /api/streams/NAME/frame?width=W&height=H&format=rgb8|rgba8|gray8|gray16|f32 with the raw pixels (row-major, tightly packed, little-endian) as the body; for values, optionally colormap=NAME and range=auto|frame|window or vmin=LO&vmax=HI";
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .map_or("none".into(), |value| {
            String::from_utf8_lossy(value.as_bytes())
        });
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/octet-stream") {
        return Err(ApiError::NotOctetStream(content_type.into_owned()));
    }
    let dimension = |key: &str| -> Result<u32, ApiError> {
        let text = query
            .get(key)
            .ok_or_else(|| ApiError::BadRequest(format!("missing {key}; {USAGE}")))?;
        text.parse().map_err(|_| {
            ApiError::BadRequest(format!("{key}={text:?} is not a whole number; {USAGE}"))
        })
    };
    let (width, height) = (dimension("width")?, dimension("height")?);
    let format_name = query.get("format").map_or("rgb8", String::as_str);
    let format = PixelFormat::from_name(format_name).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "unknown format {format_name:?}; expected {}",
            PixelFormat::NAMES
        ))
    })?;
    // Checked before the body is read (whether it parses does not depend on
    // the view it changes), applied once the frame is in.
    let view_for = |view| {
        view::from_query(view, &query)
            .map_err(|error| ApiError::BadRequest(format!("{error}; {USAGE}")))
    };
    view_for(View::default())?;
    let frame_len = framecast_codec::frame_len(width, height, format)
        .map_err(|error| ApiError::BadRequest(error.to_string()))?;
    let expected = || format!("a {width}x{height} {format} frame has {frame_len} bytes");
    match declared_length(&request)? {
        Some(declared) if declared > frame_len as u64 => {
            return Err(ApiError::TooLarge(format!(
                "{}; this request declares {declared} (Content-Length)",
                expected()
            )))
        }
        Some(declared) if declared < frame_len as u64 => {
            return Err(ApiError::BadRequest(format!(
                "{}; this request declares {declared} (Content-Length)",
                expected()
            )))
        }
        _ => {}
    }
    let _upload = streams.begin_upload().ok_or(JoinError::TooManyUploads {
        limit: streams.limits().max_uploads,
    })?;
    let stream = streams.get_or_create(&name)?;
    let mut pixels = web::BytesMut::with_capacity(frame_len);
    while let Some(chunk) = body.next().await {
        let chunk =
            chunk.map_err(|error| ApiError::BadRequest(format!("reading the body: {error}")))?;
        if pixels.len() + chunk.len() > frame_len {
            return Err(ApiError::TooLarge(format!(
                "{}; the body goes on past them",
                expected()
            )));
        }
        pixels.extend_from_slice(&chunk);
    }
    stream.set_view(view_for(stream.view())?);
    let seq = stream
        .publish(width, height, format, pixels.freeze())
        .map_err(|error| ApiError::BadRequest(error.to_string()))?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "seq": seq })))
}

/// The request's `Content-Length`, if it has one.
fn declared_length(request: &HttpRequest) -> Result<Option<u64>, ApiError> {
    let Some(value) = request.headers().get(header::CONTENT_LENGTH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .map(Some)
        .ok_or_else(|| ApiError::BadRequest("a Content-Length that is not a number".to_string()))
}

/// `DELETE /api/streams/{stream}`: drops the stream now, closing its viewers
/// and producers.
pub async fn delete_stream(
    _: CanPublish,
    name: web::Path<String>,
    streams: web::Data<Streams>,
) -> Result<HttpResponse, ApiError> {
    if streams.remove(&name) {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(JoinError::NoSuchStream(name.into_inner()).into())
    }
}

/// One entry of `GET /api/streams`.
#[derive(Debug, Serialize)]
struct StreamInfo {
    name: String,
    width: Option<u32>,
    height: Option<u32>,
    format: Option<&'static str>,
    seq: u64,
    fps: f64,
    viewers: usize,
    producer: bool,
    events: EventTotals,
    /// How its value frames are shown, as the view message says it.
    view: serde_json::Value,
}

/// `GET /api/streams`: the streams, as JSON.
pub async fn list_streams(_: CanView, streams: web::Data<Streams>) -> HttpResponse {
    let list: Vec<StreamInfo> = streams
        .list()
        .iter()
        .map(|stream| {
            let latest = stream.latest();
            let frame = latest.as_deref().map(Frame::as_frame_ref);
            StreamInfo {
                name: stream.name().to_string(),
                width: frame.map(|f| f.width()),
                height: frame.map(|f| f.height()),
                format: frame.map(|f| f.format().name()),
                seq: latest.as_ref().map_or(0, |f| f.seq),
                fps: (stream.fps() * 10.0).round() / 10.0,
                viewers: stream.count(Role::Viewer),
                producer: stream.count(Role::Producer) > 0,
                events: stream.events().totals(),
                view: serde_json::from_str(&view::message(stream.view()))
                    .expect("the view message is JSON"),
            }
        })
        .collect();
    HttpResponse::Ok().json(list)
}

/// `GET /api/streams/{stream}/frame`: the newest frame's pixels as they were
/// published, with its size, format and sequence in `X-Framecast-*` headers.
pub async fn latest_frame(
    _: CanView,
    name: web::Path<String>,
    streams: web::Data<Streams>,
) -> Result<HttpResponse, ApiError> {
    let stream = streams
        .get(&name)
        .ok_or_else(|| JoinError::NoSuchStream(name.to_string()))?;
    let frame = stream
        .latest()
        .ok_or_else(|| ApiError::NoFrameYet(name.to_string()))?;
    let pixels = frame.as_frame_ref();
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header(("X-Framecast-Width", pixels.width().to_string()))
        .insert_header(("X-Framecast-Height", pixels.height().to_string()))
        .insert_header(("X-Framecast-Format", pixels.format().name()))
        .insert_header(("X-Framecast-Seq", frame.seq.to_string()))
        .body(frame.pixel_bytes()))
}
