//! The effective configuration the rest of the crate reads: keys, stages, workload kinds,
//! namespace rules, check settings and the team registry, with their defaults.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

use super::DEFAULT_STAGES;
use super::values::{from_yaml_str, is_dns_subdomain};
use crate::core::contact::ContactKey;
use crate::core::nearest::{nearest, nearest_by};
use crate::core::rules::{RuleId, Severity};

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
        from_yaml_str(d, "a workload kind group/version/Kind")
    }
}

/// A namespace rule: defaults for the namespaces matching any of its globs (`*`, `?`).
/// The first matching rule wins. Read from the file as a [`RuleFile`](super::RuleFile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub namespaces: Vec<String>,
    pub team: Option<String>,
    pub stage: Option<String>,
    /// Sunset date, `YYYY-MM-DD`.
    pub sunset: Option<String>,
    /// Exemption reason.
    pub exempt: Option<String>,
    pub chat: Option<String>,
    pub runbook: Option<String>,
    pub incidents: Option<String>,
    pub repository: Option<String>,
    pub documentation: Option<String>,
    pub support: Option<String>,
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

    /// The contact the rule sets for `key`.
    pub fn contact(&self, key: ContactKey) -> Option<&str> {
        match key {
            ContactKey::Chat => self.chat.as_deref(),
            ContactKey::Runbook => self.runbook.as_deref(),
            ContactKey::Incidents => self.incidents.as_deref(),
            ContactKey::Repository => self.repository.as_deref(),
            ContactKey::Documentation => self.documentation.as_deref(),
            ContactKey::Support => self.support.as_deref(),
            ContactKey::Owner => self.owner.as_deref(),
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
    /// Overrides of rules' default severities, keyed by rule id (`RuleId::as_str`).
    pub severity: BTreeMap<RuleId, Severity>,
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
            .get(&rule)
            .copied()
            .unwrap_or(rule.default_severity())
    }
}

/// A team of the registry. Read from the file as a [`TeamFile`](super::TeamFile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub name: String,
    pub aliases: Vec<String>,
    /// Image references or `prefix*` the team builds.
    pub images: Vec<String>,
    /// RBAC subjects the team's people are bound as.
    pub groups: Vec<String>,
    /// Field managers that write for the team (names, or `prefix*`).
    pub managers: Vec<String>,
    pub chat: Option<String>,
    pub oncall: Option<String>,
    pub email: Option<String>,
    pub runbook: Option<String>,
}

impl Team {
    /// A team with `name` and nothing else.
    #[cfg(test)]
    pub fn new(name: impl Into<String>) -> Team {
        Team {
            name: name.into(),
            aliases: Vec::new(),
            images: Vec::new(),
            groups: Vec::new(),
            managers: Vec::new(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::merge;
    use crate::config::testing::err;

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
    fn workload_kinds() {
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
}
