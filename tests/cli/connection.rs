//! Connecting exactly like kubectl: kubeconfig discovery and merging, flag overrides, and the
//! error lines kubectl prints — all against the test API server on 127.0.0.1.

use crate::support::{self, Env, ServerOptions, TestServer, demo_server};

fn kubeconfig_for(
    url: &str,
    context: &str,
    namespace: Option<&str>,
    token: Option<&str>,
    current: bool,
) -> String {
    let ns = namespace
        .map(|n| format!("\n    namespace: {n}"))
        .unwrap_or_default();
    let user = token
        .map(|t| format!("\n    token: {t}"))
        .unwrap_or_else(|| " {}".to_string());
    let current = if current {
        format!("current-context: {context}\n")
    } else {
        String::new()
    };
    format!(
        "apiVersion: v1\nkind: Config\n{current}clusters:\n- name: {context}\n  cluster:\n    server: {url}\n\
         contexts:\n- name: {context}\n  context:\n    cluster: {context}\n    user: {context}{ns}\n\
         users:\n- name: {context}\n  user:{user}\n"
    )
}

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn usage_says_kubectl_owner_and_version_prints() {
    let server = demo_server();
    let env = Env::new(&server);
    let help = env.owner(&["--help"]);
    assert_eq!(help.code, 0);
    assert!(
        help.stdout.contains("Usage: kubectl owner"),
        "{}",
        help.stdout
    );
    let version = env.owner(&["--version"]);
    assert_eq!(
        version.stdout.trim(),
        format!("kubectl-owner {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn through_real_kubectl_help_says_kubectl_owner() {
    if !support::kubectl_available() {
        return;
    }
    let server = demo_server();
    let env = Env::new(&server).with_plugin_on_path();
    let help = env.kubectl(&["owner", "--help"]);
    assert_eq!(help.code, 0, "{}", help.stderr);
    assert!(
        help.stdout.contains("Usage: kubectl owner"),
        "{}",
        help.stdout
    );
}

#[test]
fn kubeconfig_list_merges_first_wins_and_skips_missing_files() {
    let a = demo_server();
    let b = demo_server();
    let dir = tempfile::tempdir().unwrap();
    let a_path = dir.path().join("a.yaml");
    let b_path = dir.path().join("b.yaml");
    std::fs::write(
        &a_path,
        kubeconfig_for(&a.url(), "a", Some("payments"), None, true),
    )
    .unwrap();
    // b.yaml also names a current context: the first file's wins, as in kubectl.
    std::fs::write(
        &b_path,
        kubeconfig_for(&b.url(), "b", Some("checkout"), None, true),
    )
    .unwrap();
    let list = format!(
        "{}:{}:{}",
        a_path.display(),
        dir.path().join("missing.yaml").display(),
        b_path.display()
    );
    let env = Env::new(&a).env("KUBECONFIG", &list);

    let run = env.owner(&["ls", "deploy", "-o", "name"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout, "deployment.apps/api\ndeployment.apps/ledger\n",
        "a.yaml's context and namespace"
    );
    assert!(a.count(Some("GET"), "/apis/apps/v1/namespaces/payments/deployments") > 0);
    assert_eq!(b.requests().len(), 0);

    let run = env.owner(&["ls", "deploy", "-o", "name", "--context", "b"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout, "deployment.apps/cart\ndeployment.apps/notifier\ndeployment.apps/web\n",
        "b.yaml's extra context"
    );
    assert!(b.count(Some("GET"), "/apis/apps/v1/namespaces/checkout/deployments") > 0);
}

#[test]
fn explicit_kubeconfig_flag_and_missing_file() {
    let server = demo_server();
    let env = Env::new(&server);
    let other = env.home().join("other.yaml");
    std::fs::write(
        &other,
        kubeconfig_for(&server.url(), "other", Some("search"), None, true),
    )
    .unwrap();
    let run = env.owner(&[
        "ls",
        "deploy",
        "-o",
        "name",
        "--kubeconfig",
        other.to_str().unwrap(),
    ]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "deployment.apps/indexer\n"),
        "{}",
        run.stderr
    );
    let run = env.owner(&["ls", "--kubeconfig", "/nonexistent/kubeconfig"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.first_stderr_line(),
        "error: stat /nonexistent/kubeconfig: no such file or directory"
    );
}

#[test]
fn namespace_flag_overrides_context_namespace() {
    let server = demo_server();
    let env = Env::with_kubeconfig(&kubeconfig_for(
        &server.url(),
        "t",
        Some("payments"),
        None,
        true,
    ));
    let run = env.owner(&["ls", "deploy", "-n", "search", "-o", "name"]);
    assert_eq!(run.stdout, "deployment.apps/indexer\n", "{}", run.stderr);
}

#[test]
fn user_agent_and_impersonation_headers() {
    let server = demo_server();
    let env = Env::new(&server);
    let run = env.owner(&[
        "ls",
        "deploy",
        "--as",
        "alice",
        "--as-group",
        "devs",
        "--as-group",
        "oncall",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let requests = server.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        assert_eq!(
            r.user_agent.as_deref(),
            Some(concat!("kubectl-owner/", env!("CARGO_PKG_VERSION")))
        );
        assert_eq!(r.impersonate_user.as_deref(), Some("alice"));
        assert_eq!(r.impersonate_groups, vec!["devs", "oncall"]);
    }
}

#[test]
fn error_no_configuration() {
    let server = demo_server();
    let env = Env::new(&server);
    std::fs::remove_file(&env.kubeconfig).unwrap();
    let run = env.owner(&["ls"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.first_stderr_line(),
        "error: no configuration has been provided, try setting KUBERNETES_MASTER environment variable"
    );
}

#[test]
fn error_context_not_found() {
    let server = demo_server();
    let run = Env::new(&server).owner(&["ls", "--context", "nope"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.first_stderr_line(),
        "error: context was not found for specified context: nope"
    );
    assert_eq!(
        run.stderr.lines().count(),
        1,
        "one line, no backtrace: {}",
        run.stderr
    );
}

#[test]
fn error_connection_refused() {
    let port = closed_port();
    let env = Env::with_kubeconfig(&kubeconfig_for(
        &format!("http://127.0.0.1:{port}"),
        "t",
        None,
        None,
        true,
    ));
    let run = env.owner(&["ls"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.first_stderr_line(),
        format!(
            "The connection to the server 127.0.0.1:{port} was refused - did you specify the right host or port?"
        )
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[test]
fn error_unauthorized_with_a_wrong_token() {
    let server = demo_server();
    server.add_token("right-token", "alice");
    let env = Env::with_kubeconfig(&server.kubeconfig("t", None, Some("wrong-token")));
    let run = env.owner(&["ls"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.first_stderr_line(),
        "error: You must be logged in to the server (Unauthorized)"
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[test]
fn error_forbidden_by_rbac() {
    let server = demo_server();
    server.add_token("alice-token", "alice");
    server.grant(
        test_apiserver::Grant::new("alice", &["get", "list"], &["*"]).in_namespaces(&["payments"]),
    );
    let env = Env::with_kubeconfig(&server.kubeconfig("t", None, Some("alice-token")));
    let run = env.owner(&["who", "web-84d5f7c6b9-z7x8c", "-n", "checkout"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.first_stderr_line(),
        "Error from server (Forbidden): pods \"web-84d5f7c6b9-z7x8c\" is forbidden: User \"alice\" cannot get resource \"pods\" in API group \"\" in the namespace \"checkout\""
    );
    let run = env.owner(&["ls", "deploy", "-n", "checkout"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.first_stderr_line(),
        "Error from server (Forbidden): deployments.apps is forbidden: User \"alice\" cannot list resource \"deployments\" in API group \"apps\" in the namespace \"checkout\""
    );
    // The granted namespace works with the same token.
    let run = env.owner(&["ls", "deploy", "-n", "payments", "-o", "name"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "deployment.apps/api\ndeployment.apps/ledger\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn error_tls_verification_with_a_wrong_ca() {
    let server = TestServer::start(ServerOptions {
        tls: true,
        ..Default::default()
    });
    server.seed_demo();
    let other = TestServer::start(ServerOptions {
        tls: true,
        ..Default::default()
    });
    // The kubeconfig trusts the other server's CA: verification must fail.
    let kubeconfig = other
        .kubeconfig("t", None, None)
        .replace(&other.url(), &server.url());
    let run = Env::with_kubeconfig(&kubeconfig).owner(&["ls"]);
    assert_eq!(run.code, 1);
    assert!(
        run.first_stderr_line()
            .starts_with("Unable to connect to the server: tls: failed to verify certificate:"),
        "{}",
        run.stderr
    );
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn tls_with_ca_data_and_token_from_kubeconfig() {
    let server = TestServer::start(ServerOptions {
        tls: true,
        ..Default::default()
    });
    server.seed_demo();
    server.add_token("s3cret-token", "alice");
    let env = Env::with_kubeconfig(&server.kubeconfig("t", Some("search"), Some("s3cret-token")));
    let run = env.owner(&["ls", "deploy", "-o", "name"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "deployment.apps/indexer\n"),
        "{}",
        run.stderr
    );
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.authorization.as_deref() == Some("Bearer s3cret-token"))
    );
}

#[test]
fn insecure_skip_tls_verify_flag_works_and_warns() {
    let server = TestServer::start(ServerOptions {
        tls: true,
        ..Default::default()
    });
    server.seed_demo();
    let env = Env::with_kubeconfig(&kubeconfig_for(
        &server.url(),
        "t",
        Some("search"),
        None,
        true,
    ));
    let run = env.owner(&["ls", "deploy", "-o", "name"]);
    assert_eq!(run.code, 1, "no CA: verification fails");
    let run = env.owner(&["ls", "deploy", "-o", "name", "--insecure-skip-tls-verify"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "deployment.apps/indexer\n"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("insecure-skip-tls-verify"),
        "{}",
        run.stderr
    );
}

#[test]
fn server_and_token_flags_without_any_kubeconfig() {
    let server = demo_server();
    server.add_token("flag-token", "bob");
    let env = Env::new(&server);
    std::fs::remove_file(&env.kubeconfig).unwrap();
    let run = env.owner(&[
        "ls",
        "deploy",
        "-n",
        "search",
        "-o",
        "name",
        "-s",
        &server.url(),
        "--token",
        "flag-token",
    ]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "deployment.apps/indexer\n"),
        "{}",
        run.stderr
    );
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.authorization.as_deref() == Some("Bearer flag-token"))
    );
}

#[test]
fn exec_credential_plugin_from_kubeconfig() {
    let server = demo_server();
    server.add_token("exec-token", "carol");
    let env = Env::new(&server);
    let script = env.home().join("get-token.sh");
    executable(
        &script,
        "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"exec-token\"}}'\n",
    );
    let kubeconfig = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: t\nclusters:\n- name: t\n  cluster:\n    server: {}\n\
         contexts:\n- name: t\n  context:\n    cluster: t\n    user: t\n    namespace: search\n\
         users:\n- name: t\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      interactiveMode: Never\n",
        server.url(),
        script.display()
    );
    std::fs::write(&env.kubeconfig, kubeconfig).unwrap();
    let run = env.owner(&["ls", "deploy", "-o", "name"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "deployment.apps/indexer\n"),
        "{}",
        run.stderr
    );
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.authorization.as_deref() == Some("Bearer exec-token"))
    );
}

/// A kubeconfig whose user runs `script` as its exec credential plugin, with a secret in the
/// plugin's arguments and in its environment.
fn exec_kubeconfig(server: &TestServer, script: &std::path::Path) -> String {
    format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: t\nclusters:\n- name: t\n  cluster:\n    server: {}\n\
         contexts:\n- name: t\n  context:\n    cluster: t\n    user: t\n    namespace: search\n\
         users:\n- name: t\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n\
         \x20     args: [\"--client-secret\", \"ARG-MARKER-s3cr3t\"]\n\
         \x20     env:\n      - name: VAULT_TOKEN\n        value: ENV-MARKER-s3cr3t\n      interactiveMode: Never\n",
        server.url(),
        script.display()
    )
}

fn executable(path: &std::path::Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_failing_exec_plugin_leaks_nothing_and_runs_once() {
    let server = demo_server();
    let env = Env::new(&server);
    let script = env.home().join("get-token.sh");
    let runs = env.home().join("runs");
    executable(
        &script,
        &format!(
            "#!/bin/sh\necho run >> {}\necho \"STDOUT-MARKER-s3cr3t $VAULT_TOKEN $*\"\necho STDERR-MARKER >&2\nexit 1\n",
            runs.display()
        ),
    );
    std::fs::write(&env.kubeconfig, exec_kubeconfig(&server, &script)).unwrap();
    for verbosity in ["0", "2", "6", "9"] {
        let _ = std::fs::remove_file(&runs);
        let run = env.owner(&["ls", "-v", verbosity]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        for marker in ["ARG-MARKER", "ENV-MARKER", "STDOUT-MARKER"] {
            assert!(
                !run.stdout.contains(marker) && !run.stderr.contains(marker),
                "-v={verbosity}: {marker} leaked: {}",
                run.stderr
            );
        }
        assert!(
            run.stderr.contains(&format!(
                "Unable to connect to the server: getting credentials: exec: executable {} failed with exit code 1",
                script.display()
            )),
            "-v={verbosity}: {}",
            run.stderr
        );
        let count = std::fs::read_to_string(&runs)
            .unwrap_or_default()
            .lines()
            .count();
        assert_eq!(count, 1, "-v={verbosity}: the plugin ran {count} times");
    }
    assert!(
        server.requests().is_empty(),
        "no request without credentials"
    );
}

/// A plugin whose first run hands out a token that has already expired (so every request
/// refreshes it) and whose later runs print `later` and exit with `code`.
fn refreshing_plugin(
    env: &Env,
    later: &str,
    code: i32,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let script = env.home().join("get-token.sh");
    let runs = env.home().join("runs");
    let token = "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"exec-token\",\"expirationTimestamp\":\"2020-01-01T00:00:00Z\"}}";
    executable(
        &script,
        &format!(
            "#!/bin/sh\nn=$(cat {runs} 2>/dev/null | wc -l)\necho run >> {runs}\n\
             if [ \"$n\" -eq 0 ]; then echo '{token}'; exit 0; fi\n{later}\nexit {code}\n",
            runs = runs.display()
        ),
    );
    (script, runs)
}

#[test]
fn an_exec_plugin_failing_on_refresh_leaks_nothing_and_is_not_retried() {
    // The yardstick: one request attempt with an expired token, to a server that refuses the
    // connection (never retried), runs the plugin this many times.
    let gone = TestServer::start(ServerOptions::default());
    let env = Env::new(&gone);
    let (script, runs) = refreshing_plugin(
        &env,
        "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"exec-token\",\"expirationTimestamp\":\"2020-01-01T00:00:00Z\"}}'",
        0,
    );
    std::fs::write(&env.kubeconfig, exec_kubeconfig(&gone, &script)).unwrap();
    drop(gone);
    let run = env.owner(&["ls"]);
    assert!(
        run.first_stderr_line().contains("was refused"),
        "{}",
        run.stderr
    );
    let one_attempt = std::fs::read_to_string(&runs).unwrap().lines().count();

    let server = demo_server();
    let env = Env::new(&server);
    let (script, runs) =
        refreshing_plugin(&env, "echo \"STDOUT-MARKER-s3cr3t $VAULT_TOKEN $*\"", 3);
    std::fs::write(&env.kubeconfig, exec_kubeconfig(&server, &script)).unwrap();
    let run = env.owner(&["ls", "-v", "9"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for marker in ["ARG-MARKER", "ENV-MARKER", "STDOUT-MARKER"] {
        assert!(
            !run.stdout.contains(marker) && !run.stderr.contains(marker),
            "{marker} leaked: {}",
            run.stderr
        );
    }
    assert!(
        run.stderr.contains(&format!(
            "Unable to connect to the server: getting credentials: exec: executable {} failed with exit code 3",
            script.display()
        )),
        "{}",
        run.stderr
    );
    let count = std::fs::read_to_string(&runs).unwrap().lines().count();
    assert_eq!(
        count, one_attempt,
        "a failed refresh is not retried: the plugin ran {count} times, one attempt runs it {one_attempt}"
    );
    assert!(
        server.requests().is_empty(),
        "no request without credentials"
    );
}

#[test]
fn request_timeout_bounds_each_request() {
    let server = demo_server();
    server.add_fault(test_apiserver::Fault::new(
        "/deployments",
        5,
        test_apiserver::FaultKind::Latency(std::time::Duration::from_secs(3)),
    ));
    let env = Env::new(&server);
    let started = std::time::Instant::now();
    let run = env.owner(&["ls", "deploy", "--request-timeout", "500ms"]);
    assert_eq!(run.code, 1);
    assert!(
        run.first_stderr_line()
            .starts_with("Unable to connect to the server:"),
        "{}",
        run.stderr
    );
    assert!(
        run.first_stderr_line().contains("timed out"),
        "{}",
        run.stderr
    );
    // Not a timing assertion on speed: only that the 3 s latency was not waited out several times over.
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
}

#[test]
fn request_timeout_takes_go_durations() {
    let server = demo_server();
    let env = Env::new(&server);
    for timeout in ["1m30s", "1.5h", "90", "0", "2m0.5s"] {
        let run = env.owner(&["ls", "-A", &format!("--request-timeout={timeout}")]);
        assert_eq!(run.code, 0, "{timeout}: {}", run.stderr);
    }
}

#[test]
fn bad_request_timeout_is_a_usage_error() {
    let server = demo_server();
    let run = Env::new(&server).owner(&["ls", "--request-timeout", "soon"]);
    assert_eq!(run.code, 1);
    assert!(
        run.first_stderr_line()
            .starts_with("error: invalid argument \"soon\" for \"--request-timeout\""),
        "{}",
        run.stderr
    );
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn hostile_flag_values_are_errors_not_panics() {
    let server = demo_server();
    let env = Env::new(&server);
    let run = env.owner(&["ls", "--request-timeout", "99999999999999999999h"]);
    assert_eq!(run.code, 1);
    assert!(
        run.first_stderr_line()
            .starts_with("error: invalid argument"),
        "{}",
        run.stderr
    );
    let run = env.owner(&["check", "--contexts=,"]);
    assert_eq!(
        (run.code, run.first_stderr_line()),
        (2, "error: --contexts needs at least one context name")
    );
    let run = env.owner(&["ls", "deploy/api", "-A"]);
    assert_eq!(
        (run.code, run.first_stderr_line()),
        (
            1,
            "error: a resource cannot be retrieved by name across all namespaces"
        )
    );
    for run in [
        env.owner(&["ls", "deploy/a/b"]),
        env.owner(&["who", "/api"]),
    ] {
        assert_eq!(run.code, 1);
        assert!(
            run.first_stderr_line()
                .starts_with("error: arguments in resource/name form"),
            "{}",
            run.stderr
        );
    }
    // Nothing but the registry ConfigMap (read while connecting) was requested.
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert!(
        paths
            .iter()
            .all(|p| p == "/api/v1/namespaces/kube-public/configmaps/kubectl-owner"),
        "{paths:?}"
    );
}

/// Responses come gzipped, as kubectl asks for them (kube-apiserver compresses those over
/// 128 KiB); `--disable-compression` and a cluster's `disable-compression: true` turn it off.
#[test]
fn responses_are_gzipped_unless_compression_is_disabled() {
    let server = demo_server();
    crate::support::bulk_pods(
        &server,
        800,
        serde_json::json!({"labels": {"team": "payments"}, "annotations": {"note": "a fairly long annotation ".repeat(10)}}),
    );
    let pod_lists = |server: &test_apiserver::TestServer| -> Vec<test_apiserver::RequestRecord> {
        let lists: Vec<_> = server
            .requests()
            .into_iter()
            .filter(|r| r.path == "/api/v1/pods")
            .collect();
        server.clear_requests();
        lists
    };
    let env = Env::new(&server);
    // Names only: an AGE column could tick between two runs.
    let gzipped = env.owner(&["ls", "pods", "-A", "-o", "name"]);
    assert_eq!(gzipped.code, 0, "{}", gzipped.stderr);
    let lists = pod_lists(&server);
    assert!(lists.iter().all(|r| {
        r.accept_encoding
            .as_deref()
            .is_some_and(|e| e.contains("gzip"))
    }));
    assert!(
        lists.iter().any(|r| r.gzipped),
        "a page over 128 KiB came gzipped"
    );
    let compressed: usize = lists.iter().map(|r| r.response_bytes).sum();

    let plain = env.owner(&["ls", "pods", "-A", "-o", "name", "--disable-compression"]);
    assert_eq!(plain.stdout, gzipped.stdout);
    let lists = pod_lists(&server);
    assert!(
        lists
            .iter()
            .all(|r| !r.gzipped && !r.accept_encoding.as_deref().unwrap_or("").contains("gzip"))
    );
    let uncompressed: usize = lists.iter().map(|r| r.response_bytes).sum();
    assert!(
        compressed * 3 < uncompressed,
        "{compressed} vs {uncompressed} bytes"
    );

    // The kubeconfig's cluster setting, as kubectl reads it.
    let kubeconfig = server.kubeconfig("test", None, None).replacen(
        "    server:",
        "    disable-compression: true\n    server:",
        1,
    );
    let from_kubeconfig =
        Env::with_kubeconfig(&kubeconfig).owner(&["ls", "pods", "-A", "-o", "name"]);
    assert_eq!(from_kubeconfig.stdout, gzipped.stdout);
    assert!(pod_lists(&server).iter().all(|r| !r.gzipped));
}

/// kubectl's `-v=6`: one line per request with its verb, URL, status and milliseconds.
#[test]
fn verbosity_6_prints_one_line_per_request() {
    let server = demo_server();
    let env = Env::new(&server);
    let run = env.owner(&["who", "api-7d9f8c6b5-x2kq9", "-n", "payments", "-v=6"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.ends_with(" milliseconds"))
        .collect();
    let requests = server.requests();
    assert_eq!(lines.len(), requests.len(), "{}", run.stderr);
    for (line, request) in lines.iter().zip(&requests) {
        let expected = format!("I0000 GET {}{} 200 OK in ", server.url(), request.path);
        assert!(line.starts_with(&expected), "{line} / {expected}");
    }
    // A request that got no answer is a line too.
    let refused = env.owner(&["ls", "-v=6", "-s", "http://127.0.0.1:1"]);
    assert!(
        refused
            .stderr
            .contains("GET http://127.0.0.1:1/api/v1/namespaces/kube-public/configmaps/kubectl-owner (no response) in "),
        "{}",
        refused.stderr
    );
    // Below 6, none.
    let quiet = env.owner(&["who", "api-7d9f8c6b5-x2kq9", "-n", "payments", "-v=5"]);
    assert!(!quiet.stderr.contains(" milliseconds"), "{}", quiet.stderr);
}

/// kubectl's `-v=7` and `-v=8`: each request's headers with every credential masked (the server
/// did receive the token), then the response's headers and body size.
#[test]
fn verbosity_7_and_8_print_headers_and_sizes_with_credentials_masked() {
    let server = demo_server();
    server.add_token("s3cr3t-token-value", "admin");
    let env = Env::with_kubeconfig(&server.kubeconfig("t", None, Some("s3cr3t-token-value")));
    let run = env.owner(&["who", "api-7d9f8c6b5-x2kq9", "-n", "payments", "-v=7"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("s3cr3t"), "{}", run.stderr);
    let pod = format!(
        "I0000 GET {}/api/v1/namespaces/payments/pods/api-7d9f8c6b5-x2kq9\nI0000 Request Headers:\n",
        server.url()
    );
    assert!(run.stderr.contains(&pod), "{}", run.stderr);
    for header in [
        "I0000     Authorization: Bearer <masked>\n",
        "I0000     Accept-Encoding: gzip\n",
        "I0000     User-Agent: kubectl-owner/",
        "I0000     Accept: application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1\n",
    ] {
        assert!(run.stderr.contains(header), "{header}: {}", run.stderr);
    }
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.authorization.as_deref() == Some("Bearer s3cr3t-token-value"))
    );
    assert!(!run.stderr.contains("Response Body:"), "{}", run.stderr);

    let run = env.owner(&["who", "api-7d9f8c6b5-x2kq9", "-n", "payments", "-v=8"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("s3cr3t"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("I0000 Response Headers:\nI0000     Content-Type: application/json"),
        "{}",
        run.stderr
    );
    let sizes: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("I0000 Response Body: "))
        .collect();
    assert_eq!(sizes.len(), server.requests().len() / 2, "{}", run.stderr);
    assert!(
        sizes
            .iter()
            .all(|l| !l.starts_with("I0000 Response Body: 0 bytes")),
        "{sizes:?}"
    );
}

/// A kubeconfig cluster's `proxy-url` (`socks5://` and `http://`, as kubectl takes them) carries
/// every request through the proxy: a tunnel to the API server, TLS end to end.
#[test]
fn proxy_url_tunnels_every_request() {
    let server = test_apiserver::TestServer::start(test_apiserver::ServerOptions {
        tls: true,
        ..Default::default()
    });
    server.seed_demo();
    let direct = Env::new(&server).owner(&["ls", "-A", "-o", "name"]);
    assert_eq!(direct.code, 0, "{}", direct.stderr);
    let target = server.url().trim_start_matches("https://").to_string();
    for (scheme, kind) in [
        ("http", test_apiserver::ProxyKind::HttpConnect),
        ("socks5", test_apiserver::ProxyKind::Socks5),
    ] {
        let proxy = test_apiserver::TunnelProxy::start();
        let kubeconfig = server.kubeconfig("test", None, None).replacen(
            "    server:",
            &format!("    proxy-url: {scheme}://{}\n    server:", proxy.addr()),
            1,
        );
        let env = Env::with_kubeconfig(&kubeconfig);
        let run = env.owner(&["ls", "-A", "-o", "name"]);
        assert_eq!(run.code, 0, "{scheme}: {}", run.stderr);
        assert_eq!(run.stdout, direct.stdout);
        let tunnels = proxy.tunnels();
        assert!(!tunnels.is_empty(), "{scheme}: no tunnel");
        assert!(
            tunnels.iter().all(|(k, t)| *k == kind && *t == target),
            "{scheme}: {tunnels:?}"
        );
    }
}

/// An exec plugin's `interactiveMode` as kubectl reads it: without a terminal on stdin,
/// `IfAvailable` runs the plugin non-interactively (`spec.interactive: false`) and `Always` is
/// kubectl's error, before the plugin runs.
#[test]
fn exec_interactive_mode_follows_the_terminal_as_in_kubectl() {
    let server = demo_server();
    server.add_token("exec-token", "carol");
    let env = Env::new(&server);
    let info = env.home().join("exec-info.json");
    let script = env.home().join("get-token.sh");
    executable(
        &script,
        &format!(
            "#!/bin/sh\nprintf '%s' \"$KUBERNETES_EXEC_INFO\" > '{}'\necho '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"exec-token\"}}}}'\n",
            info.display()
        ),
    );
    for (mode, code) in [("IfAvailable", 0), ("Never", 0), ("Always", 1)] {
        let _ = std::fs::remove_file(&info);
        let kubeconfig = exec_kubeconfig(&server, &script).replace(
            "interactiveMode: Never",
            &format!("interactiveMode: {mode}"),
        );
        std::fs::write(&env.kubeconfig, kubeconfig).unwrap();
        // The test's stdin is not a terminal.
        let run = env.owner(&["ls", "deploy", "-o", "name"]);
        assert_eq!(run.code, code, "{mode}: {}", run.stderr);
        if code == 0 {
            let spec: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&info).unwrap()).unwrap();
            assert_eq!(spec["spec"]["interactive"], false, "{mode}: {spec}");
        } else {
            assert_eq!(
                run.stderr,
                "error: exec plugin cannot support interactive mode: standard input is not a terminal\n"
            );
            assert!(!info.exists(), "the plugin did not run");
        }
    }
}

/// `auth-provider: oidc`, as kubectl refreshes it: an expired id-token is traded for a fresh one
/// at the issuer's token endpoint (found through its discovery document) with the refresh
/// token, and only the fresh one reaches the API server.
#[test]
fn oidc_id_tokens_are_refreshed_with_the_refresh_token() {
    let server = test_apiserver::TestServer::start(test_apiserver::ServerOptions {
        tls: true,
        ..Default::default()
    });
    server.seed_demo();
    // Authentication on: only known tokens pass.
    server.add_token("someone-else", "admin");
    let expired = server.serve_oidc("REFRESH-MARKER-r1", "dave");
    let kubeconfig = server.kubeconfig("t", None, None).replacen(
        "  user: {}\n",
        &format!(
            "  user:\n    auth-provider:\n      name: oidc\n      config:\n        client-id: kubectl-owner\n        client-secret: SECRET-MARKER-c1\n        id-token: {expired}\n        idp-issuer-url: {}/oidc\n        refresh-token: REFRESH-MARKER-r1\n",
            server.url()
        ),
        1,
    );
    let mut env = Env::with_kubeconfig(&kubeconfig);
    // The issuer's certificate is trusted the way kube reads system roots.
    let ca = env.home().join("ca.pem");
    std::fs::write(&ca, server.ca_pem().unwrap()).unwrap();
    env.extra_env
        .push(("SSL_CERT_FILE".to_string(), ca.display().to_string()));
    let run = env.owner(&["ls", "-A", "-o", "name", "-v=9"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("deployment.apps/api"), "{}", run.stdout);
    let requests = server.requests();
    let refreshes = requests
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/oidc/token")
        .count();
    assert!(refreshes >= 1, "the expired token was refreshed");
    let api: Vec<_> = requests
        .iter()
        .filter(|r| !r.path.starts_with("/oidc/"))
        .collect();
    assert!(!api.is_empty());
    assert!(
        api.iter().all(|r| {
            r.authorization
                .as_deref()
                .is_some_and(|a| a.starts_with("Bearer ") && !a.contains(&expired))
        }),
        "only the fresh id token reaches the API"
    );
    for secret in ["REFRESH-MARKER", "SECRET-MARKER", &expired] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "{secret} leaked"
        );
    }
}

/// A user's `tokenFile`, read as kubectl reads it: its token (trailing newline trimmed) is the
/// bearer token of every request.
#[test]
fn token_file_from_kubeconfig() {
    let server = demo_server();
    server.add_token("file-token", "erin");
    let env = Env::new(&server);
    let token_file = env.home().join("token");
    std::fs::write(&token_file, "file-token\n").unwrap();
    let kubeconfig = server.kubeconfig("t", None, None).replacen(
        "  user: {}\n",
        &format!("  user:\n    tokenFile: {}\n", token_file.display()),
        1,
    );
    std::fs::write(&env.kubeconfig, kubeconfig).unwrap();
    let run = env.owner(&["ls", "deploy", "-n", "payments", "-o", "name"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("deployment.apps/api"), "{}", run.stdout);
    let requests = server.requests();
    assert!(!requests.is_empty());
    assert!(
        requests
            .iter()
            .all(|r| r.authorization.as_deref() == Some("Bearer file-token"))
    );
}

/// Client certificates, as kubectl presents them: from the kubeconfig (`client-certificate` and
/// `client-key`) or from `--client-certificate`/`--client-key`; the server knows the user from
/// the certificate alone.
#[test]
fn client_certificates_authenticate() {
    let server = test_apiserver::TestServer::start(test_apiserver::ServerOptions {
        tls: true,
        ..Default::default()
    });
    server.seed_demo();
    // Authentication on: without the certificate nothing passes.
    server.add_token("someone-else", "admin");
    let (cert, key) = server.client_certificate("frank");
    let files = tempfile::tempdir().unwrap();
    let (cert_file, key_file) = (
        files.path().join("frank.crt"),
        files.path().join("frank.key"),
    );
    std::fs::write(&cert_file, &cert).unwrap();
    std::fs::write(&key_file, &key).unwrap();
    let check = |run: &crate::support::Run, how: &str| {
        assert_eq!(run.code, 0, "{how}: {}", run.stderr);
        assert!(
            run.stdout.contains("deployment.apps/api"),
            "{how}: {}",
            run.stdout
        );
        let requests = server.requests();
        assert!(!requests.is_empty());
        assert!(
            requests
                .iter()
                .all(|r| r.client_certificate_user.as_deref() == Some("frank")
                    && r.authorization.is_none()),
            "{how}"
        );
        server.clear_requests();
    };
    let kubeconfig = server.kubeconfig("t", None, None).replacen(
        "  user: {}\n",
        &format!(
            "  user:\n    client-certificate: {}\n    client-key: {}\n",
            cert_file.display(),
            key_file.display()
        ),
        1,
    );
    check(
        &Env::with_kubeconfig(&kubeconfig).owner(&["ls", "-A", "-o", "name"]),
        "kubeconfig",
    );
    let run = Env::new(&server).owner(&[
        "ls",
        "-A",
        "-o",
        "name",
        "--client-certificate",
        cert_file.to_str().unwrap(),
        "--client-key",
        key_file.to_str().unwrap(),
    ]);
    check(&run, "flags");
    // Without a certificate, the same server refuses.
    let run = Env::new(&server).owner(&["ls", "-A"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.first_stderr_line(),
        "error: You must be logged in to the server (Unauthorized)"
    );
}
