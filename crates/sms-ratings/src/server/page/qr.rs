//! The projector's "scan to vote": an `sms:` link that opens the phone's messaging app with
//! the event's number and code filled in, and its QR code as SVG (the `qrcode` crate).
//!
//! The link is `sms:{number}?&body={CODE}%20`: iOS reads the body after `&`, Android after
//! `?`, and each ignores the other's separator, so this one form fills the text on both.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use qrcode::QrCode;
use qrcode::render::svg;

use crate::model::Event;
use crate::server::error::HttpError;

/// The `sms:` link for `event`; none when it has no number. The code always leads the body,
/// so the text counts whether or not the number serves other events.
pub(crate) fn sms_link(event: &Event) -> Option<String> {
    let number = event.number.as_deref()?;
    // Numbers passed the event rules (no spaces or controls); keep only what a URI allows.
    let number: String = number
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | ':'))
        .collect();
    Some(format!("sms:{number}?&body={}%20", event.code))
}

/// `image/svg+xml` of the QR code of `event`'s `sms:` link; 404 without a number.
pub(crate) fn svg_response(event: &Event) -> Result<Response, HttpError> {
    let link = sms_link(event).ok_or(HttpError::NotFound)?;
    let code = QrCode::new(link.as_bytes()).map_err(|_| HttpError::Internal)?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        image,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(number: Option<&str>) -> Event {
        Event {
            id: 1,
            code: "RUST25".parse().unwrap(),
            name: "RustConf".into(),
            number: number.map(str::to_owned),
            opens: None,
            closes: None,
            closed: false,
            time_zone: None,
            window_opens: None,
        }
    }

    #[test]
    fn link_fills_number_and_code() {
        assert_eq!(
            sms_link(&event(Some("+15005550006"))).unwrap(),
            "sms:+15005550006?&body=RUST25%20"
        );
        assert_eq!(sms_link(&event(None)), None);
    }

    #[test]
    fn qr_is_an_svg() {
        let response = svg_response(&event(Some("+15005550006"))).unwrap();
        assert_eq!(response.headers()[header::CONTENT_TYPE], "image/svg+xml");
        assert!(matches!(
            svg_response(&event(None)),
            Err(HttpError::NotFound)
        ));
    }
}
