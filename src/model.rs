//! A trained model as it is written and read: one row per k-mer, its vector, and the run's
//! settings and statistics.

use crate::error::{Error, Result};
use crate::trainer::Embeddings;
use crate::vocab::Vocab;
use std::path::Path;

/// Metadata keys, both in the Parquet footer and in the Arrow schema.
pub const VERSION_KEY: &str = "kmer2vec.version";
pub const PARAMS_KEY: &str = "kmer2vec.params";
pub const STATS_KEY: &str = "kmer2vec.stats";

/// The k-mers, their vectors and the run's metadata.
#[derive(Debug, Clone)]
pub struct Model {
    pub kmers: Vec<String>,
    pub k: Vec<u8>,
    pub counts: Vec<u64>,
    pub dim: usize,
    /// `rows × dim`, row-major.
    pub vectors: Vec<f32>,
    /// `rows × dim` context vectors, when kept.
    pub contexts: Option<Vec<f32>>,
    /// `(key, value)` pairs: version, params JSON, stats JSON.
    pub metadata: Vec<(String, String)>,
}

impl Model {
    /// The model of a vocabulary and its trained matrices.
    pub fn new(
        vocab: &Vocab,
        embeddings: Embeddings,
        keep_contexts: bool,
        metadata: Vec<(String, String)>,
    ) -> Self {
        let rows = vocab.len() as u32;
        let (kmers, (k, counts)) = (0..rows)
            .map(|row| {
                let (k, _) = vocab.index().kmer(vocab.id(row));
                (
                    vocab.index().kmer_string(vocab.id(row)),
                    (k as u8, vocab.count(row)),
                )
            })
            .unzip();
        Model {
            kmers,
            k,
            counts,
            dim: embeddings.dim,
            vectors: embeddings.vectors,
            contexts: keep_contexts.then_some(embeddings.contexts),
            metadata,
        }
    }

    /// How many k-mers the model holds.
    pub fn len(&self) -> usize {
        self.kmers.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.kmers.is_empty()
    }

    /// The vector of row `i`.
    pub fn vector(&self, i: usize) -> &[f32] {
        &self.vectors[i * self.dim..(i + 1) * self.dim]
    }

    /// Reads a model: kmer2vec's Parquet, recognised by its magic bytes, or word2vec's text
    /// format (gensim's, dna2vec's).
    pub fn read(path: &Path) -> Result<Model> {
        let mut magic = [0u8; 4];
        let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let read = std::io::Read::read(&mut file, &mut magic).map_err(|e| Error::io(path, e))?;
        if read == 4 && &magic == b"PAR1" {
            crate::parquet_io::read_parquet(path)
        } else {
            crate::word2vec_io::read_word2vec_text(path)
        }
    }

    /// The value of a metadata key.
    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.metadata
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}
