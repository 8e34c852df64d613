//! The corpus: every A/C/G/T run of the inputs packed 2 bits per base into an unnamed,
//! memory-mapped temporary file, plus per-k k-mer counts, built in one pass over the inputs.
//!
//! Bases are numbered globally in input order; base `g` lives in byte `g / 4` at bits
//! `2·(g mod 4)`. Training reads the map, so resident memory holds only the pages in use.

use crate::config::KRange;
use crate::error::{Error, Result};
use crate::interrupt;
use crate::kmer_index::KmerIndex;
use crate::reader::{amino_acid_only, encode_runs, shown_name, Records};
use memmap2::{Mmap, UncheckedAdvice};
use rayon::prelude::*;
use serde::Serialize;
use std::io::{BufWriter, Write};
use std::ops::Range;
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
    /// Reading and decompressing are one thread's; on the current rayon pool, each batch
    /// of records is packed and counted (one task per length) while the next is read.
    pub fn build(inputs: &[PathBuf], k: KRange, tmp_dir: Option<&Path>) -> Result<Corpus> {
        let tmp_dir = tmp_dir.map_or_else(std::env::temp_dir, Path::to_path_buf);
        // An unnamed file: the OS removes it when the map and handle close, even after a crash.
        let file = tempfile::tempfile_in(&tmp_dir).map_err(|e| Error::io(&tmp_dir, e))?;
        let index = KmerIndex::new(k);
        let mut builder = Builder {
            tmp_dir: tmp_dir.clone(),
            packer: Packer::new(BufWriter::with_capacity(1 << 20, &file)),
            counter: KmerCounter::new(&index),
            batch: Batch::default(),
            full: Batch::default(),
            runs: Vec::new(),
            stats: ReadStats::default(),
        };
        for input in inputs {
            builder.read(input, k)?;
        }
        // The last batch.
        pack_and_count(
            &mut builder.packer,
            &mut builder.counter,
            &mut builder.batch,
            &tmp_dir,
        )?;
        let Builder {
            packer,
            counter,
            runs,
            stats,
            ..
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

/// Bases gathered before they are packed and counted.
const BATCH_BASES: usize = 1 << 20;

/// The state of one pass over the inputs.
struct Builder<W: Write> {
    tmp_dir: PathBuf,
    packer: Packer<W>,
    counter: KmerCounter,
    /// Records read and not yet packed and counted.
    batch: Batch,
    /// The last full batch, packed and counted while `batch` fills; empty in between.
    full: Batch,
    runs: Vec<Run>,
    stats: ReadStats,
}

/// What one input's records showed, for the checks at its end.
#[derive(Default)]
struct InputSummary {
    /// The index of its first record.
    first_record: u64,
    longest_run: usize,
    /// Amino-acid letters, and the first record that has some (only records with non-ACGT
    /// bytes are looked at).
    protein_letters: u64,
    protein_record: Option<u64>,
}

/// The codes of records, gathered to be packed and counted in one go.
#[derive(Default)]
struct Batch {
    /// 2-bit codes, `NOT_ACGT` between runs.
    codes: Vec<u8>,
    /// Where the runs lie in `codes`.
    runs: Vec<Range<usize>>,
}

impl<W: Write + Send> Builder<W> {
    /// Reads one input into the corpus; refuses an input without a single run of k_min bases.
    fn read(&mut self, input: &Path, k: KRange) -> Result<()> {
        let mut records = Records::open(input)?;
        let read_before = self.stats.bases;
        let mut summary = InputSummary {
            first_record: self.stats.records,
            ..InputSummary::default()
        };
        loop {
            let Builder {
                tmp_dir,
                packer,
                counter,
                batch,
                full,
                runs,
                stats,
            } = self;
            let (packed, filled) = rayon::join(
                || pack_and_count(packer, counter, full, tmp_dir),
                || fill(&mut records, batch, runs, stats, &mut summary),
            );
            packed?;
            if !filled? {
                break;
            }
            std::mem::swap(batch, full);
        }
        // Real protein has about a third of its residues among E, F, I, L, P, Q; DNA none.
        let bases = self.stats.bases - read_before;
        let protein_letters = summary.protein_letters;
        if protein_letters * 10 > bases {
            return Err(Error::Input {
                path: shown_name(input),
                message: format!(
                    "looks like protein, not DNA: {protein_letters} of {bases} letters are \
                     amino-acid codes (E, F, I, L, P, Q...), from record {}",
                    summary.protein_record.unwrap_or(1)
                ),
            });
        }
        self.stats.inputs.push(input.display().to_string());
        if summary.longest_run < k.min {
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

/// Reads records of `records` into `batch` (and their runs into `runs`) until it holds
/// `BATCH_BASES` codes (true) or the input ends (false).
fn fill(
    records: &mut Records,
    batch: &mut Batch,
    runs: &mut Vec<Run>,
    stats: &mut ReadStats,
    summary: &mut InputSummary,
) -> Result<bool> {
    while batch.codes.len() < BATCH_BASES {
        interrupt::check()?;
        let record = stats.records;
        let read = records.next_record(|sequence| {
            stats.records += 1;
            let (record_start, first_run) = (batch.codes.len(), batch.runs.len());
            encode_runs(sequence, &mut batch.codes, &mut batch.runs);
            let bases = batch.codes.len() - record_start;
            stats.bases += bases as u64;
            let mut acgt = 0;
            for run in &batch.runs[first_run..] {
                // Runs are packed one after another: this one starts where the last ended.
                let start = runs.last().map_or(0, |last| last.start + last.len);
                runs.push(Run {
                    start,
                    len: run.len() as u64,
                    record,
                    record_pos: (run.start - record_start) as u64,
                });
                acgt += run.len();
                summary.longest_run = summary.longest_run.max(run.len());
            }
            stats.skipped += (bases - acgt) as u64;
            if acgt < bases {
                let letters = sequence.iter().filter(|&&b| amino_acid_only(b)).count() as u64;
                summary.protein_letters += letters;
                if letters > 0 {
                    summary
                        .protein_record
                        .get_or_insert(record - summary.first_record + 1);
                }
            }
        });
        match read {
            Some(read) => read?,
            None => return Ok(false),
        }
    }
    Ok(true)
}

/// Packs and counts `batch`, both at once, and empties it.
fn pack_and_count<W: Write + Send>(
    packer: &mut Packer<W>,
    counter: &mut KmerCounter,
    batch: &mut Batch,
    tmp_dir: &Path,
) -> Result<()> {
    if batch.codes.is_empty() {
        return Ok(());
    }
    let (packed, ()) = rayon::join(
        || (batch.runs.iter()).try_for_each(|run| packer.push(&batch.codes[run.clone()])),
        || counter.count(&batch.codes, &batch.runs),
    );
    packed.map_err(|e| Error::io(tmp_dir, e))?;
    batch.codes.clear();
    batch.runs.clear();
    Ok(())
}

/// Packs 2-bit codes, 4 to a byte, into a writer.
struct Packer<W: Write> {
    out: W,
    /// Whole bytes packed and not yet written.
    packed: Vec<u8>,
    /// The codes after the last whole byte, `len % 4` of them, first in the low bits.
    byte: u8,
    /// Bases pushed so far.
    len: u64,
}

/// Packed bytes gathered before a write.
const PACKED_BUFFER: usize = 1 << 16;

impl<W: Write> Packer<W> {
    fn new(out: W) -> Self {
        Packer {
            out,
            packed: Vec::with_capacity(PACKED_BUFFER),
            byte: 0,
            len: 0,
        }
    }

    fn push(&mut self, mut codes: &[u8]) -> std::io::Result<()> {
        // Complete the partial byte first, so that the rest packs 4 codes a byte.
        while !self.len.is_multiple_of(4) {
            let Some((&code, rest)) = codes.split_first() else {
                return Ok(());
            };
            self.push_one(code);
            codes = rest;
        }
        for block in codes.chunks(4 * PACKED_BUFFER) {
            let quads = block.chunks_exact(4);
            let tail = quads.remainder();
            self.packed
                .extend(quads.map(|q| q[0] | (q[1] << 2) | (q[2] << 4) | (q[3] << 6)));
            self.len += (block.len() - tail.len()) as u64;
            if self.packed.len() >= PACKED_BUFFER {
                self.out.write_all(&self.packed)?;
                self.packed.clear();
            }
            tail.iter().for_each(|&code| self.push_one(code));
        }
        Ok(())
    }

    /// Adds one code to the partial byte, moving it to `packed` once full.
    fn push_one(&mut self, code: u8) {
        self.byte |= code << (2 * (self.len % 4));
        self.len += 1;
        if self.len.is_multiple_of(4) {
            self.packed.push(self.byte);
            self.byte = 0;
        }
    }

    /// Writes the last partial byte and one spare, so that a map of zero bases is not empty.
    fn finish(mut self) -> std::io::Result<()> {
        self.packed.extend([self.byte, 0]);
        self.out.write_all(&self.packed)?;
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

    /// Adds the k-mers of the `runs` of `codes`: one task per length, each on its own part
    /// of the counts (`id = offset[k] + code`, the lengths in order).
    fn count(&mut self, codes: &[u8], runs: &[Range<usize>]) {
        let mut rest = &mut self.counts[..];
        let mut lengths = Vec::new();
        for length in self.index.k().iter() {
            let (counts, tail) = std::mem::take(&mut rest).split_at_mut(1 << (2 * length));
            lengths.push((length, counts));
            rest = tail;
        }
        lengths.into_par_iter().for_each(|(length, counts)| {
            for run in runs {
                count_length(counts, &codes[run.clone()], length);
            }
        });
    }
}

/// Adds the k-mers of length k of one run to `counts` (4^k of them, by code): the code of
/// the k-mer ending at base i is the low 2k bits of the codes up to i.
fn count_length(counts: &mut [u64], codes: &[u8], length: usize) {
    if codes.len() < length {
        return;
    }
    let mask = (1u64 << (2 * length)) - 1;
    let (first, rest) = codes.split_at(length - 1);
    let mut kmer = first.iter().fold(0u64, |kmer, &c| (kmer << 2) | c as u64);
    for &code in rest {
        kmer = ((kmer << 2) | code as u64) & mask;
        counts[kmer as usize] += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dna::{base_code, kmer_code, NOT_ACGT};

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

    proptest::proptest! {
        /// Runs pushed in pieces of any length pack and count as base-by-base reference
        /// code does: every base at bits 2·(g mod 4) of byte g / 4, and every k-mer once.
        #[test]
        fn packs_and_counts_like_the_reference(
            runs in proptest::collection::vec(proptest::collection::vec(0u8..4, 0..40), 0..8),
        ) {
            let index = KmerIndex::new(KRange { min: 2, max: 4 });
            let mut counter = KmerCounter::new(&index);
            let codes = runs.concat();
            let mut ranges = Vec::new();
            for run in &runs {
                let start = ranges.last().map_or(0, |r: &Range<usize>| r.end);
                ranges.push(start..start + run.len());
            }
            counter.count(&codes, &ranges);
            let mut expected_counts = vec![0u64; index.len()];
            for run in &runs {
                for k in 2..=4 {
                    for kmer in run.windows(k) {
                        let code = kmer.iter().fold(0u64, |code, &c| (code << 2) | c as u64);
                        expected_counts[index.id(k, code) as usize] += 1;
                    }
                }
            }
            proptest::prop_assert_eq!(packer_output(&runs), reference_packing(&runs.concat()));
            proptest::prop_assert_eq!(counter.counts, expected_counts);
        }
    }

    /// An input of several batches, read on two threads (each batch packed and counted
    /// while the next is read), and again on one: the runs, bases, counts and statistics
    /// that base-by-base reference code gives.
    #[test]
    fn batches_read_while_packing_build_the_reference_corpus() {
        let letters = b"ACGTACGTNacgt";
        let mut fasta = String::new();
        let mut record_bases: Vec<Vec<u8>> = Vec::new();
        for record in 0..5u64 {
            let length = BATCH_BASES * 3 / 4 + record as usize * 1001;
            let bases: Vec<u8> = (0..length as u64)
                .map(|i| {
                    let h = (i ^ (record << 40)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58;
                    letters[h as usize % letters.len()]
                })
                .collect();
            fasta.push_str(&format!(">r{record}\n"));
            for line in bases.chunks(80) {
                fasta.push_str(std::str::from_utf8(line).unwrap());
                fasta.push('\n');
            }
            record_bases.push(bases);
        }
        let k = KRange { min: 3, max: 5 };
        // The reference: runs of ACGT, each k-mer counted once.
        let index = KmerIndex::new(k);
        let mut counts = vec![0u64; index.len()];
        let mut runs: Vec<(u64, Vec<u8>)> = Vec::new();
        for (record, bases) in record_bases.iter().enumerate() {
            for run in bases
                .split(|&b| base_code(b) == NOT_ACGT)
                .filter(|r| !r.is_empty())
            {
                let codes: Vec<u8> = run.iter().map(|&b| base_code(b)).collect();
                for length in k.iter() {
                    for kmer in codes.windows(length) {
                        let code = kmer.iter().fold(0u64, |code, &c| (code << 2) | c as u64);
                        counts[index.id(length, code) as usize] += 1;
                    }
                }
                runs.push((record as u64, codes));
            }
        }
        let total: usize = record_bases.iter().map(Vec::len).sum();
        assert!(total > 3 * BATCH_BASES);
        for threads in [2, 1] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let corpus = pool.install(|| corpus_of(&fasta, k)).unwrap();
            assert_eq!(corpus.runs().len(), runs.len(), "{threads} threads");
            let mut codes = Vec::new();
            for (got, (record, want)) in corpus.runs().iter().zip(&runs) {
                codes.clear();
                corpus.copy_bases(got.start, got.start + got.len, &mut codes);
                assert_eq!((got.record, &codes), (*record, want), "{threads} threads");
            }
            assert_eq!(corpus.counts(), &counts[..], "{threads} threads");
            let stats = corpus.stats();
            let acgt: usize = runs.iter().map(|(_, r)| r.len()).sum();
            assert_eq!(
                (stats.records, stats.bases, stats.skipped),
                (5, total as u64, (total - acgt) as u64)
            );
        }
    }

    /// Long pieces, through the packer's buffer more than once, at every alignment.
    #[test]
    fn packs_long_runs_like_the_reference() {
        let bases: Vec<u8> = (0u64..300_007)
            .map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 62) as u8)
            .collect();
        let (a, rest) = bases.split_at(3);
        let (b, c) = rest.split_at(262_147);
        let runs = [a.to_vec(), vec![], b.to_vec(), c.to_vec()];
        assert_eq!(packer_output(&runs), reference_packing(&bases));
    }

    /// Base g at bits 2·(g mod 4) of byte g / 4, then the spare byte.
    fn reference_packing(bases: &[u8]) -> Vec<u8> {
        let mut packed = vec![0u8; bases.len() / 4 + 2];
        for (g, &code) in bases.iter().enumerate() {
            packed[g / 4] |= code << (2 * (g % 4));
        }
        packed
    }

    /// What a packer writes for `runs`.
    fn packer_output(runs: &[Vec<u8>]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut packer = Packer::new(&mut out);
        for run in runs {
            packer.push(run).unwrap();
        }
        packer.finish().unwrap();
        out
    }

    #[test]
    fn refuses_input_without_a_kmer() {
        let error = corpus_of(">a\nNNNN\n", KRange { min: 3, max: 3 }).unwrap_err();
        assert!(error.to_string().contains("no run of 3"), "{error}");
    }
}
