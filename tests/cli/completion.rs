//! Shell completion through the real kubectl: with `kubectl-owner` and the committed shim
//! `krew/kubectl_complete-owner` on PATH, kubectl (≥ 1.26) runs the shim for `kubectl owner <TAB>`
//! (`kubectl __complete owner …` is what the shells' kubectl completion scripts call).
//!
//! kubectl missing: the tests fail when `CI` is set and are skipped (loudly) otherwise.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Env {
    dir: tempfile::TempDir,
    kubectl: PathBuf,
}

fn find_kubectl() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/local/bin")])
        .map(|d| d.join("kubectl"))
        .find(|p| p.is_file())
}

/// A PATH with the plugin, the shim and kubectl; `None` (test skipped) without kubectl.
fn setup() -> Option<Env> {
    let Some(kubectl) = find_kubectl() else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "kubectl is not installed: the completion tests need the real kubectl (>= 1.26)"
            );
        }
        eprintln!(
            "SKIPPED: kubectl is not on PATH; the completion tests need the real kubectl (>= 1.26)"
        );
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(dir.path().join("home")).unwrap();
    std::fs::copy(
        env!("CARGO_BIN_EXE_kubectl-owner"),
        bin.join("kubectl-owner"),
    )
    .unwrap();
    let shim = Path::new(env!("CARGO_MANIFEST_DIR")).join("krew/kubectl_complete-owner");
    std::fs::copy(&shim, bin.join("kubectl_complete-owner")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&shim).unwrap().permissions().mode();
        assert!(
            mode & 0o111 != 0,
            "krew/kubectl_complete-owner must be executable (mode {mode:o})"
        );
        for f in ["kubectl-owner", "kubectl_complete-owner"] {
            std::fs::set_permissions(bin.join(f), std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    Some(Env { dir, kubectl })
}

impl Env {
    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn run(&self, args: &[&str], config: Option<&Path>) -> Output {
        let kubectl_dir = self.kubectl.parent().unwrap().to_path_buf();
        let path = std::env::join_paths([
            self.dir.path().join("bin"),
            kubectl_dir,
            PathBuf::from("/usr/bin"),
            PathBuf::from("/bin"),
        ])
        .unwrap();
        let mut cmd = Command::new(&self.kubectl);
        cmd.args(args)
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.home().join(".config"))
            .env("KUBECONFIG", self.home().join("no-kubeconfig"));
        if let Some(config) = config {
            cmd.env("KUBECTL_OWNER_CONFIG", config);
        }
        cmd.output().expect("run kubectl")
    }

    /// `kubectl __complete owner WORDS…`: the candidate values and the directive.
    fn complete(&self, words: &[&str], config: Option<&Path>) -> (Vec<String>, String) {
        let mut args = vec!["__complete", "owner"];
        args.extend_from_slice(words);
        let out = self.run(&args, config);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "kubectl {args:?}: {}\n{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        // kubectl logs the plugin completion it delegated to: make sure it was our shim.
        assert!(
            stderr.contains("kubectl_complete-owner"),
            "kubectl did not call the shim: {stderr}"
        );
        let mut lines: Vec<&str> = stdout.lines().filter(|l| !l.is_empty()).collect();
        let directive = match lines.last() {
            Some(l) if l.starts_with(':') => lines.pop().unwrap().to_string(),
            _ => panic!("no directive line in {stdout:?}"),
        };
        let values = lines
            .iter()
            .map(|l| l.split('\t').next().unwrap().to_string())
            .collect();
        (values, directive)
    }

    /// The subcommands `kubectl owner --help` lists (clap's own list, so commands added later
    /// are expected without changing this test).
    fn help_subcommands(&self) -> Vec<String> {
        let out = self.run(&["owner", "--help"], None);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let help = String::from_utf8_lossy(&out.stdout).into_owned();
        let section = help.split("Commands:").nth(1).expect("a Commands: section");
        section
            .lines()
            .skip(1)
            .take_while(|l| !l.trim().is_empty())
            .filter(|l| l.starts_with("  ") && !l.starts_with("    "))
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .collect()
    }
}

const DEFAULT_STAGES: [&str; 4] = ["experimental", "production", "deprecated", "retired"];

#[test]
fn kubectl_completes_subcommands_through_the_shim() {
    let Some(env) = setup() else { return };
    let (values, directive) = env.complete(&[""], None);
    assert_eq!(directive, ":4");
    let expected = env.help_subcommands();
    for name in ["ls", "who", "teams", "completion"] {
        assert!(
            expected.iter().any(|e| e == name),
            "--help lacks {name}: {expected:?}"
        );
    }
    assert_eq!(
        values, expected,
        "completion candidates are not the subcommands of --help"
    );
    assert!(
        !values
            .iter()
            .any(|v| v.starts_with('-') || v == "__complete"),
        "{values:?}"
    );

    // A prefix narrows them down; help texts come after a tab.
    let out = env.run(&["__complete", "owner", "te"], None);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("teams\tSummarise ownership per team"),
        "{stdout}"
    );
}

#[test]
fn kubectl_completes_stage_names_after_stage() {
    let Some(env) = setup() else { return };
    let (values, directive) = env.complete(&["ls", "--stage", ""], None);
    assert_eq!(values, DEFAULT_STAGES);
    assert_eq!(directive, ":4");
    // `assign` (whether or not this build has it yet) gets the same: stage completion keys on the flag.
    let (values, directive) = env.complete(&["assign", "deploy/x", "--stage", ""], None);
    assert_eq!(values, DEFAULT_STAGES);
    assert_eq!(directive, ":4");
    let (values, _) = env.complete(&["assign", "deploy/x", "--stage", "de"], None);
    assert_eq!(values, ["deprecated"]);
    let (values, _) = env.complete(&["ls", "--stage=p"], None);
    assert_eq!(values, ["--stage=production"]);
}

#[test]
fn kubectl_completes_registry_teams_and_configured_stages() {
    let Some(env) = setup() else { return };
    let config = env.home().join("owner-config.yaml");
    std::fs::write(
        &config,
        "stages: [alpha, beta, ga]\nteams:\n  - name: payments\n    aliases: [pay]\n  - name: platform\n  - name: search\n",
    )
    .unwrap();
    let (values, directive) = env.complete(&["ls", "-A", "--team", ""], Some(&config));
    assert_eq!(values, ["payments", "platform", "search"]);
    assert_eq!(directive, ":4");
    let (values, _) = env.complete(&["assign", "deploy/api", "--team", "p"], Some(&config));
    assert_eq!(values, ["payments", "platform"]);
    let (values, _) = env.complete(&["ls", "--stage", ""], Some(&config));
    assert_eq!(values, ["alpha", "beta", "ga"]);
    // --config on the command line wins over the environment.
    let other = env.home().join("other.yaml");
    std::fs::write(&other, "teams:\n  - name: billing\n").unwrap();
    let other = other.to_str().unwrap();
    let (values, _) = env.complete(&["ls", "--config", other, "--team", ""], Some(&config));
    assert_eq!(values, ["billing"]);
}

#[test]
fn kubectl_completes_kinds_flags_and_values() {
    let Some(env) = setup() else { return };
    let (values, _) = env.complete(&["ls", ""], None);
    for kind in [
        "deploy", "sts", "ds", "rs", "job", "cj", "po", "ns", "rollout",
    ] {
        assert!(
            values.iter().any(|v| v == kind),
            "{kind} missing from {values:?}"
        );
    }
    let (values, _) = env.complete(&["who", "sta"], None);
    assert_eq!(values, ["statefulset"]);
    let (values, _) = env.complete(&["ls", "--st"], None);
    assert_eq!(values, ["--stage"]);
    let (values, _) = env.complete(&["ls", "-o", ""], None);
    assert_eq!(
        values,
        [
            "table",
            "wide",
            "json",
            "yaml",
            "name",
            "csv",
            "backstage",
            "custom-columns=",
            "custom-columns-file=",
            "jsonpath=",
            "jsonpath-file="
        ]
    );
    let (values, _) = env.complete(&["completion", ""], None);
    assert_eq!(values, ["bash", "zsh", "fish", "powershell"]);
    // File arguments are left to the shell (cobra's default directive).
    let (values, directive) = env.complete(&["ls", "--kubeconfig", ""], None);
    assert!(values.is_empty(), "{values:?}");
    assert_eq!(directive, ":0");
}

#[test]
fn completion_command_prints_static_scripts() {
    let Some(env) = setup() else { return };
    for (shell, marker) in [
        ("bash", "-o bashdefault -o default kubectl-owner"),
        ("zsh", "#compdef kubectl-owner"),
        ("fish", "complete -c kubectl-owner"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = env.run(&["owner", "completion", shell], None);
        assert!(
            out.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains(marker), "{shell} script lacks {marker:?}");
        assert!(
            script.contains("teams"),
            "{shell} script lacks the subcommands"
        );
    }
    let out = env.run(&["owner", "completion", "tcsh"], None);
    assert!(!out.status.success());

    // The bash script works in bash: `kubectl-owner ls --st<TAB>` and `kubectl-owner te<TAB>`.
    let script = env.dir.path().join("kubectl-owner.bash");
    std::fs::write(
        &script,
        env.run(&["owner", "completion", "bash"], None).stdout,
    )
    .unwrap();
    let probe = format!(
        r#"source '{}'
complete -p kubectl-owner >/dev/null || exit 3
COMP_WORDS=(kubectl-owner ls --st); COMP_CWORD=2; _kubectl_owner kubectl-owner --st ls; echo "${{COMPREPLY[*]}}"
COMP_WORDS=(kubectl-owner te); COMP_CWORD=1; _kubectl_owner kubectl-owner te kubectl-owner; echo "${{COMPREPLY[*]}}""#,
        script.display()
    );
    let out = Command::new("bash")
        .args(["--norc", "-c", &probe])
        .output()
        .expect("bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.lines().collect::<Vec<_>>(), ["--stage", "teams"]);
}
