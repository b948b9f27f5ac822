//! kubectl's `-v=6`: one line per request — verb, URL, status and milliseconds — read from the
//! `HTTP` span kube's client opens around every request (its trace layer records the status on
//! the span when the response arrives). Installed only at `-v=6` and above.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use tracing::field::{Field, Visit};
use tracing::{Event, Metadata, Subscriber, span};

use crate::output::ui;

/// The verbosity at which requests are printed, as kubectl's.
pub const REQUEST_LINES: u8 = 6;

/// Prints a line per request from now on, when `-v` asks for it.
pub fn install() {
    if ui::enabled(REQUEST_LINES) {
        // Only fails when a subscriber is already set, which nothing else does.
        let _ = tracing::subscriber::set_global_default(RequestLines::default());
    }
}

/// A subscriber that only follows kube's `HTTP` spans.
#[derive(Default)]
struct RequestLines {
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Request>>,
}

struct Request {
    method: String,
    url: String,
    started: Instant,
    answered: bool,
    /// Handles to the span still alive (it closes when the last one drops).
    handles: usize,
}

/// The span fields we read: `http.method`, `http.url`, `http.status_code`.
#[derive(Default)]
struct Fields {
    method: Option<String>,
    url: Option<String>,
    status: Option<u16>,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "http.method" => self.method = Some(format!("{value:?}")),
            "http.url" => self.url = Some(format!("{value:?}")),
            _ => {}
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "http.status_code" {
            self.status = u16::try_from(value).ok();
        }
    }
}

impl RequestLines {
    fn print(request: &Request, status: Option<u16>) {
        let elapsed = request.started.elapsed().as_millis();
        let outcome = match status {
            Some(code) => {
                let reason = http::StatusCode::from_u16(code)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("");
                format!("{code} {reason}").trim_end().to_string()
            }
            None => "(no response)".to_string(),
        };
        ui::log(REQUEST_LINES, || {
            format!(
                "{} {} {outcome} in {elapsed} milliseconds",
                request.method, request.url
            )
        });
    }
}

impl Subscriber for RequestLines {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.is_span() && metadata.name() == "HTTP"
    }

    fn new_span(&self, attributes: &span::Attributes<'_>) -> span::Id {
        let mut fields = Fields::default();
        attributes.record(&mut fields);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let request = Request {
            method: fields.method.unwrap_or_default(),
            url: fields.url.unwrap_or_default(),
            started: Instant::now(),
            answered: false,
            handles: 1,
        };
        self.open.lock().expect("spans").insert(id, request);
        span::Id::from_u64(id)
    }

    fn record(&self, id: &span::Id, values: &span::Record<'_>) {
        let mut fields = Fields::default();
        values.record(&mut fields);
        let Some(status) = fields.status else {
            return;
        };
        if let Some(request) = self.open.lock().expect("spans").get_mut(&id.into_u64())
            && !request.answered
        {
            request.answered = true;
            Self::print(request, Some(status));
        }
    }

    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}

    fn event(&self, _: &Event<'_>) {}

    fn enter(&self, _: &span::Id) {}

    fn exit(&self, _: &span::Id) {}

    fn clone_span(&self, id: &span::Id) -> span::Id {
        if let Some(request) = self.open.lock().expect("spans").get_mut(&id.into_u64()) {
            request.handles += 1;
        }
        id.clone()
    }

    fn try_close(&self, id: span::Id) -> bool {
        let mut open = self.open.lock().expect("spans");
        let Some(request) = open.get_mut(&id.into_u64()) else {
            return false;
        };
        request.handles -= 1;
        if request.handles > 0 {
            return false;
        }
        let request = open.remove(&id.into_u64()).expect("present");
        drop(open);
        // A request that never got an answer (refused, timed out) is a line too.
        if !request.answered {
            Self::print(&request, None);
        }
        true
    }
}
