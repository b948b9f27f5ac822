//! The multi-cluster aggregators (`AggregatorServer`): Clusterpedia's and Karmada's list
//! semantics over two member TestServers holding the same names, and the real kubectl through
//! each.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};
use test_apiserver::aggregator::{
    CLUSTERPEDIA_CLUSTER_ANNOTATION, CLUSTERPEDIA_WITH_CONTINUE, KARMADA_CLUSTER_ANNOTATION,
};
use test_apiserver::{
    AggregatorOptions, AggregatorServer, Engine, ListSource, ServerOptions, TestServer,
    distinct_uids,
};

const TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
const METADATA: &str =
    "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json";

/// A blocking HTTP/1.1 exchange with the aggregator: `path` is under its base path.
fn call(agg: &AggregatorServer, method: &str, path: &str, accept: Option<&str>) -> (u16, Value) {
    let url = agg.url();
    let rest = url.trim_start_matches("http://");
    let (addr, base) = rest.split_at(rest.find('/').unwrap());
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let body = if method == "GET" { "" } else { "{}" };
    let mut req = format!(
        "{method} {base}{path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if method == "PATCH" {
        req += "Content-Type: application/merge-patch+json\r\n";
    }
    if let Some(a) = accept {
        req += &format!("Accept: {a}\r\n");
    }
    req += "\r\n";
    req += body;
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response");
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (
        status,
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}")),
    )
}

fn get(agg: &AggregatorServer, path: &str) -> Value {
    let (status, v) = call(agg, "GET", path, None);
    assert_eq!(status, 200, "{path}: {v}");
    v
}

fn pod(ns: &str, name: &str, app: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": app}},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}], "nodeName": "worker-1"},
        "status": {"phase": "Running"},
    })
}

/// Two members, `east` and `west`, with the same Namespace, Deployment and Pods `web-0`…`web-2`
/// (distinct uids), and a Pod `shop/only-west` (app `db`) in `west` alone.
fn members() -> (TestServer, TestServer) {
    let east = TestServer::start(ServerOptions::default());
    let west = TestServer::start(ServerOptions::default());
    for (m, name) in [(&east, "east"), (&west, "west")] {
        m.insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}));
        m.insert(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}},
        }));
        for i in 0..3 {
            m.insert(pod("shop", &format!("web-{i}"), "web"));
        }
        if name == "west" {
            m.insert(pod("shop", "only-west", "db"));
        }
        distinct_uids(m, name);
    }
    (east, west)
}

fn start(engine: Engine, east: &TestServer, west: &TestServer) -> AggregatorServer {
    // Given out of order: lists still visit the clusters by name.
    AggregatorServer::start(engine, &[("west", &west.url()), ("east", &east.url())])
}

/// `(cluster, namespace/name)` of each item, by the engine's annotation.
fn keys(list: &Value, annotation: &str) -> Vec<(String, String)> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let m = &i["metadata"];
            (
                m["annotations"][annotation].as_str().unwrap().to_string(),
                format!(
                    "{}/{}",
                    m["namespace"].as_str().unwrap(),
                    m["name"].as_str().unwrap()
                ),
            )
        })
        .collect()
}

fn all_pods() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = (0..3)
        .map(|i| ("east".to_string(), format!("shop/web-{i}")))
        .collect();
    v.push(("west".into(), "shop/only-west".into()));
    v.extend((0..3).map(|i| ("west".to_string(), format!("shop/web-{i}"))));
    v
}

#[test]
fn clusterpedia_merges_members_annotated_in_cluster_order() {
    let (east, west) = members();
    let agg = start(Engine::Clusterpedia, &east, &west);
    assert!(
        agg.url()
            .ends_with("/apis/clusterpedia.io/v1beta1/resources")
    );
    let list = get(&agg, "/api/v1/pods");
    assert_eq!(list["kind"], "PodList");
    assert_eq!(list["apiVersion"], "v1");
    assert!(list["metadata"]["resourceVersion"].is_string());
    assert!(list["metadata"].get("continue").is_none());
    assert_eq!(keys(&list, CLUSTERPEDIA_CLUSTER_ANNOTATION), all_pods());
    let uids: HashSet<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["uid"].as_str().unwrap())
        .collect();
    assert_eq!(uids.len(), 7, "uids are distinct across members");
    // Namespaced lists and label selectors (plain labels go to the members).
    let list = get(&agg, "/api/v1/namespaces/shop/pods?labelSelector=app%3Ddb");
    assert_eq!(
        keys(&list, CLUSTERPEDIA_CLUSTER_ANNOTATION),
        [("west".to_string(), "shop/only-west".to_string())]
    );
    let list = get(&agg, "/apis/apps/v1/deployments");
    assert_eq!(list["kind"], "DeploymentList");
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    // Search conditions: clusters and names, as URL query or search labels.
    let list = get(&agg, "/api/v1/pods?clusters=west&names=web-0");
    assert_eq!(
        keys(&list, CLUSTERPEDIA_CLUSTER_ANNOTATION),
        [("west".to_string(), "shop/web-0".to_string())]
    );
    let list = get(
        &agg,
        "/api/v1/pods?labelSelector=search.clusterpedia.io%2Fclusters%20in%20(east)%2Capp%3Dweb",
    );
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    // The members saw the plain selector only.
    let sent: Vec<String> = east
        .requests()
        .iter()
        .filter_map(|r| r.query_param("labelSelector"))
        .collect();
    assert!(sent.contains(&"app=web".to_string()), "{sent:?}");
    assert!(
        !sent.iter().any(|s| s.contains("clusterpedia.io")),
        "{sent:?}"
    );
}

/// Walk a list with `limit`, following `metadata.continue`; the pages' item keys.
fn walk(agg: &AggregatorServer, first: &str, annotation: &str) -> Vec<Vec<(String, String)>> {
    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let path = match &token {
            None => first.to_string(),
            Some(t) => format!("{first}&continue={t}"),
        };
        let list = get(agg, &path);
        pages.push(keys(&list, annotation));
        match list["metadata"]["continue"].as_str() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return pages,
        }
        assert!(pages.len() < 20, "the walk does not end");
    }
}

#[test]
fn clusterpedia_sends_continue_only_when_asked() {
    let (east, west) = members();
    let agg = start(Engine::Clusterpedia, &east, &west);
    // Without with-continue: the first page, and no continue — a pager stops silently.
    let list = get(&agg, "/api/v1/pods?limit=2");
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert!(list["metadata"].get("continue").is_none(), "{list}");
    assert_eq!(
        walk(
            &agg,
            "/api/v1/pods?limit=2",
            CLUSTERPEDIA_CLUSTER_ANNOTATION
        )
        .len(),
        1
    );
    // With the search label: numeric offsets, every object once, in order.
    let label = format!(
        "/api/v1/pods?limit=2&labelSelector={}",
        CLUSTERPEDIA_WITH_CONTINUE.replace('/', "%2F") + "%3Dtrue"
    );
    let list = get(&agg, &label);
    assert_eq!(list["metadata"]["continue"], "2");
    let pages = walk(&agg, &label, CLUSTERPEDIA_CLUSTER_ANNOTATION);
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 2, 1]);
    assert_eq!(pages.concat(), all_pods());
    // The URL query form, and a last page exactly full: one more (empty) page follows.
    let pages = walk(
        &agg,
        "/api/v1/pods?limit=7&withContinue=true",
        CLUSTERPEDIA_CLUSTER_ANNOTATION,
    );
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [7, 0]);
    // `withContinue=false` is no request; the remaining count on request.
    let list = get(&agg, "/api/v1/pods?limit=2&withContinue=false");
    assert!(list["metadata"].get("continue").is_none());
    let list = get(&agg, "/api/v1/pods?limit=2&continue=4&withRemainingCount");
    assert_eq!(list["metadata"]["remainingItemCount"], 1);
    assert!(list["metadata"].get("continue").is_none());
    // Offsets are numbers.
    let (status, v) = call(&agg, "GET", "/api/v1/pods?limit=2&continue=abc", None);
    assert_eq!(status, 400, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid Query Offset(abc)")
    );
}

#[test]
fn clusterpedia_metadata_only_and_tables_with_its_cluster_column() {
    let (east, west) = members();
    let agg = start(Engine::Clusterpedia, &east, &west);
    let (status, list) = call(&agg, "GET", "/api/v1/pods", Some(METADATA));
    assert_eq!(status, 200);
    assert_eq!(list["kind"], "PartialObjectMetadataList");
    assert_eq!(list["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(keys(&list, CLUSTERPEDIA_CLUSTER_ANNOTATION), all_pods());
    assert!(list["items"][0].get("spec").is_none());
    let (status, table) = call(
        &agg,
        "GET",
        "/api/v1/pods?limit=3&withContinue=true",
        Some(TABLE),
    );
    assert_eq!(status, 200);
    assert_eq!(table["kind"], "Table");
    assert_eq!(table["metadata"]["continue"], "3");
    assert_eq!(table["columnDefinitions"][0]["name"], "Cluster");
    assert_eq!(table["columnDefinitions"][1]["name"], "Name");
    let rows = table["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for row in rows {
        assert_eq!(row["cells"][0], "east");
        assert_eq!(
            row["object"]["metadata"]["annotations"][CLUSTERPEDIA_CLUSTER_ANNOTATION],
            "east"
        );
        assert_eq!(row["object"]["kind"], "PartialObjectMetadata");
    }
}

#[test]
fn clusterpedia_is_read_only_and_serves_only_what_it_syncs() {
    let (east, west) = members();
    let agg = AggregatorServer::start_with(
        Engine::Clusterpedia,
        &[("east", &east.url()), ("west", &west.url())],
        AggregatorOptions {
            synced: Some(vec!["pods".into(), "namespaces".into()]),
            ..Default::default()
        },
    );
    for (method, path, verb) in [
        ("POST", "/api/v1/namespaces/shop/pods", "create"),
        ("PATCH", "/api/v1/namespaces/shop/pods/web-0", "patch"),
        ("PUT", "/api/v1/namespaces/shop/pods/web-0", "update"),
        ("DELETE", "/api/v1/namespaces/shop/pods/web-0", "delete"),
        ("GET", "/api/v1/pods?watch=true", "watch"),
    ] {
        let (status, v) = call(&agg, method, path, None);
        assert_eq!(status, 405, "{method} {path}: {v}");
        assert_eq!(v["reason"], "MethodNotAllowed");
        assert_eq!(
            v["message"],
            format!("{verb} is not supported on resources of kind \"pods\"")
        );
    }
    assert!(east.writes().is_empty() && west.writes().is_empty());
    // Not synced: not found, and absent from discovery.
    let (status, v) = call(&agg, "GET", "/apis/apps/v1/deployments", None);
    assert_eq!(status, 404, "{v}");
    assert_eq!(v["reason"], "NotFound");
    assert_eq!(get(&agg, "/apis")["groups"], json!([]));
    assert_eq!(get(&agg, "/api")["versions"], json!(["v1"]));
    let core = get(&agg, "/api/v1");
    let names: Vec<&str> = core["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["namespaces", "pods"]);
    assert_eq!(core["resources"][1]["verbs"], json!(["get", "list"]));
    // A get needs a cluster.
    let (status, v) = call(&agg, "GET", "/api/v1/namespaces/shop/pods/web-0", None);
    assert_eq!(status, 400, "{v}");
    let one = get(&agg, "/clusters/west/api/v1/namespaces/shop/pods/web-0");
    assert_eq!(one["kind"], "Pod");
    assert_eq!(
        one["metadata"]["annotations"][CLUSTERPEDIA_CLUSTER_ANNOTATION],
        "west"
    );
    let list = get(&agg, "/clusters/east/api/v1/pods");
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
}

#[test]
fn karmada_cache_or_live_and_an_opaque_walk_over_the_members() {
    let (east, west) = members();
    let agg = start(Engine::Karmada, &east, &west);
    assert!(
        agg.url()
            .ends_with("/apis/search.karmada.io/v1alpha1/proxying/karmada/proxy")
    );
    // resourceVersion=0 without limit: from the cache.
    let list = get(&agg, "/api/v1/pods?resourceVersion=0");
    assert_eq!(list["kind"], "PodList");
    assert_eq!(keys(&list, KARMADA_CLUSTER_ANNOTATION), all_pods());
    let rv = list["metadata"]["resourceVersion"].as_str().unwrap();
    let decoded: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(rv)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        decoded,
        json!({"east": east.resource_version().to_string(), "west": west.resource_version().to_string()})
    );
    assert_eq!(agg.lists(ListSource::Cache).len(), 1);
    assert!(agg.lists(ListSource::Live).is_empty());
    // No resourceVersion: live, still the same answer.
    let list = get(&agg, "/api/v1/pods");
    assert_eq!(keys(&list, KARMADA_CLUSTER_ANNOTATION), all_pods());
    assert_eq!(agg.lists(ListSource::Live).len(), 1);
    // limit: live, pages walking east then west with opaque tokens.
    let pages = walk(&agg, "/api/v1/pods?limit=2", KARMADA_CLUSTER_ANNOTATION);
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 2, 1]);
    assert_eq!(pages.concat(), all_pods());
    let tokens: Vec<String> = agg
        .requests()
        .iter()
        .filter_map(|r| r.query_param("continue"))
        .collect();
    assert_eq!(tokens.len(), 3);
    for t in &tokens {
        assert!(t.parse::<u64>().is_err(), "{t} is opaque");
        let v: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(t)
                .unwrap(),
        )
        .unwrap();
        assert!(v["cluster"] == "east" || v["cluster"] == "west", "{v}");
    }
    assert_eq!(agg.lists(ListSource::Live).len(), 5);
    assert!(
        agg.requests()
            .iter()
            .all(|r| r.source.is_some() == r.path.ends_with("/pods"))
    );
    // resourceVersion=0 with limit is live too.
    get(&agg, "/api/v1/pods?resourceVersion=0&limit=500");
    assert_eq!(agg.lists(ListSource::Live).len(), 6);
}

#[test]
fn karmada_field_selectors_gets_writes_and_forms() {
    let (east, west) = members();
    let agg = start(Engine::Karmada, &east, &west);
    let (status, v) = call(
        &agg,
        "GET",
        "/api/v1/pods?fieldSelector=status.phase%3DRunning",
        None,
    );
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["reason"], "BadRequest");
    assert_eq!(
        v["message"],
        "\"status.phase\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
    );
    let list = get(
        &agg,
        "/api/v1/pods?fieldSelector=metadata.name%3Dweb-0%2Cmetadata.namespace%3Dshop",
    );
    assert_eq!(
        keys(&list, KARMADA_CLUSTER_ANNOTATION),
        [
            ("east".to_string(), "shop/web-0".to_string()),
            ("west".to_string(), "shop/web-0".to_string())
        ]
    );
    // Gets look everywhere: one match is answered, two are ambiguous.
    let one = get(&agg, "/api/v1/namespaces/shop/pods/only-west");
    assert_eq!(
        one["metadata"]["annotations"][KARMADA_CLUSTER_ANNOTATION],
        "west"
    );
    let (status, v) = call(&agg, "GET", "/api/v1/namespaces/shop/pods/web-0", None);
    assert_eq!(status, 409, "{v}");
    assert_eq!(
        v["message"],
        "Operation cannot be fulfilled on pods \"web-0\": ambiguous objects in clusters [east, west]"
    );
    let (status, _) = call(&agg, "GET", "/api/v1/namespaces/shop/pods/nope", None);
    assert_eq!(status, 404);
    for method in ["POST", "PATCH", "DELETE"] {
        let path = if method == "POST" {
            "/apis/apps/v1/namespaces/shop/deployments"
        } else {
            "/apis/apps/v1/namespaces/shop/deployments/web"
        };
        let (status, v) = call(&agg, method, path, None);
        assert_eq!(status, 405, "{method}: {v}");
        assert_eq!(v["reason"], "MethodNotAllowed");
    }
    assert!(east.writes().is_empty() && west.writes().is_empty());
    // Metadata-only and Table forms, merged and annotated.
    let (_, list) = call(
        &agg,
        "GET",
        "/api/v1/pods?resourceVersion=0",
        Some(METADATA),
    );
    assert_eq!(list["kind"], "PartialObjectMetadataList");
    assert_eq!(keys(&list, KARMADA_CLUSTER_ANNOTATION), all_pods());
    let (_, table) = call(&agg, "GET", "/api/v1/pods?limit=5", Some(TABLE));
    assert_eq!(table["kind"], "Table");
    assert_eq!(table["columnDefinitions"][0]["name"], "Name");
    let rows = table["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(
        rows[4]["object"]["metadata"]["annotations"][KARMADA_CLUSTER_ANNOTATION],
        "west"
    );
    assert!(table["metadata"]["continue"].is_string());
    // Discovery comes from the members.
    let core = get(&agg, "/api/v1");
    assert_eq!(core["kind"], "APIResourceList");
}

#[test]
fn a_fleet_starts_its_own_members() {
    let agg = AggregatorServer::start_fleet(Engine::Karmada, 3, 20);
    assert_eq!(agg.clusters(), ["cluster-01", "cluster-02", "cluster-03"]);
    assert_eq!(agg.fleet().len(), 3);
    let list = get(&agg, "/api/v1/pods?resourceVersion=0");
    let items = list["items"].as_array().unwrap();
    let per_cluster = agg.fleet()[0].object_count("pods");
    assert!(per_cluster >= 20, "{per_cluster}");
    assert_eq!(items.len(), 3 * per_cluster);
    let uids: HashSet<&str> = items
        .iter()
        .map(|i| i["metadata"]["uid"].as_str().unwrap())
        .collect();
    assert_eq!(uids.len(), items.len());
    // Owner references follow the new uids.
    let mut owner_uids = HashSet::new();
    for path in [
        "/apis/apps/v1/replicasets",
        "/apis/apps/v1/daemonsets",
        "/apis/apps/v1/statefulsets",
        "/apis/batch/v1/jobs",
    ] {
        let list = get(&agg, &format!("{path}?resourceVersion=0"));
        for i in list["items"].as_array().unwrap() {
            owner_uids.insert(i["metadata"]["uid"].as_str().unwrap().to_string());
        }
    }
    for p in items {
        let owner = p["metadata"]["ownerReferences"][0]["uid"].as_str().unwrap();
        assert!(owner_uids.contains(owner), "{owner}");
    }
}

/// The real kubectl lists every member's pods through each engine, when it is installed.
#[test]
fn kubectl_gets_pods_through_each_engine() {
    if std::process::Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_err()
    {
        println!("kubectl not on PATH: skipping the kubectl check of the aggregators");
        return;
    }
    let (east, west) = members();
    for engine in [Engine::Clusterpedia, Engine::Karmada] {
        let agg = start(engine, &east, &west);
        let dir = std::env::temp_dir().join(format!(
            "aggregator-kubectl-{}-{}",
            std::process::id(),
            agg.url()
                .split(':')
                .nth(2)
                .unwrap()
                .split('/')
                .next()
                .unwrap()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("config");
        std::fs::write(&config, agg.kubeconfig("fleet")).unwrap();
        let out = std::process::Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&config)
            .arg("--cache-dir")
            .arg(dir.join("cache"))
            .args(["get", "pods", "-A"])
            .env("HOME", &dir)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{engine:?}: {stdout}\n{stderr}");
        let header = stdout.lines().next().unwrap();
        if engine == Engine::Clusterpedia {
            assert!(header.contains("CLUSTER"), "{header}");
        }
        assert_eq!(stdout.matches("web-0").count(), 2, "{engine:?}:\n{stdout}");
        assert_eq!(stdout.lines().count(), 8, "{engine:?}:\n{stdout}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
