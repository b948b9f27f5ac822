//! `--list-mode` and `--chunk-size`: what each mode sends, from the server's request log, and
//! that every mode lists the same objects.

use crate::support::{Env, TestServer, bulk_pods, demo_server};

/// The demo cluster with 1,200 more pods: three pages of kubectl's 500.
fn big() -> TestServer {
    let server = demo_server();
    bulk_pods(&server, 1_200, serde_json::json!({}));
    server.clear_requests();
    server
}

/// The queries of the pod lists (and watches) the last command sent, in order.
fn pod_lists(server: &TestServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/pods")
        .map(|r| {
            // The continue token is opaque: only whether one was sent matters here.
            let mut params: Vec<String> = r
                .query
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once('=') {
                    Some(("continue", _)) => "continue=…".to_string(),
                    _ => p.to_string(),
                })
                .collect();
            params.sort();
            params.join("&")
        })
        .collect()
}

#[test]
fn every_mode_lists_the_same_pods() {
    let server = big();
    let env = Env::new(&server);
    let paged = env.owner(&["ls", "pods", "-A", "-o", "name"]);
    assert_eq!(paged.code, 0, "{}", paged.stderr);
    assert_eq!(
        pod_lists(&server),
        ["limit=500", "continue=…&limit=500", "continue=…&limit=500"]
    );
    for (args, sent) in [
        (vec!["--chunk-size=0"], vec![""]),
        (
            vec!["--chunk-size", "1000"],
            vec!["limit=1000", "continue=…&limit=1000"],
        ),
        (
            vec!["--list-mode=cache"],
            vec!["resourceVersion=0&resourceVersionMatch=NotOlderThan"],
        ),
        (
            vec!["--list-mode=stream"],
            vec![
                "allowWatchBookmarks=true&resourceVersion=&resourceVersionMatch=NotOlderThan&sendInitialEvents=true&timeoutSeconds=290&watch=true",
            ],
        ),
    ] {
        server.clear_requests();
        let mut line = vec!["ls", "pods", "-A", "-o", "name"];
        line.extend(&args);
        let run = env.owner(&line);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, paged.stdout, "{args:?}: the same pods");
        assert_eq!(pod_lists(&server), sent, "{args:?}");
    }
}

#[test]
fn cache_mode_says_its_lists_may_be_stale() {
    let server = demo_server();
    let run = Env::new(&server).owner(&["ls", "-A", "--list-mode=cache", "-v=1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.lines().any(|l| l.ends_with(
            "--list-mode=cache: lists come whole, one response per kind, from the API server's watch cache, and may be seconds stale"
        )),
        "{}",
        run.stderr
    );
    let quiet = Env::new(&server).owner(&["ls", "-A", "--list-mode=cache"]);
    assert_eq!(quiet.stderr, "", "said at -v=1 only");
}

/// A server with WatchList off answers 422: the list is read in pages instead, and `-v=1` says so.
#[test]
fn stream_mode_falls_back_to_pages_where_watch_lists_are_off() {
    let server = big();
    server.disable_watch_list();
    let env = Env::new(&server);
    let paged = env.owner(&["ls", "pods", "-A", "-o", "name"]);
    server.clear_requests();
    let run = env.owner(&[
        "ls",
        "pods",
        "-A",
        "-o",
        "name",
        "--list-mode=stream",
        "-v=1",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, paged.stdout);
    let sent = pod_lists(&server);
    assert!(sent[0].contains("sendInitialEvents=true"), "{sent:?}");
    assert_eq!(
        sent[1..],
        ["limit=500", "continue=…&limit=500", "continue=…&limit=500"]
    );
    assert!(
        run.stderr.contains(
            "--list-mode=stream: the server does not serve watch-lists of pods (WatchList off); reading pages instead"
        ),
        "{}",
        run.stderr
    );
}

/// A continue token that expires mid-list (410) starts that list again without one.
#[test]
fn paged_mode_restarts_a_list_after_a_410() {
    let server = big();
    server.add_fault(test_apiserver::Fault::new(
        "continue=",
        1,
        test_apiserver::FaultKind::DeleteAndExpire {
            resource: "pods".into(),
            namespace: Some("default".into()),
            name: "bulk-0001".into(),
        },
    ));
    let run = Env::new(&server).owner(&["ls", "pods", "-A", "-o", "name"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("pod/bulk-0001\n"));
    let sent = pod_lists(&server);
    assert_eq!(
        sent,
        [
            "limit=500",
            "continue=…&limit=500",
            "limit=500",
            "continue=…&limit=500",
            "continue=…&limit=500"
        ]
    );
}
