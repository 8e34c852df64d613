//! word2vec's text and binary formats, as gensim's `KeyedVectors.load_word2vec_format` reads
//! them: a header `rows dim`, then per row the k-mer and its vector, as decimal text
//! (`binary=False`) or as `dim` little-endian `f32` after a space (`binary=True`).

use crate::atomic_file::write_atomically;
use crate::error::{Error, Result};
use crate::model::Model;
use std::io::Write;
use std::path::Path;

/// Writes a model in word2vec's text (`binary = false`) or binary format, atomically.
pub fn write_word2vec(model: &Model, path: &Path, binary: bool) -> Result<()> {
    write_atomically(path, |out| {
        let io = |e| Error::io(path, e);
        writeln!(out, "{} {}", model.len(), model.dim).map_err(io)?;
        for (i, kmer) in model.kmers.iter().enumerate() {
            if binary {
                write!(out, "{kmer} ").map_err(io)?;
                for x in model.vector(i) {
                    out.write_all(&x.to_le_bytes()).map_err(io)?;
                }
                out.write_all(b"\n").map_err(io)?;
            } else {
                write!(out, "{kmer}").map_err(io)?;
                for x in model.vector(i) {
                    write!(out, " {x}").map_err(io)?;
                }
                writeln!(out).map_err(io)?;
            }
        }
        Ok(())
    })
}
