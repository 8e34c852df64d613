//! 2-bit nucleotide codes: A=0, C=1, G=2, T=3, so that the complement of `b` is `3 - b`
//! (= `b ^ 3`) and a k-mer's code, first base most significant, sorts like its string.

/// The code of each byte: A/C/G/T (either case) map to 0..=3, everything else to `NOT_ACGT`.
const CODE_OF_BYTE: [u8; 256] = {
    let mut table = [NOT_ACGT; 256];
    table[b'A' as usize] = 0;
    table[b'C' as usize] = 1;
    table[b'G' as usize] = 2;
    table[b'T' as usize] = 3;
    table[b'a' as usize] = 0;
    table[b'c' as usize] = 1;
    table[b'g' as usize] = 2;
    table[b't' as usize] = 3;
    table
};

/// The marker `CODE_OF_BYTE` uses for a byte that is not A, C, G or T.
pub const NOT_ACGT: u8 = 4;

/// The letters of codes 0..=3.
pub const BASES: [u8; 4] = *b"ACGT";

/// The 2-bit code of a base, or `NOT_ACGT` (lower case counts as upper case; IUPAC codes such
/// as N, R or Y, and anything else, are not ACGT).
#[inline]
pub fn base_code(byte: u8) -> u8 {
    CODE_OF_BYTE[byte as usize]
}

/// The code of a k-mer given as text, or `None` if it holds a non-ACGT byte or is too long.
pub fn kmer_code(kmer: &[u8]) -> Option<u64> {
    if kmer.is_empty() || kmer.len() > 32 {
        return None;
    }
    kmer.iter().try_fold(0u64, |code, &b| {
        let c = base_code(b);
        (c != NOT_ACGT).then_some((code << 2) | c as u64)
    })
}

/// The text of the k-mer with this code.
pub fn kmer_string(code: u64, k: usize) -> String {
    (0..k)
        .rev()
        .map(|i| BASES[((code >> (2 * i)) & 3) as usize] as char)
        .collect()
}

/// The code of the reverse complement of a k-mer (k ≤ 32): complement every base (`!code`),
/// then reverse the order of the 2-bit groups.
#[inline]
pub fn reverse_complement(code: u64, k: usize) -> u64 {
    let mut x = !code;
    // Reverse the 32 two-bit groups of a u64: swap neighbours, then pairs, nibbles, bytes.
    x = ((x >> 2) & 0x3333_3333_3333_3333) | ((x & 0x3333_3333_3333_3333) << 2);
    x = ((x >> 4) & 0x0F0F_0F0F_0F0F_0F0F) | ((x & 0x0F0F_0F0F_0F0F_0F0F) << 4);
    x = x.swap_bytes();
    x >> (64 - 2 * k)
}

/// The smaller of a k-mer's code and its reverse complement's: one id for both strands.
#[inline]
pub fn canonical(code: u64, k: usize) -> u64 {
    code.min(reverse_complement(code, k))
}

/// Calls `at_start(i, window)` for each start `i < starts` of 2-bit `bases`, where
/// `window` is the code of the `k_max` bases from `i`, zero-padded past the end of `bases`:
/// the k-mer of length k ≤ k_max there is `window >> 2·(k_max − k)`, if `i + k` fits.
#[inline(always)]
pub fn for_each_window(
    bases: &[u8],
    k_max: usize,
    starts: usize,
    mut at_start: impl FnMut(usize, u64),
) {
    let mask = if k_max == 32 {
        u64::MAX
    } else {
        (1u64 << (2 * k_max)) - 1
    };
    let base = |i: usize| *bases.get(i).unwrap_or(&0) as u64;
    let mut window = 0u64;
    for i in 0..k_max - 1 {
        window = (window << 2) | base(i);
    }
    for i in 0..starts {
        window = ((window << 2) | base(i + k_max - 1)) & mask;
        at_start(i, window);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn codes_follow_the_alphabet() {
        assert_eq!(kmer_code(b"ACGT"), Some(0b00_01_10_11));
        assert_eq!(kmer_code(b"acgt"), Some(0b00_01_10_11));
        assert_eq!(kmer_code(b"ACNT"), None);
        assert_eq!(kmer_string(0b00_01_10_11, 4), "ACGT");
        assert_eq!(base_code(b'N'), NOT_ACGT);
        assert_eq!(base_code(b'R'), NOT_ACGT);
    }

    proptest! {
        /// The 2-bit reverse complement agrees with `bio`'s on the k-mer's text.
        #[test]
        fn reverse_complement_matches_bio(kmer in "[ACGT]{1,32}") {
            let code = kmer_code(kmer.as_bytes()).unwrap();
            let expected = bio::alphabets::dna::revcomp(kmer.as_bytes());
            let got = kmer_string(reverse_complement(code, kmer.len()), kmer.len());
            prop_assert_eq!(got.as_bytes(), &expected[..]);
        }

        /// Encoding then decoding gives the upper-cased k-mer back; codes sort like strings.
        #[test]
        fn encoding_round_trips(a in "[ACGTacgt]{1,32}", b in "[ACGT]{1,32}") {
            let k = a.len();
            prop_assert_eq!(kmer_string(kmer_code(a.as_bytes()).unwrap(), k), a.to_uppercase());
            if a.len() == b.len() {
                let (ca, cb) = (kmer_code(a.to_uppercase().as_bytes()), kmer_code(b.as_bytes()));
                prop_assert_eq!(ca.cmp(&cb), a.to_uppercase().cmp(&b));
            }
        }

        /// A k-mer and its reverse complement have the same canonical code.
        #[test]
        fn canonical_is_strand_free(kmer in "[ACGT]{1,32}") {
            let k = kmer.len();
            let code = kmer_code(kmer.as_bytes()).unwrap();
            prop_assert_eq!(canonical(code, k), canonical(reverse_complement(code, k), k));
        }
    }
}
