//! A rendered document and how web frameworks serve it.

/// A rendered TwiML document, served as `text/xml; charset=utf-8` by the `axum` and
/// `actix` integrations.
///
/// ```
/// use twilio_webhook::twiml::{MessagingResponse, Twiml};
///
/// let twiml: Twiml = MessagingResponse::new().message("ok").render()?;
/// assert_eq!(Twiml::CONTENT_TYPE, "text/xml; charset=utf-8");
/// assert!(twiml.as_str().ends_with("<Message>ok</Message></Response>"));
/// # Ok::<(), twilio_webhook::twiml::TwimlError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Twiml(String);

impl Twiml {
    /// The `Content-Type` Twilio expects for TwiML (error 11200 lists a wrong one as a cause).
    pub const CONTENT_TYPE: &'static str = "text/xml; charset=utf-8";

    pub(crate) fn from_rendered(xml: String) -> Self {
        Self(xml)
    }

    /// The document.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The document, as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl AsRef<str> for Twiml {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Twiml {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(feature = "axum")]
mod axum_impl {
    use axum::http::{StatusCode, header};
    use axum::response::{IntoResponse, Response};

    use super::Twiml;
    use crate::twiml::{MessagingResponse, TwimlError, VoiceResponse};

    /// A builder is served directly: rendered, or 500 if it holds a forbidden character.
    macro_rules! serve_builder {
        ($($builder:ty),*) => {$(
            impl IntoResponse for $builder {
                fn into_response(self) -> Response {
                    self.render().into_response()
                }
            }
        )*};
    }
    serve_builder!(MessagingResponse, VoiceResponse);

    impl IntoResponse for Twiml {
        fn into_response(self) -> Response {
            ([(header::CONTENT_TYPE, Twiml::CONTENT_TYPE)], self.0).into_response()
        }
    }

    /// A document that could not be rendered is a bug on our side: 500, with the reason in
    /// the body only as a fixed text (the offending value may be user data).
    impl IntoResponse for TwimlError {
        fn into_response(self) -> Response {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "TwiML could not be rendered",
            )
                .into_response()
        }
    }
}

#[cfg(feature = "actix")]
mod actix_impl {
    use actix_web::body::BoxBody;
    use actix_web::http::StatusCode;
    use actix_web::http::header::CONTENT_TYPE;
    use actix_web::{HttpRequest, HttpResponse, Responder, ResponseError};

    use super::Twiml;
    use crate::twiml::{MessagingResponse, TwimlError, VoiceResponse};

    /// A builder is served directly: rendered, or 500 if it holds a forbidden character.
    macro_rules! serve_builder {
        ($($builder:ty),*) => {$(
            impl Responder for $builder {
                type Body = BoxBody;

                fn respond_to(self, req: &HttpRequest) -> HttpResponse<Self::Body> {
                    match self.render() {
                        Ok(twiml) => twiml.respond_to(req),
                        Err(e) => e.error_response(),
                    }
                }
            }
        )*};
    }
    serve_builder!(MessagingResponse, VoiceResponse);

    impl Responder for Twiml {
        type Body = BoxBody;

        fn respond_to(self, _req: &HttpRequest) -> HttpResponse<Self::Body> {
            HttpResponse::Ok()
                .insert_header((CONTENT_TYPE, Twiml::CONTENT_TYPE))
                .body(self.0)
        }
    }

    /// As for axum: 500 with a fixed text.
    impl ResponseError for TwimlError {
        fn status_code(&self) -> StatusCode {
            StatusCode::INTERNAL_SERVER_ERROR
        }

        fn error_response(&self) -> HttpResponse<BoxBody> {
            HttpResponse::InternalServerError().body("TwiML could not be rendered")
        }
    }
}

#[cfg(feature = "rocket")]
mod rocket_impl {
    use rocket::http::{ContentType, Status};
    use rocket::response::{self, Responder};
    use rocket::{Request, Response};

    use super::Twiml;
    use crate::twiml::{MessagingResponse, VoiceResponse};

    /// A builder is served directly: rendered, or 500 if it holds a forbidden character.
    macro_rules! serve_builder {
        ($($builder:ty),*) => {$(
            impl<'r> Responder<'r, 'static> for $builder {
                fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
                    match self.render() {
                        Ok(twiml) => twiml.respond_to(request),
                        // As for axum: 500 with a fixed text (the value may be user data).
                        Err(_) => (Status::InternalServerError, "TwiML could not be rendered")
                            .respond_to(request),
                    }
                }
            }
        )*};
    }
    serve_builder!(MessagingResponse, VoiceResponse);

    impl<'r> Responder<'r, 'static> for Twiml {
        fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
            Response::build()
                .header(ContentType::XML)
                .sized_body(self.0.len(), std::io::Cursor::new(self.0))
                .ok()
        }
    }
}
