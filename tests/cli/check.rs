//! `kubectl owner check` end to end: the real binary against the test API server's demo seed.
//! "Today" is fixed with `KUBECTL_OWNER_TODAY` so dates are deterministic.

use crate::support::{Env, Run, TestServer, demo_server, readme};
use serde_json::{Value, json};

const TODAY: &str = "2026-03-01";

/// The demo seed's violations, each exactly once: (namespace, kind, name, rule).
const DEMO_FINDINGS: &[(&str, &str, &str, &str)] = &[
    ("checkout", "Deployment", "cart", "past-sunset"),
    ("data", "Deployment", "reports", "unknown-team"),
    ("data", "Job", "backfill", "missing-stage"),
    ("default", "Pod", "debug-shell", "missing-team"),
    ("default", "Pod", "debug-shell", "missing-stage"),
    ("search", "CronJob", "reindex", "missing-team"),
    ("search", "CronJob", "reindex", "missing-stage"),
    ("search", "Deployment", "indexer", "missing-team"),
    ("search", "Deployment", "indexer", "missing-stage"),
    ("labs", "Deployment", "notebook", "missing-team"),
    ("labs", "Deployment", "notebook", "missing-stage"),
    ("shop", "Deployment", "search-proxy", "missing-team"),
    ("shop", "Deployment", "search-proxy", "missing-stage"),
    ("shop", "Deployment", "payment-widget", "missing-team"),
    ("shop", "Deployment", "payment-widget", "missing-stage"),
    ("shop", "Deployment", "recs", "missing-team"),
    ("shop", "Deployment", "recs", "missing-stage"),
];

fn env(server: &TestServer) -> Env {
    Env::new(server).env("KUBECTL_OWNER_TODAY", TODAY)
}

fn json_of(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\nstderr: {}", run.stdout, run.stderr))
}

fn keys(report: &Value) -> Vec<(String, String, String, String)> {
    let s = |v: &Value| v.as_str().unwrap_or("<null>").to_string();
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                s(&f["namespace"]),
                s(&f["kind"]),
                s(&f["name"]),
                s(&f["rule"]),
            )
        })
        .collect()
}

fn sorted(mut v: Vec<(String, String, String, String)>) -> Vec<(String, String, String, String)> {
    v.sort();
    v
}

fn demo_keys() -> Vec<(String, String, String, String)> {
    sorted(
        DEMO_FINDINGS
            .iter()
            .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
            .collect(),
    )
}

/// The table's data rows (header, blank line and summary removed), split into cells.
fn table_rows(stdout: &str) -> Vec<Vec<String>> {
    stdout
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| {
            l.split("   ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect()
        })
        .collect()
}

#[test]
fn demo_seed_reports_each_violation_once_and_exits_1() {
    let server = demo_server();
    let env = env(&server);
    let run = env.owner(&["check", "-A", "-o", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json_of(&run);
    assert_eq!(report["apiVersion"], "kubectl-owner/v1");
    assert_eq!(report["kind"], "CheckReport");
    assert_eq!(sorted(keys(&report)), demo_keys());
    assert_eq!(
        report["summary"],
        json!({"checked": 19, "compliant": 9, "errors": 9, "warnings": 8, "exempt": 1, "coverage": 63.2})
    );
    assert_eq!(
        report["exempt"],
        json!([{"namespace": "kube-system", "kind": "DaemonSet", "name": "node-exporter",
                "reason": "node agent managed by the platform add-on"}])
    );
    assert_eq!(report["unreadable"], json!([]));
    let cart = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "cart")
        .unwrap();
    assert_eq!(cart["severity"], "error");
    assert_eq!(cart["team"], "checkout");
    assert_eq!(cart["detail"], "sunset 2025-06-30 passed 244 days ago");
}

#[test]
fn demo_seed_table() {
    let server = demo_server();
    let run = env(&server).owner(&["check", "-A"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let expected = "\
NAMESPACE     KIND         NAME             TEAM       RULE            SEVERITY   DETAIL
checkout      Deployment   cart             checkout   past-sunset     error      sunset 2025-06-30 passed 244 days ago
data          Job          backfill         data       missing-stage   warning    no lifecycle stage
data          Deployment   reports          dta        unknown-team    error      team \"dta\" is not in the team registry (did you mean \"data\"?)
default       Pod          debug-shell      <none>     missing-team    error      no team on the object, its controllers or its namespace
default       Pod          debug-shell      <none>     missing-stage   warning    no lifecycle stage
labs          Deployment   notebook         <none>     missing-team    error      no team on the object, its controllers or its namespace
labs          Deployment   notebook         <none>     missing-stage   warning    no lifecycle stage
search        CronJob      reindex          <none>     missing-team    error      no team on the object, its controllers or its namespace
search        CronJob      reindex          <none>     missing-stage   warning    no lifecycle stage
search        Deployment   indexer          <none>     missing-team    error      no team on the object, its controllers or its namespace
search        Deployment   indexer          <none>     missing-stage   warning    no lifecycle stage
shop          Deployment   payment-widget   <none>     missing-team    error      no team on the object, its controllers or its namespace
shop          Deployment   payment-widget   <none>     missing-stage   warning    no lifecycle stage
shop          Deployment   recs             <none>     missing-team    error      no team on the object, its controllers or its namespace
shop          Deployment   recs             <none>     missing-stage   warning    no lifecycle stage
shop          Deployment   search-proxy     <none>     missing-team    error      no team on the object, its controllers or its namespace
shop          Deployment   search-proxy     <none>     missing-stage   warning    no lifecycle stage
kube-system   DaemonSet    node-exporter    platform   exempt          -          node agent managed by the platform add-on

19 checked, 9 compliant, 9 errors, 8 warnings, 1 exempt, coverage 63.2%; config: configmap kube-public/kubectl-owner (resourceVersion 51)
";
    assert_eq!(run.stdout, expected);
    assert_eq!(run.stderr, "");
}

/// README's `check -A` on the demo cluster, "on 2026-11-28" as README says.
#[test]
fn readme_example_on_the_date_readme_states() {
    let server = demo_server();
    let run = Env::new(&server)
        .env("KUBECTL_OWNER_TODAY", "2026-11-28")
        .owner(&["check", "-A"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    readme::assert_example("check_all", "kubectl owner check -A", &run.stdout, run.code);
}

#[test]
fn fail_on_levels_and_yaml() {
    let server = demo_server();
    let env = env(&server);
    let run = env.owner(&["check", "-A", "--fail-on", "never"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("9 errors, 8 warnings"),
        "{}",
        run.stdout
    );
    // Only warnings in data: exit 0 on error, 1 on warning.
    let run = env.owner(&["check", "-n", "data"]);
    assert_eq!(run.code, 1, "reports has unknown-team: {}", run.stdout);
    let run = env.owner(&["check", "-n", "data", "-l", "app=backfill"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("missing-stage"), "{}", run.stdout);
    let run = env.owner(&[
        "check",
        "-n",
        "data",
        "-l",
        "app=backfill",
        "--fail-on",
        "warning",
    ]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    // -o yaml is the same document.
    let run = env.owner(&["check", "-A", "-o", "yaml", "--fail-on", "never"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let yaml: Value = serde_saphyr::from_str(&run.stdout).unwrap();
    assert_eq!(yaml["kind"], "CheckReport");
    assert_eq!(sorted(keys(&yaml)), demo_keys());
}

#[test]
fn compliant_namespace_exits_0_with_only_the_summary() {
    let server = demo_server();
    let run = env(&server).owner(&["check", "-n", "payments"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "3 checked, 3 compliant, 0 errors, 0 warnings, 0 exempt, coverage 100.0%; config: configmap kube-public/kubectl-owner (resourceVersion 51)\n"
    );
}

#[test]
fn connection_failure_exits_2() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let kubeconfig = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:{port}\n\
         contexts:\n- name: c\n  context:\n    cluster: c\n    user: c\nusers:\n- name: c\n  user: {{}}\n"
    );
    let env = Env::with_kubeconfig(&kubeconfig).env("KUBECTL_OWNER_TODAY", TODAY);
    let run = env.owner(&["check", "-A"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains(&format!("127.0.0.1:{port}")),
        "{}",
        run.stderr
    );
    // Same for a bad flag value that clap does not see and one it does.
    let run = env.owner(&["check", "-A", "--request-timeout", "soon"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = env.owner(&["check", "--fail-on", "sometimes"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = env.owner(&["check", "--group-by", "colour"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn local_errors_exit_2_before_any_request() {
    let server = demo_server();
    let env = env(&server);
    let run = env.owner(&["check", "-A", "-l", "a in (b"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = env.owner(&["check", "-A", "--baseline", "missing.json"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: --baseline missing.json: cannot read file"),
        "{}",
        run.stderr
    );
    std::fs::write(
        env.home().join("bad.json"),
        "{\"kind\": \"OwnershipList\", \"items\": []}",
    )
    .unwrap();
    let run = env.owner(&["check", "-A", "--baseline", "bad.json"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: --baseline bad.json: not a check report"),
        "{}",
        run.stderr
    );
    let run = env
        .clone_with("KUBECTL_OWNER_TODAY", "01/03/2026")
        .owner(&["check", "-A"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: KUBECTL_OWNER_TODAY: invalid date"),
        "{}",
        run.stderr
    );
    assert!(
        server.requests().is_empty(),
        "local errors fail before any request"
    );
    let run = env.owner(&["check", "deploy/api"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("check takes resource types, not names"),
        "{}",
        run.stderr
    );
    let run = env.owner(&["check", "widgets"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

trait CloneWith {
    fn clone_with(&self, key: &str, value: &str) -> Env;
}

impl CloneWith for Env {
    /// A second Env on the same kubeconfig with one more variable (later values win).
    fn clone_with(&self, key: &str, value: &str) -> Env {
        let text = std::fs::read_to_string(&self.kubeconfig).unwrap();
        let mut e = Env::with_kubeconfig(&text);
        for (k, v) in &self.extra_env {
            e = e.env(k, v);
        }
        e.env(key, value)
    }
}

#[test]
fn baseline_reports_only_new_findings() {
    let server = demo_server();
    let env = env(&server);
    let first = env.owner(&["check", "-A", "-o", "json"]);
    assert_eq!(first.code, 1);
    let baseline = env.home().join("baseline.json");
    std::fs::write(&baseline, &first.stdout).unwrap();

    // Nothing new: compliant against the baseline.
    let run = env.owner(&["check", "-A", "--baseline", baseline.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("17 known findings suppressed by baseline"),
        "{}",
        run.stderr
    );

    server.insert(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "newcomer", "namespace": "default", "labels": {"lifecycle": "production"}},
        "spec": {"selector": {"matchLabels": {"app": "newcomer"}},
                 "template": {"metadata": {"labels": {"app": "newcomer"}}, "spec": {"containers": []}}}
    }));
    let run = env.owner(&[
        "check",
        "-A",
        "-o",
        "json",
        "--baseline",
        baseline.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json_of(&run);
    assert_eq!(
        keys(&report),
        [(
            "default".to_string(),
            "Deployment".to_string(),
            "newcomer".to_string(),
            "missing-team".to_string()
        )]
    );
    assert_eq!(report["summary"]["errors"], 1);
    assert_eq!(report["summary"]["warnings"], 0);
    assert!(
        run.stderr.contains("17 known findings suppressed"),
        "{}",
        run.stderr
    );

    // The table shows the same single row.
    let run = env.owner(&["check", "-A", "--baseline", baseline.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    let rows = table_rows(&run.stdout);
    assert_eq!(
        rows.len(),
        2,
        "the new finding and the exempt row: {}",
        run.stdout
    );
    assert_eq!(rows[0][2], "newcomer");
}

#[test]
fn registry_from_the_configmap_and_local_entry_wins() {
    let server = demo_server();
    let env = env(&server);
    // No local file: the ConfigMap's registry validates teams (and its kube-* rule owns kube-system).
    let report = json_of(&env.owner(&["check", "-n", "data", "-o", "json"]));
    assert_eq!(
        sorted(keys(&report)),
        [
            (
                "data".into(),
                "Deployment".into(),
                "reports".into(),
                "unknown-team".into()
            ),
            (
                "data".into(),
                "Job".into(),
                "backfill".into(),
                "missing-stage".into()
            ),
        ]
    );
    // A local entry for `data` replaces the cluster's (whose alias `data-eng` etl uses).
    let dir = env.home().join(".config/kubectl-owner");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.yaml"),
        "teams:\n  - name: data\n    aliases: [dta]\n",
    )
    .unwrap();
    let run = env.owner(&["check", "-n", "data", "-o", "json"]);
    let report = json_of(&run);
    assert_eq!(
        sorted(keys(&report)),
        [
            (
                "data".into(),
                "Deployment".into(),
                "etl".into(),
                "unknown-team".into()
            ),
            (
                "data".into(),
                "Job".into(),
                "backfill".into(),
                "missing-stage".into()
            ),
        ],
        "{}",
        run.stdout
    );
    // Other cluster teams are still known.
    let run = env.owner(&["check", "-n", "checkout", "-o", "json"]);
    assert_eq!(
        keys(&json_of(&run)),
        [(
            "checkout".into(),
            "Deployment".into(),
            "cart".into(),
            "past-sunset".into()
        )]
    );
}

#[test]
fn config_typo_names_file_line_and_field_exit_2() {
    let server = demo_server();
    let env = env(&server);
    let path = env.home().join("owner.yaml");
    std::fs::write(
        &path,
        "stages: [experimental, production]\ncheck:\n  sunsetWarningDay: 10\n",
    )
    .unwrap();
    let run = env.owner(&["check", "-A", "--config", path.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    let line = run.first_stderr_line();
    assert!(
        line.starts_with(&format!("error: config {}: line 3", path.display())),
        "{line}"
    );
    assert!(
        line.contains("sunsetWarningDay") && line.contains("did you mean \"sunsetWarningDays\""),
        "{line}"
    );
    assert!(
        server.requests().is_empty(),
        "a broken config fails before any request"
    );
}

#[test]
fn config_severity_override_and_warning_window() {
    let server = demo_server();
    let env = env(&server);
    let path = env.home().join("owner.yaml");
    std::fs::write(
        &path,
        "check:\n  sunsetWarningDays: 400\n  severity: {missing-stage: error}\n",
    )
    .unwrap();
    let config = path.to_str().unwrap();
    let run = env.owner(&[
        "check",
        "-n",
        "data",
        "-l",
        "app=backfill",
        "--config",
        config,
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 1, "missing-stage is an error now: {}", run.stdout);
    assert_eq!(json_of(&run)["findings"][0]["severity"], "error");
    // A year earlier the cart's sunset is ahead: sunset-soon within the 400-day window.
    let run = env
        .clone_with("KUBECTL_OWNER_TODAY", "2025-06-01")
        .owner(&["check", "-n", "checkout", "--config", config, "-o", "json"]);
    let report = json_of(&run);
    assert_eq!(report["findings"][0]["rule"], "sunset-soon");
    assert_eq!(
        report["findings"][0]["detail"],
        "sunset 2025-06-30 is in 29 days"
    );
    assert_eq!(run.code, 0, "a warning does not fail by default");
}

#[test]
fn unknown_team_did_you_mean_name_and_alias() {
    let server = demo_server();
    server.insert(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "refunds", "namespace": "payments", "labels": {"team": "payments-olf"}},
        "spec": {"selector": {"matchLabels": {"app": "refunds"}},
                 "template": {"metadata": {"labels": {"app": "refunds"}}, "spec": {"containers": []}}}
    }));
    let env = env(&server);
    let report = json_of(&env.owner(&["check", "-A", "-o", "json"]));
    let detail = |name: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name && f["rule"] == "unknown-team")
            .map(|f| f["detail"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no unknown-team for {name}"))
    };
    assert_eq!(
        detail("reports"),
        "team \"dta\" is not in the team registry (did you mean \"data\"?)"
    );
    assert_eq!(
        detail("refunds"),
        "team \"payments-olf\" is not in the team registry (did you mean \"payments\"? alias \"payments-old\")"
    );
    // The exact alias is known (checkout/notifier uses checkout-old): no finding.
    assert!(!keys(&report).iter().any(|k| k.2 == "notifier"));
}

#[test]
fn group_by_namespace_and_rule_order_rows() {
    let server = demo_server();
    let env = env(&server);
    let by_ns = table_rows(
        &env.owner(&["check", "-A", "--group-by", "namespace"])
            .stdout,
    );
    let findings: Vec<&Vec<String>> = by_ns.iter().filter(|r| r[4] != "exempt").collect();
    let namespaces: Vec<&str> = findings.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        namespaces,
        [
            "checkout", "data", "data", "default", "default", "labs", "labs", "search", "search",
            "search", "search", "shop", "shop", "shop", "shop", "shop", "shop"
        ]
    );
    let names: Vec<&str> = findings.iter().map(|r| r[2].as_str()).collect();
    assert_eq!(
        names[1..3],
        ["reports", "backfill"],
        "within a namespace: kind, then name"
    );
    assert_eq!(by_ns.last().unwrap()[4], "exempt");

    let by_rule = table_rows(&env.owner(&["check", "-A", "--group-by", "rule"]).stdout);
    let rules: Vec<&str> = by_rule.iter().map(|r| r[4].as_str()).collect();
    assert_eq!(
        rules,
        [
            "missing-stage",
            "missing-stage",
            "missing-stage",
            "missing-stage",
            "missing-stage",
            "missing-stage",
            "missing-stage",
            "missing-stage",
            "missing-team",
            "missing-team",
            "missing-team",
            "missing-team",
            "missing-team",
            "missing-team",
            "missing-team",
            "past-sunset",
            "unknown-team",
            "exempt"
        ]
    );
    let json = json_of(&env.owner(&["check", "-A", "--group-by", "rule", "-o", "json"]));
    let rules: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.windows(2).all(|w| w[0] <= w[1]), "{rules:?}");

    // Default: by team, unowned last.
    let by_team = table_rows(&env.owner(&["check", "-A"]).stdout);
    let teams: Vec<&str> = by_team
        .iter()
        .filter(|r| r[4] != "exempt")
        .map(|r| r[3].as_str())
        .collect();
    assert_eq!(
        teams,
        [
            "checkout", "data", "dta", "<none>", "<none>", "<none>", "<none>", "<none>", "<none>",
            "<none>", "<none>", "<none>", "<none>", "<none>", "<none>", "<none>", "<none>"
        ]
    );
}

#[test]
fn types_and_exemption_inherited_from_the_namespace() {
    let server = demo_server();
    server.insert(json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "legacy", "annotations": {"kubectl-owner/exempt": "frozen until the migration"}}
    }));
    server.insert(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "old", "namespace": "legacy"},
        "spec": {"selector": {"matchLabels": {"app": "old"}},
                 "template": {"metadata": {"labels": {"app": "old"}}, "spec": {"containers": []}}}
    }));
    let env = env(&server);
    let report = json_of(&env.owner(&["check", "deploy", "-A", "-o", "json"]));
    assert!(
        keys(&report).iter().all(|k| k.1 == "Deployment"),
        "{report}"
    );
    // cart (past-sunset), reports (unknown-team), and missing-team and missing-stage for each of
    // the unowned indexer, notebook, payment-widget, recs and search-proxy.
    assert_eq!(report["findings"].as_array().unwrap().len(), 12, "{report}");
    let exempt: Vec<&str> = report["exempt"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(exempt, ["old"]);
    assert_eq!(report["exempt"][0]["reason"], "frozen until the migration");

    // Namespaces as rows: cluster-scoped findings have a null namespace.
    let report = json_of(&env.owner(&["check", "ns", "-o", "json"]));
    let search: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["name"] == "search")
        .collect();
    assert_eq!(search.len(), 2);
    assert_eq!(search[0]["namespace"], Value::Null);
    assert_eq!(search[0]["kind"], "Namespace");
}
