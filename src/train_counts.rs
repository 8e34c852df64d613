//! SGNS from co-occurrence counts (`kmer2vec train ALL.k2c`), in `embed`'s windows: a
//! center w drawn in proportion to X_w = Σ_c X_wc, b uniform in 1..=window and 2b contexts
//! c drawn from w's row in proportion to X_wc, one draw of negatives (count^α) shared by
//! the window, and `embed`'s `sgns::Step` on it, on per-thread replicas for small
//! vocabularies. So every pair is drawn in proportion to X_wc, as in a corpus whose window
//! counts X are; its cost is the number of updates asked for, whatever the size of the
//! genome behind the counts.
//!
//! The updates are split into blocks of `BLOCK` pairs, each drawn from its own random stream
//! (seed, block), so `--threads 1` is deterministic and the draws do not depend on the
//! thread count; the learning rate decays linearly over the updates.

use crate::alias::{AliasTable, SegmentedAlias};
use crate::config::{Config, KRange};
use crate::error::{Error, Result};
use crate::interrupt;
use crate::k2c::{CountStats, Counts};
use crate::kernels::SigmoidTable;
use crate::kmer_index::KmerIndex;
use crate::model::{Model, PARAMS_KEY, STATS_KEY, VERSION_KEY};
use crate::pipeline::{check_output, to_json, write_model, VERSION};
use crate::replica::Matrices;
use crate::sentences::{below, stream_rng, Stream};
use crate::sgns::{self, Ahead, Loss, Simd, Step, Window};
use crate::trainer::{
    initial_matrices, learning_rate, thread_pool, Embeddings, Progress, TrainStats,
};
use crate::vocab::{Vocab, NO_ROW};
use rand::Rng;
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// What `train` reports, recorded as `kmer2vec.stats`: the counts' own statistics under
/// `counts`, and the training's beside them (`tokens` there are the pair updates).
#[derive(Debug, Clone, Serialize)]
pub struct TrainCountsStats {
    /// What went into the counts.
    #[serde(rename = "counts")]
    pub counted: CountStats,
    /// K-mers with a vector.
    pub vocabulary: usize,
    /// Distinct pairs the positives were drawn from.
    pub pairs: u64,
    #[serde(flatten)]
    pub train: TrainStats,
}

/// Trains a model on the counts in `counts_path` and writes it to `output`.
pub fn train(
    counts_path: &Path,
    output: &Path,
    config: &Config,
    updates: Option<u64>,
) -> Result<TrainCountsStats> {
    config.validate()?;
    check_output(&[counts_path.to_path_buf()], output)?;
    let counts = Counts::open(counts_path)?;
    let settings = &counts.header.settings;
    // The counts decide the k-mers; the model records them as its settings.
    let config = Config {
        k: KRange {
            min: settings.k_min,
            max: settings.k_max,
        },
        canonical: settings.canonical,
        window: settings.window,
        ..config.clone()
    };
    let index = KmerIndex::new(config.k);
    if index.len() != counts.ids() {
        return Err(Error::Counts {
            path: counts_path.to_path_buf(),
            message: format!("{} ids for --k {}: damaged file", counts.ids(), config.k),
        });
    }
    let unigrams: Vec<u64> = counts.unigrams().collect();
    let vocab = Vocab::new(index, &unigrams, &config).ok_or_else(|| Error::EmptyInput {
        path: counts_path.to_path_buf(),
        message: format!("no k-mer occurs --min-count {} times", config.min_count),
    })?;
    let updates = updates.unwrap_or_else(|| default_updates(&counts));
    let (embeddings, train) = train_from_counts(&counts, &vocab, &config, updates)?;
    let stats = TrainCountsStats {
        counted: counts.header.stats.clone(),
        vocabulary: vocab.len(),
        pairs: counts.len() as u64,
        train,
    };
    let metadata = vec![
        (VERSION_KEY.to_string(), VERSION.to_string()),
        (PARAMS_KEY.to_string(), to_json(&config)),
        (STATS_KEY.to_string(), to_json(&stats)),
    ];
    let model = Model::new(&vocab, embeddings, config.context_vectors, metadata);
    write_model(&model, output, config.format)?;
    Ok(stats)
}

/// Pair updates per block of work.
const BLOCK: u64 = 1 << 16;

/// Loss is measured on one window in this many, as `embed` does (`trainer::LOSS_EVERY`);
/// `train` of E. coli k 6 counts: 1.01× to one in 16, within noise.
const LOSS_EVERY: u64 = 64;

/// The updates one epoch of `embed` would make on the counted tokens: each token is a
/// center with, on average, window + 1 contexts (b uniform in 1..=window, both sides).
pub fn default_updates(counts: &Counts) -> u64 {
    counts.header.stats.tokens * (counts.header.settings.window as u64 + 1)
}

/// The counts as windows, the shape `embed` trains on: a center w drawn in proportion to
/// X_w = Σ_c X_wc, then its contexts drawn from its row, c in proportion to X_wc. Each pair
/// is still drawn in proportion to X_wc, P(w)·P(c | w) = X_wc / Σ X; what changes from
/// drawing pairs one by one is that a window's updates share the center's row and one draw
/// of negatives, as `embed`'s do, which keeps them in cache.
struct Windows {
    /// Center w of each row of the counts, as a matrix row.
    centers: Vec<u32>,
    /// Draws a row (a center) ∝ X_w.
    center_draw: AliasTable,
    /// Draws the context c of a center's row ∝ X_wc, as a matrix row.
    context_draw: SegmentedAlias,
}

impl Windows {
    /// The pairs of `counts` whose k-mers both have a row in `vocab`; `None` if none has.
    fn new(counts: &Counts, vocab: &Vocab) -> Option<Self> {
        let (mut centers, mut center_weights) = (Vec::new(), Vec::new());
        let mut context_draw = SegmentedAlias::with_capacity(counts.len());
        // One center's row at a time: the table holds 12 bytes a pair, nothing more.
        let (mut row_contexts, mut row_weights) = (Vec::new(), Vec::new());
        let mut finish_row = |center: u32, contexts: &mut Vec<u32>, weights: &mut Vec<f64>| {
            if !contexts.is_empty() {
                centers.push(center);
                center_weights.push(weights.iter().sum::<f64>());
                context_draw.push(weights, contexts);
            }
            contexts.clear();
            weights.clear();
        };
        let mut current = NO_ROW;
        for pair in counts.pairs() {
            let (w, c) = (vocab.row(pair.w), vocab.row(pair.c));
            if w == NO_ROW || c == NO_ROW {
                continue;
            }
            if w != current {
                finish_row(current, &mut row_contexts, &mut row_weights);
                current = w;
            }
            row_contexts.push(c);
            row_weights.push(pair.count as f64);
        }
        finish_row(current, &mut row_contexts, &mut row_weights);
        (!centers.is_empty()).then(|| Windows {
            center_draw: AliasTable::new(&center_weights),
            centers,
            context_draw,
        })
    }
}

/// The draws of one window, made before it is trained: its center's row of the counts,
/// one random number per context, and once `resolve`d its contexts and negatives.
#[derive(Default)]
struct Draft {
    row: usize,
    randoms: Vec<u64>,
    contexts: Vec<u32>,
    noise: Vec<u32>,
}

impl Draft {
    /// Draws a window of at most `left` contexts: b uniform in 1..=`window` and 2b
    /// contexts, as in `embed`; prefetches its context columns.
    fn draw(&mut self, windows: &Windows, window: usize, left: u64, rng: &mut impl Rng) {
        let b = 1 + below(rng.next_u32(), window as u32) as u64;
        self.row = windows.center_draw.draw(rng.next_u64()) as usize;
        self.randoms.clear();
        self.randoms
            .extend((0..(2 * b).min(left)).map(|_| rng.next_u64()));
        for &random in &self.randoms {
            windows.context_draw.prefetch(self.row, random);
        }
    }

    /// Reads the contexts from the columns `draw` prefetched, and draws the negatives.
    fn resolve(&mut self, windows: &Windows, vocab: &Vocab, step: &Step, rng: &mut impl Rng) {
        self.contexts.clear();
        self.contexts.extend(
            (self.randoms.iter()).map(|&random| windows.context_draw.draw(self.row, random)),
        );
        self.noise.clear();
        for _ in 0..step.noise_needed(self.contexts.len()) {
            self.noise.push(vocab.draw_noise(rng.next_u64()));
        }
    }
}

/// Trains on `updates` pairs drawn from `counts` in windows (`Windows`); the vocabulary is
/// the counted k-mers (`config.min_count` applies to their token counts).
pub fn train_from_counts(
    counts: &Counts,
    vocab: &Vocab,
    config: &Config,
    updates: u64,
) -> Result<(Embeddings, TrainStats)> {
    let started = Instant::now();
    let (pool, threads) = thread_pool(config)?;
    let windows = Windows::new(counts, vocab).ok_or_else(|| Error::EmptyInput {
        path: counts.path.clone(),
        message: "no pair of counted k-mers to train on".into(),
    })?;
    let (inputs, outputs) = initial_matrices(vocab.len(), config);
    let matrices = Matrices::new(inputs, outputs, threads);
    let (simd, sigmoid) = (Simd::detect_up_to(config.simd), SigmoidTable::default());
    // Updates done and the loss, with its curve (a point per 1 % of the updates).
    let progress = Progress::default();
    progress.plan(updates);
    let blocks = updates.div_ceil(BLOCK);
    pool.install(|| {
        // One job per block, as `trainer::train` does per shard, for an even end.
        (0..blocks as usize)
            .into_par_iter()
            .with_max_len(1)
            .for_each_init(
                || (<[Draft; 3]>::default(), sgns::Scratch::default()),
                |(drafts, scratch), block| {
                    if interrupt::requested().is_some() {
                        return;
                    }
                    let block = block as u64;
                    let mut rng = stream_rng(config.seed, Stream::Training, 0, block);
                    let done = progress.tokens() as f64 / updates.max(1) as f64;
                    let mut step = Step {
                        lr: learning_rate(config, done),
                        l2: config.l2,
                        negatives: config.negatives,
                        share: config.contexts_per_negative_draw(),
                        with_loss: false,
                        simd,
                    };
                    let mut local = matrices.local();
                    let mut loss = Loss::default();
                    let size = BLOCK.min(updates - block * BLOCK);
                    // A window's draws are made two windows ahead, and the context columns
                    // they will read prefetched (the context table is large, its columns
                    // cache misses); one window ahead its contexts are read from them and
                    // its negatives drawn, and its rows prefetched while this one trains
                    // (`sgns::Ahead`): its windows share no rows, unlike `embed`'s. The
                    // random draws keep their order, window i + 2's before window i + 1's
                    // negatives, so the output is as with one window ahead: 1.10× on 1 thread,
                    // 1.11× on 2 (E. coli k 6, Intel Xeon VM, 5 alternating pairs).
                    let [mut current, mut next, mut later] = std::mem::take(drafts);
                    current.draw(&windows, config.window, size, &mut rng);
                    let mut drawn = current.randoms.len() as u64;
                    next.draw(&windows, config.window, size - drawn, &mut rng);
                    drawn += next.randoms.len() as u64;
                    current.resolve(&windows, vocab, &step, &mut rng);
                    let (mut trained, mut window_index) = (0, 0u64);
                    while trained < size {
                        trained += current.randoms.len() as u64;
                        later.draw(&windows, config.window, size - drawn, &mut rng);
                        drawn += later.randoms.len() as u64;
                        next.resolve(&windows, vocab, &step, &mut rng);
                        step.with_loss = window_index % LOSS_EVERY == 0;
                        let ahead = Ahead::new(
                            &step,
                            &next.noise,
                            Some(windows.centers[next.row]),
                            &next.contexts,
                        );
                        let window = Window {
                            center: windows.centers[current.row],
                            contexts: &current.contexts,
                            noise: &current.noise,
                            ahead,
                        };
                        local.train(1, |inputs, outputs| {
                            step.train(inputs, outputs, &window, &sigmoid, scratch, &mut loss)
                        });
                        [current, next, later] = [next, later, current];
                        window_index += 1;
                    }
                    *drafts = [current, next, later];
                    progress.add(size, loss);
                },
            );
    });
    interrupt::check()?;
    let stats = TrainStats {
        tokens: updates,
        tokens_trained: updates,
        loss: progress.mean_loss(),
        loss_curve: progress.loss_curve(),
        simd: simd.name().to_string(),
        threads,
        seconds: started.elapsed().as_secs_f64(),
    };
    let (inputs, outputs) = matrices.finish();
    Ok((pool.install(|| Embeddings::new(inputs, outputs)), stats))
}
