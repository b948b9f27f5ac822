//! Label and field selector syntax, validated before anything is sent (as kubectl does).
//! The server does the matching; we only refuse what it would refuse, with a clear message.

/// A label selector as typed (`-l`), checked once. The server matches it on lists, so its text
/// is what is sent; a write re-checks an object it re-read against the requirements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelSelector {
    text: String,
    requirements: Vec<Requirement>,
}

impl LabelSelector {
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether labels satisfy every requirement, as the API server decides it.
    pub fn matches(&self, labels: &std::collections::BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }
}

impl std::str::FromStr for LabelSelector {
    type Err = String;

    fn from_str(text: &str) -> Result<LabelSelector, String> {
        Ok(LabelSelector {
            requirements: parse_label_selector(text)?,
            text: text.to_string(),
        })
    }
}

/// A field selector as typed (`--field-selector`), checked once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSelector(String);

impl FieldSelector {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for FieldSelector {
    type Err = String;

    fn from_str(text: &str) -> Result<FieldSelector, String> {
        validate_field_selector(text)?;
        Ok(FieldSelector(text.to_string()))
    }
}

/// One label selector requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
    /// `key>N`: the label is an integer greater than N.
    GreaterThan(String, i64),
    /// `key<N`: the label is an integer less than N.
    LessThan(String, i64),
}

impl Requirement {
    /// `notin` and `!=` match objects without the key, as on the server.
    fn matches(&self, labels: &std::collections::BTreeMap<String, String>) -> bool {
        match self {
            Requirement::Equals(k, v) => labels.get(k) == Some(v),
            Requirement::NotEquals(k, v) => labels.get(k) != Some(v),
            Requirement::In(k, values) => labels.get(k).is_some_and(|l| values.contains(l)),
            Requirement::NotIn(k, values) => !labels.get(k).is_some_and(|l| values.contains(l)),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::NotExists(k) => !labels.contains_key(k),
            // A value that is not an integer matches neither, as on the server.
            Requirement::GreaterThan(k, n) => labels
                .get(k)
                .and_then(|l| l.parse::<i64>().ok())
                .is_some_and(|l| l > *n),
            Requirement::LessThan(k, n) => labels
                .get(k)
                .and_then(|l| l.parse::<i64>().ok())
                .is_some_and(|l| l < *n),
        }
    }
}

/// Parses a label selector as the API server does: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
/// `a notin (x)`, `a`, `!a`, `a>1`, `a<1`; comma = AND.
pub fn parse_label_selector(input: &str) -> Result<Vec<Requirement>, String> {
    let mut out = Vec::new();
    for part in split_top_level(input)? {
        let part = part.trim();
        if part.is_empty() {
            return Err(format!(
                "unable to parse requirement: empty requirement in selector \"{input}\""
            ));
        }
        out.push(parse_requirement(part)?);
    }
    Ok(out)
}

fn split_top_level(input: &str) -> Result<Vec<&str>, String> {
    if input.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in input.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth.checked_sub(1).ok_or_else(|| {
                    format!("unable to parse requirement: unexpected ')' in \"{input}\"")
                })?
            }
            ',' if depth == 0 => {
                parts.push(&input[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(format!(
            "unable to parse requirement: missing ')' in \"{input}\""
        ));
    }
    parts.push(&input[start..]);
    Ok(parts)
}

fn parse_requirement(part: &str) -> Result<Requirement, String> {
    if let Some(key) = part.strip_prefix('!') {
        let key = key.trim();
        validate_key(key)?;
        return Ok(Requirement::NotExists(key.to_string()));
    }
    for (op, build) in [("!=", 1u8), ("==", 0), ("=", 0)] {
        if let Some((key, value)) = part.split_once(op) {
            let (key, value) = (key.trim(), value.trim());
            validate_key(key)?;
            validate_value(value)?;
            return Ok(if build == 1 {
                Requirement::NotEquals(key.into(), value.into())
            } else {
                Requirement::Equals(key.into(), value.into())
            });
        }
    }
    for (op, greater) in [('>', true), ('<', false)] {
        if let Some((key, value)) = part.split_once(op) {
            let (key, value) = (key.trim(), value.trim());
            validate_key(key)?;
            let n: i64 = value.parse().map_err(|_| {
                format!(
                    "unable to parse requirement: for 'gt', 'lt' operators, the value must be an integer: \"{value}\""
                )
            })?;
            return Ok(if greater {
                Requirement::GreaterThan(key.into(), n)
            } else {
                Requirement::LessThan(key.into(), n)
            });
        }
    }
    let words: Vec<&str> = part.splitn(2, char::is_whitespace).collect();
    if words.len() == 2 {
        let key = words[0];
        let rest = words[1].trim_start();
        let (negated, set) = if let Some(s) = rest.strip_prefix("notin") {
            (true, s)
        } else if let Some(s) = rest.strip_prefix("in") {
            (false, s)
        } else {
            return Err(format!(
                "unable to parse requirement: found '{rest}', expected: in, notin, =, ==, !=, gt, lt"
            ));
        };
        validate_key(key)?;
        let set = set.trim();
        let inner = set
            .strip_prefix('(')
            .and_then(|s| s.strip_suffix(')'))
            .ok_or_else(|| format!("unable to parse requirement: found '{set}', expected: '('"))?;
        let values: Vec<String> = inner.split(',').map(|v| v.trim().to_string()).collect();
        for v in &values {
            validate_value(v)?;
        }
        return Ok(if negated {
            Requirement::NotIn(key.into(), values)
        } else {
            Requirement::In(key.into(), values)
        });
    }
    validate_key(part)?;
    Ok(Requirement::Exists(part.to_string()))
}

/// A qualified label key: optional DNS-subdomain prefix and `/`, then a name of ≤ 63 characters.
pub fn validate_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        let ok = !prefix.is_empty()
            && prefix.len() <= 253
            && prefix.split('.').all(|l| {
                !l.is_empty()
                    && l.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            });
        if !ok {
            return Err(format!(
                "invalid label key \"{key}\": prefix part must be a lowercase DNS subdomain"
            ));
        }
    }
    if name.is_empty() || name.len() > 63 || !is_label_name(name) {
        return Err(format!(
            "invalid label key \"{key}\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
        ));
    }
    Ok(())
}

fn is_label_name(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A label value: empty, or ≤ 63 characters, alphanumeric at both ends, `-_.` inside.
pub fn validate_value(value: &str) -> Result<(), String> {
    if value.is_empty() || (value.len() <= 63 && is_label_name(value)) {
        Ok(())
    } else {
        Err(format!(
            "invalid label value: \"{value}\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63 characters)"
        ))
    }
}

/// Field selectors: `field=value`, `field==value`, `field!=value`, comma = AND.
pub fn validate_field_selector(input: &str) -> Result<(), String> {
    for part in input.split(',').filter(|p| !p.trim().is_empty()) {
        let field = ["!=", "==", "="]
            .iter()
            .find_map(|op| part.split_once(op).map(|(f, _)| f.trim()))
            .ok_or_else(|| format!("invalid selector: '{input}'; can't understand '{part}'"))?;
        if field.is_empty() {
            return Err(format!(
                "invalid selector: '{input}'; can't understand '{part}'"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_operator() {
        let got = parse_label_selector(
            "team=payments,tier==web,env!=prod,app in (a, b),zone notin (x),ready,!legacy",
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                Requirement::Equals("team".into(), "payments".into()),
                Requirement::Equals("tier".into(), "web".into()),
                Requirement::NotEquals("env".into(), "prod".into()),
                Requirement::In("app".into(), vec!["a".into(), "b".into()]),
                Requirement::NotIn("zone".into(), vec!["x".into()]),
                Requirement::Exists("ready".into()),
                Requirement::NotExists("legacy".into()),
            ]
        );
    }

    #[test]
    fn prefixed_keys() {
        assert!(parse_label_selector("app.kubernetes.io/part-of=shop").is_ok());
        assert!(parse_label_selector("Bad_Prefix/x=1").is_err());
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "a in b", "a in (b", "=x", "a=b,,c", "a==b c", "a b", "-a=1", "a=-b", "a)",
        ] {
            assert!(parse_label_selector(bad).is_err(), "{bad}");
        }
        assert!(parse_label_selector("").unwrap().is_empty());
    }

    #[test]
    fn values() {
        assert!(validate_value("").is_ok());
        assert!(validate_value("a.b-c_d").is_ok());
        assert!(validate_value(&"a".repeat(63)).is_ok());
        assert!(validate_value(&"a".repeat(64)).is_err());
        assert!(validate_value("a b").is_err());
        assert!(validate_value("-a").is_err());
    }

    #[test]
    fn field_selectors() {
        assert!(validate_field_selector("metadata.name=api,metadata.namespace!=x").is_ok());
        assert!(validate_field_selector("metadata.name").is_err());
        assert!(validate_field_selector("=x").is_err());
    }

    #[test]
    fn selectors_match_like_the_server() {
        let labels: std::collections::BTreeMap<String, String> =
            [("team", "legacy"), ("tier", "web")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        let matches = |text: &str| text.parse::<LabelSelector>().unwrap().matches(&labels);
        assert!(matches("team=legacy"));
        assert!(matches("team==legacy,tier"));
        assert!(!matches("team=payments"));
        assert!(matches("team!=payments"));
        assert!(matches("env!=prod"), "!= matches a missing key");
        assert!(matches("tier in (web,api)"));
        assert!(!matches("tier notin (web)"));
        assert!(matches("env notin (prod)"), "notin matches a missing key");
        assert!(matches("!env"));
        assert!(!matches("!team"));
        let ranked: std::collections::BTreeMap<String, String> =
            [("rank".to_string(), "5".to_string())]
                .into_iter()
                .collect();
        let ranks = |text: &str| text.parse::<LabelSelector>().unwrap().matches(&ranked);
        assert!(ranks("rank>1") && ranks("rank<10") && !ranks("rank>5") && !ranks("rank<-3"));
        assert!(!ranks("other>1"), "gt needs the label");
        assert!(
            !matches("team>1"),
            "a value that is not an integer never matches"
        );
    }

    #[test]
    fn greater_and_less_than_take_integers() {
        assert_eq!(
            parse_label_selector("replicas>1,rank < -2").unwrap(),
            vec![
                Requirement::GreaterThan("replicas".into(), 1),
                Requirement::LessThan("rank".into(), -2),
            ]
        );
        assert!(parse_label_selector("replicas>one").is_err());
        assert!(parse_label_selector(">1").is_err());
    }
}
