//! The file schema: one config document (local file or cluster ConfigMap) as written, every
//! field optional and every value validated, and [`parse`], which reads it.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Deserializer, Serialize};

use super::model::WorkloadKind;
use super::values::{
    ImageRef, LabelKey, List, ManagerName, NamespaceGlob, NonEmptyList, NonEmptyText, RbacSubject,
    Stage, SunsetDate, TeamAlias, TeamName,
};
use super::yaml_error::{ConfigError, Step, error_at, path_of, yaml_error};
use crate::core::rules::{RuleId, Severity};

/// One parsed config document (local file or cluster ConfigMap); every field optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConfigFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<KeysFile>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub stages: Option<NonEmptyList<Stage>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workloads: Option<Vec<WorkloadKind>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<RuleFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<CheckFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teams: Option<Vec<TeamFile>>,
}

/// The `keys` section of a config document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KeysFile {
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub team: Option<LabelKey>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub stage: Option<LabelKey>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub sunset: Option<LabelKey>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub exempt: Option<LabelKey>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub team_fallbacks: Option<List<LabelKey>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub stage_fallbacks: Option<List<LabelKey>>,
}

/// The `check` section of a config document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CheckFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sunset_warning_days: Option<u32>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub severity: Option<BTreeMap<RuleId, Severity>>,
}

/// A `rules` entry as written (see [`super::Rule`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename = "Rule",
    expecting = "struct Rule",
    deny_unknown_fields,
    rename_all = "camelCase"
)]
pub struct RuleFile {
    pub namespaces: NonEmptyList<NamespaceGlob>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub team: Option<TeamName>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub stage: Option<Stage>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub sunset: Option<SunsetDate>,
    /// Exemption reason.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub exempt: Option<NonEmptyText>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub chat: Option<NonEmptyText>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub runbook: Option<NonEmptyText>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub incidents: Option<NonEmptyText>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub repository: Option<NonEmptyText>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub documentation: Option<NonEmptyText>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub support: Option<NonEmptyText>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub owner: Option<NonEmptyText>,
}

/// A `teams` entry as written (see [`super::Team`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename = "Team",
    expecting = "struct Team",
    deny_unknown_fields,
    rename_all = "camelCase"
)]
pub struct TeamFile {
    pub name: TeamName,
    #[serde(default, skip_serializing_if = "List::is_empty")]
    pub aliases: List<TeamAlias>,
    /// Images the team builds (references or `prefix*`): evidence for `suggest`.
    #[serde(default, skip_serializing_if = "List::is_empty")]
    pub images: List<ImageRef>,
    /// RBAC groups, users or service accounts the team's people are bound as: evidence for
    /// `suggest` where they may edit a namespace.
    #[serde(default, skip_serializing_if = "List::is_empty")]
    pub groups: List<RbacSubject>,
    /// Field managers that write for the team (its CI's `--field-manager`): evidence for
    /// `suggest` on the objects they wrote.
    #[serde(default, skip_serializing_if = "List::is_empty")]
    pub managers: List<ManagerName>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub chat: Option<NonEmptyText>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub oncall: Option<NonEmptyText>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub email: Option<NonEmptyText>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub runbook: Option<NonEmptyText>,
}

/// Reads an optional field that is validated: once written it is a value, even when it reads
/// `null` (e.g. `team: null` is the label key "null"), where serde's `Option` would take it for
/// an absent field and silently use the default.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Parses one config document. An empty document (or one with only comments) gives an empty
/// [`ConfigFile`], i.e. defaults. `origin` names the document in errors.
pub fn parse(text: &str, origin: &str) -> Result<ConfigFile, ConfigError> {
    // serde_path_to_error tracks where in the document an error arose (`teams[1].alias`).
    let mut path = String::new();
    let file = serde_saphyr::with_deserializer_from_str(text, |d| {
        serde_path_to_error::deserialize::<_, Option<ConfigFile>>(d).map_err(|err| {
            path = err.path().to_string();
            err.into_inner()
        })
    })
    .map_err(|err| yaml_error(&err, &path, origin))?
    .unwrap_or_default();
    // Uniqueness spans entries, so it is checked once the whole document has deserialised (a
    // document that also has another error reports that one). Of a repeated stage and a
    // repeated team, the one written first is reported.
    let first = [duplicate_stage(&file), duplicate_team(&file)]
        .into_iter()
        .flatten()
        .map(|(at, message)| (error_at(text, &at, &message), path_of(&at)))
        .min_by_key(|(err, _)| err.location().map(|l| (l.line(), l.column())));
    match first {
        Some((err, path)) => Err(yaml_error(&err, &path, origin)),
        None => Ok(file),
    }
}

/// The first stage that repeats an earlier one, with where it is.
fn duplicate_stage(file: &ConfigFile) -> Option<(Vec<Step>, String)> {
    let mut seen = HashSet::new();
    for (i, stage) in file.stages.iter().flat_map(|s| &s.0).enumerate() {
        if !seen.insert(&**stage) {
            let at = vec![Step::Key("stages"), Step::Index(i)];
            return Some((at, format!("duplicate stage \"{stage}\"")));
        }
    }
    None
}

/// The first team name or alias that repeats an earlier one (names and aliases together: each
/// picks out one team), with where it is.
fn duplicate_team(file: &ConfigFile) -> Option<(Vec<Step>, String)> {
    let mut seen = HashSet::new();
    for (i, team) in file.teams.iter().flatten().enumerate() {
        let team_at = [Step::Key("teams"), Step::Index(i)];
        let name = (&*team.name, Step::Key("name"), None);
        let aliases = team
            .aliases
            .0
            .iter()
            .enumerate()
            .map(|(j, alias)| (&**alias, Step::Key("aliases"), Some(Step::Index(j))));
        for (value, field, index) in std::iter::once(name).chain(aliases) {
            if !seen.insert(value) {
                let at = team_at.into_iter().chain([field]).chain(index).collect();
                return Some((at, format!("duplicate team name or alias \"{value}\"")));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::{cfg, err};
    use crate::config::{Config, merge};

    #[test]
    fn empty_documents_are_defaults() {
        for text in ["", "\n", "# only a comment\n", "---\n", "null\n"] {
            assert_eq!(cfg(text), ConfigFile::default(), "{text:?}");
        }
        assert_eq!(merge(Some(cfg("")), None), Config::default());
    }

    #[test]
    fn severity_keys_and_values() {
        let e = err("check:\n  severity:\n    missing-stage: error\n    missing-stag: error\n");
        assert_eq!(e.line, Some(4));
        assert!(
            e.message
                .contains("unknown check rule \"missing-stag\" (did you mean \"missing-stage\"?)"),
            "{e}"
        );
        let e = err("check:\n  severity:\n    sunset-soon: err\n");
        assert_eq!(e.line, Some(3));
        assert_eq!(
            e.message,
            "unknown value \"err\" for check.severity.sunset-soon (did you mean \"error\"?)"
        );
        let c = merge(
            Some(cfg(
                "check:\n  severity: {sunset-soon: error, retired-present: warning}\n",
            )),
            None,
        );
        assert_eq!(c.check.severity.len(), 2);
        assert_eq!(c.check.severity[&RuleId::RetiredPresent], Severity::Warning);
    }

    #[test]
    fn duplicates() {
        let e = err("stages: [a, b, a]\n");
        assert!(e.message.contains("duplicate stage \"a\""), "{e}");

        // Duplicate team names and aliases.
        let e = err("teams:\n  - name: payments\n  - name: search\n  - name: payments\n");
        assert_eq!(e.line, Some(4));
        assert!(
            e.message
                .contains("duplicate team name or alias \"payments\""),
            "{e}"
        );
        let e =
            err("teams:\n  - name: payments\n  - name: search\n    aliases: [find, payments]\n");
        assert_eq!(e.line, Some(4));
        assert!(
            e.message
                .contains("duplicate team name or alias \"payments\""),
            "{e}"
        );
        let e = err("teams:\n  - name: a\n    aliases: [old]\n  - name: old\n");
        assert_eq!(e.line, Some(4));
        // Each parse starts afresh.
        cfg("teams:\n  - name: payments\n");
        cfg("teams:\n  - name: payments\n");
    }

    /// Duplicates are found after deserialising, yet named at the repeated value itself.
    #[test]
    fn duplicates_name_the_repeated_value() {
        let e = err("stages:\n  - a\n  - b\n  - a\n");
        assert_eq!(e.line, Some(4));
        assert_eq!(e.message, "stages[2]: duplicate stage \"a\"");
        let e = err("teams:\n  - name: a\n  - name: b\n    aliases:\n      - c\n      - a\n");
        assert_eq!(e.line, Some(6));
        assert_eq!(
            e.message,
            "teams[1].aliases[1]: duplicate team name or alias \"a\""
        );
        let e = err("teams: [{name: a}, {name: b, aliases: [a]}]\n");
        assert_eq!(e.line, Some(1));
        assert_eq!(e.column, Some(40));
        // The first written of a repeated stage and a repeated team.
        let e = err("teams:\n  - name: b\n  - name: b\nstages: [a, a]\n");
        assert_eq!(
            e.message,
            "teams[1].name: duplicate team name or alias \"b\""
        );
        let e = err("stages: [a, a]\nteams:\n  - name: b\n  - name: b\n");
        assert_eq!(e.message, "stages[1]: duplicate stage \"a\"");
    }
}
