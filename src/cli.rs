//! The command line: clap definitions mapped onto the library's `Config`.

use clap::{Args, Parser, Subcommand};
use kmer2vec::k2c::WindowWeights;
use kmer2vec::sgns::SimdLevel;
use kmer2vec::{Config, KRange, OutputFormat};
use std::path::PathBuf;

/// dna2vec-style k-mer embeddings (skip-gram with negative sampling) from FASTA/FASTQ.
#[derive(Debug, Parser)]
#[command(
    name = "kmer2vec",
    version,
    about,
    propagate_version = true,
    args_override_self = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// No progress bar and no summary on stderr (errors are still printed).
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Also print the run's statistics as JSON on stderr when done.
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Learn k-mer embeddings from FASTA/FASTQ files and write them (Parquet by default).
    Embed(EmbedArgs),
    /// Write the token stream the trainer sees in epoch 1: one sentence a line, k-mers
    /// separated by spaces (before min-count and subsampling).
    Tokens(TokensArgs),
    /// Print the k-mers nearest to KMER by cosine similarity.
    Similar(SimilarArgs),
    /// Check a model as dna2vec's paper did: similarity vs alignment, nearest neighbours,
    /// concatenation arithmetic, and the shifted-PMI fit when counts are given.
    Evaluate(EvaluateArgs),
    /// Draw a model as one self-contained HTML page: settings, loss curve, a 2-D map by GC
    /// and k, the checks' scatter plots, nearest neighbours.
    Report(ReportArgs),
    /// Count k-mers and their window co-occurrences into a .k2c file (one shard of a
    /// scatter/gather run, or a whole genome).
    Count(CountArgs),
    /// Sum .k2c files counted with the same settings into one.
    Merge(MergeArgs),
    /// Learn k-mer embeddings from a .k2c file: positive pairs drawn in proportion to
    /// their co-occurrence counts, with embed's trainer.
    Train(TrainArgs),
    /// How close a model is to SGNS's optimum: correlation of u_w·v_c with PMI(w,c) − ln k
    /// from counts (the model needs --context-vectors).
    Pmi(PmiArgs),
}

/// Options shared by every command that reads sequences.
#[derive(Debug, Args)]
pub struct TokenOptions {
    /// FASTA/FASTQ inputs, plain or gz/bz2/xz/zst; `-` reads standard input.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// k-mer length, or a range `MIN..MAX` from which k is drawn at every position.
    #[arg(short, long, default_value = "3..8", value_name = "K")]
    pub k: KRange,

    /// A k-mer and its reverse complement share one vector.
    #[arg(long)]
    pub canonical: bool,

    /// Do not cut records into random 2500–4999 bp segments.
    #[arg(long)]
    pub no_fragment: bool,

    /// Do not replace segments by their reverse complement (probability 1/2 by default).
    #[arg(long)]
    pub no_flip: bool,

    /// Seed of all random draws; with --threads 1 the output is byte-for-byte reproducible.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Directory for the temporary 2-bit corpus (default: the system's temporary directory).
    #[arg(long, value_name = "DIR")]
    pub tmp_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EmbedArgs {
    #[command(flatten)]
    pub tokens: TokenOptions,

    /// Output file.
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,

    /// Maximum context distance (the window is drawn from 1..=WINDOW per position).
    #[arg(long, default_value_t = 10)]
    pub window: usize,

    /// Contexts of a window that share one draw of negatives (0: the whole window,
    /// fastest; 1: a draw per pair, as word2vec).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub share_negatives: usize,

    /// Passes over the corpus.
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,

    /// Subsampling threshold t (word2vec's): frequent k-mers are kept with probability
    /// (√(f/t)+1)·t/f; 0 turns it off.
    #[arg(long, default_value_t = 1e-3)]
    pub sample: f64,

    #[command(flatten)]
    pub model: ModelOptions,
}

/// Training and output options shared by `embed` and `train`.
#[derive(Debug, Args)]
pub struct ModelOptions {
    /// Output format.
    #[arg(long, value_enum, default_value = "parquet")]
    pub format: OutputFormat,

    /// Also write the context (output) vectors, as column `context`.
    #[arg(long)]
    pub context_vectors: bool,

    /// Vector dimension.
    #[arg(long, default_value_t = 100)]
    pub dim: usize,

    /// Negative samples per positive pair.
    #[arg(long, default_value_t = 5)]
    pub negatives: usize,

    /// Starting learning rate (decays linearly to --min-lr).
    #[arg(long, default_value_t = 0.025)]
    pub lr: f32,

    /// Final learning rate.
    #[arg(long, default_value_t = 0.0001)]
    pub min_lr: f32,

    /// ℓ2 penalty on the vectors an update touches (0: off).
    #[arg(long, default_value_t = 0.0)]
    pub l2: f32,

    /// K-mers seen fewer times get no vector.
    #[arg(long, default_value_t = 1)]
    pub min_count: u64,

    /// Noise distribution exponent α: negatives are drawn ∝ count^α.
    #[arg(long, default_value_t = 0.75)]
    pub noise_exponent: f64,

    /// Worker threads (0: all cores).
    #[arg(short, long, default_value_t = 0)]
    pub threads: usize,

    /// Vector instructions training may use, at most: to compare the paths.
    #[arg(long, value_enum, default_value_t = SimdLevel::Auto)]
    pub simd: SimdLevel,
}

impl ModelOptions {
    /// These options on top of `config`.
    pub fn apply(&self, config: &mut Config) {
        config.format = self.format;
        config.context_vectors = self.context_vectors;
        config.dim = self.dim;
        config.negatives = self.negatives;
        config.lr = self.lr;
        config.min_lr = self.min_lr;
        config.l2 = self.l2;
        config.min_count = self.min_count;
        config.noise_exponent = self.noise_exponent;
        config.threads = self.threads;
        config.simd = self.simd;
    }
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Counts written by `kmer2vec count` or `merge` (.k2c).
    #[arg(value_name = "COUNTS")]
    pub counts: PathBuf,

    /// Output file.
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,

    /// Pair updates (default: as many as one epoch of `embed` would make on the counted
    /// tokens, tokens × (window + 1)).
    #[arg(long, value_name = "N")]
    pub updates: Option<u64>,

    /// Seed of all random draws; with --threads 1 the output is byte-for-byte reproducible.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    #[command(flatten)]
    pub model: ModelOptions,
}

impl TrainArgs {
    /// The run's settings (the k range and window come from the counts).
    pub fn config(&self) -> Config {
        let mut config = Config {
            seed: self.seed,
            ..Config::default()
        };
        self.model.apply(&mut config);
        config
    }
}

#[derive(Debug, Args)]
pub struct TokensArgs {
    #[command(flatten)]
    pub tokens: TokenOptions,

    /// Output file (default: standard output).
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CountArgs {
    /// FASTA/FASTQ inputs, plain or gz/bz2/xz/zst; `-` reads standard input.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Output file (.k2c).
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,

    /// k-mer length, or a range `MIN..MAX`: k at each position is then drawn by a hash of
    /// the seed and the bases there, so that counts do not depend on how inputs are split.
    #[arg(short, long, default_value = "3..8", value_name = "K")]
    pub k: KRange,

    /// A k-mer and its reverse complement are counted as one.
    #[arg(long)]
    pub canonical: bool,

    /// Count pairs of tokens up to this many positions apart.
    #[arg(long, default_value_t = 10)]
    pub window: usize,

    /// What a pair d positions apart adds: W − d + 1 (linear: what embed's window, drawn
    /// from 1..=W per position, trains in expectation), or 1 (flat).
    #[arg(long, value_enum, default_value = "linear", value_name = "WEIGHTS")]
    pub window_weights: WindowWeights,

    /// Seed of the choice of k (with a k range).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Memory for pair counts, e.g. 512M or 2G; beyond it sorted runs spill to --tmp-dir.
    #[arg(long, default_value = "2G", value_parser = parse_memory, value_name = "SIZE")]
    pub memory: u64,

    /// Directory for the temporary corpus and spilled runs (default: the system's).
    #[arg(long, value_name = "DIR")]
    pub tmp_dir: Option<PathBuf>,
}

impl CountArgs {
    /// The counting settings, as a `Config`.
    pub fn config(&self) -> Config {
        Config {
            k: self.k,
            canonical: self.canonical,
            window: self.window,
            seed: self.seed,
            fragment: false,
            flip: false,
            ..Config::default()
        }
    }
}

/// A size in bytes: a number with an optional K, M, G or T suffix (powers of 1024).
fn parse_memory(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((at, _)) => text.split_at(at),
        None => (text, ""),
    };
    let shift = match unit.to_ascii_uppercase().trim_end_matches(['B', 'I']) {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("unknown unit {unit:?}: use K, M, G or T")),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a size such as 512M or 2G"))?;
    if !(value.is_finite() && value > 0.0) {
        return Err(format!("{text:?} is not a positive size"));
    }
    Ok((value * (1u64 << shift) as f64) as u64)
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// .k2c files written by `kmer2vec count` (or `merge`) with the same settings.
    #[arg(required = true, value_name = "COUNTS")]
    pub inputs: Vec<PathBuf>,

    /// Output file (.k2c).
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct PmiArgs {
    /// A model with context vectors (Parquet).
    pub model: PathBuf,

    /// Counts of the same k-mers (.k2c), e.g. `kmer2vec count` of the model's input.
    pub counts: PathBuf,

    /// Pairs seen fewer times are left out (their PMI is noise).
    #[arg(long, default_value_t = 100)]
    pub min_count: u64,

    /// k of the shift ln k (default: the model's --negatives, else 5).
    #[arg(long)]
    pub negatives: Option<usize>,

    /// Noise exponent of the target: 1 is PMI − ln k; the trainer's α (0.75) gives the
    /// smoothed form ln(X_wc·S_α/(k·X_w·X_c^α)).
    #[arg(long, default_value_t = 1.0)]
    pub alpha: f64,

    /// Write the scatter plot of u·v against the target here (SVG).
    #[arg(long, value_name = "SVG")]
    pub plot: Option<PathBuf>,

    /// Print the result as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// A model: kmer2vec's Parquet, or word2vec's text format (gensim's, dna2vec's).
    pub model: PathBuf,

    #[command(flatten)]
    pub checks: CheckArgs,

    /// Print the result as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A model: kmer2vec's Parquet, or word2vec's text format.
    pub model: PathBuf,

    /// Output file (HTML, self-contained).
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,

    #[command(flatten)]
    pub checks: CheckArgs,
}

/// The samples of `evaluate` and `report`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// k of the similarity check's random pairs.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u8).range(1..=32))]
    pub k: u8,

    /// Random pairs in the similarity check.
    #[arg(long, default_value_t = 10_000)]
    pub pairs: usize,

    /// K-mers per k in the nearest-neighbour check.
    #[arg(long, default_value_t = 1_000)]
    pub queries: usize,

    /// Trials of the concatenation check.
    #[arg(long, default_value_t = 1_000)]
    pub trials: usize,

    /// Seed of the samples.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Counts of the model's input (.k2c, `kmer2vec count`): adds the shifted-PMI check
    /// (needs a model with context vectors).
    #[arg(long, value_name = "K2C")]
    pub counts: Option<PathBuf>,

    /// Pairs seen fewer times are left out of the PMI check.
    #[arg(long, default_value_t = 100)]
    pub min_count: u64,
}

#[derive(Debug, Args)]
pub struct SimilarArgs {
    /// A model written by `kmer2vec embed` (Parquet).
    pub model: PathBuf,

    /// The k-mer to look up.
    pub kmer: String,

    /// How many neighbours to print.
    #[arg(short, default_value_t = 10)]
    pub n: usize,
}

impl TokenOptions {
    /// The tokenisation settings, on top of the defaults.
    pub fn apply(&self, config: &mut Config) {
        config.k = self.k;
        config.canonical = self.canonical;
        config.fragment = !self.no_fragment;
        config.flip = !self.no_flip;
        config.seed = self.seed;
    }
}

impl EmbedArgs {
    /// The run's settings.
    pub fn config(&self) -> Config {
        let mut config = Config {
            sample: self.sample,
            window: self.window,
            share_negatives: self.share_negatives,
            epochs: self.epochs,
            ..Config::default()
        };
        self.model.apply(&mut config);
        self.tokens.apply(&mut config);
        config
    }
}
