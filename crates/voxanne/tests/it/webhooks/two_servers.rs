//! Two `voxanne serve` processes on one database at once, both raising events and both
//! delivering them from the same queue: every event arrives, none twice while nothing goes
//! wrong; an answer that never comes back (the receiver took the event, the sender timed out) is
//! sent again as the same event, which is the at-least-once delivery the specification promises.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde_json::json;

use super::processes::{
    Clinic, Server, alert_two_recipients, hot_lead_on, post_on, register_on, serve,
};
use crate::support::webhook_receiver::Receiver;

/// Hot leads sent, alternately through each process (two texts each, two events a text).
const HOT_LEADS: usize = 10;

#[tokio::test]
async fn two_servers_deliver_every_event_of_one_queue_once_and_a_lost_answer_again_as_the_same_event()
 {
    let Clinic {
        db,
        key,
        sandbox,
        api_key,
    } = Clinic::new("Twin Clinic").await;
    let receiver = Receiver::start().await;
    // A receiver that takes its time keeps each process's claims in flight while the other
    // looks at the queue, so the two really compete for the same rows.
    receiver.delay(Duration::from_millis(100));
    let servers = [serve(&db, &key, &sandbox), serve(&db, &key, &sandbox)];
    let endpoint = register_on(&servers[0], &api_key, &receiver.url).await;
    alert_two_recipients(&servers[1], &api_key).await;

    let mut messages = Vec::new();
    for i in 0..HOT_LEADS {
        messages.extend(hot_lead_on(&servers[i % 2], &api_key).await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let expected = messages.len() * 2;
    receiver
        .wait_until(Duration::from_secs(60), "every event", |got| {
            got.iter()
                .map(|r| r.id.as_str())
                .collect::<HashSet<_>>()
                .len()
                == expected
        })
        .await;
    // Time for a duplicate to show up, if either process were to send one.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let got = receiver.all();
    let ids: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), expected, "every event arrived: {ids:?}");
    assert_eq!(ids.len(), expected, "no event was sent twice: {ids:?}");
    let per_message: HashSet<String> = got.iter().map(|r| super::message_of(&r.json())).collect();
    assert_eq!(per_message, messages.iter().cloned().collect());
    // Which process sent what is left to chance (on a loaded machine one may take all), so it
    // is shown, not asserted.
    eprintln!("events per process: {:?}", senders(&got, &servers));

    // A lost answer: the receiver keeps the test event but answers after the sender gave up.
    receiver.delay(voxanne::webhook_delivery::REQUEST_TIMEOUT + Duration::from_secs(1));
    let test = format!("/api/organization/webhooks/{endpoint}/test");
    let queued = post_on(&servers[1], &test, &api_key, &json!({})).await;
    let event = queued["event_id"].as_str().unwrap().to_owned();
    receiver
        .wait_until(Duration::from_secs(10), "the test event", |got| {
            got.iter().any(|r| r.id == event)
        })
        .await;
    receiver.delay(Duration::ZERO);
    let sent = receiver
        .wait_until(
            voxanne::webhook_delivery::REQUEST_TIMEOUT + Duration::from_secs(20),
            "the test event again",
            |got| got.iter().filter(|r| r.id == event).count() == 2,
        )
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let copies: Vec<_> = sent.iter().filter(|r| r.id == event).collect();
    assert_eq!(
        copies[0].body, copies[1].body,
        "the repeat is the same event"
    );
    assert_eq!(
        receiver.all().iter().filter(|r| r.id == event).count(),
        2,
        "sent again once, after the timeout, and answered then"
    );
}

/// How many requests each process sent, by the process that holds the sending end of each
/// request's connection (read from /proc; connections already closed are not counted).
fn senders(
    got: &[crate::support::webhook_receiver::Received],
    servers: &[Server],
) -> HashMap<u32, usize> {
    let pids: Vec<u32> = servers.iter().map(Server::pid).collect();
    let mut counts = HashMap::new();
    for request in got {
        if let Some(pid) = owner_of_port(request.peer.port(), &pids) {
            *counts.entry(pid).or_insert(0) += 1;
        }
    }
    counts
}

/// The process among `pids` holding the TCP socket whose local port is `port` (Linux /proc).
fn owner_of_port(port: u16, pids: &[u32]) -> Option<u32> {
    let inode = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .find_map(|table| {
            let text = std::fs::read_to_string(table).ok()?;
            text.lines().skip(1).find_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let local = fields.get(1)?.rsplit(':').next()?;
                let inode = *fields.get(9)?;
                (u16::from_str_radix(local, 16).ok()? == port && inode != "0")
                    .then(|| inode.to_owned())
            })
        })?;
    let socket = format!("socket:[{inode}]");
    pids.iter().copied().find(|pid| {
        std::fs::read_dir(format!("/proc/{pid}/fd"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|fd| {
                std::fs::read_link(fd.path()).is_ok_and(|link| link.as_os_str() == socket.as_str())
            })
    })
}
