//! A fresh database per test, from `VOXANNE_TEST_DATABASE_URL` (unset: SQLite in a temp dir;
//! `postgres://…`: a new database on that server, dropped when the test ends).

use voxanne::store::Store;
use voxanne::vault::{Keyring, MasterKey};

pub struct TestDb {
    pub store: Store,
    /// Its address, for tests that look under the store.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    drop_pg: Option<(String, String)>,
}

pub async fn test_db() -> TestDb {
    let keyring = Keyring::new(vec![MasterKey::generate()]).unwrap();
    match std::env::var("VOXANNE_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
    {
        None => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}/voxanne.db", dir.path().display());
            let store = Store::open(&url, keyring).await.unwrap();
            TestDb {
                store,
                url,
                _dir: Some(dir),
                drop_pg: None,
            }
        }
        Some(admin) => {
            use sqlx::Connection;
            let name = format!("vox_delivery_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .unwrap();
            let (base, _) = admin.rsplit_once('/').unwrap();
            let url = format!("{base}/{name}");
            let store = Store::open(&url, keyring).await.unwrap();
            TestDb {
                store,
                url,
                _dir: None,
                drop_pg: Some((admin, name)),
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.drop_pg.take() else {
            return;
        };
        // Drop on a separate thread and runtime: Drop cannot await.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                use sqlx::Connection;
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}
