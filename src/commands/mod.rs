//! One file per subcommand: each takes typed options, does its job through `cluster`, `core` and
//! `output`, and returns its exit status. May import every other folder.

pub mod assign;
pub mod check;
pub mod completion;
pub mod ls;
pub mod teams;
pub mod who;

use crate::cli::options::{Command, GlobalOptions};
use crate::error::{ExitStatus, Result};

pub async fn run(global: &GlobalOptions, command: Command) -> Result<ExitStatus> {
    match command {
        Command::Ls(opts) => ls::run(global, opts).await,
        Command::Who(opts) => who::run(global, opts).await,
        Command::Teams(opts) => teams::run(global, opts).await,
        Command::Completion(opts) => completion::run(opts).await,
        Command::Check(opts) => check::run(global, opts).await,
        Command::Assign(opts) | Command::Unassign(opts) => assign::run(global, opts).await,
    }
}
