//! The pure policy core of `check`: which rules an object breaks, given its resolved ownership,
//! the effective config and "today". No I/O: callers hand in resolved rows and a date.
//!
//! Rules (id, default severity; `check.severity` overrides any of them):
//!
//! | rule | severity | fires when |
//! |---|---|---|
//! | `missing-team` | error | no team on the object, its controllers, its namespace or a rule |
//! | `unknown-team` | error | a team registry exists and the team is neither a name nor an alias in it |
//! | `missing-stage` | warning | no stage |
//! | `invalid-stage` | error | the stage is not one of the configured stages |
//! | `deprecated-without-sunset` | warning | stage `deprecated` and no sunset date |
//! | `past-sunset` | error | today is after the sunset date (any stage) |
//! | `sunset-soon` | warning | the sunset date is today or within `check.sunsetWarningDays` days |
//! | `retired-present` | error | stage `retired` (the object still exists) |
//! | `invalid-sunset` | error | the sunset value is not a `YYYY-MM-DD` calendar date |
//!
//! `invalid-sunset` exists because a malformed date can neither pass
//! nor warn, and silently ignoring it would hide a sunset. It replaces the date rules for that
//! object (and `deprecated-without-sunset` does not fire: a sunset *was* written).
//!
//! An object whose resolved exemption (`kubectl-owner/exempt` or a fallback, at any level) has a
//! value is exempt from every rule: it is listed with its reason and never counted. The value
//! `false` (any case) is not an exemption, so an object can opt back in under an exempt namespace.
//!
//! Summary: `checked` counts the non-exempt objects the rules ran on; `compliant` those without
//! any finding (before a baseline is applied); `errors` and `warnings` count the reported
//! findings; `exempt` the exempt objects; `coverage` the percentage of checked objects that have a
//! team (as `teams` counts it, one decimal; 100 when nothing was checked).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::config::{Config, ConfigSource};
use crate::core::date::Date;
use crate::core::ownership::Ownership;
use crate::core::rules::{RuleId, Severity};
use crate::error::ExitStatus;

/// One row to check: the object's identity and its resolved ownership.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The member cluster, through a multi-cluster engine.
    pub cluster: Option<&'a str>,
    pub namespace: Option<&'a str>,
    pub api_version: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    pub uid: &'a str,
    pub ownership: &'a Ownership,
}

/// A checked (not exempt) object with what reports of one entry per object show: JUnit's test
/// cases, PolicyReport's results, the HTML report's stages and sunsets.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The kubeconfig context, only when several were checked.
    pub context: Option<String>,
    /// The member cluster, through a multi-cluster engine.
    pub cluster: Option<String>,
    pub namespace: Option<String>,
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub uid: String,
    pub team: Option<String>,
    pub stage: Option<String>,
    /// The sunset date as written (it may not parse: that is a finding of its own).
    pub sunset: Option<String>,
}

/// A broken rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The kubeconfig context, only when several were checked (`--contexts`, `--all-contexts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The member cluster, through a multi-cluster engine (`--aggregator`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    pub namespace: Option<String>,
    pub kind: String,
    pub name: String,
    pub team: Option<String>,
    pub rule: RuleId,
    pub severity: Severity,
    pub detail: String,
}

/// An exempt object and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exemption {
    /// The kubeconfig context, only when several were checked (`--contexts`, `--all-contexts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The member cluster, through a multi-cluster engine (`--aggregator`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    pub namespace: Option<String>,
    pub kind: String,
    pub name: String,
    pub reason: String,
    /// For ordering and the table's TEAM column; not part of the JSON document.
    #[serde(skip)]
    pub team: Option<String>,
    /// For reports that reference the object (PolicyReport); not part of the JSON document.
    #[serde(skip)]
    pub api_version: String,
    #[serde(skip)]
    pub uid: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub checked: usize,
    pub compliant: usize,
    pub errors: usize,
    pub warnings: usize,
    pub exempt: usize,
    pub coverage: f64,
    /// Checked objects with a team: what `coverage` is computed from (kept to merge clusters).
    #[serde(skip)]
    pub owned: usize,
}

impl Summary {
    /// `17 checked, 9 compliant, 5 errors, 4 warnings, 1 exempt, coverage 88.2%`
    pub fn line(&self) -> String {
        format!(
            "{} checked, {} compliant, {} {}, {} {}, {} exempt, coverage {:.1}%",
            self.checked,
            self.compliant,
            self.errors,
            plural(self.errors, "error", "errors"),
            self.warnings,
            plural(self.warnings, "warning", "warnings"),
            self.exempt,
            self.coverage
        )
    }
}

/// `one` or `many`, as `n` asks.
pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// A list RBAC refused in degraded mode: ownership there is unknown, so the report is partial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unreadable {
    /// The kubeconfig context, only when several were checked (`--contexts`, `--all-contexts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    pub namespace: Option<String>,
    pub resource: String,
    pub reason: String,
}

/// What `check` found: the body of the `CheckReport` document.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckReport {
    pub summary: Summary,
    /// Every checked object, exempt ones excluded (not part of the JSON document, which lists
    /// findings only).
    #[serde(skip)]
    pub objects: Vec<Checked>,
    pub findings: Vec<Finding>,
    pub exempt: Vec<Exemption>,
    pub unreadable: Vec<Unreadable>,
    /// The config documents the rules came from (none: the defaults).
    pub config: Vec<ConfigSource>,
}

/// An object as reports key it: (context, cluster, namespace, kind, name).
pub type ObjectKey<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    &'a str,
    &'a str,
);

/// What reports' first column holds, when objects come from more than one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// Several kubeconfig contexts (`--contexts`, `--all-contexts`).
    Context,
    /// The member clusters of a multi-cluster engine.
    Cluster,
    /// Both: `context/cluster`.
    Both,
}

impl Location {
    /// The column of a report whose objects come from several `contexts`, or from an engine's
    /// member clusters (any object with a cluster); `None`: one cluster, no column.
    pub fn of(report: &CheckReport, contexts: bool) -> Option<Location> {
        let clusters = report.objects.iter().any(|o| o.cluster.is_some())
            || report.exempt.iter().any(|e| e.cluster.is_some());
        Location::new(contexts, clusters)
    }

    /// The column for objects from several contexts, from member clusters, or both.
    pub fn new(contexts: bool, clusters: bool) -> Option<Location> {
        match (contexts, clusters) {
            (true, true) => Some(Location::Both),
            (true, false) => Some(Location::Context),
            (false, true) => Some(Location::Cluster),
            (false, false) => None,
        }
    }

    /// The tables' header: `CONTEXT`, `CLUSTER` or `CONTEXT/CLUSTER`.
    pub fn header(self) -> String {
        self.title().to_uppercase()
    }

    /// `Context`, `Cluster` or `Context/Cluster` (upper-cased in tables).
    pub fn title(self) -> &'static str {
        match self {
            Location::Context => "Context",
            Location::Cluster => "Cluster",
            Location::Both => "Context/Cluster",
        }
    }
}

/// Where an object is beyond its namespace, for reports' first column: the kubeconfig context,
/// the member cluster of a multi-cluster engine, or both as `context/cluster`.
pub fn location(context: Option<&str>, cluster: Option<&str>) -> Option<String> {
    match (context, cluster) {
        (Some(context), Some(cluster)) => Some(format!("{context}/{cluster}")),
        (one, other) => one.or(other).map(str::to_string),
    }
}

/// `ns/Kind/name`, with the location (context, member cluster) first when there is one.
pub fn object_ref(
    location: Option<&str>,
    namespace: Option<&str>,
    kind: &str,
    name: &str,
) -> String {
    let mut parts: Vec<&str> = location.into_iter().collect();
    parts.extend(namespace);
    parts.extend([kind, name]);
    parts.join("/")
}

impl Finding {
    pub fn location(&self) -> Option<String> {
        location(self.context.as_deref(), self.cluster.as_deref())
    }
}

impl Exemption {
    pub fn location(&self) -> Option<String> {
        location(self.context.as_deref(), self.cluster.as_deref())
    }

    /// As reports name it: `ns/Kind/name`, located (see [`object_ref`]).
    pub fn reference(&self) -> String {
        object_ref(
            self.location().as_deref(),
            self.namespace.as_deref(),
            &self.kind,
            &self.name,
        )
    }
}

impl CheckReport {
    /// Each object's findings, for reports with one entry per object.
    pub fn findings_by_object(&self) -> HashMap<ObjectKey<'_>, Vec<&Finding>> {
        let mut by_object: HashMap<ObjectKey, Vec<&Finding>> = HashMap::new();
        for f in &self.findings {
            by_object
                .entry((
                    f.context.as_deref(),
                    f.cluster.as_deref(),
                    f.namespace.as_deref(),
                    &f.kind,
                    &f.name,
                ))
                .or_default()
                .push(f);
        }
        by_object
    }
}

impl Checked {
    pub fn key(&self) -> ObjectKey<'_> {
        (
            self.context.as_deref(),
            self.cluster.as_deref(),
            self.namespace.as_deref(),
            &self.kind,
            &self.name,
        )
    }

    pub fn location(&self) -> Option<String> {
        location(self.context.as_deref(), self.cluster.as_deref())
    }

    /// As reports name it: `ns/Kind/name`, located (see [`object_ref`]).
    pub fn reference(&self) -> String {
        object_ref(
            self.location().as_deref(),
            self.namespace.as_deref(),
            &self.kind,
            &self.name,
        )
    }
}

/// How `--group-by` orders the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// Team name (unowned last), then namespace, kind, name.
    #[default]
    Team,
    /// Namespace, then kind, name.
    Namespace,
    /// Rule id (alphabetical), then namespace, kind, name.
    Rule,
}

/// `--fail-on`: the lowest severity that makes `check` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailOn {
    #[default]
    Error,
    Warning,
    Never,
}

impl FailOn {
    /// Whether a finding of this severity fails the gate.
    pub fn fails(self, severity: Severity) -> bool {
        match self {
            FailOn::Error => severity == Severity::Error,
            FailOn::Warning => true,
            FailOn::Never => false,
        }
    }
}

/// Checks every subject. Findings come out in [`GroupBy::Team`] order; see [`order`].
pub fn evaluate(subjects: &[Subject], config: &Config, today: Date) -> CheckReport {
    let mut findings = Vec::new();
    let mut exempt = Vec::new();
    let mut objects = Vec::new();
    let (mut checked, mut compliant, mut owned) = (0, 0, 0);
    for s in subjects {
        let team = s.ownership.team.value.clone();
        if let Some(reason) = exemption(s.ownership) {
            exempt.push(Exemption {
                context: None,
                cluster: s.cluster.map(str::to_string),
                namespace: s.namespace.map(str::to_string),
                kind: s.kind.to_string(),
                name: s.name.to_string(),
                reason,
                team,
                api_version: s.api_version.to_string(),
                uid: s.uid.to_string(),
            });
            continue;
        }
        objects.push(Checked {
            context: None,
            cluster: s.cluster.map(str::to_string),
            namespace: s.namespace.map(str::to_string),
            api_version: s.api_version.to_string(),
            kind: s.kind.to_string(),
            name: s.name.to_string(),
            uid: s.uid.to_string(),
            team: team.clone(),
            stage: s.ownership.stage.value.clone(),
            sunset: s.ownership.sunset.value.clone(),
        });
        checked += 1;
        owned += usize::from(team.is_some());
        let broken = rules_broken(s.ownership, config, today);
        compliant += usize::from(broken.is_empty());
        findings.extend(broken.into_iter().map(|(rule, detail)| Finding {
            context: None,
            cluster: s.cluster.map(str::to_string),
            namespace: s.namespace.map(str::to_string),
            kind: s.kind.to_string(),
            name: s.name.to_string(),
            team: team.clone(),
            rule,
            severity: config.check.severity_for(rule),
            detail,
        }));
    }
    let summary = Summary {
        checked,
        compliant,
        errors: 0,
        warnings: 0,
        exempt: exempt.len(),
        coverage: coverage(owned, checked),
        owned,
    };
    let mut report = CheckReport {
        summary,
        objects,
        findings,
        exempt,
        unreadable: Vec::new(),
        config: Vec::new(),
    };
    recount(&mut report);
    order(&mut report, GroupBy::Team);
    report
}

/// The exemption reason, when the object is exempt.
fn exemption(own: &Ownership) -> Option<String> {
    let value = own.exempt.value()?.trim();
    if value.eq_ignore_ascii_case("false") {
        return None;
    }
    // `a8r.io/ignore: "true"` says nothing more; name where the exemption came from instead.
    if value.is_empty() || value.eq_ignore_ascii_case("true") {
        return Some(match &own.exempt.source {
            Some(src) => format!("{}={value:?} on {}", src.key, src.origin()),
            None => "exempt".to_string(),
        });
    }
    Some(value.to_string())
}

/// The rules one (non-exempt) object breaks, with a detail each, in [`RuleId::ALL`] order.
pub fn rules_broken(own: &Ownership, config: &Config, today: Date) -> Vec<(RuleId, String)> {
    let mut out = Vec::new();
    match own.team.value() {
        None => out.push((
            RuleId::MissingTeam,
            "no team on the object, its controllers or its namespace".to_string(),
        )),
        Some(team) if config.has_registry() && config.canonical_team(team).is_none() => {
            let hint = match config.nearest_team(team) {
                Some((t, matched)) if matched == t.name => {
                    format!(" (did you mean \"{}\"?)", t.name)
                }
                Some((t, matched)) => {
                    format!(" (did you mean \"{}\"? alias \"{matched}\")", t.name)
                }
                None => String::new(),
            };
            out.push((
                RuleId::UnknownTeam,
                format!("team \"{team}\" is not in the team registry{hint}"),
            ));
        }
        Some(_) => {}
    }
    let stage = own.stage.value();
    match stage {
        None => out.push((RuleId::MissingStage, "no lifecycle stage".to_string())),
        Some(s) if !config.is_stage(s) => {
            let hint = config
                .suggest_stage(s)
                .map(|n| format!(" (did you mean \"{n}\"?)"))
                .unwrap_or_default();
            out.push((
                RuleId::InvalidStage,
                format!(
                    "stage \"{s}\" is not one of {}{hint}",
                    config.stages.join(", ")
                ),
            ));
        }
        Some(_) => {}
    }
    let sunset = own.sunset.value();
    if stage == Some("deprecated") && sunset.is_none() {
        out.push((
            RuleId::DeprecatedWithoutSunset,
            "deprecated without a sunset date".to_string(),
        ));
    }
    if let Some(text) = sunset {
        match Date::sunset(text) {
            Ok(date) => {
                let days = today.days_until(date);
                if days < 0 {
                    out.push((
                        RuleId::PastSunset,
                        format!("sunset {date} passed {}", days_ago(-days)),
                    ));
                } else if days <= i64::from(config.check.sunset_warning_days) {
                    out.push((
                        RuleId::SunsetSoon,
                        format!("sunset {date} is {}", days_ahead(days)),
                    ));
                }
            }
            Err(_) => out.push((
                RuleId::InvalidSunset,
                format!("sunset {text:?} is not a date (expected YYYY-MM-DD)"),
            )),
        }
    }
    if stage == Some("retired") {
        out.push((
            RuleId::RetiredPresent,
            "stage is retired but the object still exists".to_string(),
        ));
    }
    out.sort_by_key(|(rule, _)| *rule);
    out
}

fn days_ago(days: i64) -> String {
    if days == 1 {
        "yesterday".to_string()
    } else {
        format!("{days} days ago")
    }
}

fn days_ahead(days: i64) -> String {
    match days {
        0 => "today".to_string(),
        1 => "tomorrow".to_string(),
        n => format!("in {n} days"),
    }
}

/// Percentage of `total` that is `owned`, one decimal (100 when there is nothing to own).
pub fn coverage(owned: usize, total: usize) -> f64 {
    if total == 0 {
        100.0
    } else {
        (owned as f64 * 1000.0 / total as f64).round() / 10.0
    }
}

/// Recomputes `errors` and `warnings` from the findings.
fn recount(report: &mut CheckReport) {
    report.summary.errors = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    report.summary.warnings = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
}

/// One report from several clusters' reports, each row tagged with its context.
pub fn merge(reports: Vec<(Option<String>, CheckReport)>) -> CheckReport {
    let mut merged = evaluate(
        &[],
        &Config::default(),
        "2000-01-01".parse().expect("a date"),
    );
    for (context, report) in reports {
        let s = &report.summary;
        merged.summary.checked += s.checked;
        merged.summary.compliant += s.compliant;
        merged.summary.exempt += s.exempt;
        merged.summary.owned += s.owned;
        merged
            .objects
            .extend(report.objects.into_iter().map(|o| Checked {
                context: context.clone(),
                ..o
            }));
        merged
            .findings
            .extend(report.findings.into_iter().map(|f| Finding {
                context: context.clone(),
                ..f
            }));
        merged
            .exempt
            .extend(report.exempt.into_iter().map(|e| Exemption {
                context: context.clone(),
                ..e
            }));
        merged
            .unreadable
            .extend(report.unreadable.into_iter().map(|u| Unreadable {
                context: context.clone(),
                ..u
            }));
        merged
            .config
            .extend(report.config.into_iter().map(|c| ConfigSource {
                context: context.clone(),
                ..c
            }));
    }
    merged.summary.coverage = coverage(merged.summary.owned, merged.summary.checked);
    recount(&mut merged);
    merged
}

/// Where a team sorts: by name, the unowned (`None`) last.
pub fn team_order(team: Option<&str>) -> (bool, &str) {
    (team.is_none(), team.unwrap_or(""))
}

/// Orders findings (and exempt rows) for `--group-by`. Exempt rows always follow the findings.
pub fn order(report: &mut CheckReport, group_by: GroupBy) {
    order_within_context(report, group_by);
    // Stable: each cluster's rows stay in --group-by order.
    report
        .findings
        .sort_by(|a, b| (&a.context, &a.cluster).cmp(&(&b.context, &b.cluster)));
    report
        .exempt
        .sort_by(|a, b| (&a.context, &a.cluster).cmp(&(&b.context, &b.cluster)));
}

fn order_within_context(report: &mut CheckReport, group_by: GroupBy) {
    fn team_key(team: &Option<String>) -> (bool, &str) {
        team_order(team.as_deref())
    }
    match group_by {
        GroupBy::Team => report.findings.sort_by(|a, b| {
            (team_key(&a.team), &a.namespace, &a.kind, &a.name, a.rule).cmp(&(
                team_key(&b.team),
                &b.namespace,
                &b.kind,
                &b.name,
                b.rule,
            ))
        }),
        GroupBy::Namespace => report.findings.sort_by(|a, b| {
            (&a.namespace, &a.kind, &a.name, a.rule).cmp(&(&b.namespace, &b.kind, &b.name, b.rule))
        }),
        GroupBy::Rule => report.findings.sort_by(|a, b| {
            (a.rule.as_str(), &a.namespace, &a.kind, &a.name).cmp(&(
                b.rule.as_str(),
                &b.namespace,
                &b.kind,
                &b.name,
            ))
        }),
    }
    match group_by {
        GroupBy::Team => report.exempt.sort_by(|a, b| {
            (team_key(&a.team), &a.namespace, &a.kind, &a.name).cmp(&(
                team_key(&b.team),
                &b.namespace,
                &b.kind,
                &b.name,
            ))
        }),
        GroupBy::Namespace | GroupBy::Rule => report.exempt.sort_by(|a, b| {
            (&a.namespace, &a.kind, &a.name).cmp(&(&b.namespace, &b.kind, &b.name))
        }),
    }
}

/// The exit code for a report: 1 when any finding is at or above `fail_on`, else 0.
pub fn exit_status(report: &CheckReport, fail_on: FailOn) -> ExitStatus {
    if report.findings.iter().any(|f| fail_on.fails(f.severity)) {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    }
}

/// The findings of an earlier `check -o json` (or `-o yaml`), matched on (context, namespace,
/// kind, name, rule): the context is set only when several were checked, so a finding baselined
/// in one cluster never hides the same finding in another.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Baseline {
    keys: HashSet<BaselineKey>,
}

/// (context, member cluster, namespace, kind, name, rule).
type BaselineKey = (
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
);

#[derive(Deserialize)]
struct BaselineDoc {
    kind: Option<String>,
    findings: Vec<BaselineFinding>,
}

#[derive(Deserialize)]
struct BaselineFinding {
    #[serde(default)]
    context: Option<String>,
    #[serde(default)]
    cluster: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    kind: String,
    name: String,
    rule: String,
}

impl Baseline {
    /// Parses a `CheckReport` document (JSON, or YAML as `-o yaml` writes it).
    pub fn parse(text: &str) -> Result<Baseline, String> {
        let doc: BaselineDoc = match serde_json::from_str(text) {
            Ok(doc) => doc,
            Err(json_err) => {
                if text.trim_start().starts_with('{') {
                    return Err(format!("not a check report: {json_err}"));
                }
                serde_saphyr::from_str(text)
                    .map_err(|e| format!("not a check report: {}", e.without_snippet()))?
            }
        };
        if let Some(kind) = doc.kind.as_deref()
            && kind != "CheckReport"
        {
            return Err(format!(
                "not a check report: kind is {kind:?}, expected \"CheckReport\""
            ));
        }
        let keys = doc
            .findings
            .into_iter()
            .map(|f| (f.context, f.cluster, f.namespace, f.kind, f.name, f.rule))
            .collect();
        Ok(Baseline { keys })
    }

    pub fn contains(&self, f: &Finding) -> bool {
        // Borrowed lookup without allocating would need a custom key type; reports are small.
        self.keys.contains(&(
            f.context.clone(),
            f.cluster.clone(),
            f.namespace.clone(),
            f.kind.clone(),
            f.name.clone(),
            f.rule.as_str().to_string(),
        ))
    }

    /// Drops the findings already in the baseline and recounts; returns how many were dropped.
    pub fn apply(&self, report: &mut CheckReport) -> usize {
        let before = report.findings.len();
        report.findings.retain(|f| !self.contains(f));
        recount(report);
        before - report.findings.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Rule, Team};
    use crate::core::ownership::{self, MetaObject};

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    const TODAY: &str = "2026-03-01";

    fn registry() -> Config {
        let mut config = Config::default();
        let mut payments = Team::new("payments");
        payments.aliases = vec!["payments-old".into()];
        let mut checkout = Team::new("checkout");
        checkout.aliases = vec!["checkout-old".into()];
        config.teams = vec![payments, checkout, Team::new("data")];
        config
    }

    fn meta(
        kind: &str,
        name: &str,
        labels: &[(&str, &str)],
        annotations: &[(&str, &str)],
    ) -> MetaObject {
        MetaObject {
            kind: kind.into(),
            api_version: if kind == "Namespace" {
                "v1".into()
            } else {
                "apps/v1".into()
            },
            namespace: if kind == "Namespace" {
                None
            } else {
                Some("shop".into())
            },
            name: name.into(),
            uid: format!("uid-{kind}-{name}"),
            labels: ownership::pairs(labels),
            annotations: ownership::pairs(annotations),
            ..Default::default()
        }
    }

    /// Ownership of a Deployment `api` in namespace `shop` (with optional namespace metadata).
    fn own(
        labels: &[(&str, &str)],
        annotations: &[(&str, &str)],
        namespace: Option<&MetaObject>,
        config: &Config,
    ) -> Ownership {
        let d = meta("Deployment", "api", labels, annotations);
        ownership::resolve(&[&d], namespace, Some("shop"), config)
    }

    fn rules_of(own: &Ownership, config: &Config, today: &str) -> Vec<&'static str> {
        rules_broken(own, config, date(today))
            .into_iter()
            .map(|(r, _)| r.as_str())
            .collect()
    }

    fn detail_of(own: &Ownership, config: &Config, rule: &str) -> String {
        rules_broken(own, config, date(TODAY))
            .into_iter()
            .find(|(r, _)| r.as_str() == rule)
            .expect(rule)
            .1
    }

    const GOOD: &[(&str, &str)] = &[("team", "payments"), ("lifecycle", "production")];

    #[test]
    fn compliant_object_breaks_nothing() {
        let config = registry();
        assert!(rules_of(&own(GOOD, &[], None, &config), &config, TODAY).is_empty());
    }

    #[test]
    fn missing_team_fires_and_namespace_inheritance_counts_as_owned() {
        let config = Config::default();
        let o = own(&[("lifecycle", "production")], &[], None, &config);
        assert_eq!(rules_of(&o, &config, TODAY), ["missing-team"]);
        let ns = meta("Namespace", "shop", &[("team", "payments")], &[]);
        let o = own(&[("lifecycle", "production")], &[], Some(&ns), &config);
        assert!(rules_of(&o, &config, TODAY).is_empty());
    }

    #[test]
    fn missing_team_not_fired_when_a_config_rule_gives_the_team() {
        let mut config = Config::default();
        let mut rule = Rule::new(["sh*"]);
        rule.team = Some("platform".into());
        config.rules.push(rule);
        let o = own(&[("lifecycle", "production")], &[], None, &config);
        assert!(rules_of(&o, &config, TODAY).is_empty());
    }

    #[test]
    fn unknown_team_only_with_a_registry() {
        let config = registry();
        let o = own(
            &[("team", "dta"), ("lifecycle", "production")],
            &[],
            None,
            &config,
        );
        assert_eq!(rules_of(&o, &config, TODAY), ["unknown-team"]);
        assert_eq!(
            detail_of(&o, &config, "unknown-team"),
            "team \"dta\" is not in the team registry (did you mean \"data\"?)"
        );
        let no_registry = Config::default();
        let o = own(
            &[("team", "dta"), ("lifecycle", "production")],
            &[],
            None,
            &no_registry,
        );
        assert!(rules_of(&o, &no_registry, TODAY).is_empty());
    }

    #[test]
    fn unknown_team_suggests_from_aliases_and_aliases_are_known() {
        let config = registry();
        let o = own(
            &[("team", "checkout-olf"), ("lifecycle", "production")],
            &[],
            None,
            &config,
        );
        assert_eq!(
            detail_of(&o, &config, "unknown-team"),
            "team \"checkout-olf\" is not in the team registry (did you mean \"checkout\"? alias \"checkout-old\")"
        );
        let o = own(
            &[("team", "checkout-old"), ("lifecycle", "production")],
            &[],
            None,
            &config,
        );
        assert!(rules_of(&o, &config, TODAY).is_empty());
        let o = own(
            &[("team", "zzzzzzzz"), ("lifecycle", "production")],
            &[],
            None,
            &config,
        );
        assert_eq!(
            detail_of(&o, &config, "unknown-team"),
            "team \"zzzzzzzz\" is not in the team registry"
        );
    }

    #[test]
    fn missing_and_invalid_stage() {
        let config = Config::default();
        let o = own(&[("team", "payments")], &[], None, &config);
        assert_eq!(rules_of(&o, &config, TODAY), ["missing-stage"]);
        let o = own(
            &[("team", "payments"), ("lifecycle", "prodution")],
            &[],
            None,
            &config,
        );
        assert_eq!(rules_of(&o, &config, TODAY), ["invalid-stage"]);
        assert_eq!(
            detail_of(&o, &config, "invalid-stage"),
            "stage \"prodution\" is not one of experimental, production, deprecated, retired (did you mean \"production\"?)"
        );
        // The namespace's stage is inherited.
        let ns = meta("Namespace", "shop", &[("lifecycle", "production")], &[]);
        let o = own(&[("team", "payments")], &[], Some(&ns), &config);
        assert!(rules_of(&o, &config, TODAY).is_empty());
        // Configured stages replace the defaults.
        let custom = Config {
            stages: vec!["alpha".into(), "ga".into()],
            ..Config::default()
        };
        let o = own(
            &[("team", "payments"), ("lifecycle", "ga")],
            &[],
            None,
            &custom,
        );
        assert!(rules_of(&o, &custom, TODAY).is_empty());
        let o = own(
            &[("team", "payments"), ("lifecycle", "production")],
            &[],
            None,
            &custom,
        );
        assert_eq!(rules_of(&o, &custom, TODAY), ["invalid-stage"]);
    }

    #[test]
    fn deprecated_without_sunset() {
        let config = Config::default();
        let o = own(
            &[("team", "payments"), ("lifecycle", "deprecated")],
            &[],
            None,
            &config,
        );
        assert_eq!(rules_of(&o, &config, TODAY), ["deprecated-without-sunset"]);
        let o = own(
            &[("team", "payments"), ("lifecycle", "deprecated")],
            &[("kubectl-owner/sunset", "2027-01-01")],
            None,
            &config,
        );
        assert!(rules_of(&o, &config, TODAY).is_empty());
    }

    fn with_sunset(sunset: &str, config: &Config) -> Ownership {
        own(GOOD, &[("kubectl-owner/sunset", sunset)], None, config)
    }

    #[test]
    fn sunset_boundaries() {
        let config = Config::default(); // window: 30 days
        let check = |sunset: &str| rules_of(&with_sunset(sunset, &config), &config, TODAY);
        assert_eq!(check("2026-02-28"), ["past-sunset"], "yesterday");
        assert_eq!(check("2025-06-30"), ["past-sunset"], "long ago");
        assert_eq!(check("2026-03-01"), ["sunset-soon"], "today");
        assert_eq!(check("2026-03-02"), ["sunset-soon"], "tomorrow");
        assert_eq!(
            check("2026-03-31"),
            ["sunset-soon"],
            "day 30: the window's edge"
        );
        assert!(check("2026-04-01").is_empty(), "day 31: outside the window");
        assert!(check("2030-01-01").is_empty());
    }

    #[test]
    fn sunset_details() {
        let config = Config::default();
        let d = |s: &str, rule: &str| detail_of(&with_sunset(s, &config), &config, rule);
        assert_eq!(
            d("2026-02-28", "past-sunset"),
            "sunset 2026-02-28 passed yesterday"
        );
        assert_eq!(
            d("2026-02-19", "past-sunset"),
            "sunset 2026-02-19 passed 10 days ago"
        );
        assert_eq!(d("2026-03-01", "sunset-soon"), "sunset 2026-03-01 is today");
        assert_eq!(
            d("2026-03-02", "sunset-soon"),
            "sunset 2026-03-02 is tomorrow"
        );
        assert_eq!(
            d("2026-03-31", "sunset-soon"),
            "sunset 2026-03-31 is in 30 days"
        );
    }

    #[test]
    fn sunset_window_is_configurable() {
        let mut config = Config::default();
        config.check.sunset_warning_days = 0;
        assert_eq!(
            rules_of(&with_sunset("2026-03-01", &config), &config, TODAY),
            ["sunset-soon"]
        );
        assert!(rules_of(&with_sunset("2026-03-02", &config), &config, TODAY).is_empty());
        config.check.sunset_warning_days = 365;
        assert_eq!(
            rules_of(&with_sunset("2027-03-01", &config), &config, TODAY),
            ["sunset-soon"]
        );
    }

    #[test]
    fn past_sunset_fires_in_any_stage_and_is_inherited() {
        let config = Config::default();
        let o = own(
            &[("team", "payments"), ("lifecycle", "experimental")],
            &[("kubectl-owner/sunset", "2020-01-01")],
            None,
            &config,
        );
        assert_eq!(rules_of(&o, &config, TODAY), ["past-sunset"]);
        let ns = meta(
            "Namespace",
            "shop",
            &[],
            &[("kubectl-owner/sunset", "2020-01-01")],
        );
        let o = own(GOOD, &[], Some(&ns), &config);
        assert_eq!(rules_of(&o, &config, TODAY), ["past-sunset"]);
    }

    #[test]
    fn malformed_sunset_is_invalid_sunset() {
        let config = Config::default();
        for bad in [
            "next week",
            "2026-02-30",
            "2026-3-1",
            "01/03/2026",
            "2026-03-01T00:00:00Z",
            "",
        ] {
            let o = own(GOOD, &[("kubectl-owner/sunset", bad)], None, &config);
            assert_eq!(rules_of(&o, &config, TODAY), ["invalid-sunset"], "{bad:?}");
        }
        let o = own(
            &[("team", "payments"), ("lifecycle", "deprecated")],
            &[("kubectl-owner/sunset", "soon")],
            None,
            &config,
        );
        assert_eq!(rules_of(&o, &config, TODAY), ["invalid-sunset"]);
        assert_eq!(
            detail_of(&o, &config, "invalid-sunset"),
            "sunset \"soon\" is not a date (expected YYYY-MM-DD)"
        );
    }

    #[test]
    fn invalid_sunset_severity_is_configurable() {
        let file = crate::config::parse("check:\n  severity: {invalid-sunset: warning}\n", "test")
            .unwrap();
        let config = crate::config::merge(Some(file), None);
        let o = own(GOOD, &[("kubectl-owner/sunset", "someday")], None, &config);
        let report = evaluate(
            &[subject("shop", "Deployment", "api", &o)],
            &config,
            date(TODAY),
        );
        assert_eq!(report.findings[0].rule, RuleId::InvalidSunset);
        assert_eq!(report.findings[0].severity, Severity::Warning);
    }

    #[test]
    fn retired_present() {
        let config = Config::default();
        let o = own(
            &[("team", "payments"), ("lifecycle", "retired")],
            &[],
            None,
            &config,
        );
        assert_eq!(rules_of(&o, &config, TODAY), ["retired-present"]);
        let o = own(
            &[("team", "payments"), ("lifecycle", "retired")],
            &[("kubectl-owner/sunset", "2026-01-01")],
            None,
            &config,
        );
        assert_eq!(
            rules_of(&o, &config, TODAY),
            ["past-sunset", "retired-present"]
        );
    }

    #[test]
    fn several_rules_in_rule_id_order() {
        let config = registry();
        let o = own(
            &[("team", "dta"), ("lifecycle", "deprecatd")],
            &[],
            None,
            &config,
        );
        assert_eq!(
            rules_of(&o, &config, TODAY),
            ["unknown-team", "invalid-stage"]
        );
        let o = own(&[], &[], None, &config);
        assert_eq!(
            rules_of(&o, &config, TODAY),
            ["missing-team", "missing-stage"]
        );
    }

    fn subject<'a>(ns: &'a str, kind: &'a str, name: &'a str, own: &'a Ownership) -> Subject<'a> {
        Subject {
            cluster: None,
            namespace: Some(ns),
            api_version: "apps/v1",
            kind,
            name,
            uid: "",
            ownership: own,
        }
    }

    #[test]
    fn evaluate_counts_exempt_severity_overrides_and_summary() {
        let mut config = registry();
        config
            .check
            .severity
            .insert(RuleId::MissingStage, Severity::Error);
        config
            .check
            .severity
            .insert(RuleId::UnknownTeam, Severity::Warning);
        let good = own(GOOD, &[], None, &config);
        let no_stage = own(&[("team", "payments")], &[], None, &config);
        let unknown = own(
            &[("team", "dta"), ("lifecycle", "production")],
            &[],
            None,
            &config,
        );
        let unowned = own(&[("lifecycle", "production")], &[], None, &config);
        let exempt = own(
            &[],
            &[("kubectl-owner/exempt", "node agent")],
            None,
            &config,
        );
        let subjects = [
            subject("a", "Deployment", "good", &good),
            subject("a", "Deployment", "no-stage", &no_stage),
            subject("b", "Deployment", "unknown", &unknown),
            subject("b", "Deployment", "unowned", &unowned),
            subject("kube-system", "DaemonSet", "agent", &exempt),
        ];
        let report = evaluate(&subjects, &config, date(TODAY));
        let rows: Vec<(&str, &str, Severity)> = report
            .findings
            .iter()
            .map(|f| (f.name.as_str(), f.rule.as_str(), f.severity))
            .collect();
        assert_eq!(
            rows,
            [
                ("unknown", "unknown-team", Severity::Warning),
                ("no-stage", "missing-stage", Severity::Error),
                ("unowned", "missing-team", Severity::Error),
            ],
            "team order: dta < payments < unowned"
        );
        assert_eq!(report.exempt.len(), 1);
        assert_eq!(report.exempt[0].reason, "node agent");
        assert_eq!(
            report.summary,
            Summary {
                checked: 4,
                compliant: 1,
                errors: 2,
                warnings: 1,
                exempt: 1,
                coverage: 75.0,
                owned: 3
            }
        );
        assert_eq!(
            report.summary.line(),
            "4 checked, 1 compliant, 2 errors, 1 warning, 1 exempt, coverage 75.0%"
        );
        assert_eq!(exit_status(&report, FailOn::Error), ExitStatus::Findings);
        assert_eq!(exit_status(&report, FailOn::Never), ExitStatus::Success);
    }

    #[test]
    fn exemption_at_any_level_with_reason_and_opt_out() {
        let config = Config::default();
        let ns = meta(
            "Namespace",
            "shop",
            &[],
            &[("kubectl-owner/exempt", "legacy namespace, frozen")],
        );
        let o = own(&[], &[], Some(&ns), &config);
        assert_eq!(exemption(&o).as_deref(), Some("legacy namespace, frozen"));
        let o = own(&[], &[("a8r.io/ignore", "true")], None, &config);
        assert_eq!(
            exemption(&o).as_deref(),
            Some("a8r.io/ignore=\"true\" on Deployment/api")
        );
        let o = own(
            &[],
            &[("kubectl-owner/exempt", "false")],
            Some(&ns),
            &config,
        );
        assert_eq!(exemption(&o), None);
        let report = evaluate(
            &[subject("shop", "Deployment", "api", &o)],
            &config,
            date(TODAY),
        );
        assert_eq!(report.summary.checked, 1);
        assert_eq!(report.summary.errors, 1);
        let o = own(&[], &[], None, &config);
        assert_eq!(exemption(&o), None);
    }

    #[test]
    fn nothing_to_check_is_compliant_with_full_coverage() {
        let report = evaluate(&[], &Config::default(), date(TODAY));
        assert_eq!(
            report.summary.line(),
            "0 checked, 0 compliant, 0 errors, 0 warnings, 0 exempt, coverage 100.0%"
        );
        assert_eq!(exit_status(&report, FailOn::Warning), ExitStatus::Success);
    }

    fn finding(
        ns: &str,
        name: &str,
        team: Option<&str>,
        rule: &str,
        severity: Severity,
    ) -> Finding {
        Finding {
            context: None,
            cluster: None,
            namespace: Some(ns.into()),
            kind: "Deployment".into(),
            name: name.into(),
            team: team.map(str::to_string),
            rule: rule.parse().unwrap(),
            severity,
            detail: String::new(),
        }
    }

    fn report_of(findings: Vec<Finding>) -> CheckReport {
        let mut r = evaluate(&[], &Config::default(), date(TODAY));
        r.findings = findings;
        recount(&mut r);
        r
    }

    fn sample() -> CheckReport {
        report_of(vec![
            finding("b", "x", Some("zeta"), "missing-stage", Severity::Warning),
            finding("a", "y", None, "missing-team", Severity::Error),
            finding("c", "z", Some("alpha"), "past-sunset", Severity::Error),
            finding("a", "w", Some("zeta"), "invalid-stage", Severity::Error),
        ])
    }

    fn names(r: &CheckReport) -> Vec<&str> {
        r.findings.iter().map(|f| f.name.as_str()).collect()
    }

    #[test]
    fn group_by_orders() {
        let mut r = sample();
        order(&mut r, GroupBy::Team);
        assert_eq!(names(&r), ["z", "w", "x", "y"]);
        order(&mut r, GroupBy::Namespace);
        assert_eq!(names(&r), ["w", "y", "x", "z"]);
        order(&mut r, GroupBy::Rule);
        assert_eq!(names(&r), ["w", "x", "y", "z"]);
        let rules: Vec<&str> = r.findings.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(
            rules,
            [
                "invalid-stage",
                "missing-stage",
                "missing-team",
                "past-sunset"
            ]
        );
    }

    #[test]
    fn fail_on_levels() {
        let warnings_only = report_of(vec![finding(
            "a",
            "x",
            None,
            "missing-stage",
            Severity::Warning,
        )]);
        assert_eq!(
            exit_status(&warnings_only, FailOn::Error),
            ExitStatus::Success
        );
        assert_eq!(
            exit_status(&warnings_only, FailOn::Warning),
            ExitStatus::Findings
        );
        assert_eq!(
            exit_status(&warnings_only, FailOn::Never),
            ExitStatus::Success
        );
        let errors = sample();
        assert_eq!(exit_status(&errors, FailOn::Error), ExitStatus::Findings);
        assert_eq!(exit_status(&errors, FailOn::Warning), ExitStatus::Findings);
        assert_eq!(exit_status(&errors, FailOn::Never), ExitStatus::Success);
    }

    #[test]
    fn baseline_round_trip_matches_namespace_kind_name_rule() {
        let old = sample();
        let json = serde_json::to_string(&old).unwrap();
        let baseline = Baseline::parse(&json).unwrap();
        assert_eq!(baseline.keys.len(), 4);
        let yaml = serde_saphyr::to_string(&old).unwrap();
        assert_eq!(Baseline::parse(&yaml).unwrap(), baseline);

        let mut now = sample();
        now.findings
            .push(finding("a", "new", None, "missing-team", Severity::Error));
        // Same object, different rule: new.
        now.findings.push(finding(
            "b",
            "x",
            Some("zeta"),
            "past-sunset",
            Severity::Error,
        ));
        // Same name and rule in another namespace: new.
        now.findings
            .push(finding("z", "y", None, "missing-team", Severity::Error));
        // Detail and severity changes do not matter.
        now.findings[0].detail = "changed".into();
        now.findings[0].severity = Severity::Error;
        recount(&mut now);
        assert_eq!(baseline.apply(&mut now), 4);
        let left: Vec<(&str, &str)> = now
            .findings
            .iter()
            .map(|f| (f.name.as_str(), f.rule.as_str()))
            .collect();
        assert_eq!(
            left,
            [
                ("new", "missing-team"),
                ("x", "past-sunset"),
                ("y", "missing-team")
            ]
        );
        assert_eq!((now.summary.errors, now.summary.warnings), (3, 0));
    }

    #[test]
    fn baselined_findings_of_one_cluster_do_not_hide_another_clusters() {
        let in_context = |context: &str| {
            let mut report = sample();
            for f in &mut report.findings {
                f.context = Some(context.to_string());
            }
            report
        };
        let staging = serde_json::to_string(&in_context("staging")).unwrap();
        let baseline = Baseline::parse(&staging).unwrap();
        let mut again = in_context("staging");
        assert_eq!(
            baseline.apply(&mut again),
            4,
            "the same cluster's findings are known"
        );
        let mut prod = in_context("prod");
        assert_eq!(baseline.apply(&mut prod), 0, "another cluster's are new");
        assert_eq!(prod.findings.len(), 4);
    }

    #[test]
    fn cluster_scoped_findings_match_on_null_namespace() {
        let mut f = finding("a", "legacy", None, "missing-team", Severity::Error);
        f.namespace = None;
        f.kind = "Namespace".into();
        let baseline =
            Baseline::parse(&serde_json::to_string(&report_of(vec![f.clone()])).unwrap()).unwrap();
        assert!(baseline.contains(&f));
        let mut g = f.clone();
        g.namespace = Some("legacy".into());
        assert!(!baseline.contains(&g));
    }

    #[test]
    fn bad_baselines_are_errors() {
        assert!(
            Baseline::parse("{not json")
                .unwrap_err()
                .starts_with("not a check report")
        );
        assert!(Baseline::parse(r#"{"kind": "OwnershipList", "items": []}"#).is_err());
        assert!(
            Baseline::parse(r#"{"kind": "OwnershipList", "findings": []}"#)
                .unwrap_err()
                .contains("OwnershipList")
        );
        assert!(Baseline::parse("").is_err());
        assert!(
            Baseline::parse(r#"{"findings": []}"#)
                .unwrap()
                .keys
                .is_empty()
        );
    }

    #[test]
    fn report_json_shape() {
        let config = registry();
        let unowned = own(&[("lifecycle", "production")], &[], None, &config);
        let exempt = own(
            &[],
            &[("kubectl-owner/exempt", "node agent")],
            None,
            &config,
        );
        let report = evaluate(
            &[
                subject("b", "Deployment", "unowned", &unowned),
                subject("kube-system", "DaemonSet", "agent", &exempt),
            ],
            &config,
            date(TODAY),
        );
        let doc = crate::output::documents::CheckReportDocument::new(&report);
        let v = serde_json::to_value(&doc).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "apiVersion": "kubectl-owner/v1",
                "kind": "CheckReport",
                "summary": {"checked": 1, "compliant": 0, "errors": 1, "warnings": 0, "exempt": 1, "coverage": 0.0},
                "findings": [{"namespace": "b", "kind": "Deployment", "name": "unowned", "team": null,
                    "rule": "missing-team", "severity": "error",
                    "detail": "no team on the object, its controllers or its namespace"}],
                "exempt": [{"namespace": "kube-system", "kind": "DaemonSet", "name": "agent", "reason": "node agent"}],
                "unreadable": [],
                "config": []
            })
        );
    }

    #[test]
    fn strict_dates() {
        let config = Config::default();
        let check = |sunset: &str| rules_of(&with_sunset(sunset, &config), &config, TODAY);
        assert_eq!(check("2025-06-30"), ["past-sunset"]);
        assert_eq!(check(" 2025-06-30 "), ["past-sunset"], "surrounding spaces");
        for bad in ["2025-02-29", "20250630", "2025-06-30T00:00:00Z"] {
            assert_eq!(check(bad), ["invalid-sunset"], "{bad:?}");
        }
    }
}
