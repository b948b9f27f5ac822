//! The progress line: shown on a terminal during long listings, never in piped output.

use std::time::Duration;

use crate::support::{self, Env, demo_server};
use test_apiserver::{Fault, FaultKind};

fn slow_server() -> test_apiserver::TestServer {
    let server = demo_server();
    // A slow pod list keeps the listing running past the progress line's start delay.
    server.add_fault(Fault::new(
        "/api/v1/pods",
        1,
        FaultKind::Latency(Duration::from_millis(1500)),
    ));
    server
}

/// Whether script(1) (util-linux) is here to give a command a pseudo-terminal; in CI it must be.
fn script_available() -> bool {
    let found = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "script (util-linux) is needed in CI"
        );
        eprintln!("SKIPPED: script(1) not found");
    }
    found
}

/// Runs `command` on a new pseudo-terminal (stdout and stderr are both terminals).
fn under_a_terminal(command: &str, env: &Env) -> support::Run {
    support::run(
        std::process::Command::new("script")
            .args(["-qec", command, "/dev/null"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", env.home())
            .env("KUBECONFIG", &env.kubeconfig),
    )
}

#[test]
fn progress_appears_under_a_pseudo_terminal() {
    if !script_available() {
        return;
    }
    let server = slow_server();
    let env = Env::new(&server);
    // script(1) runs the command on a new pseudo-terminal: stdout and stderr are both terminals.
    let command = format!("{} ls -A", env!("CARGO_BIN_EXE_kubectl-owner"));
    let run = under_a_terminal(&command, &env);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("listing: "),
        "progress on the terminal: {:?}",
        run.stdout
    );
    assert!(run.stdout.contains("objects fetched"), "{:?}", run.stdout);
    assert!(
        run.stdout.contains("payments      Deployment    api"),
        "the table still follows: {:?}",
        run.stdout
    );
}

#[test]
fn no_progress_when_piped() {
    let server = slow_server();
    let run = Env::new(&server).owner(&["ls", "-A"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr, "",
        "nothing but the table, and no progress line, when piped"
    );
    assert!(!run.stdout.contains("listing:"));
}

/// With several clusters the progress line counts them, and a failed cluster's error is a line
/// of its own, written after the progress line is cleared, never onto it.
#[test]
fn fleet_progress_counts_clusters_and_errors_start_their_own_line() {
    if !script_available() {
        return;
    }
    let server = slow_server();
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://127.0.0.1:{}", dead.local_addr().unwrap().port());
    drop(dead);
    let kubeconfig = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: live\nclusters:\n\
         - name: live\n  cluster:\n    server: {}\n- name: gone\n  cluster:\n    server: {dead_url}\n\
         users:\n- name: u\n  user: {{}}\ncontexts:\n\
         - name: live\n  context:\n    cluster: live\n    user: u\n\
         - name: gone\n  context:\n    cluster: gone\n    user: u\n",
        server.url()
    );
    let env = Env::with_kubeconfig(&kubeconfig);
    let command = format!(
        "{} ls -A --all-contexts",
        env!("CARGO_BIN_EXE_kubectl-owner")
    );
    let run = under_a_terminal(&command, &env);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("/2 clusters, "), "{:?}", run.stdout);
    let at = run
        .stdout
        .find("error: context \"gone\"")
        .unwrap_or_else(|| panic!("{:?}", run.stdout));
    let before = &run.stdout[..at];
    assert!(
        before.is_empty() || before.ends_with('\n') || before.ends_with("\r\x1b[K"),
        "the error shares a line with the progress: {:?}",
        &before[before.len().saturating_sub(80)..]
    );
}
