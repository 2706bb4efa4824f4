//! Reading the services' logs: the lines of one message, with their `key=value` fields.
//!
//! Lines look like `<time> <LEVEL> <target>: <message> key=value key="value"` with ANSI colours;
//! a restarted process appends to the same file, so a log covers every run of its process.

use std::{collections::BTreeMap, path::Path};

/// The fields of one log line.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fields(BTreeMap<String, String>);

impl Fields {
    /// The value of `key` (quotes removed).
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// The value of `key` as a number.
    pub(crate) fn number(&self, key: &str) -> Option<u64> {
        self.get(key)?.parse().ok()
    }
}

/// Every line of the log at `path` whose message is exactly `message`, as its fields (an
/// unreadable log has none).
pub(crate) fn records(path: &Path, message: &str) -> Vec<Fields> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let line = strip_ansi(line);
            let (_, rest) = line.split_once(": ")?;
            let fields = rest.strip_prefix(message)?;
            // The message ends where the fields start (not in a longer message).
            let first = fields.split_whitespace().next();
            let ends = fields.is_empty() || fields.starts_with(' ');
            if !ends || first.is_some_and(|token| !token.contains('=')) {
                return None;
            }
            Some(parse_fields(fields))
        })
        .collect()
}

/// How many lines of the log at `path` have message `message` and `key` equal to `value`.
pub(crate) fn count(path: &Path, message: &str, key: &str, value: &str) -> usize {
    records(path, message)
        .iter()
        .filter(|fields| fields.get(key) == Some(value))
        .count()
}

/// `key=value` pairs separated by spaces (values with spaces are cut at the first one: the
/// fields read here have none).
fn parse_fields(text: &str) -> Fields {
    Fields(
        text.split_whitespace()
            .filter_map(|token| token.split_once('='))
            .map(|(key, value)| (key.to_owned(), value.trim_matches('"').to_owned()))
            .collect(),
    )
}

/// `line` without its ANSI escape sequences (`ESC [ ... letter`).
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn reads_fields_of_coloured_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broker.log");
    std::fs::write(
        &path,
        "\u{1b}[2m2026-11-22T02:38:01.015165Z\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m \u{1b}[2mfernet_broker::broker\u{1b}[0m\u{1b}[2m:\u{1b}[0m job enqueued \u{1b}[3mid\u{1b}[0m\u{1b}[2m=\u{1b}[0m0xa9 \u{1b}[3mepoch\u{1b}[0m\u{1b}[2m=\u{1b}[0m2\n\
         2026-11-22T02:38:01Z  INFO fernet_broker::broker: job enqueued twice id=0xff\n\
         2026-11-22T02:38:02Z  INFO fernet_broker::broker: job taken id=0xa9 agent=\"agent-1\" attempt=1\n",
    )
    .unwrap();
    let enqueued = records(&path, "job enqueued");
    assert_eq!(enqueued.len(), 1);
    assert_eq!(enqueued[0].get("id"), Some("0xa9"));
    assert_eq!(enqueued[0].number("epoch"), Some(2));
    assert_eq!(count(&path, "job taken", "agent", "agent-1"), 1);
    assert!(records(&dir.path().join("missing.log"), "job taken").is_empty());
}
