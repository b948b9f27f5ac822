//! `kubectl owner suggest`: candidate teams for unowned workloads, from evidence already in the
//! cluster, each with a confidence a reviewer can reason about.
//!
//! | evidence | confidence |
//! |---|---|
//! | the GitOps object that deploys it (Argo CD Application, Flux Kustomization or HelmRelease) has a team | high |
//! | same Helm release as an owned object | high |
//! | sibling sharing `app.kubernetes.io/part-of` or (in its namespace) `app.kubernetes.io/name` | medium |
//! | its pod template runs an image the team lists (`teams[].images` in the config) | medium |
//! | a group, user or service account the team lists (`teams[].groups`) may edit its namespace | medium |
//! | a field manager the team lists (`teams[].managers`) wrote it | medium |
//! | the namespace's dominant team among its owned workloads | low |
//!
//! A team's confidence is its best evidence's, one level up when two kinds of evidence agree on
//! it (low → medium → high). When evidence names several teams, every candidate is shown and
//! none is above medium.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::config::Team;
use crate::core::kinds::Kind;
use crate::core::ownership::MetaObject;

/// How sure a suggestion is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }

    fn raised(self) -> Confidence {
        match self {
            Confidence::Low => Confidence::Medium,
            _ => Confidence::High,
        }
    }
}

/// Where a piece of evidence comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    GitopsParent,
    HelmRelease,
    PartOf,
    Name,
    Image,
    RbacGroup,
    FieldManager,
    NamespaceMajority,
}

impl Source {
    fn confidence(self) -> Confidence {
        match self {
            Source::GitopsParent | Source::HelmRelease => Confidence::High,
            Source::PartOf
            | Source::Name
            | Source::Image
            | Source::RbacGroup
            | Source::FieldManager => Confidence::Medium,
            Source::NamespaceMajority => Confidence::Low,
        }
    }
}

/// One piece of evidence, in words a person can check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub source: Source,
    pub text: String,
}

/// A team the evidence points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub team: String,
    pub confidence: Confidence,
    pub evidence: Vec<Evidence>,
}

const PART_OF: &str = "app.kubernetes.io/part-of";
const NAME: &str = "app.kubernetes.io/name";
const INSTANCE: &str = "app.kubernetes.io/instance";
const RELEASE_NAME: &str = "meta.helm.sh/release-name";
const RELEASE_NAMESPACE: &str = "meta.helm.sh/release-namespace";

const ARGO_INSTANCE: &str = "argocd.argoproj.io/instance";
const ARGO_TRACKING: &str = "argocd.argoproj.io/tracking-id";
const FLUX_KS_NAME: &str = "kustomize.toolkit.fluxcd.io/name";
const FLUX_KS_NAMESPACE: &str = "kustomize.toolkit.fluxcd.io/namespace";
const FLUX_HR_NAME: &str = "helm.toolkit.fluxcd.io/name";
const FLUX_HR_NAMESPACE: &str = "helm.toolkit.fluxcd.io/namespace";

/// The label and annotation keys the evidence is read from (what listings must keep).
pub const EVIDENCE_KEYS: [&str; 12] = [
    PART_OF,
    NAME,
    INSTANCE,
    "app.kubernetes.io/managed-by",
    RELEASE_NAME,
    RELEASE_NAMESPACE,
    ARGO_INSTANCE,
    ARGO_TRACKING,
    FLUX_KS_NAME,
    FLUX_KS_NAMESPACE,
    FLUX_HR_NAME,
    FLUX_HR_NAMESPACE,
];

/// The GitOps objects that deploy workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitOpsKind {
    ArgoApplication,
    FluxKustomization,
    FluxHelmRelease,
}

impl GitOpsKind {
    pub const ALL: [GitOpsKind; 3] = [
        GitOpsKind::ArgoApplication,
        GitOpsKind::FluxKustomization,
        GitOpsKind::FluxHelmRelease,
    ];

    /// The kind as its CRD serves it (discovery confirms it is installed).
    pub fn kind(self) -> Kind {
        let (group, version, kind, plural) = match self {
            GitOpsKind::ArgoApplication => {
                ("argoproj.io", "v1alpha1", "Application", "applications")
            }
            GitOpsKind::FluxKustomization => (
                "kustomize.toolkit.fluxcd.io",
                "v1",
                "Kustomization",
                "kustomizations",
            ),
            GitOpsKind::FluxHelmRelease => (
                "helm.toolkit.fluxcd.io",
                "v2",
                "HelmRelease",
                "helmreleases",
            ),
        };
        Kind::builtin(group, version, kind, plural, &[], false)
    }

    fn describe(self) -> &'static str {
        match self {
            GitOpsKind::ArgoApplication => "Argo CD Application",
            GitOpsKind::FluxKustomization => "Flux Kustomization",
            GitOpsKind::FluxHelmRelease => "Flux HelmRelease",
        }
    }
}

/// The GitOps object an object's labels or annotations say deployed it; its namespace when they
/// say (Argo CD's label names the Application only: it lives in Argo CD's namespace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentRef {
    pub kind: GitOpsKind,
    pub namespace: Option<String>,
    pub name: String,
}

pub fn gitops_parent(o: &MetaObject) -> Option<ParentRef> {
    let get = |k: &str| {
        o.labels
            .get(k)
            .or_else(|| o.annotations.get(k))
            .filter(|v| !v.is_empty())
    };
    let flux = |kind, name_key, ns_key| {
        get(name_key).map(|name| ParentRef {
            kind,
            namespace: get(ns_key).cloned(),
            name: name.clone(),
        })
    };
    // Argo CD: `<app>:<group>/<kind>:<ns>/<name>` (annotation tracking) or the instance label;
    // an app in any namespace is written `<ns>_<app>`.
    let argo = get(ARGO_TRACKING)
        .and_then(|t| t.split_once(':').map(|(app, _)| app.to_string()))
        .or_else(|| get(ARGO_INSTANCE).cloned())
        .map(|app| match app.split_once('_') {
            Some((ns, name)) => ParentRef {
                kind: GitOpsKind::ArgoApplication,
                namespace: Some(ns.to_string()),
                name: name.to_string(),
            },
            None => ParentRef {
                kind: GitOpsKind::ArgoApplication,
                namespace: None,
                name: app,
            },
        });
    argo.or_else(|| {
        flux(
            GitOpsKind::FluxKustomization,
            FLUX_KS_NAME,
            FLUX_KS_NAMESPACE,
        )
    })
    .or_else(|| flux(GitOpsKind::FluxHelmRelease, FLUX_HR_NAME, FLUX_HR_NAMESPACE))
}

/// A workload (by uid) whose pod template runs an image a team lists.
#[derive(Debug, Clone)]
pub struct ImageMatch {
    pub uid: String,
    pub team: String,
    pub image: String,
    /// The team's entry it matched.
    pub pattern: String,
}

/// A namespace write grant: a RoleBinding to `admin`, `edit` or a Role with write verbs.
#[derive(Debug, Clone)]
pub struct EditGrant {
    pub namespace: String,
    pub binding: String,
    /// `ClusterRole/edit`, `Role/deployer`.
    pub role: String,
    pub subjects: Vec<Subject>,
}

/// An RBAC subject, named as the API server authenticates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// `group`, `user` or `service account`.
    pub kind: &'static str,
    /// The group or user name; a service account's user name, `system:serviceaccount:NS:NAME`.
    pub name: String,
}

impl Subject {
    /// A RoleBinding subject (`kind`, `name`, `namespace`) in `binding_namespace`; `None` for a
    /// kind RBAC does not define.
    pub fn of(
        kind: &str,
        name: &str,
        namespace: Option<&str>,
        binding_namespace: &str,
    ) -> Option<Subject> {
        match kind {
            "Group" => Some(Subject {
                kind: "group",
                name: name.to_string(),
            }),
            "User" => Some(Subject {
                kind: "user",
                name: name.to_string(),
            }),
            "ServiceAccount" => Some(Subject {
                kind: "service account",
                name: format!(
                    "system:serviceaccount:{}:{name}",
                    namespace.unwrap_or(binding_namespace)
                ),
            }),
            _ => None,
        }
    }
}

/// Who wrote the object first, in words: `created by helm`, `applied by argocd-controller` when
/// that entry is the creation's, else `first recorded writer kubectl-edit`.
pub fn creator(o: &MetaObject) -> Option<String> {
    // An entry's time is its manager's last write: only one at the creation time made it.
    o.managers
        .first()
        .map(|m| match (m.at_creation, m.applied) {
            (true, true) => format!("applied by {}", m.name),
            (true, false) => format!("created by {}", m.name),
            (false, _) => format!("first recorded writer {}", m.name),
        })
}

/// A `teams[].managers` entry: a name, or a prefix ending in `*`.
fn manager_matches(pattern: &str, manager: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => manager.starts_with(prefix),
        None => manager == pattern,
    }
}

/// What the command read besides the listed workloads, indexed for the per-object lookups:
/// image matches by uid, write grants by namespace (each unowned object asks both).
#[derive(Default)]
pub struct Clues<'a> {
    parents: &'a [Parent],
    images: HashMap<&'a str, Vec<&'a ImageMatch>>,
    grants: HashMap<&'a str, Vec<&'a EditGrant>>,
    /// The team registry (`groups` and `managers` are matched against it).
    teams: &'a [Team],
}

impl<'a> Clues<'a> {
    pub fn new(
        parents: &'a [Parent],
        images: &'a [ImageMatch],
        grants: &'a [EditGrant],
        teams: &'a [Team],
    ) -> Clues<'a> {
        let mut by_uid: HashMap<&str, Vec<&ImageMatch>> = HashMap::new();
        for m in images {
            by_uid.entry(m.uid.as_str()).or_default().push(m);
        }
        let mut by_namespace: HashMap<&str, Vec<&EditGrant>> = HashMap::new();
        for g in grants {
            by_namespace
                .entry(g.namespace.as_str())
                .or_default()
                .push(g);
        }
        Clues {
            parents,
            images: by_uid,
            grants: by_namespace,
            teams,
        }
    }
}

/// A GitOps object found in the cluster, with its team as resolution gives it.
#[derive(Debug, Clone)]
pub struct Parent {
    pub kind: GitOpsKind,
    pub namespace: String,
    pub name: String,
    pub team: Option<String>,
}

/// The Helm release an object belongs to: Helm's own annotations, or the chart convention
/// `app.kubernetes.io/instance` with `managed-by: Helm`.
fn helm_release(o: &MetaObject) -> Option<(String, String)> {
    let ns = o.namespace.clone().unwrap_or_default();
    if let Some(name) = o.annotations.get(RELEASE_NAME) {
        let release_ns = o.annotations.get(RELEASE_NAMESPACE).cloned().unwrap_or(ns);
        return Some((release_ns, name.clone()));
    }
    match o
        .labels
        .get("app.kubernetes.io/managed-by")
        .map(String::as_str)
    {
        Some("Helm") => o.labels.get(INSTANCE).map(|i| (ns, i.clone())),
        _ => None,
    }
}

/// Teams of the owned objects grouped under one key, with how many each.
type Tally = BTreeMap<String, BTreeMap<String, usize>>;

fn count(tally: &mut Tally, key: Option<String>, team: &str) {
    if let Some(key) = key {
        *tally
            .entry(key)
            .or_default()
            .entry(team.to_string())
            .or_default() += 1;
    }
}

fn merge_tally(into: &mut Tally, from: Tally) {
    for (key, teams) in from {
        let entry = into.entry(key).or_default();
        for (team, n) in teams {
            *entry.entry(team).or_default() += n;
        }
    }
}

/// What the owned workloads say about their siblings, tallied as they are listed: teams by Helm
/// release, by part-of, by name in a namespace, and by namespace. A few keys per workload, so a
/// listing never holds the owned workloads themselves.
#[derive(Debug, Default)]
pub struct Owned {
    releases: Tally,
    part_of: Tally,
    names: Tally,
    namespaces: Tally,
}

impl Owned {
    /// Counts `o`, owned by `team`.
    pub fn add(&mut self, o: &MetaObject, team: &str) {
        let ns = o.namespace.as_deref().unwrap_or_default();
        count(
            &mut self.releases,
            helm_release(o).map(|(ns, name)| format!("{ns}/{name}")),
            team,
        );
        count(&mut self.part_of, o.labels.get(PART_OF).cloned(), team);
        count(
            &mut self.names,
            o.labels.get(NAME).map(|n| format!("{ns}/{n}")),
            team,
        );
        count(&mut self.namespaces, o.namespace.clone(), team);
    }

    pub fn merge(&mut self, other: Owned) {
        merge_tally(&mut self.releases, other.releases);
        merge_tally(&mut self.part_of, other.part_of);
        merge_tally(&mut self.names, other.names);
        merge_tally(&mut self.namespaces, other.namespaces);
    }
}

/// `1 object`, `2 objects`.
pub fn objects(n: usize) -> String {
    format!(
        "{n} {}",
        crate::core::policy::plural(n, "object", "objects")
    )
}

/// The candidates for an unowned workload `o`, best first; none when nothing points anywhere.
pub fn candidates(o: &MetaObject, owned: &Owned, clues: &Clues) -> Vec<Candidate> {
    let Clues {
        parents,
        images,
        grants,
        teams,
    } = clues;
    let Owned {
        releases,
        part_of,
        names,
        namespaces,
    } = owned;
    let mut found: Vec<(String, Evidence)> = Vec::new();
    if let Some(wanted) = gitops_parent(o) {
        let parent = parents.iter().find(|p| {
            p.kind == wanted.kind
                && p.name == wanted.name
                && wanted
                    .namespace
                    .as_ref()
                    .is_none_or(|ns| *ns == p.namespace)
        });
        if let Some(Parent {
            team: Some(team),
            namespace,
            name,
            kind,
        }) = parent
        {
            found.push((
                team.clone(),
                Evidence {
                    source: Source::GitopsParent,
                    text: format!("{} {namespace}/{name}: team {team}", kind.describe()),
                },
            ));
        }
    }
    for m in images.get(o.uid.as_str()).into_iter().flatten() {
        found.push((
            m.team.clone(),
            Evidence {
                source: Source::Image,
                text: format!(
                    "image {} matches {}, listed by team {}",
                    m.image, m.pattern, m.team
                ),
            },
        ));
    }
    let namespace_grants = o.namespace.as_deref().and_then(|ns| grants.get(ns));
    for grant in namespace_grants.into_iter().flatten() {
        for subject in &grant.subjects {
            for team in teams.iter().filter(|t| t.groups.contains(&subject.name)) {
                found.push((
                    team.name.clone(),
                    Evidence {
                        source: Source::RbacGroup,
                        text: format!(
                            "{} {} may edit namespace {} (RoleBinding {} to {}), listed by team {}",
                            subject.kind,
                            subject.name,
                            grant.namespace,
                            grant.binding,
                            grant.role,
                            team.name
                        ),
                    },
                ));
            }
        }
    }
    for manager in &o.managers {
        for team in teams.iter() {
            if let Some(pattern) = team
                .managers
                .iter()
                .find(|p| manager_matches(p, &manager.name))
            {
                let verb = manager.verb();
                let listed = match pattern.as_str() == &*manager.name {
                    true => String::new(),
                    false => format!(" (as {pattern})"),
                };
                found.push((
                    team.name.clone(),
                    Evidence {
                        source: Source::FieldManager,
                        text: format!(
                            "{verb} by field manager {}, listed by team {}{listed}",
                            manager.name, team.name
                        ),
                    },
                ));
            }
        }
    }
    let mut from = |tally: &Tally,
                    key: Option<String>,
                    source: Source,
                    say: &dyn Fn(&str, usize) -> String| {
        if let Some(teams) = key.as_ref().and_then(|k| tally.get(k)) {
            for (team, n) in teams {
                found.push((
                    team.clone(),
                    Evidence {
                        source,
                        text: say(team, *n),
                    },
                ));
            }
        }
    };
    let release = helm_release(o).map(|(ns, name)| format!("{ns}/{name}"));
    from(
        releases,
        release.clone(),
        Source::HelmRelease,
        &|team, n| {
            format!(
                "Helm release {}: {} owned by {team}",
                release.as_deref().unwrap_or_default(),
                objects(n)
            )
        },
    );
    let group = o.labels.get(PART_OF).cloned();
    from(part_of, group.clone(), Source::PartOf, &|team, n| {
        format!(
            "part-of {}: {} owned by {team}",
            group.as_deref().unwrap_or_default(),
            objects(n)
        )
    });
    let name = o.labels.get(NAME).cloned();
    let ns = o.namespace.as_deref().unwrap_or_default();
    from(
        names,
        name.as_ref().map(|n| format!("{ns}/{n}")),
        Source::Name,
        &|team, n| {
            format!(
                "name {} in {ns}: {} owned by {team}",
                name.as_deref().unwrap_or_default(),
                objects(n)
            )
        },
    );
    // The namespace's dominant team only: one team owning more than half of its workloads.
    if let Some(teams) = namespaces.get(ns) {
        let total: usize = teams.values().sum();
        if let Some((team, n)) = teams.iter().find(|(_, n)| **n * 2 > total) {
            found.push((
                team.clone(),
                Evidence {
                    source: Source::NamespaceMajority,
                    text: format!("namespace {ns}: {n} of {total} owned workloads are {team}'s"),
                },
            ));
        }
    }
    rank(found)
}

/// Candidates from evidence, by the confidence table.
fn rank(found: Vec<(String, Evidence)>) -> Vec<Candidate> {
    let mut by_team: BTreeMap<String, Vec<Evidence>> = BTreeMap::new();
    for (team, evidence) in found {
        by_team.entry(team).or_default().push(evidence);
    }
    let disputed = by_team.len() > 1;
    let mut candidates: Vec<Candidate> = by_team
        .into_iter()
        .map(|(team, evidence)| {
            let best = evidence
                .iter()
                .map(|e| e.source.confidence())
                .max()
                .unwrap_or(Confidence::Low);
            let mut kinds: Vec<Source> = evidence.iter().map(|e| e.source).collect();
            kinds.sort();
            kinds.dedup();
            let mut confidence = match kinds.len() > 1 {
                true => best.raised(),
                false => best,
            };
            if disputed {
                confidence = confidence.min(Confidence::Medium);
            }
            Candidate {
                team,
                confidence,
                evidence,
            }
        })
        .collect();
    candidates.sort_by(|a, b| {
        (b.confidence, b.evidence.len(), &a.team).cmp(&(a.confidence, a.evidence.len(), &b.team))
    });
    candidates
}

/// One object of a `suggest -o json|yaml` document that `assign --from` writes: the object as
/// `suggest` saw it (its uid included) and the team to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggested {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub uid: String,
    pub team: String,
    pub confidence: Confidence,
}

/// An object of the document that `assign --from` leaves alone, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotPicked {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub why: Unpicked,
}

/// Why a suggestion is not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unpicked {
    /// No evidence named a team.
    NoCandidate,
    /// No candidate at the confidence asked for.
    BelowConfidence(Confidence),
    /// The best candidates are equally sure: a person decides.
    Disputed {
        first: String,
        second: String,
        confidence: Confidence,
    },
}

impl std::fmt::Display for Unpicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unpicked::NoCandidate => f.write_str("no candidate team"),
            Unpicked::BelowConfidence(min) => write!(
                f,
                "no candidate team at confidence {} or above",
                min.as_str()
            ),
            Unpicked::Disputed {
                first,
                second,
                confidence,
            } => write!(
                f,
                "disputed: {first} and {second} are equally likely ({})",
                confidence.as_str()
            ),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SuggestionFile {
    api_version: String,
    kind: String,
    #[serde(default)]
    items: Vec<SuggestionItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SuggestionItem {
    api_version: String,
    kind: String,
    #[serde(default)]
    namespace: Option<String>,
    name: String,
    uid: String,
    #[serde(default)]
    candidates: Vec<FileCandidate>,
}

#[derive(Deserialize)]
struct FileCandidate {
    team: String,
    confidence: Confidence,
}

/// Reads a `SuggestionList` (`suggest -o json` or `-o yaml`) and picks, per object, the team to
/// write: the best candidate at `min` or above. An object whose best candidates are equally sure
/// is not picked — the evidence disputes it, and a person decides.
pub fn pick(
    text: &str,
    api_version: &str,
    min: Confidence,
) -> Result<(Vec<Suggested>, Vec<NotPicked>), String> {
    let file: SuggestionFile = match text.trim_start().starts_with('{') {
        true => serde_json::from_str(text).map_err(|e| e.to_string())?,
        false => serde_saphyr::from_str(text).map_err(|e| e.to_string())?,
    };
    if file.kind != "SuggestionList" || file.api_version != api_version {
        return Err(format!(
            "expected a {api_version} SuggestionList (the output of `kubectl owner suggest -o json`), got {} {}",
            file.api_version, file.kind
        ));
    }
    let mut picked = Vec::new();
    let mut left = Vec::new();
    for (index, item) in file.items.into_iter().enumerate() {
        for (field, value) in [
            ("apiVersion", &item.api_version),
            ("kind", &item.kind),
            ("name", &item.name),
            ("uid", &item.uid),
        ] {
            if value.is_empty() {
                return Err(format!("items[{index}]: {field} is empty"));
            }
        }
        let mut sure: Vec<&FileCandidate> = item
            .candidates
            .iter()
            .filter(|c| c.confidence >= min)
            .collect();
        sure.sort_by_key(|c| std::cmp::Reverse(c.confidence));
        let why = match sure.as_slice() {
            [] if item.candidates.is_empty() => Some(Unpicked::NoCandidate),
            [] => Some(Unpicked::BelowConfidence(min)),
            [first, second, ..] if first.confidence == second.confidence => {
                Some(Unpicked::Disputed {
                    first: first.team.clone(),
                    second: second.team.clone(),
                    confidence: first.confidence,
                })
            }
            _ => None,
        };
        match why {
            Some(why) => left.push(NotPicked {
                kind: item.kind,
                namespace: item.namespace,
                name: item.name,
                why,
            }),
            None => picked.push(Suggested {
                team: sure[0].team.clone(),
                confidence: sure[0].confidence,
                api_version: item.api_version,
                kind: item.kind,
                namespace: item.namespace,
                name: item.name,
                uid: item.uid,
            }),
        }
    }
    Ok((picked, left))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An object with its team (`None`: unowned), as resolution gave it.
    struct Workload<'a> {
        object: &'a MetaObject,
        team: Option<&'a str>,
    }

    /// The candidates of every unowned workload, in the order given, with the owned ones tallied.
    fn suggest<'a>(
        workloads: &'a [Workload<'a>],
        clues: &Clues,
    ) -> Vec<(&'a MetaObject, Vec<Candidate>)> {
        let mut owned = Owned::default();
        for w in workloads {
            if let Some(team) = w.team {
                owned.add(w.object, team);
            }
        }
        workloads
            .iter()
            .filter(|w| w.team.is_none())
            .map(|w| (w.object, candidates(w.object, &owned, clues)))
            .collect()
    }

    fn obj(
        ns: &str,
        name: &str,
        labels: &[(&str, &str)],
        annotations: &[(&str, &str)],
    ) -> MetaObject {
        MetaObject {
            kind: "Deployment".into(),
            namespace: Some(ns.into()),
            name: name.into(),
            labels: crate::core::ownership::pairs(labels),
            annotations: crate::core::ownership::pairs(annotations),
            ..Default::default()
        }
    }

    fn suggestions(
        objects: &[(MetaObject, Option<&str>)],
    ) -> Vec<(String, Vec<(String, Confidence)>)> {
        let workloads: Vec<Workload> = objects
            .iter()
            .map(|(o, t)| Workload {
                object: o,
                team: *t,
            })
            .collect();
        suggest(&workloads, &Clues::default())
            .into_iter()
            .map(|(o, c)| {
                (
                    o.name.clone(),
                    c.into_iter().map(|c| (c.team, c.confidence)).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn the_confidence_table() {
        let helm = [(RELEASE_NAME, "shop")];
        let got = suggestions(&[
            (obj("shop", "web", &[], &helm), Some("checkout")),
            (obj("shop", "worker", &[], &helm), None),
            (obj("x", "api", &[(PART_OF, "pay")], &[]), Some("payments")),
            (obj("y", "ledger", &[(PART_OF, "pay")], &[]), None),
            (obj("z", "a", &[], &[]), Some("data")),
            (obj("z", "b", &[], &[]), Some("data")),
            (obj("z", "c", &[], &[]), None),
            (obj("lonely", "d", &[], &[]), None),
        ]);
        assert_eq!(
            got,
            [
                ("worker".into(), vec![("checkout".into(), Confidence::High)]),
                (
                    "ledger".into(),
                    vec![("payments".into(), Confidence::Medium)]
                ),
                ("c".into(), vec![("data".into(), Confidence::Low)]),
                ("d".into(), vec![]),
            ]
        );
    }

    #[test]
    fn agreeing_sources_raise_and_disagreeing_ones_cap_at_medium() {
        let agree = suggestions(&[
            (obj("z", "a", &[(PART_OF, "p")], &[]), Some("data")),
            (obj("z", "c", &[(PART_OF, "p")], &[]), None),
        ]);
        assert_eq!(
            agree[0].1,
            [("data".to_string(), Confidence::High)],
            "part-of and majority agree"
        );
        let helm = [(RELEASE_NAME, "r")];
        let disagree = suggestions(&[
            (obj("n", "a", &[], &helm), Some("checkout")),
            (obj("n", "b", &[(PART_OF, "p")], &[]), Some("payments")),
            (obj("n", "c", &[(PART_OF, "p")], &helm), None),
        ]);
        assert_eq!(
            disagree[0].1,
            [
                ("checkout".to_string(), Confidence::Medium),
                ("payments".to_string(), Confidence::Medium)
            ]
        );
    }

    #[test]
    fn gitops_parents_by_argo_cd_tracking_and_flux_labels() {
        let argo = obj(
            "search",
            "indexer",
            &[],
            &[(ARGO_TRACKING, "search:apps/Deployment:search/indexer")],
        );
        assert_eq!(
            gitops_parent(&argo),
            Some(ParentRef {
                kind: GitOpsKind::ArgoApplication,
                namespace: None,
                name: "search".into()
            })
        );
        let any_ns = obj("a", "x", &[(ARGO_INSTANCE, "team-apps_web")], &[]);
        assert_eq!(
            gitops_parent(&any_ns).unwrap().namespace.as_deref(),
            Some("team-apps")
        );
        let flux = obj(
            "a",
            "x",
            &[(FLUX_KS_NAME, "jobs"), (FLUX_KS_NAMESPACE, "flux-system")],
            &[],
        );
        assert_eq!(
            gitops_parent(&flux),
            Some(ParentRef {
                kind: GitOpsKind::FluxKustomization,
                namespace: Some("flux-system".into()),
                name: "jobs".into()
            })
        );
        let parents = [Parent {
            kind: GitOpsKind::FluxKustomization,
            namespace: "flux-system".into(),
            name: "jobs".into(),
            team: Some("data".into()),
        }];
        let workloads = [Workload {
            object: &flux,
            team: None,
        }];
        let got = suggest(&workloads, &Clues::new(&parents, &[], &[], &[]));
        assert_eq!(got[0].1[0].team, "data");
        assert_eq!(got[0].1[0].confidence, Confidence::High);
        assert_eq!(
            got[0].1[0].evidence[0].text,
            "Flux Kustomization flux-system/jobs: team data"
        );
    }

    #[test]
    fn helm_releases_by_annotation_or_chart_labels() {
        let o = obj(
            "a",
            "x",
            &[("app.kubernetes.io/managed-by", "Helm"), (INSTANCE, "r1")],
            &[],
        );
        assert_eq!(helm_release(&o), Some(("a".into(), "r1".into())));
        let o = obj(
            "a",
            "x",
            &[],
            &[(RELEASE_NAME, "r2"), (RELEASE_NAMESPACE, "b")],
        );
        assert_eq!(helm_release(&o), Some(("b".into(), "r2".into())));
        assert_eq!(helm_release(&obj("a", "x", &[(INSTANCE, "r3")], &[])), None);
    }

    #[test]
    fn rbac_groups_and_field_managers_the_registry_lists() {
        let mut payments = Team::new("payments");
        payments.groups = vec!["payments-devs".into()];
        payments.managers = vec!["ci-payments".into(), "payments-*".into()];
        let teams = [payments];
        let grants = [EditGrant {
            namespace: "shop".into(),
            binding: "shop/devs".into(),
            role: "ClusterRole/edit".into(),
            subjects: vec![
                Subject::of("Group", "payments-devs", None, "shop").unwrap(),
                Subject::of("ServiceAccount", "deployer", None, "shop").unwrap(),
            ],
        }];
        let manager = |name: &str, applied| crate::core::ownership::FieldManager {
            name: name.into(),
            applied,
            at_creation: true,
        };
        let mut cart = obj("shop", "cart", &[], &[]);
        cart.managers = vec![manager("kubectl-create", false)];
        let mut job = obj("batch", "job", &[], &[]);
        job.managers = vec![manager("payments-ci", true), manager("kubectl-edit", false)];
        let elsewhere = obj("other", "x", &[], &[]);
        let workloads: Vec<Workload> = [&cart, &job, &elsewhere]
            .into_iter()
            .map(|object| Workload { object, team: None })
            .collect();
        let got = suggest(&workloads, &Clues::new(&[], &[], &grants, &teams));
        let texts = |i: usize| -> Vec<(String, Confidence, Vec<String>)> {
            got[i]
                .1
                .iter()
                .map(|c| {
                    (
                        c.team.clone(),
                        c.confidence,
                        c.evidence.iter().map(|e| e.text.clone()).collect(),
                    )
                })
                .collect()
        };
        assert_eq!(
            texts(0),
            [(
                "payments".to_string(),
                Confidence::Medium,
                vec!["group payments-devs may edit namespace shop (RoleBinding shop/devs to ClusterRole/edit), listed by team payments".to_string()]
            )]
        );
        assert_eq!(
            texts(1),
            [(
                "payments".to_string(),
                Confidence::Medium,
                vec![
                    "applied by field manager payments-ci, listed by team payments (as payments-*)"
                        .to_string()
                ]
            )]
        );
        assert_eq!(texts(2), []);
        assert_eq!(creator(&cart).as_deref(), Some("created by kubectl-create"));
        assert_eq!(creator(&job).as_deref(), Some("applied by payments-ci"));
        assert_eq!(creator(&elsewhere), None);
        job.managers[0].at_creation = false;
        assert_eq!(
            creator(&job).as_deref(),
            Some("first recorded writer payments-ci")
        );
        assert_eq!(
            Subject::of("ServiceAccount", "ci", Some("tools"), "shop")
                .unwrap()
                .name,
            "system:serviceaccount:tools:ci"
        );
        assert_eq!(Subject::of("Robot", "r2", None, "shop"), None);
    }

    #[test]
    fn assign_from_picks_the_best_undisputed_candidate() {
        let text = r#"{"apiVersion":"v1","kind":"SuggestionList","items":[
          {"apiVersion":"apps/v1","kind":"Deployment","namespace":"a","name":"sure","uid":"u1",
           "candidates":[{"team":"data","confidence":"high","evidence":[]},{"team":"web","confidence":"low","evidence":[]}]},
          {"apiVersion":"apps/v1","kind":"Deployment","namespace":"a","name":"tied","uid":"u2",
           "candidates":[{"team":"data","confidence":"medium"},{"team":"web","confidence":"medium"}]},
          {"apiVersion":"batch/v1","kind":"CronJob","namespace":"a","name":"weak","uid":"u3",
           "candidates":[{"team":"web","confidence":"low"}]},
          {"apiVersion":"v1","kind":"Pod","namespace":"a","name":"none","uid":"u4","candidates":[]}]}"#;
        let (picked, left) = pick(text, "v1", Confidence::Medium).unwrap();
        assert_eq!(
            picked,
            [Suggested {
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                namespace: Some("a".into()),
                name: "sure".into(),
                uid: "u1".into(),
                team: "data".into(),
                confidence: Confidence::High,
            }]
        );
        let texts: Vec<String> = left.iter().map(|l| l.why.to_string()).collect();
        let reasons: Vec<(&str, &str)> = left
            .iter()
            .zip(&texts)
            .map(|(l, why)| (l.name.as_str(), why.as_str()))
            .collect();
        assert_eq!(
            reasons,
            [
                ("tied", "disputed: data and web are equally likely (medium)"),
                ("weak", "no candidate team at confidence medium or above"),
                ("none", "no candidate team"),
            ]
        );
        // The weak one is picked when the threshold allows it; YAML reads as JSON does.
        let yaml = "apiVersion: v1\nkind: SuggestionList\nitems:\n- apiVersion: batch/v1\n  kind: CronJob\n  namespace: a\n  name: weak\n  uid: u3\n  candidates:\n  - team: web\n    confidence: low\n";
        let (picked, _) = pick(yaml, "v1", Confidence::Low).unwrap();
        assert_eq!(picked[0].team, "web");
        let err = pick(
            r#"{"apiVersion":"v1","kind":"SuggestionList","items":[{"apiVersion":"v1","kind":"","name":"x","uid":"u"}]}"#,
            "v1",
            Confidence::Low,
        )
        .unwrap_err();
        assert_eq!(err, "items[0]: kind is empty");
        let err = pick(
            r#"{"apiVersion":"v1","kind":"OwnershipList","items":[]}"#,
            "v1",
            Confidence::Low,
        )
        .unwrap_err();
        assert!(err.contains("expected a v1 SuggestionList"), "{err}");
    }

    #[test]
    fn a_name_sibling_counts_in_its_own_namespace_only() {
        let got = suggestions(&[
            (obj("a", "web", &[(NAME, "shop")], &[]), Some("checkout")),
            (obj("b", "other", &[(NAME, "shop")], &[]), Some("payments")),
            (obj("a", "worker", &[(NAME, "shop")], &[]), None),
        ]);
        assert_eq!(
            got,
            [(
                "worker".to_string(),
                vec![("checkout".to_string(), Confidence::High)]
            )],
            "name sibling (medium) and the namespace's majority (low) agree on checkout"
        );
        let web = obj("a", "web", &[(NAME, "shop")], &[]);
        let worker = obj("a", "worker", &[(NAME, "shop")], &[]);
        let mut owned = Owned::default();
        owned.add(&web, "checkout");
        let found = candidates(&worker, &owned, &Clues::default());
        let texts: Vec<&str> = found[0].evidence.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "name shop in a: 1 object owned by checkout",
                "namespace a: 1 of 1 owned workloads are checkout's"
            ]
        );
    }
}
