//! The `.k2c` file: unigram and window co-occurrence counts of a token stream, written by
//! `count` and `merge`, memory-mapped by readers. The layout (all integers little-endian;
//! `docs/k2c.md` is the full specification):
//!
//! ```text
//! magic      8 bytes   "K2C" 0x89 "\r\n" 0x1A "\n"
//! version    u32       1
//! reserved   u32       0
//! settings   u64 n, n bytes of JSON (`CountSettings`), zero-padded to a multiple of 8
//! unigrams   u64 ids, then ids × u64: tokens per dense k-mer id (`KmerIndex`)
//! pairs      n_pairs × (u32 w, u32 c, u64 X_wc), sorted by (w, c), each pair once, X > 0
//! footer     u64 n_pairs, u32 CRC-32 of the settings JSON, of the unigram counts and of
//!            the pairs, u32 0, 8 bytes "K2C-END\0"
//! ```
//!
//! The counts are symmetric (X_wc = X_cw, both stored), 64 bits wide: a human genome's
//! most frequent pair is far below 2⁶⁴. A reader refuses another version, a size that does
//! not add up, a checksum that fails, and pairs out of order.

use crate::error::{Error, Result};
use memmap2::Mmap;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The first 8 bytes: a name, and bytes that text-mode transfers would change.
pub const MAGIC: [u8; 8] = *b"K2C\x89\r\n\x1a\n";
/// The last 8 bytes.
pub const END_MAGIC: [u8; 8] = *b"K2C-END\0";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;
/// Bytes of one pair record.
pub const PAIR_BYTES: usize = 16;
const FOOTER_BYTES: usize = 32;

/// How the counts were made: two files can be merged only if these are equal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountSettings {
    pub k_min: usize,
    pub k_max: usize,
    pub canonical: bool,
    /// Contexts up to this many tokens away on either side.
    pub window: usize,
    /// Seeds the choice of k per position when k is a range.
    pub seed: u64,
    /// How a pair counts by its distance (files from before the option were counted flat).
    #[serde(default)]
    pub weights: WindowWeights,
}

/// What one co-occurrence at distance d (1 ≤ d ≤ W, the window) adds to X_wc.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum WindowWeights {
    /// 1 at every distance: the plain window counts.
    #[default]
    Flat,
    /// W − d + 1: what `embed` sees, whose window is drawn from 1..=W per center, so a
    /// context at distance d is trained with probability (W − d + 1)/W (word2vec's
    /// dynamic window). Counts are W× those expectations; PMI does not change by a factor.
    Linear,
}

impl WindowWeights {
    /// The weight of a pair `distance` tokens apart, in a window of `window`.
    pub fn weight(self, distance: usize, window: usize) -> u32 {
        match self {
            WindowWeights::Flat => 1,
            WindowWeights::Linear => (window + 1).saturating_sub(distance) as u32,
        }
    }
}

/// What went into the counts; summed by `merge`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountStats {
    pub inputs: Vec<String>,
    pub records: u64,
    pub bases: u64,
    pub skipped: u64,
    pub tokens: u64,
}

/// The JSON header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// The kmer2vec version that wrote the file.
    pub written_by: String,
    pub settings: CountSettings,
    pub stats: CountStats,
}

/// One co-occurrence count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pair {
    pub w: u32,
    pub c: u32,
    pub count: u64,
}

impl Pair {
    /// The sort key (w, c) as one integer.
    pub fn key(&self) -> u64 {
        (self.w as u64) << 32 | self.c as u64
    }

    /// A pair from its key and count.
    pub fn from_key(key: u64, count: u64) -> Self {
        Pair {
            w: (key >> 32) as u32,
            c: key as u32,
            count,
        }
    }

    fn to_bytes(self) -> [u8; PAIR_BYTES] {
        let mut bytes = [0; PAIR_BYTES];
        bytes[..4].copy_from_slice(&self.w.to_le_bytes());
        bytes[4..8].copy_from_slice(&self.c.to_le_bytes());
        bytes[8..].copy_from_slice(&self.count.to_le_bytes());
        bytes
    }

    fn from_bytes(bytes: &[u8]) -> Self {
        let word = |range: std::ops::Range<usize>| bytes[range].try_into().unwrap_or([0; 4]);
        Pair {
            w: u32::from_le_bytes(word(0..4)),
            c: u32::from_le_bytes(word(4..8)),
            count: u64::from_le_bytes(bytes[8..16].try_into().unwrap_or([0; 8])),
        }
    }
}

/// Writes a `.k2c` stream: the header and unigrams, then pairs in order, then `finish`.
pub struct Writer<W: Write> {
    out: W,
    path: PathBuf,
    pairs: u64,
    last_key: Option<u64>,
    crc_settings: u32,
    crc_unigrams: u32,
    crc_pairs: crc32fast::Hasher,
}

impl<W: Write> Writer<W> {
    /// Starts a file at `out` (`path` names it in errors).
    pub fn new(mut out: W, path: &Path, header: &Header, unigrams: &[u64]) -> Result<Self> {
        let io = |e| Error::io(path, e);
        let mut json = serde_json::to_vec(header).map_err(|e| Error::io(path, e.into()))?;
        let crc_settings = crc32fast::hash(&json);
        let len = json.len() as u64;
        json.resize(json.len().next_multiple_of(8), 0);
        out.write_all(&MAGIC).map_err(io)?;
        out.write_all(&VERSION.to_le_bytes()).map_err(io)?;
        out.write_all(&0u32.to_le_bytes()).map_err(io)?;
        out.write_all(&len.to_le_bytes()).map_err(io)?;
        out.write_all(&json).map_err(io)?;
        out.write_all(&(unigrams.len() as u64).to_le_bytes())
            .map_err(io)?;
        let mut crc = crc32fast::Hasher::new();
        for count in unigrams {
            let bytes = count.to_le_bytes();
            crc.update(&bytes);
            out.write_all(&bytes).map_err(io)?;
        }
        Ok(Writer {
            out,
            path: path.to_path_buf(),
            pairs: 0,
            last_key: None,
            crc_settings,
            crc_unigrams: crc.finalize(),
            crc_pairs: crc32fast::Hasher::new(),
        })
    }

    /// Appends a pair; pairs must come in increasing (w, c) order with non-zero counts.
    pub fn push(&mut self, pair: Pair) -> Result<()> {
        assert!(
            pair.count > 0 && self.last_key.is_none_or(|last| last < pair.key()),
            "pairs out of order"
        );
        self.last_key = Some(pair.key());
        let bytes = pair.to_bytes();
        self.crc_pairs.update(&bytes);
        self.pairs += 1;
        self.out
            .write_all(&bytes)
            .map_err(|e| Error::io(&self.path, e))
    }

    /// Writes the footer; returns the writer.
    pub fn finish(mut self) -> Result<W> {
        let mut footer = Vec::with_capacity(FOOTER_BYTES);
        footer.extend_from_slice(&self.pairs.to_le_bytes());
        footer.extend_from_slice(&self.crc_settings.to_le_bytes());
        footer.extend_from_slice(&self.crc_unigrams.to_le_bytes());
        footer.extend_from_slice(&self.crc_pairs.finalize().to_le_bytes());
        footer.extend_from_slice(&0u32.to_le_bytes());
        footer.extend_from_slice(&END_MAGIC);
        self.out
            .write_all(&footer)
            .map_err(|e| Error::io(&self.path, e))?;
        Ok(self.out)
    }
}

/// A `.k2c` file, memory-mapped and checked.
pub struct Counts {
    pub path: PathBuf,
    pub header: Header,
    map: Mmap,
    unigrams_at: usize,
    ids: usize,
    pairs_at: usize,
    pairs: usize,
}

impl Counts {
    /// Opens and checks a file: layout, version, sizes, checksums and pair order.
    pub fn open(path: &Path) -> Result<Self> {
        let bad = |message: String| Error::Counts {
            path: path.to_path_buf(),
            message,
        };
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        if file.metadata().map_err(|e| Error::io(path, e))?.is_dir() {
            return Err(bad("is a directory".into()));
        }
        // SAFETY: the map is read-only; kmer2vec never writes a .k2c file in place (outputs
        // are renamed into place), so only another program truncating it could change it.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
        let bytes: &[u8] = &map;
        if bytes.len() < 24 + 8 + FOOTER_BYTES || bytes[..8] != MAGIC {
            return Err(bad("not a kmer2vec .k2c counts file".into()));
        }
        let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or([0; 4]));
        let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or([0; 8]));
        let version = u32_at(8);
        if version != VERSION {
            return Err(bad(format!(
                "format version {version}; this kmer2vec reads version {VERSION} (a newer kmer2vec wrote it?)"
            )));
        }
        let truncated = || bad("truncated or damaged (sizes do not add up)".into());
        let json_len = usize::try_from(u64_at(16)).map_err(|_| truncated())?;
        // Every size is checked against the file's length with checked arithmetic: a damaged
        // size near 2⁶⁴ must not wrap around into a small, plausible offset.
        let fits =
            |at: usize, after: usize| at.checked_add(after).is_some_and(|end| end <= bytes.len());
        let unigrams_len_at = json_len
            .checked_next_multiple_of(8)
            .and_then(|n| n.checked_add(24))
            .filter(|&at| fits(at, 8 + FOOTER_BYTES))
            .ok_or_else(truncated)?;
        let ids = usize::try_from(u64_at(unigrams_len_at)).map_err(|_| truncated())?;
        let unigrams_at = unigrams_len_at + 8;
        let pairs_at = ids
            .checked_mul(8)
            .and_then(|n| n.checked_add(unigrams_at))
            .filter(|&at| fits(at, FOOTER_BYTES))
            .ok_or_else(truncated)?;
        let footer = bytes.len() - FOOTER_BYTES;
        if bytes[footer + 24..] != END_MAGIC {
            return Err(truncated());
        }
        let pairs = usize::try_from(u64_at(footer)).map_err(|_| truncated())?;
        if pairs.checked_mul(PAIR_BYTES) != Some(footer - pairs_at) {
            return Err(truncated());
        }
        let json = &bytes[24..24 + json_len];
        let checks = [
            ("settings", json, u32_at(footer + 8)),
            (
                "unigram counts",
                &bytes[unigrams_at..pairs_at],
                u32_at(footer + 12),
            ),
            ("pair counts", &bytes[pairs_at..footer], u32_at(footer + 16)),
        ];
        for (section, data, crc) in checks {
            if crc32fast::hash(data) != crc {
                return Err(bad(format!(
                    "checksum of the {section} fails: damaged file"
                )));
            }
        }
        let header: Header =
            serde_json::from_slice(json).map_err(|e| bad(format!("unreadable settings: {e}")))?;
        let counts = Counts {
            path: path.to_path_buf(),
            header,
            map,
            unigrams_at,
            ids,
            pairs_at,
            pairs,
        };
        let mut last = None;
        for pair in counts.pairs() {
            if pair.count == 0 || last.is_some_and(|last| last >= pair.key()) {
                return Err(bad("pairs out of order or zero: damaged file".into()));
            }
            last = Some(pair.key());
        }
        Ok(counts)
    }

    /// Tokens per dense k-mer id.
    pub fn unigrams(&self) -> impl Iterator<Item = u64> + '_ {
        self.map[self.unigrams_at..self.unigrams_at + 8 * self.ids]
            .chunks_exact(8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
    }

    /// The number of ids (`KmerIndex::len` of the settings' k range).
    pub fn ids(&self) -> usize {
        self.ids
    }

    /// The number of distinct pairs.
    pub fn len(&self) -> usize {
        self.pairs
    }

    /// Whether no pair was counted.
    pub fn is_empty(&self) -> bool {
        self.pairs == 0
    }

    /// The pairs in (w, c) order.
    pub fn pairs(&self) -> impl Iterator<Item = Pair> + '_ {
        self.map[self.pairs_at..self.pairs_at + PAIR_BYTES * self.pairs]
            .chunks_exact(PAIR_BYTES)
            .map(Pair::from_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            written_by: "test".into(),
            settings: CountSettings {
                k_min: 2,
                k_max: 2,
                canonical: false,
                window: 3,
                seed: 1,
                weights: WindowWeights::Flat,
            },
            stats: CountStats {
                inputs: vec!["a.fa".into()],
                records: 1,
                bases: 10,
                skipped: 0,
                tokens: 9,
            },
        }
    }

    fn write(path: &Path, pairs: &[Pair]) {
        let file = File::create(path).unwrap();
        let mut writer = Writer::new(file, path, &header(), &[5, 0, 4]).unwrap();
        for &pair in pairs {
            writer.push(pair).unwrap();
        }
        writer.finish().unwrap();
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.k2c");
        let pairs = [
            Pair::from_key(1, 7),
            Pair::from_key(1 << 32, 7),
            Pair::from_key(u64::MAX, u64::MAX),
        ];
        write(&path, &pairs);
        let counts = Counts::open(&path).unwrap();
        assert_eq!(counts.header, header());
        assert_eq!(counts.unigrams().collect::<Vec<_>>(), [5, 0, 4]);
        assert_eq!(counts.pairs().collect::<Vec<_>>(), pairs);
    }

    #[test]
    fn damage_and_other_versions_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.k2c");
        write(&path, &[Pair::from_key(3, 1), Pair::from_key(4, 2)]);
        let good = std::fs::read(&path).unwrap();
        let refused = |bytes: &[u8], expected: &str| {
            std::fs::write(&path, bytes).unwrap();
            let error = Counts::open(&path).err().expect("refused").to_string();
            assert!(error.contains(expected), "{error:?} lacks {expected:?}");
        };
        let mut newer = good.clone();
        newer[8] = 2;
        refused(&newer, "version 2");
        refused(&good[..good.len() - 1], "truncated");
        refused(&good[..good.len() - 16], "truncated");
        let mut flipped = good.clone();
        let last_count = good.len() - FOOTER_BYTES - 1;
        flipped[last_count] ^= 1;
        refused(&flipped, "checksum of the pair counts");
        refused(b"ACGT", "not a kmer2vec .k2c");
    }
}
