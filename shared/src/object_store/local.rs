//! [`LocalStore`]: a directory as an object store (the embedded default).

use super::{validate_key, ObjectMeta, ObjectStore, PutOutcome, StoreError};
use async_trait::async_trait;
use bytes::Bytes;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// A directory as an object store.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// Store rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalStore { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, key: &str) -> Result<PathBuf, StoreError> {
        validate_key(key)?;
        let p = self.root.join(key);
        debug_assert!(p.components().all(|c| !matches!(c, Component::ParentDir)));
        Ok(p)
    }

    /// Writes `body` to a unique temp file next to `path`, fsynced. Returns the temp path.
    fn write_temp(path: &Path, body: &[u8]) -> std::io::Result<PathBuf> {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("object");
        let tmp = dir.join(format!(
            ".{name}.{}.{}.tmp",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        ));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(body)?;
        f.sync_all()?;
        Ok(tmp)
    }

    fn sync_dir(path: &Path) -> std::io::Result<()> {
        match path.parent() {
            Some(dir) => std::fs::File::open(dir)?.sync_all(),
            None => Ok(()),
        }
    }

    fn put_blocking(path: &Path, body: &[u8]) -> std::io::Result<()> {
        let tmp = Self::write_temp(path, body)?;
        std::fs::rename(&tmp, path)?;
        Self::sync_dir(path)
    }

    fn put_if_absent_blocking(path: &Path, body: &[u8]) -> std::io::Result<PutOutcome> {
        let tmp = Self::write_temp(path, body)?;
        // link(2) fails with EEXIST if the name is taken: an atomic create-if-absent.
        let res = std::fs::hard_link(&tmp, path);
        let _ = std::fs::remove_file(&tmp);
        match res {
            Ok(()) => Self::sync_dir(path).map(|_| PutOutcome::Created),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Ok(PutOutcome::AlreadyExists)
            }
            Err(e) => Err(e),
        }
    }

    fn list_blocking(root: &Path, prefix: &str) -> std::io::Result<Vec<ObjectMeta>> {
        // Walk only the deepest directory fully named by the prefix.
        let dir_part = prefix.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        let start = if dir_part.is_empty() {
            root.to_path_buf()
        } else {
            root.join(dir_part)
        };
        let mut out = Vec::new();
        let mut stack = vec![start];
        while let Some(dir) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            for entry in entries {
                let entry = entry?;
                let ft = entry.file_type()?;
                let path = entry.path();
                if ft.is_dir() {
                    stack.push(path);
                } else if ft.is_file() {
                    let name = entry.file_name();
                    if name.to_string_lossy().ends_with(".tmp")
                        && name.to_string_lossy().starts_with('.')
                    {
                        continue; // an in-flight or abandoned temp file, not an object
                    }
                    let Ok(rel) = path.strip_prefix(root) else {
                        continue;
                    };
                    let key = rel.to_string_lossy().replace('\\', "/");
                    if key.starts_with(prefix) {
                        out.push(ObjectMeta {
                            key,
                            size: entry.metadata()?.len(),
                        });
                    }
                }
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }
}

fn io_err(key: &str) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        key: key.to_string(),
        source,
    }
}

async fn blocking<T: Send + 'static>(
    key: &str,
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, StoreError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(io_err(key)),
        Err(e) => Err(StoreError::Io {
            key: key.to_string(),
            source: std::io::Error::other(e),
        }),
    }
}

#[async_trait]
impl ObjectStore for LocalStore {
    async fn put(&self, key: &str, body: Bytes) -> Result<(), StoreError> {
        let path = self.path_of(key)?;
        blocking(key, move || Self::put_blocking(&path, &body)).await
    }

    async fn put_if_absent(&self, key: &str, body: Bytes) -> Result<PutOutcome, StoreError> {
        let path = self.path_of(key)?;
        blocking(key, move || Self::put_if_absent_blocking(&path, &body)).await
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError> {
        let path = self.path_of(key)?;
        blocking(key, move || match std::fs::read(&path) {
            Ok(b) => Ok(Some(Bytes::from(b))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        })
        .await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        let root = self.root.clone();
        let p = prefix.to_string();
        blocking(prefix, move || Self::list_blocking(&root, &p)).await
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let path = self.path_of(key)?;
        blocking(key, move || match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_get_list_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path());
        store
            .put("a/b/one.parquet", Bytes::from_static(b"1"))
            .await
            .unwrap();
        store
            .put("a/b/one.parquet", Bytes::from_static(b"11"))
            .await
            .unwrap();
        store
            .put("a/c/two", Bytes::from_static(b"2"))
            .await
            .unwrap();
        assert_eq!(
            store.get("a/b/one.parquet").await.unwrap().unwrap(),
            Bytes::from_static(b"11")
        );
        assert_eq!(store.get("a/missing").await.unwrap(), None);
        let keys: Vec<_> = store
            .list("a/")
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.key)
            .collect();
        assert_eq!(keys, ["a/b/one.parquet", "a/c/two"]);
        assert_eq!(store.list("a/b").await.unwrap().len(), 1);
        assert!(store.list("zzz/").await.unwrap().is_empty());
        assert_eq!(
            store
                .put_if_absent("a/c/two", Bytes::from_static(b"x"))
                .await
                .unwrap(),
            PutOutcome::AlreadyExists
        );
        assert_eq!(
            store.get("a/c/two").await.unwrap().unwrap(),
            Bytes::from_static(b"2")
        );
        assert_eq!(
            store
                .put_if_absent("m/manifest", Bytes::from_static(b"x"))
                .await
                .unwrap(),
            PutOutcome::Created
        );
        store.delete("a/c/two").await.unwrap();
        store.delete("a/c/two").await.unwrap();
        assert_eq!(store.get("a/c/two").await.unwrap(), None);
    }

    #[tokio::test]
    async fn keys_cannot_escape_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().join("root"));
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "a/./b",
            "a\\..\\b",
            "a/\0",
        ] {
            assert!(
                matches!(
                    store.put(bad, Bytes::new()).await,
                    Err(StoreError::InvalidKey(_))
                ),
                "{bad:?}"
            );
        }
    }
}
