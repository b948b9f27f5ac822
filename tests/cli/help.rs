//! `--help` of the top level and of every subcommand, as snapshots (`tests/cli/snapshots/`).
//! The binary is `kubectl-owner`, so usage lines say `kubectl owner …`. The environment is
//! cleared and no stream is a terminal, so clap wraps at the binary's fixed width (100 columns)
//! whatever terminal the tests run in.

use crate::support::Env;

/// The subcommands `kubectl owner --help` lists (clap's own `help` aside), in its order.
const SUBCOMMANDS: [&str; 9] = [
    "ls",
    "who",
    "teams",
    "check",
    "assign",
    "unassign",
    "suggest",
    "policy",
    "completion",
];

fn help(args: &[&str]) -> String {
    let run = Env::without_cluster().owner(args);
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    assert_eq!(run.stderr, "", "{args:?}");
    run.stdout
}

/// Snapshots `kubectl owner ARGS` as `cli__help__NAME.snap`, described by the command line.
fn assert_help(name: &str, args: &[&str]) {
    insta::with_settings!({
        description => format!("$ kubectl owner {}", args.join(" ")),
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, help(args));
    });
}

#[test]
fn top_level_help() {
    assert_help("kubectl_owner", &["--help"]);
}

#[test]
fn every_subcommand_help() {
    for name in SUBCOMMANDS {
        assert_help(&format!("kubectl_owner_{name}"), &[name, "--help"]);
    }
}

#[test]
fn the_top_level_help_lists_exactly_these_subcommands() {
    let top = help(&["--help"]);
    let listed: Vec<&str> = top
        .split("\nCommands:\n")
        .nth(1)
        .expect("a Commands section")
        .lines()
        .take_while(|l| l.starts_with("  "))
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .collect();
    assert_eq!(listed, SUBCOMMANDS, "{top}");
}

#[test]
fn help_is_the_same_through_the_visible_alias_and_the_help_subcommand() {
    assert_eq!(help(&["list", "--help"]), help(&["ls", "--help"]));
    for name in SUBCOMMANDS {
        assert_eq!(help(&["help", name]), help(&[name, "--help"]), "{name}");
    }
}
