//! The embedded lease store: the lease table in `DIR/leases.db` (SQLite).
//!
//! Every conditional write is read-check-write inside one `BEGIN IMMEDIATE` transaction, which
//! takes SQLite's write lock up front: two processes racing for one lease are serialised, and
//! the second sees the first one's counter, exactly like a DynamoDB `ConditionExpression`.
//! Owner and counter are columns (readable with the sqlite3 shell); the rest of the lease is
//! one JSON document, because nothing ever queries by it.

use super::{Cas, CheckpointUpdate, Created, Fence, Lease, LeaseError, LeaseStore};
use crate::sqlite_conn::{open_wal, SharedConn};
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::{Path, PathBuf};

fn db_err(e: rusqlite::Error) -> LeaseError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            LeaseError::Transient(e.to_string())
        }
        _ => LeaseError::Backend(format!("embedded lease store: {e}")),
    }
}

/// The embedded lease table.
pub struct EmbeddedLeaseStore {
    conn: SharedConn,
    path: PathBuf,
}

impl EmbeddedLeaseStore {
    /// Opens (creating the directory and schema if needed) `dir/leases.db`.
    pub fn open(dir: &Path) -> Result<Self, LeaseError> {
        // Other workers hold the write lock only for one small transaction.
        let (path, conn) = open_wal(dir, "leases.db", "FULL", db_err)?;
        let store = EmbeddedLeaseStore {
            conn: SharedConn::new(conn, "embedded lease store"),
            path,
        };
        store.conn.with(create_schema)?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Atomically: load `key`, apply `f`, store the result if `f` returned one.
    async fn conditional(
        &self,
        key: &str,
        f: impl FnOnce(&Lease) -> Option<Lease> + Send + 'static,
    ) -> Result<Cas, LeaseError> {
        let key = key.to_string();
        self.conn
            .blocking(move |c| {
                let (tx, current) = load_locked(c, &key)?;
                let Some(next) = current.as_ref().and_then(f) else {
                    return Ok(Cas::Conflict);
                };
                store(&tx, &next)?;
                tx.commit().map_err(db_err)?;
                Ok(Cas::Applied(Box::new(next)))
            })
            .await
    }
}

/// Opens a write transaction and reads `key` in it, so a compare-and-set sees no other writer.
fn load_locked<'c>(
    c: &'c mut Connection,
    key: &str,
) -> Result<(rusqlite::Transaction<'c>, Option<Lease>), LeaseError> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    let current = load(&tx, key)?;
    Ok((tx, current))
}

fn create_schema(c: &mut Connection) -> Result<(), LeaseError> {
    c.execute_batch(
        "CREATE TABLE IF NOT EXISTS leases(
             lease_key TEXT PRIMARY KEY, lease_owner TEXT, lease_counter INTEGER NOT NULL,
             body TEXT NOT NULL)",
    )
    .map_err(db_err)
}

fn decode(key: &str, body: &str) -> Result<Lease, LeaseError> {
    serde_json::from_str(body).map_err(|e| LeaseError::Corrupt {
        key: key.to_string(),
        reason: e.to_string(),
    })
}

fn load(c: &Connection, key: &str) -> Result<Option<Lease>, LeaseError> {
    let body: Option<String> = c
        .query_row("SELECT body FROM leases WHERE lease_key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()
        .map_err(db_err)?;
    body.map(|b| decode(key, &b)).transpose()
}

fn store(c: &Connection, lease: &Lease) -> Result<(), LeaseError> {
    let body = serde_json::to_string(lease).map_err(|e| LeaseError::Corrupt {
        key: lease.lease_key.clone(),
        reason: e.to_string(),
    })?;
    // SQLite integers are i64; a counter beyond that would take 292 billion years of heartbeats.
    let counter = i64::try_from(lease.lease_counter).unwrap_or(i64::MAX);
    c.execute(
        "INSERT INTO leases(lease_key, lease_owner, lease_counter, body) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(lease_key) DO UPDATE SET lease_owner = excluded.lease_owner,
           lease_counter = excluded.lease_counter, body = excluded.body",
        params![lease.lease_key, lease.lease_owner, counter, body],
    )
    .map_err(db_err)?;
    Ok(())
}

#[async_trait]
impl LeaseStore for EmbeddedLeaseStore {
    async fn ensure_table(&self) -> Result<(), LeaseError> {
        self.conn.blocking(create_schema).await
    }

    async fn list(&self) -> Result<Vec<Lease>, LeaseError> {
        self.conn
            .blocking(|c| {
                let mut stmt = c
                    .prepare("SELECT lease_key, body FROM leases ORDER BY lease_key")
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                    .map_err(db_err)?;
                let mut out = Vec::new();
                for row in rows {
                    let (key, body) = row.map_err(db_err)?;
                    out.push(decode(&key, &body)?);
                }
                Ok(out)
            })
            .await
    }

    async fn get(&self, lease_key: &str) -> Result<Option<Lease>, LeaseError> {
        let key = lease_key.to_string();
        self.conn.blocking(move |c| load(c, &key)).await
    }

    async fn create_if_absent(&self, lease: &Lease) -> Result<Created, LeaseError> {
        let lease = lease.clone();
        self.conn
            .blocking(move |c| {
                let tx = c
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(db_err)?;
                if load(&tx, &lease.lease_key)?.is_some() {
                    return Ok(Created::AlreadyExists);
                }
                store(&tx, &lease)?;
                tx.commit().map_err(db_err)?;
                Ok(Created::Created)
            })
            .await
    }

    async fn take(
        &self,
        lease_key: &str,
        expected_owner: Option<&str>,
        expected_counter: u64,
        new_owner: &str,
    ) -> Result<Cas, LeaseError> {
        let expected_owner = expected_owner.map(str::to_string);
        let new_owner = new_owner.to_string();
        self.conditional(lease_key, move |l| {
            l.apply_take(expected_owner.as_deref(), expected_counter, &new_owner)
        })
        .await
    }

    async fn renew(&self, fence: &Fence, throughput_kbps: Option<f64>) -> Result<Cas, LeaseError> {
        let fence = fence.clone();
        self.conditional(&fence.lease_key.clone(), move |l| {
            l.apply_renew(&fence, throughput_kbps)
        })
        .await
    }

    async fn checkpoint(
        &self,
        fence: &Fence,
        update: &CheckpointUpdate,
    ) -> Result<Cas, LeaseError> {
        let (fence, update) = (fence.clone(), update.clone());
        self.conditional(&fence.lease_key.clone(), move |l| {
            l.apply_checkpoint(&fence, &update)
        })
        .await
    }

    async fn release(&self, fence: &Fence) -> Result<Cas, LeaseError> {
        let fence = fence.clone();
        self.conditional(&fence.lease_key.clone(), move |l| l.apply_release(&fence))
            .await
    }

    async fn delete(&self, lease_key: &str, expected_counter: u64) -> Result<Cas, LeaseError> {
        let key = lease_key.to_string();
        self.conn
            .blocking(move |c| {
                let (tx, current) = load_locked(c, &key)?;
                let Some(current) = current.filter(|l| l.lease_counter == expected_counter) else {
                    return Ok(Cas::Conflict);
                };
                tx.execute("DELETE FROM leases WHERE lease_key = ?1", [&key])
                    .map_err(db_err)?;
                tx.commit().map_err(db_err)?;
                Ok(Cas::Applied(Box::new(current)))
            })
            .await
    }
}
