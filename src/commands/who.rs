//! `kubectl owner who`: the on-call card for one object, resolved with targeted metadata GETs
//! (object, each controller, namespace) and no LIST.

use crate::cli::options::{GlobalOptions, WhoOptions};
use crate::cluster::inventory::{Cluster, ClusterConfig};
use crate::core::kinds::{Kind, ObjectArg};
use crate::core::ownership::{self, MetaObject, Resolved};
use crate::error::{Error, ExitStatus, Result};
use crate::output::documents::{self, OwnershipDocument, OwnershipItem};
use crate::output::table;
use crate::output::ui;

/// Controller chains deeper than this are bad data, not real workloads.
use crate::core::ownership::MAX_CHAIN;

pub async fn run(global: &GlobalOptions, opts: WhoOptions) -> Result<ExitStatus> {
    let cluster = Cluster::open(global, ClusterConfig::BestEffort).await?;
    let (kind, name) = parse_target(&cluster, &opts.target)?;
    let kind = cluster.named_kind(&kind, &kind.plural).await?;
    let namespace = if kind.namespaced {
        Some(
            global
                .connection
                .namespace
                .clone()
                .unwrap_or_else(|| cluster.session.default_namespace.clone()),
        )
    } else {
        None
    };
    let object = cluster
        .session
        .get_meta(&kind, namespace.as_deref(), &name)
        .await?
        .ok_or_else(|| Error::cluster(kind.not_found(&name)))?;

    let mut chain = vec![object];
    while chain.len() < MAX_CHAIN {
        let Some(owner) = chain.last().and_then(|o| o.controller.clone()) else {
            break;
        };
        if chain.iter().any(|seen| seen.uid == owner.uid) {
            ui::warn(&format!(
                "ownerReference cycle: {} is controlled by {}/{}, already in the chain; the chain stops there",
                chain.last().map(MetaObject::reference).unwrap_or_default(),
                owner.kind.to_lowercase(),
                owner.name
            ));
            break;
        }
        let owner_kind = match cluster.catalog.by_owner(&owner.api_version, &owner.kind) {
            // Discovery (for CRD owners) is cached by the session: once per group-version.
            Some(k) if k.workload => cluster.served_kind(k).await?,
            // Nodes and unknown owners are not workloads: ownership stops at the object.
            _ => None,
        };
        let Some(owner_kind) = owner_kind else { break };
        match cluster
            .session
            .get_meta(&owner_kind, namespace.as_deref(), &owner.name)
            .await?
        {
            Some(next) if next.uid == owner.uid || owner.uid.is_empty() => chain.push(next),
            _ => break,
        }
    }
    let ns_meta = match &namespace {
        Some(ns) => cluster
            .session
            .get_meta(cluster.catalog.namespace(), None, ns)
            .await
            .unwrap_or_else(|e| {
                ui::warn(&format!("namespace labels unavailable: {e}"));
                None
            }),
        None => None,
    };
    let chain_refs: Vec<&MetaObject> = chain.iter().collect();
    let ns_name = namespace.as_deref().or(if kind.is_namespace() {
        Some(name.as_str())
    } else {
        None
    });
    let own = ownership::resolve(&chain_refs, ns_meta.as_ref(), ns_name, &cluster.config);

    let out = match super::document_format(&opts.output, "item", false) {
        Some(format) => documents::print(
            &OwnershipDocument::new(OwnershipItem::new(&chain_refs, &own)),
            format,
        ),
        None => card(&chain_refs, &own),
    };
    ui::out(&out)?;
    Ok(ExitStatus::Success)
}

/// The server's kind for the object's TYPE.
fn parse_target(cluster: &Cluster, target: &ObjectArg) -> Result<(Kind, String)> {
    let kind = cluster
        .catalog
        .parse_type(&target.type_name)
        .map_err(Error::usage)?
        .clone();
    Ok((kind, target.name.clone()))
}

/// The human card: what the object is, its chain, and each answer with its source.
fn card(chain: &[&MetaObject], own: &ownership::Ownership) -> String {
    let object = chain[0];
    let mut out = String::new();
    let place = match &object.namespace {
        Some(ns) => format!("{}/{} in namespace {}", object.kind, object.name, ns),
        None => format!("{}/{}", object.kind, object.name),
    };
    out.push_str(&format!("Object:  {}\n", ui::terminal_safe(&place)));
    out.push_str(&format!(
        "Chain:   {}\n\n",
        ui::terminal_safe(&ownership::describe_chain(chain))
    ));
    let line = |field: &str, r: &Resolved| {
        vec![
            field.to_string(),
            table::or_none(r.value()),
            table::or_none(r.source.as_ref().map(|s| s.describe()).as_deref()),
        ]
    };
    let mut rows = vec![
        line("team", &own.team),
        line("stage", &own.stage),
        line("sunset", &own.sunset),
        line("exempt", &own.exempt),
    ];
    if let (Some(alias), Some(team)) = (&own.team_alias, own.team.value()) {
        rows[0][1] = format!("{team} (written as {alias})");
    }
    for (field, contact) in &own.contacts {
        rows.push(line(field, contact));
    }
    for (hint, value) in &own.hints {
        rows.push(vec![
            hint.clone(),
            value.clone(),
            "hint only, never the owner".to_string(),
        ]);
    }
    out.push_str(&table::table(&["FIELD", "VALUE", "SOURCE"], &rows, false));
    out
}
