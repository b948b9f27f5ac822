//! `kubectl owner policy`: the config's ownership rules as a `ValidatingAdmissionPolicy` (CEL,
//! admissionregistration.k8s.io/v1) and its binding, so the cluster refuses at admission what
//! `check` would report afterwards.
//!
//! The expressions mirror [`crate::core::ownership::resolve`] and
//! [`crate::core::policy::rules_broken`] for an object no workload controls: the object's labels
//! then annotations for each key in order, then its namespace's (`namespaceObject`), then the
//! first config rule whose namespace glob matches and sets the field. A value is carried as a
//! one-element list (`[]` when nothing sets it), so that every branch of every expression has one
//! type and an empty value stays a value, as `check` reads it.

use k8s_openapi::api::admissionregistration::v1::{
    MatchCondition, MatchResources, NamedRuleWithOperations, ValidatingAdmissionPolicy,
    ValidatingAdmissionPolicyBinding, ValidatingAdmissionPolicyBindingSpec,
    ValidatingAdmissionPolicySpec, Validation, Variable,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::config::{Config, Rule};
use crate::core::kinds::Kind;
use crate::core::rules::{RuleId, Severity};

/// The policy's and the binding's name.
pub const NAME: &str = "kubectl-owner";

/// What the binding does with a failed validation (`--action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Deny,
    Warn,
    Audit,
}

impl Action {
    fn validation_action(self) -> &'static str {
        match self {
            Action::Deny => "Deny",
            Action::Warn => "Warn",
            Action::Audit => "Audit",
        }
    }
}

/// The rules admission can enforce: the others compare a sunset date with today, which an
/// admission policy cannot see (CEL in Kubernetes has no clock).
pub const ENFORCEABLE: [RuleId; 7] = [
    RuleId::MissingTeam,
    RuleId::UnknownTeam,
    RuleId::MissingStage,
    RuleId::InvalidStage,
    RuleId::DeprecatedWithoutSunset,
    RuleId::RetiredPresent,
    RuleId::InvalidSunset,
];

/// `--rules` unset: the enforceable rules the config makes errors (unknown-team only with a
/// registry, where it can fire).
pub fn default_rules(config: &Config) -> Vec<RuleId> {
    ENFORCEABLE
        .into_iter()
        .filter(|r| config.check.severity_for(*r) == Severity::Error)
        .filter(|r| *r != RuleId::UnknownTeam || config.has_registry())
        .collect()
}

/// `--rules a,b`: each one enforceable, or one error line naming why not.
pub fn parse_rules(text: &str) -> Result<Vec<RuleId>, String> {
    // (`unknown-team` without a registry is refused by `generate`, which has the config.)
    let mut rules = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let rule: RuleId = name.parse()?;
        if !ENFORCEABLE.contains(&rule) {
            return Err(format!(
                "rule \"{rule}\" cannot be enforced at admission: it compares the sunset date with today, and an admission policy has no clock (enforceable: {})",
                ENFORCEABLE.map(RuleId::as_str).join(", ")
            ));
        }
        if !rules.contains(&rule) {
            rules.push(rule);
        }
    }
    if rules.is_empty() {
        return Err("--rules names no rule".to_string());
    }
    Ok(rules)
}

/// A CEL string literal.
fn lit(text: &str) -> String {
    let mut out = String::from("'");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn list(values: &[&str]) -> String {
    let items: Vec<String> = values.iter().map(|v| lit(v)).collect();
    format!("[{}]", items.join(", "))
}

/// A namespace glob (`*` any run, `?` one character) as an anchored RE2 pattern. Namespace names
/// are DNS labels: a glob with any other character can never match one, and is refused.
fn glob_regex(glob: &str) -> Result<String, String> {
    let mut out = String::from("^");
    for c in glob.chars() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            c if c.is_ascii_lowercase() || c.is_ascii_digit() => out.push(c),
            '-' => out.push_str("\\-"),
            c => {
                return Err(format!(
                    "rule namespace glob \"{glob}\" cannot be expressed in the policy: '{c}' is not in a namespace name (a-z, 0-9, -)"
                ));
            }
        }
    }
    out.push('$');
    Ok(out)
}

/// The characters Rust's `str::trim` removes (Unicode White_Space), which `check` trims values of,
/// as a class RE2 and Rust's regex both read.
macro_rules! blank {
    () => {
        "[\\t\\n\\v\\f\\r \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}]"
    };
}

/// `YYYY-MM-DD` naming a real day of the proleptic Gregorian calendar, with blanks around it
/// (`check` trims the value).
const DATE: &str = concat!(
    "^",
    blank!(),
    "*(",
    "[0-9]{4}-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])",
    "|[0-9]{4}-(0[469]|11)-(0[1-9]|[12][0-9]|30)",
    "|[0-9]{4}-02-(0[1-9]|1[0-9]|2[0-8])",
    "|([0-9]{2}(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)-02-29",
    ")",
    blank!(),
    "*$"
);

/// `false` in any ASCII case (as `check`'s `eq_ignore_ascii_case`: no Unicode case folding, in
/// which `ſ` is an `s`), with blanks around it: the exempt value that opts back in.
const NOT_EXEMPT: &str = concat!("^", blank!(), "*[Ff][Aa][Ll][Ss][Ee]", blank!(), "*$");

/// The one-element list holding a field's value, or `[]`: levels (object, then namespace), each
/// key in order (labels before annotations), then the first matching rule that sets it.
fn field(keys: &[&str], rules: &[(&Rule, Option<&str>)]) -> Result<String, String> {
    let mut expr = "[]".to_string();
    for (rule, value) in rules.iter().rev() {
        let Some(value) = value else { continue };
        let globs: Result<Vec<String>, String> = rule
            .namespaces
            .iter()
            .map(|g| glob_regex(g).map(|re| format!("variables.namespace.matches({})", lit(&re))))
            .collect();
        expr = format!("({}) ? [{}] : {expr}", globs?.join(" || "), lit(value));
    }
    for (labels, annotations) in [
        ("variables.nsLabels", "variables.nsAnnotations"),
        ("variables.labels", "variables.annotations"),
    ] {
        for key in keys.iter().rev() {
            let k = lit(key);
            expr = format!(
                "{k} in {labels} ? [{labels}[{k}]] : ({k} in {annotations} ? [{annotations}[{k}]] : ({expr}))"
            );
        }
    }
    Ok(expr)
}

fn variable(name: &str, expression: String) -> Variable {
    Variable {
        name: name.to_string(),
        expression,
    }
}

/// One validation per rule: true when the object passes it (or is exempt).
fn validation(rule: RuleId, config: &Config) -> Validation {
    let team_key = &config.keys.team;
    let stage_key = &config.keys.stage;
    let teams: Vec<&str> = config
        .teams
        .iter()
        .flat_map(|t| std::iter::once(t.name.as_str()).chain(t.aliases.iter().map(String::as_str)))
        .collect();
    let names: Vec<&str> = config.teams.iter().map(|t| t.name.as_str()).collect();
    let known = match names.is_empty() {
        true => String::new(),
        false => format!("; known teams: {}", names.join(", ")),
    };
    let stages = config.stages.join(", ");
    let (expression, message, message_expression) = match rule {
        RuleId::MissingTeam => (
            "size(variables.team) > 0".to_string(),
            format!("missing-team: set label {team_key}=<team> on the object or its namespace{known}"),
            Some(format!(
                "{} + object.kind + {}",
                lit(&format!("missing-team: set label {team_key}=<team> on the ")),
                lit(&format!(" or its namespace{known}"))
            )),
        ),
        RuleId::UnknownTeam => (
            format!("size(variables.team) == 0 || variables.team[0] in {}", list(&teams)),
            format!("unknown-team: the team is not in the team registry{known}"),
            Some(format!(
                "'unknown-team: team \"' + variables.team[0] + {}",
                lit(&format!("\" is not in the team registry{known}"))
            )),
        ),
        RuleId::MissingStage => (
            "size(variables.stage) > 0".to_string(),
            format!("missing-stage: set label {stage_key}=<stage> ({stages})"),
            None,
        ),
        RuleId::InvalidStage => {
            let stage_list: Vec<&str> = config.stages.iter().map(String::as_str).collect();
            (
                format!(
                    "size(variables.stage) == 0 || variables.stage[0] in {}",
                    list(&stage_list)
                ),
                format!("invalid-stage: the stage is not one of {stages}"),
                Some(format!(
                    "'invalid-stage: stage \"' + variables.stage[0] + {}",
                    lit(&format!("\" is not one of {stages}"))
                )),
            )
        }
        RuleId::DeprecatedWithoutSunset => (
            "!(size(variables.stage) > 0 && variables.stage[0] == 'deprecated' && size(variables.sunset) == 0)".to_string(),
            format!(
                "deprecated-without-sunset: set {}=YYYY-MM-DD on a deprecated object",
                config.keys.sunset
            ),
            None,
        ),
        RuleId::RetiredPresent => (
            "!(size(variables.stage) > 0 && variables.stage[0] == 'retired')".to_string(),
            "retired-present: a retired object may not be created or changed".to_string(),
            None,
        ),
        RuleId::InvalidSunset => (
            format!(
                "size(variables.sunset) == 0 || variables.sunset[0].matches({})",
                lit(DATE)
            ),
            format!(
                "invalid-sunset: {} must be a date, YYYY-MM-DD",
                config.keys.sunset
            ),
            None,
        ),
        RuleId::PastSunset | RuleId::SunsetSoon => unreachable!("not enforceable"),
    };
    Validation {
        expression: format!("variables.exempt || ({expression})"),
        message: Some(message),
        message_expression,
        reason: Some("Invalid".to_string()),
    }
}

/// The kinds `check` lists rows of: every workload kind, and pods (bare ones are rows too).
fn resource_rules(kinds: &[Kind]) -> Vec<NamedRuleWithOperations> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for kind in kinds.iter().filter(|k| k.workload || k.is_pod()) {
        match groups.iter_mut().find(|(g, _)| *g == kind.group) {
            Some((_, plurals)) => plurals.push(kind.plural.clone()),
            None => groups.push((kind.group.clone(), vec![kind.plural.clone()])),
        }
    }
    groups
        .into_iter()
        .map(|(group, resources)| NamedRuleWithOperations {
            api_groups: Some(vec![group]),
            api_versions: Some(vec!["*".to_string()]),
            operations: Some(vec!["CREATE".to_string(), "UPDATE".to_string()]),
            resources: Some(resources),
            ..Default::default()
        })
        .collect()
}

/// `check` lists an object as a row unless a workload controls it (a ReplicaSet of a
/// Deployment, a pod of a ReplicaSet): those are their controller's, checked there.
fn not_controlled(kinds: &[Kind]) -> String {
    let controllers: Vec<String> = kinds
        .iter()
        .filter(|k| k.workload)
        .map(|k| {
            let group = match k.group.as_str() {
                "" => "r.apiVersion.matches('^v[0-9]')".to_string(),
                g => format!("r.apiVersion.startsWith({})", lit(&format!("{g}/"))),
            };
            format!("(r.kind == {} && {group})", lit(&k.kind))
        })
        .collect();
    format!(
        "!has(object.metadata.ownerReferences) || !object.metadata.ownerReferences.exists(r, has(r.controller) && r.controller && ({}))",
        controllers.join(" || ")
    )
}

/// The policy and its binding.
pub fn generate(
    config: &Config,
    kinds: &[Kind],
    rules: &[RuleId],
    action: Action,
) -> Result<(ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding), String> {
    if rules.is_empty() {
        return Err(
            "no rule to enforce: the config makes none of the enforceable rules an error (name them with --rules)"
                .to_string(),
        );
    }
    if rules.contains(&RuleId::UnknownTeam) && !config.has_registry() {
        return Err(
            "rule \"unknown-team\" needs a team registry (teams: in the config): without one every team is unknown"
                .to_string(),
        );
    }
    let keys = &config.keys;
    let with = |value: &dyn Fn(&Rule) -> Option<&str>| -> Vec<(&Rule, Option<&str>)> {
        config.rules.iter().map(|r| (r, value(r))).collect()
    };
    let exempt = field(&keys.exempt_keys(), &with(&|r| r.exempt.as_deref()))?;
    let map = |path: &str| format!("has({path}) ? {path} : {{}}");
    let variables = vec![
        variable("labels", map("object.metadata.labels")),
        variable("annotations", map("object.metadata.annotations")),
        variable("nsLabels", map("namespaceObject.metadata.labels")),
        variable("nsAnnotations", map("namespaceObject.metadata.annotations")),
        variable("namespace", "namespaceObject.metadata.name".to_string()),
        variable(
            "team",
            field(&keys.team_keys(), &with(&|r| r.team.as_deref()))?,
        ),
        variable(
            "stage",
            field(&keys.stage_keys(), &with(&|r| r.stage.as_deref()))?,
        ),
        variable(
            "sunset",
            field(&keys.sunset_keys(), &with(&|r| r.sunset.as_deref()))?,
        ),
        variable("exemptValue", exempt),
        variable(
            "exempt",
            format!(
                "size(variables.exemptValue) > 0 && !variables.exemptValue[0].matches({})",
                lit(NOT_EXEMPT)
            ),
        ),
    ];
    let meta = ObjectMeta {
        name: Some(NAME.to_string()),
        labels: Some([("app.kubernetes.io/managed-by".to_string(), NAME.to_string())].into()),
        ..Default::default()
    };
    let policy = ValidatingAdmissionPolicy {
        metadata: meta.clone(),
        spec: Some(ValidatingAdmissionPolicySpec {
            failure_policy: Some("Fail".to_string()),
            match_constraints: Some(MatchResources {
                resource_rules: Some(resource_rules(kinds)),
                ..Default::default()
            }),
            match_conditions: Some(vec![
                MatchCondition {
                    name: "not-controlled-by-a-workload".to_string(),
                    expression: not_controlled(kinds),
                },
                // Removing finalizers from an object being deleted is an UPDATE: refusing it
                // would keep the object terminating for ever.
                MatchCondition {
                    name: "not-being-deleted".to_string(),
                    expression: "!has(object.metadata.deletionTimestamp)".to_string(),
                },
            ]),
            variables: Some(variables),
            validations: Some(rules.iter().map(|r| validation(*r, config)).collect()),
            ..Default::default()
        }),
        status: None,
    };
    let binding = ValidatingAdmissionPolicyBinding {
        metadata: meta,
        spec: Some(ValidatingAdmissionPolicyBindingSpec {
            policy_name: Some(NAME.to_string()),
            validation_actions: Some(vec![action.validation_action().to_string()]),
            ..Default::default()
        }),
    };
    Ok((policy, binding))
}
