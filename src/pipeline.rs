//! The commands as library calls: `embed` (inputs → corpus → vocabulary → training →
//! output file) and `tokens` (the token stream of the first epoch, for other tools).

use crate::atomic_file::{check_writable, write_atomically};
use crate::config::{Config, OutputFormat};
use crate::corpus::{Corpus, ReadStats};
use crate::dna::BASES;
use crate::error::{Error, Result};
use crate::model::{Model, PARAMS_KEY, STATS_KEY, VERSION_KEY};
use crate::parquet_io::write_parquet;
use crate::sentences::{Scratch, Tokenizer};
use crate::trainer::{thread_pool, train, Progress, TrainStats};
use crate::vocab::Vocab;
use crate::word2vec_io::write_word2vec;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The crate version, as recorded in outputs.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Everything a run reports, recorded as `kmer2vec.stats` (less the timings).
#[derive(Debug, Clone, Serialize)]
pub struct EmbedStats {
    #[serde(flatten)]
    pub read: ReadStats,
    /// K-mers with a vector.
    pub vocabulary: usize,
    #[serde(flatten)]
    pub train: TrainStats,
    /// Reading the inputs into the corpus. Not in the file's metadata, like every
    /// wall-clock figure: with `--threads 1` the output's bytes depend only on the inputs
    /// and settings.
    #[serde(skip)]
    pub read_seconds: f64,
    /// Writing the output.
    #[serde(skip)]
    pub write_seconds: f64,
    /// Whole run, from the checks of the settings to the output in place.
    #[serde(skip)]
    pub total_seconds: f64,
}

/// Refuses an output path that is also an input or cannot be written, before any work.
pub(crate) fn check_output(inputs: &[PathBuf], output: &Path) -> Result<()> {
    check_writable(output)?;
    let same = |input: &PathBuf| match (input.canonicalize(), output.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if inputs.iter().any(same) {
        return Err(Error::Config(format!(
            "output {} is also an input: refusing to overwrite it",
            output.display()
        )));
    }
    Ok(())
}

/// Learns embeddings of the k-mers of `inputs` and writes them to `output`.
pub fn embed(
    inputs: &[PathBuf],
    output: &Path,
    config: &Config,
    tmp_dir: Option<&Path>,
    progress: &Progress,
) -> Result<EmbedStats> {
    let started = Instant::now();
    config.validate()?;
    check_output(inputs, output)?;
    let (pool, _) = thread_pool(config)?;
    pool.install(|| embed_on_pool(inputs, output, config, tmp_dir, progress, started))
}

/// `embed`'s work, every step of it on the current rayon pool.
fn embed_on_pool(
    inputs: &[PathBuf],
    output: &Path,
    config: &Config,
    tmp_dir: Option<&Path>,
    progress: &Progress,
    started: Instant,
) -> Result<EmbedStats> {
    let corpus = Corpus::build(inputs, config.k, tmp_dir)?;
    let read_seconds = started.elapsed().as_secs_f64();
    let vocab = Vocab::new(corpus.index().clone(), corpus.counts(), config).ok_or_else(|| {
        Error::EmptyInput {
            path: inputs.first().cloned().unwrap_or_default(),
            message: format!("no k-mer occurs --min-count {} times", config.min_count),
        }
    })?;
    let tokenizer = Tokenizer::new(config);
    let (embeddings, train_stats) = train(&corpus, &vocab, &tokenizer, config, progress)?;
    let mut stats = EmbedStats {
        read: corpus.stats().clone(),
        vocabulary: vocab.len(),
        train: train_stats,
        read_seconds,
        write_seconds: 0.0,
        total_seconds: 0.0,
    };
    let metadata = vec![
        (VERSION_KEY.to_string(), VERSION.to_string()),
        (PARAMS_KEY.to_string(), to_json(config)),
        (STATS_KEY.to_string(), to_json(&stats)),
    ];
    let writing = Instant::now();
    let model = Model::new(&vocab, embeddings, config.context_vectors, metadata);
    write_model(&model, output, config.format)?;
    stats.write_seconds = writing.elapsed().as_secs_f64();
    stats.total_seconds = started.elapsed().as_secs_f64();
    Ok(stats)
}

/// Writes a model in `format`.
pub(crate) fn write_model(model: &Model, output: &Path, format: OutputFormat) -> Result<()> {
    match format {
        OutputFormat::Parquet => write_parquet(model, output),
        OutputFormat::Word2vecText => write_word2vec(model, output, false),
        OutputFormat::Word2vecBinary => write_word2vec(model, output, true),
    }
}

/// Settings and statistics as JSON (plain structs of numbers and strings: cannot fail).
pub(crate) fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("settings and statistics serialise to JSON")
}

/// Writes the first epoch's token stream, before min-count and subsampling: the k-mers of
/// each sentence separated by spaces, one sentence a line, to `output` (`None`: stdout).
/// Returns the number of tokens written.
pub fn tokens(
    inputs: &[PathBuf],
    output: Option<&Path>,
    config: &Config,
    tmp_dir: Option<&Path>,
) -> Result<u64> {
    config.validate()?;
    if let Some(output) = output {
        check_output(inputs, output)?;
    }
    let corpus = Corpus::build(inputs, config.k, tmp_dir)?;
    let tokenizer = Tokenizer::new(config);
    let index = corpus.index().clone();
    let write = |out: &mut dyn Write, path: &Path| -> Result<u64> {
        let mut scratch = Scratch::default();
        let mut line = Vec::new();
        let mut written = 0u64;
        let mut failure = None;
        for shard in 0..Tokenizer::shards(&corpus) {
            tokenizer.for_each_sentence(&corpus, 0, shard, &mut scratch, |ids| {
                line.clear();
                for (i, &id) in ids.iter().enumerate() {
                    if i > 0 {
                        line.push(b' ');
                    }
                    let (k, code) = index.kmer(id);
                    line.extend(
                        (0..k)
                            .rev()
                            .map(|j| BASES[((code >> (2 * j)) & 3) as usize]),
                    );
                }
                line.push(b'\n');
                written += ids.len() as u64;
                if failure.is_none() {
                    failure = out.write_all(&line).err();
                }
            });
        }
        match failure {
            Some(e) => Err(Error::io(path, e)),
            None => Ok(written),
        }
    };
    match output {
        Some(path) => {
            let mut written = 0;
            write_atomically(path, |out| {
                written = write(out, path)?;
                Ok(())
            })?;
            Ok(written)
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let written = write(&mut out, Path::new("<stdout>"))?;
            out.flush().map_err(|e| Error::io("<stdout>", e))?;
            Ok(written)
        }
    }
}
