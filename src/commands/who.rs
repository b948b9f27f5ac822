//! `kubectl owner who`: the on-call card for one object, resolved with targeted metadata GETs
//! (object, each controller, namespace); and from what an alert shows instead (an IP, a node, a
//! Service, an image, a host, an Alertmanager payload), the few lists that find the objects
//! first, then the same GETs up each chain.

use std::collections::HashMap;

use crate::cli::options::{GlobalOptions, WhoLookup, WhoOptions};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::DynamicObject;

use crate::cluster::inventory::{self, Cluster, ClusterConfig, Unreadable};
use crate::cluster::session::{self, ServerTable, TableRow};
use crate::core::alert::{self, Alert};
use crate::core::host;
use crate::core::image::ImagePattern;
use crate::core::kinds::{Kind, ObjectArg, WhoTarget};
use crate::core::ownership::{self, MetaObject, Ownership, Resolved};
use crate::error::{Error, ErrorKind, ExitStatus, Result};
use crate::output::documents::{
    self, AlertTag, OwnershipDocument, OwnershipItem, OwnershipList, UnresolvedAlert,
};
use crate::output::table;
use crate::output::ui;

use crate::core::ownership::MAX_CHAIN;

pub async fn run(global: &GlobalOptions, opts: WhoOptions) -> Result<ExitStatus> {
    let cluster = Cluster::open(global, ClusterConfig::BestEffort).await?;
    let namespace = global
        .connection
        .namespace
        .clone()
        .unwrap_or_else(|| cluster.session.default_namespace.clone());
    match &opts.lookup {
        WhoLookup::Target(target) => {
            let answer = lookup(&cluster, target, &namespace, &mut Reads::default()).await?;
            let as_list = !matches!(target, WhoTarget::Object(_));
            print_answer(&answer, &opts, as_list)?;
            Ok(answer.status())
        }
        WhoLookup::Alerts(alerts) => by_alerts(&cluster, alerts, &opts).await,
    }
}

/// One object with its controller chain (object first) and resolved ownership.
struct Found {
    chain: Vec<MetaObject>,
    own: Ownership,
}

impl Found {
    fn item(&self) -> OwnershipItem {
        let refs: Vec<&MetaObject> = self.chain.iter().collect();
        OwnershipItem::new(&refs, &self.own)
    }
}

/// What one lookup found.
enum Answer {
    /// One object: its card.
    One(Box<Found>),
    /// Several pods with one IP (a node's address, host-network pods).
    Pods(Vec<Found>),
    /// Workloads (the top of each chain only), each with what it has that was looked for
    /// (`detail`: how many of the pods, which images).
    Workloads {
        detail: &'static str,
        rows: Vec<(Found, String)>,
    },
    /// Nothing matched: the sentence that says so.
    Nothing(String),
}

impl Answer {
    fn status(&self) -> ExitStatus {
        match self {
            Answer::Nothing(_) => ExitStatus::Failed,
            _ => ExitStatus::Success,
        }
    }

    /// The answer's ownership items, as `-o json` lists them.
    fn items(&self) -> Vec<OwnershipItem> {
        match self {
            Answer::One(found) => vec![found.item()],
            Answer::Pods(pods) => pods.iter().map(Found::item).collect(),
            Answer::Workloads { rows, .. } => rows.iter().map(|(w, _)| w.item()).collect(),
            Answer::Nothing(_) => Vec::new(),
        }
    }
}

/// Looks `target` up; `namespace` is where namespaced names live. `reads` keeps what the
/// lookup (or an earlier one of the same command) already read.
async fn lookup(
    cluster: &Cluster,
    target: &WhoTarget,
    namespace: &str,
    reads: &mut Reads,
) -> Result<Answer> {
    match target {
        WhoTarget::Object(object) => by_name(cluster, object, namespace, reads).await,
        WhoTarget::Ip(ip) => by_ip(cluster, *ip, reads).await,
        WhoTarget::Node(node) => by_node(cluster, node, reads).await,
        WhoTarget::Service(service) => by_service(cluster, namespace, service, reads).await,
        WhoTarget::Image(image) => by_image(cluster, image, reads).await,
        WhoTarget::Host(name) => by_host(cluster, name, reads).await,
    }
}

/// `who POD`, `who TYPE/NAME`: the object's card, from targeted metadata GETs.
async fn by_name(
    cluster: &Cluster,
    target: &ObjectArg,
    namespace: &str,
    reads: &mut Reads,
) -> Result<Answer> {
    let (kind, name) = parse_target(cluster, target)?;
    let kind = cluster.named_kind(&kind, &kind.plural).await?;
    let namespace = kind.namespaced.then_some(namespace);
    let not_found = || Error::cluster(kind.not_found(&name)).with_status(404);
    if cluster.session.aggregator.is_some() {
        // The same name may be in several member clusters: each one's answer, as a table.
        let mut found = Vec::new();
        for object in named_everywhere(cluster, &kind, namespace, &name).await? {
            let member = table::or_none(object.cluster.as_deref());
            found.push((ownership_of(cluster, object, reads).await?, member));
        }
        return match found.len() {
            0 => Err(not_found()),
            1 => Ok(Answer::One(Box::new(found.remove(0).0))),
            n => {
                ui::status(&format!(
                    "{}/{name} is in {n} member clusters",
                    kind.kind.to_lowercase()
                ));
                Ok(Answer::Workloads {
                    detail: "CLUSTER",
                    rows: found,
                })
            }
        };
    }
    let object = cluster
        .session
        .get_meta(&kind, namespace, &name)
        .await?
        .ok_or_else(not_found)?;
    Ok(Answer::One(Box::new(
        ownership_of(cluster, object, reads).await?,
    )))
}

/// Prints one answer: a card, a table, or their documents; nothing on stdout when nothing
/// matched (the sentence goes to stderr, as kubectl's `No resources found`). A lookup (`as_list`:
/// anything but a named object) is always an `OwnershipList` document, however many it found, so
/// a script reads `.items[]` whatever the cluster holds.
fn print_answer(answer: &Answer, opts: &WhoOptions, as_list: bool) -> Result<()> {
    if let Answer::Nothing(sentence) = answer {
        ui::status(sentence);
    }
    // custom-columns' rows: the one item of an `Ownership`, or each of a list's items.
    let rows = match (answer, as_list) {
        (Answer::One(_), false) => "item",
        _ => "items",
    };
    let document = super::document_format(&opts.output, rows, false);
    let out = match (answer, document) {
        (Answer::One(found), Some(format)) if !as_list => {
            documents::print(&OwnershipDocument::new(found.item()), format)
        }
        (_, Some(format)) => documents::print(&OwnershipList::new(answer.items()), format),
        (Answer::One(found), None) => card_text(found),
        (Answer::Nothing(_), None) => return Ok(()),
        (_, None) => answer_table(answer),
    };
    ui::out(&out)
}

/// `who --alert`: each alert's labels looked up in turn, one answer per alert. Labels that name
/// nothing (or name what is not there) are reported for their alert, and the exit status is 1,
/// but the other alerts are still answered.
async fn by_alerts(cluster: &Cluster, alerts: &[Alert], opts: &WhoOptions) -> Result<ExitStatus> {
    let document = super::document_format(&opts.output, "items", false);
    let mut items = Vec::new();
    let mut unresolved = Vec::new();
    let mut text = String::new();
    // Alerts of one incident name the same objects: each is read once for all of them.
    let mut reads = Reads::default();
    for (index, alert) in alerts.iter().enumerate() {
        let header = format!(
            "Alert {}/{} {}{}",
            index + 1,
            alerts.len(),
            alert.name(),
            alert
                .status
                .as_ref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default()
        );
        let answer = match alert::lookup(alert) {
            Ok(found) => {
                let namespace = found.namespace.clone().unwrap_or_default();
                match lookup(cluster, &found.target, &namespace, &mut reads).await {
                    Ok(Answer::Nothing(sentence)) => Err(sentence),
                    Ok(answer) => Ok((found, answer)),
                    // What the labels name is not there, or not for us to see: this alert's
                    // answer, not the end of the others.
                    Err(e) if matches!(e.status, Some(403 | 404)) || e.kind == ErrorKind::Usage => {
                        Err(e.message)
                    }
                    Err(e) => return Err(e),
                }
            }
            Err(reason) => Err(reason),
        };
        let tag = |via: Option<&str>| AlertTag {
            index: index + 1,
            name: alert.name().to_string(),
            status: alert.status.clone(),
            via: via.map(str::to_string),
        };
        match answer {
            Ok((found, answer)) => {
                for mut item in answer.items() {
                    item.alert = Some(tag(Some(&found.via)));
                    items.push(item);
                }
                if document.is_none() {
                    if !text.is_empty() {
                        text.push('\n');
                    }
                    text.push_str(&ui::terminal_safe(&format!("{header}: {}", found.via)));
                    text.push('\n');
                    text.push_str(&match &answer {
                        Answer::One(found) => card_text(found),
                        _ => answer_table(&answer),
                    });
                }
            }
            Err(reason) => {
                ui::partial_error(&format!("{header}: {reason}"));
                unresolved.push(UnresolvedAlert {
                    alert: tag(None),
                    reason,
                });
            }
        }
    }
    let status = match unresolved.is_empty() {
        true => ExitStatus::Success,
        false => ExitStatus::Failed,
    };
    let out = match document {
        Some(format) => {
            let mut list = OwnershipList::new(items);
            list.unresolved = unresolved;
            documents::print(&list, format)
        }
        None => text,
    };
    ui::out(&out)?;
    Ok(status)
}

/// Objects read during one command: the pods of one ReplicaSet read it once, and so do the
/// steps of one lookup and the alerts of one payload.
#[derive(Default)]
struct Reads {
    /// By (resource, namespace, name): what a GET found — through a multi-cluster engine, every
    /// member's object of that name (one list by `metadata.name`).
    objects: HashMap<(String, Option<String>, String), Vec<MetaObject>>,
}

impl Reads {
    /// One object's metadata; through a multi-cluster engine, the one in `member` (a GET by name
    /// is ambiguous there).
    async fn get(
        &mut self,
        cluster: &Cluster,
        kind: &Kind,
        namespace: Option<&str>,
        name: &str,
        member: Option<&str>,
    ) -> Result<Option<MetaObject>> {
        let key = (
            kind.qualified_plural(),
            namespace.map(str::to_string),
            name.to_string(),
        );
        if !self.objects.contains_key(&key) {
            let found = match cluster.session.aggregator {
                Some(_) => named_everywhere(cluster, kind, namespace, name).await?,
                None => cluster
                    .session
                    .get_meta(kind, namespace, name)
                    .await?
                    .into_iter()
                    .collect(),
            };
            self.objects.insert(key.clone(), found);
        }
        Ok(self.objects[&key]
            .iter()
            .find(|o| o.cluster.as_deref() == member)
            .cloned())
    }
}

/// Every member cluster's object of this name, through a multi-cluster engine: one list by
/// `metadata.name` (the field selector every engine serves).
async fn named_everywhere(
    cluster: &Cluster,
    kind: &Kind,
    namespace: Option<&str>,
    name: &str,
) -> Result<Vec<MetaObject>> {
    cluster
        .session
        .list_meta(
            kind,
            namespace,
            None,
            Some(&format!("metadata.name={name}")),
        )
        .await
}

/// An object's controller chain (object first, through targeted GETs) and its ownership.
async fn ownership_of(cluster: &Cluster, object: MetaObject, reads: &mut Reads) -> Result<Found> {
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
        // Discovery (for CRD owners) is cached by the session: once per group-version.
        let owner_kind = match cluster.catalog.by_owner(&owner.api_version, &owner.kind) {
            Some(k) if k.workload => cluster.served_kind(k).await?,
            // The other kinds kubectl-owner knows are not controllers.
            Some(_) => None,
            // A kind never heard of (an operator's CRD): discovery says where it is served.
            // Core kinds are not (a static pod's Node is where it runs, not who owns it).
            None => match Kind::owner(&owner.api_version, &owner.kind) {
                Some(unknown) if !unknown.group.is_empty() => {
                    cluster.session.discover(&unknown).await?
                }
                _ => None,
            },
        };
        let Some(owner_kind) = owner_kind else { break };
        let owner_namespace = namespace.as_deref().filter(|_| owner_kind.namespaced);
        let member = chain.last().and_then(|o| o.cluster.clone());
        match reads
            .get(
                cluster,
                &owner_kind,
                owner_namespace,
                &owner.name,
                member.as_deref(),
            )
            .await
        {
            Ok(Some(next)) if next.uid == owner.uid || owner.uid.is_empty() => chain.push(next),
            Ok(_) => break,
            // An operator's kind the read-only role does not cover: the chain stops below it,
            // and the answer says it may be incomplete.
            Err(e) if e.is_forbidden() => {
                ui::warn(&format!(
                    "ownership unknown above {}: {}",
                    chain.last().map(MetaObject::reference).unwrap_or_default(),
                    e.message
                ));
                break;
            }
            Err(e) => return Err(e),
        }
    }
    let ns_meta = match &namespace {
        Some(ns) => reads
            .get(
                cluster,
                cluster.catalog.namespace(),
                None,
                ns,
                chain[0].cluster.as_deref(),
            )
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
    Ok(Found { chain, own })
}

/// `who IP`: the pods that have this IP now, found with one field-selected list across every
/// namespace; one pod is its card, several (a node's or host network's IP) a table.
async fn by_ip(cluster: &Cluster, ip: std::net::IpAddr, reads: &mut Reads) -> Result<Answer> {
    let (pods, mut unreadable) = pods_where(cluster, &format!("status.podIP={ip}")).await?;
    let mut found = Vec::new();
    for pod in pods {
        found.push(ownership_of(cluster, pod, reads).await?);
    }
    if found.is_empty() {
        // A Service's cluster IP: one more field-selected list.
        let (services, refused) = cluster
            .list_everywhere(
                &Kind::service(),
                None,
                Some(&format!("spec.clusterIP={ip}")),
            )
            .await?;
        unreadable.extend(refused);
        if let Some(service) = services.first() {
            let namespace = service.namespace.clone().unwrap_or_default();
            ui::status(&format!(
                "{ip} is the cluster IP of Service {namespace}/{}",
                service.name
            ));
            return by_service(cluster, &namespace, &service.name, reads).await;
        }
        // A pod's other address (dual-stack: `status.podIP` is its first only) is in the
        // EndpointSlices of the Services that select it.
        let endpoints = inventory::unless_refused(
            cluster.session.endpoints_with(ip).await,
            &Kind::endpoint_slice(),
            &mut unreadable,
        )?;
        let mut seen = std::collections::HashSet::new();
        for endpoint in endpoints {
            let Some(pod) = endpoint.pod else { continue };
            if !seen.insert((endpoint.namespace.clone(), pod.clone())) {
                continue;
            }
            let Some(object) = reads
                .get(
                    cluster,
                    cluster.catalog.pod(),
                    Some(&endpoint.namespace),
                    &pod,
                    None,
                )
                .await?
            else {
                continue;
            };
            ui::status(&format!(
                "{ip} is an endpoint of Service {}/{}: pod {pod}",
                endpoint.namespace,
                endpoint.service.as_deref().unwrap_or("<unknown>")
            ));
            found.push(ownership_of(cluster, object, reads).await?);
        }
    }
    inventory::warn_unreadable(&unreadable, None);
    Ok(match found.len() {
        0 => Answer::Nothing(format!(
            "No pod or Service has IP {ip} now{}; pod IPs are reused, so an old alert may name a pod that is gone.",
            unseen(&unreadable)
        )),
        1 => Answer::One(Box::new(found.remove(0))),
        several => {
            ui::status(&format!(
                "{several} pods share IP {ip} (a node's address: host network pods)"
            ));
            Answer::Pods(found)
        }
    })
}

/// The pods of every namespace that the field selector picks and that have not finished
/// (metadata only, one list; per namespace when RBAC refuses it cluster-wide), and what could not
/// be read. A finished pod keeps its IP and node in its status, but no longer holds either: two
/// running pods with one IP are host-network pods, and a node's pods are the ones running there.
async fn pods_where(cluster: &Cluster, fields: &str) -> Result<(Vec<MetaObject>, Vec<Unreadable>)> {
    let fields = format!("{fields},status.phase!=Succeeded,status.phase!=Failed");
    cluster
        .list_everywhere(cluster.catalog.pod(), None, Some(&fields))
        .await
}

/// ` among those that could be read` when some lists could not be: "nothing has it" is then
/// partial.
fn unseen(unreadable: &[Unreadable]) -> &'static str {
    match unreadable.is_empty() {
        true => "",
        false => " among those that could be read",
    }
}

/// `who node/NAME`: every workload with pods on the node (one field-selected list of the pods,
/// then each controller read once), one row per workload with its team.
async fn by_node(cluster: &Cluster, node: &str, reads: &mut Reads) -> Result<Answer> {
    let (pods, unreadable) = pods_where(cluster, &format!("spec.nodeName={node}")).await?;
    inventory::warn_unreadable(&unreadable, None);
    if pods.is_empty() {
        return Ok(Answer::Nothing(format!(
            "No pod runs on node {node} now{}.",
            unseen(&unreadable)
        )));
    }
    workloads_of(cluster, pods, reads).await
}

/// `who svc/NAME`: the workloads whose pods the Service selects (one read of the Service, one
/// label-selected list of pods, each controller read once); the Service's own team, when it has
/// one, is said first.
async fn by_service(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
    reads: &mut Reads,
) -> Result<Answer> {
    match service_pods(cluster, namespace, name, reads).await? {
        Ok(pods) => workloads_of(cluster, pods, reads).await,
        Err(sentence) => Ok(Answer::Nothing(sentence)),
    }
}

/// The pods a Service selects now (one read of the Service, one label-selected list), after
/// saying the Service's own team when it has one; the sentence saying why there are none.
async fn service_pods(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
    reads: &mut Reads,
) -> Result<Result<Vec<MetaObject>, String>> {
    let Some((service, selector)) = cluster.session.get_service(namespace, name).await? else {
        return Err(Error::cluster(format!(
            "Error from server (NotFound): services \"{name}\" not found"
        ))
        .with_status(404));
    };
    say_team(cluster, service, reads).await?;
    if selector.is_empty() {
        return Ok(Err(format!(
            "Service {namespace}/{name} has no selector: its endpoints are not pods it selects."
        )));
    }
    let labels: Vec<String> = selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let labels = labels.join(",");
    let pods = cluster
        .session
        .list_meta(cluster.catalog.pod(), Some(namespace), Some(&labels), None)
        .await?;
    if pods.is_empty() {
        return Ok(Err(format!(
            "Service {namespace}/{name} selects no pod now ({labels})."
        )));
    }
    Ok(Ok(pods))
}

/// `Service payments/api: team edge, from …` on stderr, for a Service, Ingress or route whose
/// own labels or annotations give it a team (it may not be the workloads' team).
async fn say_team(cluster: &Cluster, object: MetaObject, reads: &mut Reads) -> Result<()> {
    let place = format!(
        "{} {}/{}",
        object.kind,
        object.namespace.as_deref().unwrap_or_default(),
        object.name
    );
    let (kind, name) = (object.kind.to_string(), object.name.clone());
    let own = ownership_of(cluster, object, reads).await?.own;
    if let (Some(team), Some(source)) = (own.team.value(), own.team.source.as_ref())
        && source.kind == kind
        && source.name == name
    {
        ui::status(&format!("{place}: team {team}, from {}", source.describe()));
    }
    Ok(())
}

/// `who host/NAME`: the Ingress rules (exact or one-label wildcard hosts) and, when the Gateway
/// API is installed, the HTTPRoutes (`hostnames`, wildcard suffixes) that route the host, their
/// backend Services, and the workloads those select — each with the route it came through.
async fn by_host(cluster: &Cluster, host: &str, reads: &mut Reads) -> Result<Answer> {
    let mut unreadable = Vec::new();
    // (namespace, Service, the route that names it)
    let mut backends: Vec<(String, String, String)> = Vec::new();
    let mut routes: Vec<MetaObject> = Vec::new();
    let ingresses: Vec<Ingress> = match inventory::unless_refused(
        cluster.session.list_objects(&Kind::ingress(), None).await,
        &Kind::ingress(),
        &mut unreadable,
    ) {
        // Not served (an old or stripped-down API server): no Ingress routes anything.
        Err(e) if e.status == Some(404) => Vec::new(),
        other => other?,
    };
    for ingress in ingresses {
        let namespace = ingress.metadata.namespace.clone().unwrap_or_default();
        let name = ingress.metadata.name.clone().unwrap_or_default();
        let rules = ingress
            .spec
            .as_ref()
            .and_then(|s| s.rules.clone())
            .unwrap_or_default();
        let mut matched = false;
        for rule in rules {
            if !rule
                .host
                .as_deref()
                .is_some_and(|h| host::ingress_matches(h, host))
            {
                continue;
            }
            matched = true;
            for path in rule.http.map(|h| h.paths).unwrap_or_default() {
                if let Some(service) = path.backend.service {
                    backends.push((namespace.clone(), service.name, format!("ingress/{name}")));
                }
            }
        }
        if matched {
            routes.push(session::object_meta(&Kind::ingress(), ingress.metadata));
        }
    }
    // v1 since Gateway API 1.0; older installs serve v1beta1 only.
    let mut http_route = None;
    for version in ["v1", "v1beta1"] {
        let kind = Kind {
            version: version.to_string(),
            ..Kind::http_route()
        };
        if let Some(served) = cluster.session.discover(&kind).await? {
            http_route = Some(served);
            break;
        }
    }
    let http_route = match http_route {
        Some(kind) => Some(kind),
        None => {
            ui::log(2, || {
                "the Gateway API is not installed: no HTTPRoutes to read".to_string()
            });
            None
        }
    };
    if let Some(kind) = http_route {
        let listed: Vec<DynamicObject> = inventory::unless_refused(
            cluster.session.list_objects(&kind, None).await,
            &kind,
            &mut unreadable,
        )?;
        for route in listed {
            let spec = &route.data["spec"];
            let names_host = spec["hostnames"].as_array().is_some_and(|h| {
                h.iter()
                    .filter_map(|h| h.as_str())
                    .any(|h| host::route_matches(h, host))
            });
            if !names_host {
                continue;
            }
            let namespace = route.metadata.namespace.clone().unwrap_or_default();
            let name = route.metadata.name.clone().unwrap_or_default();
            let refs = spec["rules"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|rule| rule["backendRefs"].as_array().into_iter().flatten());
            for backend in refs {
                // A backendRef is a core Service unless it names another group or kind.
                let group = backend["group"].as_str().unwrap_or("");
                let kind = backend["kind"].as_str().unwrap_or("Service");
                let (Some(service), true) = (
                    backend["name"].as_str(),
                    group.is_empty() && kind == "Service",
                ) else {
                    continue;
                };
                let service_namespace = backend["namespace"].as_str().unwrap_or(&namespace);
                backends.push((
                    service_namespace.to_string(),
                    service.to_string(),
                    format!("httproute/{name}"),
                ));
            }
            routes.push(session::object_meta(&kind, route.metadata));
        }
    }
    inventory::warn_unreadable(&unreadable, None);
    for route in routes {
        say_team(cluster, route, reads).await?;
    }
    backends.sort();
    backends.dedup();
    let mut found = Vec::new();
    for (namespace, service, route) in &backends {
        let pods = match service_pods(cluster, namespace, service, reads).await {
            Ok(Ok(pods)) => pods,
            Ok(Err(sentence)) => {
                ui::status(&sentence);
                continue;
            }
            Err(e) if e.status == Some(404) => {
                ui::status(&format!(
                    "{route} sends {host} to Service {namespace}/{service}, which does not exist."
                ));
                continue;
            }
            Err(e) => return Err(e),
        };
        for pod in pods {
            let via = vec![format!("{route} → svc/{service}")];
            found.push((ownership_of(cluster, pod, reads).await?, via));
        }
    }
    if found.is_empty() {
        return Ok(Answer::Nothing(format!(
            "No Ingress or HTTPRoute routes {host} to pods now{}.",
            unseen(&unreadable)
        )));
    }
    let rows = by_workload(found, merge_new);
    Ok(Answer::Workloads {
        detail: "VIA",
        rows: rows
            .into_iter()
            .map(|(found, via)| (found, via.join(",")))
            .collect(),
    })
}

/// One entry per workload (the top of each pod's chain) with its pod count, each controller
/// read once.
async fn workloads_of(
    cluster: &Cluster,
    pods: Vec<MetaObject>,
    reads: &mut Reads,
) -> Result<Answer> {
    let mut counted = Vec::new();
    for pod in pods {
        counted.push((ownership_of(cluster, pod, reads).await?, 1usize));
    }
    let rows = by_workload(counted, |count, more| *count += more);
    Ok(Answer::Workloads {
        detail: "PODS",
        rows: rows
            .into_iter()
            .map(|(found, count)| (found, count.to_string()))
            .collect(),
    })
}

/// Entries with the same top of chain made one (their values merged), each cut to its top, in
/// namespace, kind, name order.
fn by_workload<T>(found: Vec<(Found, T)>, merge: impl Fn(&mut T, T)) -> Vec<(Found, T)> {
    let mut workloads: Vec<(Found, T)> = Vec::new();
    for (Found { mut chain, own }, value) in found {
        let top = chain.pop().expect("a chain has its object");
        match workloads
            .iter_mut()
            .find(|(w, _)| w.chain[0].uid == top.uid)
        {
            Some((_, merged)) => merge(merged, value),
            None => workloads.push((
                Found {
                    chain: vec![top],
                    own,
                },
                value,
            )),
        }
    }
    workloads.sort_by(|(a, _), (b, _)| {
        let key = |f: &Found| {
            let o = &f.chain[0];
            (o.namespace.clone(), o.kind.clone(), o.name.clone())
        };
        key(a).cmp(&key(b))
    });
    workloads
}

/// `who image/…`: the workloads whose pod templates run a matching image, from the Images
/// column of each workload kind's `Table` (no spec is read), then each match's chain to its
/// top. A ReplicaSet under a Deployment counts while it still has pods (a rollout in progress
/// runs the old image); other controlled objects are their controller's template.
async fn by_image(cluster: &Cluster, image: &ImagePattern, reads: &mut Reads) -> Result<Answer> {
    let kinds = cluster.installed_workloads().await?;
    let catalog = &cluster.catalog;
    // The images of a row worth answering with: a controlled row only while it has pods.
    let running = |row: &TableRow, table: &ServerTable| -> Vec<String> {
        let cell = |column: &str| {
            table
                .column(column)
                .and_then(|i| row.cells.get(i))
                .map(cell_text)
        };
        let controlled = row
            .object
            .controller
            .as_ref()
            .is_some_and(|c| catalog.is_workload(&c.api_version, &c.kind));
        let has_pods = cell("Current").is_some_and(|n| n.parse::<u64>().is_ok_and(|n| n > 0));
        if controlled && !has_pods {
            return Vec::new();
        }
        cell("Images")
            .unwrap_or_default()
            .split(',')
            .filter(|i| image.matches(i))
            .map(str::to_string)
            .collect()
    };
    // Rows are filtered page by page: no kind's whole table is held.
    let (tables, unreadable) = cluster
        .tables_everywhere(&kinds, None, &|row, table| !running(row, table).is_empty())
        .await?;
    inventory::warn_unreadable(&unreadable, None);
    let mut matched = Vec::new();
    let mut without_images = Vec::new();
    for (kind, table) in tables {
        if table.column("Images").is_none() {
            without_images.push(kind.qualified_plural());
        }
        for row in &table.rows {
            let images = running(row, &table);
            matched.push((
                ownership_of(cluster, row.object.clone(), reads).await?,
                images,
            ));
        }
    }
    // The Pod table has no image column and pod specs are never read.
    let mut unsearched =
        "bare pods (no controller) are not searched, only pod templates".to_string();
    if !without_images.is_empty() {
        unsearched.push_str(&format!(
            "; {} only through the workloads they control (the server's table has no Images column)",
            without_images.join(", ")
        ));
    }
    ui::note(&unsearched);
    let rows = by_workload(matched, merge_new);
    if rows.is_empty() {
        return Ok(Answer::Nothing(format!(
            "No workload's pod template runs {}{}.",
            image.describe(),
            unseen(&unreadable)
        )));
    }
    Ok(Answer::Workloads {
        detail: "IMAGE",
        rows: rows
            .into_iter()
            .map(|(found, images)| (found, images.join(",")))
            .collect(),
    })
}

/// Adds the values of `more` not yet in `values`.
fn merge_new(values: &mut Vec<String>, more: Vec<String>) {
    for value in more {
        if !values.contains(&value) {
            values.push(value);
        }
    }
}

/// A Table cell as text (numbers as kubectl prints them).
fn cell_text(cell: &serde_json::Value) -> String {
    match cell {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Several objects as one table: where each is and what runs it, then its team, stage and how
/// to reach them.
fn answer_table(answer: &Answer) -> String {
    let (leading, rows): (&[&str], Vec<Vec<String>>) = match answer {
        Answer::Pods(pods) => (
            &["NAMESPACE", "POD", "WORKLOAD"],
            pods.iter()
                .map(|found| {
                    let (pod, top) = (&found.chain[0], found.chain.last().expect("a chain"));
                    contact_row(
                        vec![
                            table::or_none(pod.namespace.as_deref()),
                            pod.name.clone(),
                            top.reference(),
                        ],
                        &found.own,
                    )
                })
                .collect(),
        ),
        Answer::Workloads { detail, rows } => (
            &["NAMESPACE", "WORKLOAD", detail],
            rows.iter()
                .map(|(found, value)| {
                    let workload = &found.chain[0];
                    contact_row(
                        vec![
                            table::or_none(workload.namespace.as_deref()),
                            workload.reference(),
                            value.clone(),
                        ],
                        &found.own,
                    )
                })
                .collect(),
        ),
        Answer::One(_) | Answer::Nothing(_) => unreachable!("a card or a sentence, not a table"),
    };
    let mut headers = leading.to_vec();
    headers.extend(["TEAM", "STAGE", "CHAT", "ONCALL"]);
    table::table(&headers, &rows, false)
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
fn card_text(found: &Found) -> String {
    let chain: Vec<&MetaObject> = found.chain.iter().collect();
    let own = &found.own;
    let object = chain[0];
    let mut out = String::new();
    let mut place = match &object.namespace {
        Some(ns) => format!("{}/{} in namespace {}", object.kind, object.name, ns),
        None => format!("{}/{}", object.kind, object.name),
    };
    if let Some(member) = &object.cluster {
        place.push_str(&format!(", cluster {member}"));
    }
    out.push_str(&format!("Object:  {}\n", ui::terminal_safe(&place)));
    out.push_str(&format!(
        "Chain:   {}\n\n",
        ui::terminal_safe(&ownership::describe_chain(&chain))
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
