//! `metadata.managedFields`, recorded on every write as kube-apiserver's field manager does.
//!
//! Each write (POST, PUT, every PATCH type) records its writer: the `fieldManager` query
//! parameter, else the request's User-Agent up to its first `/`. An `Update` entry of the same
//! manager (and subresource) is updated in place, an `Apply` entry likewise; entries are sorted
//! as the real server sorts them (operation, time, manager).
//!
//! The field sets (`fieldsV1`) are an approximation of structured-merge-diff's: a set holds the
//! `f:` keys of object fields (lists and scalars are leaves, with no `k:`/`v:`/`i:` items and no
//! `.` markers); an update owns the fields it added or changed (taken from the other managers'
//! sets, whose emptied entries are dropped), an apply owns the fields of its configuration (no
//! conflicts are detected, ownership is shared). The system fields of the metadata and `status`
//! are never owned, as on the real server's main resource.

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::store::{ApiError, FieldError, rfc3339};

/// kube-apiserver's `FieldManagerMaxLength`, in bytes.
pub(crate) const FIELD_MANAGER_MAX_LENGTH: usize = 128;

/// `Apply` (a server-side apply patch) or `Update` (every other write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Apply,
    Update,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

/// Who writes, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Writer {
    pub manager: String,
    pub now: Timestamp,
    /// `status`, for a write to that subresource; `None` for the main resource.
    pub subresource: Option<String>,
}

impl Writer {
    /// A writer of the main resource.
    pub fn new(manager: &str, now: Timestamp) -> Writer {
        Writer {
            manager: manager.to_string(),
            now,
            subresource: None,
        }
    }

    /// The writer of a request: its `fieldManager` (validated as kube-apiserver does; the
    /// options kind, `CreateOptions`/`UpdateOptions`/`PatchOptions`, names the error), else the
    /// User-Agent's prefix.
    pub fn of_request(
        field_manager: Option<&str>,
        user_agent: Option<&str>,
        options_kind: &str,
        now: Timestamp,
    ) -> Result<Writer, ApiError> {
        let manager = match field_manager.filter(|m| !m.is_empty()) {
            Some(m) if m.len() > FIELD_MANAGER_MAX_LENGTH => {
                return Err(ApiError::invalid_options(
                    options_kind,
                    &[FieldError::too_long(
                        "fieldManager",
                        FIELD_MANAGER_MAX_LENGTH,
                    )],
                ));
            }
            Some(m) => m.to_string(),
            None => prefix_from_user_agent(user_agent.unwrap_or("")),
        };
        Ok(Writer::new(&manager, now))
    }
}

/// kube-apiserver's `prefixFromUserAgent`: the characters before the first `/`, unprintable
/// ones dropped, cut to [`FIELD_MANAGER_MAX_LENGTH`] bytes.
pub(crate) fn prefix_from_user_agent(user_agent: &str) -> String {
    let prefix = user_agent.split('/').next().unwrap_or("");
    let mut out = String::new();
    for c in prefix.chars().filter(|c| !c.is_control()) {
        if out.len() + c.len_utf8() > FIELD_MANAGER_MAX_LENGTH {
            break;
        }
        out.push(c);
    }
    out
}

/// Metadata fields no manager owns (the real server strips them from every field set).
const SYSTEM_METADATA: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
];

/// The object without what no manager owns: apiVersion, kind, status, system metadata.
fn ownable(obj: &Value) -> Value {
    let mut v = obj.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("apiVersion");
        m.remove("kind");
        m.remove("status");
        if let Some(meta) = m.get_mut("metadata").and_then(Value::as_object_mut) {
            for k in SYSTEM_METADATA {
                meta.remove(*k);
            }
            if meta.is_empty() {
                m.remove("metadata");
            }
        }
    }
    v
}

/// The field set of a value: `{"f:key": …}` for an object's fields, `{}` for a leaf.
fn set_of(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, child)| (format!("f:{k}"), set_of(child)))
                .collect(),
        ),
        _ => json!({}),
    }
}

/// Every field an object (or an applied configuration) sets.
pub(crate) fn fields_of(obj: &Value) -> Value {
    set_of(&ownable(obj))
}

/// The fields a write added or changed, from `before` to `after` (removed fields are no one's).
pub(crate) fn changed_fields(before: &Value, after: &Value) -> Value {
    fn diff(b: &Value, a: &Value) -> Map<String, Value> {
        let mut out = Map::new();
        let (Some(bm), Some(am)) = (b.as_object(), a.as_object()) else {
            return out;
        };
        for (k, av) in am {
            match bm.get(k) {
                Some(bv) if bv == av => {}
                Some(bv) if bv.is_object() && av.is_object() => {
                    let sub = diff(bv, av);
                    if !sub.is_empty() {
                        out.insert(format!("f:{k}"), Value::Object(sub));
                    }
                }
                _ => {
                    out.insert(format!("f:{k}"), set_of(av));
                }
            }
        }
        out
    }
    Value::Object(diff(&ownable(before), &ownable(after)))
}

fn is_empty_set(v: &Value) -> bool {
    v.as_object().is_none_or(Map::is_empty)
}

/// `a ∪ b`.
fn union(a: &mut Value, b: &Value) {
    let (Some(am), Some(bm)) = (a.as_object_mut(), b.as_object()) else {
        return;
    };
    for (k, bv) in bm {
        match am.get_mut(k) {
            Some(av) => union(av, bv),
            None => {
                am.insert(k.clone(), bv.clone());
            }
        }
    }
}

/// `a ∖ b`: a leaf of `b` takes the field, and all below it, away from `a`.
fn subtract(a: &mut Value, b: &Value) {
    let (Some(am), Some(bm)) = (a.as_object_mut(), b.as_object()) else {
        return;
    };
    for (k, bv) in bm {
        let Some(av) = am.get_mut(k) else { continue };
        if is_empty_set(bv) {
            am.remove(k);
        } else if !is_empty_set(av) {
            subtract(av, bv);
            if is_empty_set(av) {
                am.remove(k);
            }
        }
    }
}

fn entry_key(e: &Value) -> (&str, &str, &str) {
    let s = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("");
    (s("manager"), s("operation"), s("subresource"))
}

/// Record `w`'s write of `fields` (an [`Operation`]) in `obj`'s managedFields, starting from
/// `previous` (the stored object's entries; client-supplied ones are never read).
pub(crate) fn record(
    obj: &mut Value,
    previous: Option<&Value>,
    w: &Writer,
    op: Operation,
    fields: Value,
) {
    let mut entries: Vec<Value> = previous
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let key = (
        w.manager.as_str(),
        op.as_str(),
        w.subresource.as_deref().unwrap_or(""),
    );
    let mine = entries.iter().position(|e| entry_key(e) == key);
    let old = mine.map(|i| entries.remove(i));
    if op == Operation::Update {
        // What this write set is no longer the other managers'; a manager left with nothing
        // is dropped (an entry without fieldsV1 is kept: its fields are unknown).
        entries.retain_mut(|e| match e.get_mut("fieldsV1") {
            Some(set) => {
                subtract(set, &fields);
                !is_empty_set(set)
            }
            None => true,
        });
    }
    let set = match (op, &old) {
        (Operation::Update, Some(o)) => {
            let mut s = o.get("fieldsV1").cloned().unwrap_or(json!({}));
            union(&mut s, &fields);
            s
        }
        _ => fields,
    };
    if !is_empty_set(&set) {
        // As kube-apiserver's ManagedFieldsUpdater: the time moves only when the set changed.
        let time = match &old {
            Some(o) if o.get("fieldsV1") == Some(&set) && o.get("time").is_some() => {
                o["time"].clone()
            }
            _ => json!(rfc3339(w.now)),
        };
        let mut e = json!({
            "manager": w.manager,
            "operation": op.as_str(),
            "apiVersion": obj.get("apiVersion").cloned().unwrap_or(json!("")),
            "time": time,
            "fieldsType": "FieldsV1",
            "fieldsV1": set,
        });
        if let Some(sub) = &w.subresource {
            e["subresource"] = json!(sub);
        }
        entries.push(e);
    }
    sort(&mut entries);
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        if entries.is_empty() {
            meta.remove("managedFields");
        } else {
            meta.insert("managedFields".into(), Value::Array(entries));
        }
    }
}

/// kube-apiserver's `sortEncodedManagedFields`: by operation, time, manager, apiVersion,
/// subresource.
fn sort(entries: &mut [Value]) {
    let seconds = |e: &Value| {
        e.get("time")
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<Timestamp>().ok())
            .map_or(0, |t| t.as_second())
    };
    let s = |e: &Value, k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    entries.sort_by(|p, q| {
        s(p, "operation")
            .cmp(&s(q, "operation"))
            .then(seconds(p).cmp(&seconds(q)))
            .then(s(p, "manager").cmp(&s(q, "manager")))
            .then(s(p, "apiVersion").cmp(&s(q, "apiVersion")))
            .then(s(p, "subresource").cmp(&s(q, "subresource")))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agent_prefixes() {
        assert_eq!(
            prefix_from_user_agent("kubectl/v1.32.4 (linux/amd64) kubernetes/abc"),
            "kubectl"
        );
        assert_eq!(prefix_from_user_agent(""), "");
        assert_eq!(prefix_from_user_agent("Go-http-client"), "Go-http-client");
        assert_eq!(prefix_from_user_agent("a\tb/1"), "ab");
        assert_eq!(prefix_from_user_agent(&"x".repeat(300)).len(), 128);
        // A multi-byte character that would cross the limit is left out whole.
        let ua = format!("{}é/1", "x".repeat(127));
        assert_eq!(prefix_from_user_agent(&ua), "x".repeat(127));
    }

    #[test]
    fn field_sets() {
        let obj = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "n", "uid": "u", "labels": {"a": "1"}},
            "data": {"k": "v"}, "status": {"x": 1}});
        assert_eq!(
            fields_of(&obj),
            json!({"f:metadata": {"f:labels": {"f:a": {}}}, "f:data": {"f:k": {}}})
        );
        let mut after = obj.clone();
        after["metadata"]["labels"]["b"] = json!("2");
        after["metadata"]["labels"]["a"] = json!("1");
        after["metadata"]["resourceVersion"] = json!("9");
        assert_eq!(
            changed_fields(&obj, &after),
            json!({"f:metadata": {"f:labels": {"f:b": {}}}})
        );
        let mut a = json!({"f:metadata": {"f:labels": {"f:a": {}, "f:b": {}}}, "f:data": {}});
        subtract(
            &mut a,
            &json!({"f:metadata": {"f:labels": {"f:a": {}, "f:b": {}}}}),
        );
        assert_eq!(a, json!({"f:data": {}}));
    }

    #[test]
    fn updates_replace_their_own_entry_and_take_fields_from_others() {
        let t0 = Timestamp::from_second(1_700_000_000).unwrap();
        let t1 = Timestamp::from_second(1_700_000_100).unwrap();
        let mut obj = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "labels": {"a": "1"}}, "data": {"k": "v"}});
        let fields = fields_of(&obj);
        record(
            &mut obj,
            None,
            &Writer::new("helm", t0),
            Operation::Update,
            fields,
        );
        let first = obj["metadata"]["managedFields"].clone();
        assert_eq!(first[0]["time"], "2023-11-14T22:13:20Z");
        // kubectl-label takes label a; helm keeps data.
        let before = obj.clone();
        obj["metadata"]["labels"]["a"] = json!("2");
        let fields = changed_fields(&before, &obj);
        record(
            &mut obj,
            Some(&first),
            &Writer::new("kubectl-label", t1),
            Operation::Update,
            fields,
        );
        let mf = obj["metadata"]["managedFields"].as_array().unwrap().clone();
        let managers: Vec<&str> = mf.iter().map(|e| e["manager"].as_str().unwrap()).collect();
        assert_eq!(managers, ["helm", "kubectl-label"]);
        assert_eq!(mf[0]["fieldsV1"], json!({"f:data": {"f:k": {}}}));
        assert_eq!(
            mf[1]["fieldsV1"],
            json!({"f:metadata": {"f:labels": {"f:a": {}}}})
        );
        // The same manager again: one entry, its set grown.
        let before = obj.clone();
        obj["metadata"]["labels"]["b"] = json!("3");
        let fields = changed_fields(&before, &obj);
        let previous = obj["metadata"]["managedFields"].clone();
        record(
            &mut obj,
            Some(&previous),
            &Writer::new("kubectl-label", t1),
            Operation::Update,
            fields,
        );
        let mf = obj["metadata"]["managedFields"].as_array().unwrap();
        assert_eq!(mf.len(), 2);
        assert_eq!(
            mf[1]["fieldsV1"],
            json!({"f:metadata": {"f:labels": {"f:a": {}, "f:b": {}}}})
        );
    }
}
