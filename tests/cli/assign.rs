//! `assign` / `unassign` against the test API server: only our keys change, kubectl label's
//! `--overwrite` rule, 409 retries that never lose a concurrent change, dry runs, validation
//! before any request, bulk selection, namespaces, GitOps warnings and per-object failures.

use crate::support::{self, Env, Run, TestServer, demo_server, readme};
use serde_json::{Value, json};
use test_apiserver::{Fault, FaultKind, Grant};

fn deployment(server: &TestServer, ns: &str, name: &str) -> Value {
    server
        .object("deployments", Some(ns), name)
        .unwrap_or_else(|| panic!("deployment {ns}/{name}"))
}

fn labels(object: &Value) -> Value {
    object["metadata"]["labels"].clone()
}

fn assert_ok(run: &Run) {
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
}

fn patches(server: &TestServer) -> Vec<test_apiserver::RequestRecord> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .collect()
}

/// The stored object with `keys` removed from its labels and the resourceVersion blanked.
fn without(mut object: Value, keys: &[&str]) -> Value {
    for key in keys {
        if let Some(labels) = object["metadata"]["labels"].as_object_mut() {
            labels.remove(*key);
        }
    }
    object["metadata"]["resourceVersion"] = json!("");
    object
}

#[test]
fn assign_changes_only_the_two_labels_and_the_resource_version() {
    let server = demo_server();
    let env = Env::new(&server);
    let before = deployment(&server, "payments", "api");
    let run = env.owner(&[
        "assign",
        "deploy/api",
        "-n",
        "payments",
        "--team",
        "payments",
        "--stage",
        "production",
    ]);
    assert_ok(&run);
    let after = deployment(&server, "payments", "api");
    assert_eq!(after["metadata"]["labels"]["team"], "payments");
    assert_eq!(after["metadata"]["labels"]["lifecycle"], "production");
    assert_ne!(
        after["metadata"]["resourceVersion"],
        before["metadata"]["resourceVersion"]
    );
    assert_eq!(
        after["spec"]["template"], before["spec"]["template"],
        "pod template untouched"
    );
    // The server records the write: one field manager, ours, owning the one label it changed.
    assert_eq!(
        after["metadata"]["managedFields"],
        json!([{
            "manager": "kubectl-owner", "operation": "Update", "apiVersion": "apps/v1",
            "time": after["metadata"]["managedFields"][0]["time"],
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {"f:lifecycle": {}}}}
        }])
    );
    let mut after = after;
    after["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("managedFields");
    assert_eq!(
        without(after, &["team", "lifecycle"]),
        without(before.clone(), &["team", "lifecycle"])
    );
    assert_eq!(
        run.stdout,
        "NAME                  KEY         CHANGE                RESULT\n\
         deployment.apps/api   team        payments → payments   (no change)\n\
         deployment.apps/api   lifecycle   <none> → production   changed\n"
    );
    // One merge patch carrying only our key and the resourceVersion that was read.
    let patches = patches(&server);
    assert_eq!(patches.len(), 1);
    let patch = &patches[0];
    assert_eq!(
        patch.path,
        "/apis/apps/v1/namespaces/payments/deployments/api"
    );
    assert!(
        patch
            .content_type
            .as_deref()
            .unwrap_or("")
            .starts_with("application/merge-patch+json")
    );
    assert_eq!(
        patch.query_param("fieldManager").as_deref(),
        Some("kubectl-owner")
    );
    assert_eq!(patch.query_param("dryRun"), None);
    let body: Value = serde_json::from_str(&patch.body).unwrap();
    assert_eq!(
        body,
        json!({"metadata": {
            "resourceVersion": before["metadata"]["resourceVersion"],
            "uid": before["metadata"]["uid"],
            "labels": {"lifecycle": "production"}
        }})
    );
}

#[test]
fn an_equal_value_is_no_change_and_sends_no_patch() {
    let server = demo_server();
    let env = Env::new(&server);
    let run = env.owner(&[
        "assign",
        "deploy/api",
        "-n",
        "payments",
        "--team",
        "payments",
    ]);
    assert_ok(&run);
    assert!(run.stdout.contains("(no change)"), "{}", run.stdout);
    assert!(patches(&server).is_empty());
}

#[test]
fn a_different_team_is_kept_without_overwrite_and_replaced_with_it() {
    let server = demo_server();
    let env = Env::new(&server);
    let before = deployment(&server, "payments", "api");
    let run = env.owner(&[
        "assign",
        "deploy/api",
        "-n",
        "payments",
        "--team",
        "checkout",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "error: deployment.apps/api in namespace payments: 'team' already has a value (payments), and --overwrite is false"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("payments → checkout   skipped"),
        "{}",
        run.stdout
    );
    assert_eq!(
        deployment(&server, "payments", "api"),
        before,
        "object unchanged"
    );
    assert!(patches(&server).is_empty());

    let run = env.owner(&[
        "assign",
        "deploy/api",
        "-n",
        "payments",
        "--team",
        "checkout",
        "--overwrite",
    ]);
    assert_ok(&run);
    assert_eq!(
        labels(&deployment(&server, "payments", "api"))["team"],
        "checkout"
    );
}

#[test]
fn the_refused_object_is_skipped_and_the_others_proceed() {
    let server = demo_server();
    let env = Env::new(&server);
    let run = env.owner(&[
        "assign",
        "deploy/api",
        "deploy/ledger",
        "-n",
        "payments",
        "--team",
        "checkout",
    ]);
    assert_eq!(run.code, 1);
    assert_eq!(
        labels(&deployment(&server, "payments", "api"))["team"],
        "payments"
    );
    assert_eq!(
        labels(&deployment(&server, "payments", "ledger"))["team"],
        "checkout"
    );
}

#[test]
fn a_concurrent_writer_gets_409_then_the_retry_keeps_both_changes() {
    let server = demo_server();
    let env = Env::new(&server);
    server.add_fault(
        Fault::new(
            "/namespaces/payments/deployments/ledger",
            1,
            FaultKind::ConcurrentPatch(json!({"metadata": {"labels": {"release": "canary"}}})),
        )
        .method("PATCH"),
    );
    let run = env.owner(&[
        "assign",
        "deploy/ledger",
        "-n",
        "payments",
        "--team",
        "payments",
        "-v=2",
    ]);
    assert_ok(&run);
    let patches = patches(&server);
    assert_eq!(
        patches.iter().map(|p| p.status).collect::<Vec<_>>(),
        vec![409, 200]
    );
    let first: Value = serde_json::from_str(&patches[0].body).unwrap();
    let second: Value = serde_json::from_str(&patches[1].body).unwrap();
    assert_ne!(
        first["metadata"]["resourceVersion"], second["metadata"]["resourceVersion"],
        "re-read before retry"
    );
    let stored = labels(&deployment(&server, "payments", "ledger"));
    assert_eq!(stored["team"], "payments");
    assert_eq!(
        stored["release"], "canary",
        "the other writer's change is kept"
    );
    assert!(run.stderr.contains("reading it again"), "{}", run.stderr);
}

/// Labels `team=legacy` on deployments `search/indexer` and `checkout/web`.
fn two_legacy_deployments(server: &TestServer) {
    for (ns, name) in [("search", "indexer"), ("checkout", "web")] {
        let mut object = deployment(server, ns, name);
        object["metadata"]["labels"]["team"] = json!("legacy");
        server.insert(object);
    }
}

#[test]
fn an_object_that_left_the_selection_before_the_retry_is_not_written() {
    let server = demo_server();
    two_legacy_deployments(&server);
    let env = Env::new(&server);
    // Between our list and our patch, another writer hands `web` to the payments team.
    server.add_fault(
        Fault::new(
            "/namespaces/checkout/deployments/web",
            1,
            FaultKind::ConcurrentPatch(json!({"metadata": {"labels": {"team": "payments"}}})),
        )
        .method("PATCH"),
    );
    let run = env.owner(&["unassign", "deploy", "-A", "-l", "team=legacy", "--team"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        labels(&deployment(&server, "checkout", "web"))["team"],
        "payments",
        "the other writer's team survives"
    );
    assert!(
        labels(&deployment(&server, "search", "indexer"))
            .get("team")
            .is_none(),
        "the object still selected is written"
    );
    assert!(
        run.stderr.contains(
            "deployment.apps/web in namespace checkout: no longer matches the selector \"team=legacy\"; not written"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn an_object_recreated_under_the_same_name_is_not_written() {
    let server = demo_server();
    two_legacy_deployments(&server);
    let env = Env::new(&server);
    let before = deployment(&server, "checkout", "web");
    server.add_fault(
        Fault::new(
            "/namespaces/checkout/deployments/web",
            1,
            FaultKind::Recreate,
        )
        .method("PATCH"),
    );
    let run = env.owner(&["unassign", "deploy", "-A", "-l", "team=legacy", "--team"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let after = deployment(&server, "checkout", "web");
    assert_ne!(after["metadata"]["uid"], before["metadata"]["uid"]);
    assert_eq!(
        labels(&after)["team"],
        "legacy",
        "the new object is untouched"
    );
    assert!(
        run.stderr.contains(
            "deployment.apps/web in namespace checkout: was deleted and recreated since it was read; not written"
        ),
        "{}",
        run.stderr
    );
    // Every patch names the object it was planned on.
    for patch in patches(&server) {
        let body: Value = serde_json::from_str(&patch.body).unwrap();
        assert!(body["metadata"]["uid"].is_string(), "{}", patch.body);
    }
}

#[test]
fn a_patch_that_landed_before_its_answer_was_lost_is_reported_changed() {
    let server = demo_server();
    let env = Env::new(&server);
    // The server applies the patch, then the response is cut off half-way.
    server.add_fault(
        Fault::new(
            "/namespaces/payments/deployments/api",
            1,
            FaultKind::TruncatedBody,
        )
        .method("PATCH"),
    );
    let run = env.owner(&[
        "assign",
        "deploy/api",
        "-n",
        "payments",
        "--stage",
        "production",
    ]);
    assert_ok(&run);
    assert_eq!(
        run.stdout,
        "NAME                  KEY         CHANGE                RESULT\n\
         deployment.apps/api   lifecycle   <none> → production   changed\n"
    );
    assert_eq!(
        labels(&deployment(&server, "payments", "api"))["lifecycle"],
        "production"
    );
    assert_eq!(patches(&server).len(), 1, "read again, not sent blind");
}

#[test]
fn a_landed_patch_that_moved_the_object_out_of_its_selector_is_still_changed() {
    let server = demo_server();
    let env = Env::new(&server);
    server.add_fault(
        Fault::new(
            "/namespaces/payments/deployments/api",
            1,
            FaultKind::TruncatedBody,
        )
        .method("PATCH"),
    );
    // `api` has no lifecycle label: it is selected by `!lifecycle`, and our own patch is what
    // takes it out of that selection.
    let run = env.owner(&[
        "assign",
        "deploy",
        "-n",
        "payments",
        "-l",
        "!lifecycle",
        "--stage",
        "production",
        "-o",
        "json",
    ]);
    assert_ok(&run);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let api = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "api")
        .expect("api in the report");
    assert_eq!(api["result"], "changed", "{}", run.stderr);
}

#[test]
fn a_team_held_as_an_annotation_is_an_existing_value_and_unassign_removes_it() {
    let server = demo_server();
    let mut object = deployment(&server, "search", "indexer");
    object["metadata"]["annotations"]["team"] = json!("search");
    server.insert(object);
    let env = Env::new(&server);
    // `who` reads the annotation: the indexer belongs to search.
    let run = env.owner(&["who", "deploy/indexer", "-n", "search", "-o", "json"]);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["item"]["team"]["value"], "search");
    // A different team is refused without --overwrite, as for a label.
    let run = env.owner(&["assign", "deploy/indexer", "-n", "search", "--team", "data"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("'team' already has a value (search), and --overwrite is false"),
        "{}",
        run.stderr
    );
    assert!(patches(&server).is_empty());
    // With --overwrite the label is written and the annotation's other value removed.
    let run = env.owner(&[
        "assign",
        "deploy/indexer",
        "-n",
        "search",
        "--team",
        "data",
        "--overwrite",
    ]);
    assert_ok(&run);
    assert_eq!(
        run.stdout,
        "NAME                      KEY                 CHANGE            RESULT\n\
         deployment.apps/indexer   team (label)        <none> → data     changed\n\
         deployment.apps/indexer   team (annotation)   search → <none>   changed\n"
    );
    let stored = deployment(&server, "search", "indexer");
    assert_eq!(stored["metadata"]["labels"]["team"], "data");
    assert!(stored["metadata"]["annotations"].get("team").is_none());
    // The label now holds `data`; a different annotation left beside it is hidden (labels win):
    // assigning `data` again is no refusal, and the hidden annotation is left alone.
    let mut object = deployment(&server, "search", "indexer");
    object["metadata"]["annotations"]["team"] = json!("search");
    server.insert(object);
    let run = env.owner(&["assign", "deploy/indexer", "-n", "search", "--team", "data"]);
    assert_ok(&run);
    assert_eq!(
        deployment(&server, "search", "indexer")["metadata"]["annotations"]["team"],
        "search"
    );
    let run = env.owner(&["unassign", "deploy/indexer", "-n", "search", "--team"]);
    assert_ok(&run);
    let stored = deployment(&server, "search", "indexer");
    assert!(stored["metadata"]["labels"].get("team").is_none());
    assert!(stored["metadata"]["annotations"].get("team").is_none());
    let run = env.owner(&["who", "deploy/indexer", "-n", "search", "-o", "json"]);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        doc["item"]["team"]["value"],
        Value::Null,
        "who no longer shows it"
    );
}

#[test]
fn the_retry_re_decides_on_the_fresh_value() {
    let server = demo_server();
    let env = Env::new(&server);
    // Between our read and our write, someone else sets the team: without --overwrite we now refuse.
    server.add_fault(
        Fault::new(
            "/namespaces/payments/deployments/ledger",
            1,
            FaultKind::ConcurrentPatch(json!({"metadata": {"labels": {"team": "data"}}})),
        )
        .method("PATCH"),
    );
    let run = env.owner(&[
        "assign",
        "deploy/ledger",
        "-n",
        "payments",
        "--team",
        "payments",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("'team' already has a value (data)"),
        "{}",
        run.stderr
    );
    assert_eq!(
        labels(&deployment(&server, "payments", "ledger"))["team"],
        "data"
    );
}

#[test]
fn retries_are_bounded() {
    let server = demo_server();
    let env = Env::new(&server);
    server.add_fault(
        Fault::new(
            "/namespaces/payments/deployments/ledger",
            100,
            FaultKind::ConcurrentPatch(json!({"metadata": {"annotations": {"touched": "yes"}}})),
        )
        .method("PATCH"),
    );
    let run = env.owner(&[
        "assign",
        "deploy/ledger",
        "-n",
        "payments",
        "--team",
        "payments",
    ]);
    assert_eq!(run.code, 1);
    assert_eq!(patches(&server).len(), 5);
    assert!(
        run.stderr.contains("Error from server (Conflict)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("gave up after 5 attempts"),
        "{}",
        run.stderr
    );
    assert_eq!(
        labels(&deployment(&server, "payments", "ledger")).get("team"),
        None
    );
}

#[test]
fn dry_run_server_validates_and_persists_nothing() {
    let server = demo_server();
    let env = Env::new(&server);
    let before = deployment(&server, "payments", "ledger");
    let run = env.owner(&[
        "assign",
        "deploy/ledger",
        "-n",
        "payments",
        "--team",
        "payments",
        "--dry-run=server",
    ]);
    assert_ok(&run);
    assert_eq!(
        run.stdout,
        "NAME                     KEY    CHANGE              RESULT\n\
         deployment.apps/ledger   team   <none> → payments   changed (server dry run)\n"
    );
    let patches = patches(&server);
    assert_eq!(patches.len(), 1);
    assert_eq!(patches[0].query_param("dryRun").as_deref(), Some("All"));
    assert_eq!(deployment(&server, "payments", "ledger"), before);
}

#[test]
fn dry_run_client_sends_no_write() {
    let server = demo_server();
    let env = Env::new(&server);
    let before = deployment(&server, "payments", "ledger");
    for flag in ["--dry-run=client", "--dry-run"] {
        let run = env.owner(&[
            "assign",
            "deploy/ledger",
            "-n",
            "payments",
            "--team",
            "payments",
            flag,
        ]);
        assert_ok(&run);
        assert!(
            run.stdout.contains("<none> → payments   changed (dry run)"),
            "{}",
            run.stdout
        );
    }
    let run = env.owner(&[
        "unassign",
        "deploy/ledger",
        "-n",
        "payments",
        "--stage",
        "--dry-run=client",
    ]);
    assert_ok(&run);
    assert!(
        run.stdout
            .contains("production → <none>   changed (dry run)"),
        "{}",
        run.stdout
    );
    assert!(server.writes().is_empty(), "{:?}", server.writes());
    assert_eq!(deployment(&server, "payments", "ledger"), before);
}

#[test]
fn invalid_inputs_fail_before_any_request() {
    let server = demo_server();
    let env = Env::new(&server);
    let long = "x".repeat(64);
    let cases: &[(&[&str], &str)] = &[
        (&["--team", &long], "--team: invalid label value"),
        (&["--team=-payments"], "--team: invalid label value"),
        (&["--team", "pay ments"], "--team: invalid label value"),
        (&["--stage", "Prod!"], "--stage: invalid label value"),
        (
            &["--sunset", "2026-02-30"],
            "invalid --sunset \"2026-02-30\": expected a calendar date YYYY-MM-DD",
        ),
        (
            &["--sunset", "31.12.2026"],
            "expected a calendar date YYYY-MM-DD",
        ),
        (
            &["--contact", "slack=#payments"],
            "unknown contact key \"slack\"",
        ),
        (&["--contact", "chat"], "expected KEY=VALUE"),
        (&[], "nothing to assign"),
    ];
    for (flags, message) in cases {
        let mut args = vec!["assign", "deploy/ledger", "-n", "payments"];
        args.extend_from_slice(flags);
        let run = env.owner(&args);
        assert_eq!(run.code, 1, "{args:?}");
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
        assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
        assert!(
            server.requests().is_empty(),
            "{args:?} sent {:?}",
            server.requests()
        );
    }
    let run = env.owner(&[
        "unassign",
        "deploy/ledger",
        "-n",
        "payments",
        "--contact",
        "pager",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("unknown contact key \"pager\""),
        "{}",
        run.stderr
    );
    let run = env.owner(&["unassign", "deploy/ledger", "-n", "payments"]);
    assert!(run.stderr.contains("nothing to unassign"), "{}", run.stderr);
    assert!(server.requests().is_empty());

    // Stages and the registry may live in the cluster's config: only that is read first.
    for (flags, message) in [
        (
            ["--stage", "prod"],
            "invalid --stage \"prod\": not one of the configured stages (experimental, production, deprecated, retired); did you mean \"production\"?",
        ),
        (
            ["--team", "paymnts"],
            "unknown team \"paymnts\": not in the team registry; did you mean \"payments\"?",
        ),
    ] {
        let mut args = vec!["assign", "deploy/ledger", "-n", "payments"];
        args.extend_from_slice(&flags);
        let run = env.owner(&args);
        assert_eq!(run.code, 1);
        assert!(run.stderr.contains(message), "{}", run.stderr);
        assert!(server.writes().is_empty());
        assert_eq!(server.count(None, "deployments"), 0, "no object was read");
    }
}

#[test]
fn unknown_teams_need_allow_unknown_team_and_aliases_are_written_canonical() {
    let server = demo_server();
    let env = Env::new(&server);
    let run = env.owner(&["assign", "deploy/ledger", "-n", "payments", "--team", "web"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("unknown team \"web\""),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--allow-unknown-team"),
        "{}",
        run.stderr
    );
    assert!(server.writes().is_empty());

    let run = env.owner(&[
        "assign",
        "deploy/ledger",
        "-n",
        "payments",
        "--team",
        "web",
        "--allow-unknown-team",
    ]);
    assert_ok(&run);
    assert!(
        run.stderr
            .contains("team \"web\" is not in the team registry; writing it anyway"),
        "{}",
        run.stderr
    );
    assert_eq!(
        labels(&deployment(&server, "payments", "ledger"))["team"],
        "web"
    );

    let run = env.owner(&[
        "assign",
        "deploy/web",
        "-n",
        "checkout",
        "--team",
        "checkout-old",
    ]);
    assert_ok(&run);
    assert!(
        run.stderr
            .contains("team \"checkout-old\" is an alias of \"checkout\" in the team registry; writing \"checkout\""),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("<none> → checkout"), "{}", run.stdout);
    assert_eq!(
        labels(&deployment(&server, "checkout", "web"))["team"],
        "checkout"
    );
}

#[test]
fn bulk_assign_by_selector_changes_exactly_the_matching_objects() {
    let server = demo_server();
    let env = Env::new(&server);
    let all_before: Vec<(String, String, Value)> = [
        ("payments", "api"),
        ("payments", "ledger"),
        ("checkout", "web"),
        ("checkout", "cart"),
        ("checkout", "notifier"),
        ("search", "indexer"),
        ("data", "etl"),
        ("data", "reports"),
    ]
    .iter()
    .map(|(ns, n)| (ns.to_string(), n.to_string(), deployment(&server, ns, n)))
    .collect();
    let run = env.owner(&[
        "assign",
        "deploy",
        "-A",
        "-l",
        "tier=web",
        "--team",
        "web",
        "--allow-unknown-team",
        "--overwrite",
    ]);
    assert_ok(&run);
    assert_eq!(
        run.stdout,
        "NAMESPACE   NAME                      KEY    CHANGE           RESULT\n\
         checkout    deployment.apps/web       team   <none> → web     changed\n\
         payments    deployment.apps/api       team   payments → web   changed\n\
         payments    deployment.apps/ledger    team   <none> → web     changed\n\
         search      deployment.apps/indexer   team   <none> → web     changed\n"
    );
    for (ns, name, before) in all_before {
        let after = deployment(&server, &ns, &name);
        let matching = before["metadata"]["labels"]["tier"] == "web";
        if matching {
            assert_eq!(labels(&after)["team"], "web", "{ns}/{name}");
        } else {
            assert_eq!(after, before, "{ns}/{name} must not change");
        }
    }
    // One list for the selection, then one patch per object and no extra GET.
    assert_eq!(patches(&server).len(), 4);
    assert_eq!(server.count(Some("GET"), "/apis/apps/v1/deployments?"), 1);
}

#[test]
fn bulk_without_overwrite_skips_the_owned_object_and_exits_1() {
    let server = demo_server();
    let env = Env::new(&server);
    let run = env.owner(&[
        "assign", "deploy", "-A", "-l", "tier=web", "--team", "search",
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains(
        "deployment.apps/api in namespace payments: 'team' already has a value (payments)"
    ));
    assert_eq!(patches(&server).len(), 3);
    assert_eq!(
        labels(&deployment(&server, "payments", "api"))["team"],
        "payments"
    );
    assert_eq!(
        labels(&deployment(&server, "search", "indexer"))["team"],
        "search"
    );
}

#[test]
fn all_in_a_namespace_and_output_formats() {
    let server = demo_server();
    let env = Env::new(&server);
    let run = env.owner(&[
        "assign",
        "deploy",
        "--all",
        "-n",
        "checkout",
        "--stage",
        "deprecated",
        "--overwrite",
        "-o",
        "name",
    ]);
    assert_ok(&run);
    assert_eq!(
        run.stdout,
        "deployment.apps/cart\ndeployment.apps/notifier\ndeployment.apps/web\n"
    );
    let run = env.owner(&[
        "assign",
        "deploy/web",
        "-n",
        "checkout",
        "--sunset",
        "2026-12-31",
        "-o",
        "json",
    ]);
    assert_ok(&run);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["kind"], "AssignResult");
    assert_eq!(doc["items"][0]["result"], "changed");
    assert_eq!(
        doc["items"][0]["changes"],
        json!([{"key": "kubectl-owner/sunset", "type": "annotation", "old": null, "new": "2026-12-31"}])
    );
    let run = env.owner(&[
        "assign", "deploy", "-n", "default", "--all", "--team", "search",
    ]);
    assert_ok(&run);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .contains("No resources found in default namespace."),
        "{}",
        run.stderr
    );
}

#[test]
fn unassign_team_removes_only_that_label() {
    let server = demo_server();
    let env = Env::new(&server);
    let before = deployment(&server, "payments", "api");
    let run = env.owner(&["unassign", "deploy/api", "-n", "payments", "--team"]);
    assert_ok(&run);
    assert!(
        run.stdout.contains("payments → <none>   changed"),
        "{}",
        run.stdout
    );
    let after = deployment(&server, "payments", "api");
    assert_eq!(labels(&after).get("team"), None);
    assert_eq!(without(after, &[]), without(before, &["team"]));
    let body: Value = serde_json::from_str(&patches(&server)[0].body).unwrap();
    assert_eq!(body["metadata"]["labels"], json!({"team": null}));
}

#[test]
fn contacts_are_annotations_written_and_removed() {
    let server = demo_server();
    let env = Env::new(&server);
    let run = env.owner(&[
        "assign",
        "deploy/ledger",
        "-n",
        "payments",
        "--contact",
        "chat=#ledger",
        "--contact",
        "runbook=https://runbooks.example/ledger",
    ]);
    assert_ok(&run);
    let annotations = deployment(&server, "payments", "ledger")["metadata"]["annotations"].clone();
    assert_eq!(annotations["a8r.io/chat"], "#ledger");
    assert_eq!(
        annotations["a8r.io/runbook"],
        "https://runbooks.example/ledger"
    );

    // --contacts removes every contact annotation and nothing else.
    let run = env.owner(&["unassign", "deploy/api", "-n", "payments", "--contacts"]);
    assert_ok(&run);
    let annotations = deployment(&server, "payments", "api")["metadata"]["annotations"].clone();
    assert_eq!(annotations, json!({"app.kubernetes.io/part-of": "shop"}));
}

#[test]
fn a_namespace_default_is_inherited_by_its_workloads() {
    let server = demo_server();
    let env = Env::new(&server);
    let run = env.owner(&["assign", "ns/search", "--team", "search"]);
    assert_ok(&run);
    assert_eq!(
        run.stdout,
        "NAME               KEY    CHANGE            RESULT\nnamespace/search   team   <none> → search   changed\n"
    );
    assert_eq!(
        server.object("namespaces", None, "search").unwrap()["metadata"]["labels"]["team"],
        "search"
    );
    let run = env.owner(&[
        "who",
        "indexer-6d8f9b7c5-w3e4r",
        "-n",
        "search",
        "-o",
        "json",
    ]);
    assert_ok(&run);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let team = &doc["item"]["team"];
    assert_eq!(team["value"], "search", "{doc}");
    assert_eq!(team["source"]["kind"], "Namespace");
    assert_eq!(team["source"]["name"], "search");
}

fn gitops_deployment(name: &str, labels: Value, annotations: Value) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "payments", "labels": labels, "annotations": annotations},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c", "image": "x"}]}}}
    })
}

#[test]
fn gitops_managed_objects_get_a_warning_naming_what_to_edit() {
    let server = demo_server();
    server.insert(gitops_deployment(
        "shop",
        json!({"app": "shop", "app.kubernetes.io/managed-by": "Helm"}),
        json!({"meta.helm.sh/release-name": "shop", "meta.helm.sh/release-namespace": "payments"}),
    ));
    server.insert(gitops_deployment(
        "argo",
        json!({"app": "argo", "argocd.argoproj.io/instance": "payments-prod"}),
        json!({}),
    ));
    server.insert(gitops_deployment(
        "flux",
        json!({"app": "flux", "kustomize.toolkit.fluxcd.io/name": "apps", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}),
        json!({}),
    ));
    let env = Env::new(&server);
    let run = env.owner(&[
        "assign",
        "deploy/shop",
        "deploy/argo",
        "deploy/flux",
        "deploy/ledger",
        "-n",
        "payments",
        "--team",
        "payments",
    ]);
    assert_ok(&run);
    assert!(run.stderr.contains(
        "Warning: deployment.apps/shop in namespace payments is managed by Helm release \"payments/shop\": the next helm upgrade may revert this change"
    ), "{}", run.stderr);
    assert!(run.stderr.contains(
        "Warning: deployment.apps/argo in namespace payments is managed by Argo CD Application \"payments-prod\": its next sync may revert this change"
    ), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "Warning: deployment.apps/flux in namespace payments is managed by Flux Kustomization \"flux-system/apps\""
        ),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("ledger"),
        "no warning for an unmanaged object: {}",
        run.stderr
    );
    assert!(
        run.stdout.lines().all(|l| !l.starts_with("Warning")),
        "warnings stay off stdout"
    );
    assert_eq!(
        labels(&deployment(&server, "payments", "shop"))["team"],
        "payments",
        "still written"
    );
}

#[test]
fn per_object_403_404_422_are_reported_and_the_others_proceed() {
    let server = demo_server();
    server.add_token("alice-token", "alice");
    server.grant(Grant::new("alice", &["get", "list"], &["*"]));
    server.grant(
        Grant::new("alice", &["patch"], &["deployments"]).in_namespaces(&["checkout", "search"]),
    );
    let env = Env::with_kubeconfig(&server.kubeconfig("test", None, Some("alice-token")));

    // 403 in payments; the objects in checkout and search are written.
    let run = env.owner(&[
        "assign",
        "deploy",
        "-A",
        "-l",
        "tier=web",
        "--stage",
        "production",
        "--overwrite",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains(
        "Error from server (Forbidden): deployments.apps \"api\" is forbidden: User \"alice\" cannot patch resource \"deployments\" in API group \"apps\" in the namespace \"payments\""
    ), "{}", run.stderr);
    let api_row = run
        .stdout
        .lines()
        .find(|l| l.contains("deployment.apps/api "))
        .unwrap_or_default();
    assert!(
        api_row.ends_with("<none> → production         failed"),
        "{}",
        run.stdout
    );
    assert_eq!(
        labels(&deployment(&server, "search", "indexer"))["lifecycle"],
        "production"
    );
    assert_eq!(
        labels(&deployment(&server, "checkout", "web"))["lifecycle"],
        "production"
    );
    assert_eq!(
        labels(&deployment(&server, "payments", "api")).get("lifecycle"),
        None
    );

    // 404 for a missing name, 422 from the server's validation; the other object still proceeds.
    server.add_fault(
        Fault::new(
            "/namespaces/checkout/deployments/cart",
            1,
            FaultKind::Status {
                code: 422,
                retry_after: None,
            },
        )
        .method("PATCH"),
    );
    let run = env.owner(&[
        "assign",
        "deploy/nope",
        "deploy/cart",
        "deploy/notifier",
        "-n",
        "checkout",
        "--sunset",
        "2027-01-31",
        "--overwrite",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("Error from server (NotFound): deployments.apps \"nope\" not found"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Error from server (Invalid)"),
        "{}",
        run.stderr
    );
    let notifier = deployment(&server, "checkout", "notifier");
    assert_eq!(
        notifier["metadata"]["annotations"]["kubectl-owner/sunset"],
        "2027-01-31"
    );
}

#[test]
fn pods_with_a_controller_get_a_hint_to_assign_the_workload() {
    let server = demo_server();
    let env = Env::new(&server);
    let run = env.owner(&[
        "assign",
        "pod/api-7d9f8c6b5-x2kq9",
        "-n",
        "payments",
        "--stage",
        "production",
        "--dry-run=client",
    ]);
    assert_ok(&run);
    assert!(
        run.stderr
            .contains("is controlled by ReplicaSet/api-7d9f8c6b5"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("assign the workload instead"),
        "{}",
        run.stderr
    );
}

#[test]
fn target_shapes_are_checked_like_kubectl() {
    let server = demo_server();
    let env = Env::new(&server);
    let run = env.owner(&["assign", "deploy", "--team", "payments"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("no name, label selector, or --all flag specified"),
        "{}",
        run.stderr
    );
    let run = env.owner(&["assign", "deploy/api", "-A", "--team", "payments"]);
    assert!(
        run.stderr
            .contains("a resource cannot be retrieved by name across all namespaces"),
        "{}",
        run.stderr
    );
    let run = env.owner(&["assign", "deploymnt/api", "--team", "payments"]);
    assert!(
        run.stderr
            .contains("the server doesn't have a resource type \"deploymnt\""),
        "{}",
        run.stderr
    );
    assert!(server.writes().is_empty());
    // TYPE NAME... works as in kubectl.
    let run = env.owner(&[
        "assign",
        "deploy",
        "api",
        "ledger",
        "-n",
        "payments",
        "--stage",
        "production",
        "--dry-run=client",
    ]);
    assert_ok(&run);
    assert!(
        run.stdout.contains("deployment.apps/api") && run.stdout.contains("deployment.apps/ledger")
    );
}

#[test]
fn a_transient_server_error_on_the_patch_is_retried() {
    let server = demo_server();
    let env = Env::new(&server);
    server.add_fault(
        Fault::new(
            "/namespaces/payments/deployments/ledger",
            1,
            FaultKind::Status {
                code: 503,
                retry_after: None,
            },
        )
        .method("PATCH"),
    );
    let run = env.owner(&[
        "assign",
        "deploy/ledger",
        "-n",
        "payments",
        "--team",
        "payments",
    ]);
    assert_ok(&run);
    assert_eq!(
        patches(&server)
            .iter()
            .map(|p| p.status)
            .collect::<Vec<_>>(),
        vec![503, 200]
    );
    assert_eq!(
        labels(&deployment(&server, "payments", "ledger"))["team"],
        "payments"
    );
}

#[test]
fn ctrl_c_leaves_every_object_fully_written_or_untouched_and_says_which() {
    let server = demo_server();
    for i in 0..6 {
        server.insert(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": format!("batch-{i}"), "namespace": "default", "labels": {"app": "batch"}},
            "spec": {"selector": {"matchLabels": {"app": "batch"}},
                     "template": {"metadata": {"labels": {"app": "batch"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}}}
        }));
    }
    // Slow patches: Ctrl-C arrives while the first ones are in flight.
    server.add_fault(
        Fault::new(
            "/namespaces/default/deployments/batch-",
            6,
            FaultKind::Latency(std::time::Duration::from_secs(3)),
        )
        .method("PATCH"),
    );
    let env = Env::new(&server);
    let child = env.spawn_owner(&[
        "assign",
        "deploy",
        "-l",
        "app=batch",
        "--stage",
        "production",
    ]);
    // Wait (bounded) for the bulk list, then a little for the patches to be under way.
    support::wait_for_request(
        &server,
        "GET",
        "/apis/apps/v1/namespaces/default/deployments?",
    );
    std::thread::sleep(std::time::Duration::from_millis(800));
    support::interrupt(&child);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    let written: Vec<bool> = (0..6)
        .map(|i| {
            let object = server
                .object("deployments", Some("default"), &format!("batch-{i}"))
                .unwrap();
            object["metadata"]["labels"].get("lifecycle").is_some()
        })
        .collect();
    // The in-flight patches (4 at a time) finish; nothing new starts after Ctrl-C.
    assert_eq!(written, [true, true, true, true, false, false], "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("Interrupted:"))
        .expect("says what was done");
    assert!(
        line.starts_with("Interrupted: 4 written (deployment.apps/batch-0 in namespace default,"),
        "{line}"
    );
    assert!(
        line.ends_with(
            "2 untouched (deployment.apps/batch-4 in namespace default, deployment.apps/batch-5 in namespace default)"
        ),
        "{line}"
    );
}

#[test]
fn a_second_ctrl_c_stops_a_hung_write_at_once_and_names_what_is_unknown() {
    let server = demo_server();
    // A patch that hangs far longer than anyone waits.
    server.add_fault(
        Fault::new(
            "/namespaces/payments/deployments/ledger",
            1,
            FaultKind::Latency(std::time::Duration::from_secs(10)),
        )
        .method("PATCH"),
    );
    let env = Env::new(&server);
    let child = env.spawn_owner(&[
        "assign",
        "deploy/ledger",
        "-n",
        "payments",
        "--sunset",
        "2027-01-31",
    ]);
    support::wait_for_request(&server, "PATCH", "/deployments/ledger");
    std::thread::sleep(std::time::Duration::from_millis(200));
    for _ in 0..2 {
        support::interrupt(&child);
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains(
            "Interrupted again: stopped at once; 0 written (none); outcome unknown for 1 (deployment.apps/ledger in namespace payments); 0 untouched (none)"
        ),
        "{stderr}"
    );
}

/// README's examples of `assign` and `unassign`, in its order on one demo cluster, each continuing
/// from the one before: (name, arguments, exit status, lines on stderr).
const README_SESSION: &[(&str, &str, i32, usize)] = &[
    (
        "assign_ledger",
        "assign deploy/ledger -n payments --team payments --stage production",
        0,
        0,
    ),
    (
        "assign_api_kept",
        "assign deploy/api -n payments --team checkout",
        1,
        1,
    ),
    (
        "assign_api_overwrite",
        "assign deploy/api -n payments --team checkout --overwrite",
        0,
        0,
    ),
    (
        "assign_bulk_stage",
        "assign deploy -A -l tier=web --stage production",
        1,
        2,
    ),
    (
        "assign_bulk_sunset",
        "assign deploy -A -l tier=web --sunset 2027-06-30",
        0,
        1,
    ),
    ("assign_namespace", "assign ns/search --team search", 0, 0),
    ("ls_search", "ls -n search", 0, 0),
    (
        "assign_server_dry_run",
        "assign deploy/indexer -n search --team search --stage production --dry-run=server",
        0,
        1,
    ),
    (
        "assign_alias",
        "assign deploy/web -n checkout --team checkout-old",
        0,
        1,
    ),
    (
        "assign_typo_team",
        "assign deploy/web -n checkout --team chekout",
        1,
        2,
    ),
    (
        "assign_typo_stage",
        "assign deploy/web -n checkout --stage prod",
        1,
        2,
    ),
    (
        "unassign_contact_and_sunset",
        "unassign deploy/api -n payments --contact chat --sunset",
        0,
        0,
    ),
];

#[test]
fn readme_session_in_order() {
    let server = demo_server();
    let env = Env::new(&server);
    for (name, args, code, stderr_lines) in README_SESSION {
        let argv: Vec<&str> = args.split(' ').collect();
        let run = env.owner(&argv);
        assert_eq!(run.code, *code, "{args}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), *stderr_lines, "{args}: {run:?}");
        readme::assert_example(
            name,
            &format!("kubectl owner {args}"),
            &readme::shown(&run),
            run.code,
        );
    }
}
