//! `kubectl owner assign` / `unassign`: write (or remove) only the ownership keys asked for, on
//! the named objects, by JSON merge patch of their metadata — never the pod template.
//!
//! Per object: read its metadata (the list of a bulk run counts as the read), decide with
//! [`plan::plan_object`] (kubectl label's `--overwrite` rule), and send a merge patch carrying the
//! `resourceVersion` that was read. A 409 means another writer got there first: re-read, re-decide
//! and retry, at most [`MAX_ATTEMPTS`] times, so no concurrent change is ever lost. Per-object
//! failures (403, 404, 422, refusals) are reported in kubectl's words and the others proceed; the
//! exit code is 1 if any object was not written.
//!
//! stdout carries only the result (table, JSON or names); warnings, notes and errors go to stderr.

use futures::StreamExt;

use crate::cli::options::{DryRun, GlobalOptions, Output, Scope, WriteFields, WriteOptions};
use crate::cluster::inventory::{Cluster, ClusterConfig};
use crate::core::kinds::{Kind, WriteTargets};
use crate::core::ownership::{self, MetaObject};
use crate::core::plan::{self, KeyChange, Place, Request, WriteStatus};
use crate::core::selector::LabelSelector;
use crate::error::{Error, ExitStatus, Result};
use crate::output::documents::{self, API_VERSION, ReportItem, WriteReport};
use crate::output::table;
use crate::output::ui;

/// Attempts per object when the server answers 409 Conflict.
pub const MAX_ATTEMPTS: usize = 5;
/// Said of a write whose outcome could not be learnt.
const MAY_HAVE_LANDED: &str = "the patch may have been applied: check the object";

/// Objects written at once in a bulk run.
const WRITE_CONCURRENCY: usize = 4;

/// One object to write: its kind, place, and the metadata already read (by a bulk list).
struct Target {
    kind: Kind,
    namespace: Option<String>,
    name: String,
    listed: Option<MetaObject>,
    /// `assign --from`: what this object gets, and what it must still be.
    suggested: Option<SuggestedWrite>,
}

/// A suggestion to write: only while the object is the one `suggest` saw and is still unowned.
struct SuggestedWrite {
    /// Writes the team (canonical), and nothing else.
    request: Request,
    uid: String,
    /// Its namespace's metadata (a namespace's team is inherited), `None` when not readable.
    namespace: Option<MetaObject>,
}

impl SuggestedWrite {
    /// The team the request writes.
    fn team(&self) -> Option<&str> {
        self.request.writes.iter().find_map(|w| w.value.as_deref())
    }
}

/// Where a bulk write stands, for a second Ctrl-C that cannot wait for it.
#[derive(Default)]
struct WriteProgress {
    started: std::collections::HashSet<String>,
    in_flight: std::collections::BTreeSet<String>,
    written: Vec<String>,
}

/// What happened to one object.
struct Outcome {
    kind: Kind,
    namespace: Option<String>,
    name: String,
    status: WriteStatus,
    /// Empty when the object could not be read.
    changes: Vec<KeyChange>,
    message: Option<String>,
    warnings: Vec<String>,
}

pub async fn run(global: &GlobalOptions, opts: WriteOptions) -> Result<ExitStatus> {
    // Everything that needs no server is checked before connecting.
    let targets = &opts.targets;
    let cluster = Cluster::open(global, ClusterConfig::Required).await?;
    if let Some(engine) = cluster.session.aggregator {
        return Err(Error::cluster(format!(
            "the server is a {} endpoint, a read-only view of many clusters: write to one member cluster with --context",
            engine.name()
        )));
    }
    // Stages and the team registry may come from the cluster's config: checked before any object request.
    let mut request = plan::build_request(&opts.fields, &cluster.config).map_err(Error::usage)?;
    for note in &request.notes {
        ui::note(note);
    }
    let (work, unwritable) = resolve_targets(&cluster, &opts, targets).await?;
    // `--from`'s requests (one per team) add their notes, each once, to the report's.
    for suggested in work.iter().filter_map(|t| t.suggested.as_ref()) {
        for note in &suggested.request.notes {
            if !request.notes.contains(note) {
                ui::note(note);
                request.notes.push(note.clone());
            }
        }
    }
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut failed = false;
    let unplanned = unwritable.len();
    for outcome in unwritable {
        report_stderr(&outcome);
        failed = true;
        outcomes.push(outcome);
    }
    if work.is_empty() && matches!(targets, WriteTargets::Bulk(_)) {
        match cluster.namespace(&opts.scope) {
            Some(ns) if work_is_namespaced(&cluster, targets) => {
                ui::status(&format!("No resources found in {ns} namespace."))
            }
            _ => ui::status("No resources found"),
        }
    }
    // Ctrl-C: start no new object; the patches in flight finish (each is one atomic request), so
    // every object ends either fully written or untouched, and we say which. A second Ctrl-C
    // (a write that hangs) stops at once and names the objects whose outcome is then unknown.
    let interrupted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let progress: std::sync::Arc<std::sync::Mutex<WriteProgress>> = Default::default();
    let planned: Vec<String> = work
        .iter()
        .map(|t| place(&t.kind, t.namespace.as_deref(), &t.name))
        .collect();
    let watcher = tokio::spawn({
        let flag = interrupted.clone();
        let progress = progress.clone();
        let planned = planned.clone();
        async move {
            if tokio::signal::ctrl_c().await.is_err() {
                return;
            }
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            if tokio::signal::ctrl_c().await.is_ok() {
                let progress = progress.lock().expect("progress lock");
                let unknown: Vec<String> = progress.in_flight.iter().cloned().collect();
                let not_started: Vec<String> = planned
                    .iter()
                    .filter(|p| !progress.started.contains(*p))
                    .cloned()
                    .collect();
                ui::status(&format!(
                    "Interrupted again: stopped at once; {} written ({}); outcome unknown for {} ({}); {} untouched ({})",
                    progress.written.len(),
                    list_or_none(&progress.written),
                    unknown.len(),
                    list_or_none(&unknown),
                    not_started.len(),
                    list_or_none(&not_started)
                ));
                std::process::exit(i32::from(ExitStatus::Interrupted.code()));
            }
        }
    });
    let cluster_ref = &cluster;
    let request_ref = &request;
    let mut stream = futures::stream::iter(work)
        .take_while(|_| {
            futures::future::ready(!interrupted.load(std::sync::atomic::Ordering::SeqCst))
        })
        .map(|t| {
            let place = place(&t.kind, t.namespace.as_deref(), &t.name);
            let progress = progress.clone();
            {
                let mut p = progress.lock().expect("progress lock");
                p.started.insert(place.clone());
                p.in_flight.insert(place.clone());
            }
            let write = write_one(
                cluster_ref,
                t,
                request_ref,
                opts.label_selector.as_ref(),
                opts.dry_run,
            );
            async move {
                let outcome = write.await;
                let mut p = progress.lock().expect("progress lock");
                p.in_flight.remove(&place);
                if outcome.status == WriteStatus::Changed {
                    p.written.push(place);
                }
                outcome
            }
        })
        .buffered(WRITE_CONCURRENCY);
    while let Some(outcome) = stream.next().await {
        report_stderr(&outcome);
        failed |= matches!(outcome.status, WriteStatus::Skipped | WriteStatus::Failed);
        outcomes.push(outcome);
    }
    watcher.abort();
    // `buffered` keeps order, so the outcomes (after those that could not be planned) are a
    // prefix of the plan.
    let untouched = &planned[outcomes.len() - unplanned..];
    let document = super::document_format(&opts.output, "items", opts.no_headers);
    let out = match (&opts.output, document) {
        (_, Some(format)) => documents::print(&report(&opts, &request, &outcomes), format),
        (Output::Name, None) => outcomes
            .iter()
            .filter(|o| matches!(o.status, WriteStatus::Changed | WriteStatus::Unchanged))
            .map(|o| format!("{}\n", ui::terminal_safe(&reference(&o.kind, &o.name))))
            .collect(),
        _ => table(&opts, &outcomes),
    };
    ui::out(&out)?;
    if interrupted.load(std::sync::atomic::Ordering::SeqCst) {
        let done: Vec<String> = outcomes
            .iter()
            .filter(|o| o.status == WriteStatus::Changed)
            .map(|o| place(&o.kind, o.namespace.as_deref(), &o.name))
            .collect();
        ui::status(&format!(
            "Interrupted: {} written ({}); {} untouched ({})",
            done.len(),
            list_or_none(&done),
            untouched.len(),
            list_or_none(untouched)
        ));
        return Ok(ExitStatus::Interrupted);
    }
    Ok(if failed {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    })
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

fn work_is_namespaced(cluster: &Cluster, targets: &WriteTargets) -> bool {
    match targets {
        WriteTargets::Bulk(types) => types
            .iter()
            .any(|t| cluster.catalog.parse_type(t).is_ok_and(|k| k.namespaced)),
        WriteTargets::Named(_) | WriteTargets::Suggested { .. } => true,
    }
}

/// A kind by its TYPE, confirmed by discovery when it is a CRD.
async fn kind_of(cluster: &Cluster, name: &str) -> Result<Kind> {
    let kind = cluster.catalog.parse_type(name).map_err(Error::usage)?;
    cluster.named_kind(kind, name).await
}

/// The objects to write, and those that cannot be (a suggestion whose kind or team is not
/// valid here). A bulk list that fails ends the command; a named object is read (and fails)
/// later, on its own.
async fn resolve_targets(
    cluster: &Cluster,
    opts: &WriteOptions,
    targets: &WriteTargets,
) -> Result<(Vec<Target>, Vec<Outcome>)> {
    let mut out = Vec::new();
    let mut unwritable = Vec::new();
    match targets {
        WriteTargets::Suggested { picked, left } => {
            note_not_picked(left);
            let mut reads = SuggestionReads::default();
            for suggestion in picked {
                let target = suggested_target(cluster, opts, suggestion, &mut reads).await?;
                match target {
                    Ok(target) => out.push(target),
                    Err(outcome) => unwritable.push(outcome),
                }
            }
        }
        WriteTargets::Named(pairs) => {
            let namespace = cluster.namespace(&opts.scope);
            for object in pairs {
                let kind = kind_of(cluster, &object.type_name).await?;
                let namespace = if kind.namespaced {
                    namespace.clone()
                } else {
                    None
                };
                out.push(Target {
                    kind,
                    namespace,
                    name: object.name.clone(),
                    listed: None,
                    suggested: None,
                });
            }
        }
        WriteTargets::Bulk(types) => {
            for type_name in types {
                let kind = kind_of(cluster, type_name).await?;
                let namespace = if kind.namespaced {
                    cluster.namespace(&opts.scope)
                } else {
                    None
                };
                let listed = cluster
                    .session
                    .list_meta(
                        &kind,
                        namespace.as_deref(),
                        opts.label_selector.as_ref().map(LabelSelector::as_str),
                        None,
                    )
                    .await?;
                for object in listed {
                    out.push(Target {
                        kind: kind.clone(),
                        namespace: object.namespace.clone(),
                        name: object.name.clone(),
                        listed: Some(object),
                        suggested: None,
                    });
                }
            }
        }
    }
    Ok((out, unwritable))
}

/// Says which objects of a `--from` document are left alone: each disputed one by name (a
/// person should decide), the others as counts.
fn note_not_picked(left: &[crate::core::suggest::NotPicked]) {
    use crate::core::suggest::Unpicked;
    let (mut none, mut unsure) = (0, 0);
    for item in left {
        if let Unpicked::Disputed { .. } = item.why {
            let what = match &item.namespace {
                Some(ns) => format!(
                    "{}/{} in namespace {ns}",
                    item.kind.to_lowercase(),
                    item.name
                ),
                None => format!("{}/{}", item.kind.to_lowercase(), item.name),
            };
            ui::note(&format!("{what}: {}; not written", item.why));
        } else if item.why == Unpicked::NoCandidate {
            none += 1;
        } else {
            unsure += 1;
        }
    }
    let objects = crate::core::suggest::objects;
    if none > 0 {
        ui::note(&format!(
            "{} of the suggestions had no candidate team; not written",
            objects(none)
        ));
    }
    if unsure > 0 {
        ui::note(&format!(
            "{} of the suggestions had no candidate team at the confidence asked for; not written",
            objects(unsure)
        ));
    }
}

/// What the suggestions of one document share: their namespaces' metadata, and one request
/// (or the reason there is none) per team.
#[derive(Default)]
struct SuggestionReads {
    namespaces: std::collections::HashMap<String, Option<MetaObject>>,
    requests: std::collections::HashMap<String, std::result::Result<Request, String>>,
}

/// One `--from` suggestion as a write target: its kind (discovery confirms a CRD), the request
/// writing its team, and its namespace's metadata for the still-unowned check.
async fn suggested_target(
    cluster: &Cluster,
    opts: &WriteOptions,
    suggestion: &crate::core::suggest::Suggested,
    reads: &mut SuggestionReads,
) -> Result<std::result::Result<Target, Outcome>> {
    // A kind the catalog does not know is asked of discovery, whatever its group.
    let served = match cluster
        .catalog
        .by_owner(&suggestion.api_version, &suggestion.kind)
    {
        Some(kind) => cluster.served_kind(kind).await?,
        None => match Kind::owner(&suggestion.api_version, &suggestion.kind) {
            Some(unknown) => cluster.session.discover(&unknown).await?,
            None => None,
        },
    };
    let failed = |kind: Kind, message: String| Outcome {
        kind,
        namespace: suggestion.namespace.clone(),
        name: suggestion.name.clone(),
        status: WriteStatus::Failed,
        changes: Vec::new(),
        message: Some(message),
        warnings: Vec::new(),
    };
    let Some(kind) = served else {
        // Named as the document names it: the server has no such kind.
        let unknown = Kind {
            group: String::new(),
            version: String::new(),
            kind: suggestion.kind.clone(),
            plural: suggestion.kind.to_lowercase(),
            namespaced: suggestion.namespace.is_some(),
            short_names: Vec::new(),
            workload: false,
        };
        return Ok(Err(failed(
            unknown,
            format!(
                "the server doesn't have a resource type \"{}\" in {}",
                suggestion.kind, suggestion.api_version
            ),
        )));
    };
    if kind.namespaced && suggestion.namespace.is_none() {
        return Ok(Err(failed(
            kind,
            format!(
                "{}/{}: the suggestion names no namespace for a namespaced kind; not written",
                suggestion.kind.to_lowercase(),
                suggestion.name
            ),
        )));
    }
    let WriteFields::Assign {
        allow_unknown_team, ..
    } = opts.fields
    else {
        unreachable!("--from is an assign flag");
    };
    let request = reads
        .requests
        .entry(suggestion.team.clone())
        .or_insert_with(|| {
            plan::RawWriteFields::Assign {
                team: Some(suggestion.team.clone()),
                stage: None,
                sunset: None,
                contacts: Vec::new(),
                overwrite: false,
                allow_unknown_team,
            }
            .parse()
            .and_then(|fields| plan::build_request(&fields, &cluster.config))
        });
    let request = match request {
        Ok(request) => request.clone(),
        Err(e) => {
            let what = place(&kind, suggestion.namespace.as_deref(), &suggestion.name);
            return Ok(Err(failed(kind, format!("{what}: {e}"))));
        }
    };
    let namespace = match &suggestion.namespace {
        Some(ns) => {
            if !reads.namespaces.contains_key(ns) {
                let read = cluster
                    .session
                    .get_meta(cluster.catalog.namespace(), None, ns)
                    .await;
                reads.namespaces.insert(ns.clone(), read.ok().flatten());
            }
            reads.namespaces[ns].clone()
        }
        None => None,
    };
    Ok(Ok(Target {
        namespace: suggestion.namespace.clone().filter(|_| kind.namespaced),
        kind,
        name: suggestion.name.clone(),
        listed: None,
        suggested: Some(SuggestedWrite {
            request,
            uid: suggestion.uid.clone(),
            namespace,
        }),
    }))
}

/// `deployment.apps/api`, as kubectl names objects.
fn reference(kind: &Kind, name: &str) -> String {
    format!("{}/{name}", kind.name_prefix())
}

fn place(kind: &Kind, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{} in namespace {ns}", reference(kind, name)),
        None => reference(kind, name),
    }
}

/// Read (unless listed), decide, patch; on 409 read again and decide again.
async fn write_one(
    cluster: &Cluster,
    target: Target,
    request: &Request,
    selector: Option<&LabelSelector>,
    dry_run: DryRun,
) -> Outcome {
    let Target {
        kind,
        namespace,
        name,
        mut listed,
        suggested,
    } = target;
    let request = suggested.as_ref().map_or(request, |s| &s.request);
    // Every re-read must find the same object (uid) and, for a selector run, matching labels.
    let mut expected_uid = listed
        .as_ref()
        .map(|o| o.uid.clone())
        .or_else(|| suggested.as_ref().map(|s| s.uid.clone()));
    // The changes of a patch sent whose answer was lost: if the object now holds what was asked,
    // that patch landed, and these are what it changed.
    let mut may_have_landed: Option<Vec<KeyChange>> = None;
    let ns = namespace.as_deref();
    let mut outcome = Outcome {
        kind: kind.clone(),
        namespace: namespace.clone(),
        name: name.clone(),
        status: WriteStatus::Failed,
        changes: Vec::new(),
        message: None,
        warnings: Vec::new(),
    };
    for attempt in 1..=MAX_ATTEMPTS {
        let object = match listed.take() {
            Some(object) => object,
            None => match cluster.session.get_meta(&kind, ns, &name).await {
                Ok(Some(object)) => object,
                Ok(None) => {
                    outcome.status = WriteStatus::Failed;
                    outcome.message = Some(kind.not_found(&name));
                    return outcome;
                }
                Err(e) => {
                    outcome.status = WriteStatus::Failed;
                    outcome.message = Some(match may_have_landed {
                        Some(_) => format!("{}; {MAY_HAVE_LANDED}", e.message),
                        None => e.message,
                    });
                    return outcome;
                }
            },
        };
        // A re-read (after a 409) may find another object: never write in its place.
        if expected_uid.as_ref().is_some_and(|uid| *uid != object.uid) {
            let since = match suggested {
                Some(_) => "suggest read it",
                None => "it was read",
            };
            outcome.status = WriteStatus::Skipped;
            outcome.message = Some(format!(
                "{}: was deleted and recreated since {since}; not written",
                place(&kind, ns, &name)
            ));
            return outcome;
        }
        expected_uid = Some(object.uid.clone());
        let plan = plan::plan_object(&object, request);
        // Our own patch landed (its answer was lost): it may be why the labels left the selection.
        if let Some(changes) = &may_have_landed
            && plan.patch.is_none()
            && plan.refused.is_empty()
        {
            outcome.status = WriteStatus::Changed;
            outcome.changes = changes.clone();
            return outcome;
        }
        // A suggestion is for an unowned object: one that gained another team since is someone's;
        // one that has the suggested team already (a second run) needs nothing.
        if let Some(s) = &suggested {
            let owner = ownership::resolve(&[&object], s.namespace.as_ref(), ns, &cluster.config);
            match owner.team.value() {
                Some(team) if Some(team) == s.team() => {
                    outcome.status = WriteStatus::Unchanged;
                    // Its own label is shown `(no change)`; a team it inherits writes nothing.
                    if plan.patch.is_none() {
                        outcome.changes = plan.changes.clone();
                    }
                    return outcome;
                }
                Some(team) => {
                    outcome.status = WriteStatus::Skipped;
                    outcome.message = Some(format!(
                        "{}: now owned by team {team}; not written",
                        place(&kind, ns, &name)
                    ));
                    return outcome;
                }
                None => {}
            }
        }
        // …or the object may have left the selection since it was listed.
        if let Some(selector) = selector.filter(|s| !s.matches(&object.labels)) {
            outcome.status = WriteStatus::Skipped;
            outcome.message = Some(format!(
                "{}: no longer matches the selector \"{}\"; not written",
                place(&kind, ns, &name),
                selector.as_str()
            ));
            return outcome;
        }
        outcome.changes = plan.changes.clone();
        if let Some(reason) = plan.refusal() {
            outcome.status = WriteStatus::Skipped;
            outcome.message = Some(format!("{}: {reason}", place(&kind, ns, &name)));
            return outcome;
        }
        let Some(patch) = plan.patch else {
            outcome.status = WriteStatus::Unchanged;
            return outcome;
        };
        outcome.warnings = warnings(cluster, &kind, &object);
        if dry_run == DryRun::Client {
            outcome.status = WriteStatus::Changed;
            return outcome;
        }
        ui::log(6, || {
            format!("PATCH {} {name}: {patch}", kind.qualified_plural())
        });
        match cluster
            .session
            .patch_meta(&kind, ns, &name, &patch, dry_run == DryRun::Server)
            .await
        {
            Ok(_) => {
                outcome.status = WriteStatus::Changed;
                return outcome;
            }
            Err(e) if e.outcome_unknown && attempt < MAX_ATTEMPTS => {
                may_have_landed = Some(outcome.changes.clone());
                ui::log(2, || {
                    format!(
                        "{}: {e}; the patch may have landed: reading it again (attempt {attempt} of {MAX_ATTEMPTS})",
                        place(&kind, ns, &name)
                    )
                });
            }
            Err(e) if e.status == Some(409) && attempt < MAX_ATTEMPTS => {
                ui::log(2, || {
                    format!(
                        "{}: {e}; reading it again (attempt {attempt} of {MAX_ATTEMPTS})",
                        place(&kind, ns, &name)
                    )
                });
            }
            Err(e) if e.status == Some(409) => {
                outcome.status = WriteStatus::Failed;
                outcome.message = Some(format!("{e} (gave up after {MAX_ATTEMPTS} attempts)"));
                return outcome;
            }
            Err(e) => {
                outcome.status = WriteStatus::Failed;
                outcome.message = Some(if e.outcome_unknown {
                    format!("{}; {MAY_HAVE_LANDED}", e.message)
                } else {
                    e.message
                });
                return outcome;
            }
        }
    }
    unreachable!("the last attempt always returns")
}

/// GitOps managers that may revert the change, and controllers whose ownership wins over the object's.
fn warnings(cluster: &Cluster, kind: &Kind, object: &MetaObject) -> Vec<String> {
    let what = place(kind, object.namespace.as_deref(), &object.name);
    let mut out: Vec<String> = plan::gitops_managers(object)
        .into_iter()
        .map(|m| format!("{what} is managed by {m}"))
        .collect();
    if let Some(c) = &object.controller
        && cluster.catalog.is_workload(&c.api_version, &c.kind)
    {
        out.push(format!(
            "{what} is controlled by {}/{}: ownership is read from the top of its controller chain first, so assign the workload instead",
            c.kind, c.name
        ));
    }
    out
}

fn report_stderr(outcome: &Outcome) {
    for w in &outcome.warnings {
        ui::warn(w);
    }
    if let Some(message) = &outcome.message {
        ui::partial_error(message);
    }
}

fn result_word(outcome: &Outcome, change: &KeyChange, dry_run: DryRun) -> String {
    match outcome.status {
        WriteStatus::Changed if change.changes() => match dry_run {
            DryRun::None => "changed".to_string(),
            DryRun::Client => "changed (dry run)".to_string(),
            DryRun::Server => "changed (server dry run)".to_string(),
        },
        WriteStatus::Changed | WriteStatus::Unchanged => "(no change)".to_string(),
        WriteStatus::Skipped => "skipped".to_string(),
        WriteStatus::Failed => "failed".to_string(),
    }
}

/// One row per object and key: `NAME KEY CHANGE RESULT`, with `NAMESPACE` first when objects
/// come from more than one namespace (or `-A`).
fn table(opts: &WriteOptions, outcomes: &[Outcome]) -> String {
    let rows_of = outcomes.iter().filter(|o| !o.changes.is_empty());
    let mut namespaces: Vec<Option<&str>> =
        outcomes.iter().map(|o| o.namespace.as_deref()).collect();
    namespaces.dedup();
    let show_namespace = opts.scope == Scope::AllNamespaces || namespaces.len() > 1;
    let mut rows = Vec::new();
    for o in rows_of {
        for c in &o.changes {
            let mut row = Vec::new();
            if show_namespace {
                row.push(table::or_none(o.namespace.as_deref()));
            }
            // A key held both as a label and as an annotation: say which one each row is.
            let twice = o
                .changes
                .iter()
                .any(|other| other.key == c.key && other.place != c.place);
            let key = match (twice, c.place) {
                (false, _) => c.key.clone(),
                (true, Place::Label) => format!("{} (label)", c.key),
                (true, Place::Annotation) => format!("{} (annotation)", c.key),
            };
            row.extend([
                reference(&o.kind, &o.name),
                key,
                c.describe(),
                result_word(o, c, opts.dry_run),
            ]);
            rows.push(row);
        }
    }
    if rows.is_empty() {
        return String::new();
    }
    let headers: &[&str] = if show_namespace {
        &["NAMESPACE", "NAME", "KEY", "CHANGE", "RESULT"]
    } else {
        &["NAME", "KEY", "CHANGE", "RESULT"]
    };
    table::table(headers, &rows, opts.no_headers)
}

fn report<'a>(
    opts: &WriteOptions,
    request: &'a Request,
    outcomes: &'a [Outcome],
) -> WriteReport<'a> {
    WriteReport {
        api_version: API_VERSION,
        kind: match opts.fields {
            WriteFields::Assign { .. } => "AssignResult",
            WriteFields::Unassign { .. } => "UnassignResult",
        },
        dry_run: match opts.dry_run {
            DryRun::None => "none",
            DryRun::Client => "client",
            DryRun::Server => "server",
        },
        notes: &request.notes,
        items: outcomes
            .iter()
            .map(|o| ReportItem {
                kind: &o.kind.kind,
                api_version: o.kind.api_version(),
                namespace: o.namespace.as_deref(),
                name: &o.name,
                result: o.status,
                changes: &o.changes,
                message: o.message.as_deref(),
                warnings: &o.warnings,
            })
            .collect(),
    }
}
