//! `-v=N` diagnostics on stderr. Never carries credentials.

use std::sync::atomic::{AtomicU8, Ordering};

static VERBOSITY: AtomicU8 = AtomicU8::new(0);

pub fn set_verbosity(level: u8) {
    VERBOSITY.store(level, Ordering::Relaxed);
}

pub fn enabled(level: u8) -> bool {
    VERBOSITY.load(Ordering::Relaxed) >= level
}

/// Prints `message` on stderr when `-v` is at least `level`.
pub fn log(level: u8, message: impl FnOnce() -> String) {
    if enabled(level) {
        eprintln!("I0000 {}", message());
    }
}

/// A warning: always on stderr, never on stdout.
pub fn warn(message: &str) {
    eprintln!("Warning: {message}");
}

/// Pages and objects fetched so far, for the progress line.
static PAGES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static OBJECTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

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
        use std::io::IsTerminal;
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
                eprint!("\r\x1b[K{what}: {pages} pages, {objects} objects fetched");
                match stopped.recv_timeout(TICK) {
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
                    _ => break,
                }
            }
            eprint!("\r\x1b[K");
        });
        Progress {
            stop: Some(stop),
            ticker: Some(ticker),
        }
    }
}

static PROGRESS_SHOWN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

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
