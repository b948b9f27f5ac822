//! `kubectl owner policy`: the effective config (local file and the cluster's ConfigMap, as
//! every command reads it) as a ValidatingAdmissionPolicy and its binding, for `kubectl apply`.

use serde::Serialize;

use crate::cli::options::{GlobalOptions, Output, PolicyOptions};
use crate::cluster::inventory::{Cluster, ClusterConfig};
use crate::core::admission;
use crate::error::{Error, ExitStatus, Result};
use crate::output::documents;
use crate::output::ui;

/// `-o json`: the two objects as a `v1` `List`, as `kubectl get -o json` prints several.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct List {
    api_version: &'static str,
    kind: &'static str,
    items: Vec<serde_json::Value>,
}

pub async fn run(global: &GlobalOptions, opts: PolicyOptions) -> Result<ExitStatus> {
    // A policy generated from the wrong registry or keys would refuse the wrong objects.
    let cluster = Cluster::open(global, ClusterConfig::Required).await?;
    let mut kinds = cluster.installed_workloads().await?;
    kinds.push(cluster.catalog.pod().clone());
    let rules = opts
        .rules
        .unwrap_or_else(|| admission::default_rules(&cluster.config));
    let (policy, binding) =
        admission::generate(&cluster.config, &kinds, &rules, opts.action).map_err(Error::config)?;
    let out = match opts.output {
        Output::Json => documents::json(&List {
            api_version: "v1",
            kind: "List",
            items: vec![
                serde_json::to_value(&policy).expect("objects serialise"),
                serde_json::to_value(&binding).expect("objects serialise"),
            ],
        }),
        _ => format!(
            "{}---\n{}",
            documents::yaml(&policy),
            documents::yaml(&binding)
        ),
    };
    ui::out(&out)?;
    Ok(ExitStatus::Success)
}
