//! List modes as kube-apiserver serves them: `resourceVersion=0` from the watch cache (no
//! pages), `ListOptions` validation, expired continue tokens that hand back an inconsistent
//! one, and streaming lists (watches with `sendInitialEvents=true`).

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use test_apiserver::TestServer;

use crate::http::{demo, get, request};

/// A watch over a raw connection: reads the chunked body as it comes, line by line.
struct Watch {
    stream: TcpStream,
    status: u16,
    headers: Vec<(String, String)>,
    /// Bytes read but not yet de-chunked.
    raw: Vec<u8>,
    /// The body so far, de-chunked, not yet returned as lines.
    body: Vec<u8>,
    /// The last chunk (or the end of the connection) arrived.
    ended: bool,
}

impl Watch {
    fn open(server: &TestServer, path: &str, accept: Option<&str>) -> Watch {
        let addr = server.url().trim_start_matches("http://").to_string();
        let mut stream = TcpStream::connect(&addr).unwrap();
        let mut req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n");
        if let Some(a) = accept {
            req += &format!("Accept: {a}\r\n");
        }
        req += "\r\n";
        stream.write_all(req.as_bytes()).unwrap();
        let mut w = Watch {
            stream,
            status: 0,
            headers: Vec::new(),
            raw: Vec::new(),
            body: Vec::new(),
            ended: false,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        let head_end = loop {
            if let Some(i) = w.raw.windows(4).position(|b| b == b"\r\n\r\n") {
                break i;
            }
            assert!(w.read_more(deadline), "no response head for {path}");
        };
        let head = String::from_utf8_lossy(&w.raw[..head_end]).into_owned();
        w.raw.drain(..head_end + 4);
        let mut lines = head.lines();
        w.status = lines
            .next()
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        w.headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        assert_eq!(
            w.header("transfer-encoding"),
            Some("chunked"),
            "a watch answers with a chunked stream: {head}"
        );
        w
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Read what arrives before `deadline`; false on timeout or end of connection.
    fn read_more(&mut self, deadline: Instant) -> bool {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || self.ended {
            return false;
        }
        self.stream.set_read_timeout(Some(left)).unwrap();
        let mut buf = [0u8; 16 * 1024];
        match self.stream.read(&mut buf) {
            Ok(0) => {
                self.ended = true;
                false
            }
            Ok(n) => {
                self.raw.extend_from_slice(&buf[..n]);
                self.dechunk();
                true
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
            Err(e) => panic!("reading the watch: {e}"),
        }
    }

    fn dechunk(&mut self) {
        if self.status == 0 {
            return; // still reading the head
        }
        loop {
            let Some(eol) = self.raw.windows(2).position(|b| b == b"\r\n") else {
                return;
            };
            let size_line = String::from_utf8_lossy(&self.raw[..eol]).into_owned();
            let size = usize::from_str_radix(size_line.trim(), 16).expect("chunk size");
            if self.raw.len() < eol + 2 + size + 2 {
                return;
            }
            self.body
                .extend_from_slice(&self.raw[eol + 2..eol + 2 + size]);
            self.raw.drain(..eol + 2 + size + 2);
            if size == 0 {
                self.ended = true;
                return;
            }
        }
    }

    /// The next event, or `None` when none arrives within `wait` (or the stream ended).
    fn next_event(&mut self, wait: Duration) -> Option<Value> {
        self.dechunk();
        let deadline = Instant::now() + wait;
        loop {
            if let Some(i) = self.body.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.body.drain(..=i).collect();
                return Some(
                    serde_json::from_slice(&line[..i])
                        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&line))),
                );
            }
            if !self.read_more(deadline) {
                return None;
            }
        }
    }

    /// Every event that arrives before the stream has been quiet for `quiet`.
    fn events_until_quiet(&mut self, quiet: Duration) -> Vec<Value> {
        let mut out = Vec::new();
        while let Some(e) = self.next_event(quiet) {
            out.push(e);
        }
        out
    }
}

/// Wait until `f` holds (for up to 10 s).
fn eventually(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

fn all_pod_names(s: &TestServer) -> Vec<String> {
    s.objects("pods")
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

const WATCH_LIST: &str =
    "watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true";

#[test]
fn resource_version_0_lists_come_whole_from_the_cache_ignoring_limit() {
    let s = demo();
    let every = all_pod_names(&s);
    assert_eq!(every.len(), 17);
    // Without a resourceVersion, limit pages.
    let paged = get(&s, "/api/v1/pods?limit=2").json();
    assert_eq!(names(&paged).len(), 2);
    assert!(paged["metadata"]["continue"].is_string());
    // resourceVersion=0, with or without NotOlderThan: the whole collection, no continue.
    for query in [
        "limit=2&resourceVersion=0",
        "limit=2&resourceVersion=0&resourceVersionMatch=NotOlderThan",
    ] {
        let r = get(&s, &format!("/api/v1/pods?{query}"));
        assert_eq!(r.status, 200, "{}", r.body);
        let v = r.json();
        assert_eq!(names(&v), every, "{query}");
        assert_eq!(
            v["metadata"],
            json!({"resourceVersion": s.resource_version().to_string()}),
            "no continue, no remainingItemCount: {query}"
        );
    }
    // Tables and selectors too, in one piece.
    let table = request(
        &s,
        "GET",
        "/api/v1/namespaces/payments/pods?limit=1&resourceVersion=0&labelSelector=app%3Dpostgres",
        &[("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")],
        "",
    )
    .json();
    assert_eq!(table["rows"].as_array().unwrap().len(), 2);
    assert!(table["metadata"].get("continue").is_none());
    // The log keeps what was sent: the limit was asked for, and ignored.
    let rec = s
        .requests()
        .into_iter()
        .find(|r| r.query == "limit=2&resourceVersion=0")
        .unwrap();
    assert_eq!(rec.query_param("limit").as_deref(), Some("2"));
    assert_eq!(
        rec.query_params(),
        [
            ("limit".to_string(), "2".to_string()),
            ("resourceVersion".to_string(), "0".to_string())
        ]
    );
    // A continue token goes on paging even with resourceVersion=0 (it is not served from the
    // cache), and a non-zero resourceVersion pages as well.
    let token = paged["metadata"]["continue"].as_str().unwrap();
    let next = get(
        &s,
        &format!("/api/v1/pods?limit=2&resourceVersion=0&continue={token}"),
    )
    .json();
    assert_eq!(names(&next), every[2..4]);
    let rv = s.resource_version();
    let exact = get(
        &s,
        &format!("/api/v1/pods?limit=2&resourceVersion={rv}&resourceVersionMatch=Exact"),
    )
    .json();
    assert_eq!(names(&exact).len(), 2);
    // With a continue token only "" and "0" are allowed as resourceVersion.
    let r = get(
        &s,
        &format!("/api/v1/pods?limit=2&resourceVersion={rv}&continue={token}"),
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["message"],
        "specifying resource version is not allowed when using continue"
    );
}

#[test]
fn list_options_are_validated_as_kube_apiserver_does() {
    let s = demo();
    let r = get(&s, "/api/v1/pods?resourceVersionMatch=NotOlderThan");
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        r.json(),
        json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
            "reason": "Invalid",
            "details": {"group": "meta.k8s.io", "kind": "ListOptions", "causes": [{
                "reason": "FieldValueForbidden",
                "message": "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
                "field": "resourceVersionMatch",
            }]},
            "code": 422,
        })
    );
    let message = |path: &str| {
        let r = get(&s, path);
        assert_eq!(r.status, 422, "{path}: {}", r.body);
        assert_eq!(r.json()["reason"], "Invalid");
        r.json()["message"].as_str().unwrap().to_string()
    };
    assert_eq!(
        message("/api/v1/pods?resourceVersion=0&resourceVersionMatch=Exact"),
        "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""
    );
    assert_eq!(
        message("/api/v1/pods?resourceVersion=5&resourceVersionMatch=Newest"),
        "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Unsupported value: \"Newest\": supported values: \"Exact\", \"NotOlderThan\", \"\""
    );
    assert_eq!(
        message("/api/v1/pods?sendInitialEvents=true"),
        "ListOptions.meta.k8s.io \"\" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list"
    );
    // Several errors come together, bracketed.
    assert_eq!(
        message("/api/v1/pods?resourceVersionMatch=Exact&continue=abc"),
        "ListOptions.meta.k8s.io \"\" is invalid: [resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided, resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided]"
    );
    // Valid combinations list.
    let rv = s.resource_version();
    for q in [
        format!("resourceVersion={rv}&resourceVersionMatch=Exact"),
        format!("resourceVersion={rv}&resourceVersionMatch=NotOlderThan"),
        "resourceVersion=0&resourceVersionMatch=NotOlderThan".to_string(),
    ] {
        assert_eq!(get(&s, &format!("/api/v1/pods?{q}")).status, 200, "{q}");
    }
}

#[test]
fn expired_continue_token_answers_410_with_an_inconsistent_token_that_continues() {
    let s = demo();
    let every = all_pod_names(&s);
    let first = get(&s, "/api/v1/pods?limit=5").json();
    let first_rv = first["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(names(&first), every[..5]);
    let token = first["metadata"]["continue"].as_str().unwrap().to_string();
    // A consistent continuation reports the first page's resourceVersion, even after a write.
    s.insert(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "zz-late", "namespace": "search"}}));
    let second = get(&s, &format!("/api/v1/pods?limit=5&continue={token}")).json();
    assert_eq!(second["metadata"]["resourceVersion"], first_rv.as_str());
    // The snapshot goes: an object after the first page is deleted too.
    let gone = every[7].clone();
    let gone_ns = s
        .objects("pods")
        .into_iter()
        .find(|p| p["metadata"]["name"] == gone.as_str())
        .unwrap()["metadata"]["namespace"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(s.remove("pods", Some(&gone_ns), &gone));
    s.expire_continue_tokens();
    let r = get(&s, &format!("/api/v1/pods?limit=5&continue={token}"));
    assert_eq!(r.status, 410);
    let status = r.json();
    let inconsistent = status["metadata"]["continue"]
        .as_str()
        .expect("the 410 carries a continue token")
        .to_string();
    assert_ne!(inconsistent, token);
    assert_eq!(
        status,
        json!({
            "kind": "Status", "apiVersion": "v1",
            "metadata": {"continue": inconsistent},
            "status": "Failure",
            "message": "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
            "reason": "Expired",
            "code": 410,
        })
    );
    // The token continues after the first page at the latest resourceVersion: the deleted pod
    // is missing, the one created since shows up.
    let mut rest = Vec::new();
    let mut next = inconsistent;
    let mut pages = 0;
    loop {
        let page = get(&s, &format!("/api/v1/pods?limit=5&continue={next}"));
        assert_eq!(page.status, 200, "{}", page.body);
        let page = page.json();
        assert_eq!(
            page["metadata"]["resourceVersion"],
            s.resource_version().to_string(),
            "an inconsistent continuation reads the latest resourceVersion"
        );
        rest.extend(names(&page));
        pages += 1;
        match page["metadata"]["continue"].as_str() {
            Some(c) => next = c.to_string(),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let mut want: Vec<String> = every[5..].iter().filter(|n| **n != gone).cloned().collect();
    want.push("zz-late".into());
    assert_eq!(rest, want);
    let log = s.requests();
    assert_eq!(
        log.iter().filter(|r| r.status == 410).count(),
        1,
        "one 410 in the log"
    );
}

#[test]
fn watch_list_streams_every_object_then_the_initial_events_end_bookmark() {
    let s = demo();
    let path = format!("/api/v1/namespaces/payments/pods?{WATCH_LIST}");
    let mut w = Watch::open(&s, &path, None);
    assert_eq!(w.status, 200);
    assert_eq!(w.header("content-type"), Some("application/json"));
    let events = w.events_until_quiet(Duration::from_millis(500));
    let want: Vec<Value> = s
        .objects("pods")
        .into_iter()
        .filter(|p| p["metadata"]["namespace"] == "payments")
        .collect();
    assert_eq!(want.len(), 5);
    assert_eq!(events.len(), want.len() + 1, "{events:#?}");
    for (event, obj) in events.iter().zip(&want) {
        assert_eq!(event, &json!({"type": "ADDED", "object": obj}));
    }
    assert_eq!(
        events.last().unwrap(),
        &json!({"type": "BOOKMARK", "object": {
            "kind": "Pod", "apiVersion": "v1",
            "metadata": {
                "resourceVersion": s.resource_version().to_string(),
                "annotations": {"k8s.io/initial-events-end": "true"},
            },
        }})
    );
    // The stream stays open, silent, until the client goes.
    assert!(!w.ended, "the stream stays open after the bookmark");
    assert_eq!(s.open_watches(), 1);
    let rec = s
        .requests()
        .into_iter()
        .find(|r| r.query.contains("watch=true"))
        .unwrap();
    assert_eq!((rec.status, rec.watch_events), (200, 6));
    assert_eq!(
        rec.query_param("sendInitialEvents").as_deref(),
        Some("true")
    );
    drop(w);
    eventually("the server to see the client close the stream", || {
        s.open_watches() == 0
    });
}

#[test]
fn watch_list_honours_selectors_and_partial_object_metadata() {
    let s = demo();
    let accept = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";
    let mut w = Watch::open(
        &s,
        &format!("/apis/apps/v1/deployments?{WATCH_LIST}&labelSelector=team%3Dpayments"),
        Some(accept),
    );
    assert_eq!(w.status, 200);
    let events = w.events_until_quiet(Duration::from_millis(500));
    let want: Vec<Value> = s
        .objects("deployments")
        .into_iter()
        .filter(|d| d["metadata"]["labels"]["team"] == "payments")
        .collect();
    assert!(!want.is_empty());
    assert_eq!(events.len(), want.len() + 1);
    for (event, obj) in events.iter().zip(&want) {
        assert_eq!(
            event,
            &json!({"type": "ADDED", "object": {
                "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                "metadata": obj["metadata"],
            }})
        );
    }
    let bookmark = events.last().unwrap();
    assert_eq!(bookmark["type"], "BOOKMARK");
    assert_eq!(bookmark["object"]["kind"], "PartialObjectMetadata");
    assert_eq!(bookmark["object"]["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(
        bookmark["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );

    // A field selector, cluster-wide: the pods of one node.
    let mut w = Watch::open(
        &s,
        &format!("/api/v1/pods?{WATCH_LIST}&fieldSelector=spec.nodeName%3Dworker-2"),
        None,
    );
    let events = w.events_until_quiet(Duration::from_millis(500));
    let want: Vec<Value> = s
        .objects("pods")
        .into_iter()
        .filter(|p| p["spec"]["nodeName"] == "worker-2")
        .collect();
    assert!(want.len() >= 2);
    let got: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "ADDED")
        .map(|e| &e["object"])
        .collect();
    assert_eq!(got, want.iter().collect::<Vec<_>>());
    assert_eq!(events.last().unwrap()["type"], "BOOKMARK");
}

#[test]
fn watch_ends_cleanly_after_timeout_seconds() {
    let s = demo();
    let mut w = Watch::open(
        &s,
        &format!("/api/v1/namespaces/data/pods?{WATCH_LIST}&timeoutSeconds=1"),
        None,
    );
    let start = Instant::now();
    let events = w.events_until_quiet(Duration::from_secs(5));
    assert_eq!(events.last().unwrap()["type"], "BOOKMARK");
    assert!(w.ended, "the last chunk came");
    assert!(start.elapsed() < Duration::from_secs(4));
    eventually("the stream to close", || s.open_watches() == 0);
}

#[test]
fn watch_list_parameters_are_validated_and_the_feature_can_be_off() {
    let s = demo();
    let status = |path: &str| {
        let r = get(&s, path);
        (
            r.status,
            r.json()["message"].as_str().unwrap_or("").to_string(),
        )
    };
    let prefix = "ListOptions.meta.k8s.io \"\" is invalid: ";
    // sendInitialEvents needs resourceVersionMatch=NotOlderThan, and the other way round.
    assert_eq!(
        status("/api/v1/pods?watch=true&sendInitialEvents=true&allowWatchBookmarks=true"),
        (
            422,
            format!(
                "{prefix}resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"
            )
        )
    );
    assert_eq!(
        status("/api/v1/pods?watch=true&resourceVersion=5&resourceVersionMatch=NotOlderThan"),
        (
            422,
            format!(
                "{prefix}resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"
            )
        )
    );
    assert_eq!(
        status("/api/v1/pods?watch=true&sendInitialEvents=true&resourceVersionMatch=Exact"),
        (
            422,
            format!(
                "{prefix}[resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, resourceVersionMatch: Unsupported value: \"Exact\": supported values: \"NotOlderThan\"]"
            )
        )
    );
    // Without allowWatchBookmarks kube-apiserver still streams the objects (its validation lets
    // it through for compatibility) but cannot end them with a bookmark.
    let mut w = Watch::open(
        &s,
        "/api/v1/namespaces/payments/pods?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan",
        None,
    );
    let events = w.events_until_quiet(Duration::from_millis(500));
    assert_eq!(events.len(), 5);
    assert!(events.iter().all(|e| e["type"] == "ADDED"));
    // A plain watch from "" is defaulted into a watch-list request: with bookmarks allowed it
    // ends its initial events with the bookmark too.
    let mut w = Watch::open(
        &s,
        "/api/v1/namespaces/payments/pods?watch=true&allowWatchBookmarks=true",
        None,
    );
    let events = w.events_until_quiet(Duration::from_millis(500));
    assert_eq!(events.len(), 6);
    assert_eq!(events[5]["type"], "BOOKMARK");
    // A watch from a resourceVersion would need the changes since: not served.
    let rv = s.resource_version();
    assert_eq!(
        get(&s, &format!("/api/v1/pods?watch=true&resourceVersion={rv}")).status,
        405
    );

    // With the WatchList feature off: 422, with kube-apiserver's message.
    s.disable_watch_list();
    let r = get(&s, &format!("/api/v1/pods?{WATCH_LIST}"));
    assert_eq!(r.status, 422);
    let v = r.json();
    assert_eq!(v["reason"], "Invalid");
    assert_eq!(
        v["message"],
        format!(
            "{prefix}sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled"
        )
    );
    assert_eq!(
        v["details"]["causes"],
        json!([{"reason": "FieldValueForbidden", "field": "sendInitialEvents",
                "message": "Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled"}])
    );
    // A plain watch from "" still starts with the objects, without a bookmark.
    let mut w = Watch::open(
        &s,
        "/api/v1/namespaces/payments/pods?watch=true&allowWatchBookmarks=true",
        None,
    );
    let events = w.events_until_quiet(Duration::from_millis(500));
    assert_eq!(events.len(), 5);
    assert!(events.iter().all(|e| e["type"] == "ADDED"));
    s.enable_watch_list();
    assert_eq!(
        Watch::open(&s, &format!("/api/v1/pods?{WATCH_LIST}"), None).status,
        200
    );
}

#[test]
fn watch_list_is_authorized_as_watch() {
    let s = demo();
    s.add_token("lister", "lister");
    s.grant(test_apiserver::Grant::new("lister", &["list"], &["pods"]));
    let auth = ("Authorization", "Bearer lister");
    let r = request(&s, "GET", "/api/v1/pods?limit=1", &[auth], "");
    assert_eq!(r.status, 200);
    let r = request(
        &s,
        "GET",
        &format!("/api/v1/pods?{WATCH_LIST}"),
        &[auth],
        "",
    );
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json()["message"],
        "pods is forbidden: User \"lister\" cannot watch resource \"pods\" in API group \"\" at the cluster scope"
    );
}
