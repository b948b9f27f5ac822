//! `kubectl owner suggest`: for every unowned workload in scope, the candidate teams and the
//! evidence for each (see [`crate::core::suggest`] for the confidence table). Never writes.

use serde::Serialize;

use crate::cli::options::{GlobalOptions, Output, SuggestOptions};
use crate::cluster::inventory::{self, Cluster, ClusterConfig, Inventory, RowEvent};
use crate::core::image::ImagePattern;
use crate::core::kinds::Kind;
use crate::core::ownership::{self, MetaObject};
use crate::core::suggest::{
    self, Candidate, Clues, EditGrant, GitOpsKind, ImageMatch, Owned, Parent, Subject,
};
use crate::error::{Error, ExitStatus, Result};
use crate::output::documents::{self, API_VERSION};
use crate::output::table;
use crate::output::ui;

/// `suggest -o json|yaml`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SuggestionList<'a> {
    api_version: &'static str,
    kind: &'static str,
    items: Vec<Item<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Item<'a> {
    api_version: &'a str,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
    uid: &'a str,
    /// The earliest field manager, in words (`created by helm`), whether or not a team lists it.
    #[serde(skip_serializing_if = "Option::is_none")]
    first_writer: Option<String>,
    candidates: Vec<Candidate>,
}

pub async fn run(global: &GlobalOptions, opts: SuggestOptions) -> Result<ExitStatus> {
    let cluster = Cluster::open(global, ClusterConfig::BestEffort).await?;
    if let Some(engine) = cluster.session.aggregator {
        // Its evidence (GitOps objects, RoleBindings, siblings) is per cluster, and read whole.
        return Err(Error::cluster(format!(
            "suggest weighs one cluster's evidence and the server is a {} endpoint: run it against a member cluster with --context",
            engine.name()
        )));
    }
    let kinds = super::check::parse_types(&cluster, &opts.types)?;
    let mut plan = inventory::typed_plan(
        &cluster,
        &kinds,
        &opts.scope,
        opts.label_selector.clone(),
        None,
    )
    .await?;
    // The evidence lives in labels and annotations the listing would otherwise drop.
    plan.label_columns
        .extend(suggest::EVIDENCE_KEYS.iter().map(|k| k.to_string()));
    crate::cluster::session::read_field_managers();
    // Rows are taken as they are resolved: the unowned kept, the owned only tallied (per kind, so
    // a kind whose list starts again is taken back whole).
    // Keyed by the (apiVersion, kind) strings every object of a list shares.
    type KindKey = (std::sync::Arc<str>, std::sync::Arc<str>);
    let mut owned_by_kind: std::collections::HashMap<KindKey, Owned> = Default::default();
    let mut unowned: Vec<MetaObject> = Vec::new();
    let inventory = Inventory::for_each_row(&cluster, &plan, &mut |event| match event {
        RowEvent::Row(r) => {
            // A controlled object is its controller's: the controller gets the suggestion.
            if r.chain.len() != 1 {
                return;
            }
            let object = r.object();
            match r.ownership.team.value() {
                Some(team) => owned_by_kind
                    .entry((object.api_version.clone(), object.kind.clone()))
                    .or_default()
                    .add(object, team),
                None => unowned.push(object.clone()),
            }
        }
        RowEvent::Restarted(kind) => {
            let api_version = kind.api_version();
            let of_kind = |o: &MetaObject| *o.api_version == api_version && *o.kind == kind.kind;
            owned_by_kind.retain(|(v, k), _| !(**v == api_version && **k == kind.kind));
            unowned.retain(|o| !of_kind(o));
        }
    })
    .await?;
    let mut owned = Owned::default();
    for tally in owned_by_kind.into_values() {
        owned.merge(tally);
    }
    let parents = gitops_parents(&cluster, &inventory, &unowned).await?;
    let images = image_matches(
        &cluster,
        cluster.namespace(&opts.scope).as_deref(),
        &unowned,
    )
    .await?;
    let grants = edit_grants(
        &cluster,
        cluster.namespace(&opts.scope).as_deref(),
        &unowned,
    )
    .await?;
    let clues = Clues::new(&parents, &images, &grants, &cluster.config.teams);
    let mut suggestions: Vec<(&MetaObject, Vec<Candidate>)> = unowned
        .iter()
        .map(|o| {
            let mut candidates = suggest::candidates(o, &owned, &clues);
            candidates.retain(|c| c.confidence >= opts.min_confidence);
            (o, candidates)
        })
        .collect();
    suggestions.sort_by(|(a, _), (b, _)| {
        (&a.namespace, &a.kind, &a.name).cmp(&(&b.namespace, &b.kind, &b.name))
    });
    let out = match opts.output {
        Output::Json | Output::Yaml => {
            let items = suggestions
                .into_iter()
                .map(|(o, candidates)| Item {
                    api_version: &o.api_version,
                    kind: &o.kind,
                    namespace: o.namespace.as_deref(),
                    name: &o.name,
                    uid: &o.uid,
                    first_writer: suggest::creator(o),
                    candidates,
                })
                .collect();
            let list = SuggestionList {
                api_version: API_VERSION,
                kind: "SuggestionList",
                items,
            };
            match opts.output {
                Output::Json => documents::json(&list),
                _ => documents::yaml(&list),
            }
        }
        _ => {
            let wide = opts.output == Output::Wide;
            let mut headers = vec![
                "NAMESPACE",
                "KIND",
                "NAME",
                "SUGGESTED",
                "CONFIDENCE",
                "EVIDENCE",
            ];
            if wide {
                headers.extend(["OTHER CANDIDATES", "CREATED BY"]);
            }
            let rows: Vec<Vec<String>> = suggestions
                .iter()
                .map(|(o, candidates)| {
                    let best = candidates.first();
                    let evidence = match (best, wide) {
                        (Some(c), true) => c
                            .evidence
                            .iter()
                            .map(|e| e.text.as_str())
                            .collect::<Vec<_>>()
                            .join("; "),
                        (Some(c), false) => {
                            let first = c.evidence[0].text.clone();
                            match c.evidence.len() {
                                1 => first,
                                n => format!("{first} (+{} more)", n - 1),
                            }
                        }
                        // Who wrote it first maps to no team, but is where a person starts asking.
                        (None, _) => match suggest::creator(o) {
                            Some(creator) => format!("<none> ({creator})"),
                            None => "<none>".to_string(),
                        },
                    };
                    let mut row = vec![
                        table::or_none(o.namespace.as_deref()),
                        o.kind.to_string(),
                        o.name.clone(),
                        table::or_none(best.map(|c| c.team.as_str())),
                        table::or_none(best.map(|c| c.confidence.as_str())),
                        evidence,
                    ];
                    if wide {
                        row.push(match candidates.len() {
                            0 | 1 => "<none>".to_string(),
                            _ => candidates[1..]
                                .iter()
                                .map(|c| format!("{} ({})", c.team, c.confidence.as_str()))
                                .collect::<Vec<_>>()
                                .join(", "),
                        });
                        row.push(table::or_none(suggest::creator(o).as_deref()));
                    }
                    row
                })
                .collect();
            if rows.is_empty() {
                ui::status("No unowned workloads found.");
                return Ok(ExitStatus::Success);
            }
            table::table(&headers, &rows, opts.no_headers)
        }
    };
    ui::out(&out)?;
    Ok(ExitStatus::Success)
}

/// Evidence lists RBAC refused: suggestions are made from the rest, and may miss a team.
fn warn_evidence_unread(unreadable: &[inventory::Unreadable]) {
    if !unreadable.is_empty() {
        ui::warn(&format!(
            "evidence incomplete, could not read: {}",
            inventory::describe_unreadable(unreadable)
        ));
    }
}

/// The GitOps objects (Argo CD Applications, Flux Kustomizations and HelmReleases) that unowned
/// workloads name, with their teams: one metadata list per kind some workload names, skipped
/// when its CRD is not installed.
async fn gitops_parents(
    cluster: &Cluster,
    inventory: &Inventory,
    unowned: &[MetaObject],
) -> Result<Vec<Parent>> {
    let named: Vec<GitOpsKind> = GitOpsKind::ALL
        .into_iter()
        .filter(|kind| {
            unowned
                .iter()
                .any(|o| suggest::gitops_parent(o).is_some_and(|p| p.kind == *kind))
        })
        .collect();
    let mut parents = Vec::new();
    let mut unreadable = Vec::new();
    for kind in named {
        let crd = kind.kind();
        let Some(served) = cluster.session.discover(&crd).await? else {
            ui::log(2, || {
                format!(
                    "{} is not installed: no evidence from it",
                    crd.qualified_plural()
                )
            });
            continue;
        };
        let (objects, refused) = cluster.list_everywhere(&served, None, None).await?;
        unreadable.extend(refused);
        for object in objects {
            let ns = object.namespace.clone().unwrap_or_default();
            let own = ownership::resolve(
                &[&object],
                object
                    .namespace_key()
                    .and_then(|key| inventory.namespaces.get(key.as_ref())),
                Some(&ns),
                &cluster.config,
            );
            parents.push(Parent {
                kind,
                team: own.team.value().map(str::to_string),
                namespace: ns,
                name: object.name,
            });
        }
    }
    warn_evidence_unread(&unreadable);
    Ok(parents)
}

/// Who may edit the namespaces of unowned workloads, when the registry lists `groups`: one
/// RoleBinding list, and one Role list when a binding names a Role. Bindings to the built-in
/// `admin` and `edit` ClusterRoles count, and to Roles with a write verb; other ClusterRoles are
/// not read. A refused list is named (the evidence is then partial), never fatal.
async fn edit_grants(
    cluster: &Cluster,
    namespace: Option<&str>,
    unowned: &[MetaObject],
) -> Result<Vec<EditGrant>> {
    use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
    let wanted: std::collections::HashSet<&str> = unowned
        .iter()
        .filter_map(|o| o.namespace.as_deref())
        .collect();
    if wanted.is_empty() || cluster.config.teams.iter().all(|t| t.groups.is_empty()) {
        return Ok(Vec::new());
    }
    let mut unreadable = Vec::new();
    let bindings_kind = Kind::rbac("RoleBinding", "rolebindings");
    // One namespace's suggestions read that namespace's bindings only (all a user bound there
    // may read).
    let bindings: Vec<RoleBinding> = match cluster
        .session
        .list_objects(&bindings_kind, namespace)
        .await
    {
        // A server without the RBAC API (every cluster has it; some test servers do not).
        Err(e) if e.status == Some(404) => {
            ui::log(2, || format!("rolebindings are not served: {e}"));
            Vec::new()
        }
        read => inventory::unless_refused(read, &bindings_kind, &mut unreadable)?,
    };
    let bindings: Vec<RoleBinding> = bindings
        .into_iter()
        .filter(|b| {
            b.metadata
                .namespace
                .as_deref()
                .is_some_and(|ns| wanted.contains(ns))
        })
        .collect();
    let roles: Vec<Role> = match bindings.iter().any(|b| b.role_ref.kind == "Role") {
        true => {
            let roles_kind = Kind::rbac("Role", "roles");
            inventory::unless_refused(
                cluster.session.list_objects(&roles_kind, namespace).await,
                &roles_kind,
                &mut unreadable,
            )?
        }
        false => Vec::new(),
    };
    warn_evidence_unread(&unreadable);
    // Writing workloads is what deploying them takes; writing events or pods/exec is not.
    const WORKLOADS: [&str; 10] = [
        "*",
        "deployments",
        "statefulsets",
        "daemonsets",
        "replicasets",
        "jobs",
        "cronjobs",
        "pods",
        "replicationcontrollers",
        "rollouts",
    ];
    const WRITE_VERBS: [&str; 6] = [
        "create",
        "update",
        "patch",
        "delete",
        "deletecollection",
        "*",
    ];
    let writes = |namespace: &str, role: &str| {
        roles.iter().any(|r| {
            r.metadata.namespace.as_deref() == Some(namespace)
                && r.metadata.name.as_deref() == Some(role)
                && r.rules.iter().flatten().any(|rule| {
                    rule.verbs.iter().any(|v| WRITE_VERBS.contains(&v.as_str()))
                        && rule
                            .resources
                            .iter()
                            .flatten()
                            .any(|r| WORKLOADS.contains(&r.as_str()))
                })
        })
    };
    Ok(bindings
        .into_iter()
        .filter_map(|b| {
            let namespace = b.metadata.namespace.clone().unwrap_or_default();
            let role = &b.role_ref;
            let grants = match role.kind.as_str() {
                "ClusterRole" => matches!(role.name.as_str(), "cluster-admin" | "admin" | "edit"),
                "Role" => writes(&namespace, &role.name),
                _ => false,
            };
            if !grants {
                return None;
            }
            let subjects = b
                .subjects
                .iter()
                .flatten()
                .filter_map(|s| Subject::of(&s.kind, &s.name, s.namespace.as_deref(), &namespace))
                .collect();
            Some(EditGrant {
                binding: format!("{namespace}/{}", b.metadata.name.unwrap_or_default()),
                role: format!("{}/{}", role.kind, role.name),
                namespace,
                subjects,
            })
        })
        .collect())
}

/// The unowned workloads whose pod templates run an image a team lists (`teams[].images`): read
/// from each workload kind's `Table` (its Images column, as `who image/…` reads it), only when
/// the registry lists images and something is unowned; no pod spec is read.
async fn image_matches(
    cluster: &Cluster,
    namespace: Option<&str>,
    unowned: &[MetaObject],
) -> Result<Vec<ImageMatch>> {
    let patterns: Vec<(&str, &str, ImagePattern)> = cluster
        .config
        .teams
        .iter()
        .flat_map(|t| {
            t.images.iter().filter_map(move |p| {
                ImagePattern::parse(p)
                    .ok()
                    .map(|pattern| (t.name.as_str(), p.as_str(), pattern))
            })
        })
        .collect();
    if patterns.is_empty() || unowned.is_empty() {
        return Ok(Vec::new());
    }
    // Only the kinds something unowned is, in the scope's namespace.
    let unowned_kinds: std::collections::HashSet<(&str, &str)> = unowned
        .iter()
        .map(|o| {
            let group = o.api_version.rsplit_once('/').map_or("", |(g, _)| g);
            (group, &*o.kind)
        })
        .collect();
    let kinds: Vec<Kind> = cluster
        .installed_workloads()
        .await?
        .into_iter()
        .filter(|k| unowned_kinds.contains(&(k.group.as_str(), k.kind.as_str())))
        .collect();
    let unowned: std::collections::HashSet<&str> = unowned.iter().map(|o| o.uid.as_str()).collect();
    let (tables, unreadable) = cluster
        .tables_everywhere(&kinds, namespace, &|row, _| {
            unowned.contains(row.object.uid.as_str())
        })
        .await?;
    warn_evidence_unread(&unreadable);
    let mut out = Vec::new();
    for (_, table) in &tables {
        let Some(column) = table.column("Images") else {
            continue;
        };
        for row in &table.rows {
            let images = row.cells.get(column).and_then(|c| c.as_str()).unwrap_or("");
            for image in images.split(',').filter(|i| !i.is_empty()) {
                for (team, text, pattern) in &patterns {
                    if pattern.matches(image) {
                        out.push(ImageMatch {
                            uid: row.object.uid.clone(),
                            team: team.to_string(),
                            image: image.to_string(),
                            pattern: text.to_string(),
                        });
                    }
                }
            }
        }
    }
    Ok(out)
}
