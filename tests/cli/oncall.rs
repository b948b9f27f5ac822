//! On-call lookups from what an alert shows instead of a pod's name: an IP address, a node.

use serde_json::json;

use crate::support::{Env, TestServer, demo_server, readme};

/// The demo cluster: pods have IPs and nodes (worker-3 runs both api pods and postgres-0;
/// node-1's host-network pods share its address 10.0.0.10).
fn demo() -> TestServer {
    let server = demo_server();
    server.clear_requests();
    server
}

#[test]
fn an_ip_is_its_pods_card_with_one_list_and_the_chains_gets() {
    let server = demo();
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
        Some("status.podIP=10.244.3.17,status.phase!=Succeeded,status.phase!=Failed")
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

    // A finished pod keeps its IP in its status, but no longer holds it.
    let mut done = server
        .object("pods", Some("payments"), "api-7d9f8c6b5-m4n7p")
        .unwrap();
    done["metadata"]["name"] = json!("migrate-7h2k4");
    done["metadata"]["uid"] = json!("0b0b0b0b-0000-4000-8000-000000000001");
    done["metadata"]["ownerReferences"] = json!([]);
    done["status"]["podIP"] = json!("10.244.3.17");
    done["status"]["phase"] = json!("Succeeded");
    server.insert(done);
    assert_eq!(env.owner(&["who", "10.244.3.17"]).stdout, by_name.stdout);
    // A lookup's document is a list however many it finds, for scripts reading `.items[]`.
    let json: serde_json::Value =
        serde_json::from_str(&env.owner(&["who", "10.244.3.17", "-o", "json"]).stdout).unwrap();
    assert_eq!(json["kind"], "OwnershipList");
    assert_eq!(json["items"][0]["name"], "api-7d9f8c6b5-x2kq9");
}

#[test]
fn a_shared_ip_lists_every_pod_and_an_unknown_ip_says_so() {
    let server = demo();
    let env = Env::new(&server);
    let run = env.owner(&["who", "10.0.0.10"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "2 pods share IP 10.0.0.10 (a node's address: host network pods)\n"
    );
    assert_eq!(
        run.stdout,
        "\
NAMESPACE     POD                     WORKLOAD                    TEAM       STAGE        CHAT        ONCALL
kube-system   kube-apiserver-node-1   pod/kube-apiserver-node-1   platform   production   #platform   <none>
kube-system   node-exporter-f7g8h     daemonset/node-exporter     platform   production   #platform   <none>
"
    );
    readme::assert_example(
        "who_shared_ip",
        "kubectl owner who 10.0.0.10",
        &run.stdout,
        run.code,
    );
    let json: serde_json::Value =
        serde_json::from_str(&env.owner(&["who", "10.0.0.10", "-o", "json"]).stdout).unwrap();
    assert_eq!(json["kind"], "OwnershipList");
    assert_eq!(json["items"].as_array().unwrap().len(), 2);

    let none = env.owner(&["who", "10.9.9.9"]);
    assert_eq!(none.code, 1);
    assert_eq!(
        none.stderr,
        "No pod or Service has IP 10.9.9.9 now; pod IPs are reused, so an old alert may name a pod that is gone.\n"
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
    let server = demo();
    let env = Env::new(&server);
    let run = env.owner(&["who", "node/worker-3"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "\
NAMESPACE   WORKLOAD               PODS   TEAM       STAGE        CHAT            ONCALL
payments    deployment/api         2      payments   production   #payments-api   https://pager.example/schedules/P123
payments    statefulset/postgres   1      data       production   #payments       <none>
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
        Some("spec.nodeName=worker-3,status.phase!=Succeeded,status.phase!=Failed")
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
    // Its team comes from its namespace (not said: only a team of its own is); it selects no
    // pods to name.
    assert_eq!(
        none.stderr,
        "Service payments/external has no selector: its endpoints are not pods it selects.\n"
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
    let server = demo();
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
        "2 pods share IP 10.0.0.10 (a node's address: host network pods)\n\
         error: Alert 6/6 Watchdog (firing): no label names a pod, workload, service, node or instance (labels: alertname, severity)\n"
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
            (3, "platform"),
            (4, "data"),
            (5, "payments"),
            (5, "data")
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
    let server = demo();
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
    assert_eq!(
        both.first_stderr_line(),
        "error: the argument '[POD | TYPE/NAME | TYPE NAME | IP | node/NAME | svc/NAME | image/REF | host/NAME]...' cannot be used with '--alert <FILE>'"
    );
    assert_eq!(server.requests().len(), 0, "no request for a bad payload");
}

/// A user who may list pods in one namespace only: the lookup reads that namespace, names the
/// rest in `ls`'s warning, and "nothing has it" says it is partial.
#[test]
fn lists_refused_cluster_wide_give_a_partial_answer_named_as_in_ls() {
    let server = demo();
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

    // Ingresses are read cluster-wide only: refused, they are named, and the answer is partial.
    let host = env.owner(&["who", "host/shop.example.com"]);
    assert_eq!(host.code, 1);
    assert_eq!(
        host.stderr,
        "Warning: ownership unknown for: ingresses.networking.k8s.io, httproutes.gateway.networking.k8s.io (cluster-wide)\n\
         No Ingress or HTTPRoute routes shop.example.com to pods now among those that could be read.\n"
    );
    let none = env.owner(&["who", "10.9.9.9"]);
    assert_eq!(none.code, 1);
    assert!(
        none.stderr.ends_with(
            "No pod or Service has IP 10.9.9.9 now among those that could be read; pod IPs are reused, so an old alert may name a pod that is gone.\n"
        ),
        "{}",
        none.stderr
    );
}

/// `who image/…`: exact references, prefixes and digests, from the workload kinds' Tables.
#[test]
fn an_image_names_the_workloads_whose_templates_run_it_without_reading_specs() {
    let server = demo_server();
    let digest = format!("sha256:{}", "5e".repeat(32));
    let mut ledger = server
        .object("deployments", Some("payments"), "ledger")
        .unwrap();
    ledger["spec"]["template"]["spec"]["containers"][0]["image"] =
        json!(format!("registry.example/payments/ledger@{digest}"));
    server.insert(ledger);
    server.clear_requests();
    let env = Env::new(&server);

    let exact = env.owner(&["who", "image/registry.example/api:1.4.2"]);
    assert_eq!(exact.code, 0, "{}", exact.stderr);
    assert_eq!(
        exact.stdout,
        "\
NAMESPACE   WORKLOAD         IMAGE                        TEAM       STAGE        CHAT            ONCALL
payments    deployment/api   registry.example/api:1.4.2   payments   production   #payments-api   https://pager.example/schedules/P123
"
    );
    assert_eq!(
        exact.stderr,
        "Note: bare pods (no controller) are not searched, only pod templates; rollouts.argoproj.io only through the workloads they control (the server's table has no Images column)\n"
    );
    let requests = server.requests();
    assert!(
        !requests.iter().any(|r| r.path.ends_with("/pods")),
        "no pod list"
    );
    let tables: Vec<_> = requests
        .iter()
        .filter(|r| r.accept.as_deref().unwrap_or("").contains("as=Table"))
        .map(|r| r.path.as_str())
        .collect();
    assert!(tables.contains(&"/apis/apps/v1/deployments"), "{tables:?}");
    assert!(tables.contains(&"/apis/batch/v1/cronjobs"), "{tables:?}");
    // Every other request reads metadata only (the chain's GETs, the namespace), or is
    // discovery (`/apis/argoproj.io/v1alpha1`) or the cluster's config.
    assert!(requests.iter().all(|r| {
        let accept = r.accept.as_deref().unwrap_or("");
        let discovery = r.path.starts_with("/apis/") && r.path.split('/').count() == 4;
        discovery
            || accept.contains("as=Table")
            || accept.contains("PartialObjectMetadata")
            || r.path.ends_with("/configmaps/kubectl-owner")
    }));

    let by_digest = env.owner(&["who", &format!("image/{}", &digest[..19])]);
    assert_eq!(by_digest.code, 0, "{}", by_digest.stderr);
    assert!(
        by_digest.stdout.contains(
            "payments    deployment/ledger   registry.example/payments/ledger@sha256:5e5e"
        ),
        "{}",
        by_digest.stdout
    );
    assert_eq!(by_digest.stdout.lines().count(), 2);

    let prefix = env.owner(&["who", "image/registry.example/payments/*", "-o", "json"]);
    let json: serde_json::Value = serde_json::from_str(&prefix.stdout).unwrap();
    assert_eq!(json["items"].as_array().unwrap().len(), 1);
    assert_eq!(json["items"][0]["name"], "ledger");
    let several = env.owner(&["who", "image/registry.example/*"]);
    assert_eq!(several.code, 0);
    assert_eq!(
        several.stdout.lines().count() - 1,
        17,
        "every workload of the demo but node-exporter (quay.io): {}",
        several.stdout
    );
    // A Rollout's pods run from its ReplicaSets, which the Tables show.
    let rollout = env.owner(&["who", "image/registry.example/recommender"]);
    assert!(
        rollout.stdout.contains("data        rollout/recommender"),
        "{}",
        rollout.stdout
    );

    let none = env.owner(&["who", "image/registry.example/api:9.9"]);
    assert_eq!(none.code, 1);
    assert!(
        none.stderr
            .ends_with("No workload's pod template runs image registry.example/api:9.9.\n"),
        "{}",
        none.stderr
    );
    let bad = env.owner(&["who", "image/a*b"]);
    assert_eq!(bad.code, 1);
    assert_eq!(
        bad.first_stderr_line(),
        "error: invalid image reference: \"a*b\": `*` ends a prefix, as in image/registry.example/payments/*"
    );
}

/// No pod has the IP: a Service's cluster IP, then an EndpointSlice address (a dual-stack
/// pod's second address, which `status.podIP` does not carry).
#[test]
fn an_ip_falls_back_to_a_service_cluster_ip_then_endpoint_slices() {
    let server = demo_server();
    server.insert(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "api", "namespace": "payments"},
        "spec": {"selector": {"app": "api"}, "clusterIP": "10.96.0.20", "clusterIPs": ["10.96.0.20"], "ports": [{"port": 80}]}
    }));
    let pod = server
        .object("pods", Some("payments"), "api-7d9f8c6b5-x2kq9")
        .unwrap();
    server.insert(json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": "api-v6", "namespace": "payments", "labels": {"kubernetes.io/service-name": "api"}},
        "addressType": "IPv6",
        "endpoints": [{"addresses": ["fd00:10:244::17"], "targetRef": {"kind": "Pod", "namespace": "payments", "name": "api-7d9f8c6b5-x2kq9", "uid": pod["metadata"]["uid"]}}],
        "ports": [{"port": 8080}]
    }));
    server.clear_requests();
    let env = Env::new(&server);

    let service = env.owner(&["who", "10.96.0.20"]);
    assert_eq!(service.code, 0, "{}", service.stderr);
    assert!(
        service
            .stderr
            .starts_with("10.96.0.20 is the cluster IP of Service payments/api\n"),
        "{}",
        service.stderr
    );
    assert!(
        service
            .stdout
            .contains("payments    deployment/api   2      payments"),
        "{}",
        service.stdout
    );
    let services = server.requests();
    let list = services
        .iter()
        .find(|r| r.path == "/api/v1/services")
        .expect("one service list");
    assert_eq!(
        list.query_param("fieldSelector").as_deref(),
        Some("spec.clusterIP=10.96.0.20")
    );

    let v6 = env.owner(&["who", "fd00:10:244::17"]);
    assert_eq!(v6.code, 0, "{}", v6.stderr);
    assert_eq!(
        v6.stderr,
        "fd00:10:244::17 is an endpoint of Service payments/api: pod api-7d9f8c6b5-x2kq9\n"
    );
    let by_name = env.owner(&["who", "api-7d9f8c6b5-x2kq9", "-n", "payments"]);
    assert_eq!(v6.stdout, by_name.stdout);

    let none = env.owner(&["who", "10.9.9.9"]);
    assert_eq!(
        (none.code, none.stderr.as_str()),
        (
            1,
            "No pod or Service has IP 10.9.9.9 now; pod IPs are reused, so an old alert may name a pod that is gone.\n"
        )
    );
}

/// An operator's CRD that kubectl-owner has never heard of owns a StatefulSet that owns pods:
/// discovery finds where it is served, and its team is the chain's top.
#[test]
fn chains_run_through_owner_kinds_found_by_discovery() {
    let server = demo_server();
    let rmq = json!({
        "apiVersion": "rabbitmq.com/v1beta1", "kind": "RabbitmqCluster",
        "metadata": {"name": "events", "namespace": "checkout", "uid": "6f1c0a53-0000-4000-8000-00000000e001",
                     "labels": {"team": "messaging"}},
        "spec": {"replicas": 1}
    });
    server.insert(rmq);
    let owner = |api_version: &str, kind: &str, name: &str, uid: &str| json!([{"apiVersion": api_version, "kind": kind, "name": name, "uid": uid, "controller": true}]);
    server.insert(json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "events-server", "namespace": "checkout", "uid": "6f1c0a53-0000-4000-8000-00000000e002",
                     "ownerReferences": owner("rabbitmq.com/v1beta1", "RabbitmqCluster", "events", "6f1c0a53-0000-4000-8000-00000000e001")},
        "spec": {"selector": {"matchLabels": {"app": "events"}}, "serviceName": "events-nodes",
                 "template": {"metadata": {"labels": {"app": "events"}}, "spec": {"containers": [{"name": "rabbitmq", "image": "rabbitmq:4.1"}]}}}
    }));
    server.insert(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "events-server-0", "namespace": "checkout", "labels": {"app": "events"},
                     "ownerReferences": owner("apps/v1", "StatefulSet", "events-server", "6f1c0a53-0000-4000-8000-00000000e002")},
        "spec": {"containers": [{"name": "rabbitmq", "image": "rabbitmq:4.1"}]}
    }));
    server.clear_requests();
    let env = Env::new(&server);
    let run = env.owner(&["who", "events-server-0", "-n", "checkout"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "Chain:   pod/events-server-0 ← statefulset/events-server ← rabbitmqcluster/events\n"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("team     messaging   RabbitmqCluster/events (team)"),
        "{}",
        run.stdout
    );
    let requests = server.requests();
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.path == "/apis/rabbitmq.com/v1beta1")
            .count(),
        1,
        "one discovery request for the unknown group-version"
    );
    assert!(requests.iter().any(|r| {
        r.path == "/apis/rabbitmq.com/v1beta1/namespaces/checkout/rabbitmqclusters/events"
            && r.accept
                .as_deref()
                .unwrap_or("")
                .contains("PartialObjectMetadata")
    }));
    // `image/` finds the operator's workload through its StatefulSet.
    let image = env.owner(&["who", "image/rabbitmq"]);
    assert!(
        image
            .stdout
            .contains("checkout    rabbitmqcluster/events   rabbitmq:4.1   messaging"),
        "{}{}",
        image.stdout,
        image.stderr
    );
    // Without the right to read the operator's kind, the chain stops below it, and says so.
    server.add_token("narrow-token", "narrow");
    server.grant(test_apiserver::Grant::new(
        "narrow",
        &["get", "list"],
        &["namespaces", "pods", "statefulsets", "configmaps"],
    ));
    let narrow =
        Env::with_kubeconfig(&server.kubeconfig("n", Some("checkout"), Some("narrow-token")))
            .owner(&["who", "events-server-0"]);
    assert_eq!(narrow.code, 0, "{}", narrow.stderr);
    assert!(
        narrow
            .stdout
            .contains("Chain:   pod/events-server-0 ← statefulset/events-server\n"),
        "{}",
        narrow.stdout
    );
    assert!(
        narrow.stderr.starts_with(
            "Warning: ownership unknown above statefulset/events-server: Error from server (Forbidden): rabbitmqclusters.rabbitmq.com \"events\" is forbidden"
        ),
        "{}",
        narrow.stderr
    );
}

/// Ingress rules (exact and one-label wildcard hosts) and HTTPRoute hostnames lead to their
/// backend Services and the workloads behind them; without the Gateway API, routes are skipped.
fn routed() -> TestServer {
    let server = demo_server();
    for (ns, name, app) in [("checkout", "web", "web"), ("payments", "api", "api")] {
        server.insert(json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": {"app": app}, "ports": [{"port": 80}]}
        }));
    }
    let backend = json!({"service": {"name": "web", "port": {"number": 80}}});
    server.insert(json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "shop", "namespace": "checkout", "labels": {"team": "edge"}},
        "spec": {"rules": [
            {"host": "shop.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}},
            {"host": "*.shop.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}
        ]}
    }));
    server.insert(json!({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": "api", "namespace": "payments"},
        "spec": {"parentRefs": [{"name": "public", "namespace": "gateways"}],
                 "hostnames": ["api.payments.example.com"],
                 "rules": [{"backendRefs": [{"name": "api", "port": 80}]}]}
    }));
    server.clear_requests();
    server
}

#[test]
fn a_host_leads_through_ingress_rules_to_the_workloads() {
    let server = routed();
    let env = Env::new(&server);
    let run = env.owner(&["who", "host/shop.example.com"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "\
NAMESPACE   WORKLOAD         VIA                      TEAM       STAGE          CHAT        ONCALL
checkout    deployment/web   ingress/shop → svc/web   checkout   experimental   #checkout   <none>
"
    );
    assert_eq!(
        run.stderr,
        "Ingress checkout/shop: team edge, from Ingress/shop (team)\n"
    );
    let wildcard = env.owner(&["who", "host/https://EU.shop.example.com:443/cart"]);
    assert_eq!(wildcard.stdout, run.stdout);
    let too_deep = env.owner(&["who", "host/a.eu.shop.example.com"]);
    assert_eq!(
        (too_deep.code, too_deep.stderr.as_str()),
        (
            1,
            "No Ingress or HTTPRoute routes a.eu.shop.example.com to pods now.\n"
        )
    );
    // Pods are read only through the Services' selectors.
    let pod_lists: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/pods"))
        .map(|r| format!("{} {:?}", r.path, r.query_param("labelSelector")))
        .collect();
    assert!(
        pod_lists
            .iter()
            .all(|l| l == "/api/v1/namespaces/checkout/pods Some(\"app=web\")"),
        "{pod_lists:?}"
    );
}

#[test]
fn a_host_leads_through_httproutes_when_the_gateway_api_is_installed() {
    let server = routed();
    let env = Env::new(&server);
    let run = env.owner(&["who", "host/api.payments.example.com"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("payments    deployment/api   httproute/api → svc/api   payments"),
        "{}",
        run.stdout
    );
    // Two backends, one in another namespace, and a backendRef that is not a Service.
    server.insert(json!({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": "shop", "namespace": "payments", "labels": {"team": "edge"}},
        "spec": {"hostnames": ["*.example.com"],
                 "rules": [{"backendRefs": [{"name": "api", "port": 80},
                                            {"name": "web", "namespace": "checkout", "port": 80},
                                            {"group": "example.com", "kind": "Bucket", "name": "static"}]}]}
    }));
    let wild = env.owner(&["who", "host/pay.example.com"]);
    assert_eq!(wild.code, 0, "{}", wild.stderr);
    assert_eq!(
        wild.stdout,
        "\
NAMESPACE   WORKLOAD         VIA                        TEAM       STAGE          CHAT            ONCALL
checkout    deployment/web   httproute/shop → svc/web   checkout   experimental   #checkout       <none>
payments    deployment/api   httproute/shop → svc/api   payments   production     #payments-api   https://pager.example/schedules/P123
"
    );
    assert_eq!(
        wild.stderr,
        "HTTPRoute payments/shop: team edge, from HTTPRoute/shop (team)\n"
    );
    // Both routes lead to api: one row, both ways named.
    let both = env.owner(&["who", "host/api.payments.example.com"]);
    assert!(
        both.stdout
            .contains("deployment/api   httproute/api → svc/api,httproute/shop → svc/api"),
        "{}",
        both.stdout
    );
    server.hide_group("gateway.networking.k8s.io");
    let hidden = env.owner(&["who", "host/api.payments.example.com"]);
    assert_eq!(
        (hidden.code, hidden.stderr.as_str()),
        (
            1,
            "No Ingress or HTTPRoute routes api.payments.example.com to pods now.\n"
        )
    );
    let bad = env.owner(&["who", "host/shop..example.com"]);
    assert_eq!(bad.code, 1);
    assert_eq!(
        bad.first_stderr_line(),
        "error: invalid host name: \"shop..example.com\""
    );
}

/// README's on-call examples, each on the demo cluster as it is.
#[test]
fn readme_shows_every_lookup_on_the_demo() {
    let server = demo();
    let env = Env::new(&server);
    for (name, args) in [
        ("who_ip", "who 10.244.1.5"),
        ("who_service_ip", "who 10.96.120.15"),
        ("who_service", "who svc/api -n payments"),
        ("who_image", "who image/registry.example/payments/*"),
        ("who_image_digest", "who image/sha256:9c1f5e0b7a3d"),
        ("who_host", "who host/shop.example.com"),
        (
            "who_host_route",
            "who host/https://api.payments.example.com/v1/pay",
        ),
    ] {
        let run = env.owner(&args.split(' ').collect::<Vec<_>>());
        assert_eq!(run.code, 0, "{args}: {}", run.stderr);
        readme::assert_example(
            name,
            &format!("kubectl owner {args}"),
            &readme::shown(&run),
            run.code,
        );
    }
    let payload = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cli/alerts/webhook.json");
    let routed = env.owner_stdin(
        &[
            "who",
            "--alert",
            "-",
            "-o",
            "jsonpath={range .items[*]}{.alert.name}{\"\\t\"}{.team.value}{\"\\n\"}{end}",
        ],
        &std::fs::read_to_string(payload).unwrap(),
    );
    readme::assert_example(
        "who_alert_jsonpath",
        "kubectl owner who --alert alert.json -o jsonpath='{range .items[*]}{.alert.name}{\"\\t\"}{.team.value}{\"\\n\"}{end}'",
        &readme::shown(&routed),
        routed.code,
    );
}
