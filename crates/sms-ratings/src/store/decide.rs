//! Which event a vote is for, and whether it may be counted: the same rules for every backend.

use crate::model::{Event, EventCode, EventRef, EventState, Outcome, Timestamp};

/// Where a vote goes.
#[derive(Debug)]
pub(crate) enum Decision {
    /// Count it for this event.
    Count(Event),
    /// Do not count it; answer with this outcome.
    Answer(Outcome),
}

/// A vote that named its event: `found` is the event with that code, if any.
pub(crate) fn decide_by_code(code: &EventCode, found: Option<Event>, now: Timestamp) -> Decision {
    match found {
        Some(event) => check_open(event, now),
        None => Decision::Answer(Outcome::UnknownEvent(code.to_string())),
    }
}

/// A vote without a code: `serving` are the events on the receiving number. Exactly one
/// event taking texts without a code (open, its vote window open) takes the vote; with none,
/// a room's number between its talks' windows says what opens next and what closed last, a
/// number with one event says why it is not open; otherwise ask for the code.
pub(crate) fn decide_by_number(serving: Vec<Event>, now: Timestamp) -> Decision {
    let open: Vec<&Event> = serving
        .iter()
        .filter(|e| e.takes_bare_texts_at(now))
        .collect();
    let has_talks = serving.iter().any(|e| e.window_opens.is_some());
    match (open.as_slice(), serving.len()) {
        ([only], _) => Decision::Count((*only).clone()),
        ([], _) if has_talks => Decision::Answer(between_talks(&serving, now)),
        ([], 1) => serving
            .into_iter()
            .next()
            .map_or(Decision::Answer(Outcome::NeedCode(Vec::new())), |e| {
                check_open(e, now)
            }),
        _ => Decision::Answer(Outcome::NeedCode(
            open.iter().map(|e| e.code.to_string()).collect(),
        )),
    }
}

/// Between two talks' vote windows on one number: the window that opens next (of talks not
/// closed or cancelled) and the one that closed last.
fn between_talks(serving: &[Event], now: Timestamp) -> Outcome {
    let next = serving
        .iter()
        .filter(|e| !e.closed)
        .filter_map(|e| Some((e, e.window_opens.or(e.opens)?)))
        .filter(|(_, at)| *at > now)
        .min_by_key(|(_, at)| *at);
    let last = serving
        .iter()
        .filter(|e| !e.closed)
        .filter_map(|e| Some((e, e.closes?)))
        .filter(|(_, at)| *at <= now)
        .max_by_key(|(_, at)| *at);
    Outcome::BetweenTalks {
        next: next.map(|(e, at)| (EventRef::from(e), at)),
        last: last.map(|(e, at)| (EventRef::from(e), at)),
    }
}

fn check_open(event: Event, now: Timestamp) -> Decision {
    match event.state_at(now) {
        EventState::Open => Decision::Count(event),
        EventState::Closed => Decision::Answer(Outcome::Closed(EventRef::from(&event))),
        EventState::NotYetOpen(at) => {
            Decision::Answer(Outcome::NotYetOpen(EventRef::from(&event), at))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: &str, closed: bool) -> Event {
        Event {
            id: 1,
            code: code.parse().unwrap(),
            name: code.into(),
            number: Some("+1555".into()),
            opens: None,
            closes: None,
            closed,
            time_zone: None,
            window_opens: None,
        }
    }

    /// A talk: its code works from `start`, bare texts from `window` until `closes`.
    fn talk(code: &str, start: i64, window: i64, closes: i64) -> Event {
        Event {
            opens: Some(Timestamp::from_millis(start)),
            window_opens: Some(Timestamp::from_millis(window)),
            closes: Some(Timestamp::from_millis(closes)),
            ..ev(code, false)
        }
    }

    #[test]
    fn a_room_number_counts_for_the_talk_whose_window_is_open() {
        let room = || vec![talk("A1", 0, 35, 65), talk("B1", 60, 95, 125)];
        let at = Timestamp::from_millis;
        // B1 has started (its code works) but only A1's window is open.
        let d = decide_by_number(room(), at(62));
        assert!(matches!(d, Decision::Count(e) if e.code.as_str() == "A1"));
        let d = decide_by_number(room(), at(100));
        assert!(matches!(d, Decision::Count(e) if e.code.as_str() == "B1"));
        let d = decide_by_number(room(), at(70));
        let Decision::Answer(Outcome::BetweenTalks { next, last }) = d else {
            panic!("{d:?}")
        };
        assert_eq!(next.map(|(e, t)| (e.code, t)), Some(("B1".into(), at(95))));
        assert_eq!(last.map(|(e, t)| (e.code, t)), Some(("A1".into(), at(65))));
        let d = decide_by_number(room(), at(10));
        assert!(
            matches!(
                d,
                Decision::Answer(Outcome::BetweenTalks {
                    last: None,
                    next: Some(_)
                })
            ),
            "{d:?}"
        );
        let d = decide_by_number(room(), at(200));
        assert!(
            matches!(
                d,
                Decision::Answer(Outcome::BetweenTalks {
                    next: None,
                    last: Some(_)
                })
            ),
            "{d:?}"
        );
    }

    #[test]
    fn one_open_event_on_the_number_takes_the_vote() {
        let d = decide_by_number(vec![ev("A1", true), ev("B1", false)], Timestamp::now());
        assert!(matches!(d, Decision::Count(e) if e.code.as_str() == "B1"));
    }

    #[test]
    fn several_open_events_ask_for_a_code() {
        let d = decide_by_number(vec![ev("A1", false), ev("B1", false)], Timestamp::now());
        assert!(matches!(d, Decision::Answer(Outcome::NeedCode(c)) if c == ["A1", "B1"]));
        let d = decide_by_number(vec![], Timestamp::now());
        assert!(matches!(d, Decision::Answer(Outcome::NeedCode(c)) if c.is_empty()));
    }

    #[test]
    fn a_single_closed_event_says_closed() {
        let d = decide_by_number(vec![ev("A1", true)], Timestamp::now());
        assert!(matches!(d, Decision::Answer(Outcome::Closed(_))));
    }

    #[test]
    fn unknown_code() {
        let code = "ZZ9".parse().unwrap();
        let d = decide_by_code(&code, None, Timestamp::now());
        assert!(matches!(d, Decision::Answer(Outcome::UnknownEvent(c)) if c == "ZZ9"));
    }
}
