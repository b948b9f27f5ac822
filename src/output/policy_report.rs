//! `check -o policyreport`: the report as the Policy WG's `wgpolicyk8s.io/v1alpha2` resources —
//! a `PolicyReport` per namespace and a `ClusterPolicyReport` for cluster-scoped objects — so
//! Policy Reporter and other PolicyReport consumers show ownership findings next to Kyverno's.
//! One result per finding (`fail` at or above `--fail-on`, `warn` below), a `pass` per compliant
//! object and a `skip` per exempt one; summaries count them.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::core::policy::{CheckReport, FailOn};
use crate::core::rules::Severity;
use crate::output::documents;

pub const API_VERSION: &str = "wgpolicyk8s.io/v1alpha2";
/// The `policy` and `source` of every result, and the reports' name.
pub const POLICY: &str = "kubectl-owner";

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: Metadata,
    pub summary: Counts,
    pub results: Vec<ReportResult>,
}

#[derive(Debug, Serialize)]
pub struct Metadata {
    pub name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub labels: BTreeMap<&'static str, &'static str>,
}

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub error: usize,
    pub skip: usize,
}

#[derive(Debug, Serialize)]
pub struct ReportResult {
    pub policy: &'static str,
    pub rule: String,
    pub result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<&'static str>,
    pub category: &'static str,
    pub source: &'static str,
    pub scored: bool,
    pub message: String,
    pub resources: Vec<ObjectReference>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectReference {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uid: String,
}

/// PolicyReport's severities: an error is `high`, a warning `medium`.
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "high",
        Severity::Warning => "medium",
    }
}

/// The reports, namespaced ones in namespace order, then the cluster's (only those with results).
pub fn reports(report: &CheckReport, fail_on: FailOn) -> Vec<Report> {
    let mut by_namespace: BTreeMap<Option<String>, Vec<ReportResult>> = BTreeMap::new();
    let reference = |api_version: &str, kind: &str, name: &str, ns: &Option<String>, uid: &str| {
        ObjectReference {
            api_version: api_version.to_string(),
            kind: kind.to_string(),
            name: name.to_string(),
            namespace: ns.clone(),
            uid: uid.to_string(),
        }
    };
    let by_object = report.findings_by_object();
    for o in &report.objects {
        let resource = reference(&o.api_version, &o.kind, &o.name, &o.namespace, &o.uid);
        let findings = by_object.get(&o.key()).cloned().unwrap_or_default();
        let results = by_namespace.entry(o.namespace.clone()).or_default();
        if findings.is_empty() {
            results.push(ReportResult {
                policy: POLICY,
                rule: "ownership".to_string(),
                result: "pass",
                severity: None,
                category: "Ownership",
                source: POLICY,
                scored: true,
                message: format!(
                    "team {}, stage {}",
                    o.team.as_deref().unwrap_or("-"),
                    o.stage.as_deref().unwrap_or("-")
                ),
                resources: vec![resource],
            });
            continue;
        }
        for f in findings {
            results.push(ReportResult {
                policy: POLICY,
                rule: f.rule.as_str().to_string(),
                result: match fail_on.fails(f.severity) {
                    true => "fail",
                    false => "warn",
                },
                severity: Some(severity(f.severity)),
                category: "Ownership",
                source: POLICY,
                scored: true,
                message: f.detail.clone(),
                resources: vec![resource.clone()],
            });
        }
    }
    for e in &report.exempt {
        by_namespace
            .entry(e.namespace.clone())
            .or_default()
            .push(ReportResult {
                policy: POLICY,
                rule: "exempt".to_string(),
                result: "skip",
                severity: None,
                category: "Ownership",
                source: POLICY,
                scored: false,
                message: e.reason.clone(),
                resources: vec![reference(
                    &e.api_version,
                    &e.kind,
                    &e.name,
                    &e.namespace,
                    &e.uid,
                )],
            });
    }
    // Namespaced reports first, as `kubectl apply` creates them in order.
    let mut entries: Vec<_> = by_namespace.into_iter().collect();
    entries.sort_by_key(|(ns, _)| (ns.is_none(), ns.clone()));
    entries
        .into_iter()
        .map(|(namespace, results)| {
            let mut summary = Counts::default();
            for r in &results {
                match r.result {
                    "pass" => summary.pass += 1,
                    "fail" => summary.fail += 1,
                    "warn" => summary.warn += 1,
                    _ => summary.skip += 1,
                }
            }
            Report {
                api_version: API_VERSION,
                kind: match namespace {
                    Some(_) => "PolicyReport",
                    None => "ClusterPolicyReport",
                },
                metadata: Metadata {
                    name: POLICY,
                    namespace,
                    labels: [("app.kubernetes.io/managed-by", POLICY)].into(),
                },
                summary,
                results,
            }
        })
        .collect()
}

/// The reports as one YAML stream, for `kubectl apply -f -`.
pub fn render(report: &CheckReport, fail_on: FailOn) -> String {
    documents::yaml_stream(&reports(report, fail_on))
}
