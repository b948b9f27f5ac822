//! The cluster's config (ConfigMap `kube-public/kubectl-owner`) fails closed: absent or forbidden
//! is "none", as documented; any other failure, or a document that does not parse, stops the
//! commands that write or judge by it and is a warning for the ones that only show.

use crate::support::{Env, Run, TestServer, demo_server};
use serde_json::{Value, json};
use test_apiserver::{Fault, FaultKind, Grant};

const CONFIGMAP: &str = "/namespaces/kube-public/configmaps/kubectl-owner";

fn env(server: &TestServer) -> Env {
    Env::new(server).env("KUBECTL_OWNER_TODAY", "2026-11-28")
}

fn json_of(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\nstderr: {}", run.stdout, run.stderr))
}

/// The demo cluster whose ConfigMap answers 500 to every read (retries included).
fn failing_configmap() -> TestServer {
    let server = demo_server();
    server.add_fault(Fault::new(
        CONFIGMAP,
        100,
        FaultKind::Status {
            code: 500,
            retry_after: None,
        },
    ));
    server
}

#[test]
fn an_unreadable_cluster_config_stops_check_and_assign_and_warns_ls() {
    let server = failing_configmap();
    let env = env(&server);
    let run = env.owner(&["check", "-A"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.first_stderr_line().starts_with(
            "error: could not read the cluster's config (configmap kube-public/kubectl-owner): Error from server (InternalError)"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--cluster-config=false"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
    let run = env.owner(&[
        "assign",
        "deploy/indexer",
        "-n",
        "search",
        "--team",
        "serch",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        server.writes().is_empty(),
        "nothing written without the registry that would have caught the typo"
    );
    // ls only shows: it warns and goes on.
    let run = env.owner(&["ls", "-n", "search", "-o", "name"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("deployment.apps/indexer"));
    assert!(
        run.stderr
            .contains("going on with the local config and defaults"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unparseable_cluster_config_stops_check() {
    let server = demo_server();
    server.insert(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "kubectl-owner", "namespace": "kube-public"},
        "data": {"config.yaml": "stages: [production\n"}
    }));
    let env = env(&server);
    let run = env.owner(&["check", "-A"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.first_stderr_line()
            .starts_with("error: config configmap kube-public/kubectl-owner"),
        "{}",
        run.stderr
    );
    let run = env.owner(&["teams", "-A"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("Warning: config configmap"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_forbidden_or_absent_cluster_config_is_none() {
    let server = demo_server();
    server.add_token("t", "alice");
    // Everything but ConfigMaps.
    server.grant(Grant::new(
        "alice",
        &["get", "list"],
        &[&["namespaces"][..], &crate::support::WORKLOAD_RESOURCES[..]].concat(),
    ));
    let env = Env::with_kubeconfig(&server.kubeconfig("t", None, Some("t")))
        .env("KUBECTL_OWNER_TODAY", "2026-11-28");
    let report = json_of(&env.owner(&["check", "-A", "-o", "json"]));
    assert_eq!(report["config"], json!([]), "defaults only");
    assert!(server.remove("configmaps", Some("kube-public"), "kubectl-owner"));
    let run = env.owner(&["check", "-A"]);
    assert!(
        run.stdout.ends_with("; config: defaults\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_report_names_its_config_sources_and_cluster_config_false_skips_the_configmap() {
    let server = demo_server();
    let env = env(&server);
    let local = env.home().join("owner.yaml");
    std::fs::write(
        &local,
        "stages: [experimental, production, deprecated, retired]\n",
    )
    .unwrap();
    let local_arg = local.display().to_string();
    let report = json_of(&env.owner(&["check", "-A", "--config", &local_arg, "-o", "json"]));
    let rv = server
        .object("configmaps", Some("kube-public"), "kubectl-owner")
        .unwrap()["metadata"]["resourceVersion"]
        .clone();
    assert_eq!(
        report["config"],
        json!([
            {"kind": "File", "name": local_arg},
            {"kind": "ConfigMap", "name": "kube-public/kubectl-owner", "resourceVersion": rv}
        ])
    );
    server.clear_requests();
    let run = env.owner(&[
        "check",
        "-A",
        "--config",
        &local_arg,
        "--cluster-config=false",
    ]);
    assert!(
        run.stdout.ends_with(&format!("; config: {local_arg}\n")),
        "{}",
        run.stdout
    );
    assert_eq!(
        server.count(None, CONFIGMAP),
        0,
        "the ConfigMap is not read"
    );
    // Without the cluster's registry, `dta` is no longer an unknown team.
    assert!(!run.stdout.contains("unknown-team"), "{}", run.stdout);
}
