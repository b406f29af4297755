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
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

/// Combines jobs `J` whose results are `R`.
pub(crate) struct Combiner<J, R> {
    pending: Mutex<Vec<(J, oneshot::Sender<R>)>>,
    turn: Arc<tokio::sync::Mutex<()>>,
}

impl<J, R> Default for Combiner<J, R> {
    fn default() -> Self {
        Self {
            pending: Mutex::new(Vec::new()),
            turn: Arc::new(tokio::sync::Mutex::new(())),
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
    /// `write`, which must return one result per job, in order. `None`: the write task died
    /// (a panic) before answering, so whether the job was committed is unknown.
    pub(crate) async fn submit<F, Fut>(&self, job: J, write: F) -> Option<R>
    where
        F: FnOnce(Vec<J>) -> Fut + Send + 'static,
        Fut: Future<Output = Vec<R>> + Send + 'static,
    {
        let (reply, mut answer) = oneshot::channel();
        self.lock_pending().push((job, reply));
        let turn = Arc::clone(&self.turn).lock_owned().await;
        if let Ok(result) = answer.try_recv() {
            return Some(result);
        }
        let batch = std::mem::take(&mut *self.lock_pending());
        let (jobs, replies): (Vec<J>, Vec<oneshot::Sender<R>>) = batch.into_iter().unzip();
        tokio::spawn(async move {
            let results = write(jobs).await;
            for (reply, result) in replies.into_iter().zip(results) {
                let _ = reply.send(result);
            }
            // The next leader starts only after this commit.
            drop(turn);
        });
        answer.await.ok()
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, Vec<(J, oneshot::Sender<R>)>> {
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
            assert_eq!(caller.await.unwrap(), Some(job as u32 * 10));
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
        assert_eq!(answer, None);
    }
}
