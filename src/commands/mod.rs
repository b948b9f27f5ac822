//! One file per subcommand; each takes plain options and returns the process exit code.

pub mod assign;
pub mod check;
pub mod completion;
pub mod ls;
pub mod teams;
pub mod who;

use crate::error::Result;
use crate::options::{Command, GlobalOptions};

/// Exit code on success with nothing to report.
pub const SUCCESS: u8 = 0;

pub async fn run(global: &GlobalOptions, command: Command) -> Result<u8> {
    match command {
        Command::Ls(opts) => ls::run(global, opts).await,
        Command::Who(opts) => who::run(global, opts).await,
        Command::Teams(opts) => teams::run(global, opts).await,
        Command::Completion(opts) => completion::run(opts).await,
        Command::Check(opts) => check::run(global, opts).await,
        Command::Assign(opts) | Command::Unassign(opts) => assign::run(global, opts).await,
    }
}
