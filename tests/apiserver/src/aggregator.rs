//! Emulators of the two multi-cluster aggregation engines that serve the ordinary Kubernetes
//! list API over many member clusters: Clusterpedia's `resources` API and Karmada's search proxy
//! (`karmada-search`'s `proxying/karmada/proxy`).
//!
//! [`AggregatorServer`] binds `127.0.0.1`, serves on its own thread (with its own tokio runtime)
//! and stops when dropped, like [`TestServer`]. It fronts member [`TestServer`]s (plain HTTP,
//! no auth), forwarding each read to them over HTTP and merging their answers the way the engine
//! does. [`AggregatorServer::url`] includes the engine's base path, so it is what a kubeconfig's
//! `server:` holds, and clients (kubectl, kube-rs) address the usual API paths under it.
//!
//! What each engine does, as emulated (from the engines' sources and documentation):
//!
//! **Clusterpedia** (`/apis/clusterpedia.io/v1beta1/resources`)
//! - Discovery is Clusterpedia's own, built from the resources it syncs: `/api` names `v1`,
//!   `/apis` lists only groups with a synced resource, and each APIResourceList lists only the
//!   synced resources with verbs `get` and `list` (no subresources). It is legacy discovery
//!   only: an aggregated-discovery `Accept` still gets plain `application/json`, and clients fall
//!   back. A resource that is not synced is delegated to the generic API server: 404 NotFound.
//! - Lists merge every member's objects, each annotated `shadow.clusterpedia.io/cluster-name`
//!   (the annotation Clusterpedia's synchro stores on every object). Clusterpedia sets no default
//!   order (its storage layer orders by request only); the emulator answers in cluster, namespace,
//!   name order, stable across pages.
//! - Search conditions come as URL query parameters or as "search labels" in `labelSelector`:
//!   every requirement whose key contains `clusterpedia.io` is a search condition and is stripped
//!   before the rest selects labels. Emulated: `withContinue` / `search.clusterpedia.io/with-continue`,
//!   `withRemainingCount` / `search.clusterpedia.io/with-remaining-count` (booleans decoded as
//!   apimachinery does: `0`/`false` false, anything else, empty included, true), `clusters` /
//!   `search.clusterpedia.io/clusters`, `namespaces` / `search.clusterpedia.io/namespaces`,
//!   `names` / `search.clusterpedia.io/names`, and `search.clusterpedia.io/offset` and
//!   `search.clusterpedia.io/limit` (or the older `.../size`), which `continue` and `limit` win
//!   over. Other search labels (`orderby`, owners, …) are accepted and ignored.
//! - Paging: `limit` is a page size and `continue` a numeric offset (anything else: 400
//!   `Invalid Query Offset(…)`). `metadata.continue` is sent ONLY with with-continue, and then
//!   exactly when the page is full (`len(items) == limit`, so a last page that is exactly full
//!   still carries a token, and the next page is empty). Without with-continue a limited list is
//!   silently its first page — Clusterpedia does this on purpose so kubectl's chunked list stops
//!   after one chunk. With with-remaining-count, `metadata.remainingItemCount` is
//!   `total - offset - len(items)` (negative past the end, as Clusterpedia's own comment says).
//! - `as=Table` and `as=PartialObjectMetadataList` are forwarded to the members and merged.
//!   Clusterpedia's table generator prepends a `Cluster` column to every Table (first cell of
//!   every row = the cluster name); so does the emulator.
//! - Only `get` and `list` are served: any other verb (create, update, patch, delete, watch)
//!   answers 405 MethodNotAllowed (`<verb> is not supported on resources of kind "<resource>"`).
//!   A get by name needs a cluster (400 `please specify the cluster name when using the resource
//!   name to get a specific resource.`); the cluster-scoped prefix `/clusters/<name>` before the
//!   API path selects one member for gets and lists.
//! - The field selector is forwarded to the members (Clusterpedia's own enhanced field selector is
//!   not emulated: a member refuses fields it does not index).
//!
//! **Karmada** (`/apis/search.karmada.io/v1alpha1/proxying/karmada/proxy`)
//! - Discovery, `/version` and OpenAPI are forwarded to the first member.
//! - Lists merge the members in sorted cluster-name order, each object annotated
//!   `resource.karmada.io/cached-from-cluster`. The list's `resourceVersion` is Karmada's
//!   multi-cluster one: unpadded URL-safe base64 of `{"<cluster>":"<rv>",…}` sorted by cluster.
//! - Each member's cache is an apiserver watch cache over a delegating store: a list with
//!   `resourceVersion=0` and no `limit` is served from the cache (the whole of every member's
//!   list); any other list is delegated "live" to the members. Both answer correctly here, but the
//!   request log ([`AggregatorRecord::source`]) says which it was, so tests can assert a client
//!   used the cache.
//! - A live list with `limit` walks the members in order, as Karmada's `MultiClusterCache.List`
//!   does: it asks each for what is left of the limit and, once the limit is used, answers an
//!   opaque continue token (unpadded URL-safe base64 of `{"rv":…,"cluster":…,"continue":…}`)
//!   naming the member to go on with and that member's own token (or the next member, when this
//!   one had no more). An undecodable token is ignored (a first page), as Karmada's is.
//! - Field selectors: only `metadata.name` and `metadata.namespace` (the proxy's attribute
//!   function and the empty scheme's default conversion); anything else is 400 BadRequest
//!   `"<field>" is not a known field selector: only "metadata.name", "metadata.namespace"` (the
//!   behaviour before karmada-search learnt the core/v1 field selectors).
//! - A get by name looks in every member: found in one, it is answered with the annotation and a
//!   multi-cluster resourceVersion; found in several, 409 Conflict `ambiguous objects in clusters
//!   [a, b]`; in none, 404.
//! - Writes are refused (405, as for Clusterpedia): real Karmada would forward them to the member
//!   holding the object, which these tests do not need. Watches are not emulated (405).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use crate::resources::{self, ResourceDef};
use crate::selector::{LabelSelector, Op, Requirement};
use crate::server::query_pairs;
use crate::{ScaleParams, ServerOptions, TestServer};

/// Clusterpedia's annotation naming an object's member cluster.
pub const CLUSTERPEDIA_CLUSTER_ANNOTATION: &str = "shadow.clusterpedia.io/cluster-name";
/// Karmada's annotation naming the member cluster an object was cached from.
pub const KARMADA_CLUSTER_ANNOTATION: &str = "resource.karmada.io/cached-from-cluster";
/// Clusterpedia's search label asking for `metadata.continue`.
pub const CLUSTERPEDIA_WITH_CONTINUE: &str = "search.clusterpedia.io/with-continue";

/// Which aggregation engine an [`AggregatorServer`] emulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Clusterpedia's `resources` API (read-only, numeric offsets, continue only on request).
    Clusterpedia,
    /// Karmada's search proxy (watch-cache or live lists, opaque per-cluster continue tokens).
    Karmada,
}

impl Engine {
    /// The path the engine serves the Kubernetes API under.
    pub fn base_path(self) -> &'static str {
        match self {
            Engine::Clusterpedia => "/apis/clusterpedia.io/v1beta1/resources",
            Engine::Karmada => "/apis/search.karmada.io/v1alpha1/proxying/karmada/proxy",
        }
    }

    /// The annotation naming each object's member cluster.
    pub fn cluster_annotation(self) -> &'static str {
        match self {
            Engine::Clusterpedia => CLUSTERPEDIA_CLUSTER_ANNOTATION,
            Engine::Karmada => KARMADA_CLUSTER_ANNOTATION,
        }
    }
}

/// How to start an [`AggregatorServer`].
#[derive(Debug, Clone, Default)]
pub struct AggregatorOptions {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Clusterpedia only: the resources it syncs, as `pods` or `deployments.apps`. `None` = the
    /// core/apps/batch workloads (pods, replicationcontrollers, deployments, replicasets,
    /// statefulsets, daemonsets, jobs, cronjobs) plus namespaces and services.
    pub synced: Option<Vec<String>>,
}

/// Whether a list was served from Karmada's cache or delegated live to the members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListSource {
    /// `resourceVersion=0` and no `limit`: the members' watch caches.
    Cache,
    /// Any other list: delegated to the members' API servers.
    Live,
}

/// One request as the aggregator saw it, with the answer it gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregatorRecord {
    /// `GET`, `POST`, …
    pub method: String,
    /// The full URL path, base path included.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// The `Accept` header.
    pub accept: Option<String>,
    /// The response status.
    pub status: u16,
    /// Karmada lists only: cache or live.
    pub source: Option<ListSource>,
}

impl AggregatorRecord {
    /// The value of query parameter `key`, percent-decoded (last one wins).
    pub fn query_param(&self, key: &str) -> Option<String> {
        query_pairs(&self.query)
            .into_iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

struct State {
    engine: Engine,
    /// `(name, url)`, sorted by name.
    members: Vec<(String, String)>,
    synced: Vec<&'static ResourceDef>,
    log: Mutex<Vec<AggregatorRecord>>,
    /// Clusterpedia answers from its own storage: a paged walk's later pages (offset > 0) are
    /// read from the merged list its first page was cut from, by query, not from the members
    /// again (which would cost every page a whole fleet's lists).
    snapshots: Mutex<HashMap<String, Arc<Snapshot>>>,
}

/// A merged Clusterpedia list: the members' list envelope, and every selected entry with its
/// cluster, in order.
struct Snapshot {
    template: Value,
    entries: Vec<(String, Value)>,
    max_rv: u64,
}

/// A running aggregator; stops (and frees its port) on drop, then drops the members it started.
pub struct AggregatorServer {
    state: Arc<State>,
    url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    fleet: Vec<TestServer>,
}

impl AggregatorServer {
    /// Start an aggregator over `members`, `(cluster_name, member_url)` pairs (plain-HTTP
    /// [`TestServer`] URLs). Members are visited in cluster-name order.
    pub fn start(engine: Engine, members: &[(&str, &str)]) -> AggregatorServer {
        AggregatorServer::start_with(engine, members, AggregatorOptions::default())
    }

    /// [`AggregatorServer::start`] with options.
    pub fn start_with(
        engine: Engine,
        members: &[(&str, &str)],
        opts: AggregatorOptions,
    ) -> AggregatorServer {
        let mut members: Vec<(String, String)> = members
            .iter()
            .map(|(n, u)| (n.to_string(), u.trim_end_matches('/').to_string()))
            .collect();
        members.sort();
        let synced = match &opts.synced {
            Some(list) => list
                .iter()
                .map(|q| {
                    resources::RESOURCES
                        .iter()
                        .find(|r| r.qualified() == *q)
                        .unwrap_or_else(|| panic!("unknown resource {q} in AggregatorOptions"))
                })
                .collect(),
            None => resources::RESOURCES
                .iter()
                .filter(|r| match r.group {
                    "" => matches!(
                        r.plural,
                        "pods" | "namespaces" | "services" | "replicationcontrollers"
                    ),
                    "apps" | "batch" => true,
                    _ => false,
                })
                .collect(),
        };
        let listener = std::net::TcpListener::bind(("127.0.0.1", opts.port))
            .unwrap_or_else(|e| panic!("bind 127.0.0.1:{}: {e}", opts.port));
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let port = listener.local_addr().expect("local address").port();
        let url = format!("http://127.0.0.1:{port}{}", engine.base_path());
        let state = Arc::new(State {
            engine,
            members,
            synced,
            log: Mutex::default(),
            snapshots: Mutex::default(),
        });
        let (tx, rx) = tokio::sync::oneshot::channel();
        let st = state.clone();
        let thread = std::thread::Builder::new()
            .name(format!("aggregator-{port}"))
            .spawn(move || run(st, listener, rx))
            .expect("spawn aggregator thread");
        AggregatorServer {
            state,
            url,
            shutdown: Some(tx),
            thread: Some(thread),
            fleet: Vec::new(),
        }
    }

    /// For benches: start `clusters` member [`TestServer`]s named `cluster-01`, `cluster-02`, …,
    /// each seeded with [`TestServer::seed_scale`] at `pods_per_cluster` pods (namespaces =
    /// pods/50 and Deployments = pods/5, at least one each, the default ScaleParams' ratios),
    /// with uids made distinct per cluster ([`distinct_uids`]) — so every member holds the same
    /// names in the same namespaces — and an aggregator over them. The members live as long as
    /// the aggregator; see [`AggregatorServer::fleet`].
    pub fn start_fleet(
        engine: Engine,
        clusters: usize,
        pods_per_cluster: usize,
    ) -> AggregatorServer {
        let params = ScaleParams {
            namespaces: if pods_per_cluster == 0 {
                0
            } else {
                (pods_per_cluster / 50).max(1)
            },
            deployments: (pods_per_cluster / 5).max(1),
            pods: pods_per_cluster,
        };
        let mut fleet = Vec::with_capacity(clusters);
        let mut names = Vec::with_capacity(clusters);
        for i in 1..=clusters {
            let member = TestServer::start(ServerOptions::default());
            let name = format!("cluster-{i:02}");
            member.seed_scale(params);
            distinct_uids(&member, &name);
            names.push((name, member.url()));
            fleet.push(member);
        }
        let pairs: Vec<(&str, &str)> = names
            .iter()
            .map(|(n, u)| (n.as_str(), u.as_str()))
            .collect();
        let mut agg = AggregatorServer::start(engine, &pairs);
        agg.fleet = fleet;
        agg
    }

    /// The members [`AggregatorServer::start_fleet`] started, in cluster order (empty otherwise).
    pub fn fleet(&self) -> &[TestServer] {
        &self.fleet
    }

    /// The engine emulated.
    pub fn engine(&self) -> Engine {
        self.state.engine
    }

    /// The member cluster names, in the order lists visit them.
    pub fn clusters(&self) -> Vec<String> {
        self.state.members.iter().map(|(n, _)| n.clone()).collect()
    }

    /// `http://127.0.0.1:PORT` followed by the engine's base path: a kubeconfig's `server:`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// A kubeconfig with one cluster/user/context named `name` pointing at [`Self::url`].
    pub fn kubeconfig(&self, name: &str) -> String {
        let q = |s: &str| serde_json::to_string(s).expect("string to JSON");
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: {n}\n  cluster:\n    server: {u}\n\
             users:\n- name: {n}\n  user: {{}}\ncontexts:\n- name: {n}\n  context:\n    \
             cluster: {n}\n    user: {n}\ncurrent-context: {n}\npreferences: {{}}\n",
            n = q(name),
            u = q(&self.url)
        )
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<AggregatorRecord> {
        self.state.log.lock().expect("log lock").clone()
    }

    /// Forget the request log.
    pub fn clear_requests(&self) {
        self.state.log.lock().expect("log lock").clear();
    }

    /// Logged lists (Karmada) served from the cache / live.
    pub fn lists(&self, source: ListSource) -> Vec<AggregatorRecord> {
        self.requests()
            .into_iter()
            .filter(|r| r.source == Some(source))
            .collect()
    }
}

impl Drop for AggregatorServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Give every object of `member` a uid of its own for `cluster` (and rewrite ownerReferences to
/// match): [`TestServer`] derives uids from kind, namespace and name, so members seeded alike
/// would otherwise share uids, which real clusters never do. Deterministic per cluster.
pub fn distinct_uids(member: &TestServer, cluster: &str) {
    let salt = |uid: &str| salted_uid(cluster, uid);
    let mut store = member.state.store.write().expect("store lock");
    for def in resources::RESOURCES {
        let objs: Vec<Value> = store.all(def).into_iter().map(|e| e.value()).collect();
        for mut v in objs {
            if let Some(uid) = v.pointer("/metadata/uid").and_then(Value::as_str) {
                v["metadata"]["uid"] = json!(salt(uid));
            }
            if let Some(refs) = v
                .pointer_mut("/metadata/ownerReferences")
                .and_then(Value::as_array_mut)
            {
                for r in refs {
                    if let Some(uid) = r.get("uid").and_then(Value::as_str) {
                        r["uid"] = json!(salt(uid));
                    }
                }
            }
            store.put(def, &v);
        }
    }
}

fn salted_uid(cluster: &str, uid: &str) -> String {
    use std::hash::{Hash, Hasher};
    let half = |n: u8| {
        let mut h = std::hash::DefaultHasher::new();
        (n, cluster, uid).hash(&mut h);
        h.finish()
    };
    let hex = format!("{:016x}{:016x}", half(0), half(1));
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

// ---------------------------------------------------------------------------------------------
// Serving

fn run(
    state: Arc<State>,
    listener: std::net::TcpListener,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("aggregator runtime");
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let _ = stream.set_nodelay(true);
                    let state = state.clone();
                    tokio::spawn(async move {
                        let svc = service_fn(move |req| handle(state.clone(), req));
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    });
                }
            }
        }
    });
    rt.shutdown_background();
}

/// An answer: status and JSON body, plus the list source for the log.
struct Reply {
    status: u16,
    body: Value,
    source: Option<ListSource>,
}

impl Reply {
    fn ok(body: Value) -> Reply {
        Reply {
            status: 200,
            body,
            source: None,
        }
    }

    fn status(code: u16, reason: &str, message: impl Into<String>, details: Value) -> Reply {
        Reply {
            status: code,
            body: json!({
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": message.into(),
                "reason": reason,
                "details": details,
                "code": code,
            }),
            source: None,
        }
    }

    fn not_found_path() -> Reply {
        Reply::status(
            404,
            "NotFound",
            "the server could not find the requested resource",
            json!({}),
        )
    }

    fn bad_request(message: impl Into<String>) -> Reply {
        Reply::status(400, "BadRequest", message, json!({}))
    }

    /// apimachinery's `NewMethodNotSupported`.
    fn method_not_supported(def: &ResourceDef, verb: &str) -> Reply {
        Reply::status(
            405,
            "MethodNotAllowed",
            format!(
                "{verb} is not supported on resources of kind \"{}\"",
                def.qualified()
            ),
            json!({"group": def.group, "kind": def.plural}),
        )
    }
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::io::Error> {
    let (parts, body) = req.into_parts();
    let _ = body.collect().await;
    let method = parts.method.as_str().to_string();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("").to_string();
    let accept = parts
        .headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let reply = route(&state, &method, &path, &query, accept.as_deref()).await;
    state.log.lock().expect("log lock").push(AggregatorRecord {
        method,
        path,
        query,
        accept,
        status: reply.status,
        source: reply.source,
    });
    let body = serde_json::to_vec(&reply.body).expect("JSON");
    Ok(Response::builder()
        .status(reply.status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .expect("response"))
}

/// A resource request's target, parsed from the path under the base path.
struct Target {
    def: &'static ResourceDef,
    namespace: Option<String>,
    name: Option<String>,
    subresource: Option<String>,
}

enum Path {
    /// `/api`, `/apis`, `/api/v1`, `/apis/G`, `/apis/G/V`: discovery.
    Discovery(Vec<String>),
    /// `/version`, `/openapi/...`.
    Other,
    Resource(Target),
    Unknown,
}

fn parse_path(rest: &str) -> Path {
    let segs: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let (group, version, tail) = match segs.as_slice() {
        [a] if a == "api" || a == "apis" => return Path::Discovery(segs.clone()),
        [a, _] if a == "api" || a == "apis" => return Path::Discovery(segs.clone()),
        [a, _, _] if a == "apis" => return Path::Discovery(segs.clone()),
        [a, ..] if a == "version" || a == "openapi" => return Path::Other,
        [a, v, tail @ ..] if a == "api" => ("", v.as_str(), tail),
        [a, g, v, tail @ ..] if a == "apis" => (g.as_str(), v.as_str(), tail),
        _ => return Path::Unknown,
    };
    let (namespace, plural, name, subresource) = match tail {
        [n, ns, p, rest @ ..] if n == "namespaces" => (
            Some(ns.clone()),
            p.as_str(),
            rest.first().cloned(),
            rest.get(1).cloned(),
        ),
        [p, rest @ ..] => (
            None,
            p.as_str(),
            rest.first().cloned(),
            rest.get(1).cloned(),
        ),
        [] => return Path::Unknown,
    };
    match resources::by_plural(group, version, plural) {
        Some(def) if namespace.is_none() || def.namespaced => Path::Resource(Target {
            def,
            namespace,
            name,
            subresource,
        }),
        _ => Path::Unknown,
    }
}

async fn route(
    state: &State,
    method: &str,
    path: &str,
    query: &str,
    accept: Option<&str>,
) -> Reply {
    let base = state.engine.base_path();
    let Some(mut rest) = path.strip_prefix(base) else {
        return Reply::not_found_path();
    };
    if !rest.is_empty() && !rest.starts_with('/') {
        return Reply::not_found_path();
    }
    // Clusterpedia: `/clusters/<name>/...` addresses one member.
    let mut only_cluster = None;
    if state.engine == Engine::Clusterpedia
        && let Some(after) = rest.strip_prefix("/clusters/")
    {
        let c = after.split('/').next().unwrap_or_default();
        if !state.members.iter().any(|(n, _)| n == c) {
            return Reply::not_found_path();
        }
        only_cluster = Some(c.to_string());
        rest = &after[c.len()..];
    }
    match parse_path(rest) {
        Path::Discovery(segs) => {
            if method != "GET" {
                return Reply::status(
                    405,
                    "MethodNotAllowed",
                    "the server does not allow this method on the requested resource",
                    json!({}),
                );
            }
            match state.engine {
                Engine::Clusterpedia => clusterpedia_discovery(state, &segs),
                Engine::Karmada => forward_first(state, rest, query, accept).await,
            }
        }
        Path::Other => match state.engine {
            Engine::Karmada => forward_first(state, rest, query, accept).await,
            Engine::Clusterpedia if rest == "/version" => {
                forward_first(state, rest, query, accept).await
            }
            Engine::Clusterpedia => Reply::not_found_path(),
        },
        Path::Unknown => Reply::not_found_path(),
        Path::Resource(t) => {
            if state.engine == Engine::Clusterpedia
                && !state.synced.iter().any(|d| std::ptr::eq(*d, t.def))
            {
                return Reply::not_found_path();
            }
            let params = query_pairs(query);
            let watch = params
                .iter()
                .any(|(k, v)| k == "watch" && v != "0" && !v.eq_ignore_ascii_case("false"));
            let verb = match (method, &t.name, &t.subresource) {
                ("GET", _, Some(_)) => "get",
                ("GET", _, _) if watch => "watch",
                ("GET", Some(_), _) => "get",
                ("GET", None, _) => "list",
                ("POST", _, _) => "create",
                ("PUT", _, _) => "update",
                ("PATCH", _, _) => "patch",
                ("DELETE", Some(_), _) => "delete",
                ("DELETE", None, _) => "deletecollection",
                _ => "unknown",
            };
            if t.subresource.is_some() {
                // Neither engine serves subresources through these read paths.
                return Reply::not_found_path();
            }
            match (state.engine, verb) {
                (Engine::Clusterpedia, "list") => {
                    clusterpedia_list(state, &t, &params, accept, only_cluster.as_deref()).await
                }
                (Engine::Clusterpedia, "get") => match only_cluster {
                    None => Reply::bad_request(
                        "please specify the cluster name when using the resource name to get a specific resource.",
                    ),
                    Some(c) => clusterpedia_get(state, &c, rest, query, accept).await,
                },
                (Engine::Karmada, "list") => karmada_list(state, &t, &params, accept).await,
                (Engine::Karmada, "get") => karmada_get(state, &t, rest, query, accept).await,
                (_, verb) => Reply::method_not_supported(t.def, verb),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Members

/// GET `path_query` from a member; the status and the JSON body (a Status when not JSON).
async fn member_get(url: &str, path_query: &str, accept: Option<&str>) -> (u16, Value) {
    match member_get_inner(url, path_query, accept).await {
        Ok(r) => r,
        Err(e) => (
            503,
            json!({
                "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": format!("member {url} unreachable: {e}"),
                "reason": "ServiceUnavailable", "code": 503,
            }),
        ),
    }
}

async fn member_get_inner(
    url: &str,
    path_query: &str,
    accept: Option<&str>,
) -> Result<(u16, Value), String> {
    let authority = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("not a plain-HTTP URL: {url}"))?;
    let stream = tokio::net::TcpStream::connect(authority)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let mut req = Request::get(path_query).header("host", authority);
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    let req = req.body(Empty::<Bytes>::new()).map_err(|e| e.to_string())?;
    let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    let v = serde_json::from_slice(&body)
        .map_err(|e| format!("{e}: {}", String::from_utf8_lossy(&body)))?;
    Ok((status, v))
}

async fn forward_first(state: &State, rest: &str, query: &str, accept: Option<&str>) -> Reply {
    let Some((_, url)) = state.members.first() else {
        return Reply::not_found_path();
    };
    let pq = if query.is_empty() {
        rest.to_string()
    } else {
        format!("{rest}?{query}")
    };
    let (status, body) = member_get(url, &pq, accept).await;
    Reply {
        status,
        body,
        source: None,
    }
}

/// Percent-encode a query component.
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn build_query(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The list path of `t` on a member.
fn list_path(t: &Target) -> String {
    let prefix = if t.def.group.is_empty() {
        format!("/api/{}", t.def.version)
    } else {
        format!("/apis/{}/{}", t.def.group, t.def.version)
    };
    match &t.namespace {
        Some(ns) => format!("{prefix}/namespaces/{ns}/{}", t.def.plural),
        None => format!("{prefix}/{}", t.def.plural),
    }
}

/// The entries a list-like body carries: `rows` of a Table, `items` of any other list.
fn entries_key(body: &Value) -> &'static str {
    if body.get("kind").and_then(Value::as_str) == Some("Table") {
        "rows"
    } else {
        "items"
    }
}

fn take_entries(body: &mut Value) -> Vec<Value> {
    let key = entries_key(body);
    match body.get_mut(key).map(Value::take) {
        Some(Value::Array(a)) => a,
        _ => Vec::new(),
    }
}

/// The metadata of an entry: an item's own, or a Table row's object's.
fn entry_meta_mut(entry: &mut Value, is_row: bool) -> Option<&mut Value> {
    let obj = if is_row {
        entry.get_mut("object")?
    } else {
        entry
    };
    obj.get_mut("metadata").filter(|m| m.is_object())
}

fn entry_meta(entry: &Value, is_row: bool) -> Option<&Value> {
    let obj = if is_row { entry.get("object")? } else { entry };
    obj.get("metadata")
}

fn annotate(entry: &mut Value, is_row: bool, key: &str, cluster: &str) {
    if let Some(meta) = entry_meta_mut(entry, is_row) {
        if !meta.get("annotations").is_some_and(Value::is_object) {
            meta["annotations"] = json!({});
        }
        meta["annotations"][key] = json!(cluster);
    }
}

fn annotate_body(body: &mut Value, key: &str, cluster: &str) {
    if body.get("kind").and_then(Value::as_str) == Some("Table") {
        if let Some(rows) = body.get_mut("rows").and_then(Value::as_array_mut) {
            for r in rows {
                annotate(r, true, key, cluster);
            }
        }
    } else {
        annotate(body, false, key, cluster);
    }
}

/// Clusterpedia's table generator: a `Cluster` column first, each row's first cell its cluster.
fn cluster_column(body: &mut Value, clusters: &[String]) {
    if body.get("kind").and_then(Value::as_str) != Some("Table") {
        return;
    }
    if let Some(cols) = body
        .get_mut("columnDefinitions")
        .and_then(Value::as_array_mut)
    {
        cols.insert(
            0,
            json!({"name": "Cluster", "type": "string", "format": "", "description": "The Cluster of resource", "priority": 0}),
        );
    }
    if let Some(rows) = body.get_mut("rows").and_then(Value::as_array_mut) {
        for (row, cluster) in rows.iter_mut().zip(clusters) {
            if let Some(cells) = row.get_mut("cells").and_then(Value::as_array_mut) {
                cells.insert(0, json!(cluster));
            }
        }
    }
}

fn label_of(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// A requirement back in selector syntax.
fn requirement_text(r: &Requirement) -> String {
    match r.op {
        Op::Equals => format!("{}={}", r.key, r.values[0]),
        Op::NotEquals => format!("{}!={}", r.key, r.values[0]),
        Op::In => format!("{} in ({})", r.key, r.values.join(",")),
        Op::NotIn => format!("{} notin ({})", r.key, r.values.join(",")),
        Op::Exists => r.key.clone(),
        Op::DoesNotExist => format!("!{}", r.key),
        Op::GreaterThan => format!("{}>{}", r.key, r.values[0]),
        Op::LessThan => format!("{}<{}", r.key, r.values[0]),
    }
}

/// apimachinery's string-to-bool: `0` and `false` (any case) are false, anything else true.
fn truthy(v: &str) -> bool {
    v != "0" && !v.eq_ignore_ascii_case("false")
}

// ---------------------------------------------------------------------------------------------
// Clusterpedia

fn clusterpedia_discovery(state: &State, segs: &[String]) -> Reply {
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let groups = |state: &State| {
        let mut gs: Vec<(&str, &str)> = Vec::new();
        for d in &state.synced {
            if !d.group.is_empty() && !gs.contains(&(d.group, d.version)) {
                gs.push((d.group, d.version));
            }
        }
        gs.sort();
        gs
    };
    match segs.as_slice() {
        ["api"] => Reply::ok(json!({
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": null,
        })),
        ["apis"] => {
            let list: Vec<Value> = groups(state)
                .into_iter()
                .map(|(g, v)| resources::api_group(g, v))
                .collect();
            Reply::ok(json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": list}))
        }
        ["apis", g] => match groups(state).into_iter().find(|(gg, _)| gg == g) {
            Some((g, v)) => {
                let mut body = resources::api_group(g, v);
                body["kind"] = json!("APIGroup");
                body["apiVersion"] = json!("v1");
                Reply::ok(body)
            }
            None => Reply::not_found_path(),
        },
        ["api", v] | ["apis", _, v] => {
            let group = if segs[0] == "api" { "" } else { segs[1] };
            let mut defs: Vec<&&ResourceDef> = state
                .synced
                .iter()
                .filter(|d| d.group == group && d.version == *v)
                .collect();
            defs.sort_by_key(|d| d.plural);
            let res: Vec<Value> = defs
                .into_iter()
                .map(|d| {
                    json!({
                        "name": d.plural,
                        "singularName": "",
                        "namespaced": d.namespaced,
                        "kind": d.kind,
                        "verbs": ["get", "list"],
                    })
                })
                .collect();
            if res.is_empty() {
                return Reply::not_found_path();
            }
            let gv = if group.is_empty() {
                v.to_string()
            } else {
                format!("{group}/{v}")
            };
            Reply::ok(json!({
                "kind": "APIResourceList",
                "apiVersion": "v1",
                "groupVersion": gv,
                "resources": res,
            }))
        }
        _ => Reply::not_found_path(),
    }
}

async fn clusterpedia_get(
    state: &State,
    cluster: &str,
    rest: &str,
    query: &str,
    accept: Option<&str>,
) -> Reply {
    let url = &state
        .members
        .iter()
        .find(|(n, _)| n == cluster)
        .expect("member checked")
        .1;
    let pq = if query.is_empty() {
        rest.to_string()
    } else {
        format!("{rest}?{query}")
    };
    let (status, mut body) = member_get(url, &pq, accept).await;
    if status == 200 {
        annotate_body(&mut body, CLUSTERPEDIA_CLUSTER_ANNOTATION, cluster);
        let n = body
            .get("rows")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        cluster_column(&mut body, &vec![cluster.to_string(); n]);
    }
    Reply {
        status,
        body,
        source: None,
    }
}

/// The values of a search condition: the URL query (comma-separated) wins over the search label.
fn search_values(
    params: &[(String, String)],
    url_key: &str,
    label: Option<&Requirement>,
) -> Option<Vec<String>> {
    if let Some((_, v)) = params.iter().rev().find(|(k, _)| k == url_key) {
        return Some(
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        );
    }
    label.map(|r| r.values.clone())
}

async fn clusterpedia_list(
    state: &State,
    t: &Target,
    params: &[(String, String)],
    accept: Option<&str>,
    only_cluster: Option<&str>,
) -> Reply {
    let param = |k: &str| {
        params
            .iter()
            .rev()
            .find(|(kk, _)| kk == k)
            .map(|(_, v)| v.clone())
    };
    let selector = match LabelSelector::parse(&param("labelSelector").unwrap_or_default()) {
        Ok(s) => s,
        Err(e) => return Reply::bad_request(format!("unable to parse requirement: {e}")),
    };
    let (search, plain): (Vec<Requirement>, Vec<Requirement>) = selector
        .requirements
        .into_iter()
        .partition(|r| r.key.contains("clusterpedia.io"));
    let label = |key: &str| search.iter().find(|r| r.key == key);
    let search_bool = |url_key: &str, label_key: &str| match param(url_key) {
        Some(v) => truthy(&v),
        None => label(label_key).is_some_and(|r| r.values.first().is_some_and(|v| truthy(v))),
    };
    let with_continue = search_bool("withContinue", CLUSTERPEDIA_WITH_CONTINUE);
    let with_remaining = search_bool(
        "withRemainingCount",
        "search.clusterpedia.io/with-remaining-count",
    );
    let mut limit: i64 = match param("limit").filter(|l| !l.is_empty()) {
        Some(l) => match l.parse() {
            Ok(n) => n,
            Err(_) => return Reply::bad_request(format!("Invalid Query Limit: {l}")),
        },
        None => 0,
    };
    if limit == 0
        && let Some(r) =
            label("search.clusterpedia.io/limit").or_else(|| label("search.clusterpedia.io/size"))
    {
        match r.values.first().map(|v| v.parse::<i64>()) {
            Some(Ok(n)) => limit = n,
            _ => return Reply::bad_request(format!("Invalid Query Limit: {:?}", r.values)),
        }
    }
    let mut offset_text = param("continue").unwrap_or_default();
    if offset_text.is_empty()
        && let Some(r) = label("search.clusterpedia.io/offset")
    {
        offset_text = r.values.first().cloned().unwrap_or_default();
    }
    let offset: i64 = if offset_text.is_empty() {
        0
    } else {
        match offset_text.parse() {
            Ok(n) => n,
            Err(e) => {
                return Reply::bad_request(format!("Invalid Query Offset({offset_text}): {e}"));
            }
        }
    };
    let clusters = search_values(params, "clusters", label("search.clusterpedia.io/clusters"));
    let namespaces = search_values(
        params,
        "namespaces",
        label("search.clusterpedia.io/namespaces"),
    );
    let names = search_values(params, "names", label("search.clusterpedia.io/names"));

    // What the members are asked: the plain label selector, everything else but paging and the
    // search conditions.
    const OWN: &[&str] = &[
        "labelSelector",
        "limit",
        "continue",
        "resourceVersion",
        "resourceVersionMatch",
        "withContinue",
        "withRemainingCount",
        "clusters",
        "namespaces",
        "names",
        "orderby",
        "ownerUID",
        "ownerID",
        "ownerName",
        "ownerGR",
        "ownerSeniority",
        "since",
        "before",
    ];
    let mut forward: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| !OWN.contains(&k.as_str()))
        .cloned()
        .collect();
    if !plain.is_empty() {
        let text: Vec<String> = plain.iter().map(requirement_text).collect();
        forward.push(("labelSelector".into(), text.join(",")));
    }
    let q = build_query(&forward);
    let path = if q.is_empty() {
        list_path(t)
    } else {
        format!("{}?{q}", list_path(t))
    };

    let key = format!("{accept:?}|{path}|{only_cluster:?}|{clusters:?}|{namespaces:?}|{names:?}");
    let cached = match offset > 0 {
        true => state
            .snapshots
            .lock()
            .expect("snapshots")
            .get(&key)
            .cloned(),
        false => None,
    };
    let snapshot = match cached {
        Some(snapshot) => snapshot,
        None => {
            let snapshot = match clusterpedia_merge(
                state,
                t,
                &path,
                accept,
                only_cluster,
                clusters.as_ref(),
                namespaces.as_ref(),
                names.as_ref(),
            )
            .await
            {
                Ok(snapshot) => Arc::new(snapshot),
                Err(reply) => return reply,
            };
            state
                .snapshots
                .lock()
                .expect("snapshots")
                .insert(key, snapshot.clone());
            snapshot
        }
    };
    let mut out = snapshot.template.clone();
    let max_rv = snapshot.max_rv;
    let entries = &snapshot.entries;
    let is_row = entries_key(&out) == "rows";
    let total = entries.len() as i64;
    let start = offset.clamp(0, total) as usize;
    let end = if limit > 0 {
        (start + limit as usize).min(entries.len())
    } else {
        entries.len()
    };
    let page: Vec<(String, Value)> = entries[start..end].to_vec();
    let mut meta = json!({"resourceVersion": max_rv.to_string()});
    // Clusterpedia: `if WithContinue && len(objects) == Limit { continue = offset + limit }`.
    if with_continue && page.len() as i64 == limit {
        meta["continue"] = json!((offset + limit).to_string());
    }
    if with_remaining {
        meta["remainingItemCount"] = json!(total - offset - page.len() as i64);
    }
    let mut clusters_of = Vec::with_capacity(page.len());
    let mut list = Vec::with_capacity(page.len());
    for (cluster, mut e) in page {
        annotate(&mut e, is_row, CLUSTERPEDIA_CLUSTER_ANNOTATION, &cluster);
        clusters_of.push(cluster);
        list.push(e);
    }
    out[if is_row { "rows" } else { "items" }] = Value::Array(list);
    out["metadata"] = meta;
    cluster_column(&mut out, &clusters_of);
    Reply::ok(out)
}

/// Every member's list at `path`, merged in cluster order and filtered by Clusterpedia's
/// cluster, namespace and name conditions; a member's error is the answer.
#[allow(clippy::too_many_arguments)]
async fn clusterpedia_merge(
    state: &State,
    t: &Target,
    path: &str,
    accept: Option<&str>,
    only_cluster: Option<&str>,
    clusters: Option<&Vec<String>>,
    namespaces: Option<&Vec<String>>,
    names: Option<&Vec<String>>,
) -> Result<Snapshot, Reply> {
    let mut template: Option<Value> = None;
    let mut entries: Vec<(String, Value)> = Vec::new();
    let mut max_rv: u64 = 0;
    for (cluster, url) in &state.members {
        let (status, mut body) = member_get(url, path, accept).await;
        if status != 200 {
            return Err(Reply {
                status,
                body,
                source: None,
            });
        }
        if let Some(rv) = body
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<u64>().ok())
        {
            max_rv = max_rv.max(rv);
        }
        let selected = only_cluster.is_none_or(|c| c == cluster)
            && clusters.as_ref().is_none_or(|cs| cs.contains(cluster));
        let items = take_entries(&mut body);
        if template.is_none() {
            template = Some(body);
        }
        if selected {
            entries.extend(items.into_iter().map(|i| (cluster.clone(), i)));
        }
    }
    let template = template.unwrap_or_else(|| {
        json!({
            "kind": format!("{}List", t.def.kind),
            "apiVersion": t.def.api_version(),
            "metadata": {"resourceVersion": ""},
            "items": [],
        })
    });
    let is_row = entries_key(&template) == "rows";
    if namespaces.is_some() || names.is_some() {
        entries.retain(|(_, e)| {
            let Some(meta) = entry_meta(e, is_row) else {
                return true;
            };
            namespaces
                .as_ref()
                .is_none_or(|ns| label_of(meta, "namespace").is_some_and(|n| ns.contains(&n)))
                && names
                    .as_ref()
                    .is_none_or(|ns| label_of(meta, "name").is_some_and(|n| ns.contains(&n)))
        });
    }
    Ok(Snapshot {
        template,
        entries,
        max_rv,
    })
}

// ---------------------------------------------------------------------------------------------
// Karmada

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Karmada's multi-cluster resourceVersion: `{"a":"1","b":"2"}` sorted by cluster, base64.
fn multi_rv(rvs: &BTreeMap<String, String>) -> String {
    if rvs.is_empty() {
        return String::new();
    }
    let body: Vec<String> = rvs
        .iter()
        .map(|(c, rv)| format!("\"{c}\":\"{rv}\""))
        .collect();
    b64(format!("{{{}}}", body.join(",")).as_bytes())
}

/// A multi-cluster resourceVersion decoded: `Err(())` for `0`, the per-cluster map otherwise
/// (empty when absent or undecodable, which Karmada ignores).
fn decode_multi_rv(s: &str) -> Result<BTreeMap<String, String>, ()> {
    if s == "0" {
        return Err(());
    }
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default())
}

fn field_selector_check(fs: &str) -> Result<(), String> {
    for term in fs.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let field = ["!=", "==", "="]
            .iter()
            .find_map(|op| term.split_once(op).map(|(k, _)| k.trim()))
            .ok_or_else(|| format!("invalid selector: '{term}'; can't understand '{term}'"))?;
        if field != "metadata.name" && field != "metadata.namespace" {
            return Err(format!(
                "\"{field}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
            ));
        }
    }
    Ok(())
}

async fn karmada_list(
    state: &State,
    t: &Target,
    params: &[(String, String)],
    accept: Option<&str>,
) -> Reply {
    let param = |k: &str| {
        params
            .iter()
            .rev()
            .find(|(kk, _)| kk == k)
            .map(|(_, v)| v.clone())
    };
    if let Some(fs) = param("fieldSelector")
        && let Err(e) = field_selector_check(&fs)
    {
        return Reply::bad_request(e);
    }
    let limit: i64 = param("limit").and_then(|l| l.parse().ok()).unwrap_or(0);
    let rv = param("resourceVersion").unwrap_or_default();
    let token = param("continue").unwrap_or_default();
    let source = if rv == "0" && limit <= 0 && token.is_empty() {
        ListSource::Cache
    } else {
        ListSource::Live
    };
    let request_rvs = decode_multi_rv(&rv);
    let mut forward: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "limit" | "continue" | "resourceVersion" | "resourceVersionMatch"
            )
        })
        .cloned()
        .collect();
    let rv_match = param("resourceVersionMatch");
    let rv_for = |cluster: &str| -> Option<String> {
        match &request_rvs {
            Err(()) => Some("0".into()),
            Ok(m) => m.get(cluster).cloned(),
        }
    };
    let clusters: Vec<&(String, String)> = state.members.iter().collect();
    let mut template: Option<Value> = None;
    let mut entries: Vec<Value> = Vec::new();
    let mut rvs: BTreeMap<String, String> = BTreeMap::new();
    let mut next: Option<(String, String)> = None;

    let fetch = |url: String, q: Vec<(String, String)>| async move {
        let qs = build_query(&q);
        let path = if qs.is_empty() {
            list_path(t)
        } else {
            format!("{}?{qs}", list_path(t))
        };
        member_get(&url, &path, accept).await
    };

    if limit <= 0 {
        // Every member's whole list, in cluster order.
        for (cluster, url) in &clusters {
            let mut q = forward.clone();
            if let Some(r) = rv_for(cluster) {
                q.push(("resourceVersion".into(), r));
                if let Some(m) = &rv_match {
                    q.push(("resourceVersionMatch".into(), m.clone()));
                }
            }
            let (status, mut body) = fetch(url.clone(), q).await;
            if status != 200 {
                return Reply {
                    status,
                    body,
                    source: Some(source),
                };
            }
            if let Some(r) = body
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
            {
                rvs.insert(cluster.clone(), r.to_string());
            }
            let is_row = entries_key(&body) == "rows";
            for mut e in take_entries(&mut body) {
                annotate(&mut e, is_row, KARMADA_CLUSTER_ANNOTATION, cluster);
                entries.push(e);
            }
            template.get_or_insert(body);
        }
    } else {
        // Karmada's chunked walk: the token names the member to go on with, and its own token.
        let decoded: Value = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&token)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        let mut request_cluster = label_of(&decoded, "cluster").unwrap_or_default();
        let mut member_token = label_of(&decoded, "continue").unwrap_or_default();
        let mut left = limit;
        forward.retain(|(k, _)| k != "resourceVersionMatch");
        for (i, (cluster, url)) in clusters.iter().enumerate() {
            if !request_cluster.is_empty() && &request_cluster != cluster {
                continue;
            }
            request_cluster.clear();
            let mut q = forward.clone();
            q.push(("limit".into(), left.to_string()));
            if !member_token.is_empty() {
                q.push(("continue".into(), std::mem::take(&mut member_token)));
            } else if let Some(r) = rv_for(cluster) {
                q.push(("resourceVersion".into(), r));
            }
            let (status, mut body) = fetch(url.clone(), q).await;
            if status != 200 {
                return Reply {
                    status,
                    body,
                    source: Some(source),
                };
            }
            if let Some(r) = body
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
            {
                rvs.insert(cluster.clone(), r.to_string());
            }
            let cont = body
                .pointer("/metadata/continue")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let is_row = entries_key(&body) == "rows";
            let items = take_entries(&mut body);
            left -= items.len() as i64;
            for mut e in items {
                annotate(&mut e, is_row, KARMADA_CLUSTER_ANNOTATION, cluster);
                entries.push(e);
            }
            template.get_or_insert(body);
            if left <= 0 {
                if !cont.is_empty() {
                    next = Some((cluster.clone(), cont));
                } else if i + 1 < clusters.len() {
                    next = Some((clusters[i + 1].0.clone(), String::new()));
                }
                break;
            }
        }
    }
    // No member answered (a token naming an unknown cluster): Karmada's empty `List`.
    let mut out = template.unwrap_or_else(|| json!({"kind": "List", "apiVersion": "v1"}));
    let key = entries_key(&out);
    out[key] = Value::Array(entries);
    let rv_text = if rv == "0" && rvs.values().all(|r| r == "0") {
        "0".to_string()
    } else {
        multi_rv(&rvs)
    };
    let mut meta = json!({"resourceVersion": rv_text});
    if let Some((cluster, cont)) = next {
        let mut tok = serde_json::Map::new();
        if !rv_text.is_empty() {
            tok.insert("rv".into(), json!(rv_text));
        }
        tok.insert("cluster".into(), json!(cluster));
        if !cont.is_empty() {
            tok.insert("continue".into(), json!(cont));
        }
        meta["continue"] = json!(b64(Value::Object(tok).to_string().as_bytes()));
    }
    out["metadata"] = meta;
    Reply {
        status: 200,
        body: out,
        source: Some(source),
    }
}

async fn karmada_get(
    state: &State,
    t: &Target,
    rest: &str,
    query: &str,
    accept: Option<&str>,
) -> Reply {
    let name = t.name.clone().unwrap_or_default();
    let pq = if query.is_empty() {
        rest.to_string()
    } else {
        format!("{rest}?{query}")
    };
    let mut found: Vec<(String, Value)> = Vec::new();
    for (cluster, url) in &state.members {
        let (status, body) = member_get(url, &pq, accept).await;
        match status {
            200 => found.push((cluster.clone(), body)),
            404 => {}
            _ => {
                return Reply {
                    status,
                    body,
                    source: None,
                };
            }
        }
    }
    match found.len() {
        0 => Reply::status(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", t.def.qualified()),
            json!({"name": name, "group": t.def.group, "kind": t.def.plural}),
        ),
        1 => {
            let (cluster, mut body) = found.pop().expect("one");
            annotate_body(&mut body, KARMADA_CLUSTER_ANNOTATION, &cluster);
            if body.get("kind").and_then(Value::as_str) != Some("Table")
                && let Some(rv) = body
                    .pointer("/metadata/resourceVersion")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            {
                let m = BTreeMap::from([(cluster, rv)]);
                body["metadata"]["resourceVersion"] = json!(multi_rv(&m));
            }
            Reply::ok(body)
        }
        _ => {
            let names: Vec<&str> = found.iter().map(|(c, _)| c.as_str()).collect();
            Reply::status(
                409,
                "Conflict",
                format!(
                    "Operation cannot be fulfilled on {} \"{name}\": ambiguous objects in clusters [{}]",
                    t.def.qualified(),
                    names.join(", ")
                ),
                json!({"name": name, "group": t.def.group, "kind": t.def.plural}),
            )
        }
    }
}
