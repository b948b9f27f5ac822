//! The server over real HTTP, with a tiny blocking HTTP/1.1 client.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use test_apiserver::{Fault, FaultKind, Grant, ScaleParams, ServerOptions, TestServer};

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    /// False when the connection closed before Content-Length bytes arrived (or before any answer).
    complete: bool,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn request(
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

fn get(server: &TestServer, path: &str) -> Resp {
    request(server, "GET", path, &[], "")
}

fn demo() -> TestServer {
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
        &[("Content-Type", "application/apply-patch+yaml")],
        "{}",
    );
    assert_eq!(r.status, 415);
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
