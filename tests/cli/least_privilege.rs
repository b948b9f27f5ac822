//! The RBAC manifests README.md ships are enough, and no more than needed: every read command
//! works under the read-only grant, every write under the writer grant, and `assign` under the
//! read-only grant fails cleanly per object.

use crate::support::{self, Env, ServerOptions, TestServer};
use test_apiserver::Grant;

const TOKEN: &str = "least-privilege-token";
const USER: &str = "oncall";

/// The YAML block that follows `<!-- rbac:NAME -->` in README.md.
fn manifest(name: &str) -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let marker = format!("<!-- rbac:{name} -->");
    let after = &readme[readme.find(&marker).expect("marker in README") + marker.len()..];
    let start = after.find("```yaml\n").expect("yaml block") + "```yaml\n".len();
    let end = after[start..].find("```").unwrap();
    after[start..start + end].to_string()
}

/// Every rule of the manifest's ClusterRoles (cluster-wide) and Roles (their namespace) as grants.
fn grants(name: &str) -> Vec<Grant> {
    let text = manifest(name);
    let mut grants = Vec::new();
    let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(&text).unwrap();
    for value in docs {
        let kind = value["kind"].as_str().unwrap();
        assert!(kind == "ClusterRole" || kind == "Role", "{kind}");
        let namespace = value["metadata"]["namespace"].as_str();
        for rule in value["rules"].as_array().unwrap() {
            let list = |key: &str| -> Vec<String> {
                rule[key]
                    .as_array()
                    .map(|s| s.iter().map(|v| v.as_str().unwrap().to_string()).collect())
                    .unwrap_or_default()
            };
            let names = list("resourceNames");
            grants.push(Grant {
                user: USER.to_string(),
                verbs: list("verbs"),
                resources: list("resources"),
                namespaces: namespace.map(|n| vec![n.to_string()]),
                resource_names: (!names.is_empty()).then_some(names),
            });
        }
    }
    assert!(!grants.is_empty());
    grants
}

/// The demo cluster over TLS with a token whose user has exactly `roles`.
fn server_with(roles: &[&str]) -> (TestServer, Env) {
    let server = TestServer::start(ServerOptions {
        tls: true,
        ..Default::default()
    });
    server.seed_demo();
    server.add_token(TOKEN, USER);
    for role in roles {
        for grant in grants(role) {
            server.grant(grant);
        }
    }
    let env = Env::with_kubeconfig(&server.kubeconfig("t", Some("payments"), Some(TOKEN)))
        .env("KUBECTL_OWNER_TODAY", "2026-11-28");
    (server, env)
}

fn assert_nothing_forbidden(server: &TestServer, run: &support::Run) {
    assert!(
        !run.stderr.contains("Forbidden") && !run.stderr.contains("ownership unknown"),
        "{}",
        run.stderr
    );
    let denied: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.status == 403)
        .collect();
    assert!(denied.is_empty(), "denied requests: {denied:?}");
}

#[test]
fn every_read_command_works_under_the_read_only_grant() {
    let (server, env) = server_with(&["read-only"]);
    for (args, code) in [
        (vec!["ls", "-A"], 0),
        // No pod, Service or endpoint has it: every list of the IP lookup is read.
        (vec!["who", "10.9.9.9"], 1),
        (vec!["who", "10.0.0.10"], 0),
        (vec!["who", "10.96.48.10"], 0),
        (vec!["who", "node/worker-3"], 0),
        (vec!["who", "svc/api"], 0),
        (vec!["who", "image/registry.example/*"], 0),
        (vec!["who", "host/shop.example.com"], 0),
        (vec!["who", "host/api.payments.example.com"], 0),
        (vec!["ls", "pods", "-A"], 0),
        (vec!["ls", "ns"], 0),
        (vec!["ls", "rollouts", "-A"], 0),
        (vec!["who", "api-7d9f8c6b5-x2kq9"], 0),
        (vec!["who", "recommender-6b8d7c9f4-a1s2d", "-n", "data"], 0),
        (vec!["teams", "-A"], 0),
        (vec!["check", "-A"], 1),
    ] {
        let run = env.owner(&args);
        assert_eq!(run.code, code, "{args:?}: {}", run.stderr);
        assert_nothing_forbidden(&server, &run);
    }
    // The registry ConfigMap was readable: who shows the registry's on-call contact.
    let who = env.owner(&["who", "api-7d9f8c6b5-x2kq9"]);
    assert!(
        who.stdout.contains("Registry/payments (oncall)"),
        "{}",
        who.stdout
    );
}

#[test]
fn assign_under_the_read_only_grant_fails_cleanly_per_object() {
    let (server, env) = server_with(&["read-only"]);
    let run = env.owner(&[
        "assign",
        "deploy/ledger",
        "deploy/api",
        "--stage",
        "production",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let forbidden: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("Error from server (Forbidden):"))
        .collect();
    assert_eq!(
        forbidden.len(),
        1,
        "api is patched and refused; ledger already has the stage: {}",
        run.stderr
    );
    assert!(
        forbidden[0].contains("User \"oncall\" cannot patch resource \"deployments\""),
        "{}",
        forbidden[0]
    );
    assert_eq!(
        server
            .object("deployments", Some("payments"), "api")
            .unwrap()["metadata"]["labels"]
            .get("lifecycle"),
        None
    );
}

#[test]
fn every_write_works_under_the_writer_grant() {
    let (server, env) = server_with(&["read-only", "writer"]);
    for args in [
        vec!["assign", "deploy/api", "--stage", "production"],
        vec![
            "assign",
            "ns/search",
            "--team",
            "search",
            "--stage",
            "experimental",
        ],
        vec![
            "assign",
            "deploy",
            "-A",
            "-l",
            "tier=web",
            "--sunset",
            "2027-06-30",
        ],
        vec![
            "assign",
            "cronjob/reindex",
            "-n",
            "search",
            "--contact",
            "chat=#search",
        ],
        vec![
            "assign",
            "rollout/recommender",
            "-n",
            "data",
            "--stage",
            "production",
            "--overwrite",
        ],
        vec!["unassign", "deploy/api", "--stage"],
        vec![
            "assign",
            "deploy/api",
            "--stage",
            "production",
            "--dry-run=server",
        ],
    ] {
        let run = env.owner(&args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert_nothing_forbidden(&server, &run);
    }
    assert_eq!(
        server.object("namespaces", None, "search").unwrap()["metadata"]["labels"]["team"],
        "search"
    );
}
