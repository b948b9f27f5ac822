//! Merging: the local and the cluster documents, over the defaults, into the effective
//! [`Config`]; the validated file values become the model's plain strings here.

use std::collections::HashSet;

use super::file::{ConfigFile, RuleFile, TeamFile};
use super::model::{CheckSettings, Config, Keys, Rule, Team};
use super::values::List;

/// Combines the local file and the cluster document into the effective config (see the module
/// docs for the precedence).
pub fn merge(local: Option<ConfigFile>, cluster: Option<ConfigFile>) -> Config {
    let local = local.unwrap_or_default();
    let cluster = cluster.unwrap_or_default();
    let defaults = Config::default();

    let lk = local.keys.unwrap_or_default();
    let ck = cluster.keys.unwrap_or_default();
    let dk = defaults.keys;
    let key = |l: Option<_>, c: Option<_>, d| l.or(c).map(String::from).unwrap_or(d);
    let keys = Keys {
        team: key(lk.team, ck.team, dk.team),
        stage: key(lk.stage, ck.stage, dk.stage),
        sunset: key(lk.sunset, ck.sunset, dk.sunset),
        exempt: key(lk.exempt, ck.exempt, dk.exempt),
        team_fallbacks: lk
            .team_fallbacks
            .or(ck.team_fallbacks)
            .map(List::into_strings)
            .unwrap_or(dk.team_fallbacks),
        stage_fallbacks: lk
            .stage_fallbacks
            .or(ck.stage_fallbacks)
            .map(List::into_strings)
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

    let rules = (local.rules.into_iter().flatten())
        .chain(cluster.rules.into_iter().flatten())
        .map(Rule::from)
        .collect();

    let mut teams: Vec<Team> = local.teams.into_iter().flatten().map(Team::from).collect();
    let local_names: HashSet<String> = teams.iter().map(|t| t.name.clone()).collect();
    teams.extend(
        (cluster.teams.into_iter().flatten())
            .filter(|t| !local_names.contains(&*t.name))
            .map(Team::from),
    );

    Config {
        keys,
        stages: (local.stages.or(cluster.stages))
            .map(List::into_strings)
            .unwrap_or(defaults.stages),
        workloads: local
            .workloads
            .or(cluster.workloads)
            .unwrap_or(defaults.workloads),
        rules,
        check,
        teams,
    }
}

impl From<RuleFile> for Rule {
    fn from(rule: RuleFile) -> Rule {
        let text = |t: Option<_>| t.map(String::from);
        Rule {
            namespaces: rule.namespaces.into_strings(),
            team: rule.team.map(String::from),
            stage: rule.stage.map(String::from),
            sunset: rule.sunset.map(|date| date.to_string()),
            exempt: text(rule.exempt),
            chat: text(rule.chat),
            runbook: text(rule.runbook),
            incidents: text(rule.incidents),
            repository: text(rule.repository),
            documentation: text(rule.documentation),
            support: text(rule.support),
            owner: text(rule.owner),
        }
    }
}

impl From<TeamFile> for Team {
    fn from(team: TeamFile) -> Team {
        let text = |t: Option<_>| t.map(String::from);
        Team {
            name: team.name.into(),
            aliases: team.aliases.into_strings(),
            images: team.images.into_strings(),
            groups: team.groups.into_strings(),
            managers: team.managers.into_strings(),
            chat: text(team.chat),
            oncall: text(team.oncall),
            email: text(team.email),
            runbook: text(team.runbook),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::cfg;
    use crate::core::rules::{RuleId, Severity};

    /// A document with every section (the defaults where it has no example of its own);
    /// README.md's "Configuration" shows the same document.
    const SCHEMA_EXAMPLE: &str = r##"keys:                     # all optional; defaults shown
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
    images: ["registry.example/payments/*"]       # what the team builds: evidence for suggest
    groups: [payments-devs]                       # RBAC subjects of its people: evidence for suggest
    managers: [ci-payments]                       # field managers writing for it: evidence for suggest
    chat: "#payments"
    oncall: https://pager.example/schedules/P123
    email: payments@example.com
    runbook: https://runbooks.example/payments
"##;

    fn check_example(file: ConfigFile) {
        let c = merge(Some(file), None);
        // The example shows the defaults for everything but rules, severity and teams.
        let d = Config::default();
        assert_eq!(c.keys, d.keys);
        assert_eq!(c.stages, d.stages);
        assert_eq!(c.workloads, d.workloads);
        assert_eq!(c.check.sunset_warning_days, 30);
        assert_eq!(
            c.check.severity.get(&RuleId::MissingStage),
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
        assert_eq!(t.images, ["registry.example/payments/*"]);
        assert_eq!(t.groups, ["payments-devs"]);
        assert_eq!(t.managers, ["ci-payments"]);
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
    fn schema_example_parses() {
        check_example(cfg(SCHEMA_EXAMPLE));
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
        assert_eq!(file, cfg(SCHEMA_EXAMPLE));
        check_example(file);
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
        assert_eq!(c.check.severity[&RuleId::SunsetSoon], Severity::Error);
        assert_eq!(c.check.severity[&RuleId::MissingStage], Severity::Error);
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
}
