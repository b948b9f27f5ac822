//! Config errors: [`ConfigError`], the one-line message naming the document, the line and the
//! field, and its making from serde-saphyr's errors (their location, the path where they arose as
//! serde_path_to_error tracked it, serde's wording rewritten, "did you mean" hints added).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::core::nearest::nearest;

/// A config that cannot be read or is invalid. Displays as one line naming the origin, the line
/// (when known) and the field, e.g.
/// `config /home/u/.config/kubectl-owner/config.yaml: line 4: unknown field "stagez" in keys (did you mean "stage"?)`
/// (the caller adds the `error: ` prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// File path or `configmap kube-public/kubectl-owner`.
    pub origin: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "config {}: ", self.origin)?;
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

pub(super) fn yaml_error(err: &serde_saphyr::Error, path: &str, origin: &str) -> ConfigError {
    let loc = err.location();
    let path = if path == "." { "" } else { path };
    let message = plain_message(err);
    ConfigError {
        origin: origin.to_string(),
        line: loc.map(|l| l.line() as usize),
        column: loc.map(|l| l.column() as usize),
        message: humanize(path, &message),
    }
}

/// The error's message alone: without the source snippet and the `error: line N column M: `
/// prefix (the line is [`ConfigError::line`]).
fn plain_message(err: &serde_saphyr::Error) -> String {
    let text = err.without_snippet().to_string();
    let text = text.lines().next().unwrap_or_default();
    let text = text.strip_prefix("error: ").unwrap_or(text);
    let text = match text
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
    {
        Some((place, rest)) if place.contains(" column ") => rest,
        _ => text,
    };
    strip_marks(text)
}

/// Removes every " at line N, column M" (the location, said once already).
fn strip_marks(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(" at line ") {
        let after = &rest[i + " at line ".len()..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        let tail = &after[digits..];
        if let Some(tail) = tail.strip_prefix(", column ").filter(|_| digits > 0) {
            let cd = tail.chars().take_while(char::is_ascii_digit).count();
            if cd > 0 {
                out.push_str(&rest[..i]);
                rest = &tail[cd..];
                continue;
            }
        }
        out.push_str(&rest[..i + 1]);
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
    out
}

fn backticked(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

fn humanize(path: &str, msg: &str) -> String {
    let first = backticked(msg).first().copied().unwrap_or("");
    // The path runs to the unknown field itself; the place is its mapping.
    let container = match path.rsplit_once('.') {
        Some((parent, last)) if last == first => parent,
        None if path == first => "",
        _ => path,
    };
    let place = if container.is_empty() {
        "at top level".to_string()
    } else {
        format!("in {container}")
    };
    // `expected one of a, b, c` (or with backticks, or `expected a`).
    let expected = || -> Vec<&str> {
        msg.find("expected ")
            .map(|i| {
                let list = &msg[i + "expected ".len()..];
                let list = list.strip_prefix("one of ").unwrap_or(list);
                list.split(", ")
                    .map(|s| s.trim().trim_matches('`'))
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let hint = |expected: Vec<&str>| match nearest(first, expected.iter().copied()) {
        Some(s) => format!(" (did you mean \"{s}\"?)"),
        None if expected.is_empty() => " (no fields are allowed here)".to_string(),
        None => format!(" (expected one of: {})", expected.join(", ")),
    };
    if msg.starts_with("unknown field `") {
        format!("unknown field \"{first}\" {place}{}", hint(expected()))
    } else if msg.starts_with("unknown variant `") {
        let place = if container.is_empty() {
            String::new()
        } else {
            format!(" for {container}")
        };
        format!("unknown value \"{first}\"{place}{}", hint(expected()))
    } else if msg.starts_with("missing field `") {
        format!("missing field \"{first}\" {place}")
    } else if msg.starts_with("duplicate field `") {
        format!("duplicate field \"{first}\" {place}")
    } else if let Some(shape) = match msg {
        "expected sequence start" => Some("a list"),
        "expected mapping start" => Some("a mapping of keys to values"),
        _ => None,
    } {
        let field = if path.is_empty() {
            "the document"
        } else {
            path
        };
        format!("{field}: expected {shape}")
    } else if msg.starts_with("cannot deserialize null into") {
        // serde-saphyr's hint is for Rust code, not for the config's author.
        let field = if path.is_empty() { "this value" } else { path };
        format!("{field}: null is not a value here (quote it, \"null\", to mean the text)")
    } else if let Some(kind) = msg.strip_prefix("invalid ").filter(|k| {
        matches!(
            *k,
            "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" | "usize"
        )
    }) {
        let what = if kind.starts_with('u') {
            "a whole number, 0 or more"
        } else {
            "a whole number"
        };
        let field = if path.is_empty() { "this value" } else { path };
        format!("{field}: expected {what}")
    } else {
        let msg = msg.replace('`', "\"");
        if path.is_empty() {
            msg
        } else {
            format!("{path}: {msg}")
        }
    }
}

/// One step of the way from the top of a document to a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// The value of this key of a mapping.
    Key(&'static str),
    /// This item of a sequence.
    Index(usize),
}

/// An error saying `message` about the string value at `at` in `text`, for problems found after
/// deserialising (such as duplicates across entries). It is raised while reading `text` again,
/// inside that value's own `deserialize_str`, so it carries the value's line as an error raised
/// by the value's parser would.
pub(super) fn error_at(text: &str, at: &[Step], message: &str) -> serde_saphyr::Error {
    let reread =
        serde_saphyr::with_deserializer_from_str(text, |d| (Locate { at, message }).deserialize(d));
    match reread {
        Err(err) => err,
        // Not found (cannot happen for a path taken from the parsed document): no line.
        Ok(()) => de::Error::custom(message),
    }
}

/// `teams[1].name`: `at` as serde_path_to_error writes a path.
pub(super) fn path_of(at: &[Step]) -> String {
    let mut out = String::new();
    for step in at {
        match step {
            Step::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Walks down `at`, skipping everything else, and fails at the value there.
#[derive(Clone, Copy)]
struct Locate<'a> {
    at: &'a [Step],
    message: &'a str,
}

impl<'de> DeserializeSeed<'de> for Locate<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        match self.at.first() {
            None => d.deserialize_str(self),
            Some(Step::Key(_)) => d.deserialize_map(self),
            Some(Step::Index(_)) => d.deserialize_seq(self),
        }
    }
}

impl<'de> Visitor<'de> for Locate<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the value to report")
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(E::custom(self.message))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let next = Locate {
            at: &self.at[1..],
            ..self
        };
        while let Some(key) = map.next_key::<String>()? {
            match self.at[0] {
                Step::Key(k) if k == key => map.next_value_seed(next)?,
                _ => map.next_value::<IgnoredAny>().map(drop)?,
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let next = Locate {
            at: &self.at[1..],
            ..self
        };
        let mut i = 0;
        loop {
            let found = match self.at[0] {
                Step::Index(n) if n == i => seq.next_element_seed(next)?,
                _ => seq.next_element::<IgnoredAny>()?.map(drop),
            };
            if found.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::testing::{ORIGIN, err};

    #[test]
    fn unknown_field_in_keys() {
        let e = err("keys:\n  team: squad\n  # comment\n  stagez: phase\n");
        assert_eq!(e.line, Some(4));
        assert_eq!(
            e.to_string(),
            "config /home/u/.config/kubectl-owner/config.yaml: line 4: unknown field \"stagez\" in keys (did you mean \"stage\"?)"
        );
    }

    #[test]
    fn unknown_field_at_every_level() {
        let e = err("stages: [a]\nteamz:\n  - name: x\n");
        assert_eq!(e.line, Some(2));
        assert_eq!(
            e.message,
            "unknown field \"teamz\" at top level (did you mean \"teams\"?)"
        );

        let e = err("teams:\n  - name: payments\n    chat: x\n  - name: search\n    alias: [s]\n");
        assert_eq!(e.line, Some(5));
        assert_eq!(
            e.message,
            "unknown field \"alias\" in teams[1] (did you mean \"aliases\"?)"
        );

        let e = err("rules:\n  - namespaces: [a]\n    stages: production\n");
        assert_eq!(e.line, Some(3));
        assert_eq!(
            e.message,
            "unknown field \"stages\" in rules[0] (did you mean \"stage\"?)"
        );

        let e = err("check:\n  sunset_warning_days: 10\n");
        assert_eq!(e.line, Some(2));
        assert_eq!(
            e.message,
            "unknown field \"sunset_warning_days\" in check (did you mean \"sunsetWarningDays\"?)"
        );

        let e = err("keys:\n  team_fallbacks: [a]\n");
        assert_eq!(
            e.message,
            "unknown field \"team_fallbacks\" in keys (did you mean \"teamFallbacks\"?)"
        );

        // keys.exemptFallbacks is not part of the schema.
        let e = err("keys:\n  exemptFallbacks: [a]\n");
        assert!(
            e.message
                .starts_with("unknown field \"exemptFallbacks\" in keys"),
            "{e}"
        );

        // Nothing near: list the valid names.
        let e = err("teams:\n  - name: x\n    slack: '#x'\n");
        assert_eq!(e.line, Some(3));
        assert_eq!(
            e.message,
            "unknown field \"slack\" in teams[0] (expected one of: name, aliases, images, groups, managers, chat, oncall, email, runbook)"
        );
    }

    #[test]
    fn malformed_yaml_names_the_line() {
        let e = err("keys:\n  team: a\n stage: b\n");
        assert_eq!(e.line, Some(3));
        assert!(
            e.to_string()
                .starts_with(&format!("config {ORIGIN}: line 3: ")),
            "{e}"
        );
        assert!(!e.to_string().contains('\n'));
        assert!(!e.message.contains(" at line "), "{e}");

        let e = err("teams:\n  - name: [unclosed\n");
        assert!(e.line.is_some(), "{e}");
        assert!(!e.to_string().contains('\n'));

        let e = err("- just\n- a list\n");
        assert_eq!(e.line, Some(1));

        let e = err("check:\n  sunsetWarningDays: soon\n");
        assert_eq!(e.line, Some(2));
        assert_eq!(
            e.message,
            "check.sunsetWarningDays: expected a whole number, 0 or more"
        );

        let e = err("rules:\n  - team: x\n");
        assert_eq!(e.line, Some(2));
        assert_eq!(e.message, "missing field \"namespaces\" in rules[0]");
    }
}
