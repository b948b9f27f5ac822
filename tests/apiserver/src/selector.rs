//! Label and field selectors with Kubernetes' syntax.

/// A label selector operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `key=value` or `key==value`
    Equals,
    /// `key!=value`
    NotEquals,
    /// `key in (a,b)`
    In,
    /// `key notin (a,b)`
    NotIn,
    /// `key`
    Exists,
    /// `!key`
    DoesNotExist,
    /// `key>5`
    GreaterThan,
    /// `key<5`
    LessThan,
}

/// One comma-separated term of a label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The label key.
    pub key: String,
    /// The operator.
    pub op: Op,
    /// The values (empty for `Exists`/`DoesNotExist`).
    pub values: Vec<String>,
}

/// A parsed label selector; all requirements must hold (comma = AND).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    /// The requirements, in the order written.
    pub requirements: Vec<Requirement>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Bang,
    Eq,
    DoubleEq,
    NotEq,
    In,
    NotIn,
    Open,
    Close,
    Comma,
    Gt,
    Lt,
    End,
}

impl Tok {
    fn text(&self) -> String {
        match self {
            Tok::Ident(s) => s.clone(),
            Tok::Bang => "!".into(),
            Tok::Eq => "=".into(),
            Tok::DoubleEq => "==".into(),
            Tok::NotEq => "!=".into(),
            Tok::In => "in".into(),
            Tok::NotIn => "notin".into(),
            Tok::Open => "(".into(),
            Tok::Close => ")".into(),
            Tok::Comma => ",".into(),
            Tok::Gt => ">".into(),
            Tok::Lt => "<".into(),
            Tok::End => "".into(),
        }
    }
}

fn lex(s: &str) -> Vec<Tok> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let next = chars.get(i + 1).copied();
        let (tok, len) = match c {
            '!' if next == Some('=') => (Tok::NotEq, 2),
            '!' => (Tok::Bang, 1),
            '=' if next == Some('=') => (Tok::DoubleEq, 2),
            '=' => (Tok::Eq, 1),
            '(' => (Tok::Open, 1),
            ')' => (Tok::Close, 1),
            ',' => (Tok::Comma, 1),
            '>' => (Tok::Gt, 1),
            '<' => (Tok::Lt, 1),
            _ => {
                let start = i;
                let mut j = i;
                while j < chars.len() && !chars[j].is_whitespace() && !"!=(),<>".contains(chars[j])
                {
                    j += 1;
                }
                let word: String = chars[start..j].iter().collect();
                let tok = match word.as_str() {
                    "in" => Tok::In,
                    "notin" => Tok::NotIn,
                    _ => Tok::Ident(word),
                };
                (tok, j - start)
            }
        };
        out.push(tok);
        i += len;
    }
    out.push(Tok::End);
    out
}

const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

fn is_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|p| {
            let b = p.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        })
}

/// Why `key` is not a valid label/annotation key (a qualified name), if it is not.
pub fn validate_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix
        && !is_dns_subdomain(p)
    {
        return Err(format!(
            "Invalid value: \"{key}\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
        ));
    }
    if !is_name_part(name) {
        return Err(format!(
            "Invalid value: \"{key}\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ));
    }
    Ok(())
}

/// Why `value` is not a valid label value, if it is not.
pub fn validate_value(value: &str) -> Result<(), String> {
    if value.is_empty() || is_name_part(value) {
        Ok(())
    } else if value.len() > 63 {
        Err(format!(
            "Invalid value: \"{value}\": must be no more than 63 characters"
        ))
    } else {
        Err(format!("Invalid value: \"{value}\": {LABEL_VALUE_MSG}"))
    }
}

impl LabelSelector {
    /// Parse Kubernetes label selector syntax; the error is the message a real server sends.
    pub fn parse(s: &str) -> Result<LabelSelector, String> {
        let toks = lex(s);
        let mut pos = 0;
        let mut reqs = Vec::new();
        if toks[0] == Tok::End {
            return Ok(LabelSelector::default());
        }
        loop {
            let req = parse_requirement(&toks, &mut pos)?;
            reqs.push(req);
            match &toks[pos] {
                Tok::End => break,
                Tok::Comma => {
                    pos += 1;
                    if toks[pos] == Tok::End {
                        return Err("found '', expected: identifier after ','".into());
                    }
                }
                t => {
                    return Err(format!(
                        "found '{}', expected: ',' or 'end of string'",
                        t.text()
                    ));
                }
            }
        }
        Ok(LabelSelector { requirements: reqs })
    }

    /// True when the selector selects everything.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Whether an object whose labels are looked up by `get` is selected.
    pub fn matches<'a>(&self, get: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.requirements.iter().all(|r| {
            let v = get(&r.key);
            match r.op {
                Op::Equals => v == Some(r.values[0].as_str()),
                Op::NotEquals => v != Some(r.values[0].as_str()),
                Op::In => v.is_some_and(|v| r.values.iter().any(|x| x == v)),
                Op::NotIn => !v.is_some_and(|v| r.values.iter().any(|x| x == v)),
                Op::Exists => v.is_some(),
                Op::DoesNotExist => v.is_none(),
                Op::GreaterThan | Op::LessThan => {
                    let (Some(v), Ok(want)) = (v, r.values[0].parse::<i64>()) else {
                        return false;
                    };
                    let Ok(have) = v.parse::<i64>() else {
                        return false;
                    };
                    if r.op == Op::GreaterThan {
                        have > want
                    } else {
                        have < want
                    }
                }
            }
        })
    }
}

fn requirement_error(detail: String) -> String {
    format!("unable to parse requirement: {detail}")
}

fn parse_requirement(toks: &[Tok], pos: &mut usize) -> Result<Requirement, String> {
    let negated = if toks[*pos] == Tok::Bang {
        *pos += 1;
        true
    } else {
        false
    };
    let key = match &toks[*pos] {
        Tok::Ident(k) => k.clone(),
        t => {
            return Err(format!("found '{}', expected: !, identifier", t.text()));
        }
    };
    *pos += 1;
    validate_key(&key).map_err(|e| requirement_error(format!("key: {e}")))?;
    if negated {
        return Ok(Requirement {
            key,
            op: Op::DoesNotExist,
            values: vec![],
        });
    }
    let op = match &toks[*pos] {
        Tok::End | Tok::Comma => {
            return Ok(Requirement {
                key,
                op: Op::Exists,
                values: vec![],
            });
        }
        Tok::Eq | Tok::DoubleEq => Op::Equals,
        Tok::NotEq => Op::NotEquals,
        Tok::In => Op::In,
        Tok::NotIn => Op::NotIn,
        Tok::Gt => Op::GreaterThan,
        Tok::Lt => Op::LessThan,
        t => {
            return Err(format!(
                "found '{}', expected: in, notin, =, ==, !=, gt, lt",
                t.text()
            ));
        }
    };
    *pos += 1;
    let values = match op {
        Op::In | Op::NotIn => {
            if toks[*pos] != Tok::Open {
                return Err(format!("found '{}', expected: '('", toks[*pos].text()));
            }
            *pos += 1;
            let mut values = Vec::new();
            loop {
                match &toks[*pos] {
                    Tok::Ident(v) => {
                        values.push(v.clone());
                        *pos += 1;
                    }
                    Tok::Close if values.is_empty() => {
                        return Err(requirement_error(format!(
                            "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty (key {key})"
                        )));
                    }
                    t => return Err(format!("found '{}', expected: identifier", t.text())),
                }
                match &toks[*pos] {
                    Tok::Comma => *pos += 1,
                    Tok::Close => {
                        *pos += 1;
                        break;
                    }
                    t => return Err(format!("found '{}', expected: ',', or ')'", t.text())),
                }
            }
            values
        }
        _ => match &toks[*pos] {
            Tok::Ident(v) => {
                *pos += 1;
                vec![v.clone()]
            }
            Tok::End | Tok::Comma if matches!(op, Op::Equals | Op::NotEquals) => {
                vec![String::new()]
            }
            t => return Err(format!("found '{}', expected: identifier", t.text())),
        },
    };
    for (i, v) in values.iter().enumerate() {
        if matches!(op, Op::GreaterThan | Op::LessThan) {
            if v.parse::<i64>().is_err() {
                return Err(requirement_error(format!(
                    "values[{i}][{key}]: Invalid value: \"{v}\": for 'Gt', 'Lt' operators, the value must be an integer"
                )));
            }
        } else {
            validate_value(v).map_err(|e| requirement_error(format!("values[{i}][{key}]: {e}")))?;
        }
    }
    Ok(Requirement { key, op, values })
}

/// A field selector: `metadata.name` and `metadata.namespace` on every kind, plus the fields a
/// kind adds (pods: `spec.nodeName`, `status.podIP`, `status.phase`; services: `spec.clusterIP`,
/// `spec.type`), as kube-apiserver has them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector {
    /// `(field, equal?, value)` terms, all of which must hold.
    pub terms: Vec<(String, bool, String)>,
}

impl FieldSelector {
    /// Parse `field=value,field!=value` for a resource that supports `extra` fields besides
    /// `metadata.name` and `metadata.namespace`.
    pub fn parse_for(s: &str, extra: &[&str]) -> Result<FieldSelector, String> {
        let mut terms = Vec::new();
        for part in s.split(',') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (field, eq, value) = if let Some((f, v)) = part.split_once("!=") {
                (f, false, v)
            } else if let Some((f, v)) = part.split_once("==") {
                (f, true, v)
            } else if let Some((f, v)) = part.split_once('=') {
                (f, true, v)
            } else {
                return Err(format!(
                    "invalid selector: '{s}'; can't understand '{part}'"
                ));
            };
            let field = field.trim();
            if field != "metadata.name" && field != "metadata.namespace" && !extra.contains(&field)
            {
                return Err(format!("field label not supported: {field}"));
            }
            terms.push((field.to_string(), eq, value.trim().to_string()));
        }
        Ok(FieldSelector { terms })
    }

    /// [`FieldSelector::parse_for`] with no field beyond the metadata ones.
    pub fn parse(s: &str) -> Result<FieldSelector, String> {
        FieldSelector::parse_for(s, &[])
    }

    /// The fields a resource can be selected by, besides `metadata.name` and `metadata.namespace`.
    pub fn extra_fields(plural: &str) -> &'static [&'static str] {
        match plural {
            "pods" => &["spec.nodeName", "status.podIP", "status.phase"],
            // kube-proxy lists `spec.clusterIP!=None` (no headless services).
            "services" => &["spec.clusterIP", "spec.type"],
            _ => &[],
        }
    }

    /// The value a field selector sees for a field the stored object lacks: the default the API
    /// server would have written (a Service's `spec.type`), else `""`.
    pub fn default_value(plural: &str, field: &str) -> &'static str {
        match (plural, field) {
            ("services", "spec.type") => "ClusterIP",
            _ => "",
        }
    }

    /// True when the selector selects everything.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The namespace this selector pins with `metadata.namespace=X`, if any.
    pub fn namespace(&self) -> Option<&str> {
        self.terms
            .iter()
            .find(|(f, eq, _)| *eq && f == "metadata.namespace")
            .map(|(_, _, v)| v.as_str())
    }

    /// Whether an object with this namespace (empty when cluster-scoped) and name is selected;
    /// `field` reads any other field (`""` when the object has none, as the API server reads it).
    pub fn matches(&self, namespace: &str, name: &str, field: impl Fn(&str) -> String) -> bool {
        self.terms.iter().all(|(f, eq, v)| {
            let have = match f.as_str() {
                "metadata.name" => name.to_string(),
                "metadata.namespace" => namespace.to_string(),
                other => field(other),
            };
            (have == *v) == *eq
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn sel(s: &str, labels: &[(&str, &str)]) -> bool {
        let m: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        LabelSelector::parse(s)
            .unwrap()
            .matches(|k| m.get(k).map(String::as_str))
    }

    #[test]
    fn equality_and_set_operators() {
        let l = [("team", "payments"), ("tier", "web")];
        assert!(sel("team=payments", &l));
        assert!(sel("team==payments", &l));
        assert!(!sel("team!=payments", &l));
        assert!(sel("team in (payments, checkout)", &l));
        assert!(!sel("team notin (payments,checkout)", &l));
        assert!(sel("lifecycle notin (production)", &l));
        assert!(sel("team", &l));
        assert!(sel("!lifecycle", &l));
        assert!(!sel("!team", &l));
        assert!(sel("team=payments,tier=web", &l));
        assert!(!sel("team=payments,tier=db", &l));
        assert!(sel("lifecycle!=production", &l));
        assert!(sel("", &l));
        assert!(sel("example.com/x!=1", &l));
    }

    #[test]
    fn numeric_operators() {
        assert!(sel("n>5", &[("n", "7")]));
        assert!(!sel("n<5", &[("n", "7")]));
        assert!(!sel("n>5", &[]));
    }

    #[test]
    fn empty_value_is_allowed() {
        assert!(sel("team=", &[("team", "")]));
        assert!(!sel("team=", &[("team", "x")]));
    }

    #[test]
    fn invalid_selectors_are_rejected() {
        for bad in [
            "team=pay ments",
            "team in ()",
            "team in (a",
            "=x",
            "team=a,",
            "bad key=x",
            "te$m=x",
            "team=-x",
            "n>abc",
            "team ~ x",
        ] {
            assert!(LabelSelector::parse(bad).is_err(), "{bad} should fail");
        }
        let e = LabelSelector::parse("team=-x").unwrap_err();
        assert!(e.starts_with("unable to parse requirement: "), "{e}");
    }

    #[test]
    fn field_selector() {
        let f = FieldSelector::parse("metadata.namespace=payments,metadata.name!=api").unwrap();
        assert_eq!(f.namespace(), Some("payments"));
        let no_field = |_: &str| String::new();
        assert!(f.matches("payments", "ledger", no_field));
        assert!(!f.matches("payments", "api", no_field));
        assert!(!f.matches("checkout", "web", no_field));
        assert!(FieldSelector::parse("status.phase=Running").is_err());
        assert!(FieldSelector::parse("").unwrap().is_empty());
        // Pods' own fields, read from the object ("" when absent).
        let pods = FieldSelector::extra_fields("pods");
        let f =
            FieldSelector::parse_for("status.podIP=10.0.0.7,spec.nodeName!=node-2", pods).unwrap();
        let pod = |ip: &'static str, node: &'static str| {
            move |path: &str| match path {
                "status.podIP" => ip.to_string(),
                "spec.nodeName" => node.to_string(),
                _ => String::new(),
            }
        };
        assert!(f.matches("a", "p", pod("10.0.0.7", "node-1")));
        assert!(!f.matches("a", "p", pod("10.0.0.7", "node-2")));
        assert!(!f.matches("a", "p", pod("10.0.0.8", "node-1")));
        assert!(
            FieldSelector::parse_for(
                "spec.nodeName=x",
                FieldSelector::extra_fields("deployments")
            )
            .is_err()
        );
    }

    #[test]
    fn service_field_selector() {
        let services = FieldSelector::extra_fields("services");
        let svc = |ip: &'static str, ty: &'static str| {
            move |path: &str| match path {
                "spec.clusterIP" => ip.to_string(),
                "spec.type" => ty.to_string(),
                _ => String::new(),
            }
        };
        let f = FieldSelector::parse_for("spec.clusterIP!=None", services).unwrap();
        assert!(f.matches("a", "web", svc("10.96.0.10", "ClusterIP")));
        assert!(!f.matches("a", "db", svc("None", "ClusterIP")));
        let f = FieldSelector::parse_for("spec.clusterIP=10.96.0.10", services).unwrap();
        assert!(f.matches("a", "web", svc("10.96.0.10", "ClusterIP")));
        assert!(!f.matches("a", "api", svc("10.96.0.11", "ClusterIP")));
        let f = FieldSelector::parse_for("spec.type=LoadBalancer", services).unwrap();
        assert!(f.matches("a", "edge", svc("10.96.0.12", "LoadBalancer")));
        assert!(!f.matches("a", "web", svc("10.96.0.10", "ClusterIP")));
        assert_eq!(
            FieldSelector::default_value("services", "spec.type"),
            "ClusterIP"
        );
        assert_eq!(
            FieldSelector::default_value("services", "spec.clusterIP"),
            ""
        );
        // Pods' fields are not services' fields, nor the reverse.
        assert_eq!(
            FieldSelector::parse_for("status.podIP=10.0.0.1", services).unwrap_err(),
            "field label not supported: status.podIP"
        );
        assert!(
            FieldSelector::parse_for("spec.clusterIP=x", FieldSelector::extra_fields("pods"))
                .is_err()
        );
    }

    #[test]
    fn key_validation() {
        assert!(validate_key("team").is_ok());
        assert!(validate_key("a8r.io/chat").is_ok());
        assert!(validate_key("A8R.io/chat").is_err());
        assert!(validate_key("/x").is_err());
        assert!(validate_value(&"x".repeat(64)).is_err());
    }
}
