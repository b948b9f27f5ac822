//! Fleets through a multi-cluster engine: Clusterpedia and Karmada's search proxy in front of
//! two member clusters that hold the same names. Every object of every member is listed once,
//! the CLUSTER column says where, joins never cross clusters, and writes are refused.

use serde_json::{Value, json};
use test_apiserver::{
    AggregatorOptions, AggregatorServer, Engine, ListSource, TestServer, distinct_uids,
};

use crate::support::Env;

/// A member cluster: namespace `shop` (its team differs per cluster), Deployment `web` with a
/// ReplicaSet and two pods, all named alike in every member; `web` takes its team from the
/// namespace unless `web_team` labels it.
fn member(cluster: &str, namespace_team: &str, web_team: Option<&str>) -> TestServer {
    let server = TestServer::start(Default::default());
    // Created five days before the server started: a fixed AGE whenever the test runs.
    let created = (server.start_time() - jiff::SignedDuration::from_hours(5 * 24)).to_string();
    server.insert(json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "shop", "labels": {"team": namespace_team}, "creationTimestamp": created}}));
    let labels = match web_team {
        Some(team) => json!({"app": "web", "team": team}),
        None => json!({"app": "web"}),
    };
    server.insert(json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "labels": labels, "creationTimestamp": created},
        "spec": {"selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}));
    let deploy_uid =
        server.object("deployments", Some("shop"), "web").unwrap()["metadata"]["uid"].clone();
    server.insert(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "web-7d4b9", "namespace": "shop", "labels": {"app": "web"}, "creationTimestamp": created,
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": deploy_uid, "controller": true}]},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}));
    let rs_uid = server
        .object("replicasets", Some("shop"), "web-7d4b9")
        .unwrap()["metadata"]["uid"]
        .clone();
    for pod in ["web-7d4b9-a1", "web-7d4b9-b2"] {
        server.insert(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod, "namespace": "shop", "labels": {"app": "web"}, "creationTimestamp": created,
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d4b9", "uid": rs_uid, "controller": true}]},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}));
    }
    distinct_uids(&server, cluster);
    server
}

struct Fleet {
    east: TestServer,
    west: TestServer,
    engine: AggregatorServer,
}

fn fleet(engine: Engine) -> Fleet {
    fleet_syncing(engine, AggregatorOptions::default())
}

fn fleet_syncing(engine: Engine, options: AggregatorOptions) -> Fleet {
    let east = member("east", "checkout", None);
    let west = member("west", "payments", None);
    let aggregator = AggregatorServer::start_with(
        engine,
        &[("east", &east.url()), ("west", &west.url())],
        options,
    );
    Fleet {
        east,
        west,
        engine: aggregator,
    }
}

fn env(fleet: &Fleet) -> Env {
    Env::with_kubeconfig(&fleet.engine.kubeconfig("fleet"))
}

const ENGINES: [Engine; 2] = [Engine::Clusterpedia, Engine::Karmada];

/// Equal names in two members stay two objects, each joined to its own namespace: east's
/// `shop` says checkout, west's says payments.
#[test]
fn ls_lists_every_member_once_with_its_cluster() {
    for engine in ENGINES {
        let fleet = fleet(engine);
        let run = env(&fleet).owner(&["ls", "-A", "-o", "wide"]);
        assert_eq!(run.code, 0, "{engine:?}: {}", run.stderr);
        let rows: Vec<Vec<&str>> = run
            .stdout
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(
            rows[0][..6],
            ["CLUSTER", "NAMESPACE", "KIND", "NAME", "TEAM", "STAGE"]
        );
        let cells: Vec<(&str, &str, &str)> = rows[1..].iter().map(|r| (r[0], r[3], r[4])).collect();
        assert_eq!(
            cells,
            [("east", "web", "checkout"), ("west", "web", "payments")],
            "{engine:?}"
        );
        // Pods chain to their own cluster's Deployment, never the other's.
        let pods = env(&fleet).owner(&["ls", "pods", "-A", "-o", "json"]);
        assert_eq!(pods.code, 0, "{}", pods.stderr);
        let doc: Value = serde_json::from_str(&pods.stdout).unwrap();
        let items: Vec<(String, String, usize)> = doc["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["cluster"].as_str().unwrap().to_string(),
                    i["team"]["value"].as_str().unwrap().to_string(),
                    i["chain"].as_array().unwrap().len(),
                )
            })
            .collect();
        assert_eq!(
            items,
            [
                ("east".into(), "checkout".into(), 3),
                ("east".into(), "checkout".into(), 3),
                ("west".into(), "payments".into(), 3),
                ("west".into(), "payments".into(), 3),
            ],
            "{engine:?}"
        );
    }
}

/// Clusterpedia hands out continue tokens only when asked: every list asks, so a page of one
/// object still walks every member's pods.
#[test]
fn clusterpedia_pages_are_complete() {
    let fleet = fleet(Engine::Clusterpedia);
    let run = env(&fleet).owner(&["ls", "pods", "-A", "--chunk-size", "1", "-o", "name"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 4, "{}", run.stdout);
    let pod_lists: Vec<_> = fleet
        .engine
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/api/v1/pods"))
        .collect();
    assert!(pod_lists.len() >= 4, "{pod_lists:?}");
    for r in &pod_lists {
        let selector = r.query_param("labelSelector").unwrap_or_default();
        assert!(
            selector.contains("search.clusterpedia.io/with-continue=true"),
            "{selector}"
        );
        assert_eq!(r.query_param("limit").as_deref(), Some("1"));
    }
}

/// Karmada's cache answers resourceVersion=0 lists without a limit; anything else would go live
/// to every member: every list is a cache read.
#[test]
fn karmada_lists_come_from_its_cache() {
    let fleet = fleet(Engine::Karmada);
    let run = env(&fleet).owner(&["ls", "pods", "-A"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(fleet.engine.lists(ListSource::Live).is_empty());
    assert!(!fleet.engine.lists(ListSource::Cache).is_empty());
}

#[test]
fn teams_and_check_have_a_cluster_column() {
    for engine in ENGINES {
        let fleet = fleet(engine);
        let env = env(&fleet);
        let teams = env.owner(&["teams", "-A"]);
        assert_eq!(teams.code, 0, "{}", teams.stderr);
        let first: Vec<(&str, &str)> = teams
            .stdout
            .lines()
            .take(3)
            .map(|l| {
                let mut cells = l.split_whitespace();
                (cells.next().unwrap(), cells.next().unwrap())
            })
            .collect();
        assert_eq!(
            first,
            [
                ("CLUSTER", "TEAM"),
                ("east", "checkout"),
                ("west", "payments")
            ],
            "{engine:?}: {}",
            teams.stdout
        );
        let check = env.owner(&["check", "-A", "-o", "json"]);
        assert_eq!(
            check.code, 0,
            "missing stages are warnings: {}",
            check.stderr
        );
        let report: Value = serde_json::from_str(&check.stdout).unwrap();
        let stages: Vec<(&str, &str)> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "missing-stage")
            .map(|f| (f["cluster"].as_str().unwrap(), f["team"].as_str().unwrap()))
            .collect();
        assert_eq!(stages, [("east", "checkout"), ("west", "payments")]);
        // The HTML summary keeps one row per member's team, as the table does.
        let html = env.owner(&["teams", "-A", "-o", "html"]);
        assert_eq!(html.code, 0, "{}", html.stderr);
        assert!(
            html.stdout.contains("east/checkout") && html.stdout.contains("west/payments"),
            "{}",
            html.stdout
        );
        let table = env.owner(&["check", "-A"]);
        assert!(
            table.stdout.starts_with("CLUSTER   NAMESPACE"),
            "{}",
            table.stdout
        );
    }
}

#[test]
fn who_answers_for_every_member_that_has_the_name() {
    for engine in ENGINES {
        let fleet = fleet(engine);
        let run = env(&fleet).owner(&["who", "pod/web-7d4b9-a1", "-n", "shop"]);
        assert_eq!(run.code, 0, "{engine:?}: {}", run.stderr);
        assert_eq!(run.stderr, "pod/web-7d4b9-a1 is in 2 member clusters\n");
        let rows: Vec<Vec<&str>> = run
            .stdout
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(rows[0][..4], ["NAMESPACE", "WORKLOAD", "CLUSTER", "TEAM"]);
        assert_eq!(
            rows[1][..4],
            ["shop", "pod/web-7d4b9-a1", "east", "checkout"]
        );
        assert_eq!(
            rows[2][..4],
            ["shop", "pod/web-7d4b9-a1", "west", "payments"]
        );
    }
}

#[test]
fn writes_are_refused() {
    for engine in ENGINES {
        let fleet = fleet(engine);
        let run = env(&fleet).owner(&["assign", "deploy/web", "-n", "shop", "--team", "x"]);
        assert_eq!(run.code, 1);
        assert_eq!(
            run.stderr,
            format!(
                "error: the server is a {} endpoint, a read-only view of many clusters: write to one member cluster with --context\n",
                match engine {
                    Engine::Clusterpedia => "clusterpedia",
                    Engine::Karmada => "karmada",
                }
            )
        );
        assert!(fleet.east.writes().is_empty() && fleet.west.writes().is_empty());
        // suggest weighs one cluster's evidence: it is refused too, before any list.
        let suggest = env(&fleet).owner(&["suggest", "-A"]);
        assert_eq!(suggest.code, 1);
        assert!(
            suggest
                .stderr
                .starts_with("error: suggest weighs one cluster's evidence"),
            "{}",
            suggest.stderr
        );
    }
}

/// A kind the engine does not sync is named, and check will not pass on what it did not see.
#[test]
fn kinds_the_engine_does_not_sync_are_named() {
    let options = AggregatorOptions {
        synced: Some(
            ["pods", "namespaces", "deployments.apps", "replicasets.apps"]
                .map(String::from)
                .to_vec(),
        ),
        ..AggregatorOptions::default()
    };
    let fleet = fleet_syncing(Engine::Clusterpedia, options);
    let env = env(&fleet);
    let ls = env.owner(&["ls", "-A"]);
    assert_eq!(ls.code, 0, "{}", ls.stderr);
    assert!(
        ls.stderr.contains("statefulsets.apps") && ls.stderr.contains("cronjobs.batch"),
        "{}",
        ls.stderr
    );
    let check = env.owner(&["check", "-A"]);
    assert_eq!(check.code, 2, "{}", check.stderr);
}

/// README's example: the two-member fleet through Clusterpedia.
#[test]
fn readme_example_through_clusterpedia() {
    let fleet = fleet(Engine::Clusterpedia);
    let run = env(&fleet).owner(&["ls", "-A", "--aggregator=clusterpedia"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    crate::support::readme::assert_example(
        "ls_aggregator",
        "kubectl owner ls -A --aggregator=clusterpedia",
        &crate::support::readme::shown(&run),
        0,
    );
}
