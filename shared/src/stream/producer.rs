//! Writing any number of records with per-record outcomes: splits them into PutRecords-sized
//! calls and retries only the entries that failed retryably, with jittered backoff. A record
//! is reported `Written` only once the stream acknowledged it; everything else ends `Failed`.

use super::batching::{entry_problem, plan_batches, Backoff, Jitter};
use super::{PutEntry, PutResult, StreamWriter};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Retry policy of a [`Producer`].
#[derive(Debug, Clone, Copy)]
pub struct ProducerConfig {
    /// Calls per record before giving up (the first one included).
    pub max_attempts: u32,
    /// Wait between rounds.
    pub backoff: Backoff,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            max_attempts: 8,
            backoff: Backoff::default(),
        }
    }
}

/// Splits, writes and retries.
pub struct Producer {
    writer: Arc<dyn StreamWriter>,
    config: ProducerConfig,
    jitter: Mutex<Jitter>,
}

fn failed(code: &str, message: impl Into<String>, retryable: bool) -> PutResult {
    PutResult::Failed {
        code: code.to_string(),
        message: message.into(),
        retryable,
    }
}

impl Producer {
    /// A producer over `writer`.
    pub fn new(writer: Arc<dyn StreamWriter>, config: ProducerConfig) -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
            ^ u64::from(std::process::id());
        Producer {
            writer,
            config,
            jitter: Mutex::new(Jitter::new(seed)),
        }
    }

    /// The writer underneath (readiness checks).
    pub fn writer(&self) -> &Arc<dyn StreamWriter> {
        &self.writer
    }

    fn next_delay(&self, attempt: u32) -> Duration {
        let unit = self.jitter.lock().map(|mut j| j.unit()).unwrap_or(0.5);
        self.config.backoff.delay(attempt, unit)
    }

    /// Writes every entry; returns one outcome per entry, in order.
    pub async fn put_all(&self, entries: &[PutEntry]) -> Vec<PutResult> {
        let mut results: Vec<Option<PutResult>> = vec![None; entries.len()];
        let mut pending: Vec<usize> = Vec::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            match entry_problem(e) {
                Some(p) => results[i] = Some(failed("InvalidRecord", p, false)),
                None => pending.push(i),
            }
        }
        let mut attempt = 0u32;
        let mut last_error: Option<PutResult> = None;
        while !pending.is_empty() {
            let sizes: Vec<usize> = pending.iter().map(|&i| entries[i].billed_bytes()).collect();
            let mut retry = Vec::new();
            for range in plan_batches(&sizes) {
                let idx = &pending[range];
                // The common case, every entry in one call: no copy.
                let batch: std::borrow::Cow<'_, [PutEntry]> = if idx.len() == entries.len() {
                    std::borrow::Cow::Borrowed(entries)
                } else {
                    idx.iter().map(|&i| entries[i].clone()).collect()
                };
                match self.writer.put_batch(&batch).await {
                    Ok(outcomes) if outcomes.len() == batch.len() => {
                        for (&i, outcome) in idx.iter().zip(outcomes) {
                            match &outcome {
                                PutResult::Failed {
                                    retryable: true, ..
                                } => {
                                    retry.push(i);
                                    last_error = Some(outcome);
                                }
                                _ => results[i] = Some(outcome),
                            }
                        }
                        metrics::counter!("stream_put_calls_total", "result" => "ok").increment(1);
                    }
                    Ok(outcomes) => {
                        // A backend bug; nothing can be attributed, so nothing is acknowledged.
                        let msg =
                            format!("{} outcomes for {} records", outcomes.len(), batch.len());
                        for &i in idx {
                            results[i] = Some(failed("BadResponse", msg.clone(), false));
                        }
                    }
                    Err(e) => {
                        let retryable = e.is_retryable();
                        metrics::counter!("stream_put_calls_total", "result" => if retryable { "retryable_error" } else { "error" }).increment(1);
                        tracing::warn!(error = %e, records = idx.len(), attempt, "PutRecords call failed");
                        let outcome = failed("CallFailed", e.to_string(), retryable);
                        for &i in idx {
                            if retryable {
                                retry.push(i);
                            } else {
                                results[i] = Some(outcome.clone());
                            }
                        }
                        last_error = Some(outcome);
                    }
                }
            }
            attempt += 1;
            if !retry.is_empty() {
                metrics::counter!("stream_put_retried_records_total").increment(retry.len() as u64);
                if attempt >= self.config.max_attempts {
                    let give_up = last_error
                        .clone()
                        .unwrap_or_else(|| failed("RetriesExhausted", "retries exhausted", true));
                    for &i in &retry {
                        results[i] = Some(give_up.clone());
                    }
                    retry.clear();
                } else {
                    tokio::time::sleep(self.next_delay(attempt - 1)).await;
                }
            }
            retry.sort_unstable(); // keep the original order within a partition key
            pending = retry;
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| failed("Internal", "no outcome", false)))
            .collect()
    }
}
