//! dna2vec-style training sentences, re-drawn every epoch from the seed.
//!
//! Each record is cut into consecutive segments of uniform random length in
//! [`SEGMENT_MIN`, `SEGMENT_MAX`]; a segment is replaced by its reverse complement with
//! probability 1/2; non-ACGT bases split it (the corpus holds A/C/G/T runs only), and each
//! piece is a sentence. At every start a k is drawn uniformly from the k range and the k-mer
//! there becomes a token, if it fits in the piece. Without fragmentation, runs are cut every
//! `PLAIN_SENTENCE_LEN` token starts instead, and tokens overhang the cut so no k-mer is lost.
//!
//! The corpus is split into shards of `SHARD_BASES` bases; a shard owns the sentences that
//! start in it. The random draws of a shard (k per position) and of a record (its cuts and
//! flips) come from streams seeded by (seed, epoch, shard or record), so the sentences do not
//! depend on the number of threads.

use crate::config::{Config, KRange, PLAIN_SENTENCE_LEN, SEGMENT_MAX, SEGMENT_MIN};
use crate::corpus::{Corpus, Run};
use crate::dna::{canonical, for_each_window, reverse_complement};
use crate::kmer_index::KmerIndex;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Bases per shard, the unit of parallel work. When one thread takes the last shard, the
/// others wait for it: at 16,384 bases about 9 ms of a 2-thread E. coli run, at most. A
/// shard costs one random-stream seeding and one replica lookup, nothing at this size.
pub const SHARD_BASES: u64 = 1 << 14;

/// The independent random streams, so that one kind of draw never shifts another.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    /// A record's segment lengths and flips.
    Segments = 1,
    /// A shard's k per position.
    KChoice = 2,
    /// A shard's training draws (windows, subsampling, negatives).
    Training = 3,
    /// `evaluate`'s samples.
    Evaluation = 4,
}

/// The generator of one stream of one (epoch, record or shard), from the run's seed.
pub fn stream_rng(seed: u64, stream: Stream, epoch: u64, item: u64) -> Xoshiro256PlusPlus {
    let mut h = seed;
    for x in [stream as u64, epoch, item] {
        h = splitmix64(h ^ splitmix64(x));
    }
    Xoshiro256PlusPlus::seed_from_u64(h)
}

/// SplitMix64's finaliser: a bijective 64-bit mix.
pub(crate) fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Draws an integer uniformly in `0..n` from 32 random bits (Lemire's multiply-shift).
#[inline]
pub fn below(random: u32, n: u32) -> u32 {
    ((random as u64 * n as u64) >> 32) as u32
}

/// The tokenisation settings of a run.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    index: KmerIndex,
    k: KRange,
    canonical: bool,
    fragment: bool,
    flip: bool,
    seed: u64,
}

/// Reusable buffers of one worker.
#[derive(Debug, Default)]
pub struct Scratch {
    bases: Vec<u8>,
    tokens: Vec<u32>,
}

/// One sentence before tokenisation: token starts `from..to` of a run, bases readable up to
/// `limit` (all in run coordinates), reverse-complemented or not.
#[derive(Debug, Clone, Copy)]
struct Piece {
    from: u64,
    to: u64,
    limit: u64,
    flip: bool,
}

impl Tokenizer {
    /// The tokeniser of `config`'s settings.
    pub fn new(config: &Config) -> Self {
        Tokenizer {
            index: KmerIndex::new(config.k),
            k: config.k,
            canonical: config.canonical,
            fragment: config.fragment,
            flip: config.flip,
            seed: config.seed,
        }
    }

    /// The number of shards of a corpus.
    pub fn shards(corpus: &Corpus) -> usize {
        corpus.total_bases().div_ceil(SHARD_BASES) as usize
    }

    /// The expected number of tokens in one epoch: every start where a k-mer fits in its run.
    pub fn expected_tokens(&self, corpus: &Corpus) -> u64 {
        let per_k: u64 = self
            .k
            .iter()
            .map(|k| {
                corpus
                    .runs()
                    .iter()
                    .map(|r| (r.len + 1).saturating_sub(k as u64))
                    .sum::<u64>()
            })
            .sum();
        per_k / self.k.len() as u64
    }

    /// Calls `on_sentence` with the token ids of every sentence that `shard` owns in `epoch`.
    pub fn for_each_sentence(
        &self,
        corpus: &Corpus,
        epoch: u64,
        shard: usize,
        scratch: &mut Scratch,
        mut on_sentence: impl FnMut(&[u32]),
    ) {
        let lo = shard as u64 * SHARD_BASES;
        let hi = lo + SHARD_BASES;
        let runs = corpus.runs();
        let first = runs.partition_point(|r| r.start + r.len <= lo);
        let mut k_rng = stream_rng(self.seed, Stream::KChoice, epoch, shard as u64);
        let mut segments: Option<Segments> = None;
        for run in runs[first..].iter().take_while(|r| r.start < hi) {
            if self.fragment && segments.as_ref().is_none_or(|s| s.record != run.record) {
                segments = Some(Segments::new(self.seed, epoch, run.record));
            }
            let mut from = 0;
            while from < run.len {
                let mut piece = match segments.as_mut() {
                    Some(segments) => segments.piece(run, from),
                    None => self.plain_piece(run, from, epoch),
                };
                piece.flip &= self.flip;
                let start = run.start + piece.from;
                if start >= hi {
                    break;
                }
                if start >= lo {
                    self.tokenize(corpus, run, piece, &mut k_rng, scratch);
                    if !scratch.tokens.is_empty() {
                        on_sentence(&scratch.tokens);
                    }
                }
                from = piece.to;
            }
        }
    }

    /// Without fragmentation: `PLAIN_SENTENCE_LEN` starts, overhanging to the run's end.
    fn plain_piece(&self, run: &Run, from: u64, epoch: u64) -> Piece {
        let start = run.start + from;
        Piece {
            from,
            to: (from + PLAIN_SENTENCE_LEN as u64).min(run.len),
            limit: run.len,
            flip: self.flip
                && splitmix64(self.seed ^ splitmix64(epoch ^ splitmix64(start))) & 1 == 1,
        }
    }

    /// Fills `scratch.tokens` with the ids of a piece's tokens.
    fn tokenize(
        &self,
        corpus: &Corpus,
        run: &Run,
        piece: Piece,
        k_rng: &mut impl Rng,
        scratch: &mut Scratch,
    ) {
        let k_max = self.k.max as u64;
        let end = piece.limit.min(piece.to + k_max - 1);
        scratch.bases.clear();
        corpus.copy_bases(run.start + piece.from, run.start + end, &mut scratch.bases);
        scratch.tokens.clear();
        let bases = &scratch.bases;
        let available = bases.len();
        let k_choices = self.k.len() as u32;
        let tokens = &mut scratch.tokens;
        let starts = (piece.to - piece.from) as usize;
        for_each_window(bases, k_max as usize, starts, |i, window| {
            let k = if k_choices == 1 {
                self.k.min
            } else {
                self.k.min + below(k_rng.next_u32(), k_choices) as usize
            };
            if i + k > available {
                return;
            }
            let mut code = window >> (2 * (k_max as usize - k));
            if self.canonical {
                code = canonical(code, k);
            } else if piece.flip {
                code = reverse_complement(code, k);
            }
            tokens.push(self.index.id(k, code));
        });
        if piece.flip {
            scratch.tokens.reverse();
        }
    }
}

/// The dna2vec segments of one record in one epoch, drawn in order from the record's stream.
struct Segments {
    record: u64,
    rng: Xoshiro256PlusPlus,
    /// The current segment, in record coordinates, and whether it is flipped.
    start: u64,
    end: u64,
    flip: bool,
}

impl Segments {
    fn new(seed: u64, epoch: u64, record: u64) -> Self {
        let mut segments = Segments {
            record,
            rng: stream_rng(seed, Stream::Segments, epoch, record),
            start: 0,
            end: 0,
            flip: false,
        };
        segments.advance();
        segments
    }

    fn advance(&mut self) {
        let span = (SEGMENT_MAX - SEGMENT_MIN + 1) as u32;
        let random = self.rng.next_u64();
        self.start = self.end;
        self.end = self.start + SEGMENT_MIN as u64 + below(random as u32, span) as u64;
        self.flip = random >> 63 == 1;
    }

    /// The piece of `run` from run position `from` to the end of its segment or run.
    fn piece(&mut self, run: &Run, from: u64) -> Piece {
        let pos = run.record_pos + from;
        while self.end <= pos {
            self.advance();
        }
        let to = (self.end - run.record_pos).min(run.len);
        Piece {
            from,
            to,
            limit: to,
            flip: self.flip,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dna::{kmer_code, kmer_string};
    use std::io::Write;

    /// A corpus of pseudo-random records (lengths given), and their sequences.
    fn corpus(lengths: &[usize], k: KRange) -> (Corpus, Vec<Vec<u8>>) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let records: Vec<Vec<u8>> = lengths
            .iter()
            .map(|&n| {
                (0..n)
                    .map(|_| b"ACGT"[(rng.next_u32() % 4) as usize])
                    .collect()
            })
            .collect();
        let mut file = tempfile::NamedTempFile::new().unwrap();
        for (i, record) in records.iter().enumerate() {
            writeln!(file, ">r{i}\n{}", String::from_utf8_lossy(record)).unwrap();
        }
        (
            Corpus::build(&[file.path().to_path_buf()], k, None).unwrap(),
            records,
        )
    }

    fn sentences(tokenizer: &Tokenizer, corpus: &Corpus, epoch: u64) -> Vec<Vec<u32>> {
        let mut out = Vec::new();
        let mut scratch = Scratch::default();
        for shard in 0..Tokenizer::shards(corpus) {
            tokenizer.for_each_sentence(corpus, epoch, shard, &mut scratch, |ids| {
                out.push(ids.to_vec())
            });
        }
        out
    }

    #[test]
    fn plain_fixed_k_yields_every_kmer_once_in_order() {
        let k = KRange { min: 6, max: 6 };
        let (corpus, records) = corpus(&[150_000, 7_000], k);
        let config = Config {
            k,
            fragment: false,
            flip: false,
            ..Config::default()
        };
        let tokenizer = Tokenizer::new(&config);
        let sentences = sentences(&tokenizer, &corpus, 0);
        assert!(sentences.iter().all(|s| s.len() <= PLAIN_SENTENCE_LEN));
        let got: Vec<String> = sentences
            .iter()
            .flatten()
            .map(|&id| corpus.index().kmer_string(id))
            .collect();
        let want: Vec<String> = records
            .iter()
            .flat_map(|r| {
                r.windows(6)
                    .map(|w| String::from_utf8_lossy(w).into_owned())
            })
            .collect();
        assert_eq!(got, want);
        assert_eq!(tokenizer.expected_tokens(&corpus), want.len() as u64);
    }

    #[test]
    fn k_is_drawn_uniformly() {
        let k = KRange { min: 3, max: 8 };
        let (corpus, _) = corpus(&[120_000], k);
        let tokenizer = Tokenizer::new(&Config {
            k,
            ..Config::default()
        });
        let mut per_k = [0usize; 9];
        let mut total = 0;
        for id in sentences(&tokenizer, &corpus, 0).into_iter().flatten() {
            per_k[corpus.index().kmer(id).0] += 1;
            total += 1;
        }
        for (k, &n) in per_k.iter().enumerate().skip(3) {
            let share = n as f64 / total as f64;
            assert!((share - 1.0 / 6.0).abs() < 0.01, "k = {k}: {share:.4}");
        }
    }

    #[test]
    fn fragments_are_dna2vec_segments_redrawn_each_epoch() {
        let k = KRange { min: 3, max: 8 };
        let (corpus, records) = corpus(&[200_000], k);
        let tokenizer = Tokenizer::new(&Config {
            k,
            ..Config::default()
        });
        let epoch0 = sentences(&tokenizer, &corpus, 0);
        // A segment of L bases holds at most L tokens (one per start that fits).
        assert!(epoch0.iter().all(|s| s.len() <= SEGMENT_MAX));
        let mean = epoch0.iter().map(Vec::len).sum::<usize>() as f64 / epoch0.len() as f64;
        assert!((3000.0..4000.0).contains(&mean), "mean sentence {mean}");
        assert_eq!(
            epoch0,
            sentences(&tokenizer, &corpus, 0),
            "same seed and epoch, same sentences"
        );
        assert_ne!(
            epoch0,
            sentences(&tokenizer, &corpus, 1),
            "each epoch re-draws"
        );
        // A forward segment's tokens start at consecutive bases, so their first bases spell
        // the segment; a flipped one's are the reverse complements in reverse order, so
        // their last bases spell the segment's reverse complement.
        let text = String::from_utf8_lossy(&records[0]).into_owned();
        let reverse =
            String::from_utf8_lossy(&bio::alphabets::dna::revcomp(&records[0])).into_owned();
        let (mut forward, mut flipped) = (0, 0);
        for sentence in &epoch0 {
            let kmers: Vec<String> = sentence
                .iter()
                .map(|&id| corpus.index().kmer_string(id))
                .collect();
            // At a record's end a start is skipped where its k does not fit: compare the
            // tokens before the last k_max starts.
            let inner = kmers.len().saturating_sub(k.max);
            let firsts: String = kmers[..inner].iter().map(|t| &t[..1]).collect();
            let lasts: String = kmers[kmers.len() - inner..]
                .iter()
                .map(|t| &t[t.len() - 1..])
                .collect();
            match (text.contains(&firsts), reverse.contains(&lasts)) {
                (true, false) => forward += 1,
                (false, true) => flipped += 1,
                both => panic!("a sentence of {} tokens reads as {both:?}", kmers.len()),
            }
        }
        let share = flipped as f64 / (forward + flipped) as f64;
        assert!(
            (0.3..0.7).contains(&share),
            "{forward} forward, {flipped} flipped"
        );
    }

    #[test]
    fn canonical_tokens_are_strand_free() {
        let k = KRange { min: 5, max: 5 };
        let (corpus, _) = corpus(&[20_000], k);
        let tokenizer = Tokenizer::new(&Config {
            k,
            canonical: true,
            ..Config::default()
        });
        for id in sentences(&tokenizer, &corpus, 0).into_iter().flatten() {
            let text = corpus.index().kmer_string(id);
            let code = kmer_code(text.as_bytes()).unwrap();
            assert!(
                code <= reverse_complement(code, 5),
                "{text} is not canonical"
            );
            assert_eq!(kmer_string(code, 5), text);
        }
    }
}
