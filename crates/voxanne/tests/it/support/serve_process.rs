//! A `voxanne serve` child process: the URL it prints once bound, and a graceful stop.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus};
use std::time::Duration;

/// Reads the child's first line, `voxanne listening on URL`, and returns the URL.
pub async fn listening_url(child: &mut Child) -> String {
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let read = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        stdout.read_line(&mut line).map(|_| line)
    });
    let line = tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    line.trim()
        .strip_prefix("voxanne listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned()
}

/// Sends SIGTERM, as a service manager does, and waits for the child to exit.
pub async fn terminate(mut child: Child) -> ExitStatus {
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap()
}
