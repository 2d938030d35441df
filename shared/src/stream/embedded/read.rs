//! Reading the embedded stream: cursors for the five start positions, and batches of records
//! with the shard's end and its children once a closed shard is drained.

use super::{
    chunks, load_shards, meta_get, now_ms, parse_seq, seq_text, shard_name, shard_number, shard_row,
};
use crate::stream::{ChildShard, ReadBatch, ShardCursor, StartPosition, StreamError, StreamRecord};
use rusqlite::Connection;

pub(super) fn open_cursor(
    c: &Connection,
    shard: &str,
    from: &StartPosition,
) -> Result<ShardCursor, StreamError> {
    let id = shard_number(shard)?;
    let row = shard_row(c, id)?;
    let next = match from {
        StartPosition::TrimHorizon => row.first_seq,
        StartPosition::Latest => meta_get(c, "next_seq")?.unwrap_or(1),
        StartPosition::AtSequenceNumber(s) => parse_seq(s)?,
        StartPosition::AfterSequenceNumber(s) => parse_seq(s)? + 1,
        StartPosition::AtTimestamp(ms) => match chunks::first_at(c, id, *ms)? {
            Some(seq) => seq,
            None => meta_get(c, "next_seq")?.unwrap_or(1),
        },
    };
    Ok(ShardCursor(format!("{}:{next}", shard_name(id))))
}

pub(super) fn read(
    c: &Connection,
    segs: &super::segments::Segments,
    cursor: &ShardCursor,
    limit: usize,
) -> Result<ReadBatch, StreamError> {
    let (shard, next) = cursor
        .0
        .split_once(':')
        .ok_or_else(|| StreamError::Invalid(format!("bad cursor {:?}", cursor.0)))?;
    let id = shard_number(shard)?;
    let next = parse_seq(next)?;
    let row = shard_row(c, id)?;
    let limit = limit.clamp(1, 10_000);
    let records = chunks::read(c, segs, id, next, limit)?;
    let after = records.last().map(|r| r.seq + 1).unwrap_or(next);
    let newest = chunks::newest(c, id)?;
    let caught_up = newest.is_none_or(|(seq, _)| seq < after);
    let millis_behind_latest = if caught_up {
        0
    } else {
        let last_arrival = records.last().map(|r| r.arrival_ms).unwrap_or_else(now_ms);
        (now_ms() - last_arrival).max(0)
    };
    let ended = caught_up && row.closed_seq.is_some();
    let child_shards = if ended {
        load_shards(c)?
            .into_iter()
            .filter(|s| s.parent == Some(id) || s.adjacent == Some(id))
            .map(|s| ChildShard {
                shard_id: shard_name(s.id),
                parent_shards: s
                    .parent
                    .into_iter()
                    .chain(s.adjacent)
                    .map(shard_name)
                    .collect(),
                hash_key_start: s.start,
                hash_key_end: s.end,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(ReadBatch {
        records: records
            .into_iter()
            .map(|r| StreamRecord {
                sequence_number: seq_text(r.seq),
                partition_key: r.partition_key,
                data: r.data,
                arrival_ms: r.arrival_ms,
            })
            .collect(),
        next: (!ended).then(|| ShardCursor(format!("{}:{after}", shard_name(id)))),
        millis_behind_latest: Some(millis_behind_latest),
        child_shards,
    })
}
