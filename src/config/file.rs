//! The file schema: one config document (local file or cluster ConfigMap) as written, every
//! field optional, and [`parse`], which reads it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::model::{Rule, Team, WorkloadKind};
use super::values::{SEEN, de_opt_key, de_opt_keys, de_opt_severity, de_opt_stages};
use super::yaml_error::{ConfigError, yaml_error};
use crate::core::rules::Severity;

/// One parsed config document (local file or cluster ConfigMap); every field optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConfigFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<KeysFile>,
    #[serde(
        default,
        deserialize_with = "de_opt_stages",
        skip_serializing_if = "Option::is_none"
    )]
    pub stages: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workloads: Option<Vec<WorkloadKind>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<Rule>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<CheckFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teams: Option<Vec<Team>>,
}

/// The `keys` section of a config document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KeysFile {
    #[serde(
        default,
        deserialize_with = "de_opt_key",
        skip_serializing_if = "Option::is_none"
    )]
    pub team: Option<String>,
    #[serde(
        default,
        deserialize_with = "de_opt_key",
        skip_serializing_if = "Option::is_none"
    )]
    pub stage: Option<String>,
    #[serde(
        default,
        deserialize_with = "de_opt_key",
        skip_serializing_if = "Option::is_none"
    )]
    pub sunset: Option<String>,
    #[serde(
        default,
        deserialize_with = "de_opt_key",
        skip_serializing_if = "Option::is_none"
    )]
    pub exempt: Option<String>,
    #[serde(
        default,
        deserialize_with = "de_opt_keys",
        skip_serializing_if = "Option::is_none"
    )]
    pub team_fallbacks: Option<Vec<String>>,
    #[serde(
        default,
        deserialize_with = "de_opt_keys",
        skip_serializing_if = "Option::is_none"
    )]
    pub stage_fallbacks: Option<Vec<String>>,
}

/// The `check` section of a config document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CheckFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sunset_warning_days: Option<u32>,
    #[serde(
        default,
        deserialize_with = "de_opt_severity",
        skip_serializing_if = "Option::is_none"
    )]
    pub severity: Option<BTreeMap<String, Severity>>,
}

/// Parses one config document. An empty document (or one with only comments) gives an empty
/// [`ConfigFile`], i.e. defaults. `origin` names the document in errors.
pub fn parse(text: &str, origin: &str) -> Result<ConfigFile, ConfigError> {
    SEEN.with(|s| s.borrow_mut().clear());
    let result = serde_yaml_ng::from_str::<Option<ConfigFile>>(text);
    SEEN.with(|s| s.borrow_mut().clear());
    match result {
        Ok(file) => Ok(file.unwrap_or_default()),
        Err(err) => Err(yaml_error(&err, origin)),
    }
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
        assert_eq!(c.check.severity["retired-present"], Severity::Warning);
    }
}
