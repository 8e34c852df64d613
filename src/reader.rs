//! FASTA/FASTQ input through needletail: plain, gz, bz2, xz or zst (recognised by content),
//! a file or `-` for standard input. A record's sequence splits into runs of A/C/G/T.

use crate::dna::{base_code, NOT_ACGT};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The path that means standard input.
pub const STDIN: &str = "-";

/// How an input is named in messages: `<stdin>` for `-`, else its path.
pub fn shown_name(input: &Path) -> PathBuf {
    if input.as_os_str() == STDIN {
        PathBuf::from("<stdin>")
    } else {
        input.to_path_buf()
    }
}

/// Calls `on_record` with the sequence of every record of `input`, in file order.
pub fn for_each_record(input: &Path, mut on_record: impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
    let input_error = |message: String| Error::Input {
        path: shown_name(input),
        message,
    };
    let parsed = if input.as_os_str() == STDIN {
        needletail::parse_fastx_stdin()
    } else {
        let metadata = std::fs::metadata(input).map_err(|e| Error::io(input, e))?;
        if metadata.is_dir() {
            return Err(input_error("is a directory, not a FASTA/FASTQ file".into()));
        }
        let file = std::fs::File::open(input).map_err(|e| Error::io(input, e))?;
        // A first read here, so that a file that opens but cannot be read says so (needletail
        // would call it empty).
        let mut file = std::io::BufReader::new(file);
        std::io::BufRead::fill_buf(&mut file).map_err(|e| Error::io(input, e))?;
        needletail::parse_fastx_reader(file)
    };
    let mut reader = parsed.map_err(|e| input_error(describe(&e)))?;
    while let Some(record) = reader.next() {
        let record = record.map_err(|e| input_error(describe(&e)))?;
        on_record(&record.seq())?;
    }
    Ok(())
}

/// needletail's message, reworded where it would puzzle a user.
fn describe(error: &needletail::errors::ParseError) -> String {
    use needletail::errors::ParseErrorKind;
    match error.kind {
        ParseErrorKind::EmptyFile => {
            "no FASTA/FASTQ records (an empty file, or truncated or corrupt compressed data)".into()
        }
        ParseErrorKind::UnknownFormat => {
            "not FASTA or FASTQ (a record must start with '>' or '@'), nor gz/bz2/xz/zst".into()
        }
        ParseErrorKind::Io => format!(
            "read failed (corrupt or truncated compressed data?): {}",
            error.msg
        ),
        _ => error.to_string(),
    }
}

/// Whether a byte is a letter of the amino-acid alphabet that no nucleotide code uses
/// (E, F, I, J, L, O, P, Q, Z, either case; X is left out: it also masks DNA).
#[inline]
pub fn amino_acid_only(byte: u8) -> bool {
    matches!(
        byte.to_ascii_uppercase(),
        b'E' | b'F' | b'I' | b'J' | b'L' | b'O' | b'P' | b'Q' | b'Z'
    )
}

/// The maximal runs of A/C/G/T (either case) in `sequence`, each with its start.
pub fn acgt_runs(sequence: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut start = 0;
    std::iter::from_fn(move || {
        while start < sequence.len() && base_code(sequence[start]) == NOT_ACGT {
            start += 1;
        }
        if start >= sequence.len() {
            return None;
        }
        let end = sequence[start..]
            .iter()
            .position(|&b| base_code(b) == NOT_ACGT)
            .map_or(sequence.len(), |n| start + n);
        let run = (start, &sequence[start..end]);
        start = end;
        Some(run)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_split_at_every_non_acgt_base() {
        let runs: Vec<_> = acgt_runs(b"NNacgTNNRYACNG").collect();
        assert_eq!(
            runs,
            vec![(2, &b"acgT"[..]), (10, &b"AC"[..]), (13, &b"G"[..])]
        );
        assert_eq!(acgt_runs(b"NNNN").count(), 0);
        assert_eq!(acgt_runs(b"").count(), 0);
        assert_eq!(
            acgt_runs(b"ACGT").collect::<Vec<_>>(),
            vec![(0, &b"ACGT"[..])]
        );
    }
}
