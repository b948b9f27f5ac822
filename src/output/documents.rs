//! The machine-readable documents (`-o json`, `-o yaml`, and `-o jsonpath`/`custom-columns`
//! over them), all in one place: `Ownership`,
//! `OwnershipList`, `TeamSummary`, `CheckReport` and the assign/unassign results.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::core::jsonpath::{CustomColumns, Template};
use crate::core::ownership::{MetaObject, Ownership, Resolved};
use crate::core::plan::{KeyChange, WriteStatus};
use crate::core::policy::CheckReport;
use crate::output::table::TableBuilder;
use crate::output::ui;

pub const API_VERSION: &str = "kubectl-owner/v1";

#[derive(Debug, Serialize)]
pub struct ChainLink {
    pub kind: String,
    pub name: String,
}

/// One object's ownership: an item of `OwnershipList`, or the whole `who -o json` document.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnershipItem {
    /// The kubeconfig context, only when several were queried (`--contexts`, `--all-contexts`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The member cluster, through a multi-cluster engine (`--aggregator`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    pub kind: String,
    pub api_version: String,
    pub namespace: Option<String>,
    pub name: String,
    pub created: Option<String>,
    pub chain: Vec<ChainLink>,
    pub team: Resolved,
    pub stage: Resolved,
    pub sunset: Resolved,
    pub exempt: Resolved,
    pub contacts: BTreeMap<String, Resolved>,
    /// `who --alert`: the alert this item answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert: Option<AlertTag>,
}

/// Which alert of a payload an answer belongs to.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertTag {
    /// 1 for the payload's first alert.
    pub index: usize,
    /// Its `alertname` label.
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The labels that named the object (`namespace=payments pod=api-7d9f8`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

/// An alert whose labels named nothing found in the cluster, and why.
#[derive(Debug, Serialize)]
pub struct UnresolvedAlert {
    pub alert: AlertTag,
    pub reason: String,
}

impl OwnershipItem {
    pub fn new(chain: &[&MetaObject], ownership: &Ownership) -> OwnershipItem {
        let object = chain[0];
        OwnershipItem {
            context: None,
            cluster: object.cluster.as_deref().map(str::to_string),
            kind: object.kind.to_string(),
            api_version: object.api_version.to_string(),
            namespace: object.namespace.clone(),
            name: object.name.clone(),
            created: object.created.map(|t| t.to_string()),
            chain: chain
                .iter()
                .map(|o| ChainLink {
                    kind: o.kind.to_string(),
                    name: o.name.clone(),
                })
                .collect(),
            team: ownership.team.clone(),
            stage: ownership.stage.clone(),
            sunset: ownership.sunset.clone(),
            exempt: ownership.exempt.clone(),
            contacts: ownership.contacts.clone(),
            alert: None,
        }
    }
}

/// `who -o json`: one item under `item` (the item's own `kind` is the object's kind, so the
/// document's `kind: Ownership` cannot share its level).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnershipDocument {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub item: OwnershipItem,
}

impl OwnershipDocument {
    pub fn new(item: OwnershipItem) -> OwnershipDocument {
        OwnershipDocument {
            api_version: API_VERSION,
            kind: "Ownership",
            item,
        }
    }
}

/// `ls -o json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnershipList {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub items: Vec<OwnershipItem>,
    /// `who --alert`: the alerts that named nothing found.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unresolved: Vec<UnresolvedAlert>,
}

impl OwnershipList {
    pub fn new(items: Vec<OwnershipItem>) -> OwnershipList {
        OwnershipList {
            api_version: API_VERSION,
            kind: "OwnershipList",
            items,
            unresolved: Vec::new(),
        }
    }
}

/// `teams -o json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamSummary {
    pub api_version: &'static str,
    pub kind: &'static str,
    /// Percentage of workloads with a team, one decimal.
    pub coverage: f64,
    pub items: Vec<TeamItem>,
}

impl TeamSummary {
    pub fn new(coverage: f64, items: Vec<TeamItem>) -> TeamSummary {
        TeamSummary {
            api_version: API_VERSION,
            kind: "TeamSummary",
            coverage,
            items,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TeamItem {
    /// The kubeconfig context, only when several were queried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The member cluster, through a multi-cluster engine (`--aggregator`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `None` for the unowned row.
    pub team: Option<String>,
    pub workloads: usize,
    /// Stage value (or `<none>`) to count.
    pub stages: BTreeMap<String, usize>,
    pub namespaces: Vec<String>,
    pub contacts: BTreeMap<String, String>,
}

/// `check -o json|yaml`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckReportDocument<'a> {
    pub api_version: &'static str,
    pub kind: &'static str,
    #[serde(flatten)]
    pub report: &'a CheckReport,
}

impl<'a> CheckReportDocument<'a> {
    pub fn new(report: &'a CheckReport) -> Self {
        CheckReportDocument {
            api_version: API_VERSION,
            kind: "CheckReport",
            report,
        }
    }
}

/// `assign -o json` / `unassign -o json`: what was (or would be) written, object by object.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WriteReport<'a> {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub dry_run: &'static str,
    pub notes: &'a [String],
    pub items: Vec<ReportItem<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportItem<'a> {
    pub kind: &'a str,
    pub api_version: String,
    pub namespace: Option<&'a str>,
    pub name: &'a str,
    pub result: WriteStatus,
    pub changes: &'a [KeyChange],
    pub message: Option<&'a str>,
    pub warnings: &'a [String],
}

/// The ways a command prints its `-o json` document.
pub enum Format<'a> {
    Json,
    Yaml,
    JsonPath(&'a Template),
    /// A table with one row per element of the document's array named `rows` (the value there
    /// when it is not an array; the document itself when it has no such field).
    CustomColumns {
        columns: &'a CustomColumns,
        rows: &'static str,
        no_headers: bool,
    },
}

/// `doc` in `format`: JSON, YAML, a JSONPath template's text or a custom-columns table, all
/// from the same document.
pub fn print<T: Serialize>(doc: &T, format: Format) -> String {
    let value = || serde_json::to_value(doc).expect("documents serialise");
    match format {
        Format::Json => json(doc),
        Format::Yaml => yaml(doc),
        // The cluster's values can never move the cursor (table cells are escaped the same way).
        Format::JsonPath(template) => template.render_escaped(&value(), &ui::terminal_safe),
        Format::CustomColumns {
            columns,
            rows,
            no_headers,
        } => {
            let value = value();
            let items: Vec<&Value> = match value.get(rows) {
                Some(Value::Array(items)) => items.iter().collect(),
                Some(item) => vec![item],
                None => vec![&value],
            };
            let headers: Vec<&str> = columns.headers().collect();
            let mut table = TableBuilder::with_headers_as_given(&headers);
            for item in items {
                table.push_row(columns.cells(item));
            }
            table.render(no_headers)
        }
    }
}

/// A document as `-o json` prints it.
pub fn json<T: Serialize>(doc: &T) -> String {
    let mut out = serde_json::to_string_pretty(doc).expect("documents serialise");
    out.push('\n');
    out
}

/// A document as `-o yaml` prints it.
pub fn yaml<T: Serialize>(doc: &T) -> String {
    serde_saphyr::to_string(doc).expect("documents serialise")
}

/// Several documents as one YAML stream (`---` between them), as `kubectl apply -f -` reads it.
pub fn yaml_stream<T: Serialize>(docs: &[T]) -> String {
    docs.iter().map(yaml).collect::<Vec<_>>().join("---\n")
}
