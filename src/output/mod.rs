//! Everything the user sees: tables, the JSON/YAML documents, warnings, progress and `-v`
//! diagnostics. Every write to stdout or stderr goes through `ui`.
//! May import `core` and `config`; never `cluster` or `commands`.

pub mod documents;
pub mod table;
pub mod trace;
pub mod ui;
