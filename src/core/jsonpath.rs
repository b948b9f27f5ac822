//! kubectl's `-o jsonpath=TEMPLATE` and `-o custom-columns=SPEC`, parsed once at the command
//! line and evaluated over the document `-o json` prints. The JSONPath expressions themselves are evaluated by `jsonpath-rust` (RFC
//! 9535); this module reads kubectl's template syntax around them: text, `{expression}`,
//! `{range expression}…{end}` and `{"quoted text"}`, with kubectl's relaxed paths (`.a.b`,
//! `a.b`, `{.a.b}`).

use jsonpath_rust::JsonPath;
use serde_json::Value;

/// A parsed `-o jsonpath` template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Text(String),
    /// An RFC 9535 query (`$…`); inside `range`, relative to the current element.
    Query(String),
    Range(String, Vec<Node>),
}

/// `-o custom-columns`: one header and one expression per column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomColumns {
    columns: Vec<(String, Template)>,
}

impl Template {
    /// Parses kubectl's template syntax; the error is kubectl's wording without `error: `.
    pub fn parse(source: &str) -> Result<Template, String> {
        let failed = |reason: &str| format!("error parsing jsonpath {source}, {reason}");
        let mut stack: Vec<(String, Vec<Node>)> = Vec::new();
        let mut nodes: Vec<Node> = Vec::new();
        let mut rest = source;
        while !rest.is_empty() {
            let Some(open) = rest.find('{') else {
                nodes.push(Node::Text(rest.to_string()));
                break;
            };
            if open > 0 {
                nodes.push(Node::Text(rest[..open].to_string()));
            }
            let close = action_end(&rest[open + 1..]).ok_or_else(|| failed("unclosed action"))?;
            let action = rest[open + 1..open + 1 + close].trim();
            rest = &rest[open + 1 + close + 1..];
            if action == "end" {
                let (query, outer) = stack
                    .pop()
                    .ok_or_else(|| failed("not in range, nothing to end"))?;
                let body = std::mem::replace(&mut nodes, outer);
                nodes.push(Node::Range(query, body));
            } else if let Some(expression) = action.strip_prefix("range ") {
                let query = to_query(expression.trim()).map_err(|e| failed(&e))?;
                stack.push((query, std::mem::take(&mut nodes)));
            } else if action.starts_with('"') {
                let text: String = serde_json::from_str(action)
                    .map_err(|_| failed(&format!("invalid quoted string {action}")))?;
                nodes.push(Node::Text(text));
            } else if action.is_empty() {
                return Err(failed("empty action"));
            } else {
                nodes.push(Node::Query(to_query(action).map_err(|e| failed(&e))?));
            }
        }
        if !stack.is_empty() {
            return Err(failed("unclosed range"));
        }
        Ok(Template { nodes })
    }

    /// kubectl's relaxed form for a column: `.a.b`, `a.b` or `{.a.b}`.
    pub fn relaxed(expression: &str) -> Result<Template, String> {
        let trimmed = expression.trim();
        if trimmed.starts_with('{') {
            return Template::parse(trimmed);
        }
        let dotted = if trimmed.starts_with('.') || trimmed.starts_with('$') {
            trimmed.to_string()
        } else {
            format!(".{trimmed}")
        };
        Template::parse(&format!("{{{dotted}}}"))
    }

    /// The template over `doc`: each expression's results separated by spaces, strings as they
    /// are and other values as JSON; a missing field prints nothing, as `kubectl get` does.
    /// Each value from the document goes through `escape` (the template's own text is the
    /// user's and stays as written).
    pub fn render_escaped(&self, doc: &Value, escape: &dyn Fn(&str) -> String) -> String {
        let mut out = String::new();
        render_nodes(&self.nodes, doc, escape, &mut out);
        out
    }

    /// A custom column's cell: one expression's results joined by commas (kubectl's form), or
    /// the whole template rendered; `None` when that is empty.
    fn cell(&self, item: &Value) -> Option<String> {
        let text = match self.nodes.as_slice() {
            [Node::Query(query)] => query_values(item, query)
                .map(text_of)
                .collect::<Vec<_>>()
                .join(","),
            nodes => {
                let mut out = String::new();
                render_nodes(nodes, item, &|text| text.to_string(), &mut out);
                out
            }
        };
        (!text.is_empty()).then_some(text)
    }
}

impl CustomColumns {
    /// `HEADER:EXPRESSION,…` as kubectl reads it.
    pub fn parse(spec: &str) -> Result<CustomColumns, String> {
        if spec.trim().is_empty() {
            return Err("custom-columns format specified but no custom columns given".to_string());
        }
        let columns = spec
            .split(',')
            .map(|column| match column.split_once(':') {
                Some((header, expression)) if !expression.trim().is_empty() => {
                    Ok((header.to_string(), Template::relaxed(expression)?))
                }
                _ => Err(format!(
                    "unexpected custom-columns spec: {column}, expected <header>:<json-path-expr>"
                )),
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(CustomColumns { columns })
    }

    /// kubectl's custom-columns file: headers on the first line, expressions on the second,
    /// separated by whitespace.
    pub fn parse_file(text: &str) -> Result<CustomColumns, String> {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let headers: Vec<&str> = lines
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        let expressions: Vec<&str> = lines
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        if headers.is_empty() {
            return Err("custom-columns file: no headers on its first line".to_string());
        }
        if headers.len() != expressions.len() {
            return Err(format!(
                "expected {} columns, found {} in the custom-columns file",
                headers.len(),
                expressions.len()
            ));
        }
        let columns = headers
            .into_iter()
            .zip(expressions)
            .map(|(h, e)| Ok((h.to_string(), Template::relaxed(e)?)))
            .collect::<Result<Vec<_>, String>>()?;
        Ok(CustomColumns { columns })
    }

    pub fn headers(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|(header, _)| header.as_str())
    }

    /// One item's cells: each expression's results joined by commas, `<none>` when there is none.
    pub fn cells(&self, item: &Value) -> impl Iterator<Item = String> {
        self.columns
            .iter()
            .map(|(_, template)| template.cell(item).unwrap_or_else(|| "<none>".to_string()))
    }
}

/// The index of the `}` that closes an action, skipping quoted strings and brackets.
fn action_end(text: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '[' | '(' => depth += 1,
                ']' | ')' => depth = depth.saturating_sub(1),
                '}' if depth == 0 => return Some(i),
                _ => {}
            },
        }
    }
    None
}

/// kubectl's path (`.items[*].metadata.name`, `$.x`, `@.x`, `..name`) as an RFC 9535 query;
/// dotted names become `['name']`, so keys with `-`, `/` or an escaped `\.` work as in kubectl.
fn to_query(expression: &str) -> Result<String, String> {
    let body = expression
        .strip_prefix('$')
        .or_else(|| expression.strip_prefix('@'))
        .unwrap_or(expression);
    let mut query = String::from("$");
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if chars.peek() == Some(&'.') {
                    chars.next();
                    query.push_str("..");
                    if chars.peek() == Some(&'[') {
                        continue;
                    }
                } else if chars.peek() == Some(&'[') {
                    continue;
                }
                let mut name = String::new();
                while let Some(&next) = chars.peek() {
                    if next == '\\' {
                        chars.next();
                        if let Some(escaped) = chars.next() {
                            name.push(escaped);
                        }
                    } else if next == '.' || next == '[' {
                        break;
                    } else {
                        name.push(next);
                        chars.next();
                    }
                }
                if name.is_empty() {
                    if !query.ends_with("..") {
                        return Err(format!("unrecognized identifier in {expression}"));
                    }
                } else if name == "*" {
                    query.push_str(if query.ends_with("..") { "*" } else { "[*]" });
                } else {
                    let quoted = name.replace('\\', "\\\\").replace('\'', "\\'");
                    query.push_str(&format!("['{quoted}']"));
                }
            }
            '[' => {
                // Copied as it is (indices, slices, quoted names, filters), brackets balanced.
                let mut depth = 1;
                let mut part = String::from("[");
                let mut quote: Option<char> = None;
                for c in chars.by_ref() {
                    part.push(c);
                    match quote {
                        Some(q) if c == q => quote = None,
                        Some(_) => {}
                        None => match c {
                            '"' | '\'' => quote = Some(c),
                            '[' => depth += 1,
                            ']' => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        },
                    }
                }
                if depth != 0 {
                    return Err(format!("unterminated array in {expression}"));
                }
                query.push_str(&part);
            }
            c if c.is_whitespace() => {}
            _ => return Err(format!("unrecognized character in action: {c:?}")),
        }
    }
    // Syntax errors surface now, not at the first evaluation.
    Value::Null.query(&query).map_err(|e| {
        // The parser's report spans several lines about the rewritten query; its `= …` line
        // says what was wrong, about what the user wrote.
        let report = e.to_string();
        let reason = report
            .lines()
            .find_map(|l| l.trim_start().strip_prefix("= "))
            .or_else(|| report.lines().next())
            .unwrap_or_default()
            .trim()
            .to_string();
        format!("invalid expression {expression}: {reason}")
    })?;
    Ok(query)
}

/// A query's results; `null` counts as missing (kubectl's `<none>`).
fn query_values<'v>(doc: &'v Value, query: &str) -> impl Iterator<Item = &'v Value> {
    doc.query(query)
        .unwrap_or_default()
        .into_iter()
        .filter(|v| !v.is_null())
}

/// A value as kubectl prints it: strings as they are, everything else as JSON.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn render_nodes(
    nodes: &[Node],
    current: &Value,
    escape: &dyn Fn(&str) -> String,
    out: &mut String,
) {
    for node in nodes {
        match node {
            Node::Text(text) => out.push_str(text),
            Node::Query(query) => {
                let values: Vec<String> = query_values(current, query)
                    .map(|v| escape(&text_of(v)))
                    .collect();
                out.push_str(&values.join(" "));
            }
            Node::Range(query, body) => {
                for element in query_values(current, query) {
                    render_nodes(body, element, escape, out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({
            "kind": "OwnershipList",
            "items": [
                {"name": "api", "namespace": "payments", "team": {"value": "payments"},
                 "labels": {"app.kubernetes.io/name": "api"}, "replicas": 3},
                {"name": "web", "namespace": "shop", "team": {"value": null}, "replicas": 1},
            ]
        })
    }

    #[test]
    fn kubectl_templates() {
        let render = |t: &str| {
            Template::parse(t)
                .unwrap()
                .render_escaped(&doc(), &|v| v.to_string())
        };
        assert_eq!(render("{.items[*].name}"), "api web");
        assert_eq!(
            render("{.kind}: {.items[0].namespace}"),
            "OwnershipList: payments"
        );
        assert_eq!(
            render(r#"{range .items[*]}{.name}{"\t"}{.team.value}{"\n"}{end}"#),
            "api\tpayments\nweb\t\n"
        );
        assert_eq!(render("{.items[1].replicas}"), "1");
        assert_eq!(render("{.missing.field}"), "");
        assert_eq!(render(r#"{.items[?(@.namespace=="shop")].name}"#), "web");
        assert_eq!(
            render("{.items[0].labels.app\\.kubernetes\\.io/name}"),
            "api"
        );
        assert_eq!(
            render("{.items[0].labels['app.kubernetes.io/name']}"),
            "api"
        );
        assert_eq!(render("{..namespace}"), "payments shop");
        assert_eq!(render("{$.kind}"), "OwnershipList");
        assert_eq!(render("plain"), "plain");
    }

    #[test]
    fn bad_templates_say_why() {
        let err = |t: &str| Template::parse(t).unwrap_err();
        assert_eq!(
            err("{.items[*].name"),
            "error parsing jsonpath {.items[*].name, unclosed action"
        );
        assert_eq!(
            err("{range .items[*]}{.name}"),
            "error parsing jsonpath {range .items[*]}{.name}, unclosed range"
        );
        assert_eq!(
            err("{.name}{end}"),
            "error parsing jsonpath {.name}{end}, not in range, nothing to end"
        );
        let bad = err("{.items[-9223372036854775808]}");
        assert!(bad.starts_with("error parsing jsonpath {.items[-9223372036854775808]}, invalid expression .items[-9223372036854775808]: "), "{bad}");
        assert!(!bad.contains('\n') && !bad.contains("$['items']"), "{bad}");
        assert!(err("{.items[}").contains("error parsing jsonpath"));
    }

    #[test]
    fn custom_columns_like_kubectl() {
        let columns =
            CustomColumns::parse("NAME:.name,TEAM:{.team.value},NS:namespace,R:.replicas").unwrap();
        let doc = doc();
        let rows: Vec<Vec<String>> = doc["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| columns.cells(item).collect())
            .collect();
        assert_eq!(
            rows,
            [
                ["api", "payments", "payments", "3"],
                ["web", "<none>", "shop", "1"]
            ]
        );
        assert_eq!(
            columns.headers().collect::<Vec<_>>(),
            ["NAME", "TEAM", "NS", "R"]
        );
        let missing = CustomColumns::parse("Owner:.owner").unwrap();
        assert_eq!(
            missing.cells(&doc["items"][0]).collect::<Vec<_>>(),
            ["<none>"]
        );
        assert_eq!(
            CustomColumns::parse("NAME").unwrap_err(),
            "unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>"
        );
        let from_file = CustomColumns::parse_file("NAME   TEAM\n.name  .team.value\n").unwrap();
        assert_eq!(from_file.columns.len(), 2);
        assert!(CustomColumns::parse_file("NAME TEAM\n.name\n").is_err());
    }
}
