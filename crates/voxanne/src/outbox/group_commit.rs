//! Group commit: concurrent writes of one kind combined into one transaction.
//!
//! Each caller queues its job and waits for the combiner's turn. Whoever gets the turn (the
//! leader) takes every job queued so far, writes them together and hands each caller its own
//! result after the commit; callers whose job went out with an earlier leader find their result
//! waiting when their turn comes and return at once. Under load, one commit (and, on SQLite,
//! one wait for the single writer) then serves many requests; alone, a job is written at once.
//!
//! The write runs as a task of its own: a leader whose request is cancelled (its client went
//! away) must not cut short the transaction that carries other callers' jobs.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;

/// How long a job waits for the combiner's turn before it is taken back unwritten. A turn is
/// held for one commit: milliseconds, unless the database cannot be written (an outage), when a
/// commit may wait out the store's own limits (the write turn, then SQLite's busy timeout). A
/// request queued behind such a commit would otherwise wait for it and then for its own, past
/// the 5 s within which every request must be answered.
const TURN_WAIT: Duration = Duration::from_millis(1000);

/// Why a job has no result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unwritten {
    /// The earlier commits took too long (the database is not writable now): the job was taken
    /// back before any write began, so it was certainly not committed.
    Busy,
    /// The write task died (a panic) before answering: whether the job was committed is unknown.
    Died,
}

type Pending<J, R> = Vec<(u64, J, oneshot::Sender<R>)>;

/// Combines jobs `J` whose results are `R`.
pub(crate) struct Combiner<J, R> {
    pending: Mutex<Pending<J, R>>,
    turn: Arc<tokio::sync::Mutex<()>>,
    next_ticket: AtomicU64,
}

impl<J, R> Default for Combiner<J, R> {
    fn default() -> Self {
        Self {
            pending: Mutex::new(Vec::new()),
            turn: Arc::new(tokio::sync::Mutex::new(())),
            next_ticket: AtomicU64::new(0),
        }
    }
}

impl<J, R> std::fmt::Debug for Combiner<J, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Combiner").finish_non_exhaustive()
    }
}

impl<J: Send + 'static, R: Send + 'static> Combiner<J, R> {
    /// Queues `job` and returns its result once written (with whatever else was queued) by
    /// `write`, which must return one result per job, in order.
    pub(crate) async fn submit<F, Fut>(&self, job: J, write: F) -> Result<R, Unwritten>
    where
        F: FnOnce(Vec<J>) -> Fut + Send + 'static,
        Fut: Future<Output = Vec<R>> + Send + 'static,
    {
        let (reply, mut answer) = oneshot::channel();
        let queued = std::time::Instant::now();
        let ticket = self.next_ticket.fetch_add(1, Ordering::Relaxed);
        self.lock_pending().push((ticket, job, reply));
        let turn = match tokio::time::timeout(TURN_WAIT, Arc::clone(&self.turn).lock_owned()).await
        {
            Ok(turn) => turn,
            Err(_) => {
                if self.withdraw(ticket) {
                    return Err(Unwritten::Busy);
                }
                // A leader took the job: its commit decides, and its answer comes.
                return answer.await.map_err(|_| Unwritten::Died);
            }
        };
        if let Ok(result) = answer.try_recv() {
            return Ok(result);
        }
        let batch = std::mem::take(&mut *self.lock_pending());
        let mut jobs = Vec::with_capacity(batch.len());
        let mut replies = Vec::with_capacity(batch.len());
        for (_, job, reply) in batch {
            jobs.push(job);
            replies.push(reply);
        }
        let waited = queued.elapsed();
        tokio::spawn(async move {
            let jobs_count = jobs.len();
            let started = std::time::Instant::now();
            let results = write(jobs).await;
            tracing::debug!(
                jobs = jobs_count,
                waited_us = u64::try_from(waited.as_micros()).unwrap_or(u64::MAX),
                write_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
                "group commit"
            );
            for (reply, result) in replies.into_iter().zip(results) {
                let _ = reply.send(result);
            }
            // The next leader starts only after this commit.
            drop(turn);
        });
        answer.await.map_err(|_| Unwritten::Died)
    }

    /// Takes the job with `ticket` back if no leader has taken it yet.
    fn withdraw(&self, ticket: u64) -> bool {
        let mut pending = self.lock_pending();
        match pending.iter().position(|(t, _, _)| *t == ticket) {
            Some(at) => {
                pending.remove(at);
                true
            }
            None => false,
        }
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, Pending<J, R>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn concurrent_jobs_are_written_together_and_each_gets_its_own_result() {
        let combiner: Arc<Combiner<u32, u32>> = Arc::new(Combiner::default());
        let batches = Arc::new(Mutex::new(Vec::new()));
        let mut callers = Vec::new();
        for job in 0..50u32 {
            let combiner = Arc::clone(&combiner);
            let batches = Arc::clone(&batches);
            callers.push(tokio::spawn(async move {
                combiner
                    .submit(job, move |jobs: Vec<u32>| async move {
                        batches.lock().unwrap().push(jobs.len());
                        tokio::task::yield_now().await;
                        jobs.into_iter().map(|j| j * 10).collect()
                    })
                    .await
            }));
        }
        for (job, caller) in callers.into_iter().enumerate() {
            assert_eq!(caller.await.unwrap(), Ok(job as u32 * 10));
        }
        let batches = batches.lock().unwrap();
        assert_eq!(batches.iter().sum::<usize>(), 50, "every job written once");
        assert!(batches.len() < 50, "some jobs shared a write: {batches:?}");
    }

    #[tokio::test]
    async fn a_write_that_panics_answers_none_instead_of_hanging() {
        let combiner: Combiner<u32, u32> = Combiner::default();
        let answer = combiner
            .submit(1, |_jobs: Vec<u32>| async move {
                panic!("the write failed");
                #[allow(unreachable_code)]
                Vec::new()
            })
            .await;
        assert_eq!(answer, Err(Unwritten::Died));
    }
}
