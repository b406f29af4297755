//! Crashes: kill -9 during sends, then recovery. Nothing accepted is lost or sent twice, hot
//! leads go out within seconds of the recovery, and every status is true within a minute even
//! when its callbacks arrived while the process was down.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::json;

use crate::fleet::{Accepted, Fleet, distinct_phones, fleet_is_postgres, free_port};
use crate::size::{Size, report};

/// The crash proof: kill -9 ×20 during 10,000 sends over 20 clinics (full size).
#[tokio::test]
async fn kill_9_during_sends_loses_nothing_doubles_nothing_and_recovers_in_seconds() {
    let size = Size::from_env();
    let (kills, sends, orgs) = (size.pick(3, 20), size.pick(300, 10_000), size.pick(3, 20));
    let fleet = Fleet::with_orgs(orgs).await;
    // On PostgreSQL a second process stays alive throughout, as a second instance would.
    let survivor = fleet_is_postgres().then(|| fleet.serve_with(free_port(), &[]));
    let port = free_port();
    let recipients = distinct_phones(sends);
    let per_round = sends / kills;
    let mut accepted: Vec<Accepted> = Vec::new();
    for round in 0..kills {
        let chunk = &recipients[round * per_round..(round + 1) * per_round];
        // Production timings: the claims of the killed process are freed by its silence.
        let server = fleet.serve_with(port, &[]);
        // Sends Twilio takes but whose answer never arrives: only Twilio knows their fate.
        fleet
            .arm_for(
                round % orgs,
                json!({"fault": "close", "process": true, "count": 2}),
            )
            .await;
        accepted.extend(
            fleet
                .burst_killed_midway(server, chunk, 16, per_round / 2)
                .await,
        );
    }
    let crashed = Instant::now();
    let (server, recovered) = match survivor {
        Some(survivor) => (survivor, crashed),
        None => {
            let server = fleet.serve_with(port, &[]);
            (server, Instant::now())
        }
    };

    // Poll every status through the API until all are delivered (what the sandbox reports).
    let mut delivered_after: HashMap<String, Duration> = HashMap::new();
    let deadline = recovered + Duration::from_secs(60);
    while delivered_after.len() < accepted.len() && Instant::now() < deadline {
        let statuses = fleet.statuses(&server).await;
        for message in &accepted {
            if statuses.get(&message.id).is_some_and(|s| s == "delivered") {
                delivered_after
                    .entry(message.id.clone())
                    .or_insert_with(|| recovered.elapsed());
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let lost: Vec<&Accepted> = accepted
        .iter()
        .filter(|m| !delivered_after.contains_key(&m.id))
        .collect();
    let slowest_hot_lead = accepted
        .iter()
        .filter(|m| m.hot_lead)
        .filter_map(|m| delivered_after.get(&m.id))
        .max()
        .copied()
        .unwrap_or_default();
    let all_true = delivered_after.values().max().copied().unwrap_or_default();
    let inboxes: HashMap<String, usize> = futures::stream::iter(recipients.iter().cloned())
        .map(|to| {
            let fleet = &fleet;
            async move {
                let count = fleet.inbox_len(&to).await;
                (to, count)
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let accepted_to: HashSet<&str> = accepted.iter().map(|m| m.to.as_str()).collect();
    let unsent = accepted_to.iter().filter(|to| inboxes[**to] == 0).count();
    let duplicates = inboxes.values().filter(|&&n| n > 1).count();

    report(&format!(
        "kill -9 ×{kills} over {sends} sends ({orgs} orgs{}): {} accepted, {} lost, {unsent} never texted, {duplicates} duplicates, slowest hot lead after recovery {:.1} s, every status true {:.1} s after recovery",
        if fleet_is_postgres() {
            ", 2 processes"
        } else {
            ""
        },
        accepted.len(),
        lost.len(),
        slowest_hot_lead.as_secs_f64(),
        all_true.as_secs_f64(),
    ));
    if !lost.is_empty() {
        let statuses = fleet.statuses(&server).await;
        let shown: Vec<(&str, Option<&String>)> = lost
            .iter()
            .take(10)
            .map(|m| (m.id.as_str(), statuses.get(&m.id)))
            .collect();
        panic!("{} not delivered in 60 s, e.g. {shown:?}", lost.len());
    }
    assert_eq!((unsent, duplicates), (0, 0));
    assert!(
        slowest_hot_lead <= Duration::from_secs(10),
        "hot lead {slowest_hot_lead:?}"
    );
}

#[tokio::test]
async fn with_production_leases_a_send_in_flight_at_a_kill_goes_out_once_within_seconds_of_the_restart()
 {
    let fleet = Fleet::new().await;
    let port = free_port();
    // Production timings: a 60 s lease and a 10 minute stuck threshold, which before heartbeats
    // held a crashed server's claims for a minute.
    let first = fleet.serve_with(port, &[]);
    // Twilio creates the text, then its answer hangs: the send is in flight when the kill comes.
    fleet
        .arm(json!({"fault": "hang", "process": true, "count": 1}))
        .await;
    let to = distinct_phones(1);
    let accepted = fleet.reminders(&first, &to, 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(first);

    let second = fleet.serve_with(port, &[]);
    let restarted = Instant::now();
    let undelivered = fleet
        .wait_delivered(&second, &accepted, Duration::from_secs(10))
        .await;
    // Settled means the claim was taken over and reconciled: the Twilio SID is recorded (a
    // status callback alone does not record it).
    let (id, _) = &accepted[0];
    let mut settled = false;
    while !settled && restarted.elapsed() < Duration::from_secs(10) {
        settled = fleet.message(&second, id).await["twilio_sid"].is_string();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    report(&format!(
        "a send in flight at kill -9 (production leases): delivered and reconciled {:.1} s after the restart",
        restarted.elapsed().as_secs_f64()
    ));
    assert!(
        undelivered.is_empty(),
        "not delivered within 10 s of the restart: {undelivered:?}"
    );
    assert!(
        settled,
        "the dead server's claim was not taken over within 10 s"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(fleet.inbox_len(&to[0]).await, 1, "adopted, not sent twice");
}

#[tokio::test]
async fn two_servers_on_one_postgres_deliver_a_thousand_messages_without_duplicates() {
    if !fleet_is_postgres() {
        println!(
            "skipped: two servers sharing a database need PostgreSQL (set VOXANNE_TEST_DATABASE_URL=postgres://…)"
        );
        return;
    }
    let fleet = Fleet::new().await;
    let (a, b) = (fleet.serve(free_port()), fleet.serve(free_port()));
    let recipients = distinct_phones(1000);

    let (via_a, via_b) = tokio::join!(
        fleet.reminders(&a, &recipients[..500], 8),
        fleet.reminders(&b, &recipients[500..], 8)
    );
    let all: Vec<(String, String)> = via_a.into_iter().chain(via_b).collect();

    assert_eq!(all.len(), 1000);
    let undelivered = fleet
        .wait_delivered(&a, &all, Duration::from_secs(90))
        .await;
    assert!(
        undelivered.is_empty(),
        "{} not delivered",
        undelivered.len()
    );
    for (_, to) in &all {
        assert_eq!(fleet.inbox_len(to).await, 1, "{to}");
    }
    let (sent_by_a, sent_by_b) = (
        fleet.callbacks_received(&a).await,
        fleet.callbacks_received(&b).await,
    );
    assert!(
        sent_by_a > 0 && sent_by_b > 0,
        "both processes sent: callbacks to a {sent_by_a}, to b {sent_by_b}"
    );
}
