//! One SQLite connection shared by the tasks of a process (the embedded stream and the
//! embedded lease store each keep one): a mutex for the few synchronous calls, and
//! [`SharedConn::blocking`] to run database work off the async runtime.

use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How long a statement waits for another connection's lock before `SQLITE_BUSY`.
pub const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Opens `dir/file` (creating the directory) in WAL mode with `synchronous` (`NORMAL` or
/// `FULL`) and a 10 s busy timeout: other processes hold the write lock only briefly.
pub fn open_wal<E: BackendError>(
    dir: &Path,
    file: &str,
    synchronous: &str,
    db_err: fn(rusqlite::Error) -> E,
) -> Result<(PathBuf, Connection), E> {
    open_wal_paged(dir, file, synchronous, None, db_err)
}

/// [`open_wal`], creating a new database with `page_size`-byte pages (an existing database
/// keeps its own: the size is fixed once the file is in WAL mode).
pub fn open_wal_paged<E: BackendError>(
    dir: &Path,
    file: &str,
    synchronous: &str,
    page_size: Option<u32>,
    db_err: fn(rusqlite::Error) -> E,
) -> Result<(PathBuf, Connection), E> {
    std::fs::create_dir_all(dir)
        .map_err(|e| E::backend(format!("create {}: {e}", dir.display())))?;
    let path = dir.join(file);
    let conn = Connection::open(&path).map_err(db_err)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(db_err)?;
    let page = page_size.map_or(String::new(), |p| format!("PRAGMA page_size={p}; "));
    conn.execute_batch(&format!(
        "{page}PRAGMA journal_mode=WAL; PRAGMA synchronous={synchronous};"
    ))
    .map_err(db_err)?;
    Ok((path, conn))
}

/// Error types of the stores: how a failure of the sharing itself (a poisoned lock, a lost
/// blocking task) is reported.
pub trait BackendError {
    /// A backend failure described by `message`.
    fn backend(message: String) -> Self;
}

impl BackendError for crate::stream::StreamError {
    fn backend(message: String) -> Self {
        crate::stream::StreamError::Backend(message)
    }
}

impl BackendError for crate::lease::LeaseError {
    fn backend(message: String) -> Self {
        crate::lease::LeaseError::Backend(message)
    }
}

/// A connection behind a mutex; `what` names the store in errors.
#[derive(Clone)]
pub struct SharedConn {
    conn: Arc<Mutex<Connection>>,
    what: &'static str,
}

impl SharedConn {
    /// Shares `conn`.
    pub fn new(conn: Connection, what: &'static str) -> Self {
        SharedConn {
            conn: Arc::new(Mutex::new(conn)),
            what,
        }
    }

    /// Runs `f` on the connection on this thread.
    pub fn with<T, E: BackendError>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut guard = self
            .conn
            .lock()
            .map_err(|_| E::backend(format!("{} lock poisoned", self.what)))?;
        f(&mut guard)
    }

    /// Runs `f` on this thread if no other task holds the connection right now; `None`
    /// otherwise, or when `f` itself declines (it must then have changed nothing).
    pub fn try_now<T>(&self, f: impl FnOnce(&mut Connection) -> Option<T>) -> Option<T> {
        let mut guard = self.conn.try_lock().ok()?;
        f(&mut guard)
    }

    /// Runs `f` on the connection on a blocking thread, off the async runtime.
    pub async fn blocking<T: Send + 'static, E: BackendError + Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.with(f))
            .await
            .map_err(|e| E::backend(format!("{} task: {e}", self.what)))?
    }
}
