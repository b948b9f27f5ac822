//! `metadata.managedFields`: every write records its manager, as kube-apiserver's field manager.

use serde_json::{Value, json};
use test_apiserver::{ScaleParams, ServerOptions, TestServer};

use crate::http::{demo, get, request};

const CM: &str = "/api/v1/namespaces/default/configmaps";
const JSON: (&str, &str) = ("Content-Type", "application/json");
const MERGE: (&str, &str) = ("Content-Type", "application/merge-patch+json");
const APPLY: (&str, &str) = ("Content-Type", "application/apply-patch+yaml");
const KUBECTL: (&str, &str) = (
    "User-Agent",
    "kubectl/v1.32.4 (linux/amd64) kubernetes/59526cd",
);

fn managed(v: &Value) -> Vec<Value> {
    v.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// `(manager, operation)` of each entry, in order.
fn managers(v: &Value) -> Vec<(String, String)> {
    managed(v)
        .iter()
        .map(|e| {
            (
                e["manager"].as_str().unwrap().to_string(),
                e["operation"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pair(m: &str, op: &str) -> (String, String) {
    (m.to_string(), op.to_string())
}

fn config_map(name: &str) -> String {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": name, "labels": {"app": "web"}},
           "data": {"k": "v"}})
    .to_string()
}

#[test]
fn create_records_the_user_agent_prefix_as_an_update() {
    let s = demo();
    let before = jiff::Timestamp::now().as_second();
    let r = request(&s, "POST", CM, &[JSON, KUBECTL], &config_map("web"));
    let after = jiff::Timestamp::now().as_second();
    assert_eq!(r.status, 201, "{}", r.body);
    let entries = managed(&r.json());
    assert_eq!(entries.len(), 1, "{entries:?}");
    let e = &entries[0];
    assert_eq!(e["manager"], "kubectl");
    assert_eq!(e["operation"], "Update");
    assert_eq!(e["apiVersion"], "v1");
    assert_eq!(e["fieldsType"], "FieldsV1");
    assert!(e.get("subresource").is_none());
    assert_eq!(
        e["fieldsV1"],
        json!({"f:data": {"f:k": {}}, "f:metadata": {"f:labels": {"f:app": {}}}})
    );
    let time = e["time"].as_str().unwrap();
    assert!(time.ends_with('Z') && !time.contains('.'), "{time}");
    let t = time.parse::<jiff::Timestamp>().unwrap().as_second();
    assert!((before..=after).contains(&t), "{before} <= {t} <= {after}");
    // Stored and served as answered.
    assert_eq!(
        managed(&s.object("configmaps", Some("default"), "web").unwrap()),
        entries
    );
    assert_eq!(managed(&get(&s, &format!("{CM}/web")).json()), entries);
}

#[test]
fn field_manager_wins_over_the_user_agent_and_is_limited_to_128_bytes() {
    let s = demo();
    let r = request(
        &s,
        "POST",
        &format!("{CM}?fieldManager=helm"),
        &[JSON, KUBECTL],
        &config_map("a"),
    );
    assert_eq!(managers(&r.json()), [pair("helm", "Update")]);
    // A User-Agent prefix is cut to 128 bytes; a fieldManager that long is refused.
    let long = "x".repeat(200);
    let r = request(
        &s,
        "POST",
        CM,
        &[JSON, ("User-Agent", &format!("{long}/1.0"))],
        &config_map("b"),
    );
    assert_eq!(managed(&r.json())[0]["manager"], "x".repeat(128));
    let r = request(
        &s,
        "POST",
        &format!("{CM}?fieldManager={long}"),
        &[JSON],
        &config_map("c"),
    );
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json()["message"],
        "CreateOptions.meta.k8s.io \"\" is invalid: fieldManager: Too long: may not be more than 128 bytes"
    );
    assert!(s.object("configmaps", Some("default"), "c").is_none());
    // No User-Agent and no fieldManager: the empty manager, as kube-apiserver records it.
    let r = request(&s, "POST", CM, &[JSON], &config_map("d"));
    assert_eq!(managers(&r.json()), [pair("", "Update")]);
}

#[test]
fn patches_replace_their_managers_entry_and_take_fields_from_others() {
    let s = demo();
    request(
        &s,
        "POST",
        &format!("{CM}?fieldManager=kubectl-create"),
        &[JSON],
        &config_map("web"),
    );
    let path = format!("{CM}/web");
    let label = |value: &str| {
        let body = json!({"metadata": {"labels": {"app": value}}}).to_string();
        request(
            &s,
            "PATCH",
            &format!("{path}?fieldManager=kubectl-label"),
            &[MERGE],
            &body,
        )
    };
    let r = label("api");
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(
        managers(&v),
        [
            pair("kubectl-create", "Update"),
            pair("kubectl-label", "Update")
        ]
    );
    // The label is kubectl-label's now; the data stays kubectl-create's.
    assert_eq!(managed(&v)[0]["fieldsV1"], json!({"f:data": {"f:k": {}}}));
    assert_eq!(
        managed(&v)[1]["fieldsV1"],
        json!({"f:metadata": {"f:labels": {"f:app": {}}}})
    );
    // The same manager again: its entry is replaced, not duplicated.
    let v = label("db").json();
    assert_eq!(managed(&v).len(), 2);
    // A JSON patch by another agent takes the data; kubectl-create is left with nothing.
    let r = request(
        &s,
        "PATCH",
        &path,
        &[
            ("Content-Type", "application/json-patch+json"),
            ("User-Agent", "kubectl-owner/0.4.0"),
        ],
        r#"[{"op":"replace","path":"/data/k","value":"w"}]"#,
    );
    assert_eq!(
        managers(&r.json()),
        [
            pair("kubectl-label", "Update"),
            pair("kubectl-owner", "Update")
        ]
    );
}

#[test]
fn no_op_patches_and_dry_runs_store_nothing() {
    let s = demo();
    request(&s, "POST", CM, &[JSON, KUBECTL], &config_map("web"));
    let stored = s.object("configmaps", Some("default"), "web").unwrap();
    let path = format!("{CM}/web");
    // The same value again, by the same or another manager: nothing changes, times included.
    for agent in ["kubectl/v1.32.4", "other/1"] {
        let r = request(
            &s,
            "PATCH",
            &path,
            &[MERGE, ("User-Agent", agent)],
            r#"{"metadata":{"labels":{"app":"web"}}}"#,
        );
        assert_eq!(r.status, 200);
        assert_eq!(r.json(), stored);
    }
    assert_eq!(
        s.object("configmaps", Some("default"), "web").unwrap(),
        stored
    );
    // A dry run answers with the entry it would record and stores nothing.
    let rv = s.resource_version();
    let r = request(
        &s,
        "PATCH",
        &format!("{path}?dryRun=All&fieldManager=kubectl-label"),
        &[MERGE],
        r#"{"metadata":{"labels":{"tier":"front"}}}"#,
    );
    assert_eq!(
        managers(&r.json()),
        [pair("kubectl", "Update"), pair("kubectl-label", "Update")]
    );
    assert_eq!(
        s.object("configmaps", Some("default"), "web").unwrap(),
        stored
    );
    let r = request(
        &s,
        "POST",
        &format!("{CM}?dryRun=All"),
        &[JSON, KUBECTL],
        &config_map("dry"),
    );
    assert_eq!(managers(&r.json()), [pair("kubectl", "Update")]);
    assert!(s.object("configmaps", Some("default"), "dry").is_none());
    assert_eq!(s.resource_version(), rv);
}

#[test]
fn client_supplied_managed_fields_are_ignored_on_create_and_update() {
    let s = demo();
    let forged = json!([{"manager": "forged", "operation": "Update", "apiVersion": "v1",
                         "time": "2020-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                         "fieldsV1": {"f:data": {}}}]);
    let mut body: Value = serde_json::from_str(&config_map("web")).unwrap();
    body["metadata"]["managedFields"] = forged.clone();
    let r = request(&s, "POST", CM, &[JSON, KUBECTL], &body.to_string());
    assert_eq!(managers(&r.json()), [pair("kubectl", "Update")]);
    // PUT: a replace records its writer, keeps the stored entries, ignores the body's.
    let mut put = r.json();
    put["data"] = json!({"k": "v", "extra": "1"});
    put["metadata"]["managedFields"] = forged;
    let r = request(
        &s,
        "PUT",
        &format!("{CM}/web?fieldManager=kubectl-replace"),
        &[JSON],
        &put.to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(
        managers(&v),
        [pair("kubectl", "Update"), pair("kubectl-replace", "Update")]
    );
    assert_eq!(
        managed(&v)[1]["fieldsV1"],
        json!({"f:data": {"f:extra": {}}})
    );
    assert_eq!(v["data"]["extra"], "1");
    // A PUT with a stale resourceVersion conflicts.
    let r = request(&s, "PUT", &format!("{CM}/web"), &[JSON], &put.to_string());
    assert_eq!(r.status, 409);
}

#[test]
fn server_side_apply_records_apply_entries_per_manager() {
    let s = demo();
    let cfg = |value: &str| {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "app", "namespace": "default"},
               "data": {"mode": value}})
        .to_string()
    };
    let path = format!("{CM}/app?fieldManager=helm");
    // An apply to an absent object creates it.
    let r = request(&s, "PATCH", &path, &[APPLY], &cfg("a"));
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(managers(&r.json()), [pair("helm", "Apply")]);
    let r = request(&s, "PATCH", &path, &[APPLY], &cfg("b"));
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["data"]["mode"], "b");
    assert_eq!(managers(&v), [pair("helm", "Apply")]);
    assert_eq!(
        managed(&v)[0]["fieldsV1"],
        json!({"f:data": {"f:mode": {}}})
    );
    // An update by kubectl sorts after the appliers, as kube-apiserver sorts by operation.
    let r = request(
        &s,
        "PATCH",
        &format!("{CM}/app?fieldManager=kubectl-annotate"),
        &[MERGE],
        r#"{"metadata":{"annotations":{"note":"x"}}}"#,
    );
    assert_eq!(
        managers(&r.json()),
        [pair("helm", "Apply"), pair("kubectl-annotate", "Update")]
    );
}

#[test]
fn seeded_managed_fields_are_kept_and_served_in_every_representation() {
    let s = demo();
    let helm = json!({"manager": "helm", "operation": "Update", "apiVersion": "apps/v1",
                      "time": "2024-03-01T12:00:00Z", "fieldsType": "FieldsV1",
                      "fieldsV1": {"f:metadata": {"f:labels": {"f:team": {}, "f:tier": {}}},
                                   "f:spec": {"f:replicas": {}}}});
    s.insert(json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "charted", "namespace": "payments",
                     "labels": {"team": "payments", "tier": "web"},
                     "managedFields": [helm.clone()]},
        "spec": {"replicas": 2}}));
    let path = "/apis/apps/v1/namespaces/payments/deployments";
    let item = format!("{path}/charted");
    let want = vec![helm];
    assert_eq!(managed(&get(&s, &item).json()), want);
    let list = get(&s, &format!("{path}?fieldSelector=metadata.name%3Dcharted")).json();
    assert_eq!(managed(&list["items"][0]), want);
    let partial = request(
        &s,
        "GET",
        path,
        &[(
            "Accept",
            "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
        )],
        "",
    )
    .json();
    let row = partial["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["metadata"]["name"] == "charted")
        .unwrap();
    assert_eq!(managed(row), want);
    let table = request(
        &s,
        "GET",
        &format!("{path}?fieldSelector=metadata.name%3Dcharted"),
        &[("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")],
        "",
    )
    .json();
    assert_eq!(managed(&table["rows"][0]["object"]), want);

    // kubectl label takes one label from helm; helm keeps the rest and its time.
    let r = request(
        &s,
        "PATCH",
        &format!("{item}?fieldManager=kubectl-label"),
        &[MERGE],
        r#"{"metadata":{"labels":{"tier":"api"}}}"#,
    );
    let entries = managed(&r.json());
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["manager"], "helm");
    assert_eq!(entries[0]["time"], "2024-03-01T12:00:00Z");
    assert_eq!(
        entries[0]["fieldsV1"],
        json!({"f:metadata": {"f:labels": {"f:team": {}}}, "f:spec": {"f:replicas": {}}})
    );
    assert_eq!(entries[1]["manager"], "kubectl-label");
    assert_eq!(entries[1]["apiVersion"], "apps/v1");
}

/// The demo records a creator only on the objects `suggest`'s README example shows, each entry
/// at the object's creation time.
#[test]
fn the_demo_records_a_creator_where_suggest_shows_one() {
    let s = demo();
    let mut recorded = Vec::new();
    for resource in ["deployments", "pods", "namespaces"] {
        for o in s.objects(resource) {
            let entries = managed(&o);
            if entries.is_empty() {
                continue;
            }
            assert_eq!(entries.len(), 1, "{o}");
            assert_eq!(entries[0]["time"], o["metadata"]["creationTimestamp"]);
            recorded.push(format!(
                "{}/{} {}",
                o["metadata"]["namespace"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap(),
                entries[0]["manager"].as_str().unwrap()
            ));
        }
    }
    recorded.sort();
    assert_eq!(
        recorded,
        [
            "default/debug-shell kubectl-run",
            "labs/notebook kubectl-create",
            "shop/payment-widget kubectl-client-side-apply",
            "shop/recs ci-data",
            "shop/search-proxy helm",
            "shop/storefront helm",
        ]
    );
    let s = TestServer::start(ServerOptions::default());
    s.seed_scale(ScaleParams {
        namespaces: 3,
        deployments: 6,
        pods: 12,
    });
    for resource in ["namespaces", "deployments", "replicasets", "pods"] {
        for o in s.objects(resource) {
            assert!(o["metadata"].get("managedFields").is_none(), "{resource}");
        }
    }
}
