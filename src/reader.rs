//! FASTA/FASTQ input through needletail: plain, gz, bz2, xz or zst (recognised by content),
//! a file or `-` for standard input. A record's sequence splits into runs of A/C/G/T.

use crate::dna::{base_code, NOT_ACGT};
use crate::error::{Error, Result};
use std::ops::Range;
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

/// The records of one FASTA/FASTQ input, plain or compressed (recognised by content), or
/// standard input for `-`, read one at a time with needletail.
pub struct Records {
    input: PathBuf,
    reader: Box<dyn needletail::FastxReader>,
}

impl Records {
    /// Opens `input`. A missing path, a directory, a file that cannot be read, an empty one
    /// and one in another format are errors that name it.
    pub fn open(input: &Path) -> Result<Records> {
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
            // A first read here, so that a file that opens but cannot be read says so
            // (needletail would call it empty).
            let mut file = std::io::BufReader::new(file);
            std::io::BufRead::fill_buf(&mut file).map_err(|e| Error::io(input, e))?;
            needletail::parse_fastx_reader(file)
        };
        let reader = parsed.map_err(|e| input_error(describe(&e)))?;
        Ok(Records {
            input: input.to_path_buf(),
            reader,
        })
    }

    /// Calls `on_sequence` with the next record's sequence as the file holds it (a FASTA
    /// sequence keeps its line breaks: `encode_runs` skips them, so the sequence is not
    /// first copied without them) and returns what it returns; `None` after the last
    /// record.
    pub fn next_record<R>(&mut self, on_sequence: impl FnOnce(&[u8]) -> R) -> Option<Result<R>> {
        let record = self.reader.next()?;
        Some(match record {
            Ok(record) => Ok(on_sequence(record.raw_seq())),
            Err(e) => Err(Error::Input {
                path: shown_name(&self.input),
                message: describe(&e),
            }),
        })
    }
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

/// Appends the 2-bit codes of `sequence` to `codes` (`NOT_ACGT` for every other byte, none
/// for line breaks, `\n` and `\r`), and to `runs` where its maximal runs of A/C/G/T (either
/// case) lie in `codes`: one table lookup a byte, then vectorised searches (memchr) for the
/// line breaks and for the bytes that are not A/C/G/T.
pub fn encode_runs(sequence: &[u8], codes: &mut Vec<u8>, runs: &mut Vec<Range<usize>>) {
    // Room for the whole record at once: a chromosome would otherwise regrow (and copy) the
    // codes a dozen times.
    codes.reserve(sequence.len());
    let mut start = codes.len();
    for line in sequence.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        codes.extend(line.iter().map(|&b| base_code(b)));
    }
    while start < codes.len() {
        let end = memchr::memchr(NOT_ACGT, &codes[start..]).map_or(codes.len(), |n| start + n);
        if end > start {
            runs.push(start..end);
        }
        start = end + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_split_at_every_non_acgt_base() {
        // After a first sequence, so that the ranges are seen to start where it ends.
        let runs = |sequence: &[u8]| -> Vec<(usize, Vec<u8>)> {
            let (mut codes, mut runs) = (Vec::new(), Vec::new());
            encode_runs(b"GAN", &mut codes, &mut runs);
            assert_eq!(
                (&codes[..], runs.first()),
                (&[2, 0, NOT_ACGT][..], Some(&(0..2)))
            );
            encode_runs(sequence, &mut codes, &mut runs);
            let line_breaks = sequence
                .iter()
                .filter(|&&b| b == b'\n' || b == b'\r')
                .count();
            assert_eq!(codes.len(), 3 + sequence.len() - line_breaks);
            runs[1..]
                .iter()
                .map(|run| (run.start - 3, codes[run.clone()].to_vec()))
                .collect()
        };
        assert_eq!(
            runs(b"NNacgTNNRYACNG"),
            vec![(2, vec![0, 1, 2, 3]), (10, vec![0, 1]), (13, vec![2])]
        );
        assert_eq!(runs(b"NNNN"), vec![]);
        assert_eq!(runs(b""), vec![]);
        assert_eq!(runs(b"ACGT"), vec![(0, vec![0, 1, 2, 3])]);
        assert_eq!(runs(b"ACxxG"), vec![(0, vec![0, 1]), (4, vec![2])]);
        // Line breaks are not bases: they neither split runs nor count.
        assert_eq!(
            runs(b"AC\nGT\r\nNA\n"),
            vec![(0, vec![0, 1, 2, 3]), (5, vec![0])]
        );
    }
}
