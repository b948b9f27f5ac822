//! The server over real HTTP, with a tiny blocking HTTP/1.1 client.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use test_apiserver::{Fault, FaultKind, Grant, ScaleParams, ServerOptions, TestServer};

pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
    /// False when the connection closed before Content-Length bytes arrived (or before any answer).
    pub(crate) complete: bool,
}

impl Resp {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) fn request(
    server: &TestServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Resp {
    let addr = server.url().trim_start_matches("http://").to_string();
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req += &format!("{k}: {v}\r\n");
    }
    req += "\r\n";
    req += body;
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return Resp {
            status: 0,
            headers: vec![],
            body: String::new(),
            complete: false,
        };
    };
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut r = Resp {
        status,
        headers,
        body: body.to_string(),
        complete: true,
    };
    if let Some(len) = r.header("content-length") {
        r.complete = len.parse::<usize>().unwrap() == body.len();
    }
    r
}

pub(crate) fn get(server: &TestServer, path: &str) -> Resp {
    request(server, "GET", path, &[], "")
}

pub(crate) fn demo() -> TestServer {
    let s = TestServer::start(ServerOptions::default());
    s.seed_demo();
    s
}

const MERGE: (&str, &str) = ("Content-Type", "application/merge-patch+json");

#[test]
fn lists_carry_kind_and_errors_are_status_objects() {
    let s = demo();
    let r = get(&s, "/apis/apps/v1/namespaces/payments/deployments");
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["kind"], "DeploymentList");
    assert_eq!(v["apiVersion"], "apps/v1");
    assert_eq!(v["items"].as_array().unwrap().len(), 2);
    let r = get(&s, "/api/v1/namespaces/payments/pods/nope");
    assert_eq!(r.status, 404);
    let v = r.json();
    assert_eq!(v["kind"], "Status");
    assert_eq!(v["reason"], "NotFound");
    assert_eq!(v["message"], "pods \"nope\" not found");
    assert_eq!(
        v["details"],
        json!({"name": "nope", "group": "", "kind": "pods"})
    );
    let r = get(&s, "/api/v1/pods?labelSelector=team%20in%20(a");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["reason"], "BadRequest");
    assert_eq!(
        get(&s, "/api/v1/namespaces/payments").json()["kind"],
        "Namespace"
    );
    assert_eq!(get(&s, "/api/v1").json()["groupVersion"], "v1");
}

#[test]
fn partial_object_metadata_and_tables() {
    let s = demo();
    let accept = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
    let r = request(
        &s,
        "GET",
        "/apis/apps/v1/deployments",
        &[("Accept", accept)],
        "",
    );
    assert_eq!(
        r.header("content-type"),
        Some("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io")
    );
    let v = r.json();
    assert_eq!(v["kind"], "PartialObjectMetadataList");
    assert_eq!(v["apiVersion"], "meta.k8s.io/v1");
    let first = &v["items"][0];
    assert_eq!(first["kind"], "PartialObjectMetadata");
    assert!(first.get("spec").is_none());
    assert_eq!(first["metadata"]["namespace"], "checkout");

    let accept = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
    let r = request(
        &s,
        "GET",
        "/apis/apps/v1/namespaces/payments/deployments/api",
        &[("Accept", accept)],
        "",
    );
    assert_eq!(r.json()["metadata"]["labels"]["team"], "payments");

    let accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
    let r = request(
        &s,
        "GET",
        "/api/v1/namespaces/payments/pods?limit=2",
        &[("Accept", accept)],
        "",
    );
    let v = r.json();
    assert_eq!(v["kind"], "Table");
    assert_eq!(v["rows"].as_array().unwrap().len(), 2);
    assert_eq!(v["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    assert_eq!(v["rows"][0]["cells"][4], "2d");
    assert_eq!(v["metadata"]["remainingItemCount"], 3);
    let r = request(
        &s,
        "GET",
        "/api/v1/namespaces/payments/pods?includeObject=None",
        &[("Accept", accept)],
        "",
    );
    assert!(r.json()["rows"][0].get("object").is_none());
}

const TABLE: (&str, &str) = (
    "Accept",
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
);

fn table(server: &TestServer, path: &str) -> Value {
    let r = request(server, "GET", path, &[TABLE], "");
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

/// (name, priority) of each column.
/// The names of a Table's columns, in order.
fn column_names(t: &Value) -> Vec<String> {
    table_columns(t).into_iter().map(|c| c.0).collect()
}

fn table_columns(t: &Value) -> Vec<(String, u64)> {
    t["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["priority"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The cells of the row named `name`.
fn table_row(t: &Value, name: &str) -> Vec<Value> {
    t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["cells"][0] == name)
        .unwrap_or_else(|| panic!("no row {name} in {t}"))["cells"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn workload_tables_carry_containers_images_and_selector() {
    let s = demo();
    s.insert(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "two", "namespace": "default"},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "two"},
                         "matchExpressions": [{"key": "track", "operator": "In", "values": ["stable", "canary"]}]},
            "template": {"metadata": {"labels": {"app": "two"}}, "spec": {
                "initContainers": [{"name": "init", "image": "busybox:1"}],
                "containers": [{"name": "a", "image": "x:1"}, {"name": "b", "image": "y:2"}]}}
        },
        "status": {"readyReplicas": 2, "updatedReplicas": 3}
    }));
    let t = table(&s, "/apis/apps/v1/namespaces/default/deployments");
    assert_eq!(
        table_columns(&t),
        [
            ("Name", 0),
            ("Ready", 0),
            ("Up-to-date", 0),
            ("Available", 0),
            ("Age", 0),
            ("Containers", 1),
            ("Images", 1),
            ("Selector", 1)
        ]
        .map(|(n, p)| (n.to_string(), p))
    );
    let row = table_row(&t, "two");
    assert_eq!(row[1], "2/3");
    assert_eq!(row[2], 3, "integers, not text");
    assert_eq!(row[3], 0, "an absent status field is 0");
    assert_eq!(row[5], "a,b", "init containers are not listed");
    assert_eq!(row[6], "x:1,y:2");
    assert_eq!(row[7], "app=two,track in (canary,stable)");

    // Every workload kind, from the seeded objects.
    let t = table(&s, "/apis/apps/v1/namespaces/payments/statefulsets");
    assert_eq!(
        column_names(&t),
        ["Name", "Ready", "Age", "Containers", "Images"]
    );
    assert_eq!(table_row(&t, "postgres")[1], "2/2");
    let t = table(&s, "/apis/apps/v1/namespaces/payments/replicasets");
    let row = table_row(&t, "api-7d9f8c6b5");
    assert_eq!(row[1..4], [json!(2), json!(2), json!(2)]);
    assert_eq!(row[7], "app=api,pod-template-hash=7d9f8c6b5");
    let t = table(&s, "/apis/apps/v1/namespaces/kube-system/daemonsets");
    assert_eq!(
        column_names(&t),
        [
            "Name",
            "Desired",
            "Current",
            "Ready",
            "Up-to-date",
            "Available",
            "Node Selector",
            "Age",
            "Containers",
            "Images",
            "Selector"
        ]
    );
    let row = table_row(&t, "node-exporter");
    assert_eq!(row[6], "<none>");
    assert_eq!(row[8], "node-exporter");
    let t = table(&s, "/apis/batch/v1/namespaces/search/cronjobs");
    let row = table_row(&t, "reindex");
    assert_eq!(
        row[..6],
        [
            json!("reindex"),
            json!("0 3 * * *"),
            json!("<none>"),
            json!("False"),
            json!(0),
            json!("30d")
        ]
    );
    assert_eq!(row[8], "registry.example/reindex:1.4.2");
    assert_eq!(row[9], "<none>");
    let t = table(&s, "/apis/batch/v1/namespaces/data/jobs");
    assert_eq!(
        column_names(&t),
        [
            "Name",
            "Status",
            "Completions",
            "Duration",
            "Age",
            "Containers",
            "Images",
            "Selector"
        ]
    );
    assert_eq!(
        table_row(&t, "backfill")[1..4],
        [json!("Complete"), json!("1/1"), json!("95s")]
    );
    s.insert(json!({
        "apiVersion": "v1", "kind": "ReplicationController",
        "metadata": {"name": "legacy", "namespace": "default"},
        "spec": {"selector": {"app": "legacy"},
                 "template": {"spec": {"containers": [{"name": "c", "image": "legacy:2"}]}}}
    }));
    let t = table(&s, "/api/v1/namespaces/default/replicationcontrollers");
    let row = table_row(&t, "legacy");
    assert_eq!(row[1], 1, "spec.replicas defaults to 1");
    assert_eq!(
        row[5..],
        [json!("c"), json!("legacy:2"), json!("app=legacy")]
    );
    // The Rollout CRD prints no image column.
    let t = table(&s, "/apis/argoproj.io/v1alpha1/rollouts");
    assert_eq!(column_names(&t), ["Name", "Age"]);
}

#[test]
fn service_tables_print_type_addresses_and_ports() {
    let s = TestServer::start(ServerOptions::default());
    s.insert(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"clusterIP": "10.96.0.12", "clusterIPs": ["10.96.0.12"], "selector": {"tier": "web", "app": "shop"},
                 "ports": [{"port": 80, "protocol": "TCP"}, {"port": 443}]}
    }));
    s.insert(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "edge", "namespace": "shop"},
        "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.13",
                 "ports": [{"port": 443, "nodePort": 30443, "protocol": "TCP"}]},
        "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}}
    }));
    s.insert(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "db", "namespace": "shop"},
        "spec": {"type": "ClusterIP", "clusterIP": "None"}
    }));
    let t = table(&s, "/api/v1/namespaces/shop/services");
    assert_eq!(
        table_columns(&t),
        [
            ("Name", 0),
            ("Type", 0),
            ("Cluster-IP", 0),
            ("External-IP", 0),
            ("Port(s)", 0),
            ("Age", 0),
            ("Selector", 1)
        ]
        .map(|(n, p)| (n.to_string(), p))
    );
    let row = table_row(&t, "web");
    assert_eq!(
        row[..5],
        [
            json!("web"),
            json!("ClusterIP"),
            json!("10.96.0.12"),
            json!("<none>"),
            json!("80/TCP,443/TCP")
        ]
    );
    assert_eq!(row[6], "app=shop,tier=web");
    let row = table_row(&t, "edge");
    assert_eq!(
        row[2..5],
        [
            json!("10.96.0.13"),
            json!("203.0.113.7"),
            json!("443:30443/TCP")
        ]
    );
    let row = table_row(&t, "db");
    assert_eq!(row[2..5], [json!("None"), json!("<none>"), json!("<none>")]);
    assert_eq!(row[6], "<none>");
}

/// Table lists page and filter exactly as the other list forms.
#[test]
fn table_lists_page_with_continue_and_filter_by_labels() {
    let s = demo();
    let mut names = Vec::new();
    let mut next = String::new();
    for _ in 0..20 {
        let path = if next.is_empty() {
            "/apis/apps/v1/deployments?limit=3".to_string()
        } else {
            format!("/apis/apps/v1/deployments?limit=3&continue={next}")
        };
        let t = table(&s, &path);
        for r in t["rows"].as_array().unwrap() {
            names.push(r["cells"][0].as_str().unwrap().to_string());
        }
        match t["metadata"]["continue"].as_str() {
            Some(c) => next = c.to_string(),
            None => break,
        }
    }
    let full: Vec<String> = get(&s, "/apis/apps/v1/deployments").json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, full);
    assert_eq!(names.len(), 13);
    let first = table(&s, "/apis/apps/v1/deployments?limit=3");
    assert_eq!(first["metadata"]["remainingItemCount"], 10);
    let t = table(
        &s,
        "/apis/apps/v1/deployments?labelSelector=tier%3Dweb%2C%21team",
    );
    let rows: Vec<&str> = t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cells"][0].as_str().unwrap())
        .collect();
    assert_eq!(rows, ["web", "ledger", "indexer"]);
}

#[test]
fn paging_and_expired_continue_tokens() {
    let s = demo();
    let mut next = String::new();
    let mut names = Vec::new();
    for _ in 0..20 {
        let path = if next.is_empty() {
            "/api/v1/pods?limit=5".to_string()
        } else {
            format!("/api/v1/pods?limit=5&continue={next}")
        };
        let v = get(&s, &path).json();
        for i in v["items"].as_array().unwrap() {
            names.push(i["metadata"]["name"].as_str().unwrap().to_string());
        }
        match v["metadata"]["continue"].as_str() {
            Some(c) => next = c.to_string(),
            None => break,
        }
    }
    assert_eq!(names.len(), 17);
    let first = get(&s, "/api/v1/pods?limit=5").json();
    let token = first["metadata"]["continue"].as_str().unwrap().to_string();
    s.expire_continue_tokens();
    let r = get(&s, &format!("/api/v1/pods?limit=5&continue={token}"));
    assert_eq!(r.status, 410);
    let v = r.json();
    assert_eq!(v["reason"], "Expired");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .starts_with("The provided continue parameter is too old")
    );
    // Fresh tokens work again.
    let fresh = get(&s, "/api/v1/pods?limit=5").json();
    let token = fresh["metadata"]["continue"].as_str().unwrap();
    assert_eq!(
        get(&s, &format!("/api/v1/pods?limit=5&continue={token}")).status,
        200
    );
}

#[test]
fn patch_conflict_dry_run_and_concurrent_writer() {
    let s = demo();
    let path = "/apis/apps/v1/namespaces/checkout/deployments/web";
    let rv =
        s.object("deployments", Some("checkout"), "web").unwrap()["metadata"]["resourceVersion"]
            .clone();
    // dryRun=All answers the result but stores nothing.
    let body = json!({"metadata": {"labels": {"team": "checkout"}}}).to_string();
    let r = request(&s, "PATCH", &format!("{path}?dryRun=All"), &[MERGE], &body);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["metadata"]["labels"]["team"], "checkout");
    assert!(
        s.object("deployments", Some("checkout"), "web").unwrap()["metadata"]["labels"]
            .get("team")
            .is_none()
    );
    // A concurrent writer between our GET and PATCH makes a resourceVersion-guarded patch conflict.
    s.add_fault(
        Fault::new(
            path,
            1,
            FaultKind::ConcurrentPatch(json!({"metadata": {"labels": {"x": "y"}}})),
        )
        .method("PATCH"),
    );
    let body =
        json!({"metadata": {"resourceVersion": rv, "labels": {"team": "checkout"}}}).to_string();
    let r = request(&s, "PATCH", path, &[MERGE], &body);
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["reason"], "Conflict");
    let stored = s.object("deployments", Some("checkout"), "web").unwrap();
    assert_eq!(stored["metadata"]["labels"]["x"], "y");
    assert!(stored["metadata"]["labels"].get("team").is_none());
    // kube-rs' patch_metadata asks for PartialObjectMetadata back.
    let accept = (
        "Accept",
        "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1",
    );
    let r = request(
        &s,
        "PATCH",
        path,
        &[MERGE, accept],
        r#"{"metadata":{"labels":{"team":"checkout"}}}"#,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["kind"], "PartialObjectMetadata");
    assert_eq!(r.json()["metadata"]["labels"]["team"], "checkout");
    assert!(r.json().get("spec").is_none());
    // Unsupported patch type.
    let r = request(
        &s,
        "PATCH",
        path,
        &[("Content-Type", "application/yaml")],
        "{}",
    );
    assert_eq!(r.status, 415);
    // A server-side apply needs a field manager.
    let r = request(
        &s,
        "PATCH",
        path,
        &[("Content-Type", "application/apply-patch+yaml")],
        "{}",
    );
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json()["message"],
        "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"
    );
}

#[test]
fn create_and_already_exists() {
    let s = demo();
    let body =
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "b"}}).to_string();
    let r = request(
        &s,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        &[("Content-Type", "application/json")],
        &body,
    );
    assert_eq!(r.status, 201);
    let r = request(
        &s,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        &[("Content-Type", "application/json")],
        &body,
    );
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["reason"], "AlreadyExists");
    assert_eq!(r.json()["message"], "configmaps \"x\" already exists");
}

#[test]
fn tokens_rbac_and_impersonation_headers() {
    let s = demo();
    s.add_token("t", "alice");
    assert_eq!(get(&s, "/api/v1/pods").status, 401);
    assert_eq!(get(&s, "/api/v1/pods").json()["message"], "Unauthorized");
    let auth = ("Authorization", "Bearer t");
    assert_eq!(
        request(&s, "GET", "/api/v1/pods", &[auth], "").status,
        200,
        "no grants yet: allowed"
    );
    s.grant(Grant::new("alice", &["list"], &["deployments"]).in_namespaces(&["payments"]));
    let r = request(
        &s,
        "GET",
        "/apis/apps/v1/namespaces/payments/deployments",
        &[auth],
        "",
    );
    assert_eq!(r.status, 200);
    let r = request(&s, "GET", "/apis/apps/v1/deployments", &[auth], "");
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json()["message"],
        "deployments.apps is forbidden: User \"alice\" cannot list resource \"deployments\" in API group \"apps\" at the cluster scope"
    );
    let r = request(
        &s,
        "GET",
        "/apis/apps/v1/namespaces/payments/deployments/api",
        &[auth],
        "",
    );
    assert_eq!(
        r.json()["message"],
        "deployments.apps \"api\" is forbidden: User \"alice\" cannot get resource \"deployments\" in API group \"apps\" in the namespace \"payments\""
    );
    request(
        &s,
        "GET",
        "/api",
        &[
            auth,
            ("Impersonate-User", "bob"),
            ("Impersonate-Group", "g1"),
            ("Impersonate-Group", "g2"),
        ],
        "",
    );
    let last = s.requests().pop().unwrap();
    assert_eq!(last.impersonate_user.as_deref(), Some("bob"));
    assert_eq!(last.impersonate_groups, ["g1", "g2"]);
}

#[test]
fn faults() {
    let s = demo();
    s.add_fault(Fault::new(
        "/api/v1/pods",
        1,
        FaultKind::Status {
            code: 429,
            retry_after: Some(3),
        },
    ));
    s.add_fault(Fault::new("/api/v1/pods", 1, FaultKind::DropConnection));
    s.add_fault(Fault::new("/api/v1/pods", 1, FaultKind::TruncatedBody));
    s.add_fault(Fault::new("/api/v1/pods", 1, FaultKind::InvalidJson));
    s.add_fault(Fault::new(
        "/api/v1/pods",
        1,
        FaultKind::Latency(Duration::from_millis(300)),
    ));
    let r = get(&s, "/api/v1/pods");
    assert_eq!((r.status, r.header("retry-after")), (429, Some("3")));
    assert_eq!(r.json()["reason"], "TooManyRequests");
    let r = get(&s, "/api/v1/pods");
    assert_eq!(r.status, 0, "connection dropped");
    let r = get(&s, "/api/v1/pods");
    assert_eq!(r.status, 200);
    assert!(!r.complete, "truncated body");
    assert!(serde_json::from_str::<Value>(&r.body).is_err());
    let r = get(&s, "/api/v1/pods");
    assert_eq!((r.status, r.body.as_str()), (200, "{not json"));
    let t = Instant::now();
    assert_eq!(get(&s, "/api/v1/pods").status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert!(get(&s, "/api/v1/pods").complete);
    let log = s.requests();
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        [429, 0, 200, 200, 200, 200]
    );
    assert!(log[2].response_bytes < log[3 + 2].response_bytes);
    assert_eq!(s.count(Some("GET"), "/api/v1/pods"), 6);
}

#[test]
fn hidden_group_is_absent() {
    let s = demo();
    assert_eq!(get(&s, "/apis/argoproj.io/v1alpha1").status, 200);
    s.hide_group("argoproj.io");
    assert_eq!(get(&s, "/apis/argoproj.io/v1alpha1").status, 404);
    let groups = get(&s, "/apis").json();
    assert!(!groups.to_string().contains("argoproj"));
}

#[test]
fn hidden_gateway_api_disappears_from_discovery() {
    let s = TestServer::start(ServerOptions::default());
    s.insert(json!({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": "api", "namespace": "payments"},
        "spec": {"hostnames": ["api.payments.example.com"]}
    }));
    let path = "/apis/gateway.networking.k8s.io/v1/namespaces/payments/httproutes";
    assert_eq!(get(&s, path).status, 200);
    assert!(get(&s, "/apis").body.contains("gateway.networking.k8s.io"));
    s.hide_group("gateway.networking.k8s.io");
    let groups = get(&s, "/apis").json();
    let names: Vec<&str> = groups["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "apps",
            "batch",
            "discovery.k8s.io",
            "networking.k8s.io",
            "rbac.authorization.k8s.io",
            "admissionregistration.k8s.io",
            "argoproj.io",
            "helm.toolkit.fluxcd.io",
            "kustomize.toolkit.fluxcd.io",
            "rabbitmq.com",
            "wgpolicyk8s.io"
        ]
    );
    assert_eq!(get(&s, "/apis/gateway.networking.k8s.io").status, 404);
    assert_eq!(get(&s, "/apis/gateway.networking.k8s.io/v1").status, 404);
    let r = get(&s, path);
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["reason"], "NotFound");
}

/// EndpointSlices, Ingresses, HTTPRoutes and RabbitmqClusters: discovery, writes, lists in every
/// form, and their Tables.
#[test]
fn network_and_operator_kinds_are_served() {
    let s = TestServer::start(ServerOptions::default());
    s.insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}));
    let find = |doc: &Value, plural: &str| -> Value {
        doc["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == plural)
            .cloned()
            .unwrap_or_else(|| panic!("no {plural} in {doc}"))
    };
    let ing = find(&get(&s, "/apis/networking.k8s.io/v1").json(), "ingresses");
    assert_eq!(ing["kind"], "Ingress");
    assert_eq!(ing["shortNames"], json!(["ing"]));
    assert_eq!(ing["namespaced"], true);
    let eps = find(
        &get(&s, "/apis/discovery.k8s.io/v1").json(),
        "endpointslices",
    );
    assert_eq!(eps["kind"], "EndpointSlice");
    assert!(eps.get("shortNames").is_none());
    let hr = find(
        &get(&s, "/apis/gateway.networking.k8s.io/v1").json(),
        "httproutes",
    );
    assert_eq!(hr["categories"], json!(["gateway-api"]));
    let rmq = find(
        &get(&s, "/apis/rabbitmq.com/v1beta1").json(),
        "rabbitmqclusters",
    );
    assert_eq!(rmq["shortNames"], json!(["rmq"]));
    assert_eq!(rmq["categories"], json!(["all", "rabbitmq"]));

    let ingress = json!({
        "metadata": {"name": "shop", "labels": {"team": "checkout"}},
        "spec": {"ingressClassName": "nginx",
                 "tls": [{"hosts": ["shop.example.com"]}],
                 "rules": [{"host": "shop.example.com"}, {"host": "*.shop.example.com"}, {}]},
        "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}, {"hostname": "lb.example.com"}]}}
    });
    let r = request(
        &s,
        "POST",
        "/apis/networking.k8s.io/v1/namespaces/shop/ingresses",
        &[("Content-Type", "application/json")],
        &ingress.to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["apiVersion"], "networking.k8s.io/v1");
    let t = table(&s, "/apis/networking.k8s.io/v1/ingresses");
    assert_eq!(
        column_names(&t),
        ["Name", "Class", "Hosts", "Address", "Ports", "Age"]
    );
    assert_eq!(
        table_row(&t, "shop")[..5],
        [
            json!("shop"),
            json!("nginx"),
            json!("shop.example.com,*.shop.example.com"),
            json!("203.0.113.10,lb.example.com"),
            json!("80, 443")
        ]
    );
    let accept = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
    let v = request(
        &s,
        "GET",
        "/apis/networking.k8s.io/v1/namespaces/shop/ingresses?labelSelector=team%3Dcheckout",
        &[("Accept", accept)],
        "",
    )
    .json();
    assert_eq!(v["items"][0]["metadata"]["name"], "shop");
    assert!(v["items"][0].get("spec").is_none());

    s.insert(json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": "shop-x1", "namespace": "shop",
                     "labels": {"kubernetes.io/service-name": "shop"}},
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}, {"name": "metrics"}],
        "endpoints": (1..=5).map(|i| json!({"addresses": [format!("10.244.1.{i}")]})).collect::<Vec<_>>()
    }));
    let t = table(
        &s,
        "/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dshop",
    );
    assert_eq!(
        column_names(&t),
        ["Name", "AddressType", "Ports", "Endpoints", "Age"]
    );
    assert_eq!(
        table_row(&t, "shop-x1")[..4],
        [
            json!("shop-x1"),
            json!("IPv4"),
            json!("8080,metrics"),
            json!("10.244.1.1,10.244.1.2,10.244.1.3 + 2 more...")
        ]
    );

    s.insert(json!({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": "api", "namespace": "shop"},
        "spec": {"hostnames": ["api.example.com", "www.example.com"]}
    }));
    let t = table(&s, "/apis/gateway.networking.k8s.io/v1/httproutes");
    assert_eq!(
        table_row(&t, "api")[1],
        r#"["api.example.com","www.example.com"]"#
    );

    s.insert(json!({
        "apiVersion": "rabbitmq.com/v1beta1", "kind": "RabbitmqCluster",
        "metadata": {"name": "events", "namespace": "shop"},
        "spec": {"replicas": 3}
    }));
    let v = get(&s, "/apis/rabbitmq.com/v1beta1/rabbitmqclusters").json();
    assert_eq!(v["kind"], "RabbitmqClusterList");
    assert_eq!(v["items"][0]["metadata"]["name"], "events");
    assert_eq!(s.object_count("rabbitmqclusters"), 1);
    let r = request(
        &s,
        "DELETE",
        "/apis/rabbitmq.com/v1beta1/namespaces/shop/rabbitmqclusters/events",
        &[],
        "",
    );
    assert_eq!(r.status, 200);
    assert_eq!(s.object_count("rabbitmqclusters"), 0);
}

/// The GitOps tools' kinds, each a CRD of its own group: Argo CD's Application (beside Argo
/// Rollouts' Rollout in argoproj.io), Flux's Kustomization and HelmRelease. Discovery, writes,
/// metadata-only lists across namespaces, Name/Age Tables, and each group hidden on its own.
#[test]
fn gitops_kinds_are_served() {
    let s = TestServer::start(ServerOptions::default());
    let kinds = [
        (
            "argoproj.io/v1alpha1",
            "applications",
            "Application",
            json!(["app", "apps"]),
            Some(json!(["argoproj"])),
        ),
        (
            "kustomize.toolkit.fluxcd.io/v1",
            "kustomizations",
            "Kustomization",
            json!(["ks"]),
            None,
        ),
        (
            "helm.toolkit.fluxcd.io/v2",
            "helmreleases",
            "HelmRelease",
            json!(["hr"]),
            None,
        ),
    ];
    let groups = get(&s, "/apis").json();
    for (gv, plural, kind, short_names, categories) in &kinds {
        let (group, version) = gv.split_once('/').unwrap();
        let g = groups["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == group)
            .unwrap_or_else(|| panic!("no {group} in {groups}"));
        assert_eq!(
            g["preferredVersion"],
            json!({"groupVersion": gv, "version": version})
        );
        let doc = get(&s, &format!("/apis/{gv}")).json();
        assert_eq!(doc["groupVersion"], *gv);
        let res = doc["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == *plural)
            .unwrap_or_else(|| panic!("no {plural} in {doc}"));
        assert_eq!(res["kind"], *kind);
        assert_eq!(res["namespaced"], true);
        assert_eq!(res["singularName"], kind.to_lowercase());
        assert_eq!(res["shortNames"], *short_names);
        assert_eq!(res.get("categories"), categories.as_ref(), "{plural}");
    }
    // Argo CD and Argo Rollouts share their group.
    let argo: Vec<String> = get(&s, "/apis/argoproj.io/v1alpha1").json()["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(argo, ["rollouts", "applications"]);

    // Created by POST, and by insert, in two namespaces each.
    s.insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "argocd"}}));
    let r = request(
        &s,
        "POST",
        "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications",
        &[("Content-Type", "application/json")],
        &json!({
            "metadata": {"name": "search", "labels": {"team": "data"}},
            "spec": {"source": {"repoURL": "https://git.example/search.git"},
                     "destination": {"namespace": "search"}}
        })
        .to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(r.json()["kind"], "Application");
    for (gv, kind, ns, name, team) in [
        (
            "argoproj.io/v1alpha1",
            "Application",
            "apps",
            "shop",
            "checkout",
        ),
        (
            "kustomize.toolkit.fluxcd.io/v1",
            "Kustomization",
            "flux-system",
            "infra",
            "platform",
        ),
        (
            "kustomize.toolkit.fluxcd.io/v1",
            "Kustomization",
            "apps",
            "shop",
            "checkout",
        ),
        (
            "helm.toolkit.fluxcd.io/v2",
            "HelmRelease",
            "monitoring",
            "prometheus",
            "platform",
        ),
        (
            "helm.toolkit.fluxcd.io/v2",
            "HelmRelease",
            "apps",
            "redis",
            "checkout",
        ),
    ] {
        s.insert(json!({
            "apiVersion": gv, "kind": kind,
            "metadata": {"name": name, "namespace": ns, "labels": {"team": team}},
            "spec": {"interval": "10m"}
        }));
    }

    // Metadata-only lists across namespaces, in namespace order, with and without a selector.
    let partial = (
        "Accept",
        "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
    );
    let names = |path: &str| -> Vec<(String, String)> {
        let r = request(&s, "GET", path, &[partial], "");
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        let v = r.json();
        assert_eq!(v["kind"], "PartialObjectMetadataList", "{path}");
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                assert_eq!(i["kind"], "PartialObjectMetadata");
                assert!(i.get("spec").is_none(), "{path}: {i}");
                assert!(i["metadata"]["uid"].is_string(), "{path}: {i}");
                (
                    i["metadata"]["namespace"].as_str().unwrap().to_string(),
                    i["metadata"]["name"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        names("/apis/argoproj.io/v1alpha1/applications"),
        pairs(&[("apps", "shop"), ("argocd", "search")])
    );
    assert_eq!(
        names("/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations"),
        pairs(&[("apps", "shop"), ("flux-system", "infra")])
    );
    assert_eq!(
        names("/apis/helm.toolkit.fluxcd.io/v2/helmreleases"),
        pairs(&[("apps", "redis"), ("monitoring", "prometheus")])
    );
    assert_eq!(
        names("/apis/helm.toolkit.fluxcd.io/v2/helmreleases?labelSelector=team%3Dplatform"),
        pairs(&[("monitoring", "prometheus")])
    );
    assert_eq!(
        names("/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/apps/kustomizations?limit=1"),
        pairs(&[("apps", "shop")])
    );
    // Paged across namespaces.
    let v = request(
        &s,
        "GET",
        "/apis/argoproj.io/v1alpha1/applications?limit=1",
        &[partial],
        "",
    )
    .json();
    assert_eq!(v["items"][0]["metadata"]["name"], "shop");
    assert_eq!(v["metadata"]["remainingItemCount"], 1);
    let token = v["metadata"]["continue"].as_str().unwrap();
    let v = request(
        &s,
        "GET",
        &format!("/apis/argoproj.io/v1alpha1/applications?limit=1&continue={token}"),
        &[partial],
        "",
    )
    .json();
    assert_eq!(v["items"][0]["metadata"]["name"], "search");
    assert!(v["metadata"].get("continue").is_none(), "{v}");

    // Full lists and objects, and Tables of Name and Age as for a CRD without printer columns.
    let v = get(&s, "/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations").json();
    assert_eq!(v["kind"], "KustomizationList");
    assert_eq!(v["apiVersion"], "kustomize.toolkit.fluxcd.io/v1");
    assert_eq!(v["items"][0]["spec"]["interval"], "10m");
    let v = get(
        &s,
        "/apis/helm.toolkit.fluxcd.io/v2/namespaces/apps/helmreleases/redis",
    )
    .json();
    assert_eq!(v["kind"], "HelmRelease");
    assert_eq!(v["metadata"]["labels"]["team"], "checkout");
    for path in [
        "/apis/argoproj.io/v1alpha1/applications",
        "/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations",
        "/apis/helm.toolkit.fluxcd.io/v2/helmreleases",
    ] {
        let t = table(&s, path);
        assert_eq!(column_names(&t), ["Name", "Age"], "{path}");
        assert_eq!(t["rows"].as_array().unwrap().len(), 2, "{path}");
    }
    let t = table(
        &s,
        "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications",
    );
    assert_eq!(table_row(&t, "search")[0], "search");

    // Writes.
    let r = request(
        &s,
        "PATCH",
        "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/search",
        &[MERGE],
        r#"{"metadata":{"labels":{"lifecycle":"production"}}}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        s.object("applications", Some("argocd"), "search").unwrap()["metadata"]["labels"],
        json!({"team": "data", "lifecycle": "production"})
    );
    let r = request(
        &s,
        "DELETE",
        "/apis/helm.toolkit.fluxcd.io/v2/namespaces/apps/helmreleases/redis",
        &[],
        "",
    );
    assert_eq!(r.status, 200);
    assert_eq!(s.object_count("helmreleases"), 1);
    assert_eq!(s.object_count("kustomizations"), 2);
    // The wrong version of a group is not served.
    assert_eq!(
        get(&s, "/apis/helm.toolkit.fluxcd.io/v2beta1/helmreleases").status,
        404
    );

    // Each group hides on its own: Flux's two are separate installs, and Argo CD's
    // Application goes with the argoproj.io group.
    s.hide_group("helm.toolkit.fluxcd.io");
    let groups = get(&s, "/apis").body;
    assert!(!groups.contains("helm.toolkit.fluxcd.io"), "{groups}");
    assert!(groups.contains("kustomize.toolkit.fluxcd.io"), "{groups}");
    assert_eq!(get(&s, "/apis/helm.toolkit.fluxcd.io").status, 404);
    assert_eq!(get(&s, "/apis/helm.toolkit.fluxcd.io/v2").status, 404);
    let r = get(&s, "/apis/helm.toolkit.fluxcd.io/v2/helmreleases");
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["reason"], "NotFound");
    assert_eq!(
        get(&s, "/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations").status,
        200
    );
    s.hide_group("kustomize.toolkit.fluxcd.io");
    assert_eq!(
        get(
            &s,
            "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/apps/kustomizations/shop"
        )
        .status,
        404
    );
    assert_eq!(
        get(&s, "/apis/argoproj.io/v1alpha1/applications").status,
        200
    );
    s.hide_group("argoproj.io");
    assert_eq!(
        get(&s, "/apis/argoproj.io/v1alpha1/applications").status,
        404
    );
    assert_eq!(get(&s, "/apis/argoproj.io/v1alpha1/rollouts").status, 404);
    let groups = get(&s, "/apis").body;
    assert!(
        !groups.contains("fluxcd") && !groups.contains("argoproj"),
        "{groups}"
    );
    let index = get(&s, "/openapi/v3").json();
    for doc in [
        "apis/argoproj.io/v1alpha1",
        "apis/helm.toolkit.fluxcd.io/v2",
        "apis/kustomize.toolkit.fluxcd.io/v1",
    ] {
        assert!(index["paths"].get(doc).is_none(), "{doc}");
    }
}

/// The demo's pods have IPs on their nodes; the Services' EndpointSlices name exactly the pods
/// their selectors pick, by IP and by uid.
#[test]
fn demo_pods_nodes_and_services_agree() {
    let s = demo();
    let node_ip = |node: &str| -> String {
        let n = s.object("nodes", None, node).unwrap();
        let addresses = n["status"]["addresses"].as_array().unwrap();
        let internal = addresses
            .iter()
            .find(|a| a["type"] == "InternalIP")
            .unwrap();
        internal["address"].as_str().unwrap().to_string()
    };
    let pods = get(&s, "/api/v1/pods").json()["items"]
        .as_array()
        .unwrap()
        .clone();
    let mut ips = std::collections::BTreeMap::<String, Vec<String>>::new();
    for p in &pods {
        let name = p["metadata"]["name"].as_str().unwrap();
        let ip = p["status"]["podIP"]
            .as_str()
            .unwrap_or_else(|| panic!("{name} has no IP"));
        assert_eq!(p["status"]["podIPs"][0]["ip"], ip);
        let node = p["spec"]["nodeName"].as_str().unwrap();
        assert_eq!(p["status"]["hostIP"], node_ip(node).as_str(), "{name}");
        if p["spec"]["hostNetwork"] == true {
            assert_eq!(ip, node_ip(node), "{name} is on the host network");
        } else {
            assert!(ip.starts_with("10.244."), "{name}: {ip}");
        }
        ips.entry(ip.to_string())
            .or_default()
            .push(name.to_string());
    }
    let shared: Vec<_> = ips.values().filter(|names| names.len() > 1).collect();
    assert_eq!(
        shared,
        [&vec![
            "kube-apiserver-node-1".to_string(),
            "node-exporter-f7g8h".to_string()
        ]]
    );

    let slices = get(&s, "/apis/discovery.k8s.io/v1/endpointslices").json()["items"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(slices.len(), 3);
    for slice in &slices {
        let ns = slice["metadata"]["namespace"].as_str().unwrap();
        let service = slice["metadata"]["labels"]["kubernetes.io/service-name"]
            .as_str()
            .unwrap();
        let svc = s.object("services", Some(ns), service).unwrap();
        let selector: Vec<String> = svc["spec"]["selector"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap()))
            .collect();
        let selected = get(
            &s,
            &format!(
                "/api/v1/namespaces/{ns}/pods?labelSelector={}",
                selector.join(",").replace('=', "%3D")
            ),
        )
        .json();
        let mut want: Vec<(Value, Value, Value)> = selected["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["status"]["podIP"].clone(),
                    p["metadata"]["name"].clone(),
                    p["metadata"]["uid"].clone(),
                )
            })
            .collect();
        let mut have: Vec<(Value, Value, Value)> = slice["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert_eq!(e["targetRef"]["kind"], "Pod");
                assert_eq!(e["targetRef"]["namespace"], ns);
                (
                    e["addresses"][0].clone(),
                    e["targetRef"]["name"].clone(),
                    e["targetRef"]["uid"].clone(),
                )
            })
            .collect();
        want.sort_by_key(|w| w.1.to_string());
        have.sort_by_key(|h| h.1.to_string());
        assert!(!want.is_empty(), "{service} selects pods");
        assert_eq!(have, want, "{ns}/{service}");
        assert_eq!(slice["addressType"], "IPv4");
    }
    let ingress = s.object("ingresses", Some("checkout"), "shop").unwrap();
    for rule in ingress["spec"]["rules"].as_array().unwrap() {
        let backend = &rule["http"]["paths"][0]["backend"]["service"];
        assert!(
            s.object(
                "services",
                Some("checkout"),
                backend["name"].as_str().unwrap()
            )
            .is_some()
        );
    }
    let route = s.object("httproutes", Some("payments"), "api").unwrap();
    let backend = &route["spec"]["rules"][0]["backendRefs"][0];
    assert!(
        s.object(
            "services",
            Some("payments"),
            backend["name"].as_str().unwrap()
        )
        .is_some()
    );
}

/// The demo's GitOps evidence points at objects that exist: the Argo CD tracking-id of
/// `search/indexer` names an Application (in Argo CD's namespace) that deploys to `search`, and the
/// Flux labels of `search/reindex` name a Kustomization. No other workload carries such evidence
/// (`default/debug-shell` has none), the GitOps namespaces hold no workloads and no team, and the
/// new objects are dated like the rest of the demo.
#[test]
fn demo_gitops_evidence_names_existing_objects() {
    let s = demo();
    let start = s.start_time().as_second();
    let age_days = |v: &Value| {
        let created: jiff::Timestamp = v["metadata"]["creationTimestamp"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        (start - created.as_second()) / 86_400
    };

    // Argo CD: `<app>:<group>/<kind>:<namespace>/<name>`, the app in Argo CD's own namespace.
    let indexer = s.object("deployments", Some("search"), "indexer").unwrap();
    let tracking = indexer["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"]
        .as_str()
        .expect("indexer's tracking-id");
    assert_eq!(tracking, "search:apps/Deployment:search/indexer");
    let mut parts = tracking.splitn(3, ':');
    let (app, group_kind, ns_name) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    assert_eq!(
        (group_kind, ns_name),
        ("apps/Deployment", "search/indexer"),
        "the tracking-id names the object that carries it"
    );
    let application = s
        .object("applications", Some("argocd"), app)
        .unwrap_or_else(|| panic!("no Application argocd/{app}"));
    assert_eq!(application["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(application["spec"]["destination"]["namespace"], "search");
    assert!(
        application["spec"]["source"]["repoURL"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://")),
        "{application}"
    );
    assert_eq!(
        application["metadata"]["labels"],
        json!({"team": "data", "lifecycle": "production"})
    );
    assert_eq!(age_days(&application), 30);

    // Flux: the Kustomization's name and namespace, as kustomize-controller labels its objects.
    let reindex = s.object("cronjobs", Some("search"), "reindex").unwrap();
    let labels = &reindex["metadata"]["labels"];
    let name = labels["kustomize.toolkit.fluxcd.io/name"].as_str().unwrap();
    let ns = labels["kustomize.toolkit.fluxcd.io/namespace"]
        .as_str()
        .unwrap();
    assert_eq!((ns, name), ("flux-system", "search-jobs"));
    let kustomization = s
        .object("kustomizations", Some(ns), name)
        .unwrap_or_else(|| panic!("no Kustomization {ns}/{name}"));
    assert_eq!(
        kustomization["apiVersion"],
        "kustomize.toolkit.fluxcd.io/v1"
    );
    assert_eq!(kustomization["spec"]["targetNamespace"], "search");
    assert_eq!(kustomization["metadata"]["labels"], json!({"team": "data"}));
    assert_eq!(age_days(&kustomization), 30);
    assert_eq!(s.object_count("helmreleases"), 0);

    // Only those two carry GitOps evidence; their teams stay unset.
    let mut managed = Vec::new();
    for resource in [
        "deployments",
        "statefulsets",
        "daemonsets",
        "cronjobs",
        "jobs",
        "rollouts",
        "replicasets",
        "pods",
    ] {
        for o in s.objects(resource) {
            let meta = &o["metadata"];
            let keys = ["labels", "annotations"]
                .iter()
                .filter_map(|f| meta[*f].as_object())
                .flat_map(|m| m.keys().cloned())
                .collect::<Vec<_>>();
            if keys
                .iter()
                .any(|k| k.contains("argoproj.io/") || k.contains("fluxcd.io/"))
            {
                managed.push(format!(
                    "{resource}/{}/{}",
                    meta["namespace"].as_str().unwrap(),
                    meta["name"].as_str().unwrap()
                ));
                assert!(meta["labels"].get("team").is_none(), "{o}");
            }
        }
    }
    assert_eq!(
        managed,
        ["deployments/search/indexer", "cronjobs/search/reindex"]
    );
    let shell = s.object("pods", Some("default"), "debug-shell").unwrap();
    assert!(shell["metadata"].get("labels").is_none(), "{shell}");
    assert!(shell["metadata"].get("annotations").is_none(), "{shell}");

    // The GitOps namespaces: dated as the others, no team, and no workloads in them.
    for ns in ["argocd", "flux-system"] {
        let n = s.object("namespaces", None, ns).unwrap();
        assert_eq!(age_days(&n), 120, "{ns}");
        assert_eq!(
            n["metadata"]["labels"],
            json!({"kubernetes.io/metadata.name": ns})
        );
        for (group_version, resource) in [
            ("api/v1", "pods"),
            ("apis/apps/v1", "deployments"),
            ("apis/apps/v1", "replicasets"),
            ("apis/apps/v1", "statefulsets"),
            ("apis/apps/v1", "daemonsets"),
            ("apis/batch/v1", "jobs"),
            ("apis/batch/v1", "cronjobs"),
            ("apis/argoproj.io/v1alpha1", "rollouts"),
        ] {
            let v = get(&s, &format!("/{group_version}/namespaces/{ns}/{resource}")).json();
            assert_eq!(v["items"], json!([]), "{ns} {resource}");
        }
    }
}

#[test]
fn small_scale_seed_is_consistent() {
    let s = TestServer::start(ServerOptions::default());
    s.seed_scale(ScaleParams {
        namespaces: 20,
        deployments: 200,
        pods: 1000,
    });
    assert_eq!(s.object_count("namespaces"), 20);
    assert_eq!(s.object_count("deployments"), 200);
    assert_eq!(s.object_count("replicasets"), 200);
    assert_eq!(s.object_count("statefulsets"), 2);
    assert_eq!(s.object_count("daemonsets"), 2);
    assert_eq!(s.object_count("cronjobs"), 1);
    assert_eq!(s.object_count("pods"), 1000 + 2 * 2 + 2 + 1);
    let v = get(&s, "/api/v1/namespaces/ns-0001/pods?limit=10").json();
    assert_eq!(v["items"].as_array().unwrap().len(), 10);
    assert_eq!(v["metadata"]["remainingItemCount"], 40);
    let pod = &v["items"][0];
    let rs = pod["metadata"]["ownerReferences"][0]["name"]
        .as_str()
        .unwrap();
    assert!(s.object("replicasets", Some("ns-0001"), rs).is_some());
}

/// `/openapi/v3` names a document per served group-version; each document has, for every
/// resource discovery lists, a PATCH operation of its kind that takes `fieldValidation` (what
/// kubectl checks before it leaves validation to the server) and a schema carrying the kind.
#[test]
fn openapi_v3_documents_describe_every_served_kind() {
    let s = demo();
    let index = get(&s, "/openapi/v3");
    assert_eq!(index.status, 200);
    assert_eq!(index.header("content-type"), Some("application/json"));
    let index = index.json();
    let mut group_versions = vec!["v1".to_string()];
    for g in get(&s, "/apis").json()["groups"].as_array().unwrap() {
        group_versions.push(
            g["preferredVersion"]["groupVersion"]
                .as_str()
                .unwrap()
                .into(),
        );
    }
    let names: Vec<&String> = index["paths"].as_object().unwrap().keys().collect();
    assert_eq!(names.len(), group_versions.len(), "{names:?}");
    for gv in &group_versions {
        let (name, base) = if gv == "v1" {
            ("api/v1".to_string(), "/api/v1".to_string())
        } else {
            (format!("apis/{gv}"), format!("/apis/{gv}"))
        };
        let url = index["paths"][&name]["serverRelativeURL"].as_str().unwrap();
        let hash = url
            .strip_prefix(&format!("/openapi/v3/{name}?hash="))
            .unwrap_or_else(|| panic!("{name}: {url}"));
        let r = get(&s, url);
        assert_eq!(r.status, 200, "{url}");
        assert_eq!(r.header("etag"), Some(format!("\"{hash}\"").as_str()));
        assert_eq!(r.header("cache-control"), Some("public, immutable"));
        let doc = r.json();
        assert_eq!(doc["openapi"], "3.0.0");
        let (group, version) = gv.rsplit_once('/').unwrap_or(("", gv));
        for res in get(&s, &base).json()["resources"].as_array().unwrap() {
            let kind = res["kind"].as_str().unwrap();
            let gvk = json!({"group": group, "version": version, "kind": kind});
            let plural = res["name"].as_str().unwrap();
            let item = if res["namespaced"] == true {
                format!("{base}/namespaces/{{namespace}}/{plural}/{{name}}")
            } else {
                format!("{base}/{plural}/{{name}}")
            };
            let patch = &doc["paths"][&item]["patch"];
            assert_eq!(patch["x-kubernetes-group-version-kind"], gvk, "{item}");
            assert_eq!(patch["x-kubernetes-action"], "patch");
            assert!(
                patch["parameters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p["name"] == "fieldValidation" && p["in"] == "query"),
                "{item}: {patch}"
            );
            let schema = doc["components"]["schemas"]
                .as_object()
                .unwrap()
                .values()
                .find(|v| v["x-kubernetes-group-version-kind"] == json!([gvk]))
                .unwrap_or_else(|| panic!("no schema of {gvk}"));
            assert_eq!(schema["type"], "object");
        }
    }
}

/// The Policy WG's kinds are CRDs: schemas named by the reversed group that keep unknown fields,
/// patched by JSON merge patches (no strategic merge patch for a CRD).
#[test]
fn openapi_v3_policy_report_document() {
    let s = demo();
    let index = get(&s, "/openapi/v3").json();
    let url = index["paths"]["apis/wgpolicyk8s.io/v1alpha2"]["serverRelativeURL"]
        .as_str()
        .unwrap()
        .to_string();
    let doc = get(&s, &url).json();
    for (kind, item) in [
        (
            "PolicyReport",
            "/apis/wgpolicyk8s.io/v1alpha2/namespaces/{namespace}/policyreports/{name}",
        ),
        (
            "ClusterPolicyReport",
            "/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/{name}",
        ),
    ] {
        let schema = &doc["components"]["schemas"][format!("io.wgpolicyk8s.v1alpha2.{kind}")];
        assert_eq!(schema["type"], "object", "{kind}");
        assert_eq!(schema["x-kubernetes-preserve-unknown-fields"], true);
        assert_eq!(
            schema["x-kubernetes-group-version-kind"],
            json!([{"group": "wgpolicyk8s.io", "version": "v1alpha2", "kind": kind}])
        );
        let mut properties: Vec<&String> =
            schema["properties"].as_object().unwrap().keys().collect();
        properties.sort();
        assert_eq!(properties, ["apiVersion", "kind", "metadata"]);
        let patch = &doc["paths"][item]["patch"];
        let scope = if kind == "PolicyReport" {
            "Namespaced"
        } else {
            ""
        };
        assert_eq!(
            patch["operationId"],
            format!("patchWgpolicyk8sIoV1alpha2{scope}{kind}")
        );
        let mut media: Vec<&String> = patch["requestBody"]["content"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        media.sort();
        assert_eq!(
            media,
            [
                "application/apply-patch+yaml",
                "application/json-patch+json",
                "application/merge-patch+json"
            ]
        );
    }
    assert!(
        doc["paths"]["/apis/wgpolicyk8s.io/v1alpha2/policyreports"]["get"]["operationId"]
            == "listWgpolicyk8sIoV1alpha2PolicyReportForAllNamespaces"
    );
    assert!(doc["components"]["schemas"]["io.wgpolicyk8s.v1alpha2.PolicyReportList"].is_object());
}

/// The document URLs behave as kube-apiserver's: a stale hash redirects to the current URL,
/// without a hash nothing is cacheable, JSON is the only encoding offered, a hidden group's
/// document is gone, and there is no OpenAPI v2.
#[test]
fn openapi_v3_hashes_negotiation_and_hidden_groups() {
    let s = demo();
    let url = get(&s, "/openapi/v3").json()["paths"]["apis/apps/v1"]["serverRelativeURL"]
        .as_str()
        .unwrap()
        .to_string();
    let r = get(&s, "/openapi/v3/apis/apps/v1?hash=0123");
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location"), Some(url.as_str()));
    let r = get(&s, "/openapi/v3/apis/apps/v1");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("cache-control"), Some("no-cache, private"));
    assert!(r.header("etag").is_some());
    let protobuf = (
        "Accept",
        "application/com.github.proto-openapi.spec.v3@v1.0+protobuf",
    );
    assert_eq!(request(&s, "GET", &url, &[protobuf], "").status, 406);
    assert_eq!(
        request(&s, "PATCH", &url, &[MERGE], "{}").status,
        405,
        "documents are read-only"
    );
    assert_eq!(get(&s, "/openapi/v3/apis/nope.example.com/v1").status, 404);
    assert_eq!(get(&s, "/openapi/v2").status, 404);

    s.hide_group("wgpolicyk8s.io");
    let index = get(&s, "/openapi/v3").json();
    assert!(index["paths"].get("apis/wgpolicyk8s.io/v1alpha2").is_none());
    assert!(index["paths"].get("apis/apps/v1").is_some());
    assert_eq!(
        get(&s, "/openapi/v3/apis/wgpolicyk8s.io/v1alpha2").status,
        404
    );
}
