//! Shared harness for binary-level tests: run the real `kubectl-owner` (or the real `kubectl`)
//! with a cleared environment against a `test_apiserver::TestServer` on 127.0.0.1.
#![allow(dead_code)]

pub mod readme;

use std::path::{Path, PathBuf};
use std::process::Command;

pub use test_apiserver::{ServerOptions, TestServer};

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Run {
    pub fn first_stderr_line(&self) -> &str {
        self.stderr.lines().next().unwrap_or("")
    }
}

/// A temp HOME with a kubeconfig for `server`, and helpers to run the binary there.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
    pub extra_env: Vec<(String, String)>,
}

impl Env {
    /// A kubeconfig (context `test`, namespace `default`) pointing at `server`.
    pub fn new(server: &TestServer) -> Env {
        Env::with_kubeconfig(&server.kubeconfig("test", None, None))
    }

    /// No cluster at all: a temp HOME, and `KUBECONFIG` names a file that does not exist.
    pub fn without_cluster() -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let kubeconfig = dir.path().join("no-kubeconfig.yaml");
        Env {
            dir,
            kubeconfig,
            extra_env: Vec::new(),
        }
    }

    pub fn with_kubeconfig(text: &str) -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let kubeconfig = dir.path().join("kubeconfig.yaml");
        std::fs::write(&kubeconfig, text).expect("write kubeconfig");
        Env {
            dir,
            kubeconfig,
            extra_env: Vec::new(),
        }
    }

    pub fn home(&self) -> &Path {
        self.dir.path()
    }

    /// Puts the built `kubectl-owner` first on PATH (as an install would), so the real kubectl
    /// finds it as the `owner` plugin.
    pub fn with_plugin_on_path(self) -> Env {
        let bin = self.home().join("bin");
        std::fs::create_dir_all(&bin).expect("bin dir");
        std::os::unix::fs::symlink(
            env!("CARGO_BIN_EXE_kubectl-owner"),
            bin.join("kubectl-owner"),
        )
        .expect("link");
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        self.env("PATH", &path)
    }

    pub fn env(mut self, key: &str, value: &str) -> Env {
        self.extra_env.push((key.to_string(), value.to_string()));
        self
    }

    fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.home().join(".config"))
            .env("KUBECONFIG", &self.kubeconfig)
            .current_dir(self.home());
        for (k, v) in &self.extra_env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs `kubectl-owner ARGS`.
    pub fn owner(&self, args: &[&str]) -> Run {
        run(self
            .command(Path::new(env!("CARGO_BIN_EXE_kubectl-owner")))
            .args(args))
    }

    /// Runs `kubectl-owner ARGS` with `input` on its stdin.
    pub fn owner_stdin(&self, args: &[&str], input: &str) -> Run {
        use std::io::Write;
        let mut child = self
            .command(Path::new(env!("CARGO_BIN_EXE_kubectl-owner")))
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input.as_bytes()).expect("write stdin");
        drop(stdin);
        let out = child.wait_with_output().expect("wait");
        Run {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        }
    }

    /// Runs `kubectl-owner ARGS` with arguments that need not be UTF-8.
    pub fn owner_os(&self, args: &[&std::ffi::OsStr]) -> Run {
        run(self
            .command(Path::new(env!("CARGO_BIN_EXE_kubectl-owner")))
            .args(args))
    }

    /// Runs `kubectl-owner ARGS` with stdout sent to `stdout` (a file, `/dev/full`, a closed pipe…);
    /// the returned `stdout` is empty.
    pub fn owner_with_stdout(&self, args: &[&str], stdout: std::process::Stdio) -> Run {
        let out = self
            .command(Path::new(env!("CARGO_BIN_EXE_kubectl-owner")))
            .args(args)
            .stdout(stdout)
            .stderr(std::process::Stdio::piped())
            .output()
            .expect("spawn");
        Run {
            stdout: String::new(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        }
    }

    /// Starts `kubectl-owner ARGS` in the background (stdout and stderr piped), for tests that
    /// signal it while it works.
    pub fn spawn_owner(&self, args: &[&str]) -> std::process::Child {
        self.command(Path::new(env!("CARGO_BIN_EXE_kubectl-owner")))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn")
    }

    /// Runs the real `kubectl ARGS` (from PATH).
    pub fn kubectl(&self, args: &[&str]) -> Run {
        run(self.command(Path::new("kubectl")).args(args))
    }
}

pub fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("spawn");
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// A demo-seeded server over plain HTTP.
pub fn demo_server() -> TestServer {
    let server = TestServer::start(ServerOptions::default());
    server.seed_demo();
    server
}

/// Adds `count` pods `bulk-0000`, `bulk-0001`, … to namespace `default`, each with `metadata`'s
/// fields (labels, annotations) besides its name and namespace: lists of more than one page.
pub fn bulk_pods(server: &TestServer, count: usize, metadata: serde_json::Value) {
    for i in 0..count {
        let mut meta = metadata.clone();
        meta["name"] = serde_json::json!(format!("bulk-{i:04}"));
        meta["namespace"] = serde_json::json!("default");
        server.insert(serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": meta,
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}
        }));
    }
}

/// Is the real kubectl available? In CI its absence is a failure, never a silent skip.
pub fn kubectl_available() -> bool {
    let found = Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "kubectl is required in CI (.ci/run installs it)"
        );
        eprintln!("SKIPPED: kubectl not found on PATH");
    }
    found
}

/// Sends SIGINT (Ctrl-C) to `child`.
pub fn interrupt(child: &std::process::Child) {
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
}

/// Waits (bounded: 5 s) until the server has seen a request of `method` whose path contains
/// `path_contains`.
pub fn wait_for_request(server: &TestServer, method: &str, path_contains: &str) {
    for _ in 0..100 {
        if server.count(Some(method), path_contains) > 0 {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Every workload resource a namespace-bound role must name to read workloads there.
pub const WORKLOAD_RESOURCES: [&str; 9] = [
    "deployments",
    "replicasets",
    "statefulsets",
    "daemonsets",
    "jobs",
    "cronjobs",
    "replicationcontrollers",
    "pods",
    "rollouts",
];
