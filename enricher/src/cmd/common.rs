//! What the commands share: engine options (salt, allow-list, CDN domain) and their runtime.

use anyhow::Context as _;
use clap::Args as ClapArgs;
use enricher::core::allowlist::AllowList;
use enricher::core::ids::{SaltProvider, SecretDailySalt, StaticSaltTable};
use enricher::core::{Engine, EngineConfig};
use std::path::PathBuf;
use std::sync::Arc;

/// Flags that configure the enrichment engine.
#[derive(ClapArgs, Debug, Clone)]
pub struct EngineArgs {
    /// Secret for the daily visitor-id salt (HMAC-SHA256(secret, date)). Production default.
    #[arg(long, env = "ENRICHER_SALT_SECRET", hide_env_values = true)]
    pub salt_secret: Option<String>,
    /// File holding the salt secret (e.g. mounted from Secrets Manager).
    #[arg(long, env = "ENRICHER_SALT_SECRET_FILE")]
    pub salt_secret_file: Option<PathBuf>,
    /// Static `date,salt` table instead of a secret (reproduces ownstats' public salts).
    #[arg(long, env = "ENRICHER_SALT_TABLE", conflicts_with_all = ["salt_secret", "salt_secret_file"])]
    pub salt_table: Option<PathBuf>,
    /// Domain allow-list file (`hostname [key]` per line); re-read when it changes.
    #[arg(long, env = "ENRICHER_ALLOW_LIST")]
    pub allow_list: Option<PathBuf>,
    /// Hostname of the CDN serving the pixel (its referrals count as direct).
    #[arg(long, env = "ENRICHER_CDN_DOMAIN")]
    pub cdn_domain: Option<String>,
    /// MaxMind-format City database (GeoLite2-City.mmdb or compatible): client IP → location,
    /// used when no CloudFront viewer headers are present. The IP is never stored.
    #[arg(long, env = "ENRICHER_GEOIP_DB")]
    pub geoip_db: Option<PathBuf>,
    /// User agents kept parsed in the cache.
    #[arg(long, env = "ENRICHER_UA_CACHE", default_value_t = 65_536)]
    pub ua_cache: usize,
    /// Write `request_query_string` as null instead of the verbatim query (a debugging column
    /// that the other columns already decode; see docs/operations.md before turning it on).
    #[arg(long, env = "ENRICHER_DROP_QUERY_STRING")]
    pub drop_query_string: bool,
}

/// Development fallback when no secret is configured: ids stay stable within a machine run
/// but are not private. The command logs a warning when it is used.
const DEV_SECRET: &str = "clickstream-local-development-salt-secret";

impl EngineArgs {
    /// The salt provider these flags select.
    pub fn salts(&self) -> anyhow::Result<Box<dyn SaltProvider>> {
        if let Some(path) = &self.salt_table {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading salt table {}", path.display()))?;
            return Ok(Box::new(
                StaticSaltTable::parse(&text).map_err(anyhow::Error::msg)?,
            ));
        }
        let secret = match (&self.salt_secret, &self.salt_secret_file) {
            (Some(s), _) => s.clone(),
            (None, Some(path)) => std::fs::read_to_string(path)
                .with_context(|| format!("reading salt secret file {}", path.display()))?
                .trim()
                .to_string(),
            (None, None) => {
                tracing::warn!("no ENRICHER_SALT_SECRET: using the built-in development secret (visitor ids are NOT private)");
                DEV_SECRET.to_string()
            }
        };
        Ok(Box::new(
            SecretDailySalt::new(secret.as_bytes()).map_err(anyhow::Error::msg)?,
        ))
    }

    /// Builds an engine from these flags.
    pub fn engine(&self) -> anyhow::Result<Engine> {
        let mut engine = Engine::new(
            self.salts()?,
            EngineConfig {
                cdn_domain: self.cdn_domain.clone(),
                ua_cache_capacity: self.ua_cache,
                keep_query_string: !self.drop_query_string,
            },
        )?;
        if let Some(path) = &self.geoip_db {
            let bytes = std::fs::read(path)
                .with_context(|| format!("reading GeoIP database {}", path.display()))?;
            engine.set_geoip(Some(enricher::core::geoip::GeoIp::from_bytes(bytes)?));
        }
        if let Some(path) = &self.allow_list {
            engine.set_allow_list(Some(Arc::new(load_allow_list(path)?)));
        }
        Ok(engine)
    }
}

/// Reads and parses an allow-list file.
pub fn load_allow_list(path: &std::path::Path) -> anyhow::Result<AllowList> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading allow-list {}", path.display()))?;
    AllowList::parse(&text).map_err(anyhow::Error::msg)
}

/// Re-reads the allow-list file when its modification time changes (checked at most once a
/// second), so operators edit it without restarting workers.
pub struct AllowListWatcher {
    path: PathBuf,
    modified: Option<std::time::SystemTime>,
    last_check: std::time::Instant,
}

impl AllowListWatcher {
    /// Watches `path` (already loaded once by [`EngineArgs::engine`]).
    pub fn new(path: PathBuf) -> Self {
        let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        AllowListWatcher {
            path,
            modified,
            last_check: std::time::Instant::now(),
        }
    }

    /// Reloads into `engine` if the file changed. A broken new file keeps the old list.
    pub fn poll(&mut self, engine: &mut Engine) {
        if self.last_check.elapsed() < std::time::Duration::from_secs(1) {
            return;
        }
        self.last_check = std::time::Instant::now();
        let modified = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok();
        if modified == self.modified {
            return;
        }
        self.modified = modified;
        match load_allow_list(&self.path) {
            Ok(list) => {
                tracing::info!(entries = list.len(), "allow-list reloaded");
                engine.set_allow_list(Some(Arc::new(list)));
            }
            Err(e) => {
                tracing::error!(error = %e, "allow-list reload failed; keeping the previous list")
            }
        }
    }
}

/// The runtime every subcommand runs on: one thread. A worker enriches on one engine and
/// otherwise waits on I/O; a fleet grows by running more workers, not more threads.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}
