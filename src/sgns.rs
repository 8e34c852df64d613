//! The SGNS update of one window: word2vec's SGD in place, with the input row held in
//! registers, its contexts' scores taken in batches.
//!
//! For a center k-mer w with contexts c_1..c_m, each context's input row u = U[c_r] meets
//! the target w (label 1) and K negatives n_1..n_K (label 0), rows of V. Every pair (c, t)
//! with label y contributes the log-likelihood
//!
//!   ℓ = y·ln σ(u·v_t) + (1 − y)·ln σ(−u·v_t),   ∂ℓ/∂(u·v_t) = y − σ(u·v_t),
//!
//! and the step is word2vec C's: for each context in turn, for each of its targets t,
//!
//!   g = η·(y − σ(u·v_t)),   e ← e + g·v_t,   v_t ← v_t + g·u,
//!
//! then U[c] ← U[c] + e. On the vector paths (module `vector`: AVX-512, and the same kernel
//! 8 lanes wide with AVX2) most windows go in batches of up to six contexts whose scores
//! u·v_t are all taken against the target rows as the batch found them (Ji et al. 2016),
//! then applied in that order: the updates are word2vec's, only the scores miss the batch's
//! earlier contexts. That cuts the chain from one context's σ to the next one's dot
//! products, and on E. coli 6-mers it scored a little better on the shifted-PMI check than
//! the sequential step (`vector::BATCH`). The other paths, and windows with repeated
//! targets, an ℓ2 penalty or the loss measured, take the sequential step exactly.
//!
//! Negatives are drawn per group of `share` contexts (1: a fresh draw per pair, as word2vec
//! does; the trainer's default shares one draw across the window, which the center's
//! targets make cheap: the same K + 1 rows of V stay in L1 for the whole window, and the
//! pairs still differ in their input). Measured on E. coli 6-mers, sharing in this
//! orientation kept the PMI correlation; sharing with the center as the input instead
//! (fastText's orientation) lost much of it, since then the same pair repeats. A negative
//! equal to the center is a false negative and is skipped. An ℓ2 penalty λ adds −η·λ·v_t
//! to each target update and −η·λ·u to each context's e.

use crate::hogwild::HogwildMatrix;
use crate::kernels::{self, SigmoidTable};
use serde::Serialize;

/// The vector instructions the running CPU offers. Only `detect` can report AVX2 or
/// AVX-512, so a value of this type is proof that those paths are safe to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Simd {
    avx2_fma: bool,
    avx512: bool,
}

/// The most a run may use of the CPU's vector instructions (`--simd`): to compare the
/// paths, or to take a CPU's lower path. A level above what the CPU has is the CPU's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum SimdLevel {
    /// Portable code only.
    Portable,
    /// AVX2 and FMA, not AVX-512.
    Avx2,
    /// Everything the CPU offers (AVX-512F where it has it).
    Auto,
}

impl Simd {
    /// The best the running CPU supports, up to `level`.
    pub fn detect_up_to(level: SimdLevel) -> Self {
        match level {
            SimdLevel::Portable => Simd::portable(),
            SimdLevel::Avx2 => Simd::detect().without_avx512(),
            SimdLevel::Auto => Simd::detect(),
        }
    }

    /// The best the running CPU supports.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return Simd {
                avx2_fma: true,
                avx512: std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512vl"),
            };
        }
        Simd::portable()
    }

    /// Portable code only.
    pub fn portable() -> Self {
        Simd {
            avx2_fma: false,
            avx512: false,
        }
    }

    /// The same, with AVX-512 left unused (to compare the paths).
    pub fn without_avx512(self) -> Self {
        Simd {
            avx512: false,
            ..self
        }
    }

    /// Whether the AVX2 + FMA paths may run.
    pub fn avx2_fma(&self) -> bool {
        self.avx2_fma
    }

    /// Whether the AVX-512F paths may run.
    pub fn avx512(&self) -> bool {
        self.avx512
    }

    /// A name for logs and metadata.
    pub fn name(&self) -> &'static str {
        match (self.avx512, self.avx2_fma) {
            (true, _) => "avx512f",
            (false, true) => "avx2+fma",
            (false, false) => "portable",
        }
    }
}

/// One center and its window, as the trainer hands them to `Step::train`.
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    /// The center k-mer's row: its row of V is the positive target.
    pub center: u32,
    /// The contexts' rows, in window order: their rows of U are the inputs.
    pub contexts: &'a [u32],
    /// K negatives per group of `Step::share` contexts, group after group.
    pub noise: &'a [u32],
    /// The rows the next window meets first, prefetched while this one trains.
    pub ahead: Ahead<'a>,
}

/// The rows the window after this one meets first: its negatives' and center's rows of V
/// and the rows of U of its contexts not in this window (`embed`: the one entering it;
/// `train`, whose windows share nothing: all of them). The vector paths prefetch them a
/// row at a time between the steps of the batched update (`ROWS_AHEAD_PER_STEP`) rather
/// than all at the window's start: seven rows of seven lines at once filled the line
/// buffers, and the prefetch instruction that found none free stalled the core (57 % of
/// the trainer loop's samples were on it). Spread out, 1.067× on 1 thread (E. coli k 6,
/// Intel Xeon VM, 7 alternating pairs, with the exact paired step this replaced).
#[derive(Debug, Clone, Copy, Default)]
pub struct Ahead<'a> {
    /// Rows of V: the next window's negatives.
    pub negatives: &'a [u32],
    /// The next window's center (its row of V).
    pub center: Option<u32>,
    /// Rows of U: the next window's contexts that this one lacks.
    pub contexts: &'a [u32],
}

impl<'a> Ahead<'a> {
    /// The next window's rows: its `negatives` only when they are a single draw (the window
    /// shares one, `Step::share`). With a draw per context (`--share-negatives 1`, 30 rows a
    /// window) their prefetches would fill the line buffers: that mode measured slower with
    /// them.
    pub fn new(
        step: &Step,
        negatives: &'a [u32],
        center: Option<u32>,
        contexts: &'a [u32],
    ) -> Self {
        Ahead {
            negatives: if negatives.len() <= step.negatives {
                negatives
            } else {
                &[]
            },
            center,
            contexts,
        }
    }

    /// Prefetches the next `rows` of the rows not yet prefetched, in the order above; `stride`
    /// is the matrices' (`HogwildMatrix::prefetch_row_of`).
    #[inline(always)]
    pub fn prefetch(
        &mut self,
        rows: usize,
        inputs: &HogwildMatrix,
        outputs: &HogwildMatrix,
        stride: usize,
    ) {
        for _ in 0..rows {
            if let Some((&row, rest)) = self.negatives.split_first() {
                outputs.prefetch_row_of(row, stride);
                self.negatives = rest;
            } else if let Some(row) = self.center.take() {
                outputs.prefetch_row_of(row, stride);
            } else if let Some((&row, rest)) = self.contexts.split_first() {
                inputs.prefetch_row_of(row, stride);
                self.contexts = rest;
            } else {
                return;
            }
        }
    }
}

/// The settings of an update, fixed for a sentence.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    /// The learning rate η.
    pub lr: f32,
    /// The ℓ2 weight λ.
    pub l2: f32,
    /// K, negatives per pair.
    pub negatives: usize,
    /// Contexts sharing one draw of negatives (≥ 1).
    pub share: usize,
    /// Whether to measure the loss.
    pub with_loss: bool,
    /// The SIMD path to run.
    pub simd: Simd,
}

impl Step {
    /// Negatives a window of `contexts` contexts needs.
    pub fn noise_needed(&self, contexts: usize) -> usize {
        contexts.div_ceil(self.share) * self.negatives
    }
}

/// A running sum of the loss per pair, −ln σ(±u·v).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Loss {
    pub sum: f64,
    pub pairs: u64,
}

impl std::ops::AddAssign for Loss {
    fn add_assign(&mut self, other: Loss) {
        self.sum += other.sum;
        self.pairs += other.pairs;
    }
}

impl Loss {
    /// Adds a pair of score x: −ln σ(x) for a positive, −ln σ(−x) for a negative.
    #[inline(always)]
    fn add(&mut self, label: bool, score: f32, sigmoid: &SigmoidTable) {
        let signed = if label { score } else { -score };
        self.sum += f64::from(sigmoid.neg_log_sigmoid(signed));
        self.pairs += 1;
    }
}

/// The targets of context `r`: the center, then the negatives of the context's group.
#[inline(always)]
fn targets<'a>(window: &'a Window, step: &Step, r: usize) -> impl Iterator<Item = u32> + 'a {
    let group = r / step.share * step.negatives;
    std::iter::once(window.center)
        .chain(window.noise[group..group + step.negatives].iter().copied())
}

/// Per-worker buffers of the portable and AVX2 paths: u and e, `stride` values each.
#[derive(Debug, Clone, Default)]
pub struct Scratch {
    input: Vec<f32>,
    error: Vec<f32>,
    decayed: Vec<f32>,
}

impl Step {
    /// Trains one window on the shared matrices `inputs` (U) and `outputs` (V) with the best
    /// path `self.simd` allows: AVX-512 with u and e in registers when the rows fit in eight
    /// 16-lane registers, otherwise rows in `scratch` with AVX2 or portable kernels.
    #[inline(always)]
    pub fn train(
        &self,
        inputs: &HogwildMatrix,
        outputs: &HogwildMatrix,
        window: &Window,
        sigmoid: &SigmoidTable,
        scratch: &mut Scratch,
        loss: &mut Loss,
    ) {
        debug_assert_eq!(window.noise.len(), self.noise_needed(window.contexts.len()));
        #[cfg(target_arch = "x86_64")]
        if self.simd.avx512 {
            let registers = inputs.stride() / 16;
            let narrow_tail = vector::narrow_tail(inputs.dim(), registers);
            // Each arm: rows of `$n` registers, the last narrowed to 8 lanes where the row
            // ends in its first half (`vector::narrow_tail`).
            macro_rules! by_registers {
                ($($n:literal)*) => {
                    match (registers, narrow_tail) {
                        $(
                            ($n, true) => {
                                return vector::train_avx512::<$n, 8>(
                                    self, inputs, outputs, window, sigmoid, loss,
                                )
                            }
                            ($n, false) => {
                                return vector::train_avx512::<$n, 16>(
                                    self, inputs, outputs, window, sigmoid, loss,
                                )
                            }
                        )*
                        _ => {}
                    }
                };
            }
            // SAFETY (all arms): `self.simd` proves the CPU has AVX-512F and VL, AVX2 and FMA
            // (`detect` reports AVX-512 only with them); the matrices hold the rows the window
            // names (their `row_ptr` checks), each `16·N` values wide.
            unsafe {
                by_registers!(1 2 3 4 5 6 7 8);
            }
        }
        #[cfg(target_arch = "x86_64")]
        if self.simd.avx2_fma {
            // Each arm: rows of `$n` 8-lane registers, as many as the row's values need, not
            // its stride's (dim 100: 13 of the 14, 1.036× on `embed` E. coli k 6, Zen 3 VM,
            // in-process alternating A/B, docs/performance-log.md). The lanes past them are
            // padding, zero and never touched.
            macro_rules! by_registers {
                ($($n:literal)*) => {
                    match inputs.dim().div_ceil(8) {
                        $(
                            $n => {
                                return vector::train_avx2::<$n, 8>(
                                    self, inputs, outputs, window, sigmoid, loss,
                                )
                            }
                        )*
                        _ => {}
                    }
                };
            }
            // SAFETY (all arms): `self.simd` proves the CPU has AVX2 and FMA; the matrices
            // hold the rows the window names (their `row_ptr` checks), each padded to
            // `padded(8·N)` values.
            unsafe {
                by_registers!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
            }
            { window.ahead }.prefetch(usize::MAX, inputs, outputs, inputs.stride());
            // SAFETY: as above, the CPU has AVX2 and FMA.
            return unsafe { self.train_avx2(inputs, outputs, window, sigmoid, scratch, loss) };
        }
        { window.ahead }.prefetch(usize::MAX, inputs, outputs, inputs.stride());
        self.train_rows::<false>(inputs, outputs, window, sigmoid, scratch, loss)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn train_avx2(
        &self,
        inputs: &HogwildMatrix,
        outputs: &HogwildMatrix,
        window: &Window,
        sigmoid: &SigmoidTable,
        scratch: &mut Scratch,
        loss: &mut Loss,
    ) {
        self.train_rows::<true>(inputs, outputs, window, sigmoid, scratch, loss)
    }

    /// The update with u and e in `scratch`, any row length; `AVX2` as in `kernels::dot`.
    #[inline(always)]
    fn train_rows<const AVX2: bool>(
        &self,
        inputs: &HogwildMatrix,
        outputs: &HogwildMatrix,
        window: &Window,
        sigmoid: &SigmoidTable,
        scratch: &mut Scratch,
        loss: &mut Loss,
    ) {
        let stride = inputs.stride();
        let Scratch {
            input,
            error,
            decayed,
        } = scratch;
        for buffer in [&mut *input, &mut *error, &mut *decayed] {
            buffer.resize(stride, 0.0);
        }
        let decay = -self.lr * self.l2;
        for (r, &context) in window.contexts.iter().enumerate() {
            inputs.read_row(context, input);
            error.fill(0.0);
            for (j, target) in targets(window, self, r).enumerate() {
                let label = j == 0;
                if !label && target == window.center {
                    continue;
                }
                let score = outputs.dot_row::<AVX2>(target, input);
                if self.with_loss {
                    loss.add(label, score, sigmoid);
                }
                let g = sigmoid.gradient(label, score, self.lr);
                outputs.axpy_from_row::<AVX2>(target, g, error);
                if decay != 0.0 {
                    outputs.read_row(target, decayed);
                    outputs.axpy_to_row::<AVX2>(target, decay, decayed);
                }
                outputs.axpy_to_row::<AVX2>(target, g, input);
            }
            if decay != 0.0 {
                kernels::axpy::<AVX2>(decay, input, error);
            }
            inputs.add_to_row(context, error);
        }
    }
}

/// The vector paths: u and e in `N` registers each, 16 lanes wide with AVX-512 and 8 with
/// AVX2, one kernel generic over the width (`Width`).
///
/// The contexts of a group share their targets, so context r + 1's scores need the target
/// rows after context r's update, v_t + g_{r,t}·u_r: a chain from one context's dot
/// products through the sigmoid to the next one's. When the group's K + 1 targets are
/// distinct rows (at most 8), it is cut: context r + 1's dot products are taken against
/// the rows before context r's update, together with h = u_{r+1}·u_r, and
///
///   s_{r+1,t} = u_{r+1}·v_t + g_{r,t}·h      (times 1 − ηλ on v_t with an ℓ2 penalty),
///
/// the same scores as word2vec's sequential step, now computed while context r is still
/// being applied. The K + 1 sums are reduced together and σ is taken for all eight lanes
/// at once (`SigmoidTable::sigmoid8`, no load that waits on the scores). Measured in
/// `benches/window_variants.rs` (the kernel's windows, 4,096 rows): 67–71 → 84–85 M pairs/s
/// for the pipelining; the cubic σ's permutes in place of a table's gather, 1.07–1.09× →
/// 1.13–1.19× the pair-by-pair loop on Zen 5. A group whose targets repeat a row, or has
/// more than 8, goes pair by pair; a context equal to the one before it has its scores
/// taken after that one's update, not ahead (ahead, its own row would miss the update).
/// With AVX2's sixteen registers u and e do not all fit (dim 100 needs 14 each); the
/// compiler keeps the rest in L1.
///
/// Most groups go as batches ("batched"), the parallel form of Ji et al. (2016, "Parallelizing
/// Word2Vec in Shared and Distributed Memory"): the scores of a batch of up to `BATCH`
/// contexts are all taken against the target rows as the batch found them,
///
///   s_{r,t} = u_r·v_t⁰,   g_{r,t} = η·(y_t − σ(s_{r,t})),
///
/// two contexts a pass (each chunk of each target row loaded once for both), and their σ
/// eight lanes at once; then one pass per register position applies the batch: the K + 1
/// target registers stay in registers across its contexts, and for each context in turn
///
///   e = Σ_t g_{r,t}·v_t,   v_t ← v_t + g_{r,t}·u_r,   u_r ← u_r + e,
///
/// so e and the updates are word2vec's sequential step; only the scores miss the updates of
/// the batch's earlier contexts (the g_{r',t}·(u_r·u_{r'}) that a sequential step would add).
/// No chain runs from one context's σ to the next one's dot products, and none of the
/// products of rows of U with each other that the exact pipelining above needs: per context
/// and register, 6 multiply-adds for the scores and 12 for the update, where the paired
/// exact step it replaces took 8.5 and 12. A repeated context needs no care (its second
/// update reads the row its first one stored). Batches take groups of two or more contexts
/// with at most six distinct targets (fewer are padded by skipped copies of the center's
/// row, stored before the center's), no ℓ2 penalty and no loss measured (one window in 64,
/// `trainer::LOSS_EVERY`); the rest go one context at a time as above, exactly. `embed` of
/// E. coli k 6, 1 thread, Zen 4 VM: 1.13× the paired exact step (7 alternating pairs);
/// quality in `BATCH`'s docs.
#[cfg(target_arch = "x86_64")]
mod vector {
    use super::{targets, Ahead, Loss, Step, Window};
    use crate::hogwild::{padded, HogwildMatrix};
    use crate::kernels::SigmoidTable;
    use std::arch::x86_64::*;

    /// The most targets (1 + K) of the pipelined step: one 8-lane vector of scores.
    const LANES: usize = 8;

    /// The targets of the batched step (1 + K for the default K = 5), fewer padded to it.
    const BATCH_TARGETS: usize = 6;

    /// Rows of `Window::ahead` prefetched a step of the batched update (`Ahead`): one a
    /// pair of contexts' scores and one a register's update, at least the seven rows an
    /// `embed` window has ahead for any batch of two or more contexts.
    const ROWS_AHEAD_PER_STEP: usize = 1;

    /// One register width: the operations the kernel needs on it. Every method is an
    /// intrinsic of its instruction set, so it may only run where `train_avx512` or
    /// `train_avx2` (whose target features it inherits when inlined) may.
    ///
    /// The kernel calls intrinsics from no closure: a closure does not inherit its
    /// function's target features, so it is inlined only while LLVM finds it small enough,
    /// and once not, each intrinsic in it becomes a call (a change that grew `train_avx512`
    /// made `embed` 0.74× as fast that way, `_mm512_fmadd_ps` a function with 8.7 % of the
    /// profile). Loops and `match` instead.
    trait Width {
        /// A register of `WIDTH` values.
        type V: Copy;
        const WIDTH: usize;
        /// The vector registers of the instruction set.
        const REGISTERS: usize;
        unsafe fn zero() -> Self::V;
        unsafe fn splat(x: f32) -> Self::V;
        /// The operations on a row's registers take `lanes`: how many of the register's
        /// first lanes are the row's, `WIDTH` but in a row's last register, where it is 8
        /// with AVX-512 when the row's values end in its first half (`tail_lanes`). A ymm
        /// instruction then does the work, the result's other lanes zero, memory past
        /// `lanes` untouched: on a CPU that runs a 512-bit operation as two 256-bit halves
        /// (Zen 4), the last 4 values of dim 100 take half a zmm FMA's cost.
        unsafe fn load(p: *const f32, lanes: usize) -> Self::V;
        unsafe fn store(p: *mut f32, x: Self::V, lanes: usize);
        unsafe fn add(a: Self::V, b: Self::V, lanes: usize) -> Self::V;
        /// a·b, for the first term of each dot product (`scores_two`, `partial_dot`; the
        /// exact paired step this came from had it in its update too) rather than a
        /// multiply-add onto zero: an FMA overwrites one of its
        /// operands, so onto a zero register it made the compiler copy the row's value it
        /// multiplied, still needed for the next product or the row's update (the AVX-512
        /// kernel for dim 100 had 50 register copies, 25 after; on this VM a copy costs
        /// about a third of an FMA's slot). `embed` of E. coli k 6, 1 thread: 1.0195× and
        /// 1.019× (7 alternating pairs each way), output byte-identical. The same in
        /// `partial_dot` and `update_target` (the other paths) measured 1.012× and 0.970×
        /// on top: not kept.
        unsafe fn mul(a: Self::V, b: Self::V, lanes: usize) -> Self::V;
        /// a·b + c.
        unsafe fn fmadd(a: Self::V, b: Self::V, c: Self::V, lanes: usize) -> Self::V;
        /// Eight lanes with the same sum as `x`'s.
        unsafe fn fold8(x: Self::V) -> __m256;
        /// The sum of the lanes.
        unsafe fn sum(x: Self::V) -> f32;
        /// Lane j of the first result: the sum of the lanes of `x[j]`; of the second, of
        /// `y[j]`.
        unsafe fn sum_each_of_two(x: &[Self::V; LANES], y: &[Self::V; LANES]) -> (__m256, __m256);
    }

    /// Lanes of register `i` of a row of `N` registers of `W` that hold the row's values:
    /// all of them, but `TAIL` in the last.
    #[inline(always)]
    fn lanes<W: Width, const N: usize, const TAIL: usize>(i: usize) -> usize {
        if i + 1 == N {
            TAIL
        } else {
            W::WIDTH
        }
    }

    /// Whether a row of `dim` values in `registers` 16-lane registers ends in the first half
    /// of its last one, which the AVX-512 kernel then takes with 8-lane instructions
    /// (`Width::load`).
    pub fn narrow_tail(dim: usize, registers: usize) -> bool {
        registers > 0 && dim + 8 <= 16 * registers
    }

    /// Intrinsic `$op512` on 16-lane registers `$x`, or `$op256` on their first 8 lanes
    /// when `$lanes` is 8, the result's other lanes zero.
    macro_rules! on_lanes {
        ($lanes:expr, $op256:ident, $op512:ident, $($x:expr),*) => {
            if $lanes == 8 {
                _mm512_zextps256_ps512($op256($(_mm512_castps512_ps256($x)),*))
            } else {
                $op512($($x),*)
            }
        };
    }

    /// AVX-512F (with VL, for the narrower instructions on any of the 32 registers):
    /// 16 lanes.
    struct Avx512;

    impl Width for Avx512 {
        type V = __m512;
        const WIDTH: usize = 16;
        const REGISTERS: usize = 32;
        #[inline(always)]
        unsafe fn zero() -> __m512 {
            _mm512_setzero_ps()
        }
        #[inline(always)]
        unsafe fn splat(x: f32) -> __m512 {
            _mm512_set1_ps(x)
        }
        #[inline(always)]
        unsafe fn load(p: *const f32, lanes: usize) -> __m512 {
            if lanes == 8 {
                _mm512_zextps256_ps512(_mm256_load_ps(p))
            } else {
                _mm512_load_ps(p)
            }
        }
        #[inline(always)]
        unsafe fn store(p: *mut f32, x: __m512, lanes: usize) {
            if lanes == 8 {
                _mm256_store_ps(p, _mm512_castps512_ps256(x))
            } else {
                _mm512_store_ps(p, x)
            }
        }
        #[inline(always)]
        unsafe fn add(a: __m512, b: __m512, lanes: usize) -> __m512 {
            on_lanes!(lanes, _mm256_add_ps, _mm512_add_ps, a, b)
        }
        #[inline(always)]
        unsafe fn mul(a: __m512, b: __m512, lanes: usize) -> __m512 {
            on_lanes!(lanes, _mm256_mul_ps, _mm512_mul_ps, a, b)
        }
        #[inline(always)]
        unsafe fn fmadd(a: __m512, b: __m512, c: __m512, lanes: usize) -> __m512 {
            on_lanes!(lanes, _mm256_fmadd_ps, _mm512_fmadd_ps, a, b, c)
        }
        #[inline(always)]
        unsafe fn fold8(x: __m512) -> __m256 {
            let high = _mm512_extractf64x4_pd::<1>(_mm512_castps_pd(x));
            _mm256_add_ps(_mm512_castps512_ps256(x), _mm256_castpd_ps(high))
        }
        #[inline(always)]
        unsafe fn sum(x: __m512) -> f32 {
            _mm512_reduce_add_ps(x)
        }
        /// A tree of 15 halvings: two vectors of 16 partial sums become one of 16 by a
        /// blend and a two-source permute beside it, then an add (LLVM picks the
        /// shuffles: 47 instructions, where `sum_each` twice took 74). After steps of
        /// 8, 4, 2 and 1 lanes, lane i holds the sum of input bitreverse(i) (4 bits),
        /// so the inputs go in that order. 1.027× on `embed` of E. coli k 6, 1 thread
        /// (Intel Xeon VM, 5 alternating pairs); the sums' rounding differs from
        /// `sum_each`'s, so the output is not byte-identical to the AVX2 path's.
        #[inline(always)]
        unsafe fn sum_each_of_two(x: &[__m512; LANES], y: &[__m512; LANES]) -> (__m256, __m256) {
            // A nested fn, inlined into `train_avx512`, whose target features its
            // intrinsics then have (called through `array::map`, they stayed calls:
            // `embed` ran 2.8× slower).
            #[inline(always)]
            unsafe fn halve<const H: i32, const MASK: u16>(a: __m512, b: __m512) -> __m512 {
                let lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
                // Lane i: a[i + H] where i / H is even, else b[i − H] (index + 16).
                let index = _mm512_add_epi32(
                    lane,
                    _mm512_mask_blend_epi32(MASK, _mm512_set1_epi32(H), _mm512_set1_epi32(16 - H)),
                );
                _mm512_add_ps(
                    _mm512_mask_blend_ps(MASK, a, b),
                    _mm512_permutex2var_ps(a, index, b),
                )
            }
            // Input 2k is x[j], input 2k + 1 is y[j]: bitreverse(2k) = j, and
            // bitreverse(2k + 1) = j + 8.
            let j = [0, 4, 2, 6, 1, 5, 3, 7];
            let mut level = [_mm512_setzero_ps(); LANES];
            for k in 0..LANES {
                level[k] = halve::<8, 0xFF00>(x[j[k]], y[j[k]]);
            }
            for k in 0..4 {
                level[k] = halve::<4, 0xF0F0>(level[2 * k], level[2 * k + 1]);
            }
            for k in 0..2 {
                level[k] = halve::<2, 0xCCCC>(level[2 * k], level[2 * k + 1]);
            }
            let all = halve::<1, 0xAAAA>(level[0], level[1]);
            (
                _mm512_castps512_ps256(all),
                _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(all))),
            )
        }
    }

    /// AVX2 with FMA: 8 lanes.
    struct Avx2;

    impl Width for Avx2 {
        type V = __m256;
        const WIDTH: usize = 8;
        const REGISTERS: usize = 16;
        #[inline(always)]
        unsafe fn zero() -> __m256 {
            _mm256_setzero_ps()
        }
        #[inline(always)]
        unsafe fn splat(x: f32) -> __m256 {
            _mm256_set1_ps(x)
        }
        // All 8 lanes whatever `lanes` says (the kernel passes 8: `Step::train`).
        #[inline(always)]
        unsafe fn load(p: *const f32, _lanes: usize) -> __m256 {
            _mm256_load_ps(p)
        }
        #[inline(always)]
        unsafe fn store(p: *mut f32, x: __m256, _lanes: usize) {
            _mm256_store_ps(p, x)
        }
        #[inline(always)]
        unsafe fn add(a: __m256, b: __m256, _lanes: usize) -> __m256 {
            _mm256_add_ps(a, b)
        }
        #[inline(always)]
        unsafe fn mul(a: __m256, b: __m256, _lanes: usize) -> __m256 {
            _mm256_mul_ps(a, b)
        }
        #[inline(always)]
        unsafe fn fmadd(a: __m256, b: __m256, c: __m256, _lanes: usize) -> __m256 {
            _mm256_fmadd_ps(a, b, c)
        }
        #[inline(always)]
        unsafe fn fold8(x: __m256) -> __m256 {
            x
        }
        #[inline(always)]
        unsafe fn sum_each_of_two(x: &[__m256; LANES], y: &[__m256; LANES]) -> (__m256, __m256) {
            (sum_each::<Avx2>(x, LANES), sum_each::<Avx2>(y, LANES))
        }
        #[inline(always)]
        unsafe fn sum(x: __m256) -> f32 {
            let half = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps::<1>(x));
            let quarter = _mm_add_ps(half, _mm_movehl_ps(half, half));
            _mm_cvtss_f32(_mm_add_ss(quarter, _mm_shuffle_ps::<1>(quarter, quarter)))
        }
    }

    /// `Step::train` with AVX-512 for rows of `16·N` values.
    ///
    /// # Safety
    /// The CPU must support AVX-512F, AVX2 and FMA; both matrices must have a stride of
    /// `16·N`.
    #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
    pub unsafe fn train_avx512<const N: usize, const TAIL: usize>(
        step: &Step,
        inputs: &HogwildMatrix,
        outputs: &HogwildMatrix,
        window: &Window,
        sigmoid: &SigmoidTable,
        loss: &mut Loss,
    ) {
        train::<Avx512, N, TAIL>(step, inputs, outputs, window, sigmoid, loss)
    }

    /// `Step::train` with AVX2 for rows of `8·N` values.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA; both matrices must have a stride of `8·N`.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn train_avx2<const N: usize, const TAIL: usize>(
        step: &Step,
        inputs: &HogwildMatrix,
        outputs: &HogwildMatrix,
        window: &Window,
        sigmoid: &SigmoidTable,
        loss: &mut Loss,
    ) {
        train::<Avx2, N, TAIL>(step, inputs, outputs, window, sigmoid, loss)
    }

    /// `Step::train` for rows of `N` registers of width `W`.
    #[inline(always)]
    unsafe fn train<W: Width, const N: usize, const TAIL: usize>(
        step: &Step,
        inputs: &HogwildMatrix,
        outputs: &HogwildMatrix,
        window: &Window,
        sigmoid: &SigmoidTable,
        loss: &mut Loss,
    ) {
        // The rows' stride: N registers padded to whole cache lines (`hogwild::padded`).
        let stride = padded(W::WIDTH * N);
        debug_assert!(inputs.stride() == stride && outputs.stride() == stride);
        let count = step.negatives + 1;
        let mut ahead = window.ahead;
        for (group, contexts) in window.contexts.chunks(step.share).enumerate() {
            let first = group * step.share;
            if count <= LANES {
                let mut rows = [std::ptr::null_mut::<f32>(); LANES];
                let mut live = 0u32;
                // The live targets' rows, and in the other lanes ids no row has (a
                // vocabulary of 2³² − 8 rows would not fit in memory).
                let mut ids: [u32; LANES] = std::array::from_fn(|j| u32::MAX - j as u32);
                for (j, target) in targets(window, step, first).enumerate() {
                    rows[j] = outputs.row_ptr(target);
                    // A negative equal to the center is a false negative: skipped.
                    if j == 0 || target != window.center {
                        live |= 1 << j;
                        ids[j] = target;
                    }
                }
                if distinct(ids) {
                    let targets = Targets { rows, count, live };
                    let gradients = Gradients::new(step, &targets);
                    if count <= BATCH_TARGETS
                        && contexts.len() > 1
                        && step.l2 == 0.0
                        && !step.with_loss
                    {
                        // Padded to `BATCH_TARGETS` by skipped copies of the center's row.
                        let mut padded = Targets {
                            count: BATCH_TARGETS,
                            ..targets
                        };
                        padded.rows[count..BATCH_TARGETS].fill(rows[0]);
                        group_batched::<W, N, TAIL>(
                            inputs, contexts, &padded, &gradients, sigmoid, outputs, &mut ahead,
                        );
                    } else {
                        group_pipelined::<W, N, TAIL>(
                            step, inputs, contexts, &targets, &gradients, sigmoid, loss,
                        );
                    }
                    continue;
                }
            }
            for r in first..first + contexts.len() {
                context_pairwise::<W, N, TAIL>(step, inputs, outputs, window, r, sigmoid, loss);
            }
        }
        // What the batched steps left (all of it for the other paths).
        ahead.prefetch(usize::MAX, inputs, outputs, stride);
    }

    /// A group's target rows: `count` of them, the center first; `live` marks those
    /// trained (bit j), not false negatives.
    struct Targets {
        rows: [*mut f32; LANES],
        count: usize,
        live: u32,
    }

    /// Whether the 8 ids are distinct: compared with themselves rotated by 1 to 4 lanes,
    /// which meets every pair of lanes (a rotation by r meets the pairs r and 8 − r apart).
    /// The CPU must support AVX2. Together with `distinct_nearby`'s loops without early
    /// exits, this replaced pairwise loops over the rows with a branch each (3.8 % of a
    /// 1-thread profile): `embed` of E. coli k 6 1.031× and 1.038× (9 alternating pairs
    /// each way), 1.023× on 2 threads (5), output byte-identical.
    #[inline(always)]
    unsafe fn distinct(ids: [u32; LANES]) -> bool {
        const { assert!(LANES == 8) };
        let x = _mm256_loadu_si256(ids.as_ptr().cast());
        // Lanes equal to the lanes r on (no closure: it would lose the target features).
        let mut clash = _mm256_setzero_si256();
        for r in 1..=4 {
            let index = _mm256_add_epi32(
                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                _mm256_set1_epi32(r),
            );
            let index = _mm256_and_si256(index, _mm256_set1_epi32(7));
            let equal = _mm256_cmpeq_epi32(x, _mm256_permutevar8x32_epi32(x, index));
            clash = _mm256_or_si256(clash, equal);
        }
        _mm256_testz_si256(clash, clash) != 0
    }

    /// The `N` registers of a row.
    #[inline(always)]
    unsafe fn load<W: Width, const N: usize, const TAIL: usize>(row: *const f32) -> [W::V; N] {
        let mut x = [W::zero(); N];
        for (i, x) in x.iter_mut().enumerate() {
            *x = W::load(row.add(W::WIDTH * i), lanes::<W, N, TAIL>(i));
        }
        x
    }

    /// u·row as a register of partial sums.
    #[inline(always)]
    unsafe fn partial_dot<W: Width, const N: usize, const TAIL: usize>(
        u: &[W::V; N],
        row: *const f32,
    ) -> W::V {
        // Two accumulators halve the chain of dependent multiply-adds; the last register's
        // product first, as a narrowed operation zeroes the rest of its result (`Width`).
        let last = N - 1;
        let v = W::load(row.add(W::WIDTH * last), TAIL);
        let mut sums = [W::mul(u[last], v, TAIL), W::zero()];
        for i in 0..last {
            let v = W::load(row.add(W::WIDTH * i), W::WIDTH);
            sums[i % 2] = W::fmadd(u[i], v, sums[i % 2], W::WIDTH);
        }
        W::add(sums[0], sums[1], W::WIDTH)
    }

    /// Lane j: the sum of the lanes of `x[j]`, for the first `count` (others 0).
    #[inline(always)]
    unsafe fn sum_each<W: Width>(x: &[W::V; LANES], count: usize) -> __m256 {
        let mut eight = [_mm256_setzero_ps(); LANES];
        for (eight, x) in eight.iter_mut().zip(&x[..count]) {
            *eight = W::fold8(*x);
        }
        let (ab, cd) = (
            _mm256_hadd_ps(eight[0], eight[1]),
            _mm256_hadd_ps(eight[2], eight[3]),
        );
        let (ef, gh) = (
            _mm256_hadd_ps(eight[4], eight[5]),
            _mm256_hadd_ps(eight[6], eight[7]),
        );
        // Each 128-bit half of abcd holds partial sums of x[0..4], of efgh of x[4..8].
        let (abcd, efgh) = (_mm256_hadd_ps(ab, cd), _mm256_hadd_ps(ef, gh));
        _mm256_add_ps(
            _mm256_permute2f128_ps::<0x20>(abcd, efgh),
            _mm256_permute2f128_ps::<0x31>(abcd, efgh),
        )
    }

    /// u·v_t for each target (lane t), and u·`previous` when given.
    #[inline(always)]
    unsafe fn scores<W: Width, const N: usize, const TAIL: usize>(
        u: &[W::V; N],
        targets: &Targets,
        previous: Option<*const f32>,
    ) -> (__m256, f32) {
        let mut sums = [W::zero(); LANES];
        for (sum, &row) in sums.iter_mut().zip(&targets.rows[..targets.count]) {
            *sum = partial_dot::<W, N, TAIL>(u, row);
        }
        let scores = sum_each::<W>(&sums, targets.count);
        let gram = match previous {
            Some(row) => W::sum(partial_dot::<W, N, TAIL>(u, row)),
            None => 0.0,
        };
        (scores, gram)
    }

    /// A group's gradients from its scores: g_t = η·σ(−s_t) for the center, −η·σ(s_t) for
    /// a negative, 0 for a skipped one (`SigmoidTable::gradient`): a sign flip, σ and one
    /// product.
    struct Gradients {
        flip: __m256,
        scale: __m256,
    }

    impl Gradients {
        #[inline(always)]
        unsafe fn new(step: &Step, targets: &Targets) -> Self {
            let live_lanes = _mm256_castsi256_ps(_mm256_cmpgt_epi32(
                _mm256_and_si256(
                    _mm256_set1_epi32(targets.live as i32),
                    _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128),
                ),
                _mm256_setzero_si256(),
            ));
            Gradients {
                flip: _mm256_castsi256_ps(_mm256_setr_epi32(i32::MIN, 0, 0, 0, 0, 0, 0, 0)),
                // η in lane 0, −η in the others, 0 where skipped.
                scale: _mm256_and_ps(
                    _mm256_blend_ps::<1>(_mm256_set1_ps(-step.lr), _mm256_set1_ps(step.lr)),
                    live_lanes,
                ),
            }
        }

        /// g (lane t) for scores s (lane t).
        #[inline(always)]
        unsafe fn of(&self, s: __m256, sigmoid: &SigmoidTable) -> __m256 {
            _mm256_mul_ps(sigmoid.sigmoid8(_mm256_xor_ps(s, self.flip)), self.scale)
        }
    }

    /// The most contexts of one batch (`group_batched`): a group of more goes as batches of
    /// this many, the last one shorter. Chosen by the shifted-PMI check
    /// (`benches/peers/pmi_check.py`, Pearson r; `embed --k 6 --no-fragment --no-flip`, window
    /// 5, so 2 to 10 contexts a window; 1 thread, seeds 1–4, Zen 4 VM), each batch size
    /// against the exact sequential step on the same seeds: 2: −0.0017, 4: −0.0032,
    /// 6: **+0.0018**, 8: −0.0022, 16 (the whole window): −0.0025, and halves of the window:
    /// −0.0021 (every seed alike, to within 0.0002); on E. coli 536 (seeds 1–3) 6: +0.0018 and
    /// 16: −0.0020. gensim on the same tokens, seeds 1–4: 0.7026–0.7100, mean 0.7061; the
    /// exact step 0.7057, batches of 6 0.7075. The figure is not monotone in the batch size and
    /// moves less than the learning rate does (the exact step at `--lr` 0.02: +0.015), so the
    /// choice is an empirical one. The dna2vec-default model (k 3..8, window 10, 10 epochs)
    /// scored the same on `kmer2vec evaluate` with 2, 6 or 16 as with the exact step
    /// (similarity against alignment, Pearson 0.411–0.413).
    pub(super) const BATCH: usize = 6;

    /// The contexts of one group as batches (module docs): each batch's scores against the
    /// target rows as the batch found them, two contexts a pass, then its updates one
    /// register position at a time over all its rows (`update_column`). `targets` are
    /// `BATCH_TARGETS` distinct rows but for skipped copies of the center's row.
    #[inline(always)]
    unsafe fn group_batched<W: Width, const N: usize, const TAIL: usize>(
        inputs: &HogwildMatrix,
        contexts: &[u32],
        targets: &Targets,
        gradients: &Gradients,
        sigmoid: &SigmoidTable,
        outputs: &HogwildMatrix,
        ahead: &mut Ahead,
    ) {
        // No closure for it: one was not inlined (a call a step, 5.8 % of a profile).
        for batch in contexts.chunks(BATCH) {
            let m = batch.len();
            let mut rows = [std::ptr::null_mut::<f32>(); BATCH];
            for (row, &context) in rows.iter_mut().zip(batch) {
                *row = inputs.row_ptr(context);
            }
            let rows = &rows[..m];
            let mut g = [[0f32; LANES]; BATCH];
            for r in (0..m).step_by(2) {
                ahead.prefetch(ROWS_AHEAD_PER_STEP, inputs, outputs, padded(W::WIDTH * N));
                if r + 1 < m {
                    let (x, y) = scores_two::<W, N, TAIL>(targets, rows[r], rows[r + 1]);
                    _mm256_storeu_ps(g[r].as_mut_ptr(), gradients.of(x, sigmoid));
                    _mm256_storeu_ps(g[r + 1].as_mut_ptr(), gradients.of(y, sigmoid));
                } else {
                    let u = load::<W, N, TAIL>(rows[r]);
                    let x = scores::<W, N, TAIL>(&u, targets, None).0;
                    _mm256_storeu_ps(g[r].as_mut_ptr(), gradients.of(x, sigmoid));
                }
            }
            // The updates as one instance per batch size: no loop over a batch's contexts
            // whose trip count changes from batch to batch.
            macro_rules! by_batch_size {
                ($($m:literal)*) => {
                    match m {
                        $($m => update_batch::<W, N, TAIL, $m>(
                            targets, rows, &g, inputs, outputs, ahead,
                        ),)*
                        _ => unreachable!("a batch holds 1 to BATCH contexts"),
                    }
                };
            }
            const { assert!(BATCH == 6) };
            by_batch_size!(1 2 3 4 5 6);
        }
    }

    /// A batch's updates (`group_batched`), M contexts: one `update_column` per register
    /// position, a prefetch between them. The context loop of each column unrolled for the
    /// batch's size: the trip count, 1 to 6 at random with the window's size, was a branch
    /// the CPU mispredicted once a batch or more. 1.022–1.033× on `embed` of E. coli k 6
    /// (Zen 3 VM, in-process alternating A/B, 3 runs); the same operations in the same order.
    #[inline(always)]
    unsafe fn update_batch<W: Width, const N: usize, const TAIL: usize, const M: usize>(
        targets: &Targets,
        rows: &[*mut f32],
        gradients: &[[f32; LANES]; BATCH],
        inputs: &HogwildMatrix,
        outputs: &HogwildMatrix,
        ahead: &mut Ahead,
    ) {
        let rows: &[*mut f32; M] = rows.try_into().expect("M rows");
        let gradients: &[[f32; LANES]; M] = gradients[..M].try_into().expect("M gradients");
        for i in 0..N - 1 {
            update_column::<W, M>(targets, rows, gradients, W::WIDTH * i, W::WIDTH);
            ahead.prefetch(ROWS_AHEAD_PER_STEP, inputs, outputs, padded(W::WIDTH * N));
        }
        update_column::<W, M>(targets, rows, gradients, W::WIDTH * (N - 1), TAIL);
    }

    /// u·v_t for u = U[c] (first result) and U[d] (second), lane t < `BATCH_TARGETS`.
    #[inline(always)]
    unsafe fn scores_two<W: Width, const N: usize, const TAIL: usize>(
        targets: &Targets,
        c: *const f32,
        d: *const f32,
    ) -> (__m256, __m256) {
        let (mut sc, mut sd) = ([W::zero(); LANES], [W::zero(); LANES]);
        let last = N - 1;
        if 2 * N + 2 * BATCH_TARGETS < W::REGISTERS {
            // Target by target, both rows in registers.
            let (uc, ud) = (load::<W, N, TAIL>(c), load::<W, N, TAIL>(d));
            for j in 0..BATCH_TARGETS {
                let row = targets.rows[j];
                let x = W::load(row.add(W::WIDTH * last), TAIL);
                (sc[j], sd[j]) = (W::mul(uc[last], x, TAIL), W::mul(ud[last], x, TAIL));
                for i in 0..last {
                    let x = W::load(row.add(W::WIDTH * i), W::WIDTH);
                    sc[j] = W::fmadd(uc[i], x, sc[j], W::WIDTH);
                    sd[j] = W::fmadd(ud[i], x, sd[j], W::WIDTH);
                }
            }
        } else {
            // Register position by register position: the 12 sums, the two rows' registers
            // at that position and one target's (15 registers). The same operations in the
            // same order for each sum, so the same scores.
            let (o, rows) = (W::WIDTH * last, &targets.rows);
            let (uc, ud) = (W::load(c.add(o), TAIL), W::load(d.add(o), TAIL));
            for j in 0..BATCH_TARGETS {
                let x = W::load(rows[j].add(o), TAIL);
                (sc[j], sd[j]) = (W::mul(uc, x, TAIL), W::mul(ud, x, TAIL));
            }
            for i in 0..last {
                let o = W::WIDTH * i;
                let (uc, ud) = (W::load(c.add(o), W::WIDTH), W::load(d.add(o), W::WIDTH));
                for j in 0..BATCH_TARGETS {
                    let x = W::load(rows[j].add(o), W::WIDTH);
                    sc[j] = W::fmadd(uc, x, sc[j], W::WIDTH);
                    sd[j] = W::fmadd(ud, x, sd[j], W::WIDTH);
                }
            }
        }
        W::sum_each_of_two(&sc, &sd)
    }

    /// Register position `offset` (`lanes` of it) of a batch's updates: the target rows'
    /// registers held across the batch; for each context in turn, with v_t as the contexts
    /// before it left it, u ← u + Σ_t g_t·v_t and v_t ← v_t + g_t·u (the old u). The skipped
    /// targets (g = 0) are copies of the center's row and stored before it, so the center's
    /// store is the one that stays.
    #[inline(always)]
    unsafe fn update_column<W: Width, const M: usize>(
        targets: &Targets,
        rows: &[*mut f32; M],
        gradients: &[[f32; LANES]; M],
        offset: usize,
        lanes: usize,
    ) {
        let mut v = [W::zero(); BATCH_TARGETS];
        for (v, &row) in v.iter_mut().zip(&targets.rows[..BATCH_TARGETS]) {
            *v = W::load(row.add(offset), lanes);
        }
        for (&row, g) in rows.iter().zip(gradients) {
            let cell = row.add(offset);
            let u = W::load(cell, lanes);
            let mut e = u;
            for t in 0..BATCH_TARGETS {
                let gt = W::splat(g[t]);
                e = W::fmadd(gt, v[t], e, lanes);
                v[t] = W::fmadd(gt, u, v[t], lanes);
            }
            W::store(cell, e, lanes);
        }
        for t in (0..BATCH_TARGETS).rev() {
            W::store(targets.rows[t].add(offset), v[t], lanes);
        }
    }

    /// The contexts of one group, pipelined as the module docs say.
    #[inline(always)]
    unsafe fn group_pipelined<W: Width, const N: usize, const TAIL: usize>(
        step: &Step,
        inputs: &HogwildMatrix,
        contexts: &[u32],
        targets: &Targets,
        gradients: &Gradients,
        sigmoid: &SigmoidTable,
        loss: &mut Loss,
    ) {
        let shrink = _mm256_set1_ps(1.0 - step.lr * step.l2);
        let mut row = inputs.row_ptr(contexts[0]);
        let mut u = load::<W, N, TAIL>(row);
        let mut s = scores::<W, N, TAIL>(&u, targets, None).0;
        for (r, &context) in contexts.iter().enumerate() {
            let g = gradients.of(s, sigmoid);
            if step.with_loss {
                let mut lanes = [0f32; LANES];
                _mm256_storeu_ps(lanes.as_mut_ptr(), s);
                for (j, &score) in lanes[..targets.count].iter().enumerate() {
                    if targets.live & (1 << j) != 0 {
                        loss.add(j == 0, score, sigmoid);
                    }
                }
            }
            // The next context's scores, against the rows before this update.
            let next = match contexts.get(r + 1) {
                Some(&c) if c != context => {
                    let next_row = inputs.row_ptr(c);
                    let next_u = load::<W, N, TAIL>(next_row);
                    let (a, h) = scores::<W, N, TAIL>(&next_u, targets, Some(row));
                    Some((next_row, next_u, a, h))
                }
                _ => None,
            };
            apply::<W, N, TAIL>(step, row, &u, targets, g);
            match (next, contexts.get(r + 1)) {
                (Some((next_row, next_u, a, h)), _) => {
                    s = _mm256_fmadd_ps(g, _mm256_set1_ps(h), _mm256_mul_ps(shrink, a));
                    (row, u) = (next_row, next_u);
                }
                (None, Some(&c)) => {
                    row = inputs.row_ptr(c);
                    u = load::<W, N, TAIL>(row);
                    s = scores::<W, N, TAIL>(&u, targets, None).0;
                }
                (None, None) => {}
            }
        }
    }

    /// One context's update from its gradients g (lane t): v_t ← v_t + g_t·u (and the ℓ2
    /// step), e = Σ_t g_t·v_t, U[c] ← U[c] + e.
    #[inline(always)]
    unsafe fn apply<W: Width, const N: usize, const TAIL: usize>(
        step: &Step,
        input_row: *mut f32,
        u: &[W::V; N],
        targets: &Targets,
        g: __m256,
    ) {
        let decay = W::splat(-step.lr * step.l2);
        let with_decay = step.l2 != 0.0;
        let mut gradients = [0f32; LANES];
        _mm256_storeu_ps(gradients.as_mut_ptr(), g);
        let mut e = [W::zero(); N];
        for (j, &row) in targets.rows[..targets.count].iter().enumerate() {
            if targets.live & (1 << j) == 0 {
                continue;
            }
            update_target::<W, N, TAIL>(row, W::splat(gradients[j]), u, &mut e, decay, with_decay);
        }
        add_error::<W, N, TAIL>(input_row, u, e, decay, with_decay);
    }

    /// One pair's step on target row v_t with gradient g: e ← e + g·v_t, then
    /// v_t ← v_t + g·u (and the ℓ2 step −ηλ·v_t).
    #[inline(always)]
    unsafe fn update_target<W: Width, const N: usize, const TAIL: usize>(
        row: *mut f32,
        g: W::V,
        u: &[W::V; N],
        e: &mut [W::V; N],
        decay: W::V,
        with_decay: bool,
    ) {
        for i in 0..N {
            let lanes = lanes::<W, N, TAIL>(i);
            let mut v = W::load(row.add(W::WIDTH * i), lanes);
            e[i] = W::fmadd(g, v, e[i], lanes);
            if with_decay {
                v = W::fmadd(decay, v, v, lanes);
            }
            W::store(row.add(W::WIDTH * i), W::fmadd(g, u[i], v, lanes), lanes);
        }
    }

    /// U[c] ← U[c] + e (+ the ℓ2 step −ηλ·u).
    #[inline(always)]
    unsafe fn add_error<W: Width, const N: usize, const TAIL: usize>(
        input_row: *mut f32,
        u: &[W::V; N],
        mut e: [W::V; N],
        decay: W::V,
        with_decay: bool,
    ) {
        for i in 0..N {
            let lanes = lanes::<W, N, TAIL>(i);
            if with_decay {
                e[i] = W::fmadd(decay, u[i], e[i], lanes);
            }
            let cell = input_row.add(W::WIDTH * i);
            W::store(cell, W::add(W::load(cell, lanes), e[i], lanes), lanes);
        }
    }

    /// Context `r` of the window, pair by pair (its targets may repeat).
    #[inline(always)]
    unsafe fn context_pairwise<W: Width, const N: usize, const TAIL: usize>(
        step: &Step,
        inputs: &HogwildMatrix,
        outputs: &HogwildMatrix,
        window: &Window,
        r: usize,
        sigmoid: &SigmoidTable,
        loss: &mut Loss,
    ) {
        let decay = W::splat(-step.lr * step.l2);
        let with_decay = step.l2 != 0.0;
        let input_row = inputs.row_ptr(window.contexts[r]);
        let u = load::<W, N, TAIL>(input_row);
        let mut e = [W::zero(); N];
        for (j, target) in targets(window, step, r).enumerate() {
            let label = j == 0;
            if !label && target == window.center {
                continue;
            }
            let row = outputs.row_ptr(target);
            let score = W::sum(partial_dot::<W, N, TAIL>(&u, row));
            if step.with_loss {
                loss.add(label, score, sigmoid);
            }
            let g = W::splat(sigmoid.gradient(label, score, step.lr));
            update_target::<W, N, TAIL>(row, g, &u, &mut e, decay, with_decay);
        }
        add_error::<W, N, TAIL>(input_row, &u, e, decay, with_decay);
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn distinct_finds_every_pair_of_equal_lanes() {
            if !std::arch::is_x86_feature_detected!("avx2") {
                return;
            }
            let all_different: [u32; LANES] = std::array::from_fn(|j| 10 * j as u32);
            // SAFETY: the CPU has AVX2 (checked above).
            assert!(unsafe { distinct(all_different) });
            for i in 0..LANES {
                for j in i + 1..LANES {
                    let mut ids = all_different;
                    ids[j] = ids[i];
                    // SAFETY: as above.
                    assert!(!unsafe { distinct(ids) }, "lanes {i} and {j}");
                }
            }
        }

        #[test]
        fn narrow_tail_when_the_row_ends_in_the_first_half_of_its_last_register() {
            for (dim, narrow) in [(1, true), (8, true), (9, false), (16, false), (17, true)] {
                assert_eq!(narrow_tail(dim, dim.div_ceil(16)), narrow, "dim {dim}");
            }
            assert!(narrow_tail(100, 7) && !narrow_tail(110, 7) && narrow_tail(104, 7));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ahead_takes_the_negatives_of_a_single_draw_only() {
        let step = Step {
            lr: 0.025,
            l2: 0.0,
            negatives: 2,
            share: 1,
            with_loss: false,
            simd: Simd::portable(),
        };
        let ahead = Ahead::new(&step, &[1, 2], Some(3), &[4]);
        assert_eq!(
            (ahead.negatives, ahead.center, ahead.contexts),
            (&[1, 2][..], Some(3), &[4][..])
        );
        let ahead = Ahead::new(&step, &[1, 2, 5, 6], None, &[]);
        assert!(ahead.negatives.is_empty());
    }

    #[test]
    fn ahead_prefetches_negatives_then_center_then_contexts_each_once() {
        let matrix = HogwildMatrix::from_vec(vec![0.0; 8 * 16], 16);
        let mut ahead = Ahead {
            negatives: &[1, 2, 3],
            center: Some(4),
            contexts: &[5, 6],
        };
        ahead.prefetch(2, &matrix, &matrix, 16);
        assert_eq!((ahead.negatives, ahead.center), (&[3][..], Some(4)));
        ahead.prefetch(2, &matrix, &matrix, 16);
        assert_eq!(
            (ahead.negatives.len(), ahead.center, ahead.contexts),
            (0, None, &[5, 6][..])
        );
        ahead.prefetch(1, &matrix, &matrix, 16);
        assert_eq!(ahead.contexts, &[6]);
        ahead.prefetch(usize::MAX, &matrix, &matrix, 16);
        assert!(ahead.contexts.is_empty());
        ahead.prefetch(1, &matrix, &matrix, 16);
    }

    /// The contexts of a batch (`vector::BATCH`) where the vector paths run.
    #[cfg(target_arch = "x86_64")]
    const BATCH: Option<usize> = Some(vector::BATCH);
    #[cfg(not(target_arch = "x86_64"))]
    const BATCH: Option<usize> = None;

    /// SGD over the window's pairs, exact sigmoid: the definition. With `batch`, a group of
    /// two or more contexts whose at most six live targets are distinct rows, with no ℓ2 and
    /// no loss measured, goes in batches of that many contexts, each batch's scores taken
    /// before its updates (`vector::group_batched`); everything else, and everything without
    /// `batch`, is word2vec's sequential step, pair by pair.
    fn oracle(
        u: &mut [Vec<f32>],
        v: &mut [Vec<f32>],
        window: &Window,
        step: &Step,
        batch: Option<usize>,
    ) -> (f64, u64) {
        let sigma = |x: f32| 1.0 / (1.0 + (-x).exp());
        let dot = |a: &[f32], b: &[f32]| -> f32 { a.iter().zip(b).map(|(a, b)| a * b).sum() };
        let (mut loss, mut pairs) = (0.0f64, 0u64);
        let decay = -step.lr * step.l2;
        for (group, contexts) in window.contexts.chunks(step.share).enumerate() {
            let targets: Vec<u32> = targets(window, step, group * step.share).collect();
            let live = |j: usize| j == 0 || targets[j] != window.center;
            let distinct = (0..targets.len())
                .all(|i| (0..i).all(|j| !(live(i) && live(j) && targets[i] == targets[j])));
            let batch = match batch {
                Some(batch)
                    if distinct
                        && contexts.len() > 1
                        && targets.len() <= 6
                        && step.l2 == 0.0
                        && !step.with_loss =>
                {
                    batch
                }
                _ => 1,
            };
            for chunk in contexts.chunks(batch) {
                // A batch's scores before its updates; pair by pair otherwise.
                let ahead: Vec<Vec<f32>> = if batch > 1 {
                    let row = |c: u32| &u[c as usize];
                    chunk
                        .iter()
                        .map(|&c| {
                            targets
                                .iter()
                                .map(|&t| dot(row(c), &v[t as usize]))
                                .collect()
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                for (i, &c) in chunk.iter().enumerate() {
                    let c = c as usize;
                    let mut e = vec![0.0f32; u[c].len()];
                    for (j, &t) in targets.iter().enumerate() {
                        if !live(j) {
                            continue;
                        }
                        let t = t as usize;
                        let score = match ahead.get(i) {
                            Some(scores) => scores[j],
                            None => dot(&u[c], &v[t]),
                        };
                        let p = sigma(score);
                        loss -= (if j == 0 { p } else { 1.0 - p } as f64).ln();
                        pairs += 1;
                        let g = step.lr * (if j == 0 { 1.0 } else { 0.0 } - p);
                        for d in 0..e.len() {
                            e[d] += g * v[t][d];
                            v[t][d] += decay * v[t][d] + g * u[c][d];
                        }
                    }
                    for d in 0..e.len() {
                        u[c][d] += e[d] + decay * u[c][d];
                    }
                }
            }
        }
        (loss, pairs)
    }

    /// Every path gives its definition (`oracle`): word2vec's sequential SGD, or on the
    /// vector paths batches of it, for row lengths in and beyond the AVX-512 register path,
    /// with and without ℓ2: with repeated and false negatives (pair by pair), and with
    /// distinct targets (the pipelined and the batched groups), contexts repeated next to
    /// each other and apart, in one batch and across two, groups of one context and of
    /// several.
    #[test]
    fn every_path_equals_its_definition() {
        let rows = 7;
        // (contexts, noise, share, negatives), center 1.
        let windows: [(&[u32], &[u32], usize, usize); 14] = [
            // 4 repeats; the center is a negative; context 3 comes twice.
            (&[0, 3, 2, 3, 5], &[4, 4, 1, 5, 0, 3], 2, 2),
            // Distinct targets (the center skipped in the second group); 3 twice in a row.
            (&[0, 3, 3, 2, 5, 6], &[4, 6, 1, 5], 3, 2),
            // One group of distinct targets, contexts apart and together.
            (&[2, 0, 2, 4, 4, 6, 5], &[3, 0], usize::MAX, 2),
            // A group per context.
            (&[6, 2, 5], &[0, 4, 2, 3, 5, 6], 1, 2),
            // Distinct contexts, 1 to 6 of them (a batch's odd and even ends), the center
            // skipped once; then a context repeated 4 and 3 after itself.
            (&[4], &[0, 3], usize::MAX, 2),
            (&[4, 0], &[2, 3], usize::MAX, 2),
            (&[4, 0, 6], &[1, 3], usize::MAX, 2),
            (&[4, 0, 6, 2], &[5, 3], usize::MAX, 2),
            (&[4, 0, 6, 2, 1, 3], &[5, 6], usize::MAX, 2),
            (&[4, 0, 6, 2, 4, 3, 0], &[5, 6], usize::MAX, 2),
            (&[4, 0, 6, 4, 1], &[5, 6], usize::MAX, 2),
            // K = 5, the default: six targets, the batched path's full width; in one batch,
            // in two (4 in both), and in three, the last of one context, with the center a
            // negative.
            (&[4, 0, 6, 2, 1], &[0, 2, 3, 5, 6], usize::MAX, 5),
            (&[4, 0, 6, 2, 1, 3, 5, 4], &[0, 2, 3, 5, 6], usize::MAX, 5),
            (
                &[4, 0, 6, 2, 3, 5, 0, 2, 6, 4, 3, 5, 6],
                &[1, 2, 3, 5, 6],
                usize::MAX,
                5,
            ),
        ];
        let settings = [(0.0, true), (0.0, false), (0.1, true), (1.0, false)];
        // AVX-512 rows of 1, 2, 3 and 7 registers, the last narrowed to 8 lanes (3, 24,
        // 100) or not (16, 44); beyond 8 registers (130), the AVX2 path.
        for dim in [3, 16, 24, 44, 100, 130] {
            for (l2, with_loss) in settings {
                for &(contexts, noise, share, negatives) in &windows {
                    let mut step = Step {
                        lr: 0.3,
                        l2,
                        negatives,
                        share,
                        with_loss,
                        simd: Simd::portable(),
                    };
                    let window = Window {
                        center: 1,
                        contexts,
                        noise,
                        ahead: Ahead::default(),
                    };
                    // Scores of order 1, inside the sigmoid table's range.
                    let scale = 2.0 / (dim as f32).sqrt();
                    let value =
                        |i: usize, salt: usize| (((i * 7 + salt) % 11) as f32 / 10.0 - 0.5) * scale;
                    let u0: Vec<f32> = (0..rows * dim).map(|i| value(i, 3)).collect();
                    let v0: Vec<f32> = (0..rows * dim).map(|i| value(i, 5)).collect();
                    let detected = Simd::detect();
                    for simd in [Simd::portable(), detected.without_avx512(), detected] {
                        let mut u: Vec<Vec<f32>> = u0.chunks(dim).map(<[f32]>::to_vec).collect();
                        let mut v: Vec<Vec<f32>> = v0.chunks(dim).map(<[f32]>::to_vec).collect();
                        // The vector paths batch rows of up to 8 AVX-512 or 16 AVX2 registers.
                        let batch = BATCH.filter(|_| simd.avx2_fma() && dim <= 128);
                        let (want_loss, want_pairs) = oracle(&mut u, &mut v, &window, &step, batch);
                        let inputs = HogwildMatrix::from_vec(u0.clone(), dim);
                        let outputs = HogwildMatrix::from_vec(v0.clone(), dim);
                        let mut loss = Loss::default();
                        step.simd = simd;
                        step.train(
                            &inputs,
                            &outputs,
                            &window,
                            &SigmoidTable::default(),
                            &mut Scratch::default(),
                            &mut loss,
                        );
                        let context = format!(
                            "dim {dim}, l2 {l2}, {contexts:?}/{noise:?}, {}",
                            simd.name()
                        );
                        if with_loss {
                            assert_eq!(loss.pairs, want_pairs, "{context}");
                            assert!((loss.sum - want_loss).abs() < 0.02, "{context}");
                        }
                        for (got, want) in [(inputs, &u), (outputs, &v)] {
                            let padding = got
                                .padded_values()
                                .chunks(got.stride())
                                .all(|row| row[dim..].iter().all(|&x| x == 0.0));
                            assert!(padding, "{context}: padding written");
                            let got = got.into_vec();
                            for (i, (a, b)) in got.iter().zip(want.iter().flatten()).enumerate() {
                                assert!((a - b).abs() < 2e-3, "{context}, value {i}: {a} vs {b}");
                            }
                        }
                    }
                }
            }
        }
    }
}
