//! The protobuf bodies (`application/vnd.kubernetes.protobuf`) that kubectl's typed clients
//! send for built-in kinds (`kubectl create deployment`, `create role`, `create rolebinding`…),
//! decoded to the JSON object the server stores.
//!
//! kube-apiserver decodes every field of every built-in kind; this decoder knows the fields
//! those kubectl commands set (a subset of each kind's generated.proto), skips the others, and
//! leaves out empty strings, zeros and false as Go's `omitempty` JSON would. A kind it has no
//! schema for answers 415, as kube-apiserver answers a protobuf body for a custom resource.

use serde_json::{Map, Value, json};

use crate::store::{ApiError, rfc3339};

/// `Content-Type` of a protobuf body.
pub(crate) const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// The first bytes of every Kubernetes protobuf object (`runtime.Unknown` follows).
const MAGIC: &[u8] = b"k8s\0";

/// A field's type.
enum Ty {
    Str,
    /// An integer; zero is left out.
    Int,
    /// An integer behind a pointer (`replicas`): zero is kept.
    OptInt,
    Bool,
    Msg(&'static [F]),
    Msgs(&'static [F]),
    Strs,
    /// `map<string, string>`.
    Map,
    /// `metav1.Time`: RFC 3339; the zero time is left out.
    Time,
    /// `intstr.IntOrString`.
    IntOrStr,
}

/// A field: number, JSON name, type.
struct F(u32, &'static str, Ty);

use Ty::*;

static OWNER_REFERENCE: &[F] = &[
    F(1, "kind", Str),
    F(3, "name", Str),
    F(4, "uid", Str),
    F(5, "apiVersion", Str),
    F(6, "controller", Bool),
    F(7, "blockOwnerDeletion", Bool),
];

static OBJECT_META: &[F] = &[
    F(1, "name", Str),
    F(2, "generateName", Str),
    F(3, "namespace", Str),
    F(5, "uid", Str),
    F(6, "resourceVersion", Str),
    F(7, "generation", Int),
    F(8, "creationTimestamp", Time),
    F(11, "labels", Map),
    F(12, "annotations", Map),
    F(13, "ownerReferences", Msgs(OWNER_REFERENCE)),
    F(14, "finalizers", Strs),
];

static SUBJECT: &[F] = &[
    F(1, "kind", Str),
    F(2, "apiGroup", Str),
    F(3, "name", Str),
    F(4, "namespace", Str),
];

static ROLE_REF: &[F] = &[F(1, "apiGroup", Str), F(2, "kind", Str), F(3, "name", Str)];

/// RoleBinding and ClusterRoleBinding.
static BINDING: &[F] = &[
    F(1, "metadata", Msg(OBJECT_META)),
    F(2, "subjects", Msgs(SUBJECT)),
    F(3, "roleRef", Msg(ROLE_REF)),
];

static POLICY_RULE: &[F] = &[
    F(1, "verbs", Strs),
    F(2, "apiGroups", Strs),
    F(3, "resources", Strs),
    F(4, "resourceNames", Strs),
    F(5, "nonResourceURLs", Strs),
];

static LABEL_SELECTOR_REQUIREMENT: &[F] = &[
    F(1, "key", Str),
    F(2, "operator", Str),
    F(3, "values", Strs),
];

static LABEL_SELECTOR: &[F] = &[
    F(1, "matchLabels", Map),
    F(2, "matchExpressions", Msgs(LABEL_SELECTOR_REQUIREMENT)),
];

static AGGREGATION_RULE: &[F] = &[F(1, "clusterRoleSelectors", Msgs(LABEL_SELECTOR))];

/// Role and ClusterRole.
static ROLE: &[F] = &[
    F(1, "metadata", Msg(OBJECT_META)),
    F(2, "rules", Msgs(POLICY_RULE)),
    F(3, "aggregationRule", Msg(AGGREGATION_RULE)),
];

static CONTAINER_PORT: &[F] = &[
    F(1, "name", Str),
    F(2, "hostPort", Int),
    F(3, "containerPort", Int),
    F(4, "protocol", Str),
    F(5, "hostIP", Str),
];

static ENV_VAR: &[F] = &[F(1, "name", Str), F(2, "value", Str)];

static CONTAINER: &[F] = &[
    F(1, "name", Str),
    F(2, "image", Str),
    F(3, "command", Strs),
    F(4, "args", Strs),
    F(5, "workingDir", Str),
    F(6, "ports", Msgs(CONTAINER_PORT)),
    F(7, "env", Msgs(ENV_VAR)),
    F(8, "resources", Msg(&[])),
    F(13, "terminationMessagePath", Str),
    F(14, "imagePullPolicy", Str),
];

static POD_SPEC: &[F] = &[
    F(2, "containers", Msgs(CONTAINER)),
    F(3, "restartPolicy", Str),
    F(4, "terminationGracePeriodSeconds", OptInt),
    F(6, "dnsPolicy", Str),
    F(7, "nodeSelector", Map),
    F(8, "serviceAccountName", Str),
    F(10, "nodeName", Str),
    F(11, "hostNetwork", Bool),
    F(20, "initContainers", Msgs(CONTAINER)),
];

static POD_TEMPLATE_SPEC: &[F] = &[
    F(1, "metadata", Msg(OBJECT_META)),
    F(2, "spec", Msg(POD_SPEC)),
];

static ROLLING_UPDATE: &[F] = &[F(1, "maxUnavailable", IntOrStr), F(2, "maxSurge", IntOrStr)];

static DEPLOYMENT_STRATEGY: &[F] = &[
    F(1, "type", Str),
    F(2, "rollingUpdate", Msg(ROLLING_UPDATE)),
];

static DEPLOYMENT_SPEC: &[F] = &[
    F(1, "replicas", OptInt),
    F(2, "selector", Msg(LABEL_SELECTOR)),
    F(3, "template", Msg(POD_TEMPLATE_SPEC)),
    F(4, "strategy", Msg(DEPLOYMENT_STRATEGY)),
    F(5, "minReadySeconds", Int),
    F(6, "revisionHistoryLimit", OptInt),
    F(7, "paused", Bool),
    F(9, "progressDeadlineSeconds", OptInt),
];

static DEPLOYMENT: &[F] = &[
    F(1, "metadata", Msg(OBJECT_META)),
    F(2, "spec", Msg(DEPLOYMENT_SPEC)),
];

static CONFIG_MAP: &[F] = &[F(1, "metadata", Msg(OBJECT_META)), F(2, "data", Map)];

static NAMESPACE: &[F] = &[F(1, "metadata", Msg(OBJECT_META))];

static TYPE_META: &[F] = &[F(1, "apiVersion", Str), F(2, "kind", Str)];

static MAP_ENTRY: &[F] = &[F(1, "key", Str), F(2, "value", Str)];

static TIME: &[F] = &[F(1, "seconds", Int)];

static INT_OR_STRING: &[F] = &[
    F(1, "type", OptInt),
    F(2, "intVal", OptInt),
    F(3, "strVal", Str),
];

/// The schema of a kind's protobuf message, for the kinds the decoder knows.
fn schema(api_version: &str, kind: &str) -> Option<&'static [F]> {
    Some(match (api_version, kind) {
        ("rbac.authorization.k8s.io/v1", "RoleBinding" | "ClusterRoleBinding") => BINDING,
        ("rbac.authorization.k8s.io/v1", "Role" | "ClusterRole") => ROLE,
        ("apps/v1", "Deployment") => DEPLOYMENT,
        ("v1", "ConfigMap") => CONFIG_MAP,
        ("v1", "Namespace") => NAMESPACE,
        _ => return None,
    })
}

/// One decoded field value on the wire.
enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

fn varint(b: &[u8], i: &mut usize) -> Result<u64, String> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*i).ok_or("truncated varint")?;
        *i += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err("varint too long".into())
}

/// Each field of a message: its number and wire value.
fn fields(b: &[u8]) -> Result<Vec<(u32, Wire<'_>)>, String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let key = varint(b, &mut i)?;
        let number = (key >> 3) as u32;
        let wire = match key & 7 {
            0 => Wire::Varint(varint(b, &mut i)?),
            2 => {
                let len = varint(b, &mut i)? as usize;
                let end = i.checked_add(len).filter(|e| *e <= b.len());
                let end = end.ok_or("truncated field")?;
                let d = &b[i..end];
                i = end;
                Wire::Bytes(d)
            }
            1 => {
                i += 8;
                Wire::Fixed
            }
            5 => {
                i += 4;
                Wire::Fixed
            }
            t => return Err(format!("unsupported wire type {t}")),
        };
        out.push((number, wire));
    }
    Ok(out)
}

fn message(b: &[u8], schema: &[F]) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for (number, wire) in fields(b)? {
        let Some(F(_, name, ty)) = schema.iter().find(|f| f.0 == number) else {
            continue;
        };
        let name = name.to_string();
        match (ty, wire) {
            (Str, Wire::Bytes(d)) => {
                if !d.is_empty() {
                    out.insert(name, json!(String::from_utf8_lossy(d)));
                }
            }
            // Go's int32 fields are varints of their two's complement.
            (Int, Wire::Varint(v)) => {
                if v != 0 {
                    out.insert(name, json!(v as i64));
                }
            }
            (OptInt, Wire::Varint(v)) => {
                out.insert(name, json!(v as i64));
            }
            (Bool, Wire::Varint(v)) => {
                if v != 0 {
                    out.insert(name, json!(true));
                }
            }
            (Msg(s), Wire::Bytes(d)) => {
                out.insert(name, Value::Object(message(d, s)?));
            }
            (Msgs(s), Wire::Bytes(d)) => {
                let item = Value::Object(message(d, s)?);
                push(&mut out, name, item);
            }
            (Strs, Wire::Bytes(d)) => push(&mut out, name, json!(String::from_utf8_lossy(d))),
            (Map, Wire::Bytes(d)) => {
                let e = message(d, MAP_ENTRY)?;
                let key = e
                    .get("key")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let value = e.get("value").cloned().unwrap_or(json!(""));
                if let Value::Object(m) = out.entry(name).or_insert_with(|| json!({})) {
                    m.insert(key, value);
                }
            }
            (Time, Wire::Bytes(d)) => {
                let seconds = message(d, TIME)?
                    .get("seconds")
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                if seconds != 0 {
                    let t = jiff::Timestamp::from_second(seconds).map_err(|e| e.to_string())?;
                    out.insert(name, json!(rfc3339(t)));
                }
            }
            (IntOrStr, Wire::Bytes(d)) => {
                let v = message(d, INT_OR_STRING)?;
                let value = if v.get("type").and_then(Value::as_i64) == Some(1) {
                    v.get("strVal").cloned().unwrap_or(json!(""))
                } else {
                    v.get("intVal").cloned().unwrap_or(json!(0))
                };
                out.insert(name, value);
            }
            _ => return Err(format!("field {name}: unexpected wire type")),
        }
    }
    Ok(out)
}

fn push(out: &mut Map<String, Value>, name: String, item: Value) {
    if let Value::Array(a) = out.entry(name).or_insert_with(|| json!([])) {
        a.push(item);
    }
}

/// Whether a `Content-Type` is Kubernetes' protobuf.
pub(crate) fn is_protobuf(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|c| c.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case(MEDIA_TYPE))
}

/// A protobuf body as the JSON object it encodes.
pub(crate) fn to_json(body: &[u8]) -> Result<Value, ApiError> {
    let bad = |why: String| ApiError::bad_request(format!("error decoding protobuf body: {why}"));
    let rest = body
        .strip_prefix(MAGIC)
        .ok_or_else(|| bad("no k8s protobuf prefix".into()))?;
    // runtime.Unknown: typeMeta = 1, raw = 2.
    let mut type_meta = Map::new();
    let mut raw: &[u8] = &[];
    for (number, wire) in fields(rest).map_err(bad)? {
        match (number, wire) {
            (1, Wire::Bytes(d)) => type_meta = message(d, TYPE_META).map_err(bad)?,
            (2, Wire::Bytes(d)) => raw = d,
            _ => {}
        }
    }
    let text = |k: &str| {
        type_meta
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let (api_version, kind) = (text("apiVersion"), text("kind"));
    let Some(schema) = schema(&api_version, &kind) else {
        return Err(ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (the test API server decodes no protobuf {kind})"
            ),
        ));
    };
    let mut obj = Map::new();
    obj.insert("apiVersion".into(), json!(api_version));
    obj.insert("kind".into(), json!(kind));
    obj.extend(message(raw, schema).map_err(bad)?);
    Ok(Value::Object(obj))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(number: u32, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![((number << 3) | 2) as u8, payload.len() as u8];
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn decodes_a_role_binding_in_its_envelope() {
        let meta = [field(1, b"devs"), field(3, b"payments"), field(2, b"")].concat();
        let subject = [
            field(1, b"Group"),
            field(2, b"rbac.authorization.k8s.io"),
            field(3, b"g"),
        ]
        .concat();
        let role_ref = [
            field(1, b"rbac.authorization.k8s.io"),
            field(2, b"ClusterRole"),
            field(3, b"edit"),
        ]
        .concat();
        let raw = [field(1, &meta), field(2, &subject), field(3, &role_ref)].concat();
        let type_meta = [
            field(1, b"rbac.authorization.k8s.io/v1"),
            field(2, b"RoleBinding"),
        ]
        .concat();
        let body = [MAGIC.to_vec(), field(1, &type_meta), field(2, &raw)].concat();
        assert!(is_protobuf(Some("application/vnd.kubernetes.protobuf")));
        assert_eq!(
            to_json(&body).unwrap(),
            json!({
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": {"name": "devs", "namespace": "payments"},
                "subjects": [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "g"}],
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
            })
        );
        let type_meta = [field(1, b"argoproj.io/v1alpha1"), field(2, b"Rollout")].concat();
        let body = [MAGIC.to_vec(), field(1, &type_meta)].concat();
        assert_eq!(to_json(&body).unwrap_err().code, 415);
        assert_eq!(to_json(b"{}").unwrap_err().code, 400);
    }
}
