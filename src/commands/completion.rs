//! Shell completion.
//!
//! * `kubectl owner completion bash|zsh|fish|powershell` prints a static script (clap_complete) for
//!   the `kubectl-owner` binary itself.
//! * `kubectl-owner __complete ARGS… PARTIAL` answers kubectl's plugin completion protocol
//!   (kubectl ≥ 1.26 runs `kubectl_complete-owner ARGS… PARTIAL`, and the shim committed at
//!   `krew/kubectl_complete-owner` execs this): one `value<TAB>help` per line, then cobra's
//!   directive line `:4` (no file completion) or `:0` (let the shell complete file names).
//!
//! Subcommands, flags and enumerated values come from clap's own command tree through
//! clap_complete's dynamic engine, so subcommands added later complete without changes here.
//! On top of that: kind names for TYPE arguments, stage names after `--stage` and registry team
//! names after `--team`, both from the local config file only (no cluster request: completion
//! must be fast and must work without a reachable cluster).

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use clap::{CommandFactory, ValueHint};
use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};

use crate::cli::args::Cli;
use crate::cli::options::{CompletionOptions, CompletionShell};
use crate::config::{self, Config};
use crate::core::kinds::Catalog;
use crate::error::{ExitStatus, Result};
use crate::output::ui;

/// The binary name the static scripts complete.
const BIN_NAME: &str = "kubectl-owner";

/// cobra's `ShellCompDirectiveDefault`: the shell may fall back to file names.
const DIRECTIVE_DEFAULT: u8 = 0;
/// cobra's `ShellCompDirectiveNoFileComp`.
const DIRECTIVE_NO_FILE_COMP: u8 = 4;

/// `kubectl owner completion SHELL`: prints the static completion script.
pub async fn run(opts: CompletionOptions) -> Result<ExitStatus> {
    ui::out(&script(opts.shell))?;
    Ok(ExitStatus::Success)
}

/// The static completion script for `shell`, completing the `kubectl-owner` binary.
pub fn script(shell: CompletionShell) -> String {
    let shell = match shell {
        CompletionShell::Bash => clap_complete::Shell::Bash,
        CompletionShell::Zsh => clap_complete::Shell::Zsh,
        CompletionShell::Fish => clap_complete::Shell::Fish,
        CompletionShell::PowerShell => clap_complete::Shell::PowerShell,
    };
    let mut buf = Vec::new();
    if shell == clap_complete::Shell::Bash {
        // clap_complete's bash generator turns every `-` of the binary name into its subcommand
        // separator, which breaks subcommand completion for `kubectl-owner`: generate for a name
        // without `-`, then register the functions for the real name.
        const PLACEHOLDER: &str = "kubectl_owner";
        clap_complete::generate(shell, &mut Cli::command(), PLACEHOLDER, &mut buf);
        let text = String::from_utf8_lossy(&buf);
        return text
            .lines()
            .map(|line| match line.trim_start().starts_with("complete -F ") {
                true => line
                    .strip_suffix(PLACEHOLDER)
                    .map_or(line.to_string(), |l| format!("{l}{BIN_NAME}")),
                false => line.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n";
    }
    clap_complete::generate(shell, &mut Cli::command(), BIN_NAME, &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// `kubectl-owner __complete ARGS… PARTIAL`: prints the candidates and cobra's directive line.
/// `args` are the words after `__complete`; the last one is the word being completed.
pub fn complete_main(args: Vec<OsString>) -> ExitStatus {
    let (candidates, directive) = complete(&args);
    let mut out = String::new();
    for c in candidates {
        out.push_str(&c.value);
        if let Some(help) = c.help.as_deref().map(one_line).filter(|h| !h.is_empty()) {
            out.push('\t');
            out.push_str(&help);
        }
        out.push('\n');
    }
    out.push_str(&format!(":{directive}\n"));
    // kubectl reads the candidates from a pipe; if that fails there is no one to tell.
    let _ = ui::out(&out);
    ExitStatus::Success
}

/// One completion candidate: the value and an optional one-line description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub value: String,
    pub help: Option<String>,
}

impl Candidate {
    fn new(value: impl Into<String>, help: Option<String>) -> Candidate {
        Candidate {
            value: value.into(),
            help,
        }
    }
}

/// The candidates for the last word of `args` and cobra's directive.
pub fn complete(args: &[OsString]) -> (Vec<Candidate>, u8) {
    let words: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let (partial, before) = match words.split_last() {
        Some((last, before)) => (last.as_str(), before),
        None => ("", &[][..]),
    };
    let config = load_config(before);
    let cmd = command(&config);

    // Values of --stage / --team: keyed on the flag whatever the subcommand, so that they also work
    // for subcommands whose definitions this module has never seen.
    for (flag, values) in [
        ("stage", stage_candidates(&config)),
        ("team", team_candidates(&config)),
    ] {
        let long = format!("--{flag}");
        let with_eq = format!("{long}=");
        if let Some(value) = partial.strip_prefix(&with_eq) {
            if flag_takes_value(&cmd, before, flag) {
                let out = filter(values, value).into_iter().map(|c| Candidate {
                    value: format!("{with_eq}{}", c.value),
                    ..c
                });
                return (out.collect(), DIRECTIVE_NO_FILE_COMP);
            }
        } else if before.last() == Some(&long) && flag_takes_value(&cmd, before, flag) {
            return (filter(values, partial), DIRECTIVE_NO_FILE_COMP);
        }
    }

    // A file name after a path flag (--kubeconfig, --config, …): leave it to the shell.
    if !partial.starts_with('-') && before.last().is_some_and(|w| is_path_flag(&cmd, w)) {
        return (Vec::new(), DIRECTIVE_DEFAULT);
    }

    let mut argv: Vec<OsString> = vec![OsString::from(BIN_NAME)];
    argv.extend(args.iter().cloned());
    if args.is_empty() {
        argv.push(OsString::new());
    }
    let index = argv.len() - 1;
    let mut cmd = cmd;
    let found = clap_complete::engine::complete(&mut cmd, argv, index, None).unwrap_or_default();
    let current = before
        .iter()
        .fold(&cmd, |c, w| c.find_subcommand(w).unwrap_or(c));
    let mut out: Vec<Candidate> = Vec::new();
    for c in found {
        let mut value = c.get_value().to_string_lossy().into_owned();
        // The engine may pick a visible alias (`list`) over the name (`ls`): prefer the name.
        if let Some(sc) = current.find_subcommand(&value)
            && sc.get_name().starts_with(partial)
        {
            value = sc.get_name().to_string();
        }
        // As kubectl's own completion: flags only once the word starts with `-`.
        if value.starts_with('-') && !partial.starts_with('-') {
            continue;
        }
        if out.iter().any(|o| o.value == value) {
            continue;
        }
        out.push(Candidate::new(value, c.get_help().map(|h| h.to_string())));
    }
    (out, DIRECTIVE_NO_FILE_COMP)
}

/// clap's command tree with the completers this module adds: kind names for every free-form
/// positional argument of every subcommand.
fn command(config: &Config) -> clap::Command {
    let mut cmd = Cli::command();
    cmd.build();
    let kinds = kind_candidates(config);
    cmd.mut_subcommands(|sc| {
        let kinds = kinds.clone();
        sc.mut_args(move |a| {
            let free_form = a.is_positional() && a.get_value_parser().possible_values().is_none();
            if free_form {
                let kinds = kinds.clone();
                a.add(ArgValueCompleter::new(move |current: &OsStr| {
                    let current = current.to_string_lossy();
                    // TYPE/NAME: names would need the cluster; completion stays local.
                    if current.contains('/') {
                        return Vec::new();
                    }
                    filter(kinds.clone(), &current)
                        .into_iter()
                        .map(|c| CompletionCandidate::new(c.value).help(c.help.map(Into::into)))
                        .collect()
                }))
            } else {
                a
            }
        })
    })
}

/// The effective local configuration (`--config` from the words typed so far, else the usual
/// lookup); defaults when there is none or it cannot be read.
fn load_config(words: &[String]) -> Config {
    let mut explicit: Option<PathBuf> = None;
    let mut iter = words.iter();
    while let Some(w) = iter.next() {
        if w == "--config" {
            explicit = iter.next().map(PathBuf::from);
        } else if let Some(path) = w.strip_prefix("--config=") {
            explicit = Some(PathBuf::from(path));
        }
    }
    let local = config::load_local(explicit.as_deref()).ok().flatten();
    config::merge(local, None)
}

fn stage_candidates(config: &Config) -> Vec<Candidate> {
    config
        .stages
        .iter()
        .map(|s| Candidate::new(s.clone(), None))
        .collect()
}

fn team_candidates(config: &Config) -> Vec<Candidate> {
    config
        .teams
        .iter()
        .map(|t| {
            let help = if t.aliases.is_empty() {
                None
            } else {
                Some(format!("aliases: {}", t.aliases.join(", ")))
            };
            Candidate::new(t.name.clone(), help)
        })
        .collect()
}

/// Kind names as kubectl takes them: the lower-case kind and its short names.
fn kind_candidates(config: &Config) -> Vec<Candidate> {
    let catalog = Catalog::new(&config.workloads);
    let mut out = Vec::new();
    for k in &catalog.kinds {
        let help = Some(format!("{} ({})", k.kind, k.api_version()));
        out.push(Candidate::new(k.kind.to_lowercase(), help.clone()));
        for short in &k.short_names {
            out.push(Candidate::new(short.clone(), help.clone()));
        }
    }
    out
}

fn filter(candidates: Vec<Candidate>, prefix: &str) -> Vec<Candidate> {
    candidates
        .into_iter()
        .filter(|c| c.value.starts_with(prefix))
        .collect()
}

/// False only when the subcommand typed so far is known and defines `--flag` as a switch
/// (taking no value). Unknown subcommands get the benefit of the doubt.
fn flag_takes_value(cmd: &clap::Command, words: &[String], flag: &str) -> bool {
    let Some(sub) = words.iter().find_map(|w| cmd.find_subcommand(w)) else {
        return true;
    };
    match sub.get_arguments().find(|a| a.get_long() == Some(flag)) {
        Some(arg) => arg.get_num_args().is_none_or(|n| n.takes_values()),
        None => true,
    }
}

/// Whether `word` is a flag (anywhere in the tree) whose value is a file or directory.
fn is_path_flag(cmd: &clap::Command, word: &str) -> bool {
    let matches = |a: &clap::Arg| {
        if let Some(long) = word.strip_prefix("--") {
            a.get_long() == Some(long)
        } else if let Some(short) = word.strip_prefix('-') {
            short.len() == 1 && a.get_short().is_some_and(|s| short.starts_with(s))
        } else {
            false
        }
    };
    let path_hint = |a: &clap::Arg| {
        a.get_num_args().is_none_or(|n| n.takes_values())
            && matches!(
                a.get_value_hint(),
                ValueHint::AnyPath | ValueHint::FilePath | ValueHint::DirPath
            )
    };
    fn any_arg(cmd: &clap::Command, f: &dyn Fn(&clap::Arg) -> bool) -> bool {
        cmd.get_arguments().any(f) || cmd.get_subcommands().any(|sc| any_arg(sc, f))
    }
    any_arg(cmd, &|a| matches(a) && path_hint(a))
}

fn one_line(text: &str) -> String {
    text.lines().next().unwrap_or("").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(args: &[&str]) -> (Vec<String>, u8) {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let (c, d) = complete(&args);
        (c.into_iter().map(|c| c.value).collect(), d)
    }

    #[test]
    fn subcommands_come_from_clap() {
        let (v, d) = values(&[""]);
        for sc in Cli::command()
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
        {
            assert!(
                v.iter().any(|x| x == sc.get_name()),
                "{} missing from {v:?}",
                sc.get_name()
            );
        }
        assert!(v.iter().all(|x| !x.starts_with('-')), "{v:?}");
        assert!(!v.iter().any(|x| x == crate::cli::options::COMPLETE_COMMAND));
        assert_eq!(d, DIRECTIVE_NO_FILE_COMP);
    }

    #[test]
    fn flags_after_a_dash() {
        let (v, _) = values(&["ls", "--s"]);
        assert!(
            v.contains(&"--selector".to_string()) && v.contains(&"--stage".to_string()),
            "{v:?}"
        );
        assert!(
            v.contains(&"--sort-by".to_string()) && v.contains(&"--server".to_string()),
            "{v:?}"
        );
    }

    #[test]
    fn stage_and_team_values() {
        let (v, _) = values(&["ls", "--stage", ""]);
        assert_eq!(v, DEFAULT_STAGES_OWNED());
        let (v, _) = values(&["ls", "--stage", "pro"]);
        assert_eq!(v, vec!["production"]);
        let (v, _) = values(&["ls", "--stage=d"]);
        assert_eq!(v, vec!["--stage=deprecated"]);
        // An unknown subcommand still gets stage names after --stage.
        let (v, _) = values(&["not-yet-a-command", "deploy/x", "--stage", ""]);
        assert_eq!(v, DEFAULT_STAGES_OWNED());
    }

    #[test]
    fn teams_and_stages_from_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yaml");
        std::fs::write(
            &path,
            "stages: [alpha, beta]\nteams:\n  - name: payments\n    aliases: [pay]\n  - name: search\n",
        )
        .unwrap();
        let path = path.to_str().unwrap();
        let (v, _) = values(&["ls", "--config", path, "--team", ""]);
        assert_eq!(v, vec!["payments", "search"]);
        let (v, _) = values(&["ls", &format!("--config={path}"), "--team", "s"]);
        assert_eq!(v, vec!["search"]);
        let (v, _) = values(&["ls", "--config", path, "--stage", ""]);
        assert_eq!(v, vec!["alpha", "beta"]);
    }

    #[allow(non_snake_case)]
    fn DEFAULT_STAGES_OWNED() -> Vec<String> {
        config::DEFAULT_STAGES
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn kinds_for_type_arguments() {
        let (v, _) = values(&["ls", ""]);
        for k in [
            "deploy", "sts", "ds", "rs", "job", "cj", "po", "ns", "rollout",
        ] {
            assert!(v.iter().any(|x| x == k), "{k} missing from {v:?}");
        }
        let (v, _) = values(&["who", "st"]);
        assert_eq!(v, vec!["statefulset", "sts"]);
        let (v, _) = values(&["ls", "deploy/"]);
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn enumerated_values_and_paths() {
        let (v, _) = values(&["ls", "-o", ""]);
        assert_eq!(
            v,
            vec![
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
        let (v, d) = values(&["ls", "--kubeconfig", ""]);
        assert!(v.is_empty());
        assert_eq!(d, DIRECTIVE_DEFAULT);
        let (v, _) = values(&["completion", ""]);
        assert_eq!(v, vec!["bash", "zsh", "fish", "powershell"]);
    }

    #[test]
    fn static_scripts_name_the_binary() {
        for shell in [
            CompletionShell::Bash,
            CompletionShell::Zsh,
            CompletionShell::Fish,
            CompletionShell::PowerShell,
        ] {
            let s = script(shell);
            assert!(s.contains(BIN_NAME), "{shell:?}");
            assert!(s.contains("teams"), "{shell:?}");
        }
    }
}
