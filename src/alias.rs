//! Walker's alias method (Vose's construction): exact O(1) draws from a discrete
//! distribution, one 64-bit random number per draw.
//!
//! Each of the n columns holds probability 1/n split between itself (share `threshold/2^32`)
//! and one alias. A draw picks column `i = ⌊u_hi·n / 2^32⌋` from the high 32 bits and keeps `i`
//! when the low 32 bits fall below the threshold, else returns the alias. A column that
//! keeps all of its share is its own alias, so its threshold fits 32 bits.

/// The probability 1 in the 32-bit fixed point of the thresholds.
const ONE: u64 = 1 << 32;

/// One column: both halves of a draw in one 8-byte load.
#[derive(Debug, Clone, Copy)]
struct Column {
    threshold: u32,
    alias: u32,
}

/// An alias table over indices `0..n`.
#[derive(Debug, Clone)]
pub struct AliasTable {
    columns: Vec<Column>,
}

impl AliasTable {
    /// A table drawing index i with probability `weights[i] / Σ weights`. Weights must be
    /// finite, non-negative and not all zero.
    pub fn new(weights: &[f64]) -> Self {
        AliasTable {
            columns: columns(weights),
        }
    }

    /// How many indices the table draws from.
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    /// Never empty by construction.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// Starts loading the column that `random` will read in `draw` (for large tables).
    #[inline]
    pub fn prefetch(&self, random: u64) {
        crate::kernels::prefetch(&self.columns[self.column_of(random)]);
    }

    #[inline(always)]
    fn column_of(&self, random: u64) -> usize {
        (((random >> 32) * self.columns.len() as u64) >> 32) as usize
    }

    /// The index that the 64 random bits `random` select.
    #[inline]
    pub fn draw(&self, random: u64) -> u32 {
        let index = self.column_of(random);
        let column = self.columns[index];
        // A coin flip per draw: a conditional move, not a branch the CPU would mispredict.
        std::hint::select_unpredictable(
            (random as u32) < column.threshold,
            index as u32,
            column.alias,
        )
    }
}

/// Vose's construction: the columns of a table over `weights`, aliases relative to them.
fn columns(weights: &[f64]) -> Vec<Column> {
    let n = weights.len();
    assert!(
        n > 0 && n <= u32::MAX as usize,
        "alias table over {n} weights"
    );
    let total: f64 = weights.iter().sum();
    assert!(
        total > 0.0 && total.is_finite(),
        "alias weights sum to {total}"
    );
    // Scaled so that the mean column holds exactly 1.
    let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
    let mut threshold = vec![ONE; n];
    let mut alias: Vec<u32> = (0..n as u32).collect();
    let (mut small, mut large): (Vec<u32>, Vec<u32>) =
        (0..n as u32).partition(|&i| scaled[i as usize] < 1.0);
    while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
        small.pop();
        threshold[s as usize] = (scaled[s as usize] * ONE as f64) as u64;
        alias[s as usize] = l;
        scaled[l as usize] -= 1.0 - scaled[s as usize];
        if scaled[l as usize] < 1.0 {
            large.pop();
            small.push(l);
        }
    }
    // What is left holds 1 up to rounding: it keeps itself (its alias is itself).
    threshold
        .into_iter()
        .zip(alias)
        .map(|(threshold, alias)| Column {
            threshold: threshold.min(u32::MAX as u64) as u32,
            alias,
        })
        .collect()
}

/// A column of a `SegmentedAlias`: the values it draws, its own and its alias's, stored in
/// it, so that a draw is one load.
#[derive(Debug, Clone, Copy)]
struct ValueColumn {
    threshold: u32,
    value: u32,
    alias_value: u32,
}

/// One alias table per segment of a list of values, in one allocation, 12 bytes a value:
/// segment s draws among its values in proportion to their weights. It draws a
/// co-occurrence's context given its center, from pairs sorted by center.
#[derive(Debug, Clone)]
pub struct SegmentedAlias {
    columns: Vec<ValueColumn>,
    starts: Vec<usize>,
}

impl Default for SegmentedAlias {
    fn default() -> Self {
        Self::new()
    }
}

impl SegmentedAlias {
    /// A table of no segments, to `push` them onto.
    pub fn new() -> Self {
        SegmentedAlias {
            columns: Vec::new(),
            starts: vec![0],
        }
    }

    /// Adds a segment drawing `values[i]` in proportion to `weights[i]` (not all zero).
    pub fn push(&mut self, weights: &[f64], values: &[u32]) {
        assert_eq!(weights.len(), values.len(), "a weight for every value");
        let table = columns(weights);
        self.columns.extend(
            table
                .iter()
                .zip(values)
                .map(|(column, &value)| ValueColumn {
                    threshold: column.threshold,
                    value,
                    alias_value: values[column.alias as usize],
                }),
        );
        self.starts.push(self.columns.len());
    }

    /// A table of no segments with room for `values` values in all, on memory advised to
    /// be backed by 2 MiB pages: draws read the table at random, and over a large one each
    /// read on 4 KiB pages is a TLB miss too. `kmer2vec train` on the counts of E. coli
    /// (k 6, window 5: 92 MB of columns), 1 thread: 1.066× (Intel Xeon VM, 5 alternating
    /// pairs; output byte-identical); 2 threads 0.97× and 1.00× (noise).
    pub fn with_capacity(values: usize) -> Self {
        SegmentedAlias {
            columns: crate::huge_pages::vec_with_capacity(values),
            starts: vec![0],
        }
    }

    /// The number of segments.
    pub fn segments(&self) -> usize {
        self.starts.len() - 1
    }

    #[inline(always)]
    fn column_of(&self, segment: usize, random: u64) -> usize {
        let start = self.starts[segment];
        let n = (self.starts[segment + 1] - start) as u64;
        start + (((random >> 32) * n) >> 32) as usize
    }

    /// Starts loading the column that `draw(segment, random)` will read.
    #[inline]
    pub fn prefetch(&self, segment: usize, random: u64) {
        crate::kernels::prefetch(&self.columns[self.column_of(segment, random)]);
    }

    /// The value that `random` selects in `segment`.
    #[inline]
    pub fn draw(&self, segment: usize, random: u64) -> u32 {
        let column = self.columns[self.column_of(segment, random)];
        std::hint::select_unpredictable(
            (random as u32) < column.threshold,
            column.value,
            column.alias_value,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// Draw frequencies match the weights within 5 standard errors on a skewed distribution.
    #[test]
    fn draws_follow_the_weights() {
        let weights: Vec<f64> = (0..50)
            .map(|i| ((i * 37) % 11) as f64 + 0.5 * (i % 3) as f64)
            .collect();
        let total: f64 = weights.iter().sum();
        let table = AliasTable::new(&weights);
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        let draws = 2_000_000;
        let mut seen = vec![0u64; weights.len()];
        for _ in 0..draws {
            seen[table.draw(rng.random()) as usize] += 1;
        }
        for (i, (&w, &n)) in weights.iter().zip(&seen).enumerate() {
            let p = w / total;
            let sd = (draws as f64 * p * (1.0 - p)).sqrt();
            let expected = draws as f64 * p;
            assert!(
                (n as f64 - expected).abs() <= 5.0 * sd + 1.0,
                "index {i}: {n} draws, expected {expected:.0} ± {sd:.0}"
            );
            if w == 0.0 {
                assert_eq!(n, 0, "index {i} has weight 0");
            }
        }
    }

    /// Each segment draws its own indices, in proportion to their weights.
    #[test]
    fn segments_draw_within_themselves() {
        let weights = [1.0, 3.0, 5.0, 0.0, 2.0, 2.0, 4.0];
        let values: Vec<u32> = (0..7).map(|i| 100 + i).collect();
        let mut table = SegmentedAlias::new();
        for segment in [0..2, 2..3, 3..7] {
            table.push(&weights[segment.clone()], &values[segment]);
        }
        assert_eq!(table.segments(), 3);
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        let mut seen = [0u64; 7];
        let draws = 400_000;
        for segment in 0..3 {
            for _ in 0..draws {
                seen[table.draw(segment, rng.random()) as usize - 100] += 1;
            }
        }
        // Segment totals 4, 5 and 8: each index gets its share of its segment's draws.
        let expected = [0.25, 0.75, 1.0, 0.0, 0.25, 0.25, 0.5];
        for (i, (&n, &p)) in seen.iter().zip(&expected).enumerate() {
            let sd = (draws as f64 * p * (1.0 - p)).sqrt();
            assert!(
                (n as f64 - draws as f64 * p).abs() <= 5.0 * sd + 1.0,
                "index {i}: {n} of {draws}, expected share {p}"
            );
        }
    }

    #[test]
    fn a_table_on_huge_pages_draws_as_one_on_ordinary_memory() {
        // Over 4 MiB of columns, so that whole huge pages are advised.
        let (segments, per_segment) = (512, 1024);
        let weights: Vec<f64> = (0..per_segment).map(|i| (i % 7 + 1) as f64).collect();
        let (mut plain, mut huge) = (
            SegmentedAlias::new(),
            SegmentedAlias::with_capacity(segments * per_segment),
        );
        let start = huge.columns.as_ptr();
        for segment in 0..segments as u32 {
            let values: Vec<u32> = (0..per_segment as u32).map(|i| segment ^ i).collect();
            plain.push(&weights, &values);
            huge.push(&weights, &values);
        }
        assert_eq!(huge.columns.as_ptr(), start, "filled in place, never moved");
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
        for _ in 0..10_000 {
            let (segment, random) = (rng.random_range(0..segments), rng.random());
            assert_eq!(plain.draw(segment, random), huge.draw(segment, random));
        }
    }

    #[test]
    fn a_single_weight_always_wins() {
        let table = AliasTable::new(&[0.0, 3.0, 0.0]);
        for r in [0, u64::MAX, 1 << 63, 12345] {
            assert_eq!(table.draw(r), 1);
        }
    }
}
