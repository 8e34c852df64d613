//! Needleman–Wunsch global alignment scores of short sequences, for `evaluate`.
//!
//! The score of the best global alignment of a and b under a linear gap penalty:
//!
//!   F(i, j) = max( F(i−1, j−1) + s(a_i, b_j),  F(i−1, j) + g,  F(i, j−1) + g ),
//!   F(i, 0) = i·g,  F(0, j) = j·g,
//!
//! with s = `matched` for equal bases, `mismatched` otherwise, and g = `gap`. dna2vec's own
//! similarity files score with Biopython's `globalxx` (match 1, mismatch 0, gap 0), whose
//! score is the length of the longest common subsequence: `Scoring::DNA2VEC`. Written by
//! hand: the k-mers are at most 32 bases, and a two-row table of i32 is all it takes.

use serde::Serialize;

/// Scores of a global alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Scoring {
    pub matched: i32,
    pub mismatched: i32,
    pub gap: i32,
}

impl Scoring {
    /// Match 1, mismatch 0, gap 0: what dna2vec's paper and files used.
    pub const DNA2VEC: Scoring = Scoring {
        matched: 1,
        mismatched: 0,
        gap: 0,
    };
}

/// F(|a|, |b|), the best global alignment score of `a` and `b`.
pub fn global_score(a: &[u8], b: &[u8], scoring: Scoring) -> i32 {
    let mut previous: Vec<i32> = (0..=b.len() as i32).map(|j| j * scoring.gap).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, &x) in a.iter().enumerate() {
        current[0] = (i as i32 + 1) * scoring.gap;
        for (j, &y) in b.iter().enumerate() {
            let s = if x == y {
                scoring.matched
            } else {
                scoring.mismatched
            };
            current[j + 1] = (previous[j] + s)
                .max(previous[j + 1] + scoring.gap)
                .max(current[j] + scoring.gap);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use bio::alignment::distance::levenshtein;
    use proptest::prelude::*;

    #[test]
    fn dna2vec_scores_are_common_subsequence_lengths() {
        // Pairs and scores from dna2vec's own nw_cosine_scatter file.
        for (a, b, score) in [
            ("CACGGGGC", "TTATTATA", 1),
            ("TTTTTTTC", "AGACAATA", 1),
            ("GGTATTTT", "AGTATTTT", 7),
            ("GCGACGAC", "AGCGACGA", 7),
            ("ACGTACGT", "ACGTACGT", 8),
        ] {
            assert_eq!(
                global_score(a.as_bytes(), b.as_bytes(), Scoring::DNA2VEC),
                score,
                "{a} {b}"
            );
        }
    }

    proptest! {
        /// With match 0 and mismatch and gap −1, the score is minus the edit distance:
        /// rust-bio's Levenshtein distance is the oracle.
        #[test]
        fn edit_scoring_is_minus_levenshtein(a in "[ACGT]{0,16}", b in "[ACGT]{0,16}") {
            let edits = Scoring { matched: 0, mismatched: -1, gap: -1 };
            let expected = -(levenshtein(a.as_bytes(), b.as_bytes()) as i32);
            prop_assert_eq!(global_score(a.as_bytes(), b.as_bytes(), edits), expected);
        }

        /// dna2vec's scoring is bounded by the shorter length and symmetric.
        #[test]
        fn dna2vec_scoring_is_symmetric_and_bounded(a in "[ACGT]{0,16}", b in "[ACGT]{0,16}") {
            let ab = global_score(a.as_bytes(), b.as_bytes(), Scoring::DNA2VEC);
            prop_assert_eq!(ab, global_score(b.as_bytes(), a.as_bytes(), Scoring::DNA2VEC));
            prop_assert!(ab >= 0 && ab as usize <= a.len().min(b.len()));
        }
    }
}
