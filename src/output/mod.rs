//! Everything the user sees: tables, the JSON/YAML documents, warnings, progress and `-v`
//! diagnostics. Every write to stdout or stderr goes through `ui`.
//! May import `core` and `config`; never `cluster` or `commands`.

pub mod backstage;
pub mod documents;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod policy_report;
pub mod table;
pub mod trace;
pub mod ui;

use crate::core::policy::Location;

/// The columns of a finding in the reports that title-case them (Markdown, HTML), the location
/// (context, member cluster) first when objects come from more than one place.
pub fn finding_columns(location: Option<Location>) -> Vec<&'static str> {
    let mut columns = vec![
        "Namespace",
        "Kind",
        "Name",
        "Team",
        "Rule",
        "Severity",
        "Detail",
    ];
    if let Some(location) = location {
        columns.insert(0, location.title());
    }
    columns
}
