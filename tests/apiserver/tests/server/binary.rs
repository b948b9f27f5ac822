//! The `test-apiserver` binary: seeds, writes a kubeconfig, serves until killed, and `--exec`
//! runs one command against it (the README's "try it without a cluster").

use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_test-apiserver");

#[test]
fn exec_runs_a_command_with_kubeconfig_pointing_at_the_seeded_server() {
    let out = Command::new(BIN)
        .args(["--seed", "demo", "--exec", "cat \"$KUBECONFIG\"; exit 3"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "the command's exit status is passed on"
    );
    let kubeconfig = String::from_utf8_lossy(&out.stdout);
    assert!(
        kubeconfig.contains("server: \"http://127.0.0.1:"),
        "{kubeconfig}"
    );
    assert!(
        kubeconfig.contains("current-context: \"test\""),
        "{kubeconfig}"
    );
}

#[test]
fn tls_and_token_reach_the_written_kubeconfig() {
    let out = Command::new(BIN)
        .args([
            "--seed",
            "none",
            "--tls",
            "--token",
            "t0k",
            "--exec",
            "cat \"$KUBECONFIG\"",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("server: \"https://127.0.0.1:"), "{text}");
    assert!(
        text.contains("certificate-authority-data:") && text.contains("token: \"t0k\""),
        "{text}"
    );
}
