//! Configuration: the keys ownership is read from, lifecycle stages, extra workload kinds, namespace
//! rules, check settings and the team registry.
//!
//! The same YAML document can come from a local file (see [`locate`] for the lookup order) and from
//! the cluster ConfigMap `kube-public/kubectl-owner` (key `config.yaml`). Both are parsed with
//! [`parse`] into a [`ConfigFile`] (every field optional) and combined with [`merge`] into the
//! effective [`Config`]:
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
//! Everything here is pure: it reads files and environment variables only.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::core::date::Date;
use crate::core::nearest::{nearest, nearest_by};
pub use crate::core::rules::{RuleId, Severity};

/// The default lifecycle stages.
pub const DEFAULT_STAGES: &[&str] = &["experimental", "production", "deprecated", "retired"];

/// Environment variable naming the config file.
pub const CONFIG_ENV: &str = "KUBECTL_OWNER_CONFIG";

/// Where the cluster-wide config lives: namespace, ConfigMap name and data key.
pub const CLUSTER_CONFIGMAP: (&str, &str, &str) = ("kube-public", "kubectl-owner", "config.yaml");

/// The origin string to pass to [`parse`] for the cluster ConfigMap.
pub const CLUSTER_ORIGIN: &str = "configmap kube-public/kubectl-owner";

// ---------------------------------------------------------------------------------------------
// Effective configuration
// ---------------------------------------------------------------------------------------------

/// The effective configuration. `Config::default()` is the documented default.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub keys: Keys,
    pub stages: Vec<String>,
    pub workloads: Vec<WorkloadKind>,
    pub rules: Vec<Rule>,
    pub check: CheckSettings,
    pub teams: Vec<Team>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            keys: Keys::default(),
            stages: DEFAULT_STAGES.iter().map(|s| s.to_string()).collect(),
            workloads: vec![WorkloadKind {
                group: "argoproj.io".into(),
                version: "v1alpha1".into(),
                kind: "Rollout".into(),
            }],
            rules: Vec::new(),
            check: CheckSettings::default(),
            teams: Vec::new(),
        }
    }
}

impl Config {
    /// The team whose name or alias is exactly `name` (names take precedence over aliases).
    pub fn canonical_team(&self, name: &str) -> Option<&Team> {
        self.teams.iter().find(|t| t.name == name).or_else(|| {
            self.teams
                .iter()
                .find(|t| t.aliases.iter().any(|a| a == name))
        })
    }

    /// The registry entry nearest to `name` (by name or alias, tolerant of case and small typos),
    /// with the name or alias that matched. `None` when nothing is close enough.
    pub fn nearest_team(&self, name: &str) -> Option<(&Team, &str)> {
        let candidates = self.teams.iter().flat_map(|t| {
            std::iter::once((t, t.name.as_str()))
                .chain(t.aliases.iter().map(move |a| (t, a.as_str())))
        });
        nearest_by(name, candidates)
    }

    /// The canonical name of the registry team nearest to `name` (see [`Config::nearest_team`];
    /// use that to also learn which alias matched). An exact name or alias returns its team.
    pub fn suggest_team(&self, name: &str) -> Option<String> {
        self.nearest_team(name).map(|(t, _)| t.name.clone())
    }

    /// Whether a team registry is configured (then team names are validated against it).
    pub fn has_registry(&self) -> bool {
        !self.teams.is_empty()
    }

    /// Whether `stage` is one of the configured stages.
    pub fn is_stage(&self, stage: &str) -> bool {
        self.stages.iter().any(|s| s == stage)
    }

    /// The configured stage nearest to `stage`, for "did you mean" hints.
    pub fn suggest_stage(&self, stage: &str) -> Option<&str> {
        nearest(stage, self.stages.iter().map(String::as_str))
    }

    /// The rules whose namespace globs match `namespace`, in precedence order.
    pub fn matching_rules<'a>(&'a self, namespace: &'a str) -> impl Iterator<Item = &'a Rule> + 'a {
        self.rules.iter().filter(move |r| r.matches(namespace))
    }
}

/// Label/annotation keys ownership is read from (and `assign` writes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    pub team: String,
    pub stage: String,
    pub sunset: String,
    pub exempt: String,
    pub team_fallbacks: Vec<String>,
    pub stage_fallbacks: Vec<String>,
    /// Always `[a8r.io/ignore]`; not part of the file schema.
    pub exempt_fallbacks: Vec<String>,
}

impl Default for Keys {
    fn default() -> Self {
        Keys {
            team: "team".into(),
            stage: "lifecycle".into(),
            sunset: "kubectl-owner/sunset".into(),
            exempt: "kubectl-owner/exempt".into(),
            team_fallbacks: [
                "owner",
                "tags.datadoghq.com/team",
                "opslevel.com/owner",
                "backstage.io/kubernetes-owner",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            stage_fallbacks: vec!["opslevel.com/lifecycle".into()],
            exempt_fallbacks: vec!["a8r.io/ignore".into()],
        }
    }
}

impl Keys {
    /// The team key followed by its fallbacks, in lookup order.
    pub fn team_keys(&self) -> Vec<&str> {
        std::iter::once(self.team.as_str())
            .chain(self.team_fallbacks.iter().map(String::as_str))
            .collect()
    }

    /// The stage key followed by its fallbacks, in lookup order.
    pub fn stage_keys(&self) -> Vec<&str> {
        std::iter::once(self.stage.as_str())
            .chain(self.stage_fallbacks.iter().map(String::as_str))
            .collect()
    }

    /// The sunset key (it has no fallbacks).
    pub fn sunset_keys(&self) -> Vec<&str> {
        vec![self.sunset.as_str()]
    }

    /// The exempt key followed by its fallbacks, in lookup order.
    pub fn exempt_keys(&self) -> Vec<&str> {
        std::iter::once(self.exempt.as_str())
            .chain(self.exempt_fallbacks.iter().map(String::as_str))
            .collect()
    }
}

/// An extra workload kind, written `group/version/Kind` (e.g. `argoproj.io/v1alpha1/Rollout`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkloadKind {
    pub group: String,
    pub version: String,
    pub kind: String,
}

impl fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.group, self.version, self.kind)
    }
}

impl FromStr for WorkloadKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "invalid workload kind \"{s}\": expected group/version/Kind, e.g. argoproj.io/v1alpha1/Rollout"
            )
        };
        let parts: Vec<&str> = s.split('/').collect();
        let [group, version, kind] = parts.as_slice() else {
            return Err(bad());
        };
        let group_ok = is_dns_subdomain(group);
        let version_ok = version.len() <= 63
            && version.starts_with(|c: char| c.is_ascii_lowercase())
            && version
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let kind_ok = kind.starts_with(|c: char| c.is_ascii_uppercase())
            && kind.chars().all(|c| c.is_ascii_alphanumeric());
        if !(group_ok && version_ok && kind_ok) {
            return Err(bad());
        }
        Ok(WorkloadKind {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
        })
    }
}

impl Serialize for WorkloadKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for WorkloadKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = WorkloadKind;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a workload kind group/version/Kind")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<WorkloadKind, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// A namespace rule: defaults for the namespaces matching any of its globs (`*`, `?`).
/// The first matching rule wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Rule {
    #[serde(deserialize_with = "de_globs")]
    pub namespaces: Vec<String>,
    #[serde(
        default,
        deserialize_with = "de_opt_rule_team",
        skip_serializing_if = "Option::is_none"
    )]
    pub team: Option<String>,
    #[serde(
        default,
        deserialize_with = "de_opt_stage",
        skip_serializing_if = "Option::is_none"
    )]
    pub stage: Option<String>,
    /// Sunset date, `YYYY-MM-DD`.
    #[serde(
        default,
        deserialize_with = "de_opt_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub sunset: Option<String>,
    /// Exemption reason.
    #[serde(
        default,
        deserialize_with = "de_opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub exempt: Option<String>,
    #[serde(
        default,
        deserialize_with = "de_opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub chat: Option<String>,
    #[serde(
        default,
        deserialize_with = "de_opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub runbook: Option<String>,
    #[serde(
        default,
        deserialize_with = "de_opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub incidents: Option<String>,
    #[serde(
        default,
        deserialize_with = "de_opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub repository: Option<String>,
    #[serde(
        default,
        deserialize_with = "de_opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub documentation: Option<String>,
    #[serde(
        default,
        deserialize_with = "de_opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub support: Option<String>,
    #[serde(
        default,
        deserialize_with = "de_opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub owner: Option<String>,
}

impl Rule {
    /// A rule for `namespaces` that sets nothing yet.
    #[cfg(test)]
    pub fn new<S: Into<String>>(namespaces: impl IntoIterator<Item = S>) -> Rule {
        Rule {
            namespaces: namespaces.into_iter().map(Into::into).collect(),
            team: None,
            stage: None,
            sunset: None,
            exempt: None,
            chat: None,
            runbook: None,
            incidents: None,
            repository: None,
            documentation: None,
            support: None,
            owner: None,
        }
    }

    /// Whether any of the rule's globs matches `namespace`.
    pub fn matches(&self, namespace: &str) -> bool {
        self.namespaces.iter().any(|g| glob_match(g, namespace))
    }

    /// The rule's name in a source (`Rule/<first glob>`).
    pub fn name(&self) -> &str {
        self.namespaces.first().map(String::as_str).unwrap_or("")
    }

    /// The contact the rule sets for a short contact key (`chat`, `runbook`, ...).
    pub fn contact(&self, short: &str) -> Option<&str> {
        match short {
            "chat" => self.chat.as_deref(),
            "runbook" => self.runbook.as_deref(),
            "incidents" => self.incidents.as_deref(),
            "repository" => self.repository.as_deref(),
            "documentation" => self.documentation.as_deref(),
            "support" => self.support.as_deref(),
            "owner" => self.owner.as_deref(),
            _ => None,
        }
    }
}

/// Matches `text` against a glob where `*` is any run of characters and `?` is one character.
pub fn glob_match(glob: &str, text: &str) -> bool {
    let p: Vec<char> = glob.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Settings of `check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckSettings {
    /// `sunset-soon` fires when the sunset date is today or within this many days.
    pub sunset_warning_days: u32,
    /// Overrides of rules' default severities, keyed by rule id (validated against [`RULE_IDS`]).
    pub severity: BTreeMap<String, Severity>,
}

impl Default for CheckSettings {
    fn default() -> Self {
        CheckSettings {
            sunset_warning_days: 30,
            severity: BTreeMap::new(),
        }
    }
}

impl CheckSettings {
    /// The configured severity of `rule`, or its default when not overridden.
    pub fn severity_for(&self, rule: RuleId) -> Severity {
        self.severity
            .get(rule.as_str())
            .copied()
            .unwrap_or(rule.default_severity())
    }
}

/// A team of the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Team {
    #[serde(deserialize_with = "de_team_name")]
    pub name: String,
    #[serde(
        default,
        deserialize_with = "de_aliases",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub aliases: Vec<String>,
    #[serde(
        default,
        deserialize_with = "de_opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub chat: Option<String>,
    #[serde(
        default,
        deserialize_with = "de_opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub oncall: Option<String>,
    #[serde(
        default,
        deserialize_with = "de_opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub email: Option<String>,
    #[serde(
        default,
        deserialize_with = "de_opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub runbook: Option<String>,
}

impl Team {
    /// A team with `name` and nothing else.
    #[cfg(test)]
    pub fn new(name: impl Into<String>) -> Team {
        Team {
            name: name.into(),
            aliases: Vec::new(),
            chat: None,
            oncall: None,
            email: None,
            runbook: None,
        }
    }

    /// The team's contacts that are set, as (key, value) in the order chat, oncall, email, runbook.
    pub fn contacts(&self) -> Vec<(&'static str, &str)> {
        [
            ("chat", &self.chat),
            ("oncall", &self.oncall),
            ("email", &self.email),
            ("runbook", &self.runbook),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
        .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// The file
// ---------------------------------------------------------------------------------------------

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

/// A config that cannot be read or is invalid. Displays as one line naming the origin, the line
/// (when known) and the field, e.g.
/// `config /home/u/.config/kubectl-owner/config.yaml: line 4: unknown field "stagez" in keys (did you mean "stage"?)`
/// (the caller adds the `error: ` prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// File path or `configmap kube-public/kubectl-owner`.
    pub origin: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "config {}: ", self.origin)?;
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

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

/// Combines the local file and the cluster document into the effective config (see the module
/// docs for the precedence).
pub fn merge(local: Option<ConfigFile>, cluster: Option<ConfigFile>) -> Config {
    let local = local.unwrap_or_default();
    let cluster = cluster.unwrap_or_default();
    let defaults = Config::default();

    let lk = local.keys.unwrap_or_default();
    let ck = cluster.keys.unwrap_or_default();
    let dk = defaults.keys;
    let keys = Keys {
        team: lk.team.or(ck.team).unwrap_or(dk.team),
        stage: lk.stage.or(ck.stage).unwrap_or(dk.stage),
        sunset: lk.sunset.or(ck.sunset).unwrap_or(dk.sunset),
        exempt: lk.exempt.or(ck.exempt).unwrap_or(dk.exempt),
        team_fallbacks: lk
            .team_fallbacks
            .or(ck.team_fallbacks)
            .unwrap_or(dk.team_fallbacks),
        stage_fallbacks: lk
            .stage_fallbacks
            .or(ck.stage_fallbacks)
            .unwrap_or(dk.stage_fallbacks),
        exempt_fallbacks: dk.exempt_fallbacks,
    };

    let lc = local.check.unwrap_or_default();
    let cc = cluster.check.unwrap_or_default();
    let mut severity = cc.severity.unwrap_or_default();
    severity.extend(lc.severity.unwrap_or_default());
    let check = CheckSettings {
        sunset_warning_days: lc
            .sunset_warning_days
            .or(cc.sunset_warning_days)
            .unwrap_or(defaults.check.sunset_warning_days),
        severity,
    };

    let mut rules = local.rules.unwrap_or_default();
    rules.extend(cluster.rules.unwrap_or_default());

    let mut teams = local.teams.unwrap_or_default();
    let local_names: HashSet<String> = teams.iter().map(|t| t.name.clone()).collect();
    teams.extend(
        cluster
            .teams
            .unwrap_or_default()
            .into_iter()
            .filter(|t| !local_names.contains(&t.name)),
    );

    Config {
        keys,
        stages: local.stages.or(cluster.stages).unwrap_or(defaults.stages),
        workloads: local
            .workloads
            .or(cluster.workloads)
            .unwrap_or(defaults.workloads),
        rules,
        check,
        teams,
    }
}

/// The config file candidates after `--config`, in lookup order: `$KUBECTL_OWNER_CONFIG`,
/// `$XDG_CONFIG_HOME/kubectl-owner/config.yaml` (when set), `dirs::config_dir()/kubectl-owner/config.yaml`.
pub fn search_path() -> Vec<PathBuf> {
    candidates(|k| std::env::var_os(k), dirs::config_dir())
}

/// The config file to read: `explicit` (`--config`) as given, even if it does not exist (reading
/// it then fails); otherwise the first candidate of [`search_path`] that exists, or `None`
/// (defaults).
pub fn locate(explicit: Option<&Path>) -> Option<PathBuf> {
    locate_with(explicit, |k| std::env::var_os(k), dirs::config_dir())
}

/// Reads and parses the local config file. No file → `Ok(None)`; a missing `--config` file, an
/// unreadable file or an invalid document → error.
pub fn load_local(explicit: Option<&Path>) -> Result<Option<ConfigFile>, ConfigError> {
    let Some(path) = locate(explicit) else {
        return Ok(None);
    };
    match read(&path) {
        Ok(file) => Ok(Some(file)),
        // Removed between locate and read: treat as absent.
        Err(_) if explicit.is_none() && !path.exists() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads and parses the config file at `path`.
pub fn read(path: &Path) -> Result<ConfigFile, ConfigError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        let message = match e.kind() {
            std::io::ErrorKind::NotFound => "file not found".to_string(),
            _ => format!("cannot read file: {e}"),
        };
        ConfigError {
            origin: origin.clone(),
            line: None,
            column: None,
            message,
        }
    })?;
    parse(&text, &origin)
}

fn candidates(
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
    config_dir: Option<PathBuf>,
) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    let nonempty = |k: &str| env(k).filter(|v| !v.is_empty());
    if let Some(p) = nonempty(CONFIG_ENV) {
        out.push(PathBuf::from(p));
    }
    if let Some(x) = nonempty("XDG_CONFIG_HOME") {
        out.push(PathBuf::from(x).join("kubectl-owner").join("config.yaml"));
    }
    if let Some(d) = config_dir {
        let p = d.join("kubectl-owner").join("config.yaml");
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

fn locate_with(
    explicit: Option<&Path>,
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
    config_dir: Option<PathBuf>,
) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    candidates(env, config_dir).into_iter().find(|p| p.exists())
}

// ---------------------------------------------------------------------------------------------
// Suggestions
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// Error reporting
// ---------------------------------------------------------------------------------------------

fn yaml_error(err: &serde_yaml_ng::Error, origin: &str) -> ConfigError {
    let loc = err.location();
    let text = strip_marks(&err.to_string());
    let (path, msg) = split_path(&text);
    ConfigError {
        origin: origin.to_string(),
        line: loc.as_ref().map(|l| l.line()),
        column: loc.as_ref().map(|l| l.column()),
        message: humanize(path, msg),
    }
}

/// Removes every " at line N column M" from a serde_yaml_ng message.
fn strip_marks(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(" at line ") {
        let after = &rest[i + " at line ".len()..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        let tail = &after[digits..];
        if digits > 0 && tail.starts_with(" column ") {
            let tail = &tail[" column ".len()..];
            let cd = tail.chars().take_while(char::is_ascii_digit).count();
            if cd > 0 {
                out.push_str(&rest[..i]);
                rest = &tail[cd..];
                continue;
            }
        }
        out.push_str(&rest[..i + 1]);
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
    out
}

/// Splits serde_yaml_ng's `path: message` (the path has no whitespace or quotes).
fn split_path(s: &str) -> (&str, &str) {
    if let Some(i) = s.find(": ") {
        let p = &s[..i];
        if !p.is_empty()
            && !p.contains(|c: char| c.is_whitespace() || c == '`' || c == '"' || c == '\'')
        {
            return (p, &s[i + 2..]);
        }
    }
    ("", s)
}

fn backticked(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

fn humanize(path: &str, msg: &str) -> String {
    let place = if path.is_empty() {
        "at top level".to_string()
    } else {
        format!("in {path}")
    };
    let first = backticked(msg).first().copied().unwrap_or("");
    let expected = || {
        msg.find("expected")
            .map(|i| backticked(&msg[i..]))
            .unwrap_or_default()
    };
    let hint = |expected: Vec<&str>| match nearest(first, expected.iter().copied()) {
        Some(s) => format!(" (did you mean \"{s}\"?)"),
        None if expected.is_empty() => " (no fields are allowed here)".to_string(),
        None => format!(" (expected one of: {})", expected.join(", ")),
    };
    if msg.starts_with("unknown field `") {
        format!("unknown field \"{first}\" {place}{}", hint(expected()))
    } else if msg.starts_with("unknown variant `") {
        let place = if path.is_empty() {
            String::new()
        } else {
            format!(" for {path}")
        };
        format!("unknown value \"{first}\"{place}{}", hint(expected()))
    } else if msg.starts_with("missing field `") {
        format!("missing field \"{first}\" {place}")
    } else if msg.starts_with("duplicate field `") {
        format!("duplicate field \"{first}\" {place}")
    } else {
        let msg = msg.replace('`', "\"");
        if path.is_empty() {
            msg
        } else {
            format!("{path}: {msg}")
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Validating deserializers (errors are raised inside serde_yaml_ng's deserialize_* so that they
// carry the line of the offending value)
// ---------------------------------------------------------------------------------------------

thread_local! {
    /// Team names and aliases seen so far in the document being parsed (duplicate detection).
    static SEEN: RefCell<HashSet<(&'static str, String)>> = RefCell::new(HashSet::new());
}

#[derive(Clone, Copy)]
enum Check {
    /// A label value: ≤ 63 chars, alphanumeric at both ends, `-_.` inside.
    LabelValue,
    /// A label/annotation key: `[prefix/]name`.
    LabelKey,
    /// A namespace glob.
    Glob,
    /// `YYYY-MM-DD`.
    Date,
    /// Any non-empty string.
    Text,
    /// One of [`RULE_IDS`].
    RuleId,
}

#[derive(Clone, Copy)]
struct Str {
    what: &'static str,
    check: Check,
    /// Scope for duplicate detection within one document.
    unique: Option<&'static str>,
}

const TEAM_NAME: Str = Str {
    what: "team name",
    check: Check::LabelValue,
    unique: Some("team"),
};
const TEAM_ALIAS: Str = Str {
    what: "team alias",
    check: Check::LabelValue,
    unique: Some("team"),
};
const RULE_TEAM: Str = Str {
    what: "team name",
    check: Check::LabelValue,
    unique: None,
};
const STAGE: Str = Str {
    what: "stage",
    check: Check::LabelValue,
    unique: None,
};
const STAGE_UNIQUE: Str = Str {
    what: "stage",
    check: Check::LabelValue,
    unique: Some("stage"),
};
const KEY: Str = Str {
    what: "label key",
    check: Check::LabelKey,
    unique: None,
};
const GLOB: Str = Str {
    what: "namespace glob",
    check: Check::Glob,
    unique: None,
};
const DATE: Str = Str {
    what: "date",
    check: Check::Date,
    unique: None,
};
const TEXT: Str = Str {
    what: "string",
    check: Check::Text,
    unique: None,
};
const RULE_ID: Str = Str {
    what: "check rule id",
    check: Check::RuleId,
    unique: None,
};

fn is_label_value(s: &str) -> bool {
    let alnum = |c: char| c.is_ascii_alphanumeric();
    !s.is_empty()
        && s.len() <= 63
        && s.starts_with(alnum)
        && s.ends_with(alnum)
        && s.chars().all(|c| alnum(c) || matches!(c, '-' | '_' | '.'))
}

fn is_dns_subdomain(s: &str) -> bool {
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !s.is_empty()
        && s.len() <= 253
        && s.starts_with(ok)
        && s.ends_with(ok)
        && s.chars().all(|c| ok(c) || c == '-' || c == '.')
}

fn is_label_key(s: &str) -> bool {
    match s.split_once('/') {
        Some((prefix, name)) => is_dns_subdomain(prefix) && is_label_value(name),
        None => is_label_value(s),
    }
}

fn validate(s: &str, spec: Str) -> Result<(), String> {
    let what = spec.what;
    match spec.check {
        Check::LabelValue if !is_label_value(s) => Err(format!(
            "invalid {what} \"{s}\": must be 1-63 characters, letters, digits, '-', '_' or '.', \
             starting and ending with a letter or digit"
        )),
        Check::LabelKey if !is_label_key(s) => Err(format!(
            "invalid {what} \"{s}\": expected [prefix/]name, e.g. team or example.com/team"
        )),
        Check::Glob
            if s.is_empty()
                || !s.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '*' | '?')
                }) =>
        {
            Err(format!(
                "invalid {what} \"{s}\": use lower-case namespace names with * and ? wildcards"
            ))
        }
        Check::Date if s.parse::<Date>().is_err() => {
            Err(format!("invalid {what} \"{s}\": expected YYYY-MM-DD"))
        }
        Check::Text if s.is_empty() => Err(format!("empty {what}")),
        Check::RuleId => s.parse::<RuleId>().map(|_| ()),
        _ => Ok(()),
    }
}

impl Visitor<'_> for Str {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {}", self.what)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        validate(v, self).map_err(E::custom)?;
        if let Some(scope) = self.unique {
            let fresh = SEEN.with(|s| s.borrow_mut().insert((scope, v.to_string())));
            if !fresh {
                return Err(E::custom(match scope {
                    "team" => format!("duplicate team name or alias \"{v}\""),
                    _ => format!("duplicate {} \"{v}\"", self.what),
                }));
            }
        }
        Ok(v.to_string())
    }
}

impl<'de> DeserializeSeed<'de> for Str {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_str(self)
    }
}

/// A sequence of validated strings.
#[derive(Clone, Copy)]
struct StrSeq {
    item: Str,
    what: &'static str,
    non_empty: bool,
}

impl<'de> Visitor<'de> for StrSeq {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a list of {}", self.what)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
        let mut out = Vec::new();
        while let Some(s) = seq.next_element_seed(self.item)? {
            out.push(s);
        }
        if self.non_empty && out.is_empty() {
            return Err(de::Error::custom(format!(
                "the list of {} must not be empty",
                self.what
            )));
        }
        Ok(out)
    }
}

fn seq<'de, D: Deserializer<'de>>(
    d: D,
    item: Str,
    what: &'static str,
    non_empty: bool,
) -> Result<Vec<String>, D::Error> {
    d.deserialize_seq(StrSeq {
        item,
        what,
        non_empty,
    })
}

fn de_team_name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    TEAM_NAME.deserialize(d)
}

fn de_aliases<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    seq(d, TEAM_ALIAS, "team aliases", false)
}

fn de_globs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    seq(d, GLOB, "namespace globs", true)
}

fn de_opt_rule_team<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    RULE_TEAM.deserialize(d).map(Some)
}

fn de_opt_stage<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    STAGE.deserialize(d).map(Some)
}

fn de_opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    DATE.deserialize(d).map(Some)
}

fn de_opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    TEXT.deserialize(d).map(Some)
}

fn de_opt_key<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    KEY.deserialize(d).map(Some)
}

fn de_opt_keys<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    seq(d, KEY, "label keys", false).map(Some)
}

fn de_opt_stages<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    seq(d, STAGE_UNIQUE, "stages", true).map(Some)
}

/// A `check.severity` key: a known rule id.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct RuleIdKey(String);

impl<'de> Deserialize<'de> for RuleIdKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        RULE_ID.deserialize(d).map(RuleIdKey)
    }
}

fn de_opt_severity<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<BTreeMap<String, Severity>>, D::Error> {
    let map = BTreeMap::<RuleIdKey, Severity>::deserialize(d)?;
    Ok(Some(map.into_iter().map(|(k, v)| (k.0, v)).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// The schema example of PRODUCT.md ("Config file"); README.md's "Configuration" shows the same document.
    const PRODUCT_EXAMPLE: &str = r##"keys:                     # all optional; defaults shown
  team: team
  stage: lifecycle
  sunset: kubectl-owner/sunset
  exempt: kubectl-owner/exempt
  teamFallbacks: [owner, tags.datadoghq.com/team, opslevel.com/owner, backstage.io/kubernetes-owner]
  stageFallbacks: [opslevel.com/lifecycle]
stages: [experimental, production, deprecated, retired]
workloads: [argoproj.io/v1alpha1/Rollout]     # extra workload kinds, group/version/Kind
rules:                    # namespace defaults; first match wins; globs
  - namespaces: ["kube-*", monitoring]
    team: platform
    stage: production
check:
  sunsetWarningDays: 30
  severity: {missing-stage: error}            # override any rule's default severity
teams:
  - name: payments
    aliases: [payments-old]
    chat: "#payments"
    oncall: https://pager.example/schedules/P123
    email: payments@example.com
    runbook: https://runbooks.example/payments
"##;

    const ORIGIN: &str = "/home/u/.config/kubectl-owner/config.yaml";

    fn err(text: &str) -> ConfigError {
        parse(text, ORIGIN).expect_err("should fail")
    }

    fn cfg(text: &str) -> ConfigFile {
        parse(text, ORIGIN).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn defaults() {
        let c = Config::default();
        assert_eq!(c.keys.team, "team");
        assert_eq!(c.keys.stage, "lifecycle");
        assert_eq!(c.keys.sunset, "kubectl-owner/sunset");
        assert_eq!(c.keys.exempt, "kubectl-owner/exempt");
        assert_eq!(
            c.keys.team_fallbacks,
            [
                "owner",
                "tags.datadoghq.com/team",
                "opslevel.com/owner",
                "backstage.io/kubernetes-owner"
            ]
        );
        assert_eq!(c.keys.stage_fallbacks, ["opslevel.com/lifecycle"]);
        assert_eq!(c.keys.exempt_fallbacks, ["a8r.io/ignore"]);
        assert_eq!(
            c.stages,
            ["experimental", "production", "deprecated", "retired"]
        );
        assert_eq!(c.workloads.len(), 1);
        assert_eq!(c.workloads[0].to_string(), "argoproj.io/v1alpha1/Rollout");
        assert_eq!(c.workloads[0].to_string(), "argoproj.io/v1alpha1/Rollout");
        assert!(c.rules.is_empty());
        assert_eq!(c.check.sunset_warning_days, 30);
        assert!(c.check.severity.is_empty());
        assert!(!c.has_registry());
        assert_eq!(merge(None, None), c);
        assert_eq!(c.keys.team_keys()[0], "team");
        assert_eq!(
            c.keys.exempt_keys(),
            ["kubectl-owner/exempt", "a8r.io/ignore"]
        );
    }

    #[test]
    fn empty_documents_are_defaults() {
        for text in ["", "\n", "# only a comment\n", "---\n", "null\n"] {
            assert_eq!(cfg(text), ConfigFile::default(), "{text:?}");
        }
        assert_eq!(merge(Some(cfg("")), None), Config::default());
    }

    fn check_example(file: ConfigFile) {
        let c = merge(Some(file), None);
        // The example shows the defaults for everything but rules, severity and teams.
        let d = Config::default();
        assert_eq!(c.keys, d.keys);
        assert_eq!(c.stages, d.stages);
        assert_eq!(c.workloads, d.workloads);
        assert_eq!(c.check.sunset_warning_days, 30);
        assert_eq!(
            c.check.severity.get("missing-stage"),
            Some(&Severity::Error)
        );
        assert_eq!(c.check.severity_for(RuleId::MissingStage), Severity::Error);
        assert_eq!(c.check.severity_for(RuleId::SunsetSoon), Severity::Warning);
        assert_eq!(c.rules.len(), 1);
        let r = &c.rules[0];
        assert_eq!(r.namespaces, ["kube-*", "monitoring"]);
        assert_eq!(r.team.as_deref(), Some("platform"));
        assert_eq!(r.stage.as_deref(), Some("production"));
        assert_eq!(r.name(), "kube-*");
        assert!(r.matches("kube-system") && r.matches("monitoring") && !r.matches("payments"));
        assert_eq!(c.matching_rules("kube-public").count(), 1);
        assert_eq!(c.teams.len(), 1);
        let t = &c.teams[0];
        assert_eq!(t.name, "payments");
        assert_eq!(t.aliases, ["payments-old"]);
        assert_eq!(
            t.contacts(),
            [
                ("chat", "#payments"),
                ("oncall", "https://pager.example/schedules/P123"),
                ("email", "payments@example.com"),
                ("runbook", "https://runbooks.example/payments"),
            ]
        );
        assert!(c.has_registry());
        assert_eq!(
            c.canonical_team("payments-old").map(|t| t.name.as_str()),
            Some("payments")
        );
        assert_eq!(
            c.canonical_team("payments").map(|t| t.name.as_str()),
            Some("payments")
        );
        assert!(c.canonical_team("payment").is_none());
    }

    #[test]
    fn product_example_parses() {
        check_example(cfg(PRODUCT_EXAMPLE));
    }

    /// The YAML block after `<!-- config:example -->` in README.md.
    fn readme_example() -> &'static str {
        let readme = include_str!("../../README.md");
        let after = &readme[readme
            .find("<!-- config:example -->")
            .expect("marker in README")..];
        let start = after.find("```yaml\n").expect("yaml block") + "```yaml\n".len();
        &after[start..start + after[start..].find("```").expect("closing fence")]
    }

    #[test]
    fn readme_config_example_parses() {
        let file = cfg(readme_example());
        assert_eq!(file, cfg(PRODUCT_EXAMPLE));
        check_example(file);
    }

    #[test]
    fn unknown_field_in_keys() {
        let e = err("keys:\n  team: squad\n  # comment\n  stagez: phase\n");
        assert_eq!(e.line, Some(4));
        assert_eq!(
            e.to_string(),
            "config /home/u/.config/kubectl-owner/config.yaml: line 4: unknown field \"stagez\" in keys (did you mean \"stage\"?)"
        );
    }

    #[test]
    fn unknown_field_at_every_level() {
        let e = err("stages: [a]\nteamz:\n  - name: x\n");
        assert_eq!(e.line, Some(2));
        assert_eq!(
            e.message,
            "unknown field \"teamz\" at top level (did you mean \"teams\"?)"
        );

        let e = err("teams:\n  - name: payments\n    chat: x\n  - name: search\n    alias: [s]\n");
        assert_eq!(e.line, Some(5));
        assert_eq!(
            e.message,
            "unknown field \"alias\" in teams[1] (did you mean \"aliases\"?)"
        );

        let e = err("rules:\n  - namespaces: [a]\n    stages: production\n");
        assert_eq!(e.line, Some(3));
        assert_eq!(
            e.message,
            "unknown field \"stages\" in rules[0] (did you mean \"stage\"?)"
        );

        let e = err("check:\n  sunset_warning_days: 10\n");
        assert_eq!(e.line, Some(2));
        assert_eq!(
            e.message,
            "unknown field \"sunset_warning_days\" in check (did you mean \"sunsetWarningDays\"?)"
        );

        let e = err("keys:\n  team_fallbacks: [a]\n");
        assert_eq!(
            e.message,
            "unknown field \"team_fallbacks\" in keys (did you mean \"teamFallbacks\"?)"
        );

        // keys.exemptFallbacks is not part of the schema.
        let e = err("keys:\n  exemptFallbacks: [a]\n");
        assert!(
            e.message
                .starts_with("unknown field \"exemptFallbacks\" in keys"),
            "{e}"
        );

        // Nothing near: list the valid names.
        let e = err("teams:\n  - name: x\n    slack: '#x'\n");
        assert_eq!(e.line, Some(3));
        assert_eq!(
            e.message,
            "unknown field \"slack\" in teams[0] (expected one of: name, aliases, chat, oncall, email, runbook)"
        );
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

    #[test]
    fn malformed_yaml_names_the_line() {
        let e = err("keys:\n  team: a\n stage: b\n");
        assert_eq!(e.line, Some(3));
        assert!(
            e.to_string()
                .starts_with(&format!("config {ORIGIN}: line 3: ")),
            "{e}"
        );
        assert!(!e.to_string().contains('\n'));
        assert!(!e.message.contains(" at line "), "{e}");

        let e = err("teams:\n  - name: [unclosed\n");
        assert!(e.line.is_some(), "{e}");
        assert!(!e.to_string().contains('\n'));

        let e = err("- just\n- a list\n");
        assert_eq!(e.line, Some(1));

        let e = err("check:\n  sunsetWarningDays: soon\n");
        assert_eq!(e.line, Some(2));
        assert!(
            e.message
                .starts_with("check.sunsetWarningDays: invalid type: string \"soon\""),
            "{e}"
        );

        let e = err("rules:\n  - team: x\n");
        assert_eq!(e.line, Some(2));
        assert_eq!(e.message, "missing field \"namespaces\" in rules[0]");
    }

    #[test]
    fn validation() {
        // Stage and team names are label values.
        let e = err("stages: [experimental, Prod uction]\n");
        assert_eq!(e.line, Some(1));
        assert!(
            e.message
                .starts_with("stages[1]: invalid stage \"Prod uction\""),
            "{e}"
        );
        let e = err("stages: []\n");
        assert!(e.message.contains("must not be empty"), "{e}");
        let e = err("stages: [a, b, a]\n");
        assert!(e.message.contains("duplicate stage \"a\""), "{e}");
        let e = err("teams:\n  - name: -payments\n");
        assert_eq!(e.line, Some(2));
        assert!(
            e.message
                .starts_with("teams[0].name: invalid team name \"-payments\""),
            "{e}"
        );
        let e = err(&format!("teams:\n  - name: {}\n", "a".repeat(64)));
        assert!(e.message.contains("invalid team name"), "{e}");
        cfg(&format!("teams:\n  - name: {}\n", "a".repeat(63)));
        cfg("teams:\n  - name: Team_1.x-y\n");

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

        // Workloads.
        let e = err("workloads:\n  - argoproj.io/v1alpha1/Rollout\n  - rollout\n");
        assert_eq!(e.line, Some(3));
        assert!(
            e.message
                .contains("invalid workload kind \"rollout\": expected group/version/Kind"),
            "{e}"
        );
        for bad in [
            "a/b",
            "a/v1/Kind/x",
            "argoproj.io/v1alpha1/rollout",
            "/v1/Kind",
            "Argo.io/v1/Kind",
            "a.io//Kind",
        ] {
            assert!(bad.parse::<WorkloadKind>().is_err(), "{bad}");
        }
        let w: WorkloadKind = "example.com/v1beta1/Widget".parse().unwrap();
        assert_eq!(
            (w.group.as_str(), w.version.as_str(), w.kind.as_str()),
            ("example.com", "v1beta1", "Widget")
        );

        // Keys.
        let e = err("keys:\n  team: \"my team\"\n");
        assert!(
            e.message
                .starts_with("keys.team: invalid label key \"my team\""),
            "{e}"
        );
        cfg("keys:\n  team: example.com/team\n  teamFallbacks: []\n");

        // Rules.
        let e = err("rules:\n  - namespaces: [Kube-*]\n");
        assert!(
            e.message.contains("invalid namespace glob \"Kube-*\""),
            "{e}"
        );
        let e = err("rules:\n  - namespaces: []\n");
        assert!(e.message.contains("must not be empty"), "{e}");
        let e = err("rules:\n  - namespaces: [a]\n    sunset: 2026-02-30\n");
        assert_eq!(e.line, Some(3));
        assert!(
            e.message
                .contains("invalid date \"2026-02-30\": expected YYYY-MM-DD"),
            "{e}"
        );
        let f = cfg(
            "rules:\n  - namespaces: [legacy-*]\n    stage: deprecated\n    sunset: 2028-02-29\n    exempt: vendor code\n    chat: '#legacy'\n    owner: jane\n",
        );
        let r = &f.rules.unwrap()[0];
        assert_eq!(r.sunset.as_deref(), Some("2028-02-29"));
        assert_eq!(r.exempt.as_deref(), Some("vendor code"));
        assert_eq!(
            (r.contact("chat"), r.contact("owner"), r.contact("support")),
            (Some("#legacy"), Some("jane"), None)
        );
        assert_eq!(r.contact("runbook"), None);
    }

    #[test]
    fn merge_precedence() {
        let local = cfg(
            "keys:\n  team: squad\nrules:\n  - namespaces: [dev-*]\n    team: local\ncheck:\n  severity: {sunset-soon: error}\n\
             teams:\n  - name: payments\n    chat: '#pay-local'\n  - name: search\n",
        );
        let cluster = cfg(
            "keys:\n  stage: phase\n  team: owner-team\nstages: [alpha, ga]\nworkloads: [example.com/v1/Widget]\n\
             rules:\n  - namespaces: ['*']\n    team: cluster\ncheck:\n  sunsetWarningDays: 14\n  severity: {sunset-soon: warning, missing-stage: error}\n\
             teams:\n  - name: payments\n    chat: '#pay-cluster'\n    oncall: https://pager\n  - name: platform\n",
        );
        let c = merge(Some(local.clone()), Some(cluster.clone()));
        assert_eq!(c.keys.team, "squad"); // local wins
        assert_eq!(c.keys.stage, "phase"); // cluster, not in local
        assert_eq!(c.keys.sunset, "kubectl-owner/sunset"); // default
        assert_eq!(c.stages, ["alpha", "ga"]);
        assert_eq!(c.workloads[0].kind, "Widget");
        assert_eq!(c.check.sunset_warning_days, 14);
        assert_eq!(c.check.severity["sunset-soon"], Severity::Error);
        assert_eq!(c.check.severity["missing-stage"], Severity::Error);
        // Local rules first.
        let teams: Vec<_> = c.rules.iter().map(|r| r.team.as_deref().unwrap()).collect();
        assert_eq!(teams, ["local", "cluster"]);
        assert_eq!(
            c.matching_rules("dev-x").next().unwrap().team.as_deref(),
            Some("local")
        );
        assert_eq!(
            c.matching_rules("prod").next().unwrap().team.as_deref(),
            Some("cluster")
        );
        // Teams by name; the local entry wins as a whole.
        let names: Vec<_> = c.teams.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["payments", "search", "platform"]);
        let p = c.canonical_team("payments").unwrap();
        assert_eq!(p.chat.as_deref(), Some("#pay-local"));
        assert_eq!(p.oncall, None);

        // Local stages override the cluster's whole list.
        let c = merge(Some(cfg("stages: [dev, prod]\n")), Some(cluster.clone()));
        assert_eq!(c.stages, ["dev", "prod"]);
        // Only the cluster.
        let c = merge(None, Some(cluster));
        assert_eq!(c.keys.team, "owner-team");
        assert_eq!(c.rules.len(), 1);
        // Only local.
        let c = merge(Some(local), None);
        assert_eq!(c.keys.stage, "lifecycle");
        assert_eq!(c.teams.len(), 2);
    }

    #[test]
    fn globs() {
        assert!(glob_match("kube-*", "kube-system"));
        assert!(glob_match("kube-*", "kube-"));
        assert!(!glob_match("kube-*", "kube"));
        assert!(!glob_match("kube-*", "my-kube-system"));
        assert!(glob_match("*-prod", "payments-prod"));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("*", ""));
        assert!(glob_match("team-?", "team-a"));
        assert!(!glob_match("team-?", "team-ab"));
        assert!(!glob_match("team-?", "team-"));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(glob_match("a*b*c", "abc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
        assert!(glob_match("*a*", "banana"));
        assert!(glob_match("monitoring", "monitoring"));
        assert!(!glob_match("monitoring", "monitoring-2"));
        assert!(!glob_match("monitoring", "monitorin"));
        let r = Rule::new(["kube-*", "monitoring", "?-?"]);
        assert!(r.matches("kube-system") && r.matches("monitoring") && r.matches("a-b"));
        assert!(!r.matches("default"));
    }

    #[test]
    fn suggestions() {
        let mut c = Config::default();
        let mut p = Team::new("payments");
        p.aliases = vec!["billing".into()];
        c.teams = vec![p, Team::new("search"), Team::new("platform")];
        assert_eq!(c.suggest_team("paymnets").as_deref(), Some("payments"));
        assert_eq!(c.suggest_team("Payments").as_deref(), Some("payments"));
        assert_eq!(c.suggest_team("payment").as_deref(), Some("payments"));
        assert_eq!(c.suggest_team("biling").as_deref(), Some("payments"));
        assert_eq!(
            c.nearest_team("biling").map(|(t, m)| (t.name.as_str(), m)),
            Some(("payments", "billing"))
        );
        assert_eq!(c.suggest_team("serch").as_deref(), Some("search"));
        assert_eq!(c.suggest_team("platfrom").as_deref(), Some("platform"));
        assert_eq!(c.suggest_team("billing").as_deref(), Some("payments"));
        assert_eq!(c.suggest_team("zz"), None);
        assert_eq!(c.suggest_team("data-science"), None);
        assert_eq!(c.canonical_team("billing").unwrap().name, "payments");
        assert!(c.canonical_team("Billing").is_none());
        assert_eq!(c.suggest_stage("prod"), None);
        assert_eq!(c.suggest_stage("productoin"), Some("production"));
        assert!(c.is_stage("retired") && !c.is_stage("Retired"));
    }

    static ENV: Mutex<()> = Mutex::new(());

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "kubectl-owner-config-test-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn lookup_order_pure() {
        let d = scratch("pure");
        let envf = d.join("env.yaml");
        let xdg = d.join("xdg");
        let home = d.join("home");
        let xdg_file = xdg.join("kubectl-owner/config.yaml");
        let home_file = home.join("kubectl-owner/config.yaml");
        let env = |envf: Option<&Path>, xdg: Option<&Path>| {
            let envf = envf.map(|p| p.as_os_str().to_owned());
            let xdg = xdg.map(|p| p.as_os_str().to_owned());
            move |k: &str| match k {
                CONFIG_ENV => envf.clone(),
                "XDG_CONFIG_HOME" => xdg.clone(),
                _ => None,
            }
        };
        // Nothing exists.
        assert_eq!(
            locate_with(None, env(Some(&envf), Some(&xdg)), Some(home.clone())),
            None
        );
        // Explicit is returned even when missing.
        let explicit = d.join("missing.yaml");
        assert_eq!(
            locate_with(Some(&explicit), env(None, None), None),
            Some(explicit.clone())
        );
        write(&home_file, "");
        assert_eq!(
            locate_with(None, env(Some(&envf), Some(&xdg)), Some(home.clone())),
            Some(home_file.clone())
        );
        write(&xdg_file, "");
        assert_eq!(
            locate_with(None, env(Some(&envf), Some(&xdg)), Some(home.clone())),
            Some(xdg_file.clone())
        );
        // XDG_CONFIG_HOME only counts when set.
        assert_eq!(
            locate_with(None, env(None, None), Some(home.clone())),
            Some(home_file.clone())
        );
        write(&envf, "");
        assert_eq!(
            locate_with(None, env(Some(&envf), Some(&xdg)), Some(home.clone())),
            Some(envf.clone())
        );
        assert_eq!(
            locate_with(
                Some(&explicit),
                env(Some(&envf), Some(&xdg)),
                Some(home.clone())
            ),
            Some(explicit)
        );
        // Same directory twice is listed once.
        assert_eq!(
            candidates(env(None, Some(&xdg)), Some(xdg.clone())).len(),
            1
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn lookup_order_with_env_vars() {
        let _guard = ENV.lock().unwrap_or_else(|e| e.into_inner());
        let saved: Vec<_> = [CONFIG_ENV, "XDG_CONFIG_HOME"]
            .iter()
            .map(|k| (*k, std::env::var_os(k)))
            .collect();
        let d = scratch("env");
        let envf = d.join("from-env.yaml");
        let xdg = d.join("xdg");
        let xdg_file = xdg.join("kubectl-owner/config.yaml");
        // SAFETY: tests touching the environment hold the ENV mutex.
        unsafe {
            std::env::set_var(CONFIG_ENV, &envf);
            std::env::set_var("XDG_CONFIG_HOME", &xdg);
        }
        assert_eq!(search_path()[0], envf);
        assert_eq!(search_path()[1], xdg_file);
        // Missing env file falls through to XDG.
        write(&xdg_file, "keys:\n  team: squad\n");
        assert_eq!(locate(None), Some(xdg_file.clone()));
        assert_eq!(
            load_local(None)
                .unwrap()
                .unwrap()
                .keys
                .unwrap()
                .team
                .as_deref(),
            Some("squad")
        );
        write(&envf, "stages: [a]\n");
        assert_eq!(locate(None), Some(envf.clone()));
        assert_eq!(
            load_local(None).unwrap().unwrap().stages,
            Some(vec!["a".to_string()])
        );
        // --config wins; a missing --config is an error.
        let explicit = d.join("explicit.yaml");
        let e = load_local(Some(&explicit)).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("config {}: file not found", explicit.display())
        );
        write(&explicit, "");
        assert_eq!(
            load_local(Some(&explicit)).unwrap(),
            Some(ConfigFile::default())
        );
        // An invalid file names itself.
        write(&envf, "stagez: [a]\n");
        let e = load_local(None).unwrap_err();
        assert_eq!(e.origin, envf.display().to_string());
        assert_eq!(e.line, Some(1));
        // Empty env var is ignored.
        unsafe {
            std::env::set_var(CONFIG_ENV, "");
        }
        assert_eq!(locate(None), Some(xdg_file));
        // SAFETY: as above.
        unsafe {
            for (k, v) in saved {
                match v {
                    Some(v) => std::env::set_var(k, v),
                    None => std::env::remove_var(k),
                }
            }
        }
        let _ = std::fs::remove_dir_all(&d);
    }
}
