//! The HTTP routes: the WebSocket upgrades for viewers and producers, and the
//! JSON API. Each handler names the right it needs ([`CanView`],
//! [`CanPublish`]) and returns `Result<_, ApiError>`; every refusal is a
//! JSON `{"error": "..."}` that says what to do about it.

use std::collections::HashMap;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;

use crate::access::{CanPublish, CanView};
use crate::events::EventTotals;
use crate::quality::Quality;
use crate::session::{Inbox, Outbox, SessionConfig, Shutdown};
use crate::stream::{Frame, JoinError, Role, Streams};
use crate::{producer, viewer};

/// Why a request was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// DNS rebinding: a loopback server got a request for another name.
    #[error("this server answers only to localhost, 127.0.0.1 and [::1] (it is bound to loopback), not to Host {0:?}; start it with --allow-host NAME to serve another name")]
    HostNotAllowed(String),
    /// A page on another site.
    #[error("requests from pages on {0} are refused; start framecast with --allow-origin {0} to let that site view and publish")]
    OriginNotAllowed(String),
    /// No token shown where one is needed.
    #[error("this server needs a token: open the URL framecast printed when it started (it ends in ?token=...), or send Authorization: Bearer TOKEN")]
    TokenMissing,
    /// A token that grants nothing.
    #[error("wrong token")]
    TokenWrong,
    /// A view token used to publish.
    #[error("this token may view but not publish; publishing needs the publish token (--token)")]
    PublishTokenNeeded,
    /// A publish without `Content-Type: application/octet-stream`.
    #[error("publish with Content-Type: application/octet-stream (got {0}); other types are refused so that a form on another site cannot publish")]
    NotOctetStream(String),
    /// Bad input, with what was expected.
    #[error("{0}")]
    BadRequest(String),
    /// No such stream, or no frame yet, or a limit.
    #[error(transparent)]
    Join(#[from] JoinError),
    /// The stream exists but nothing was published to it yet.
    #[error("stream {0:?} has no frame yet")]
    NoFrameYet(String),
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::HostNotAllowed(_)
            | ApiError::OriginNotAllowed(_)
            | ApiError::PublishTokenNeeded => StatusCode::FORBIDDEN,
            ApiError::TokenMissing | ApiError::TokenWrong => StatusCode::UNAUTHORIZED,
            ApiError::NotOctetStream(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::BadRequest(_) | ApiError::Join(JoinError::BadName(_)) => {
                StatusCode::BAD_REQUEST
            }
            ApiError::Join(JoinError::NoSuchStream(_)) => StatusCode::NOT_FOUND,
            ApiError::Join(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NoFrameYet(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        #[derive(Serialize)]
        struct Body {
            error: String,
        }
        let mut response = HttpResponse::build(self.status_code());
        if self.status_code() == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.json(Body {
            error: self.to_string(),
        })
    }
}

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
    let (response, session, messages) = actix_ws::handle(&request, body)?;
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
    let (response, session, messages) = actix_ws::handle(&request, body)?;
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
pub async fn post_frame(
    _: CanPublish,
    request: HttpRequest,
    name: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
    body: web::Bytes,
    streams: web::Data<Streams>,
) -> Result<HttpResponse, ApiError> {
    const USAGE: &str = "POST /api/streams/NAME/frame?width=W&height=H&format=rgb8|rgba8 with the raw pixels (row-major, tightly packed) as the body";
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
    let format = framecast_codec::PixelFormat::from_name(format_name).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "unknown format {format_name:?}; expected rgb8 or rgba8"
        ))
    })?;
    let stream = streams.get_or_create(&name)?;
    let seq = stream
        .publish(width, height, format, body)
        .map_err(|error| ApiError::BadRequest(error.to_string()))?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "seq": seq })))
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
