//! Typed payloads.
