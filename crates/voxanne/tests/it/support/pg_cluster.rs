//! A throwaway PostgreSQL cluster of a test's own, on its own port, that the test may stop and
//! start again (a database outage); stopped and removed when dropped. Needs root (`initdb` runs
//! as the `postgres` user through `runuser`) and Debian's PostgreSQL binaries.

use std::path::PathBuf;
use std::process::{Command, Output};

pub struct PgCluster {
    bin: PathBuf,
    data: PathBuf,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl PgCluster {
    /// Why a cluster cannot be started here, if it cannot (not root, no PostgreSQL binaries).
    pub fn unavailable() -> Option<String> {
        let uid = Command::new("id").arg("-u").output().ok()?;
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            return Some("not running as root (initdb must run as the postgres user)".to_owned());
        }
        if pg_bin().is_none() {
            return Some("no PostgreSQL binaries under /usr/lib/postgresql/*/bin".to_owned());
        }
        None
    }

    /// Initializes and starts a cluster on `port`.
    pub fn start(port: u16) -> PgCluster {
        let bin = pg_bin().expect("PostgreSQL binaries");
        let dir = tempfile::tempdir().unwrap();
        // The postgres user must traverse the parent of its data directory.
        run("chmod", &["755", &dir.path().display().to_string()]);
        let data = dir.path().join("pg");
        let data_arg = data.display().to_string();
        run(
            "install",
            &[
                "-d", "-o", "postgres", "-g", "postgres", "-m", "700", &data_arg,
            ],
        );
        let initdb = bin.join("initdb").display().to_string();
        run(
            "runuser",
            &[
                "-u",
                "postgres",
                "--",
                &initdb,
                "-D",
                &data_arg,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let cluster = PgCluster {
            bin,
            data,
            port,
            _dir: dir,
        };
        cluster.resume();
        cluster
    }

    /// `postgres://…/postgres` of the cluster.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server (fast shutdown: sessions are cut, as in a crash or failover).
    pub fn stop(&self) {
        self.pg_ctl(&["-m", "fast", "-w", "stop"]);
    }

    /// Starts the server again on the same port and data.
    pub fn resume(&self) {
        let log = self.data.join("server.log").display().to_string();
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k /tmp -c fsync=off",
            self.port
        );
        self.pg_ctl(&["-l", &log, "-w", "-o", &options, "start"]);
    }

    fn pg_ctl(&self, args: &[&str]) -> Output {
        let pg_ctl = self.bin.join("pg_ctl").display().to_string();
        let data = self.data.display().to_string();
        let mut all = vec!["-u", "postgres", "--", &pg_ctl, "-D", &data];
        all.extend_from_slice(args);
        run("runuser", &all)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let pg_ctl = self.bin.join("pg_ctl");
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(pg_ctl)
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

fn pg_bin() -> Option<PathBuf> {
    let mut bins: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .map(|d| d.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    bins.sort();
    bins.pop()
}

fn run(program: &str, args: &[&str]) -> Output {
    let output = Command::new(program).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}
