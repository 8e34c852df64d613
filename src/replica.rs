//! Per-thread replicas of small matrices, against contention on small vocabularies.
//!
//! With few rows (fixed k 6: 4,096) every thread updates every row all the time, so under
//! Hogwild each row's cache lines move from core to core on nearly every access. Measured
//! on 2 cores (E. coli 6-mers), threads training on private matrices ran 1.85× faster
//! than one thread, but only 1.5× when sharing them. So on a small vocabulary each thread
//! trains its own copy W of both matrices, and every `MERGE_EVERY` tokens folds its
//! progress into the shared matrices S by delta, from the values B it last saw:
//!
//!   S ← S + (W − B),   W ← S,   B ← S,
//!
//! row block by row block under a lock per block, so no update is lost. Other threads'
//! work reaches a thread at its next merge, up to `MERGE_EVERY` tokens late, instead of
//! within nanoseconds. How late is too late was measured (2 threads, E. coli 6-mers, PMI
//! correlation of the 2-thread model; one thread: 0.707, Hogwild on 2 threads: 0.705):
//! merging every 8,192 tokens gave 0.704–0.708, every 16,384 0.708–0.711, every 32,768
//! 0.709–0.712, but every 65,536 only 0.60–0.63: the threads' deltas, each a long walk from
//! the same start, then add up to an overshoot. A merge moves both matrices through the
//! cache (7 % of the time at 8,192), so 16,384 it is, well clear of the cliff. One thread
//! trains the shared matrices directly, as before.

use crate::hogwild::HogwildMatrix;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Vocabularies up to this many rows get replicas: above it, threads rarely meet on a row.
pub const REPLICA_MAX_ROWS: usize = 8192;

/// Tokens a thread trains between merges.
pub const MERGE_EVERY: u64 = 16_384;

/// Row blocks locked separately while merging.
const BLOCKS: usize = 64;

/// One thread's copy of the two matrices.
pub struct Replica {
    /// W of the input matrix U.
    pub inputs: HogwildMatrix,
    /// W of the output matrix V.
    pub outputs: HogwildMatrix,
    input_base: Vec<f32>,
    output_base: Vec<f32>,
    /// Tokens trained since the last merge.
    pub since_merge: u64,
}

/// The replicas of a thread pool, one slot per thread, created when a thread first trains.
pub struct Replicas {
    slots: Vec<Mutex<Option<Replica>>>,
    blocks: Vec<Mutex<()>>,
}

impl Replicas {
    /// Slots for a pool of `threads` threads.
    pub fn new(threads: usize) -> Self {
        Replicas {
            slots: (0..threads).map(|_| Mutex::new(None)).collect(),
            blocks: (0..BLOCKS).map(|_| Mutex::new(())).collect(),
        }
    }

    /// The calling pool thread's replica, made from the shared matrices on first use;
    /// `None` outside the pool.
    pub fn current(
        &self,
        inputs: &HogwildMatrix,
        outputs: &HogwildMatrix,
    ) -> Option<MutexGuard<'_, Option<Replica>>> {
        let slot = self.slots.get(rayon::current_thread_index()?)?;
        // Only its own thread locks a slot (and `merge_all` after training): never waits.
        let mut guard = slot.lock().unwrap_or_else(PoisonError::into_inner);
        if guard.is_none() {
            *guard = Some(Replica {
                inputs: inputs.snapshot(),
                outputs: outputs.snapshot(),
                input_base: inputs.padded_values(),
                output_base: outputs.padded_values(),
                since_merge: 0,
            });
        }
        Some(guard)
    }

    /// Folds a replica into the shared matrices (module docs). Threads start at different
    /// blocks, so that they rarely wait for one another.
    pub fn merge(&self, replica: &mut Replica, inputs: &HogwildMatrix, outputs: &HogwildMatrix) {
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
    pub fn merge_all(&self, inputs: &HogwildMatrix, outputs: &HogwildMatrix) {
        for slot in &self.slots {
            let mut guard = slot.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(replica) = guard.as_mut() {
                self.merge(replica, inputs, outputs);
            }
        }
    }
}
