//! `check -o markdown`: the report as a pull request comment or `$GITHUB_STEP_SUMMARY` shows it —
//! the summary line, a table per `--group-by` group (long ones folded in `<details>`), then the
//! exempt objects and what could not be read.

use crate::core::policy::{CheckReport, Finding, GroupBy, Location};

/// Groups longer than this are folded: a summary stays readable at a glance.
const FOLD_AFTER: usize = 10;

/// Findings shown in all: GitHub takes at most 1 MiB of a job summary (and 65,536 characters of
/// a comment); the rest are counted, and the JSON or JUnit report has them all.
const MAX_ROWS: usize = 500;

/// Text safe in a table cell: no column break, no line break, no HTML.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            // No link, image or reference can be made of an annotation's text.
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn row(cells: &[&str]) -> String {
    let cells: Vec<String> = cells.iter().map(|c| cell(c)).collect();
    format!("| {} |\n", cells.join(" | "))
}

fn header(names: &[&str]) -> String {
    let mut out = row(names);
    out.push_str(&format!("|{}\n", "---|".repeat(names.len())));
    out
}

/// What a finding is grouped under.
fn group_of(f: &Finding, group_by: GroupBy) -> String {
    match group_by {
        GroupBy::Team => match &f.team {
            Some(team) => format!("team {team}"),
            None => "no team".to_string(),
        },
        GroupBy::Namespace => match &f.namespace {
            Some(ns) => format!("namespace {ns}"),
            None => "cluster-scoped".to_string(),
        },
        GroupBy::Rule => format!("rule {}", f.rule),
    }
}

/// A group's table, open or folded.
fn section(title: &str, body: &str, rows: usize, noun: &str) -> String {
    let plural = if rows == 1 { "" } else { "s" };
    match rows > FOLD_AFTER {
        true => format!(
            "<details><summary>{} ({rows} {noun}{plural})</summary>\n\n{body}\n</details>\n\n",
            cell(title)
        ),
        false => format!("#### {} ({rows} {noun}{plural})\n\n{body}\n", cell(title)),
    }
}

/// The Markdown summary; `location` adds the context or cluster column.
pub fn render(report: &CheckReport, group_by: GroupBy, location: Option<Location>) -> String {
    let s = &report.summary;
    let mut out = format!(
        "### kubectl-owner check: {}\n\n{}\n\n",
        match (s.errors, s.warnings) {
            (0, 0) => "compliant".to_string(),
            (e, w) => format!(
                "{e} error{}, {w} warning{}",
                if e == 1 { "" } else { "s" },
                if w == 1 { "" } else { "s" }
            ),
        },
        s.line()
    );
    let columns = super::finding_columns(location);
    // Findings are already in --group-by order: each group is a run.
    let mut groups: Vec<(String, Vec<&Finding>)> = Vec::new();
    for f in &report.findings {
        let group = group_of(f, group_by);
        match groups.last_mut() {
            Some((name, findings)) if *name == group => findings.push(f),
            _ => groups.push((group, vec![f])),
        }
    }
    let mut shown = 0;
    for (group, findings) in &groups {
        if shown >= MAX_ROWS {
            break;
        }
        let mut body = header(&columns);
        for f in findings.iter().take(MAX_ROWS - shown) {
            shown += 1;
            let place = f.location();
            let mut cells = vec![
                f.namespace.as_deref().unwrap_or("-"),
                &f.kind,
                &f.name,
                f.team.as_deref().unwrap_or("-"),
                f.rule.as_str(),
                f.severity.as_str(),
                &f.detail,
            ];
            if location.is_some() {
                cells.insert(0, place.as_deref().unwrap_or("-"));
            }
            body.push_str(&row(&cells));
        }
        out.push_str(&section(group, &body, findings.len(), "finding"));
    }
    if report.findings.len() > shown {
        out.push_str(&format!(
            "**{} more findings not shown here**: `kubectl owner check -o json` (or `-o junit`) lists every one.\n\n",
            report.findings.len() - shown
        ));
    }
    if !report.exempt.is_empty() {
        let mut body = header(&["Namespace", "Kind", "Name", "Reason"]);
        for e in &report.exempt {
            body.push_str(&row(&[
                e.namespace.as_deref().unwrap_or("-"),
                &e.kind,
                &e.name,
                &e.reason,
            ]));
        }
        out.push_str(&format!(
            "<details><summary>Exempt ({})</summary>\n\n{body}\n</details>\n\n",
            report.exempt.len()
        ));
    }
    if !report.unreadable.is_empty() {
        let mut body = header(&["Namespace", "Resource", "Reason"]);
        for u in &report.unreadable {
            body.push_str(&row(&[
                u.namespace.as_deref().unwrap_or("(cluster-wide)"),
                &u.resource,
                &u.reason,
            ]));
        }
        out.push_str(&format!(
            "**Not everything could be read: the report is partial.**\n\n<details><summary>Not read ({})</summary>\n\n{body}\n</details>\n",
            report.unreadable.len()
        ));
    }
    // One newline at the end, as every document ends.
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table_or_inject_html() {
        assert_eq!(cell("a|b\n<script>&"), "a\\|b &lt;script&gt;&amp;");
    }
}
