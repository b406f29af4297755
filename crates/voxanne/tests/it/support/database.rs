//! A fresh database per test, from `VOXANNE_TEST_DATABASE_URL`.

use std::path::PathBuf;

use sqlx::Connection;
use voxanne::ids::OrgId;

use super::raw::RawPool;

/// A throwaway database: a SQLite file in a temp dir, or a PostgreSQL database dropped on `Drop`.
pub struct TestDb {
    pub url: String,
    /// The SQLite file (and its directory, removed on drop).
    pub sqlite_path: Option<PathBuf>,
    /// The database under the store, for tests that tamper with or inspect stored bytes.
    pub raw: RawPool,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<PostgresCleanup>,
}

struct PostgresCleanup {
    admin_url: String,
    name: String,
}

impl TestDb {
    pub async fn new() -> Self {
        match std::env::var("VOXANNE_TEST_DATABASE_URL") {
            Ok(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Self::postgres(&url).await
            }
            Ok(url) if !url.is_empty() => {
                panic!(
                    "VOXANNE_TEST_DATABASE_URL must be unset (SQLite) or postgres://…, not {url}"
                )
            }
            _ => Self::sqlite(),
        }
    }

    fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("voxanne.db");
        let url = format!("sqlite://{}", path.display());
        Self {
            raw: RawPool::lazy(&url),
            url,
            sqlite_path: Some(path),
            _dir: Some(dir),
            postgres: None,
        }
    }

    /// A fresh database on the PostgreSQL server at `admin_url`, dropped on `Drop`.
    pub async fn postgres(admin_url: &str) -> Self {
        let name = format!("voxanne_test_{}", &OrgId::generate().as_str()[4..]);
        let mut admin = sqlx::PgConnection::connect(admin_url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        let mut url = url::Url::parse(admin_url).unwrap();
        url.set_path(&name);
        Self {
            raw: RawPool::lazy(url.as_str()),
            url: url.to_string(),
            sqlite_path: None,
            _dir: None,
            postgres: Some(PostgresCleanup {
                admin_url: admin_url.to_owned(),
                name,
            }),
        }
    }

    /// Every byte the database keeps on disk that a copy would carry: the SQLite file with its
    /// `-wal` and `-shm`, or a `pg_dump` of the PostgreSQL database.
    pub fn raw_copy(&self) -> Vec<u8> {
        match &self.sqlite_path {
            Some(path) => {
                let mut bytes = Vec::new();
                for suffix in ["", "-wal", "-shm"] {
                    let file = PathBuf::from(format!("{}{suffix}", path.display()));
                    if let Ok(content) = std::fs::read(&file) {
                        bytes.extend(content);
                    }
                }
                bytes
            }
            None => pg_dump(&self.url),
        }
    }
}

/// Runs the server's `pg_dump` (found on PATH or under /usr/lib/postgresql) on `url`.
pub fn pg_dump(url: &str) -> Vec<u8> {
    let program = which_pg_dump();
    let output = std::process::Command::new(&program)
        .arg("--no-owner")
        .arg(url)
        .output()
        .unwrap_or_else(|err| panic!("cannot run {}: {err}", program.display()));
    assert!(
        output.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn which_pg_dump() -> PathBuf {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| {
            dirs.filter_map(Result::ok)
                .map(|d| d.path().join("bin/pg_dump"))
                .collect()
        })
        .unwrap_or_default();
    candidates.sort();
    candidates
        .into_iter()
        .rev()
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("pg_dump"))
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(cleanup) = self.postgres.take() {
            // Drop runs inside the test's runtime: do the async work on a thread of its own.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    if let Ok(mut admin) = sqlx::PgConnection::connect(&cleanup.admin_url).await {
                        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", cleanup.name);
                        let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                            .execute(&mut admin)
                            .await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}
