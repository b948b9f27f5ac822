//! Errors that end a command (one line for the user, and the kind that picks the exit status),
//! and the exit statuses themselves.

use std::fmt;

/// Why a command could not finish. The message is already in kubectl's words.
#[derive(Debug)]
pub struct Error {
    pub message: String,
    pub kind: ErrorKind,
    /// The HTTP status the server answered, when the error is the server's.
    pub status: Option<u16>,
    /// A write whose request was sent but whose answer was lost: it may have landed.
    pub outcome_unknown: bool,
}

/// What went wrong: decides kubectl's usage hint and how the error is worded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad flags, arguments or local files: kubectl adds a `See '… --help'` hint.
    Usage,
    /// Kubeconfig, connection, authentication, authorisation or server errors.
    Cluster,
    /// Our config file.
    Config,
    /// A file or stdin the user handed over (an alert payload) could not be read or parsed.
    Input,
    /// Writing the output failed (a full disk, a closed file): the result never reached the user.
    Output,
}

/// How the process ends. kubectl exits 1 on any error; `check` follows `kubectl diff`
/// (0 clean, 1 findings, 2 could not check).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Done, nothing to report.
    Success,
    /// Done, and something needs attention: `check` findings at or above `--fail-on`, objects
    /// `assign` skipped or could not write.
    Findings,
    /// The command could not do its job (kubectl's status for any error).
    Failed,
    /// `check` could not check: its answer is unknown, which a CI gate must not take as a pass.
    CouldNotCheck,
    /// Stopped by Ctrl-C (128 + SIGINT, as a shell reports it).
    Interrupted,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Findings | ExitStatus::Failed => 1,
            ExitStatus::CouldNotCheck => 2,
            ExitStatus::Interrupted => 130,
        }
    }

    /// The status of an error that ended `subcommand`.
    pub fn of_error(subcommand: &str) -> ExitStatus {
        if subcommand == "check" {
            ExitStatus::CouldNotCheck
        } else {
            ExitStatus::Failed
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn usage(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            kind: ErrorKind::Usage,
            status: None,
            outcome_unknown: false,
        }
    }
    pub fn cluster(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            kind: ErrorKind::Cluster,
            status: None,
            outcome_unknown: false,
        }
    }
    pub fn config(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            kind: ErrorKind::Config,
            status: None,
            outcome_unknown: false,
        }
    }
    pub fn input(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            kind: ErrorKind::Input,
            status: None,
            outcome_unknown: false,
        }
    }
    pub fn output(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            kind: ErrorKind::Output,
            status: None,
            outcome_unknown: false,
        }
    }
}

impl Error {
    /// The server answered with this HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// The request was sent but its answer was lost.
    pub fn outcome_unknown(mut self) -> Self {
        self.outcome_unknown = true;
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
