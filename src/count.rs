//! The `count` and `merge` commands: inputs → corpus → window co-occurrence counts → `.k2c`
//! (`cooccurrence`, `k2c`), and `.k2c` shards → their exact sums → one `.k2c`.

use crate::atomic_file::write_atomically;
use crate::config::Config;
use crate::cooccurrence::Cooccurrences;
use crate::corpus::Corpus;
use crate::error::{Error, Result};
use crate::interrupt;
use crate::k2c::{CountSettings, CountStats, Counts, Header, Pair, WindowWeights, Writer};
use crate::pipeline::{check_output, VERSION};
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};

/// What `count` and `merge` report.
#[derive(Debug, Clone, Serialize)]
pub struct CountReport {
    #[serde(flatten)]
    pub stats: CountStats,
    /// Distinct (w, c) pairs.
    pub pairs: u64,
    /// Σ X_wc.
    pub cooccurrences: u64,
}

/// The counting settings of `config` (k range, canonical, window, seed) and the weights.
pub fn count_settings(config: &Config, weights: WindowWeights) -> CountSettings {
    CountSettings {
        k_min: config.k.min,
        k_max: config.k.max,
        canonical: config.canonical,
        window: config.window,
        seed: config.seed,
        weights,
    }
}

/// Counts the tokens and window co-occurrences of `inputs` into `output`, weighted by
/// distance as `weights` says, holding at most `memory` bytes of pairs in memory.
pub fn count(
    inputs: &[PathBuf],
    output: &Path,
    config: &Config,
    weights: WindowWeights,
    memory: u64,
    tmp_dir: Option<&Path>,
) -> Result<CountReport> {
    config.validate()?;
    check_output(inputs, output)?;
    let corpus = Corpus::build(inputs, config.k, tmp_dir)?;
    let settings = count_settings(config, weights);
    let counts = Cooccurrences::count(&corpus, &settings, memory, tmp_dir)?;
    let read = corpus.stats();
    let header = Header {
        written_by: VERSION.to_string(),
        settings,
        stats: CountStats {
            inputs: read.inputs.clone(),
            records: read.records,
            bases: read.bases,
            skipped: read.skipped,
            tokens: counts.tokens,
        },
    };
    let unigrams = counts.unigrams.clone();
    write_counts(output, &header, &unigrams, |push| {
        counts.for_each_pair(push)
    })
}

/// Sums `.k2c` files counted with the same settings into `output`.
pub fn merge(inputs: &[PathBuf], output: &Path) -> Result<CountReport> {
    check_output(inputs, output)?;
    let files = inputs
        .iter()
        .map(|path| Counts::open(path))
        .collect::<Result<Vec<_>>>()?;
    let first = files
        .first()
        .ok_or_else(|| Error::Config("merge needs at least one .k2c file".into()))?;
    for other in &files[1..] {
        if other.header.settings != first.header.settings || other.ids() != first.ids() {
            return Err(Error::Counts {
                path: other.path.clone(),
                message: format!(
                    "counted with other settings than {} ({} against {}): refusing to merge",
                    first.path.display(),
                    describe(&other.header.settings),
                    describe(&first.header.settings),
                ),
            });
        }
    }
    let mut unigrams = vec![0u64; first.ids()];
    let mut stats = CountStats::default();
    for file in &files {
        for (sum, count) in unigrams.iter_mut().zip(file.unigrams()) {
            *sum += count;
        }
        let s = &file.header.stats;
        stats.inputs.extend(s.inputs.iter().cloned());
        stats.records += s.records;
        stats.bases += s.bases;
        stats.skipped += s.skipped;
        stats.tokens += s.tokens;
    }
    let header = Header {
        written_by: VERSION.to_string(),
        settings: first.header.settings.clone(),
        stats,
    };
    write_counts(output, &header, &unigrams, |push| {
        // A k-way merge of the sorted pair lists, summing equal keys.
        let mut lists: Vec<_> = files.iter().map(|f| f.pairs()).collect();
        let mut heap = BinaryHeap::with_capacity(lists.len());
        for (i, list) in lists.iter_mut().enumerate() {
            if let Some(pair) = list.next() {
                heap.push(Reverse((pair.key(), pair.count, i)));
            }
        }
        let mut current: Option<Pair> = None;
        while let Some(Reverse((key, count, i))) = heap.pop() {
            match current.as_mut() {
                Some(pair) if pair.key() == key => pair.count += count,
                _ => {
                    if let Some(pair) = current.replace(Pair::from_key(key, count)) {
                        push(pair)?;
                    }
                }
            }
            if let Some(pair) = lists[i].next() {
                heap.push(Reverse((pair.key(), pair.count, i)));
            }
        }
        current.map_or(Ok(()), push)
    })
}

/// The settings in the words of the command line.
fn describe(settings: &CountSettings) -> String {
    let k = match settings.k_min == settings.k_max {
        true => settings.k_min.to_string(),
        false => format!("{}..{}", settings.k_min, settings.k_max),
    };
    let weights = match settings.weights {
        WindowWeights::Flat => "flat",
        WindowWeights::Linear => "linear",
    };
    format!(
        "--k {k} --window {} --window-weights {weights}{} --seed {}",
        settings.window,
        if settings.canonical {
            " --canonical"
        } else {
            ""
        },
        settings.seed
    )
}

/// Writes a `.k2c` file atomically from a source that pushes its pairs in order.
fn write_counts(
    output: &Path,
    header: &Header,
    unigrams: &[u64],
    pairs: impl FnOnce(&mut dyn FnMut(Pair) -> Result<()>) -> Result<()>,
) -> Result<CountReport> {
    let (mut distinct, mut total) = (0u64, 0u64);
    write_atomically(output, |out| {
        let mut writer = Writer::new(out, output, header, unigrams)?;
        pairs(&mut |pair| {
            if distinct % (1 << 20) == 0 {
                interrupt::check()?;
            }
            distinct += 1;
            total += pair.count;
            writer.push(pair)
        })?;
        writer.finish().map(drop)
    })?;
    Ok(CountReport {
        stats: header.stats.clone(),
        pairs: distinct,
        cooccurrences: total,
    })
}
