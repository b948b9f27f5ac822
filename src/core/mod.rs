//! The pure core: ownership resolution, policy rules, assign planning, selectors, kinds, dates.
//! No I/O, no clap, no HTTP: inputs are metadata and config, outputs are plain values.
//! May import `config` (the effective settings) and `error`; never `cluster`, `output` or `cli`.

pub mod admission;
pub mod alert;
pub mod contact;
pub mod date;
pub mod host;
pub mod image;
pub mod jsonpath;
pub mod kinds;
pub mod nearest;
pub mod ownership;
pub mod plan;
pub mod policy;
#[cfg(test)]
mod properties;
pub mod rules;
pub mod selector;
pub mod suggest;
