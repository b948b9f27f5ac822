//! Errors that end a command: one line for the user, and the exit code it maps to.

use std::fmt;

/// Why a command could not finish. The message is already in kubectl's words.
#[derive(Debug)]
pub struct Error {
    pub message: String,
    pub kind: ErrorKind,
    /// The HTTP status the server answered, when the error is the server's.
    pub status: Option<u16>,
}

/// Decides the exit code (kubectl: 1 for any error; `check`: 2 when it could not check).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad flags, arguments or local files.
    Usage,
    /// Kubeconfig, connection, authentication, authorisation or server errors.
    Cluster,
    /// Our config file.
    Config,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn usage(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            kind: ErrorKind::Usage,
            status: None,
        }
    }
    pub fn cluster(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            kind: ErrorKind::Cluster,
            status: None,
        }
    }
    pub fn config(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            kind: ErrorKind::Config,
            status: None,
        }
    }
}

impl Error {
    /// The server answered with this HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub fn is_forbidden(&self) -> bool {
        self.status == Some(403)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Prefixes `error: ` unless the message already carries kubectl's own prefix
/// (`Error from server (…)`, `The connection to the server …`, `Unable to connect …`).
pub fn user_line(message: &str) -> String {
    const OWN_PREFIXES: [&str; 4] = [
        "error: ",
        "Error from server",
        "The connection to the server",
        "Unable to connect",
    ];
    if OWN_PREFIXES.iter().any(|p| message.starts_with(p)) {
        message.to_string()
    } else {
        format!("error: {message}")
    }
}
