//! Typed webhook payloads.
