//! The command-line boundary: reading argv, clap definitions, and their one conversion into typed
//! options. Past this folder nothing sees argv or clap: only parsed values (selectors, targets,
//! dates, contact keys). May import `core` (the typed values), `error` and `output::ui`.

pub mod args;
pub mod options;

use std::ffi::OsString;

use clap::{CommandFactory, FromArgMatches};

use crate::error::{ErrorKind, ExitStatus};
use crate::output::ui;
use options::{Command, GlobalOptions};

/// What the process was asked to do.
// One value per process: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Invocation {
    /// Run a subcommand.
    Run {
        global: GlobalOptions,
        command: Command,
        /// Its name as clap parsed it, for kubectl's usage hint and the exit status of an error.
        subcommand: String,
    },
    /// kubectl's plugin completion (`kubectl_complete-owner` → `__complete ARGS… PARTIAL`).
    Complete(Vec<OsString>),
    /// Nothing to run: help, version or a flag error was printed.
    Exit(ExitStatus),
}

/// Reads the process arguments once.
pub fn parse() -> Invocation {
    parse_from(std::env::args_os().collect())
}

fn parse_from(argv: Vec<OsString>) -> Invocation {
    if argv.get(1).is_some_and(|a| a == options::COMPLETE_COMMAND) {
        return Invocation::Complete(argv[2..].to_vec());
    }
    let parsed = args::Cli::command()
        .try_get_matches_from(&argv)
        .and_then(|matches| {
            let subcommand = matches.subcommand_name().unwrap_or_default().to_string();
            args::Cli::from_arg_matches(&matches).map(|cli| (cli, subcommand))
        });
    let (cli, subcommand) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return Invocation::Exit(clap_error(&e, &argv)),
    };
    match cli.into_options() {
        Ok((global, command)) => Invocation::Run {
            global,
            command,
            subcommand,
        },
        Err(err) => {
            ui::error(&err);
            if err.kind == ErrorKind::Usage {
                ui::usage_hint(Some(&subcommand));
            }
            Invocation::Exit(ExitStatus::of_error(&subcommand))
        }
    }
}

/// Prints what clap stopped at (help, version, a flag error) and says how the process ends.
fn clap_error(e: &clap::Error, argv: &[OsString]) -> ExitStatus {
    // The subcommand as clap understands the line, even a line with errors (so that
    // `ls --team check --bogus` is an `ls` error, whatever words it contains).
    let subcommand: Option<String> = args::Cli::command()
        .ignore_errors(true)
        .try_get_matches_from(argv)
        .ok()
        .and_then(|m| m.subcommand_name().map(str::to_string));
    let failed = ExitStatus::of_error(subcommand.as_deref().unwrap_or_default());
    if !e.use_stderr() {
        // --help and --version: the text is the output (in colour on a terminal, as clap does).
        let text = e.render();
        let text = match ui::stdout_is_terminal() {
            true => text.ansi().to_string(),
            false => text.to_string(),
        };
        return match ui::out(&text) {
            Ok(()) => ExitStatus::Success,
            Err(err) => {
                ui::error(&err);
                failed
            }
        };
    }
    if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        // `kubectl owner` alone: the help is the answer, on stderr, and the run failed.
        ui::status_text(&e.render().to_string());
        return failed;
    }
    ui::status_text(&format!("{}\n", flag_error(&e.render().to_string())));
    ui::usage_hint(subcommand.as_deref());
    failed
}

/// clap's error without its usage block and its own "For more information" line: kubectl
/// follows the error with one `See '… --help' for usage.` line instead.
fn flag_error(rendered: &str) -> String {
    let end = ["\nUsage:", "\nFor more information"]
        .iter()
        .filter_map(|marker| rendered.find(marker))
        .min()
        .unwrap_or(rendered.len());
    rendered[..end].trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exit_of(argv: &[&str]) -> Option<ExitStatus> {
        match parse_from(argv.iter().map(OsString::from).collect()) {
            Invocation::Exit(status) => Some(status),
            _ => None,
        }
    }

    #[test]
    fn flag_errors_exit_by_the_parsed_subcommand() {
        let argv = ["kubectl-owner", "ls", "--team", "check", "--bogus"];
        assert_eq!(exit_of(&argv), Some(ExitStatus::Failed));
        let argv = ["kubectl-owner", "check", "--bogus"];
        assert_eq!(exit_of(&argv), Some(ExitStatus::CouldNotCheck));
        let argv = ["kubectl-owner", "who", "check", "--bogus"];
        assert_eq!(exit_of(&argv), Some(ExitStatus::Failed));
    }

    #[test]
    fn aliases_and_missing_subcommands_are_errors_of_status_1() {
        let argv = ["kubectl-owner", "list", "--bogus"];
        assert_eq!(exit_of(&argv), Some(ExitStatus::Failed));
        assert_eq!(exit_of(&["kubectl-owner"]), Some(ExitStatus::Failed));
        assert_eq!(exit_of(&["kubectl-owner", "lss"]), Some(ExitStatus::Failed));
    }

    #[test]
    fn flag_error_keeps_the_message_and_drops_clap_usage() {
        let rendered = "error: unexpected argument '--bogus' found\n\n  tip: use '-- --bogus'\n\nUsage: kubectl owner ls [OPTIONS]\n\nFor more information, try '--help'.\n";
        assert_eq!(
            flag_error(rendered),
            "error: unexpected argument '--bogus' found\n\n  tip: use '-- --bogus'"
        );
    }
}
