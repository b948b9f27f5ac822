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
