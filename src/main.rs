//! kubectl-owner: list, assign and check owners (teams) and lifecycle stages of Kubernetes
//! workloads. `main` only parses, runs and maps the outcome to an exit status.

mod cli;
mod cluster;
mod commands;
mod config;
mod core;
mod error;
mod output;

use std::process::ExitCode;

use cli::Invocation;
use error::{ErrorKind, ExitStatus};
use output::ui;

fn main() -> ExitCode {
    let status = match cli::parse() {
        Invocation::Exit(status) => status,
        Invocation::Complete(words) => commands::completion::complete_main(words),
        Invocation::Run {
            global,
            command,
            subcommand,
        } => {
            ui::set_verbosity(global.verbosity);
            output::trace::install();
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            match runtime.block_on(commands::run(&global, command)) {
                Ok(status) => status,
                Err(err) => {
                    ui::error(&err);
                    if err.kind == ErrorKind::Usage {
                        ui::usage_hint(Some(&subcommand));
                    }
                    ExitStatus::of_error(&subcommand)
                }
            }
        }
    };
    ExitCode::from(status.code())
}
