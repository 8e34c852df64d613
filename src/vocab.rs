//! The vocabulary: which k-mers get a matrix row (count ≥ `--min-count`), how often each is
//! kept by subsampling, and the noise distribution negatives are drawn from.

use crate::alias::AliasTable;
use crate::config::Config;
use crate::dna::canonical;
use crate::kmer_index::KmerIndex;

/// The row table's marker for an id without a row.
pub const NO_ROW: u32 = u32::MAX;

/// Rows of the embedding matrices and their sampling tables.
#[derive(Debug, Clone)]
pub struct Vocab {
    index: KmerIndex,
    /// id → row, or `NO_ROW`.
    row_of_id: Vec<u32>,
    /// row → id; rows are in id order (k, then the k-mer's text).
    id_of_row: Vec<u32>,
    /// row → count in the corpus (both strands together for canonical k-mers).
    counts: Vec<u64>,
    /// row → subsampling keep probability in 32-bit fixed point (2^32 = always).
    keep_threshold: Vec<u64>,
    /// Negatives: P_n(row) ∝ count^α.
    noise: AliasTable,
}

impl Vocab {
    /// The vocabulary of per-id counts (`counts[id]`, one strand) under `config`'s settings.
    /// `None` when no k-mer reaches `--min-count`.
    pub fn new(index: KmerIndex, id_counts: &[u64], config: &Config) -> Option<Self> {
        let folded = if config.canonical {
            fold_strands(&index, id_counts)
        } else {
            id_counts.to_vec()
        };
        let mut row_of_id = vec![NO_ROW; index.len()];
        let mut id_of_row = Vec::new();
        let mut counts = Vec::new();
        for (id, &count) in folded.iter().enumerate() {
            if count >= config.min_count && count > 0 {
                row_of_id[id] = id_of_row.len() as u32;
                id_of_row.push(id as u32);
                counts.push(count);
            }
        }
        if counts.is_empty() {
            return None;
        }
        let total: u64 = counts.iter().sum();
        let keep_threshold = counts
            .iter()
            .map(|&c| {
                let p = keep_probability(c as f64 / total as f64, config.sample);
                (p * (1u64 << 32) as f64) as u64
            })
            .collect();
        let weights: Vec<f64> = counts
            .iter()
            .map(|&c| (c as f64).powf(config.noise_exponent))
            .collect();
        Some(Vocab {
            index,
            row_of_id,
            id_of_row,
            counts,
            keep_threshold,
            noise: AliasTable::new(&weights),
        })
    }

    /// The id space.
    pub fn index(&self) -> &KmerIndex {
        &self.index
    }

    /// How many rows (k-mers with vectors) there are.
    pub fn len(&self) -> usize {
        self.id_of_row.len()
    }

    /// Never empty: `new` refuses an empty vocabulary.
    pub fn is_empty(&self) -> bool {
        self.id_of_row.is_empty()
    }

    /// The row of an id, or `NO_ROW`.
    #[inline]
    pub fn row(&self, id: u32) -> u32 {
        self.row_of_id[id as usize]
    }

    /// The id of a row.
    pub fn id(&self, row: u32) -> u32 {
        self.id_of_row[row as usize]
    }

    /// The corpus count of a row's k-mer.
    pub fn count(&self, row: u32) -> u64 {
        self.counts[row as usize]
    }

    /// Whether subsampling keeps this occurrence of `row`, given 32 random bits.
    #[inline]
    pub fn keep(&self, row: u32, random: u32) -> bool {
        (random as u64) < self.keep_threshold[row as usize]
    }

    /// A negative row drawn from P_n ∝ count^α, given 64 random bits.
    #[inline]
    pub fn draw_noise(&self, random: u64) -> u32 {
        self.noise.draw(random)
    }
}

/// word2vec's subsampling: a token of corpus frequency f is kept with probability
/// p = (√(f/t) + 1)·t/f, capped at 1; t = 0 keeps everything.
pub fn keep_probability(frequency: f64, threshold: f64) -> f64 {
    if threshold <= 0.0 || frequency <= 0.0 {
        return 1.0;
    }
    (((frequency / threshold).sqrt() + 1.0) * threshold / frequency).min(1.0)
}

/// Per-id counts with each k-mer's reverse complement added in, stored at the canonical id
/// (the smaller code); non-canonical ids get 0. A palindrome is counted once.
fn fold_strands(index: &KmerIndex, id_counts: &[u64]) -> Vec<u64> {
    let mut folded = vec![0u64; id_counts.len()];
    for (id, &count) in id_counts.iter().enumerate() {
        if count > 0 {
            let (k, code) = index.kmer(id as u32);
            folded[index.id(k, canonical(code, k)) as usize] += count;
        }
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::KRange;
    use crate::dna::kmer_code;

    #[test]
    fn subsampling_follows_word2vec() {
        // f = t: (1 + 1)·1 = 2, capped at 1. f = 100t: (10 + 1)/100.
        assert_eq!(keep_probability(1e-3, 1e-3), 1.0);
        assert!((keep_probability(0.1, 1e-3) - 0.11).abs() < 1e-12);
        assert_eq!(keep_probability(0.5, 0.0), 1.0);
    }

    #[test]
    fn rows_need_min_count_and_strands_fold() {
        let index = KmerIndex::new(KRange { min: 2, max: 2 });
        let mut counts = vec![0u64; index.len()];
        let id = |s: &str| index.id(2, kmer_code(s.as_bytes()).unwrap()) as usize;
        counts[id("AC")] = 3; // reverse complement GT
        counts[id("GT")] = 4;
        counts[id("AT")] = 5; // a palindrome
        counts[id("CC")] = 1;
        let config = Config {
            min_count: 2,
            ..Config::default()
        };
        let vocab = Vocab::new(index.clone(), &counts, &config).unwrap();
        assert_eq!(vocab.len(), 3);
        assert_eq!(vocab.row(id("CC") as u32), NO_ROW);
        let canonical = Config {
            canonical: true,
            ..config
        };
        let vocab = Vocab::new(index.clone(), &counts, &canonical).unwrap();
        assert_eq!(vocab.len(), 2);
        assert_eq!(vocab.count(vocab.row(id("AC") as u32)), 7);
        assert_eq!(vocab.count(vocab.row(id("AT") as u32)), 5);
        assert_eq!(vocab.row(id("GT") as u32), NO_ROW);
    }
}
