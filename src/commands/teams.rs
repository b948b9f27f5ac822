//! `kubectl owner teams`: per team, workloads by stage, namespaces, contacts; the unowned row;
//! coverage.

use std::collections::{BTreeMap, BTreeSet};

use crate::cli::options::{GlobalOptions, Output, TeamsOptions};
use crate::cluster::inventory::{self, Cluster, ClusterConfig, Inventory, Resolution};
use crate::core::contact::ContactKey;
use crate::core::policy::{Location, location};
use crate::error::{ExitStatus, Result};
use crate::output::documents::{self, TeamItem, TeamSummary};
use crate::output::html;
use crate::output::table;
use crate::output::ui;

const NO_STAGE: &str = "<none>";

async fn load(global: GlobalOptions, opts: &TeamsOptions) -> Result<(Cluster, Inventory)> {
    let cluster = Cluster::open(&global, ClusterConfig::BestEffort).await?;
    let plan = inventory::default_plan(&cluster, &opts.scope, None, None).await?;
    let inventory = Inventory::collect(&cluster, &plan).await?;
    Ok((cluster, inventory))
}

pub async fn run(global: &GlobalOptions, opts: TeamsOptions) -> Result<ExitStatus> {
    let (loaded, failed) = inventory::per_context(global, |g| load(g, &opts)).await?;
    let multi = loaded.iter().any(|(name, _)| name.is_some()) || failed;
    // One summary per context, merged: rows keep their context, coverage is over everything.
    let mut items = Vec::new();
    let mut sunsets = Vec::new();
    let (mut owned, mut total) = (0, 0);
    for (context, (cluster, inventory)) in &loaded {
        let resolved = inventory.resolve(&cluster.config);
        if opts.output == Output::Html {
            sunsets.extend(resolved.iter().filter_map(|r| {
                let o = r.object();
                Some(html::Sunset {
                    team: r.ownership.team.value.clone(),
                    object: crate::core::policy::object_ref(
                        location(context.as_deref(), o.cluster.as_deref()).as_deref(),
                        o.namespace.as_deref(),
                        &o.kind,
                        &o.name,
                    ),
                    date: crate::core::date::Date::sunset(r.ownership.sunset.value()?).ok()?,
                })
            }));
        }
        owned += resolved
            .iter()
            .filter(|r| r.ownership.team.value.is_some())
            .count();
        total += resolved.len();
        // Through a multi-cluster engine, one summary per member cluster.
        let mut by_member: BTreeMap<Option<&str>, Vec<&Resolution>> = BTreeMap::new();
        for r in &resolved {
            by_member
                .entry(r.object().cluster.as_deref())
                .or_default()
                .push(r);
        }
        for (member, rows) in by_member {
            items.extend(summarise(cluster, &rows).items.into_iter().map(|mut item| {
                item.context = context.clone();
                item.cluster = member.map(str::to_string);
                item
            }));
        }
    }
    let clusters = items.iter().any(|i| i.cluster.is_some());
    let location = Location::new(multi, clusters);
    let summary = TeamSummary::new(crate::core::policy::coverage(owned, total), items);
    let stages = loaded
        .first()
        .map(|(_, (cluster, _))| cluster.config.stages.clone())
        .unwrap_or_default();
    let out = match super::document_format(&opts.output, "items", opts.no_headers) {
        Some(format) => documents::print(&summary, format),
        None if opts.output == Output::Csv => csv(&stages, &summary, location)?,
        None if opts.output == Output::Html => {
            let made = super::made(global, super::check::today()?)?;
            html::teams_page(&summary, &sunsets, &made)
        }
        None => table(&stages, &summary, location, opts.no_headers),
    };
    ui::out(&out)?;
    Ok(if failed {
        ExitStatus::Failed
    } else {
        ExitStatus::Success
    })
}

/// Per team: workloads, count by stage, namespaces, first contact seen per key.
type Tally = (
    usize,
    BTreeMap<String, usize>,
    BTreeSet<String>,
    BTreeMap<String, String>,
);

/// Groups resolved rows by team; the unowned row (`team: None`) comes last.
fn summarise(cluster: &Cluster, rows: &[&Resolution]) -> TeamSummary {
    let mut by_team: BTreeMap<Option<String>, Tally> = BTreeMap::new();
    for r in rows {
        let entry = by_team.entry(r.ownership.team.value.clone()).or_default();
        entry.0 += 1;
        *entry
            .1
            .entry(r.ownership.stage.value().unwrap_or(NO_STAGE).to_string())
            .or_default() += 1;
        if let Some(ns) = &r.object().namespace {
            entry.2.insert(ns.clone());
        }
        if r.ownership.team.value.is_some() {
            for (key, contact) in &r.ownership.contacts {
                if let Some(value) = contact.value() {
                    entry
                        .3
                        .entry(key.clone())
                        .or_insert_with(|| value.to_string());
                }
            }
        }
    }
    let total = rows.len();
    let owned = rows
        .iter()
        .filter(|r| r.ownership.team.value.is_some())
        .count();
    let mut items: Vec<TeamItem> = by_team
        .into_iter()
        .map(|(team, (workloads, stages, namespaces, mut contacts))| {
            // The registry is the team's own word on how to reach it: it wins over workload annotations.
            if let Some(registered) = team
                .as_deref()
                .and_then(|t| cluster.config.canonical_team(t))
            {
                for (key, value) in registered.contacts() {
                    contacts.insert(key.to_string(), value.to_string());
                }
            }
            TeamItem {
                context: None,
                cluster: None,
                team,
                workloads,
                stages,
                namespaces: namespaces.into_iter().collect(),
                contacts,
            }
        })
        .collect();
    // BTreeMap puts None first; the unowned row reads best last.
    let unowned_first = items.first().is_some_and(|i| i.team.is_none());
    items.rotate_left(usize::from(unowned_first));
    TeamSummary::new(crate::core::policy::coverage(owned, total), items)
}

/// The columns of `teams`' table and CSV: CONTEXT with several clusters, TEAM, WORKLOADS, one
/// per configured stage, NO-STAGE, NAMESPACES, CHAT.
fn headers(stages: &[String], location: Option<Location>) -> Vec<String> {
    let mut headers: Vec<String> = location.map(Location::header).into_iter().collect();
    headers.extend(["TEAM".to_string(), "WORKLOADS".into()]);
    headers.extend(stages.iter().map(|s| s.to_uppercase()));
    headers.extend(["NO-STAGE".to_string(), "NAMESPACES".into(), "CHAT".into()]);
    headers
}

/// One team's cells in [`headers`] order; `missing` stands for a value that is not there.
fn cells(
    item: &TeamItem,
    stages: &[String],
    location_column: Option<Location>,
    missing: &str,
) -> Vec<String> {
    let or_missing = |v: Option<&str>| v.unwrap_or(missing).to_string();
    let mut row: Vec<String> = match location_column {
        Some(_) => {
            vec![location(item.context.as_deref(), item.cluster.as_deref()).unwrap_or_default()]
        }
        None => Vec::new(),
    };
    row.extend([or_missing(item.team.as_deref()), item.workloads.to_string()]);
    row.extend(
        stages
            .iter()
            .map(|s| item.stages.get(s).copied().unwrap_or(0).to_string()),
    );
    // Missing and unknown stage values both count as "no valid stage".
    let other: usize = item
        .stages
        .iter()
        .filter(|(s, _)| !stages.contains(s))
        .map(|(_, n)| n)
        .sum();
    row.push(other.to_string());
    row.push(if item.namespaces.is_empty() {
        missing.to_string()
    } else {
        item.namespaces.join(",")
    });
    row.push(or_missing(
        item.contacts
            .get(ContactKey::Chat.short())
            .map(String::as_str),
    ));
    row
}

/// `-o csv`: every row, a missing value as an empty field.
fn csv(stages: &[String], summary: &TeamSummary, location: Option<Location>) -> Result<String> {
    table::csv(
        &headers(stages, location),
        summary
            .items
            .iter()
            .map(|item| cells(item, stages, location, "")),
    )
}

fn table(
    stages: &[String],
    summary: &TeamSummary,
    location: Option<Location>,
    no_headers: bool,
) -> String {
    let headers = headers(stages, location);
    let rows: Vec<Vec<String>> = summary
        .items
        .iter()
        .map(|item| cells(item, stages, location, "<none>"))
        .collect();
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let owned: usize = summary
        .items
        .iter()
        .filter(|i| i.team.is_some())
        .map(|i| i.workloads)
        .sum();
    let total: usize = summary.items.iter().map(|i| i.workloads).sum();
    let table = table::table(&header_refs, &rows, no_headers);
    if no_headers {
        return table;
    }
    format!(
        "{table}\ncoverage: {}% ({owned} of {total} workloads have a team)\n",
        summary.coverage
    )
}
