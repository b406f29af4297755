//! Status reports on SQLite, group-committed and set-based: the reports that arrive together
//! (Twilio's callbacks come in bursts, three per text) are applied in one transaction with a
//! few statements for the whole group (the dedup rows, the forward-only moves, the timeline
//! entries), each report exactly as it would be alone (deduplicated, forward only, on the
//! timeline), and each callback is answered after that commit. PostgreSQL applies a report in
//! one statement instead (`pg_batch`).
//!
//! sqlx hands every SQLite statement to the connection's own thread and its result back: two
//! thread switches per statement, which were most of the service's CPU under load. A group of
//! reports costs the same few statements whatever its size.

use std::collections::{HashMap, HashSet};

use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};

use super::status::MessageStatus;
use super::timeline::{StatusApplied, StatusReport, status_details};
use super::{OutboxError, db_err, shared_outage};
use crate::store::backend::BeginWrite;
use crate::store::webhook_events::{EventTx, MessageTransition, message_event_type};

/// One status report waiting for a group commit.
pub(super) struct StatusJob {
    pub(super) org: String,
    pub(super) id: String,
    pub(super) report: StatusReport,
    pub(super) now: i64,
}

/// Applies `jobs` in one transaction; if that fails, each in its own, so one bad report cannot
/// fail the others (unless the database is unavailable: then each fails at once).
pub(super) async fn apply_statuses(
    pool: &SqlitePool,
    jobs: Vec<StatusJob>,
) -> Vec<Result<StatusApplied, OutboxError>> {
    if jobs.len() > 1 {
        match apply_together(pool, &jobs).await {
            Ok(applied) => return applied.into_iter().map(Ok).collect(),
            Err(err) => match shared_outage(err, jobs.len()) {
                Ok(outage) => return outage,
                Err(err) => {
                    tracing::warn!(reports = jobs.len(), error = %err, "a group commit failed; applying its reports one by one")
                }
            },
        }
    }
    let mut results = Vec::with_capacity(jobs.len());
    for job in &jobs {
        results.push(
            apply_together(pool, std::slice::from_ref(job))
                .await
                .map(|mut applied| applied.pop().unwrap_or(StatusApplied::Unknown)),
        );
    }
    results
}

/// The jobs in rounds that name each message id at most once (whatever organization a report
/// names: the statements tell a round's reports apart by message id), each message's reports in
/// the order they came: a set-based statement then applies a round as the reports one after the
/// other.
fn rounds(jobs: &[StatusJob]) -> Vec<Vec<usize>> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut rounds: Vec<Vec<usize>> = Vec::new();
    for (index, job) in jobs.iter().enumerate() {
        let round = seen.entry(&job.id).or_insert(0);
        if rounds.len() <= *round {
            rounds.push(Vec::new());
        }
        rounds[*round].push(index);
        *round += 1;
    }
    rounds
}

async fn apply_together(
    pool: &SqlitePool,
    jobs: &[StatusJob],
) -> Result<Vec<StatusApplied>, OutboxError> {
    let mut tx = pool
        .begin_write()
        .await
        .map_err(db_err("opening a transaction"))?;
    let mut applied = vec![StatusApplied::Unknown; jobs.len()];
    let mut subscribers = HashMap::new();
    for round in rounds(jobs) {
        let round_jobs: Vec<&StatusJob> = round.iter().map(|&i| &jobs[i]).collect();
        let outcomes = apply_round(&mut tx, &round_jobs, &mut subscribers).await?;
        for (&index, outcome) in round.iter().zip(outcomes) {
            applied[index] = outcome;
        }
    }
    tx.commit()
        .await
        .map_err(db_err("committing status reports"))?;
    Ok(applied)
}

/// Applies reports about distinct messages: one statement each for the dedup rows, the moves and
/// the timeline entries, and webhook events only for organizations with an enabled endpoint.
async fn apply_round(
    tx: &mut SqliteConnection,
    round: &[&StatusJob],
    subscribers: &mut HashMap<String, bool>,
) -> Result<Vec<StatusApplied>, OutboxError> {
    // The dedup rows go first: a report seen before (same message and key) changes nothing.
    let mut insert = QueryBuilder::<Sqlite>::new("WITH v(org, id, dedup, at) AS (");
    insert.push_values(round, |mut row, job| {
        row.push_bind(&job.org)
            .push_bind(&job.id)
            .push_bind(&job.report.dedup_key)
            .push_bind(job.now);
    });
    // `WHERE true` tells SQLite's parser that the `ON` after it starts the upsert clause.
    insert.push(
        ") INSERT INTO status_callbacks (message_id, dedup_key, received_at) \
         SELECT m.id, v.dedup, v.at FROM v JOIN messages m ON m.org_id = v.org AND m.id = v.id \
         WHERE true ON CONFLICT (message_id, dedup_key) DO NOTHING RETURNING message_id",
    );
    let fresh: HashSet<String> = insert
        .build_query_scalar::<String>()
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err("recording status reports"))?
        .into_iter()
        .collect();
    let stale: Vec<&StatusJob> = round
        .iter()
        .copied()
        .filter(|job| !fresh.contains(&job.id))
        .collect();
    // Only reports that changed nothing need telling apart: about no message, or a duplicate.
    let known: HashSet<String> = if stale.is_empty() {
        HashSet::new()
    } else {
        let mut select = QueryBuilder::<Sqlite>::new("WITH v(org, id) AS (");
        select.push_values(&stale, |mut row, job| {
            row.push_bind(&job.org).push_bind(&job.id);
        });
        select.push(") SELECT m.id FROM v JOIN messages m ON m.org_id = v.org AND m.id = v.id");
        select
            .build_query_scalar::<String>()
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err("reading messages"))?
            .into_iter()
            .collect()
    };
    let fresh_jobs: Vec<&StatusJob> = round
        .iter()
        .copied()
        .filter(|job| fresh.contains(&job.id))
        .collect();
    let moved = advance_all(tx, &fresh_jobs).await?;
    if !fresh_jobs.is_empty() {
        let mut events = QueryBuilder::<Sqlite>::new(
            "INSERT INTO message_events (message_id, at, kind, status, detail, twilio_code) ",
        );
        events.push_values(&fresh_jobs, |mut row, job| {
            let (moved_detail, ignored_detail) = status_details(&job.report);
            let detail = if moved.contains(&job.id) {
                moved_detail
            } else {
                ignored_detail
            };
            row.push_bind(&job.id)
                .push_bind(job.now)
                .push_bind("status")
                .push_bind(job.report.status.as_str())
                .push_bind(detail)
                .push_bind(job.report.error_code.map(i64::from));
        });
        events
            .build()
            .execute(&mut *tx)
            .await
            .map_err(db_err("recording timeline events"))?;
    }
    raise_events(tx, &fresh_jobs, &moved, subscribers).await?;
    Ok(round
        .iter()
        .map(|job| {
            if moved.contains(&job.id) {
                StatusApplied::Advanced
            } else if fresh.contains(&job.id) {
                StatusApplied::NotForward
            } else if known.contains(&job.id) {
                StatusApplied::Duplicate
            } else {
                StatusApplied::Unknown
            }
        })
        .collect())
}

/// Moves each message forward to its report's status (never back), setting the error code and
/// reason when given. Returns the ids of the messages that moved.
async fn advance_all(
    tx: &mut SqliteConnection,
    jobs: &[&StatusJob],
) -> Result<HashSet<String>, OutboxError> {
    if jobs.is_empty() {
        return Ok(HashSet::new());
    }
    let mut update = QueryBuilder::<Sqlite>::new("WITH v(id, status, rank, code, reason, at) AS (");
    update.push_values(jobs, |mut row, job| {
        let status: MessageStatus = job.report.status;
        row.push_bind(&job.id)
            .push_bind(status.as_str())
            .push_bind(i64::from(status.rank()))
            .push_bind(job.report.error_code.map(i64::from))
            .push_bind(job.report.reason.as_deref())
            .push_bind(job.now);
    });
    update.push(
        ") UPDATE messages SET status = v.status, status_rank = v.rank, \
           error_code = COALESCE(v.code, messages.error_code), \
           reason = COALESCE(v.reason, messages.reason), updated_at = v.at \
         FROM v WHERE messages.id = v.id AND messages.status_rank < v.rank RETURNING messages.id",
    );
    Ok(update
        .build_query_scalar::<String>()
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err("advancing message statuses"))?
        .into_iter()
        .collect())
}

/// Webhooks (issue 14): each status that moved raises its event in this transaction. Only
/// organizations with an enabled endpoint can have a subscriber, so the others (each read once
/// per group) cost nothing more.
async fn raise_events(
    tx: &mut SqliteConnection,
    fresh: &[&StatusJob],
    moved: &HashSet<String>,
    subscribers: &mut HashMap<String, bool>,
) -> Result<(), OutboxError> {
    let raising: Vec<&StatusJob> = fresh
        .iter()
        .copied()
        .filter(|job| moved.contains(&job.id) && message_event_type(job.report.status).is_some())
        .collect();
    if raising.is_empty() {
        return Ok(());
    }
    let unknown: HashSet<&str> = raising
        .iter()
        .map(|job| job.org.as_str())
        .filter(|org| !subscribers.contains_key(*org))
        .collect();
    if !unknown.is_empty() {
        let mut select = QueryBuilder::<Sqlite>::new(
            "SELECT DISTINCT org_id FROM webhook_endpoints WHERE enabled = 1 AND org_id IN (",
        );
        let mut orgs = select.separated(", ");
        for org in &unknown {
            orgs.push_bind(*org);
        }
        select.push(")");
        let listening: HashSet<String> = select
            .build_query_scalar::<String>()
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err("reading webhook endpoints"))?
            .into_iter()
            .collect();
        for org in unknown {
            subscribers.insert(org.to_owned(), listening.contains(org));
        }
    }
    for job in raising {
        if !subscribers.get(&job.org).copied().unwrap_or(true) {
            continue;
        }
        let moved = [MessageTransition {
            message_id: &job.id,
            status: job.report.status,
        }];
        EventTx::record_message_events(&mut *tx, &moved, job.now)
            .await
            .map_err(db_err("raising webhook events"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: &str, status: MessageStatus) -> StatusJob {
        StatusJob {
            org: "org_a".to_owned(),
            id: id.to_owned(),
            report: StatusReport {
                status,
                error_code: None,
                reason: None,
                dedup_key: format!("status:{status}"),
                source: "callback",
            },
            now: 1,
        }
    }

    #[test]
    fn a_message_reported_several_times_in_one_group_gets_one_report_per_round_in_order() {
        let jobs = [
            job("msg_1", MessageStatus::Sending),
            job("msg_2", MessageStatus::Sent),
            job("msg_1", MessageStatus::Sent),
            job("msg_1", MessageStatus::Delivered),
            job("msg_3", MessageStatus::Sent),
        ];

        assert_eq!(rounds(&jobs), vec![vec![0, 1, 4], vec![2], vec![3]]);
    }

    #[test]
    fn a_report_naming_another_organization_for_a_message_id_goes_in_a_round_of_its_own() {
        let mut forged = job("msg_1", MessageStatus::Failed);
        forged.org = "org_b".to_owned();
        let jobs = [job("msg_1", MessageStatus::Sent), forged];

        assert_eq!(rounds(&jobs), vec![vec![0], vec![1]]);
    }
}
