//! The object store: one ordered map per resource, keyed by (namespace, name), holding compact JSON.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::managed::{self, Operation, Writer};
use crate::resources::{self, ResourceDef};
use crate::selector::{FieldSelector, LabelSelector, validate_key, validate_value};

/// A Kubernetes error answer, rendered as a `Status` object.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
    /// `metadata.continue` of the Status: the token kube-apiserver hands back with a 410 for an
    /// expired continue token, to go on with an inconsistent list.
    pub continue_token: Option<String>,
}

/// One field error of a validation failure, as apimachinery's `field.Error`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldError {
    /// `FieldValueForbidden`, `FieldValueNotSupported`, …
    pub reason: &'static str,
    pub field: &'static str,
    /// The error without the field: `Forbidden: …`, `Unsupported value: …`.
    pub detail: String,
}

impl FieldError {
    pub fn forbidden(field: &'static str, detail: impl std::fmt::Display) -> FieldError {
        FieldError {
            reason: "FieldValueForbidden",
            field,
            detail: format!("Forbidden: {detail}"),
        }
    }

    /// `Too long: may not be more than N bytes`.
    pub fn too_long(field: &'static str, max: usize) -> FieldError {
        FieldError {
            reason: "FieldValueTooLong",
            field,
            detail: format!("Too long: may not be more than {max} bytes"),
        }
    }

    /// `Required value: …`.
    pub fn required(field: &'static str, detail: &str) -> FieldError {
        FieldError {
            reason: "FieldValueRequired",
            field,
            detail: format!("Required value: {detail}"),
        }
    }

    pub fn not_supported(field: &'static str, value: &str, supported: &[&str]) -> FieldError {
        let q = |s: &str| serde_json::to_string(s).expect("string to JSON");
        let list: Vec<String> = supported.iter().map(|s| q(s)).collect();
        FieldError {
            reason: "FieldValueNotSupported",
            field,
            detail: format!(
                "Unsupported value: {}: supported values: {}",
                q(value),
                list.join(", ")
            ),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.detail)
    }
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
            continue_token: None,
        }
    }

    /// 422 for query parameters that fail kube-apiserver's `ListOptions` validation:
    /// `ListOptions.meta.k8s.io "" is invalid: …`, one cause per field error.
    pub fn invalid_list_options(errors: &[FieldError]) -> ApiError {
        ApiError::invalid_options("ListOptions", errors)
    }

    /// 422 for options of `kind` (`ListOptions`, `CreateOptions`, `PatchOptions`, …) that fail
    /// kube-apiserver's validation: `KIND.meta.k8s.io "" is invalid: …`.
    pub fn invalid_options(kind: &str, errors: &[FieldError]) -> ApiError {
        let listed: Vec<String> = errors.iter().map(ToString::to_string).collect();
        let aggregate = match listed.as_slice() {
            [one] => one.clone(),
            many => format!("[{}]", many.join(", ")),
        };
        let mut e = ApiError::new(
            422,
            "Invalid",
            format!("{kind}.meta.k8s.io \"\" is invalid: {aggregate}"),
        );
        let causes: Vec<Value> = errors
            .iter()
            .map(|f| json!({"reason": f.reason, "message": f.detail, "field": f.field}))
            .collect();
        e.details = Some(json!({"group": "meta.k8s.io", "kind": kind, "causes": causes}));
        e
    }

    fn with_details(mut self, def: &ResourceDef, name: &str) -> ApiError {
        let mut d = json!({"group": def.group, "kind": def.plural});
        if !name.is_empty() {
            d["name"] = json!(name);
        }
        self.details = Some(d);
        self
    }

    pub fn not_found(def: &ResourceDef, name: &str) -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", def.qualified()),
        )
        .with_details(def, name)
    }

    pub fn already_exists(def: &ResourceDef, name: &str) -> ApiError {
        ApiError::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", def.qualified()),
        )
        .with_details(def, name)
    }

    pub fn conflict(def: &ResourceDef, name: &str) -> ApiError {
        ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                def.qualified()
            ),
        )
        .with_details(def, name)
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "BadRequest", message)
    }

    pub fn invalid(def: &ResourceDef, name: &str, field: &str, detail: &str) -> ApiError {
        let mut e = ApiError::new(
            422,
            "Invalid",
            format!(
                "{} \"{name}\" is invalid: {field}: {detail}",
                def.qualified_kind()
            ),
        );
        e.details = Some(json!({
            "name": name,
            "group": def.group,
            "kind": def.kind,
            "causes": [{"reason": "FieldValueInvalid", "message": detail, "field": field}],
        }));
        e
    }

    /// The `Status` object for this error.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(token) = &self.continue_token {
            v["metadata"]["continue"] = json!(token);
        }
        if let Some(d) = &self.details {
            v["details"] = d.clone();
        }
        v
    }
}

/// One stored object: its compact JSON plus its labels, for fast selector matching.
#[derive(Debug)]
pub(crate) struct Entry {
    pub raw: Box<str>,
    labels: Box<[(Box<str>, Box<str>)]>,
}

impl Entry {
    fn new(v: &Value) -> Entry {
        let labels = v
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.as_str().into(), v.as_str()?.into())))
                    .collect()
            })
            .unwrap_or_default();
        Entry {
            raw: serde_json::to_string(v)
                .expect("JSON values serialize")
                .into_boxed_str(),
            labels,
        }
    }

    /// The value of label `key`.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, v)| &**v)
    }

    /// A field by its dotted path (`status.podIP`) as text; `""` when absent.
    pub fn field(&self, path: &str) -> String {
        let pointer = format!("/{}", path.replace('.', "/"));
        match self.value().pointer(&pointer) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        }
    }

    /// The object, parsed.
    pub fn value(&self) -> Value {
        serde_json::from_str(&self.raw).expect("stored JSON parses")
    }
}

#[derive(Debug, Default)]
struct ResTable {
    objs: BTreeMap<(String, String), Entry>,
    ns_counts: HashMap<String, usize>,
}

/// What one list request asks for.
pub(crate) struct ListQuery<'a> {
    /// `None` = all namespaces (or a cluster-scoped resource).
    pub namespace: Option<&'a str>,
    pub labels: &'a LabelSelector,
    pub fields: &'a FieldSelector,
    /// 0 = no limit.
    pub limit: usize,
    /// Continue after this key.
    pub after: Option<(String, String)>,
    /// Items returned by the previous pages.
    pub offset: usize,
}

/// One page of a list, borrowed from the store.
pub(crate) struct Page<'s> {
    pub items: Vec<&'s Entry>,
    /// Key of the last item returned, set when more remain.
    pub next: Option<(String, String)>,
    pub remaining: Option<usize>,
}

/// All objects, plus the global resourceVersion counter.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub rv: u64,
    tables: HashMap<&'static str, ResTable>,
}

/// RFC 3339 with whole seconds, as Kubernetes writes timestamps.
pub(crate) fn rfc3339(ts: Timestamp) -> String {
    Timestamp::from_second(ts.as_second())
        .expect("timestamp in range")
        .to_string()
}

fn key_of(v: &Value) -> (String, String) {
    let ns = v
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("");
    let name = v
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    (ns.to_string(), name.to_string())
}

/// The uid this server gives an object that has none: a UUID, as a real API server's, but
/// derived from kind, namespace and name so that seeds and their ownerReferences stay stable.
pub(crate) fn default_uid(kind: &str, ns: &str, name: &str) -> String {
    use std::hash::{Hash, Hasher};
    let half = |salt: u8| {
        // Fixed keys: the same value on every run of a build.
        let mut hasher = std::hash::DefaultHasher::new();
        (salt, kind.to_ascii_lowercase(), ns, name).hash(&mut hasher);
        hasher.finish()
    };
    let bits = (u128::from(half(0)) << 64) | u128::from(half(1));
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Check labels and annotations the way the API server's validation does.
pub(crate) fn validate_meta(def: &ResourceDef, name: &str, obj: &Value) -> Result<(), ApiError> {
    for field in ["labels", "annotations"] {
        let Some(m) = obj.get("metadata").and_then(|m| m.get(field)) else {
            continue;
        };
        if m.is_null() {
            continue;
        }
        let Some(m) = m.as_object() else {
            return Err(ApiError::bad_request(format!(
                "json: cannot unmarshal {} into Go struct field ObjectMeta.metadata.{field} of type map[string]string",
                json_type(m)
            )));
        };
        for (k, v) in m {
            let Some(v) = v.as_str() else {
                return Err(ApiError::bad_request(format!(
                    "json: cannot unmarshal {} into Go struct field ObjectMeta.metadata.{field} of type string",
                    json_type(v)
                )));
            };
            if let Err(e) = validate_key(k) {
                return Err(ApiError::invalid(
                    def,
                    name,
                    &format!("metadata.{field}"),
                    &e,
                ));
            }
            if field == "labels"
                && let Err(e) = validate_value(v)
            {
                return Err(ApiError::invalid(def, name, "metadata.labels", &e));
            }
        }
    }
    Ok(())
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn rv_of(v: &Value) -> Option<&str> {
    v.pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
}

impl Store {
    /// Store `v` under its own namespace/name (upsert), without touching its fields.
    pub fn put(&mut self, def: &'static ResourceDef, v: &Value) {
        let key = key_of(v);
        let table = self.tables.entry(def.plural).or_default();
        let ns = key.0.clone();
        if table.objs.insert(key, Entry::new(v)).is_none() {
            *table.ns_counts.entry(ns).or_default() += 1;
        }
    }

    /// Remove one object.
    pub fn remove(&mut self, def: &ResourceDef, ns: &str, name: &str) -> Option<Entry> {
        let table = self.tables.get_mut(def.plural)?;
        let e = table.objs.remove(&(ns.to_string(), name.to_string()))?;
        if let Some(c) = table.ns_counts.get_mut(ns) {
            *c -= 1;
        }
        Some(e)
    }

    /// Remove every namespaced object in `ns`.
    pub fn remove_namespace_contents(&mut self, ns: &str) {
        for table in self.tables.values_mut() {
            let keys: Vec<_> = table
                .objs
                .range((ns.to_string(), String::new())..)
                .take_while(|((n, _), _)| n == ns)
                .map(|(k, _)| k.clone())
                .collect();
            for k in keys {
                table.objs.remove(&k);
            }
            table.ns_counts.remove(ns);
        }
    }

    /// One object.
    pub fn get(&self, def: &ResourceDef, ns: &str, name: &str) -> Option<&Entry> {
        self.tables
            .get(def.plural)?
            .objs
            .get(&(ns.to_string(), name.to_string()))
    }

    /// Number of objects of a resource.
    pub fn len(&self, def: &ResourceDef) -> usize {
        self.tables.get(def.plural).map_or(0, |t| t.objs.len())
    }

    /// Bump and return the global resourceVersion.
    pub fn bump(&mut self) -> u64 {
        self.rv += 1;
        self.rv
    }

    /// Insert any object (upsert), filling uid, resourceVersion, creationTimestamp when absent.
    pub fn insert(&mut self, mut v: Value, now: Timestamp) -> Result<&'static ResourceDef, String> {
        let api_version = v
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let kind = v
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let (api_version, kind) = (api_version.as_str(), kind.as_str());
        let def = resources::by_kind(api_version, kind)
            .ok_or_else(|| format!("no resource for apiVersion {api_version:?} kind {kind:?}"))?;
        let (ns, name) = key_of(&v);
        if name.is_empty() {
            return Err("object has no metadata.name".into());
        }
        if def.namespaced && ns.is_empty() {
            return Err(format!("{kind} {name} needs metadata.namespace"));
        }
        let given_rv = rv_of(&v).and_then(|s| s.parse::<u64>().ok());
        let rv = match given_rv {
            Some(r) => {
                self.rv = self.rv.max(r);
                r
            }
            None => self.bump(),
        };
        let meta = v
            .get_mut("metadata")
            .and_then(Value::as_object_mut)
            .ok_or("object has no metadata")?;
        meta.entry("uid")
            .or_insert_with(|| json!(default_uid(kind, &ns, &name)));
        meta.insert("resourceVersion".into(), json!(rv.to_string()));
        meta.entry("creationTimestamp")
            .or_insert_with(|| json!(rfc3339(now)));
        self.put(def, &v);
        Ok(def)
    }

    /// One page of a list.
    /// Every stored object of `def`, in namespace and name order.
    pub fn all(&self, def: &ResourceDef) -> Vec<&Entry> {
        self.tables
            .get(def.plural)
            .map(|t| t.objs.values().collect())
            .unwrap_or_default()
    }

    pub fn list<'s>(&'s self, def: &ResourceDef, q: ListQuery<'_>) -> Page<'s> {
        let mut page = Page {
            items: Vec::new(),
            next: None,
            remaining: None,
        };
        let Some(table) = self.tables.get(def.plural) else {
            return page;
        };
        let start = match (&q.after, q.namespace) {
            (Some(k), _) => Bound::Excluded(k.clone()),
            (None, Some(ns)) => Bound::Included((ns.to_string(), String::new())),
            (None, None) => Bound::Unbounded,
        };
        let mut last: Option<&(String, String)> = None;
        for (key, e) in table.objs.range((start, Bound::Unbounded)) {
            if let Some(want) = q.namespace {
                match key.0.as_str().cmp(want) {
                    std::cmp::Ordering::Less => continue,
                    std::cmp::Ordering::Greater => break,
                    std::cmp::Ordering::Equal => {}
                }
            }
            let field = |path: &str| {
                let v = e.field(path);
                if v.is_empty() {
                    FieldSelector::default_value(def.plural, path).to_string()
                } else {
                    v
                }
            };
            if !q.fields.matches(&key.0, &key.1, field) || !q.labels.matches(|k| e.label(k)) {
                continue;
            }
            if q.limit > 0 && page.items.len() == q.limit {
                page.next = last.cloned();
                break;
            }
            page.items.push(e);
            last = Some(key);
        }
        if page.next.is_some() && q.labels.is_empty() && q.fields.is_empty() {
            let total = match q.namespace {
                Some(ns) => table.ns_counts.get(ns).copied().unwrap_or(0),
                None => table.objs.len(),
            };
            page.remaining = Some(total.saturating_sub(q.offset + page.items.len()));
        }
        page
    }

    /// Apply a JSON merge patch directly (a concurrent writer), bumping resourceVersion.
    pub fn force_merge(&mut self, def: &'static ResourceDef, ns: &str, name: &str, patch: &Value) {
        let Some(e) = self.get(def, ns, name) else {
            return;
        };
        let mut obj = e.value();
        json_patch::merge(&mut obj, patch);
        let rv = self.bump();
        obj["metadata"]["resourceVersion"] = json!(rv.to_string());
        self.put(def, &obj);
    }

    /// Delete the object and create it again under the same name: a new uid, resourceVersion and
    /// creationTimestamp, the same labels and annotations.
    pub fn recreate(&mut self, def: &'static ResourceDef, ns: &str, name: &str, now: Timestamp) {
        let Some(e) = self.remove(def, ns, name) else {
            return;
        };
        let mut obj = e.value();
        let rv = self.bump();
        let meta = &mut obj["metadata"];
        let old_uid = meta["uid"].as_str().unwrap_or_default().to_string();
        meta["uid"] = json!(format!("{old_uid}-recreated-{rv}"));
        meta["resourceVersion"] = json!(rv.to_string());
        meta["creationTimestamp"] = json!(rfc3339(now));
        self.put(def, &obj);
    }

    /// PATCH of every type: apply it, check the resourceVersion precondition, validate, record
    /// the writer in managedFields, store unless `dry_run` or a no-op.
    ///
    /// A server-side apply patch (`application/apply-patch+yaml`) is read as JSON (the YAML
    /// clients send: kubectl and client-go encode it so) and merged like a JSON merge patch — an
    /// approximation of structured-merge-diff (fields left out of a new configuration stay, no
    /// conflicts); to an absent object it creates it, as on the real server.
    #[allow(clippy::too_many_arguments)]
    pub fn patch(
        &mut self,
        def: &'static ResourceDef,
        ns: &str,
        name: &str,
        content_type: &str,
        body: &[u8],
        dry_run: bool,
        w: &Writer,
    ) -> Result<Value, ApiError> {
        let media = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let Some(current) = self.get(def, ns, name).map(Entry::value) else {
            if media == APPLY_PATCH {
                let mut cfg = parse_apply(body)?;
                match cfg.pointer("/metadata/name").and_then(Value::as_str) {
                    Some(n) if n != name => {
                        return Err(ApiError::bad_request(format!(
                            "the name of the object ({n}) does not match the name on the URL ({name})"
                        )));
                    }
                    _ => {}
                }
                if !cfg.get("metadata").is_some_and(Value::is_object) {
                    cfg["metadata"] = json!({});
                }
                cfg["metadata"]["name"] = json!(name);
                return self.create_value(def, ns, cfg, dry_run, w, Operation::Apply);
            }
            return Err(ApiError::not_found(def, name));
        };
        let mut obj = current.clone();
        let mut op = Operation::Update;
        let mut applied = None;
        match media.as_str() {
            "application/merge-patch+json" | "application/strategic-merge-patch+json" => {
                let p: Value = serde_json::from_slice(body)
                    .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
                if !p.is_object() {
                    return Err(ApiError::bad_request(
                        "error decoding patch: json: cannot unmarshal into Go value of type map[string]interface {}",
                    ));
                }
                json_patch::merge(&mut obj, &p);
            }
            "application/json-patch+json" => {
                let p: json_patch::Patch = serde_json::from_slice(body)
                    .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
                json_patch::patch(&mut obj, &p).map_err(|e| {
                    ApiError::new(
                        422,
                        "Invalid",
                        format!(
                            "the server rejected our request due to an error in our request: {e}"
                        ),
                    )
                })?;
            }
            APPLY_PATCH => {
                let cfg = parse_apply(body)?;
                json_patch::merge(&mut obj, &cfg);
                op = Operation::Apply;
                applied = Some(managed::fields_of(&cfg));
            }
            _ => {
                return Err(ApiError::new(
                    415,
                    "UnsupportedMediaType",
                    format!(
                        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {media:?})"
                    ),
                ));
            }
        }
        // Optimistic concurrency: a resourceVersion in the result that differs from the stored one.
        if let Some(want) = rv_of(&obj)
            && Some(want) != rv_of(&current)
        {
            return Err(ApiError::conflict(def, name));
        }
        // The uid is immutable: a patch naming another object's uid is refused, as the real
        // server's metadata validation does.
        if let Some(uid) = obj.pointer("/metadata/uid")
            && Some(uid) != current.pointer("/metadata/uid")
        {
            return Err(ApiError::invalid(
                def,
                name,
                "metadata.uid",
                &format!("Invalid value: {uid}: field is immutable"),
            ));
        }
        if key_of(&obj) != key_of(&current)
            || obj.get("kind") != current.get("kind")
            || obj.get("apiVersion") != current.get("apiVersion")
        {
            return Err(ApiError::invalid(
                def,
                name,
                "metadata.name",
                "Invalid value: the name, namespace, kind and apiVersion of an object are immutable",
            ));
        }
        validate_meta(def, name, &obj)?;
        validate_kind(def, name, &obj, Some(&current))?;
        let meta = obj
            .get_mut("metadata")
            .and_then(Value::as_object_mut)
            .ok_or_else(|| ApiError::bad_request("metadata must be an object"))?;
        meta.insert("uid".into(), current["metadata"]["uid"].clone());
        meta.insert(
            "creationTimestamp".into(),
            current["metadata"]["creationTimestamp"].clone(),
        );
        if obj.get("spec") != current.get("spec")
            && let Some(g) = current
                .pointer("/metadata/generation")
                .and_then(Value::as_i64)
        {
            obj["metadata"]["generation"] = json!(g + 1);
        }
        let fields = applied.unwrap_or_else(|| managed::changed_fields(&current, &obj));
        self.finish_write(def, &current, obj, dry_run, w, op, fields)
    }

    /// PUT: replace an existing object (unconditionally when the body has no resourceVersion),
    /// keeping its uid, creationTimestamp and managedFields; validate, record the writer, store
    /// unless `dry_run` or a no-op.
    #[allow(clippy::too_many_arguments)]
    pub fn update(
        &mut self,
        def: &'static ResourceDef,
        ns: &str,
        name: &str,
        body: &[u8],
        dry_run: bool,
        w: &Writer,
    ) -> Result<Value, ApiError> {
        let mut obj: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding body: {e}")))?;
        let current = self
            .get(def, ns, name)
            .ok_or_else(|| ApiError::not_found(def, name))?
            .value();
        let Some(map) = obj.as_object_mut() else {
            return Err(ApiError::bad_request("the body must be a JSON object"));
        };
        check_type_meta(def, map)?;
        let meta = map
            .entry("metadata")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .ok_or_else(|| ApiError::bad_request("metadata must be an object"))?;
        match meta.get("name").and_then(Value::as_str) {
            Some(n) if n != name => {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({n}) does not match the name on the URL ({name})"
                )));
            }
            _ => {
                meta.insert("name".into(), json!(name));
            }
        }
        set_namespace(def, ns, meta)?;
        if let Some(rv) = meta
            .get("resourceVersion")
            .and_then(Value::as_str)
            .filter(|rv| !rv.is_empty())
            && Some(rv) != rv_of(&current)
        {
            return Err(ApiError::conflict(def, name));
        }
        if let Some(uid) = meta.get("uid").filter(|u| u.as_str() != Some(""))
            && Some(uid) != current.pointer("/metadata/uid")
        {
            return Err(ApiError::invalid(
                def,
                name,
                "metadata.uid",
                &format!("Invalid value: {uid}: field is immutable"),
            ));
        }
        for k in ["uid", "resourceVersion", "creationTimestamp", "generation"] {
            match current["metadata"].get(k) {
                Some(v) => {
                    meta.insert(k.into(), v.clone());
                }
                None => {
                    meta.remove(k);
                }
            }
        }
        validate_meta(def, name, &obj)?;
        validate_kind(def, name, &obj, Some(&current))?;
        if obj.get("spec") != current.get("spec")
            && let Some(g) = current
                .pointer("/metadata/generation")
                .and_then(Value::as_i64)
        {
            obj["metadata"]["generation"] = json!(g + 1);
        }
        let fields = managed::changed_fields(&current, &obj);
        self.finish_write(def, &current, obj, dry_run, w, Operation::Update, fields)
    }

    /// The end of a write to an existing object: record the writer in managedFields (from the
    /// stored entries), then store the result — unless nothing changed (the real server writes
    /// nothing then, and managedFields keep their times) or it is a dry run.
    #[allow(clippy::too_many_arguments)]
    fn finish_write(
        &mut self,
        def: &'static ResourceDef,
        current: &Value,
        mut obj: Value,
        dry_run: bool,
        w: &Writer,
        op: Operation,
        fields: Value,
    ) -> Result<Value, ApiError> {
        managed::record(
            &mut obj,
            current.pointer("/metadata/managedFields"),
            w,
            op,
            fields,
        );
        if obj == *current {
            // A no-op writes nothing, like the real server.
            return Ok(obj);
        }
        if dry_run {
            obj["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"].clone();
            return Ok(obj);
        }
        let rv = self.bump();
        obj["metadata"]["resourceVersion"] = json!(rv.to_string());
        self.put(def, &obj);
        Ok(obj)
    }

    /// POST: create a new object in `ns` (empty for cluster-scoped).
    pub fn create(
        &mut self,
        def: &'static ResourceDef,
        ns: &str,
        body: &[u8],
        dry_run: bool,
        w: &Writer,
    ) -> Result<Value, ApiError> {
        let obj: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding body: {e}")))?;
        self.create_value(def, ns, obj, dry_run, w, Operation::Update)
    }

    /// Create `obj` (a POST's body, or the configuration of an apply to an absent object).
    fn create_value(
        &mut self,
        def: &'static ResourceDef,
        ns: &str,
        mut obj: Value,
        dry_run: bool,
        w: &Writer,
        op: Operation,
    ) -> Result<Value, ApiError> {
        let now = w.now;
        let Some(map) = obj.as_object_mut() else {
            return Err(ApiError::bad_request("the body must be a JSON object"));
        };
        check_type_meta(def, map)?;
        let meta = map
            .entry("metadata")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .ok_or_else(|| ApiError::bad_request("metadata must be an object"))?;
        set_namespace(def, ns, meta)?;
        let name = match meta.get("name").and_then(Value::as_str) {
            Some(n) if !n.is_empty() => n.to_string(),
            _ => match meta.get("generateName").and_then(Value::as_str) {
                Some(prefix) => format!("{prefix}{}", suffix(self.rv + 1, 5)),
                None => {
                    return Err(ApiError::invalid(
                        def,
                        "",
                        "metadata.name",
                        "Required value: name or generateName is required",
                    ));
                }
            },
        };
        meta.insert("name".into(), json!(name));
        // Client-supplied managedFields are not taken: the server records the writer below.
        meta.remove("managedFields");
        meta.remove("resourceVersion");
        meta.insert("uid".into(), json!(default_uid(def.kind, ns, &name)));
        meta.insert("creationTimestamp".into(), json!(rfc3339(now)));
        if def.kind != "Pod" && def.kind != "Namespace" && obj.get("spec").is_some() {
            obj["metadata"]["generation"] = json!(1);
        }
        if def.namespaced {
            let ns_def = resources::by_plural_any("namespaces").expect("namespaces resource");
            if self.get(ns_def, "", ns).is_none() {
                return Err(ApiError::not_found(ns_def, ns));
            }
        }
        if self.get(def, ns, &name).is_some() {
            return Err(ApiError::already_exists(def, &name));
        }
        validate_meta(def, &name, &obj)?;
        validate_kind(def, &name, &obj, None)?;
        if def.kind == "Namespace" && obj.get("status").is_none() {
            obj["status"] = json!({"phase": "Active"});
        }
        let fields = managed::fields_of(&obj);
        managed::record(&mut obj, None, w, op, fields);
        if dry_run {
            return Ok(obj);
        }
        let rv = self.bump();
        obj["metadata"]["resourceVersion"] = json!(rv.to_string());
        self.put(def, &obj);
        Ok(obj)
    }
}

const APPLY_PATCH: &str = "application/apply-patch+yaml";

/// The configuration of a server-side apply patch: JSON (what clients send as YAML), an object.
fn parse_apply(body: &[u8]) -> Result<Value, ApiError> {
    let cfg: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "error decoding YAML: the test API server reads apply patches as JSON only: {e}"
        ))
    })?;
    if !cfg.is_object() {
        return Err(ApiError::bad_request(
            "error decoding YAML: the configuration must be an object",
        ));
    }
    Ok(cfg)
}

/// Default a body's apiVersion and kind to the resource's, or refuse others.
fn check_type_meta(
    def: &ResourceDef,
    map: &mut serde_json::Map<String, Value>,
) -> Result<(), ApiError> {
    let api_version = def.api_version();
    match map.get("apiVersion").and_then(Value::as_str) {
        None => {
            map.insert("apiVersion".into(), json!(api_version));
        }
        Some(v) if v == api_version => {}
        Some(v) => {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({v}) does not match the expected API version ({api_version})"
            )));
        }
    }
    match map.get("kind").and_then(Value::as_str) {
        None => {
            map.insert("kind".into(), json!(def.kind));
        }
        Some(k) if k == def.kind => {}
        Some(k) => {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                def.kind
            )));
        }
    }
    Ok(())
}

/// Set a body's namespace to the request's (none for a cluster-scoped kind), or refuse another.
fn set_namespace(
    def: &ResourceDef,
    ns: &str,
    meta: &mut serde_json::Map<String, Value>,
) -> Result<(), ApiError> {
    if def.namespaced {
        match meta.get("namespace").and_then(Value::as_str) {
            Some(n) if n != ns => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            _ => {
                meta.insert("namespace".into(), json!(ns));
            }
        }
    } else {
        meta.remove("namespace");
    }
    Ok(())
}

/// Kind-specific validation: a RoleBinding's or ClusterRoleBinding's `roleRef` (required,
/// immutable), as kube-apiserver's RBAC validation.
fn validate_kind(
    def: &ResourceDef,
    name: &str,
    obj: &Value,
    current: Option<&Value>,
) -> Result<(), ApiError> {
    if !matches!(def.kind, "RoleBinding" | "ClusterRoleBinding") {
        return Ok(());
    }
    let role_ref = obj.get("roleRef");
    let text = |r: Option<&Value>, k: &str| {
        r.and_then(|r| r.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    if let Some(cur) = current
        && cur.get("roleRef") != role_ref
    {
        let was = cur.get("roleRef");
        return Err(ApiError::invalid(
            def,
            name,
            "roleRef",
            &format!(
                "Invalid value: rbac.RoleRef{{APIGroup:{:?}, Kind:{:?}, Name:{:?}}}: cannot change roleRef",
                text(was, "apiGroup"),
                text(was, "kind"),
                text(was, "name")
            ),
        ));
    }
    let q = |s: &str| serde_json::to_string(s).expect("string to JSON");
    let group = text(role_ref, "apiGroup");
    if group != "rbac.authorization.k8s.io" {
        return Err(ApiError::invalid(
            def,
            name,
            "roleRef.apiGroup",
            &format!(
                "Unsupported value: {}: supported values: \"rbac.authorization.k8s.io\"",
                q(&group)
            ),
        ));
    }
    let kinds: &[&str] = if def.kind == "RoleBinding" {
        &["Role", "ClusterRole"]
    } else {
        &["ClusterRole"]
    };
    let kind = text(role_ref, "kind");
    if !kinds.contains(&kind.as_str()) {
        let listed: Vec<String> = kinds.iter().map(|k| q(k)).collect();
        return Err(ApiError::invalid(
            def,
            name,
            "roleRef.kind",
            &format!(
                "Unsupported value: {}: supported values: {}",
                q(&kind),
                listed.join(", ")
            ),
        ));
    }
    if text(role_ref, "name").is_empty() {
        return Err(ApiError::invalid(
            def,
            name,
            "roleRef.name",
            "Required value",
        ));
    }
    Ok(())
}

const SUFFIX_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// A deterministic Kubernetes-looking random suffix (`x2kq9`) derived from `seed`.
pub(crate) fn suffix(seed: u64, len: usize) -> String {
    let mut x = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(0x632B_E59B_D9B4_E019);
    let mut s = String::with_capacity(len);
    for _ in 0..len {
        x ^= x >> 29;
        x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x ^= x >> 32;
        s.push(SUFFIX_ALPHABET[(x % SUFFIX_ALPHABET.len() as u64) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deploy(ns: &str, name: &str, labels: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": name, "namespace": ns, "labels": labels, "generation": 1},
               "spec": {"replicas": 1}})
    }

    fn store_with(n: usize) -> Store {
        let mut s = Store::default();
        let now = Timestamp::now();
        for i in 0..n {
            let ns = format!("ns-{}", i % 3);
            let team = if i % 2 == 0 { "a" } else { "b" };
            s.insert(
                deploy(&ns, &format!("d-{i:03}"), json!({"team": team})),
                now,
            )
            .unwrap();
        }
        s
    }

    fn writer() -> Writer {
        Writer::new("test", Timestamp::now())
    }

    fn def(p: &str) -> &'static ResourceDef {
        resources::by_plural_any(p).unwrap()
    }

    fn names(p: &Page<'_>) -> Vec<String> {
        p.items
            .iter()
            .map(|e| e.value()["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn pagination_walks_everything_in_order_once() {
        let s = store_with(50);
        let (ls, fs) = (LabelSelector::default(), FieldSelector::default());
        let mut after = None;
        let mut offset = 0;
        let mut seen = Vec::new();
        for _ in 0..100 {
            let page = s.list(
                def("deployments"),
                ListQuery {
                    namespace: None,
                    labels: &ls,
                    fields: &fs,
                    limit: 7,
                    after: after.clone(),
                    offset,
                },
            );
            offset += page.items.len();
            seen.extend(names(&page));
            if let Some(r) = page.remaining {
                assert_eq!(r, 50 - offset);
            }
            match page.next {
                Some(k) => after = Some(k),
                None => break,
            }
        }
        assert_eq!(seen.len(), 50);
        let mut sorted: Vec<_> = (0..50)
            .map(|i| (format!("ns-{}", i % 3), format!("d-{i:03}")))
            .collect();
        sorted.sort();
        let want: Vec<String> = sorted.into_iter().map(|(_, n)| n).collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn namespaced_list_with_selector() {
        let s = store_with(30);
        let ls = LabelSelector::parse("team=a").unwrap();
        let fs = FieldSelector::default();
        let page = s.list(
            def("deployments"),
            ListQuery {
                namespace: Some("ns-1"),
                labels: &ls,
                fields: &fs,
                limit: 0,
                after: None,
                offset: 0,
            },
        );
        // i % 3 == 1 and i even: 4, 10, 16, 22, 28
        assert_eq!(names(&page), ["d-004", "d-010", "d-016", "d-022", "d-028"]);
        assert!(page.next.is_none());
    }

    #[test]
    fn last_full_page_has_no_continue() {
        let s = store_with(6);
        let (ls, fs) = (LabelSelector::default(), FieldSelector::default());
        let page = s.list(
            def("deployments"),
            ListQuery {
                namespace: None,
                labels: &ls,
                fields: &fs,
                limit: 6,
                after: None,
                offset: 0,
            },
        );
        assert_eq!(page.items.len(), 6);
        assert!(page.next.is_none());
    }

    #[test]
    fn service_field_selectors_see_the_defaulted_type() {
        let mut s = Store::default();
        let now = Timestamp::now();
        for (name, spec) in [
            ("web", json!({"clusterIP": "10.96.0.10"})),
            ("db", json!({"type": "ClusterIP", "clusterIP": "None"})),
            (
                "edge",
                json!({"type": "LoadBalancer", "clusterIP": "10.96.0.12"}),
            ),
        ] {
            s.insert(
                json!({"apiVersion": "v1", "kind": "Service",
                       "metadata": {"name": name, "namespace": "a"}, "spec": spec}),
                now,
            )
            .unwrap();
        }
        let names_where = |selector: &str| {
            let fs = FieldSelector::parse_for(selector, FieldSelector::extra_fields("services"))
                .unwrap();
            let ls = LabelSelector::default();
            names(&s.list(
                def("services"),
                ListQuery {
                    namespace: None,
                    labels: &ls,
                    fields: &fs,
                    limit: 0,
                    after: None,
                    offset: 0,
                },
            ))
        };
        assert_eq!(names_where("spec.type=ClusterIP"), ["db", "web"]);
        assert_eq!(names_where("spec.clusterIP!=None"), ["edge", "web"]);
        assert_eq!(names_where("spec.clusterIP=10.96.0.12"), ["edge"]);
    }

    #[test]
    fn patch_merges_labels_and_bumps_resource_version() {
        let mut s = store_with(1);
        let d = def("deployments");
        let before = s.rv;
        let out = s
            .patch(
                d,
                "ns-0",
                "d-000",
                "application/merge-patch+json",
                br#"{"metadata":{"labels":{"lifecycle":"production","team":null}}}"#,
                false,
                &writer(),
            )
            .unwrap();
        assert_eq!(
            out["metadata"]["labels"],
            json!({"lifecycle": "production"})
        );
        assert_eq!(s.rv, before + 1);
        assert_eq!(
            out["metadata"]["resourceVersion"],
            json!((before + 1).to_string())
        );
        assert_eq!(
            out["metadata"]["generation"],
            json!(1),
            "metadata-only patch keeps generation"
        );
        let stored = s.get(d, "ns-0", "d-000").unwrap();
        assert_eq!(stored.label("lifecycle"), Some("production"));
        assert_eq!(stored.label("team"), None);
    }

    #[test]
    fn stale_resource_version_conflicts() {
        let mut s = store_with(1);
        let d = def("deployments");
        let rv = s.rv.to_string();
        s.force_merge(
            d,
            "ns-0",
            "d-000",
            &json!({"metadata": {"labels": {"x": "1"}}}),
        );
        let body =
            json!({"metadata": {"resourceVersion": rv, "labels": {"team": "c"}}}).to_string();
        let err = s
            .patch(
                d,
                "ns-0",
                "d-000",
                "application/merge-patch+json",
                body.as_bytes(),
                false,
                &writer(),
            )
            .unwrap_err();
        assert_eq!(err.code, 409);
        assert_eq!(err.reason, "Conflict");
        assert_eq!(
            err.message,
            "Operation cannot be fulfilled on deployments.apps \"d-000\": the object has been modified; please apply your changes to the latest version and try again"
        );
        // With the current resourceVersion it goes through.
        let body =
            json!({"metadata": {"resourceVersion": s.rv.to_string(), "labels": {"team": "c"}}})
                .to_string();
        s.patch(
            d,
            "ns-0",
            "d-000",
            "application/merge-patch+json",
            body.as_bytes(),
            false,
            &writer(),
        )
        .unwrap();
    }

    #[test]
    fn dry_run_does_not_persist_or_bump() {
        let mut s = store_with(1);
        let d = def("deployments");
        let rv = s.rv;
        let out = s
            .patch(
                d,
                "ns-0",
                "d-000",
                "application/merge-patch+json",
                br#"{"metadata":{"labels":{"team":"z"}}}"#,
                true,
                &writer(),
            )
            .unwrap();
        assert_eq!(out["metadata"]["labels"]["team"], "z");
        assert_eq!(s.rv, rv);
        assert_eq!(s.get(d, "ns-0", "d-000").unwrap().label("team"), Some("a"));
    }

    #[test]
    fn json_patch_and_spec_change_bumps_generation() {
        let mut s = store_with(1);
        let d = def("deployments");
        let out = s
            .patch(
                d,
                "ns-0",
                "d-000",
                "application/json-patch+json",
                br#"[{"op":"replace","path":"/spec/replicas","value":3}]"#,
                false,
                &writer(),
            )
            .unwrap();
        assert_eq!(out["spec"]["replicas"], 3);
        assert_eq!(out["metadata"]["generation"], 2);
    }

    #[test]
    fn invalid_label_is_rejected() {
        let mut s = store_with(1);
        let d = def("deployments");
        let err = s
            .patch(
                d,
                "ns-0",
                "d-000",
                "application/merge-patch+json",
                br#"{"metadata":{"labels":{"team":"not valid"}}}"#,
                false,
                &writer(),
            )
            .unwrap_err();
        assert_eq!(err.reason, "Invalid");
        assert!(
            err.message
                .starts_with("Deployment.apps \"d-000\" is invalid: metadata.labels")
        );
        let err = s
            .patch(
                d,
                "ns-0",
                "nope",
                "application/merge-patch+json",
                b"{}",
                false,
                &writer(),
            )
            .unwrap_err();
        assert_eq!(err.message, "deployments.apps \"nope\" not found");
    }

    #[test]
    fn create_conflicts_and_needs_namespace() {
        let mut s = Store::default();
        let now = Timestamp::now();
        s.insert(
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}),
            now,
        )
        .unwrap();
        let d = def("configmaps");
        let body = br#"{"metadata":{"name":"c"},"data":{"k":"v"}}"#;
        let out = s
            .create(d, "a", body, false, &Writer::new("test", now))
            .unwrap();
        assert_eq!(out["kind"], "ConfigMap");
        assert_eq!(
            s.create(d, "a", body, false, &Writer::new("test", now))
                .unwrap_err()
                .reason,
            "AlreadyExists"
        );
        assert_eq!(
            s.create(d, "b", body, false, &Writer::new("test", now))
                .unwrap_err()
                .message,
            "namespaces \"b\" not found"
        );
    }

    #[test]
    fn suffixes_are_deterministic() {
        assert_eq!(suffix(42, 5), suffix(42, 5));
        assert_ne!(suffix(42, 5), suffix(43, 5));
        assert_eq!(suffix(1, 10).len(), 10);
    }
}
