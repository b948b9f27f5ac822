//! Honest partial results under RBAC: what can be seen is shown, what cannot is named.

use crate::support::{Env, ServerOptions, TestServer};
use serde_json::json;
use test_apiserver::Grant;

/// Created five days before the server started: a fixed AGE (`5d`) whenever the test runs.
fn deployment(server: &TestServer, ns: &str, name: &str, team: Option<&str>) -> serde_json::Value {
    let created = (server.start_time() - jiff::SignedDuration::from_hours(5 * 24)).to_string();
    let labels = match team {
        Some(t) => json!({"app": name, "team": t}),
        None => json!({"app": name}),
    };
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": labels, "creationTimestamp": created},
        "spec": {"selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}
    })
}

/// Namespaces `a` (readable) and `b` (forbidden); cluster-wide lists forbidden.
fn partial_server() -> TestServer {
    let server = TestServer::start(ServerOptions::default());
    for ns in ["a", "b"] {
        server.insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"team": format!("team-{ns}")}}}));
    }
    server.insert(deployment(&server, "a", "web", None));
    server.insert(deployment(&server, "a", "worker", Some("other")));
    server.insert(deployment(&server, "b", "secret-project", Some("b-team")));
    server.add_token("alice-token", "alice");
    server.grant(Grant::new("alice", &["get", "list"], &["namespaces"]));
    server.grant(Grant::new("alice", &["get", "list"], &["*"]).in_namespaces(&["a"]));
    server
}

#[test]
fn ls_all_namespaces_shows_what_it_can_and_names_the_rest() {
    let server = partial_server();
    let env = Env::with_kubeconfig(&server.kubeconfig("t", Some("a"), Some("alice-token")));
    let run = env.owner(&["ls", "-A"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "\
NAMESPACE   KIND         NAME     TEAM     STAGE    AGE
a           Deployment   web      team-a   <none>   5d
a           Deployment   worker   other    <none>   5d
"
    );
    let warning = run
        .stderr
        .lines()
        .find(|l| l.contains("ownership unknown for:"))
        .expect("a warning names b");
    assert!(warning.contains("namespace b ("), "{warning}");
    assert!(warning.contains("deployments.apps"), "{warning}");
    assert!(!warning.contains("namespace a"), "{warning}");
    assert_eq!(
        run.stderr
            .lines()
            .filter(|l| l.contains("ownership unknown"))
            .count(),
        1,
        "one warning"
    );
    assert!(!run.stdout.contains("secret-project"));
}

#[test]
fn teams_shows_what_it_can_see() {
    let server = partial_server();
    let env = Env::with_kubeconfig(&server.kubeconfig("t", Some("a"), Some("alice-token")));
    let run = env.owner(&["teams", "-A", "-o", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let teams: Vec<&str> = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["team"].as_str())
        .collect();
    assert_eq!(teams, ["other", "team-a"]);
    assert!(run.stderr.contains("namespace b"));
}

#[test]
fn without_namespace_list_rights_the_context_namespace_is_tried() {
    let server = TestServer::start(ServerOptions::default());
    server.insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}));
    server.insert(deployment(&server, "a", "web", Some("web-team")));
    server.add_token("t", "bob");
    server
        .grant(Grant::new("bob", &["get", "list"], &["deployments", "pods"]).in_namespaces(&["a"]));
    let env = Env::with_kubeconfig(&server.kubeconfig("t", Some("a"), Some("t")));
    let run = env.owner(&["ls", "-A", "-o", "name"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "deployment.apps/web\n");
    assert!(
        run.stderr.contains("ownership unknown for:"),
        "{}",
        run.stderr
    );
}

#[test]
fn check_refuses_partial_data_unless_allowed() {
    let server = partial_server();
    let env = Env::with_kubeconfig(&server.kubeconfig("t", Some("a"), Some("alice-token")));
    let run = env.owner(&["check", "-A"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("namespace b"), "{}", run.stderr);
    assert!(run.stderr.contains("--allow-partial"), "{}", run.stderr);

    let run = env.owner(&["check", "-A", "--allow-partial", "-o", "json"]);
    assert_eq!(run.code, 0, "only warnings in a: {}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let names: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["worker", "web"],
        "a's objects only, grouped by team (other, team-a), each missing a stage"
    );
    assert_eq!(report["summary"]["checked"], 2);
    let unreadable = report["unreadable"].as_array().unwrap();
    assert!(
        unreadable
            .iter()
            .any(|u| u["namespace"] == "b" && u["resource"] == "deployments.apps"),
        "{unreadable:?}"
    );
    assert!(unreadable.iter().all(|u| u["namespace"] == "b"));
}

/// Namespace `a` (a user's own, everything readable there), and `b`: `lifecycle: retired`, with a
/// Deployment of a team the registry does not know. The user may not list namespaces.
fn bound_to_a_server() -> TestServer {
    let server = TestServer::start(ServerOptions::default());
    server.insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "labels": {"team": "team-a", "lifecycle": "production"}}}));
    server.insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b", "labels": {"lifecycle": "retired"}}}));
    server.insert(deployment(&server, "a", "web", None));
    server.insert(deployment(&server, "b", "legacy", Some("nobody-knows")));
    server.add_token("alice-token", "alice");
    server.grant(Grant::new("alice", &["get", "list"], &["*"]).in_namespaces(&["a"]));
    server
}

#[test]
fn check_all_namespaces_without_namespace_rights_cannot_pass() {
    let server = bound_to_a_server();
    let env = Env::with_kubeconfig(&server.kubeconfig("t", Some("a"), Some("alice-token")));
    let run = env.owner(&["check", "-A", "-o", "json"]);
    assert_eq!(
        run.code, 2,
        "a gate must not pass on what it did not see: {}",
        run.stderr
    );
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let unreadable = report["unreadable"].as_array().unwrap();
    assert!(
        unreadable
            .iter()
            .any(|u| u["namespace"].is_null() && u["resource"] == "namespaces"),
        "{unreadable:?}"
    );
    assert!(
        unreadable
            .iter()
            .any(|u| u["resource"] == "deployments.apps"
                && u["reason"]
                    .as_str()
                    .unwrap()
                    .contains("read in namespace a only, other namespaces may exist")),
        "{unreadable:?}"
    );
    assert!(
        run.stderr.contains("other namespaces may exist"),
        "{}",
        run.stderr
    );
    // --allow-partial checks what it saw, exits by its findings, and still names the rest.
    let run = env.owner(&["check", "-A", "--allow-partial", "-o", "json"]);
    assert_eq!(
        run.code, 0,
        "a's own labels were read (team-a, production): no finding: {}",
        run.stderr
    );
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["summary"]["checked"], 1);
    assert!(!report["unreadable"].as_array().unwrap().is_empty());
}

#[test]
fn check_one_namespace_whose_labels_cannot_be_read_cannot_pass() {
    let server = bound_to_a_server();
    server.add_token("bob-token", "bob");
    server.grant(
        Grant::new("bob", &["get", "list"], &crate::support::WORKLOAD_RESOURCES)
            .in_namespaces(&["b"]),
    );
    let env = Env::with_kubeconfig(&server.kubeconfig("t", Some("b"), Some("bob-token")));
    let run = env.owner(&["check", "-o", "json"]);
    assert_eq!(
        run.code, 2,
        "b's `retired` is unknown, not absent: {}",
        run.stderr
    );
    let report: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stderr));
    assert_eq!(
        report["unreadable"],
        json!([{"namespace": "b", "resource": "namespaces", "reason": "Forbidden"}])
    );
    assert!(
        run.stderr
            .contains("namespace b could not be read (Forbidden)"),
        "{}",
        run.stderr
    );
    // With the namespace readable, its `retired` stage is inherited and is an error.
    server.grant(Grant::new("bob", &["get"], &["namespaces"]));
    let run = env.owner(&["check", "-o", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("retired-present"), "{}", run.stdout);
}
