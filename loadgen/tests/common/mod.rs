//! A local HTTP server for the sending tests: binds 127.0.0.1:0, records every request it
//! receives, and answers with a status chosen per request (204 by default), and a runner that
//! starts `loadgen` with a hard deadline so no test can hang.

#![allow(dead_code)] // each test file uses a different part

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub user_agent: Option<String>,
    pub referer: Option<String>,
    pub forwarded_for: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// Chooses the status of the n-th request (0-based).
pub type Responder = fn(usize) -> u16;

/// The running server.
pub struct Server {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    _runtime: tokio::runtime::Runtime,
}

impl Server {
    /// Starts a server answering 204 to everything.
    pub fn start() -> Server {
        Server::with(|_| 204)
    }

    /// Starts a server answering `status(n)` to the n-th request.
    pub fn with(status: Responder) -> Server {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("test server");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("test server");
        let addr = listener.local_addr().expect("test server");
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = Arc::clone(&received);
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                        let store = Arc::clone(&store);
                        async move {
                            let header = |name: &str| {
                                req.headers()
                                    .get(name)
                                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                            };
                            let mut r = Received {
                                method: req.method().to_string(),
                                path: req.uri().path().to_string(),
                                query: req.uri().query().map(str::to_string),
                                user_agent: header("user-agent"),
                                referer: header("referer"),
                                forwarded_for: header("x-forwarded-for"),
                                content_type: header("content-type"),
                                body: Vec::new(),
                            };
                            r.body = req
                                .into_body()
                                .collect()
                                .await
                                .expect("test server")
                                .to_bytes()
                                .to_vec();
                            let n = {
                                let mut all = store.lock().expect("test server");
                                all.push(r);
                                all.len() - 1
                            };
                            let code = status(n);
                            let mut b = Response::builder().status(code);
                            if code == 503 {
                                b = b.header("retry-after", "1");
                            }
                            Ok::<_, Infallible>(
                                b.body(Full::new(Bytes::new())).expect("test server"),
                            )
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Server {
            addr,
            received,
            _runtime: runtime,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("test server").clone()
    }
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    /// The number at the start of the report line `name:`.
    pub fn count(&self, name: &str) -> u64 {
        let prefix = format!("{name}:");
        let line = self
            .stdout
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no {name} line in\n{}", self.stdout));
        line[prefix.len()..]
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no number in {line:?}"))
    }
}

/// Runs `loadgen <args>`, killed after 60 s.
pub fn loadgen(args: &[&str]) -> Run {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start loadgen");
    let deadline = started + Duration::from_secs(60);
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("loadgen {args:?} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let elapsed = started.elapsed();
    let out = child.wait_with_output().expect("output");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed,
    }
}
