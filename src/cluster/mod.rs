//! The only layer that talks to the Kubernetes API: kubeconfig and connection, metadata-only
//! lists and gets, patches, error wording, and the inventory join across kinds and contexts.
//! May import `core`, `config`, `cli::options` and `output::ui` (diagnostics); never `commands`.

pub mod inventory;
pub mod session;
mod wire_log;
