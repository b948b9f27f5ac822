//! `kubectl owner ls`: a table of workloads with their effective team and stage.

use crate::cli::options::{GlobalOptions, LsColumn, LsOptions, Output, Scope};
use crate::cluster::inventory::{self, Cluster, ClusterConfig, Inventory, Resolution};
use crate::core::contact::ContactKey;
use crate::core::kinds::{Kind, ResourceArg};
use crate::core::ownership::MetaObject;
use crate::error::{Error, ExitStatus, Result};
use crate::output::documents::{self, OwnershipItem, OwnershipList};
use crate::output::table;
use crate::output::ui;

/// `TYPE` or `TYPE/NAME`, parsed.
struct Target {
    kind: Kind,
    name: Option<String>,
}

/// One context's listing.
struct Loaded {
    cluster: Cluster,
    targets: Vec<Target>,
    inventory: Inventory,
}

/// A row, with the context it came from when several were queried.
struct Row<'a> {
    context: Option<&'a str>,
    cluster: &'a Cluster,
    resolution: Resolution<'a>,
}

async fn load(global: GlobalOptions, opts: &LsOptions) -> Result<Loaded> {
    let cluster = Cluster::open(&global, ClusterConfig::BestEffort).await?;
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
    let inventory = Inventory::collect(&cluster, &plan).await?;
    Ok(Loaded {
        cluster,
        targets,
        inventory,
    })
}

pub async fn run(global: &GlobalOptions, opts: LsOptions) -> Result<ExitStatus> {
    let sort_column = opts.sort_by;
    let (loaded, context_failed) = inventory::per_context(global, |g| load(g, &opts)).await?;
    let mut failed = context_failed;
    let multi = loaded.iter().any(|(name, _)| name.is_some()) || context_failed;
    for (_, l) in &loaded {
        for target in &l.targets {
            if let Some(name) = &target.name
                && !l
                    .inventory
                    .rows
                    .iter()
                    .any(|o| o.kind == target.kind.kind && &o.name == name)
            {
                ui::status(&target.kind.not_found(name));
                failed = true;
            }
        }
    }
    // Every context's rows, filtered; each is resolved only when consumed, so a table of 100,000
    // pods never holds 100,000 resolutions at once.
    let opts = &opts;
    let rows = loaded.iter().flat_map(|(context, l)| {
        let wanted_team = opts.team.as_deref().map(|t| {
            l.cluster
                .config
                .canonical_team(t)
                .map(|r| r.name.clone())
                .unwrap_or_else(|| t.to_string())
        });
        l.inventory
            .resolve_each(&l.cluster.config)
            .filter(|r| named(&l.targets, r))
            .filter(move |r| {
                wanted_team
                    .as_deref()
                    .is_none_or(|t| r.ownership.team.value() == Some(t))
            })
            .filter(|r| {
                opts.stage
                    .as_deref()
                    .is_none_or(|s| r.ownership.stage.value() == Some(s))
            })
            .filter(|r| !opts.unowned || r.ownership.team.value.is_none())
            .map(|resolution| Row {
                context: context.as_deref(),
                cluster: &l.cluster,
                resolution,
            })
    });
    let now = jiff::Timestamp::now();
    let only_namespaces = !opts.targets.is_empty()
        && loaded
            .first()
            .is_some_and(|(_, l)| l.targets.iter().all(|t| t.kind.is_namespace()));
    let show_namespace = opts.scope == Scope::AllNamespaces && !only_namespaces;
    let wide = opts.output == Output::Wide;
    let out = match opts.output {
        Output::Json | Output::Yaml | Output::Name | Output::Csv => {
            let rows: Vec<Row> = rows.collect();
            let mut keys = SortKeys::new(sort_column, now);
            rows.iter().for_each(|r| keys.push(r));
            let mut rows: Vec<Option<Row>> = rows.into_iter().map(Some).collect();
            let rows = keys
                .order()
                .into_iter()
                .map(|i| rows[i].take().expect("each row once"));
            if opts.output == Output::Csv {
                csv(rows, &opts.label_columns, multi, now)?
            } else if opts.output == Output::Name {
                rows.map(|r| {
                    let o = r.resolution.object();
                    let prefix = r
                        .cluster
                        .catalog
                        .by_owner(&o.api_version, &o.kind)
                        .map(Kind::name_prefix)
                        .unwrap_or_else(|| o.kind.to_lowercase());
                    format!("{prefix}/{}\n", ui::terminal_safe(&o.name))
                })
                .collect()
            } else {
                let items = rows
                    .map(|r| {
                        let mut item =
                            OwnershipItem::new(&r.resolution.chain, &r.resolution.ownership);
                        item.context = r.context.map(str::to_string);
                        item
                    })
                    .collect();
                let doc = OwnershipList::new(items);
                if opts.output == Output::Json {
                    documents::json(&doc)
                } else {
                    documents::yaml(&doc)
                }
            }
        }
        Output::Table | Output::Wide => {
            let mut headers: Vec<&str> = vec!["CONTEXT"];
            headers.extend(LsColumn::NARROW.map(LsColumn::header));
            if wide {
                headers.extend(LsColumn::WIDE.map(LsColumn::header));
            }
            // kubectl's -L header: the key's last segment, upper-cased.
            let label_headers: Vec<String> = opts
                .label_columns
                .iter()
                .map(|key| key.rsplit('/').next().unwrap_or(key).to_uppercase())
                .collect();
            headers.extend(label_headers.iter().map(String::as_str));
            // CONTEXT only with several clusters; NAMESPACE only with several namespaces.
            let shown: Vec<bool> = (0..headers.len())
                .map(|i| (i != 0 || multi) && (i != 1 || show_namespace))
                .collect();
            let headers: Vec<&str> = headers
                .into_iter()
                .zip(&shown)
                .filter_map(|(h, show)| show.then_some(h))
                .collect();
            // Each row goes into the table as text at once; only its sort key is kept beside it.
            let mut table = table::TableBuilder::new(&headers);
            table.reserve(loaded.iter().map(|(_, l)| l.inventory.rows.len()).sum());
            let mut keys = SortKeys::new(sort_column, now);
            for r in rows {
                keys.push(&r);
                let labels = &r.resolution.object().labels;
                let label_cells = opts
                    .label_columns
                    .iter()
                    .map(|key| labels.get(key).cloned().unwrap_or_default());
                let cells = std::iter::once(r.context.unwrap_or_default().to_string())
                    .chain(row_cells(&r.resolution, now, wide))
                    .chain(label_cells)
                    .zip(&shown)
                    .filter_map(|(cell, show)| show.then_some(cell));
                table.push_row(cells);
            }
            table.set_order(keys.order());
            // After a NotFound, kubectl prints only the error.
            if table.is_empty() && !failed {
                let place = match loaded
                    .first()
                    .and_then(|(_, l)| inventory_scope(&l.cluster, &opts.scope))
                {
                    Some(ns) if !multi => format!("No resources found in {ns} namespace."),
                    _ => "No resources found".to_string(),
                };
                ui::status(&place);
            } else {
                ui::out_with(|w| table.write_to(w, opts.no_headers))?;
            }
            String::new()
        }
    };
    ui::out(&out)?;
    Ok(if failed {
        ExitStatus::Failed
    } else {
        ExitStatus::Success
    })
}

fn inventory_scope(cluster: &Cluster, scope: &Scope) -> Option<String> {
    cluster.namespace(scope)
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
        Some(o.kind.clone()),
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
            t.kind.kind == r.object().kind && t.name.as_deref().is_none_or(|n| n == r.object().name)
        })
}

/// Where each row goes: by context, then the `--sort-by` column, then namespace, kind and name.
/// A few bytes per row, so ordering 100,000 rows costs little beside their text.
struct SortKeys<'a> {
    column: Option<LsColumn>,
    now: jiff::Timestamp,
    rows: Vec<(Option<&'a str>, &'a MetaObject)>,
    /// The `--sort-by` value of each row, computed once (not per comparison); empty without it.
    primary: Vec<Primary>,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Primary {
    /// AGE sorts by creation time (oldest first), as kubectl's --sort-by=.metadata.creationTimestamp.
    Created(Option<jiff::Timestamp>),
    Cell(String),
}

impl<'a> SortKeys<'a> {
    fn new(column: Option<LsColumn>, now: jiff::Timestamp) -> Self {
        SortKeys {
            column,
            now,
            rows: Vec::new(),
            primary: Vec::new(),
        }
    }

    fn push(&mut self, r: &Row<'a>) {
        let object = r.resolution.object();
        match self.column {
            None => {}
            Some(LsColumn::Age) => self.primary.push(Primary::Created(object.created)),
            Some(c) => {
                let cell = row_cells(&r.resolution, self.now, c.is_wide()).swap_remove(c.index());
                self.primary.push(Primary::Cell(cell));
            }
        }
        self.rows.push((r.context, object));
    }

    /// Row indices (in push order) in output order.
    fn order(self) -> Vec<usize> {
        let mut order: Vec<u32> = (0..self.rows.len())
            .map(|i| u32::try_from(i).expect("rows"))
            .collect();
        order.sort_by(|&i, &j| {
            let ((ci, a), (cj, b)) = (self.rows[i as usize], self.rows[j as usize]);
            ci.cmp(&cj)
                .then_with(|| {
                    self.primary
                        .get(i as usize)
                        .cmp(&self.primary.get(j as usize))
                })
                .then_with(|| {
                    (&a.namespace, &a.kind, &a.name).cmp(&(&b.namespace, &b.kind, &b.name))
                })
        });
        order.into_iter().map(|i| i as usize).collect()
    }
}

/// `-o csv`: a header row, then every row with every column of `-o wide` (CONTEXT first when
/// several clusters were listed, NAMESPACE always) and the `-L` columns; a missing value is an
/// empty field, and the values are the cluster's own (CSV quoting keeps them one field each).
fn csv<'a>(
    rows: impl Iterator<Item = Row<'a>>,
    label_columns: &[String],
    multi: bool,
    now: jiff::Timestamp,
) -> Result<String> {
    let failed = |e: csv::Error| Error::output(format!("writing CSV: {e}"));
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = Vec::new();
    if multi {
        header.push("CONTEXT".to_string());
    }
    header.extend(
        LsColumn::NARROW
            .into_iter()
            .chain(LsColumn::WIDE)
            .map(|c| c.header().to_string()),
    );
    header.extend(label_columns.iter().cloned());
    writer.write_record(&header).map_err(failed)?;
    for r in rows {
        let labels = &r.resolution.object().labels;
        let mut record: Vec<String> = Vec::new();
        if multi {
            record.push(r.context.unwrap_or_default().to_string());
        }
        record.extend(
            raw_cells(&r.resolution, now, true)
                .into_iter()
                .map(|cell| cell.unwrap_or_default()),
        );
        record.extend(
            label_columns
                .iter()
                .map(|key| labels.get(key).cloned().unwrap_or_default()),
        );
        writer.write_record(&record).map_err(failed)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| Error::output(format!("writing CSV: {e}")))?;
    Ok(String::from_utf8(bytes).expect("CSV of UTF-8 fields"))
}
