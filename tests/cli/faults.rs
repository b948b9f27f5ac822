//! Faults from the server are survived where retrying helps, bounded, and reported in one clear
//! line (naming the request) where it does not — never a panic.

use crate::support::{self, Env, ServerOptions, TestServer, demo_server};
use test_apiserver::{Fault, FaultKind};

const DEPLOYMENTS: &str = "/apis/apps/v1/namespaces/payments/deployments";

fn list_deployments(server: &test_apiserver::TestServer) -> support::Run {
    Env::new(server).owner(&["ls", "deploy", "-n", "payments", "-o", "name"])
}

fn attempts(server: &test_apiserver::TestServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.path == DEPLOYMENTS)
        .count()
}

#[test]
fn throttled_429_waits_retry_after_then_succeeds() {
    let server = demo_server();
    server.add_fault(Fault::new(
        DEPLOYMENTS,
        1,
        FaultKind::Status {
            code: 429,
            retry_after: Some(1),
        },
    ));
    let started = std::time::Instant::now();
    let run = list_deployments(&server);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "deployment.apps/api\ndeployment.apps/ledger\n"),
        "{}",
        run.stderr
    );
    assert_eq!(attempts(&server), 2);
    // Retry-After was honoured (a lower bound, not a speed assertion).
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
}

#[test]
fn server_errors_are_retried_with_bounded_backoff() {
    for code in [500, 503, 504] {
        let server = demo_server();
        server.add_fault(Fault::new(
            DEPLOYMENTS,
            2,
            FaultKind::Status {
                code,
                retry_after: None,
            },
        ));
        let run = list_deployments(&server);
        assert_eq!(run.code, 0, "{code}: {}", run.stderr);
        assert_eq!(attempts(&server), 3, "{code}: two failures, then success");
    }
}

#[test]
fn persistent_server_errors_give_up_after_the_bound() {
    let server = demo_server();
    server.add_fault(Fault::new(
        DEPLOYMENTS,
        100,
        FaultKind::Status {
            code: 503,
            retry_after: None,
        },
    ));
    let run = list_deployments(&server);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.first_stderr_line(),
        "Error from server (ServiceUnavailable): injected fault: status 503"
    );
    assert_eq!(attempts(&server), 5, "the first try and 4 retries");
}

#[test]
fn dropped_connection_is_retried() {
    let server = demo_server();
    server.add_fault(Fault::new(DEPLOYMENTS, 2, FaultKind::DropConnection));
    let run = list_deployments(&server);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "deployment.apps/api\ndeployment.apps/ledger\n"),
        "{}",
        run.stderr
    );
    assert_eq!(attempts(&server), 3);
}

#[test]
fn invalid_json_is_an_error_naming_the_request() {
    let server = demo_server();
    server.add_fault(Fault::new(DEPLOYMENTS, 1, FaultKind::InvalidJson));
    let run = list_deployments(&server);
    assert_eq!(run.code, 1);
    assert!(
        run.first_stderr_line()
            .starts_with("error: list deployments.apps: the server sent an invalid response:"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"));
    assert_eq!(run.stderr.lines().count(), 1);
}

#[test]
fn truncated_body_is_retried_then_reported() {
    let server = demo_server();
    server.add_fault(Fault::new(DEPLOYMENTS, 1, FaultKind::TruncatedBody));
    let run = list_deployments(&server);
    assert_eq!(
        run.code, 0,
        "one truncated answer, then a good one: {}",
        run.stderr
    );

    let server = demo_server();
    server.add_fault(Fault::new(DEPLOYMENTS, 100, FaultKind::TruncatedBody));
    let run = list_deployments(&server);
    assert_eq!(run.code, 1);
    assert!(
        run.first_stderr_line()
            .starts_with("Unable to connect to the server:"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"));
    assert_eq!(attempts(&server), 5);
}

#[test]
fn who_survives_a_flaky_get() {
    let server = demo_server();
    server.add_fault(Fault::new(
        "/replicasets/api-7d9f8c6b5",
        1,
        FaultKind::Status {
            code: 500,
            retry_after: None,
        },
    ));
    let run = Env::new(&server).owner(&["who", "api-7d9f8c6b5-x2kq9", "-n", "payments"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Deployment/api (team)"));
}

#[test]
fn a_server_repeating_a_continue_token_ends_the_list_with_an_error() {
    let server = TestServer::start(ServerOptions::default());
    server.seed_scale(test_apiserver::ScaleParams {
        namespaces: 4,
        deployments: 20,
        pods: 1200,
    });
    // Every continued page of pods hands back the token it was asked with: without a guard the
    // list would read the same page for ever.
    server.add_fault(Fault::new("/api/v1/pods?", 50, FaultKind::EchoContinue).method("GET"));
    let run = Env::new(&server).owner(&["ls", "pods", "-A", "-o", "name"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.first_stderr_line()
            .contains("returned a continue token it had already returned"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "", "nothing half-listed");
    let pod_pages = server.count(Some("GET"), "/api/v1/pods?");
    assert!(pod_pages <= 3, "{pod_pages} pages read");
}
