//! The pure half of `assign` / `unassign`: validating what was asked, deciding per object which
//! keys change (kubectl label's `--overwrite` rule), building the JSON merge patch, and spotting
//! GitOps managers. No I/O: `commands::assign` fetches metadata and sends the patches.
//!
//! The patch only ever touches `metadata.labels` / `metadata.annotations` for the keys asked for
//! (a `null` removes a key) plus `metadata.resourceVersion` and `metadata.uid` as preconditions,
//! so a stale write is refused with 409 instead of overwriting another writer's change, and an
//! object deleted and recreated under the same name is never written in its predecessor's place.

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::config::Config;
use crate::core::contact::ContactKey;
use crate::core::date::Date;
use crate::core::ownership::MetaObject;
use crate::core::selector;

/// Where a key lives on the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Place {
    Label,
    Annotation,
}

/// One key the request writes (`value`) or removes (`None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyWrite {
    pub key: String,
    pub place: Place,
    pub value: Option<String>,
}

/// A validated request: the keys to write, and whether different existing values may be replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub writes: Vec<KeyWrite>,
    pub overwrite: bool,
    /// Things the user should know about the request itself (an alias written as its canonical name, …).
    pub notes: Vec<String>,
}

/// How the write of one object ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WriteStatus {
    Changed,
    Unchanged,
    Skipped,
    Failed,
}

/// One key on one object: before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyChange {
    pub key: String,
    #[serde(rename = "type")]
    pub place: Place,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl KeyChange {
    pub fn changes(&self) -> bool {
        self.old != self.new
    }

    /// `OLD → NEW`, with `<none>` for an absent value.
    pub fn describe(&self) -> String {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "<none>".to_string());
        format!("{} → {}", show(&self.old), show(&self.new))
    }
}

/// What to do with one object.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectPlan {
    /// Every key of the request, in request order.
    pub changes: Vec<KeyChange>,
    /// Keys whose existing different value blocks the write (no `--overwrite`): key and current value.
    pub refused: Vec<(String, String)>,
    /// The merge patch to send; `None` when nothing changes or the object is refused.
    pub patch: Option<Value>,
}

impl ObjectPlan {
    /// kubectl's message for a refused object (without the object's name).
    pub fn refusal(&self) -> Option<String> {
        let (key, value) = self.refused.first()?;
        Some(format!(
            "'{key}' already has a value ({value}), and --overwrite is false"
        ))
    }
}

/// What `assign` sets or `unassign` removes, parsed and validated once at the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteFields {
    Assign {
        team: Option<String>,
        stage: Option<String>,
        sunset: Option<Date>,
        /// Each contact once, in the order given.
        contacts: Vec<(ContactKey, String)>,
        overwrite: bool,
        allow_unknown_team: bool,
    },
    Unassign {
        team: bool,
        stage: bool,
        sunset: bool,
        /// Each contact once (`--contacts` is every one).
        contacts: Vec<ContactKey>,
    },
}

/// The `assign` / `unassign` flags as typed, before [`RawWriteFields::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawWriteFields {
    Assign {
        team: Option<String>,
        stage: Option<String>,
        sunset: Option<String>,
        /// `KEY=VALUE`, as typed.
        contacts: Vec<String>,
        overwrite: bool,
        allow_unknown_team: bool,
    },
    Unassign {
        team: bool,
        stage: bool,
        sunset: bool,
        /// Short contact keys, as typed.
        contacts: Vec<String>,
        all_contacts: bool,
    },
}

fn label_value(flag: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!(
            "{flag} needs a value (to remove the key, use `unassign {flag}`)"
        ));
    }
    selector::validate_value(value).map_err(|e| format!("{flag}: {e}"))
}

/// `KEY=VALUE` of `--contact`, with KEY a short contact key.
fn parse_contact(arg: &str) -> Result<(ContactKey, String), String> {
    let Some((key, value)) = arg.split_once('=') else {
        return Err(format!(
            "invalid --contact \"{arg}\": expected KEY=VALUE with KEY one of: {}",
            ContactKey::list()
        ));
    };
    let contact: ContactKey = key
        .trim()
        .parse()
        .map_err(|e| format!("invalid --contact \"{arg}\": {e}"))?;
    if value.trim().is_empty() {
        return Err(format!(
            "invalid --contact \"{arg}\": the value is empty (to remove it, use `unassign --contact {key}`)"
        ));
    }
    Ok((contact, value.to_string()))
}

impl RawWriteFields {
    /// Checks that need no config (and therefore no request), once, at the command line.
    pub fn parse(self) -> Result<WriteFields, String> {
        match self {
            RawWriteFields::Assign {
                team,
                stage,
                sunset,
                contacts,
                overwrite,
                allow_unknown_team,
            } => {
                if team.is_none() && stage.is_none() && sunset.is_none() && contacts.is_empty() {
                    return Err("nothing to assign: give at least one of --team, --stage, --sunset or --contact".into());
                }
                if let Some(team) = &team {
                    label_value("--team", team)?;
                }
                if let Some(stage) = &stage {
                    label_value("--stage", stage)?;
                }
                let sunset = sunset
                    .map(|date| {
                        date.parse::<Date>().map_err(|_| {
                            format!(
                                "invalid --sunset \"{date}\": expected a calendar date YYYY-MM-DD"
                            )
                        })
                    })
                    .transpose()?;
                let mut parsed: Vec<(ContactKey, String)> = Vec::new();
                for arg in &contacts {
                    let (contact, value) = parse_contact(arg)?;
                    match parsed.iter().find(|(c, _)| *c == contact) {
                        Some((_, earlier)) if *earlier != value => {
                            return Err(format!(
                                "--contact given twice for {} with different values",
                                contact.annotation()
                            ));
                        }
                        Some(_) => {}
                        None => parsed.push((contact, value)),
                    }
                }
                Ok(WriteFields::Assign {
                    team,
                    stage,
                    sunset,
                    contacts: parsed,
                    overwrite,
                    allow_unknown_team,
                })
            }
            RawWriteFields::Unassign {
                team,
                stage,
                sunset,
                contacts,
                all_contacts,
            } => {
                if !team && !stage && !sunset && contacts.is_empty() && !all_contacts {
                    return Err(
                        "nothing to unassign: give at least one of --team, --stage, --sunset, --contact KEY or --contacts"
                            .into(),
                    );
                }
                let mut parsed: Vec<ContactKey> = Vec::new();
                for key in &contacts {
                    let contact: ContactKey =
                        key.parse().map_err(|e| format!("invalid --contact: {e}"))?;
                    if !parsed.contains(&contact) {
                        parsed.push(contact);
                    }
                }
                if all_contacts {
                    parsed = ContactKey::ALL.to_vec();
                }
                Ok(WriteFields::Unassign {
                    team,
                    stage,
                    sunset,
                    contacts: parsed,
                })
            }
        }
    }
}

/// Validates everything (syntax, the configured stages, the team registry) and builds the request.
pub fn build_request(fields: &WriteFields, config: &Config) -> Result<Request, String> {
    let keys = &config.keys;
    let mut writes = Vec::new();
    let mut notes = Vec::new();
    let set = |key: &str, place, value: &str| KeyWrite {
        key: key.to_string(),
        place,
        value: Some(value.to_string()),
    };
    match fields {
        WriteFields::Assign {
            team,
            stage,
            sunset,
            contacts,
            overwrite,
            allow_unknown_team,
        } => {
            if let Some(team) = team {
                let written = canonical_team(config, team, *allow_unknown_team, &mut notes)?;
                writes.push(set(&keys.team, Place::Label, &written));
            }
            if let Some(stage) = stage {
                if !config.is_stage(stage) {
                    let lower = stage.to_lowercase();
                    let hint = config
                        .suggest_stage(stage)
                        .or_else(|| {
                            config
                                .stages
                                .iter()
                                .map(String::as_str)
                                .find(|s| s.starts_with(&lower))
                        })
                        .map(|s| format!("; did you mean \"{s}\"?"))
                        .unwrap_or_default();
                    return Err(format!(
                        "invalid --stage \"{stage}\": not one of the configured stages ({}){hint}",
                        config.stages.join(", ")
                    ));
                }
                writes.push(set(&keys.stage, Place::Label, stage));
            }
            if let Some(date) = sunset {
                writes.push(set(&keys.sunset, Place::Annotation, &date.to_string()));
            }
            for (contact, value) in contacts {
                let annotation = contact.annotation();
                if !writes.iter().any(|w| w.key == annotation) {
                    writes.push(set(annotation, Place::Annotation, value));
                }
            }
            Ok(Request {
                writes,
                overwrite: *overwrite,
                notes,
            })
        }
        WriteFields::Unassign {
            team,
            stage,
            sunset,
            contacts,
        } => {
            let remove = |key: &str, place| KeyWrite {
                key: key.to_string(),
                place,
                value: None,
            };
            if *team {
                writes.push(remove(&keys.team, Place::Label));
            }
            if *stage {
                writes.push(remove(&keys.stage, Place::Label));
            }
            if *sunset {
                writes.push(remove(&keys.sunset, Place::Annotation));
            }
            for contact in contacts {
                let annotation = contact.annotation();
                if !writes.iter().any(|w| w.key == annotation) {
                    writes.push(remove(annotation, Place::Annotation));
                }
            }
            // Removing needs no --overwrite: the user named the keys.
            Ok(Request {
                writes,
                overwrite: true,
                notes,
            })
        }
    }
}

/// The name `--team` writes: canonical for an alias; with a registry, unknown names are refused
/// (with the nearest registry team) unless `--allow-unknown-team`.
fn canonical_team(
    config: &Config,
    team: &str,
    allow_unknown: bool,
    notes: &mut Vec<String>,
) -> Result<String, String> {
    if !config.has_registry() {
        return Ok(team.to_string());
    }
    match config.canonical_team(team) {
        Some(entry) if entry.name != team => {
            notes.push(format!(
                "team \"{team}\" is an alias of \"{}\" in the team registry; writing \"{}\"",
                entry.name, entry.name
            ));
            Ok(entry.name.clone())
        }
        Some(_) => Ok(team.to_string()),
        None if allow_unknown => {
            notes
                .push(format!("team \"{team}\" is not in the team registry; writing it anyway (--allow-unknown-team)"));
            Ok(team.to_string())
        }
        None => {
            let hint = config
                .suggest_team(team)
                .map(|t| format!("; did you mean \"{t}\"?"))
                .unwrap_or_default();
            Err(format!(
                "unknown team \"{team}\": not in the team registry{hint} (pass --allow-unknown-team to write it anyway)"
            ))
        }
    }
}

/// Decides, for one object's current metadata, what changes and the patch that does it.
pub fn plan_object(object: &MetaObject, request: &Request) -> ObjectPlan {
    let mut changes = Vec::new();
    let mut refused = Vec::new();
    for w in &request.writes {
        let (current, other_place, other) = match w.place {
            Place::Label => (
                object.labels.get(&w.key),
                Place::Annotation,
                object.annotations.get(&w.key),
            ),
            Place::Annotation => (
                object.annotations.get(&w.key),
                Place::Label,
                object.labels.get(&w.key),
            ),
        };
        let change = KeyChange {
            key: w.key.clone(),
            place: w.place,
            old: current.cloned(),
            new: w.value.clone(),
        };
        if let (Some(old), Some(_)) = (&change.old, &change.new)
            && change.changes()
            && !request.overwrite
        {
            refused.push((w.key.clone(), old.clone()));
        }
        // The read path finds a key in labels and annotations alike: a value held in the other
        // place is an existing value too. A different one is kept unless --overwrite, and then
        // removed, so the key has one value; `unassign` removes it from both places.
        if let Some(other) = other
            && w.value.as_ref() != Some(other)
        {
            // The other place's value is the one read when it is a label (labels win) or when
            // the written place has none; a hidden annotation is only tidied with --overwrite.
            let effective = other_place == Place::Label || current.is_none();
            if w.value.is_some() && !request.overwrite {
                if !effective {
                    changes.push(change);
                    continue;
                }
                refused.push((w.key.clone(), other.clone()));
            }
            changes.push(change);
            changes.push(KeyChange {
                key: w.key.clone(),
                place: other_place,
                old: Some(other.clone()),
                new: None,
            });
            continue;
        }
        changes.push(change);
    }
    let patch = if refused.is_empty() && changes.iter().any(KeyChange::changes) {
        Some(merge_patch(
            object.resource_version.as_deref(),
            &object.uid,
            &changes,
        ))
    } else {
        None
    };
    ObjectPlan {
        changes,
        refused,
        patch,
    }
}

/// `{"metadata": {"resourceVersion": …, "labels": {…}, "annotations": {…}}}` with only the keys
/// that change; `null` removes a key.
pub fn merge_patch(resource_version: Option<&str>, uid: &str, changes: &[KeyChange]) -> Value {
    let mut metadata = Map::new();
    if let Some(rv) = resource_version {
        metadata.insert("resourceVersion".into(), json!(rv));
    }
    // The object read, not another one that took its name since: the server refuses a patch
    // whose uid is not the object's.
    if !uid.is_empty() {
        metadata.insert("uid".into(), json!(uid));
    }
    for (place, field) in [(Place::Label, "labels"), (Place::Annotation, "annotations")] {
        let entries: Map<String, Value> = changes
            .iter()
            .filter(|c| c.place == place && c.changes())
            .map(|c| {
                (
                    c.key.clone(),
                    c.new.clone().map(Value::String).unwrap_or(Value::Null),
                )
            })
            .collect();
        if !entries.is_empty() {
            metadata.insert(field.into(), Value::Object(entries));
        }
    }
    json!({ "metadata": metadata })
}

/// The GitOps tools that manage `object`, each as "what manages it" and "what to edit instead".
/// A change made by hand may be reverted by their next sync or upgrade.
pub fn gitops_managers(object: &MetaObject) -> Vec<String> {
    let get = |key: &str| {
        object
            .labels
            .get(key)
            .or_else(|| object.annotations.get(key))
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let qualified = |name: &str, ns_key: &str| match get(ns_key) {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    };
    let mut out = Vec::new();
    let flux_helm = get("helm.toolkit.fluxcd.io/name");
    if let Some(name) = get("kustomize.toolkit.fluxcd.io/name") {
        out.push(format!(
            "Flux Kustomization \"{}\": its next reconciliation may revert this change; edit the Kustomization's source instead",
            qualified(name, "kustomize.toolkit.fluxcd.io/namespace")
        ));
    }
    if let Some(name) = flux_helm {
        out.push(format!(
            "Flux HelmRelease \"{}\": its next reconciliation may revert this change; edit the HelmRelease's values instead",
            qualified(name, "helm.toolkit.fluxcd.io/namespace")
        ));
    }
    let argo = get("argocd.argoproj.io/instance").or_else(|| {
        get("argocd.argoproj.io/tracking-id").map(|id| id.split(':').next().unwrap_or(id))
    });
    if let Some(app) = argo {
        out.push(format!(
            "Argo CD Application \"{app}\": its next sync may revert this change; edit the Application's source instead"
        ));
    }
    // Flux and Argo CD render Helm charts too; then they, not a Helm release, are what to edit.
    let helm_label =
        get("app.kubernetes.io/managed-by").is_some_and(|v| v.eq_ignore_ascii_case("helm"));
    let helm_release = get("meta.helm.sh/release-name");
    if flux_helm.is_none() && argo.is_none() && (helm_release.is_some() || helm_label) {
        let release = match helm_release.or_else(|| get("app.kubernetes.io/instance")) {
            Some(name) => format!(
                "Helm release \"{}\"",
                qualified(name, "meta.helm.sh/release-namespace")
            ),
            None => "a Helm release".to_string(),
        };
        out.push(format!(
            "{release}: the next helm upgrade may revert this change; set it in the chart's values instead"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses the flags as the command line does, then builds the request.
    fn build_request(fields: &RawWriteFields, config: &Config) -> Result<Request, String> {
        fields
            .clone()
            .parse()
            .and_then(|parsed| super::build_request(&parsed, config))
    }

    fn object(labels: &[(&str, &str)], annotations: &[(&str, &str)]) -> MetaObject {
        MetaObject {
            kind: "Deployment".into(),
            api_version: "apps/v1".into(),
            namespace: Some("payments".into()),
            name: "api".into(),
            uid: "u1".into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            annotations: annotations
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            controller: None,
            created: None,
            resource_version: Some("42".into()),
            cluster: None,
            managers: Vec::new(),
        }
    }

    fn assign(team: Option<&str>, stage: Option<&str>, overwrite: bool) -> RawWriteFields {
        RawWriteFields::Assign {
            team: team.map(String::from),
            stage: stage.map(String::from),
            sunset: None,
            contacts: vec![],
            overwrite,
            allow_unknown_team: false,
        }
    }

    fn unassign(team: bool, contacts: &[&str], all_contacts: bool) -> RawWriteFields {
        RawWriteFields::Unassign {
            team,
            stage: false,
            sunset: false,
            contacts: contacts.iter().map(|s| s.to_string()).collect(),
            all_contacts,
        }
    }

    fn registry() -> Config {
        let mut config = Config::default();
        let mut payments = crate::config::Team::new("payments");
        payments.aliases = vec!["payments-old".into()];
        config.teams = vec![payments, crate::config::Team::new("search")];
        config
    }

    #[test]
    fn assign_patches_only_the_asked_keys_with_the_resource_version() {
        let req = build_request(
            &assign(Some("payments"), Some("production"), false),
            &Config::default(),
        )
        .unwrap();
        let plan = plan_object(&object(&[("tier", "web")], &[("x", "y")]), &req);
        assert!(plan.refused.is_empty());
        assert_eq!(
            plan.patch.unwrap(),
            json!({"metadata": {"resourceVersion": "42", "uid": "u1", "labels": {"team": "payments", "lifecycle": "production"}}})
        );
        assert_eq!(plan.changes[0].describe(), "<none> → payments");
        assert_eq!(plan.changes[1].describe(), "<none> → production");
    }

    #[test]
    fn a_different_existing_value_is_refused_without_overwrite() {
        let current = object(&[("team", "checkout")], &[]);
        let req = build_request(
            &assign(Some("payments"), Some("production"), false),
            &Config::default(),
        )
        .unwrap();
        let plan = plan_object(&current, &req);
        assert_eq!(
            plan.refused,
            vec![("team".to_string(), "checkout".to_string())]
        );
        assert_eq!(plan.patch, None);
        assert_eq!(
            plan.refusal().unwrap(),
            "'team' already has a value (checkout), and --overwrite is false"
        );

        let req = build_request(&assign(Some("payments"), None, true), &Config::default()).unwrap();
        let plan = plan_object(&current, &req);
        assert!(plan.refused.is_empty());
        assert_eq!(
            plan.patch.unwrap(),
            json!({"metadata": {"resourceVersion": "42", "uid": "u1", "labels": {"team": "payments"}}})
        );
    }

    #[test]
    fn an_equal_value_is_no_change_and_no_patch() {
        let req =
            build_request(&assign(Some("payments"), None, false), &Config::default()).unwrap();
        let plan = plan_object(&object(&[("team", "payments")], &[]), &req);
        assert!(plan.refused.is_empty());
        assert_eq!(plan.patch, None);
        assert!(!plan.changes[0].changes());
        // Only the keys that change are in the patch.
        let req = build_request(
            &assign(Some("payments"), Some("production"), false),
            &Config::default(),
        )
        .unwrap();
        let plan = plan_object(&object(&[("team", "payments")], &[]), &req);
        assert_eq!(
            plan.patch.unwrap(),
            json!({"metadata": {"resourceVersion": "42", "uid": "u1", "labels": {"lifecycle": "production"}}})
        );
    }

    #[test]
    fn inherited_or_fallback_values_do_not_count_as_existing() {
        // `owner` is a read fallback of team; assign writes `team` and does not need --overwrite.
        let req =
            build_request(&assign(Some("payments"), None, false), &Config::default()).unwrap();
        let plan = plan_object(&object(&[("owner", "data")], &[]), &req);
        assert!(plan.refused.is_empty());
        assert!(plan.patch.is_some());
    }

    #[test]
    fn unassign_removes_only_the_asked_keys_with_null() {
        let current = object(
            &[("team", "payments"), ("lifecycle", "production")],
            &[("a8r.io/chat", "#p")],
        );
        let req = build_request(&unassign(true, &[], false), &Config::default()).unwrap();
        let plan = plan_object(&current, &req);
        assert_eq!(
            plan.patch.unwrap(),
            json!({"metadata": {"resourceVersion": "42", "uid": "u1", "labels": {"team": null}}})
        );
        assert_eq!(plan.changes[0].describe(), "payments → <none>");

        let req = build_request(&unassign(false, &[], true), &Config::default()).unwrap();
        let plan = plan_object(&current, &req);
        assert_eq!(
            plan.patch.unwrap(),
            json!({"metadata": {"resourceVersion": "42", "uid": "u1", "annotations": {"a8r.io/chat": null}}})
        );
        // Removing what is absent is no change.
        let plan = plan_object(
            &object(&[], &[]),
            &build_request(&unassign(true, &[], false), &Config::default()).unwrap(),
        );
        assert_eq!(plan.patch, None);
    }

    #[test]
    fn contacts_and_sunset_are_annotations() {
        let fields = RawWriteFields::Assign {
            team: None,
            stage: None,
            sunset: Some("2026-12-31".into()),
            contacts: vec![
                "chat=#payments".into(),
                "runbook=https://r.example/p".into(),
            ],
            overwrite: false,
            allow_unknown_team: false,
        };
        let plan = plan_object(
            &object(&[], &[]),
            &build_request(&fields, &Config::default()).unwrap(),
        );
        assert_eq!(
            plan.patch.unwrap(),
            json!({"metadata": {"resourceVersion": "42", "uid": "u1", "annotations": {
                "kubectl-owner/sunset": "2026-12-31", "a8r.io/chat": "#payments", "a8r.io/runbook": "https://r.example/p"}}})
        );
    }

    #[test]
    fn configured_keys_are_written() {
        let mut config = Config::default();
        config.keys.team = "example.com/team".into();
        let plan = plan_object(
            &object(&[], &[]),
            &build_request(&assign(Some("a"), None, false), &config).unwrap(),
        );
        assert_eq!(
            plan.patch.unwrap(),
            json!({"metadata": {"resourceVersion": "42", "uid": "u1", "labels": {"example.com/team": "a"}}})
        );
    }

    #[test]
    fn invalid_inputs_are_refused() {
        let cfg = Config::default();
        let bad = |fields: RawWriteFields| build_request(&fields, &cfg).unwrap_err();
        assert!(bad(assign(None, None, false)).contains("nothing to assign"));
        assert!(
            bad(assign(Some(&"x".repeat(64)), None, false)).contains("--team: invalid label value")
        );
        assert!(bad(assign(Some("-bad"), None, false)).contains("--team"));
        assert!(bad(assign(Some("has space"), None, false)).contains("--team"));
        assert!(bad(assign(Some(""), None, false)).contains("--team needs a value"));
        let err = bad(assign(None, Some("prod"), false));
        assert!(
            err.contains("not one of the configured stages")
                && err.contains("did you mean \"production\""),
            "{err}"
        );
        let with = |sunset: Option<&str>, contacts: &[&str]| RawWriteFields::Assign {
            team: None,
            stage: None,
            sunset: sunset.map(String::from),
            contacts: contacts.iter().map(|s| s.to_string()).collect(),
            overwrite: false,
            allow_unknown_team: false,
        };
        for date in [
            "2026-02-30",
            "2026-13-01",
            "26-01-01",
            "2026/01/01",
            "tomorrow",
            "2026-1-01",
        ] {
            assert!(
                bad(with(Some(date), &[])).contains("expected a calendar date YYYY-MM-DD"),
                "{date}"
            );
        }
        assert!(build_request(&with(Some("2028-02-29"), &[]), &cfg).is_ok());
        assert!(bad(with(None, &["chat"])).contains("expected KEY=VALUE"));
        let err = bad(with(None, &["slack=#x"]));
        assert!(err.contains("unknown contact key \"slack\""), "{err}");
        assert!(bad(with(None, &["chta=#x"])).contains("did you mean \"chat\""));
        assert!(bad(with(None, &["chat="])).contains("the value is empty"));
        assert!(bad(with(None, &["chat=#a", "chat=#b"])).contains("given twice"));
        assert!(bad(unassign(false, &[], false)).contains("nothing to unassign"));
        assert!(bad(unassign(false, &["pager"], false)).contains("unknown contact key \"pager\""));
    }

    #[test]
    fn the_team_registry_validates_and_canonicalises() {
        let cfg = registry();
        let err = build_request(&assign(Some("paymnts"), None, false), &cfg).unwrap_err();
        assert!(
            err.contains("unknown team \"paymnts\"") && err.contains("did you mean \"payments\"?"),
            "{err}"
        );
        assert!(err.contains("--allow-unknown-team"));

        let req = build_request(&assign(Some("payments-old"), None, false), &cfg).unwrap();
        assert_eq!(req.writes[0].value.as_deref(), Some("payments"));
        assert!(
            req.notes[0].contains("alias of \"payments\""),
            "{:?}",
            req.notes
        );

        let mut fields = assign(Some("newteam"), None, false);
        if let RawWriteFields::Assign {
            allow_unknown_team, ..
        } = &mut fields
        {
            *allow_unknown_team = true;
        }
        let req = build_request(&fields, &cfg).unwrap();
        assert_eq!(req.writes[0].value.as_deref(), Some("newteam"));
        // Without a registry every valid label value is a team.
        assert!(build_request(&assign(Some("anything"), None, false), &Config::default()).is_ok());
    }

    #[test]
    fn gitops_managers_are_named() {
        let helm = object(
            &[("app.kubernetes.io/managed-by", "Helm")],
            &[
                ("meta.helm.sh/release-name", "shop"),
                ("meta.helm.sh/release-namespace", "payments"),
            ],
        );
        let found = gitops_managers(&helm);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("Helm release \"payments/shop\""),
            "{found:?}"
        );

        let argo = object(
            &[],
            &[(
                "argocd.argoproj.io/tracking-id",
                "shop-prod:apps/Deployment:payments/api",
            )],
        );
        assert!(gitops_managers(&argo)[0].starts_with("Argo CD Application \"shop-prod\""));
        let argo = object(
            &[
                ("argocd.argoproj.io/instance", "shop"),
                ("app.kubernetes.io/managed-by", "Helm"),
            ],
            &[],
        );
        let found = gitops_managers(&argo);
        assert_eq!(
            found.len(),
            1,
            "Argo CD rendering a chart is one manager: {found:?}"
        );

        let flux = object(
            &[
                ("kustomize.toolkit.fluxcd.io/name", "apps"),
                ("kustomize.toolkit.fluxcd.io/namespace", "flux-system"),
            ],
            &[],
        );
        assert!(gitops_managers(&flux)[0].starts_with("Flux Kustomization \"flux-system/apps\""));
        let flux_helm = object(
            &[
                ("helm.toolkit.fluxcd.io/name", "shop"),
                ("app.kubernetes.io/managed-by", "Helm"),
            ],
            &[("meta.helm.sh/release-name", "payments-shop")],
        );
        let found = gitops_managers(&flux_helm);
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("Flux HelmRelease \"shop\""));

        assert!(gitops_managers(&object(&[("team", "x")], &[])).is_empty());
    }
}
