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
