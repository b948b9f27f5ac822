//! The pure ownership core: which team, stage, sunset, exemption and contacts an object has,
//! and where each answer came from. No I/O: callers hand in metadata they already fetched.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;

use crate::config::{Config, Rule};
use crate::core::contact::ContactKey;

/// The part of an object that ownership is read from (what a metadata-only request returns).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetaObject {
    pub kind: Arc<str>,
    pub api_version: Arc<str>,
    pub namespace: Option<String>,
    pub name: String,
    pub uid: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// The ownerReference with `controller: true`, if any.
    pub controller: Option<OwnerRef>,
    pub created: Option<jiff::Timestamp>,
    pub resource_version: Option<String>,
    /// The member cluster, when the server is a multi-cluster engine (its annotation says which).
    pub cluster: Option<Arc<str>>,
    /// The writers `metadata.managedFields` records for the object itself (not its
    /// subresources), earliest first; kept only by listings that ask for them (`suggest`).
    pub managers: Vec<FieldManager>,
}

/// One `metadata.managedFields` entry, as `suggest` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldManager {
    pub name: Arc<str>,
    /// `Apply` (server-side apply) rather than `Update`.
    pub applied: bool,
    /// Its last write is the object's creation (its time is the creationTimestamp): it created
    /// the object and has not written since.
    pub at_creation: bool,
}

impl FieldManager {
    /// `applied` (server-side apply) or `written`.
    pub fn verb(&self) -> &'static str {
        if self.applied { "applied" } else { "written" }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerRef {
    pub api_version: Arc<str>,
    pub kind: Arc<str>,
    pub name: String,
    pub uid: String,
}

/// Objects by `(member cluster, uid)`: through a multi-cluster engine a reference is followed
/// within its own cluster only.
pub type ByUid<'a> = HashMap<(Option<&'a str>, &'a str), &'a MetaObject>;

impl MetaObject {
    /// This object's key in a [`ByUid`] index.
    pub fn uid_key(&self) -> (Option<&str>, &str) {
        (self.cluster.as_deref(), self.uid.as_str())
    }

    /// Its namespace's key in a namespace index: the name, prefixed by the member cluster
    /// through a multi-cluster engine (equal names in two clusters are two namespaces).
    pub fn namespace_key(&self) -> Option<Cow<'_, str>> {
        let namespace = self.namespace.as_deref()?;
        Some(namespace_key(self.cluster.as_deref(), namespace))
    }

    /// Labels first, then annotations: a key is looked up in both, labels winning.
    fn lookup(&self, key: &str) -> Option<&str> {
        self.labels
            .get(key)
            .or_else(|| self.annotations.get(key))
            .map(String::as_str)
    }

    /// `kind/name` in lower case, as kubectl prints references: `deployment/api`.
    pub fn reference(&self) -> String {
        format!("{}/{}", self.kind.to_lowercase(), self.name)
    }
}

/// Where a value was found: the object (or `Rule`, or `Registry`) and the key that held it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    pub kind: String,
    pub name: String,
    pub key: String,
}

impl Source {
    /// `Deployment/api (team)`: the SOURCE cell of tables.
    pub fn describe(&self) -> String {
        format!("{}/{} ({})", self.kind, self.name, self.key)
    }

    /// `Deployment/api`: the `-o wide` FROM columns.
    pub fn origin(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }
}

/// One resolved field: its value and its source, both absent when nothing provided it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Resolved {
    pub value: Option<String>,
    pub source: Option<Source>,
}

impl Resolved {
    fn found(value: &str, source: Source) -> Resolved {
        Resolved {
            value: Some(value.to_string()),
            source: Some(source),
        }
    }

    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }
}

/// Everything kubectl-owner knows about an object's ownership.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ownership {
    pub team: Resolved,
    pub stage: Resolved,
    pub sunset: Resolved,
    pub exempt: Resolved,
    /// Contact short names (`chat`, `runbook`, registry's `oncall`, `email`, …) to values.
    pub contacts: BTreeMap<String, Resolved>,
    /// The team as written on the object when it was an alias of `team.value`.
    pub team_alias: Option<String>,
    /// `app.kubernetes.io/part-of` and `managed-by`: shown, never taken as the owner.
    pub hints: Vec<(String, String)>,
}

const HINT_KEYS: [&str; 2] = ["app.kubernetes.io/part-of", "app.kubernetes.io/managed-by"];

/// Resolves every field of `chain` (the object first, its top controller last) in `namespace`.
///
/// Levels: the chain from the top down to the object, then the namespace, then the first config
/// rule matching the namespace that has the field; the team registry fills contacts last.
pub fn resolve(
    chain: &[&MetaObject],
    namespace: Option<&MetaObject>,
    namespace_name: Option<&str>,
    config: &Config,
) -> Ownership {
    let levels: Vec<&MetaObject> = chain.iter().rev().copied().chain(namespace).collect();
    let rules: Vec<&Rule> = namespace_name
        .map(|ns| config.matching_rules(ns).collect())
        .unwrap_or_default();
    let keys = &config.keys;
    let from_levels = |keys: &[&str]| -> Option<Resolved> {
        levels.iter().find_map(|level| {
            keys.iter().find_map(|key| {
                level.lookup(key).map(|value| {
                    Resolved::found(
                        value,
                        Source {
                            kind: level.kind.to_string(),
                            name: level.name.clone(),
                            key: key.to_string(),
                        },
                    )
                })
            })
        })
    };
    // The rule level: the first matching rule that sets the field.
    let from_rules = |field: &str, value_of: &dyn Fn(&Rule) -> Option<&str>| -> Resolved {
        rules
            .iter()
            .find_map(|rule| {
                value_of(rule).map(|value| {
                    Resolved::found(
                        value,
                        Source {
                            kind: "Rule".into(),
                            name: rule.name().to_string(),
                            key: field.into(),
                        },
                    )
                })
            })
            .unwrap_or_default()
    };

    let mut team = from_levels(&keys.team_keys())
        .unwrap_or_else(|| from_rules("team", &|r| r.team.as_deref()));
    let stage = from_levels(&keys.stage_keys())
        .unwrap_or_else(|| from_rules("stage", &|r| r.stage.as_deref()));
    let sunset = from_levels(&keys.sunset_keys())
        .unwrap_or_else(|| from_rules("sunset", &|r| r.sunset.as_deref()));
    let exempt = from_levels(&keys.exempt_keys())
        .unwrap_or_else(|| from_rules("exempt", &|r| r.exempt.as_deref()));

    let mut team_alias = None;
    if let Some(written) = team.value.clone()
        && let Some(registered) = config.canonical_team(&written)
        && registered.name != written
    {
        team.value = Some(registered.name.clone());
        team_alias = Some(written);
    }

    let mut contacts = BTreeMap::new();
    for contact in ContactKey::ALL {
        let short = contact.short();
        let found = from_levels(&[contact.annotation()])
            .unwrap_or_else(|| from_rules(short, &|r| r.contact(contact)));
        if found.value.is_some() {
            contacts.insert(short.to_string(), found);
        }
    }
    if let Some(registered) = team.value().and_then(|t| config.canonical_team(t)) {
        for (field, value) in registered.contacts() {
            contacts.entry(field.to_string()).or_insert_with(|| {
                Resolved::found(
                    value,
                    Source {
                        kind: "Registry".into(),
                        name: registered.name.clone(),
                        key: field.into(),
                    },
                )
            });
        }
    }

    let hints = HINT_KEYS
        .iter()
        .filter_map(|key| {
            levels.iter().find_map(|level| level.lookup(key)).map(|v| {
                (
                    key.trim_start_matches("app.kubernetes.io/").to_string(),
                    v.to_string(),
                )
            })
        })
        .collect();

    Ownership {
        team,
        stage,
        sunset,
        exempt,
        contacts,
        team_alias,
        hints,
    }
}

/// Every label or annotation key resolution can read: what listings need to keep.
pub fn ownership_keys(config: &Config) -> std::collections::HashSet<String> {
    let keys = &config.keys;
    [
        keys.team_keys(),
        keys.stage_keys(),
        keys.sunset_keys(),
        keys.exempt_keys(),
    ]
    .into_iter()
    .flatten()
    .chain(ContactKey::ALL.map(ContactKey::annotation))
    .chain(HINT_KEYS)
    .map(str::to_string)
    .collect()
}

/// Label or annotation pairs as a map, for tests that build metadata.
#[cfg(test)]
pub fn pairs(items: &[(&str, &str)]) -> BTreeMap<String, String> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The longest controller chain followed (object included): a bound, so that a reference cycle
/// in bad data cannot loop forever, far above any real chain (Pod ← ReplicaSet ← Deployment ← CRD).
pub const MAX_CHAIN: usize = 8;

/// A namespace's key in a namespace index (see [`MetaObject::namespace_key`]); namespace names
/// hold no `/`. Borrowed when there is no cluster: every row of a listing looks one up.
pub fn namespace_key<'a>(cluster: Option<&str>, namespace: &'a str) -> Cow<'a, str> {
    match cluster {
        Some(cluster) => Cow::Owned(format!("{cluster}/{namespace}")),
        None => Cow::Borrowed(namespace),
    }
}

/// Follows controller ownerReferences upwards through `by_uid`, the object first; a reference
/// is looked up in the object's own cluster.
pub fn chain_of<'a>(object: &'a MetaObject, by_uid: &ByUid<'a>) -> Vec<&'a MetaObject> {
    let mut chain = vec![object];
    let mut current = object;
    while chain.len() < MAX_CHAIN {
        let Some(owner) = current
            .controller
            .as_ref()
            .and_then(|c| by_uid.get(&(current.cluster.as_deref(), c.uid.as_str())))
        else {
            break;
        };
        if chain.iter().any(|seen| seen.uid == owner.uid) {
            break;
        }
        chain.push(owner);
        current = owner;
    }
    chain
}

/// `pod/x ← replicaset/y ← deployment/z`
pub fn describe_chain(chain: &[&MetaObject]) -> String {
    chain
        .iter()
        .map(|o| o.reference())
        .collect::<Vec<_>>()
        .join(" ← ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Rule, Team};

    fn rule(globs: &[&str], team: Option<&str>, stage: Option<&str>) -> Rule {
        let mut r = Rule::new(globs.iter().copied());
        r.team = team.map(str::to_string);
        r.stage = stage.map(str::to_string);
        r
    }

    fn obj(
        kind: &str,
        name: &str,
        labels: &[(&str, &str)],
        annotations: &[(&str, &str)],
    ) -> MetaObject {
        MetaObject {
            kind: kind.into(),
            api_version: "v1".into(),
            namespace: if kind == "Namespace" {
                None
            } else {
                Some("payments".into())
            },
            name: name.into(),
            uid: format!("uid-{name}"),
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

    fn source(kind: &str, name: &str, key: &str) -> Option<Source> {
        Some(Source {
            kind: kind.into(),
            name: name.into(),
            key: key.into(),
        })
    }

    fn registry() -> Config {
        let mut config = Config::default();
        let mut team = Team::new("payments");
        team.aliases = vec!["payments-old".into()];
        team.chat = Some("#payments".into());
        team.oncall = Some("https://pager.example/P123".into());
        config.teams.push(team);
        config
    }

    #[test]
    fn top_of_chain_beats_pod_template_labels() {
        let pod = obj("Pod", "api-1", &[("team", "old-team")], &[]);
        let rs = obj("ReplicaSet", "api-7d", &[("team", "old-team")], &[]);
        let deploy = obj("Deployment", "api", &[("team", "payments")], &[]);
        let got = resolve(
            &[&pod, &rs, &deploy],
            None,
            Some("payments"),
            &Config::default(),
        );
        assert_eq!(got.team.value(), Some("payments"));
        assert_eq!(got.team.source, source("Deployment", "api", "team"));
    }

    #[test]
    fn lower_chain_level_used_when_top_lacks_field() {
        let pod = obj("Pod", "api-1", &[("lifecycle", "experimental")], &[]);
        let deploy = obj("Deployment", "api", &[("team", "payments")], &[]);
        let got = resolve(&[&pod, &deploy], None, Some("payments"), &Config::default());
        assert_eq!(got.stage.value(), Some("experimental"));
        assert_eq!(got.stage.source, source("Pod", "api-1", "lifecycle"));
    }

    #[test]
    fn namespace_level_after_chain() {
        let deploy = obj("Deployment", "api", &[("team", "payments")], &[]);
        let ns = obj(
            "Namespace",
            "payments",
            &[("team", "ns-team"), ("lifecycle", "production")],
            &[],
        );
        let got = resolve(&[&deploy], Some(&ns), Some("payments"), &Config::default());
        assert_eq!(got.team.source, source("Deployment", "api", "team"));
        assert_eq!(got.stage.value(), Some("production"));
        assert_eq!(
            got.stage.source,
            source("Namespace", "payments", "lifecycle")
        );
    }

    #[test]
    fn rules_after_namespace_first_rule_with_the_field_wins() {
        let mut config = Config::default();
        config
            .rules
            .push(rule(&["kube-*"], None, Some("production")));
        config
            .rules
            .push(rule(&["kube-system", "x"], Some("platform"), None));
        config.rules.push(rule(&["kube-*"], Some("later"), None));
        let ds = obj("DaemonSet", "node-exporter", &[], &[]);
        let got = resolve(&[&ds], None, Some("kube-system"), &config);
        assert_eq!(got.team.value(), Some("platform"));
        assert_eq!(got.team.source, source("Rule", "kube-system", "team"));
        assert_eq!(got.stage.source, source("Rule", "kube-*", "stage"));
        let other = resolve(&[&ds], None, Some("default"), &config);
        assert_eq!(other.team, Resolved::default());
    }

    #[test]
    fn namespace_beats_rules() {
        let mut config = Config::default();
        config.rules.push(rule(&["*"], Some("platform"), None));
        let ns = obj("Namespace", "payments", &[("team", "payments")], &[]);
        let deploy = obj("Deployment", "api", &[], &[]);
        let got = resolve(&[&deploy], Some(&ns), Some("payments"), &config);
        assert_eq!(got.team.source, source("Namespace", "payments", "team"));
    }

    #[test]
    fn key_before_fallbacks_and_fallbacks_in_order() {
        let deploy = obj(
            "Deployment",
            "api",
            &[("owner", "a"), ("backstage.io/kubernetes-owner", "b")],
            &[],
        );
        let got = resolve(&[&deploy], None, None, &Config::default());
        assert_eq!(got.team.source, source("Deployment", "api", "owner"));
        let deploy = obj(
            "Deployment",
            "api",
            &[("backstage.io/kubernetes-owner", "b"), ("team", "t")],
            &[],
        );
        assert_eq!(
            resolve(&[&deploy], None, None, &Config::default())
                .team
                .value(),
            Some("t")
        );
        let deploy = obj(
            "Deployment",
            "api",
            &[],
            &[("opslevel.com/lifecycle", "production")],
        );
        let got = resolve(&[&deploy], None, None, &Config::default());
        assert_eq!(
            got.stage.source,
            source("Deployment", "api", "opslevel.com/lifecycle")
        );
    }

    #[test]
    fn fallback_on_a_higher_level_beats_key_on_a_lower_level() {
        let pod = obj("Pod", "p", &[("team", "pod-team")], &[]);
        let deploy = obj(
            "Deployment",
            "api",
            &[("tags.datadoghq.com/team", "dd")],
            &[],
        );
        assert_eq!(
            resolve(&[&pod, &deploy], None, None, &Config::default())
                .team
                .value(),
            Some("dd")
        );
    }

    #[test]
    fn labels_before_annotations() {
        let deploy = obj(
            "Deployment",
            "api",
            &[("team", "from-label")],
            &[("team", "from-annotation")],
        );
        assert_eq!(
            resolve(&[&deploy], None, None, &Config::default())
                .team
                .value(),
            Some("from-label")
        );
        let deploy = obj("Deployment", "api", &[], &[("team", "from-annotation")]);
        assert_eq!(
            resolve(&[&deploy], None, None, &Config::default())
                .team
                .value(),
            Some("from-annotation")
        );
    }

    #[test]
    fn a8r_owner_is_a_contact_never_the_team() {
        let deploy = obj(
            "Deployment",
            "api",
            &[],
            &[
                ("a8r.io/owner", "jane@example.com"),
                ("a8r.io/chat", "#api"),
            ],
        );
        let got = resolve(&[&deploy], None, None, &Config::default());
        assert_eq!(got.team, Resolved::default());
        assert_eq!(got.contacts["owner"].value(), Some("jane@example.com"));
        assert_eq!(
            got.contacts["chat"].source,
            source("Deployment", "api", "a8r.io/chat")
        );
    }

    #[test]
    fn alias_resolves_to_canonical_and_source_keeps_key() {
        let deploy = obj("Deployment", "api", &[("owner", "payments-old")], &[]);
        let got = resolve(&[&deploy], None, None, &registry());
        assert_eq!(got.team.value(), Some("payments"));
        assert_eq!(got.team.source, source("Deployment", "api", "owner"));
        assert_eq!(got.team_alias.as_deref(), Some("payments-old"));
    }

    #[test]
    fn registry_contacts_fill_only_missing_fields() {
        let deploy = obj(
            "Deployment",
            "api",
            &[("team", "payments")],
            &[("a8r.io/chat", "#api")],
        );
        let got = resolve(&[&deploy], None, None, &registry());
        assert_eq!(got.contacts["chat"].value(), Some("#api"));
        assert_eq!(
            got.contacts["oncall"].value(),
            Some("https://pager.example/P123")
        );
        assert_eq!(
            got.contacts["oncall"].source,
            source("Registry", "payments", "oncall")
        );
        assert!(!got.contacts.contains_key("email"));
    }

    #[test]
    fn unknown_team_kept_as_written_without_registry_contacts() {
        let deploy = obj("Deployment", "api", &[("team", "paymnts")], &[]);
        let got = resolve(&[&deploy], None, None, &registry());
        assert_eq!(got.team.value(), Some("paymnts"));
        assert!(got.contacts.is_empty());
        assert_eq!(got.team_alias, None);
    }

    #[test]
    fn sunset_and_exempt_with_fallback() {
        let deploy = obj(
            "Deployment",
            "api",
            &[],
            &[
                ("kubectl-owner/sunset", "2025-06-30"),
                ("a8r.io/ignore", "true"),
            ],
        );
        let got = resolve(&[&deploy], None, None, &Config::default());
        assert_eq!(got.sunset.value(), Some("2025-06-30"));
        assert_eq!(
            got.exempt.source,
            source("Deployment", "api", "a8r.io/ignore")
        );
        let ns = obj(
            "Namespace",
            "legacy",
            &[],
            &[("kubectl-owner/exempt", "frozen")],
        );
        let got = resolve(
            &[&obj("Deployment", "x", &[], &[])],
            Some(&ns),
            Some("legacy"),
            &Config::default(),
        );
        assert_eq!(got.exempt.value(), Some("frozen"));
    }

    #[test]
    fn configured_keys_replace_defaults() {
        let mut config = Config::default();
        config.keys.team = "squad".into();
        config.keys.team_fallbacks = vec![];
        let deploy = obj(
            "Deployment",
            "api",
            &[("team", "ignored"), ("squad", "blue")],
            &[],
        );
        assert_eq!(
            resolve(&[&deploy], None, None, &config).team.value(),
            Some("blue")
        );
        let deploy = obj("Deployment", "api", &[("owner", "ignored")], &[]);
        assert_eq!(resolve(&[&deploy], None, None, &config).team.value(), None);
    }

    #[test]
    fn hints_are_not_owners() {
        let deploy = obj(
            "Deployment",
            "api",
            &[
                ("app.kubernetes.io/part-of", "shop"),
                ("app.kubernetes.io/managed-by", "Helm"),
            ],
            &[],
        );
        let got = resolve(&[&deploy], None, None, &Config::default());
        assert_eq!(got.team.value(), None);
        assert_eq!(
            got.hints,
            vec![
                ("part-of".to_string(), "shop".to_string()),
                ("managed-by".to_string(), "Helm".to_string())
            ]
        );
    }

    #[test]
    fn chain_follows_controllers_and_stops_on_cycles() {
        let mut pod = obj("Pod", "api-1", &[], &[]);
        let mut rs = obj("ReplicaSet", "api-7d", &[], &[]);
        let deploy = obj("Deployment", "api", &[], &[]);
        pod.controller = Some(OwnerRef {
            api_version: "apps/v1".into(),
            kind: "ReplicaSet".into(),
            name: rs.name.clone(),
            uid: rs.uid.clone(),
        });
        rs.controller = Some(OwnerRef {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            name: "api".into(),
            uid: deploy.uid.clone(),
        });
        let index: ByUid = [(rs.uid_key(), &rs), (deploy.uid_key(), &deploy)]
            .into_iter()
            .collect();
        let chain = chain_of(&pod, &index);
        assert_eq!(
            describe_chain(&chain),
            "pod/api-1 ← replicaset/api-7d ← deployment/api"
        );

        let mut a = obj("ReplicaSet", "a", &[], &[]);
        let mut b = obj("ReplicaSet", "b", &[], &[]);
        a.controller = Some(OwnerRef {
            api_version: "apps/v1".into(),
            kind: "ReplicaSet".into(),
            name: "b".into(),
            uid: b.uid.clone(),
        });
        b.controller = Some(OwnerRef {
            api_version: "apps/v1".into(),
            kind: "ReplicaSet".into(),
            name: "a".into(),
            uid: a.uid.clone(),
        });
        let index: ByUid = [(a.uid_key(), &a), (b.uid_key(), &b)].into_iter().collect();
        assert_eq!(chain_of(&a, &index).len(), 2);
    }
}
