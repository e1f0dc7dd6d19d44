//! A form posted to an organiser route: its fields, the event it names, and the answer that
//! sends the browser back to the manage page.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::code;
use crate::model::EventCode;

/// A posted form's fields.
pub(super) struct FormData(Vec<(String, String)>);

impl FormData {
    pub(super) fn parse(body: &Bytes) -> Self {
        Self(form_urlencoded::parse(body).into_owned().collect())
    }

    /// The field's value, `""` when absent.
    pub(super) fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of a repeated field (ticked boxes), in order.
    pub(super) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A form posted to `/events/{code}/…`: the event's code and the fields.
pub(crate) struct Posted {
    pub(super) code: EventCode,
    pub(super) form: FormData,
}

impl<S: Send + Sync> FromRequest<S> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let Path(raw) = Path::<String>::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let code = code(&raw).map_err(IntoResponse::into_response)?;
        let body = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Self {
            code,
            form: FormData::parse(&body),
        })
    }
}

/// 303 to the event's manage page with the notice `notice`.
pub(super) fn to_manage(code: &EventCode, notice: &str) -> Response {
    let location = format!("/events/{code}/manage?notice={notice}");
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}
