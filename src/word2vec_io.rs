//! word2vec's text and binary formats, as gensim's `KeyedVectors.load_word2vec_format` reads
//! them: a header `rows dim`, then per row the k-mer and its vector, as decimal text
//! (`binary=False`) or as `dim` little-endian `f32` after a space (`binary=True`). The text
//! format is also read, so that `evaluate` and `similar` take models of other tools (gensim's,
//! dna2vec's own pretrained files).

use crate::atomic_file::write_atomically;
use crate::error::{Error, Result};
use crate::model::Model;
use std::io::{BufRead, BufReader, Write};
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

/// Reads a model in word2vec's text format whose words are k-mers (A, C, G, T; upper or
/// lower case; 1 to 32 bases). Counts are unknown (0); there are no context vectors.
pub fn read_word2vec_text(path: &Path) -> Result<Model> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let bad = |line: usize, message: String| Error::Model {
        path: path.to_path_buf(),
        message: format!("line {line}: {message}"),
    };
    let mut lines = BufReader::new(file).lines();
    let header = match lines.next() {
        Some(line) => line.map_err(|e| Error::io(path, e))?,
        None => return Err(bad(1, "empty file: not a word2vec text model".into())),
    };
    let numbers: Vec<usize> = header
        .split_whitespace()
        .map(str::parse)
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| {
            bad(
                1,
                format!("header '{header}' is not 'rows dim': not a word2vec text model"),
            )
        })?;
    let (rows, dim) = match numbers[..] {
        [rows, dim] if dim > 0 => (rows, dim),
        _ => return Err(bad(1, format!("header '{header}' is not 'rows dim'"))),
    };
    let mut model = Model {
        kmers: Vec::with_capacity(rows.min(1 << 20)),
        k: Vec::new(),
        counts: Vec::new(),
        dim,
        vectors: Vec::with_capacity(rows.min(1 << 20) * dim),
        contexts: None,
        metadata: Vec::new(),
    };
    for (i, line) in lines.enumerate() {
        let number = i + 2;
        let line = line.map_err(|e| Error::io(path, e))?;
        let mut fields = line.split_whitespace();
        let Some(word) = fields.next() else { continue };
        let kmer = word.to_ascii_uppercase();
        if kmer.is_empty() || kmer.len() > 32 || !kmer.bytes().all(|b| b"ACGT".contains(&b)) {
            return Err(bad(
                number,
                format!("'{word}' is not a k-mer of 1 to 32 A/C/G/T"),
            ));
        }
        let before = model.vectors.len();
        for field in fields {
            let x: f32 = field
                .parse()
                .map_err(|_| bad(number, format!("'{field}' is not a number")))?;
            model.vectors.push(x);
        }
        if model.vectors.len() - before != dim {
            return Err(bad(
                number,
                format!(
                    "{} values, the header says {dim}",
                    model.vectors.len() - before
                ),
            ));
        }
        model.k.push(kmer.len() as u8);
        model.counts.push(0);
        model.kmers.push(kmer);
    }
    if model.kmers.len() != rows {
        return Err(bad(
            model.kmers.len() + 1,
            format!("{} rows, the header says {rows}", model.kmers.len()),
        ));
    }
    Ok(model)
}
