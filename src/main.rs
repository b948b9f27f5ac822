//! kubectl-owner: list, assign and check owners (teams) and lifecycle stages of Kubernetes
//! workloads. `main` only parses, runs and maps the outcome to an exit code.

mod cli;
mod cluster;
mod commands;
mod config;
mod core;
mod error;
mod output;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // kubectl's plugin completion (through the `kubectl_complete-owner` shim): no clap parse.
    let mut args = std::env::args_os().skip(1);
    if args
        .next()
        .is_some_and(|a| a == commands::completion::COMPLETE_COMMAND)
    {
        return commands::completion::complete_main(args.collect());
    }
    // `check` exits 2 when it could not check, whatever the reason (kubectl's 1 elsewhere).
    let cli = match cli::args::Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print and succeed; bad flags exit like kubectl's (1; check: 2).
        Err(e) => {
            let _ = e.print();
            let is_check = std::env::args().skip(1).any(|a| a == "check");
            return ExitCode::from(if !e.use_stderr() {
                0
            } else if is_check {
                2
            } else {
                1
            });
        }
    };
    let error_code = if matches!(cli.command, cli::args::CliCommand::Check(_)) {
        2
    } else {
        1
    };
    let subcommand = cli.command.name();
    let (global, command) = match cli.into_options() {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("{}", error::user_line(&message));
            return ExitCode::from(error_code);
        }
    };
    output::ui::set_verbosity(global.verbosity);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(commands::run(&global, command)) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("{}", error::user_line(&err.message));
            if err.kind == error::ErrorKind::Usage {
                eprintln!("See 'kubectl owner {subcommand} --help' for usage.");
            }
            ExitCode::from(error_code)
        }
    }
}
