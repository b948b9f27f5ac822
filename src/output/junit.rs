//! `check -o junit`: the report as JUnit XML, as GitLab, Jenkins and GitHub's test reporters read
//! it — one test suite per team (unowned last), one test case per checked object, a `failure` per
//! finding at or above `--fail-on`, the findings below it as `system-out`, exempt objects skipped.

use std::collections::BTreeMap;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use crate::core::policy::{self, CheckReport, FailOn, Finding};

/// One test case: an object, its findings, or the reason it is exempt.
struct Case<'a> {
    name: String,
    classname: String,
    findings: Vec<&'a Finding>,
    skipped: Option<&'a str>,
}

/// The objects and findings of one report, by team: `(false, team)` first in name order, then
/// `(true, "")` for the unowned.
type Suites<'a> = BTreeMap<(bool, &'a str), Vec<Case<'a>>>;

fn suites(report: &CheckReport) -> Suites<'_> {
    let mut by_object = report.findings_by_object();
    let mut suites: Suites = BTreeMap::new();
    for o in &report.objects {
        suites
            .entry(policy::team_order(o.team.as_deref()))
            .or_default()
            .push(Case {
                name: o.reference(),
                classname: o.kind.clone(),
                findings: by_object.remove(&o.key()).unwrap_or_default(),
                skipped: None,
            });
    }
    for e in &report.exempt {
        suites
            .entry(policy::team_order(e.team.as_deref()))
            .or_default()
            .push(Case {
                name: e.reference(),
                classname: e.kind.clone(),
                findings: Vec::new(),
                skipped: Some(&e.reason),
            });
    }
    for cases in suites.values_mut() {
        cases.sort_by(|a, b| a.name.cmp(&b.name));
    }
    suites
}

/// Text XML 1.0 can hold: the C0 controls other than tab, newline and return (a value from an
/// annotation may carry one) become U+FFFD, or a reader would reject the whole report.
fn xml_text(text: &str) -> std::borrow::Cow<'_, str> {
    match text
        .chars()
        .any(|c| (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r'))
    {
        false => text.into(),
        true => text
            .chars()
            .map(|c| match c {
                '\t' | '\n' | '\r' => c,
                c if (c as u32) < 0x20 => '\u{fffd}',
                c => c,
            })
            .collect::<String>()
            .into(),
    }
}

/// Counts of a set of cases: (tests, failing cases, skipped).
fn counts<'c, 'a: 'c>(
    cases: impl IntoIterator<Item = &'c Case<'a>>,
    fail_on: FailOn,
) -> (usize, usize, usize) {
    let (mut tests, mut failing, mut skipped) = (0, 0, 0);
    for c in cases {
        tests += 1;
        failing += usize::from(c.findings.iter().any(|f| fail_on.fails(f.severity)));
        skipped += usize::from(c.skipped.is_some());
    }
    (tests, failing, skipped)
}

fn with_counts<'a>(
    mut start: BytesStart<'a>,
    (tests, failures, skipped): (usize, usize, usize),
) -> BytesStart<'a> {
    start.push_attribute(("tests", tests.to_string().as_str()));
    start.push_attribute(("failures", failures.to_string().as_str()));
    start.push_attribute(("errors", "0"));
    start.push_attribute(("skipped", skipped.to_string().as_str()));
    start
}

/// The JUnit document.
pub fn render(report: &CheckReport, fail_on: FailOn) -> String {
    let suites = suites(report);
    let total = counts(suites.values().flatten(), fail_on);
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let write = |w: &mut Writer<Vec<u8>>, event: Event| {
        w.write_event(event).expect("writing XML to memory");
    };
    write(
        &mut w,
        Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)),
    );
    let mut root = with_counts(BytesStart::new("testsuites"), total);
    root.push_attribute(("name", "kubectl-owner check"));
    write(&mut w, Event::Start(root));
    for ((unowned, team), cases) in &suites {
        let name = match unowned {
            true => "unowned".to_string(),
            false => format!("team {team}"),
        };
        let mut suite = BytesStart::new("testsuite");
        suite.push_attribute(("name", xml_text(&name).as_ref()));
        let suite = with_counts(suite, counts(cases, fail_on));
        write(&mut w, Event::Start(suite));
        for case in cases {
            let mut start = BytesStart::new("testcase");
            start.push_attribute(("name", xml_text(&case.name).as_ref()));
            start.push_attribute(("classname", xml_text(&case.classname).as_ref()));
            let (failing, below): (Vec<&&Finding>, Vec<&&Finding>) = case
                .findings
                .iter()
                .partition(|f| fail_on.fails(f.severity));
            if failing.is_empty() && below.is_empty() && case.skipped.is_none() {
                write(&mut w, Event::Empty(start));
                continue;
            }
            write(&mut w, Event::Start(start));
            if let Some(reason) = case.skipped {
                let mut skipped = BytesStart::new("skipped");
                skipped.push_attribute(("message", xml_text(reason).as_ref()));
                write(&mut w, Event::Empty(skipped));
            }
            for f in failing {
                let mut failure = BytesStart::new("failure");
                let message =
                    xml_text(&format!("{} ({}): {}", f.rule, f.severity, f.detail)).into_owned();
                failure.push_attribute(("message", message.as_str()));
                failure.push_attribute(("type", f.rule.as_str()));
                write(&mut w, Event::Start(failure));
                write(&mut w, Event::Text(BytesText::new(&message)));
                write(&mut w, Event::End(BytesEnd::new("failure")));
            }
            if !below.is_empty() {
                let text: Vec<String> = below
                    .iter()
                    .map(|f| format!("{} ({}): {}", f.rule, f.severity, f.detail))
                    .collect();
                write(&mut w, Event::Start(BytesStart::new("system-out")));
                let text = text.join("\n");
                write(&mut w, Event::Text(BytesText::new(&xml_text(&text))));
                write(&mut w, Event::End(BytesEnd::new("system-out")));
            }
            write(&mut w, Event::End(BytesEnd::new("testcase")));
        }
        write(&mut w, Event::End(BytesEnd::new("testsuite")));
    }
    write(&mut w, Event::End(BytesEnd::new("testsuites")));
    let mut out = String::from_utf8(w.into_inner()).expect("XML written from UTF-8 text");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_xml_cannot_hold_are_replaced() {
        assert_eq!(xml_text("a\u{1}b\tc"), "a\u{fffd}b\tc");
        assert!(matches!(xml_text("plain"), std::borrow::Cow::Borrowed(_)));
    }
}
