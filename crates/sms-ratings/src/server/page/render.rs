//! The HTML of the events list and of an event's results page.

use super::html::Html;
use super::view::{CommentView, Snapshot, state_name};
use crate::model::{Event, Results};

/// The `<head>` and the opening of `<body>`; assets are same-origin files (the CSP forbids
/// inline script).
fn head(h: &mut Html, title: &str) {
    h.raw("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        .raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .raw("<meta name=\"color-scheme\" content=\"light dark\">")
        .element("title", &[], title)
        .raw("<link rel=\"stylesheet\" href=\"/assets/app.css\">")
        .raw("<script src=\"/assets/app.js\" defer></script></head><body>");
}

fn state_label(state: &str) -> &'static str {
    match state {
        "open" => "open",
        "not_open" => "not open yet",
        _ => "closed",
    }
}

/// `GET /`: every event with its number, state and figures.
pub(crate) fn index(events: &[(Event, Option<Results>)]) -> String {
    let mut h = Html::default();
    head(&mut h, "Events · sms-ratings");
    h.raw("<main class=\"index\"><h1>Events</h1>");
    if events.is_empty() {
        h.raw("<p class=\"empty\">No events yet. Add one with ")
            .raw("<code>sms-ratings events add CODE \"Name\" --number +1…</code></p>");
    } else {
        h.raw("<table><thead><tr><th>Code</th><th>Name</th><th>Number</th><th>State</th>")
            .raw("<th class=\"num\">Votes</th><th class=\"num\">Average</th></tr></thead><tbody>");
        for (event, results) in events {
            let href = format!("/events/{}", event.code);
            let state = state_name(event);
            h.raw("<tr><td>")
                .element("a", &[("href", &href)], event.code.as_str())
                .raw("</td><td>")
                .text(&event.name)
                .raw("</td><td>")
                .text(
                    &event
                        .number
                        .as_deref()
                        .map(display_number)
                        .unwrap_or_default(),
                )
                .raw("</td><td>")
                .element(
                    "span",
                    &[("class", "state"), ("data-state", state)],
                    state_label(state),
                )
                .raw("</td><td class=\"num\">");
            if let Some(r) = results {
                h.display(r.count)
                    .raw("</td><td class=\"num\">")
                    .text(&super::view::average_text(r));
            } else {
                h.raw("</td><td class=\"num\">");
            }
            h.raw("</td></tr>");
        }
        h.raw("</tbody></table>");
    }
    h.raw("</main></body></html>");
    h.finish()
}

/// How people vote for `event`: the number to text and whether the code must lead the text
/// (when the number serves other open events too, or the event has no number of its own).
pub(crate) struct HowToVote {
    /// The number to text, formatted for reading.
    pub(crate) number: Option<String>,
    /// True when the text must start with the event code.
    pub(crate) needs_code: bool,
}

impl HowToVote {
    /// Works it out from all events.
    pub(crate) fn of(event: &Event, all: &[Event]) -> Self {
        let now = crate::model::Timestamp::now();
        let shared = event.number.as_ref().is_some_and(|n| {
            all.iter()
                .any(|e| e.id != event.id && e.number.as_ref() == Some(n) && e.is_open_at(now))
        });
        Self {
            number: event.number.as_deref().map(display_number),
            needs_code: shared || event.number.is_none(),
        }
    }
}

/// `GET /events/{code}`.
pub(crate) fn event_page(
    event: &Event,
    how: &HowToVote,
    snap: &Snapshot,
    urls: &PageUrls,
) -> String {
    let json = serde_json::to_string(snap).unwrap_or_default();
    let mut h = Html::default();
    head(&mut h, &format!("{} · ratings", event.name));
    h.open(
        "main",
        &[
            ("class", "event"),
            ("data-live", &urls.live),
            ("data-poll", &urls.poll),
            ("data-transport", urls.transport),
            ("data-snapshot", &json),
        ],
    );
    h.raw("<header><a class=\"back\" href=\"/\">Events</a><h1>")
        .text(&event.name)
        .raw("</h1><p class=\"meta\"><span class=\"code\">")
        .text(event.code.as_str())
        .raw("</span> ")
        .element(
            "span",
            &[
                ("class", "state"),
                ("data-field", "state"),
                ("data-state", snap.state),
            ],
            state_label(snap.state),
        )
        .raw(" <span class=\"transport\" data-field=\"transport\"></span></p></header>");
    call_to_action(&mut h, event, how, snap.state);
    figures(&mut h, snap);
    histogram(&mut h, &snap.results);
    h.raw("<section class=\"card timeline\"><h2>Ratings over time</h2>")
        .raw("<svg data-chart=\"timeline\" viewBox=\"0 0 600 360\" role=\"img\" ")
        .raw("aria-label=\"Votes per time interval and running average\"></svg>")
        .raw("<p class=\"stroke-legend\"><span class=\"key-votes\">■</span> votes (left scale) ")
        .raw("<span class=\"key-avg\">━</span> running average (right scale, 1–5)</p></section>");
    comments(&mut h, &snap.comments);
    h.raw("</main></body></html>");
    h.finish()
}

/// Where the page script connects.
pub(crate) struct PageUrls {
    /// The server-sent events stream.
    pub(crate) live: String,
    /// The JSON snapshot polled when the stream fails.
    pub(crate) poll: String,
    /// `sse` (with polling as fallback) or `poll` (forced by `?transport=poll`).
    pub(crate) transport: &'static str,
}

/// The big "Text 4 to …" panel for the projector; the state picks which line shows.
fn call_to_action(h: &mut Html, event: &Event, how: &HowToVote, state: &str) {
    h.open(
        "section",
        &[
            ("class", "cta"),
            ("data-field", "cta"),
            ("data-state", state),
        ],
    );
    h.raw("<p class=\"cta-open\">Text <kbd>");
    if how.needs_code {
        h.text(event.code.as_str()).raw(" ");
    }
    h.raw("4</kbd>");
    match &how.number {
        Some(number) => h
            .raw(" to ")
            .element("span", &[("class", "number")], number),
        None => h.raw(" to the event number"),
    };
    h.raw("</p><p class=\"cta-hint cta-open\">Any rating from 1 to 5, a comment after it if you like</p>")
        .raw("<p class=\"cta-closed\">Voting is closed</p>")
        .raw("<p class=\"cta-soon\">Voting opens soon</p></section>");
}

fn figures(h: &mut Html, snap: &Snapshot) {
    h.raw("<section class=\"figures\"><div class=\"figure\"><span class=\"value\" data-field=\"average\">")
        .text(&snap.average_text)
        .raw("</span><span class=\"label\">average</span></div>")
        .raw("<div class=\"figure\"><span class=\"value\" data-field=\"count\">")
        .display(snap.results.count)
        .raw("</span><span class=\"label\">votes</span></div></section>");
}

/// Five horizontal bars, 5 at the top; widths relative to the largest.
fn histogram(h: &mut Html, results: &Results) {
    let max = results
        .histogram
        .values()
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    h.raw("<section class=\"card histogram\"><h2>Ratings</h2><div class=\"bars\">");
    for rating in ["5", "4", "3", "2", "1"] {
        let n = results.histogram.get(rating).copied().unwrap_or(0);
        let width = bar_width(n, max);
        h.raw("<div class=\"bar-row\"><span class=\"bar-label\">")
            .text(rating)
            .raw("★</span><svg class=\"bar\" aria-hidden=\"true\">")
            .open(
                "rect",
                &[
                    ("data-bar", rating),
                    ("width", &width),
                    ("height", "100%"),
                    ("rx", "4"),
                ],
            )
            .close("rect")
            .raw("</svg>")
            .element(
                "span",
                &[("class", "bar-n"), ("data-n", rating)],
                &n.to_string(),
            )
            .raw("</div>");
    }
    h.raw("</div></section>");
}

/// A bar's width as an SVG percentage, one decimal (the page script computes the same).
pub(crate) fn bar_width(n: u64, max: u64) -> String {
    let tenths = n * 1000 / max.max(1);
    format!("{}.{}%", tenths / 10, tenths % 10)
}

fn comments(h: &mut Html, comments: &[CommentView]) {
    h.raw("<section class=\"card comments\"><h2>Latest comments</h2>")
        .raw("<ol class=\"comment-list\" data-field=\"comments\">");
    for c in comments {
        h.raw("<li><span class=\"stars\">")
            .display(c.rating)
            .raw("★</span> ")
            .element("q", &[], &c.comment)
            .raw(" <span class=\"who\">")
            .text(&c.phone)
            .raw("</span> ")
            .element("time", &[("datetime", &c.at)], &c.at)
            .raw("</li>");
    }
    h.raw("</ol><p class=\"empty\" data-field=\"no-comments\"");
    if !comments.is_empty() {
        h.raw(" hidden");
    }
    h.raw(">No comments yet</p></section>");
}

/// `+15005550006` → `+1 500 555 0006`; other numbers as they are.
pub(crate) fn display_number(number: &str) -> String {
    let digits = number
        .strip_prefix("+1")
        .filter(|d| d.len() == 10 && d.bytes().all(|b| b.is_ascii_digit()));
    match digits {
        Some(d) => format!("+1 {} {} {}", &d[..3], &d[3..6], &d[6..]),
        None => number.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_bars() {
        assert_eq!(display_number("+15005550006"), "+1 500 555 0006");
        assert_eq!(display_number("+447700900123"), "+447700900123");
        assert_eq!(bar_width(0, 0), "0.0%");
        assert_eq!(bar_width(1, 3), "33.3%");
        assert_eq!(bar_width(3, 3), "100.0%");
    }
}
