//! The two database backends and the macros that run one piece of SQL on either.
//!
//! This is the one database layer of the crate: the store's queries and the outbox's (which keeps
//! its own tables in the same database) both run on [`Db`] through [`on_pool!`] and
//! [`in_transaction!`], and open their write transactions with [`BeginWrite`].
//!
//! Both dialects accept the same SQL for nearly every query (`$1` placeholders, `RETURNING`,
//! `ON CONFLICT`, `TRUE`/`FALSE`), so each query is written once and the macros below expand it for
//! both pool types; only migrations, connection set-up and a few tuned PostgreSQL paths differ.
//! This keeps runtime `sqlx` (no compile-time database) without duplicating SQL per backend.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Duration;
use std::time::Instant;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Postgres, Sqlite, Transaction};

use super::StoreError;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");

/// How long a request waits for a free connection before the database counts as unavailable
/// (503): an outage must answer within seconds, not hang every request (sqlx's default is 30 s).
/// Below 5 s, so that with the rest of its work a request still answers within 5 s.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// How long the readiness ping waits for the database.
const PING_TIMEOUT: Duration = Duration::from_secs(1);

/// How long a SQLite connection waits for a lock another process holds (the CLI, a backup, an
/// operator's open transaction) before failing as an outage. Our own writers never wait here
/// (see [`BeginWrite`]); with [`WRITE_TURN_TIMEOUT`] a write answers within 5 s however long the
/// other process keeps the lock.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a SQLite writer waits for this process's write turn before the database counts as
/// unavailable: while another process holds the lock, each writer ahead gives up only after
/// [`SQLITE_BUSY_TIMEOUT`], so an unbounded queue would hold requests for minutes.
const WRITE_TURN_TIMEOUT: Duration = Duration::from_millis(2500);

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Picks the backend from a database URL's scheme.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let scheme = url
            .split_once(':')
            .map(|(scheme, _)| scheme)
            .unwrap_or_default();
        match scheme {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            _ => Err(StoreError::UnsupportedDatabaseUrl {
                scheme: scheme.chars().take(20).collect(),
            }),
        }
    }
}

/// A pool of either backend, chosen once from the URL scheme. Only the persistence modules (the
/// store and the outbox's tables) see it.
#[derive(Clone, Debug)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Opening a write transaction, the same way everywhere on each backend.
pub(crate) trait BeginWrite {
    type Tx;

    /// SQLite takes the write lock up front (`BEGIN IMMEDIATE`): a deferred transaction that read
    /// first fails with `SQLITE_BUSY` on its first write instead of waiting, and two such writers
    /// can deadlock on the lock upgrade. PostgreSQL locks rows as they are written (`BEGIN`).
    fn begin_write(&self) -> impl Future<Output = Result<Self::Tx, sqlx::Error>> + Send;
}

impl BeginWrite for SqlitePool {
    type Tx = SqliteWrite;

    /// Waits for this database's write turn in the process first, then begins. SQLite has one
    /// writer; a connection that finds the lock taken sleeps in SQLite's busy handler (1, 2, 5,
    /// … up to 100 ms at a time) and may sleep on after the lock was freed, so under concurrent
    /// writes most of a request's time went to those sleeps. Queued on an async FIFO lock
    /// instead, each writer starts the moment the previous one commits. Other processes on the
    /// same file (the CLI) still meet the busy handler, as before.
    fn begin_write(&self) -> impl Future<Output = Result<Self::Tx, sqlx::Error>> + Send {
        let gate = write_gate(self);
        async move {
            let turn = tokio::time::timeout(WRITE_TURN_TIMEOUT, gate.turn.clone().lock_owned())
                .await
                .map_err(|_| sqlx::Error::PoolTimedOut);
            let begun = match turn {
                Ok(turn) => {
                    gate.beginning_since
                        .store(gate.elapsed_ms().max(1), Ordering::Relaxed);
                    let begun = self.begin_with("BEGIN IMMEDIATE").await;
                    gate.beginning_since.store(0, Ordering::Relaxed);
                    begun.map(|tx| SqliteWrite { tx, _turn: turn })
                }
                Err(err) => Err(err),
            };
            // Readiness (`ping`) reports whether the last write could begin.
            let refused = begun.as_ref().is_err_and(super::is_outage);
            gate.unwritable.store(refused, Ordering::Relaxed);
            begun
        }
    }
}

/// Waits for the write turn of the SQLite database behind `pool`, for a single write statement
/// run outside [`BeginWrite`] (it then never sleeps in the busy handler behind our own writers).
pub(crate) async fn sqlite_write_turn(pool: &SqlitePool) -> tokio::sync::OwnedMutexGuard<()> {
    write_gate(pool).turn.clone().lock_owned().await
}

/// A SQLite write transaction holding its database's write turn until it commits or rolls back
/// (or is dropped, which rolls back). Derefs to the connection, so `&mut *tx` runs queries as
/// on a [`Transaction`].
pub(crate) struct SqliteWrite {
    tx: Transaction<'static, Sqlite>,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl SqliteWrite {
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub(crate) async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for SqliteWrite {
    type Target = sqlx::SqliteConnection;

    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for SqliteWrite {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// The write turn of one SQLite database file in this process, and whether its last write could
/// not begin (the file locked by another process past the busy timeout): a SQLite readiness
/// check's `SELECT 1` never touches the file, so this is what says writes are failing.
struct WriteGate {
    turn: Arc<tokio::sync::Mutex<()>>,
    unwritable: AtomicBool,
    /// Since when (ms after `epoch`; 0: not now) a `BEGIN IMMEDIATE` has been waiting for the
    /// file's lock: our own writers queue on `turn`, so a begin that waits long means another
    /// process holds the file, and writes are failing before the first one gives up.
    beginning_since: AtomicU64,
    epoch: Instant,
}

impl Default for WriteGate {
    fn default() -> Self {
        Self {
            turn: Arc::default(),
            unwritable: AtomicBool::default(),
            beginning_since: AtomicU64::default(),
            epoch: Instant::now(),
        }
    }
}

/// How long a begin may wait for the file's lock before readiness says not ready.
const BEGIN_STALLED_AFTER_MS: u64 = 1000;

impl WriteGate {
    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Whether writes cannot be made now: the last one could not begin, or one has been
    /// waiting for the file's lock too long.
    fn unwritable(&self) -> bool {
        let since = self.beginning_since.load(Ordering::Relaxed);
        self.unwritable.load(Ordering::Relaxed)
            || (since != 0 && self.elapsed_ms().saturating_sub(since) > BEGIN_STALLED_AFTER_MS)
    }
}

/// The write gate of the SQLite database behind `pool`, one per database file in this process
/// (several pools on one file, as tests and the CLI open, share it).
fn write_gate(pool: &SqlitePool) -> Arc<WriteGate> {
    static GATES: LazyLock<Mutex<HashMap<PathBuf, Arc<WriteGate>>>> = LazyLock::new(Mutex::default);
    let file = pool.connect_options().get_filename().to_path_buf();
    GATES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(file)
        .or_default()
        .clone()
}

impl BeginWrite for PgPool {
    type Tx = Transaction<'static, Postgres>;

    fn begin_write(&self) -> impl Future<Output = Result<Self::Tx, sqlx::Error>> + Send {
        // What `PgPool::begin` sends at depth 0, spelled out so both backends read alike.
        self.begin_with("BEGIN")
    }
}

/// Runs `$body` with `$pool` bound to whichever pool backs `$db` (`&SqlitePool` or `&PgPool`).
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::store::backend::Db::Sqlite($pool) => $body,
            $crate::store::backend::Db::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` inside a write transaction bound to `$tx` (see [`BeginWrite`]), committing when it
/// finishes; an early return (`?`) rolls back. Errors convert with `?`, so this suits callers whose
/// error type has `From<sqlx::Error>`; the outbox, which names what it was doing in each error,
/// opens its transactions with [`BeginWrite::begin_write`] inside [`on_pool!`] instead.
macro_rules! in_transaction {
    ($db:expr, $tx:ident => $body:expr) => {
        $crate::store::backend::on_pool!($db, pool => {
            let mut $tx = $crate::store::backend::BeginWrite::begin_write(pool).await?;
            let out = $body;
            $tx.commit().await?;
            out
        })
    };
}

pub(crate) use {in_transaction, on_pool};

impl Db {
    pub(crate) async fn connect(url: &str) -> Result<Self, StoreError> {
        match Backend::from_url(url)? {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(|source| StoreError::Connect { source })?;
                // SQLite creates the file but not its folder; `sqlite://data/voxanne.db` on a
                // fresh checkout should just work.
                let folder = options
                    .get_filename()
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty() && !p.exists());
                if let Some(folder) = folder {
                    std::fs::create_dir_all(folder).map_err(|source| StoreError::Connect {
                        source: sqlx::Error::Io(source),
                    })?;
                }
                let options = options
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .foreign_keys(true)
                    // Deleted rows (wrapped keys, secrets) are overwritten, not left in free pages.
                    .pragma("secure_delete", "ON");
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(options)
                    .await
                    .map_err(|source| StoreError::Connect { source })?;
                Ok(Self::Sqlite(pool))
            }
            Backend::Postgres => {
                let options = PgConnectOptions::from_str(url)
                    .map_err(|source| StoreError::Connect { source })?;
                let pool = PgPoolOptions::new()
                    .max_connections(10)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(options)
                    .await
                    .map_err(|source| StoreError::Connect { source })?;
                Ok(Self::Postgres(pool))
            }
        }
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    pub(crate) async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await,
            Self::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
        }
        .map_err(|source| StoreError::Migrate { source })
    }

    /// Makes deletions final on disk where the backend allows: SQLite copies the WAL back into the
    /// database file and truncates it, so deleted pages no longer linger in `-wal`.
    pub(crate) async fn flush_deletions(&self) -> Result<(), StoreError> {
        if let Self::Sqlite(pool) = self {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    /// Runs a trivial query: whether the database answers right now.
    /// Answers within [`PING_TIMEOUT`]: a readiness probe must not hang for the pool's full
    /// acquire timeout while the database is away.
    pub(crate) async fn ping(&self) -> Result<(), StoreError> {
        if let Self::Sqlite(pool) = self
            && write_gate(pool).unwritable()
        {
            // The file answers reads but its last write could not begin: not ready until a write
            // gets through again.
            return Err(StoreError::Unavailable {
                source: sqlx::Error::PoolTimedOut,
            });
        }
        let ping =
            async { on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(drop)) };
        match tokio::time::timeout(PING_TIMEOUT, ping).await {
            Ok(answer) => Ok(answer?),
            Err(_) => Err(StoreError::Unavailable {
                source: sqlx::Error::PoolTimedOut,
            }),
        }
    }

    pub(crate) async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}

/// The current time at the precision both backends keep (microseconds), so a value read back
/// equals the value written.
pub(crate) fn now() -> DateTime<Utc> {
    let now = Utc::now();
    now.duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_follows_the_url_scheme() {
        for (url, backend) in [
            ("sqlite://./data/voxanne.db", Backend::Sqlite),
            ("sqlite:voxanne.db", Backend::Sqlite),
            ("postgres://app@db/voxanne", Backend::Postgres),
            ("postgresql://app@db/voxanne", Backend::Postgres),
        ] {
            assert_eq!(Backend::from_url(url).unwrap(), backend, "{url}");
        }
    }

    #[test]
    fn any_other_scheme_is_refused_naming_the_setting() {
        for url in ["mysql://db/x", "voxanne.db", "", "SQLITE://x"] {
            let err = Backend::from_url(url).unwrap_err().to_string();
            assert!(err.contains("VOXANNE_DATABASE_URL"), "{url}: {err}");
        }
        let bare = Backend::from_url("voxanne.db").unwrap_err().to_string();
        assert!(bare.starts_with("the database URL has no scheme"), "{bare}");
    }

    #[test]
    fn now_round_trips_at_microsecond_precision() {
        let at = now();
        assert_eq!(at.timestamp_subsec_nanos() % 1_000, 0);
    }
}
