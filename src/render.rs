//! Output: kubectl-style tables, JSON and YAML documents, written to stdout (broken pipe = done).

use std::io::Write;

use comfy_table::{CellAlignment, ContentArrangement, Table, presets};
use serde::Serialize;

/// A kubectl-look table: no borders, left-aligned, 3-space gutters, upper-case headers.
pub fn table(headers: &[&str], rows: &[Vec<String>], no_headers: bool) -> String {
    if rows.is_empty() && no_headers {
        return String::new();
    }
    let mut t = Table::new();
    t.load_style(presets::NOTHING).set_content_arrangement(ContentArrangement::Disabled);
    if !no_headers {
        t.set_header(headers.iter().map(|h| h.to_uppercase()));
    }
    for row in rows {
        t.add_row(row.iter().map(|cell| terminal_safe(cell)));
    }
    let last = headers.len().saturating_sub(1);
    for (i, column) in t.column_iter_mut().enumerate() {
        column.set_cell_alignment(CellAlignment::Left);
        // kubectl pads between columns only: no leading space, three after all but the last.
        column.set_padding((0, if i == last { 0 } else { 3 }));
    }
    let mut out = t.trim_fmt();
    out.push('\n');
    out
}

/// Label and annotation values are attacker-controlled: escape control characters (ANSI escapes,
/// newlines) so a table cell can never move the cursor or fake extra rows.
pub fn terminal_safe(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| match c {
            '\n' => "\\n".to_string(),
            '\r' => "\\r".to_string(),
            '\t' => "\\t".to_string(),
            c if c.is_control() => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// `<none>` for a missing value, as kubectl prints it.
pub fn or_none(value: Option<&str>) -> String {
    value.map(str::to_string).unwrap_or_else(|| "<none>".to_string())
}

pub fn json<T: Serialize>(doc: &T) -> String {
    let mut out = serde_json::to_string_pretty(doc).expect("documents serialise");
    out.push('\n');
    out
}

pub fn yaml<T: Serialize>(doc: &T) -> String {
    serde_yaml_ng::to_string(doc).expect("documents serialise")
}

/// Writes to stdout; a closed pipe (`| head`) is success, not an error.
pub fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => eprintln!("error: writing output: {e}"),
    }
}

/// kubectl's AGE: `45s`, `5m30s`, `90m`, `3h20m`, `36h`, `5d3h`, `30d`, `2y12d`, `9y`.
pub fn age(created: Option<jiff::Timestamp>, now: jiff::Timestamp) -> String {
    let Some(created) = created else {
        return "<unknown>".to_string();
    };
    let seconds = now.as_second() - created.as_second();
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    let seconds = seconds.max(0);
    let minutes = seconds / 60;
    let hours = minutes / 60;
    let days = hours / 24;
    let years = days / 365;
    let with = |big: i64, big_unit: &str, small: i64, small_unit: &str| {
        if small == 0 { format!("{big}{big_unit}") } else { format!("{big}{big_unit}{small}{small_unit}") }
    };
    if seconds < 120 {
        format!("{seconds}s")
    } else if minutes < 10 {
        with(minutes, "m", seconds % 60, "s")
    } else if minutes < 180 {
        format!("{minutes}m")
    } else if hours < 8 {
        with(hours, "h", minutes % 60, "m")
    } else if hours < 48 {
        format!("{hours}h")
    } else if hours < 24 * 8 {
        with(days, "d", hours % 24, "h")
    } else if days < 365 * 2 {
        format!("{days}d")
    } else if days < 365 * 8 {
        with(years, "y", days % 365, "d")
    } else {
        format!("{years}y")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_table_look() {
        let out = table(
            &["name", "team"],
            &[vec!["api".into(), "payments".into()], vec!["ledger-long".into(), "<none>".into()]],
            false,
        );
        assert_eq!(out, "NAME          TEAM\napi           payments\nledger-long   <none>\n");
        let out = table(&["name", "team"], &[vec!["api".into(), "payments".into()]], true);
        assert_eq!(out, "api   payments\n");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(terminal_safe("red\x1b[31m\nnext"), "red\\u{1b}[31m\\nnext");
        assert_eq!(terminal_safe("plain ünïcode"), "plain ünïcode");
    }

    #[test]
    fn ages_like_kubectl() {
        let now = jiff::Timestamp::from_second(1_000_000_000).unwrap();
        let ago = |s: i64| age(Some(jiff::Timestamp::from_second(1_000_000_000 - s).unwrap()), now);
        assert_eq!(ago(45), "45s");
        assert_eq!(ago(119), "119s");
        assert_eq!(ago(5 * 60 + 30), "5m30s");
        assert_eq!(ago(5 * 60), "5m");
        assert_eq!(ago(90 * 60), "90m");
        assert_eq!(ago(3 * 3600 + 20 * 60), "3h20m");
        assert_eq!(ago(36 * 3600), "36h");
        assert_eq!(ago(5 * 86400 + 3 * 3600), "5d3h");
        assert_eq!(ago(2 * 86400), "2d");
        assert_eq!(ago(30 * 86400), "30d");
        assert_eq!(ago(2 * 365 * 86400 + 12 * 86400), "2y12d");
        assert_eq!(ago(9 * 365 * 86400), "9y");
        assert_eq!(age(None, now), "<unknown>");
    }
}
