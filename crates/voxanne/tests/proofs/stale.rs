//! A stale worker: a `serve` process stopped (SIGSTOP) with a send in flight, long past its
//! lease, while another process takes over; resumed (SIGCONT), it writes nothing.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::fleet::{Fleet, distinct_phones, free_port};
use crate::size::report;

fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill {signal} {pid}");
}

#[tokio::test]
async fn a_worker_stopped_past_its_lease_writes_nothing_when_it_resumes() {
    let fleet = Fleet::new().await;
    // Short leases (2 s) and a 1 s Twilio timeout: the stop lasts many leases.
    let stale = fleet.serve(free_port());
    // Twilio creates the text, then its answer hangs: the send is in flight at the stop.
    fleet
        .arm(json!({"fault": "hang", "process": true, "count": 1}))
        .await;
    let to = distinct_phones(1);
    let accepted = fleet.reminders(&stale, &to, 1).await;
    assert_eq!(accepted.len(), 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    signal(stale.child.id(), "-STOP");
    let stopped = Instant::now();

    let other = fleet.serve(free_port());
    // Taken over: the other process reconciled the claim and recorded Twilio's SID (a status
    // callback alone does not record it), and the stop outlasted the lease twice.
    let (id, _) = &accepted[0];
    let mut before = fleet.message(&other, id).await;
    while (before["twilio_sid"].is_null() || stopped.elapsed() < Duration::from_secs(4))
        && stopped.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
        before = fleet.message(&other, id).await;
    }
    assert!(before["twilio_sid"].is_string(), "not taken over: {before}");
    assert_eq!(before["status"], "delivered", "{before}");
    let stopped_for = stopped.elapsed();
    signal(stale.child.id(), "-CONT");
    // Its timers fire at once: the hung request times out, the worker tries to record it.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let after = fleet.message(&other, id).await;
    let texts = fleet.inbox_len(&to[0]).await;
    let writes = usize::from(after != before);

    report(&format!(
        "a worker stopped {:.1} s (its lease 2 s) with a send in flight, then resumed: {writes} writes to the message, {texts} text",
        stopped_for.as_secs_f64()
    ));
    assert_eq!(after, before, "the resumed worker changed the message");
    assert_eq!(texts, 1);
}
