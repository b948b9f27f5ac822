//! The read path on the demo seed: `ls`, `who`, `teams`, their JSON, and what they ask the server.

use crate::support::{self, Env, demo_server, readme};
use serde_json::Value;

/// README's one-command demo: `kubectl owner ls -A` on the demo cluster.
const README_LS_ALL: &str =
    "cargo run -q -p test-apiserver -- --seed demo --exec 'cargo run -q -- ls -A'";

#[test]
fn ls_all_namespaces_lists_every_workload_once_with_inherited_ownership() {
    let server = demo_server();
    let run = Env::new(&server).owner(&["ls", "-A"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Checked line by line against tests/apiserver/src/seed.rs (demo): every workload once, no Pod
    // or ReplicaSet with a controller, no Job owned by a CronJob; teams via workload, namespace,
    // alias (`checkout-old`, `data-eng`) or the registry's `kube-*` rule; `dta` is kept as written.
    readme::assert_example("ls_all", README_LS_ALL, &run.stdout, run.code);
    assert_eq!(run.stderr, "");
}

#[test]
fn ls_wide_shows_sources_contacts_and_sunset() {
    let server = demo_server();
    let run = Env::new(&server).owner(&["ls", "-n", "payments", "-o", "wide"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    readme::assert_example(
        "ls_payments_wide",
        "kubectl owner ls -n payments -o wide",
        &run.stdout,
        run.code,
    );
    let run = Env::new(&server).owner(&[
        "ls",
        "deploy/cart",
        "-n",
        "checkout",
        "-o",
        "wide",
        "--no-headers",
    ]);
    assert!(
        run.stdout.trim_end().ends_with("2025-06-30"),
        "{}",
        run.stdout
    );
}

#[test]
fn ls_team_filter_includes_workloads_inheriting_from_their_namespace() {
    let server = demo_server();
    let run = Env::new(&server).owner(&["ls", "-A", "--team", "payments", "-o", "name"]);
    assert_eq!(
        run.stdout, "deployment.apps/api\ndeployment.apps/ledger\n",
        "{}",
        run.stderr
    );
    // An alias given to --team means its canonical team (shop/storefront has its own label).
    let run = Env::new(&server).owner(&["ls", "-A", "--team", "checkout-old", "-o", "name"]);
    assert_eq!(
        run.stdout,
        "deployment.apps/cart\ndeployment.apps/notifier\ndeployment.apps/web\ndeployment.apps/storefront\n"
    );
}

#[test]
fn ls_stage_and_unowned_filters() {
    let server = demo_server();
    let env = Env::new(&server);
    let run = env.owner(&["ls", "-A", "--stage", "experimental", "-o", "name"]);
    assert_eq!(
        run.stdout,
        "deployment.apps/web\nrollout.argoproj.io/recommender\n"
    );
    let run = env.owner(&["ls", "-A", "--unowned", "-o", "name"]);
    assert_eq!(
        run.stdout,
        "\
pod/debug-shell
deployment.apps/notebook
cronjob.batch/reindex
deployment.apps/indexer
deployment.apps/payment-widget
deployment.apps/recs
deployment.apps/search-proxy
"
    );
}

#[test]
fn ls_label_and_field_selectors_are_sent_to_the_server() {
    let server = demo_server();
    let env = Env::new(&server);
    let run = env.owner(&["ls", "-A", "-l", "tier=web", "-o", "name"]);
    assert_eq!(
        run.stdout,
        "deployment.apps/web\ndeployment.apps/api\ndeployment.apps/ledger\ndeployment.apps/indexer\n"
    );
    // Every row list carries the selector; the namespace list (read once, for inheritance) does not.
    let lists: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.query.contains("limit=") && r.path != "/api/v1/namespaces")
        .collect();
    assert_eq!(lists.len(), 9, "7 built-in workload kinds, Rollouts, Pods");
    assert!(
        lists
            .iter()
            .all(|r| r.query_param("labelSelector").as_deref() == Some("tier=web")),
        "{lists:?}"
    );
    let run = env.owner(&[
        "ls",
        "-A",
        "--field-selector",
        "metadata.name=api",
        "-o",
        "name",
    ]);
    assert_eq!(run.stdout, "deployment.apps/api\n", "{}", run.stderr);
}

#[test]
fn ls_bad_selector_fails_before_any_request() {
    let server = demo_server();
    let run = Env::new(&server).owner(&["ls", "-A", "-l", "tier in web"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.first_stderr_line(),
        "error: unable to parse requirement: found 'web', expected: '('"
    );
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn ls_types_names_and_namespaces() {
    let server = demo_server();
    let env = Env::new(&server);
    let run = env.owner(&["ls", "rs", "-n", "payments", "--no-headers"]);
    assert_eq!(
        run.stdout,
        "\
ReplicaSet   api-6c4f7b9d8      payments   production   30d
ReplicaSet   api-7d9f8c6b5      payments   production   30d
ReplicaSet   ledger-5b7c9d6f4   payments   production   30d
"
    );
    let run = env.owner(&["ls", "ns"]);
    assert_eq!(
        run.stdout,
        "\
KIND        NAME          TEAM       STAGE        AGE
Namespace   argocd        <none>     <none>       120d
Namespace   checkout      checkout   <none>       120d
Namespace   data          data       <none>       120d
Namespace   default       <none>     <none>       120d
Namespace   flux-system   <none>     <none>       120d
Namespace   kube-public   platform   production   120d
Namespace   kube-system   platform   production   120d
Namespace   labs          <none>     <none>       120d
Namespace   payments      payments   production   120d
Namespace   search        <none>     <none>       120d
Namespace   shop          <none>     <none>       120d
"
    );
    let run = env.owner(&[
        "ls",
        "deploy/api",
        "deploy/nope",
        "-n",
        "payments",
        "-o",
        "name",
    ]);
    assert_eq!(run.stdout, "deployment.apps/api\n");
    assert_eq!(
        run.first_stderr_line(),
        "Error from server (NotFound): deployments.apps \"nope\" not found"
    );
    assert_eq!(run.code, 1);
    let run = env.owner(&["ls", "deploymnt"]);
    assert_eq!(
        (run.code, run.first_stderr_line()),
        (
            1,
            "error: the server doesn't have a resource type \"deploymnt\""
        )
    );
}

#[test]
fn ls_sort_by_column() {
    let server = demo_server();
    let env = Env::new(&server);
    let run = env.owner(&[
        "ls",
        "-A",
        "--sort-by",
        "STAGE",
        "-o",
        "name",
        "-l",
        "tier=web",
    ]);
    assert_eq!(
        run.stdout,
        "deployment.apps/indexer\ndeployment.apps/web\ndeployment.apps/api\ndeployment.apps/ledger\n"
    );
    // kubectl's JSONPath forms of the fields the columns show.
    let run = env.owner(&[
        "ls",
        "-A",
        "--sort-by=.metadata.creationTimestamp",
        "-o",
        "name",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let names: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        &names[names.len() - 2..],
        ["pod/debug-shell", "pod/kube-apiserver-node-1"],
        "the two-day-old pods come after the month-old workloads: {}",
        run.stdout
    );
    let run = env.owner(&[
        "ls",
        "-n",
        "payments",
        "--sort-by={.metadata.name}",
        "-o",
        "name",
    ]);
    assert_eq!(
        run.stdout,
        "deployment.apps/api\ndeployment.apps/ledger\nstatefulset.apps/postgres\n"
    );
    let run = env.owner(&["ls", "-A", "--sort-by", "owner"]);
    assert_eq!(run.code, 1);
    assert!(
        run.first_stderr_line()
            .starts_with("error: --sort-by: unknown column \"owner\""),
        "{}",
        run.stderr
    );
}

/// Pods are joined page by page as they arrive (their chains run through workloads listed
/// apart); ReplicaSets listed with their Deployments are joined once every row is in. Both
/// give each row its chain.
#[test]
fn ls_joins_streamed_rows_and_rows_whose_chains_run_through_rows() {
    let server = demo_server();
    let env = Env::new(&server);
    let pods = env.owner(&["ls", "pods", "-n", "payments", "-o", "wide", "--no-headers"]);
    assert_eq!(pods.code, 0, "{}", pods.stderr);
    let pod = pods
        .stdout
        .lines()
        .find(|l| l.contains("api-7d9f8c6b5-x2kq9"))
        .unwrap_or_else(|| panic!("{}", pods.stdout));
    assert!(pod.contains("Deployment/api"), "{pod}");
    let both = env.owner(&[
        "ls",
        "deploy,rs",
        "-n",
        "payments",
        "-o",
        "wide",
        "--no-headers",
    ]);
    assert_eq!(both.code, 0, "{}", both.stderr);
    let rs = both
        .stdout
        .lines()
        .find(|l| l.contains("ReplicaSet   api-7d9f8c6b5"))
        .unwrap_or_else(|| panic!("{}", both.stdout));
    assert!(rs.contains("Deployment/api"), "{rs}");
    // Deployments first (kind order), every row once.
    let kinds: Vec<&str> = both
        .stdout
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert!(kinds.is_sorted(), "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "ReplicaSet").count(), 3);
}

/// `key>N` and `key<N`, as `kubectl get -l` takes them: the server matches lists, and a write
/// re-checks the object it re-read with the same grammar.
#[test]
fn integer_selectors_like_kubectl() {
    let server = demo_server();
    for (name, rank) in [("high", "5"), ("low", "0")] {
        server.insert(serde_json::json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default", "labels": {"rank": rank}},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}
        }));
    }
    let env = Env::new(&server);
    let run = env.owner(&[
        "ls", "deploy", "-n", "default", "-l", "rank>1", "-o", "name",
    ]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "deployment.apps/high\n"),
        "{}",
        run.stderr
    );
    let run = env.owner(&[
        "assign",
        "deploy",
        "-n",
        "default",
        "-l",
        "rank<1",
        "--stage",
        "production",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let labels = |name: &str| {
        server.object("deployments", Some("default"), name).unwrap()["metadata"]["labels"].clone()
    };
    assert_eq!(labels("low")["lifecycle"], "production");
    assert!(labels("high").get("lifecycle").is_none());
}

#[test]
fn ls_pods_makes_only_paginated_metadata_lists() {
    let server = demo_server();
    let run = Env::new(&server).owner(&["ls", "pods", "-A"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout.lines().count(),
        1 + 17,
        "every pod once:\n{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "payments      Pod    api-7d9f8c6b5-x2kq9           payments   production     2d"
        ),
        "{}",
        run.stdout
    );
    let requests = server.requests();
    for r in &requests {
        let discovery = r.path.starts_with("/apis/argoproj.io");
        let registry = r.path == "/api/v1/namespaces/kube-public/configmaps/kubectl-owner";
        if discovery || registry {
            continue;
        }
        assert_eq!(
            r.query_param("limit").as_deref(),
            Some("500"),
            "a paginated LIST, not a GET: {r:?}"
        );
        let accept = r.accept.as_deref().unwrap_or("");
        assert!(
            accept.contains("as=PartialObjectMetadataList"),
            "metadata only: {r:?}"
        );
    }
    assert!(requests.iter().any(|r| r.path == "/api/v1/pods"));
}

#[test]
fn ls_follows_continue_pages() {
    let server = demo_server();
    // More pods than one page holds.
    crate::support::bulk_pods(
        &server,
        1203,
        serde_json::json!({"labels": {"app": "bulk"}}),
    );
    let run = Env::new(&server).owner(&[
        "ls", "pods", "-n", "default", "-l", "app=bulk", "-o", "name",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 1203);
    let pages: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/v1/namespaces/default/pods")
        .collect();
    assert_eq!(pages.len(), 3, "⌈1203/500⌉ pages");
    assert!(
        pages[1].query_param("continue").is_some() && pages[2].query_param("continue").is_some()
    );
}

#[test]
fn ls_restarts_a_list_whose_continue_token_expired() {
    let server = demo_server();
    crate::support::bulk_pods(&server, 600, serde_json::json!({}));
    server.add_fault(test_apiserver::Fault::new(
        "continue=",
        1,
        test_apiserver::FaultKind::Status {
            code: 410,
            retry_after: None,
        },
    ));
    let run = Env::new(&server).owner(&["ls", "pods", "-n", "default", "-o", "name"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 601);
}

/// A list whose continue token expires is listed again; what the first snapshot held is taken
/// back, so an object deleted meanwhile is not shown (streamed `ls pods`, and `check`, which
/// joins after every row is in).
#[test]
fn a_restarted_list_shows_the_new_snapshot_only() {
    let server = demo_server();
    crate::support::bulk_pods(&server, 600, serde_json::json!({}));
    let delete_and_expire = || {
        server.add_fault(test_apiserver::Fault::new(
            "continue=",
            1,
            test_apiserver::FaultKind::DeleteAndExpire {
                resource: "pods".into(),
                namespace: Some("default".into()),
                name: "bulk-0001".into(),
            },
        ));
    };
    delete_and_expire();
    let env = Env::new(&server);
    let run = env.owner(&["ls", "pods", "-n", "default", "-o", "name"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !run.stdout.contains("pod/bulk-0001\n"),
        "deleted pod listed"
    );
    assert_eq!(run.stdout.lines().count(), 600, "every other pod once");

    server.insert(serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "bulk-0001", "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]}
    }));
    delete_and_expire();
    let run = env.owner(&[
        "check",
        "-n",
        "default",
        "--fail-on",
        "never",
        "-o",
        "jsonpath={range .findings[*]}{.name}{\"\\n\"}{end}",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("bulk-0001\n"), "deleted pod checked");
    assert!(run.stdout.contains("bulk-0002\n"), "{}", run.stdout);
}

#[test]
fn who_pod_walks_up_with_targeted_gets_only() {
    let server = demo_server();
    let run = Env::new(&server).owner(&["who", "api-7d9f8c6b5-x2kq9", "-n", "payments"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    readme::assert_example(
        "who_pod",
        "kubectl owner who api-7d9f8c6b5-x2kq9 -n payments",
        &run.stdout,
        run.code,
    );
    let requests = server.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "/api/v1/namespaces/kube-public/configmaps/kubectl-owner",
            "/api/v1/namespaces/payments/pods/api-7d9f8c6b5-x2kq9",
            "/apis/apps/v1/namespaces/payments/replicasets/api-7d9f8c6b5",
            "/apis/apps/v1/namespaces/payments/deployments/api",
            "/api/v1/namespaces/payments",
        ],
        "4 object GETs + 1 registry, no LIST"
    );
    assert!(
        requests
            .iter()
            .all(|r| r.method == "GET" && !r.query.contains("limit"))
    );
    assert!(requests[1..].iter().all(|r| {
        r.accept
            .as_deref()
            .unwrap_or("")
            .contains("as=PartialObjectMetadata")
    }));
}

#[test]
fn who_accepts_type_slash_name_and_type_name() {
    let server = demo_server();
    let env = Env::new(&server);
    let a = env.owner(&["who", "deploy/cart", "-n", "checkout"]);
    let b = env.owner(&["who", "deployment", "cart", "-n", "checkout"]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert_eq!(a.stdout, b.stdout);
    assert!(
        a.stdout
            .contains("sunset   2025-06-30             Deployment/cart (kubectl-owner/sunset)"),
        "{}",
        a.stdout
    );
    let cron_pod = env.owner(&["who", "reindex-29430000-abcde", "-n", "search"]);
    assert!(
        cron_pod
            .stdout
            .contains("pod/reindex-29430000-abcde ← job/reindex-29430000 ← cronjob/reindex"),
        "{}",
        cron_pod.stdout
    );
    let rollout_pod = env.owner(&["who", "recommender-6b8d7c9f4-a1s2d", "-n", "data"]);
    assert!(
        rollout_pod.stdout.contains("← rollout/recommender"),
        "{}",
        rollout_pod.stdout
    );
    let missing = env.owner(&["who", "nope", "-n", "payments"]);
    assert_eq!(
        (missing.code, missing.first_stderr_line()),
        (1, "Error from server (NotFound): pods \"nope\" not found")
    );
}

fn assert_resolved(field: &Value) {
    let obj = field.as_object().expect("a resolved field is an object");
    assert_eq!(obj.len(), 2, "value and source only: {field}");
    assert!(obj["value"].is_string() || obj["value"].is_null());
    match &obj["source"] {
        Value::Null => assert!(obj["value"].is_null()),
        Value::Object(s) => {
            assert_eq!(s.len(), 3);
            for key in ["kind", "name", "key"] {
                assert!(s[key].is_string(), "{field}");
            }
        }
        other => panic!("source must be null or an object: {other}"),
    }
}

fn assert_item(item: &Value) {
    for key in [
        "kind",
        "apiVersion",
        "name",
        "created",
        "chain",
        "team",
        "stage",
        "sunset",
        "exempt",
        "contacts",
    ] {
        assert!(item.get(key).is_some(), "missing {key}: {item}");
    }
    assert!(item["namespace"].is_string() || item["namespace"].is_null());
    for field in ["team", "stage", "sunset", "exempt"] {
        assert_resolved(&item[field]);
    }
    for contact in item["contacts"].as_object().unwrap().values() {
        assert_resolved(contact);
    }
    let chain = item["chain"].as_array().unwrap();
    assert_eq!(chain[0]["kind"], item["kind"]);
    assert_eq!(chain[0]["name"], item["name"]);
}

#[test]
fn json_of_ls_who_and_teams_matches_the_schema() {
    let server = demo_server();
    let env = Env::new(&server);
    let ls: Value = serde_json::from_str(&env.owner(&["ls", "-A", "-o", "json"]).stdout).unwrap();
    assert_eq!(ls["apiVersion"], "kubectl-owner/v1");
    assert_eq!(ls["kind"], "OwnershipList");
    let items = ls["items"].as_array().unwrap();
    assert_eq!(items.len(), 20);
    items.iter().for_each(assert_item);
    let api = items.iter().find(|i| i["name"] == "api").unwrap();
    assert_eq!(
        api["team"]["source"],
        serde_json::json!({"kind": "Deployment", "name": "api", "key": "team"})
    );
    assert_eq!(
        api["stage"]["source"],
        serde_json::json!({"kind": "Namespace", "name": "payments", "key": "lifecycle"})
    );
    let exporter = items.iter().find(|i| i["name"] == "node-exporter").unwrap();
    assert_eq!(
        exporter["team"]["source"],
        serde_json::json!({"kind": "Rule", "name": "kube-*", "key": "team"})
    );
    assert_eq!(
        exporter["exempt"]["value"],
        "node agent managed by the platform add-on"
    );
    let notifier = items.iter().find(|i| i["name"] == "notifier").unwrap();
    assert_eq!(
        notifier["contacts"]["chat"]["source"],
        serde_json::json!({"kind": "Registry", "name": "checkout", "key": "chat"})
    );

    let who: Value = serde_json::from_str(
        &env.owner(&["who", "api-7d9f8c6b5-x2kq9", "-n", "payments", "-o", "json"])
            .stdout,
    )
    .unwrap();
    assert_eq!(who["kind"], "Ownership");
    assert_eq!(who["apiVersion"], "kubectl-owner/v1");
    assert_item(&who["item"]);
    let kinds: Vec<&str> = who["item"]["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["Pod", "ReplicaSet", "Deployment"]);

    let teams: Value =
        serde_json::from_str(&env.owner(&["teams", "-A", "-o", "json"]).stdout).unwrap();
    assert_eq!(teams["kind"], "TeamSummary");
    assert_eq!(teams["coverage"], 65.0);
    let unowned = teams["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["team"].is_null())
        .unwrap();
    assert_eq!(unowned["workloads"], 7);
    let payments = teams["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["team"] == "payments")
        .unwrap();
    assert_eq!(payments["stages"], serde_json::json!({"production": 2}));
    assert_eq!(payments["namespaces"], serde_json::json!(["payments"]));
    assert_eq!(
        payments["contacts"]["oncall"],
        "https://pager.example/schedules/P123"
    );

    // -o yaml is the same document.
    let yaml = env.owner(&["who", "api-7d9f8c6b5-x2kq9", "-n", "payments", "-o", "yaml"]);
    let from_yaml: Value = serde_saphyr::from_str(&yaml.stdout).unwrap();
    assert_eq!(from_yaml, who);
}

#[test]
fn teams_summarises_by_stage_with_the_unowned_row() {
    let server = demo_server();
    let run = Env::new(&server).owner(&["teams", "-A"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    readme::assert_example("teams_all", "kubectl owner teams -A", &run.stdout, run.code);
}

#[test]
fn no_command_requests_secrets() {
    let server = demo_server();
    let env = Env::new(&server);
    for args in [
        vec!["ls", "-A"],
        vec!["ls", "pods", "-A"],
        vec!["ls", "ns"],
        vec!["ls", "-A", "-o", "wide"],
        vec!["who", "debug-shell", "-n", "default"],
        vec!["who", "deploy/api", "-n", "payments"],
        vec!["teams", "-A"],
    ] {
        let run = env.owner(&args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    }
    // The governance and write paths too (exit codes: findings, and a refused overwrite).
    for (args, code) in [
        (vec!["check", "-A"], 1),
        (vec!["check", "-A", "-o", "json", "--fail-on", "never"], 0),
        (
            vec!["assign", "deploy", "-A", "--all", "--stage", "production"],
            1,
        ),
        (
            vec![
                "assign",
                "deploy/api",
                "-n",
                "payments",
                "--team",
                "payments",
                "--dry-run=server",
            ],
            0,
        ),
        (
            vec!["unassign", "deploy/indexer", "-n", "search", "--team"],
            0,
        ),
        (vec!["assign", "ns/search", "--team", "search"], 0),
    ] {
        let run = env.owner(&args);
        assert_eq!(run.code, code, "{args:?}: {}", run.stderr);
    }
    let requests = server.requests();
    assert!(!requests.is_empty());
    for r in requests {
        assert!(!r.path.contains("secrets"), "{r:?}");
    }
}

#[test]
fn through_real_kubectl_the_output_is_the_same() {
    if !support::kubectl_available() {
        return;
    }
    let server = demo_server();
    let env = Env::new(&server).with_plugin_on_path();
    let direct = env.owner(&["ls", "-A"]);
    let via_kubectl = env.kubectl(&["owner", "ls", "-A"]);
    assert_eq!(via_kubectl.code, 0, "{}", via_kubectl.stderr);
    assert_eq!(via_kubectl.stdout, direct.stdout);
    readme::assert_example(
        "ls_all",
        README_LS_ALL,
        &via_kubectl.stdout,
        via_kubectl.code,
    );
}

#[test]
fn closed_stdout_pipe_is_success() {
    let server = demo_server();
    let env = Env::new(&server);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kubectl-owner"))
        .args(["ls", "-A"])
        .env_clear()
        .env("KUBECONFIG", &env.kubeconfig)
        .env("HOME", env.home())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn absent_workload_crds_are_skipped_quietly() {
    let server = demo_server();
    server.hide_group("argoproj.io");
    let run = Env::new(&server).owner(&["ls", "-A", "-o", "name"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    assert!(!run.stdout.contains("rollout"));
    assert_eq!(
        run.stdout.lines().count(),
        19,
        "every other workload is still listed"
    );
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.path != "/apis/argoproj.io/v1alpha1/rollouts"),
        "no list of an absent kind"
    );
}

#[test]
fn ls_all_namespaces_makes_page_bounded_lists_per_kind_and_no_gets() {
    let server = support::TestServer::start(support::ServerOptions::default());
    server.seed_scale(test_apiserver::ScaleParams {
        namespaces: 40,
        deployments: 1300,
        pods: 2700,
    });
    let run = Env::new(&server).owner(&["ls", "-A", "-o", "name"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let requests = server.requests();
    let lists_of = |path: &str| requests.iter().filter(|r| r.path == path).count();
    for (path, resource) in [
        ("/apis/apps/v1/deployments", "deployments"),
        ("/apis/apps/v1/replicasets", "replicasets"),
        ("/api/v1/pods", "pods"),
        ("/api/v1/namespaces", "namespaces"),
        ("/apis/batch/v1/jobs", "jobs"),
        ("/apis/batch/v1/cronjobs", "cronjobs"),
        ("/apis/apps/v1/statefulsets", "statefulsets"),
        ("/apis/apps/v1/daemonsets", "daemonsets"),
    ] {
        let objects = server.object_count(resource);
        let pages = objects.div_ceil(500).max(1);
        assert_eq!(
            lists_of(path),
            pages,
            "{resource}: {objects} objects in ⌈N/500⌉ pages"
        );
    }
    let gets: Vec<_> = requests
        .iter()
        .filter(|r| r.query_param("limit").is_none())
        .filter(|r| {
            r.path != "/api/v1/namespaces/kube-public/configmaps/kubectl-owner"
                && !r.path.starts_with("/apis/argoproj.io")
        })
        .collect();
    assert!(gets.is_empty(), "no per-object GETs: {gets:?}");
    // Deployments are rows; their ReplicaSets and pods are not.
    assert_eq!(
        run.stdout
            .lines()
            .filter(|l| l.starts_with("deployment.apps/"))
            .count(),
        1300
    );
    assert_eq!(
        run.stdout
            .lines()
            .filter(|l| l.starts_with("pod/") || l.starts_with("replicaset"))
            .count(),
        0
    );
}

#[test]
fn malformed_kubeconfig_is_one_clear_line() {
    let server = demo_server();
    let env = Env::with_kubeconfig("apiVersion: v1\nclusters: [this is: not: valid\n");
    let run = env.owner(&["ls"]);
    assert_eq!(run.code, 1);
    assert!(
        run.first_stderr_line()
            .starts_with("error: error loading config file \""),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"));
    drop(server);
}

#[test]
fn ls_ns_lists_namespaces_once() {
    let server = demo_server();
    let run = Env::new(&server).owner(&["ls", "ns", "-o", "name"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 11);
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|r| r.path == "/api/v1/namespaces")
            .count(),
        1
    );
}

#[test]
fn who_stops_an_owner_reference_cycle_at_the_first_repeat() {
    let server = demo_server();
    // Two objects, each naming the other as its controller.
    let owner = |kind: &str, name: &str, uid: &str| serde_json::json!([{"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": uid, "controller": true}]);
    for (kind, name, uid, other) in [
        (
            "ReplicaSet",
            "loop-a",
            "uid-loop-a",
            ("Deployment", "loop-b", "uid-loop-b"),
        ),
        (
            "Deployment",
            "loop-b",
            "uid-loop-b",
            ("ReplicaSet", "loop-a", "uid-loop-a"),
        ),
    ] {
        server.insert(serde_json::json!({
            "apiVersion": "apps/v1", "kind": kind,
            "metadata": {"name": name, "namespace": "default", "uid": uid,
                         "labels": {"app": "loop"}, "ownerReferences": owner(other.0, other.1, other.2)},
            "spec": {"selector": {"matchLabels": {"app": "loop"}},
                     "template": {"metadata": {"labels": {"app": "loop"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}}}
        }));
    }
    server.clear_requests();
    let run = Env::new(&server).owner(&["who", "rs/loop-a"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("ownerReference cycle"),
        "{}",
        run.stderr
    );
    let object_gets = server
        .requests()
        .iter()
        .filter(|r| r.path.contains("/replicasets/") || r.path.contains("/deployments/"))
        .count();
    assert_eq!(object_gets, 2, "one GET per object of the cycle");
}

#[test]
fn no_headers_on_every_table_prints_the_rows_only() {
    let server = demo_server();
    let env = Env::new(&server).env("KUBECTL_OWNER_TODAY", "2026-11-28");
    let with = env.owner(&["teams", "-A"]);
    let without = env.owner(&["teams", "-A", "--no-headers"]);
    assert_eq!(without.code, 0, "{}", without.stderr);
    // The rows of the table (columns as wide as their cells, as kubectl sizes them without the
    // header), without its header line and without the coverage line.
    let fields = |text: &str| -> Vec<Vec<String>> {
        text.lines()
            .take_while(|l| !l.is_empty())
            .map(|l| l.split_whitespace().map(str::to_string).collect())
            .collect()
    };
    let header_skipped = |text: &str| text.split_once('\n').unwrap().1.to_string();
    assert_eq!(
        fields(&without.stdout),
        fields(&header_skipped(&with.stdout))
    );
    let with = env.owner(&["check", "-A"]);
    let without = env.owner(&["check", "-A", "--no-headers"]);
    assert_eq!(without.code, with.code, "the exit status still tells");
    assert_eq!(
        fields(&without.stdout),
        fields(&header_skipped(&with.stdout))
    );
    assert!(!without.stdout.contains("checked"), "{}", without.stdout);
    let run = env.owner(&[
        "assign",
        "deploy/api",
        "-n",
        "payments",
        "--stage",
        "production",
        "--dry-run",
        "--no-headers",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("RESULT"), "{}", run.stdout);
    assert!(
        run.stdout.starts_with("deployment.apps/api"),
        "{}",
        run.stdout
    );
    // Nothing to list: still said on stderr, as kubectl does.
    let run = env.owner(&["ls", "-n", "empty-namespace", "--no-headers"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "No resources found in empty-namespace namespace.\n"
    );
}

#[test]
fn label_columns_show_each_objects_own_label() {
    let server = demo_server();
    let mut api = server
        .object("deployments", Some("payments"), "api")
        .unwrap();
    api["metadata"]["labels"]["app.kubernetes.io/version"] = serde_json::json!("1.4.2");
    server.insert(api);
    let env = Env::new(&server);
    let run = env.owner(&[
        "ls",
        "deploy",
        "-n",
        "payments",
        "-L",
        "app.kubernetes.io/version,team",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<Vec<&str>> = run
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    // kubectl's header: the key's last segment, upper-cased; the value is the object's own label
    // (`ledger` inherits its team from the namespace: its own `team` label is empty).
    assert_eq!(
        lines[0],
        ["KIND", "NAME", "TEAM", "STAGE", "AGE", "VERSION", "TEAM"]
    );
    assert_eq!(lines[1][1], "api");
    assert_eq!(&lines[1][5..], ["1.4.2", "payments"]);
    assert_eq!(lines[2][1], "ledger");
    assert_eq!(
        lines[2].len(),
        5,
        "no own labels: empty cells: {:?}",
        run.stdout
    );
}

#[test]
fn ls_csv_has_a_header_and_every_wide_column_for_spreadsheets() {
    let server = demo_server();
    let mut ledger = server
        .object("deployments", Some("payments"), "ledger")
        .unwrap();
    ledger["metadata"]["annotations"]["a8r.io/chat"] = serde_json::json!("#pay, \"ments\"\nnext");
    server.insert(ledger);
    let env = Env::new(&server);
    let run = env.owner(&["ls", "-A", "-o", "csv", "-L", "app"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        header,
        [
            "NAMESPACE",
            "KIND",
            "NAME",
            "TEAM",
            "STAGE",
            "AGE",
            "TEAM-FROM",
            "STAGE-FROM",
            "CHAT",
            "RUNBOOK",
            "SUNSET",
            "app"
        ]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let names = env.owner(&["ls", "-A", "-o", "name"]);
    assert_eq!(
        records.len(),
        names.stdout.lines().count(),
        "one record per row"
    );
    let row = |name: &str| {
        records
            .iter()
            .find(|r| &r[2] == name)
            .unwrap_or_else(|| panic!("{name} in {}", run.stdout))
    };
    let api = row("api");
    assert_eq!(
        api.iter().collect::<Vec<_>>(),
        [
            "payments",
            "Deployment",
            "api",
            "payments",
            "production",
            "30d",
            "Deployment/api",
            "Namespace/payments",
            "#payments-api",
            "https://runbooks.example/payments",
            "",
            "api"
        ],
        "a missing value is an empty field"
    );
    // Commas, quotes and newlines stay inside their field.
    assert_eq!(&row("ledger")[8], "#pay, \"ments\"\nnext");
}
