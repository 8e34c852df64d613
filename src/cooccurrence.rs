//! Window co-occurrence counts X_wc of a corpus's tokens, within a memory budget.
//!
//! Tokens for counting: every start of every A/C/G/T run yields one k-mer, its k drawn from
//! the k range by a hash of the seed and of the bases there (the k_max bases from the
//! start, and how many of them the run holds). So the tokens depend on the sequence only,
//! not on where it sits among the inputs: counting a genome whole, or its records in
//! separate files and merging, gives the same counts. No fragments or strand flips (use
//! `--canonical` for strand-free counts). Each token is paired with the tokens up to
//! `window` starts after it in its run, in both orders, so X is symmetric and
//! Σ_c X_wc = X_w·(number of neighbours). A pair d starts apart counts 1 (flat window) or
//! W − d + 1 (`WindowWeights::Linear`, what `embed`'s dynamic window trains in expectation).
//!
//! Pairs are entries (w, c, weight) in a buffer of what the memory budget leaves (8 bytes an
//! entry, after the corpus map and the unigram counts); when it fills, it is
//! sorted and written run-length-encoded to a temporary file (a sorted run), as
//! external-memory k-mer counters do, and the runs are merged at the end.

use crate::config::MAX_K;
use crate::corpus::Corpus;
use crate::dna::{canonical, for_each_window};
use crate::error::{Error, Result};
use crate::interrupt;
use crate::k2c::{CountSettings, Pair};
use crate::kmer_index::KmerIndex;
use crate::sentences::{below, splitmix64};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The smallest pair buffer: 16 MiB.
pub const MIN_MEMORY: u64 = 16 << 20;

/// Memory besides the pair buffer and the corpus: the reader's record buffer (a whole
/// chromosome is one record), I/O buffers, the program. Measured: 1 GiB of entries ran at
/// 1.10 GiB peak RSS on a 70 Mbp chromosome without this allowance, 1.008 GiB with 128 MiB.
const OVERHEAD: u64 = 192 << 20;

/// Counts of one corpus: tokens per dense id, and the pairs, sorted.
pub struct Cooccurrences {
    /// Tokens per dense k-mer id.
    pub unigrams: Vec<u64>,
    /// The total number of tokens.
    pub tokens: u64,
    pairs: PairCounter,
}

impl Cooccurrences {
    /// Counts the tokens and window pairs of `corpus`, holding at most `memory` bytes of
    /// pair entries; sorted runs spill to `tmp_dir` (default: the system's).
    pub fn count(
        corpus: &Corpus,
        settings: &CountSettings,
        memory: u64,
        tmp_dir: Option<&Path>,
    ) -> Result<Self> {
        let index = corpus.index();
        let mut unigrams = vec![0u64; index.len()];
        // The budget covers the process: the corpus map (¼ byte a base), the unigram table
        // and I/O buffers come off it before the pair buffer.
        let others = corpus.total_bases() / 4 + 8 * index.len() as u64 + OVERHEAD;
        let mut pairs = PairCounter::new(memory.saturating_sub(others), tmp_dir);
        let (mut bases, mut tokens) = (Vec::new(), Vec::new());
        let mut total = 0u64;
        for run in corpus.runs() {
            bases.clear();
            corpus.copy_bases(run.start, run.start + run.len, &mut bases);
            run_tokens(&bases, settings, index, &mut tokens);
            total += tokens.len() as u64;
            for (i, &w) in tokens.iter().enumerate() {
                // Every 256 tokens: with a long window each makes thousands of pairs.
                if i % 256 == 0 {
                    interrupt::check()?;
                }
                unigrams[w as usize] += 1;
                let contexts = &tokens[i + 1..(i + 1 + settings.window).min(tokens.len())];
                for (distance, &c) in (1..).zip(contexts) {
                    let weight = settings.weights.weight(distance, settings.window);
                    pairs.add(w, c, weight)?;
                    pairs.add(c, w, weight)?;
                }
            }
        }
        Ok(Cooccurrences {
            unigrams,
            tokens: total,
            pairs,
        })
    }

    /// Calls `on_pair` with every pair in (w, c) order, summed over the spilled runs.
    pub fn for_each_pair(self, on_pair: impl FnMut(Pair) -> Result<()>) -> Result<()> {
        self.pairs.for_each_sorted(on_pair)
    }
}

/// The ids of the counting tokens of one run of 2-bit bases (module docs), into `tokens`.
fn run_tokens(bases: &[u8], settings: &CountSettings, index: &KmerIndex, tokens: &mut Vec<u32>) {
    tokens.clear();
    let (k_min, k_max) = (settings.k_min, settings.k_max);
    let choices = (k_max - k_min + 1) as u32;
    // The k_max bases from each start, zero-padded past the run's end.
    for_each_window(bases, k_max, bases.len(), |i, window| {
        let available = (bases.len() - i).min(k_max);
        let k = if choices == 1 {
            k_min
        } else {
            let hash = splitmix64(settings.seed ^ splitmix64(window ^ (available as u64) << 58));
            k_min + below((hash >> 32) as u32, choices) as usize
        };
        if k > available {
            return;
        }
        let mut code = window >> (2 * (k_max - k));
        if settings.canonical {
            code = canonical(code, k);
        }
        tokens.push(index.id(k, code));
    });
}

/// Bits of an id in a buffered entry: every id of k ≤ `MAX_K` fits.
const ID_BITS: u32 = 25;
/// Bits of the weight, below the pair, in a buffered entry.
const WEIGHT_BITS: u32 = 14;
/// The largest weight one entry holds.
const MAX_WEIGHT: u32 = (1 << WEIGHT_BITS) - 1;
const _: () =
    assert!(2 * ID_BITS + WEIGHT_BITS <= 64 && KmerIndex::ids_up_to(MAX_K) <= 1 << ID_BITS);

/// Weighted pairs in a bounded buffer, one u64 entry each: w, c, and the weight in the low
/// bits, so that sorting entries sorts pairs by (w, c) and brings a pair's entries
/// together. A full buffer is spilled as a sorted, run-length-encoded run.
struct PairCounter {
    entries: Vec<u64>,
    capacity: usize,
    tmp_dir: Option<PathBuf>,
    runs: Vec<File>,
}

/// Names the temporary directory in errors.
fn temporary(tmp_dir: &Option<PathBuf>) -> PathBuf {
    tmp_dir.clone().unwrap_or_else(std::env::temp_dir)
}

impl PairCounter {
    fn new(memory: u64, tmp_dir: Option<&Path>) -> Self {
        Self::with_capacity((memory.max(MIN_MEMORY) / 8) as usize, tmp_dir)
    }

    /// A counter spilling every `capacity` entries.
    fn with_capacity(capacity: usize, tmp_dir: Option<&Path>) -> Self {
        PairCounter {
            // Reserved whole: growing by doubling would briefly hold 1.5× the budget. Pages
            // are resident only once written, so a small input costs little.
            entries: Vec::with_capacity(capacity),
            capacity,
            tmp_dir: tmp_dir.map(Path::to_path_buf),
            runs: Vec::new(),
        }
    }

    /// Counts the pair (w, c) with `weight` (a weight above `MAX_WEIGHT` takes several
    /// entries).
    #[inline]
    fn add(&mut self, w: u32, c: u32, mut weight: u32) -> Result<()> {
        debug_assert!(
            w < 1 << ID_BITS && c < 1 << ID_BITS,
            "id beyond {ID_BITS} bits"
        );
        while weight > 0 {
            let part = weight.min(MAX_WEIGHT);
            weight -= part;
            let pair = (w as u64) << ID_BITS | c as u64;
            self.entries.push(pair << WEIGHT_BITS | part as u64);
            if self.entries.len() >= self.capacity {
                self.spill()?;
            }
        }
        Ok(())
    }

    /// Sorts the buffer and writes it as a run of (pair key, count) to an unnamed temporary
    /// file.
    fn spill(&mut self) -> Result<()> {
        let dir = temporary(&self.tmp_dir);
        let io = |e| Error::io(&dir, e);
        let file = tempfile::tempfile_in(&dir).map_err(io)?;
        let mut out = BufWriter::with_capacity(1 << 20, &file);
        let mut result = Ok(());
        sorted_counts(&mut self.entries, |pair| {
            if result.is_ok() {
                result = out
                    .write_all(&pair.key().to_le_bytes())
                    .and_then(|()| out.write_all(&pair.count.to_le_bytes()));
            }
        });
        result.and_then(|()| out.flush()).map_err(io)?;
        drop(out);
        let mut file = file;
        file.rewind().map_err(io)?;
        self.runs.push(file);
        self.entries.clear();
        Ok(())
    }

    /// Every pair once, in key order, with its total count.
    fn for_each_sorted(mut self, mut on_pair: impl FnMut(Pair) -> Result<()>) -> Result<()> {
        if self.runs.is_empty() {
            let mut result = Ok(());
            sorted_counts(&mut self.entries, |pair| {
                if result.is_ok() {
                    result = on_pair(pair);
                }
            });
            return result;
        }
        if !self.entries.is_empty() {
            self.spill()?;
        }
        let dir = temporary(&self.tmp_dir);
        let mut readers: Vec<BufReader<File>> = std::mem::take(&mut self.runs)
            .into_iter()
            .map(|f| BufReader::with_capacity(1 << 20, f))
            .collect();
        let runs = readers.len();
        let mut next = |run: usize| -> Result<Option<(u64, u64)>> {
            let mut bytes = [0u8; 16];
            match readers[run].read_exact(&mut bytes) {
                Ok(()) => Ok(Some((
                    u64::from_le_bytes(bytes[..8].try_into().unwrap_or_default()),
                    u64::from_le_bytes(bytes[8..].try_into().unwrap_or_default()),
                ))),
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
                Err(e) => Err(Error::io(&dir, e)),
            }
        };
        // The smallest head of all runs first.
        let mut heap = BinaryHeap::with_capacity(runs);
        for run in 0..runs {
            if let Some((key, count)) = next(run)? {
                heap.push(Reverse((key, count, run)));
            }
        }
        let mut current: Option<Pair> = None;
        while let Some(Reverse((key, count, run))) = heap.pop() {
            match current.as_mut() {
                Some(pair) if pair.key() == key => pair.count += count,
                _ => {
                    if let Some(pair) = current.take() {
                        on_pair(pair)?;
                    }
                    current = Some(Pair::from_key(key, count));
                }
            }
            if let Some((key, count)) = next(run)? {
                heap.push(Reverse((key, count, run)));
            }
        }
        match current {
            Some(pair) => on_pair(pair),
            None => Ok(()),
        }
    }
}

/// Sorts `entries` and calls `emit` with each distinct pair and its summed weight.
fn sorted_counts(entries: &mut [u64], mut emit: impl FnMut(Pair)) {
    entries.sort_unstable();
    let mut i = 0;
    while i < entries.len() {
        let pair = entries[i] >> WEIGHT_BITS;
        let mut count = 0;
        while i < entries.len() && entries[i] >> WEIGHT_BITS == pair {
            count += entries[i] & MAX_WEIGHT as u64;
            i += 1;
        }
        let (w, c) = (pair >> ID_BITS, pair & ((1 << ID_BITS) - 1));
        emit(Pair::from_key(w << 32 | c, count));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Spilled, run-merged counts equal a plain count, and come out in key order.
    #[test]
    fn spilled_runs_merge_to_exact_counts() {
        let mut counter = PairCounter::with_capacity(1000, None);
        let mut expected = BTreeMap::new();
        let mut state = 7u64;
        for _ in 0..25_000 {
            state = splitmix64(state);
            let (w, c) = ((state % 50) as u32, (state >> 32) as u32 % 40);
            // Weights 0, 1, 2, and now and then one above what an entry holds.
            let weight = match (state >> 16) % 1000 {
                0 => MAX_WEIGHT + 5,
                r => r as u32 % 3,
            };
            counter.add(w, c, weight).unwrap();
            if weight > 0 {
                *expected.entry((w as u64) << 32 | c as u64).or_insert(0u64) += weight as u64;
            }
        }
        assert!(
            counter.runs.len() >= 16,
            "{} runs spilled",
            counter.runs.len()
        );
        let mut got = Vec::new();
        counter
            .for_each_sorted(|pair| {
                got.push((pair.key(), pair.count));
                Ok(())
            })
            .unwrap();
        assert_eq!(got, expected.into_iter().collect::<Vec<_>>());
    }

    /// With a k range, the k at a start depends on the bases there, not on the position.
    #[test]
    fn k_is_a_function_of_the_bases() {
        let settings = CountSettings {
            k_min: 2,
            k_max: 5,
            canonical: false,
            window: 1,
            seed: 9,
            weights: crate::k2c::WindowWeights::Flat,
        };
        let index = KmerIndex::new(crate::config::KRange { min: 2, max: 5 });
        let unit: Vec<u8> = (0..40u64).map(|i| (splitmix64(i) % 4) as u8).collect();
        let (mut once, mut twice) = (Vec::new(), Vec::new());
        run_tokens(&unit, &settings, &index, &mut once);
        let doubled: Vec<u8> = unit.iter().chain(&unit).copied().collect();
        run_tokens(&doubled, &settings, &index, &mut twice);
        // The first copy's tokens, away from the junction, recur in the second copy.
        let inner = &once[..once.len() - 8];
        let second: Vec<u32> = twice[twice.len() - once.len()..].to_vec();
        assert_eq!(&second[..inner.len()], inner);
        let ks: std::collections::HashSet<usize> =
            once.iter().map(|&id| index.kmer(id).0).collect();
        assert_eq!(ks.len(), 4, "every k of the range is drawn");
    }
}
