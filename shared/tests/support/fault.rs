//! Fault-injecting and counting wrappers around a real stream writer. The emulators never
//! throttle, so partial failures, throttling and 5xx are injected here, at the trait boundary:
//! an entry marked failed is *not* forwarded, exactly as Kinesis does not store it.

use async_trait::async_trait;
use shared::stream::{PutEntry, PutResult, StreamError, StreamWriter};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Records (records, bytes) of every call.
pub struct Counting {
    inner: Arc<dyn StreamWriter>,
    calls: Mutex<Vec<(usize, usize)>>,
}

impl Counting {
    pub fn new(inner: Arc<dyn StreamWriter>) -> Arc<Self> {
        Arc::new(Counting {
            inner,
            calls: Mutex::new(Vec::new()),
        })
    }
    pub fn calls(&self) -> Vec<(usize, usize)> {
        self.calls.lock().unwrap().clone()
    }
    pub fn reset(&self) {
        self.calls.lock().unwrap().clear();
    }
}

#[async_trait]
impl StreamWriter for Counting {
    async fn put_batch(&self, entries: &[PutEntry]) -> Result<Vec<PutResult>, StreamError> {
        let bytes = entries.iter().map(PutEntry::billed_bytes).sum();
        self.calls.lock().unwrap().push((entries.len(), bytes));
        self.inner.put_batch(entries).await
    }
    async fn check_writable(&self) -> Result<(), StreamError> {
        self.inner.check_writable().await
    }
}

/// One injected fault, consumed by one call.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// The whole call fails with ProvisionedThroughputExceeded.
    Throttle,
    /// The whole call fails with a 500.
    ServerError,
    /// Every n-th entry of the call fails (not stored), the rest are written.
    FailEveryNth(usize),
}

/// Applies queued faults to the next calls, then behaves normally.
pub struct Flaky {
    inner: Arc<dyn StreamWriter>,
    plan: Mutex<VecDeque<Fault>>,
    pub injected_entry_failures: Mutex<usize>,
}

impl Flaky {
    pub fn new(inner: Arc<dyn StreamWriter>, plan: &[Fault]) -> Arc<Self> {
        Arc::new(Flaky {
            inner,
            plan: Mutex::new(plan.iter().copied().collect()),
            injected_entry_failures: Mutex::new(0),
        })
    }
}

#[async_trait]
impl StreamWriter for Flaky {
    async fn put_batch(&self, entries: &[PutEntry]) -> Result<Vec<PutResult>, StreamError> {
        let fault = self.plan.lock().unwrap().pop_front();
        match fault {
            None => self.inner.put_batch(entries).await,
            Some(Fault::Throttle) => Err(StreamError::Throttled(
                "injected ProvisionedThroughputExceededException".into(),
            )),
            Some(Fault::ServerError) => Err(StreamError::Transient(
                "injected 500 InternalFailure".into(),
            )),
            Some(Fault::FailEveryNth(n)) => {
                let keep: Vec<usize> = (0..entries.len()).filter(|i| i % n != 0).collect();
                let forwarded: Vec<PutEntry> = keep.iter().map(|&i| entries[i].clone()).collect();
                let mut written = self.inner.put_batch(&forwarded).await?.into_iter();
                *self.injected_entry_failures.lock().unwrap() += entries.len() - keep.len();
                Ok((0..entries.len())
                    .map(|i| {
                        if i % n == 0 {
                            PutResult::Failed {
                                code: "ProvisionedThroughputExceededException".into(),
                                message: "injected".into(),
                                retryable: true,
                            }
                        } else {
                            written.next().unwrap()
                        }
                    })
                    .collect())
            }
        }
    }
    async fn check_writable(&self) -> Result<(), StreamError> {
        self.inner.check_writable().await
    }
}
