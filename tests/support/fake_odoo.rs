//! A scriptable fake Odoo for client and CLI tests: an HTTP/1.1 server on 127.0.0.1:0 (on its
//! own thread and runtime, so sync and async tests can use it) that records every request and
//! answers what the test's handler says — recorded transcript answers or injected failures.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scorekeeper::xmlrpc::{
    Fault, MethodCall, MethodResponse, Struct, Value, decode_call, encode_response,
};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One request the server saw.
#[derive(Clone, Debug)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    pub path: String,
    pub content_type: String,
    /// Every header, names in lower case, in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The value of header `name` (lower case), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn call(&self) -> MethodCall {
        decode_call(&self.body).unwrap()
    }

    /// `(model, method)` of an `execute_kw`, or `("", method)` for other calls.
    pub fn target(&self) -> (String, String) {
        let call = self.call();
        if call.name == "execute_kw" {
            let s = |i: usize| call.params[i].as_str().unwrap().to_owned();
            (s(3), s(4))
        } else {
            (String::new(), call.name)
        }
    }

    /// `args` of an `execute_kw`.
    pub fn args(&self) -> Vec<Value> {
        self.call().params[5].as_array().unwrap().to_vec()
    }

    /// `kwargs` of an `execute_kw` (empty if not sent).
    pub fn kwargs(&self) -> Struct {
        self.call()
            .params
            .get(6)
            .and_then(Value::as_struct)
            .cloned()
            .unwrap_or_default()
    }
}

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// 200 `text/xml` with this body.
    Xml(String),
    /// Any status, content type and body.
    Http {
        status: u16,
        content_type: &'static str,
        body: String,
    },
    /// Announces `Content-Length: declared` but sends only `body`, then closes.
    Truncated { declared: usize, body: String },
    /// Closes the connection without answering.
    Close,
    /// Resets the connection (RST) without answering.
    Reset,
    /// Waits, then does the inner reply.
    Slow(Duration, Box<Reply>),
}

impl Reply {
    pub fn value(v: Value) -> Reply {
        Reply::Xml(String::from_utf8(encode_response(&MethodResponse::Success(v))).unwrap())
    }

    pub fn fault(code: i64, string: &str) -> Reply {
        Reply::Xml(
            String::from_utf8(encode_response(&MethodResponse::Fault(Fault::new(
                code, string,
            ))))
            .unwrap(),
        )
    }

    pub fn status(status: u16, body: &str) -> Reply {
        Reply::Http {
            status,
            content_type: "text/html; charset=utf-8",
            body: body.to_owned(),
        }
    }
}

type Handler = dyn Fn(&Request, usize) -> Reply + Send + Sync;

/// The running server; stops when dropped.
pub struct FakeOdoo {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeOdoo {
    /// Starts a server whose `handler` gets each request and its 0-based index.
    pub fn start(handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> FakeOdoo {
        let handler: Arc<Handler> = Arc::new(handler);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let seen = requests.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let accept = async {
                    loop {
                        let Ok((sock, _)) = listener.accept().await else {
                            return;
                        };
                        tokio::spawn(serve(sock, handler.clone(), seen.clone()));
                    }
                };
                tokio::select! {
                    _ = stop_rx => {}
                    () = accept => {}
                }
            });
        });
        let addr = addr_rx.recv().unwrap();
        FakeOdoo {
            addr,
            requests,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    /// Requests to `/xmlrpc/2/object`.
    pub fn object_requests(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/object"))
            .collect()
    }
}

impl Drop for FakeOdoo {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn serve(sock: TcpStream, handler: Arc<Handler>, seen: Arc<Mutex<Vec<Request>>>) {
    let mut reader = BufReader::new(sock);
    loop {
        let Ok(Some(req)) = read_request(&mut reader).await else {
            return;
        };
        let index = {
            let mut all = seen.lock().unwrap();
            all.push(req.clone());
            all.len() - 1
        };
        let reply = handler(&req, index);
        let keep_open = matches!(write_reply(reader.get_mut(), reply).await, Ok(true));
        if !keep_open {
            return;
        }
    }
}

async fn read_request(reader: &mut BufReader<TcpStream>) -> io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    let mut words = line.split_whitespace();
    let method = words.next().unwrap_or("").to_owned();
    let path = words.next().unwrap_or("").to_owned();
    let mut length = 0usize;
    let mut content_type = String::new();
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let name = name.trim().to_ascii_lowercase();
            match name.as_str() {
                "content-length" => length = value.trim().parse().unwrap_or(0),
                "content-type" => content_type = value.trim().to_owned(),
                _ => {}
            }
            headers.push((name, value.trim().to_owned()));
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await?;
    Ok(Some(Request {
        method,
        path,
        content_type,
        headers,
        body,
    }))
}

/// Writes the reply; `Ok(true)` if the connection may serve another request.
async fn write_reply(sock: &mut TcpStream, reply: Reply) -> io::Result<bool> {
    let mut reply = reply;
    while let Reply::Slow(delay, inner) = reply {
        tokio::time::sleep(delay).await;
        reply = *inner;
    }
    match reply {
        Reply::Xml(body) => {
            send(
                sock,
                200,
                "text/xml; charset=utf-8",
                body.len(),
                body.as_bytes(),
            )
            .await?;
            Ok(true)
        }
        Reply::Http {
            status,
            content_type,
            body,
        } => {
            send(sock, status, content_type, body.len(), body.as_bytes()).await?;
            Ok(true)
        }
        Reply::Truncated { declared, body } => {
            send(
                sock,
                200,
                "text/xml; charset=utf-8",
                declared,
                body.as_bytes(),
            )
            .await?;
            sock.shutdown().await?;
            Ok(false)
        }
        Reply::Close => {
            sock.shutdown().await?;
            Ok(false)
        }
        Reply::Reset => {
            sock.set_zero_linger()?;
            Ok(false)
        }
        Reply::Slow(..) => unreachable!("unwrapped above"),
    }
}

async fn send(
    sock: &mut TcpStream,
    status: u16,
    content_type: &str,
    declared: usize,
    body: &[u8],
) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {declared}\r\n\r\n"
    );
    sock.write_all(head.as_bytes()).await?;
    sock.write_all(body).await?;
    sock.flush().await
}

/// A recorded exchange from `fixtures/odoo17/transcripts`.
pub struct Transcript {
    pub request: String,
    pub response: String,
    pub status: u16,
}

pub fn transcript(number: u32) -> Transcript {
    let prefix = format!("{number:03}-");
    let t = super::replay::transcripts("odoo17/transcripts")
        .into_iter()
        .find(|t| t.name.starts_with(&prefix))
        .unwrap();
    Transcript {
        request: t.text("request").unwrap_or_default(),
        response: t.text("response").unwrap_or_default(),
        status: t.doc["status"].as_u64().unwrap() as u16,
    }
}

/// The recorded answer of transcript `number` as a reply.
pub fn recorded(number: u32) -> Reply {
    let t = transcript(number);
    if t.status == 200 {
        Reply::Xml(t.response)
    } else {
        Reply::status(t.status, &t.response)
    }
}

/// A snapshot JSON value in wire form.
pub fn json_to_value(j: &serde_json::Value) -> Value {
    match j {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Double(n.as_f64().unwrap()),
        },
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(a) => Value::Array(a.iter().map(json_to_value).collect()),
        serde_json::Value::Object(o) => Value::Struct(
            o.iter()
                .map(|(k, v)| (k.clone(), json_to_value(v)))
                .collect(),
        ),
    }
}

pub fn snapshot() -> &'static serde_json::Value {
    static SNAPSHOT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    SNAPSHOT.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/odoo17/snapshot.json");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    })
}

/// A well-behaved Odoo 17 for the calls `check` makes: `version` (001), `authenticate`
/// (uid 2 for the password `admin`, `False` otherwise, like 002/003), and `fields_get` of
/// any snapshot model (fault 2 "Object x doesn't exist" otherwise, like 008).
pub fn odoo17(req: &Request) -> Reply {
    let call = req.call();
    match call.name.as_str() {
        "version" => recorded(1),
        "authenticate" => {
            if call.params[2].as_str() == Some("admin") {
                recorded(2)
            } else {
                recorded(3)
            }
        }
        "execute_kw" => {
            let (model, method) = req.target();
            let models = &snapshot()["models"];
            match (method.as_str(), models.get(&model)) {
                ("fields_get", Some(m)) => Reply::value(json_to_value(&m["fields"])),
                (_, None) => Reply::fault(2, &format!("Object {model} doesn't exist")),
                (other, Some(_)) => Reply::fault(
                    1,
                    &format!(
                        "Traceback (most recent call last):\nAttributeError: The method '{other}' does not exist on the model '{model}'"
                    ),
                ),
            }
        }
        other => Reply::fault(1, &format!("Traceback\nKeyError: '{other}'")),
    }
}

/// A client for `server` logged in as admin/admin on crm17c, retrying up to `attempts` times
/// with millisecond backoff.
pub fn client_for(
    server: &FakeOdoo,
    timeout: Duration,
    attempts: u32,
) -> scorekeeper::odoo::OdooClient {
    client_with_secret(server, timeout, attempts, "admin")
}

pub fn client_with_secret(
    server: &FakeOdoo,
    timeout: Duration,
    attempts: u32,
    secret: &str,
) -> scorekeeper::odoo::OdooClient {
    client_at(&server.url(), timeout, attempts, secret)
}

/// A client for any base URL (e.g. a closed port).
pub fn client_at(
    url: &str,
    timeout: Duration,
    attempts: u32,
    secret: &str,
) -> scorekeeper::odoo::OdooClient {
    use scorekeeper::odoo::{
        Credentials, Metrics, OdooClient, RetryPolicy, Secret, XmlRpcTransport,
    };
    let metrics = Arc::new(Metrics::new());
    let url = reqwest::Url::parse(url).unwrap();
    let transport = XmlRpcTransport::new(&url, timeout, metrics.clone()).unwrap();
    OdooClient::new(
        Arc::new(transport),
        metrics,
        Credentials {
            database: "crm17c".into(),
            login: "admin".into(),
            secret: Secret::new(secret),
        },
    )
    .with_retry(RetryPolicy {
        max_attempts: attempts,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(4),
    })
}
