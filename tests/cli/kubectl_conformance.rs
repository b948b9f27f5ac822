//! Proof that the test API server speaks Kubernetes: the real `kubectl` drives it.
//!
//! Each test starts its own server, writes a kubeconfig into a temp HOME and runs `kubectl`
//! with a cleared environment. Without kubectl on PATH the tests are skipped loudly
//! (and fail when `CI` is set).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use test_apiserver::{Grant, ServerOptions, TestServer};

struct Kubectl {
    bin: PathBuf,
    home: tempfile::TempDir,
    kubeconfig: PathBuf,
}

fn find_kubectl() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("kubectl"))
        .find(|p| p.is_file())
}

impl Kubectl {
    /// A kubectl pointed at `server` (context `test`), or `None` when kubectl is missing.
    fn new(server: &TestServer, namespace: Option<&str>, token: Option<&str>) -> Option<Kubectl> {
        let Some(bin) = find_kubectl() else {
            if std::env::var_os("CI").is_some() {
                panic!("kubectl is not on PATH, and CI is set: the conformance tests must run");
            }
            eprintln!("==================================================================");
            eprintln!("SKIPPED: kubectl is not on PATH; the kubectl conformance test did not run");
            eprintln!("==================================================================");
            return None;
        };
        let home = tempfile::tempdir().expect("temp HOME");
        let kubeconfig = home.path().join("kubeconfig");
        std::fs::write(&kubeconfig, server.kubeconfig("test", namespace, token))
            .expect("write kubeconfig");
        Some(Kubectl {
            bin,
            home,
            kubeconfig,
        })
    }

    /// `kubectl get RESOURCE -A --field-selector SELECTOR -o name`, one name per line.
    fn names(&self, resource: &str, selector: &str) -> Vec<String> {
        let r = self
            .run(&[
                "get",
                resource,
                "-A",
                "--field-selector",
                selector,
                "-o",
                "name",
            ])
            .ok();
        r.stdout.lines().map(str::to_string).collect()
    }

    fn command(&self, args: &[&str]) -> Command {
        let path = self.bin.parent().unwrap_or(Path::new("/usr/bin"));
        let mut c = Command::new(&self.bin);
        c.args(args)
            .arg("--request-timeout=30s")
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.home.path())
            .env("KUBECONFIG", &self.kubeconfig);
        c
    }

    fn run(&self, args: &[&str]) -> Run {
        let out = self.command(args).output().expect("run kubectl");
        Run::from(args, out)
    }

    /// `run` with extra environment variables (client-go reads its feature gates from
    /// `KUBE_FEATURE_<name>`).
    fn run_with_env(&self, env: &[(&str, &str)], args: &[&str]) -> Run {
        let mut c = self.command(args);
        c.envs(env.iter().copied());
        let out = c.output().expect("run kubectl");
        Run::from(args, out)
    }

    /// `run` with `input` on stdin (`-f -`).
    fn run_with_stdin(&self, args: &[&str], input: &str) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start kubectl");
        child
            .stdin
            .take()
            .expect("kubectl stdin")
            .write_all(input.as_bytes())
            .expect("write kubectl stdin");
        let out = child.wait_with_output().expect("run kubectl");
        Run::from(args, out)
    }
}

struct Run {
    cmd: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn from(args: &[&str], out: Output) -> Run {
        Run {
            cmd: format!("kubectl {}", args.join(" ")),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn ok(self) -> Run {
        assert_eq!(
            self.code,
            Some(0),
            "{} failed:\nstdout:\n{}\nstderr:\n{}",
            self.cmd,
            self.stdout,
            self.stderr
        );
        self
    }

    fn fails(self) -> Run {
        assert_eq!(
            self.code,
            Some(1),
            "{} should fail:\nstdout:\n{}\nstderr:\n{}",
            self.cmd,
            self.stdout,
            self.stderr
        );
        self
    }

    /// The first stdout line whose first whitespace-separated cells are `cells`.
    fn row(&self, cells: &[&str]) -> Vec<String> {
        self.stdout
            .lines()
            .map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .find(|r| r.len() >= cells.len() && r.iter().zip(cells).all(|(a, b)| a == b))
            .unwrap_or_else(|| {
                panic!(
                    "{}: no row starting {cells:?} in:\n{}",
                    self.cmd, self.stdout
                )
            })
    }
}

fn demo() -> TestServer {
    let s = TestServer::start(ServerOptions::default());
    s.seed_demo();
    s
}

/// kubectl (client-go's clientcmd) sends kubeconfig credentials only over TLS, so every
/// test that needs a token runs over HTTPS.
fn demo_tls() -> TestServer {
    let s = TestServer::start(ServerOptions { tls: true, port: 0 });
    s.seed_demo();
    s
}

#[test]
fn get_namespaces_lists_the_demo_namespaces() {
    let server = demo();
    let Some(k) = Kubectl::new(&server, None, None) else {
        return;
    };
    let r = k.run(&["get", "ns"]).ok();
    let names: Vec<&str> = r
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        names,
        [
            "argocd",
            "checkout",
            "data",
            "default",
            "flux-system",
            "kube-public",
            "kube-system",
            "labs",
            "payments",
            "search",
            "shop"
        ]
    );
    assert_eq!(r.row(&["payments"]), ["payments", "Active", "120d"]);
    assert_eq!(r.row(&["argocd"]), ["argocd", "Active", "120d"]);
    assert!(r.stdout.starts_with("NAME"), "{}", r.stdout);
}

#[test]
fn get_pods_across_namespaces() {
    let server = demo();
    let Some(k) = Kubectl::new(&server, None, None) else {
        return;
    };
    let r = k.run(&["get", "pods", "-A"]).ok();
    assert!(r.stdout.starts_with("NAMESPACE"), "{}", r.stdout);
    assert_eq!(r.stdout.lines().count(), 1 + 17, "{}", r.stdout);
    let row = r.row(&["payments", "api-7d9f8c6b5-x2kq9"]);
    assert_eq!(row.last().map(String::as_str), Some("2d"));
    r.row(&["kube-system", "kube-apiserver-node-1"]);
    // kubectl asked for a Table.
    let list = server
        .requests()
        .into_iter()
        .find(|q| q.path == "/api/v1/pods")
        .expect("cluster-wide pod list");
    assert!(list.accept.unwrap_or_default().contains("as=Table"));
    assert_eq!(list.status, 200);
}

#[test]
fn label_selector_filters_on_the_server() {
    let server = demo();
    let Some(k) = Kubectl::new(&server, None, None) else {
        return;
    };
    let r = k
        .run(&["get", "deploy", "-n", "payments", "-l", "team=payments"])
        .ok();
    let names: Vec<&str> = r
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, ["api"]);
    let r = k
        .run(&[
            "get",
            "deploy",
            "-A",
            "-l",
            "lifecycle in (production,deprecated),!team",
            "-o",
            "name",
        ])
        .ok();
    assert_eq!(
        r.stdout.lines().collect::<Vec<_>>(),
        ["deployment.apps/cart", "deployment.apps/ledger"]
    );
    assert_eq!(
        server.count(Some("GET"), "labelSelector=team%3Dpayments"),
        1
    );
    // Integer comparisons, as kubectl sends them: a value that is not an integer never matches.
    for (name, rank) in [("high", "5"), ("low", "0")] {
        server.insert(serde_json::json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default", "labels": {"rank": rank}},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}
        }));
    }
    let r = k
        .run(&["get", "deploy", "-A", "-l", "rank>1", "-o", "name"])
        .ok();
    assert_eq!(r.stdout, "deployment.apps/high\n");
    let r = k
        .run(&["get", "deploy", "-A", "-l", "rank>x", "-o", "name"])
        .fails();
    assert!(r.stderr.contains("must be an integer"), "{}", r.stderr);
}

#[test]
fn chunked_list_follows_continue_tokens() {
    let server = demo();
    let Some(k) = Kubectl::new(&server, None, None) else {
        return;
    };
    let r = k.run(&["get", "pods", "-A", "--chunk-size=2"]).ok();
    assert_eq!(r.stdout.lines().count(), 1 + 17, "{}", r.stdout);
    let pages: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|q| q.path == "/api/v1/pods")
        .collect();
    assert_eq!(pages.len(), 9, "17 pods in pages of 2");
    assert!(pages.iter().all(|p| p.query.contains("limit=2")));
    assert_eq!(
        pages
            .iter()
            .filter(|p| p.query.contains("continue="))
            .count(),
        8
    );
}

/// kubectl asks for gzip and reads the server's gzipped pages, as kubectl-owner does.
#[test]
fn large_responses_come_gzipped() {
    let server = demo();
    let Some(k) = Kubectl::new(&server, None, None) else {
        return;
    };
    crate::support::bulk_pods(
        &server,
        800,
        serde_json::json!({"annotations": {"note": "a fairly long annotation ".repeat(10)}}),
    );
    let r = k.run(&["get", "pods", "-n", "default", "-o", "name"]).ok();
    assert_eq!(
        r.stdout.lines().filter(|l| l.contains("bulk-")).count(),
        800
    );
    let pages: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|q| q.path == "/api/v1/namespaces/default/pods")
        .collect();
    assert!(pages.iter().all(|p| {
        p.accept_encoding
            .as_deref()
            .is_some_and(|e| e.contains("gzip"))
    }));
    assert!(pages.iter().any(|p| p.gzipped));
}

#[test]
fn label_columns_come_from_row_metadata() {
    let server = demo();
    let Some(k) = Kubectl::new(&server, None, None) else {
        return;
    };
    let r = k.run(&["get", "deploy", "-A", "-L", "team"]).ok();
    assert!(
        r.stdout.lines().next().unwrap().ends_with("TEAM"),
        "{}",
        r.stdout
    );
    assert_eq!(
        r.row(&["payments", "api"]),
        ["payments", "api", "2/2", "2", "2", "30d", "payments"]
    );
    assert_eq!(
        r.row(&["payments", "ledger"]),
        ["payments", "ledger", "1/1", "1", "1", "30d"]
    );
    let r = k
        .run(&["get", "deploy", "api", "-n", "payments", "--show-labels"])
        .ok();
    assert!(
        r.stdout.contains("app=api,team=payments,tier=web"),
        "{}",
        r.stdout
    );
}

#[test]
fn label_and_annotate_respect_overwrite() {
    let server = demo();
    let Some(k) = Kubectl::new(&server, None, None) else {
        return;
    };
    let r = k
        .run(&["label", "deploy/web", "-n", "checkout", "team=checkout"])
        .ok();
    assert_eq!(r.stdout.trim(), "deployment.apps/web labeled");
    let r = k
        .run(&["label", "deploy/web", "-n", "checkout", "team=other"])
        .fails();
    assert!(
        r.stderr
            .contains("'team' already has a value (checkout), and --overwrite is false"),
        "{}",
        r.stderr
    );
    k.run(&[
        "label",
        "deploy/web",
        "-n",
        "checkout",
        "team=other",
        "--overwrite",
    ])
    .ok();

    let r = k
        .run(&[
            "annotate",
            "deploy/web",
            "-n",
            "checkout",
            "a8r.io/chat=#web",
        ])
        .ok();
    assert_eq!(r.stdout.trim(), "deployment.apps/web annotated");
    let r = k
        .run(&[
            "annotate",
            "deploy/web",
            "-n",
            "checkout",
            "a8r.io/chat=#other",
        ])
        .fails();
    assert!(
        r.stderr
            .contains("'a8r.io/chat' already has a value (#web)"),
        "{}",
        r.stderr
    );
    k.run(&[
        "annotate",
        "deploy/web",
        "-n",
        "checkout",
        "a8r.io/chat=#other",
        "--overwrite",
    ])
    .ok();

    let r = k
        .run(&["get", "deploy", "web", "-n", "checkout", "-o", "json"])
        .ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("kubectl -o json");
    assert_eq!(v["metadata"]["labels"]["team"], "other");
    assert_eq!(v["metadata"]["annotations"]["a8r.io/chat"], "#other");
    assert_eq!(
        v["metadata"]["generation"], 1,
        "metadata patches keep the generation"
    );
    // The pod template was not touched, and the store agrees with kubectl.
    let stored = server
        .object("deployments", Some("checkout"), "web")
        .unwrap();
    assert_eq!(stored["metadata"]["labels"]["team"], "other");
    assert!(
        stored["spec"]["template"]["metadata"]["labels"]
            .get("team")
            .is_none()
    );
    let patches: Vec<_> = server.writes();
    assert_eq!(patches.len(), 4, "{patches:#?}");
    assert!(
        patches
            .iter()
            .all(|p| p.method == "PATCH" && p.status == 200)
    );
}

#[test]
fn missing_object_is_not_found() {
    let server = demo();
    let Some(k) = Kubectl::new(&server, None, None) else {
        return;
    };
    let r = k.run(&["get", "deploy", "nope", "-n", "checkout"]).fails();
    assert!(
        r.stderr
            .contains(r#"Error from server (NotFound): deployments.apps "nope" not found"#),
        "{}",
        r.stderr
    );
    let r = k.run(&["get", "pod", "nope", "-n", "default"]).fails();
    assert!(
        r.stderr
            .contains(r#"Error from server (NotFound): pods "nope" not found"#),
        "{}",
        r.stderr
    );
}

#[test]
fn rbac_limits_a_token_to_its_namespace() {
    let server = demo_tls();
    server.add_token("alice-token", "alice");
    server.grant(
        Grant::new("alice", &["get", "list"], &["pods", "deployments"])
            .in_namespaces(&["payments"]),
    );
    let Some(k) = Kubectl::new(&server, Some("payments"), Some("alice-token")) else {
        return;
    };
    let r = k.run(&["get", "pods"]).ok();
    assert_eq!(r.stdout.lines().count(), 1 + 5, "{}", r.stdout);
    let r = k.run(&["get", "pods", "-n", "checkout"]).fails();
    assert!(
        r.stderr.contains(
            r#"Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "checkout""#
        ),
        "{}",
        r.stderr
    );
    let r = k.run(&["get", "deploy", "-A"]).fails();
    assert!(
        r.stderr.contains(
            r#"deployments.apps is forbidden: User "alice" cannot list resource "deployments" in API group "apps" at the cluster scope"#
        ),
        "{}",
        r.stderr
    );
    let r = k
        .run(&["get", "pod", "debug-shell", "-n", "default"])
        .fails();
    assert!(
        r.stderr.contains(
            r#"pods "debug-shell" is forbidden: User "alice" cannot get resource "pods" in API group "" in the namespace "default""#
        ),
        "{}",
        r.stderr
    );
    assert!(
        server
            .requests()
            .iter()
            .all(|q| q.authorization.as_deref() == Some("Bearer alice-token"))
    );
}

#[test]
fn wrong_token_is_unauthorized() {
    let server = demo_tls();
    server.add_token("right", "admin");
    let Some(k) = Kubectl::new(&server, None, Some("wrong")) else {
        return;
    };
    // kubectl fails in discovery, where client-go reads the raw body of the 401 and so
    // prints its generic text rather than the Status message (a real server gives the same).
    let r = k.run(&["get", "pods"]).fails();
    assert!(
        r.stderr.contains(
            "error: You must be logged in to the server (the server has asked for the client to provide credentials)"
        ),
        "{}",
        r.stderr
    );
    let requests = server.requests();
    assert!(!requests.is_empty());
    for q in &requests {
        if q.path != "/version" {
            assert_eq!(q.status, 401, "{q:?}");
            assert_eq!(q.authorization.as_deref(), Some("Bearer wrong"));
        }
    }
}

#[test]
fn unauthorized_resource_request_shows_the_status_message() {
    // A first, authorized run caches discovery in HOME; with a wrong token the next run
    // reaches the list request, whose 401 Status message kubectl prints.
    let server = demo_tls();
    server.add_token("t1", "admin");
    let Some(k) = Kubectl::new(&server, None, Some("t1")) else {
        return;
    };
    k.run(&["get", "pods", "-n", "payments"]).ok();
    std::fs::write(
        &k.kubeconfig,
        server.kubeconfig("test", None, Some("wrong")),
    )
    .unwrap();
    let r = k.run(&["get", "pods", "-n", "payments"]).fails();
    assert!(
        r.stderr
            .contains("error: You must be logged in to the server (Unauthorized)"),
        "{}",
        r.stderr
    );
}

#[test]
fn tls_with_the_ca_in_the_kubeconfig() {
    let server = demo_tls();
    assert!(server.url().starts_with("https://127.0.0.1:"));
    // Over TLS kubectl prompts for a username when the user has no credentials: use a token.
    server.add_token("admin-token", "admin");
    let Some(k) = Kubectl::new(&server, Some("payments"), Some("admin-token")) else {
        return;
    };
    let r = k.run(&["get", "deploy"]).ok();
    let names: Vec<&str> = r
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, ["api", "ledger"]);
}

/// Pods' own field selectors (`status.podIP`, `spec.nodeName`, `status.phase`), as kubectl sends
/// them and kube-apiserver answers them; other kinds refuse them.
#[test]
fn pod_field_selectors() {
    let server = TestServer::start(ServerOptions::default());
    let Some(k) = Kubectl::new(&server, None, None) else {
        return;
    };
    for (name, ip, node, phase) in [
        ("web-1", "10.244.3.17", "worker-3", "Running"),
        ("web-2", "10.244.1.5", "worker-1", "Running"),
        ("agent", "10.0.0.3", "worker-3", "Pending"),
    ] {
        server.insert(serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}]},
            "status": {"phase": phase, "podIP": ip}
        }));
    }
    let names = |selector: &str| k.names("pods", selector);
    assert_eq!(names("status.podIP=10.244.3.17"), ["pod/web-1"]);
    assert_eq!(names("spec.nodeName=worker-3"), ["pod/agent", "pod/web-1"]);
    assert_eq!(
        names("spec.nodeName=worker-3,status.phase!=Pending"),
        ["pod/web-1"]
    );
    let r = k
        .run(&[
            "get",
            "deploy",
            "-A",
            "--field-selector",
            "spec.nodeName=worker-3",
        ])
        .fails();
    assert!(
        r.stderr
            .contains("field label not supported: spec.nodeName"),
        "{}",
        r.stderr
    );
}

/// The workload Tables carry kube-apiserver's wide columns: `-o wide` shows the containers,
/// images and selector of the seeded workloads, the default output leaves them out.
#[test]
fn wide_workload_tables_show_containers_images_and_selector() {
    let server = demo();
    let Some(k) = Kubectl::new(&server, None, None) else {
        return;
    };
    let header = |r: &Run| -> Vec<String> {
        r.stdout
            .lines()
            .next()
            .unwrap()
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    let r = k.run(&["get", "deploy", "-n", "payments"]).ok();
    assert_eq!(
        header(&r),
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    );
    let r = k
        .run(&["get", "deploy", "-n", "payments", "-o", "wide"])
        .ok();
    assert_eq!(
        header(&r),
        [
            "NAME",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "AGE",
            "CONTAINERS",
            "IMAGES",
            "SELECTOR"
        ]
    );
    assert_eq!(
        r.row(&["api"]),
        [
            "api",
            "2/2",
            "2",
            "2",
            "30d",
            "api",
            "registry.example/api:1.4.2",
            "app=api"
        ]
    );
    assert_eq!(
        r.row(&["ledger"])[5..],
        [
            "ledger",
            "registry.example/payments/ledger@sha256:9c1f5e0b7a3d28e4c6b1a0f97d3e5c2b8a4f6e1d0c9b7a5e3f2d1c0b9a8e7f6d",
            "app=ledger"
        ]
    );
    let r = k.run(&["get", "sts,ds,cj,job", "-A", "-o", "wide"]).ok();
    assert_eq!(
        r.row(&["payments", "statefulset.apps/postgres"])[2..],
        ["2/2", "30d", "postgres", "registry.example/postgres:1.4.2"]
    );
    assert_eq!(
        r.row(&["kube-system", "daemonset.apps/node-exporter"])[2..],
        [
            "1",
            "1",
            "1",
            "1",
            "1",
            "<none>",
            "30d",
            "node-exporter",
            "quay.io/prometheus/node-exporter:v1.8.2",
            "app=node-exporter"
        ]
    );
    assert_eq!(
        r.row(&["search", "cronjob.batch/reindex"])[2..],
        [
            "0",
            "3",
            "*",
            "*",
            "*",
            "<none>",
            "False",
            "0",
            "30d",
            "30d",
            "reindex",
            "registry.example/reindex:1.4.2",
            "<none>"
        ]
    );
    assert_eq!(
        r.row(&["data", "job.batch/backfill"])[2..6],
        ["Complete", "1/1", "95s", "30d"]
    );
}

/// The demo's host network pods share their node's address: one field-selected list finds them
/// all; a pod network IP is one pod's.
#[test]
fn pods_sharing_a_node_ip_are_found_by_field_selector() {
    let server = demo();
    let Some(k) = Kubectl::new(&server, None, None) else {
        return;
    };
    let r = k
        .run(&[
            "get",
            "pods",
            "-A",
            "--field-selector",
            "status.podIP=10.0.0.10",
            "-o",
            "wide",
        ])
        .ok();
    let rows: Vec<Vec<&str>> = r
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows.iter()
            .map(|r| (r[0], r[1], r[6], r[7]))
            .collect::<Vec<_>>(),
        [
            (
                "kube-system",
                "kube-apiserver-node-1",
                "10.0.0.10",
                "node-1"
            ),
            ("kube-system", "node-exporter-f7g8h", "10.0.0.10", "node-1")
        ]
    );
    let r = k
        .run(&[
            "get",
            "pods",
            "-A",
            "--field-selector",
            "status.podIP=10.244.3.17",
            "-o",
            "name",
        ])
        .ok();
    assert_eq!(r.stdout, "pod/api-7d9f8c6b5-x2kq9\n");
    let r = k
        .run(&[
            "get",
            "pods",
            "-A",
            "--field-selector",
            "spec.nodeName=worker-3",
            "-o",
            "name",
        ])
        .ok();
    assert_eq!(
        r.stdout,
        "pod/api-7d9f8c6b5-m4n7p\npod/api-7d9f8c6b5-x2kq9\npod/postgres-0\n"
    );
    let r = k
        .run(&[
            "get",
            "nodes",
            "worker-3",
            "-o",
            "jsonpath={.status.addresses[?(@.type==\"InternalIP\")].address}",
        ])
        .ok();
    assert_eq!(r.stdout, "10.0.0.3");
}

/// The demo's traffic objects as kubectl prints them: the Ingress with its hosts, the HTTPRoute
/// with its hostname, the Services by cluster IP, their EndpointSlices with the pods' IPs.
#[test]
fn demo_ingress_routes_services_and_endpoint_slices() {
    let server = demo();
    let Some(k) = Kubectl::new(&server, None, None) else {
        return;
    };
    let r = k.run(&["get", "ingress", "-A"]).ok();
    assert_eq!(
        r.row(&["checkout", "shop"]),
        [
            "checkout",
            "shop",
            "nginx",
            "shop.example.com,*.shop.example.com",
            "203.0.113.10",
            "80",
            "30d"
        ]
    );
    let r = k.run(&["get", "httproutes", "-A"]).ok();
    assert_eq!(
        r.row(&["payments", "api"]),
        ["payments", "api", r#"["api.payments.example.com"]"#, "30d"]
    );
    let names = |selector: &str| k.names("svc", selector);
    assert_eq!(names("spec.clusterIP=10.96.120.15"), ["service/checkout"]);
    assert_eq!(
        names("spec.clusterIP!=None"),
        ["service/checkout", "service/api"]
    );
    let r = k.run(&["get", "svc", "-A", "-o", "wide"]).ok();
    assert_eq!(
        r.row(&["payments", "postgres"]),
        [
            "payments",
            "postgres",
            "ClusterIP",
            "None",
            "<none>",
            "5432/TCP",
            "30d",
            "app=postgres"
        ]
    );
    let r = k
        .run(&[
            "get",
            "endpointslices",
            "-n",
            "payments",
            "-l",
            "kubernetes.io/service-name=api",
        ])
        .ok();
    let row = r.row(&["api-q9z4m"]);
    assert_eq!(row[1..3], ["IPv4", "8080"]);
    let mut ips: Vec<&str> = row[3].split(',').collect();
    ips.sort_unstable();
    assert_eq!(ips, ["10.244.3.17", "10.244.3.18"]);
}

/// EndpointSlices, Ingresses and the optional Gateway API and operator CRDs, as kubectl
/// discovers and prints them; a hidden Gateway API is unknown to kubectl.
#[test]
fn network_and_operator_kinds() {
    let server = demo();
    let Some(k) = Kubectl::new(&server, None, None) else {
        return;
    };
    server.insert(serde_json::json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "docs", "namespace": "default"},
        "spec": {"ingressClassName": "nginx",
                 "rules": [{"host": "docs.example.com"}, {"host": "*.docs.example.com"}]}
    }));
    server.insert(serde_json::json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": "docs-abc12", "namespace": "default",
                     "labels": {"kubernetes.io/service-name": "docs"}},
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
        "endpoints": [{"addresses": ["10.244.9.1"]}, {"addresses": ["10.244.9.2"]}]
    }));
    server.insert(serde_json::json!({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": "docs", "namespace": "default"},
        "spec": {"hostnames": ["docs.example.com"]}
    }));
    server.insert(serde_json::json!({
        "apiVersion": "rabbitmq.com/v1beta1", "kind": "RabbitmqCluster",
        "metadata": {"name": "events", "namespace": "default"},
        "spec": {"replicas": 3}
    }));

    let r = k.run(&["api-resources", "--no-headers"]).ok();
    let resource = |name: &str| -> Vec<String> {
        r.stdout
            .lines()
            .map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .find(|row| row.first().is_some_and(|n| n == name))
            .unwrap_or_else(|| panic!("no {name} in:\n{}", r.stdout))
    };
    assert_eq!(
        resource("endpointslices"),
        [
            "endpointslices",
            "discovery.k8s.io/v1",
            "true",
            "EndpointSlice"
        ]
    );
    assert_eq!(
        resource("ingresses"),
        [
            "ingresses",
            "ing",
            "networking.k8s.io/v1",
            "true",
            "Ingress"
        ]
    );
    assert_eq!(
        resource("httproutes"),
        [
            "httproutes",
            "gateway.networking.k8s.io/v1",
            "true",
            "HTTPRoute"
        ]
    );
    assert_eq!(
        resource("rabbitmqclusters"),
        [
            "rabbitmqclusters",
            "rmq",
            "rabbitmq.com/v1beta1",
            "true",
            "RabbitmqCluster"
        ]
    );

    let r = k.run(&["get", "ing", "-A"]).ok();
    // No load balancer yet: the ADDRESS cell is empty.
    assert_eq!(
        r.row(&["default", "docs"])[..5],
        [
            "default",
            "docs",
            "nginx",
            "docs.example.com,*.docs.example.com",
            "80"
        ]
    );
    let r = k
        .run(&[
            "get",
            "endpointslices",
            "-n",
            "default",
            "-l",
            "kubernetes.io/service-name=docs",
        ])
        .ok();
    assert_eq!(
        r.row(&["docs-abc12"])[..4],
        ["docs-abc12", "IPv4", "8080", "10.244.9.1,10.244.9.2"]
    );
    let r = k.run(&["get", "httproutes", "-n", "default"]).ok();
    assert_eq!(r.row(&["docs"])[1], r#"["docs.example.com"]"#);
    let r = k.run(&["get", "rmq", "-n", "default", "-o", "name"]).ok();
    assert_eq!(r.stdout, "rabbitmqcluster.rabbitmq.com/events\n");
    let r = k
        .run(&["get", "rabbitmq", "-n", "default", "-o", "name"])
        .ok();
    assert_eq!(
        r.stdout, "rabbitmqcluster.rabbitmq.com/events\n",
        "its category"
    );

    // A cluster without the Gateway API: a fresh kubectl (no discovery cache) does not know it.
    server.hide_group("gateway.networking.k8s.io");
    let Some(fresh) = Kubectl::new(&server, None, None) else {
        return;
    };
    let r = fresh.run(&["get", "httproutes", "-A"]).fails();
    assert!(
        r.stderr
            .contains(r#"the server doesn't have a resource type "httproutes""#),
        "{}",
        r.stderr
    );
}

/// The GitOps tools' kinds of the demo, by kubectl's names for them: Argo CD's Application
/// (by its qualified plural, since `apps` is also a group), Flux's Kustomization (`ks`) and
/// HelmRelease (`hr`, none in the demo).
#[test]
fn gitops_kinds_of_the_demo() {
    let server = demo();
    let Some(k) = Kubectl::new(&server, None, None) else {
        return;
    };
    let r = k.run(&["api-resources", "--no-headers"]).ok();
    let resource = |name: &str| -> Vec<String> {
        r.stdout
            .lines()
            .map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .find(|row| row.first().is_some_and(|n| n == name))
            .unwrap_or_else(|| panic!("no {name} in:\n{}", r.stdout))
    };
    assert_eq!(
        resource("applications"),
        [
            "applications",
            "app,apps",
            "argoproj.io/v1alpha1",
            "true",
            "Application"
        ]
    );
    assert_eq!(
        resource("kustomizations"),
        [
            "kustomizations",
            "ks",
            "kustomize.toolkit.fluxcd.io/v1",
            "true",
            "Kustomization"
        ]
    );
    assert_eq!(
        resource("helmreleases"),
        [
            "helmreleases",
            "hr",
            "helm.toolkit.fluxcd.io/v2",
            "true",
            "HelmRelease"
        ]
    );

    let r = k.run(&["get", "applications.argoproj.io", "-A"]).ok();
    assert_eq!(
        r.stdout.lines().collect::<Vec<_>>()[0]
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["NAMESPACE", "NAME", "AGE"]
    );
    assert_eq!(r.stdout.lines().count(), 2, "{}", r.stdout);
    assert_eq!(r.row(&["argocd", "search"]), ["argocd", "search", "30d"]);
    let r = k
        .run(&[
            "get",
            "applications.argoproj.io",
            "-A",
            "-L",
            "team,lifecycle",
        ])
        .ok();
    assert_eq!(
        r.row(&["argocd", "search"]),
        ["argocd", "search", "30d", "data", "production"]
    );
    let r = k
        .run(&[
            "get",
            "app",
            "search",
            "-n",
            "argocd",
            "-o",
            "jsonpath={.spec.destination.namespace}",
        ])
        .ok();
    assert_eq!(r.stdout, "search", "the Application deploys to search");

    let r = k.run(&["get", "ks", "-A"]).ok();
    assert_eq!(r.stdout.lines().count(), 2, "{}", r.stdout);
    assert_eq!(
        r.row(&["flux-system", "search-jobs"]),
        ["flux-system", "search-jobs", "30d"]
    );
    let r = k
        .run(&["get", "ks", "-A", "-l", "team=data", "-o", "name"])
        .ok();
    assert_eq!(
        r.stdout,
        "kustomization.kustomize.toolkit.fluxcd.io/search-jobs\n"
    );

    let r = k.run(&["get", "hr", "-A"]).ok();
    assert_eq!(r.stdout, "");
    assert_eq!(r.stderr.trim(), "No resources found");

    // Every list was the server's Table.
    for path in [
        "/apis/argoproj.io/v1alpha1/applications",
        "/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations",
        "/apis/helm.toolkit.fluxcd.io/v2/helmreleases",
    ] {
        let list = server
            .requests()
            .into_iter()
            .find(|q| q.path == path)
            .unwrap_or_else(|| panic!("no list of {path}"));
        assert!(
            list.accept.unwrap_or_default().contains("as=Table"),
            "{path}"
        );
        assert_eq!(list.status, 200, "{path}");
    }
}

/// Services' field selectors `spec.clusterIP` and `spec.type`, as kube-proxy and kubectl send them.
#[test]
fn service_field_selectors() {
    let server = TestServer::start(ServerOptions::default());
    let Some(k) = Kubectl::new(&server, None, None) else {
        return;
    };
    for (ns, name, spec) in [
        ("a", "web", serde_json::json!({"clusterIP": "10.96.4.20"})),
        (
            "a",
            "db",
            serde_json::json!({"type": "ClusterIP", "clusterIP": "None"}),
        ),
        (
            "b",
            "edge",
            serde_json::json!({"type": "LoadBalancer", "clusterIP": "10.96.4.21"}),
        ),
    ] {
        server.insert(serde_json::json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": ns}, "spec": spec
        }));
    }
    let names = |selector: &str| k.names("svc", selector);
    assert_eq!(names("spec.clusterIP=10.96.4.20"), ["service/web"]);
    assert_eq!(
        names("spec.clusterIP!=None"),
        ["service/web", "service/edge"]
    );
    assert_eq!(names("spec.type=ClusterIP"), ["service/db", "service/web"]);
    assert_eq!(
        names("spec.type=LoadBalancer,metadata.namespace=b"),
        ["service/edge"]
    );
    let r = k
        .run(&[
            "get",
            "svc",
            "-A",
            "--field-selector",
            "status.podIP=10.96.4.20",
        ])
        .fails();
    assert!(
        r.stderr.contains("field label not supported: status.podIP"),
        "{}",
        r.stderr
    );
}

/// Kyverno-style reports: a PolicyReport in `payments` and a ClusterPolicyReport, with the
/// namespaced report's summary counts as given.
fn policy_reports(pass: u32, fail: u32) -> String {
    format!(
        r#"apiVersion: wgpolicyk8s.io/v1alpha2
kind: PolicyReport
metadata:
  name: polr-payments
  namespace: payments
  labels:
    app.kubernetes.io/managed-by: kyverno
summary:
  pass: {pass}
  fail: {fail}
  warn: 0
  error: 0
  skip: 0
results:
- policy: require-team-label
  rule: check-team
  result: fail
  severity: medium
  message: "validation error: label 'team' is required"
  source: kyverno
  scored: true
  timestamp:
    seconds: 1735689600
  resources:
  - apiVersion: apps/v1
    kind: Deployment
    name: ledger
    namespace: payments
---
apiVersion: wgpolicyk8s.io/v1alpha2
kind: ClusterPolicyReport
metadata:
  name: cpolr-cluster
summary:
  pass: 7
  fail: 0
"#
    )
}

/// `kubectl apply -f -` with kubectl's default validation: kubectl reads the server's OpenAPI
/// v3 documents, leaves field validation to the server (`fieldValidation=Strict`), creates the
/// reports, finds them unchanged on a second apply and JSON-merge-patches a changed one.
#[test]
fn apply_validates_against_openapi_v3_and_patches_policy_reports() {
    let server = demo();
    let Some(k) = Kubectl::new(&server, None, None) else {
        return;
    };
    let apply = |input: &str| k.run_with_stdin(&["apply", "-f", "-"], input).ok();
    let r = apply(&policy_reports(4, 1));
    assert_eq!(
        r.stdout,
        "policyreport.wgpolicyk8s.io/polr-payments created\n\
         clusterpolicyreport.wgpolicyk8s.io/cpolr-cluster created\n"
    );
    assert_eq!(r.stderr, "");
    // kubectl read the index and the reports' group-version document.
    let fetched: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|q| q.path.starts_with("/openapi/"))
        .map(|q| format!("{} {}", q.status, q.path))
        .collect();
    assert!(fetched.contains(&"200 /openapi/v3".into()), "{fetched:?}");
    assert!(
        fetched.contains(&"200 /openapi/v3/apis/wgpolicyk8s.io/v1alpha2".into()),
        "{fetched:?}"
    );
    assert!(fetched.iter().all(|f| f.starts_with("200 ")), "{fetched:?}");
    let writes = server.writes();
    assert_eq!(writes.len(), 2, "{writes:#?}");
    assert!(writes.iter().all(|w| w.method == "POST"
        && w.status == 201
        && w.query_param("fieldValidation").as_deref() == Some("Strict")));

    server.clear_requests();
    let r = apply(&policy_reports(4, 1));
    assert_eq!(
        r.stdout,
        "policyreport.wgpolicyk8s.io/polr-payments unchanged\n\
         clusterpolicyreport.wgpolicyk8s.io/cpolr-cluster unchanged\n"
    );
    assert_eq!(server.writes(), []);

    let before = server.resource_version();
    let r = apply(&policy_reports(5, 0));
    assert_eq!(
        r.stdout,
        "policyreport.wgpolicyk8s.io/polr-payments configured\n\
         clusterpolicyreport.wgpolicyk8s.io/cpolr-cluster unchanged\n"
    );
    let writes = server.writes();
    assert_eq!(writes.len(), 1, "{writes:#?}");
    assert_eq!(writes[0].method, "PATCH");
    assert_eq!(
        writes[0].path,
        "/apis/wgpolicyk8s.io/v1alpha2/namespaces/payments/policyreports/polr-payments"
    );
    assert_eq!(
        writes[0].content_type.as_deref(),
        Some("application/merge-patch+json")
    );
    assert_eq!(server.resource_version(), before + 1);
    let stored = server
        .object("policyreports", Some("payments"), "polr-payments")
        .unwrap();
    assert_eq!(
        stored["summary"],
        serde_json::json!({"pass": 5, "fail": 0, "warn": 0, "error": 0, "skip": 0})
    );
    assert_eq!(stored["results"][0]["resources"][0]["name"], "ledger");
    let last_applied: serde_json::Value = serde_json::from_str(
        stored["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(last_applied["summary"]["pass"], 5);

    let r = k.run(&["get", "polr", "-A"]).ok();
    assert_eq!(
        r.row(&["payments", "polr-payments"]).len(),
        3,
        "{}",
        r.stdout
    );
    let r = k.run(&["get", "cpolr"]).ok();
    assert_eq!(r.row(&["cpolr-cluster"]).len(), 2, "{}", r.stdout);
    let r = k
        .run(&[
            "get",
            "cpolr",
            "cpolr-cluster",
            "-o",
            "jsonpath={.summary.pass}",
        ])
        .ok();
    assert_eq!(r.stdout, "7");
}

/// The rows of a `kubectl get` table, split into cells, without the header.
fn rows(r: &Run) -> Vec<Vec<String>> {
    r.stdout
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

/// `--chunk-size=0` asks for the whole list in one request (no `limit`), `--chunk-size=2` pages
/// through it: both print the server's pods, the same rows in the same order.
#[test]
fn whole_and_chunked_lists_agree_with_the_server() {
    let server = demo();
    let Some(k) = Kubectl::new(&server, None, None) else {
        return;
    };
    let whole = k.run(&["get", "pods", "-A", "--chunk-size=0"]).ok();
    let lists: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|q| q.path == "/api/v1/pods")
        .collect();
    assert_eq!(lists.len(), 1, "one request for the whole list");
    assert_eq!(lists[0].query_param("limit"), None, "no limit sent");
    assert_eq!(lists[0].query_param("continue"), None);
    server.clear_requests();
    let paged = k.run(&["get", "pods", "-A", "--chunk-size=2"]).ok();
    let pages: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|q| q.path == "/api/v1/pods")
        .collect();
    assert_eq!(pages.len(), 9, "17 pods in pages of 2");
    assert!(
        pages
            .iter()
            .all(|p| p.query_param("limit").as_deref() == Some("2") && p.status == 200)
    );
    let want: Vec<(String, String)> = server
        .objects("pods")
        .iter()
        .map(|p| {
            let m = &p["metadata"];
            (
                m["namespace"].as_str().unwrap().to_string(),
                m["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let got: Vec<(String, String)> = rows(&whole)
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(rows(&paged), rows(&whole));
}

/// A continue token that expires mid-list: kubectl stops with kube-apiserver's 410 message
/// (which offers the inconsistent continue token the Status carries).
#[test]
fn expired_continue_token_stops_kubectl_with_the_server_message() {
    let server = demo();
    let Some(k) = Kubectl::new(&server, None, None) else {
        return;
    };
    // The last pod goes with the snapshot, when kubectl asks for its second page.
    let last = server.objects("pods").pop().expect("pods");
    server.add_fault(test_apiserver::Fault::new(
        "continue=",
        1,
        test_apiserver::FaultKind::DeleteAndExpire {
            resource: "pods".into(),
            namespace: last["metadata"]["namespace"].as_str().map(str::to_string),
            name: last["metadata"]["name"].as_str().unwrap().to_string(),
        },
    ));
    let r = k.run(&["get", "pods", "-A", "--chunk-size=5"]).fails();
    assert!(
        r.stderr.contains("Error from server (Expired): The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results."),
        "{}",
        r.stderr
    );
    let gone = server
        .requests()
        .into_iter()
        .find(|q| q.status == 410)
        .expect("a 410 in the log");
    assert!(gone.query_param("continue").is_some());
}

/// kubectl 1.32's client-go streams lists when its `WatchListClient` feature gate is on
/// (`KUBE_FEATURE_WatchListClient=true`): `kubectl wait`'s informer opens one watch with
/// `sendInitialEvents=true`, takes the pod from the stream's ADDED event, is synced by the
/// initial-events-end bookmark and closes the stream. With the server's WatchList feature off
/// the 422 sends it back to LIST (resourceVersion=0, whole despite its limit); without the
/// client gate it lists that way from the start.
#[test]
fn wait_streams_its_list_with_the_watch_list_client_gate() {
    let server = demo();
    let Some(k) = Kubectl::new(&server, Some("payments"), None) else {
        return;
    };
    let pod = "api-7d9f8c6b5-x2kq9";
    let wait = [
        "wait",
        "--for=jsonpath={.status.phase}=Running",
        "pod/api-7d9f8c6b5-x2kq9",
        "--timeout=30s",
    ];
    let gate = [("KUBE_FEATURE_WatchListClient", "true")];
    let path = "/api/v1/namespaces/payments/pods";
    let r = k.run_with_env(&gate, &wait).ok();
    assert_eq!(r.stdout.trim(), format!("pod/{pod} condition met"));
    let collection: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|q| q.path == path)
        .collect();
    assert_eq!(
        collection.len(),
        1,
        "one streaming list, no LIST: {collection:#?}"
    );
    let stream = &collection[0];
    for (key, value) in [
        ("watch", "true"),
        ("sendInitialEvents", "true"),
        ("resourceVersionMatch", "NotOlderThan"),
        ("allowWatchBookmarks", "true"),
    ] {
        assert_eq!(stream.query_param(key).as_deref(), Some(value), "{key}");
    }
    assert_eq!(
        stream.query_param("fieldSelector"),
        Some(format!("metadata.name={pod}"))
    );
    assert_eq!(stream.query_param("limit"), None);
    assert_eq!(
        (stream.status, stream.watch_events),
        (200, 2),
        "the pod, then the bookmark"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while server.open_watches() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "kubectl left its stream open"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }

    // The server without the WatchList feature: 422, then LIST and WATCH.
    server.disable_watch_list();
    server.clear_requests();
    let r = k.run_with_env(&gate, &wait).ok();
    assert_eq!(r.stdout.trim(), format!("pod/{pod} condition met"));
    let collection: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|q| q.path == path)
        .collect();
    // The informer's streaming list is refused, and so is the one client-go's List tries
    // before it falls back to a plain LIST.
    let refused: Vec<_> = collection
        .iter()
        .filter(|q| q.query_param("sendInitialEvents").is_some())
        .collect();
    assert!(!refused.is_empty());
    assert!(refused.iter().all(|q| q.status == 422), "{collection:#?}");
    assert_eq!(
        collection[0].query_param("sendInitialEvents").as_deref(),
        Some("true")
    );
    let list = collection
        .iter()
        .find(|q| q.query_param("watch").is_none())
        .expect("the fallback LIST");
    assert_eq!(list.query_param("resourceVersion").as_deref(), Some("0"));
    assert_eq!(list.status, 200);

    // Without the client gate, the informer lists first: resourceVersion=0, limit ignored.
    server.enable_watch_list();
    server.clear_requests();
    let r = k.run(&wait).ok();
    assert_eq!(r.stdout.trim(), format!("pod/{pod} condition met"));
    let list = server
        .requests()
        .into_iter()
        .find(|q| q.path == path)
        .expect("the informer's list");
    assert_eq!(list.query_param("watch"), None);
    assert_eq!(list.query_param("resourceVersion").as_deref(), Some("0"));
    assert!(list.query_param("limit").is_some());
    assert_eq!(list.status, 200);
}

/// kubectl's create subcommands send protobuf for RBAC kinds; the server stores the objects
/// and prints them with kube-apiserver's columns.
#[test]
fn rbac_objects_are_created_and_printed_with_kubectl_columns() {
    let server = demo();
    let Some(k) = Kubectl::new(&server, None, None) else {
        return;
    };
    let r = k
        .run(&[
            "create",
            "rolebinding",
            "devs-edit",
            "--clusterrole=edit",
            "--group=payments-devs",
            "-n",
            "payments",
        ])
        .ok();
    assert_eq!(
        r.stdout.trim(),
        "rolebinding.rbac.authorization.k8s.io/devs-edit created"
    );
    let r = k
        .run(&[
            "create",
            "role",
            "reader",
            "--verb=get,list",
            "--resource=pods",
            "-n",
            "payments",
        ])
        .ok();
    assert_eq!(
        r.stdout.trim(),
        "role.rbac.authorization.k8s.io/reader created"
    );
    k.run(&[
        "create",
        "clusterrolebinding",
        "ci",
        "--clusterrole=view",
        "--serviceaccount=ci:deployer",
        "--user=alice",
    ])
    .ok();
    let posted = server
        .requests()
        .into_iter()
        .find(|q| q.method == "POST" && q.path.ends_with("/rolebindings"))
        .expect("rolebinding POST");
    assert_eq!(
        posted.content_type.as_deref(),
        Some("application/vnd.kubernetes.protobuf")
    );
    assert_eq!(
        posted.query_param("fieldManager").as_deref(),
        Some("kubectl-create")
    );

    let stored = server
        .object("rolebindings", Some("payments"), "devs-edit")
        .unwrap();
    assert_eq!(
        stored["roleRef"],
        serde_json::json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"})
    );
    assert_eq!(
        stored["subjects"],
        serde_json::json!([{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "payments-devs"}])
    );
    let role = server.object("roles", Some("payments"), "reader").unwrap();
    assert_eq!(
        role["rules"],
        serde_json::json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}])
    );

    let r = k.run(&["get", "rolebindings", "-A"]).ok();
    assert_eq!(
        rows_with_header(&r)[0],
        ["NAMESPACE", "NAME", "ROLE", "AGE"]
    );
    let row = r.row(&["payments", "devs-edit"]);
    assert_eq!(row[2], "ClusterRole/edit");
    let r = k.run(&["get", "rolebindings", "-A", "-o", "wide"]).ok();
    assert_eq!(
        rows_with_header(&r)[0],
        [
            "NAMESPACE",
            "NAME",
            "ROLE",
            "AGE",
            "USERS",
            "GROUPS",
            "SERVICEACCOUNTS"
        ]
    );
    // The empty USERS and SERVICEACCOUNTS cells leave the group as the one cell after AGE.
    let row = r.row(&["payments", "devs-edit", "ClusterRole/edit"]);
    assert_eq!(row[4..], ["payments-devs"]);
    let r = k.run(&["get", "clusterrolebindings", "-o", "wide"]).ok();
    let row = r.row(&["ci", "ClusterRole/view"]);
    assert_eq!(row[3..], ["alice", "ci/deployer"]);
    let r = k.run(&["get", "roles", "-n", "payments"]).ok();
    assert_eq!(rows_with_header(&r)[0], ["NAME", "CREATED", "AT"]);
    let created = role["metadata"]["creationTimestamp"].as_str().unwrap();
    assert_eq!(r.row(&["reader"]), ["reader", created]);
}

/// Every write records its field manager; kubectl hides managedFields unless asked.
#[test]
fn managed_fields_record_kubectl_create_and_label() {
    let server = demo();
    let Some(k) = Kubectl::new(&server, None, None) else {
        return;
    };
    k.run(&[
        "create",
        "deployment",
        "shop",
        "--image=nginx",
        "-n",
        "checkout",
    ])
    .ok();
    k.run(&["label", "deploy", "shop", "-n", "checkout", "tier=front"])
        .ok();
    let managers: Vec<_> = server
        .writes()
        .iter()
        .map(|w| (w.method.clone(), w.query_param("fieldManager")))
        .collect();
    assert_eq!(
        managers,
        [
            ("POST".to_string(), Some("kubectl-create".to_string())),
            ("PATCH".to_string(), Some("kubectl-label".to_string())),
        ]
    );
    let r = k
        .run(&[
            "get",
            "deploy",
            "shop",
            "-n",
            "checkout",
            "-o",
            "json",
            "--show-managed-fields",
        ])
        .ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("kubectl -o json");
    let entries = v["metadata"]["managedFields"]
        .as_array()
        .expect("managedFields");
    let seen: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["manager"].as_str().unwrap(),
                e["operation"].as_str().unwrap(),
                e["apiVersion"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("kubectl-create", "Update", "apps/v1"),
            ("kubectl-label", "Update", "apps/v1"),
        ]
    );
    assert_eq!(
        entries[1]["fieldsV1"],
        serde_json::json!({"f:metadata": {"f:labels": {"f:tier": {}}}})
    );
    // kubectl's own default: managedFields hidden.
    let r = k
        .run(&["get", "deploy", "shop", "-n", "checkout", "-o", "yaml"])
        .ok();
    assert!(!r.stdout.contains("managedFields"), "{}", r.stdout);
    assert!(r.stdout.contains("tier: front"), "{}", r.stdout);
}

/// Every line of stdout, header included, split into cells.
fn rows_with_header(r: &Run) -> Vec<Vec<String>> {
    r.stdout
        .lines()
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}
