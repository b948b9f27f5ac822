//! `ls -o backstage`: Backstage catalog entities for the owned top-level workloads — a
//! `Component` per workload, or per `app.kubernetes.io/part-of` value when workloads carry one —
//! with the team as `spec.owner` (`group:<team>`), the stage as `spec.lifecycle`, and the
//! annotations Backstage's Kubernetes plugin finds the workloads by.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::output::documents;

/// One `ls` row as the catalog needs it.
#[derive(Debug, Clone)]
pub struct Workload {
    pub namespace: Option<String>,
    pub kind: String,
    pub name: String,
    pub team: Option<String>,
    pub stage: Option<String>,
    pub part_of: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entity {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: EntityMetadata,
    pub spec: ComponentSpec,
}

#[derive(Debug, Serialize)]
pub struct EntityMetadata {
    pub name: String,
    pub description: String,
    pub annotations: BTreeMap<&'static str, String>,
}

#[derive(Debug, Serialize)]
pub struct ComponentSpec {
    #[serde(rename = "type")]
    pub type_: &'static str,
    pub lifecycle: String,
    pub owner: String,
}

/// What a group of workloads becomes: one entity.
struct Group<'a> {
    /// The part-of value, or the workload's name.
    id: String,
    namespace: Option<&'a str>,
    part_of: bool,
    members: Vec<&'a Workload>,
}

/// Backstage names: letters, digits and `-_.`, at most 63 characters, starting and ending
/// alphanumeric.
fn entity_name(text: &str) -> String {
    let mapped: String = text
        .chars()
        .map(|c| match c.is_ascii_alphanumeric() || "-_.".contains(c) {
            true => c,
            false => '-',
        })
        .collect();
    let trimmed = mapped.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    trimmed
        .chars()
        .take(63)
        .collect::<String>()
        .trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string()
}

/// The value most members have (ties: the first in name order), and the others.
fn most_common<'a>(values: impl Iterator<Item = &'a str>) -> (String, Vec<String>) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    let best = counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(v, _)| v.to_string())
        .unwrap_or_default();
    let others = counts
        .keys()
        .filter(|v| **v != best)
        .map(|v| v.to_string())
        .collect();
    (best, others)
}

/// The entities, and the notes to say on stderr (mixed teams in a part-of group). Unowned
/// workloads are left out: a Component needs an owner.
pub fn entities(workloads: &[Workload]) -> (Vec<Entity>, Vec<String>) {
    let mut groups: BTreeMap<(Option<&str>, bool, String), Group> = BTreeMap::new();
    for w in workloads.iter().filter(|w| w.team.is_some()) {
        let (id, part_of) = match w.part_of.as_deref().filter(|p| !entity_name(p).is_empty()) {
            Some(p) => (p.to_string(), true),
            None => (w.name.clone(), false),
        };
        groups
            .entry((w.namespace.as_deref(), part_of, id.clone()))
            .or_insert_with(|| Group {
                id,
                namespace: w.namespace.as_deref(),
                part_of,
                members: Vec::new(),
            })
            .members
            .push(w);
    }
    // A name used in two namespaces is qualified with the namespace.
    let mut uses: BTreeMap<String, usize> = BTreeMap::new();
    for g in groups.values() {
        *uses.entry(entity_name(&g.id)).or_default() += 1;
    }
    let mut notes = Vec::new();
    let mut out = Vec::new();
    let mut taken = std::collections::HashSet::new();
    for g in groups.values() {
        let base = entity_name(&g.id);
        let mut name = match (uses[&base] > 1, g.namespace) {
            (true, Some(ns)) => entity_name(&format!("{ns}-{}", g.id)),
            _ => base,
        };
        // Names are unique in a catalog: a name already taken (`a-b`+`c` and `a`+`b-c`, a
        // part-of value equal to a workload's name) gets a number.
        let mut n = 2;
        while !taken.insert(name.clone()) {
            let suffix = format!("-{n}");
            let stem: String = name.chars().take(63 - suffix.len()).collect();
            name = format!("{}{suffix}", stem.trim_end_matches('-'));
            n += 1;
        }
        let (team, other_teams) = most_common(g.members.iter().filter_map(|w| w.team.as_deref()));
        let (stage, _) = most_common(
            g.members
                .iter()
                .map(|w| w.stage.as_deref().unwrap_or("unknown")),
        );
        if !other_teams.is_empty() {
            notes.push(format!(
                "part-of {}: workloads of teams {team}, {}; owner {team} (most workloads)",
                g.id,
                other_teams.join(", ")
            ));
        }
        let mut annotations = BTreeMap::new();
        annotations.insert("backstage.io/kubernetes-id", g.id.clone());
        if let Some(ns) = g.namespace {
            annotations.insert("backstage.io/kubernetes-namespace", ns.to_string());
        }
        if g.part_of {
            annotations.insert(
                "backstage.io/kubernetes-label-selector",
                format!("app.kubernetes.io/part-of={}", g.id),
            );
        }
        let members: Vec<String> = g
            .members
            .iter()
            .map(|w| format!("{}/{}", w.kind.to_lowercase(), w.name))
            .collect();
        out.push(Entity {
            api_version: "backstage.io/v1alpha1",
            kind: "Component",
            metadata: EntityMetadata {
                name,
                description: format!(
                    "{} in namespace {}",
                    members.join(", "),
                    g.namespace.unwrap_or("-")
                ),
                annotations,
            },
            spec: ComponentSpec {
                type_: "service",
                lifecycle: stage,
                owner: format!("group:{team}"),
            },
        });
    }
    (out, notes)
}

/// The entities as one YAML stream, as a catalog `Location` target reads it.
pub fn render(entities: &[Entity]) -> String {
    documents::yaml_stream(entities)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(ns: &str, name: &str, team: Option<&str>, part_of: Option<&str>) -> Workload {
        Workload {
            namespace: Some(ns.into()),
            kind: "Deployment".into(),
            name: name.into(),
            team: team.map(Into::into),
            stage: Some("production".into()),
            part_of: part_of.map(Into::into),
        }
    }

    #[test]
    fn one_component_per_workload_or_part_of_group_and_unowned_left_out() {
        let (entities, notes) = entities(&[
            w("shop", "web", Some("checkout"), Some("shop")),
            w("shop", "cart", Some("checkout"), Some("shop")),
            w("shop", "pay", Some("payments"), Some("shop")),
            w("a", "api", Some("payments"), None),
            w("b", "api", Some("data"), None),
            w("b", "debug", None, None),
        ]);
        let names: Vec<&str> = entities.iter().map(|e| e.metadata.name.as_str()).collect();
        assert_eq!(names, ["a-api", "b-api", "shop"]);
        assert_eq!(entities[2].spec.owner, "group:checkout");
        assert_eq!(
            notes,
            [
                "part-of shop: workloads of teams checkout, payments; owner checkout (most workloads)"
            ]
        );
        assert_eq!(entity_name("-Web_app.v2/x-"), "Web_app.v2-x");
        // A part-of group and a workload of one id in one namespace stay two names.
        let (same, _) = super::entities(&[
            w("shop", "web", Some("checkout"), Some("web")),
            w("shop", "web", Some("checkout"), None),
        ]);
        let names: Vec<&str> = same.iter().map(|e| e.metadata.name.as_str()).collect();
        assert_eq!(names, ["shop-web", "shop-web-2"]);
    }
}
