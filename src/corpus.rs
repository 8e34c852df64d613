//! The corpus: every A/C/G/T run of the inputs packed 2 bits per base into an unnamed,
//! memory-mapped temporary file, plus per-k k-mer counts, built in one pass over the inputs.
//!
//! Bases are numbered globally in input order; base `g` lives in byte `g / 4` at bits
//! `2·(g mod 4)`. Training reads the map, so resident memory holds only the pages in use.

use crate::config::KRange;
use crate::dna::base_code;
use crate::error::{Error, Result};
use crate::interrupt;
use crate::kmer_index::KmerIndex;
use crate::reader::{acgt_runs, amino_acid_only, for_each_record, shown_name};
use memmap2::{Mmap, UncheckedAdvice};
use serde::Serialize;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// One maximal A/C/G/T run of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    /// Global index of the run's first base.
    pub start: u64,
    /// Length in bases.
    pub len: u64,
    /// Index of the record (counted over all inputs).
    pub record: u64,
    /// Position of the run's first base in its record.
    pub record_pos: u64,
}

/// What reading found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReadStats {
    /// The inputs, as given.
    pub inputs: Vec<String>,
    /// FASTA/FASTQ records.
    pub records: u64,
    /// All sequence bytes of all records.
    pub bases: u64,
    /// Bases that were not A/C/G/T (N, IUPAC codes, anything else): skipped, splitting runs.
    pub skipped: u64,
}

/// The packed corpus and its k-mer counts.
#[derive(Debug)]
pub struct Corpus {
    packed: Mmap,
    runs: Vec<Run>,
    counts: Vec<u64>,
    index: KmerIndex,
    stats: ReadStats,
}

impl Corpus {
    /// Reads `inputs` (`-` is standard input) into a corpus packed in a temporary file in
    /// `tmp_dir` (default: the system's), counting every k-mer of every length in `k`.
    pub fn build(inputs: &[PathBuf], k: KRange, tmp_dir: Option<&Path>) -> Result<Corpus> {
        let tmp_dir = tmp_dir.map_or_else(std::env::temp_dir, Path::to_path_buf);
        // An unnamed file: the OS removes it when the map and handle close, even after a crash.
        let file = tempfile::tempfile_in(&tmp_dir).map_err(|e| Error::io(&tmp_dir, e))?;
        let index = KmerIndex::new(k);
        let mut builder = Builder {
            tmp_dir: tmp_dir.clone(),
            packer: Packer::new(BufWriter::with_capacity(1 << 20, &file)),
            counter: KmerCounter::new(&index),
            runs: Vec::new(),
            stats: ReadStats::default(),
        };
        for input in inputs {
            builder.read(input, k)?;
        }
        let Builder {
            packer,
            tmp_dir: _,
            counter,
            runs,
            stats,
        } = builder;
        packer.finish().map_err(|e| Error::io(&tmp_dir, e))?;
        // SAFETY: the file is ours alone (unnamed, created above) and no longer written to.
        let packed = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(&tmp_dir, e))?;
        Ok(Corpus {
            packed,
            runs,
            counts: counter.counts,
            index,
            stats,
        })
    }

    /// The runs, in input order (`start` increasing).
    pub fn runs(&self) -> &[Run] {
        &self.runs
    }

    /// Total A/C/G/T bases.
    pub fn total_bases(&self) -> u64 {
        self.runs.last().map_or(0, |r| r.start + r.len)
    }

    /// Counts per k-mer id (one strand).
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// The k-mer id space the counts use.
    pub fn index(&self) -> &KmerIndex {
        &self.index
    }

    /// What reading found.
    pub fn stats(&self) -> &ReadStats {
        &self.stats
    }

    /// Gives back this process's memory for the whole pages of bases `from..to`: training
    /// calls it on every shard it finishes, so that the resident part of the corpus stays a
    /// few pages, whatever the genome's size (an input 4× larger maps 4× the bytes but
    /// holds no more of them). A page read again is faulted back from the page cache.
    pub fn release(&self, from: u64, to: u64) {
        const PAGE: u64 = 4096;
        let start = (from / 4).div_ceil(PAGE) * PAGE;
        let end = ((to / 4) / PAGE * PAGE).min(self.packed.len() as u64 / PAGE * PAGE);
        if end > start {
            // SAFETY: the map is a shared, read-only map of a file that nothing writes any
            // more. MADV_DONTNEED drops this process's pages of the range; a later read of
            // them (by any thread, even one reading now through `copy_bases`) faults the
            // same bytes back in from the page cache or the file, so no reader can see a
            // change. (The kernel may round the range to its page size; a page dropped
            // beyond it costs one such fault.) A failure only means the pages stay.
            let _ = unsafe {
                self.packed.unchecked_advise_range(
                    UncheckedAdvice::DontNeed,
                    start as usize,
                    (end - start) as usize,
                )
            };
        }
    }

    /// Appends the 2-bit codes of global bases `from..to` to `out`.
    pub fn copy_bases(&self, from: u64, to: u64, out: &mut Vec<u8>) {
        out.extend((from..to).map(|g| (self.packed[(g / 4) as usize] >> (2 * (g % 4))) & 3));
    }
}

/// The state of one pass over the inputs.
struct Builder<W: Write> {
    tmp_dir: PathBuf,
    packer: Packer<W>,
    counter: KmerCounter,
    runs: Vec<Run>,
    stats: ReadStats,
}

impl<W: Write> Builder<W> {
    /// Reads one input into the corpus; refuses an input without a single run of k_min bases.
    fn read(&mut self, input: &Path, k: KRange) -> Result<()> {
        let mut longest_run = 0;
        let mut codes = Vec::new();
        // Amino-acid letters, and the first record that has some (only records with
        // non-ACGT bytes are looked at).
        let (mut protein_letters, mut protein_record) = (0u64, None);
        let (read_before, first_record) = (self.stats.bases, self.stats.records);
        for_each_record(input, |sequence| {
            interrupt::check()?;
            let record = self.stats.records;
            self.stats.records += 1;
            self.stats.bases += sequence.len() as u64;
            let mut acgt = 0;
            for (record_pos, bases) in acgt_runs(sequence) {
                acgt += bases.len();
                codes.clear();
                codes.extend(bases.iter().map(|&b| base_code(b)));
                self.runs.push(Run {
                    start: self.packer.len,
                    len: codes.len() as u64,
                    record,
                    record_pos: record_pos as u64,
                });
                self.packer
                    .push(&codes)
                    .map_err(|e| Error::io(&self.tmp_dir, e))?;
                self.counter.count(&codes);
                longest_run = longest_run.max(codes.len());
            }
            self.stats.skipped += (sequence.len() - acgt) as u64;
            if acgt < sequence.len() {
                let letters = sequence.iter().filter(|&&b| amino_acid_only(b)).count() as u64;
                protein_letters += letters;
                if letters > 0 {
                    protein_record.get_or_insert(record - first_record + 1);
                }
            }
            Ok(())
        })?;
        // Real protein has about a third of its residues among E, F, I, L, P, Q; DNA none.
        let bases = self.stats.bases - read_before;
        if protein_letters * 10 > bases {
            return Err(Error::Input {
                path: shown_name(input),
                message: format!(
                    "looks like protein, not DNA: {protein_letters} of {bases} letters are \
                     amino-acid codes (E, F, I, L, P, Q...), from record {}",
                    protein_record.unwrap_or(1)
                ),
            });
        }
        self.stats.inputs.push(input.display().to_string());
        if longest_run < k.min {
            return Err(Error::EmptyInput {
                path: shown_name(input),
                message: format!(
                    "no run of {} or more A/C/G/T bases (empty, protein or all-N sequence?)",
                    k.min
                ),
            });
        }
        Ok(())
    }
}

/// Packs 2-bit codes, 4 to a byte, into a writer.
struct Packer<W: Write> {
    out: W,
    byte: u8,
    /// Bases written so far.
    len: u64,
}

impl<W: Write> Packer<W> {
    fn new(out: W) -> Self {
        Packer {
            out,
            byte: 0,
            len: 0,
        }
    }

    fn push(&mut self, codes: &[u8]) -> std::io::Result<()> {
        for &code in codes {
            self.byte |= code << (2 * (self.len % 4));
            self.len += 1;
            if self.len.is_multiple_of(4) {
                self.out.write_all(&[self.byte])?;
                self.byte = 0;
            }
        }
        Ok(())
    }

    /// Writes the last partial byte and one spare, so that a map of zero bases is not empty.
    fn finish(mut self) -> std::io::Result<()> {
        self.out.write_all(&[self.byte, 0])?;
        self.out.flush()
    }
}

/// Counts every k-mer of every length of a range, by dense id.
struct KmerCounter {
    index: KmerIndex,
    counts: Vec<u64>,
}

impl KmerCounter {
    fn new(index: &KmerIndex) -> Self {
        KmerCounter {
            index: index.clone(),
            counts: vec![0; index.len()],
        }
    }

    /// Adds the k-mers of one run. `window` holds the last k_max bases; the k-mer of length
    /// k ending at base i is its low 2k bits.
    fn count(&mut self, codes: &[u8]) {
        let k = self.index.k();
        let mut window = 0u64;
        for (i, &code) in codes.iter().enumerate() {
            window = (window << 2) | code as u64;
            for length in k.min..=k.max.min(i + 1) {
                let kmer = window & ((1u64 << (2 * length)) - 1);
                self.counts[self.index.id(length, kmer) as usize] += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dna::kmer_code;

    fn corpus_of(fasta: &str, k: KRange) -> Result<Corpus> {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(fasta.as_bytes()).unwrap();
        Corpus::build(&[file.path().to_path_buf()], k, None)
    }

    #[test]
    fn packs_runs_and_counts_kmers() {
        let corpus = corpus_of(">a\nACGTNacgta\n>b\nGGG\n", KRange { min: 2, max: 3 }).unwrap();
        let runs = corpus.runs();
        assert_eq!(runs.len(), 3);
        assert_eq!(
            (
                runs[1].start,
                runs[1].len,
                runs[1].record,
                runs[1].record_pos
            ),
            (4, 5, 0, 5)
        );
        assert_eq!(runs[2].record, 1);
        let mut codes = Vec::new();
        corpus.copy_bases(4, 9, &mut codes);
        assert_eq!(codes, vec![0, 1, 2, 3, 0]);
        let index = corpus.index();
        let count =
            |s: &str| corpus.counts()[index.id(s.len(), kmer_code(s.as_bytes()).unwrap()) as usize];
        assert_eq!(count("AC"), 2);
        assert_eq!(count("GG"), 2);
        assert_eq!(count("GGG"), 1);
        assert_eq!(count("TA"), 1);
        assert_eq!(count("TN".replace('N', "A").as_str()), 1);
        let stats = corpus.stats();
        assert_eq!((stats.records, stats.bases, stats.skipped), (2, 13, 1));
    }

    #[test]
    fn refuses_input_without_a_kmer() {
        let error = corpus_of(">a\nNNNN\n", KRange { min: 3, max: 3 }).unwrap_err();
        assert!(error.to_string().contains("no run of 3"), "{error}");
    }
}
