//! On-call lookups from what an alert shows instead of a pod's name: an IP address, a node.

use serde_json::json;

use crate::support::{Env, TestServer, demo_server, readme};

/// Places demo pods on nodes with IPs: `worker-3` runs both api pods and postgres-0 (which
/// shares the node's address: host network), `worker-1` runs ledger.
fn placed() -> TestServer {
    let server = demo_server();
    for (ns, pod, node, ip) in [
        ("payments", "api-7d9f8c6b5-x2kq9", "worker-3", "10.244.3.17"),
        ("payments", "api-7d9f8c6b5-m4n7p", "worker-3", "10.244.3.18"),
        ("payments", "postgres-0", "worker-3", "10.0.0.3"),
        ("kube-system", "node-exporter-f7g8h", "worker-3", "10.0.0.3"),
        (
            "payments",
            "ledger-5b7c9d6f4-q8w2e",
            "worker-1",
            "10.244.1.5",
        ),
    ] {
        let mut object = server.object("pods", Some(ns), pod).unwrap();
        object["spec"]["nodeName"] = json!(node);
        object["status"]["podIP"] = json!(ip);
        server.insert(object);
    }
    server.clear_requests();
    server
}

#[test]
fn an_ip_is_its_pods_card_with_one_list_and_the_chains_gets() {
    let server = placed();
    let env = Env::new(&server);
    let by_ip = env.owner(&["who", "10.244.3.17"]);
    assert_eq!(by_ip.code, 0, "{}", by_ip.stderr);
    let requests = server.requests();
    let lists: Vec<_> = requests
        .iter()
        .filter(|r| r.path == "/api/v1/pods")
        .collect();
    assert_eq!(lists.len(), 1, "one list across namespaces");
    assert_eq!(
        lists[0].query_param("fieldSelector").as_deref(),
        Some("status.podIP=10.244.3.17")
    );
    assert!(requests.iter().all(|r| r.method == "GET"));
    // pod list, ReplicaSet, Deployment, namespace; plus the registry ConfigMap.
    assert_eq!(
        requests.len(),
        5,
        "{:#?}",
        requests.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    let by_name = env.owner(&["who", "api-7d9f8c6b5-x2kq9", "-n", "payments"]);
    assert_eq!(
        by_ip.stdout, by_name.stdout,
        "the same card as by the pod's name"
    );
    assert_eq!(env.owner(&["who", "ip/10.244.3.17"]).stdout, by_name.stdout);
}

#[test]
fn a_shared_ip_lists_every_pod_and_an_unknown_ip_says_so() {
    let server = placed();
    let env = Env::new(&server);
    let run = env.owner(&["who", "10.0.0.3"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "2 pods share IP 10.0.0.3 (a node's address: host network pods)\n"
    );
    assert_eq!(
        run.stdout,
        "\
NAMESPACE     POD                   WORKLOAD                  TEAM       STAGE        CHAT        ONCALL
kube-system   node-exporter-f7g8h   daemonset/node-exporter   platform   production   #platform   <none>
payments      postgres-0            statefulset/postgres      data       production   #payments   <none>
"
    );
    readme::assert_example(
        "who_shared_ip",
        "kubectl owner who 10.0.0.3",
        &run.stdout,
        run.code,
    );
    let json: serde_json::Value =
        serde_json::from_str(&env.owner(&["who", "10.0.0.3", "-o", "json"]).stdout).unwrap();
    assert_eq!(json["kind"], "OwnershipList");
    assert_eq!(json["items"].as_array().unwrap().len(), 2);

    let none = env.owner(&["who", "10.9.9.9"]);
    assert_eq!(none.code, 1);
    assert_eq!(
        none.stderr,
        "No pod has IP 10.9.9.9 now; pod IPs are reused, so an old alert may name a pod that is gone.\n"
    );
    assert_eq!(none.stdout, "");
    let bad = env.owner(&["who", "ip/10.0.0"]);
    assert_eq!(bad.code, 1);
    assert_eq!(
        bad.first_stderr_line(),
        "error: invalid IP address: \"10.0.0\""
    );
}

#[test]
fn a_node_lists_the_teams_of_its_workloads_reading_each_controller_once() {
    let server = placed();
    let env = Env::new(&server);
    let run = env.owner(&["who", "node/worker-3"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "\
NAMESPACE     WORKLOAD                  PODS   TEAM       STAGE        CHAT            ONCALL
kube-system   daemonset/node-exporter   1      platform   production   #platform       <none>
payments      deployment/api            2      payments   production   #payments-api   https://pager.example/schedules/P123
payments      statefulset/postgres      1      data       production   #payments       <none>
"
    );
    readme::assert_example(
        "who_node",
        "kubectl owner who node/worker-3",
        &run.stdout,
        run.code,
    );
    let requests = server.requests();
    let rs_reads = requests
        .iter()
        .filter(|r| r.path.ends_with("/replicasets/api-7d9f8c6b5"))
        .count();
    assert_eq!(rs_reads, 1, "two pods of one ReplicaSet read it once");
    let lists: Vec<_> = requests
        .iter()
        .filter(|r| r.path == "/api/v1/pods")
        .collect();
    assert_eq!(lists.len(), 1);
    assert_eq!(
        lists[0].query_param("fieldSelector").as_deref(),
        Some("spec.nodeName=worker-3")
    );
    let none = env.owner(&["who", "node/worker-9"]);
    assert_eq!(
        (none.code, none.stderr.as_str()),
        (1, "No pod runs on node worker-9 now.\n")
    );
}

/// `who svc/NAME`: the workloads behind the Service's selector, and the Service's own team.
#[test]
fn a_service_lists_the_workloads_behind_its_selector() {
    let server = demo_server();
    server.insert(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "api", "namespace": "payments", "labels": {"team": "payments"}},
        "spec": {"selector": {"app": "api"}, "ports": [{"port": 80}]}
    }));
    server.insert(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "external", "namespace": "payments"},
        "spec": {"ports": [{"port": 5432}]}
    }));
    server.clear_requests();
    let env = Env::new(&server);
    let run = env.owner(&["who", "svc/api", "-n", "payments"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "Service payments/api: team payments, from Service/api (team)\n"
    );
    assert!(
        run.stdout
            .starts_with("NAMESPACE   WORKLOAD         PODS   TEAM       STAGE        CHAT"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("payments    deployment/api   2      payments   production"),
        "{}",
        run.stdout
    );
    let requests = server.requests();
    let pod_lists: Vec<_> = requests
        .iter()
        .filter(|r| r.path == "/api/v1/namespaces/payments/pods")
        .collect();
    assert_eq!(pod_lists.len(), 1);
    assert_eq!(
        pod_lists[0].query_param("labelSelector").as_deref(),
        Some("app=api")
    );
    // Metadata only, except the Service itself, whose selector is in its spec.
    assert!(requests.iter().all(|r| {
        r.path.contains("/services/")
            || r.path.ends_with("/configmaps/kubectl-owner")
            || r.accept
                .as_deref()
                .unwrap_or("")
                .contains("PartialObjectMetadata")
    }));

    let none = env.owner(&["who", "svc/external", "-n", "payments"]);
    assert_eq!(none.code, 1);
    // Its team comes from its namespace; it selects no pods to name.
    assert_eq!(
        none.stderr,
        "Service payments/external: team payments, from Namespace/payments (team)\n\
         Service payments/external has no selector: its endpoints are not pods it selects.\n"
    );
    let missing = env.owner(&["who", "svc/nope", "-n", "payments"]);
    assert_eq!(missing.code, 1);
    assert_eq!(
        missing.first_stderr_line(),
        "Error from server (NotFound): services \"nope\" not found"
    );
}

/// Alertmanager's webhook payload, as its documentation gives it: every alert is answered,
/// the labels used are named, and an alert whose labels name nothing is reported, not fatal.
#[test]
fn an_alertmanager_payload_resolves_every_alert() {
    let server = placed();
    let env = Env::new(&server);
    let payload = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cli/alerts/webhook.json");
    let run = env.owner(&["who", "--alert", payload]);
    assert_eq!(
        run.code, 1,
        "the Watchdog alert names nothing: {}",
        run.stderr
    );
    insta::assert_snapshot!("who_alert_stdout", run.stdout);
    assert_eq!(
        run.stderr,
        "2 pods share IP 10.0.0.3 (a node's address: host network pods)\n\
         error: Alert 5/5 Watchdog (firing): no label names a pod, workload, service, node or instance IP (labels: alertname, severity)\n"
    );
    let piped = env.owner_stdin(
        &["who", "--alert", "-", "-o", "json"],
        &std::fs::read_to_string(payload).unwrap(),
    );
    assert_eq!(piped.code, 1);
    let json: serde_json::Value = serde_json::from_str(&piped.stdout).unwrap();
    let teams: Vec<(u64, &str)> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["alert"]["index"].as_u64().unwrap(),
                i["team"]["value"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        teams,
        [
            (1, "payments"),
            (2, "checkout"),
            (3, "platform"),
            (3, "data"),
            (4, "data")
        ]
    );
    assert_eq!(
        json["items"][0]["alert"]["via"],
        "namespace=payments pod=api-7d9f8c6b5-x2kq9"
    );
    assert_eq!(json["unresolved"][0]["alert"]["name"], "Watchdog");
}

/// One alert's label set, a pod that is gone, and malformed payloads.
#[test]
fn alert_labels_that_name_nothing_are_per_alert_and_bad_payloads_one_line() {
    let server = placed();
    let env = Env::new(&server);
    let gone = env.owner_stdin(
        &["who", "--alert", "-"],
        r#"{"alertname":"KubePodNotReady","namespace":"payments","pod":"api-7d9f8c6b5-gone1"}"#,
    );
    assert_eq!(gone.code, 1);
    assert_eq!(gone.stdout, "");
    assert_eq!(
        gone.stderr,
        "error: Alert 1/1 KubePodNotReady: Error from server (NotFound): pods \"api-7d9f8c6b5-gone1\" not found\n"
    );
    server.clear_requests();
    for (payload, message) in [
        (
            "{\"alerts\": [",
            "error: alert payload stdin: invalid JSON: EOF while parsing a list at line 1 column 12",
        ),
        (
            r#"{"alerts":[{"labels":{"pod":"p","namespace":"n","port":8080}}]}"#,
            "error: alert payload stdin: alerts[0].labels.port: invalid type: integer `8080`, expected a string",
        ),
        (
            "[]",
            "error: alert payload stdin: the payload has no alerts",
        ),
    ] {
        let bad = env.owner_stdin(&["who", "--alert", "-"], payload);
        assert_eq!(
            (bad.code, bad.stderr.as_str()),
            (1, &*format!("{message}\n")),
            "{payload}"
        );
    }
    let missing = env.owner(&["who", "--alert", "nope.json"]);
    assert_eq!(
        (missing.code, missing.stderr.as_str()),
        (1, "error: the path \"nope.json\" does not exist\n")
    );
    let both = env.owner(&["who", "pod-1", "--alert", "-"]);
    assert_eq!(both.code, 1);
    assert_eq!(server.requests().len(), 0, "no request for a bad payload");
}

/// A user who may list pods in one namespace only: the lookup reads that namespace, names the
/// rest in `ls`'s warning, and "nothing has it" says it is partial.
#[test]
fn lists_refused_cluster_wide_give_a_partial_answer_named_as_in_ls() {
    let server = placed();
    server.add_token("oncall-token", "oncall");
    server.grant(test_apiserver::Grant::new(
        "oncall",
        &["get", "list"],
        &["namespaces"],
    ));
    server.grant(
        test_apiserver::Grant::new("oncall", &["get", "list"], &["*"]).in_namespaces(&["payments"]),
    );
    let env =
        Env::with_kubeconfig(&server.kubeconfig("oncall", Some("payments"), Some("oncall-token")));
    let run = env.owner(&["who", "node/worker-3"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let workloads: Vec<&str> = run
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(workloads, ["deployment/api", "statefulset/postgres"]);
    let warning = run
        .stderr
        .lines()
        .find(|l| l.starts_with("Warning: ownership unknown for: "))
        .unwrap_or_else(|| panic!("a warning names what was not read: {}", run.stderr));
    assert!(
        warning.contains("namespace kube-system (pods)"),
        "{warning}"
    );
    assert!(!warning.contains("namespace payments"), "{warning}");

    let none = env.owner(&["who", "10.9.9.9"]);
    assert_eq!(none.code, 1);
    assert!(
        none.stderr.ends_with(
            "No pod has IP 10.9.9.9 now among the pods that could be read; pod IPs are reused, so an old alert may name a pod that is gone.\n"
        ),
        "{}",
        none.stderr
    );
}
