//! A small Kubernetes API server emulator on loopback, for kubectl-owner's tests.
//!
//! [`TestServer::start`] binds `127.0.0.1`, serves on its own thread (with its own tokio
//! runtime) and stops when dropped. Every method is synchronous so tests can drive the
//! plugin binary with `std::process::Command` in between.
//!
//! It implements the REST semantics kubectl and kube-rs rely on: discovery, OpenAPI v3
//! documents (what `kubectl apply` validates against), list with
//! label/field selectors and `limit`/`continue` paging (whole from the "watch cache" for
//! `resourceVersion=0`, 410 with an inconsistent continue token once tokens expire),
//! `ListOptions` validation, streaming lists (watches with `sendInitialEvents=true`, ended by
//! the `k8s.io/initial-events-end` bookmark), `as=Table` and
//! `as=PartialObjectMetadata(List)` content negotiation, GET/POST/PUT/PATCH (server-side apply
//! included)/DELETE with resourceVersion preconditions and `dryRun=All`, `metadata.managedFields`
//! recorded on every write (the `fieldManager`, else the User-Agent's prefix), the protobuf
//! bodies kubectl's typed clients send, the `rbac.authorization.k8s.io` kinds, bearer tokens, a
//! small RBAC model, `Status` errors with Kubernetes' reasons, fault injection and a request log.
//!
//! [`AggregatorServer`] (module [`aggregator`]) fronts several of them as a multi-cluster
//! aggregation engine would: Clusterpedia's `resources` API or Karmada's search proxy.

pub mod aggregator;
mod managed;
mod openapi;
mod protobuf;
pub mod proxy;
mod resources;
mod seed;
pub mod selector;
mod server;
mod store;
mod table;
mod tls;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

pub use aggregator::{
    AggregatorOptions, AggregatorRecord, AggregatorServer, Engine, ListSource, distinct_uids,
};
pub use proxy::{ProxyKind, TunnelProxy};
pub use seed::ScaleParams;

/// How to start a [`TestServer`].
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// Serve HTTPS with a fresh self-signed CA (see [`TestServer::ca_pem`]).
    pub tls: bool,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
}

/// One request as the server saw it, with the answer it gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// `GET`, `PATCH`, …
    pub method: String,
    /// The URL path, e.g. `/api/v1/namespaces/payments/pods`.
    pub path: String,
    /// The raw (still percent-encoded) query string, without `?`.
    pub query: String,
    /// The `Accept` header.
    pub accept: Option<String>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The `Accept-Encoding` header.
    pub accept_encoding: Option<String>,
    /// Whether the response body was gzipped (`Content-Encoding: gzip`).
    pub gzipped: bool,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The user of the client certificate the connection presented, if any.
    pub client_certificate_user: Option<String>,
    /// The `Impersonate-User` header.
    pub impersonate_user: Option<String>,
    /// Every `Impersonate-Group` header.
    pub impersonate_groups: Vec<String>,
    /// The request body (lossy UTF-8).
    pub body: String,
    /// The response status; 0 when the connection was dropped by a fault.
    pub status: u16,
    /// Response body bytes sent (compressed, when gzipped); for a watch, those of the events
    /// sent when it opened.
    pub response_bytes: usize,
    /// For a watch stream: the events it opened with (each `ADDED` object, and the bookmark
    /// that ends the initial events when there is one).
    pub watch_events: usize,
}

impl RequestRecord {
    /// The value of query parameter `key`, percent-decoded.
    pub fn query_param(&self, key: &str) -> Option<String> {
        server::parse_query(&self.query).remove(key)
    }

    /// Every query parameter, percent-decoded, in the order sent (repeats kept).
    pub fn query_params(&self) -> Vec<(String, String)> {
        server::query_pairs(&self.query)
    }
}

/// An RBAC rule: `user` may use `verbs` on `resources` in `namespaces`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The user the bearer token maps to; when the request carries `Impersonate-User`, that
    /// user instead (impersonation itself is not authorized). Without tokens the user is `admin`.
    pub user: String,
    /// `get`, `list`, `watch`, `patch`, `update` (PUT), `create`, `delete`, or `*`.
    pub verbs: Vec<String>,
    /// Plural resource names (`deployments`, `namespaces`), or `*`.
    pub resources: Vec<String>,
    /// `None` = cluster-wide, including every namespace and cluster-wide lists.
    pub namespaces: Option<Vec<String>>,
    /// `None` = every object; otherwise only these names (never a list).
    pub resource_names: Option<Vec<String>>,
}

impl Grant {
    /// A grant of `verbs` on `resources` to `user`, cluster-wide.
    pub fn new(user: &str, verbs: &[&str], resources: &[&str]) -> Grant {
        Grant {
            user: user.to_string(),
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
            resources: resources.iter().map(|s| s.to_string()).collect(),
            namespaces: None,
            resource_names: None,
        }
    }

    /// The same grant restricted to `namespaces`.
    pub fn in_namespaces(mut self, namespaces: &[&str]) -> Grant {
        self.namespaces = Some(namespaces.iter().map(|s| s.to_string()).collect());
        self
    }
}

/// A fault applied to the next `times` requests whose method and path+query match.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// Only this method (case-insensitive); `None` = any.
    pub method: Option<String>,
    /// Substring of `path?query` that selects the requests.
    pub path_contains: String,
    /// How many matching requests get the fault.
    pub times: usize,
    /// What happens.
    pub kind: FaultKind,
}

impl Fault {
    /// A fault for the next `times` requests of any method whose path+query contains `path_contains`.
    pub fn new(path_contains: &str, times: usize, kind: FaultKind) -> Fault {
        Fault {
            method: None,
            path_contains: path_contains.to_string(),
            times,
            kind,
        }
    }

    /// The same fault, for one method only.
    pub fn method(mut self, method: &str) -> Fault {
        self.method = Some(method.to_string());
        self
    }
}

/// What a [`Fault`] does.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Wait this long, then answer normally.
    Latency(Duration),
    /// Answer with a `Status` error of this code (and `Retry-After` seconds, if given).
    Status {
        /// HTTP status code.
        code: u16,
        /// `Retry-After` header value in seconds.
        retry_after: Option<u64>,
    },
    /// Close the connection without answering.
    DropConnection,
    /// Send the status, headers with the full `Content-Length`, and half of the body, then close.
    TruncatedBody,
    /// Answer 200 with `{not json`.
    InvalidJson,
    /// before handling the matching request, apply this JSON merge patch to the addressed object
    /// (bumping its resourceVersion) — simulates a concurrent writer between our GET and PATCH
    ConcurrentPatch(Value),
    /// answer the list page normally, but hand back the request's own continue token (or, on a
    /// first page, keep the one it has) — a server stuck on one page
    EchoContinue,
    /// before handling the matching request, delete the addressed object and create it again
    /// under the same name with a new uid — simulates a delete and re-create between our reads
    Recreate,
    /// before handling the matching (continue) request, delete this object and expire every
    /// continue token — the list's snapshot is gone, and the object with it
    DeleteAndExpire {
        /// Plural resource, e.g. `pods`.
        resource: String,
        namespace: Option<String>,
        name: String,
    },
}

/// A running emulator; stops (and frees its port) on drop.
pub struct TestServer {
    state: Arc<server::State>,
    url: String,
    ca_pem: Option<String>,
    ca: Option<tls::Ca>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Start a server on 127.0.0.1 (empty store; see the `seed_*` methods).
    pub fn start(opts: ServerOptions) -> TestServer {
        let listener = std::net::TcpListener::bind(("127.0.0.1", opts.port))
            .unwrap_or_else(|e| panic!("bind 127.0.0.1:{}: {e}", opts.port));
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let (ca_pem, acceptor, ca) = if opts.tls {
            let (pem, acc, ca) = tls::make_tls();
            (Some(pem), Some(acc), Some(ca))
        } else {
            (None, None, None)
        };
        let scheme = if opts.tls { "https" } else { "http" };
        let url = format!("{scheme}://127.0.0.1:{}", addr.port());
        let state = Arc::new(server::State::new(addr.to_string()));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let st = state.clone();
        let thread = std::thread::Builder::new()
            .name(format!("test-apiserver-{}", addr.port()))
            .spawn(move || server::run(st, listener, acceptor, rx))
            .expect("spawn server thread");
        TestServer {
            state,
            url,
            ca_pem,
            ca,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The CA certificate (PEM) that signed the server certificate, when serving TLS.
    pub fn ca_pem(&self) -> Option<String> {
        self.ca_pem.clone()
    }

    /// A kubeconfig with one cluster/user/context named `name` pointing at this server
    /// (CA data when TLS, `token` and the context's `namespace` when given).
    ///
    /// Note for kubectl: client-go sends kubeconfig credentials only over TLS, and over TLS it
    /// prompts for a username when the user has none — so kubectl tests that need a token (or
    /// use TLS at all) should start the server with `tls: true` and pass a token. kube-rs sends
    /// the token over plain HTTP too.
    pub fn kubeconfig(&self, name: &str, namespace: Option<&str>, token: Option<&str>) -> String {
        use base64::Engine as _;
        let q = |s: &str| serde_json::to_string(s).expect("string to JSON");
        let mut out = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
        out += &format!(
            "- name: {}\n  cluster:\n    server: {}\n",
            q(name),
            q(&self.url)
        );
        if let Some(pem) = &self.ca_pem {
            let b64 = base64::engine::general_purpose::STANDARD.encode(pem);
            out += &format!("    certificate-authority-data: {b64}\n");
        }
        out += &format!("users:\n- name: {}\n", q(name));
        match token {
            Some(t) => out += &format!("  user:\n    token: {}\n", q(t)),
            None => out += "  user: {}\n",
        }
        out += &format!(
            "contexts:\n- name: {}\n  context:\n    cluster: {}\n    user: {}\n",
            q(name),
            q(name),
            q(name)
        );
        if let Some(ns) = namespace {
            out += &format!("    namespace: {}\n", q(ns));
        }
        out += &format!("current-context: {}\npreferences: {{}}\n", q(name));
        out
    }

    /// Load the fixed demo cluster: namespaces payments/checkout/search/data/kube-system/
    /// kube-public/default, their Deployments (+ReplicaSets+Pods), a StatefulSet, a DaemonSet,
    /// a CronJob→Job→Pod, a bare Job, an argoproj Rollout, a static Pod owned by Node `node-1`,
    /// a bare Pod, the Secret `default/db-password` and the ConfigMap `kube-public/kubectl-owner`.
    /// Pods run on Nodes `worker-1`…`worker-3` (InternalIP `10.0.0.1`…`3`, pod IPs
    /// `10.244.N.x`); the two host network pods of kube-system share `node-1`'s `10.0.0.10`.
    /// Services `checkout/checkout` (10.96.120.15), `payments/api` (10.96.48.10) and the headless
    /// `payments/postgres` have EndpointSlices naming their pods; the Ingress `checkout/shop`
    /// (`shop.example.com`, `*.shop.example.com`) and the HTTPRoute `payments/api`
    /// (`api.payments.example.com`) lead to them.
    /// GitOps tools deploy two of the unowned search workloads: the Deployment `search/indexer`
    /// carries Argo CD's `argocd.argoproj.io/tracking-id` naming the Application `argocd/search`,
    /// and the CronJob `search/reindex` Flux's `kustomize.toolkit.fluxcd.io/name`/`namespace`
    /// labels naming the Kustomization `flux-system/search-jobs`; the namespaces `argocd` and
    /// `flux-system` hold no workloads.
    /// Ages are fixed relative to server start (namespaces 120d, workloads 30d, pods 2d);
    /// uids are UUIDs derived from kind, namespace and name.
    pub fn seed_demo(&self) {
        let mut store = self.state.store.write().expect("store lock");
        seed::demo(&mut store, self.state.start);
    }

    /// Load a large, deterministic cluster.
    pub fn seed_scale(&self, p: ScaleParams) {
        let mut store = self.state.store.write().expect("store lock");
        seed::scale(&mut store, self.state.start, &p);
    }

    /// Insert (or replace) any object with apiVersion/kind/metadata; fills uid,
    /// resourceVersion and creationTimestamp when absent. Panics on an unknown kind.
    /// The object's `managedFields`, if any, are kept as given (an object "created by helm" at
    /// an earlier time); the seeds carry none.
    pub fn insert(&self, obj: Value) {
        let mut store = self.state.store.write().expect("store lock");
        if let Err(e) = store.insert(obj, jiff::Timestamp::now()) {
            panic!("TestServer::insert: {e}");
        }
    }

    /// Remove an object; true if it existed.
    pub fn remove(&self, resource: &str, namespace: Option<&str>, name: &str) -> bool {
        let def = resources::by_plural_any(resource)
            .unwrap_or_else(|| panic!("unknown resource {resource}"));
        let mut store = self.state.store.write().expect("store lock");
        store.remove(def, namespace.unwrap_or(""), name).is_some()
    }

    /// The stored object (`resource` is the plural, e.g. `deployments`).
    /// Every stored object of `resource` (a plural), in namespace and name order.
    pub fn objects(&self, resource: &str) -> Vec<Value> {
        let def = resources::by_plural_any(resource)
            .unwrap_or_else(|| panic!("unknown resource {resource}"));
        let store = self.state.store.read().expect("store lock");
        store.all(def).into_iter().map(|e| e.value()).collect()
    }

    pub fn object(&self, resource: &str, namespace: Option<&str>, name: &str) -> Option<Value> {
        let def = resources::by_plural_any(resource)
            .unwrap_or_else(|| panic!("unknown resource {resource}"));
        let store = self.state.store.read().expect("store lock");
        store
            .get(def, namespace.unwrap_or(""), name)
            .map(|e| e.value())
    }

    /// Number of stored objects of `resource` (plural).
    pub fn object_count(&self, resource: &str) -> usize {
        let def = resources::by_plural_any(resource)
            .unwrap_or_else(|| panic!("unknown resource {resource}"));
        self.state.store.read().expect("store lock").len(def)
    }

    /// The current global resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.state.store.read().expect("store lock").rv
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.log.lock().expect("log lock").clone()
    }

    /// Forget the request log.
    pub fn clear_requests(&self) {
        self.state.log.lock().expect("log lock").clear();
    }

    /// Number of logged requests with this method (any if `None`) whose path+query contains `path_contains`.
    pub fn count(&self, method: Option<&str>, path_contains: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| method.is_none_or(|m| r.method.eq_ignore_ascii_case(m)))
            .filter(|r| server::path_and_query(&r.path, &r.query).contains(path_contains))
            .count()
    }

    /// Logged requests that were not GET (the writes).
    pub fn writes(&self) -> Vec<RequestRecord> {
        self.requests()
            .into_iter()
            .filter(|r| r.method != "GET")
            .collect()
    }

    /// Accept `Authorization: Bearer <token>` as `user`; once any token exists, others get 401.
    pub fn add_token(&self, token: &str, user: &str) {
        self.state
            .tokens
            .lock()
            .expect("tokens lock")
            .insert(token.to_string(), user.to_string());
    }

    /// A client certificate and key (PEM) for `user`, signed by the TLS server's CA: presented
    /// on a connection, it authenticates that connection's requests as `user`.
    pub fn client_certificate(&self, user: &str) -> (String, String) {
        let ca = self
            .ca
            .as_ref()
            .expect("client certificates need a TLS server");
        let (cert, key, der) = tls::client_certificate(ca, user);
        self.state
            .client_certificates
            .lock()
            .expect("certificates lock")
            .insert(der, user.to_string());
        (cert, key)
    }

    /// Serves an OpenID Connect issuer at `URL/oidc` (use a TLS server: clients require https)
    /// that trades `refresh_token` for id tokens of `user`, and returns an expired id token of
    /// `user` for a kubeconfig's `auth-provider: oidc` to start from.
    pub fn serve_oidc(&self, refresh_token: &str, user: &str) -> String {
        self.state
            .oidc_refresh_tokens
            .lock()
            .expect("oidc lock")
            .insert(refresh_token.to_string(), user.to_string());
        let issuer = format!("{}/oidc", self.url);
        server::id_token(&issuer, user, jiff::Timestamp::now().as_second() - 60)
    }

    /// Add an RBAC grant; the first one switches authorization on.
    pub fn grant(&self, g: Grant) {
        self.state.grants.lock().expect("grants lock").push(g);
    }

    /// Queue a fault; faults match in insertion order.
    pub fn add_fault(&self, f: Fault) {
        self.state.faults.lock().expect("faults lock").push(f);
    }

    /// Every continue token issued so far now answers 410 Expired, as kube-apiserver's once etcd
    /// compacted the list's snapshot away: the Status carries, in `metadata.continue`, a token
    /// that goes on after the same object at the latest resourceVersion (an inconsistent list).
    pub fn expire_continue_tokens(&self) {
        self.state.expire_continue_tokens();
    }

    /// Switch kube-apiserver's `WatchList` feature gate off (it is on by default): a watch with
    /// `sendInitialEvents` then answers 422 Invalid, and plain watches get no bookmark.
    pub fn disable_watch_list(&self) {
        self.state
            .watch_list
            .store(false, std::sync::atomic::Ordering::SeqCst);
    }

    /// Switch the `WatchList` feature gate back on.
    pub fn enable_watch_list(&self) {
        self.state
            .watch_list
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Watch streams still open: each stays open after its initial events until the client
    /// closes it (or its `timeoutSeconds` runs out).
    pub fn open_watches(&self) -> usize {
        self.state
            .open_watches
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Remove an API group (e.g. `argoproj.io`, `gateway.networking.k8s.io`) from discovery and
    /// serving, as if its CRDs were absent.
    pub fn hide_group(&self, group: &str) {
        self.state
            .hidden_groups
            .lock()
            .expect("groups lock")
            .insert(group.to_string());
    }

    /// The instant the server started; seeded ages are relative to it.
    pub fn start_time(&self) -> jiff::Timestamp {
        self.state.start
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
