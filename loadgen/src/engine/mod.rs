//! The sending engine shared by `send` and `replay`: a producer thread turns the traffic model
//! (or a CSV file) into ready-made HTTP requests, and `--concurrency` tokio tasks send them over
//! keep-alive HTTP/1.1 connections (hyper-util's pooled client), optionally paced by a shared
//! governor rate limiter, and count outcomes and latencies.
//!
//! The synthetic model is single-threaded (`Rc` everywhere), so it runs on its own OS thread and
//! hands over chunks of requests through a bounded channel: the bound keeps memory flat, and
//! chunking keeps channel and lock traffic to one operation per few dozen requests.

pub mod histogram;
mod progress;
pub mod report;

use bytes::Bytes;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use histogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
pub use progress::ProgressMode;
use report::{Counters, Outcome, Report};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch, Mutex};

/// The request type the engine sends.
pub type HttpRequest = hyper::Request<Full<Bytes>>;

/// One request to send.
#[derive(Debug)]
pub struct Job {
    /// The request, complete with absolute URI and headers.
    pub request: HttpRequest,
    /// Events it carries (rate limiting and the events/s figure count these).
    pub events: u32,
    /// Not before this offset from the start of sending (replay's time line).
    pub due: Option<Duration>,
}

/// Where producers put their requests; `blocking_send` fails once sending has stopped.
pub type JobSender = mpsc::Sender<Vec<Job>>;

/// How to send.
#[derive(Debug, Clone)]
pub struct Settings {
    /// First line of the report.
    pub title: String,
    /// Requests in flight at once (= connections).
    pub concurrency: usize,
    /// Events per second, 0 for unlimited.
    pub rate: u32,
    /// Largest number of events in one request (the limiter's burst must hold it).
    pub max_events_per_request: u32,
    /// Per-request timeout, connect to last body byte.
    pub timeout: Duration,
    /// Stop taking new requests after this long.
    pub duration: Option<Duration>,
    /// Progress bar.
    pub progress: ProgressMode,
}

/// The paced limiter: bursts of at most 10 ms worth of events (and at least one request), so
/// short runs are paced from the start instead of spending a whole second's quota at once.
fn limiter(rate: u32, max_events: u32) -> Option<DefaultDirectRateLimiter> {
    let rate = NonZeroU32::new(rate)?;
    let burst = (rate.get() / 100).max(max_events).max(1);
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Some(RateLimiter::direct(
        Quota::per_second(rate).allow_burst(burst),
    ))
}

struct Ctx {
    client: Client<HttpConnector, Full<Bytes>>,
    jobs: Mutex<mpsc::Receiver<Vec<Job>>>,
    limiter: Option<DefaultDirectRateLimiter>,
    counters: Counters,
    timeout: Duration,
    start: tokio::time::Instant,
    first_error: StdMutex<Option<String>>,
}

/// Runs `produce` on its own thread and sends what it produces; returns the report and what
/// `produce` returned.
pub fn run<T, F>(settings: Settings, produce: F) -> std::io::Result<(Report, T)>
where
    T: Send + 'static,
    F: FnOnce(JobSender) -> T + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let concurrency = settings.concurrency.max(1);
    let (tx, rx) = mpsc::channel::<Vec<Job>>(concurrency.max(8) * 2);
    let producer = std::thread::Builder::new()
        .name("loadgen-producer".into())
        .spawn(move || produce(tx))?;
    let report = runtime.block_on(send_all(settings, concurrency, rx));
    // The workers are gone, so the channel is closed and the producer is returning.
    let produced = producer
        .join()
        .map_err(|_| std::io::Error::other("the request producer panicked"))?;
    runtime.shutdown_timeout(Duration::from_millis(100));
    Ok((report, produced))
}

async fn send_all(settings: Settings, concurrency: usize, rx: mpsc::Receiver<Vec<Job>>) -> Report {
    let mut connector = HttpConnector::new();
    // Small requests on a keep-alive connection: Nagle would add 40 ms to every other one.
    connector.set_nodelay(true);
    let client = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(concurrency)
        .pool_idle_timeout(Duration::from_secs(30))
        .build(connector);
    let ctx = Arc::new(Ctx {
        client,
        jobs: Mutex::new(rx),
        limiter: limiter(settings.rate, settings.max_events_per_request),
        counters: Counters::default(),
        timeout: settings.timeout,
        start: tokio::time::Instant::now(),
        first_error: StdMutex::new(None),
    });
    let started = Instant::now();
    let (stop_tx, stop_rx) = watch::channel(false);
    let interrupted = Arc::new(AtomicBool::new(false));
    let stopper = {
        let interrupted = Arc::clone(&interrupted);
        let stop_tx = stop_tx.clone();
        let duration = settings.duration;
        tokio::spawn(async move {
            let deadline = async {
                match duration {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = deadline => {}
                r = tokio::signal::ctrl_c() => {
                    if r.is_ok() {
                        interrupted.store(true, Relaxed);
                    }
                }
            }
            let _ = stop_tx.send(true);
        })
    };
    let bar = progress::Progress::start(&settings.progress);
    let ticker = {
        let ctx = Arc::clone(&ctx);
        let bar = bar.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(200));
            loop {
                tick.tick().await;
                bar.update(&ctx.counters, started.elapsed());
            }
        })
    };
    let workers: Vec<_> = (0..concurrency)
        .map(|_| tokio::spawn(worker(Arc::clone(&ctx), stop_rx.clone())))
        .collect();
    let mut latency = Histogram::default();
    for w in workers {
        if let Ok(h) = w.await {
            latency.merge(&h);
        }
    }
    let elapsed = started.elapsed();
    ticker.abort();
    stopper.abort();
    bar.finish();
    let mut notes = Vec::new();
    if let Ok(Some(e)) = ctx.first_error.lock().map(|mut e| e.take()) {
        notes.push(format!("first transport error: {e}"));
    }
    Report {
        title: settings.title,
        counters: ctx.counters.snapshot(),
        latency,
        elapsed,
        notes,
        interrupted: interrupted.load(Relaxed),
    }
}

/// Waits for `fut` unless sending stops first (then `None`).
async fn unless_stopped<T>(
    fut: impl std::future::Future<Output = T>,
    stop: &mut watch::Receiver<bool>,
) -> Option<T> {
    if *stop.borrow() {
        return None;
    }
    tokio::select! {
        v = fut => Some(v),
        _ = stop.wait_for(|s| *s) => None,
    }
}

async fn worker(ctx: Arc<Ctx>, mut stop: watch::Receiver<bool>) -> Histogram {
    let mut latency = Histogram::default();
    // The current chunk, reversed so `pop` takes requests in order.
    let mut local: Vec<Job> = Vec::new();
    loop {
        let job = match local.pop() {
            Some(job) => job,
            None => {
                let next = unless_stopped(async { ctx.jobs.lock().await.recv().await }, &mut stop)
                    .await
                    .flatten();
                match next {
                    Some(mut chunk) => {
                        chunk.reverse();
                        local = chunk;
                        continue;
                    }
                    None => break,
                }
            }
        };
        if let Some(due) = job.due {
            let at = ctx.start + due;
            if unless_stopped(tokio::time::sleep_until(at), &mut stop)
                .await
                .is_none()
            {
                break;
            }
        }
        if let Some(limiter) = &ctx.limiter {
            let n = NonZeroU32::new(job.events).unwrap_or(NonZeroU32::MIN);
            // Err only if n exceeded the burst, which `limiter` sizes to the largest request.
            if unless_stopped(limiter.until_n_ready(n), &mut stop)
                .await
                .is_none()
            {
                break;
            }
        } else if *stop.borrow() {
            break;
        }
        let t0 = Instant::now();
        let result = tokio::time::timeout(ctx.timeout, async {
            let response = ctx
                .client
                .request(job.request)
                .await
                .map_err(|e| error_chain(&e))?;
            let status = response.status().as_u16();
            let retry_after = response.headers().contains_key(hyper::header::RETRY_AFTER);
            // Reading the body to the end is what lets the connection go back to the pool.
            response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>((status, retry_after))
        })
        .await;
        latency.record(u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX));
        let outcome = match result {
            Ok(Ok((status, retry_after))) => Outcome::Status(status, retry_after),
            Ok(Err(e)) => note_error(&ctx, e),
            Err(_) => note_error(&ctx, format!("timed out after {:?}", ctx.timeout)),
        };
        ctx.counters.record(outcome, u64::from(job.events));
    }
    latency
}

/// The client error's own message is terse ("client error (Connect)"); the causes say what
/// happened ("Connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn note_error(ctx: &Ctx, error: String) -> Outcome {
    if let Ok(mut first) = ctx.first_error.lock() {
        first.get_or_insert(error);
    }
    Outcome::Transport
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_holds_the_largest_request() {
        let l = limiter(400, 20).unwrap();
        assert!(l.check_n(NonZeroU32::new(20).unwrap()).is_ok());
        assert!(limiter(0, 1).is_none());
        let l = limiter(100_000, 1).unwrap();
        assert!(l.check_n(NonZeroU32::new(1000).unwrap()).is_ok());
        assert!(l.check_n(NonZeroU32::new(1001).unwrap()).is_err());
    }
}
