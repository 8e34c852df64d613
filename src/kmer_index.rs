//! Dense k-mer ids: all k of a range share one id space, `id = offset[k] + code`, where
//! `offset[k] = Σ_{j<k} 4^j` over the range. No hash map: an id is a shift and an add.

use crate::config::KRange;
use crate::dna::kmer_string;

/// The id space of one k range.
#[derive(Debug, Clone)]
pub struct KmerIndex {
    k: KRange,
    /// `offsets[k - k.min]` is the first id of length k; the last entry is the total.
    offsets: Vec<u64>,
}

impl KmerIndex {
    /// The id space of the range (k ≤ `config::MAX_K`, so every id fits a `u32`).
    pub fn new(k: KRange) -> Self {
        let mut offsets = vec![0u64];
        for length in k.iter() {
            offsets.push(offsets.last().unwrap() + (1u64 << (2 * length)));
        }
        KmerIndex { k, offsets }
    }

    /// The most ids any range up to `k_max` holds: Σ 4^k over k = 1..=k_max.
    pub const fn ids_up_to(k_max: usize) -> u64 {
        let (mut k, mut ids) = (1, 0u64);
        while k <= k_max {
            ids += 1 << (2 * k);
            k += 1;
        }
        ids
    }

    /// The k range.
    pub fn k(&self) -> KRange {
        self.k
    }

    /// How many ids there are: Σ 4^k.
    pub fn len(&self) -> usize {
        *self.offsets.last().unwrap() as usize
    }

    /// Never empty: a k range holds at least one length.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first id of length k.
    #[inline]
    pub fn offset(&self, k: usize) -> u64 {
        self.offsets[k - self.k.min]
    }

    /// The id of the k-mer with this code.
    #[inline]
    pub fn id(&self, k: usize, code: u64) -> u32 {
        (self.offset(k) + code) as u32
    }

    /// The length and code of an id.
    pub fn kmer(&self, id: u32) -> (usize, u64) {
        let id = id as u64;
        let slot = self.offsets.partition_point(|&o| o <= id) - 1;
        (self.k.min + slot, id - self.offsets[slot])
    }

    /// The text of an id's k-mer.
    pub fn kmer_string(&self, id: u32) -> String {
        let (k, code) = self.kmer(id);
        kmer_string(code, k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_dense_and_invertible() {
        let index = KmerIndex::new(KRange { min: 3, max: 8 });
        assert_eq!(index.len(), 87_360);
        assert_eq!(index.id(3, 0), 0);
        assert_eq!(index.id(4, 0), 64);
        assert_eq!(index.id(8, 65_535), 87_359);
        for id in [0, 1, 63, 64, 300, 87_359] {
            let (k, code) = index.kmer(id);
            assert_eq!(index.id(k, code), id);
        }
        assert_eq!(index.kmer_string(index.id(4, 0b00_01_10_11)), "ACGT");
    }
}
