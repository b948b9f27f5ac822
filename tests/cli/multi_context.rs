//! Several clusters at once: `--contexts a,b,c` and `--all-contexts` on `ls`, `teams` and `check`.

use crate::support::{Env, TestServer, demo_server, readme};
use serde_json::json;

/// One kubeconfig with a context per server (`name` → url), plus a dead one.
fn kubeconfig(contexts: &[(&str, String)]) -> String {
    let mut clusters = String::new();
    let mut ctxs = String::new();
    let mut users = String::new();
    for (name, url) in contexts {
        clusters.push_str(&format!("- name: {name}\n  cluster:\n    server: {url}\n"));
        ctxs.push_str(&format!(
            "- name: {name}\n  context:\n    cluster: {name}\n    user: {name}\n    namespace: payments\n"
        ));
        users.push_str(&format!("- name: {name}\n  user: {{}}\n"));
    }
    format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: {}\nclusters:\n{clusters}contexts:\n{ctxs}users:\n{users}",
        contexts[0].0
    )
}

/// A fixed age, so the AGE column does not depend on when the test runs.
fn five_days_before(server: &TestServer) -> String {
    (server.start_time() - jiff::SignedDuration::from_hours(5 * 24)).to_string()
}

fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port())
}

struct Fleet {
    _servers: Vec<TestServer>,
    env: Env,
    dead: String,
}

/// `prod` and `staging` are demo clusters (staging has one more deployment); `dr` is down.
fn fleet() -> Fleet {
    let prod = demo_server();
    let staging = demo_server();
    staging.insert(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "canary", "namespace": "payments", "labels": {"app": "canary", "lifecycle": "experimental"},
                     "creationTimestamp": five_days_before(&staging)},
        "spec": {"selector": {"matchLabels": {"app": "canary"}},
                 "template": {"metadata": {"labels": {"app": "canary"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}}}
    }));
    let dead = dead_url();
    let env = Env::with_kubeconfig(&kubeconfig(&[
        ("prod", prod.url()),
        ("staging", staging.url()),
        ("dr", dead.clone()),
    ]));
    Fleet {
        _servers: vec![prod, staging],
        env,
        dead,
    }
}

#[test]
fn ls_all_contexts_merges_live_clusters_and_names_the_dead_one() {
    let f = fleet();
    let run = f.env.owner(&["ls", "--all-contexts", "-n", "payments"]);
    assert_eq!(run.code, 1, "a failed cluster makes the exit code 1");
    // README's example: the dead cluster's error line (stderr, one line), then the live clusters'
    // rows (stdout).
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    readme::assert_example(
        "ls_all_contexts",
        "kubectl owner ls --all-contexts -n payments",
        &readme::shown(&run),
        run.code,
    );
    let host = f.dead.trim_start_matches("http://");
    assert!(
        run.stderr.contains(&format!(
            "error: context \"dr\": The connection to the server {host} was refused - did you specify the right host or port?"
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn ls_all_namespaces_all_contexts_with_one_cluster_down() {
    let f = fleet();
    let run = f.env.owner(&["ls", "-A", "--all-contexts"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let contexts: std::collections::BTreeSet<&str> = run
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        contexts,
        ["prod", "staging"].into_iter().collect(),
        "rows from both live clusters"
    );
    assert_eq!(
        run.stdout.lines().count(),
        1 + 20 + 21,
        "every workload of each live cluster"
    );
    let header: Vec<&str> = run
        .stdout
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        [
            "CONTEXT",
            "NAMESPACE",
            "KIND",
            "NAME",
            "TEAM",
            "STAGE",
            "AGE"
        ]
    );
    assert_eq!(
        run.stderr
            .lines()
            .filter(|l| l.starts_with("error: context \"dr\":"))
            .count(),
        1,
        "{}",
        run.stderr
    );
}

#[test]
fn ls_all_namespaces_across_named_contexts_has_both_columns() {
    let f = fleet();
    let run = f
        .env
        .owner(&["ls", "-A", "--contexts", "prod,staging", "--unowned"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "\
CONTEXT   NAMESPACE   KIND         NAME             TEAM     STAGE    AGE
prod      default     Pod          debug-shell      <none>   <none>   2d
prod      labs        Deployment   notebook         <none>   <none>   30d
prod      search      CronJob      reindex          <none>   <none>   30d
prod      search      Deployment   indexer          <none>   <none>   30d
prod      shop        Deployment   payment-widget   <none>   <none>   30d
prod      shop        Deployment   recs             <none>   <none>   30d
prod      shop        Deployment   search-proxy     <none>   <none>   30d
staging   default     Pod          debug-shell      <none>   <none>   2d
staging   labs        Deployment   notebook         <none>   <none>   30d
staging   search      CronJob      reindex          <none>   <none>   30d
staging   search      Deployment   indexer          <none>   <none>   30d
staging   shop        Deployment   payment-widget   <none>   <none>   30d
staging   shop        Deployment   recs             <none>   <none>   30d
staging   shop        Deployment   search-proxy     <none>   <none>   30d
"
    );
    let json = f.env.owner(&[
        "ls",
        "-A",
        "--contexts",
        "prod,staging",
        "-o",
        "json",
        "--unowned",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let contexts: Vec<&str> = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["context"].as_str().unwrap())
        .collect();
    assert_eq!(
        contexts,
        [
            "prod", "prod", "prod", "prod", "prod", "prod", "prod", "staging", "staging",
            "staging", "staging", "staging", "staging", "staging"
        ]
    );
}

#[test]
fn teams_across_contexts() {
    let f = fleet();
    let run = f.env.owner(&["teams", "--contexts", "prod,staging,dr"]);
    assert_eq!(run.code, 1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[0].starts_with("CONTEXT   TEAM       WORKLOADS"),
        "{}",
        run.stdout
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("prod      payments   2 ")),
        "{}",
        run.stdout
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("staging   payments   3 ")),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("context \"dr\""));
}

#[test]
fn check_across_contexts_exits_2_when_one_is_down() {
    let f = fleet();
    let env = f.env;
    let run = env.owner(&["check", "-A", "--contexts", "prod,staging", "-o", "json"]);
    assert_eq!(
        run.code, 1,
        "findings, every cluster checked: {}",
        run.stderr
    );
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        report["summary"]["checked"],
        19 + 20,
        "staging has the extra canary"
    );
    let indexer: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["name"] == "indexer" && f["rule"] == "missing-team")
        .map(|f| f["context"].as_str().unwrap())
        .collect();
    assert_eq!(indexer, ["prod", "staging"]);
    let run = env.owner(&["check", "-A", "--all-contexts"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("CONTEXT   NAMESPACE"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("context \"dr\""), "{}", run.stderr);
}

#[test]
fn who_refuses_several_contexts() {
    let f = fleet();
    let run = f.env.owner(&["who", "deploy/api", "--all-contexts"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.first_stderr_line(),
        "error: --contexts and --all-contexts apply to ls, teams and check only"
    );
}

/// A cluster that answers too slowly costs the fleet one `--request-timeout`: it is named with
/// the timeout, and the others are listed.
#[test]
fn a_slow_cluster_is_named_and_bounded_by_the_request_timeout() {
    let fast = demo_server();
    let slow = demo_server();
    slow.add_fault(test_apiserver::Fault::new(
        "/",
        1000,
        test_apiserver::FaultKind::Latency(std::time::Duration::from_secs(20)),
    ));
    let env = Env::with_kubeconfig(&kubeconfig(&[("fast", fast.url()), ("slow", slow.url())]));
    let started = std::time::Instant::now();
    let run = env.owner(&["ls", "--all-contexts", "-o", "name", "--request-timeout=1s"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("deployment.apps/api"), "{}", run.stdout);
    let named = run
        .stderr
        .lines()
        .find(|l| l.starts_with("error: context \"slow\""))
        .unwrap_or_else(|| panic!("{}", run.stderr));
    assert!(named.contains("timed out after 1s"), "{named}");
    // Not a measure of speed: only that the 20 s answer was never waited for.
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
}

/// A context whose listing fails part-way shows none of its rows: it is named, and only the
/// others are listed.
#[test]
fn a_context_failing_part_way_prints_none_of_its_rows() {
    let good = demo_server();
    let bad = demo_server();
    crate::support::bulk_pods(&bad, 1200, serde_json::json!({}));
    bad.add_fault(test_apiserver::Fault::new(
        "continue=",
        100,
        test_apiserver::FaultKind::Status {
            code: 400,
            retry_after: None,
        },
    ));
    let env = Env::with_kubeconfig(&kubeconfig(&[("good", good.url()), ("bad", bad.url())]));
    let run = env.owner(&["ls", "pods", "-A", "--all-contexts", "-o", "name"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .lines()
            .any(|l| l.starts_with("error: context \"bad\"")),
        "{}",
        run.stderr
    );
    assert!(
        !run.stdout.contains("bulk-"),
        "rows of the failed context were printed"
    );
    let alone = Env::with_kubeconfig(&kubeconfig(&[("good", good.url())]))
        .owner(&["ls", "pods", "-A", "-o", "name"]);
    assert_eq!(run.stdout, alone.stdout);
    // The table too: no row, and no width, from the failed context.
    let table = env.owner(&["ls", "pods", "-A", "--all-contexts"]);
    assert!(!table.stdout.contains("bulk-"), "{}", table.stdout);
}
