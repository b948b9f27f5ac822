//! `kubectl owner ls`: a table of workloads with their effective team and stage.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::cli::options::{GlobalOptions, LsColumn, LsOptions, Output, Scope};
use crate::cluster::inventory::{self, Cluster, ClusterConfig, Inventory, Resolution, RowEvent};
use crate::core::contact::ContactKey;
use crate::core::kinds::{Kind, ResourceArg};
use crate::error::{Error, ExitStatus, Result};
use crate::output::backstage;
use crate::output::documents::{self, OwnershipItem, OwnershipList};
use crate::output::table;
use crate::output::ui;

/// `TYPE` or `TYPE/NAME`, parsed.
struct Target {
    kind: Kind,
    name: Option<String>,
}

/// One context's listing: its cluster, and which `TYPE/NAME` targets it found.
struct Loaded {
    cluster: Cluster,
    targets: Vec<Target>,
    found: Vec<bool>,
}

/// Lists one context, handing every row that passes the filters to `rows` as it is resolved.
async fn load(
    global: GlobalOptions,
    opts: &LsOptions,
    multi: bool,
    rows: &Mutex<Rows>,
) -> Result<Loaded> {
    let context = multi.then(|| global.connection.context.clone()).flatten();
    let cluster = Cluster::open(&global, ClusterConfig::BestEffort).await?;
    if cluster.session.aggregator.is_some() {
        rows.lock().expect("rows").clusters = true;
    }
    let targets = parse_targets(&cluster, &opts.targets)?;
    let kinds: Vec<Kind> = targets.iter().map(|t| t.kind.clone()).collect();
    let mut plan = inventory::typed_plan(
        &cluster,
        &kinds,
        &opts.scope,
        opts.label_selector.clone(),
        opts.field_selector.clone(),
    )
    .await?;
    plan.label_columns = opts.label_columns.clone();
    let only_namespaces = !targets.is_empty() && targets.iter().all(|t| t.kind.is_namespace());
    rows.lock()
        .expect("rows")
        .only_namespaces
        .get_or_insert(only_namespaces);
    let wanted_team = opts.team.as_deref().map(|t| {
        cluster
            .config
            .canonical_team(t)
            .map(|r| r.name.clone())
            .unwrap_or_else(|| t.to_string())
    });
    let mut found = vec![false; targets.len()];
    let mut each = |event: RowEvent| {
        let r = match event {
            RowEvent::Row(r) => r,
            RowEvent::Restarted(kind) => {
                // The kind's rows come again from a new list: what came before is withdrawn.
                for (target, found) in targets.iter().zip(found.iter_mut()) {
                    if target.kind.kind == kind.kind {
                        *found = false;
                    }
                }
                rows.lock()
                    .expect("rows")
                    .withdraw(context.as_deref(), Some(&kind.kind));
                return;
            }
        };
        let object = r.object();
        for (target, found) in targets.iter().zip(found.iter_mut()) {
            if *target.kind.kind == *object.kind && target.name.as_deref() == Some(&object.name) {
                *found = true;
            }
        }
        let wanted = named(&targets, &r)
            && wanted_team
                .as_deref()
                .is_none_or(|t| r.ownership.team.value() == Some(t))
            && opts
                .stage
                .as_deref()
                .is_none_or(|s| r.ownership.stage.value() == Some(s))
            && (!opts.unowned || r.ownership.team.value.is_none());
        if wanted {
            rows.lock()
                .expect("rows")
                .push(context.as_deref(), &cluster, &r);
        }
    };
    Inventory::for_each_row(&cluster, &plan, &mut each).await?;
    Ok(Loaded {
        cluster,
        targets,
        found,
    })
}

pub async fn run(global: &GlobalOptions, opts: LsOptions) -> Result<ExitStatus> {
    let context_names = inventory::context_names(global)?;
    let multi_contexts = context_names.is_some();
    let rows = Mutex::new(Rows::new(&opts, multi_contexts, jiff::Timestamp::now()));
    let (loaded, context_failed) =
        inventory::per_context(global, |g| load(g, &opts, multi_contexts, &rows)).await?;
    let mut failed = context_failed;
    for (_, l) in &loaded {
        for (target, found) in l.targets.iter().zip(&l.found) {
            if let Some(name) = &target.name
                && !found
            {
                ui::status(&target.kind.not_found(name));
                failed = true;
            }
        }
    }
    let mut rows = rows.into_inner().expect("rows");
    // A context that failed part-way is named on stderr; none of its rows are printed.
    for name in context_names.iter().flatten() {
        if !loaded
            .iter()
            .any(|(loaded, _)| loaded.as_deref() == Some(name))
        {
            rows.withdraw(Some(name), None);
        }
    }
    let order = rows.order();
    if let Sink::Table(None) = rows.output {
        // No row: the headers still name the columns.
        rows.output = Sink::Table(Some(rows.table()));
    }
    match rows.output {
        Sink::Table(table) => {
            let mut table = table.expect("made above");
            let nothing = order.is_empty();
            table.set_order(order);
            // After a NotFound, kubectl prints only the error.
            if nothing && !failed {
                let place = match loaded
                    .first()
                    .and_then(|(_, l)| l.cluster.namespace(&opts.scope))
                {
                    Some(ns) if !multi_contexts => {
                        format!("No resources found in {ns} namespace.")
                    }
                    _ => "No resources found".to_string(),
                };
                ui::status(&place);
            } else {
                ui::out_with(|w| table.write_to(w, opts.no_headers))?;
            }
        }
        Sink::Records(records) => {
            ui::out(&csv(
                order.iter().map(|&i| &records[i]),
                &opts.label_columns,
                multi_contexts,
                rows.clusters,
            )?)?;
        }
        Sink::Names(names) => {
            ui::out(&order.iter().map(|&i| names[i].as_str()).collect::<String>())?;
        }
        Sink::Items(items) => {
            let mut items: Vec<Option<OwnershipItem>> = items.into_iter().map(Some).collect();
            let items = order
                .iter()
                .map(|&i| items[i].take().expect("each item once"))
                .collect();
            let format = super::document_format(&opts.output, "items", opts.no_headers)
                .expect("items are for documents");
            ui::out(&documents::print(&OwnershipList::new(items), format))?;
        }
        Sink::Catalog(workloads) => {
            let workloads: Vec<_> = order.iter().filter_map(|&i| workloads[i].clone()).collect();
            let (entities, notes) = backstage::entities(&workloads);
            for note in notes {
                ui::note(&note);
            }
            let unowned = workloads.iter().filter(|w| w.team.is_none()).count();
            if unowned > 0 {
                ui::status(&format!(
                    "{unowned} workload{} without a team left out: a Component needs an owner (kubectl owner ls --unowned lists them)",
                    if unowned == 1 { "" } else { "s" }
                ));
            }
            ui::out(&backstage::render(&entities))?;
        }
    }
    Ok(if failed {
        ExitStatus::Failed
    } else {
        ExitStatus::Success
    })
}

/// Every context's rows as they are resolved, already in the form the output needs (table
/// cells, CSV records, names or JSON items), each with a small sort key: the resolutions and
/// the metadata behind them are dropped as soon as a row is pushed.
struct Rows {
    output: Sink,
    keys: Vec<SortKey>,
    /// Rows taken back (their context failed, or their kind's list started again): not printed.
    withdrawn: Vec<bool>,
    /// The `--sort-by` value of each row, computed once (not per comparison); empty without it.
    primary: Vec<Primary>,
    /// Contexts, namespaces and kinds, each string once.
    strings: Interner,
    /// Every row's name, back to back: one allocation, not one per row.
    names: String,
    sort_by: Option<LsColumn>,
    label_columns: Vec<String>,
    wide: bool,
    show_namespace: bool,
    multi: bool,
    /// Rows come from a multi-cluster engine: a CLUSTER column names each one's member cluster.
    clusters: bool,
    /// Whether every TYPE is a namespace (then no NAMESPACE column), as the first context parsed.
    only_namespaces: Option<bool>,
    /// Which of [`Rows::columns`] the table shows, fixed at its first row.
    shown: Vec<bool>,
    now: jiff::Timestamp,
}

enum Sink {
    /// Made at the first row, once the columns are known.
    Table(Option<table::TableBuilder>),
    Records(Vec<Vec<String>>),
    Names(Vec<String>),
    Items(Vec<OwnershipItem>),
    /// Owned top-level workloads (and the unowned ones, counted): Backstage's catalog.
    /// `None` for a row a workload controls (a Component is a top-level workload).
    Catalog(Vec<Option<backstage::Workload>>),
}

/// Where a row goes: by context and member cluster, then the `--sort-by` value, then
/// namespace, kind and name.
struct SortKey {
    context: Option<u32>,
    cluster: Option<u32>,
    namespace: Option<u32>,
    kind: u32,
    /// The apiVersion: two kinds of one name from different groups still sort the same way
    /// every run.
    api_version: u32,
    /// Where the name ends in [`Rows::names`] (it starts where the previous row's ends).
    name_end: u32,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Primary {
    /// AGE sorts by creation time (oldest first), as kubectl's --sort-by=.metadata.creationTimestamp.
    Created(Option<jiff::Timestamp>),
    Cell(String),
}

impl Rows {
    fn new(opts: &LsOptions, multi: bool, now: jiff::Timestamp) -> Rows {
        let output = match opts.output {
            Output::Table | Output::Wide => Sink::Table(None),
            Output::Csv => Sink::Records(Vec::new()),
            Output::Name => Sink::Names(Vec::new()),
            Output::Json | Output::Yaml | Output::JsonPath(_) | Output::CustomColumns(_) => {
                Sink::Items(Vec::new())
            }
            Output::Backstage => Sink::Catalog(Vec::new()),
            // `ls` offers none of `check`'s and `teams`' report forms.
            Output::Junit | Output::Markdown | Output::PolicyReport | Output::Html => {
                unreachable!("not an ls format")
            }
        };
        Rows {
            output,
            keys: Vec::new(),
            withdrawn: Vec::new(),
            primary: Vec::new(),
            strings: Interner::default(),
            names: String::new(),
            sort_by: opts.sort_by,
            label_columns: opts.label_columns.clone(),
            wide: opts.output == Output::Wide,
            show_namespace: opts.scope == Scope::AllNamespaces,
            multi,
            clusters: false,
            only_namespaces: None,
            shown: Vec::new(),
            now,
        }
    }

    /// An empty table with the shown columns' headers.
    fn table(&self) -> table::TableBuilder {
        let columns = self.columns();
        let headers: Vec<&str> = columns
            .iter()
            .filter(|(_, shown)| *shown)
            .map(|(h, _)| h.as_str())
            .collect();
        table::TableBuilder::new(&headers)
    }

    /// The table's columns, `(header, shown)`: CONTEXT only with several clusters, NAMESPACE
    /// only with several namespaces.
    fn columns(&self) -> Vec<(String, bool)> {
        let show_namespace = self.show_namespace && self.only_namespaces != Some(true);
        let mut headers = vec![
            ("CONTEXT".to_string(), self.multi),
            ("CLUSTER".to_string(), self.clusters),
        ];
        headers.extend(LsColumn::NARROW.into_iter().map(|c| {
            (
                c.header().to_string(),
                c != LsColumn::Namespace || show_namespace,
            )
        }));
        if self.wide {
            headers.extend(LsColumn::WIDE.map(|c| (c.header().to_string(), true)));
        }
        // kubectl's -L header: the key's last segment, upper-cased.
        headers.extend(
            self.label_columns
                .iter()
                .map(|key| (key.rsplit('/').next().unwrap_or(key).to_uppercase(), true)),
        );
        headers
    }

    fn push(&mut self, context: Option<&str>, cluster: &Cluster, r: &Resolution) {
        let object = r.object();
        let labels = &object.labels;
        let label_cells = || {
            self.label_columns
                .iter()
                .map(|key| labels.get(key).cloned().unwrap_or_default())
        };
        if let Sink::Table(None) = self.output {
            self.shown = self.columns().into_iter().map(|(_, shown)| shown).collect();
            self.output = Sink::Table(Some(self.table()));
        }
        match &mut self.output {
            Sink::Table(table) => {
                let cells = [
                    context.unwrap_or_default().to_string(),
                    table::or_none(object.cluster.as_deref()),
                ]
                .into_iter()
                .chain(row_cells(r, self.now, self.wide))
                .chain(label_cells())
                .zip(&self.shown)
                .filter_map(|(cell, shown)| shown.then_some(cell));
                table.as_mut().expect("made above").push_row(cells);
            }
            Sink::Records(records) => {
                let mut record: Vec<String> = Vec::new();
                if self.multi {
                    record.push(context.unwrap_or_default().to_string());
                }
                if self.clusters {
                    record.push(object.cluster.as_deref().unwrap_or_default().to_string());
                }
                record.extend(
                    raw_cells(r, self.now, true)
                        .into_iter()
                        .map(|cell| cell.unwrap_or_default()),
                );
                record.extend(label_cells());
                records.push(record);
            }
            Sink::Names(names) => {
                let prefix = cluster
                    .catalog
                    .by_owner(&object.api_version, &object.kind)
                    .map(Kind::name_prefix)
                    .unwrap_or_else(|| object.kind.to_lowercase());
                names.push(format!("{prefix}/{}\n", ui::terminal_safe(&object.name)));
            }
            Sink::Items(items) => {
                let mut item = OwnershipItem::new(&r.chain, &r.ownership);
                item.context = context.map(str::to_string);
                items.push(item);
            }
            Sink::Catalog(workloads) => {
                workloads.push((r.chain.len() == 1).then(|| backstage::Workload {
                    namespace: object.namespace.clone(),
                    kind: object.kind.to_string(),
                    name: object.name.clone(),
                    team: r.ownership.team.value.clone(),
                    stage: r.ownership.stage.value.clone(),
                    part_of: labels.get("app.kubernetes.io/part-of").cloned(),
                }))
            }
        }
        match self.sort_by {
            None => {}
            Some(LsColumn::Age) => self.primary.push(Primary::Created(object.created)),
            Some(c) => {
                let cell = row_cells(r, self.now, c.is_wide()).swap_remove(c.index());
                self.primary.push(Primary::Cell(cell));
            }
        }
        self.names.push_str(&object.name);
        let key = SortKey {
            context: context.map(|c| self.strings.id(c)),
            cluster: object.cluster.as_deref().map(|c| self.strings.id(c)),
            namespace: object.namespace.as_deref().map(|n| self.strings.id(n)),
            kind: self.strings.id(&object.kind),
            api_version: self.strings.id(&object.api_version),
            name_end: u32::try_from(self.names.len()).expect("names under 4 GiB"),
        };
        self.keys.push(key);
        self.withdrawn.push(false);
    }

    /// Takes back every row so far of `context` (and of `kind`, when given).
    fn withdraw(&mut self, context: Option<&str>, kind: Option<&str>) {
        let context = context.map(|c| self.strings.id(c));
        let kind = kind.map(|k| self.strings.id(k));
        for (key, withdrawn) in self.keys.iter().zip(self.withdrawn.iter_mut()) {
            if key.context == context && kind.is_none_or(|k| key.kind == k) {
                *withdrawn = true;
            }
        }
    }

    /// Row indices (in push order) in output order.
    fn order(&self) -> Vec<usize> {
        let rank = self.strings.ranks();
        let rank_of = |id: Option<u32>| id.map(|id| rank[id as usize]);
        let name = |i: usize| {
            let start = i
                .checked_sub(1)
                .map_or(0, |p| self.keys[p].name_end as usize);
            &self.names[start..self.keys[i].name_end as usize]
        };
        let mut order: Vec<u32> = (0..self.keys.len())
            .filter(|&i| !self.withdrawn[i])
            .map(|i| u32::try_from(i).expect("rows"))
            .collect();
        order.sort_by(|&i, &j| {
            let (a, b) = (&self.keys[i as usize], &self.keys[j as usize]);
            rank_of(a.context)
                .cmp(&rank_of(b.context))
                .then_with(|| rank_of(a.cluster).cmp(&rank_of(b.cluster)))
                .then_with(|| {
                    self.primary
                        .get(i as usize)
                        .cmp(&self.primary.get(j as usize))
                })
                .then_with(|| rank_of(a.namespace).cmp(&rank_of(b.namespace)))
                .then_with(|| rank_of(Some(a.kind)).cmp(&rank_of(Some(b.kind))))
                .then_with(|| name(i as usize).cmp(name(j as usize)))
                .then_with(|| rank_of(Some(a.api_version)).cmp(&rank_of(Some(b.api_version))))
        });
        order.into_iter().map(|i| i as usize).collect()
    }
}

/// Repeated strings (contexts, namespaces, kinds) kept once; sort keys hold their index.
#[derive(Default)]
struct Interner {
    strings: Vec<Box<str>>,
    ids: HashMap<Box<str>, u32>,
}

impl Interner {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = u32::try_from(self.strings.len()).expect("under 4 billion strings");
        self.strings.push(s.into());
        self.ids.insert(s.into(), id);
        id
    }

    /// Each id's position among the strings in sorted order.
    fn ranks(&self) -> Vec<u32> {
        let mut by_text: Vec<usize> = (0..self.strings.len()).collect();
        by_text.sort_by(|&a, &b| self.strings[a].cmp(&self.strings[b]));
        let mut rank = vec![0; self.strings.len()];
        for (position, id) in by_text.into_iter().enumerate() {
            rank[id] = u32::try_from(position).expect("under 4 billion strings");
        }
        rank
    }
}

fn parse_targets(cluster: &Cluster, args: &[ResourceArg]) -> Result<Vec<Target>> {
    args.iter()
        .map(|arg| {
            let kind = cluster
                .catalog
                .parse_type(&arg.type_name)
                .map_err(Error::usage)?
                .clone();
            Ok(Target {
                kind,
                name: arg.name.clone(),
            })
        })
        .collect()
}

fn row_cells(r: &Resolution, now: jiff::Timestamp, wide: bool) -> Vec<String> {
    raw_cells(r, now, wide)
        .into_iter()
        .map(|cell| cell.unwrap_or_else(|| table::or_none(None)))
        .collect()
}

/// A row's values in column order (`None`: no value), the wide columns too when `wide`.
fn raw_cells(r: &Resolution, now: jiff::Timestamp, wide: bool) -> Vec<Option<String>> {
    let o = r.object();
    let own = &r.ownership;
    let mut cells = vec![
        o.namespace.clone(),
        Some(o.kind.to_string()),
        Some(o.name.clone()),
        own.team.value().map(str::to_string),
        own.stage.value().map(str::to_string),
        Some(table::age(o.created, now)),
    ];
    if wide {
        let contact = |k: ContactKey| {
            own.contacts
                .get(k.short())
                .and_then(|c| c.value())
                .map(str::to_string)
        };
        cells.extend([
            own.team.source.as_ref().map(|s| s.origin()),
            own.stage.source.as_ref().map(|s| s.origin()),
            contact(ContactKey::Chat),
            contact(ContactKey::Runbook),
            own.sunset.value().map(str::to_string),
        ]);
    }
    cells
}

/// Whether a row is one of the `TYPE/NAME` targets (every row when no name was given).
fn named(targets: &[Target], r: &Resolution) -> bool {
    targets.iter().all(|t| t.name.is_none())
        || targets.iter().any(|t| {
            *t.kind.kind == *r.object().kind
                && t.name.as_deref().is_none_or(|n| n == r.object().name)
        })
}

/// `-o csv`: a header row, then every row with every column of `-o wide` (CONTEXT first when
/// several clusters were listed, NAMESPACE always) and the `-L` columns; a missing value is an
/// empty field.
fn csv<'a>(
    records: impl Iterator<Item = &'a Vec<String>>,
    label_columns: &[String],
    multi: bool,
    clusters: bool,
) -> Result<String> {
    let columns = LsColumn::NARROW.into_iter().chain(LsColumn::WIDE);
    let header: Vec<String> = multi
        .then_some("CONTEXT")
        .into_iter()
        .chain(clusters.then_some("CLUSTER"))
        .chain(columns.map(LsColumn::header))
        .map(str::to_string)
        .chain(label_columns.iter().cloned())
        .collect();
    table::csv(&header, records)
}
