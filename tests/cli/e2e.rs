//! The end-to-end scenario (`tests/e2e/scenario.sh`: fixtures made with kubectl, then `kubectl
//! owner` ls, who, check, assign and unassign, each answer checked) against the test API server,
//! driven by the real kubectl; CI on GitHub runs the same script against a kind cluster.

use std::path::Path;
use std::process::Command;

use test_apiserver::{ServerOptions, TestServer};

use crate::support::kubectl_available;

#[test]
fn scenario_passes_against_the_test_api_server() {
    if !kubectl_available() {
        return;
    }
    let server = TestServer::start(ServerOptions::default());
    let home = tempfile::tempdir().unwrap();
    let kubeconfig = home.path().join("kubeconfig");
    std::fs::write(&kubeconfig, server.kubeconfig("e2e", None, None)).unwrap();
    // `kubectl owner` finds the plugin on PATH, as it would after an install.
    let plugin_dir = Path::new(env!("CARGO_BIN_EXE_kubectl-owner"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = std::env::join_paths(std::iter::once(plugin_dir).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/scenario.sh");
    let out = Command::new("sh")
        .arg(&script)
        .env("PATH", path)
        .env("HOME", home.path())
        .env("KUBECONFIG", &kubeconfig)
        .env_remove("KUBECTL_OWNER_CONFIG")
        .env_remove("XDG_CONFIG_HOME")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.ends_with("scenario passed\n"), "{stdout}");
    assert_eq!(stdout.matches("ok: ").count(), 7, "{stdout}");
    // The fixtures were made through kubectl and written back through kubectl-owner.
    assert!(server.count(Some("POST"), "/deployments") >= 3);
    assert!(server.count(Some("PATCH"), "/deployments/web") >= 2);
}
