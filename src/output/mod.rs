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

/// The columns of a finding in the reports that title-case them (Markdown, HTML), the context
/// first when several clusters were checked.
pub fn finding_columns(multi: bool) -> Vec<&'static str> {
    let mut columns = vec![
        "Namespace",
        "Kind",
        "Name",
        "Team",
        "Rule",
        "Severity",
        "Detail",
    ];
    if multi {
        columns.insert(0, "Context");
    }
    columns
}
