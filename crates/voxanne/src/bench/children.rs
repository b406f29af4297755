//! The processes and databases `bench vs-naive` sets up: the naive Node server with its npm
//! dependencies, `voxanne serve` as a child (the release binary that runs the benchmark), and a
//! fresh PostgreSQL database per service so repeated runs never measure leftovers.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use sqlx::Connection;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The naive server's files, built into the binary so the benchmark runs from any directory.
const NAIVE_FILES: [(&str, &str); 3] = [
    (
        "server.js",
        include_str!("../../../../bench/naive/server.js"),
    ),
    (
        "package.json",
        include_str!("../../../../bench/naive/package.json"),
    ),
    (
        "package-lock.json",
        include_str!("../../../../bench/naive/package-lock.json"),
    ),
];

/// How long a child may take to print the line saying where it listens.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// `target/bench-naive` beside the running binary (`target/release/voxanne`): the Node server's
/// files and its `node_modules`, installed with `npm ci` when the lock file changed.
pub async fn install_naive_server() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the running binary")?;
    let target = exe
        .parent()
        .and_then(Path::parent)
        .context("the running binary has no target folder above it")?;
    let dir = target.join("bench-naive");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let installed_lock = std::fs::read_to_string(dir.join("package-lock.json")).ok();
    let up_to_date = installed_lock.as_deref() == Some(NAIVE_FILES[2].1)
        && dir.join("node_modules/twilio/package.json").exists();
    for (name, text) in NAIVE_FILES {
        std::fs::write(dir.join(name), text).with_context(|| format!("writing {name}"))?;
    }
    if !up_to_date {
        eprintln!("installing the naive server's npm dependencies (npm ci)…");
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .stdout(Stdio::null())
            .status()
            .await
            .context("running npm (the naive server needs Node.js 20+ and npm)")?;
        if !status.success() {
            bail!("npm ci in {} failed ({status})", dir.display());
        }
    }
    Ok(dir)
}

/// A child process that is killed when dropped, so a failed run leaves nothing behind.
pub struct Running {
    child: Child,
    pub url: String,
}

impl Running {
    /// CPU time (user + system) the child has used so far, from /proc (Linux); `None` elsewhere.
    pub fn cpu_seconds(&self) -> Option<f64> {
        let pid = self.child.id()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Fields after the command name (which may hold spaces) closed by ')': utime and stime
        // are the 12th and 13th of them, in clock ticks (100 per second on Linux).
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        Some(ticks as f64 / 100.0)
    }

    /// Stops the child (SIGKILL: nothing it holds needs a clean stop for the figures) and reaps it.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// Starts `command` and waits for the line `"<prefix> http://…"` on its stdout.
async fn start(mut command: Command, prefix: &str, what: &str) -> anyhow::Result<Running> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {what}"))?;
    let stdout = child.stdout.take().context("the child's stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let url = tokio::time::timeout(START_TIMEOUT, async {
        while let Some(line) = lines.next_line().await? {
            if let Some(url) = line.strip_prefix(prefix) {
                return Ok(Some(url.trim().to_owned()));
            }
        }
        Ok::<_, std::io::Error>(None)
    })
    .await
    .with_context(|| format!("{what} did not start within {START_TIMEOUT:?}"))??
    .with_context(|| format!("{what} exited before listening"))?;
    // Keep draining stdout so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(Running { child, url })
}

/// `node server.js CREDENTIALS` from the installed folder.
pub async fn start_naive(dir: &Path, credentials: &Path) -> anyhow::Result<Running> {
    let mut command = Command::new("node");
    command
        .arg(dir.join("server.js"))
        .arg(credentials)
        .stderr(Stdio::inherit());
    start(command, "naive listening on ", "the naive Node server").await
}

/// What `voxanne serve` runs on in the benchmark.
pub struct ServeSetup<'a> {
    pub database_url: &'a str,
    pub data_dir: &'a Path,
    pub master_key_file: &'a Path,
    pub twilio_base_url: &'a str,
    pub log_file: &'a Path,
}

/// `voxanne serve` from this very binary, on a port picked now (its public URL, which status
/// callbacks are addressed to, must be known before it starts), with the rate limit raised out
/// of the way and only warnings logged (to `log_file`).
pub async fn start_voxanne(setup: ServeSetup<'_>) -> anyhow::Result<Running> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let log = std::fs::File::create(setup.log_file)
        .with_context(|| format!("creating {}", setup.log_file.display()))?;
    let mut command = Command::new(std::env::current_exe()?);
    command
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--database-url", setup.database_url])
        .args(["--twilio-base-url", setup.twilio_base_url])
        .args(["--public-url", &url])
        .args(["--rate-limit-per-second", "1000000"])
        .args(["--rate-limit-burst", "1000000"])
        .env("VOXANNE_DATA_DIR", setup.data_dir)
        .env("VOXANNE_MASTER_KEY_FILE", setup.master_key_file)
        .env_remove("VOXANNE_MASTER_KEY")
        // `VOXANNE_BENCH_SERVE_LOG` (a `VOXANNE_LOG` filter) looks inside while profiling.
        .env(
            "VOXANNE_LOG",
            std::env::var("VOXANNE_BENCH_SERVE_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stderr(log);
    start(command, "voxanne listening on ", "voxanne serve").await
}

/// A database of its own for one service: a file in `dir` for SQLite, or a new database on the
/// PostgreSQL server named by `postgres_url` (dropped by [`Database::drop_now`]).
pub struct Database {
    pub url: String,
    admin: Option<(String, String)>,
}

impl Database {
    pub async fn create(postgres_url: Option<&str>, dir: &Path, tag: &str) -> anyhow::Result<Self> {
        let Some(admin_url) = postgres_url else {
            return Ok(Self {
                url: format!("sqlite://{}", dir.join(format!("{tag}.db")).display()),
                admin: None,
            });
        };
        let name = format!("voxanne_bench_{tag}_{}", std::process::id());
        let mut admin = sqlx::PgConnection::connect(admin_url)
            .await
            .context("connecting to PostgreSQL")?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name}"
        )))
        .execute(&mut admin)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .context("creating the benchmark's database")?;
        admin.close().await?;
        let mut url = url::Url::parse(admin_url).context("the PostgreSQL URL")?;
        url.set_path(&name);
        Ok(Self {
            url: url.to_string(),
            admin: Some((admin_url.to_owned(), name)),
        })
    }

    /// Drops a PostgreSQL database (closing what still holds it); SQLite files go with their folder.
    pub async fn drop_now(self) -> anyhow::Result<()> {
        if let Some((admin_url, name)) = self.admin {
            let mut admin = sqlx::PgConnection::connect(&admin_url).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await?;
            admin.close().await?;
        }
        Ok(())
    }
}
