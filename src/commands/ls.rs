//! `kubectl owner ls`: a table of workloads with their effective team and stage.

use std::cmp::Ordering;

use crate::document::{OwnershipItem, OwnershipList};
use crate::error::{Error, Result};
use crate::inventory::{self, Context, Inventory, ListPlan, Resolution};
use crate::kinds::Kind;
use crate::options::{GlobalOptions, LsOptions, Output, Scope};
use crate::render;
use crate::selector;

const COLUMNS: [&str; 6] = ["NAMESPACE", "KIND", "NAME", "TEAM", "STAGE", "AGE"];
const WIDE_COLUMNS: [&str; 5] = ["TEAM-FROM", "STAGE-FROM", "CHAT", "RUNBOOK", "SUNSET"];

/// `TYPE` or `TYPE/NAME`, parsed.
struct Target {
    kind: Kind,
    name: Option<String>,
}

pub async fn run(global: &GlobalOptions, opts: LsOptions) -> Result<u8> {
    // Validate everything that needs no server first, as kubectl does.
    if let Some(sel) = &opts.label_selector {
        selector::parse_label_selector(sel).map_err(Error::usage)?;
    }
    if let Some(sel) = &opts.field_selector {
        selector::validate_field_selector(sel).map_err(Error::usage)?;
    }
    let sort_column = opts.sort_by.as_deref().map(sort_column).transpose()?;
    let ctx = Context::open(global).await?;
    let targets = parse_targets(&ctx, &opts.targets)?;
    let plan = plan(&ctx, &opts, &targets).await?;
    let inventory = Inventory::collect(&ctx, &plan).await?;
    let mut failed = false;
    for target in &targets {
        if let Some(name) = &target.name
            && !inventory.rows.iter().any(|o| o.kind == target.kind.kind && &o.name == name)
        {
            eprintln!("Error from server (NotFound): {} \"{name}\" not found", target.kind.qualified_plural());
            failed = true;
        }
    }
    let wanted_team = opts
        .team
        .as_deref()
        .map(|t| ctx.config.canonical_team(t).map(|r| r.name.clone()).unwrap_or_else(|| t.to_string()));
    let mut rows: Vec<Resolution> = inventory
        .resolve(&ctx.config)
        .into_iter()
        .filter(|r| {
            targets.iter().all(|t| t.name.is_none())
                || targets
                    .iter()
                    .any(|t| t.kind.kind == r.object().kind && t.name.as_deref().is_none_or(|n| n == r.object().name))
        })
        .filter(|r| wanted_team.as_deref().is_none_or(|t| r.ownership.team.value() == Some(t)))
        .filter(|r| opts.stage.as_deref().is_none_or(|s| r.ownership.stage.value() == Some(s)))
        .filter(|r| !opts.unowned || r.ownership.team.value.is_none())
        .collect();
    let now = jiff::Timestamp::now();
    let only_namespaces = !targets.is_empty() && targets.iter().all(|t| t.kind.is_namespace());
    let show_namespace = opts.scope == Scope::AllNamespaces && !only_namespaces;
    let wide = opts.output == Output::Wide;
    let cells = |r: &Resolution| row_cells(r, now, wide);
    match sort_column {
        Some(column) => rows.sort_by(|a, b| compare(a, b, column, now)),
        None => rows.sort_by(default_order),
    }
    let out = match opts.output {
        Output::Json | Output::Yaml => {
            let doc = OwnershipList::new(rows.iter().map(|r| OwnershipItem::new(&r.chain, &r.ownership)).collect());
            if opts.output == Output::Json { render::json(&doc) } else { render::yaml(&doc) }
        }
        Output::Name => rows
            .iter()
            .map(|r| {
                let o = r.object();
                let prefix = ctx
                    .catalog
                    .by_owner(&o.api_version, &o.kind)
                    .map(Kind::name_prefix)
                    .unwrap_or_else(|| o.kind.to_lowercase());
                format!("{prefix}/{}\n", render::terminal_safe(&o.name))
            })
            .collect(),
        Output::Table | Output::Wide => {
            let mut headers: Vec<&str> = COLUMNS.to_vec();
            if wide {
                headers.extend(WIDE_COLUMNS);
            }
            let skip = usize::from(!show_namespace);
            let table_rows: Vec<Vec<String>> = rows.iter().map(|r| cells(r).into_iter().skip(skip).collect()).collect();
            if table_rows.is_empty() && !opts.no_headers {
                let place = match inventory_scope(&ctx, &opts.scope) {
                    Some(ns) => format!("No resources found in {ns} namespace.\n"),
                    None => "No resources found\n".to_string(),
                };
                eprint!("{place}");
                String::new()
            } else {
                render::table(&headers[skip..], &table_rows, opts.no_headers)
            }
        }
    };
    render::emit(&out);
    Ok(u8::from(failed))
}

fn inventory_scope(ctx: &Context, scope: &Scope) -> Option<String> {
    ctx.namespace(scope)
}

fn parse_targets(ctx: &Context, args: &[String]) -> Result<Vec<Target>> {
    args.iter()
        .map(|arg| {
            let (kind, name) = match arg.split_once('/') {
                Some((k, n)) if !n.is_empty() => (k, Some(n.to_string())),
                Some(_) => {
                    return Err(Error::usage(format!(
                        "arguments in resource/name form must have a single resource and name: \"{arg}\""
                    )));
                }
                None => (arg.as_str(), None),
            };
            let kind = ctx.catalog.parse_type(kind).map_err(Error::usage)?.clone();
            Ok(Target { kind, name })
        })
        .collect()
}

async fn plan(ctx: &Context, opts: &LsOptions, targets: &[Target]) -> Result<ListPlan> {
    if targets.is_empty() {
        return inventory::default_plan(ctx, &opts.scope, opts.label_selector.clone(), opts.field_selector.clone())
            .await;
    }
    let mut row_kinds: Vec<Kind> = Vec::new();
    for t in targets {
        if !row_kinds.iter().any(|k| k.kind == t.kind.kind && k.group == t.kind.group) {
            let kind = if t.kind.workload && !matches!(t.kind.group.as_str(), "" | "apps" | "batch") {
                ctx.session.discover(&t.kind).await?.ok_or_else(|| {
                    Error::usage(format!("the server doesn't have a resource type \"{}\"", t.kind.plural))
                })?
            } else {
                t.kind.clone()
            };
            row_kinds.push(kind);
        }
    }
    // Objects that may have controllers need the workload lists to join their chains.
    let needs_chain = row_kinds.iter().any(|k| !k.is_namespace());
    let mut ancestor_kinds = if needs_chain { ctx.installed_workloads().await? } else { Vec::new() };
    // Without selectors a row list already holds every object of its kind: don't list it twice.
    if opts.label_selector.is_none() && opts.field_selector.is_none() {
        ancestor_kinds.retain(|a| !row_kinds.iter().any(|r| r.group == a.group && r.kind == a.kind));
    }
    let namespace = if row_kinds.iter().all(Kind::is_namespace) { None } else { ctx.namespace(&opts.scope) };
    Ok(ListPlan {
        row_kinds,
        top_level_only: false,
        ancestor_kinds,
        namespace,
        label_selector: opts.label_selector.clone(),
        field_selector: opts.field_selector.clone(),
    })
}

fn row_cells(r: &Resolution, now: jiff::Timestamp, wide: bool) -> Vec<String> {
    let o = r.object();
    let own = &r.ownership;
    let mut cells = vec![
        render::or_none(o.namespace.as_deref()),
        o.kind.clone(),
        o.name.clone(),
        render::or_none(own.team.value()),
        render::or_none(own.stage.value()),
        render::age(o.created, now),
    ];
    if wide {
        let contact = |k: &str| render::or_none(own.contacts.get(k).and_then(|c| c.value()));
        cells.extend([
            render::or_none(own.team.source.as_ref().map(|s| s.origin()).as_deref()),
            render::or_none(own.stage.source.as_ref().map(|s| s.origin()).as_deref()),
            contact("chat"),
            contact("runbook"),
            render::or_none(own.sunset.value()),
        ]);
    }
    cells
}

fn default_order(a: &Resolution, b: &Resolution) -> Ordering {
    let (a, b) = (a.object(), b.object());
    (&a.namespace, &a.kind, &a.name).cmp(&(&b.namespace, &b.kind, &b.name))
}

fn sort_column(name: &str) -> Result<usize> {
    let wanted = name.trim_start_matches('.').to_uppercase();
    COLUMNS.iter().chain(WIDE_COLUMNS.iter()).position(|c| *c == wanted).ok_or_else(|| {
        Error::usage(format!(
            "--sort-by: unknown column \"{name}\" (one of: {})",
            [&COLUMNS[..], &WIDE_COLUMNS[..]].concat().join(", ")
        ))
    })
}

fn compare(a: &Resolution, b: &Resolution, column: usize, now: jiff::Timestamp) -> Ordering {
    // AGE sorts by creation time (oldest first), as kubectl's --sort-by=.metadata.creationTimestamp.
    let primary = if COLUMNS.get(column) == Some(&"AGE") {
        a.object().created.cmp(&b.object().created)
    } else {
        row_cells(a, now, true).get(column).cmp(&row_cells(b, now, true).get(column))
    };
    primary.then_with(|| default_order(a, b))
}
