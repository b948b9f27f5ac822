//! The command-line boundary: clap definitions and their one conversion into typed options.
//! Everything past this folder sees parsed values (selectors, targets, dates, keys), never argv.
//! May import `core` (for the typed values) and `error`; nothing else.

pub mod args;
pub mod options;
