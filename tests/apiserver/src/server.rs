//! HTTP serving: routing, authentication, RBAC, content negotiation, faults and the request log.

use std::collections::{HashMap, HashSet};
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::BodyExt as _;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tokio_rustls::TlsAcceptor;

use crate::managed::Writer;
use crate::openapi;
use crate::protobuf;
use crate::resources::{self, GROUPS, ResourceDef};
use crate::selector::{FieldSelector, LabelSelector};
use crate::store::{ApiError, Entry, FieldError, ListQuery, Store};
use crate::{Fault, FaultKind, Grant, RequestRecord};

/// Everything the server shares between the test thread and the serving runtime.
pub(crate) struct State {
    pub store: RwLock<Store>,
    pub log: Mutex<Vec<RequestRecord>>,
    pub faults: Mutex<Vec<Fault>>,
    pub tokens: Mutex<HashMap<String, String>>,
    pub grants: Mutex<Vec<Grant>>,
    pub hidden_groups: Mutex<HashSet<String>>,
    /// Client certificates issued by [`crate::TestServer::client_certificate`]: DER → user.
    pub client_certificates: Mutex<HashMap<Vec<u8>, String>>,
    /// The OpenID Connect issuer under `/oidc`: refresh token → the user its id tokens are for.
    pub oidc_refresh_tokens: Mutex<HashMap<String, String>>,
    pub start: Timestamp,
    /// kube-apiserver's `WatchList` feature gate: watches with `sendInitialEvents` (streaming lists).
    pub watch_list: AtomicBool,
    /// Watch streams whose connection is still open.
    pub open_watches: AtomicUsize,
    token_serial: AtomicU64,
    expired_below: AtomicU64,
    addr: String,
}

/// kube-apiserver's message for a continue token whose snapshot is gone, when it hands back a
/// token that goes on from the same key at the latest resourceVersion.
const INCONSISTENT_CONTINUE: &str = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

/// A decoded continue token: where the list goes on, and from which snapshot.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Continue {
    /// The key of the last object returned.
    pub key: (String, String),
    /// Items returned by the previous pages.
    pub offset: usize,
    /// The list's resourceVersion; -1 = the latest (an inconsistent continuation, as the token
    /// in a 410 continues).
    pub rv: i64,
}

impl State {
    pub fn new(addr: String) -> State {
        State {
            store: RwLock::new(Store::default()),
            log: Mutex::new(Vec::new()),
            faults: Mutex::new(Vec::new()),
            tokens: Mutex::new(HashMap::new()),
            grants: Mutex::new(Vec::new()),
            hidden_groups: Mutex::new(HashSet::new()),
            oidc_refresh_tokens: Mutex::new(HashMap::new()),
            client_certificates: Mutex::new(HashMap::new()),
            start: Timestamp::from_second(Timestamp::now().as_second()).expect("now"),
            watch_list: AtomicBool::new(true),
            open_watches: AtomicUsize::new(0),
            token_serial: AtomicU64::new(0),
            expired_below: AtomicU64::new(0),
            addr,
        }
    }

    pub fn expire_continue_tokens(&self) {
        let issued = self.token_serial.load(Ordering::SeqCst);
        self.expired_below.store(issued, Ordering::SeqCst);
    }

    fn take_fault(&self, method: &str, path_query: &str) -> Option<FaultKind> {
        let mut faults = self.faults.lock().expect("faults lock");
        let f = faults.iter_mut().find(|f| {
            f.times > 0
                && f.method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
                && path_query.contains(&f.path_contains)
        })?;
        f.times -= 1;
        Some(f.kind.clone())
    }

    fn encode_continue(&self, rv: i64, key: &(String, String), offset: usize) -> String {
        let t = self.token_serial.fetch_add(1, Ordering::SeqCst);
        let token = json!({"rv": rv, "ns": key.0, "name": key.1, "off": offset, "t": t});
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token.to_string())
    }

    fn decode_continue(&self, token: &str) -> Result<Continue, ApiError> {
        let bad = |why: &str| ApiError::bad_request(format!("continue key is not valid: {why}"));
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.trim_end_matches('='))
            .map_err(|e| bad(&e.to_string()))?;
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| bad(&e.to_string()))?;
        let (Some(ns), Some(name), Some(off), Some(t)) = (
            v["ns"].as_str(),
            v["name"].as_str(),
            v["off"].as_u64(),
            v["t"].as_u64(),
        ) else {
            return Err(bad("incomplete token"));
        };
        let key = (ns.to_string(), name.to_string());
        let offset = off as usize;
        if t < self.expired_below.load(Ordering::SeqCst) {
            // As kube-apiserver when etcd compacted the snapshot away: 410, with a token that
            // goes on after the same key at the latest resourceVersion.
            let mut e = ApiError::new(410, "Expired", INCONSISTENT_CONTINUE);
            e.continue_token = Some(self.encode_continue(-1, &key, offset));
            return Err(e);
        }
        Ok(Continue {
            key,
            offset,
            rv: v["rv"].as_i64().unwrap_or(-1),
        })
    }
}

/// Serve until `shutdown` fires; runs on the server's own thread.
pub(crate) fn run(
    state: Arc<State>,
    listener: std::net::TcpListener,
    tls: Option<TlsAcceptor>,
    shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
        let mut shutdown = shutdown;
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let _ = stream.set_nodelay(true);
                    let state = state.clone();
                    let tls = tls.clone();
                    tokio::spawn(async move {
                        match tls {
                            Some(acceptor) => {
                                let Ok(s) = acceptor.accept(stream).await else { return };
                                // The client certificate, if one was presented, names the user.
                                let cert_user = s
                                    .get_ref()
                                    .1
                                    .peer_certificates()
                                    .and_then(|chain| chain.first())
                                    .and_then(|cert| {
                                        state
                                            .client_certificates
                                            .lock()
                                            .expect("certificates lock")
                                            .get(cert.as_ref())
                                            .cloned()
                                    });
                                let svc = service_fn(move |req| handle(state.clone(), req, cert_user.clone()));
                                let _ = http1::Builder::new().serve_connection(TokioIo::new(s), svc).await;
                            }
                            None => {
                                let svc = service_fn(move |req| handle(state.clone(), req, None));
                                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
                            }
                        }
                    });
                }
            }
        }
    });
    rt.shutdown_background();
}

/// A response body: all at once, or half of it followed by an error (a cut connection), or
/// a watch stream that stays open after its events.
pub(crate) struct Payload {
    data: Option<Bytes>,
    fail_after: bool,
    flushed: bool,
    exact: Option<u64>,
    hold: Hold,
    /// Counts the stream as open in [`State::open_watches`] until the body is dropped (the
    /// stream ended, or hyper saw the client close the connection).
    _open: Option<OpenWatch>,
}

/// What a body does once its data is sent.
enum Hold {
    /// End.
    Done,
    /// Stay open until the client goes away (a watch without `timeoutSeconds`).
    Forever,
    /// Stay open until then, and end cleanly (`timeoutSeconds`).
    Until(Pin<Box<tokio::time::Sleep>>),
}

struct OpenWatch(Arc<State>);

impl OpenWatch {
    fn new(state: Arc<State>) -> OpenWatch {
        state.open_watches.fetch_add(1, Ordering::SeqCst);
        OpenWatch(state)
    }
}

impl Drop for OpenWatch {
    fn drop(&mut self) {
        self.0.open_watches.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Body for Payload {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        if let Some(d) = this.data.take() {
            return Poll::Ready(Some(Ok(Frame::data(d))));
        }
        if this.fail_after && !this.flushed {
            // Let hyper flush the half body before the error cuts the connection.
            this.flushed = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if this.fail_after {
            this.fail_after = false;
            return Poll::Ready(Some(Err(io::Error::other(
                "injected fault: truncated body",
            ))));
        }
        match &mut this.hold {
            Hold::Done => Poll::Ready(None),
            // Nothing will wake this body: hyper drops it when the client closes.
            Hold::Forever => Poll::Pending,
            Hold::Until(sleep) => {
                if sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.hold = Hold::Done;
                Poll::Ready(None)
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none() && !self.fail_after && matches!(self.hold, Hold::Done)
    }

    fn size_hint(&self) -> SizeHint {
        match self.exact {
            Some(n) => SizeHint::with_exact(n),
            None => SizeHint::default(),
        }
    }
}

/// An answer before it becomes an HTTP response.
struct Reply {
    status: u16,
    content_type: String,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
    /// A watch: `body` holds its first events, then the connection stays open.
    stream: Option<WatchStream>,
}

/// How a watch answer goes on after its first events.
struct WatchStream {
    /// Events in the body.
    events: usize,
    /// `timeoutSeconds`: the stream ends then; `None` = when the client closes it.
    timeout: Option<std::time::Duration>,
}

impl Reply {
    fn json(status: u16, v: &Value) -> Reply {
        Reply::raw(status, "application/json", v.to_string().into_bytes())
    }

    fn raw(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type: content_type.to_string(),
            body,
            headers: Vec::new(),
            stream: None,
        }
    }

    fn error(e: &ApiError) -> Reply {
        Reply::json(e.code, &e.to_json())
    }
}

/// `path?query` (or just `path`).
pub(crate) fn path_and_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decode a query string into a map (last value wins).
pub(crate) fn parse_query(q: &str) -> HashMap<String, String> {
    query_pairs(q).into_iter().collect()
}

/// Decode a query string into its pairs, in order.
pub(crate) fn query_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect()
}

/// A boolean query parameter as apimachinery decodes it: absent = `None`; `0` and `false` (any
/// case) are false; anything else, the empty string included, is true.
fn query_bool(q: &HashMap<String, String>, key: &str) -> Option<bool> {
    q.get(key)
        .map(|v| v != "0" && !v.eq_ignore_ascii_case("false"))
}

const NOT_OLDER_THAN: &str = "NotOlderThan";
const EXACT: &str = "Exact";

/// The list and watch parameters kube-apiserver decodes into `ListOptions`.
#[derive(Debug, Clone, PartialEq)]
struct ListOptions {
    watch: bool,
    resource_version: String,
    resource_version_match: String,
    send_initial_events: Option<bool>,
    allow_watch_bookmarks: bool,
    continue_token: String,
    limit: usize,
    timeout_seconds: Option<u64>,
}

impl ListOptions {
    fn parse(q: &HashMap<String, String>, watch: bool) -> Result<ListOptions, ApiError> {
        let text = |k: &str| q.get(k).cloned().unwrap_or_default();
        let limit = match q.get("limit").filter(|l| !l.is_empty()) {
            Some(l) => l
                .parse::<usize>()
                .map_err(|_| ApiError::bad_request(format!("invalid limit {l:?}")))?,
            None => 0,
        };
        let timeout_seconds = match q.get("timeoutSeconds").filter(|t| !t.is_empty()) {
            Some(t) => Some(t.parse::<u64>().map_err(|_| {
                ApiError::bad_request(format!("strconv.ParseInt: parsing {t:?}: invalid syntax"))
            })?),
            None => None,
        };
        Ok(ListOptions {
            watch,
            resource_version: text("resourceVersion"),
            resource_version_match: text("resourceVersionMatch"),
            send_initial_events: query_bool(q, "sendInitialEvents"),
            allow_watch_bookmarks: query_bool(q, "allowWatchBookmarks").unwrap_or(false),
            continue_token: text("continue"),
            limit,
            timeout_seconds,
        })
    }

    /// kube-apiserver's `SetListOptionsDefaults` then `ValidateListOptions`; a failure is 422.
    fn default_and_validate(&mut self, watch_list: bool) -> Result<(), ApiError> {
        // With the WatchList feature, a watch from "" or "0" (which always started with the
        // current objects) is a watch-list request.
        if watch_list
            && self.watch
            && self.send_initial_events.is_none()
            && self.resource_version_match.is_empty()
            && matches!(self.resource_version.as_str(), "" | "0")
        {
            self.send_initial_events = Some(true);
            self.resource_version_match = NOT_OLDER_THAN.into();
        }
        let mut errs = Vec::new();
        let rvm = self.resource_version_match.as_str();
        if self.watch {
            if self.send_initial_events.is_some() {
                if rvm != NOT_OLDER_THAN {
                    errs.push(FieldError::forbidden(
                        "resourceVersionMatch",
                        "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
                    ));
                }
                if !watch_list {
                    errs.push(FieldError::forbidden(
                        "sendInitialEvents",
                        "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled",
                    ));
                }
            }
            if !rvm.is_empty() {
                if self.send_initial_events.is_none() {
                    errs.push(FieldError::forbidden(
                        "resourceVersionMatch",
                        "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
                    ));
                }
                if rvm != NOT_OLDER_THAN {
                    errs.push(FieldError::not_supported(
                        "resourceVersionMatch",
                        rvm,
                        &[NOT_OLDER_THAN],
                    ));
                }
                if !self.continue_token.is_empty() {
                    errs.push(FieldError::forbidden(
                        "resourceVersionMatch",
                        "resourceVersionMatch is forbidden when continue is provided",
                    ));
                }
            }
        } else {
            if !rvm.is_empty() {
                if self.resource_version.is_empty() {
                    errs.push(FieldError::forbidden(
                        "resourceVersionMatch",
                        "resourceVersionMatch is forbidden unless resourceVersion is provided",
                    ));
                }
                if !self.continue_token.is_empty() {
                    errs.push(FieldError::forbidden(
                        "resourceVersionMatch",
                        "resourceVersionMatch is forbidden when continue is provided",
                    ));
                }
                if rvm != EXACT && rvm != NOT_OLDER_THAN {
                    errs.push(FieldError::not_supported(
                        "resourceVersionMatch",
                        rvm,
                        &[EXACT, NOT_OLDER_THAN, ""],
                    ));
                }
                if rvm == EXACT && self.resource_version == "0" {
                    errs.push(FieldError::forbidden(
                        "resourceVersionMatch",
                        "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"",
                    ));
                }
            }
            if self.send_initial_events.is_some() {
                errs.push(FieldError::forbidden(
                    "sendInitialEvents",
                    "sendInitialEvents is forbidden for list",
                ));
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid_list_options(&errs))
        }
    }

    /// Whether a list is served from the watch cache, which ignores `limit`: resourceVersion
    /// "0" without a continue token (kube-apiserver's `shouldDelegateList` is false).
    fn served_from_watch_cache(&self) -> bool {
        self.resource_version == "0"
            && self.continue_token.is_empty()
            && self.resource_version_match != EXACT
    }
}

fn reason_for(code: u16) -> &'static str {
    match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        409 => "Conflict",
        410 => "Expired",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "Unknown",
    }
}

/// kube-apiserver's threshold (`defaultGzipThresholdBytes`): smaller responses go uncompressed.
const GZIP_THRESHOLD_BYTES: usize = 128 * 1024;

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
    client_certificate_user: Option<String>,
) -> Result<Response<Payload>, io::Error> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map_err(io::Error::other)?.to_bytes();
    let header = |n: &str| {
        parts
            .headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let mut rec = RequestRecord {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        accept: header("accept"),
        content_type: header("content-type"),
        accept_encoding: header("accept-encoding"),
        gzipped: false,
        user_agent: header("user-agent"),
        authorization: header("authorization"),
        client_certificate_user,
        impersonate_user: header("impersonate-user"),
        impersonate_groups: parts
            .headers
            .get_all("impersonate-group")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
        status: 0,
        response_bytes: 0,
        watch_events: 0,
    };
    let pq = path_and_query(&rec.path, &rec.query);
    let mut truncate = false;
    let reply = match state.take_fault(&rec.method, &pq) {
        Some(FaultKind::DropConnection) => {
            state.log.lock().expect("log lock").push(rec);
            return Err(io::Error::other("injected fault: connection dropped"));
        }
        Some(FaultKind::Status { code, retry_after }) => {
            let mut e = ApiError::new(
                code,
                reason_for(code),
                format!("injected fault: status {code}"),
            );
            // kube-apiserver puts the delay in the Status too, not only in the header.
            if let Some(s) = retry_after {
                e.details = Some(serde_json::json!({ "retryAfterSeconds": s }));
            }
            let mut r = Reply::error(&e);
            if let Some(s) = retry_after {
                r.headers.push(("retry-after", s.to_string()));
            }
            r
        }
        Some(FaultKind::InvalidJson) => Reply::raw(200, "application/json", b"{not json".to_vec()),
        Some(FaultKind::Latency(d)) => {
            tokio::time::sleep(d).await;
            process(&state, &rec, &body)
        }
        Some(FaultKind::TruncatedBody) => {
            truncate = true;
            process(&state, &rec, &body)
        }
        Some(FaultKind::ConcurrentPatch(p)) => {
            concurrent_patch(&state, &rec.path, &p);
            process(&state, &rec, &body)
        }
        Some(FaultKind::EchoContinue) => {
            let mut reply = process(&state, &rec, &body);
            if let Ok(mut page) = serde_json::from_slice::<Value>(&reply.body)
                && let Some(meta) = page.get_mut("metadata").and_then(Value::as_object_mut)
            {
                let asked = rec.query_param("continue");
                if let Some(token) = asked {
                    meta.insert("continue".into(), Value::String(token));
                }
                reply.body = serde_json::to_vec(&page).expect("page serialises");
            }
            reply
        }
        Some(FaultKind::Recreate) => {
            recreate(&state, &rec.path);
            process(&state, &rec, &body)
        }
        Some(FaultKind::DeleteAndExpire {
            resource,
            namespace,
            name,
        }) => {
            if let Some(def) = crate::resources::by_plural_any(&resource) {
                let mut store = state.store.write().expect("store lock");
                store.remove(def, namespace.as_deref().unwrap_or(""), &name);
            }
            state.expire_continue_tokens();
            process(&state, &rec, &body)
        }
        None => process(&state, &rec, &body),
    };
    // kube-apiserver gzips a response larger than 128 KiB for a client that accepts it.
    let accepts_gzip = rec
        .accept_encoding
        .as_deref()
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let mut reply = reply;
    let stream = reply.stream.take();
    if accepts_gzip && !truncate && stream.is_none() && reply.body.len() > GZIP_THRESHOLD_BYTES {
        use std::io::Write as _;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&reply.body)?;
        reply.body = encoder.finish()?;
        reply.headers.push(("content-encoding", "gzip".to_string()));
        rec.gzipped = true;
    }
    let full_len = reply.body.len();
    let mut builder = Response::builder()
        .status(reply.status)
        .header("content-type", &reply.content_type);
    if !reply.headers.iter().any(|(k, _)| *k == "cache-control") {
        builder = builder.header("cache-control", "no-cache, private");
    }
    for (k, v) in &reply.headers {
        builder = builder.header(*k, v);
    }
    let payload = if let Some(watch) = stream {
        // A watch: chunked, its first events at once, then open until the client leaves or
        // timeoutSeconds runs out.
        rec.response_bytes = full_len;
        rec.watch_events = watch.events;
        Payload {
            data: Some(Bytes::from(reply.body)),
            fail_after: false,
            flushed: false,
            exact: None,
            hold: match watch.timeout {
                Some(d) => Hold::Until(Box::pin(tokio::time::sleep(d))),
                None => Hold::Forever,
            },
            _open: Some(OpenWatch::new(state.clone())),
        }
    } else if truncate {
        let half = full_len / 2;
        builder = builder.header("content-length", full_len.to_string());
        rec.response_bytes = half;
        let mut data = reply.body;
        data.truncate(half);
        Payload {
            data: Some(Bytes::from(data)),
            fail_after: true,
            flushed: false,
            exact: None,
            hold: Hold::Done,
            _open: None,
        }
    } else {
        rec.response_bytes = full_len;
        Payload {
            data: Some(Bytes::from(reply.body)),
            fail_after: false,
            flushed: false,
            exact: Some(full_len as u64),
            hold: Hold::Done,
            _open: None,
        }
    };
    rec.status = reply.status;
    state.log.lock().expect("log lock").push(rec);
    builder.body(payload).map_err(io::Error::other)
}

fn concurrent_patch(state: &State, path: &str, patch: &Value) {
    if let Some((def, ns, name)) = addressed(state, path) {
        state
            .store
            .write()
            .expect("store lock")
            .force_merge(def, &ns, &name, patch);
    }
}

fn recreate(state: &State, path: &str) {
    if let Some((def, ns, name)) = addressed(state, path) {
        let now = jiff::Timestamp::now();
        state
            .store
            .write()
            .expect("store lock")
            .recreate(def, &ns, &name, now);
    }
}

/// The object a request path names: its resource, namespace (empty when cluster-scoped) and name.
fn addressed(state: &State, path: &str) -> Option<(&'static ResourceDef, String, String)> {
    let hidden = state.hidden_groups.lock().expect("groups lock").clone();
    match route(path, &hidden) {
        Route::Resource {
            def,
            ns,
            name: Some(name),
            ..
        } => {
            let ns = if def.plural == "namespaces" {
                String::new()
            } else {
                ns.unwrap_or_default()
            };
            Some((def, ns, name))
        }
        _ => None,
    }
}

enum Route {
    Version,
    Health,
    Api,
    Apis,
    Group(&'static str, &'static str),
    GroupVersion(&'static str, &'static str),
    CoreV1,
    OpenApiIndex,
    OpenApiDocument(&'static openapi::Document),
    Resource {
        def: &'static ResourceDef,
        ns: Option<String>,
        name: Option<String>,
        sub: Option<String>,
    },
    NotFound,
}

fn route(path: &str, hidden: &HashSet<String>) -> Route {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["version"] => Route::Version,
        ["healthz"] | ["livez"] | ["readyz"] => Route::Health,
        ["api"] => Route::Api,
        ["api", "v1"] => Route::CoreV1,
        ["api", "v1", rest @ ..] => resource_route("", "v1", rest),
        ["apis"] => Route::Apis,
        ["openapi", "v3"] => Route::OpenApiIndex,
        ["openapi", "v3", rest @ ..] => openapi::document(&rest.join("/"), hidden)
            .map_or(Route::NotFound, Route::OpenApiDocument),
        ["apis", g, rest @ ..] => {
            let Some(&(group, version)) = GROUPS
                .iter()
                .find(|(gr, _)| gr == g && !hidden.contains(*gr))
            else {
                return Route::NotFound;
            };
            match rest {
                [] => Route::Group(group, version),
                [v] if *v == version => Route::GroupVersion(group, version),
                [v, rest @ ..] if *v == version => resource_route(group, version, rest),
                _ => Route::NotFound,
            }
        }
        _ => Route::NotFound,
    }
}

fn resource_route(group: &str, version: &str, rest: &[&str]) -> Route {
    let lookup = |p: &str| resources::by_plural(group, version, p);
    let s = |x: &&str| Some(x.to_string());
    // namespaces/{ns}/{resource}[/{name}[/{sub}]]
    if rest.len() >= 3
        && rest[0] == "namespaces"
        && let Some(def) = lookup(rest[2]).filter(|d| d.namespaced)
    {
        return match &rest[3..] {
            [] => Route::Resource {
                def,
                ns: s(&rest[1]),
                name: None,
                sub: None,
            },
            [name] => Route::Resource {
                def,
                ns: s(&rest[1]),
                name: s(name),
                sub: None,
            },
            [name, sub] => Route::Resource {
                def,
                ns: s(&rest[1]),
                name: s(name),
                sub: s(sub),
            },
            _ => Route::NotFound,
        };
    }
    let Some(def) = rest.first().and_then(|p| lookup(p)) else {
        return Route::NotFound;
    };
    match &rest[1..] {
        [] => Route::Resource {
            def,
            ns: None,
            name: None,
            sub: None,
        },
        [name] if !def.namespaced => Route::Resource {
            def,
            ns: None,
            name: s(name),
            sub: None,
        },
        [name, sub] if !def.namespaced => Route::Resource {
            def,
            ns: None,
            name: s(name),
            sub: s(sub),
        },
        _ => Route::NotFound,
    }
}

fn not_found_path() -> ApiError {
    let mut e = ApiError::new(
        404,
        "NotFound",
        "the server could not find the requested resource",
    );
    e.details = Some(json!({}));
    e
}

/// What representation the client accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Full,
    Partial(&'static str),
    Table(&'static str),
}

fn negotiate(accept: Option<&str>, is_list: bool) -> Result<Want, ApiError> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Ok(Want::Full);
    };
    for alt in accept.split(',') {
        let mut parts = alt.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let params: HashMap<String, String> = parts
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        if !matches!(media.as_str(), "application/json" | "*/*" | "application/*") {
            continue;
        }
        let version = match params.get("v").map(String::as_str) {
            Some("v1") | None => "v1",
            Some("v1beta1") => "v1beta1",
            Some(_) => continue,
        };
        let group_ok = params.get("g").is_none_or(|g| g == "meta.k8s.io");
        match params.get("as").map(String::as_str) {
            None => return Ok(Want::Full),
            Some("Table") if group_ok => return Ok(Want::Table(version)),
            Some("PartialObjectMetadataList") if group_ok && is_list => {
                return Ok(Want::Partial(version));
            }
            Some("PartialObjectMetadata") if group_ok && !is_list => {
                return Ok(Want::Partial(version));
            }
            _ => continue,
        }
    }
    Err(ApiError::new(
        406,
        "NotAcceptable",
        "only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io, application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io",
    ))
}

/// The representation of a watch's objects: whole, or `PartialObjectMetadata`. Tables are not
/// offered for watches here, so `as=Table` alternatives are passed over.
fn negotiate_watch(accept: Option<&str>) -> Result<Want, ApiError> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Ok(Want::Full);
    };
    let rest: Vec<&str> = accept
        .split(',')
        .filter(|alt| {
            !alt.split(';')
                .any(|p| p.trim().replace(' ', "").eq_ignore_ascii_case("as=Table"))
        })
        .collect();
    if rest.is_empty() {
        return Err(ApiError::new(
            406,
            "NotAcceptable",
            "only the following media types are accepted: application/json, application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io",
        ));
    }
    negotiate(Some(&rest.join(",")), false)
}

fn forbidden(
    user: &str,
    verb: &str,
    def: &ResourceDef,
    ns: Option<&str>,
    name: Option<&str>,
) -> ApiError {
    let subject = match name {
        Some(n) => format!("{} \"{n}\"", def.qualified()),
        None => def.qualified(),
    };
    let scope = match ns {
        Some(ns) => format!(" in the namespace \"{ns}\""),
        None => " at the cluster scope".to_string(),
    };
    let mut e = ApiError::new(
        403,
        "Forbidden",
        format!(
            "{subject} is forbidden: User \"{user}\" cannot {verb} resource \"{}\" in API group \"{}\"{scope}",
            def.plural, def.group
        ),
    );
    let mut d = json!({"group": def.group, "kind": def.plural});
    if let Some(n) = name {
        d["name"] = json!(n);
    }
    e.details = Some(d);
    e
}

fn allowed(
    grants: &[Grant],
    user: &str,
    verb: &str,
    resource: &str,
    ns: Option<&str>,
    name: Option<&str>,
) -> bool {
    grants.is_empty()
        || grants.iter().any(|g| {
            g.user == user
                && g.verbs.iter().any(|v| v == "*" || v == verb)
                && g.resources.iter().any(|r| r == "*" || r == resource)
                && match (&g.namespaces, ns) {
                    (None, _) => true,
                    (Some(list), Some(ns)) => list.iter().any(|n| n == ns),
                    (Some(_), None) => false,
                }
                && match (&g.resource_names, name) {
                    (None, _) => true,
                    (Some(names), Some(n)) => names.iter().any(|x| x == n),
                    (Some(_), None) => false,
                }
        })
}

/// A minimal OpenID Connect issuer at `/oidc`: discovery, and a token endpoint that trades a
/// known refresh token (client credentials in the header or the form, as clients try both) for
/// a fresh id token, which the API then accepts as a bearer token.
fn oidc(state: &State, rest: &str, rec: &RequestRecord, body: &[u8]) -> Result<Reply, ApiError> {
    let issuer = format!("https://{}/oidc", state.addr);
    match (rec.method.as_str(), rest) {
        ("GET", ".well-known/openid-configuration") => Ok(Reply::json(
            200,
            &serde_json::json!({"issuer": issuer, "token_endpoint": format!("{issuer}/token")}),
        )),
        ("POST", "token") => {
            let form = parse_query(&String::from_utf8_lossy(body));
            let client_in_header = rec
                .authorization
                .as_deref()
                .is_some_and(|a| a.starts_with("Basic "));
            if !client_in_header && !form.contains_key("client_id") {
                return Err(ApiError::new(401, "Unauthorized", "no client credentials"));
            }
            let refresh = form.get("refresh_token").cloned().unwrap_or_default();
            let user = state
                .oidc_refresh_tokens
                .lock()
                .expect("oidc lock")
                .get(&refresh)
                .cloned();
            let (Some(user), Some("refresh_token")) =
                (user, form.get("grant_type").map(String::as_str))
            else {
                return Err(ApiError::new(400, "BadRequest", "invalid_grant"));
            };
            let id_token = id_token(&issuer, &user, Timestamp::now().as_second() + 3600);
            state
                .tokens
                .lock()
                .expect("tokens lock")
                .insert(id_token.clone(), user);
            Ok(Reply::json(
                200,
                &serde_json::json!({"id_token": id_token, "token_type": "Bearer", "expires_in": 3600}),
            ))
        }
        _ => Err(not_found_path()),
    }
}

/// An unsigned JWT (clients read its `exp` only) for `user`, expiring at `exp`.
pub(crate) fn id_token(issuer: &str, user: &str, exp: i64) -> String {
    use base64::Engine as _;
    let part = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.{}",
        part(serde_json::json!({"alg": "none", "typ": "JWT"})),
        part(serde_json::json!({"iss": issuer, "sub": user, "exp": exp})),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("unsigned")
    )
}

fn process(state: &State, rec: &RequestRecord, body: &[u8]) -> Reply {
    match process_inner(state, rec, body) {
        Ok(r) => r,
        Err(e) => Reply::error(&e),
    }
}

fn process_inner(state: &State, rec: &RequestRecord, body: &[u8]) -> Result<Reply, ApiError> {
    if let Some(rest) = rec.path.strip_prefix("/oidc/") {
        return oidc(state, rest, rec, body);
    }
    // Authentication: a client certificate the server issued, else a known bearer token.
    let user = if let Some(user) = &rec.client_certificate_user {
        user.clone()
    } else {
        let tokens = state.tokens.lock().expect("tokens lock");
        if tokens.is_empty() {
            "admin".to_string()
        } else {
            let token = rec
                .authorization
                .as_deref()
                .and_then(|a| a.strip_prefix("Bearer "))
                .map(str::trim);
            match token.and_then(|t| tokens.get(t)) {
                Some(u) => u.clone(),
                None => return Err(ApiError::new(401, "Unauthorized", "Unauthorized")),
            }
        }
    };
    let user = rec.impersonate_user.clone().unwrap_or(user);

    let hidden = state.hidden_groups.lock().expect("groups lock").clone();
    let discovery_get = |v: Value| -> Result<Reply, ApiError> {
        if rec.method != "GET" {
            return Err(ApiError::new(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
            ));
        }
        Ok(Reply::json(200, &v))
    };
    let (def, ns, name, sub) = match route(&rec.path, &hidden) {
        Route::Version => {
            return discovery_get(json!({
                "major": "1", "minor": "32", "gitVersion": "v1.32.0-test-apiserver",
                "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
                "buildDate": "2025-01-01T00:00:00Z", "goVersion": "go1.23.0",
                "compiler": "gc", "platform": "linux/amd64",
            }));
        }
        Route::Health => return Ok(Reply::raw(200, "text/plain; charset=utf-8", b"ok".to_vec())),
        Route::Api => {
            return discovery_get(json!({
                "kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": state.addr}],
            }));
        }
        Route::Apis => {
            let groups: Vec<Value> = GROUPS
                .iter()
                .filter(|(g, _)| !hidden.contains(*g))
                .map(|(g, v)| resources::api_group(g, v))
                .collect();
            return discovery_get(
                json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}),
            );
        }
        Route::Group(g, v) => {
            let mut doc = resources::api_group(g, v);
            doc["kind"] = json!("APIGroup");
            doc["apiVersion"] = json!("v1");
            return discovery_get(doc);
        }
        Route::GroupVersion(g, v) => return discovery_get(resources::resource_list(g, v)),
        Route::CoreV1 => return discovery_get(resources::resource_list("", "v1")),
        Route::OpenApiIndex => {
            let mut reply = discovery_get(openapi::index(&hidden))?;
            let etag = format!(
                "\"{}\"",
                openapi::hash(&String::from_utf8_lossy(&reply.body))
            );
            reply.headers.push(("etag", etag));
            return Ok(reply);
        }
        Route::OpenApiDocument(doc) => return openapi_document(rec, doc),
        Route::NotFound => return Err(not_found_path()),
        Route::Resource { def, ns, name, sub } => (def, ns, name, sub),
    };
    if sub.is_some() {
        return Err(not_found_path());
    }
    let q = parse_query(&rec.query);
    let dry_run = q.get("dryRun").is_some_and(|v| v == "All");
    let verb = match (rec.method.as_str(), &name) {
        ("GET", Some(_)) => "get",
        ("GET", None) if query_bool(&q, "watch") == Some(true) => "watch",
        ("GET", None) => "list",
        ("POST", None) => "create",
        ("PATCH", Some(_)) => "patch",
        ("PUT", Some(_)) => "update",
        ("DELETE", Some(_)) => "delete",
        _ => {
            return Err(ApiError::new(
                405,
                "MethodNotAllowed",
                format!(
                    "the server does not allow this method on the requested resource ({} {})",
                    rec.method, rec.path
                ),
            ));
        }
    };
    // Authorization: a namespace object is authorized "in" itself, like the real server.
    let authz_ns = if def.plural == "namespaces" {
        name.as_deref()
    } else {
        ns.as_deref()
    };
    {
        let grants = state.grants.lock().expect("grants lock");
        if !allowed(&grants, &user, verb, def.plural, authz_ns, name.as_deref()) {
            return Err(forbidden(&user, verb, def, authz_ns, name.as_deref()));
        }
    }
    let ns_key = ns.clone().unwrap_or_default();
    let now = Timestamp::now();
    // kubectl's typed clients (`kubectl create deployment`, `create rolebinding`…) send
    // protobuf: the body is read as the JSON object it encodes.
    let decoded;
    let body = if matches!(verb, "create" | "update")
        && protobuf::is_protobuf(rec.content_type.as_deref())
    {
        decoded = serde_json::to_vec(&protobuf::to_json(body)?).expect("JSON serialises");
        decoded.as_slice()
    } else {
        body
    };
    match verb {
        "watch" => watch(state, rec, def, ns.as_deref(), &q),
        "list" => list(state, rec, def, ns.as_deref(), &q, now),
        "get" => {
            let name = name.expect("get has a name");
            let want = negotiate(rec.accept.as_deref(), false)?;
            let store = state.store.read().expect("store lock");
            let e = store
                .get(def, &ns_key, &name)
                .ok_or_else(|| ApiError::not_found(def, &name))?;
            Ok(render_object(def, e, want, &q, now))
        }
        "patch" => {
            let name = name.expect("patch has a name");
            let ct = rec.content_type.as_deref().unwrap_or("");
            let want = negotiate(rec.accept.as_deref(), false)?;
            let w = writer(rec, &q, "PatchOptions", now)?;
            let apply = ct.split(';').next().is_some_and(|m| {
                m.trim()
                    .eq_ignore_ascii_case("application/apply-patch+yaml")
            });
            if apply && q.get("fieldManager").is_none_or(String::is_empty) {
                return Err(ApiError::invalid_options(
                    "PatchOptions",
                    &[FieldError::required(
                        "fieldManager",
                        "is required for apply patch",
                    )],
                ));
            }
            let mut store = state.store.write().expect("store lock");
            let existed = store.get(def, &ns_key, &name).is_some();
            let out = store.patch(def, &ns_key, &name, ct, body, dry_run, &w)?;
            // An apply that created the object answers 201, as kube-apiserver's.
            let status = if existed { 200 } else { 201 };
            Ok(render_written(status, &out, want))
        }
        "update" => {
            let name = name.expect("update has a name");
            let want = negotiate(rec.accept.as_deref(), false)?;
            let w = writer(rec, &q, "UpdateOptions", now)?;
            let out = state
                .store
                .write()
                .expect("store lock")
                .update(def, &ns_key, &name, body, dry_run, &w)?;
            Ok(render_written(200, &out, want))
        }
        "create" => {
            let want = negotiate(rec.accept.as_deref(), false)?;
            let w = writer(rec, &q, "CreateOptions", now)?;
            let out = state
                .store
                .write()
                .expect("store lock")
                .create(def, &ns_key, body, dry_run, &w)?;
            Ok(render_written(201, &out, want))
        }
        "delete" => {
            let name = name.expect("delete has a name");
            let want = negotiate(rec.accept.as_deref(), false)?;
            let mut store = state.store.write().expect("store lock");
            let e = store
                .get(def, &ns_key, &name)
                .ok_or_else(|| ApiError::not_found(def, &name))?;
            let v = e.value();
            if !dry_run {
                store.remove(def, &ns_key, &name);
                if def.plural == "namespaces" {
                    store.remove_namespace_contents(&name);
                }
                store.bump();
            }
            Ok(render_written(200, &v, want))
        }
        _ => unreachable!("verb {verb}"),
    }
}

/// The writer a request records in managedFields: its `fieldManager`, else its User-Agent's prefix.
fn writer(
    rec: &RequestRecord,
    q: &HashMap<String, String>,
    options_kind: &str,
    now: Timestamp,
) -> Result<Writer, ApiError> {
    Writer::of_request(
        q.get("fieldManager").map(String::as_str),
        rec.user_agent.as_deref(),
        options_kind,
        now,
    )
}

/// A group-version's OpenAPI document as kube-openapi serves it: JSON (we offer no protobuf),
/// tagged with its hash; at a URL naming that hash it may be cached for a year, a URL naming
/// another hash is redirected to the current one.
fn openapi_document(rec: &RequestRecord, doc: &openapi::Document) -> Result<Reply, ApiError> {
    if rec.method != "GET" {
        return Err(ApiError::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        ));
    }
    if !openapi::accepts_json(rec.accept.as_deref()) {
        return Ok(Reply::raw(406, "text/plain; charset=utf-8", Vec::new()));
    }
    let asked = rec.query_param("hash").filter(|h| !h.is_empty());
    if asked.as_ref().is_some_and(|h| *h != doc.hash) {
        let url = doc.url();
        let mut moved = Reply::raw(
            301,
            "text/html; charset=utf-8",
            format!("<a href=\"{url}\">Moved Permanently</a>.\n\n").into_bytes(),
        );
        moved.headers.push(("location", url));
        return Ok(moved);
    }
    let mut reply = Reply::raw(200, "application/json", doc.body.clone().into_bytes());
    reply.headers.push(("etag", format!("\"{}\"", doc.hash)));
    reply.headers.push(("vary", "Accept".into()));
    if asked.is_some() {
        let expires = Timestamp::now() + jiff::SignedDuration::from_hours(365 * 24);
        reply
            .headers
            .push(("cache-control", "public, immutable".into()));
        reply.headers.push((
            "expires",
            expires.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        ));
    }
    Ok(reply)
}

/// The label and field selectors of a list or watch.
fn selectors(
    def: &ResourceDef,
    q: &HashMap<String, String>,
) -> Result<(LabelSelector, FieldSelector), ApiError> {
    let labels = LabelSelector::parse(q.get("labelSelector").map_or("", String::as_str))
        .map_err(ApiError::bad_request)?;
    let fields = FieldSelector::parse_for(
        q.get("fieldSelector").map_or("", String::as_str),
        FieldSelector::extra_fields(def.plural),
    )
    .map_err(ApiError::bad_request)?;
    Ok((labels, fields))
}

fn list(
    state: &State,
    rec: &RequestRecord,
    def: &'static ResourceDef,
    ns: Option<&str>,
    q: &HashMap<String, String>,
    now: Timestamp,
) -> Result<Reply, ApiError> {
    let want = negotiate(rec.accept.as_deref(), true)?;
    let mut opts = ListOptions::parse(q, false)?;
    opts.default_and_validate(state.watch_list.load(Ordering::SeqCst))?;
    let (labels, fields) = selectors(def, q)?;
    let cont = if opts.continue_token.is_empty() {
        None
    } else {
        let c = state.decode_continue(&opts.continue_token)?;
        if !matches!(opts.resource_version.as_str(), "" | "0") {
            return Err(ApiError::bad_request(
                "specifying resource version is not allowed when using continue",
            ));
        }
        Some(c)
    };
    // resourceVersion=0 is served whole from the watch cache: no pages.
    let limit = if opts.served_from_watch_cache() {
        0
    } else {
        opts.limit
    };
    let namespace = if def.namespaced {
        ns.or(fields.namespace())
    } else {
        None
    };
    let (after, offset) = match &cont {
        Some(c) => (Some(c.key.clone()), c.offset),
        None => (None, 0),
    };
    let store = state.store.read().expect("store lock");
    let page = store.list(
        def,
        ListQuery {
            namespace,
            labels: &labels,
            fields: &fields,
            limit,
            after,
            offset,
        },
    );
    // The pages of a list share its first page's resourceVersion; a continuation from a 410's
    // token (rv -1) reads, and reports, the latest.
    let rv = match &cont {
        Some(c) if c.rv > 0 => c.rv as u64,
        _ => store.rv,
    };
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if let Some(next) = &page.next {
        meta["continue"] = json!(state.encode_continue(rv as i64, next, offset + page.items.len()));
        if let Some(r) = page.remaining {
            meta["remainingItemCount"] = json!(r);
        }
    }
    Ok(render_list(def, &page.items, &meta, want, q, now))
}

/// A watch. Those that start with the current objects (`sendInitialEvents=true`, or a
/// resourceVersion of "" or "0") are served: one `ADDED` event per object, then, for a
/// watch-list request with `allowWatchBookmarks=true`, the `BOOKMARK` that ends the initial
/// events; then the stream stays open (this server sends no later changes). A watch from a
/// given resourceVersion would need the changes since: not supported (405).
fn watch(
    state: &State,
    rec: &RequestRecord,
    def: &'static ResourceDef,
    ns: Option<&str>,
    q: &HashMap<String, String>,
) -> Result<Reply, ApiError> {
    let mut opts = ListOptions::parse(q, true)?;
    let watch_list = state.watch_list.load(Ordering::SeqCst);
    opts.default_and_validate(watch_list)?;
    let want = negotiate_watch(rec.accept.as_deref())?;
    let (labels, fields) = selectors(def, q)?;
    let initial_events = opts
        .send_initial_events
        .unwrap_or(matches!(opts.resource_version.as_str(), "" | "0"));
    if !initial_events {
        return Err(ApiError::new(
            405,
            "MethodNotAllowed",
            "watch is not supported by the test API server from a resourceVersion: only watches that start with the current objects (sendInitialEvents=true, or resourceVersion \"\" or \"0\")",
        ));
    }
    // kube-apiserver ends the initial events with a bookmark only for a watch-list request
    // that allows bookmarks.
    let bookmark =
        watch_list && opts.send_initial_events == Some(true) && opts.allow_watch_bookmarks;
    let namespace = if def.namespaced {
        ns.or(fields.namespace())
    } else {
        None
    };
    let store = state.store.read().expect("store lock");
    let page = store.list(
        def,
        ListQuery {
            namespace,
            labels: &labels,
            fields: &fields,
            limit: 0,
            after: None,
            offset: 0,
        },
    );
    let mut out =
        String::with_capacity(64 + page.items.iter().map(|e| e.raw.len() + 32).sum::<usize>());
    for e in &page.items {
        let object = match want {
            Want::Partial(v) => partial(e, v),
            _ => e.raw.to_string(),
        };
        out += &format!("{{\"type\":\"ADDED\",\"object\":{object}}}\n");
    }
    let mut events = page.items.len();
    if bookmark {
        // An empty object of the watched kind (or PartialObjectMetadata) that carries only the
        // resourceVersion the initial events are synced to, and the annotation saying so.
        let (kind, api_version) = match want {
            Want::Partial(v) => (
                "PartialObjectMetadata".to_string(),
                format!("meta.k8s.io/{v}"),
            ),
            _ => (def.kind.to_string(), def.api_version()),
        };
        out += &format!(
            r#"{{"type":"BOOKMARK","object":{{"kind":"{kind}","apiVersion":"{api_version}","metadata":{{"resourceVersion":"{}","annotations":{{"k8s.io/initial-events-end":"true"}}}}}}}}"#,
            store.rv
        );
        out.push('\n');
        events += 1;
    }
    let mut reply = Reply::raw(200, "application/json", out.into_bytes());
    reply.stream = Some(WatchStream {
        events,
        timeout: opts
            .timeout_seconds
            .filter(|s| *s > 0)
            .map(std::time::Duration::from_secs),
    });
    Ok(reply)
}

#[derive(Deserialize)]
struct MetaView<'a> {
    #[serde(borrow)]
    metadata: &'a RawValue,
}

#[derive(Deserialize, Default)]
struct MiniMeta {
    #[serde(default)]
    name: String,
    #[serde(default, rename = "creationTimestamp")]
    creation: Option<String>,
}

fn raw_metadata(e: &Entry) -> &str {
    serde_json::from_str::<MetaView<'_>>(&e.raw)
        .map(|m| m.metadata.get())
        .unwrap_or("{}")
}

fn partial(e: &Entry, version: &str) -> String {
    format!(
        r#"{{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/{version}","metadata":{}}}"#,
        raw_metadata(e)
    )
}

fn content_type(want: Want, is_list: bool) -> String {
    match want {
        Want::Full => "application/json".into(),
        Want::Table(v) => format!("application/json;as=Table;v={v};g=meta.k8s.io"),
        Want::Partial(v) if is_list => {
            format!("application/json;as=PartialObjectMetadataList;v={v};g=meta.k8s.io")
        }
        Want::Partial(v) => {
            format!("application/json;as=PartialObjectMetadata;v={v};g=meta.k8s.io")
        }
    }
}

fn render_list(
    def: &ResourceDef,
    items: &[&Entry],
    meta: &Value,
    want: Want,
    q: &HashMap<String, String>,
    now: Timestamp,
) -> Reply {
    let mut out = String::with_capacity(256 + items.iter().map(|e| e.raw.len() + 1).sum::<usize>());
    match want {
        Want::Full => {
            out += &format!(
                r#"{{"apiVersion":"{}","kind":"{}List","metadata":{meta},"items":["#,
                def.api_version(),
                def.kind
            );
            for (i, e) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out += &e.raw;
            }
            out += "]}";
        }
        Want::Partial(v) => {
            out += &format!(
                r#"{{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/{v}","metadata":{meta},"items":["#
            );
            for (i, e) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out += &partial(e, v);
            }
            out += "]}";
        }
        Want::Table(v) => out = table(def, items, meta, v, q, now),
    }
    Reply::raw(200, &content_type(want, true), out.into_bytes())
}

fn render_object(
    def: &ResourceDef,
    e: &Entry,
    want: Want,
    q: &HashMap<String, String>,
    now: Timestamp,
) -> Reply {
    let body = match want {
        Want::Full => e.raw.to_string(),
        Want::Partial(v) => partial(e, v),
        Want::Table(v) => table(def, &[e], &json!({}), v, q, now),
    };
    Reply::raw(200, &content_type(want, false), body.into_bytes())
}

/// The answer to a write: the object, or its metadata when the client asked for
/// `as=PartialObjectMetadata` (kube-rs' `patch_metadata` does). A Table is not offered for writes.
fn render_written(status: u16, obj: &Value, want: Want) -> Reply {
    match want {
        Want::Partial(v) => {
            let body = json!({
                "kind": "PartialObjectMetadata",
                "apiVersion": format!("meta.k8s.io/{v}"),
                "metadata": obj.get("metadata").cloned().unwrap_or(json!({})),
            });
            Reply::raw(
                status,
                &content_type(want, false),
                body.to_string().into_bytes(),
            )
        }
        _ => Reply::json(status, obj),
    }
}

/// kubectl's `HumanDuration` (what the AGE column shows).
pub(crate) fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".into();
    }
    if seconds < 0 {
        return "0s".into();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{dy}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

fn age(now: Timestamp, created: Option<&str>) -> String {
    match created.and_then(|c| c.parse::<Timestamp>().ok()) {
        Some(t) => human_duration(now.as_second() - t.as_second()),
        None => "<unknown>".into(),
    }
}

fn table(
    def: &ResourceDef,
    items: &[&Entry],
    meta: &Value,
    version: &str,
    q: &HashMap<String, String>,
    now: Timestamp,
) -> String {
    let columns = crate::table::columns(def.kind);
    // Name/Age rows need only the metadata; other kinds parse the object for their cells.
    let name_and_age = columns.len() == 2 && columns[1]["name"] == "Age";
    let include = q.get("includeObject").map_or("Metadata", String::as_str);
    let rows: Vec<Value> = items
        .iter()
        .map(|e| {
            let raw_meta = raw_metadata(e);
            let m: MiniMeta = serde_json::from_str(raw_meta).unwrap_or_default();
            let a = age(now, m.creation.as_deref());
            let cells = if name_and_age {
                json!([m.name, a])
            } else {
                crate::table::cells(def.kind, e, &m.name, a, now)
            };
            let mut row = json!({"cells": cells});
            match include {
                "None" => {}
                "Object" => row["object"] = e.value(),
                _ => {
                    let meta: Value = serde_json::from_str(raw_meta).unwrap_or(json!({}));
                    row["object"] = json!({
                        "kind": "PartialObjectMetadata",
                        "apiVersion": format!("meta.k8s.io/{version}"),
                        "metadata": meta,
                    });
                }
            }
            row
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": format!("meta.k8s.io/{version}"),
        "metadata": meta,
        "columnDefinitions": columns,
        "rows": rows,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_match_kubectl() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(119), "119s");
        assert_eq!(human_duration(125), "2m5s");
        assert_eq!(human_duration(600), "10m");
        assert_eq!(human_duration(3 * 3600 + 60), "3h1m");
        assert_eq!(human_duration(10 * 3600), "10h");
        assert_eq!(human_duration(2 * 86400 + 5), "2d");
        assert_eq!(human_duration(3 * 86400 + 3600 * 4), "3d4h");
        assert_eq!(human_duration(30 * 86400), "30d");
        assert_eq!(human_duration(120 * 86400), "120d");
        assert_eq!(human_duration(3 * 365 * 86400), "3y");
    }

    #[test]
    fn negotiation() {
        let kubectl = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert_eq!(negotiate(Some(kubectl), true), Ok(Want::Table("v1")));
        let kube = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
        assert_eq!(negotiate(Some(kube), true), Ok(Want::Partial("v1")));
        assert!(negotiate(Some(kube), false).is_err());
        assert_eq!(negotiate(None, false), Ok(Want::Full));
        let disco =
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
        assert_eq!(negotiate(Some(disco), true), Ok(Want::Full));
    }

    fn opts(query: &str, watch: bool) -> ListOptions {
        ListOptions::parse(&parse_query(query), watch).unwrap()
    }

    #[test]
    fn boolean_parameters_decode_as_apimachinery_does() {
        let q = parse_query("a=true&b=1&c=&d=False&e=0&f=yes");
        let got: Vec<Option<bool>> = ["a", "b", "c", "d", "e", "f", "g"]
            .iter()
            .map(|k| query_bool(&q, k))
            .collect();
        assert_eq!(
            got,
            [
                Some(true),
                Some(true),
                Some(true),
                Some(false),
                Some(false),
                Some(true),
                None
            ]
        );
    }

    #[test]
    fn watches_from_the_start_default_to_watch_list() {
        for query in ["", "resourceVersion=0", "allowWatchBookmarks=true"] {
            let mut o = opts(query, true);
            o.default_and_validate(true).unwrap();
            assert_eq!(o.send_initial_events, Some(true), "{query}");
            assert_eq!(o.resource_version_match, NOT_OLDER_THAN, "{query}");
            // Without the feature nothing is defaulted.
            let mut o = opts(query, true);
            o.default_and_validate(false).unwrap();
            assert_eq!(
                (o.send_initial_events, o.resource_version_match.as_str()),
                (None, "")
            );
        }
        let mut o = opts("resourceVersion=12", true);
        o.default_and_validate(true).unwrap();
        assert_eq!(o.send_initial_events, None, "a watch from a version");
        // Lists are never defaulted.
        let mut o = opts("", false);
        o.default_and_validate(true).unwrap();
        assert_eq!(o.send_initial_events, None);
    }

    #[test]
    fn list_option_errors_name_their_fields() {
        let err = |query: &str, watch: bool, watch_list: bool| {
            opts(query, watch)
                .default_and_validate(watch_list)
                .unwrap_err()
        };
        let e = err("sendInitialEvents=false", true, false);
        assert_eq!((e.code, e.reason), (422, "Invalid"));
        let fields: Vec<&str> = e.details.as_ref().unwrap()["causes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["resourceVersionMatch", "sendInitialEvents"]);
        let e = err(
            "resourceVersion=1&resourceVersionMatch=NotOlderThan&sendInitialEvents=true&continue=x",
            true,
            true,
        );
        assert!(
            e.message
                .ends_with("resourceVersionMatch is forbidden when continue is provided"),
            "{}",
            e.message
        );
        assert!(ListOptions::parse(&parse_query("timeoutSeconds=soon"), true).is_err());
    }

    #[test]
    fn only_resource_version_0_lists_come_from_the_watch_cache() {
        let cached = |query: &str| opts(query, false).served_from_watch_cache();
        assert!(cached("resourceVersion=0&limit=5"));
        assert!(cached(
            "resourceVersion=0&resourceVersionMatch=NotOlderThan&limit=5"
        ));
        assert!(!cached("limit=5"));
        assert!(!cached("resourceVersion=7&limit=5"));
        assert!(!cached("resourceVersion=0&limit=5&continue=abc"));
    }

    #[test]
    fn query_decoding() {
        let q = parse_query("labelSelector=team%3Dpayments%2Ctier+in+%28web%29&limit=2");
        assert_eq!(q["labelSelector"], "team=payments,tier in (web)");
        assert_eq!(q["limit"], "2");
    }

    #[test]
    fn routes() {
        let h = HashSet::new();
        assert!(
            matches!(route("/api/v1/namespaces/payments/pods", &h), Route::Resource { def, ns: Some(_), name: None, .. } if def.plural == "pods")
        );
        assert!(
            matches!(route("/api/v1/namespaces/payments", &h), Route::Resource { def, name: Some(_), .. } if def.plural == "namespaces")
        );
        assert!(
            matches!(route("/apis/apps/v1/deployments", &h), Route::Resource { def, ns: None, .. } if def.plural == "deployments")
        );
        assert!(matches!(
            route("/apis/apps/v1/deployments/x", &h),
            Route::NotFound
        ));
        assert!(matches!(
            route("/apis/argoproj.io/v1alpha1", &h),
            Route::GroupVersion(..)
        ));
        let hidden: HashSet<String> = ["argoproj.io".to_string()].into();
        assert!(matches!(
            route("/apis/argoproj.io/v1alpha1", &hidden),
            Route::NotFound
        ));
    }
}
