//! The validated values of the config file: one type per kind of string field (team name, stage,
//! label key, namespace glob, date, text) and the lists of them. Each type checks itself in
//! `FromStr`, so a document that deserialises is valid field by field.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::str::FromStr;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::core::date::Date;

/// Deserialises a `T` from a string through its `FromStr`. The parse error is raised inside the
/// deserializer's `visit_str`, not after it returns (as `#[serde(try_from = "String")]` would):
/// only then does the YAML deserializer tag it with the value's own line and path instead of those of the
/// enclosing mapping.
pub(super) fn from_yaml_str<'de, D, T>(d: D, expecting: &'static str) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr<Err = String>,
{
    struct ParseStr<T>(&'static str, PhantomData<T>);

    impl<T: FromStr<Err = String>> Visitor<'_> for ParseStr<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            v.parse().map_err(E::custom)
        }
    }

    d.deserialize_str(ParseStr(expecting, PhantomData))
}

/// A value that can appear in a YAML list, with the list's name in errors.
pub trait Listed {
    /// E.g. `stages` in "the list of stages must not be empty".
    const LIST: &'static str;
}

/// Defines a string newtype named `$what` in errors, checked by `$check(text, what)`.
macro_rules! string_value {
    ($(#[$attr:meta])* $name:ident, $what:literal, $check:expr) => {
        $(#[$attr])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                let check: fn(&str, &str) -> Result<(), String> = $check;
                check(s, $what)?;
                Ok($name(s.to_string()))
            }
        }

        impl Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                from_yaml_str(d, concat!("a ", $what))
            }
        }
    };
}

string_value!(
    /// A registry team's name, or the team a rule sets: a label value.
    TeamName,
    "team name",
    label_value
);

string_value!(
    /// Another name of a registry team: a label value.
    TeamAlias,
    "team alias",
    label_value
);

string_value!(
    /// A lifecycle stage: a label value.
    Stage,
    "stage",
    label_value
);

string_value!(
    /// A label or annotation key, `[prefix/]name`.
    LabelKey,
    "label key",
    label_key
);

string_value!(
    /// A namespace name with `*` and `?` wildcards.
    NamespaceGlob,
    "namespace glob",
    namespace_glob
);

string_value!(
    /// Free text (a contact, an exemption reason) that must not be empty.
    NonEmptyText,
    "string",
    non_empty
);

string_value!(
    /// An image reference, or a prefix ending in `*`, as `who image/…` reads it.
    ImageRef,
    "image reference",
    image_ref
);

string_value!(
    /// An RBAC subject a team's people are bound as: a group or user name, or a service account
    /// as its user name `system:serviceaccount:NAMESPACE:NAME`.
    RbacSubject,
    "RBAC subject",
    rbac_subject
);

string_value!(
    /// A field manager name as `metadata.managedFields` records it (`argocd-controller`, a CI
    /// job's `--field-manager`), or a prefix ending in `*`.
    ManagerName,
    "field manager",
    manager_name
);

impl Listed for RbacSubject {
    const LIST: &'static str = "groups";
}

impl Listed for ManagerName {
    const LIST: &'static str = "managers";
}

impl Listed for ImageRef {
    const LIST: &'static str = "images";
}

impl Listed for TeamAlias {
    const LIST: &'static str = "team aliases";
}

impl Listed for Stage {
    const LIST: &'static str = "stages";
}

impl Listed for LabelKey {
    const LIST: &'static str = "label keys";
}

impl Listed for NamespaceGlob {
    const LIST: &'static str = "namespace globs";
}

/// A rule's sunset date, `YYYY-MM-DD`, read with the one [`Date`] parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SunsetDate(pub Date);

impl FromStr for SunsetDate {
    type Err = String;

    /// Every invalid date gets the same hint: the config names the format rather than the
    /// calendar detail `Date` reports for, e.g., a 30th of February.
    fn from_str(s: &str) -> Result<Self, String> {
        s.parse()
            .map(SunsetDate)
            .map_err(|_| format!("invalid date \"{s}\": expected YYYY-MM-DD"))
    }
}

impl fmt::Display for SunsetDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for SunsetDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SunsetDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_yaml_str(d, "a date")
    }
}

/// A YAML list of `T`; with `NON_EMPTY` it must have at least one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct List<T, const NON_EMPTY: bool = false>(pub Vec<T>);

// Not derived: that would require `T: Default`.
impl<T, const NON_EMPTY: bool> Default for List<T, NON_EMPTY> {
    fn default() -> Self {
        List(Vec::new())
    }
}

/// A YAML list of `T` with at least one item.
pub type NonEmptyList<T> = List<T, true>;

impl<T, const NON_EMPTY: bool> List<T, NON_EMPTY> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T: Into<String>, const NON_EMPTY: bool> List<T, NON_EMPTY> {
    /// The items as plain strings, for the effective config.
    pub fn into_strings(self) -> Vec<String> {
        self.0.into_iter().map(Into::into).collect()
    }
}

impl<'de, T, const NON_EMPTY: bool> Deserialize<'de> for List<T, NON_EMPTY>
where
    T: Deserialize<'de> + Listed,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Items<T, const NON_EMPTY: bool>(PhantomData<T>);

        impl<'de, T, const NON_EMPTY: bool> Visitor<'de> for Items<T, NON_EMPTY>
        where
            T: Deserialize<'de> + Listed,
        {
            type Value = List<T, NON_EMPTY>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a list of {}", T::LIST)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                if NON_EMPTY && items.is_empty() {
                    return Err(de::Error::custom(format!(
                        "the list of {} must not be empty",
                        T::LIST
                    )));
                }
                Ok(List(items))
            }
        }

        d.deserialize_seq(Items(PhantomData))
    }
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

/// A label value: ≤ 63 characters, alphanumeric at both ends, `-_.` inside.
fn is_label_value(s: &str) -> bool {
    let alnum = |c: char| c.is_ascii_alphanumeric();
    !s.is_empty()
        && s.len() <= 63
        && s.starts_with(alnum)
        && s.ends_with(alnum)
        && s.chars().all(|c| alnum(c) || matches!(c, '-' | '_' | '.'))
}

/// A DNS subdomain: lower-case alphanumeric at both ends, `-.` inside, ≤ 253 characters.
pub(super) fn is_dns_subdomain(s: &str) -> bool {
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !s.is_empty()
        && s.len() <= 253
        && s.starts_with(ok)
        && s.ends_with(ok)
        && s.chars().all(|c| ok(c) || c == '-' || c == '.')
}

fn label_value(s: &str, what: &str) -> Result<(), String> {
    if is_label_value(s) {
        return Ok(());
    }
    Err(format!(
        "invalid {what} \"{s}\": must be 1-63 characters, letters, digits, '-', '_' or '.', \
         starting and ending with a letter or digit"
    ))
}

fn label_key(s: &str, what: &str) -> Result<(), String> {
    let ok = match s.split_once('/') {
        Some((prefix, name)) => is_dns_subdomain(prefix) && is_label_value(name),
        None => is_label_value(s),
    };
    if ok {
        return Ok(());
    }
    Err(format!(
        "invalid {what} \"{s}\": expected [prefix/]name, e.g. team or example.com/team"
    ))
}

fn namespace_glob(s: &str, what: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '*' | '?'));
    if ok {
        return Ok(());
    }
    Err(format!(
        "invalid {what} \"{s}\": use lower-case namespace names with * and ? wildcards"
    ))
}

fn image_ref(s: &str, _what: &str) -> Result<(), String> {
    crate::core::image::ImagePattern::parse(s).map(|_| ())
}

fn rbac_subject(s: &str, what: &str) -> Result<(), String> {
    if s.is_empty() || s.chars().any(char::is_whitespace) {
        return Err(format!(
            "invalid {what} \"{s}\": expected a group or user name, or system:serviceaccount:NAMESPACE:NAME"
        ));
    }
    Ok(())
}

fn manager_name(s: &str, what: &str) -> Result<(), String> {
    // kube-apiserver keeps at most 128 characters of a manager's name.
    let name = s.strip_suffix('*').unwrap_or(s);
    if name.is_empty() || s.len() > 128 || name.contains('*') || s.chars().any(char::is_control) {
        return Err(format!(
            "invalid {what} \"{s}\": expected a name of at most 128 characters, or a prefix ending in *"
        ));
    }
    Ok(())
}

fn non_empty(s: &str, what: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err(format!("empty {what}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Rule;
    use crate::config::testing::{cfg, err};
    use crate::core::contact::ContactKey;

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
        let r = &Rule::from(f.rules.unwrap().remove(0));
        assert_eq!(r.sunset.as_deref(), Some("2028-02-29"));
        assert_eq!(r.exempt.as_deref(), Some("vendor code"));
        assert_eq!(
            (
                r.contact(ContactKey::Chat),
                r.contact(ContactKey::Owner),
                r.contact(ContactKey::Support)
            ),
            (Some("#legacy"), Some("jane"), None)
        );
        assert_eq!(r.contact(ContactKey::Runbook), None);
    }

    #[test]
    fn parsers_name_what_they_read() {
        assert_eq!("".parse::<NonEmptyText>().unwrap_err(), "empty string");
        assert_eq!(
            "x y".parse::<TeamAlias>().unwrap_err(),
            "invalid team alias \"x y\": must be 1-63 characters, letters, digits, '-', '_' or \
             '.', starting and ending with a letter or digit"
        );
        assert!("example.com/team".parse::<LabelKey>().is_ok());
        assert!("kube-*".parse::<NamespaceGlob>().is_ok());
        for date in ["2024-02-29", "0000-01-01", "9999-12-31"] {
            assert_eq!(date.parse::<SunsetDate>().unwrap().to_string(), date);
        }
    }

    /// A written value is validated even when it reads `null`; only a missing field is absent.
    #[test]
    fn written_null_is_a_value() {
        // A written null is not taken for an absent field (and the default): it is an error,
        // unless quoted.
        let e = err("keys:\n  team: null\n");
        assert_eq!(e.line, Some(2));
        assert_eq!(
            e.message,
            "keys.team: null is not a value here (quote it, \"null\", to mean the text)"
        );
        let f = cfg("keys:\n  team: \"null\"\n");
        assert_eq!(f.keys.unwrap().team.as_deref(), Some("null"));
        let e = err("rules:\n  - namespaces: [a]\n    sunset: null\n");
        assert_eq!(e.line, Some(3));
        assert_eq!(
            e.message,
            "rules[0].sunset: null is not a value here (quote it, \"null\", to mean the text)"
        );
        let e = err("stages: ~\n");
        assert_eq!(e.message, "stages: expected a list");
    }
}
