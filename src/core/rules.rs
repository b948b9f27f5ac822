//! The ids of `check`'s rules and their severities.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Severity of a check finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `check` rule. The order of [`RuleId::ALL`] is the order findings of one object are listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleId {
    MissingTeam,
    UnknownTeam,
    MissingStage,
    InvalidStage,
    DeprecatedWithoutSunset,
    PastSunset,
    SunsetSoon,
    RetiredPresent,
    InvalidSunset,
}

impl RuleId {
    pub const ALL: [RuleId; 9] = [
        RuleId::MissingTeam,
        RuleId::UnknownTeam,
        RuleId::MissingStage,
        RuleId::InvalidStage,
        RuleId::DeprecatedWithoutSunset,
        RuleId::PastSunset,
        RuleId::SunsetSoon,
        RuleId::RetiredPresent,
        RuleId::InvalidSunset,
    ];

    /// The id as reports and `check.severity` spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::MissingTeam => "missing-team",
            RuleId::UnknownTeam => "unknown-team",
            RuleId::MissingStage => "missing-stage",
            RuleId::InvalidStage => "invalid-stage",
            RuleId::DeprecatedWithoutSunset => "deprecated-without-sunset",
            RuleId::PastSunset => "past-sunset",
            RuleId::SunsetSoon => "sunset-soon",
            RuleId::RetiredPresent => "retired-present",
            RuleId::InvalidSunset => "invalid-sunset",
        }
    }

    /// The severity unless `check.severity` overrides it.
    pub fn default_severity(self) -> Severity {
        match self {
            RuleId::MissingStage | RuleId::DeprecatedWithoutSunset | RuleId::SunsetSoon => {
                Severity::Warning
            }
            _ => Severity::Error,
        }
    }
}

impl FromStr for RuleId {
    type Err = String;

    fn from_str(text: &str) -> Result<RuleId, String> {
        RuleId::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
            .ok_or_else(|| {
                let ids = RuleId::ALL.map(RuleId::as_str);
                match super::nearest::nearest(text, ids) {
                    Some(n) => format!("unknown check rule \"{text}\" (did you mean \"{n}\"?)"),
                    None => format!(
                        "unknown check rule \"{text}\" (expected one of: {})",
                        ids.join(", ")
                    ),
                }
            })
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RuleId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RuleId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RuleId, D::Error> {
        // Parsed inside `visit_str`, not after reading a String, so that the YAML deserializer gives a
        // config file's unknown id its own line rather than that of the enclosing mapping.
        struct Id;

        impl serde::de::Visitor<'_> for Id {
            type Value = RuleId;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a check rule id")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<RuleId, E> {
                text.parse().map_err(E::custom)
            }
        }

        d.deserialize_str(Id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_default_severities() {
        for rule in RuleId::ALL {
            assert_eq!(rule.as_str().parse::<RuleId>(), Ok(rule));
        }
        // Findings of one object are ordered by `Ord`, which must be `ALL`'s order.
        assert!(RuleId::ALL.is_sorted());
        assert_eq!(RuleId::SunsetSoon.default_severity(), Severity::Warning);
        assert_eq!(RuleId::PastSunset.default_severity(), Severity::Error);
        assert_eq!(
            "missing-stag".parse::<RuleId>().unwrap_err(),
            "unknown check rule \"missing-stag\" (did you mean \"missing-stage\"?)"
        );
    }
}
