//! Collecting what a command looks at: the session, the effective config, and metadata lists
//! joined in memory into rows with their controller chains.

use std::collections::HashMap;

use futures::{StreamExt, TryStreamExt};

use crate::cli::options::{Contexts, GlobalOptions, Scope};

use crate::cluster::session::{self, Page, Retain, ServerTable, Session, TableRow};
use crate::config::{self, Config, ConfigSource};
use crate::core::kinds::{Catalog, Kind};
use crate::core::ownership::{self, ByUid, MetaObject, Ownership};
use crate::core::selector::{FieldSelector, LabelSelector};
use crate::error::{Error, Result};
use crate::output::ui;

/// How many lists run at once (kinds, and namespaces in degraded mode).
const LIST_CONCURRENCY: usize = 4;

/// One cluster as a command sees it: the connection, the effective config (local file over the
/// cluster's ConfigMap) and the kinds its API serves. (A kubeconfig *context* names which one.)
pub struct Cluster {
    pub session: Session,
    pub config: Config,
    pub catalog: Catalog,
    /// The documents `config` was built from (none: the defaults).
    pub config_sources: Vec<ConfigSource>,
}

/// What a command does when the cluster's config (ConfigMap `kube-public/kubectl-owner`) exists
/// but cannot be read or parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterConfig {
    /// Fail: the command writes or judges by that policy (`assign`, `unassign`, `check`).
    Required,
    /// Warn and go on with the local file and defaults (`ls`, `who`, `teams`).
    BestEffort,
}

impl Cluster {
    /// Loads the local config first (a broken file fails before any request), connects, and
    /// merges the cluster's config (`kube-public/kubectl-owner`) under the local file, unless
    /// `--cluster-config=false`.
    pub async fn open(global: &GlobalOptions, need: ClusterConfig) -> Result<Cluster> {
        let local = config::load_local(global.config_path.as_deref())
            .map_err(|e| Error::config(e.to_string()))?;
        let mut config_sources = Vec::new();
        match (&local, config::locate(global.config_path.as_deref())) {
            (Some(_), Some(path)) => config_sources.push(ConfigSource::file(&path)),
            _ => ui::log(2, || {
                format!(
                    "no local config file (looked in: {:?})",
                    config::search_path()
                )
            }),
        }
        let session = session::connect(&global.connection).await?;
        let cluster_doc = if !global.ignore_cluster_config {
            Self::cluster_document(&session, need, &mut config_sources).await?
        } else {
            ui::log(2, || {
                "--cluster-config=false: the cluster's config is not read".to_string()
            });
            None
        };
        let config = config::merge(local, cluster_doc);
        let catalog = Catalog::new(&config.workloads);
        Ok(Cluster {
            session,
            config,
            catalog,
            config_sources,
        })
    }

    /// The cluster's config document, parsed. A server that cannot be reached or rejects our
    /// credentials is an error for every command (the next request would fail the same way).
    async fn cluster_document(
        session: &Session,
        need: ClusterConfig,
        sources: &mut Vec<ConfigSource>,
    ) -> Result<Option<config::ConfigFile>> {
        let failed = |message: String| -> Result<Option<config::ConfigFile>> {
            match need {
                ClusterConfig::Required => Err(Error::config(format!(
                    "{message} (pass --cluster-config=false to run without the cluster's config)"
                ))),
                ClusterConfig::BestEffort => {
                    ui::warn(&format!(
                        "{message}; going on with the local config and defaults"
                    ));
                    Ok(None)
                }
            }
        };
        match session.registry_document().await {
            Ok(Some((text, resource_version))) => {
                match config::parse(&text, config::CLUSTER_ORIGIN) {
                    Ok(doc) => {
                        sources.push(ConfigSource::config_map(resource_version));
                        Ok(Some(doc))
                    }
                    Err(e) => failed(e.to_string()),
                }
            }
            Ok(None) => Ok(None),
            Err(e) if e.status.is_none() || e.status == Some(401) => Err(e),
            Err(e) => failed(format!(
                "could not read the cluster's config ({}): {}",
                config::CLUSTER_ORIGIN,
                e.message
            )),
        }
    }

    /// The namespace a non-`-A` command looks at.
    pub fn namespace(&self, scope: &Scope) -> Option<String> {
        match scope {
            Scope::AllNamespaces => None,
            Scope::Namespace(ns) => Some(
                ns.clone()
                    .unwrap_or_else(|| self.session.default_namespace.clone()),
            ),
        }
    }

    /// `kind` as the server serves it: built-ins as they are, CRDs through (cached) discovery;
    /// `None` when the CRD is not installed.
    pub async fn served_kind(&self, kind: &Kind) -> Result<Option<Kind>> {
        if kind.is_builtin() {
            Ok(Some(kind.clone()))
        } else {
            self.session.discover(kind).await
        }
    }

    /// Every namespace's objects of `kind` that the selectors pick, metadata only, in one list;
    /// when RBAC refuses it cluster-wide, one list per namespace the user can see, as `ls` reads.
    /// What stays unreadable is returned, for [`warn_unreadable`] to name once per answer.
    pub async fn list_everywhere(
        &self,
        kind: &Kind,
        labels: Option<&str>,
        fields: Option<&str>,
    ) -> Result<(Vec<MetaObject>, Vec<Unreadable>)> {
        let cell = tokio::sync::OnceCell::new();
        let lister = Lister {
            cluster: self,
            namespace: None,
            namespaces: &cell,
            keys: None,
        };
        let listed = lister.list_all(kind, labels, fields, false).await?;
        Ok((listed.objects, listed.unreadable))
    }

    /// Each kind's objects (in `namespace`, or every namespace's) as the server's `Table` (see
    /// [`Session::list_table`]), keeping the rows `keep` picks; kinds RBAC refuses are returned
    /// as unreadable.
    pub async fn tables_everywhere(
        &self,
        kinds: &[Kind],
        namespace: Option<&str>,
        keep: &(dyn Fn(&TableRow, &ServerTable) -> bool + Sync),
    ) -> Result<(Vec<(Kind, ServerTable)>, Vec<Unreadable>)> {
        let mut tables = Vec::new();
        let mut unreadable = Vec::new();
        for kind in kinds {
            let read = self
                .session
                .list_table(kind, namespace, keep)
                .await
                .map(Some);
            if let Some(table) = unless_refused(read, kind, &mut unreadable)? {
                tables.push((kind.clone(), table));
            }
        }
        Ok((tables, unreadable))
    }

    /// A TYPE the user named: an uninstalled CRD is kubectl's "doesn't have a resource type".
    pub async fn named_kind(&self, kind: &Kind, typed: &str) -> Result<Kind> {
        self.served_kind(kind).await?.ok_or_else(|| {
            Error::usage(format!(
                "the server doesn't have a resource type \"{typed}\""
            ))
        })
    }

    /// Built-in workload kinds plus the configured CRDs that discovery finds installed.
    pub async fn installed_workloads(&self) -> Result<Vec<Kind>> {
        let mut kinds = Vec::new();
        for kind in self.catalog.workloads() {
            if let Some(found) = self.served_kind(kind).await? {
                kinds.push(found);
            } else {
                ui::log(2, || {
                    format!(
                        "workload kind {}/{} is not installed; skipped",
                        kind.api_version(),
                        kind.kind
                    )
                });
            }
        }
        Ok(kinds)
    }
}

/// The clusters a command covers, as a report names them: `context prod`, `contexts a, b`.
pub fn describe_contexts(global: &GlobalOptions) -> Result<String> {
    if let Some(names) = context_names(global)? {
        return Ok(format!("contexts {}", names.join(", ")));
    }
    let current = match &global.connection.context {
        Some(name) => Some(name.clone()),
        None => session::load_kubeconfig(global.connection.kubeconfig.as_deref())?
            .and_then(|kc| kc.current_context)
            .filter(|c| !c.is_empty()),
    };
    Ok(match current {
        Some(name) => format!("context {name}"),
        None => "the in-cluster configuration".to_string(),
    })
}

/// The contexts to query when several were asked for (`--contexts`, `--all-contexts`); `None`
/// for the one kubectl would use.
pub fn context_names(global: &GlobalOptions) -> Result<Option<Vec<String>>> {
    match &global.contexts {
        Contexts::Current => Ok(None),
        Contexts::Named(names) => Ok(Some(names.clone())),
        Contexts::All => {
            let kubeconfig = session::load_kubeconfig(global.connection.kubeconfig.as_deref())?;
            let names: Vec<String> = kubeconfig
                .map(|kc| kc.contexts.into_iter().map(|c| c.name).collect())
                .unwrap_or_default();
            if names.is_empty() {
                return Err(Error::cluster(
                    "--all-contexts: the kubeconfig has no contexts",
                ));
            }
            Ok(Some(names))
        }
    }
}

/// Runs `load` for each asked-for context, at most `--max-parallel` at once (or once, for the
/// current context); results come back in the contexts' order.
/// A failing context is reported on stderr and does not stop the others; the flag says whether
/// any failed. With a single (current) context its error is returned as is.
pub async fn per_context<T, F, Fut>(
    global: &GlobalOptions,
    load: F,
) -> Result<(Vec<(Option<String>, T)>, bool)>
where
    F: Fn(GlobalOptions) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let Some(names) = context_names(global)? else {
        return Ok((vec![(None, load(global.clone()).await?)], false));
    };
    // One progress line for the whole fleet, counting the clusters done.
    let _progress = ui::Progress::start("listing");
    ui::clusters_total(names.len());
    let mut results: Vec<(usize, Result<T>)> =
        futures::stream::iter(names.iter().enumerate().map(|(index, name)| {
            let mut one = global.clone();
            one.connection.context = Some(name.clone());
            let loading = load(one);
            async move { (index, loading.await) }
        }))
        .buffer_unordered(global.max_parallel.max(1))
        .inspect(|_| ui::cluster_done())
        .collect()
        .await;
    // The failures below are whole lines, not written over the progress line.
    drop(_progress);
    results.sort_by_key(|(index, _)| *index);
    let results = results.into_iter().map(|(_, result)| result);
    let mut loaded = Vec::new();
    let mut failed = false;
    for (name, result) in names.into_iter().zip(results) {
        match result {
            Ok(value) => loaded.push((Some(name), value)),
            Err(e) => {
                ui::partial_error(&format!("context \"{name}\": {}", e.message));
                failed = true;
            }
        }
    }
    Ok((loaded, failed))
}

/// What to list.
pub struct ListPlan {
    /// Kinds whose objects may become rows (listed with the selectors).
    pub row_kinds: Vec<Kind>,
    /// Only objects without a workload controller are rows (the default `ls`/`check` rows).
    pub top_level_only: bool,
    /// Kinds listed without selectors so chains can be joined (empty when not needed).
    pub ancestor_kinds: Vec<Kind>,
    pub namespace: Option<String>,
    pub label_selector: Option<LabelSelector>,
    pub field_selector: Option<FieldSelector>,
    /// Label keys kept on every listed object besides the ownership keys (`ls -L`).
    pub label_columns: Vec<String>,
}

/// Listed metadata, ready to be joined.
pub struct Inventory {
    pub rows: Vec<MetaObject>,
    pub ancestors: Vec<MetaObject>,
    pub namespaces: HashMap<String, MetaObject>,
    /// What RBAC kept hidden (degraded mode): results are partial when non-empty.
    pub unreadable: Vec<Unreadable>,
}

/// A row with its chain (object first) and resolved ownership.
pub struct Resolution<'a> {
    pub chain: Vec<&'a MetaObject>,
    pub ownership: Ownership,
}

impl<'a> Resolution<'a> {
    pub fn object(&self) -> &'a MetaObject {
        self.chain[0]
    }
}

/// What [`Inventory::for_each_row`] hands over as rows arrive.
// Handed over by value, one at a time: boxing each row would cost an allocation per row.
#[allow(clippy::large_enum_variant)]
pub enum RowEvent<'a> {
    /// The next row.
    Row(Resolution<'a>),
    /// The list of this kind started again (its continue token expired): every row of this kind
    /// handed over so far is withdrawn, and the kind's rows come again from the new list.
    Restarted(&'a Kind),
}

/// A list that RBAC refused, in degraded mode: ownership there is unknown, not absent.
pub use crate::core::policy::Unreadable;

/// A cluster-wide read whose refusal by RBAC is not the end of the answer: it is recorded in
/// `unreadable` (for [`warn_unreadable`]) and reads as nothing.
pub fn unless_refused<T: Default>(
    read: Result<T>,
    kind: &Kind,
    unreadable: &mut Vec<Unreadable>,
) -> Result<T> {
    match read {
        Err(e) if e.is_forbidden() => {
            unreadable.push(forbidden(None, kind));
            Ok(T::default())
        }
        other => other,
    }
}

/// What RBAC refused: `kind` in `namespace` (`None`: cluster-wide).
pub fn forbidden(namespace: Option<String>, kind: &Kind) -> Unreadable {
    Unreadable {
        context: None,
        namespace,
        resource: kind.qualified_plural(),
        reason: "Forbidden".to_string(),
    }
}

/// One kind's objects, and where RBAC kept us from seeing them.
#[derive(Default)]
struct Listed {
    objects: Vec<MetaObject>,
    unreadable: Vec<Unreadable>,
}

/// The namespaces' metadata by name, and what could not be read of them.
type NamespaceMetas = (HashMap<String, MetaObject>, Option<Unreadable>);

/// Lists one kind; when a cluster-wide list is forbidden, falls back to one list per namespace
/// the user can see (the context namespace at least) and records what stays forbidden.
struct Lister<'a> {
    cluster: &'a Cluster,
    namespace: Option<&'a str>,
    namespaces: &'a tokio::sync::OnceCell<NamespaceMetas>,
    /// Label and annotation keys kept (`None`: all).
    keys: Option<&'a std::collections::HashSet<String>>,
}

impl Lister<'_> {
    async fn namespace_metas(&self) -> Result<&NamespaceMetas> {
        self.namespaces
            .get_or_try_init(|| Inventory::namespaces(self.cluster, self.namespace))
            .await
    }

    /// Lists one kind, handing its objects to `sink` page by page (per namespace after a
    /// cluster-wide refusal), and returns what RBAC kept hidden.
    async fn list(
        &self,
        kind: &Kind,
        labels: Option<&str>,
        fields: Option<&str>,
        top_level_only: bool,
        mut sink: impl AsyncFnMut(Page),
    ) -> Result<Vec<Unreadable>> {
        let session = &self.cluster.session;
        let catalog = &self.cluster.catalog;
        let top_level = |o: &MetaObject| {
            !o.controller
                .as_ref()
                .is_some_and(|c| catalog.is_workload(&c.api_version, &c.kind))
        };
        let retain = &Retain {
            keep: if top_level_only {
                &top_level
            } else {
                &|_| true
            },
            keys: self.keys,
        };
        match session
            .list_meta_pages(kind, self.namespace, labels, fields, retain, async |page| {
                sink(page).await
            })
            .await
        {
            Ok(()) => Ok(Vec::new()),
            // A multi-cluster engine serves only the kinds it syncs: the others are unseen.
            Err(e) if e.status == Some(404) && session.aggregator.is_some() => {
                let engine = session.aggregator.map(|a| a.name()).unwrap_or_default();
                Ok(vec![Unreadable {
                    context: None,
                    namespace: None,
                    resource: kind.qualified_plural(),
                    reason: format!("not synced by {engine}"),
                }])
            }
            Err(e) if e.is_forbidden() && self.namespace.is_none() && kind.namespaced => {
                let (metas, namespaces_unknown) = self.namespace_metas().await?;
                let mut targets: Vec<String> = metas.values().map(|m| m.name.clone()).collect();
                targets.sort();
                targets.dedup();
                if targets.is_empty() {
                    targets.push(session.default_namespace.clone());
                }
                targets.sort();
                let mut unreadable = Vec::new();
                if namespaces_unknown.is_some() {
                    // Which namespaces exist is unknown: the ones tried may not be all.
                    unreadable.push(Unreadable {
                        context: None,
                        namespace: None,
                        resource: kind.qualified_plural(),
                        reason: format!(
                            "Forbidden cluster-wide; read in namespace {} only, other namespaces may exist",
                            targets.join(", ")
                        ),
                    });
                }
                ui::log(2, || {
                    format!(
                        "{e}; listing {} per namespace ({} namespaces)",
                        kind.qualified_plural(),
                        targets.len()
                    )
                });
                // Namespaces are listed a few at a time; each one's objects go on as one page.
                let mut results = futures::stream::iter(targets)
                    .map(|ns| async move {
                        let listed = session
                            .list_meta_retaining(kind, Some(&ns), labels, fields, retain)
                            .await;
                        (ns, listed)
                    })
                    .buffered(LIST_CONCURRENCY);
                while let Some((ns, result)) = results.next().await {
                    match result {
                        Ok(objects) => sink(Page::Objects(objects)).await,
                        Err(e) if e.is_forbidden() => unreadable.push(forbidden(Some(ns), kind)),
                        Err(e) => return Err(e),
                    }
                }
                Ok(unreadable)
            }
            Err(e) if e.is_forbidden() && self.namespace.is_none() => {
                Ok(vec![forbidden(None, kind)])
            }
            Err(e) => Err(e),
        }
    }

    /// Lists one kind into memory.
    async fn list_all(
        &self,
        kind: &Kind,
        labels: Option<&str>,
        fields: Option<&str>,
        top_level_only: bool,
    ) -> Result<Listed> {
        let mut objects = Vec::new();
        let unreadable = self
            .list(
                kind,
                labels,
                fields,
                top_level_only,
                async |page| match page {
                    Page::Objects(page) => objects.extend(page),
                    Page::Restarted => objects.clear(),
                },
            )
            .await?;
        Ok(Listed {
            objects,
            unreadable,
        })
    }
}

/// Pages of rows in flight between the row lists and the code that joins them: enough to keep
/// the lists busy while the chains' workloads are still being listed, few enough to bound memory.
const ROW_PAGES_IN_FLIGHT: usize = 8;

/// A uid as a set key: a UUID (what API servers hand out) in 16 bytes, anything else as text.
#[derive(Hash, PartialEq, Eq)]
enum UidKey {
    Uuid(u128),
    Text(Box<str>),
}

impl UidKey {
    fn of(uid: &str) -> UidKey {
        // Lower-case hex only, so that two keys are equal exactly when the strings are.
        let is_uuid = uid.len() == 36
            && uid.bytes().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => b == b'-',
                _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
            });
        if is_uuid {
            let value = uid.bytes().filter(|&b| b != b'-').fold(0u128, |n, b| {
                n << 4 | u128::from((b as char).to_digit(16).unwrap_or(0))
            });
            UidKey::Uuid(value)
        } else {
            UidKey::Text(uid.into())
        }
    }
}

impl Inventory {
    /// Lists every kind of the plan (bounded concurrency, metadata only, paginated) and the
    /// namespaces once. With `-A`, lists RBAC forbids cluster-wide are retried per namespace.
    pub async fn collect(cluster: &Cluster, plan: &ListPlan) -> Result<Inventory> {
        Self::gather(cluster, plan, None).await
    }

    /// Lists as [`Inventory::collect`] does and hands each row's resolution to `each`; the
    /// inventory returned keeps no rows. When no row's chain can run through another row (only
    /// top-level objects are rows, or every workload kind among the rows is listed for the
    /// chains too), rows are resolved page by page as they arrive and never all held at once:
    /// 100,000 pods cost what the caller keeps of them, not their metadata.
    pub async fn for_each_row(
        cluster: &Cluster,
        plan: &ListPlan,
        each: &mut dyn FnMut(RowEvent<'_>),
    ) -> Result<Inventory> {
        Self::gather(cluster, plan, Some(each)).await
    }

    async fn gather(
        cluster: &Cluster,
        plan: &ListPlan,
        mut each: Option<&mut dyn FnMut(RowEvent<'_>)>,
    ) -> Result<Inventory> {
        let _progress = ui::Progress::start("listing");
        let ns = plan.namespace.as_deref();
        let cell = tokio::sync::OnceCell::new();
        let mut keys = crate::core::ownership::ownership_keys(&cluster.config);
        keys.extend(plan.label_columns.iter().cloned());
        let lister = &Lister {
            cluster,
            namespace: ns,
            namespaces: &cell,
            keys: Some(&keys),
        };
        let (labels, fields) = (
            plan.label_selector.as_ref().map(LabelSelector::as_str),
            plan.field_selector.as_ref().map(FieldSelector::as_str),
        );
        let catalog = &cluster.catalog;
        let streaming = plan.top_level_only
            || plan.row_kinds.iter().all(|row| {
                !catalog.is_workload(&row.api_version(), &row.kind)
                    || plan
                        .ancestor_kinds
                        .iter()
                        .any(|a| a.group == row.group && a.kind == row.kind)
            });
        let mut streamed = if streaming { each.take() } else { None };

        // Row pages go through a bounded channel, tagged with their kind's index; so does a
        // restart, which withdraws what came of that kind before it.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<(usize, Page)>(ROW_PAGES_IN_FLIGHT);
        let rows_fut = async move {
            let listed = futures::stream::iter(plan.row_kinds.iter().enumerate())
                .map(|(index, kind)| {
                    let tx = tx.clone();
                    async move {
                        lister
                            .list(kind, labels, fields, plan.top_level_only, async |page| {
                                // A closed channel: the consumer failed and its error wins.
                                let _ = tx.send((index, page)).await;
                            })
                            .await
                    }
                })
                .buffered(LIST_CONCURRENCY)
                .try_collect::<Vec<Vec<Unreadable>>>()
                .await;
            drop(tx);
            listed
        };
        let ancestors_fut = futures::stream::iter(plan.ancestor_kinds.iter())
            .map(|kind| lister.list_all(kind, None, None, false))
            .buffered(LIST_CONCURRENCY)
            .try_collect::<Vec<Listed>>();
        // Namespace rows inherit from no namespace: `ls ns` needs no second namespace list.
        let only_namespaces = plan.row_kinds.iter().all(Kind::is_namespace);
        let namespaces_fut = async {
            match only_namespaces {
                true => Ok(()),
                false => lister.namespace_metas().await.map(|_| ()),
            }
        };
        let config = &cluster.config;
        let cell_ref = &cell;
        let consume = async {
            let ancestors = match futures::try_join!(ancestors_fut, namespaces_fut) {
                Ok((ancestors, ())) => ancestors,
                Err(e) => {
                    // With several lists refused, the user reads the refusal of the rows they
                    // asked for: the row lists run to their end and their error comes first.
                    while rx.recv().await.is_some() {}
                    return Err(e);
                }
            };
            let unreadable: Vec<Unreadable> = ancestors
                .iter()
                .flat_map(|l| l.unreadable.iter().cloned())
                .collect();
            let ancestors = concat(ancestors.into_iter().map(|l| l.objects).collect());
            let by_uid: ByUid = ancestors.iter().map(|o| (o.uid_key(), o)).collect();
            let namespaces = cell_ref.get().map(|(metas, _)| metas);
            // Each uid once (per-namespace lists may overlap a cluster-wide attempt), with the
            // kind it came with, so that a restarted kind can be taken back.
            let mut seen: HashMap<(Option<std::sync::Arc<str>>, UidKey), usize> = HashMap::new();
            let mut kept: Vec<Vec<MetaObject>> =
                plan.row_kinds.iter().map(|_| Vec::new()).collect();
            while let Some((index, page)) = rx.recv().await {
                let objects = match page {
                    Page::Objects(objects) => objects,
                    Page::Restarted => {
                        seen.retain(|_, kind| *kind != index);
                        kept[index].clear();
                        if let Some(each) = streamed.as_mut() {
                            each(RowEvent::Restarted(&plan.row_kinds[index]));
                        }
                        continue;
                    }
                };
                for object in objects {
                    let key = (object.cluster.clone(), UidKey::of(&object.uid));
                    if seen.insert(key, index).is_some() {
                        continue;
                    }
                    match streamed.as_mut() {
                        Some(each) => each(RowEvent::Row(resolve_one(
                            &object, &by_uid, namespaces, config,
                        ))),
                        None => kept[index].push(object),
                    }
                }
            }
            drop(by_uid);
            Ok((ancestors, unreadable, kept))
        };
        let (row_unreadable, (ancestors, ancestor_unreadable, kept)) =
            futures::try_join!(rows_fut, consume)?;
        let (namespaces, namespaces_unknown) = cell.into_inner().unwrap_or_default();
        // Said only once the lists succeeded, so a hard failure is the first line the user sees.
        let namespace_note = match namespaces_unknown.as_ref().map(|u| &u.namespace) {
            Some(Some(ns)) => Some(format!(
                "namespace {ns} could not be read (Forbidden): its labels and annotations are unknown, so nothing inherits from it"
            )),
            Some(None) => Some(format!(
                "namespaces could not be listed (Forbidden): their labels and annotations are unknown, so nothing inherits from them, and lists refused cluster-wide were read in namespace {} only; other namespaces may exist",
                cluster.session.default_namespace
            )),
            None => None,
        };
        let mut unreadable: Vec<Unreadable> = row_unreadable
            .into_iter()
            .flatten()
            .chain(ancestor_unreadable)
            .chain(namespaces_unknown)
            .collect();
        unreadable.sort_by(|a, b| (&a.namespace, &a.resource).cmp(&(&b.namespace, &b.resource)));
        unreadable.dedup();
        warn_unreadable(&unreadable, namespace_note);
        // Objects controlled by a workload were already dropped page by page (Retain::keep).
        let mut inventory = Inventory {
            rows: concat(kept),
            ancestors,
            namespaces,
            unreadable,
        };
        if let Some(each) = each {
            // Rows whose chains run through other rows: resolved once every row is here.
            for row in inventory.resolve_each(config) {
                each(RowEvent::Row(row));
            }
            inventory.rows = Vec::new();
        }
        Ok(inventory)
    }

    async fn namespaces(cluster: &Cluster, ns: Option<&str>) -> Result<NamespaceMetas> {
        let kind = cluster.catalog.namespace();
        let session = &cluster.session;
        let listed = match ns {
            Some(name) => session
                .get_meta(kind, None, name)
                .await
                .map(|o| o.into_iter().collect()),
            None => match session.list_meta(kind, None, None, None).await {
                // A user bound to namespaces may still read the context's own namespace.
                Err(e) if e.is_forbidden() => {
                    match session
                        .get_meta(kind, None, &session.default_namespace)
                        .await
                    {
                        Ok(own) => {
                            return Ok((
                                own.into_iter()
                                    .map(|n| (namespace_index_key(&n), n))
                                    .collect(),
                                Some(forbidden(None, kind)),
                            ));
                        }
                        Err(_) => Err(e),
                    }
                }
                other => other,
            },
        };
        match listed {
            Ok(list) => Ok((
                list.into_iter()
                    .map(|n| (namespace_index_key(&n), n))
                    .collect(),
                None,
            )),
            // Without namespace metadata the namespace level is unknown: not fatal, but named,
            // since every answer that would inherit from a namespace is incomplete.
            Err(e) if e.is_forbidden() => Ok((
                HashMap::new(),
                Some(forbidden(ns.map(str::to_string), kind)),
            )),
            Err(e) => Err(e),
        }
    }

    /// Joins rows to their controllers by uid and resolves each row's ownership.
    pub fn resolve<'a>(&'a self, config: &Config) -> Vec<Resolution<'a>> {
        self.resolve_each(config).collect()
    }

    /// Like [`Inventory::resolve`], one row at a time: a caller that turns each row into output
    /// as it goes never holds every row's resolution at once (100,000 pods).
    pub fn resolve_each<'a>(&'a self, config: &Config) -> impl Iterator<Item = Resolution<'a>> {
        let by_uid: ByUid = self
            .ancestors
            .iter()
            .chain(self.rows.iter())
            .map(|o| (o.uid_key(), o))
            .collect();
        self.rows
            .iter()
            .map(move |object| resolve_one(object, &by_uid, Some(&self.namespaces), config))
    }
}

/// A Namespace object's key in the namespace index (see [`MetaObject::namespace_key`]).
fn namespace_index_key(namespace: &MetaObject) -> String {
    crate::core::ownership::namespace_key(namespace.cluster.as_deref(), &namespace.name)
        .into_owned()
}

/// One row's chain (through `by_uid`) and ownership (with its namespace's metadata).
fn resolve_one<'a>(
    object: &'a MetaObject,
    by_uid: &ByUid<'a>,
    namespaces: Option<&'a HashMap<String, MetaObject>>,
    config: &Config,
) -> Resolution<'a> {
    let chain = ownership::chain_of(object, by_uid);
    let ns_name = if &*object.kind == "Namespace" && &*object.api_version == "v1" {
        Some(object.name.as_str())
    } else {
        object.namespace.as_deref()
    };
    let ns_meta = object
        .namespace_key()
        .and_then(|key| namespaces.and_then(|m| m.get(key.as_ref())));
    let ownership = ownership::resolve(&chain, ns_meta, ns_name, config);
    Resolution { chain, ownership }
}

/// Every list's objects in one vector, in order, sized exactly (no spare capacity for 100,000
/// pods) and reusing the first list's allocation.
fn concat(lists: Vec<Vec<MetaObject>>) -> Vec<MetaObject> {
    let total: usize = lists.iter().map(Vec::len).sum();
    let mut lists = lists.into_iter();
    let mut out = lists.next().unwrap_or_default();
    out.reserve_exact(total - out.len());
    for l in lists {
        out.extend(l);
    }
    out.shrink_to_fit();
    out
}

/// The default rows of `ls`, `teams` and `check`: every installed workload kind and Pods,
/// keeping only objects that no workload controls.
pub async fn default_plan(
    cluster: &Cluster,
    scope: &Scope,
    label_selector: Option<LabelSelector>,
    field_selector: Option<FieldSelector>,
) -> Result<ListPlan> {
    let mut row_kinds = cluster.installed_workloads().await?;
    row_kinds.push(cluster.catalog.pod().clone());
    Ok(ListPlan {
        row_kinds,
        top_level_only: true,
        ancestor_kinds: Vec::new(),
        namespace: cluster.namespace(scope),
        label_selector,
        field_selector,
        label_columns: Vec::new(),
    })
}

/// `namespace b (deployments.apps, pods); namespaces (cluster-wide)`, one entry per namespace.
/// One warning names everything that stays unknown (nothing when all was read), in `ls`'s words.
pub fn warn_unreadable(unreadable: &[Unreadable], namespace_note: Option<String>) {
    if unreadable.is_empty() {
        return;
    }
    let mut warning = format!("ownership unknown for: {}", describe_unreadable(unreadable));
    if let Some(note) = namespace_note {
        warning.push_str("; ");
        warning.push_str(&note);
    }
    ui::warn(&warning);
}

/// `namespace b (pods, …); rolebindings.rbac.authorization.k8s.io (cluster-wide)`.
pub fn describe_unreadable(unreadable: &[Unreadable]) -> String {
    let mut by_namespace: std::collections::BTreeMap<Option<&str>, Vec<&str>> =
        std::collections::BTreeMap::new();
    for u in unreadable {
        by_namespace
            .entry(u.namespace.as_deref())
            .or_default()
            .push(&u.resource);
    }
    by_namespace
        .into_iter()
        .map(|(ns, resources)| match ns {
            Some(ns) => format!("namespace {ns} ({})", resources.join(", ")),
            None => format!("{} (cluster-wide)", resources.join(", ")),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Every object of `kinds` (configured CRDs found by discovery), plus the workload lists their
/// controller chains need; without TYPEs, the default rows.
pub async fn typed_plan(
    cluster: &Cluster,
    kinds: &[Kind],
    scope: &Scope,
    label_selector: Option<LabelSelector>,
    field_selector: Option<FieldSelector>,
) -> Result<ListPlan> {
    if kinds.is_empty() {
        return default_plan(cluster, scope, label_selector, field_selector).await;
    }
    let mut row_kinds: Vec<Kind> = Vec::new();
    for wanted in kinds {
        if row_kinds
            .iter()
            .any(|k| k.kind == wanted.kind && k.group == wanted.group)
        {
            continue;
        }
        let kind = cluster.named_kind(wanted, &wanted.plural).await?;
        row_kinds.push(kind);
    }
    // Objects that may have controllers need the workload lists to join their chains.
    let needs_chain = row_kinds.iter().any(|k| !k.is_namespace());
    let mut ancestor_kinds = if needs_chain {
        cluster.installed_workloads().await?
    } else {
        Vec::new()
    };
    // Without selectors a row list already holds every object of its kind: don't list it twice.
    if label_selector.is_none() && field_selector.is_none() {
        ancestor_kinds.retain(|a| {
            !row_kinds
                .iter()
                .any(|r| r.group == a.group && r.kind == a.kind)
        });
    }
    let namespace = if row_kinds.iter().all(Kind::is_namespace) {
        None
    } else {
        cluster.namespace(scope)
    };
    Ok(ListPlan {
        row_kinds,
        top_level_only: false,
        ancestor_kinds,
        namespace,
        label_selector,
        field_selector,
        label_columns: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

    #[tokio::test]
    async fn contexts_run_at_most_max_parallel_at_once_and_come_back_in_order() {
        let names: Vec<String> = (0..7).map(|i| format!("c{i}")).collect();
        let global = GlobalOptions {
            contexts: Contexts::Named(names.clone()),
            max_parallel: 3,
            ..Default::default()
        };
        let (running, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let (loaded, failed) = per_context(&global, |g| {
            let (running, most) = (&running, &most);
            async move {
                let now = running.fetch_add(1, SeqCst) + 1;
                most.fetch_max(now, SeqCst);
                let index: u64 = g.connection.context.as_deref().unwrap()[1..]
                    .parse()
                    .unwrap();
                // Later contexts finish first; the results still come in the contexts' order.
                tokio::time::sleep(std::time::Duration::from_millis(30 - 4 * index)).await;
                running.fetch_sub(1, SeqCst);
                match index {
                    4 => Err(Error::cluster("unreachable")),
                    _ => Ok(index),
                }
            }
        })
        .await
        .unwrap();
        assert_eq!(
            most.load(SeqCst),
            3,
            "at most, and up to, --max-parallel at once"
        );
        assert!(failed, "the unreachable context is reported");
        let got: Vec<(String, u64)> = loaded
            .into_iter()
            .map(|(name, index)| (name.unwrap(), index))
            .collect();
        let expected: Vec<(String, u64)> = [0, 1, 2, 3, 5, 6]
            .into_iter()
            .map(|i| (format!("c{i}"), i))
            .collect();
        assert_eq!(got, expected);
    }
}
