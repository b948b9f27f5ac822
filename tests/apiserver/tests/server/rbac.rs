//! The `rbac.authorization.k8s.io/v1` kinds: discovery, OpenAPI, writes, lists, Tables, and the
//! server's own authorization (Grant) applied to them.

use serde_json::{Value, json};
use test_apiserver::{Grant, ServerOptions, TestServer};

use crate::http::{demo, get, request};

const JSON: (&str, &str) = ("Content-Type", "application/json");
const TABLE: (&str, &str) = (
    "Accept",
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
);
const RBAC: &str = "/apis/rbac.authorization.k8s.io/v1";

fn binding(ns: &str, name: &str, role_kind: &str, role: &str, subjects: Value) -> Value {
    let mut v = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": if ns.is_empty() { "ClusterRoleBinding" } else { "RoleBinding" },
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        "subjects": subjects,
    });
    if !ns.is_empty() {
        v["metadata"]["namespace"] = json!(ns);
    }
    v
}

fn subjects() -> Value {
    json!([
        {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "payments-devs"},
        {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"},
        {"kind": "ServiceAccount", "name": "deployer", "namespace": "ci"},
        {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "sre"},
    ])
}

#[test]
fn discovery_lists_the_four_kinds_with_their_scope() {
    let s = TestServer::start(ServerOptions::default());
    let groups = get(&s, "/apis").json();
    let rbac = groups["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "rbac.authorization.k8s.io")
        .expect("rbac group");
    assert_eq!(
        rbac["preferredVersion"]["groupVersion"],
        "rbac.authorization.k8s.io/v1"
    );
    let list = get(&s, RBAC).json();
    assert_eq!(list["groupVersion"], "rbac.authorization.k8s.io/v1");
    let kinds: Vec<(String, bool)> = list["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap().to_string(),
                r["namespaced"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("ClusterRoleBinding".to_string(), false),
            ("ClusterRole".to_string(), false),
            ("RoleBinding".to_string(), true),
            ("Role".to_string(), true),
        ]
    );
    let verbs = &list["resources"][2]["verbs"];
    assert_eq!(
        verbs,
        &json!(["create", "delete", "get", "list", "patch", "update"])
    );
    // Its OpenAPI v3 document is indexed and names kube-apiserver's schemas.
    let index = get(&s, "/openapi/v3").json();
    let url = index["paths"]["apis/rbac.authorization.k8s.io/v1"]["serverRelativeURL"]
        .as_str()
        .expect("rbac document indexed")
        .to_string();
    let doc = get(&s, &url).json();
    let item = "/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings/{name}";
    assert_eq!(
        doc["paths"][item]["patch"]["operationId"],
        "patchRbacAuthorizationV1NamespacedRoleBinding"
    );
    assert!(doc["components"]["schemas"]["io.k8s.api.rbac.v1.ClusterRoleBindingList"].is_object());
}

#[test]
fn role_bindings_are_created_listed_and_printed_as_kube_apiserver_prints_them() {
    let s = demo();
    let rb = binding("payments", "devs-edit", "ClusterRole", "edit", subjects());
    let path = format!("{RBAC}/namespaces/payments/rolebindings");
    let r = request(&s, "POST", &path, &[JSON], &rb.to_string());
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["roleRef"]["name"], "edit");
    s.insert(binding(
        "checkout",
        "view",
        "Role",
        "reader",
        json!([{"kind": "User", "name": "bob"}]),
    ));
    s.insert(binding(
        "",
        "admins",
        "ClusterRole",
        "cluster-admin",
        json!([{"kind": "Group", "name": "system:masters"}]),
    ));

    // GET, and lists: all namespaces, one namespace, by field and label selectors, paged.
    let got = get(&s, &format!("{path}/devs-edit")).json();
    assert_eq!(got["kind"], "RoleBinding");
    assert_eq!(got["metadata"]["namespace"], "payments");
    let names = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    let all = get(&s, &format!("{RBAC}/rolebindings")).json();
    assert_eq!(all["kind"], "RoleBindingList");
    // The demo's own binding (labs/notebook-editors) sorts between them, by namespace.
    assert_eq!(names(&all), ["view", "notebook-editors", "devs-edit"]);
    let selected = get(
        &s,
        &format!("{RBAC}/rolebindings?fieldSelector=metadata.namespace%3Dpayments"),
    )
    .json();
    assert_eq!(names(&selected), ["devs-edit"]);
    let page = get(&s, &format!("{RBAC}/rolebindings?limit=1")).json();
    assert_eq!(names(&page), ["view"]);
    assert_eq!(page["metadata"]["remainingItemCount"], 2);
    let token = page["metadata"]["continue"].as_str().unwrap();
    let rest = get(&s, &format!("{RBAC}/rolebindings?limit=2&continue={token}")).json();
    assert_eq!(names(&rest), ["notebook-editors", "devs-edit"]);
    let meta = request(
        &s,
        "GET",
        &format!("{RBAC}/clusterrolebindings"),
        &[(
            "Accept",
            "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
        )],
        "",
    )
    .json();
    assert_eq!(meta["kind"], "PartialObjectMetadataList");
    assert_eq!(names(&meta), ["admins"]);
    assert!(meta["items"][0].get("roleRef").is_none());

    // The Table: NAME, ROLE, AGE, and the wide USERS, GROUPS, SERVICEACCOUNTS.
    let t = request(&s, "GET", &path, &[TABLE], "").json();
    let columns: Vec<(String, u64)> = t["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["priority"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        columns,
        [
            ("Name".to_string(), 0),
            ("Role".to_string(), 0),
            ("Age".to_string(), 0),
            ("Users".to_string(), 1),
            ("Groups".to_string(), 1),
            ("ServiceAccounts".to_string(), 1),
        ]
    );
    let mut cells = t["rows"][0]["cells"].as_array().unwrap().clone();
    let age = cells.remove(2);
    assert!(
        age.as_str().unwrap().ends_with('s'),
        "created seconds ago: {age}"
    );
    assert_eq!(
        cells,
        [
            "devs-edit",
            "ClusterRole/edit",
            "alice",
            "payments-devs, sre",
            "ci/deployer"
        ]
    );
    let t = request(
        &s,
        "GET",
        &format!("{RBAC}/clusterrolebindings"),
        &[TABLE],
        "",
    )
    .json();
    let cells = &t["rows"][0]["cells"];
    assert_eq!(cells[1], "ClusterRole/cluster-admin");
    assert_eq!(cells[4], "system:masters");
    assert_eq!(cells[5], "");
}

#[test]
fn roles_print_their_creation_time_and_cluster_roles_are_cluster_scoped() {
    let s = demo();
    let role = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "reader", "namespace": "payments",
                     "creationTimestamp": "2024-05-01T10:00:00Z"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
    });
    s.insert(role);
    s.insert(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "edit", "creationTimestamp": "2024-01-02T03:04:05Z"},
        "rules": [],
    }));
    let t = request(
        &s,
        "GET",
        &format!("{RBAC}/namespaces/payments/roles"),
        &[TABLE],
        "",
    )
    .json();
    let columns: Vec<&str> = t["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(columns, ["Name", "Created At"]);
    assert_eq!(t["columnDefinitions"][1]["type"], "date");
    assert_eq!(
        t["rows"][0]["cells"],
        json!(["reader", "2024-05-01T10:00:00Z"])
    );
    let t = request(&s, "GET", &format!("{RBAC}/clusterroles"), &[TABLE], "").json();
    assert_eq!(
        t["rows"][0]["cells"],
        json!(["edit", "2024-01-02T03:04:05Z"])
    );
    // Cluster-scoped: no namespaced path, and a created one drops a namespace it was given.
    assert_eq!(
        get(&s, &format!("{RBAC}/namespaces/payments/clusterroles")).status,
        404
    );
    let body = json!({"metadata": {"name": "view", "namespace": "payments"}, "rules": []});
    let r = request(
        &s,
        "POST",
        &format!("{RBAC}/clusterroles"),
        &[JSON],
        &body.to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.json()["metadata"].get("namespace").is_none());
    assert_eq!(s.object_count("clusterroles"), 2);
}

#[test]
fn role_refs_are_validated_and_immutable() {
    let s = demo();
    let path = format!("{RBAC}/namespaces/payments/rolebindings");
    let bad = binding("payments", "x", "Deployment", "edit", json!([]));
    let r = request(&s, "POST", &path, &[JSON], &bad.to_string());
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json()["message"],
        "RoleBinding.rbac.authorization.k8s.io \"x\" is invalid: roleRef.kind: Unsupported value: \"Deployment\": supported values: \"Role\", \"ClusterRole\""
    );
    // A ClusterRoleBinding may only name a ClusterRole.
    let r = request(
        &s,
        "POST",
        &format!("{RBAC}/clusterrolebindings"),
        &[JSON],
        &binding("", "y", "Role", "edit", json!([])).to_string(),
    );
    assert_eq!(r.status, 422);
    let ok = binding("payments", "x", "ClusterRole", "edit", json!([]));
    assert_eq!(
        request(&s, "POST", &path, &[JSON], &ok.to_string()).status,
        201
    );
    let r = request(
        &s,
        "PATCH",
        &format!("{path}/x"),
        &[("Content-Type", "application/merge-patch+json")],
        r#"{"roleRef":{"name":"admin"}}"#,
    );
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json()["message"],
        "RoleBinding.rbac.authorization.k8s.io \"x\" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"ClusterRole\", Name:\"edit\"}: cannot change roleRef"
    );
    // Subjects may change.
    let r = request(
        &s,
        "PATCH",
        &format!("{path}/x"),
        &[("Content-Type", "application/merge-patch+json")],
        r#"{"subjects":[{"kind":"User","name":"carol"}]}"#,
    );
    assert_eq!(r.status, 200);
}

#[test]
fn grants_authorize_the_rbac_resources_like_any_other() {
    let s = demo();
    s.insert(binding(
        "payments",
        "devs",
        "ClusterRole",
        "edit",
        subjects(),
    ));
    s.add_token("t", "alice");
    s.grant(Grant::new("alice", &["list"], &["pods"]));
    s.grant(Grant::new("alice", &["get"], &["rolebindings"]).in_namespaces(&["payments"]));
    let auth = ("Authorization", "Bearer t");
    let r = request(
        &s,
        "GET",
        &format!("{RBAC}/namespaces/payments/rolebindings"),
        &[auth],
        "",
    );
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json()["message"],
        "rolebindings.rbac.authorization.k8s.io is forbidden: User \"alice\" cannot list resource \"rolebindings\" in API group \"rbac.authorization.k8s.io\" in the namespace \"payments\""
    );
    assert_eq!(
        r.json()["details"],
        json!({"group": "rbac.authorization.k8s.io", "kind": "rolebindings"})
    );
    let r = request(&s, "GET", &format!("{RBAC}/clusterroles"), &[auth], "");
    assert_eq!(r.status, 403);
    let r = request(
        &s,
        "GET",
        &format!("{RBAC}/namespaces/payments/rolebindings/devs"),
        &[auth],
        "",
    );
    assert_eq!(r.status, 200);
    s.grant(Grant::new("alice", &["list"], &["rolebindings"]));
    let r = request(&s, "GET", &format!("{RBAC}/rolebindings"), &[auth], "");
    assert_eq!(r.status, 200);
    let listed: Vec<String> = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, ["notebook-editors", "devs"]);
}
