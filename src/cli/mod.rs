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
    let line = kubectl_wording(e, argv, subcommand.as_deref())
        .unwrap_or_else(|| flag_error(&e.render().to_string()));
    ui::status_text(&format!("{line}\n"));
    ui::usage_hint(subcommand.as_deref());
    failed
}

/// kubectl's (pflag's and cobra's) one line for what clap stopped at: `error: unknown flag:
/// --bogus`, `error: flag needs an argument: 'l' in -l`, `error: invalid argument "x" for
/// "--fail-on" flag: …`. `None` for the kinds kubectl has no wording of its own for.
fn kubectl_wording(e: &clap::Error, argv: &[OsString], subcommand: Option<&str>) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let context = |kind: ContextKind| e.get(kind).map(ContextValue::to_string);
    match e.kind() {
        ErrorKind::InvalidSubcommand => {
            let name = context(ContextKind::InvalidSubcommand)?;
            let mut line = format!("error: unknown command \"{name}\" for \"kubectl owner\"");
            if let Some(ContextValue::Strings(similar)) = e.get(ContextKind::SuggestedSubcommand) {
                let quoted: Vec<String> = similar.iter().map(|s| format!("\"{s}\"")).collect();
                line.push_str(&format!("; did you mean {}?", quoted.join(" or ")));
            }
            return Some(line);
        }
        ErrorKind::MissingRequiredArgument => {
            let missing = match e.get(ContextKind::InvalidArg)? {
                ContextValue::Strings(args) => args.join(", "),
                other => other.to_string(),
            };
            return Some(format!("error: missing required argument {missing}"));
        }
        _ => {}
    }
    // clap names a flag with its value's placeholder (`--selector <SELECTOR>`).
    let arg = context(ContextKind::InvalidArg)?;
    let flag = arg
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    let words: Vec<String> = argv
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    // The way the user wrote a flag: `-l` when they typed its short form, `--selector` otherwise.
    let mut cli = args::Cli::command();
    // Built, so that the global flags (`-n`, `-v`, …) are among each subcommand's.
    cli.build();
    let short = subcommand
        .and_then(|name| cli.find_subcommand(name).cloned())
        .and_then(|command| {
            command
                .get_arguments()
                .find(|a| a.get_long().is_some_and(|l| flag == format!("--{l}")))
                .and_then(|a| a.get_short())
        });
    let typed_short = short.filter(|c| words.iter().any(|w| *w == format!("-{c}")));
    let pflag_name = match short {
        Some(c) => format!("-{c}, {flag}"),
        None => flag.clone(),
    };
    let valid = || match e.get(ContextKind::ValidValue) {
        Some(ContextValue::Strings(values)) => format!("valid values are {}", values.join(", ")),
        _ => "not a valid value".to_string(),
    };
    Some(match e.kind() {
        ErrorKind::UnknownArgument if flag.starts_with("--") => {
            format!("error: unknown flag: {flag}")
        }
        ErrorKind::UnknownArgument if flag.starts_with('-') => {
            let letter = flag.trim_start_matches('-');
            // pflag names the whole word the letter came in (`-Ax`).
            let word = words
                .iter()
                .skip(1)
                .find(|w| w.starts_with('-') && !w.starts_with("--") && w[1..].contains(letter))
                .cloned()
                .unwrap_or_else(|| flag.clone());
            format!("error: unknown shorthand flag: '{letter}' in {word}")
        }
        ErrorKind::InvalidValue
            if context(ContextKind::InvalidValue).is_none_or(|v| v.is_empty()) =>
        {
            match typed_short {
                Some(c) => format!("error: flag needs an argument: '{c}' in -{c}"),
                None => format!("error: flag needs an argument: {flag}"),
            }
        }
        ErrorKind::InvalidValue if flag.starts_with('-') => format!(
            "error: invalid argument \"{}\" for \"{pflag_name}\" flag: {}",
            context(ContextKind::InvalidValue).unwrap_or_default(),
            valid()
        ),
        ErrorKind::InvalidValue => format!(
            "error: invalid argument \"{}\": {}",
            context(ContextKind::InvalidValue).unwrap_or_default(),
            valid()
        ),
        ErrorKind::ValueValidation => format!(
            "error: invalid argument \"{}\" for \"{pflag_name}\" flag: {}",
            context(ContextKind::InvalidValue).unwrap_or_default(),
            std::error::Error::source(e)
                .map(ToString::to_string)
                .unwrap_or_else(valid)
        ),
        ErrorKind::TooManyValues | ErrorKind::NoEquals if flag.starts_with("--") => format!(
            "error: invalid argument \"{}\" for \"{pflag_name}\" flag: the flag takes no value",
            context(ContextKind::InvalidValue).unwrap_or_default()
        ),
        _ => return None,
    })
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

    /// Every clap error kind a user can cause, in kubectl's (pflag's, cobra's) words.
    #[test]
    fn flag_errors_in_kubectls_words() {
        let wording = |argv: &[&str]| {
            let argv: Vec<OsString> = argv.iter().map(OsString::from).collect();
            let e = args::Cli::command()
                .try_get_matches_from(&argv)
                .expect_err("a flag error");
            let subcommand = argv.get(1).and_then(|s| s.to_str());
            (e.kind(), kubectl_wording(&e, &argv, subcommand))
        };
        use clap::error::ErrorKind::*;
        let cases: &[(&[&str], clap::error::ErrorKind, &str)] = &[
            (
                &["k", "ls", "--bogus"],
                UnknownArgument,
                "error: unknown flag: --bogus",
            ),
            (
                &["k", "ls", "-Ax"],
                UnknownArgument,
                "error: unknown shorthand flag: 'x' in -Ax",
            ),
            (
                &["k", "ls", "-l"],
                InvalidValue,
                "error: flag needs an argument: 'l' in -l",
            ),
            (
                &["k", "ls", "--selector"],
                InvalidValue,
                "error: flag needs an argument: --selector",
            ),
            (
                &["k", "ls", "-n"],
                InvalidValue,
                "error: flag needs an argument: 'n' in -n",
            ),
            (
                &["k", "check", "--fail-on", "bogus"],
                InvalidValue,
                "error: invalid argument \"bogus\" for \"--fail-on\" flag: valid values are error, warning, never",
            ),
            (
                &["k", "teams", "-o", "wide"],
                InvalidValue,
                "error: invalid argument \"wide\" for \"-o, --output\" flag: valid values are table, json, yaml, csv, html",
            ),
            (
                &["k", "completion", "tcsh"],
                InvalidValue,
                "error: invalid argument \"tcsh\": valid values are bash, zsh, fish, powershell",
            ),
            (
                &["k", "ls", "-v", "abc"],
                ValueValidation,
                "error: invalid argument \"abc\" for \"-v, --v\" flag: invalid digit found in string",
            ),
            (
                &["k", "ls", "--unowned=yes"],
                TooManyValues,
                "error: invalid argument \"yes\" for \"--unowned\" flag: the flag takes no value",
            ),
            (
                &["k", "lss"],
                InvalidSubcommand,
                "error: unknown command \"lss\" for \"kubectl owner\"; did you mean \"list\" or \"ls\"?",
            ),
            (
                &["k", "bogus"],
                InvalidSubcommand,
                "error: unknown command \"bogus\" for \"kubectl owner\"",
            ),
            (
                &["k", "completion"],
                MissingRequiredArgument,
                "error: missing required argument <SHELL>",
            ),
        ];
        for (argv, kind, line) in cases {
            assert_eq!(wording(argv), (*kind, Some(line.to_string())), "{argv:?}");
        }
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
