//! The database the outbox lives in: SQLite or PostgreSQL, chosen once at start-up.
//!
//! Most statements are the same text on both (sqlx accepts `$1` placeholders on SQLite too), so
//! the use cases are written once and [`with_db!`] expands them for each pool type.

use sqlx::{PgPool, SqlitePool};

/// A pool of either backend.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Db {
    /// True on PostgreSQL (where claims use `FOR UPDATE SKIP LOCKED`).
    pub fn is_postgres(&self) -> bool {
        matches!(self, Db::Postgres(_))
    }
}

/// Runs `$body` with `$pool` bound to the concrete pool and `$pg` to whether it is PostgreSQL.
macro_rules! with_db {
    ($db:expr, |$pool:ident, $pg:ident| $body:expr) => {
        match $db {
            $crate::outbox::Db::Sqlite($pool) => {
                #[allow(unused_variables)]
                let $pg = false;
                $body
            }
            $crate::outbox::Db::Postgres($pool) => {
                #[allow(unused_variables)]
                let $pg = true;
                $body
            }
        }
    };
}
pub(crate) use with_db;

/// The statement that opens a write transaction: SQLite must take the write lock up front
/// (`IMMEDIATE`), or a transaction that read first fails with `SQLITE_BUSY` instead of waiting.
pub(crate) fn begin_write(pg: bool) -> &'static str {
    if pg { "BEGIN" } else { "BEGIN IMMEDIATE" }
}

/// Moves a message's status forward (never back); sets the error code and reason when given.
/// Evaluates to whether the status changed. A macro so it runs on either backend's transaction.
macro_rules! advance {
    ($tx:expr, $message_id:expr, $status:expr, $error_code:expr, $reason:expr, $now:expr) => {{
        let status: $crate::outbox::MessageStatus = $status;
        sqlx::query(
            "UPDATE messages SET status = $2, status_rank = $3, error_code = COALESCE($4, error_code), \
               reason = COALESCE($5, reason), updated_at = $6 \
             WHERE id = $1 AND status_rank < $3",
        )
        .bind($message_id)
        .bind(status.as_str())
        .bind(i64::from(status.rank()))
        .bind($error_code)
        .bind($reason)
        .bind($now)
        .execute(&mut *$tx)
        .await
        .map_err($crate::outbox::db_err("advancing a message's status"))
        .map(|done| done.rows_affected() == 1)
    }};
}
pub(crate) use advance;
