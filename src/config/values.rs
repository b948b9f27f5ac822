//! Validating deserializers for the string fields of the config file (errors are raised inside
//! serde_yaml_ng's `deserialize_*` so that they carry the line of the offending value).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};

use crate::core::date::Date;
use crate::core::rules::{RuleId, Severity};

thread_local! {
    /// Team names and aliases seen so far in the document being parsed (duplicate detection).
    pub(super) static SEEN: RefCell<HashSet<(&'static str, String)>> = RefCell::new(HashSet::new());
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

pub(super) fn is_dns_subdomain(s: &str) -> bool {
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

pub(super) fn de_team_name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    TEAM_NAME.deserialize(d)
}

pub(super) fn de_aliases<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    seq(d, TEAM_ALIAS, "team aliases", false)
}

pub(super) fn de_globs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    seq(d, GLOB, "namespace globs", true)
}

pub(super) fn de_opt_rule_team<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    RULE_TEAM.deserialize(d).map(Some)
}

pub(super) fn de_opt_stage<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    STAGE.deserialize(d).map(Some)
}

pub(super) fn de_opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    DATE.deserialize(d).map(Some)
}

pub(super) fn de_opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    TEXT.deserialize(d).map(Some)
}

pub(super) fn de_opt_key<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    KEY.deserialize(d).map(Some)
}

pub(super) fn de_opt_keys<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<String>>, D::Error> {
    seq(d, KEY, "label keys", false).map(Some)
}

pub(super) fn de_opt_stages<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<String>>, D::Error> {
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

pub(super) fn de_opt_severity<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<BTreeMap<String, Severity>>, D::Error> {
    let map = BTreeMap::<RuleIdKey, Severity>::deserialize(d)?;
    Ok(Some(map.into_iter().map(|(k, v)| (k.0, v)).collect()))
}

#[cfg(test)]
mod tests {
    use crate::config::WorkloadKind;
    use crate::config::testing::{cfg, err};

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
}
