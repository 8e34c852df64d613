//! The parallel SGNS trainer: one rayon task per corpus shard per epoch, each re-tokenising
//! its shard, subsampling, sliding a shrinking window, and applying batched updates
//! (`sgns::WindowBatch`) to two shared matrices, Hogwild-style.
//!
//! The learning rate decays linearly from `lr` to `min_lr` with the tokens processed over
//! the whole run, η = lr − (lr − min_lr)·done/planned, read from a shared counter.

use crate::config::Config;
use crate::corpus::Corpus;
use crate::error::{Error, Result};
use crate::hogwild::{padded, HogwildMatrix};
use crate::kernels::{self, SigmoidTable};
use crate::sentences::{below, stream_rng, Scratch, Stream, Tokenizer};
use crate::sgns::{Simd, WindowBatch};
use crate::vocab::{Vocab, NO_ROW};
use rand::{Rng, RngExt};
use rayon::prelude::*;
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Loss is measured on one window in this many (it costs a logarithm per pair).
const LOSS_EVERY: usize = 16;

/// Training progress, shared with whoever renders it (the library never prints).
#[derive(Debug, Default)]
pub struct Progress {
    tokens: AtomicU64,
    planned: AtomicU64,
    loss: Mutex<LossMeter>,
}

/// A running mean of the loss per pair.
#[derive(Debug, Default, Clone, Copy)]
struct LossMeter {
    sum: f64,
    pairs: u64,
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
        let meter = *self.loss.lock().unwrap_or_else(|e| e.into_inner());
        meter.sum / meter.pairs as f64
    }

    fn add(&self, tokens: u64, loss: LossMeter) {
        self.tokens.fetch_add(tokens, Ordering::Relaxed);
        if loss.pairs > 0 {
            let mut meter = self.loss.lock().unwrap_or_else(|e| e.into_inner());
            meter.sum += loss.sum;
            meter.pairs += loss.pairs;
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
    /// The SIMD path used.
    pub simd: String,
    pub threads: usize,
    /// Training wall-clock time (not serialised: see `pipeline::EmbedStats`).
    #[serde(skip)]
    pub seconds: f64,
}

/// Trains SGNS on the corpus's sentences for `config.epochs` epochs.
pub fn train(
    corpus: &Corpus,
    vocab: &Vocab,
    tokenizer: &Tokenizer,
    config: &Config,
    progress: &Progress,
) -> Result<(Embeddings, TrainStats)> {
    let started = Instant::now();
    let threads = config.worker_threads();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Config(format!("--threads {threads}: {e}")))?;
    let dim = config.dim;
    let mut init = stream_rng(config.seed, Stream::Training, u64::MAX, 0);
    let vectors = (0..vocab.len() * dim)
        .map(|_| (init.random::<f32>() - 0.5) / dim as f32)
        .collect();
    let trainer = Trainer {
        corpus,
        vocab,
        tokenizer,
        config,
        progress,
        simd: Simd::detect(),
        inputs: HogwildMatrix::from_vec(vectors, dim),
        outputs: HogwildMatrix::from_vec(vec![0.0; vocab.len() * dim], dim),
        trained: AtomicU64::new(0),
        group: match config.share_negatives {
            0 => usize::MAX,
            n => n,
        },
        sigmoid: SigmoidTable::default(),
    };
    let planned = tokenizer.expected_tokens(corpus) * config.epochs as u64;
    progress.planned.store(planned.max(1), Ordering::Relaxed);
    let shards = Tokenizer::shards(corpus);
    pool.install(|| {
        for epoch in 0..config.epochs as u64 {
            (0..shards).into_par_iter().for_each_init(
                || Worker::new(config),
                |worker, shard| trainer.train_shard(epoch, shard, worker),
            );
        }
    });
    let stats = TrainStats {
        tokens: progress.tokens(),
        tokens_trained: trainer.trained.load(Ordering::Relaxed),
        loss: progress.mean_loss(),
        simd: trainer.simd.name().to_string(),
        threads,
        seconds: started.elapsed().as_secs_f64(),
    };
    let embeddings = Embeddings {
        dim,
        vectors: trainer.inputs.into_vec(),
        contexts: trainer.outputs.into_vec(),
    };
    Ok((embeddings, stats))
}

/// What every worker shares.
struct Trainer<'a> {
    corpus: &'a Corpus,
    vocab: &'a Vocab,
    tokenizer: &'a Tokenizer,
    config: &'a Config,
    progress: &'a Progress,
    simd: Simd,
    /// U: one row per k-mer, the embedding.
    inputs: HogwildMatrix,
    /// V: one row per k-mer, the context vectors.
    outputs: HogwildMatrix,
    trained: AtomicU64,
    /// Contexts per batched update (one draw of negatives each).
    group: usize,
    sigmoid: SigmoidTable,
}

/// One worker's buffers.
struct Worker {
    scratch: Scratch,
    rows: Vec<u32>,
    batch: WindowBatch,
    targets: Vec<u32>,
}

impl Worker {
    fn new(config: &Config) -> Self {
        Worker {
            scratch: Scratch::default(),
            rows: Vec::new(),
            batch: WindowBatch::new(
                padded(config.dim),
                (2 * config.window).max(3),
                config.negatives,
            ),
            targets: vec![0; config.negatives + 1],
        }
    }
}

impl Trainer<'_> {
    /// The learning rate after `done` of `planned` tokens.
    fn learning_rate(&self) -> f32 {
        let (lr, min_lr) = (self.config.lr, self.config.min_lr);
        let done = self.progress.tokens() as f64 / self.progress.planned() as f64;
        (lr - (lr - min_lr) * done.min(1.0) as f32).max(min_lr)
    }

    fn train_shard(&self, epoch: u64, shard: usize, worker: &mut Worker) {
        let mut rng = stream_rng(self.config.seed, Stream::Training, epoch, shard as u64);
        let Worker {
            scratch,
            rows,
            batch,
            targets,
        } = worker;
        self.tokenizer
            .for_each_sentence(self.corpus, epoch, shard, scratch, |ids| {
                rows.clear();
                for &id in ids {
                    let row = self.vocab.row(id);
                    if row != NO_ROW && self.vocab.keep(row, rng.next_u32()) {
                        rows.push(row);
                    }
                }
                let loss = self.train_sentence(rows, batch, targets, &mut rng);
                self.trained.fetch_add(rows.len() as u64, Ordering::Relaxed);
                self.progress.add(ids.len() as u64, loss);
            });
    }

    /// Trains one sentence with the best SIMD path of the running CPU.
    fn train_sentence(
        &self,
        rows: &[u32],
        batch: &mut WindowBatch,
        targets: &mut [u32],
        rng: &mut impl Rng,
    ) -> LossMeter {
        #[cfg(target_arch = "x86_64")]
        if self.simd.avx2_fma() {
            // SAFETY: `self.simd` proves the CPU has AVX2 and FMA.
            return unsafe { self.train_sentence_avx2(rows, batch, targets, rng) };
        }
        self.train_sentence_with::<false>(rows, batch, targets, rng)
    }

    /// `train_sentence_with` compiled for AVX2 and FMA: the kernels, row copies and row
    /// updates all inline into this one function.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn train_sentence_avx2(
        &self,
        rows: &[u32],
        batch: &mut WindowBatch,
        targets: &mut [u32],
        rng: &mut impl Rng,
    ) -> LossMeter {
        self.train_sentence_with::<true>(rows, batch, targets, rng)
    }

    /// One sentence, batched by window or pair by pair as `--share-negatives` says.
    #[inline(always)]
    fn train_sentence_with<const AVX2: bool>(
        &self,
        rows: &[u32],
        batch: &mut WindowBatch,
        targets: &mut [u32],
        rng: &mut impl Rng,
    ) -> LossMeter {
        if self.group == 1 {
            self.train_pairs::<AVX2>(rows, batch, targets, rng)
        } else {
            self.train_batched::<AVX2>(rows, batch, targets, rng)
        }
    }

    /// word2vec's update, pair by pair and in place (`--share-negatives 1`): for each
    /// context c of center w, K fresh negatives; for each target t with label y,
    /// g = η·(y − σ(u_c·v_t)), e += g·v_t, v_t += g·u_c; finally u_c += e.
    #[inline(always)]
    fn train_pairs<const AVX2: bool>(
        &self,
        rows: &[u32],
        batch: &mut WindowBatch,
        targets: &mut [u32],
        rng: &mut impl Rng,
    ) -> LossMeter {
        let (stride, window) = (self.inputs.stride(), self.config.window);
        let lr = self.learning_rate();
        let decay = -lr * self.config.l2;
        let mut loss = LossMeter::default();
        // Reuse the batch buffers: the context row, its update, and a scratch row.
        let (context_row, rest) = batch.inputs_mut().split_at_mut(stride);
        let (error, scratch) = rest.split_at_mut(stride);
        // Negatives are drawn one pair ahead and their rows prefetched.
        let mut upcoming: Vec<u32> = (1..targets.len())
            .map(|_| self.vocab.draw_noise(rng.next_u64()))
            .collect();
        for (center_pos, &center) in rows.iter().enumerate() {
            let b = 1 + below(rng.next_u32(), window as u32) as usize;
            let from = center_pos.saturating_sub(b);
            let to = (center_pos + b + 1).min(rows.len());
            let with_loss = center_pos % LOSS_EVERY == 0;
            if let Some(&entering) = rows.get(center_pos + window + 1) {
                self.inputs.prefetch_row(entering);
            }
            if let Some(&next) = rows.get(center_pos + 1) {
                self.outputs.prefetch_row(next);
            }
            for pos in (from..to).filter(|&p| p != center_pos) {
                let context = rows[pos];
                self.inputs.read_row(context, context_row);
                error[..stride].fill(0.0);
                targets[0] = center;
                for (target, upcoming) in targets[1..].iter_mut().zip(upcoming.iter_mut()) {
                    *target = *upcoming;
                    *upcoming = self.vocab.draw_noise(rng.next_u64());
                    self.outputs.prefetch_row(*upcoming);
                }
                for (j, &target) in targets.iter().enumerate() {
                    if j > 0 && target == center {
                        continue;
                    }
                    let p = self
                        .sigmoid
                        .sigmoid(self.outputs.dot_row::<AVX2>(target, context_row));
                    let label = if j == 0 { 1.0 } else { 0.0 };
                    if with_loss {
                        let likelihood = if j == 0 { p } else { 1.0 - p };
                        loss.sum -= (likelihood.max(1e-7) as f64).ln();
                        loss.pairs += 1;
                    }
                    let g = lr * (label - p);
                    self.outputs.axpy_from_row::<AVX2>(target, g, error);
                    if decay != 0.0 {
                        self.outputs.read_row(target, scratch);
                        self.outputs.axpy_to_row::<AVX2>(target, decay, scratch);
                    }
                    self.outputs.axpy_to_row::<AVX2>(target, g, context_row);
                }
                if decay != 0.0 {
                    kernels::axpy::<AVX2>(decay, context_row, error);
                }
                self.inputs.add_to_row(context, error);
            }
        }
        loss
    }

    /// Slides the window over one sentence of rows; each group of contexts gets one batched
    /// update against the center and a draw of negatives. Negatives are drawn one group
    /// ahead, and their rows prefetched, so that the cache misses of random rows overlap
    /// with the arithmetic of the current group.
    #[inline(always)]
    fn train_batched<const AVX2: bool>(
        &self,
        rows: &[u32],
        batch: &mut WindowBatch,
        targets: &mut [u32],
        rng: &mut impl Rng,
    ) -> LossMeter {
        let mut contexts = Vec::with_capacity(2 * self.config.window);
        let (stride, window) = (self.inputs.stride(), self.config.window);
        let lr = self.learning_rate();
        let mut loss = LossMeter::default();
        let negatives = targets.len() - 1;
        let mut upcoming: Vec<u32> = (0..negatives)
            .map(|_| self.vocab.draw_noise(rng.next_u64()))
            .collect();
        for (center_pos, &center) in rows.iter().enumerate() {
            // The effective window b is uniform in 1..=window, as in word2vec.
            let b = 1 + below(rng.next_u32(), window as u32) as usize;
            let from = center_pos.saturating_sub(b);
            let to = (center_pos + b + 1).min(rows.len());
            contexts.clear();
            contexts.extend(
                rows[from..center_pos]
                    .iter()
                    .chain(&rows[center_pos + 1..to]),
            );
            if let Some(&next) = rows.get(center_pos + 1) {
                self.outputs.prefetch_row(next);
            }
            if let Some(&entering) = rows.get(center_pos + window + 1) {
                self.inputs.prefetch_row(entering);
            }
            let with_loss = center_pos % LOSS_EVERY == 0;
            for group in contexts.chunks(self.group) {
                for (r, &context) in group.iter().enumerate() {
                    self.inputs
                        .read_row(context, &mut batch.inputs_mut()[r * stride..]);
                }
                targets[0] = center;
                batch.skip[0] = false;
                self.outputs
                    .read_row(center, &mut batch.targets_mut()[..stride]);
                for (j, upcoming) in upcoming.iter_mut().enumerate() {
                    let negative = *upcoming;
                    targets[j + 1] = negative;
                    batch.skip[j + 1] = negative == center;
                    self.outputs
                        .read_row(negative, &mut batch.targets_mut()[(j + 1) * stride..]);
                    *upcoming = self.vocab.draw_noise(rng.next_u64());
                    self.outputs.prefetch_row(*upcoming);
                }
                let m = group.len();
                loss.sum += batch.step::<AVX2>(m, lr, self.config.l2, with_loss);
                if with_loss {
                    loss.pairs += (m * batch.skip.iter().filter(|&&s| !s).count()) as u64;
                }
                for (r, &context) in group.iter().enumerate() {
                    self.inputs
                        .add_to_row(context, &batch.input_deltas[r * stride..]);
                }
                for (j, &target) in targets.iter().enumerate() {
                    if !batch.skip[j] {
                        self.outputs
                            .add_to_row(target, &batch.target_deltas[j * stride..]);
                    }
                }
            }
        }
        loss
    }
}
