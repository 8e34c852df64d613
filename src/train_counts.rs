//! SGNS from co-occurrence counts (`kmer2vec train ALL.k2c`): positive pairs (c, w) drawn in
//! proportion to X_wc from an alias table over the non-zero pairs, negatives from the
//! vocabulary's table over count^α, each update the same `sgns::Step` as `embed`'s (a
//! window of one context). Its cost is the number of updates asked for, whatever the size
//! of the genome behind the counts.
//!
//! The updates are split into blocks of `BLOCK` pairs, each drawn from its own random stream
//! (seed, block), so `--threads 1` is deterministic and the draws do not depend on the
//! thread count; the learning rate decays linearly over the updates.

use crate::alias::AliasTable;
use crate::config::{Config, KRange};
use crate::error::{Error, Result};
use crate::k2c::{CountStats, Counts};
use crate::kernels::{self, SigmoidTable};
use crate::kmer_index::KmerIndex;
use crate::model::{Model, PARAMS_KEY, STATS_KEY, VERSION_KEY};
use crate::pipeline::{check_output, to_json, write_model, VERSION};
use crate::sentences::{stream_rng, Stream};
use crate::sgns::{self, Loss, Simd, Step, Window};
use crate::trainer::{initial_matrices, learning_rate, thread_pool, Embeddings, TrainStats};
use crate::vocab::{Vocab, NO_ROW};
use rand::Rng;
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
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

/// Pairs drawn and prefetched together.
const PREFETCH_BATCH: usize = 32;

/// Loss is measured on one update in this many.
const LOSS_EVERY: u64 = 16;

/// The updates one epoch of `embed` would make on the counted tokens: each token is a
/// center with, on average, window + 1 contexts (b uniform in 1..=window, both sides).
pub fn default_updates(counts: &Counts) -> u64 {
    counts.header.stats.tokens * (counts.header.settings.window as u64 + 1)
}

/// Trains on `updates` pairs drawn from `counts`; the vocabulary is the counted k-mers
/// (`config.min_count` applies to their token counts).
pub fn train_from_counts(
    counts: &Counts,
    vocab: &Vocab,
    config: &Config,
    updates: u64,
) -> Result<(Embeddings, TrainStats)> {
    let started = Instant::now();
    let (pool, threads) = thread_pool(config)?;
    // Positive pairs as rows, with their counts as alias weights.
    let (mut pairs, mut weights) = (Vec::new(), Vec::new());
    for pair in counts.pairs() {
        let (w, c) = (vocab.row(pair.w), vocab.row(pair.c));
        if w != NO_ROW && c != NO_ROW {
            pairs.push((w, c));
            weights.push(pair.count as f64);
        }
    }
    if pairs.is_empty() {
        return Err(Error::EmptyInput {
            path: counts.path.clone(),
            message: "no pair of counted k-mers to train on".into(),
        });
    }
    let positives = AliasTable::new(&weights);
    drop(weights);
    let (inputs, outputs) = initial_matrices(vocab.len(), config);
    let (simd, sigmoid) = (Simd::detect(), SigmoidTable::default());
    let done = AtomicU64::new(0);
    let loss_total = Mutex::new(Loss::default());
    let blocks = updates.div_ceil(BLOCK);
    pool.install(|| {
        (0..blocks).into_par_iter().for_each_init(
            || (vec![0u32; config.negatives], sgns::Scratch::default()),
            |(noise, scratch), block| {
                let mut rng = stream_rng(config.seed, Stream::Training, 0, block);
                let progress = done.load(Ordering::Relaxed) as f64 / updates.max(1) as f64;
                let mut step = Step {
                    lr: learning_rate(config, progress),
                    l2: config.l2,
                    negatives: config.negatives,
                    share: 1,
                    with_loss: false,
                    simd,
                };
                let mut loss = Loss::default();
                let size = BLOCK.min(updates - block * BLOCK);
                // The pair table is large: draws go in batches, each stage prefetching what
                // the next reads (alias columns, then pairs, then rows), so that the cache
                // misses of a batch overlap.
                let (mut randoms, mut drawn) = ([0u64; PREFETCH_BATCH], [0u32; PREFETCH_BATCH]);
                let mut i = 0;
                while i < size {
                    let batch = (size - i).min(PREFETCH_BATCH as u64) as usize;
                    for random in &mut randoms[..batch] {
                        *random = rng.next_u64();
                        positives.prefetch(*random);
                    }
                    for (pair, &random) in drawn[..batch].iter_mut().zip(&randoms[..batch]) {
                        *pair = positives.draw(random);
                        kernels::prefetch(&pairs[*pair as usize]);
                    }
                    for &pair in &drawn[..batch] {
                        let (w, c) = pairs[pair as usize];
                        inputs.prefetch_row(c);
                        outputs.prefetch_row(w);
                    }
                    for &pair in &drawn[..batch] {
                        let (w, c) = pairs[pair as usize];
                        for negative in noise.iter_mut() {
                            *negative = vocab.draw_noise(rng.next_u64());
                        }
                        step.with_loss = i % LOSS_EVERY == 0;
                        let window = Window {
                            center: w,
                            contexts: std::slice::from_ref(&c),
                            noise,
                        };
                        step.train(&inputs, &outputs, &window, &sigmoid, scratch, &mut loss);
                        i += 1;
                    }
                }
                done.fetch_add(size, Ordering::Relaxed);
                let mut total = loss_total.lock().unwrap_or_else(|e| e.into_inner());
                total.sum += loss.sum;
                total.pairs += loss.pairs;
            },
        );
    });
    let loss = *loss_total.lock().unwrap_or_else(|e| e.into_inner());
    let stats = TrainStats {
        tokens: updates,
        tokens_trained: updates,
        loss: loss.sum / loss.pairs as f64,
        simd: simd.name().to_string(),
        threads,
        seconds: started.elapsed().as_secs_f64(),
    };
    Ok((Embeddings::new(inputs, outputs), stats))
}
