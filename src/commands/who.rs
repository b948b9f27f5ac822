//! `kubectl owner who`: the on-call card for one object, resolved with targeted metadata GETs
//! (object, each controller, namespace) and no LIST; from an IP address or a node, one
//! field-selected list of pods comes first.

use crate::cli::options::{GlobalOptions, WhoOptions};
use crate::cluster::inventory::{Cluster, ClusterConfig};
use std::collections::HashMap;

use crate::core::kinds::{Kind, ObjectArg, WhoTarget};
use crate::core::ownership::{self, MetaObject, Ownership, Resolved};
use crate::error::{Error, ExitStatus, Result};
use crate::output::documents::{self, OwnershipDocument, OwnershipItem, OwnershipList};
use crate::output::table;
use crate::output::ui;

/// Controller chains deeper than this are bad data, not real workloads.
use crate::core::ownership::MAX_CHAIN;

pub async fn run(global: &GlobalOptions, opts: WhoOptions) -> Result<ExitStatus> {
    let cluster = Cluster::open(global, ClusterConfig::BestEffort).await?;
    let target = match &opts.target {
        WhoTarget::Object(target) => target,
        WhoTarget::Ip(ip) => return by_ip(&cluster, *ip, &opts).await,
        WhoTarget::Node(node) => return by_node(&cluster, node, &opts).await,
        WhoTarget::Service(service) => {
            let namespace = global
                .connection
                .namespace
                .clone()
                .unwrap_or_else(|| cluster.session.default_namespace.clone());
            return by_service(&cluster, &namespace, service, &opts).await;
        }
    };
    let (kind, name) = parse_target(&cluster, target)?;
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
    let (chain, own) = ownership_of(&cluster, object, &mut Reads::default()).await?;
    print_card(&chain, &own, &opts)?;
    Ok(ExitStatus::Success)
}

/// The card (or its document) of one object.
fn print_card(chain: &[MetaObject], own: &Ownership, opts: &WhoOptions) -> Result<()> {
    let chain_refs: Vec<&MetaObject> = chain.iter().collect();
    let out = match super::document_format(&opts.output, "item", false) {
        Some(format) => documents::print(
            &OwnershipDocument::new(OwnershipItem::new(&chain_refs, own)),
            format,
        ),
        None => card(&chain_refs, own),
    };
    ui::out(&out)
}

/// Objects read during one lookup: the pods of one ReplicaSet read it once.
#[derive(Default)]
struct Reads {
    objects: HashMap<(String, Option<String>, String), Option<MetaObject>>,
}

impl Reads {
    async fn get(
        &mut self,
        cluster: &Cluster,
        kind: &Kind,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<MetaObject>> {
        let key = (
            kind.qualified_plural(),
            namespace.map(str::to_string),
            name.to_string(),
        );
        if let Some(found) = self.objects.get(&key) {
            return Ok(found.clone());
        }
        let found = cluster.session.get_meta(kind, namespace, name).await?;
        self.objects.insert(key, found.clone());
        Ok(found)
    }
}

/// An object's controller chain (object first, through targeted GETs) and its ownership.
async fn ownership_of(
    cluster: &Cluster,
    object: MetaObject,
    reads: &mut Reads,
) -> Result<(Vec<MetaObject>, Ownership)> {
    let namespace = object.namespace.clone();
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
        match reads
            .get(cluster, &owner_kind, namespace.as_deref(), &owner.name)
            .await?
        {
            Some(next) if next.uid == owner.uid || owner.uid.is_empty() => chain.push(next),
            _ => break,
        }
    }
    let ns_meta = match &namespace {
        Some(ns) => reads
            .get(cluster, cluster.catalog.namespace(), None, ns)
            .await
            .unwrap_or_else(|e| {
                ui::warn(&format!("namespace labels unavailable: {e}"));
                None
            }),
        None => None,
    };
    let is_namespace = chain[0].kind.as_ref() == "Namespace";
    let ns_name = namespace
        .clone()
        .or_else(|| is_namespace.then(|| chain[0].name.clone()));
    let chain_refs: Vec<&MetaObject> = chain.iter().collect();
    let own = ownership::resolve(
        &chain_refs,
        ns_meta.as_ref(),
        ns_name.as_deref(),
        &cluster.config,
    );
    Ok((chain, own))
}

/// The pods of every namespace that the field selector picks (metadata only, one list).
async fn pods_where(cluster: &Cluster, fields: &str) -> Result<Vec<MetaObject>> {
    cluster
        .session
        .list_meta(cluster.catalog.pod(), None, None, Some(fields))
        .await
}

/// `who IP`: the pods that have this IP now, found with one field-selected list across every
/// namespace; one pod is its card, several (a node's or host network's IP) a table.
async fn by_ip(cluster: &Cluster, ip: std::net::IpAddr, opts: &WhoOptions) -> Result<ExitStatus> {
    let pods = pods_where(cluster, &format!("status.podIP={ip}")).await?;
    let mut reads = Reads::default();
    let mut found = Vec::new();
    for pod in pods {
        found.push(ownership_of(cluster, pod, &mut reads).await?);
    }
    match found.as_slice() {
        [] => {
            ui::status(&format!(
                "No pod has IP {ip} now; pod IPs are reused, so an old alert may name a pod that is gone."
            ));
            Ok(ExitStatus::Failed)
        }
        [(chain, own)] => {
            print_card(chain, own, opts)?;
            Ok(ExitStatus::Success)
        }
        several => {
            ui::status(&format!(
                "{} pods share IP {ip} (a node's address: host network pods)",
                several.len()
            ));
            print_rows(
                several,
                &["NAMESPACE", "POD", "WORKLOAD"],
                |_, chain| {
                    let top = chain.last().expect("a chain has its object");
                    vec![
                        table::or_none(chain[0].namespace.as_deref()),
                        chain[0].name.clone(),
                        top.reference(),
                    ]
                },
                opts,
            )?;
            Ok(ExitStatus::Success)
        }
    }
}

/// `who node/NAME`: every workload with pods on the node (one field-selected list of the pods,
/// then each controller read once), one row per workload with its team.
async fn by_node(cluster: &Cluster, node: &str, opts: &WhoOptions) -> Result<ExitStatus> {
    let pods = pods_where(cluster, &format!("spec.nodeName={node}")).await?;
    if pods.is_empty() {
        ui::status(&format!("No pod runs on node {node} now."));
        return Ok(ExitStatus::Failed);
    }
    print_workloads(cluster, pods, opts).await?;
    Ok(ExitStatus::Success)
}

/// `who svc/NAME`: the workloads whose pods the Service selects (one read of the Service, one
/// label-selected list of pods, each controller read once); the Service's own team, when it has
/// one, is said first.
async fn by_service(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
    opts: &WhoOptions,
) -> Result<ExitStatus> {
    let Some((service, selector)) = cluster.session.get_service(namespace, name).await? else {
        return Err(Error::cluster(format!(
            "Error from server (NotFound): services \"{name}\" not found"
        )));
    };
    let (_, own) = ownership_of(cluster, service, &mut Reads::default()).await?;
    if let (Some(team), Some(source)) = (own.team.value(), own.team.source.as_ref()) {
        ui::status(&ui::terminal_safe(&format!(
            "Service {namespace}/{name}: team {team}, from {}",
            source.describe()
        )));
    }
    if selector.is_empty() {
        ui::status(&format!(
            "Service {namespace}/{name} has no selector: its endpoints are not pods it selects."
        ));
        return Ok(ExitStatus::Failed);
    }
    let labels: Vec<String> = selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let labels = labels.join(",");
    let pods = cluster
        .session
        .list_meta(cluster.catalog.pod(), Some(namespace), Some(&labels), None)
        .await?;
    if pods.is_empty() {
        ui::status(&ui::terminal_safe(&format!(
            "Service {namespace}/{name} selects no pod now ({labels})."
        )));
        return Ok(ExitStatus::Failed);
    }
    print_workloads(cluster, pods, opts).await?;
    Ok(ExitStatus::Success)
}

/// One row per workload (the top of each pod's chain) with its pod count, each controller read
/// once.
async fn print_workloads(
    cluster: &Cluster,
    pods: Vec<MetaObject>,
    opts: &WhoOptions,
) -> Result<()> {
    let mut reads = Reads::default();
    let mut workloads: Vec<(Vec<MetaObject>, Ownership, usize)> = Vec::new();
    for pod in pods {
        let (chain, own) = ownership_of(cluster, pod, &mut reads).await?;
        let top = chain.last().expect("a chain has its object").uid.clone();
        match workloads
            .iter_mut()
            .find(|(c, _, _)| c.last().is_some_and(|o| o.uid == top))
        {
            Some((_, _, count)) => *count += 1,
            None => {
                let top_only = chain.last().cloned().into_iter().collect();
                workloads.push((top_only, own, 1));
            }
        }
    }
    workloads.sort_by(|(a, _, _), (b, _, _)| {
        (&a[0].namespace, &a[0].kind, &a[0].name).cmp(&(&b[0].namespace, &b[0].kind, &b[0].name))
    });
    let counts: Vec<usize> = workloads.iter().map(|(_, _, n)| *n).collect();
    let rows: Vec<(Vec<MetaObject>, Ownership)> =
        workloads.into_iter().map(|(c, o, _)| (c, o)).collect();
    print_rows(
        &rows,
        &["NAMESPACE", "WORKLOAD", "PODS"],
        |i, chain| {
            vec![
                table::or_none(chain[0].namespace.as_deref()),
                chain[0].reference(),
                counts[i].to_string(),
            ]
        },
        opts,
    )
}

/// Several objects as one table (or the `-o json` list): `leading` headers and cells say where
/// each is and what runs it, then its team, stage and how to reach them.
fn print_rows(
    found: &[(Vec<MetaObject>, Ownership)],
    leading: &[&str],
    cells: impl Fn(usize, &[MetaObject]) -> Vec<String>,
    opts: &WhoOptions,
) -> Result<()> {
    let out = match super::document_format(&opts.output, "items", false) {
        Some(format) => {
            let items = found
                .iter()
                .map(|(chain, own)| {
                    let refs: Vec<&MetaObject> = chain.iter().collect();
                    OwnershipItem::new(&refs, own)
                })
                .collect();
            documents::print(&OwnershipList::new(items), format)
        }
        None => {
            let rows: Vec<Vec<String>> = found
                .iter()
                .enumerate()
                .map(|(i, (chain, own))| contact_row(cells(i, chain), own))
                .collect();
            let mut headers = leading.to_vec();
            headers.extend(["TEAM", "STAGE", "CHAT", "ONCALL"]);
            table::table(&headers, &rows, false)
        }
    };
    ui::out(&out)
}

/// `cells` followed by the team, stage, chat and on-call contact (`<none>` when missing).
fn contact_row(mut cells: Vec<String>, own: &Ownership) -> Vec<String> {
    let contact = |key: &str| table::or_none(own.contacts.get(key).and_then(Resolved::value));
    cells.extend([
        table::or_none(own.team.value()),
        table::or_none(own.stage.value()),
        contact("chat"),
        contact("oncall"),
    ]);
    cells
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
