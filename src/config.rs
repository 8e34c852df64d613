//! Every hyper-parameter in one place: defaults (dna2vec's published hg38 run), validation
//! before any work starts, and serialisation into the output's metadata.

use crate::error::{Error, Result};
use crate::sgns::SimdLevel;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// The largest k the dense k-mer id table serves. Ids are `offset[k] + code` with a table of
/// Σ 4^k entries; at k = 12 that is 22 M ids (a few hundred MB of counts and row indices).
/// Larger k would need a sparse table of the k-mers actually observed: refused for now.
pub const MAX_K: usize = 12;

/// Shortest and longest dna2vec segment, in bases (uniform in `[SEGMENT_MIN, SEGMENT_MAX]`).
pub const SEGMENT_MIN: usize = 2500;
pub const SEGMENT_MAX: usize = 4999;

/// Without fragmentation, a run is cut into sentences of this many token starts (gensim's
/// `MAX_WORDS_IN_BATCH`); tokens still overhang the cut, so no k-mer is lost.
pub const PLAIN_SENTENCE_LEN: usize = 10_000;

/// An inclusive range of k-mer lengths, written `6` or `3..8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KRange {
    pub min: usize,
    pub max: usize,
}

impl KRange {
    /// How many lengths the range holds.
    pub fn len(&self) -> usize {
        self.max - self.min + 1
    }

    /// Never empty once validated; here for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        self.max < self.min
    }

    /// The lengths, shortest first.
    pub fn iter(&self) -> std::ops::RangeInclusive<usize> {
        self.min..=self.max
    }
}

impl fmt::Display for KRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min == self.max {
            write!(f, "{}", self.min)
        } else {
            write!(f, "{}..{}", self.min, self.max)
        }
    }
}

impl FromStr for KRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let parse = |t: &str| {
            t.trim()
                .parse::<usize>()
                .map_err(|_| format!("'{s}' is not a k or a k range such as 6 or 3..8"))
        };
        let (min, max) = match s.split_once("..") {
            Some((a, b)) => (parse(a)?, parse(b.trim_start_matches('='))?),
            None => {
                let k = parse(s)?;
                (k, k)
            }
        };
        Ok(KRange { min, max })
    }
}

/// What `embed` and `train` write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum OutputFormat {
    /// Apache Parquet, one row per k-mer (the default).
    Parquet,
    /// word2vec's text format, as gensim's `load_word2vec_format(binary=False)` reads.
    Word2vecText,
    /// word2vec's binary format, as gensim's `load_word2vec_format(binary=True)` reads.
    Word2vecBinary,
}

/// All settings of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    /// k-mer lengths; with a range, k is drawn uniformly at each token start.
    pub k: KRange,
    /// A k-mer and its reverse complement share one id.
    pub canonical: bool,
    /// Cut records into random dna2vec segments of 2500–4999 bp (re-drawn every epoch).
    pub fragment: bool,
    /// Replace each segment by its reverse complement with probability 1/2.
    pub flip: bool,
    /// K-mers seen fewer times get no vector and are dropped from the token stream.
    pub min_count: u64,
    /// word2vec's subsampling threshold t: a token of frequency f is kept with probability
    /// (√(f/t) + 1)·t/f. Zero turns subsampling off.
    pub sample: f64,
    /// The noise distribution is P_n(c) ∝ count(c)^α with this α.
    pub noise_exponent: f64,
    /// Vector dimension.
    pub dim: usize,
    /// Maximum context distance; the effective window is drawn uniformly from 1..=window.
    pub window: usize,
    /// Negative samples per positive pair.
    pub negatives: usize,
    /// How many contexts of a window share one draw of negatives: 0 is the whole window
    /// (Ji et al.'s sharing, fastest: the window's targets stay in L1), 1 is word2vec's draw
    /// per pair. The updates are sequential SGD either way (`sgns`).
    pub share_negatives: usize,
    /// Passes over the corpus.
    pub epochs: usize,
    /// Starting learning rate, decaying linearly to `min_lr` over the whole run.
    pub lr: f32,
    /// Final learning rate.
    pub min_lr: f32,
    /// ℓ2 penalty λ on the rows an update touches (MAP with a Gaussian prior); 0 is off.
    pub l2: f32,
    /// Worker threads; 0 means all cores.
    pub threads: usize,
    /// The vector instructions training may use, at most.
    pub simd: SimdLevel,
    /// Seed of every random draw: with one thread, the output is byte-for-byte reproducible.
    pub seed: u64,
    /// Also write the context (output) vectors.
    pub context_vectors: bool,
    /// Output file format.
    pub format: OutputFormat,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            k: KRange { min: 3, max: 8 },
            canonical: false,
            fragment: true,
            flip: true,
            min_count: 1,
            sample: 1e-3,
            noise_exponent: 0.75,
            dim: 100,
            window: 10,
            negatives: 5,
            share_negatives: 0,
            epochs: 10,
            lr: 0.025,
            min_lr: 0.0001,
            l2: 0.0,
            threads: 0,
            simd: SimdLevel::Auto,
            seed: 1,
            context_vectors: false,
            format: OutputFormat::Parquet,
        }
    }
}

impl Config {
    /// Checks every value before any work starts; the message names the option.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Config(m));
        if self.k.min == 0 || self.k.max == 0 {
            return bad("--k must be at least 1".into());
        }
        if self.k.min > self.k.max {
            return bad(format!("--k {}: the smaller k must come first", self.k));
        }
        if self.k.max > MAX_K {
            return bad(format!(
                "--k {}: k above {MAX_K} is not supported (the dense k-mer table holds Σ4^k ids)",
                self.k
            ));
        }
        if self.dim == 0 {
            return bad("--dim must be at least 1".into());
        }
        if self.window == 0 {
            return bad("--window must be at least 1".into());
        }
        if self.epochs == 0 {
            return bad("--epochs must be at least 1".into());
        }
        if self.min_count == 0 {
            return bad("--min-count must be at least 1".into());
        }
        if !(self.sample >= 0.0 && self.sample.is_finite()) {
            return bad(format!(
                "--sample {} must be 0 or a positive number",
                self.sample
            ));
        }
        if !(self.noise_exponent.is_finite() && (0.0..=1.0).contains(&self.noise_exponent)) {
            return bad(format!(
                "--noise-exponent {} must lie in [0, 1]",
                self.noise_exponent
            ));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad(format!("--lr {} must be a positive number", self.lr));
        }
        if !(self.min_lr.is_finite() && self.min_lr >= 0.0 && self.min_lr <= self.lr) {
            return bad(format!("--min-lr {} must lie in [0, --lr]", self.min_lr));
        }
        if !(self.l2.is_finite() && self.l2 >= 0.0) {
            return bad(format!("--l2 {} must be 0 or a positive number", self.l2));
        }
        Ok(())
    }

    /// The number of worker threads to use.
    pub fn worker_threads(&self) -> usize {
        if self.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            self.threads
        }
    }

    /// Contexts per draw of negatives: `share_negatives`, 0 being the whole window.
    pub fn contexts_per_negative_draw(&self) -> usize {
        match self.share_negatives {
            0 => usize::MAX,
            n => n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k_ranges_parse() {
        assert_eq!("6".parse::<KRange>().unwrap(), KRange { min: 6, max: 6 });
        assert_eq!("3..8".parse::<KRange>().unwrap(), KRange { min: 3, max: 8 });
        assert_eq!(
            "3..=8".parse::<KRange>().unwrap(),
            KRange { min: 3, max: 8 }
        );
        assert!("x".parse::<KRange>().is_err());
        assert_eq!(KRange { min: 3, max: 8 }.to_string(), "3..8");
    }

    #[test]
    fn validation_names_the_option() {
        assert!(Config::default().validate().is_ok());
        type Case = (fn(&mut Config), &'static str);
        let cases: [Case; 6] = [
            (|c| c.k = KRange { min: 8, max: 3 }, "--k"),
            (|c| c.k = KRange { min: 3, max: 13 }, "--k"),
            (|c| c.dim = 0, "--dim"),
            (|c| c.window = 0, "--window"),
            (|c| c.lr = -1.0, "--lr"),
            (|c| c.sample = -1.0, "--sample"),
        ];
        for (set, option) in cases {
            let mut config = Config::default();
            set(&mut config);
            let message = config.validate().unwrap_err().to_string();
            assert!(message.contains(option), "{message}");
        }
    }
}
