//! The only module that talks to the Kubernetes API: connecting like kubectl, metadata-only
//! lists and gets, and translating failures into kubectl's words.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderName, HeaderValue};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DynamicObject, ListParams, PartialObjectMeta, Patch, PatchParams};
use kube::config::{
    Context, KubeConfigOptions, Kubeconfig, NamedAuthInfo, NamedCluster, NamedContext,
};
use kube::core::{ApiResource, GroupVersionKind};
use kube::{Client, Config};

use crate::cli::options::{Aggregator, ConnectionOptions, ListMode};
use crate::core::kinds::Kind;
use crate::core::ownership::{FieldManager, MetaObject, OwnerRef};
use crate::error::{Error, Result};
use crate::output::ui;

/// Retries of one request after a transient failure, the first backoff delay, and the longest
/// server-requested wait we honour.
pub const RETRIES: u32 = 4;
const RETRY_BASE_DELAY: Duration = Duration::from_millis(200);
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Page size for lists (kubectl's `--chunk-size` default).
pub const PAGE_SIZE: u32 = 500;
/// Namespace, name and key of the in-cluster registry ConfigMap.
const REGISTRY_NAMESPACE: &str = crate::config::CLUSTER_CONFIGMAP.0;
const REGISTRY_NAME: &str = crate::config::CLUSTER_CONFIGMAP.1;
const REGISTRY_KEY: &str = crate::config::CLUSTER_CONFIGMAP.2;
const USER_AGENT: &str = concat!("kubectl-owner/", env!("CARGO_PKG_VERSION"));

/// A connected cluster.
#[derive(Clone)]
pub struct Session {
    client: Client,
    /// `-n`, else the context's namespace, else `default`.
    pub default_namespace: String,
    /// `host:port` of the API server, for kubectl's connection messages.
    pub server: String,
    request_timeout: Option<Duration>,
    /// `--list-mode` and `--chunk-size`.
    list_mode: ListMode,
    chunk_size: u32,
    /// The multi-cluster engine the server is, if it is one: a read-only view of many clusters.
    pub aggregator: Option<Aggregator>,
    /// The exec credential plugin's command as the kubeconfig names it, for error messages.
    exec_command: Option<String>,
    /// Discovery answers by `group/version/Kind`: each is asked once per command.
    discovered: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Option<Kind>>>>,
}

/// Reads kubeconfig like kubectl: `--kubeconfig`, else every existing file of `$KUBECONFIG`
/// merged first-wins (missing files skipped), else `~/.kube/config`.
pub fn load_kubeconfig(explicit: Option<&Path>) -> Result<Option<Kubeconfig>> {
    let read = |path: &Path| {
        Kubeconfig::read_from(path).map_err(|e| {
            // The YAML parser adds a source snippet on further lines: one line is enough.
            let detail = e.to_string();
            let first = detail.lines().next().unwrap_or_default().to_string();
            Error::cluster(format!(
                "error loading config file \"{}\": {first}",
                path.display()
            ))
        })
    };
    if let Some(path) = explicit {
        if !path.exists() {
            return Err(Error::cluster(format!(
                "stat {}: no such file or directory",
                path.display()
            )));
        }
        return read(path).map(Some);
    }
    let candidates: Vec<PathBuf> = match std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        Some(list) => std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect(),
        None => dirs::home_dir()
            .map(|h| h.join(".kube").join("config"))
            .into_iter()
            .collect(),
    };
    let mut merged: Option<Kubeconfig> = None;
    for path in candidates.iter().filter(|p| p.is_file()) {
        let next = read(path)?;
        merged = Some(match merged {
            None => next,
            Some(first) => first.merge(next).map_err(|e| {
                Error::cluster(format!(
                    "error loading config file \"{}\": {e}",
                    path.display()
                ))
            })?,
        });
    }
    Ok(merged)
}

/// Applies the command-line overrides to the selected context's cluster and user, as kubectl does,
/// and returns the names kube should select.
fn apply_overrides(kc: &mut Kubeconfig, opts: &ConnectionOptions) -> Result<KubeConfigOptions> {
    let context_name = opts
        .context
        .clone()
        .or_else(|| kc.current_context.clone())
        .filter(|c| !c.is_empty());
    let context = match &context_name {
        Some(name) => Some(
            kc.contexts
                .iter()
                .find(|c| &c.name == name)
                .and_then(|c| c.context.clone())
                .ok_or_else(|| {
                    Error::cluster(format!(
                        "context was not found for specified context: {name}"
                    ))
                })?,
        ),
        None => None,
    };
    let cluster_name = opts
        .cluster
        .clone()
        .or_else(|| context.as_ref().map(|c| c.cluster.clone()));
    let user_name = opts
        .user
        .clone()
        .or_else(|| context.as_ref().and_then(|c| c.user.clone()));
    if context.is_none() && opts.server.is_none() {
        return Err(no_configuration());
    }
    // A context is always selected, so kube and we agree on namespace, cluster and user.
    let context_name = context_name.unwrap_or_else(|| "kubectl-owner-flags".to_string());
    let cluster_name = cluster_name.unwrap_or_else(|| "kubectl-owner-flags".to_string());
    let user_name = user_name.unwrap_or_else(|| "kubectl-owner-flags".to_string());
    if !kc.contexts.iter().any(|c| c.name == context_name) {
        kc.contexts.push(NamedContext {
            name: context_name.clone(),
            context: Some(Context {
                cluster: cluster_name.clone(),
                user: Some(user_name.clone()),
                ..Default::default()
            }),
            ..Default::default()
        });
    }
    if !kc.clusters.iter().any(|c| c.name == cluster_name) {
        if opts.server.is_none() {
            return Err(Error::cluster(format!(
                "cluster \"{cluster_name}\" does not exist"
            )));
        }
        kc.clusters.push(NamedCluster {
            name: cluster_name.clone(),
            cluster: Some(Default::default()),
            ..Default::default()
        });
    }
    if !kc.auth_infos.iter().any(|u| u.name == user_name) {
        if opts.user.is_some() {
            return Err(Error::cluster(format!(
                "auth info \"{user_name}\" does not exist"
            )));
        }
        kc.auth_infos.push(NamedAuthInfo {
            name: user_name.clone(),
            auth_info: Some(Default::default()),
            ..Default::default()
        });
    }
    let cluster = kc
        .clusters
        .iter_mut()
        .find(|c| c.name == cluster_name)
        .expect("ensured above");
    let cluster = cluster.cluster.get_or_insert_with(Default::default);
    if let Some(server) = &opts.server {
        cluster.server = Some(server.clone());
    }
    if let Some(ca) = &opts.certificate_authority {
        cluster.certificate_authority = Some(absolute(ca));
        cluster.certificate_authority_data = None;
    }
    if opts.insecure_skip_tls_verify {
        cluster.insecure_skip_tls_verify = Some(true);
        cluster.certificate_authority = None;
        cluster.certificate_authority_data = None;
    }
    if let Some(name) = &opts.tls_server_name {
        cluster.tls_server_name = Some(name.clone());
    }
    let user = kc
        .auth_infos
        .iter_mut()
        .find(|u| u.name == user_name)
        .expect("ensured above");
    let user = user.auth_info.get_or_insert_with(Default::default);
    if let Some(token) = &opts.token {
        user.token = Some(token.clone().into());
        user.token_file = None;
        user.exec = None;
        user.auth_provider = None;
        user.username = None;
        user.password = None;
    }
    if let Some(cert) = &opts.client_certificate {
        user.client_certificate = Some(absolute(cert));
        user.client_certificate_data = None;
    }
    if let Some(key) = &opts.client_key {
        user.client_key = Some(absolute(key));
        user.client_key_data = None;
    }
    if let Some(exec) = user.exec.as_mut() {
        exec_interactive_mode(exec, std::io::stdin().is_terminal())?;
    }
    // kubectl trims the token file's whitespace (an editor's final newline); kube would send
    // it as part of the header and fail. Read once: a command lives shorter than a token.
    if user.token.is_none()
        && let Some(path) = &user.token_file
        && let Ok(text) = std::fs::read_to_string(path)
    {
        user.token = Some(text.trim().to_string().into());
        user.token_file = None;
    }
    Ok(KubeConfigOptions {
        context: Some(context_name),
        cluster: Some(cluster_name),
        user: Some(user_name),
    })
}

/// kubectl's reading of an exec plugin's `interactiveMode`, which kube would take as "always":
/// `IfAvailable` (the default) is interactive only when stdin is a terminal, and `Always` without
/// one is an error rather than a plugin left waiting for input that cannot come.
fn exec_interactive_mode(
    exec: &mut kube::config::ExecConfig,
    stdin_is_terminal: bool,
) -> Result<()> {
    use kube::config::ExecInteractiveMode as Mode;
    match (exec.interactive_mode.as_ref(), stdin_is_terminal) {
        (Some(Mode::Always), false) => Err(Error::cluster(
            "exec plugin cannot support interactive mode: standard input is not a terminal",
        )),
        (Some(Mode::Never), _) | (_, true) => Ok(()),
        (None | Some(Mode::IfAvailable), false) => {
            exec.interactive_mode = Some(Mode::Never);
            Ok(())
        }
    }
}

fn absolute(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

fn no_configuration() -> Error {
    Error::cluster(
        "no configuration has been provided, try setting KUBERNETES_MASTER environment variable",
    )
}

/// Builds a client exactly from what kubectl would use. No request is sent yet.
pub async fn connect(opts: &ConnectionOptions) -> Result<Session> {
    let kubeconfig = load_kubeconfig(opts.kubeconfig.as_deref())?;
    let mut config = match kubeconfig {
        Some(mut kc) => {
            let selection = apply_overrides(&mut kc, opts)?;
            Config::from_custom_kubeconfig(kc, &selection)
                .await
                .map_err(|e| Error::cluster(format!("invalid configuration: {e}")))?
        }
        None if opts.server.is_some() => {
            let mut kc = Kubeconfig::default();
            let selection = apply_overrides(&mut kc, opts)?;
            Config::from_custom_kubeconfig(kc, &selection)
                .await
                .map_err(|e| Error::cluster(format!("invalid configuration: {e}")))?
        }
        // In-cluster only when no kubeconfig exists and none was asked for.
        None => Config::incluster().map_err(|_| no_configuration())?,
    };
    if let Some(ns) = &opts.namespace {
        config.default_namespace = ns.clone();
    }
    // Responses come gzipped unless asked otherwise, as kubectl's (a 100,000-pod listing is
    // 66 MB of JSON, several times less compressed).
    if opts.disable_compression {
        config.disable_compression = true;
    }
    if let Some(user) = &opts.impersonate {
        config.auth_info.impersonate = Some(user.clone());
    }
    if !opts.impersonate_groups.is_empty() {
        config.auth_info.impersonate_groups = Some(opts.impersonate_groups.clone());
    }
    let request_timeout = opts.request_timeout.filter(|t| !t.is_zero());
    if let Some(timeout) = request_timeout {
        config.connect_timeout = Some(timeout);
        config.read_timeout = Some(timeout);
        config.write_timeout = Some(timeout);
    }
    if config.accept_invalid_certs {
        ui::warn(
            "skipping TLS verification of the server's certificate (insecure-skip-tls-verify)",
        );
    }
    config.headers.push((
        HeaderName::from_static("user-agent"),
        HeaderValue::from_static(USER_AGENT),
    ));
    let server = config
        .cluster_url
        .authority()
        .map(|a| a.to_string())
        .unwrap_or_else(|| config.cluster_url.to_string());
    ui::log(4, || {
        format!(
            "connecting to {} as namespace {}",
            super::wire_log::without_userinfo(&config.cluster_url.to_string()),
            config.default_namespace
        )
    });
    let default_namespace = config.default_namespace.clone();
    // kube's own retry layer allows 15 retries over up to 1000 s: too patient for a CLI, so
    // Session::request retries instead, bounded.
    config.default_retry = false;
    let exec_command = config
        .auth_info
        .exec
        .as_ref()
        .and_then(|e| e.command.clone());
    let cluster_url = config.cluster_url.clone();
    // As diagnostics name it: never with a `user:password@`.
    let shown_url = super::wire_log::without_userinfo(&cluster_url.to_string());
    let wire_log = ui::enabled(super::wire_log::REQUEST_HEADERS).then(|| wire_log(&config));
    let builder =
        kube::client::ClientBuilder::try_from(config).map_err(|e| {
            match credential_error(&e, exec_command.as_deref()) {
                Some(message) => Error::cluster(message),
                None => Error::cluster(format!("invalid configuration: {e}")),
            }
        })?;
    let client = match wire_log {
        Some(layer) => builder.with_layer(&layer).build(),
        None => builder.build(),
    };
    let by_path = Aggregator::of_path(cluster_url.path());
    if let Some(named) = opts.aggregator
        && by_path != Some(named)
    {
        // A plain API server would take Clusterpedia's search labels as label selectors and
        // answer every list empty: say so, once, whatever the verbosity.
        ui::warn(&format!(
            "--aggregator={}: the server URL {} is not the engine's usual path; if it is not a {} endpoint, lists will be wrong",
            named.name(),
            shown_url,
            named.name()
        ));
    }
    let aggregator = opts.aggregator.or(by_path);
    let mut list_mode = opts.list_mode;
    if let Some(engine) = aggregator {
        ui::log(1, || {
            format!(
                "{} is a {} endpoint: every object's member cluster is read from its {} annotation",
                shown_url,
                engine.name(),
                engine.cluster_annotation()
            )
        });
        // Clusterpedia serves no watches: a streaming list is read in pages there.
        if engine == Aggregator::Clusterpedia && list_mode == ListMode::Stream {
            ui::log(1, || {
                "clusterpedia serves no watches: lists are read in pages".to_string()
            });
            list_mode = ListMode::Paged;
        }
        // Karmada's cache answers only resourceVersion=0 lists without a limit; any other list
        // goes live to every member cluster.
        if engine == Aggregator::Karmada && list_mode != ListMode::Cache {
            ui::log(1, || {
                "karmada: lists are read from its cache (--list-mode=cache)".to_string()
            });
            list_mode = ListMode::Cache;
        }
    }
    if list_mode == ListMode::Cache {
        ui::log(1, || {
            "--list-mode=cache: lists come whole, one response per kind, from the API server's watch cache, and may be seconds stale".to_string()
        });
    }
    Ok(Session {
        client,
        default_namespace,
        server,
        request_timeout,
        list_mode,
        chunk_size: opts.chunk_size,
        aggregator,
        exec_command,
        discovered: Default::default(),
    })
}

/// `-v=7`'s view of what the client stack adds to each request: the cluster URL, the
/// configured headers, gzip, impersonation and the credential's kind (its value masked).
fn wire_log(config: &Config) -> super::wire_log::WireLog {
    let auth = &config.auth_info;
    let mut added: Vec<(String, String)> = config
        .headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_string(), value)
        })
        .collect();
    if !config.disable_compression {
        added.push(("accept-encoding".into(), "gzip".into()));
    }
    if auth.token.is_some() || auth.token_file.is_some() || auth.auth_provider.is_some() {
        added.push(("authorization".into(), "Bearer".into()));
    } else if auth.exec.is_some() {
        // An exec plugin returns a token or a client certificate: which one is not known here,
        // so the line shows neither scheme nor value.
        added.push(("authorization".into(), "exec plugin".into()));
    } else if auth.username.is_some() {
        added.push(("authorization".into(), "Basic".into()));
    }
    if let Some(user) = &auth.impersonate {
        added.push(("impersonate-user".into(), user.clone()));
    }
    for group in auth.impersonate_groups.iter().flatten() {
        added.push(("impersonate-group".into(), group.clone()));
    }
    super::wire_log::WireLog::new(&config.cluster_url.to_string(), added)
}

/// What [`Session::list_meta_pages`] hands over.
pub enum Page {
    /// The next page's objects.
    Objects(Vec<MetaObject>),
    /// The list started again from the beginning (its continue token expired): the pages
    /// handed over so far will come again.
    Restarted,
}

/// What a listing keeps of each page.
pub struct Retain<'a> {
    /// Objects to keep.
    pub keep: &'a (dyn Fn(&MetaObject) -> bool + Sync),
    /// Label and annotation keys to keep (ownership needs a handful; `last-applied-configuration`
    /// and friends can be kilobytes per object). `None` keeps all. A trimmed listing is for
    /// reading ownership, so it drops `resourceVersion` too: writers list with [`Retain::ALL`].
    pub keys: Option<&'a std::collections::HashSet<String>>,
}

impl Retain<'_> {
    pub const ALL: Retain<'static> = Retain {
        keep: &|_| true,
        keys: None,
    };

    fn trim(&self, mut object: MetaObject) -> MetaObject {
        if let Some(keys) = self.keys {
            // Rebuilt rather than `retain`ed: an emptied BTreeMap keeps its ~500-byte node, which
            // is 50 MB over 100,000 pods whose labels are all irrelevant.
            let keep = |map: &mut std::collections::BTreeMap<String, String>| {
                if map.keys().any(|k| !keys.contains(k)) {
                    *map = std::mem::take(map)
                        .into_iter()
                        .filter(|(k, _)| keys.contains(k))
                        .collect();
                }
            };
            keep(&mut object.labels);
            keep(&mut object.annotations);
            object.resource_version = None;
        }
        object
    }
}

fn api_resource(kind: &Kind) -> ApiResource {
    ApiResource {
        group: kind.group.clone(),
        version: kind.version.clone(),
        api_version: kind.api_version(),
        kind: kind.kind.clone(),
        plural: kind.plural.clone(),
    }
}

/// A full object's metadata (a listed Ingress or route) as ownership reads it.
pub fn object_meta(
    kind: &Kind,
    metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
) -> MetaObject {
    LeanMeta::from(metadata).into_meta(&mut Shared::new(kind))
}

fn to_meta(kind: &Kind, item: PartialObjectMeta<DynamicObject>) -> MetaObject {
    object_meta(kind, item.metadata)
}

/// The strings every object of a list repeats (its kind and apiVersion, its controllers' kinds
/// and apiVersions), allocated once per list instead of once per object.
struct Shared {
    kind: Arc<str>,
    api_version: Arc<str>,
    others: HashMap<String, Arc<str>>,
    /// The annotation naming each object's member cluster (through a multi-cluster engine).
    cluster_key: Option<&'static str>,
}

impl Shared {
    fn new(kind: &Kind) -> Shared {
        Shared {
            kind: kind.kind.as_str().into(),
            api_version: kind.api_version().into(),
            others: HashMap::new(),
            cluster_key: None,
        }
    }

    fn clustered(mut self, aggregator: Option<Aggregator>) -> Shared {
        self.cluster_key = aggregator.map(Aggregator::cluster_annotation);
        self
    }

    fn intern(&mut self, text: String) -> Arc<str> {
        if let Some(shared) = self.others.get(&text) {
            return shared.clone();
        }
        let shared: Arc<str> = text.as_str().into();
        self.others.insert(text, shared.clone());
        shared
    }
}

impl From<k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta> for LeanMeta {
    /// kube's full `ObjectMeta` (single GETs and patches), reduced to what lists decode.
    fn from(m: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> LeanMeta {
        let owner_references = m.owner_references.map(|refs| {
            refs.into_iter()
                .map(|o| LeanOwnerRef {
                    api_version: o.api_version,
                    kind: o.kind,
                    name: o.name,
                    uid: o.uid,
                    controller: o.controller,
                })
                .collect()
        });
        LeanMeta {
            name: m.name,
            namespace: m.namespace,
            uid: m.uid,
            resource_version: m.resource_version,
            creation_timestamp: m.creation_timestamp,
            labels: m.labels,
            annotations: m.annotations,
            owner_references,
            managed_fields: m.managed_fields.map(|entries| {
                entries
                    .into_iter()
                    .map(|e| LeanManagedField {
                        manager: e.manager,
                        operation: e.operation,
                        time: e.time,
                        subresource: e.subresource,
                    })
                    .collect()
            }),
        }
    }
}

/// The endpoints of `slice` with address `ip`.
fn endpoints_of(
    slice: k8s_openapi::api::discovery::v1::EndpointSlice,
    ip: std::net::IpAddr,
) -> Vec<Endpoint> {
    let namespace = slice.metadata.namespace.unwrap_or_default();
    let service = slice
        .metadata
        .labels
        .and_then(|mut l| l.remove("kubernetes.io/service-name"));
    slice
        .endpoints
        .into_iter()
        .filter(|e| {
            e.addresses
                .iter()
                .any(|a| a.parse::<std::net::IpAddr>().ok() == Some(ip))
        })
        .map(|e| Endpoint {
            namespace: namespace.clone(),
            service: service.clone(),
            pod: e
                .target_ref
                .filter(|t| t.kind.as_deref() == Some("Pod"))
                .and_then(|t| t.name),
        })
        .collect()
}

/// How a watch-list went.
enum Streamed {
    /// Every object, up to the initial-events-end bookmark.
    Whole,
    /// Refused (422): the server's WatchList feature is off.
    Refused,
    /// Ended before the bookmark.
    Cut,
}

/// An EndpointSlice endpoint with a looked-for address.
#[derive(Debug)]
pub struct Endpoint {
    pub namespace: String,
    /// The Service the slice belongs to (`kubernetes.io/service-name`).
    pub service: Option<String>,
    /// The pod the endpoint's `targetRef` names, when it names one.
    pub pod: Option<String>,
}

/// A list page: how many objects it holds, and the token of the next page.
trait Continued {
    fn len(&self) -> usize;
    fn continue_token(&self) -> Option<String>;
}

impl Continued for MetaPage {
    fn len(&self) -> usize {
        self.items.len()
    }
    fn continue_token(&self) -> Option<String> {
        self.metadata.token()
    }
}

impl<T: Clone> Continued for kube::core::ObjectList<T> {
    fn len(&self) -> usize {
        self.items.len()
    }
    fn continue_token(&self) -> Option<String> {
        self.metadata.continue_.clone().filter(|c| !c.is_empty())
    }
}

/// A `Table` page (`as=Table;v=v1;g=meta.k8s.io`, rows with their objects' metadata).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct TablePage {
    #[serde(default)]
    metadata: PageMeta,
    #[serde(default, deserialize_with = "null_as_default")]
    column_definitions: Vec<TableColumn>,
    #[serde(default, deserialize_with = "null_as_default")]
    rows: Vec<TablePageRow>,
}

#[derive(serde::Deserialize)]
struct TableColumn {
    name: String,
}

#[derive(serde::Deserialize)]
struct TablePageRow {
    #[serde(default)]
    cells: Vec<serde_json::Value>,
    #[serde(default)]
    object: MetaItem,
}

impl Continued for TablePage {
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn continue_token(&self) -> Option<String> {
        self.metadata.token()
    }
}

/// A kind's objects as the server's `Table`: column names, and per row the cells and metadata.
#[derive(Debug, Default)]
pub struct ServerTable {
    pub columns: Vec<String>,
    pub rows: Vec<TableRow>,
}

#[derive(Debug)]
pub struct TableRow {
    pub object: MetaObject,
    pub cells: Vec<serde_json::Value>,
}

impl ServerTable {
    /// The index of the column with this name (`Images`), if the server prints one.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }
}

/// A `PartialObjectMetadataList` page, keeping only what [`MetaObject`] needs.
#[derive(serde::Deserialize)]
struct MetaPage {
    #[serde(default)]
    metadata: PageMeta,
    #[serde(default, deserialize_with = "null_as_default")]
    items: Vec<MetaItem>,
}

#[derive(Default, serde::Deserialize)]
struct PageMeta {
    #[serde(rename = "continue", default)]
    continue_: Option<String>,
}

impl PageMeta {
    /// The next page's token; an empty one means there is none.
    fn token(&self) -> Option<String> {
        self.continue_.clone().filter(|c| !c.is_empty())
    }
}

#[derive(Default, serde::Deserialize)]
struct MetaItem {
    #[serde(default)]
    metadata: LeanMeta,
}

#[derive(Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct LeanMeta {
    name: Option<String>,
    namespace: Option<String>,
    uid: Option<String>,
    resource_version: Option<String>,
    creation_timestamp: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,
    labels: Option<std::collections::BTreeMap<String, String>>,
    annotations: Option<std::collections::BTreeMap<String, String>>,
    owner_references: Option<Vec<LeanOwnerRef>>,
    #[serde(deserialize_with = "managed_fields_if_read")]
    managed_fields: Option<Vec<LeanManagedField>>,
}

/// Whether listings decode `metadata.managedFields` (only `suggest` reads them): a real
/// cluster's objects carry several entries each, which every other command would decode for
/// nothing. Process-wide, as the command is.
static READ_FIELD_MANAGERS: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// From now on, listings keep each object's field managers.
pub fn read_field_managers() {
    READ_FIELD_MANAGERS.store(true, std::sync::atomic::Ordering::Relaxed);
}

fn managed_fields_if_read<'de, D>(
    d: D,
) -> std::result::Result<Option<Vec<LeanManagedField>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    if READ_FIELD_MANAGERS.load(std::sync::atomic::Ordering::Relaxed) {
        <Option<Vec<LeanManagedField>> as serde::Deserialize>::deserialize(d)
    } else {
        <serde::de::IgnoredAny as serde::Deserialize>::deserialize(d)?;
        Ok(None)
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct LeanManagedField {
    #[serde(default)]
    manager: Option<String>,
    #[serde(default)]
    operation: Option<String>,
    #[serde(default)]
    time: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,
    #[serde(default)]
    subresource: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct LeanOwnerRef {
    api_version: String,
    kind: String,
    name: String,
    uid: String,
    #[serde(default)]
    controller: Option<bool>,
}

fn null_as_default<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    Ok(<Option<T> as serde::Deserialize>::deserialize(d)?.unwrap_or_default())
}

impl LeanMeta {
    /// The one conversion into the ownership core's [`MetaObject`].
    fn into_meta(self, shared: &mut Shared) -> MetaObject {
        let controller = self
            .owner_references
            .unwrap_or_default()
            .into_iter()
            .find(|o| o.controller == Some(true))
            .map(|o| OwnerRef {
                api_version: shared.intern(o.api_version),
                kind: shared.intern(o.kind),
                name: o.name,
                uid: o.uid,
            });
        // Earliest first (an entry's time is its manager's last write; the earliest is the best
        // record of who created the object). Status writers (kubelet, controllers) are not it.
        let mut entries: Vec<LeanManagedField> = self
            .managed_fields
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e.subresource.as_deref().unwrap_or("").is_empty() && e.manager.is_some())
            .collect();
        entries.sort_by_key(|e| (e.time.is_none(), e.time.as_ref().map(|t| t.0)));
        let created = self.creation_timestamp.as_ref().map(|t| t.0);
        let managers = entries
            .into_iter()
            .map(|e| FieldManager {
                at_creation: created.is_some() && e.time.as_ref().map(|t| t.0) == created,
                name: shared.intern(e.manager.unwrap_or_default()),
                applied: e.operation.as_deref() == Some("Apply"),
            })
            .collect();
        let cluster = shared.cluster_key.and_then(|key| {
            let name = self.annotations.as_ref()?.get(key)?.clone();
            Some(shared.intern(name))
        });
        MetaObject {
            kind: shared.kind.clone(),
            api_version: shared.api_version.clone(),
            namespace: self.namespace,
            name: self.name.unwrap_or_default(),
            uid: self.uid.unwrap_or_default(),
            labels: self.labels.unwrap_or_default(),
            annotations: self.annotations.unwrap_or_default(),
            controller,
            created: self.creation_timestamp.map(|t| t.0),
            resource_version: self.resource_version,
            cluster,
            managers,
        }
    }
}

impl Session {
    fn api(&self, kind: &Kind, namespace: Option<&str>) -> Api<DynamicObject> {
        let ar = api_resource(kind);
        match namespace {
            Some(ns) if kind.namespaced => Api::namespaced_with(self.client.clone(), ns, &ar),
            _ => Api::all_with(self.client.clone(), &ar),
        }
    }

    /// One idempotent request, bounded by `--request-timeout` and retried — at most [`RETRIES`]
    /// times — on 429 (after the server's `retryAfterSeconds`), 500/503/504 and dropped
    /// connections, with exponential backoff.
    async fn request<T, F, Fut>(&self, what: &str, send: F) -> Result<T>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = kube::Result<T>>,
    {
        self.request_retrying(what, send, Transport::Retry).await
    }

    async fn request_retrying<T, F, Fut>(
        &self,
        what: &str,
        send: F,
        transport: Transport,
    ) -> Result<T>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = kube::Result<T>>,
    {
        let mut attempt = 0;
        loop {
            let outcome = match self.request_timeout {
                Some(limit) => tokio::time::timeout(limit, send()).await.map_err(|_| {
                    let err = Error::cluster(format!(
                        "Unable to connect to the server: {what}: request timed out after {limit:?}"
                    ));
                    match transport {
                        Transport::Retry => err,
                        Transport::Report => err.outcome_unknown(),
                    }
                })?,
                None => send().await,
            };
            match outcome {
                Ok(value) => return Ok(value),
                Err(e) => match retry_delay(&e, attempt) {
                    // A write that may have reached the server is not sent blind again: a lost
                    // connection, or a 500/504 (the server may have committed it).
                    Some(_)
                        if transport == Transport::Report
                            && !matches!(&e, kube::Error::Api(s) if !matches!(s.code, 500 | 504)) =>
                    {
                        return Err(self.describe(e, what).outcome_unknown());
                    }
                    Some(delay) if attempt < RETRIES => {
                        attempt += 1;
                        ui::log(2, || {
                            format!("{what}: {e}; retry {attempt} of {RETRIES} in {delay:?}")
                        });
                        tokio::time::sleep(delay).await;
                    }
                    _ => return Err(self.describe(e, what)),
                },
            }
        }
    }

    /// Lists the metadata of every object of `kind` (in `namespace`, or everywhere), page by page.
    pub async fn list_meta(
        &self,
        kind: &Kind,
        namespace: Option<&str>,
        labels: Option<&str>,
        fields: Option<&str>,
    ) -> Result<Vec<MetaObject>> {
        self.list_meta_retaining(kind, namespace, labels, fields, &Retain::ALL)
            .await
    }

    /// Like [`Session::list_meta`], keeping only what `retain` asks for, page by page — so a
    /// 100,000-pod listing never holds more than one page of what it will throw away.
    pub async fn list_meta_retaining(
        &self,
        kind: &Kind,
        namespace: Option<&str>,
        labels: Option<&str>,
        fields: Option<&str>,
        retain: &Retain<'_>,
    ) -> Result<Vec<MetaObject>> {
        let mut out = Vec::new();
        self.list_meta_pages(
            kind,
            namespace,
            labels,
            fields,
            retain,
            async |page| match page {
                Page::Objects(objects) => out.extend(objects),
                Page::Restarted => out.clear(),
            },
        )
        .await?;
        Ok(out)
    }

    /// Lists page by page, handing each page (what `retain` keeps of it) to `on_page` as it
    /// arrives, so a caller that consumes pages never holds the whole list.
    pub async fn list_meta_pages(
        &self,
        kind: &Kind,
        namespace: Option<&str>,
        labels: Option<&str>,
        fields: Option<&str>,
        retain: &Retain<'_>,
        mut on_page: impl AsyncFnMut(Page),
    ) -> Result<()> {
        if self.list_mode == ListMode::Stream {
            let why = match self
                .watch_list(kind, namespace, labels, fields, retain, &mut on_page)
                .await?
            {
                Streamed::Whole => return Ok(()),
                Streamed::Refused => "the server does not serve watch-lists of {} (WatchList off)",
                Streamed::Cut => "the server ended the watch-list of {} before its initial events",
            };
            ui::log(1, || {
                format!(
                    "--list-mode=stream: {}; reading pages instead",
                    why.replace("{}", &kind.qualified_plural())
                )
            });
        }
        let mut shared = Shared::new(kind).clustered(self.aggregator);
        self.paged(
            kind,
            namespace,
            ListParams {
                label_selector: labels.map(str::to_string),
                field_selector: fields.map(str::to_string),
                ..ListParams::default()
            },
            // The same request as `Api::list_metadata`, decoded straight into lean structs:
            // kube's `PartialObjectMeta` buffers every item (`#[serde(flatten)]`) and fills a
            // full `ObjectMeta` first — a third of the CPU and scattered garbage at 100,000 pods.
            |lists, params| lists.list_metadata(params),
            async |page: Option<MetaPage>| match page {
                None => on_page(Page::Restarted).await,
                Some(page) => {
                    let objects: Vec<MetaObject> = page
                        .items
                        .into_iter()
                        .map(|item| retain.trim(item.metadata.into_meta(&mut shared)))
                        .filter(|o| (retain.keep)(o))
                        .collect();
                    on_page(Page::Objects(objects)).await;
                }
            },
        )
        .await
    }

    /// `--list-mode=stream`: one metadata watch with `sendInitialEvents=true` (a streaming list),
    /// its objects handed over in pages until the bookmark that ends the initial events.
    /// Not [`Streamed::Whole`] when the server refuses it (422: the WatchList feature is off) or
    /// cuts it short; pages handed over are then taken back.
    async fn watch_list(
        &self,
        kind: &Kind,
        namespace: Option<&str>,
        labels: Option<&str>,
        fields: Option<&str>,
        retain: &Retain<'_>,
        on_page: &mut impl AsyncFnMut(Page),
    ) -> Result<Streamed> {
        use futures::TryStreamExt;
        use kube::api::{WatchEvent, WatchParams};
        let ar = api_resource(kind);
        let url = match namespace {
            Some(ns) if kind.namespaced => {
                <DynamicObject as kube::Resource>::url_path(&ar, Some(ns))
            }
            _ => <DynamicObject as kube::Resource>::url_path(&ar, None),
        };
        let mut params = WatchParams::streaming_lists();
        if let Some(l) = labels {
            params = params.labels(l);
        }
        if let Some(f) = fields {
            params = params.fields(f);
        }
        let what = format!("watch-list {}", kind.qualified_plural());
        // An unset resourceVersion: the initial events are the current state, as a paged list's.
        let request = kube::core::Request::new(url)
            .watch_metadata(&params, "")
            .map_err(|e| Error::cluster(format!("{what}: {e}")))?;
        let read = async {
            let events = match self
                .client
                .request_events::<PartialObjectMeta<DynamicObject>>(request)
                .await
            {
                Ok(events) => events,
                Err(kube::Error::Api(status)) if status.code == 422 => {
                    return Ok(Streamed::Refused);
                }
                Err(e) => return Err(self.describe(e, &what)),
            };
            futures::pin_mut!(events);
            let mut shared = Shared::new(kind).clustered(self.aggregator);
            let mut page = Vec::new();
            let mut handed_over = false;
            while let Some(event) = events
                .try_next()
                .await
                .map_err(|e| self.describe(e, &what))?
            {
                match event {
                    WatchEvent::Added(item) | WatchEvent::Modified(item) => {
                        let object =
                            retain.trim(LeanMeta::from(item.metadata).into_meta(&mut shared));
                        if (retain.keep)(&object) {
                            page.push(object);
                        }
                        if page.len() >= PAGE_SIZE as usize {
                            ui::page_fetched(page.len());
                            on_page(Page::Objects(std::mem::take(&mut page))).await;
                            handed_over = true;
                        }
                    }
                    WatchEvent::Deleted(_) => {}
                    WatchEvent::Bookmark(b) => {
                        if b.metadata.annotations.get("k8s.io/initial-events-end")
                            == Some(&"true".to_string())
                        {
                            ui::page_fetched(page.len());
                            on_page(Page::Objects(page)).await;
                            return Ok(Streamed::Whole);
                        }
                    }
                    WatchEvent::Error(status) if status.code == 422 => {
                        // Pages handed over are taken back before the list is read in pages.
                        if handed_over {
                            on_page(Page::Restarted).await;
                        }
                        return Ok(Streamed::Refused);
                    }
                    WatchEvent::Error(status) => {
                        return Err(Error::cluster(format!(
                            "Error from server ({}): {}",
                            status.reason, status.message
                        ))
                        .with_status(status.code));
                    }
                }
            }
            // The server closed the stream before the initial events were complete (its
            // timeout on a very large list): what came is not the whole list.
            if handed_over {
                on_page(Page::Restarted).await;
            }
            Ok(Streamed::Cut)
        };
        match self.request_timeout {
            Some(limit) => tokio::time::timeout(limit, read).await.map_err(|_| {
                Error::cluster(format!(
                    "{what}: no initial-events-end bookmark within --request-timeout ({limit:?})"
                ))
            })?,
            None => read.await,
        }
    }

    /// Every object of `kind` as the server's `Table` (the columns `kubectl get -o wide` shows,
    /// each row with its object's metadata), page by page: what a listing reads when a column
    /// holds the answer (a workload's Images) and the object's spec must not be fetched.
    /// Only the rows `keep` picks are kept, page by page.
    pub async fn list_table(
        &self,
        kind: &Kind,
        namespace: Option<&str>,
        keep: &(dyn Fn(&TableRow, &ServerTable) -> bool + Sync),
    ) -> Result<ServerTable> {
        let mut shared = Shared::new(kind).clustered(self.aggregator);
        let mut table = ServerTable::default();
        self.paged(
            kind,
            namespace,
            ListParams::default(),
            |lists, params| {
                let mut request = lists.list(params)?;
                let uri = format!("{}&includeObject=Metadata", request.uri());
                *request.uri_mut() = uri.parse().expect("a list URI with one more parameter");
                request.headers_mut().insert(
                    http::header::ACCEPT,
                    HeaderValue::from_static("application/json;as=Table;v=v1;g=meta.k8s.io"),
                );
                Ok(request)
            },
            async |page: Option<TablePage>| match page {
                None => table.rows.clear(),
                Some(page) => {
                    if table.columns.is_empty() {
                        table.columns = page
                            .column_definitions
                            .into_iter()
                            .map(|c| c.name)
                            .collect();
                    }
                    for row in page.rows {
                        let row = TableRow {
                            object: row.object.metadata.into_meta(&mut shared),
                            cells: row.cells,
                        };
                        if keep(&row, &table) {
                            table.rows.push(row);
                        }
                    }
                }
            },
        )
        .await?;
        Ok(table)
    }

    /// One paged list (kubectl's page size): each page decoded as `T` and handed over, `None`
    /// when the list starts again because its continue token expired (410).
    async fn paged<T: serde::de::DeserializeOwned + Continued>(
        &self,
        kind: &Kind,
        namespace: Option<&str>,
        base: ListParams,
        build: impl Fn(
            &kube::core::Request,
            &ListParams,
        )
            -> std::result::Result<http::Request<Vec<u8>>, kube::core::request::Error>,
        mut on_page: impl AsyncFnMut(Option<T>),
    ) -> Result<()> {
        const MAX_RESTARTS: usize = 3;
        let ar = api_resource(kind);
        let url = match namespace {
            Some(ns) if kind.namespaced => {
                <DynamicObject as kube::Resource>::url_path(&ar, Some(ns))
            }
            _ => <DynamicObject as kube::Resource>::url_path(&ar, None),
        };
        let lists = kube::core::Request::new(url);
        let what = format!("list {}", kind.qualified_plural());
        let base = match self.aggregator {
            // Clusterpedia hands out continue tokens only when asked for them: a pager that does
            // not ask stops, silently, after the first page. Its offsets need a stable order.
            Some(Aggregator::Clusterpedia) => {
                let search = "search.clusterpedia.io/with-continue=true,search.clusterpedia.io/orderby in (cluster,namespace,name)";
                let labels = match base.label_selector.as_deref() {
                    Some(l) if !l.is_empty() => format!("{l},{search}"),
                    _ => search.to_string(),
                };
                base.labels(&labels)
            }
            _ => base,
        };
        let mut restarts = 0;
        'restart: loop {
            let mut token: Option<String> = None;
            let mut tokens_seen = std::collections::HashSet::new();
            loop {
                let mut params = match self.list_mode {
                    // kube drops resourceVersion=0 beside a limit; the cache ignores limits.
                    ListMode::Cache => base.clone().match_any(),
                    _ if self.chunk_size == 0 => base.clone(),
                    _ => base.clone().limit(self.chunk_size),
                };
                if let Some(t) = &token {
                    params = params.continue_token(t);
                }
                let send = || async {
                    let request = build(&lists, &params).map_err(kube::Error::BuildRequest)?;
                    self.client.request::<T>(request).await
                };
                let page = match self.request(&what, send).await {
                    Ok(page) => page,
                    Err(e)
                        if token.is_some() && e.status == Some(410) && restarts < MAX_RESTARTS =>
                    {
                        // A 410 on a continue token: the snapshot is gone; list again from the start.
                        restarts += 1;
                        on_page(None).await;
                        ui::log(2, || {
                            format!("continue token for {what} expired; restarting the list")
                        });
                        continue 'restart;
                    }
                    Err(e) => return Err(e),
                };
                let next = page.continue_token();
                ui::log(6, || format!("{what}: page of {} objects", page.len()));
                ui::page_fetched(page.len());
                on_page(Some(page)).await;
                match next {
                    // A token handed out twice would make the list go round for ever.
                    Some(next) if !tokens_seen.insert(next.clone()) => {
                        return Err(Error::cluster(format!(
                            "{what}: the server returned a continue token it had already returned; stopping the list instead of reading the same pages again"
                        )));
                    }
                    Some(next) => token = Some(next),
                    None => return Ok(()),
                }
            }
        }
    }

    /// Gets one object's metadata; `Ok(None)` when it does not exist.
    pub async fn get_meta(
        &self,
        kind: &Kind,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<MetaObject>> {
        let api = self.api(kind, namespace);
        let what = format!("get {} {name}", kind.qualified_plural());
        Ok(self
            .request(&what, || api.get_metadata_opt(name))
            .await?
            .map(|item| to_meta(kind, item)))
    }

    /// A Service's metadata and its pod selector (the one object whose spec `who` reads: what a
    /// Service sends traffic to is in its spec, not its metadata); `Ok(None)` when it does not
    /// exist.
    pub async fn get_service(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Option<(MetaObject, std::collections::BTreeMap<String, String>)>> {
        use k8s_openapi::api::core::v1::Service;
        let api: Api<Service> = Api::namespaced(self.client.clone(), namespace);
        let what = format!("get services {name}");
        let Some(service) = self.request(&what, || api.get_opt(name)).await? else {
            return Ok(None);
        };
        let selector = service
            .spec
            .and_then(|spec| spec.selector)
            .unwrap_or_default();
        Ok(Some((
            object_meta(&Kind::service(), service.metadata),
            selector,
        )))
    }

    /// The endpoints with this address in every namespace's EndpointSlices (full objects,
    /// kubectl's page size: addresses are in no metadata), each with its Service and the pod
    /// its `targetRef` names.
    pub async fn endpoints_with(&self, ip: std::net::IpAddr) -> Result<Vec<Endpoint>> {
        use k8s_openapi::api::discovery::v1::EndpointSlice;
        let mut found = Vec::new();
        // Filtered page by page: a cluster's slices are never all held at once.
        self.paged(
            &Kind::endpoint_slice(),
            None,
            ListParams::default(),
            |lists, params| lists.list(params),
            async |page: Option<kube::core::ObjectList<EndpointSlice>>| match page {
                None => found.clear(),
                Some(page) => {
                    for slice in page.items {
                        found.extend(endpoints_of(slice, ip));
                    }
                }
            },
        )
        .await?;
        Ok(found)
    }

    /// The objects of `kind` in full (in `namespace`, or every namespace's), paged: for the few
    /// small kinds whose answer is in their spec (EndpointSlices, Ingresses, HTTPRoutes,
    /// RoleBindings), never for workloads or pods.
    pub async fn list_objects<K>(&self, kind: &Kind, namespace: Option<&str>) -> Result<Vec<K>>
    where
        K: serde::de::DeserializeOwned + Clone,
    {
        let mut objects = Vec::new();
        self.paged(
            kind,
            namespace,
            ListParams::default(),
            |lists, params| lists.list(params),
            async |page: Option<kube::core::ObjectList<K>>| match page {
                None => objects.clear(),
                Some(page) => objects.extend(page.items),
            },
        )
        .await?;
        Ok(objects)
    }

    /// Sends a JSON merge patch (`application/merge-patch+json`) as field manager `kubectl-owner`,
    /// with `dryRun=All` when `dry_run`, and returns the object's metadata after it. Retried on 429
    /// and 503 only (the server did not take it); a lost connection, a timeout, a 500 or a 504
    /// leave its outcome unknown ([`Error::outcome_unknown`]): the caller reads the object again.
    /// A 409 is the error with `status == Some(409)`: re-read and re-decide.
    pub async fn patch_meta(
        &self,
        kind: &Kind,
        namespace: Option<&str>,
        name: &str,
        patch: &serde_json::Value,
        dry_run: bool,
    ) -> Result<MetaObject> {
        let api = self.api(kind, namespace);
        let params = PatchParams {
            dry_run,
            field_manager: Some("kubectl-owner".to_string()),
            ..PatchParams::default()
        };
        let patch = Patch::Merge(patch);
        let what = format!("patch {} {name}", kind.qualified_plural());
        // A connection lost after the patch was sent leaves its outcome unknown: the caller reads
        // the object again instead of sending it blind.
        Ok(to_meta(
            kind,
            self.request_retrying(
                &what,
                || api.patch_metadata(name, &params, &patch),
                Transport::Report,
            )
            .await?,
        ))
    }

    /// The cluster's config document (`config.yaml` of ConfigMap `kube-public/kubectl-owner`)
    /// and its resourceVersion. Absent (404), forbidden (403) or without the key: `None`, as
    /// documented. Anything else is an error: a policy that could not be read is not "no policy".
    pub async fn registry_document(&self) -> Result<Option<(String, Option<String>)>> {
        let api: Api<ConfigMap> = Api::namespaced(self.client.clone(), REGISTRY_NAMESPACE);
        match self
            .request("get configmap", || api.get_opt(REGISTRY_NAME))
            .await
        {
            Ok(Some(cm)) => {
                let resource_version = cm.metadata.resource_version.clone();
                let text = cm.data.and_then(|mut d| d.remove(REGISTRY_KEY));
                if text.is_none() {
                    ui::log(2, || {
                        format!(
                            "configmap {REGISTRY_NAMESPACE}/{REGISTRY_NAME} has no config.yaml key; ignored"
                        )
                    });
                }
                Ok(text.map(|t| (t, resource_version)))
            }
            Ok(None) => {
                ui::log(2, || {
                    format!("no registry configmap {REGISTRY_NAMESPACE}/{REGISTRY_NAME}")
                });
                Ok(None)
            }
            Err(e) if e.status == Some(403) => {
                ui::log(2, || {
                    format!("registry configmap {REGISTRY_NAMESPACE}/{REGISTRY_NAME} skipped: {e}")
                });
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Finds a workload CRD by discovery (one request per group-version); `None` when not installed.
    /// Answers are cached for the session, so no group-version is asked twice.
    pub async fn discover(&self, kind: &Kind) -> Result<Option<Kind>> {
        let key = format!("{}/{}", kind.api_version(), kind.kind);
        if let Some(known) = self.discovered.lock().expect("discovery cache").get(&key) {
            return Ok(known.clone());
        }
        let gvk = GroupVersionKind::gvk(&kind.group, &kind.version, &kind.kind);
        let what = format!("discover {}", kind.api_version());
        let found = match self
            .request(&what, || kube::discovery::pinned_kind(&self.client, &gvk))
            .await
        {
            Ok((ar, caps)) => Some(Kind {
                plural: ar.plural,
                namespaced: caps.scope == kube::discovery::Scope::Namespaced,
                ..kind.clone()
            }),
            // Not served (404), or served without this kind: not installed.
            Err(e) if e.status == Some(404) => None,
            Err(e) => return Err(e),
        };
        self.discovered
            .lock()
            .expect("discovery cache")
            .insert(key, found.clone());
        Ok(found)
    }

    /// kubectl's wording, naming the request when the failure is not the server's own answer.
    fn describe(&self, err: kube::Error, what: &str) -> Error {
        describe_error(err, &self.server, what, self.exec_command.as_deref())
    }
}

/// What a request does when the connection fails mid-way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    /// Send it again: reads are idempotent.
    Retry,
    /// Report it ([`Error::outcome_unknown`]): a write may have landed.
    Report,
}

/// How long to wait before retrying after `err`, or `None` when retrying cannot help: 429, 500,
/// 503 and 504 from the server, or a connection dropped or reset mid-request — not a refused
/// connection (nobody is listening), not TLS, not a client-side error.
fn retry_delay(err: &kube::Error, attempt: u32) -> Option<Duration> {
    // A credential plugin that failed fails again: running it five times helps nobody.
    if credential_error(err, None).is_some() {
        return None;
    }
    let backoff = RETRY_BASE_DELAY * 2u32.pow(attempt);
    match err {
        kube::Error::Api(status) if matches!(status.code, 429 | 500 | 503 | 504) => {
            let asked = status
                .details
                .as_ref()
                .map(|d| d.retry_after_seconds)
                .filter(|s| *s > 0);
            Some(
                asked
                    .map(|s| Duration::from_secs(s.into()).min(MAX_RETRY_AFTER))
                    .unwrap_or(backoff),
            )
        }
        kube::Error::HyperError(_) | kube::Error::Service(_) => {
            let text = error_chain(err).join(": ");
            let permanent = text.contains("Connection refused")
                || text.contains("certificate")
                || text.contains("tls");
            (!permanent).then_some(backoff)
        }
        _ => None,
    }
}

fn error_chain(err: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut chain = Vec::new();
    let mut source = Some(err);
    while let Some(e) = source {
        chain.push(e.to_string());
        source = e.source();
    }
    chain
}

/// kubectl's line for a failed credential plugin or token source anywhere in `err`'s chain.
/// kube's own `Display` of these errors carries the plugin's command line, its environment and
/// its output, any of which may hold a secret: none of that is ever printed. `exec_command` is
/// the plugin's command as the kubeconfig names it.
fn credential_error(
    err: &(dyn std::error::Error + 'static),
    exec_command: Option<&str>,
) -> Option<String> {
    use kube::client::AuthError;
    let mut source = Some(err);
    while let Some(e) = source {
        if let Some(auth) = e.downcast_ref::<AuthError>() {
            let what = match auth {
                AuthError::AuthExecRun { out, .. } => {
                    let program = exec_command.unwrap_or("plugin");
                    match out.status.code() {
                        Some(code) => {
                            format!("exec: executable {program} failed with exit code {code}")
                        }
                        None => format!("exec: executable {program} was terminated by a signal"),
                    }
                }
                AuthError::AuthExecStart(io) if io.kind() == std::io::ErrorKind::NotFound => {
                    format!(
                        "exec: executable {} not found",
                        exec_command.unwrap_or("plugin")
                    )
                }
                AuthError::AuthExecStart(io) => format!("exec: {io}"),
                AuthError::AuthExec(_)
                | AuthError::AuthExecParse(_)
                | AuthError::AuthExecSerialize(_) => {
                    "exec: the credential plugin failed or returned an invalid ExecCredential"
                        .to_string()
                }
                AuthError::ReadTokenFile(io, path) => {
                    format!("reading token file {}: {io}", path.display())
                }
                other => other.to_string(),
            };
            return Some(format!(
                "Unable to connect to the server: getting credentials: {what}"
            ));
        }
        source = e.source();
    }
    None
}

/// Translates a kube error into the line kubectl would print.
fn describe_error(err: kube::Error, server: &str, what: &str, exec_command: Option<&str>) -> Error {
    if let Some(message) = credential_error(&err, exec_command) {
        return Error::cluster(message);
    }
    if let kube::Error::Api(status) = &err {
        if status.code == 401 {
            return Error::cluster("You must be logged in to the server (Unauthorized)")
                .with_status(401);
        }
        let reason = if status.reason.is_empty() {
            "Unknown".to_string()
        } else {
            status.reason.clone()
        };
        return Error::cluster(format!("Error from server ({reason}): {}", status.message))
            .with_status(status.code);
    }
    // Discovery found the group-version but not the kind: as good as not served.
    if let kube::Error::Discovery(e) = &err {
        return Error::cluster(format!("{}: {e}", what)).with_status(404);
    }
    if let kube::Error::SerdeError(e) = &err {
        return Error::cluster(format!("{what}: the server sent an invalid response: {e}"));
    }
    let mut chain = Vec::new();
    let mut refused = false;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            refused = true;
        }
        chain.push(e.to_string());
        source = e.source();
    }
    let text = chain.join(": ");
    if refused || text.contains("Connection refused") {
        return Error::cluster(format!(
            "The connection to the server {server} was refused - did you specify the right host or port?"
        ));
    }
    if text.contains("certificate")
        || text.contains("InvalidCertificate")
        || text.contains("UnknownIssuer")
    {
        let detail = chain.last().cloned().unwrap_or_default();
        return Error::cluster(format!(
            "Unable to connect to the server: tls: failed to verify certificate: {detail}"
        ));
    }
    Error::cluster(format!(
        "Unable to connect to the server: {}",
        chain.last().cloned().unwrap_or(text)
    ))
}
