//! Reports where people already look: JUnit, Markdown, PolicyReport, HTML (rendered in headless
//! Chromium) and Backstage, each checked against the `check -o json` report of the same cluster.

use std::path::{Path, PathBuf};
use std::process::Command;

use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::Value;

use crate::support::{Env, TestServer, bulk_pods, demo_server, readme};

const TODAY: &str = "2026-11-28";

fn env(server: &TestServer) -> Env {
    Env::new(server).env("KUBECTL_OWNER_TODAY", TODAY)
}

/// `check -A -o json`'s summary.
fn summary(env: &Env) -> Value {
    let run = env.owner(&["check", "-A", "-o", "json"]);
    serde_json::from_str::<Value>(&run.stdout).unwrap()["summary"].clone()
}

fn count(v: &Value, key: &str) -> usize {
    v[key].as_u64().unwrap() as usize
}

/// How many elements of each name the XML holds (parsed, not searched as text).
fn elements(xml: &str) -> std::collections::BTreeMap<String, usize> {
    let mut reader = Reader::from_str(xml);
    let mut counts = std::collections::BTreeMap::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                *counts.entry(name).or_default() += 1;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    counts
}

#[test]
fn junit_counts_equal_the_check_report() {
    let server = demo_server();
    let env = env(&server);
    let s = summary(&env);
    for (fail_on, failing) in [
        ("error", count(&s, "errors")),
        ("warning", count(&s, "errors") + count(&s, "warnings")),
    ] {
        let run = env.owner(&["check", "-A", "-o", "junit", "--fail-on", fail_on]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        let e = elements(&run.stdout);
        assert_eq!(e["testcase"], count(&s, "checked") + count(&s, "exempt"));
        assert_eq!(e["skipped"], count(&s, "exempt"));
        assert_eq!(e["failure"], failing, "--fail-on {fail_on}");
        // One suite per team, the unowned last.
        assert!(run.stdout.contains("<testsuite name=\"team checkout\""));
        let unowned = run.stdout.find("name=\"unowned\"").unwrap();
        assert!(run.stdout[unowned..].find("<testsuite ").is_none());
    }
    let below = env.owner(&["check", "-A", "-o", "junit"]);
    assert_eq!(
        elements(&below.stdout)["system-out"],
        8,
        "the warnings below --fail-on error, one object each"
    );
    let run = env.owner(&["check", "-n", "checkout", "-o", "junit"]);
    readme::assert_example(
        "check_junit",
        "kubectl owner check -n checkout -o junit",
        &run.stdout,
        run.code,
    );
}

#[test]
fn markdown_summarises_and_folds_long_groups() {
    let server = demo_server();
    let env = env(&server);
    let run = env.owner(&["check", "-A", "-o", "markdown"]);
    assert_eq!(run.code, 1);
    readme::assert_example(
        "check_markdown",
        "kubectl owner check -A -o markdown",
        &run.stdout,
        run.code,
    );
    // The demo's seven unowned workloads make 14 no-team findings: that group folds, the short
    // ones stay open.
    assert!(
        run.stdout
            .contains("<details><summary>no team (14 findings)</summary>"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("#### team checkout (1 finding)"));
    let by_rule = env.owner(&["check", "-A", "-o", "markdown", "--group-by", "rule"]);
    assert!(
        by_rule
            .stdout
            .contains("#### rule missing-team (7 findings)"),
        "{}",
        by_rule.stdout
    );
    assert!(
        by_rule
            .stdout
            .contains("#### rule missing-stage (8 findings)"),
        "{}",
        by_rule.stdout
    );
    // Twelve more unowned bare pods: two findings each in the no-team group, and the rule groups
    // grow past ten and fold too.
    bulk_pods(&server, 12, serde_json::json!({}));
    let long = env.owner(&["check", "-A", "-o", "markdown"]);
    assert!(
        long.stdout
            .contains("<details><summary>no team (38 findings)</summary>"),
        "{}",
        long.stdout
    );
    assert!(long.stdout.contains("#### team checkout (1 finding)"));
    let long_by_rule = env.owner(&["check", "-A", "-o", "markdown", "--group-by", "rule"]);
    assert!(
        long_by_rule
            .stdout
            .contains("<details><summary>rule missing-team (19 findings)</summary>"),
        "{}",
        long_by_rule.stdout
    );
}

/// A YAML stream's documents as JSON values.
fn documents(yaml: &str) -> Vec<Value> {
    serde_saphyr::from_multiple(yaml).expect("a YAML stream")
}

#[test]
fn policy_reports_follow_the_schema_and_count_as_check_does() {
    let server = demo_server();
    let env = env(&server);
    let s = summary(&env);
    let run = env.owner(&["check", "-A", "-o", "policyreport"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let reports = documents(&run.stdout);
    let kinds: Vec<&str> = reports
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.iter().all(|k| *k == "PolicyReport"), "{kinds:?}");
    let namespaces: Vec<&str> = reports
        .iter()
        .map(|r| r["metadata"]["namespace"].as_str().unwrap())
        .collect();
    assert_eq!(
        namespaces,
        [
            "checkout",
            "data",
            "default",
            "kube-system",
            "labs",
            "payments",
            "search",
            "shop"
        ]
    );
    let mut totals = std::collections::BTreeMap::new();
    for r in &reports {
        assert_eq!(r["apiVersion"], "wgpolicyk8s.io/v1alpha2");
        assert_eq!(r["metadata"]["name"], "kubectl-owner");
        let results = r["results"].as_array().unwrap();
        for (key, n) in r["summary"].as_object().unwrap() {
            let counted = results.iter().filter(|x| x["result"] == *key).count();
            assert_eq!(n.as_u64().unwrap() as usize, counted, "{key}");
            *totals.entry(key.clone()).or_insert(0) += counted;
        }
        for result in results {
            assert_eq!(result["policy"], "kubectl-owner");
            assert!(result["rule"].is_string() && result["message"].is_string());
            let resource = &result["resources"][0];
            for field in ["apiVersion", "kind", "name", "namespace", "uid"] {
                assert!(resource[field].is_string(), "{field}: {result}");
            }
            if result["result"] == "fail" || result["result"] == "warn" {
                assert!(["high", "medium"].contains(&result["severity"].as_str().unwrap()));
            }
        }
    }
    assert_eq!(totals["pass"], count(&s, "compliant"));
    assert_eq!(totals["fail"], count(&s, "errors"));
    assert_eq!(totals["warn"], count(&s, "warnings"));
    assert_eq!(totals["skip"], count(&s, "exempt"));
    assert_eq!(totals["error"], 0);

    // `check -A -o policyreport | kubectl apply -f -`: the API server takes every report.
    if crate::support::kubectl_available() {
        let file = env.home().join("reports.yaml");
        std::fs::write(&file, &run.stdout).unwrap();
        let applied = env.kubectl(&["apply", "-f", file.to_str().unwrap()]);
        assert_eq!(applied.code, 0, "{}", applied.stderr);
        assert_eq!(applied.stdout.matches(" created\n").count(), reports.len());
        let stored = server
            .object("policyreports", Some("checkout"), "kubectl-owner")
            .unwrap();
        assert_eq!(stored["summary"], reports[0]["summary"]);
    }
    // Cluster-scoped objects go in the ClusterPolicyReport.
    let namespaces = documents(&env.owner(&["check", "ns", "-o", "policyreport"]).stdout);
    assert_eq!(namespaces.len(), 1);
    assert_eq!(namespaces[0]["kind"], "ClusterPolicyReport");
    assert!(namespaces[0]["metadata"].get("namespace").is_none());
    assert_eq!(
        namespaces[0]["results"][0]["resources"][0]["kind"],
        "Namespace"
    );

    let one = env.owner(&["check", "-n", "checkout", "-o", "policyreport"]);
    readme::assert_example(
        "check_policyreport",
        "kubectl owner check -n checkout -o policyreport",
        &one.stdout,
        one.code,
    );
    let several = env.owner(&["check", "-A", "-o", "policyreport", "--contexts", "a,b"]);
    assert_eq!(several.code, 2);
    assert_eq!(
        several.first_stderr_line(),
        "error: -o policyreport reports on one cluster, to be applied there: run it once per context"
    );
}

#[test]
fn backstage_names_every_owned_top_level_workload_once() {
    let server = demo_server();
    let env = env(&server);
    let run = env.owner(&["ls", "-A", "-o", "backstage"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "7 workloads without a team left out: a Component needs an owner (kubectl owner ls --unowned lists them)\n"
    );
    let entities = documents(&run.stdout);
    let listed: Value =
        serde_json::from_str(&env.owner(&["ls", "-A", "-o", "json"]).stdout).unwrap();
    let owned: Vec<String> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["team"]["value"].is_string())
        .map(|i| {
            format!(
                "{}/{}",
                i["kind"].as_str().unwrap().to_lowercase(),
                i["name"].as_str().unwrap()
            )
        })
        .collect();
    // Each owned workload appears in exactly one Component's description.
    for workload in &owned {
        let holders = entities
            .iter()
            .filter(|e| {
                e["metadata"]["description"]
                    .as_str()
                    .unwrap()
                    .split(" in namespace ")
                    .next()
                    .unwrap()
                    .split(", ")
                    .any(|w| w == workload)
            })
            .count();
        assert_eq!(holders, 1, "{workload}");
    }
    for e in &entities {
        assert_eq!(e["apiVersion"], "backstage.io/v1alpha1");
        assert_eq!(e["kind"], "Component");
        assert_eq!(e["spec"]["type"], "service");
        assert!(e["spec"]["owner"].as_str().unwrap().starts_with("group:"));
        assert!(e["metadata"]["annotations"]["backstage.io/kubernetes-id"].is_string());
    }
    let payments = env.owner(&["ls", "-n", "payments", "-o", "backstage"]);
    readme::assert_example(
        "ls_backstage",
        "kubectl owner ls -n payments -o backstage",
        &payments.stdout,
        payments.code,
    );
}

/// Headless Chromium, as Debian ships it (`.ci/run` installs it); `None` outside CI when absent.
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::split_paths(&std::env::var_os("PATH")?)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is required in CI (.ci/run installs it)"
        );
        eprintln!("SKIPPED: chromium not found on PATH");
    }
    found
}

/// Runs headless Chromium on `page` with `action` (`--dump-dom`, `--screenshot=…`): its stdout
/// and its log (stderr), where console messages and uncaught errors appear as `:CONSOLE`.
fn headless(browser: &Path, profile: &Path, page: &Path, action: &str) -> (String, String) {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1200,1400",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(action)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_html_report_renders_in_chromium_without_console_errors() {
    let server = demo_server();
    let env = env(&server);
    let run = env.owner(&["check", "-A", "-o", "html"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let html = &run.stdout;
    // Self-contained: nothing is fetched from anywhere.
    for outside in ["src=", "href=", "@import", "url("] {
        assert!(!html.contains(outside), "{outside}");
    }
    let teams = env.owner(&["teams", "-A", "-o", "html"]);
    assert_eq!(teams.code, 0, "{}", teams.stderr);
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    for (name, text) in [("check-report", html), ("teams-report", &teams.stdout)] {
        let page = dir.path().join(format!("{name}.html"));
        std::fs::write(&page, text).unwrap();
        let profile = dir.path().join(format!("{name}-profile"));
        let (dom, log) = headless(&browser, &profile, &page, "--dump-dom");
        let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
        assert!(console.is_empty(), "console messages: {console:?}");
        // The script ran to its end: sorting and filtering are wired.
        assert!(dom.contains("data-ready=\"1\""), "{name}");
        let summary = match name {
            "check-report" => {
                "19 checked, 9 compliant, 9 errors, 8 warnings, 1 exempt, coverage 63.2%"
            }
            _ => "5 teams, 20 workloads, coverage 65.0%",
        };
        assert!(dom.contains(summary), "{name}: {summary}");
        assert!(dom.contains("<td>payments</td>"), "{name}: a team's row");
        let shot = out_dir.join(format!("{name}.png"));
        headless(
            &browser,
            &profile,
            &page,
            &format!("--screenshot={}", shot.display()),
        );
        let png = std::fs::read(&shot).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{name}");
        // README shows the check report made here: KUBECTL_OWNER_SCREENSHOTS=1 refreshes it.
        if name == "check-report" && std::env::var_os("KUBECTL_OWNER_SCREENSHOTS").is_some() {
            std::fs::copy(
                &shot,
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/cli/screenshots/check-report.png"
                ),
            )
            .unwrap();
        }
    }
}

/// 10,000 findings (5,000 unowned bare pods, two findings each) render in every format; the
/// HTML page's size is printed for README.
#[test]
fn ten_thousand_findings_render_in_every_format() {
    let server = TestServer::start(Default::default());
    bulk_pods(&server, 5_000, serde_json::json!({}));
    let env = env(&server);
    for format in ["json", "junit", "markdown", "policyreport", "html", "csv"] {
        let run = env.owner(&["check", "-A", "-o", format]);
        assert_eq!(run.code, 1, "{format}: {}", run.stderr);
        assert!(run.stderr.is_empty(), "{format}: {}", run.stderr);
        match format {
            "junit" => assert_eq!(elements(&run.stdout)["failure"], 5_000),
            "policyreport" => {
                assert_eq!(run.stdout.matches("\n  result: fail\n").count(), 5_000)
            }
            "markdown" => {
                assert!(run.stdout.contains("**9500 more findings not shown here**"));
                assert!(run.stdout.len() < 1 << 20, "under GitHub's 1 MiB");
            }
            "html" => {
                assert_eq!(
                    run.stdout.matches("<td class=\"error\">error</td>").count(),
                    5_000
                );
                eprintln!("HTML report of 10,000 findings: {} bytes", run.stdout.len());
            }
            _ => assert!(run.stdout.contains("bulk-4999"), "{format}"),
        }
    }
}
