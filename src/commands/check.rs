//! `kubectl owner check`: the policy report, usable as a CI gate.
//!
//! Exit codes: 0 compliant, 1 findings at or above `--fail-on`, 2 could not check (every error,
//! mapped in `main`). The rules themselves live in [`crate::core::policy`]; this file collects rows,
//! applies the baseline and prints.
//!
//! "Today" is the current UTC date. As a testing aid, `KUBECTL_OWNER_TODAY=YYYY-MM-DD` replaces it.

use std::path::Path;

use crate::core::date::Date;
use crate::output::ui;

use crate::cli::options::{CheckOptions, GlobalOptions, Output};
use crate::cluster::inventory::{self, Cluster, ClusterConfig, Inventory};
use crate::core::kinds::Kind;
use crate::core::policy::{self, Baseline, CheckReport, Location, Subject};
use crate::error::{Error, ExitStatus, Result};
use crate::output::documents::{self, CheckReportDocument};
use crate::output::table;
use crate::output::{html, junit, markdown, policy_report};

/// Environment variable that fixes "today" (`YYYY-MM-DD`), for tests and reproducible reports.
pub const TODAY_ENV: &str = "KUBECTL_OWNER_TODAY";

const COLUMNS: [&str; 7] = [
    "NAMESPACE",
    "KIND",
    "NAME",
    "TEAM",
    "RULE",
    "SEVERITY",
    "DETAIL",
];

/// One context's report (rows not yet filtered by the baseline).
async fn check_one(global: GlobalOptions, opts: &CheckOptions, today: Date) -> Result<CheckReport> {
    let cluster = Cluster::open(&global, ClusterConfig::Required).await?;
    let kinds = parse_types(&cluster, &opts.types)?;
    let plan = inventory::typed_plan(
        &cluster,
        &kinds,
        &opts.scope,
        opts.label_selector.clone(),
        None,
    )
    .await?;
    let inventory = Inventory::collect(&cluster, &plan).await?;
    let resolved = inventory.resolve(&cluster.config);
    let subjects: Vec<Subject> = resolved
        .iter()
        .map(|r| {
            let o = r.object();
            Subject {
                cluster: o.cluster.as_deref(),
                namespace: o.namespace.as_deref(),
                api_version: &o.api_version,
                kind: &o.kind,
                name: &o.name,
                uid: &o.uid,
                ownership: &r.ownership,
            }
        })
        .collect();
    let mut report = policy::evaluate(&subjects, &cluster.config, today);
    report.unreadable = inventory.unreadable.clone();
    report.config = cluster.config_sources.clone();
    Ok(report)
}

pub async fn run(global: &GlobalOptions, opts: CheckOptions) -> Result<ExitStatus> {
    // Everything that needs no server is validated first.
    let today = today()?;
    if opts.output == Output::PolicyReport && inventory::context_names(global)?.is_some() {
        return Err(Error::usage(
            "-o policyreport reports on one cluster, to be applied there: run it once per context",
        ));
    }
    let baseline = opts.baseline.as_deref().map(read_baseline).transpose()?;
    let (mut reports, context_failed) =
        inventory::per_context(global, |g| check_one(g, &opts, today)).await?;
    let multi = reports.iter().any(|(name, _)| name.is_some()) || context_failed;
    let mut report = match reports.pop() {
        Some((_, only)) if !multi => only,
        last => policy::merge(reports.into_iter().chain(last).collect()),
    };
    let location = Location::of(&report, multi);
    if let (Some(baseline), Some(path)) = (&baseline, &opts.baseline) {
        let suppressed = baseline.apply(&mut report);
        ui::status(&format!(
            "{suppressed} known finding{} suppressed by baseline {}",
            if suppressed == 1 { "" } else { "s" },
            path.display()
        ));
    }
    policy::order(&mut report, opts.group_by);
    let out = match super::document_format(&opts.output, "findings", opts.no_headers) {
        Some(format) => documents::print(&CheckReportDocument::new(&report), format),
        None => match opts.output {
            Output::Csv => csv(&report, location)?,
            Output::Junit => junit::render(&report, opts.fail_on),
            Output::Markdown => markdown::render(&report, opts.group_by, location),
            Output::PolicyReport => policy_report::render(&report, opts.fail_on),
            Output::Html => html::check_page(&report, &super::made(global, today)?, location),
            _ => table(&report, location, opts.no_headers),
        },
    };
    ui::out(&out)?;
    if context_failed {
        return Err(Error::cluster("could not check every context (see above)"));
    }
    if !report.unreadable.is_empty() && !opts.allow_partial {
        // A gate must not pass on what it could not see.
        return Err(Error::cluster(
            "could not check everything: RBAC hid some namespaces or kinds (see the warning above); use --allow-partial to check what is readable",
        ));
    }
    Ok(policy::exit_status(&report, opts.fail_on))
}

/// Today's UTC date, or `KUBECTL_OWNER_TODAY` when set.
pub fn today() -> Result<Date> {
    match std::env::var(TODAY_ENV) {
        Ok(text) if !text.is_empty() => text
            .trim()
            .parse::<Date>()
            .map_err(|e| Error::usage(format!("{TODAY_ENV}: {e}"))),
        _ => Ok(Date::today_utc()),
    }
}

fn read_baseline(path: &Path) -> Result<Baseline> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::usage(format!(
            "--baseline {}: cannot read file: {e}",
            path.display()
        ))
    })?;
    Baseline::parse(&text).map_err(|e| Error::usage(format!("--baseline {}: {e}", path.display())))
}

pub fn parse_types(cluster: &Cluster, args: &[String]) -> Result<Vec<Kind>> {
    let mut kinds: Vec<Kind> = Vec::new();
    for arg in args {
        let kind = cluster.catalog.parse_type(arg).map_err(Error::usage)?;
        if !kinds
            .iter()
            .any(|k| k.kind == kind.kind && k.group == kind.group)
        {
            kinds.push(kind.clone());
        }
    }
    Ok(kinds)
}

/// Every finding, then every exempt object, as cells of [`COLUMNS`] after the context;
/// `missing` stands for a value that is not there.
fn rows(report: &CheckReport, missing: &str) -> Vec<Vec<String>> {
    let or_missing = |v: Option<&str>| v.unwrap_or(missing).to_string();
    let mut rows: Vec<Vec<String>> = report
        .findings
        .iter()
        .map(|f| {
            vec![
                f.location().unwrap_or_default(),
                or_missing(f.namespace.as_deref()),
                f.kind.clone(),
                f.name.clone(),
                or_missing(f.team.as_deref()),
                f.rule.to_string(),
                f.severity.to_string(),
                f.detail.clone(),
            ]
        })
        .collect();
    rows.extend(report.exempt.iter().map(|e| {
        vec![
            e.location().unwrap_or_default(),
            or_missing(e.namespace.as_deref()),
            e.kind.clone(),
            e.name.clone(),
            or_missing(e.team.as_deref()),
            "exempt".to_string(),
            "-".to_string(),
            e.reason.clone(),
        ]
    }));
    rows
}

/// `-o csv`: the table's rows (CONTEXT or CLUSTER first when objects come from several
/// clusters), a missing value as an empty field, no summary line.
fn csv(report: &CheckReport, location: Option<Location>) -> Result<String> {
    let skip = usize::from(location.is_none());
    let first = location.map(Location::header).unwrap_or_default();
    let headers: Vec<&str> = std::iter::once(first.as_str())
        .chain(COLUMNS)
        .skip(skip)
        .collect();
    table::csv(
        &headers,
        rows(report, "")
            .into_iter()
            .map(|r| r.into_iter().skip(skip)),
    )
}

/// One row per finding, then the exempt rows, a blank line and the summary line. With no rows,
/// only the summary line.
fn table(report: &CheckReport, location: Option<Location>, no_headers: bool) -> String {
    let rows = rows(report, "<none>");
    let config = match report.config.as_slice() {
        [] => "defaults".to_string(),
        sources => sources
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    };
    let summary = format!("{}; config: {config}", report.summary.line());
    if rows.is_empty() {
        return if no_headers {
            String::new()
        } else {
            format!("{summary}\n")
        };
    }
    // CONTEXT (or CLUSTER) leads only when several clusters were checked.
    let skip = usize::from(location.is_none());
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|r| r.into_iter().skip(skip).collect())
        .collect();
    let first = location.map(Location::header).unwrap_or_default();
    let headers: Vec<&str> = std::iter::once(first.as_str())
        .chain(COLUMNS)
        .skip(skip)
        .collect();
    let table = table::table(&headers, &rows, no_headers);
    if no_headers {
        return table;
    }
    format!("{table}\n{summary}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Team};
    use crate::core::ownership::{self, MetaObject};

    #[test]
    fn table_rows_exempt_rows_blank_line_and_summary() {
        let mut config = Config::default();
        config.teams.push(Team::new("payments"));
        let api = MetaObject {
            kind: "Deployment".into(),
            namespace: Some("shop".into()),
            name: "api".into(),
            labels: [("team".to_string(), "paymnts".to_string())].into(),
            ..Default::default()
        };
        let agent = MetaObject {
            kind: "DaemonSet".into(),
            namespace: Some("kube-system".into()),
            name: "agent".into(),
            annotations: [("kubectl-owner/exempt".to_string(), "node agent".to_string())].into(),
            ..Default::default()
        };
        let own_api = ownership::resolve(&[&api], None, Some("shop"), &config);
        let own_agent = ownership::resolve(&[&agent], None, Some("kube-system"), &config);
        let subjects = [
            Subject {
                cluster: None,
                namespace: Some("shop"),
                api_version: "apps/v1",
                kind: "Deployment",
                name: "api",
                uid: "",
                ownership: &own_api,
            },
            Subject {
                cluster: None,
                namespace: Some("kube-system"),
                api_version: "apps/v1",
                kind: "DaemonSet",
                name: "agent",
                uid: "",
                ownership: &own_agent,
            },
        ];
        let report = policy::evaluate(&subjects, &config, "2026-03-01".parse().unwrap());
        assert_eq!(
            table(&report, None, false),
            "\
NAMESPACE     KIND         NAME    TEAM      RULE            SEVERITY   DETAIL
shop          Deployment   api     paymnts   unknown-team    error      team \"paymnts\" is not in the team registry (did you mean \"payments\"?)
shop          Deployment   api     paymnts   missing-stage   warning    no lifecycle stage
kube-system   DaemonSet    agent   <none>    exempt          -          node agent

1 checked, 0 compliant, 1 error, 1 warning, 1 exempt, coverage 100.0%; config: defaults
"
        );
    }

    #[test]
    fn empty_report_is_only_the_summary() {
        let report = policy::evaluate(&[], &Config::default(), "2026-03-01".parse().unwrap());
        assert_eq!(
            table(&report, None, false),
            "0 checked, 0 compliant, 0 errors, 0 warnings, 0 exempt, coverage 100.0%; config: defaults\n"
        );
    }
}
