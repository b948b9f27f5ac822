//! The config file, from YAML to the effective settings: the model the rest of the crate reads,
//! the file schema with its validated values, lookup, merging and error messages.
//! May import only `core`'s value types (dates, rule ids, contact keys, "did you mean").
//!
//! The same YAML document can come from a local file (see `locate.rs` for the lookup order) and from
//! the cluster ConfigMap `kube-public/kubectl-owner` (key `config.yaml`). Both are parsed with
//! [`parse`] into a [`ConfigFile`] (every field optional, every value validated) and combined with
//! [`merge`] into the effective [`Config`]:
//!
//! * `teams` merge by name; a local entry replaces the cluster's entry of the same name;
//! * local `rules` come before the cluster's (first match wins, so local rules take precedence);
//! * every other setting is taken from the local file when present there, else from the cluster,
//!   else the default. `keys` and `check` merge field by field (`check.severity` entry by entry),
//!   `stages` and `workloads` are taken whole.
//!
//! Rules may set, besides `team` and `stage`, an optional `sunset` (`YYYY-MM-DD`), `exempt`
//! (the exemption reason) and any contact by its short key (`chat`, `runbook`, `incidents`,
//! `repository`, `documentation`, `support`, `owner`).
//!
//! Files: `model.rs` (the effective [`Config`]), `file.rs` (the schema and [`parse`]),
//! `values.rs` (the schema's validated string types), `merge.rs`, `locate.rs` (lookup and
//! reading) and `yaml_error.rs` ([`ConfigError`], made from serde-saphyr's errors).
//!
//! Everything here is pure: it reads files and environment variables only.

mod file;
mod locate;
mod merge;
mod model;
mod values;
mod yaml_error;

pub use self::{
    file::{ConfigFile, parse},
    locate::{load_local, locate, search_path},
    merge::merge,
    model::{Config, Rule, Team, WorkloadKind},
};

/// The default lifecycle stages.
pub const DEFAULT_STAGES: &[&str] = &["experimental", "production", "deprecated", "retired"];

/// Environment variable naming the config file.
pub const CONFIG_ENV: &str = "KUBECTL_OWNER_CONFIG";

/// Where the cluster-wide config lives: namespace, ConfigMap name and data key.
pub const CLUSTER_CONFIGMAP: (&str, &str, &str) = ("kube-public", "kubectl-owner", "config.yaml");

/// The origin string to pass to [`parse`] for the cluster ConfigMap.
pub const CLUSTER_ORIGIN: &str = "configmap kube-public/kubectl-owner";

/// One document the effective config was built from, as `check` reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigSource {
    /// The kubeconfig context, only when several were checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// `File` or `ConfigMap`.
    pub kind: &'static str,
    /// The file's path, or the ConfigMap's `namespace/name`.
    pub name: String,
    /// The ConfigMap's resourceVersion: which revision of the cluster's policy was applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<String>,
}

impl ConfigSource {
    pub fn file(path: &std::path::Path) -> ConfigSource {
        ConfigSource {
            context: None,
            kind: "File",
            name: path.display().to_string(),
            resource_version: None,
        }
    }

    pub fn config_map(resource_version: Option<String>) -> ConfigSource {
        ConfigSource {
            context: None,
            kind: "ConfigMap",
            name: format!("{}/{}", CLUSTER_CONFIGMAP.0, CLUSTER_CONFIGMAP.1),
            resource_version,
        }
    }
}

impl std::fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(context) = &self.context {
            write!(f, "{context}: ")?;
        }
        match (self.kind, &self.resource_version) {
            ("ConfigMap", Some(rv)) => write!(f, "configmap {} (resourceVersion {rv})", self.name),
            ("ConfigMap", None) => write!(f, "configmap {}", self.name),
            _ => f.write_str(&self.name),
        }
    }
}

/// Helpers shared by the tests of the submodules.
#[cfg(test)]
mod testing {
    use super::yaml_error::ConfigError;
    use super::{ConfigFile, parse};

    pub const ORIGIN: &str = "/home/u/.config/kubectl-owner/config.yaml";

    pub fn err(text: &str) -> ConfigError {
        parse(text, ORIGIN).expect_err("should fail")
    }

    pub fn cfg(text: &str) -> ConfigFile {
        parse(text, ORIGIN).unwrap_or_else(|e| panic!("{e}"))
    }
}
