//! `check -o html` and `teams -o html`: one self-contained page (no external asset, no network,
//! readable without JavaScript) — workloads per team as a bar chart (inline SVG), stages per
//! team, a sunset timeline of the next 90 days and of what is past, the findings table (sortable
//! and filterable by a few lines of inline script), the clusters it covers and when it was made.

use std::collections::BTreeMap;
use std::fmt::Write;

use quick_xml::escape::escape;

use crate::core::date::Date;
use crate::core::policy::{CheckReport, Finding, Location, location};
use crate::output::documents::TeamSummary;

/// How far ahead the sunset timeline looks.
const HORIZON_DAYS: i64 = 90;

/// Where and when a report was made.
pub struct Made {
    /// The kubeconfig contexts (or the one cluster) the report covers.
    pub clusters: String,
    /// RFC 3339, UTC.
    pub at: String,
    pub today: Date,
}

/// An object with a sunset date.
pub struct Sunset {
    pub team: Option<String>,
    /// `namespace/Kind/name` (with the context first when several were read).
    pub object: String,
    pub date: Date,
}

/// One team's bar and stage counts.
#[derive(Default)]
struct TeamRow {
    workloads: usize,
    /// `check`: the compliant ones (the rest have findings).
    compliant: Option<usize>,
    stages: BTreeMap<String, usize>,
    contact: Option<String>,
}

fn esc(text: &str) -> String {
    escape(text).into_owned()
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1d2330}\
h1{font-size:1.4em;margin:0}h2{font-size:1.1em;margin-top:2em}\
.meta{color:#5a6270}.summary{font-size:1.1em;font-weight:600;margin:1em 0}\
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #d5d9e0;padding:.25em .6em;text-align:left;vertical-align:top}\
th{background:#eef1f5;cursor:pointer;user-select:none}td.n{text-align:right}\
.error{color:#b3261e;font-weight:600}.warning{color:#8a5a00}\
input{font:inherit;padding:.3em .5em;width:24em}svg text{font:12px system-ui,sans-serif}";

/// Sorting by a column's header and filtering rows by their text; the table is whole without it.
const SCRIPT: &str = "(function(){var t=document.getElementById('findings');\
if(t){var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);\
document.getElementById('filter').addEventListener('input',function(e){var q=e.target.value.toLowerCase();\
rows.forEach(function(r){r.hidden=q!==''&&r.textContent.toLowerCase().indexOf(q)<0;});});\
t.tHead.addEventListener('click',function(e){var th=e.target.closest('th');if(!th)return;\
var i=th.cellIndex,up=th.dataset.dir!=='asc';th.dataset.dir=up?'asc':'desc';\
rows.sort(function(a,b){return (up?1:-1)*a.cells[i].textContent.localeCompare(b.cells[i].textContent,undefined,{numeric:true});});\
rows.forEach(function(r){body.appendChild(r);});});}\
document.documentElement.dataset.ready='1';})();";

/// The page around `body`.
fn page(title: &str, made: &Made, summary: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>{title}</h1>\n<p class=\"meta\">{clusters} · made {at}</p>\n\
         <p class=\"summary\" id=\"summary\">{summary}</p>\n{body}\
         <script>{SCRIPT}</script>\n</body>\n</html>\n",
        title = esc(title),
        clusters = esc(&made.clusters),
        at = esc(&made.at),
        summary = esc(summary),
    )
}

/// Workloads per team as horizontal bars: the compliant part green and the rest orange for
/// `check`, one colour for `teams`.
fn bars(teams: &BTreeMap<(bool, String), TeamRow>) -> String {
    let max = teams
        .values()
        .map(|t| t.workloads)
        .max()
        .unwrap_or(0)
        .max(1);
    let (label_w, bar_w, row_h) = (160.0, 480.0, 22.0);
    let height = row_h * teams.len() as f64 + 4.0;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"workloads per team\" width=\"{}\" height=\"{height}\" viewBox=\"0 0 {} {height}\">\n",
        label_w + bar_w + 60.0,
        label_w + bar_w + 60.0
    );
    for (i, ((_, name), t)) in teams.iter().enumerate() {
        let y = i as f64 * row_h + 2.0;
        let width = bar_w * t.workloads as f64 / max as f64;
        let good = t.compliant.map_or(width, |c| bar_w * c as f64 / max as f64);
        let tip = match t.compliant {
            Some(c) => format!("{name}: {} checked, {c} compliant", t.workloads),
            None => format!("{name}: {} workloads", t.workloads),
        };
        let _ = writeln!(
            svg,
            "<g><title>{tip}</title><text x=\"{x}\" y=\"{ty}\" text-anchor=\"end\">{name}</text>\
             <rect x=\"{label_w}\" y=\"{y}\" width=\"{good:.1}\" height=\"16\" fill=\"#2e7d32\"/>\
             <rect x=\"{rx:.1}\" y=\"{y}\" width=\"{rest:.1}\" height=\"16\" fill=\"#ef6c00\"/>\
             <text x=\"{nx:.1}\" y=\"{ty}\">{n}</text></g>",
            tip = esc(&tip),
            name = esc(name),
            x = label_w - 8.0,
            ty = y + 13.0,
            rx = label_w + good,
            rest = width - good,
            nx = label_w + width + 6.0,
            n = t.workloads,
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Stages per team (and each team's first contact).
fn stage_table(teams: &BTreeMap<(bool, String), TeamRow>) -> String {
    let mut stages: Vec<&String> = teams.values().flat_map(|t| t.stages.keys()).collect();
    stages.sort();
    stages.dedup();
    let contacts = teams.values().any(|t| t.contact.is_some());
    let mut out = String::from("<table id=\"stages\">\n<thead><tr><th>Team</th><th>Workloads</th>");
    for s in &stages {
        let _ = write!(out, "<th>{}</th>", esc(s));
    }
    if contacts {
        out.push_str("<th>Contact</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for ((_, name), t) in teams {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td>",
            esc(name),
            t.workloads
        );
        for s in &stages {
            let _ = write!(
                out,
                "<td class=\"n\">{}</td>",
                t.stages.get(*s).copied().unwrap_or(0)
            );
        }
        if contacts {
            let _ = write!(out, "<td>{}</td>", esc(t.contact.as_deref().unwrap_or("")));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// Sunsets past and within [`HORIZON_DAYS`]: markers on a 90-day axis, then the list.
fn timeline(sunsets: &[Sunset], today: Date) -> String {
    let mut shown: Vec<(&Sunset, i64)> = sunsets
        .iter()
        .map(|s| (s, today.days_until(s.date)))
        .filter(|(_, days)| *days <= HORIZON_DAYS)
        .collect();
    shown.sort_by_key(|(s, days)| (*days, s.object.clone()));
    if shown.is_empty() {
        return format!("<p>No sunset date is past or within the next {HORIZON_DAYS} days.</p>\n");
    }
    let past = shown.iter().filter(|(_, d)| *d < 0).count();
    let (left, width) = (120.0, 720.0);
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"sunset timeline\" width=\"{w}\" height=\"70\" viewBox=\"0 0 {w} 70\">\n\
         <line x1=\"{left}\" y1=\"30\" x2=\"{end}\" y2=\"30\" stroke=\"#5a6270\"/>\n\
         <text x=\"{left}\" y=\"55\">today</text><text x=\"{end}\" y=\"55\" text-anchor=\"end\">+{HORIZON_DAYS} days</text>\n\
         <text x=\"10\" y=\"34\" class=\"error\">{past} past</text>\n",
        w = left + width + 20.0,
        end = left + width,
    );
    for (s, days) in shown.iter().filter(|(_, d)| *d >= 0) {
        let x = left + width * *days as f64 / HORIZON_DAYS as f64;
        let _ = writeln!(
            svg,
            "<circle cx=\"{x:.1}\" cy=\"30\" r=\"6\" fill=\"#ef6c00\"><title>{}</title></circle>",
            esc(&format!("{} · {} · in {days} days", s.date, s.object))
        );
    }
    svg.push_str("</svg>\n");
    let mut list = String::from(
        "<table id=\"sunsets\">\n<thead><tr><th>Sunset</th><th>When</th><th>Object</th><th>Team</th></tr></thead>\n<tbody>\n",
    );
    for (s, days) in &shown {
        let when = match *days {
            d if d < 0 => format!("{} days ago", -d),
            0 => "today".to_string(),
            d => format!("in {d} days"),
        };
        let class = if *days < 0 { " class=\"error\"" } else { "" };
        let _ = writeln!(
            list,
            "<tr{class}><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            s.date,
            when,
            esc(&s.object),
            esc(s.team.as_deref().unwrap_or("-"))
        );
    }
    list.push_str("</tbody>\n</table>\n");
    svg + &list
}

fn findings_table(findings: &[Finding], location: Option<Location>) -> String {
    if findings.is_empty() {
        return "<p>No findings.</p>\n".to_string();
    }
    let mut out = String::from(
        "<p><input id=\"filter\" type=\"search\" placeholder=\"Filter findings\" aria-label=\"Filter findings\"></p>\n<table id=\"findings\">\n<thead><tr>",
    );
    let headers = super::finding_columns(location);
    for h in &headers {
        let _ = write!(out, "<th>{h}</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for f in findings {
        out.push_str("<tr>");
        if location.is_some() {
            let _ = write!(
                out,
                "<td>{}</td>",
                esc(f.location().as_deref().unwrap_or("-"))
            );
        }
        let _ = writeln!(
            out,
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{sev}\">{sev}</td><td>{}</td></tr>",
            esc(f.namespace.as_deref().unwrap_or("-")),
            esc(&f.kind),
            esc(&f.name),
            esc(f.team.as_deref().unwrap_or("-")),
            f.rule.as_str(),
            esc(&f.detail),
            sev = f.severity.as_str(),
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// Teams in name order, the unowned last.
fn team_key(team: Option<&str>) -> (bool, String) {
    match team {
        Some(t) => (false, t.to_string()),
        None => (true, "(no team)".to_string()),
    }
}

/// `check -o html`.
pub fn check_page(report: &CheckReport, made: &Made, location: Option<Location>) -> String {
    let mut teams: BTreeMap<(bool, String), TeamRow> = BTreeMap::new();
    let failing = report.findings_by_object();
    let mut sunsets = Vec::new();
    for o in &report.objects {
        let row = teams.entry(team_key(o.team.as_deref())).or_default();
        row.workloads += 1;
        *row.compliant.get_or_insert(0) += usize::from(!failing.contains_key(&o.key()));
        *row.stages
            .entry(o.stage.clone().unwrap_or_else(|| "(none)".to_string()))
            .or_default() += 1;
        if let Some(date) = o.sunset.as_deref().and_then(|d| Date::sunset(d).ok()) {
            sunsets.push(Sunset {
                team: o.team.clone(),
                object: o.reference(),
                date,
            });
        }
    }
    let unread = match report.unreadable.is_empty() {
        true => String::new(),
        false => {
            let mut out = String::from(
                "<h2 class=\"error\">Not everything could be read: the report is partial</h2>\n<ul id=\"unreadable\">\n",
            );
            for u in &report.unreadable {
                let _ = writeln!(
                    out,
                    "<li>{} in {}: {}</li>",
                    esc(&u.resource),
                    esc(u.namespace.as_deref().unwrap_or("every namespace")),
                    esc(&u.reason)
                );
            }
            out + "</ul>\n"
        }
    };
    let body = format!(
        "{unread}<h2>Checked workloads per team</h2>\n<p>Green: compliant; orange: with findings.</p>\n{}\
         <h2>Stages per team</h2>\n{}<h2>Sunsets</h2>\n{}<h2>Findings ({})</h2>\n{}",
        bars(&teams),
        stage_table(&teams),
        timeline(&sunsets, made.today),
        report.findings.len(),
        findings_table(&report.findings, location),
    );
    page("kubectl-owner check", made, &report.summary.line(), &body)
}

/// `teams -o html`.
pub fn teams_page(summary: &TeamSummary, sunsets: &[Sunset], made: &Made) -> String {
    let mut teams: BTreeMap<(bool, String), TeamRow> = BTreeMap::new();
    for item in &summary.items {
        let mut name = team_key(item.team.as_deref());
        if let Some(place) = location(item.context.as_deref(), item.cluster.as_deref()) {
            name.1 = format!("{place}/{}", name.1);
        }
        let row = teams.entry(name).or_default();
        row.workloads += item.workloads;
        for (stage, n) in &item.stages {
            *row.stages.entry(stage.clone()).or_default() += n;
        }
        row.contact = item
            .contacts
            .get("chat")
            .or_else(|| item.contacts.values().next())
            .cloned();
    }
    let total: usize = summary.items.iter().map(|i| i.workloads).sum();
    let line = format!(
        "{} teams, {total} workloads, coverage {:.1}%",
        summary.items.iter().filter(|i| i.team.is_some()).count(),
        summary.coverage
    );
    let body = format!(
        "<h2>Workloads per team</h2>\n{}<h2>Stages per team</h2>\n{}<h2>Sunsets</h2>\n{}",
        bars(&teams),
        stage_table(&teams),
        timeline(sunsets, made.today),
    );
    page("kubectl-owner teams", made, &line, &body)
}
