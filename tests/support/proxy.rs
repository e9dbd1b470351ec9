//! A fault-injecting HTTP proxy on 127.0.0.1:0 between scorekeeper's client and the
//! simulator, behaving like a busy production Odoo behind nginx: it delays answers beyond the
//! client's timeout (the request running before the client gives up, or only after it, once
//! the client has moved on), resets connections before forwarding, answers 502/504 after the
//! request ran, and truncates answers. Faults are drawn from a seeded RNG, so a run is
//! reproducible; what the proxy guarantees is order, never timing: a late request runs after
//! the client has closed its connection and after the next request it forwarded, or at
//! [`Proxy::flush`], and nothing runs after `flush` returns.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FaultKind {
    /// Forwarded and answered, but the answer is held until the client gives up.
    SlowAnswer,
    /// Held until the client gives up, then run late (after the client's next request).
    RunsAfterGiveUp,
    /// The connection is closed before forwarding: the request never runs.
    ResetBeforeForward,
    /// Forwarded (it ran), then answered 502 Bad Gateway.
    BadGatewayAfter,
    /// Forwarded (it ran), then answered 504 Gateway Timeout.
    GatewayTimeoutAfter,
    /// Forwarded (it ran), then half the answer is sent and the connection closed.
    TruncatedAfter,
}

const KINDS: [FaultKind; 6] = [
    FaultKind::SlowAnswer,
    FaultKind::RunsAfterGiveUp,
    FaultKind::ResetBeforeForward,
    FaultKind::BadGatewayAfter,
    FaultKind::GatewayTimeoutAfter,
    FaultKind::TruncatedAfter,
];

/// Which requests may be hit: reads, writes and creates of the object service. The method is
/// `execute_kw`'s fourth string parameter (database, password, model, method; the uid is an
/// int), not any string in the body (`check_access_rights('write')` is a read).
/// Over JSON-RPC, the method is `execute_kw`'s fifth argument.
fn call_class(body: &[u8]) -> Option<&'static str> {
    let text = String::from_utf8_lossy(body);
    let method = if let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) {
        let params = &json["params"];
        if params["method"] != "execute_kw" {
            return None;
        }
        params["args"][4].as_str().unwrap_or("").to_owned()
    } else {
        if !text.contains("<methodName>execute_kw</methodName>") {
            return None;
        }
        text.split("<string>")
            .skip(1)
            .nth(3)
            .and_then(|rest| rest.split("</string>").next())
            .unwrap_or("")
            .to_owned()
    };
    Some(match method.as_str() {
        "create" => "create",
        "write" | "unlink" => "write",
        _ => "read",
    })
}

struct Held {
    path: String,
    body: Vec<u8>,
}

struct Inner {
    rng: StdRng,
    /// Probability that an eligible request is hit.
    rate: f64,
    enabled: bool,
    /// Faults injected so far, by kind and call class.
    faults: BTreeMap<(FaultKind, &'static str), usize>,
    /// Requests whose client gave up, to run after the next forwarded request.
    late: Vec<Held>,
    /// Hold the next request of this class, unanswered, until [`Proxy::release_paused`].
    pause_next: Option<&'static str>,
    /// Whether a request is held by `pause_next`.
    paused: bool,
    /// What to do with it once released: run it (and answer, if the client still listens).
    release: Option<bool>,
    /// Object calls received so far, by class (`"read"`, `"write"`, `"create"`).
    arrived: BTreeMap<&'static str, usize>,
}

/// The proxy; dropping it stops accepting (connections in flight finish).
pub struct Proxy {
    pub url: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// A proxy to `upstream` (e.g. the served simulator's URL) hitting a `rate` share of the
    /// object calls with a fault drawn from `seed`.
    pub async fn start(upstream: &str, rate: f64, seed: u64) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let shared = Shared {
            upstream: upstream.to_owned(),
            http: reqwest::Client::new(),
            inner: Arc::new(Mutex::new(Inner {
                rng: StdRng::seed_from_u64(seed),
                rate,
                enabled: true,
                faults: BTreeMap::new(),
                late: Vec::new(),
                pause_next: None,
                paused: false,
                release: None,
                arrived: BTreeMap::new(),
            })),
            reached: Arc::new(tokio::sync::Notify::new()),
            released: Arc::new(tokio::sync::Notify::new()),
        };
        let accepting = shared.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                let shared = accepting.clone();
                tokio::spawn(async move { shared.serve(socket).await });
            }
        });
        Proxy { url, shared, task }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared.inner.lock().unwrap()
    }

    /// Turns fault injection on or off (requests still pass through).
    pub fn set_enabled(&self, on: bool) {
        self.inner().enabled = on;
    }

    /// Faults injected so far: (kind, call class) → count.
    pub fn faults(&self) -> BTreeMap<(FaultKind, &'static str), usize> {
        self.inner().faults.clone()
    }

    pub fn fault_count(&self) -> usize {
        self.faults().values().sum()
    }

    /// Holds the next request of `class` (`"read"`, `"write"`, `"create"`) unanswered and not
    /// forwarded until [`Proxy::release_paused`]; [`Proxy::paused`] waits for it.
    pub fn pause_next(&self, class: &'static str) {
        self.inner().pause_next = Some(class);
    }

    /// Waits until a request is held by [`Proxy::pause_next`].
    pub async fn paused(&self) {
        self.wait_paused(true).await;
    }

    /// Lets the held request run now and answers it if its client still listens (`run`), or
    /// drops it: it never runs. Returns once that is done.
    pub async fn release_paused(&self, run: bool) {
        self.inner().release = Some(run);
        self.shared.released.notify_waiters();
        self.wait_paused(false).await;
    }

    /// Object calls of `class` received so far (held ones included).
    pub fn arrived(&self, class: &'static str) -> usize {
        self.inner().arrived.get(class).copied().unwrap_or(0)
    }

    /// Waits until `n` object calls of `class` have been received: with one of them held by
    /// [`Proxy::pause_next`], proof that the client sent another without waiting for it.
    pub async fn wait_arrived(&self, class: &'static str, n: usize) {
        loop {
            let notified = self.shared.reached.notified();
            if self.arrived(class) >= n {
                return;
            }
            notified.await;
        }
    }

    /// Waits until whether a request is held equals `held`.
    async fn wait_paused(&self, held: bool) {
        loop {
            let notified = self.shared.reached.notified();
            if self.inner().paused == held {
                return;
            }
            notified.await;
        }
    }

    /// Runs every request still held back: after this returns, nothing the client sent
    /// through the proxy can still run.
    pub async fn flush(&self) {
        self.shared.run_late().await;
    }
}

#[derive(Clone)]
struct Shared {
    upstream: String,
    http: reqwest::Client,
    inner: Arc<Mutex<Inner>>,
    reached: Arc<tokio::sync::Notify>,
    released: Arc<tokio::sync::Notify>,
}

/// An answer from upstream: status, content type, Date header, body.
struct Answer {
    status: u16,
    content_type: String,
    date: Option<String>,
    body: Vec<u8>,
}

impl Shared {
    async fn serve(&self, mut socket: TcpStream) {
        let mut buf = Vec::new();
        loop {
            let Some((path, body)) = read_request(&mut socket, &mut buf).await else {
                return;
            };
            if let Some(class) = call_class(&body) {
                *self.inner.lock().unwrap().arrived.entry(class).or_default() += 1;
                self.reached.notify_waiters();
            }
            if self.pause(&body) {
                let run = self.wait_release().await;
                if run && let Some(answer) = self.forward(&path, body).await {
                    let _ = write_answer(&mut socket, &answer, None).await;
                }
                self.inner.lock().unwrap().paused = false;
                self.reached.notify_waiters();
                return;
            }
            let fault = self.draw(&body);
            match fault {
                None => {
                    let Some(answer) = self.forward_then_late(&path, body).await else {
                        return;
                    };
                    if write_answer(&mut socket, &answer, None).await.is_err() {
                        return;
                    }
                }
                Some(FaultKind::SlowAnswer) => {
                    let _ = self.forward_then_late(&path, body).await;
                    wait_for_close(&mut socket).await;
                    return;
                }
                Some(FaultKind::RunsAfterGiveUp) => {
                    wait_for_close(&mut socket).await;
                    self.inner.lock().unwrap().late.push(Held { path, body });
                    return;
                }
                Some(FaultKind::ResetBeforeForward) => return,
                Some(kind @ (FaultKind::BadGatewayAfter | FaultKind::GatewayTimeoutAfter)) => {
                    let _ = self.forward_then_late(&path, body).await;
                    let status = if kind == FaultKind::BadGatewayAfter {
                        502
                    } else {
                        504
                    };
                    let page = Answer {
                        status,
                        content_type: "text/html".into(),
                        date: None,
                        body: format!("<html><body><h1>{status}</h1>nginx</body></html>")
                            .into_bytes(),
                    };
                    let _ = write_answer(&mut socket, &page, None).await;
                    return;
                }
                Some(FaultKind::TruncatedAfter) => {
                    let Some(answer) = self.forward_then_late(&path, body).await else {
                        return;
                    };
                    let half = answer.body.len() / 2;
                    let _ = write_answer(&mut socket, &answer, Some(half)).await;
                    return;
                }
            }
        }
    }

    /// Whether this request is the one to hold (then it is held).
    fn pause(&self, body: &[u8]) -> bool {
        let mut inner = self.inner.lock().unwrap();
        if inner.pause_next.is_none() || inner.pause_next != call_class(body) {
            return false;
        }
        inner.pause_next = None;
        inner.paused = true;
        inner.release = None;
        drop(inner);
        self.reached.notify_waiters();
        true
    }

    /// Waits for [`Proxy::release_paused`]; whether to run the held request.
    async fn wait_release(&self) -> bool {
        loop {
            let notified = self.released.notified();
            if let Some(run) = self.inner.lock().unwrap().release {
                return run;
            }
            notified.await;
        }
    }

    fn draw(&self, body: &[u8]) -> Option<FaultKind> {
        let class = call_class(body)?;
        let mut inner = self.inner.lock().unwrap();
        let rate = inner.rate;
        if !inner.enabled || !inner.rng.random_bool(rate) {
            return None;
        }
        let kind = KINDS[inner.rng.random_range(0..KINDS.len())];
        *inner.faults.entry((kind, class)).or_default() += 1;
        Some(kind)
    }

    /// Forwards one request, then runs the requests whose client gave up earlier: they reach
    /// Odoo after the client has moved on.
    async fn forward_then_late(&self, path: &str, body: Vec<u8>) -> Option<Answer> {
        let answer = self.forward(path, body).await;
        self.run_late().await;
        answer
    }

    /// Runs the requests whose client gave up (their answers go nowhere).
    async fn run_late(&self) {
        let late = std::mem::take(&mut self.inner.lock().unwrap().late);
        for held in late {
            let _ = self.forward(&held.path, held.body).await;
        }
    }

    async fn forward(&self, path: &str, body: Vec<u8>) -> Option<Answer> {
        let response = self
            .http
            .post(format!("{}{}", self.upstream, path))
            .header("Content-Type", "text/xml")
            .body(body)
            .send()
            .await
            .ok()?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header("content-type").unwrap_or_else(|| "text/xml".into());
        let date = header("date");
        let body = response.bytes().await.ok()?.to_vec();
        Some(Answer {
            status,
            content_type,
            date,
            body,
        })
    }
}

/// Reads one HTTP/1.1 request (headers, then `Content-Length` bytes); `None` at EOF.
async fn read_request(socket: &mut TcpStream, buf: &mut Vec<u8>) -> Option<(String, Vec<u8>)> {
    loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let path = head.split_whitespace().nth(1)?.to_owned();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            let total = end + 4 + length;
            while buf.len() < total {
                let mut chunk = [0u8; 65536];
                let n = socket.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = buf[end + 4..total].to_vec();
            buf.drain(..total);
            return Some((path, body));
        }
        let mut chunk = [0u8; 65536];
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Writes `answer`; with `cut`, only that many body bytes (then the caller closes).
async fn write_answer(
    socket: &mut TcpStream,
    answer: &Answer,
    cut: Option<usize>,
) -> std::io::Result<()> {
    let reason = match answer.status {
        200 => "OK",
        502 => "Bad Gateway",
        504 => "Gateway Timeout",
        _ => "Status",
    };
    let mut head = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
        answer.status,
        answer.content_type,
        answer.body.len()
    );
    if let Some(date) = &answer.date {
        head.push_str(&format!("Date: {date}\r\n"));
    }
    head.push_str("\r\n");
    socket.write_all(head.as_bytes()).await?;
    let body = &answer.body[..cut.unwrap_or(answer.body.len())];
    socket.write_all(body).await?;
    socket.flush().await
}

/// Waits until the client closes its side (it gave up on the request).
async fn wait_for_close(socket: &mut TcpStream) {
    let mut chunk = [0u8; 1024];
    while let Ok(n) = socket.read(&mut chunk).await {
        if n == 0 {
            return;
        }
    }
}
