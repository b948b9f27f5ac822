//! The one place that writes to the terminal: stdout gets tables and documents only; stderr gets
//! errors, warnings, notes, progress and `-v` diagnostics, each in kubectl's words. Text from the
//! cluster is escaped here before it reaches a terminal, and a closed stdout pipe ends output
//! quietly while any other failed write is an error with its exit status.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

use crate::error::{Error, Result};

/// `-v=N`, set once at startup (kube's request hooks have no handle to pass it through).
static VERBOSITY: AtomicU8 = AtomicU8::new(0);

pub fn set_verbosity(level: u8) {
    VERBOSITY.store(level, Ordering::Relaxed);
}

pub fn enabled(level: u8) -> bool {
    VERBOSITY.load(Ordering::Relaxed) >= level
}

// ---------------------------------------------------------------------------------------------
// stdout
// ---------------------------------------------------------------------------------------------

/// Writes `text` to stdout.
pub fn out(text: &str) -> Result<()> {
    out_with(|w| w.write_all(text.as_bytes()))
}

/// Streams output through `write` into a buffered stdout (a 100,000-row table is never copied
/// into one string). A closed pipe (`| head`) is success; any other failure is an error.
pub fn out_with(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let mut stdout = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    match write(&mut stdout).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::output(format!("writing output: {e}"))),
    }
}

// ---------------------------------------------------------------------------------------------
// stderr
// ---------------------------------------------------------------------------------------------

/// One line on stderr. A failed write to stderr has nowhere to be reported, so it is ignored.
fn err_line(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// The error that ends the command, with kubectl's `error: ` prefix (see [`crate::error::user_line`]).
pub fn error(err: &Error) {
    partial_error(&err.message);
}

/// kubectl's hint after a usage error (of a subcommand, or of the line as a whole).
pub fn usage_hint(subcommand: Option<&str>) {
    err_line(&match subcommand {
        Some(name) => format!("See 'kubectl owner {name} --help' for usage."),
        None => "See 'kubectl owner --help' for usage.".to_string(),
    });
}

/// Whether stdout is a terminal (help may then be in colour).
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// An error about one part of the work (one object, one context of several) that does not end
/// the command.
pub fn partial_error(message: &str) {
    err_line(&crate::error::user_line(&terminal_safe(message)));
}

/// A warning: always on stderr, never on stdout. It may quote the cluster's text, so it is escaped.
pub fn warn(message: &str) {
    err_line(&format!("Warning: {}", terminal_safe(message)));
}

/// Something the user should know about what was asked (an alias written as its canonical name).
pub fn note(message: &str) {
    err_line(&format!("Note: {}", terminal_safe(message)));
}

/// A plain status line, as kubectl prints `No resources found` on stderr.
pub fn status(message: &str) {
    err_line(&terminal_safe(message));
}

/// Text that belongs together on stderr (a multi-line block), written as is.
pub fn status_text(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Prints `message` on stderr when `-v` is at least `level`.
pub fn log(level: u8, message: impl FnOnce() -> String) {
    if enabled(level) {
        err_line(&format!("I0000 {}", terminal_safe(&message())));
    }
}

/// Whether `c` must not reach a terminal as is: C0/C1 controls (ANSI escapes, newlines) and the
/// invisible Unicode characters (format characters such as zero-width spaces and joiners,
/// bidirectional overrides and isolates, the byte-order mark and tag characters; line and
/// paragraph separators; blank fillers) that make `payments\u{200b}` print like `payments`.
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{0600}'..='\u{0605}'
                | '\u{061C}'
                | '\u{06DD}'
                | '\u{070F}'
                | '\u{0890}'..='\u{0891}'
                | '\u{08E2}'
                | '\u{115F}'..='\u{1160}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2028}'..='\u{2029}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{110BD}'
                | '\u{110CD}'
                | '\u{13430}'..='\u{1343F}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0001}'
                | '\u{E0020}'..='\u{E007F}'
        )
}

/// Label and annotation values, server messages and config values are someone else's text:
/// escape what [`needs_escape`] names, so it can never move the cursor, fake extra lines or pass
/// for another name.
pub fn terminal_safe(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_string();
    }
    text.chars()
        .map(|c| match c {
            '\n' => "\\n".to_string(),
            '\r' => "\\r".to_string(),
            '\t' => "\\t".to_string(),
            c if needs_escape(c) => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Progress
// ---------------------------------------------------------------------------------------------

/// Clusters to list and listed, for the progress line of `--contexts`/`--all-contexts`.
static CLUSTERS_TOTAL: AtomicUsize = AtomicUsize::new(0);
static CLUSTERS_DONE: AtomicUsize = AtomicUsize::new(0);

pub fn clusters_total(total: usize) {
    CLUSTERS_TOTAL.store(total, Ordering::Relaxed);
}

pub fn cluster_done() {
    CLUSTERS_DONE.fetch_add(1, Ordering::Relaxed);
}

/// Pages and objects fetched so far, for the progress line.
static PAGES: AtomicUsize = AtomicUsize::new(0);
static OBJECTS: AtomicUsize = AtomicUsize::new(0);
static PROGRESS_SHOWN: AtomicBool = AtomicBool::new(false);

/// Counts one fetched page of `objects` objects.
pub fn page_fetched(objects: usize) {
    PAGES.fetch_add(1, Ordering::Relaxed);
    OBJECTS.fetch_add(objects, Ordering::Relaxed);
}

/// A progress line on stderr while a long listing runs — only when both stdout and stderr are
/// terminals (never in pipes, files or CI logs) and after a short delay, so quick commands stay
/// silent. Cleared when dropped.
pub struct Progress {
    stop: Option<std::sync::mpsc::Sender<()>>,
    ticker: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    pub fn start(what: &'static str) -> Progress {
        let terminal = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
        // One line for the whole command, even when several clusters are listed at once.
        if !terminal || PROGRESS_SHOWN.swap(true, Ordering::Relaxed) {
            return Progress {
                stop: None,
                ticker: None,
            };
        }
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let ticker = std::thread::spawn(move || {
            const DELAY: std::time::Duration = std::time::Duration::from_millis(300);
            const TICK: std::time::Duration = std::time::Duration::from_millis(100);
            if stopped.recv_timeout(DELAY).is_ok() {
                return;
            }
            loop {
                let (pages, objects) = (
                    PAGES.load(Ordering::Relaxed),
                    OBJECTS.load(Ordering::Relaxed),
                );
                let clusters = match CLUSTERS_TOTAL.load(Ordering::Relaxed) {
                    0 => String::new(),
                    total => format!(
                        "{}/{total} clusters, ",
                        CLUSTERS_DONE.load(Ordering::Relaxed)
                    ),
                };
                status_text(&format!(
                    "\r\x1b[K{what}: {clusters}{pages} pages, {objects} objects fetched"
                ));
                match stopped.recv_timeout(TICK) {
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
                    _ => break,
                }
            }
            status_text("\r\x1b[K");
        });
        Progress {
            stop: Some(stop),
            ticker: Some(ticker),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
            PROGRESS_SHOWN.store(false, Ordering::Relaxed);
        }
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(terminal_safe("plain"), "plain");
        assert_eq!(terminal_safe("a\nb\tc"), "a\\nb\\tc");
        assert_eq!(terminal_safe("\x1b[31mred"), "\\u{1b}[31mred");
        assert_eq!(terminal_safe("red\x1b[31m\nnext"), "red\\u{1b}[31m\\nnext");
        assert_eq!(terminal_safe("plain ünïcode"), "plain ünïcode");
        assert_eq!(terminal_safe("payments\u{200b}"), "payments\\u{200b}");
        assert_eq!(terminal_safe("\u{202e}evil"), "\\u{202e}evil");
        assert_eq!(terminal_safe("\u{feff}bom"), "\\u{feff}bom");
        assert_eq!(terminal_safe("tag\u{e0041}"), "tag\\u{e0041}");
        assert_eq!(terminal_safe("a\u{2028}b"), "a\\u{2028}b");
        assert_eq!(terminal_safe("日本語 👍"), "日本語 👍");
    }
}
