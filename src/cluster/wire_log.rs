//! kubectl's `-v=7` and `-v=8` for every request: the request headers (credentials masked) and,
//! at `-v=8`, the response headers and body size. A tower layer around kube's whole client stack
//! (`ClientBuilder::with_layer`): it sees each request as kube-rs builds it, before the stack adds
//! the cluster URL, the credentials and the configured headers, so those are added to the printout
//! from the connection's configuration — with every credential's value masked, whatever the level.
//! `-v=6`'s request line comes from kube's own `HTTP` span (see `output::trace`).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{HeaderMap, Request, Response};
use http_body::{Body, Frame, SizeHint};

use crate::output::ui;

/// Request headers are printed from this level, as kubectl's.
pub const REQUEST_HEADERS: u8 = 7;
/// Response headers and body sizes are printed from this level.
pub const RESPONSE_DETAILS: u8 = 8;

/// Headers whose values are credentials: never printed.
const SECRET_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// Authorization schemes whose name may be shown before the masked value (as client-go does).
const SCHEMES: [&str; 4] = ["Bearer", "Basic", "Negotiate", "Digest"];

/// What the stack below adds to every request, as `(name, value)` with credentials masked.
#[derive(Clone, Default)]
pub struct WireLog {
    base_url: Arc<str>,
    added: Arc<Vec<(String, String)>>,
}

impl WireLog {
    /// `base_url`: the cluster URL the stack prefixes; `added`: the headers it adds (values of
    /// credential headers are masked here).
    pub fn new(base_url: &str, added: Vec<(String, String)>) -> WireLog {
        let added = added
            .into_iter()
            .map(|(name, value)| (canonical(&name), masked(&name, &value)))
            .collect();
        WireLog {
            base_url: without_userinfo(base_url).trim_end_matches('/').into(),
            added: Arc::new(added),
        }
    }
}

/// A URL without the `user:password@` a server URL may carry.
pub fn without_userinfo(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            match rest[..authority_end].rfind('@') {
                Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    }
}

/// `Bearer <masked>` for a credential header: a known scheme is kept (it says which credential),
/// anything else is masked whole.
fn masked(name: &str, value: &str) -> String {
    if SECRET_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
        return match value.split_whitespace().next() {
            Some(scheme) if SCHEMES.iter().any(|s| s.eq_ignore_ascii_case(scheme)) => {
                format!("{scheme} <masked>")
            }
            _ => "<masked>".to_string(),
        };
    }
    value.to_string()
}

fn header_lines(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes());
            (canonical(name.as_str()), masked(name.as_str(), &value))
        })
        .collect()
}

/// `content-type` → `Content-Type`, as kubectl prints header names.
fn canonical(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

impl<S> tower::Layer<S> for WireLog {
    type Service = WireLogService<S>;

    fn layer(&self, inner: S) -> WireLogService<S> {
        WireLogService {
            inner,
            log: self.clone(),
        }
    }
}

#[derive(Clone)]
pub struct WireLogService<S> {
    inner: S,
    log: WireLog,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, ReqBody, ResBody> tower::Service<Request<ReqBody>> for WireLogService<S>
where
    S: tower::Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: 'static,
{
    type Response = Response<CountedBody<ResBody>>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let url = format!("{}{}", self.log.base_url, request.uri());
        if ui::enabled(REQUEST_HEADERS) {
            let mut lines = vec![
                format!("{} {url}", request.method()),
                "Request Headers:".into(),
            ];
            let mut headers = header_lines(request.headers());
            headers.extend(self.log.added.iter().cloned());
            headers.sort();
            headers.dedup();
            lines.extend(
                headers
                    .into_iter()
                    .map(|(name, value)| format!("    {name}: {value}")),
            );
            for line in lines {
                ui::log(REQUEST_HEADERS, || line);
            }
        }
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await?;
            if ui::enabled(RESPONSE_DETAILS) {
                let mut lines = vec!["Response Headers:".to_string()];
                lines.extend(
                    header_lines(response.headers())
                        .into_iter()
                        .map(|(name, value)| format!("    {name}: {value}")),
                );
                for line in lines {
                    ui::log(RESPONSE_DETAILS, || line);
                }
            }
            Ok(response.map(|body| CountedBody {
                inner: body,
                bytes: 0,
                url,
            }))
        })
    }
}

/// A response body that says, at `-v=8`, how many bytes it carried (after decompression) once
/// it is read to its end or dropped.
pub struct CountedBody<B> {
    inner: B,
    bytes: usize,
    url: String,
}

impl<B> Drop for CountedBody<B> {
    fn drop(&mut self) {
        if ui::enabled(RESPONSE_DETAILS) {
            let (bytes, url) = (self.bytes, &self.url);
            ui::log(RESPONSE_DETAILS, || {
                format!("Response Body: {bytes} bytes from {url}")
            });
        }
    }
}

impl<B> Body for CountedBody<B>
where
    B: Body + Unpin,
    B::Data: bytes::Buf,
{
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            self.bytes += bytes::Buf::remaining(data);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_masked_and_names_canonical() {
        assert_eq!(masked("Authorization", "Bearer abc.def"), "Bearer <masked>");
        assert_eq!(
            masked("authorization", "Basic dXNlcjpwYXNz"),
            "Basic <masked>"
        );
        assert_eq!(masked("accept", "application/json"), "application/json");
        assert_eq!(masked("Cookie", "session=abc"), "<masked>");
        assert_eq!(masked("set-cookie", "id=1; Secure"), "<masked>");
        assert_eq!(masked("authorization", "s3cr3t"), "<masked>");
        assert_eq!(
            without_userinfo("https://user:pass@h:6443/k8s/clusters/c-1"),
            "https://h:6443/k8s/clusters/c-1"
        );
        assert_eq!(without_userinfo("https://h:6443"), "https://h:6443");
        assert_eq!(canonical("content-type"), "Content-Type");
        assert_eq!(canonical("user-agent"), "User-Agent");
        let log = WireLog::new(
            "https://h:6443/",
            vec![("Authorization".into(), "Bearer s3cr3t".into())],
        );
        assert_eq!(&*log.base_url, "https://h:6443");
        assert_eq!(
            log.added.as_slice(),
            [("Authorization".to_string(), "Bearer <masked>".to_string())]
        );
    }
}
