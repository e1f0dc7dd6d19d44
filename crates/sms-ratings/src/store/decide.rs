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

/// A vote without a code: `serving` are the events on the receiving number. Exactly one open
/// event takes the vote; with one event that is not open, say why; otherwise ask for the code.
pub(crate) fn decide_by_number(serving: Vec<Event>, now: Timestamp) -> Decision {
    let open: Vec<&Event> = serving.iter().filter(|e| e.is_open_at(now)).collect();
    match (open.as_slice(), serving.len()) {
        ([only], _) => Decision::Count((*only).clone()),
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
        }
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
