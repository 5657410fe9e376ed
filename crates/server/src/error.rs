//! Why an HTTP request was refused: [`ApiError`], one variant per refusal,
//! each answered with its status and a JSON body, `{"error": "..."}`, that
//! says what to do about it. The access checks, the routes and the
//! fallbacks for what reaches no route all answer with it.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::stream::JoinError;

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
    /// A page on another site that did not say which (no `Referer`).
    #[error("requests from pages on other sites are refused, and this one did not say which site it is (it sent no Referer): a page that --allow-origin lets in must not set referrerpolicy=\"no-referrer\" on the element that asks")]
    UnnamedSite,
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
    /// A body longer than the request may have.
    #[error("{0}")]
    TooLarge(String),
    /// No route has this path, or not for this method.
    #[error("{0}")]
    NotFound(String),
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
            | ApiError::UnnamedSite
            | ApiError::PublishTokenNeeded => StatusCode::FORBIDDEN,
            ApiError::TokenMissing | ApiError::TokenWrong => StatusCode::UNAUTHORIZED,
            ApiError::NotOctetStream(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
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
