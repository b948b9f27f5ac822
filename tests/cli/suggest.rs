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

/// An Argo CD Application or a Flux Kustomization that deploys a workload, with a team of its
/// own, is high-confidence evidence; with their CRDs absent, it is skipped silently.
#[test]
fn gitops_parents_give_their_team() {
    let server = seeded();
    for ns in ["argocd", "flux-system"] {
        server.insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}));
    }
    server.insert(json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": "orphans", "namespace": "argocd", "labels": {"team": "data"}},
        "spec": {"destination": {"namespace": "misc"}}
    }));
    server.insert(json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": {"name": "tools", "namespace": "flux-system", "labels": {"team": "platform"}},
        "spec": {"path": "./tools"}
    }));
    let mut orphan = server
        .object("deployments", Some("misc"), "orphan")
        .unwrap();
    orphan["metadata"]["annotations"] =
        json!({"argocd.argoproj.io/tracking-id": "orphans:apps/Deployment:misc/orphan"});
    server.insert(orphan);
    let mut sorter = server
        .object("deployments", Some("tools"), "sorter")
        .unwrap();
    sorter["metadata"]["labels"] = json!({
        "kustomize.toolkit.fluxcd.io/name": "tools",
        "kustomize.toolkit.fluxcd.io/namespace": "flux-system"
    });
    server.insert(sorter);
    let env = Env::new(&server);
    let run = env.owner(&["suggest", "-A", "-o", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let best = |name: &str| {
        let item = doc["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == name)
            .unwrap();
        (
            item["candidates"][0]["team"].as_str().unwrap().to_string(),
            item["candidates"][0]["confidence"]
                .as_str()
                .unwrap()
                .to_string(),
            item["candidates"][0]["evidence"][0]["text"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    };
    assert_eq!(
        best("orphan"),
        (
            "data".into(),
            "high".into(),
            "Argo CD Application argocd/orphans: team data".into()
        )
    );
    // The Kustomization and the namespace agree on platform.
    assert_eq!(best("sorter").0, "platform");
    assert_eq!(best("sorter").1, "high");
    // One metadata list per GitOps kind a workload names.
    let requests = server.requests();
    let lists = |path: &str| requests.iter().filter(|r| r.path == path).count();
    assert_eq!(lists("/apis/argoproj.io/v1alpha1/applications"), 1);
    assert_eq!(
        lists("/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations"),
        1
    );
    assert_eq!(lists("/apis/helm.toolkit.fluxcd.io/v2/helmreleases"), 0);

    server.hide_group("kustomize.toolkit.fluxcd.io");
    let hidden = env.owner(&["suggest", "-A", "-o", "json"]);
    assert_eq!(hidden.code, 0, "{}", hidden.stderr);
    assert_eq!(hidden.stderr, "");
}

/// A team's `images` in the registry: a workload whose pod template runs one is medium evidence,
/// read from the workload kinds' Tables (no pod spec).
#[test]
fn images_a_team_lists_point_at_it() {
    let server = seeded();
    let mut orphan = server
        .object("deployments", Some("misc"), "orphan")
        .unwrap();
    orphan["spec"]["template"]["spec"]["containers"][0]["image"] =
        json!("registry.example/payments/invoicer:2.1");
    server.insert(orphan);
    server.clear_requests();
    let env = Env::new(&server);
    let config = env.home().join("config.yaml");
    std::fs::write(
        &config,
        "teams:\n  - name: payments\n    images: [\"registry.example/payments/*\"]\n  - name: checkout\n",
    )
    .unwrap();
    let run = env.owner(&[
        "suggest",
        "-n",
        "misc",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "\
NAMESPACE   KIND         NAME     SUGGESTED   CONFIDENCE   EVIDENCE
misc        Deployment   orphan   payments    medium       image registry.example/payments/invoicer:2.1 matches registry.example/payments/*, listed by team payments
"
    );
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.accept.as_deref().unwrap_or("").contains("as=Table"))
    );
    assert!(!requests.iter().any(|r| {
        r.path.ends_with("/pods")
            && !r
                .accept
                .as_deref()
                .unwrap_or("")
                .contains("PartialObjectMetadata")
    }));
    // Without images in the registry, no Table is read.
    server.clear_requests();
    std::fs::write(&config, "teams:\n  - name: payments\n").unwrap();
    env.owner(&[
        "suggest",
        "-n",
        "misc",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert!(
        !server
            .requests()
            .iter()
            .any(|r| r.accept.as_deref().unwrap_or("").contains("as=Table"))
    );
}

/// `assign --from`: the suggestions written through assign's safe path, only to objects still
/// unowned and still the same (uid); `--dry-run` writes nothing; `--min-confidence` filters again.
#[test]
fn assign_from_writes_suggestions_to_objects_still_unowned_and_the_same() {
    let server = seeded();
    let env = Env::new(&server);
    let suggested = env.owner(&["suggest", "-A", "-o", "json"]);
    assert_eq!(suggested.code, 0, "{}", suggested.stderr);
    let file = env.home().join("suggestions.json");
    std::fs::write(&file, &suggested.stdout).unwrap();
    let path = file.to_str().unwrap();

    let dry = env.owner(&[
        "assign",
        "--from",
        path,
        "--dry-run",
        "--min-confidence",
        "low",
    ]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert_eq!(
        dry.stdout,
        "\
NAMESPACE   NAME                       KEY    CHANGE              RESULT
shop        deployment.apps/cart       team   <none> → checkout   changed (dry run)
tools       deployment.apps/biller     team   <none> → payments   changed (dry run)
tools       deployment.apps/invoicer   team   <none> → payments   changed (dry run)
tools       deployment.apps/sorter     team   <none> → platform   changed (dry run)
"
    );
    assert_eq!(
        dry.stderr,
        "\
Note: 1 object of the suggestions had no candidate team; not written
Warning: deployment.apps/cart in namespace shop is managed by Helm release \"shop/storefront\": the next helm upgrade may revert this change; set it in the chart's values instead
"
    );
    assert!(server.writes().is_empty(), "a dry run never writes");

    // In between: invoicer gains an owner, biller is deleted and created again.
    let mut invoicer = server
        .object("deployments", Some("tools"), "invoicer")
        .unwrap();
    invoicer["metadata"]["labels"]["team"] = json!("billing");
    server.insert(invoicer);
    assert!(server.remove("deployments", Some("tools"), "biller"));
    let mut biller = deployment(
        "tools",
        "biller",
        json!({"app.kubernetes.io/part-of": "billing"}),
        json!({}),
    );
    biller["metadata"]["uid"] = json!("a-new-biller");
    server.insert(biller);

    let run = env.owner(&["assign", "--from", path, "--min-confidence", "medium"]);
    assert_eq!(
        run.code, 1,
        "skipped objects need attention: {}",
        run.stderr
    );
    assert_eq!(
        run.stdout,
        "\
NAMESPACE   NAME                   KEY    CHANGE              RESULT
shop        deployment.apps/cart   team   <none> → checkout   changed
"
    );
    assert_eq!(
        run.stderr,
        "\
Note: 1 object of the suggestions had no candidate team; not written
Note: 1 object of the suggestions had no candidate team at the confidence asked for; not written
Warning: deployment.apps/cart in namespace shop is managed by Helm release \"shop/storefront\": the next helm upgrade may revert this change; set it in the chart's values instead
error: deployment.apps/biller in namespace tools: was deleted and recreated since suggest read it; not written
error: deployment.apps/invoicer in namespace tools: now owned by team billing; not written
"
    );
    let writes = server.writes();
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert_eq!(
        server.object("deployments", Some("shop"), "cart").unwrap()["metadata"]["labels"]["team"],
        "checkout"
    );
    assert_eq!(
        server
            .object("deployments", Some("tools"), "biller")
            .unwrap()["metadata"]["labels"]
            .get("team"),
        None
    );

    // The same document on stdin, now at every confidence: sorter gets the namespace's team;
    // cart, labelled by the first run, needs nothing (a second run is not an error for it).
    let again = env.owner_stdin(
        &["assign", "--from", "-", "--min-confidence", "low"],
        &suggested.stdout,
    );
    assert_eq!(
        again.code, 1,
        "invoicer and biller are still skipped: {}",
        again.stderr
    );
    assert_eq!(
        again.stdout,
        "\
NAMESPACE   NAME                     KEY    CHANGE                RESULT
shop        deployment.apps/cart     team   checkout → checkout   (no change)
tools       deployment.apps/sorter   team   <none> → platform     changed
"
    );
    assert!(!again.stderr.contains("cart"), "{}", again.stderr);
    // The default confidence is medium: the namespace's majority alone (low) is not written.
    let medium = env.owner_stdin(&["assign", "--from", "-", "--dry-run"], &suggested.stdout);
    assert!(!medium.stdout.contains("sorter"), "{}", medium.stdout);
}

/// `assign --from` reads only what `suggest` writes, and refuses everything else in one line.
#[test]
fn assign_from_refuses_other_documents_and_flags() {
    let server = seeded();
    let env = Env::new(&server);
    let run = env.owner_stdin(
        &["assign", "--from", "-"],
        r#"{"apiVersion":"v1","kind":"List","items":[]}"#,
    );
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: suggestions stdin: expected a kubectl-owner/v1 SuggestionList (the output of `kubectl owner suggest -o json`), got v1 List\n"
    );
    let both = env.owner(&["assign", "deploy/cart", "--from", "x.json"]);
    assert_eq!(both.code, 1);
    assert!(
        both.stderr.contains("cannot be used with"),
        "{}",
        both.stderr
    );
    let missing = env.owner(&["assign", "--from", "nope.json"]);
    assert_eq!(
        missing.stderr,
        "error: the path \"nope.json\" does not exist\n"
    );
    assert!(server.writes().is_empty());
}

/// A team's `groups`: a RoleBinding in the namespace to `edit`/`admin` (or to a Role with a
/// write verb) for one of them is medium evidence; a binding to `view` is none. A team's
/// `managers`: a field manager it lists in `metadata.managedFields` is medium evidence. Both
/// agreeing raise it to high. Every object says who wrote it first.
#[test]
fn rbac_groups_and_field_managers_point_at_their_team() {
    let server = seeded();
    let binding = |ns: &str, name: &str, role: (&str, &str), subject: Value| {
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": ns},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role.0, "name": role.1},
            "subjects": [subject]})
    };
    server.insert(binding(
        "misc",
        "editors",
        ("ClusterRole", "edit"),
        json!({"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "payments-devs"}),
    ));
    server.insert(binding(
        "misc",
        "viewers",
        ("ClusterRole", "view"),
        json!({"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "checkout-devs"}),
    ));
    server.insert(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "deployer", "namespace": "tools"},
        "rules": [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "patch"]}]}));
    server.insert(binding(
        "tools",
        "deployers",
        ("Role", "deployer"),
        json!({"kind": "ServiceAccount", "name": "ci", "namespace": "tools"}),
    ));
    let mut orphan = server
        .object("deployments", Some("misc"), "orphan")
        .unwrap();
    orphan["metadata"]["managedFields"] = json!([
        {"manager": "kubectl-edit", "operation": "Update", "apiVersion": "apps/v1",
         "time": "2026-03-02T10:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": {}},
        {"manager": "ci-payments", "operation": "Apply", "apiVersion": "apps/v1",
         "time": "2026-03-01T10:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": {}},
        {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1",
         "time": "2026-02-01T10:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": {}, "subresource": "status"}
    ]);
    server.insert(orphan);
    let env = Env::new(&server);
    let config = env.home().join("config.yaml");
    std::fs::write(
        &config,
        "teams:\n  - name: payments\n    groups: [payments-devs]\n    managers: [ci-payments]\n  - name: checkout\n    groups: [checkout-devs]\n  - name: platform\n    groups: [\"system:serviceaccount:tools:ci\"]\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let run = env.owner(&["suggest", "-A", "-o", "json", "--config", config]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let item = |name: &str| {
        doc["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == name)
            .unwrap()
            .clone()
    };
    let orphan = item("orphan");
    // Its entries are older than this test's object: the first is a writer, not its creator.
    assert_eq!(orphan["firstWriter"], "first recorded writer ci-payments");
    assert_eq!(
        orphan["candidates"],
        json!([{"team": "payments", "confidence": "high", "evidence": [
            {"source": "rbac-group", "text": "group payments-devs may edit namespace misc (RoleBinding misc/editors to ClusterRole/edit), listed by team payments"},
            {"source": "field-manager", "text": "applied by field manager ci-payments, listed by team payments"}
        ]}])
    );
    let sorter = item("sorter");
    assert_eq!(sorter["candidates"][0]["team"], "platform");
    assert_eq!(sorter["candidates"][0]["confidence"], "high");
    assert_eq!(
        sorter["candidates"][0]["evidence"][0]["text"],
        "service account system:serviceaccount:tools:ci may edit namespace tools (RoleBinding tools/deployers to Role/deployer), listed by team platform"
    );
    // The table's row for an object with no team evidence says who created it.
    let wide = env.owner(&["suggest", "-n", "shop", "-o", "wide", "--config", config]);
    assert_eq!(wide.code, 0, "{}", wide.stderr);
    assert!(
        wide.stdout
            .lines()
            .next()
            .unwrap()
            .ends_with("OTHER CANDIDATES   CREATED BY")
    );

    // Without `groups` in the registry, no RoleBinding is read.
    server.clear_requests();
    env.owner(&["suggest", "-A"]);
    assert_eq!(server.count(None, "rolebindings"), 0);
}

/// A user who may not list RoleBindings gets the rest of the evidence, and the missing part
/// named on stderr.
#[test]
fn forbidden_role_bindings_leave_the_evidence_partial_and_say_so() {
    let server = seeded();
    server.add_token("dev-token", "dev");
    server.grant(test_apiserver::Grant::new(
        "dev",
        &["get", "list"],
        &[
            "namespaces",
            "pods",
            "deployments",
            "statefulsets",
            "daemonsets",
            "replicasets",
            "jobs",
            "cronjobs",
            "replicationcontrollers",
            "rollouts",
            "configmaps",
        ],
    ));
    let env = Env::with_kubeconfig(&server.kubeconfig("t", None, Some("dev-token")));
    let config = env.home().join("config.yaml");
    std::fs::write(
        &config,
        "teams:\n  - name: payments\n    groups: [payments-devs]\n",
    )
    .unwrap();
    let run = env.owner(&["suggest", "-A", "--config", config.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "Warning: evidence incomplete, could not read: rolebindings.rbac.authorization.k8s.io (cluster-wide)\n"
    );
    assert!(
        run.stdout.contains("cart       checkout    high"),
        "{}",
        run.stdout
    );
}

/// README's `assign --from` example: the demo's high-confidence suggestions, as a dry run.
#[test]
fn readme_example_of_assign_from_on_the_demo() {
    let server = crate::support::demo_server();
    let env = Env::new(&server);
    let suggested = env.owner(&["suggest", "-A", "-o", "json"]);
    assert_eq!(suggested.code, 0, "{}", suggested.stderr);
    let run = env.owner_stdin(
        &[
            "assign",
            "--from",
            "-",
            "--min-confidence",
            "high",
            "--dry-run",
        ],
        &suggested.stdout,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(server.writes().is_empty());
    crate::support::readme::assert_example(
        "assign_from",
        "kubectl owner suggest -A -o json | kubectl owner assign --from - --min-confidence high --dry-run",
        &crate::support::readme::shown(&run),
        0,
    );
}
