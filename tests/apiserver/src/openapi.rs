//! The OpenAPI v3 documents: `/openapi/v3` indexes one document per served group-version, and
//! each describes the paths and kinds of that group-version's resources.
//!
//! kubectl reads them before it writes: a PATCH operation that takes `fieldValidation` tells it
//! the server validates fields itself, so it sends `fieldValidation=Strict` instead of
//! validating against a schema of its own. The server publishes no field schemas: every kind is
//! an object with `apiVersion`, `kind` and `metadata` that keeps unknown fields, which is what
//! kube-apiserver publishes for a CRD without a structural schema (built-in kinds have full
//! schemas there).

use std::collections::HashSet;
use std::sync::LazyLock;

use serde_json::{Map, Value, json};

use crate::resources::{GROUPS, RESOURCES, ResourceDef};

const META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1";

/// One group-version's document, rendered once: the resource list is fixed.
pub(crate) struct Document {
    pub group: &'static str,
    pub version: &'static str,
    pub body: String,
    pub hash: String,
}

impl Document {
    /// `api/v1` or `apis/apps/v1`: its name under `/openapi/v3/`.
    pub fn name(&self) -> String {
        if self.group.is_empty() {
            format!("api/{}", self.version)
        } else {
            format!("apis/{}/{}", self.group, self.version)
        }
    }

    /// `/openapi/v3/apis/GROUP/VERSION?hash=HASH`: the URL `/openapi/v3` gives for it.
    pub fn url(&self) -> String {
        format!("/openapi/v3/{}?hash={}", self.name(), self.hash)
    }
}

static DOCUMENTS: LazyLock<Vec<Document>> = LazyLock::new(|| {
    std::iter::once(("", "v1"))
        .chain(GROUPS.iter().copied())
        .map(|(group, version)| {
            let body = build(group, version).to_string();
            let hash = hash(&body);
            Document {
                group,
                version,
                body,
                hash,
            }
        })
        .collect()
});

/// The served documents, core first, without the hidden groups'.
fn documents(hidden: &HashSet<String>) -> impl Iterator<Item = &'static Document> {
    DOCUMENTS.iter().filter(|d| !hidden.contains(d.group))
}

/// The served document named `name` (`api/v1`, `apis/apps/v1`).
pub(crate) fn document(name: &str, hidden: &HashSet<String>) -> Option<&'static Document> {
    documents(hidden).find(|d| d.name() == name)
}

/// `/openapi/v3`: each served group-version's document, addressed by a URL that carries its
/// hash (so that clients may cache it for good, as kube-apiserver intends).
pub(crate) fn index(hidden: &HashSet<String>) -> Value {
    let paths: Map<String, Value> = documents(hidden)
        .map(|d| (d.name(), json!({ "serverRelativeURL": d.url() })))
        .collect();
    json!({ "paths": paths })
}

/// An opaque content hash in upper-case hex, like kube-apiserver's (which is SHA-512); std's
/// fixed-key SipHash spares the crate a digest dependency and is stable for a build.
pub(crate) fn hash(body: &str) -> String {
    use std::hash::{Hash, Hasher};
    let half = |salt: u8| {
        let mut h = std::hash::DefaultHasher::new();
        (salt, body).hash(&mut h);
        h.finish()
    };
    format!("{:016X}{:016X}", half(0), half(1))
}

/// Whether an `Accept` header admits JSON (absent admits anything).
pub(crate) fn accepts_json(accept: Option<&str>) -> bool {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return true;
    };
    accept.split(',').any(|clause| {
        let media = clause.split(';').next().unwrap_or("").trim();
        matches!(
            media.to_ascii_lowercase().as_str(),
            "application/json" | "application/*" | "*/*"
        )
    })
}

/// kube-openapi's `ToValidOperationID`: drop what is not a letter (or a later digit), upper-case
/// the letter after each dropped character.
fn operation_id_part(s: &str, capitalize_first: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut capitalize = capitalize_first;
    for (i, c) in s.chars().enumerate() {
        if c.is_alphabetic() || c == '_' || (i != 0 && c.is_ascii_digit()) {
            if capitalize {
                out.extend(c.to_uppercase());
                capitalize = false;
            } else {
                out.push(c);
            }
        } else {
            capitalize = true;
        }
    }
    out
}

/// The `core`, `apps`, `discovery` or `wgpolicyk8s.io` of operation ids and tags.
fn group_word(group: &str) -> &str {
    if group.is_empty() {
        "core"
    } else {
        group.trim_end_matches(".k8s.io")
    }
}

/// `io.k8s.api.apps.v1.Deployment` for built-in kinds, the reversed group for CRDs
/// (`io.wgpolicyk8s.v1alpha2.PolicyReport`), as kube-apiserver names its schemas.
fn schema_name(def: &ResourceDef, kind: &str) -> String {
    if def.is_builtin() {
        // The package: `core`, `apps`, `networking`, `rbac` (of rbac.authorization.k8s.io).
        let package = group_word(def.group).split('.').next().unwrap_or("");
        format!("io.k8s.api.{package}.{}.{kind}", def.version)
    } else {
        let reversed: Vec<&str> = def.group.split('.').rev().collect();
        format!("{}.{}.{kind}", reversed.join("."), def.version)
    }
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn param(name: &str, location: &str, ty: &str, description: &str) -> Value {
    let mut p = json!({
        "name": name,
        "in": location,
        "description": description,
        "schema": {"type": ty, "uniqueItems": true},
    });
    if location == "path" {
        p["required"] = json!(true);
    }
    p
}

fn query(name: &str, ty: &str, description: &str) -> Value {
    param(name, "query", ty, description)
}

fn dry_run() -> Value {
    query(
        "dryRun",
        "string",
        "When present (All), the request is processed but nothing is persisted.",
    )
}

/// The write parameters the server takes (kubectl looks for `fieldValidation`).
fn write_params() -> Vec<Value> {
    vec![
        dry_run(),
        query(
            "fieldManager",
            "string",
            "The name of the actor making these changes.",
        ),
        query(
            "fieldValidation",
            "string",
            "How the server treats unknown or duplicate fields: Ignore, Warn or Strict.",
        ),
    ]
}

fn list_params() -> Vec<Value> {
    vec![
        query(
            "continue",
            "string",
            "The continue token of the previous page.",
        ),
        query(
            "fieldSelector",
            "string",
            "Restricts the list by the objects' fields.",
        ),
        query(
            "labelSelector",
            "string",
            "Restricts the list by the objects' labels.",
        ),
        query(
            "limit",
            "integer",
            "The most items to return; a continue token follows when more remain.",
        ),
    ]
}

/// A response map: each code answers with `schema` as JSON (the only encoding served).
fn responses(codes: &[&str], schema: &str) -> Value {
    let mut out = Map::new();
    for code in codes {
        let description = match *code {
            "201" => "Created",
            "202" => "Accepted",
            _ => "OK",
        };
        out.insert(
            code.to_string(),
            json!({
                "description": description,
                "content": {"application/json": {"schema": schema_ref(schema)}},
            }),
        );
    }
    out.insert("401".into(), json!({ "description": "Unauthorized" }));
    Value::Object(out)
}

/// The operations and kinds of one resource, added to `paths` and `schemas`.
fn describe(def: &ResourceDef, paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    let base = if def.group.is_empty() {
        format!("/api/{}", def.version)
    } else {
        format!("/apis/{}/{}", def.group, def.version)
    };
    let object = schema_name(def, def.kind);
    let list = schema_name(def, &format!("{}List", def.kind));
    let tag = format!(
        "{}_{}",
        operation_id_part(group_word(def.group), false),
        operation_id_part(def.version, false)
    );
    let gv_word = format!(
        "{}{}",
        operation_id_part(group_word(def.group), true),
        operation_id_part(def.version, true)
    );
    let gvk = json!({"group": def.group, "version": def.version, "kind": def.kind});
    let scope = if def.namespaced { "Namespaced" } else { "" };
    let operation = |verb: &str, action: &str, name: String, description: String| {
        json!({
            "tags": [tag],
            "description": description,
            "operationId": format!("{verb}{gv_word}{name}"),
            "x-kubernetes-action": action,
            "x-kubernetes-group-version-kind": gvk,
        })
    };

    let mut read = operation(
        "read",
        "get",
        format!("{scope}{}", def.kind),
        format!("read the specified {}", def.kind),
    );
    read["responses"] = responses(&["200"], &object);
    let mut patch = operation(
        "patch",
        "patch",
        format!("{scope}{}", def.kind),
        format!("partially update the specified {}", def.kind),
    );
    patch["parameters"] = json!(write_params());
    // Only the patch types the server applies; without field schemas (patch merge keys) no
    // client could compute a strategic merge patch from this document anyway.
    patch["requestBody"] = json!({
        "content": {
            "application/json-patch+json": {"schema": schema_ref(&format!("{META}.Patch"))},
            "application/merge-patch+json": {"schema": schema_ref(&format!("{META}.Patch"))},
            "application/apply-patch+yaml": {"schema": schema_ref(&format!("{META}.Patch"))},
        },
        "required": true,
    });
    let mut replace = operation(
        "replace",
        "put",
        format!("{scope}{}", def.kind),
        format!("replace the specified {}", def.kind),
    );
    replace["parameters"] = json!(write_params());
    replace["requestBody"] = json!({
        "content": {"application/json": {"schema": schema_ref(&object)}},
        "required": true,
    });
    replace["responses"] = responses(&["200", "201"], &object);
    patch["responses"] = responses(&["200", "201"], &object);
    let mut delete = operation(
        "delete",
        "delete",
        format!("{scope}{}", def.kind),
        format!("delete a {}", def.kind),
    );
    delete["parameters"] = json!([dry_run()]);
    delete["responses"] = responses(&["200", "202"], &object);
    let mut list_op = operation(
        "list",
        "list",
        format!("{scope}{}", def.kind),
        format!("list objects of kind {}", def.kind),
    );
    list_op["parameters"] = json!(list_params());
    list_op["responses"] = responses(&["200"], &list);
    let mut create = operation(
        "create",
        "post",
        format!("{scope}{}", def.kind),
        format!("create a {}", def.kind),
    );
    create["parameters"] = json!(write_params());
    create["requestBody"] = json!({
        "content": {"application/json": {"schema": schema_ref(&object)}},
        "required": true,
    });
    create["responses"] = responses(&["200", "201", "202"], &object);

    let name = param(
        "name",
        "path",
        "string",
        &format!("name of the {}", def.kind),
    );
    let namespace = param(
        "namespace",
        "path",
        "string",
        "the namespace of the objects",
    );
    let (collection, collection_params) = if def.namespaced {
        (
            format!("{base}/namespaces/{{namespace}}/{}", def.plural),
            vec![namespace],
        )
    } else {
        (format!("{base}/{}", def.plural), vec![])
    };
    let mut item_params = vec![name];
    item_params.extend(collection_params.iter().cloned());
    paths.insert(
        format!("{collection}/{{name}}"),
        json!({"get": read, "put": replace, "patch": patch, "delete": delete, "parameters": item_params}),
    );
    let mut collection_path = json!({"get": list_op, "post": create});
    if !collection_params.is_empty() {
        collection_path["parameters"] = json!(collection_params);
    }
    paths.insert(collection, collection_path);
    if def.namespaced {
        let mut all = operation(
            "list",
            "list",
            format!("{}ForAllNamespaces", def.kind),
            format!("list objects of kind {}", def.kind),
        );
        all["parameters"] = json!(list_params());
        all["responses"] = responses(&["200"], &list);
        paths.insert(format!("{base}/{}", def.plural), json!({ "get": all }));
    }

    let type_meta = json!({"apiVersion": {"type": "string"}, "kind": {"type": "string"}});
    let mut properties = type_meta.clone();
    properties["metadata"] =
        json!({"allOf": [schema_ref(&format!("{META}.ObjectMeta"))], "default": {}});
    schemas.insert(
        object,
        json!({
            "type": "object",
            "properties": properties,
            "x-kubernetes-preserve-unknown-fields": true,
            "x-kubernetes-group-version-kind": [gvk],
        }),
    );
    let mut properties = type_meta;
    properties["metadata"] =
        json!({"allOf": [schema_ref(&format!("{META}.ListMeta"))], "default": {}});
    properties["items"] =
        json!({"type": "array", "items": schema_ref(&schema_name(def, def.kind))});
    schemas.insert(
        list,
        json!({
            "type": "object",
            "required": ["items"],
            "properties": properties,
            "x-kubernetes-group-version-kind": [
                {"group": def.group, "version": def.version, "kind": format!("{}List", def.kind)}
            ],
        }),
    );
}

/// The metadata types the kinds refer to.
fn meta_schemas(schemas: &mut Map<String, Value>) {
    let string = json!({"type": "string"});
    let map = json!({"type": "object", "additionalProperties": {"type": "string"}});
    let time = json!({"type": "string", "format": "date-time"});
    schemas.insert(
        format!("{META}.ObjectMeta"),
        json!({
            "type": "object",
            "properties": {
                "name": string, "generateName": string, "namespace": string, "uid": string,
                "resourceVersion": string, "generation": {"type": "integer", "format": "int64"},
                "creationTimestamp": time, "deletionTimestamp": time,
                "labels": map, "annotations": map,
                "finalizers": {"type": "array", "items": string},
                "ownerReferences": {"type": "array", "items": schema_ref(&format!("{META}.OwnerReference"))},
            },
        }),
    );
    schemas.insert(
        format!("{META}.OwnerReference"),
        json!({
            "type": "object",
            "required": ["apiVersion", "kind", "name", "uid"],
            "properties": {
                "apiVersion": string, "kind": string, "name": string, "uid": string,
                "controller": {"type": "boolean"}, "blockOwnerDeletion": {"type": "boolean"},
            },
            "x-kubernetes-map-type": "atomic",
        }),
    );
    schemas.insert(
        format!("{META}.ListMeta"),
        json!({
            "type": "object",
            "properties": {
                "continue": string, "resourceVersion": string,
                "remainingItemCount": {"type": "integer", "format": "int64"},
            },
        }),
    );
    schemas.insert(
        format!("{META}.Patch"),
        json!({"type": "object", "description": "A PATCH request body."}),
    );
}

/// The document of one group-version.
fn build(group: &str, version: &str) -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    for def in RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version)
    {
        describe(def, &mut paths, &mut schemas);
    }
    meta_schemas(&mut schemas);
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0-test-apiserver"},
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_follow_kube_openapi() {
        assert_eq!(operation_id_part("wgpolicyk8s.io", true), "Wgpolicyk8sIo");
        assert_eq!(
            operation_id_part("gateway.networking", false),
            "gatewayNetworking"
        );
        assert_eq!(operation_id_part("v1alpha2", true), "V1alpha2");
        let doc = build("wgpolicyk8s.io", "v1alpha2");
        let patch = &doc["paths"]["/apis/wgpolicyk8s.io/v1alpha2/namespaces/{namespace}/policyreports/{name}"]
            ["patch"];
        assert_eq!(
            patch["operationId"],
            "patchWgpolicyk8sIoV1alpha2NamespacedPolicyReport"
        );
        assert_eq!(patch["tags"], json!(["wgpolicyk8sIo_v1alpha2"]));
        let doc = build("", "v1");
        assert_eq!(
            doc["paths"]["/api/v1/namespaces/{name}"]["get"]["operationId"],
            "readCoreV1Namespace"
        );
        assert_eq!(
            doc["paths"]["/api/v1/pods"]["get"]["operationId"],
            "listCoreV1PodForAllNamespaces"
        );
    }

    #[test]
    fn schema_names() {
        let def = |p| crate::resources::by_plural_any(p).unwrap();
        assert_eq!(
            schema_name(def("deployments"), "Deployment"),
            "io.k8s.api.apps.v1.Deployment"
        );
        assert_eq!(schema_name(def("pods"), "Pod"), "io.k8s.api.core.v1.Pod");
        assert_eq!(
            schema_name(def("endpointslices"), "EndpointSlice"),
            "io.k8s.api.discovery.v1.EndpointSlice"
        );
        assert_eq!(
            schema_name(def("rolebindings"), "RoleBinding"),
            "io.k8s.api.rbac.v1.RoleBinding"
        );
        let doc = build("rbac.authorization.k8s.io", "v1");
        assert_eq!(
            doc["paths"]["/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings/{name}"]
                ["put"]["operationId"],
            "replaceRbacAuthorizationV1NamespacedRoleBinding"
        );
        assert_eq!(
            doc["paths"]["/apis/rbac.authorization.k8s.io/v1/clusterroles"]["get"]["operationId"],
            "listRbacAuthorizationV1ClusterRole"
        );
        assert_eq!(
            schema_name(def("httproutes"), "HTTPRoute"),
            "io.k8s.networking.gateway.v1.HTTPRoute"
        );
        assert_eq!(
            schema_name(def("clusterpolicyreports"), "ClusterPolicyReport"),
            "io.wgpolicyk8s.v1alpha2.ClusterPolicyReport"
        );
    }
}
