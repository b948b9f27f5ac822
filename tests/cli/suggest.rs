//! `kubectl owner suggest`: candidate owners for unowned workloads, from the evidence in the
//! cluster, on a seeded test API server.

use serde_json::{Value, json};

use crate::support::{Env, TestServer};

fn deployment(ns: &str, name: &str, labels: Value, annotations: Value) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": labels, "annotations": annotations},
        "spec": {"selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}
    })
}

/// One unowned workload per kind of evidence, one with conflicting evidence, one with none.
fn seeded() -> TestServer {
    let server = TestServer::start(Default::default());
    for ns in ["shop", "pay", "tools", "misc"] {
        server.insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}));
    }
    let helm = json!({"meta.helm.sh/release-name": "storefront", "meta.helm.sh/release-namespace": "shop"});
    server.insert(deployment(
        "shop",
        "web",
        json!({"team": "checkout"}),
        helm.clone(),
    ));
    server.insert(deployment("shop", "cart", json!({}), helm));
    server.insert(deployment(
        "pay",
        "api",
        json!({"team": "payments", "app.kubernetes.io/part-of": "billing"}),
        json!({}),
    ));
    server.insert(deployment(
        "tools",
        "invoicer",
        json!({"app.kubernetes.io/part-of": "billing"}),
        json!({}),
    ));
    server.insert(deployment(
        "tools",
        "linter",
        json!({"team": "platform"}),
        json!({}),
    ));
    server.insert(deployment(
        "tools",
        "formatter",
        json!({"team": "platform"}),
        json!({}),
    ));
    server.insert(deployment("tools", "sorter", json!({}), json!({})));
    // part-of says payments (medium), the namespace says platform (low): both are shown.
    server.insert(deployment(
        "tools",
        "biller",
        json!({"app.kubernetes.io/part-of": "billing"}),
        json!({}),
    ));
    server.insert(deployment("misc", "orphan", json!({}), json!({})));
    server
}

#[test]
fn each_kind_of_evidence_gives_its_confidence() {
    let server = seeded();
    let env = Env::new(&server);
    let run = env.owner(&["suggest", "-A"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "\
NAMESPACE   KIND         NAME       SUGGESTED   CONFIDENCE   EVIDENCE
misc        Deployment   orphan     <none>      <none>       <none>
shop        Deployment   cart       checkout    high         Helm release shop/storefront: 1 object owned by checkout (+1 more)
tools       Deployment   biller     payments    medium       part-of billing: 1 object owned by payments
tools       Deployment   invoicer   payments    medium       part-of billing: 1 object owned by payments
tools       Deployment   sorter     platform    low          namespace tools: 2 of 2 owned workloads are platform's
"
    );
    let wide = env.owner(&["suggest", "-A", "-o", "wide"]);
    assert!(
        wide.stdout.contains("platform (low)"),
        "the other candidate is shown: {}",
        wide.stdout
    );
    let sure = env.owner(&["suggest", "-A", "--min-confidence", "high"]);
    let suggested: Vec<&str> = sure
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().nth(3).unwrap())
        .collect();
    assert_eq!(
        suggested,
        ["<none>", "checkout", "<none>", "<none>", "<none>"]
    );
}

#[test]
fn json_gives_every_candidate_and_every_piece_of_evidence() {
    let server = seeded();
    let run = Env::new(&server).owner(&["suggest", "-A", "-o", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["kind"], "SuggestionList");
    let biller = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "biller")
        .unwrap();
    let candidates: Vec<(&str, &str)> = biller["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["team"].as_str().unwrap(),
                c["confidence"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(candidates, [("payments", "medium"), ("platform", "low")]);
    assert_eq!(
        biller["candidates"][0]["evidence"][0],
        json!({"source": "part-of", "text": "part-of billing: 1 object owned by payments"})
    );
    assert!(biller["uid"].is_string());
    // Owned workloads are never listed, and nothing was written.
    assert!(
        doc["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["name"] != "web")
    );
    assert!(server.writes().is_empty());
}

/// README's example: the demo's unowned workloads carry no evidence yet.
#[test]
fn readme_example_on_the_demo() {
    let server = crate::support::demo_server();
    let run = Env::new(&server).owner(&["suggest", "-A"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    crate::support::readme::assert_example(
        "suggest_all",
        "kubectl owner suggest -A",
        &run.stdout,
        0,
    );
}
