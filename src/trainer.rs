//! The parallel SGNS trainer: one rayon task per corpus shard per epoch, each re-tokenising
//! its shard, subsampling, sliding a shrinking window, and applying word2vec's updates
//! window by window (`sgns::Step`) to two shared matrices, Hogwild-style, or to per-thread
//! replicas of small ones (`replica`).
//!
//! The learning rate decays linearly from `lr` to `min_lr` with the tokens processed over
//! the whole run, η = lr − (lr − min_lr)·done/planned, read from a shared counter.

use crate::config::Config;
use crate::corpus::Corpus;
use crate::error::{Error, Result};
use crate::hogwild::HogwildMatrix;
use crate::interrupt;
use crate::kernels::SigmoidTable;
use crate::replica::Matrices;
use crate::sentences::{below, stream_rng, Scratch, Stream, Tokenizer, SHARD_BASES};
use crate::sgns::{self, Ahead, Loss, Simd, Step, Window};
use crate::vocab::{Vocab, NO_ROW};
use rand::{Rng, RngExt};
use rayon::prelude::*;
use serde::Serialize;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Loss is measured on one window in this many: it costs a table lookup per pair, and the
/// window leaves the batched step (`sgns::vector`) for the one-context-at-a-time path. One
/// in 64 rather than 16: `embed` of E. coli k 6 (1 thread) 1.039× faster (Intel Xeon VM, 9
/// alternating pairs), with ~72,000 windows still sampled there; the dna2vec run on lambda
/// phage (10 epochs) reports the same loss to three digits (0.527), though its curve's
/// points are noisier (the last three 0.470–0.516 against 0.499–0.504).
const LOSS_EVERY: usize = 64;

/// The most windows trained in one run (between reads of the learning rate).
const CENTERS_PER_CALL: u64 = 4096;

/// Shards whose corpus pages are given back in one call (`Corpus::release`): 2^20 bases,
/// 256 KiB of the corpus. Each call has the kernel flush the TLBs of the other cores the
/// process runs on, by interrupt: a 2-thread E. coli run took 579 such interrupts with a
/// call per shard, 41 with this.
const SHARDS_PER_RELEASE: usize = 64;

/// Points on the loss curve a run records (`TrainStats::loss_curve`).
const CURVE_POINTS: u64 = 100;

/// Training progress, shared with whoever renders it (the library never prints).
#[derive(Debug, Default)]
pub struct Progress {
    tokens: AtomicU64,
    planned: AtomicU64,
    loss: Mutex<LossMeter>,
}

/// The loss so far, and the curve: the mean loss of each 1/`CURVE_POINTS` of the run (at
/// sentence granularity: a point when a sentence's tokens pass the next step).
#[derive(Debug, Default)]
struct LossMeter {
    total: Loss,
    since_point: Loss,
    curve: Vec<[f64; 2]>,
}

impl Progress {
    /// Tokens processed so far, over all epochs.
    pub fn tokens(&self) -> u64 {
        self.tokens.load(Ordering::Relaxed)
    }

    /// Tokens the whole run is expected to process.
    pub fn planned(&self) -> u64 {
        self.planned.load(Ordering::Relaxed)
    }

    /// The mean loss per (input, target) pair so far, −ln σ per pair; NaN before any.
    pub fn mean_loss(&self) -> f64 {
        let meter = self.loss.lock().unwrap_or_else(|e| e.into_inner());
        meter.total.sum / meter.total.pairs as f64
    }

    /// The loss curve so far: (tokens processed, mean loss since the previous point).
    pub fn loss_curve(&self) -> Vec<[f64; 2]> {
        let meter = self.loss.lock().unwrap_or_else(|e| e.into_inner());
        let mut curve = meter.curve.clone();
        // Threads may record two points out of order.
        curve.sort_by(|a, b| a[0].total_cmp(&b[0]));
        curve
    }

    /// Sets the tokens (or updates) the run will process.
    pub(crate) fn plan(&self, planned: u64) {
        self.planned.store(planned.max(1), Ordering::Relaxed);
    }

    /// Counts `tokens` more processed, with their `loss`.
    pub(crate) fn add(&self, tokens: u64, loss: Loss) {
        let done = self.tokens.fetch_add(tokens, Ordering::Relaxed) + tokens;
        if loss.pairs > 0 {
            let mut meter = self.loss.lock().unwrap_or_else(|e| e.into_inner());
            meter.total += loss;
            meter.since_point += loss;
            // A point each time the run passes another 1/CURVE_POINTS of its plan.
            let step = (self.planned().max(1)).div_ceil(CURVE_POINTS);
            if done / step > meter.curve.len() as u64 {
                let point = [
                    done as f64,
                    meter.since_point.sum / meter.since_point.pairs as f64,
                ];
                meter.curve.push(point);
                meter.since_point = Loss::default();
            }
        }
    }
}

/// The trained matrices, rows in vocabulary order.
#[derive(Debug, Clone)]
pub struct Embeddings {
    pub dim: usize,
    /// `rows × dim` input vectors (the embedding).
    pub vectors: Vec<f32>,
    /// `rows × dim` output (context) vectors.
    pub contexts: Vec<f32>,
}

/// What training did.
#[derive(Debug, Clone, Serialize)]
pub struct TrainStats {
    /// Tokens read over all epochs (before min-count and subsampling).
    pub tokens: u64,
    /// Tokens kept by min-count and subsampling, each a window center.
    pub tokens_trained: u64,
    /// Mean loss per pair, −ln σ(±u·v), over sampled windows of the whole run.
    pub loss: f64,
    /// (tokens processed, mean loss since the previous point): a point per 1 % of the run,
    /// fewer when one sentence (in `train`, one block of 65,536 updates) spans more.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub loss_curve: Vec<[f64; 2]>,
    /// The SIMD path used.
    pub simd: String,
    pub threads: usize,
    /// Training wall-clock time (not serialised: see `pipeline::EmbedStats`).
    #[serde(skip)]
    pub seconds: f64,
}

/// Trains SGNS on the corpus's sentences for `config.epochs` epochs, on the threads of the
/// current rayon pool (`thread_pool`).
pub fn train(
    corpus: &Corpus,
    vocab: &Vocab,
    tokenizer: &Tokenizer,
    config: &Config,
    progress: &Progress,
) -> Result<(Embeddings, TrainStats)> {
    let started = Instant::now();
    let threads = rayon::current_num_threads();
    let (inputs, outputs) = initial_matrices(vocab.len(), config);
    let trainer = Trainer {
        corpus,
        vocab,
        tokenizer,
        config,
        progress,
        simd: Simd::detect_up_to(config.simd),
        matrices: Matrices::new(inputs, outputs, threads),
        trained: AtomicU64::new(0),
        share: config.contexts_per_negative_draw(),
        sigmoid: SigmoidTable::default(),
    };
    let planned = tokenizer.expected_tokens(corpus) * config.epochs as u64;
    progress.plan(planned);
    let shards = Tokenizer::shards(corpus);
    for epoch in 0..config.epochs as u64 {
        // One job per shard, so that a thread out of work can take any shard not yet
        // started: rayon otherwise runs a split range's tail as one job, which on E. coli
        // left one of 2 threads training alone for 8–92 ms at the end of the epoch (perf,
        // last training sample of each thread, 4 runs); 2–8 ms so.
        (0..shards)
            .into_par_iter()
            .with_max_len(1)
            .for_each_init(Worker::new, |worker, shard| {
                trainer.train_shard(epoch, shard, worker)
            });
    }
    interrupt::check()?;
    let stats = TrainStats {
        tokens: progress.tokens(),
        tokens_trained: trainer.trained.load(Ordering::Relaxed),
        loss: progress.mean_loss(),
        loss_curve: progress.loss_curve(),
        simd: trainer.simd.name().to_string(),
        threads,
        seconds: started.elapsed().as_secs_f64(),
    };
    let (inputs, outputs) = trainer.matrices.finish();
    Ok((Embeddings::new(inputs, outputs), stats))
}

/// The worker pool of `config`'s thread count, and that count.
pub(crate) fn thread_pool(config: &Config) -> Result<(rayon::ThreadPool, usize)> {
    let threads = config.worker_threads();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Config(format!("--threads {threads}: {e}")))?;
    Ok((pool, threads))
}

/// The matrices before training, as word2vec starts them: U uniform in ±0.5/dim, from the
/// seed's own stream, and V zero.
pub(crate) fn initial_matrices(rows: usize, config: &Config) -> (HogwildMatrix, HogwildMatrix) {
    let dim = config.dim;
    let mut init = stream_rng(config.seed, Stream::Training, u64::MAX, 0);
    (
        HogwildMatrix::from_fn(rows, dim, || (init.random::<f32>() - 0.5) / dim as f32),
        HogwildMatrix::zeros(rows, dim),
    )
}

/// The learning rate once a fraction `done` of the run is over:
/// η = lr − (lr − min_lr)·done, never below min_lr.
pub(crate) fn learning_rate(config: &Config, done: f64) -> f32 {
    let (lr, min_lr) = (config.lr, config.min_lr);
    (lr - (lr - min_lr) * done.min(1.0) as f32).max(min_lr)
}

impl Embeddings {
    /// The trained matrices, padding stripped.
    pub(crate) fn new(inputs: HogwildMatrix, outputs: HogwildMatrix) -> Self {
        Embeddings {
            dim: inputs.dim(),
            vectors: inputs.into_vec(),
            contexts: outputs.into_vec(),
        }
    }
}

/// What every worker shares.
struct Trainer<'a> {
    corpus: &'a Corpus,
    vocab: &'a Vocab,
    tokenizer: &'a Tokenizer,
    config: &'a Config,
    progress: &'a Progress,
    simd: Simd,
    /// U, one row per k-mer (the embedding), and V (the context vectors).
    matrices: Matrices,
    trained: AtomicU64,
    /// Contexts sharing one draw of negatives.
    share: usize,
    sigmoid: SigmoidTable,
}

/// One worker's buffers.
struct Worker {
    scratch: Scratch,
    rows: Vec<u32>,
    step_scratch: sgns::Scratch,
    contexts: Vec<u32>,
    noise: Vec<u32>,
    /// The next window's negatives, drawn one window ahead.
    noise_ahead: Vec<u32>,
}

impl Worker {
    fn new() -> Self {
        Worker {
            scratch: Scratch::default(),
            rows: Vec::new(),
            step_scratch: sgns::Scratch::default(),
            contexts: Vec::new(),
            noise: Vec::new(),
            noise_ahead: Vec::new(),
        }
    }
}

impl Trainer<'_> {
    /// The learning rate after `done` of `planned` tokens.
    fn learning_rate(&self) -> f32 {
        let done = self.progress.tokens() as f64 / self.progress.planned() as f64;
        learning_rate(self.config, done)
    }

    fn train_shard(&self, epoch: u64, shard: usize, worker: &mut Worker) {
        if interrupt::requested().is_some() {
            return;
        }
        let mut rng = stream_rng(self.config.seed, Stream::Training, epoch, shard as u64);
        let mut scratch = std::mem::take(&mut worker.scratch);
        let mut matrices = self.matrices.local();
        self.tokenizer
            .for_each_sentence(self.corpus, epoch, shard, &mut scratch, |ids| {
                if interrupt::requested().is_some() {
                    return;
                }
                worker.rows.clear();
                for &id in ids {
                    let row = self.vocab.row(id);
                    if row != NO_ROW && self.vocab.keep(row, rng.next_u32()) {
                        worker.rows.push(row);
                    }
                }
                // Windows in runs that end where a replica's merge is due.
                let (mut loss, mut start) = (Loss::default(), 0);
                while start < worker.rows.len() {
                    let run = matrices.tokens_to_merge().min(CENTERS_PER_CALL) as usize;
                    let centers = start..(start + run).min(worker.rows.len());
                    start = centers.end;
                    loss += matrices.train(centers.len() as u64, |inputs, outputs| {
                        self.train_windows(worker, inputs, outputs, centers, &mut rng)
                    });
                }
                self.trained
                    .fetch_add(worker.rows.len() as u64, Ordering::Relaxed);
                self.progress.add(ids.len() as u64, loss);
            });
        worker.scratch = scratch;
        // The group's pages once its last shard is done (a shard of it that another thread
        // still reads faults its page back in).
        let end = shard + 1;
        if end.is_multiple_of(SHARDS_PER_RELEASE) || end == Tokenizer::shards(self.corpus) {
            let first = shard / SHARDS_PER_RELEASE * SHARDS_PER_RELEASE;
            self.corpus
                .release(first as u64 * SHARD_BASES, end as u64 * SHARD_BASES);
        }
    }

    /// Slides the window over one sentence of rows and trains the windows of the
    /// `centers` (`sgns::Step::train`).
    fn train_windows(
        &self,
        worker: &mut Worker,
        inputs: &HogwildMatrix,
        outputs: &HogwildMatrix,
        centers: Range<usize>,
        rng: &mut impl Rng,
    ) -> Loss {
        let Worker {
            rows,
            step_scratch,
            contexts,
            noise,
            noise_ahead,
            ..
        } = worker;
        let mut step = Step {
            lr: self.learning_rate(),
            l2: self.config.l2,
            negatives: self.config.negatives,
            share: self.share,
            with_loss: false,
            simd: self.simd,
        };
        let mut loss = Loss::default();
        let end = centers.end;
        let mut drawn_ahead = None;
        for center_pos in centers {
            let b = match drawn_ahead.take() {
                Some(b) => {
                    std::mem::swap(noise, noise_ahead);
                    b
                }
                None => self.draw_window(&step, rows, center_pos, rng, noise),
            };
            // The next window's draws now, in the same order of draws (so the same output),
            // so that its negatives' rows are on their way while this window trains (the
            // kernel prefetches them, `sgns::Ahead`): 1.2 % faster on 1 thread on an Intel
            // Xeon VM when prefetched here at once (7 alternating pairs; on a Zen 5 VM,
            // whose L3 is nearer, it had measured 0.98×); without the prefetches 0.958×.
            // Drawing two or four windows ahead did no better (0.996×, 0.965×).
            let mut next_negatives: &[u32] = &[];
            if center_pos + 1 < end {
                drawn_ahead = Some(self.draw_window(&step, rows, center_pos + 1, rng, noise_ahead));
                next_negatives = noise_ahead;
            }
            // And the rows the next windows meet first: the next center's target row and
            // the context entering the window.
            let ahead = Ahead::new(
                &step,
                next_negatives,
                rows.get(center_pos + 1).copied(),
                (rows.get(center_pos + self.config.window + 1))
                    .map(std::slice::from_ref)
                    .unwrap_or_default(),
            );
            let (from, to) = (
                center_pos.saturating_sub(b),
                (center_pos + b + 1).min(rows.len()),
            );
            contexts.clear();
            contexts.extend_from_slice(&rows[from..center_pos]);
            contexts.extend_from_slice(&rows[center_pos + 1..to]);
            step.with_loss = center_pos % LOSS_EVERY == 0;
            let window = Window {
                center: rows[center_pos],
                contexts,
                noise,
                ahead,
            };
            step.train(
                inputs,
                outputs,
                &window,
                &self.sigmoid,
                step_scratch,
                &mut loss,
            );
        }
        loss
    }

    /// Draws the window size b of the center at `center_pos`, uniform in 1..=window as in
    /// word2vec, and the negatives its window needs into `noise`.
    fn draw_window(
        &self,
        step: &Step,
        rows: &[u32],
        center_pos: usize,
        rng: &mut impl Rng,
        noise: &mut Vec<u32>,
    ) -> usize {
        let b = 1 + below(rng.next_u32(), self.config.window as u32) as usize;
        let contexts = center_pos.min(b) + (rows.len() - 1 - center_pos).min(b);
        noise.clear();
        for _ in 0..step.noise_needed(contexts) {
            let negative = self.vocab.draw_noise(rng.next_u64());
            noise.push(negative);
        }
        b
    }
}
