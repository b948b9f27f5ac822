//! One file per subcommand: each takes typed options, does its job through `cluster`, `core` and
//! `output`, and returns its exit status. May import every other folder.

pub mod assign;
pub mod check;
pub mod completion;
pub mod ls;
pub mod policy;
pub mod suggest;
pub mod teams;
pub mod who;

use crate::cli::options::{Command, GlobalOptions, Output};
use crate::error::{ExitStatus, Result};
use crate::output::documents::Format;
use crate::output::html;

pub async fn run(global: &GlobalOptions, command: Command) -> Result<ExitStatus> {
    match command {
        Command::Ls(opts) => ls::run(global, opts).await,
        Command::Who(opts) => who::run(global, opts).await,
        Command::Teams(opts) => teams::run(global, opts).await,
        Command::Completion(opts) => completion::run(opts).await,
        Command::Check(opts) => check::run(global, opts).await,
        Command::Policy(opts) => policy::run(global, opts).await,
        Command::Suggest(opts) => suggest::run(global, opts).await,
        Command::Assign(opts) | Command::Unassign(opts) => assign::run(global, opts).await,
    }
}

/// How `output` prints a command's document, when it is one of the document formats (`json`,
/// `yaml`, `jsonpath`, `custom-columns` with one row per element of `rows`).
pub fn document_format<'a>(
    output: &'a Output,
    rows: &'static str,
    no_headers: bool,
) -> Option<Format<'a>> {
    match output {
        Output::Json => Some(Format::Json),
        Output::Yaml => Some(Format::Yaml),
        Output::JsonPath(template) => Some(Format::JsonPath(template)),
        Output::CustomColumns(columns) => Some(Format::CustomColumns {
            columns,
            rows,
            no_headers,
        }),
        Output::Table
        | Output::Wide
        | Output::Name
        | Output::Csv
        | Output::Junit
        | Output::Markdown
        | Output::PolicyReport
        | Output::Html
        | Output::Backstage => None,
    }
}

/// Where and when a report is made, for the pages that say so.
pub fn made(
    global: &GlobalOptions,
    today: crate::core::date::Date,
) -> crate::error::Result<html::Made> {
    let now = jiff::Timestamp::now();
    Ok(html::Made {
        clusters: crate::cluster::inventory::describe_contexts(global)?,
        at: now.round(jiff::Unit::Second).unwrap_or(now).to_string(),
        today,
    })
}
