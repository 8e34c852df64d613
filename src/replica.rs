//! The two matrices training updates, and per-thread replicas of small ones, against
//! contention on small vocabularies.
//!
//! With few rows (fixed k 6: 4,096) every thread updates every row all the time, so under
//! Hogwild each row's cache lines move from core to core on nearly every access. Measured
//! on 2 cores (E. coli 6-mers), threads training on private matrices ran 1.85× faster
//! than one thread, but only 1.5× when sharing them. So on a small vocabulary each thread
//! trains its own copy W of both matrices, and every `merge_every` tokens folds its
//! progress into the shared matrices S by delta, from the values B it last saw:
//!
//!   S ← S + (W − B),   W ← S,   B ← S,
//!
//! row block by row block under a lock per block, so no update is lost. Other threads'
//! work reaches a thread at its next merge instead of within nanoseconds, and a merge adds
//! deltas walked from stale starting points. If each thread's walk of L tokens takes a row
//! a fraction f of the way to where its gradient points, T merged walks take it T·f of
//! the way: past it, oscillating, once T·f > 1, and diverging once T·f > 2. f grows with
//! a row's updates in L tokens, L/rows. So L must shrink with T and grow with the rows.
//! Measured (E. coli, PMI correlation; one thread: k 6 0.705–0.710, k 4 0.947), with
//! where each thread count broke:
//!
//! | rows (k) | T | good | broken |
//! |---|---|---|---|
//! | 4,096 (6) | 2 | L = 32,768: 0.702–0.711 | 65,536: 0.66–0.68 |
//! | 4,096 (6) | 3 | 21,845: 0.708–0.715 | 32,768: 0.62–0.69; 43,690: 0.11–0.50 |
//! | 4,096 (6) | 4 | 8,192: 0.718–0.722 | 16,384: diverged (r 0.05) |
//! | 256 (4) | 2 | 2,048: 0.949–0.950 | 65,536: 0.876 |
//! | 256 (4) | 3 | 682: 0.948–0.949 | 16,384: 0.708 |
//! | 256 (4) | 4 | 341: 0.946–0.948 | 8,192: diverged |
//!
//! The breaks lie at L·T(T−1)/rows between 32 and 48 on k 6 (at 16 or less it learns as one
//! thread does), so L = 16·rows / (T(T−1)): 32,768 for k 6 on 2 threads, 5,461 on 4, 2,048
//! for k 4 on 2 (k 6 on 3 threads, L = 10,922: 0.697–0.708; two seeds each). A merge
//! streams three copies of both matrices through the cache, 6·rows·stride floats, so its
//! cost per token grows as T(T−1): 336 bytes a token on 2 threads, 2 KiB on 4, 9 KiB on 8,
//! more than training itself. So replicas serve up to `REPLICA_MAX_THREADS` threads; above
//! it threads share the matrices (Hogwild: k 6 on 8 threads r 0.698–0.703), as one thread
//! always does.
//!
//! A merge is a sweep, block by block. Merging one row at a time instead, between windows
//! (round the rows, each every L tokens, so that the loads might hide behind training),
//! measured slower on 2 threads (1.34–1.45 s against 1.26–1.37 s a run, with the next
//! row's lines prefetched): the merge's share of the profile grew, since a row's lines,
//! cold by then, still came one miss after another.

use crate::hogwild::HogwildMatrix;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Vocabularies up to this many rows get replicas: above it, threads rarely meet on a row.
pub const REPLICA_MAX_ROWS: usize = 8192;

/// Pools of up to this many threads get replicas: above it, the merge interval that keeps
/// the merged deltas stable (module docs) makes merging cost more than contention.
pub const REPLICA_MAX_THREADS: usize = 4;

/// The fewest tokens between merges.
const MIN_MERGE_EVERY: u64 = 64;

/// Row blocks locked separately while merging.
const BLOCKS: usize = 64;

/// The matrices training updates: U (inputs, the embedding) and V (outputs, the context
/// vectors), shared by every thread, with per-thread replicas when they are small.
pub struct Matrices {
    inputs: HogwildMatrix,
    outputs: HogwildMatrix,
    replicas: Option<Replicas>,
}

impl Matrices {
    /// The starting matrices, for a pool of `threads` threads.
    pub fn new(inputs: HogwildMatrix, outputs: HogwildMatrix, threads: usize) -> Self {
        let replicas = ((2..=REPLICA_MAX_THREADS).contains(&threads)
            && inputs.rows() <= REPLICA_MAX_ROWS)
            .then(|| Replicas::new(threads, inputs.rows()));
        Matrices {
            inputs,
            outputs,
            replicas,
        }
    }

    /// The calling thread's matrices for one task: its replica, made on first use, or
    /// the shared matrices.
    pub fn local(&self) -> Local<'_> {
        let replica = (self.replicas.as_ref())
            .and_then(|replicas| replicas.current(&self.inputs, &self.outputs));
        Local {
            matrices: self,
            replica,
        }
    }

    /// The trained (U, V), every replica's last work merged in.
    pub fn finish(self) -> (HogwildMatrix, HogwildMatrix) {
        if let Some(replicas) = &self.replicas {
            replicas.merge_all(&self.inputs, &self.outputs);
        }
        (self.inputs, self.outputs)
    }
}

/// One task's view of the matrices (`Matrices::local`).
pub struct Local<'a> {
    matrices: &'a Matrices,
    replica: Option<MutexGuard<'a, Option<Replica>>>,
}

impl Local<'_> {
    /// Tokens this thread may train before its next merge is due; unbounded without one.
    pub fn tokens_to_merge(&self) -> u64 {
        match (
            &self.matrices.replicas,
            self.replica.as_deref().and_then(Option::as_ref),
        ) {
            (Some(replicas), Some(replica)) => replicas
                .merge_every
                .saturating_sub(replica.since_merge)
                .max(1),
            _ => u64::MAX,
        }
    }

    /// Runs `train` on (U, V) of this thread, then counts its `tokens` towards the next
    /// merge and merges when one is due.
    pub fn train<R>(
        &mut self,
        tokens: u64,
        train: impl FnOnce(&HogwildMatrix, &HogwildMatrix) -> R,
    ) -> R {
        let Matrices {
            inputs,
            outputs,
            replicas,
        } = self.matrices;
        match (
            replicas,
            self.replica.as_deref_mut().and_then(Option::as_mut),
        ) {
            (Some(replicas), Some(replica)) => {
                let result = train(&replica.inputs, &replica.outputs);
                replica.since_merge += tokens;
                if replica.since_merge >= replicas.merge_every {
                    replicas.merge(replica, inputs, outputs);
                }
                result
            }
            _ => train(inputs, outputs),
        }
    }
}

/// One thread's copy of the two matrices.
struct Replica {
    /// W of the input matrix U.
    inputs: HogwildMatrix,
    /// W of the output matrix V.
    outputs: HogwildMatrix,
    input_base: Vec<f32>,
    output_base: Vec<f32>,
    /// Tokens trained since the last merge.
    since_merge: u64,
}

/// The replicas of a thread pool, one slot per thread, created when a thread first trains.
struct Replicas {
    slots: Vec<Mutex<Option<Replica>>>,
    blocks: Vec<Mutex<()>>,
    /// L, the tokens a thread trains between merges.
    merge_every: u64,
}

impl Replicas {
    /// Slots for a pool of `threads` threads, on matrices of `rows` rows.
    fn new(threads: usize, rows: usize) -> Self {
        Replicas {
            slots: (0..threads).map(|_| Mutex::new(None)).collect(),
            blocks: (0..BLOCKS).map(|_| Mutex::new(())).collect(),
            merge_every: merge_every(threads, rows),
        }
    }

    /// The calling pool thread's replica, made from the shared matrices on first use;
    /// `None` outside the pool.
    fn current(
        &self,
        inputs: &HogwildMatrix,
        outputs: &HogwildMatrix,
    ) -> Option<MutexGuard<'_, Option<Replica>>> {
        let slot = self.slots.get(rayon::current_thread_index()?)?;
        // Only its own thread locks a slot (and `merge_all` after training): never waits.
        let mut guard = slot.lock().unwrap_or_else(PoisonError::into_inner);
        if guard.is_none() {
            // B is a copy of W, not a second read of S: another thread may merge between
            // two reads, and W − B would then take its delta back out.
            let (inputs, outputs) = (inputs.snapshot(), outputs.snapshot());
            *guard = Some(Replica {
                input_base: inputs.padded_values(),
                output_base: outputs.padded_values(),
                inputs,
                outputs,
                since_merge: 0,
            });
        }
        Some(guard)
    }

    /// Folds a replica into the shared matrices (module docs). Threads start at different
    /// blocks, so that they rarely wait for one another.
    fn merge(&self, replica: &mut Replica, inputs: &HogwildMatrix, outputs: &HogwildMatrix) {
        let rows = inputs.rows();
        let start = rayon::current_thread_index().unwrap_or(0) * BLOCKS / self.slots.len();
        for k in 0..BLOCKS {
            let block = (start + k) % BLOCKS;
            let range = block * rows / BLOCKS..(block + 1) * rows / BLOCKS;
            let _lock = self.blocks[block]
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            inputs.merge_replica(&replica.inputs, &mut replica.input_base, range.clone());
            outputs.merge_replica(&replica.outputs, &mut replica.output_base, range);
        }
        replica.since_merge = 0;
    }

    /// Folds every replica into the shared matrices, once training is over.
    fn merge_all(&self, inputs: &HogwildMatrix, outputs: &HogwildMatrix) {
        for slot in &self.slots {
            let mut guard = slot.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(replica) = guard.as_mut() {
                self.merge(replica, inputs, outputs);
            }
        }
    }
}

/// L = 16·rows / (T(T−1)) for T `threads` (module docs).
fn merge_every(threads: usize, rows: usize) -> u64 {
    let pairs = (threads * threads.saturating_sub(1)).max(1) as u64;
    (16 * rows as u64 / pairs).max(MIN_MERGE_EVERY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;

    #[test]
    fn merge_interval_follows_rows_and_threads() {
        assert_eq!(merge_every(2, 4096), 32_768);
        assert_eq!(merge_every(4, 4096), 5_461);
        assert_eq!(merge_every(3, 256), 682);
        assert_eq!(merge_every(4, 16), MIN_MERGE_EVERY);
    }

    /// Threads' work on their replicas, merged along the way and at the end, all lands in
    /// the shared matrices: no update is lost.
    #[test]
    fn no_update_is_lost() {
        let (rows, dim, tasks) = (4, 3, 400);
        let matrices = Matrices::new(
            HogwildMatrix::from_vec(vec![0.0; rows * dim], dim),
            HogwildMatrix::from_vec(vec![0.0; rows * dim], dim),
            2,
        );
        assert!(matrices.replicas.is_some());
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let ones = vec![1.0; 16];
        pool.install(|| {
            (0..tasks).into_par_iter().for_each(|task| {
                // 1,000 tokens a task: a thread merges every 33 tasks.
                matrices.local().train(1000, |inputs, outputs| {
                    inputs.add_to_row(task as u32 % rows as u32, &ones);
                    outputs.add_to_row(0, &ones);
                });
            })
        });
        let (inputs, outputs) = matrices.finish();
        let per_row = (tasks / rows) as f32;
        assert_eq!(inputs.into_vec(), vec![per_row; rows * dim]);
        let mut expected = vec![0.0; rows * dim];
        expected[..dim].fill(tasks as f32);
        assert_eq!(outputs.into_vec(), expected);
    }

    #[test]
    fn one_thread_trains_the_shared_matrices() {
        let matrices = Matrices::new(
            HogwildMatrix::from_vec(vec![0.0; 4], 2),
            HogwildMatrix::from_vec(vec![0.0; 4], 2),
            1,
        );
        assert!(matrices.replicas.is_none());
        matrices
            .local()
            .train(1, |inputs, _| inputs.add_to_row(1, &[2.0; 16]));
        assert_eq!(matrices.finish().0.into_vec(), vec![0.0, 0.0, 2.0, 2.0]);
    }
}
