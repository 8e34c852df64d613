//! The numeric kernels of the SGNS step: dot product, `y += a·x`, and σ (and
//! a portable dot product for the read-only work on trained models).
//!
//! The vector kernels come in two forms, chosen by a const parameter: AVX2 + FMA intrinsics
//! (8 lanes, fused multiply-add), used when the CPU reports both at run time (see
//! `sgns::Simd`), and portable loops that LLVM vectorises with what the target guarantees
//! (SSE2 on any x86_64). No `-C target-cpu=native` is needed. The AVX-512 form of the SGNS
//! step keeps its rows in registers and lives in `sgns`.

/// y ← y + a·x over the shorter of the two; with `AVX2`, by AVX2/FMA intrinsics.
///
/// The vector kernels are crate-private and take `AVX2 = true` only inside functions that a
/// `sgns::Simd` value has unlocked: a `Simd` reporting AVX2 exists only on such CPUs.
#[inline(always)]
pub(crate) fn axpy<const AVX2: bool>(a: f32, x: &[f32], y: &mut [f32]) {
    let n = x.len().min(y.len());
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: the caller chose AVX2 after checking the CPU (see `sgns::Simd::detect`);
        // `x` holds at least `n` values and `y` is a distinct `&mut` slice of at least `n`.
        return unsafe { avx2::axpy(a, x.as_ptr(), y.as_mut_ptr(), n) };
    }
    for (yi, xi) in y[..n].iter_mut().zip(&x[..n]) {
        *yi += a * xi;
    }
}

/// Σ a_i·b_i over the shorter of the two, portable: eight independent sums, so that LLVM
/// vectorises it without reordering a single chain of float additions. For the read-only
/// work on a trained model (`evaluate`).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut sums = [0.0f32; 8];
    let (chunks_a, chunks_b) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = (chunks_a.remainder().iter())
        .zip(chunks_b.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in chunks_a.zip(chunks_b) {
        for i in 0..8 {
            sums[i] += x[i] * y[i];
        }
    }
    sums.iter().sum::<f32>() + tail
}

/// `Σ a_i·b_i` for `i < n` over raw pointers: the form the Hogwild matrix uses on shared rows.
///
/// # Safety
/// `a` and `b` valid for `n` reads; with `AVX2`, the CPU has AVX2 and FMA (see `axpy`).
#[inline(always)]
pub(crate) unsafe fn dot_raw<const AVX2: bool>(a: *const f32, b: *const f32, n: usize) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        return avx2::dot(a, b, n);
    }
    // Sixteen independent sums: a single chain would wait a float addition's latency per
    // value (the portable path's bottleneck: E. coli k 6 on 1 thread took 21.5–22.6 s),
    // and LLVM may not reorder it into vectors itself.
    let mut sums = [0.0f32; 16];
    let mut i = 0;
    while i + 16 <= n {
        for (lane, sum) in sums.iter_mut().enumerate() {
            *sum += a.add(i + lane).read() * b.add(i + lane).read();
        }
        i += 16;
    }
    let mut total: f32 = sums.iter().sum();
    while i < n {
        total += a.add(i).read() * b.add(i).read();
        i += 1;
    }
    total
}

/// `y_i ← y_i + a·x_i` for `i < n` over raw pointers.
///
/// # Safety
/// `x` valid for `n` reads, `y` for `n` reads and writes, not overlapping; with `AVX2`, the
/// CPU has AVX2 and FMA.
#[inline(always)]
pub(crate) unsafe fn axpy_raw<const AVX2: bool>(a: f32, x: *const f32, y: *mut f32, n: usize) {
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        return avx2::axpy(a, x, y, n);
    }
    for i in 0..n {
        y.add(i).write(y.add(i).read() + a * x.add(i).read());
    }
}

/// Asks the CPU to start loading the cache line of `value` (a hint: no effect on values).
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is part of x86_64; a prefetch of a valid reference's address reads
    // nothing into the program.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(value as *const T as *const i8)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// AVX2 + FMA versions: 8 lanes a step, four independent accumulators in `dot` to hide the
/// FMA latency, scalar tails.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    /// Σ a_i·b_i for i < n.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA; `a` and `b` must be valid for `n` reads.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn dot(a: *const f32, b: *const f32, n: usize) -> f32 {
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut i = 0;
        while i + 32 <= n {
            for (lane, acc) in acc.iter_mut().enumerate() {
                let offset = i + 8 * lane;
                *acc = _mm256_fmadd_ps(
                    _mm256_loadu_ps(a.add(offset)),
                    _mm256_loadu_ps(b.add(offset)),
                    *acc,
                );
            }
            i += 32;
        }
        while i + 8 <= n {
            acc[0] = _mm256_fmadd_ps(_mm256_loadu_ps(a.add(i)), _mm256_loadu_ps(b.add(i)), acc[0]);
            i += 8;
        }
        let sum = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        let mut total = horizontal_sum(sum);
        while i < n {
            total += *a.add(i) * *b.add(i);
            i += 1;
        }
        total
    }

    /// y_i ← y_i + a·x_i for i < n.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA; `x` valid for `n` reads, `y` for `n` writes, and
    /// they must not overlap.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn axpy(a: f32, x: *const f32, y: *mut f32, n: usize) {
        let scale = _mm256_set1_ps(a);
        let mut i = 0;
        while i + 8 <= n {
            let updated =
                _mm256_fmadd_ps(scale, _mm256_loadu_ps(x.add(i)), _mm256_loadu_ps(y.add(i)));
            _mm256_storeu_ps(y.add(i), updated);
            i += 8;
        }
        while i < n {
            *y.add(i) += a * *x.add(i);
            i += 1;
        }
    }

    /// The sum of the 8 lanes, in a fixed order.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn horizontal_sum(v: __m256) -> f32 {
        let half = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let quarter = _mm_add_ps(half, _mm_movehl_ps(half, half));
        _mm_cvtss_f32(_mm_add_ss(quarter, _mm_shuffle_ps(quarter, quarter, 1)))
    }
}

/// σ is taken as σ(±8) = 0.5 ± 0.49966 beyond ±`SIGMOID_BOUND` (word2vec stops at 6), and
/// the loss table covers [−8, 8].
pub const SIGMOID_BOUND: f32 = 8.0;
/// Segments of |x| ∈ [0, 8) with a cubic each: one 8-lane register per coefficient.
const SEGMENTS: usize = 8;
/// The largest f32 below `SIGMOID_BOUND`: |x| is clamped to it, so its segment is the last.
const LAST_ARGUMENT: f32 = 7.999_999_5;
/// Loss table entries per unit of x.
const LOSS_RESOLUTION: f32 = 256.0;

/// σ(x) = 1 / (1 + e^(−x)) and the loss −ln σ(x) of the SGNS step.
///
/// σ is odd about ½: σ(x) = ½ + sign(x)·q(|x|) with q(a) = σ(a) − ½. On each unit segment
/// [i, i + 1) of a = |x|, i < 8, q is the cubic c₀ + c₁a + c₂a² + c₃a³ through q at the
/// segment's four Chebyshev nodes i + ½ + ½·cos((2k + 1)π/8): at most 3.7·10⁻⁵ off there
/// (a 4,097-entry table, as before, was 5·10⁻⁴ off). Each coefficient is one 8-lane
/// register indexed by the segment, so `sigmoid8` makes no load that depends on x: a
/// permute replaces the gather that a table needs, whose latency was on the SGNS step's
/// critical path (score → σ → gradient → next score); on the Zen 5 of
/// `benches/window_variants.rs` the step ran 5–10 % faster for it. The loss, off that
/// path, is a 4,097-entry table over [−8, 8].
#[derive(Debug, Clone)]
pub struct SigmoidTable {
    /// `cubic[k][i]`: cₖ of segment i.
    cubic: [[f32; SEGMENTS]; 4],
    neg_ln: Vec<f32>,
}

impl Default for SigmoidTable {
    fn default() -> Self {
        let segments: [[f64; 4]; SEGMENTS] =
            std::array::from_fn(|segment| interpolating_cubic(segment as f64));
        let cubic = std::array::from_fn(|k| segments.map(|c| c[k] as f32));
        let n = (2.0 * SIGMOID_BOUND * LOSS_RESOLUTION) as usize + 1;
        let grid = |i: usize| i as f64 / LOSS_RESOLUTION as f64 - SIGMOID_BOUND as f64;
        // −ln σ(x) = ln(1 + e^(−x)).
        let neg_ln = (0..n).map(|i| (-grid(i)).exp().ln_1p() as f32).collect();
        SigmoidTable { cubic, neg_ln }
    }
}

/// c₀..c₃ of the cubic through q(a) = σ(a) − ½ at the Chebyshev nodes of [i, i + 1]:
/// Newton's divided differences, expanded into powers of a (in f64; the f32 rounding of
/// the coefficients adds under 10⁻⁶ at a ≤ 8).
fn interpolating_cubic(i: f64) -> [f64; 4] {
    let nodes: [f64; 4] = std::array::from_fn(|k| {
        i + 0.5 + 0.5 * ((2 * k + 1) as f64 * std::f64::consts::PI / 8.0).cos()
    });
    let mut divided: [f64; 4] = std::array::from_fn(|k| 1.0 / (1.0 + (-nodes[k]).exp()) - 0.5);
    for order in 1..4 {
        for k in (order..4).rev() {
            divided[k] = (divided[k] - divided[k - 1]) / (nodes[k] - nodes[k - order]);
        }
    }
    // p ← p·(a − node_k) + divided_k, from the highest order down, on coefficient vectors.
    let mut p = [divided[3], 0.0, 0.0, 0.0];
    for k in (0..3).rev() {
        let mut next = [0.0; 4];
        for m in 0..3 {
            next[m + 1] += p[m];
            next[m] -= nodes[k] * p[m];
        }
        next[0] += divided[k];
        p = next;
    }
    p
}

impl SigmoidTable {
    /// σ(x), as `sigmoid8` computes it (without fused multiply-adds, so it may differ from
    /// it in the last bits). A NaN reads as the top of the range, as `minps` makes it.
    #[inline(always)]
    pub fn sigmoid(&self, x: f32) -> f32 {
        let a = x.abs().min(LAST_ARGUMENT);
        let segment = a as usize;
        let c = |k: usize| self.cubic[k][segment];
        let q = (c(3) * a + c(2)) * (a * a) + (c(1) * a + c(0));
        // q·sign(x) by the sign bit, as the vector form does.
        0.5 + f32::from_bits(q.to_bits() ^ (x.to_bits() & 0x8000_0000))
    }

    /// An SGNS gradient g = η·(y − σ(x)) of a pair of score x and label y: η·σ(−x) for a
    /// positive (1 − σ(x) = σ(−x)), −η·σ(x) for a negative, as the vector path computes it
    /// (`sigmoid8` of x with the positive's sign flipped, times ±η).
    #[inline(always)]
    pub fn gradient(&self, label: bool, x: f32, lr: f32) -> f32 {
        match label {
            true => lr * self.sigmoid(-x),
            false => -lr * self.sigmoid(x),
        }
    }

    /// σ of eight values at once: the segment index picks each coefficient out of its
    /// register (`vpermps`), and the cubic is two levels of fused multiply-adds beside a²
    /// (Estrin's scheme): eight dependent instructions from x to σ, none a load that waits on
    /// x (the coefficients' loads depend on nothing and are hoisted out of loops).
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub unsafe fn sigmoid8(&self, x: std::arch::x86_64::__m256) -> std::arch::x86_64::__m256 {
        use std::arch::x86_64::*;
        let sign_bit = _mm256_set1_ps(-0.0);
        // A NaN lane becomes LAST_ARGUMENT: `minps` returns its second operand then.
        let a = _mm256_min_ps(_mm256_andnot_ps(sign_bit, x), _mm256_set1_ps(LAST_ARGUMENT));
        let segment = _mm256_cvttps_epi32(a);
        let c =
            |k: usize| _mm256_permutevar8x32_ps(_mm256_loadu_ps(self.cubic[k].as_ptr()), segment);
        let q = _mm256_fmadd_ps(
            _mm256_fmadd_ps(c(3), a, c(2)),
            _mm256_mul_ps(a, a),
            _mm256_fmadd_ps(c(1), a, c(0)),
        );
        _mm256_add_ps(
            _mm256_set1_ps(0.5),
            _mm256_xor_ps(q, _mm256_and_ps(x, sign_bit)),
        )
    }

    /// −ln σ(x), nearest table entry; outside the table its asymptotes, 0 and −x.
    #[inline(always)]
    pub fn neg_log_sigmoid(&self, x: f32) -> f32 {
        if x >= SIGMOID_BOUND {
            0.0
        } else if x <= -SIGMOID_BOUND {
            -x
        } else {
            let position = x * LOSS_RESOLUTION + (SIGMOID_BOUND * LOSS_RESOLUTION + 0.5);
            self.neg_ln[position as usize]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_and_axpy_match_the_definition() {
        let avx2 = crate::sgns::Simd::detect().avx2_fma();
        for n in [0, 1, 7, 8, 9, 100, 257] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let exact: f64 = a.iter().zip(&b).map(|(x, y)| *x as f64 * *y as f64).sum();
            for use_avx2 in [false, avx2] {
                // SAFETY: both slices hold n values; AVX2 only where detected.
                let dot = unsafe {
                    match use_avx2 {
                        true => dot_raw::<true>(a.as_ptr(), b.as_ptr(), n),
                        false => dot_raw::<false>(a.as_ptr(), b.as_ptr(), n),
                    }
                };
                assert!((dot as f64 - exact).abs() < 1e-4, "n {n}, avx2 {use_avx2}");
                assert!(
                    (super::dot(&a, &b) as f64 - exact).abs() < 1e-4,
                    "n {n}, safe dot"
                );
                let mut y = b.clone();
                match use_avx2 {
                    true => axpy::<true>(0.5, &a, &mut y),
                    false => axpy::<false>(0.5, &a, &mut y),
                }
                for i in 0..n {
                    assert!((y[i] - (b[i] + 0.5 * a[i])).abs() < 1e-6);
                }
            }
        }
    }

    #[test]
    fn sigmoid_is_within_4e_5_and_its_vector_form_agrees() {
        let table = SigmoidTable::default();
        let exact = |x: f32| 1.0 / (1.0 + (-f64::from(x)).exp());
        for i in -80_000..=80_000 {
            let x = i as f32 / 10_000.0;
            let error = (f64::from(table.sigmoid(x)) - exact(x)).abs();
            assert!(error < 4e-5, "x = {x}: off by {error}");
        }
        // Beyond ±8, σ(±8).
        for x in [8.0, 100.0, f32::INFINITY, f32::NAN] {
            assert!((table.sigmoid(x) - 0.99966).abs() < 1e-5, "x = {x}");
            assert!((table.sigmoid(-x) - 0.00034).abs() < 1e-5, "x = {x}");
        }
        for x in [-3.0, 0.01, 2.5] {
            assert_eq!(table.gradient(true, x, 0.5), 0.5 * table.sigmoid(-x));
            assert!((table.gradient(false, x, 0.5) + 0.5 * table.sigmoid(x)).abs() < 1e-9);
            assert!((table.gradient(true, x, 0.5) - 0.5 * (1.0 - table.sigmoid(x))).abs() < 1e-6);
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            let mut inputs: Vec<f32> = (-1100..=1100).map(|i| i as f32 / 128.0).collect();
            inputs.extend([
                f32::NAN,
                -f32::NAN,
                f32::INFINITY,
                f32::NEG_INFINITY,
                1e30,
                -1e30,
                7.999,
                -0.0,
            ]);
            for chunk in inputs.chunks(8) {
                let mut x = [0f32; 8];
                x[..chunk.len()].copy_from_slice(chunk);
                let mut got = [0f32; 8];
                // SAFETY: AVX2 and FMA are detected; the arrays hold eight values.
                unsafe {
                    use std::arch::x86_64::*;
                    let p = table.sigmoid8(_mm256_loadu_ps(x.as_ptr()));
                    _mm256_storeu_ps(got.as_mut_ptr(), p);
                }
                for (x, got) in x.iter().zip(got) {
                    let want = table.sigmoid(*x);
                    assert!((got - want).abs() < 1e-6, "x = {x}: {got} vs {want}");
                }
            }
        }
        for i in -2000..=2000 {
            let x = i as f32 / 100.0;
            let exact = (-x).exp().ln_1p();
            assert!((table.neg_log_sigmoid(x) - exact).abs() < 2e-3, "x = {x}");
        }
    }
}
