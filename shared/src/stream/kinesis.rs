//! The Kinesis Data Streams adapter: the only code that touches aws-sdk-kinesis. It maps our
//! types to API calls one to one; splitting and retries live in [`super::producer`].

use super::{
    ChildShard, PutEntry, PutResult, ReadBatch, Shard, ShardCursor, StartPosition, StreamAdmin,
    StreamError, StreamReader, StreamRecord, StreamWriter,
};
use async_trait::async_trait;
use aws_sdk_kinesis::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kinesis::primitives::{Blob, DateTime};
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, ShardIteratorType, StreamStatus};
use aws_sdk_kinesis::Client;
use bytes::Bytes;
use std::time::Duration;

/// A Kinesis stream by name.
pub struct KinesisStream {
    client: Client,
    stream: String,
}

/// Folds any SDK error into our error, by the service's error code (see the "Common Errors"
/// and per-action error lists in the Kinesis API reference).
fn classify<E, R>(e: SdkError<E, R>) -> StreamError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let text = format!(
        "{}",
        aws_smithy_types::error::display::DisplayErrorContext(&e)
    );
    match &e {
        SdkError::ServiceError(ctx) => match ctx.err().code().unwrap_or_default() {
            "ProvisionedThroughputExceededException"
            | "LimitExceededException"
            | "KMSThrottlingException"
            | "ThrottlingException" => StreamError::Throttled(text),
            "ExpiredIteratorException" => StreamError::ExpiredIterator,
            "ResourceNotFoundException" => StreamError::NotFound(text),
            "InvalidArgumentException" | "ValidationException" => StreamError::Invalid(text),
            "InternalFailure" | "ServiceUnavailable" | "InternalServerError" => {
                StreamError::Transient(text)
            }
            "" => StreamError::Transient(text),
            _ => StreamError::Backend(text),
        },
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StreamError::Transient(text)
        }
        _ => StreamError::Backend(text),
    }
}

fn parse_key(s: Option<&str>) -> u128 {
    s.and_then(|v| v.parse().ok()).unwrap_or(0)
}

impl KinesisStream {
    /// The stream `stream`, with the AWS default configuration (credential chain, region,
    /// `AWS_ENDPOINT_URL_KINESIS` / `AWS_ENDPOINT_URL`).
    pub async fn from_env(stream: &str) -> Self {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        KinesisStream::new(Client::new(&config), stream)
    }

    /// Over an existing client.
    pub fn new(client: Client, stream: &str) -> Self {
        KinesisStream {
            client,
            stream: stream.to_string(),
        }
    }

    async fn status(&self) -> Result<StreamStatus, StreamError> {
        let out = self
            .client
            .describe_stream_summary()
            .stream_name(&self.stream)
            .send()
            .await
            .map_err(classify)?;
        Ok(out
            .stream_description_summary()
            .map(|s| s.stream_status().clone())
            .unwrap_or(StreamStatus::Creating))
    }

    /// Waits until the stream is ACTIVE again (after create, split or merge).
    async fn wait_active(&self) -> Result<(), StreamError> {
        for _ in 0..600 {
            if self.status().await? == StreamStatus::Active {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(StreamError::Transient(format!(
            "stream {} not ACTIVE after 60 s",
            self.stream
        )))
    }
}

#[async_trait]
impl StreamWriter for KinesisStream {
    async fn put_batch(&self, entries: &[PutEntry]) -> Result<Vec<PutResult>, StreamError> {
        let records = entries
            .iter()
            .map(|e| {
                PutRecordsRequestEntry::builder()
                    .data(Blob::new(e.data.to_vec()))
                    .partition_key(&e.partition_key)
                    .build()
                    .map_err(|b| StreamError::Invalid(b.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = self
            .client
            .put_records()
            .stream_name(&self.stream)
            .set_records(Some(records))
            .send()
            .await
            .map_err(classify)?;
        Ok(out
            .records()
            .iter()
            .map(
                |r| match (r.sequence_number(), r.shard_id(), r.error_code()) {
                    (Some(seq), Some(shard), None) => PutResult::Written {
                        shard_id: shard.to_string(),
                        sequence_number: seq.to_string(),
                    },
                    (_, _, code) => PutResult::Failed {
                        code: code.unwrap_or("Unknown").to_string(),
                        message: r.error_message().unwrap_or_default().to_string(),
                        // Per-record errors are throttling or InternalFailure: both retryable.
                        retryable: true,
                    },
                },
            )
            .collect())
    }

    async fn check_writable(&self) -> Result<(), StreamError> {
        match self.status().await? {
            StreamStatus::Active | StreamStatus::Updating => Ok(()),
            s => Err(StreamError::Transient(format!("stream status {s}"))),
        }
    }
}

#[async_trait]
impl StreamReader for KinesisStream {
    async fn list_shards(&self) -> Result<Vec<Shard>, StreamError> {
        let mut shards = Vec::new();
        let mut token: Option<String> = None;
        loop {
            // ListShards takes either the stream name or a NextToken, never both.
            let req = match &token {
                Some(t) => self.client.list_shards().next_token(t),
                None => self.client.list_shards().stream_name(&self.stream),
            };
            let out = req.max_results(1000).send().await.map_err(classify)?;
            for s in out.shards() {
                let range = s.hash_key_range();
                let seqs = s.sequence_number_range();
                shards.push(Shard {
                    shard_id: s.shard_id().to_string(),
                    parent_shard_id: s.parent_shard_id().map(str::to_string),
                    adjacent_parent_shard_id: s.adjacent_parent_shard_id().map(str::to_string),
                    hash_key_start: parse_key(range.map(|r| r.starting_hash_key())),
                    hash_key_end: parse_key(range.map(|r| r.ending_hash_key())),
                    starting_sequence_number: seqs
                        .map(|r| r.starting_sequence_number().to_string())
                        .unwrap_or_default(),
                    ending_sequence_number: seqs
                        .and_then(|r| r.ending_sequence_number())
                        .map(str::to_string),
                });
            }
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(shards);
            }
        }
    }

    async fn open(&self, shard_id: &str, from: &StartPosition) -> Result<ShardCursor, StreamError> {
        let req = self
            .client
            .get_shard_iterator()
            .stream_name(&self.stream)
            .shard_id(shard_id);
        let req = match from {
            StartPosition::TrimHorizon => req.shard_iterator_type(ShardIteratorType::TrimHorizon),
            StartPosition::Latest => req.shard_iterator_type(ShardIteratorType::Latest),
            StartPosition::AtSequenceNumber(s) => req
                .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
                .starting_sequence_number(s),
            StartPosition::AfterSequenceNumber(s) => req
                .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                .starting_sequence_number(s),
            StartPosition::AtTimestamp(ms) => req
                .shard_iterator_type(ShardIteratorType::AtTimestamp)
                .timestamp(DateTime::from_millis(*ms)),
        };
        let out = req.send().await.map_err(classify)?;
        out.shard_iterator()
            .map(|i| ShardCursor(i.to_string()))
            .ok_or_else(|| StreamError::Backend("GetShardIterator returned no iterator".into()))
    }

    async fn read(&self, cursor: &ShardCursor, limit: usize) -> Result<ReadBatch, StreamError> {
        let out = self
            .client
            .get_records()
            .shard_iterator(&cursor.0)
            .limit(limit.clamp(1, 10_000) as i32)
            .send()
            .await
            .map_err(classify)?;
        let records = out
            .records()
            .iter()
            .map(|r| StreamRecord {
                sequence_number: r.sequence_number().to_string(),
                partition_key: r.partition_key().unwrap_or_default().to_string(),
                data: Bytes::copy_from_slice(r.data().as_ref()),
                arrival_ms: r
                    .approximate_arrival_timestamp()
                    .and_then(|t| t.to_millis().ok())
                    .unwrap_or(0),
            })
            .collect();
        let child_shards = out
            .child_shards()
            .iter()
            .map(|c| ChildShard {
                shard_id: c.shard_id().to_string(),
                parent_shards: c.parent_shards().to_vec(),
                hash_key_start: parse_key(c.hash_key_range().map(|r| r.starting_hash_key())),
                hash_key_end: parse_key(c.hash_key_range().map(|r| r.ending_hash_key())),
            })
            .collect();
        Ok(ReadBatch {
            records,
            next: out
                .next_shard_iterator()
                .map(|i| ShardCursor(i.to_string())),
            millis_behind_latest: out.millis_behind_latest(),
            child_shards,
        })
    }
}

#[async_trait]
impl StreamAdmin for KinesisStream {
    async fn ensure_stream(&self, shards: u32) -> Result<(), StreamError> {
        match self.status().await {
            Ok(_) => return self.wait_active().await,
            Err(StreamError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
        let created = self
            .client
            .create_stream()
            .stream_name(&self.stream)
            .shard_count(shards as i32)
            .send()
            .await;
        match created.map_err(classify) {
            // Another process created it at the same time.
            Ok(_) | Err(StreamError::Backend(_)) => self.wait_active().await,
            Err(e) => Err(e),
        }
    }

    async fn split_shard(
        &self,
        shard_id: &str,
        new_starting_hash_key: u128,
    ) -> Result<(), StreamError> {
        self.client
            .split_shard()
            .stream_name(&self.stream)
            .shard_to_split(shard_id)
            .new_starting_hash_key(new_starting_hash_key.to_string())
            .send()
            .await
            .map_err(classify)?;
        self.wait_active().await
    }

    async fn merge_shards(
        &self,
        shard_id: &str,
        adjacent_shard_id: &str,
    ) -> Result<(), StreamError> {
        self.client
            .merge_shards()
            .stream_name(&self.stream)
            .shard_to_merge(shard_id)
            .adjacent_shard_to_merge(adjacent_shard_id)
            .send()
            .await
            .map_err(classify)?;
        self.wait_active().await
    }
}
