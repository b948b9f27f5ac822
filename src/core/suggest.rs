//! `kubectl owner suggest`: candidate teams for unowned workloads, from evidence already in the
//! cluster, each with a confidence a reviewer can reason about.
//!
//! | evidence | confidence |
//! |---|---|
//! | same Helm release as an owned object | high |
//! | sibling sharing `app.kubernetes.io/part-of` or (in its namespace) `app.kubernetes.io/name` | medium |
//! | the namespace's dominant team among its owned workloads | low |
//!
//! A team's confidence is its best evidence's, one level up when two kinds of evidence agree on
//! it (low → medium → high). When evidence names several teams, every candidate is shown and
//! none is above medium.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::core::ownership::MetaObject;

/// How sure a suggestion is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
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

impl std::str::FromStr for Confidence {
    type Err = String;
    fn from_str(text: &str) -> Result<Confidence, String> {
        match text {
            "low" => Ok(Confidence::Low),
            "medium" => Ok(Confidence::Medium),
            "high" => Ok(Confidence::High),
            _ => Err(format!(
                "invalid confidence \"{text}\": expected low, medium or high"
            )),
        }
    }
}

/// Where a piece of evidence comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    HelmRelease,
    PartOf,
    Name,
    NamespaceMajority,
}

impl Source {
    fn confidence(self) -> Confidence {
        match self {
            Source::HelmRelease => Confidence::High,
            Source::PartOf | Source::Name => Confidence::Medium,
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

/// An object with its team (`None`: unowned) as resolution gave it.
pub struct Workload<'a> {
    pub object: &'a MetaObject,
    pub team: Option<&'a str>,
}

const PART_OF: &str = "app.kubernetes.io/part-of";
const NAME: &str = "app.kubernetes.io/name";
const INSTANCE: &str = "app.kubernetes.io/instance";
const RELEASE_NAME: &str = "meta.helm.sh/release-name";
const RELEASE_NAMESPACE: &str = "meta.helm.sh/release-namespace";

/// The label and annotation keys the evidence is read from (what listings must keep).
pub const EVIDENCE_KEYS: [&str; 6] = [
    PART_OF,
    NAME,
    INSTANCE,
    "app.kubernetes.io/managed-by",
    RELEASE_NAME,
    RELEASE_NAMESPACE,
];

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

fn tally<'a>(owned: &[&Workload<'a>], key: impl Fn(&MetaObject) -> Option<String>) -> Tally {
    let mut out: Tally = BTreeMap::new();
    for w in owned {
        if let (Some(k), Some(team)) = (key(w.object), w.team) {
            *out.entry(k)
                .or_default()
                .entry(team.to_string())
                .or_default() += 1;
        }
    }
    out
}

fn objects(n: usize) -> String {
    format!("{n} object{}", if n == 1 { "" } else { "s" })
}

/// The candidates for every unowned workload, in the order given; an object with no evidence has
/// none.
pub fn suggest<'a>(workloads: &'a [Workload<'a>]) -> Vec<(&'a MetaObject, Vec<Candidate>)> {
    let owned: Vec<&Workload> = workloads.iter().filter(|w| w.team.is_some()).collect();
    let releases = tally(&owned, |o| {
        helm_release(o).map(|(ns, name)| format!("{ns}/{name}"))
    });
    let part_of = tally(&owned, |o| o.labels.get(PART_OF).cloned());
    let names = tally(&owned, |o| {
        o.labels
            .get(NAME)
            .map(|n| format!("{}/{n}", o.namespace.as_deref().unwrap_or_default()))
    });
    let namespaces = tally(&owned, |o| o.namespace.clone());
    let mut out = Vec::new();
    for w in workloads.iter().filter(|w| w.team.is_none()) {
        let o = w.object;
        let mut found: Vec<(String, Evidence)> = Vec::new();
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
            &releases,
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
        from(&part_of, group.clone(), Source::PartOf, &|team, n| {
            format!(
                "part-of {}: {} owned by {team}",
                group.as_deref().unwrap_or_default(),
                objects(n)
            )
        });
        let name = o.labels.get(NAME).cloned();
        let ns = o.namespace.as_deref().unwrap_or_default();
        from(
            &names,
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
                        text: format!(
                            "namespace {ns}: {n} of {total} owned workloads are {team}'s"
                        ),
                    },
                ));
            }
        }
        out.push((o, rank(found)));
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

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
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            annotations: annotations
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
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
        suggest(&workloads)
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
}
