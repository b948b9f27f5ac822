//! List modes as kube-apiserver serves them: `resourceVersion=0` from the watch cache (no
//! pages), `ListOptions` validation, and expired continue tokens that hand back an
//! inconsistent one.

use serde_json::{Value, json};
use test_apiserver::TestServer;

use crate::http::{demo, get, request};

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
