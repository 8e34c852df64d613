//! What the SGNS window costs, and variants of it that give the same result: a research bench
//! for the next step on the kernel (issue 6). Not a criterion bench: each variant trains the
//! same 2 M windows from the same start, in alternating rounds (`ROUNDS`, 3 unless set;
//! random 6-mer-like rows of a 4,096-row vocabulary, dim 100 padded to 112, window b uniform
//! in 1..=5, K = 5 negatives shared by the window, as `embed` on E. coli), and prints the
//! median pairs/s and the median of the per-round ratios to `reference`.
//! Exact variants must end at the reference's matrices (asserted); ablations show what a
//! part of the step costs.
//!
//!     cargo bench --bench window_variants
//!     ROUNDS=11 VARIANTS=pipelined,pipelined-cubic cargo bench --bench window_variants
//!
//! Variants (all AVX-512, u and e in registers, as `sgns::vector` with AVX-512). Exact
//! ones take σ from a 4,097-entry table, as `embed` did before the cubic σ of
//! `kernels::SigmoidTable`; `-cubic` ones take that cubic (σ to 4·10⁻⁵, the table to 5·10⁻⁴)
//! and end within 10⁻³ of the reference too:
//! - `reference`: word2vec's loop, pair by pair (`sgns::vector` with AVX-512 before the
//!   pipelining, and still for groups whose targets repeat a row);
//! - `no-v-store` (ablation): the same without writing v_t back, so no context waits for
//!   the previous one's stores;
//! - `constant-g` (ablation): no dot product, reduction or sigmoid; g is a constant;
//! - `linear-sigmoid` (ablation): σ replaced by 0.5 + x/4, no table lookup;
//! - `no-reduce` (ablation): the score is one lane of the dot product's vector;
//! - `batched-context` (exact): a context's K + 1 dot products first, reduced together by
//!   `hadd`s, σ by one 8-lane gather, then the updates;
//! - `gram-window` (exact): the whole window from its starting rows and the Gram matrix of
//!   its contexts, s_{r,t} = u_r·v_t + Σ_{q<r} g_{q,t}·(u_r·u_q), e_r likewise, each row
//!   written once;
//! - `pipelined` (exact): context r + 1's dot products against the rows before context r's
//!   update, s_{r+1,t} = u_{r+1}·v_t + g_{r,t}·(u_{r+1}·u_r), computed while context r is
//!   still being applied: what `sgns::vector` with AVX-512 does, with a table's σ;
//! - `pipelined-cubic`: the same with the cubic σ, a permute per coefficient instead of a
//!   gather: what `sgns::vector` does for the groups the paired step does not take;
//! - `pipelined-fused-cubic`: the same with context r + 1's dot products taken inside
//!   context r's update pass, from the rows it loads anyway, so each target row is loaded
//!   once a context, not twice;
//! - `fused-cubic`: context r + 1's dot products inside context r's update pass against the
//!   rows just written: exact with no correction, but every score waits for the update
//!   before it;
//! - `p-c no-v-store`, `p-c no-scores`, `p-c no-chain` (ablations of `pipelined-cubic`): no
//!   v_t stores; no next scores (s fixed); scores taken but g fixed, so nothing waits on σ;
//! - `two-ahead` (exact): the same two contexts ahead, s_{r+2,t} = u_{r+2}·v_t +
//!   g_{r,t}·(u_{r+2}·u_r) + g_{r+1,t}·(u_{r+2}·u_{r+1}), so that no score waits for the
//!   stores of the context just before it (measured slower, 64 against 80 M pairs/s: the
//!   wait for those stores is not what limits the step);
//! - `paired-cubic`: two contexts a pass over the target rows, each chunk loaded and stored
//!   once for both, after one pass of dot products for the next two contexts (with their
//!   products with the two contexts' rows): what `sgns::vector` does for most groups;
//! - `gram-blocked` (exact): `gram-window` shaped for the registers, one instance per number
//!   of contexts: the scores context by context, then 16 columns at a time every target
//!   and context row's chunk loaded once, all e_r and final v_t computed from them and each
//!   chunk stored once, 2(K + 1 + m)·N stores a window against (K + 2)·m·N. Measured
//!   slower, 65 against 80 M pairs/s: a window's σ chain (each context's gradients wait for
//!   the one before) then runs with nothing beside it, and the next window's scores wait
//!   for this window's rows.
//!
//! The M pairs/s above were taken on the VM of earlier sessions. On a Zen 5 VM (AMD EPYC
//! family 26, 3.55 GHz, 2 zmm FMAs a cycle, 2026-12-04), as the median of per-round ratios to
//! `reference` (`ROUNDS=9` to 11, `VARIANTS=...`): `pipelined` 1.07–1.09×,
//! `pipelined-cubic` 1.13–1.19×, `pipelined-fused-cubic` 1.08–1.14× (loading each row once
//! bought nothing), `fused-cubic` 1.06× (table σ: 0.96×); ablations against
//! `pipelined-cubic`'s 1.19×: no v_t stores 1.30×, no scores 1.47×, no σ chain 1.27×.
//! On an Intel Xeon VM (AVX-512, 2 zmm FMAs a cycle, 3.4–3.5 GHz, 2 MB L2, 2026-12-05),
//! `ROUNDS=3` to 5: `pipelined-cubic` 1.26–1.28×, `paired-cubic` 1.43× (its first form,
//! with the dot products inside the update pass, 0.99–1.14×); ablations against
//! `pipelined-cubic`'s 1.26×: no v_t stores 1.26×, no scores 1.64×, no σ chain 1.38×;
//! `ROWS=512` 1.24× at 104 M pairs/s against 82–87 at 4,096 rows: here memory costs ~20 %.
//!
//! At ~100 M pairs/s a context (6 pairs) takes ~200 cycles for ~140 zmm FMAs, ~100
//! loads and 49 stores: neither the FMA ports (70 cycles) nor the store port (49) is the
//! limit; no PMU in the VM says what is.
//!
//! `ROWS=512 cargo bench --bench window_variants` trains a vocabulary whose rows fit in
//! L2 (4,096 rows of U and V take 3.7 MB): on the earlier VMs it measured no faster, so
//! the step was not waiting on memory there; on the Intel VM it was (above).
//!
//! - `paired no-chain`, `paired const-g` (ablations of `paired-cubic`): the update pass
//!   with fixed gradients, the scores and σ still computed beside it; the update pass
//!   alone. Intel Xeon VM, 2026-12-05, `ROUNDS=3`: 113.2, 115.8 and 156.9 M pairs/s at
//!   4,096 rows, 120.1, 120.7 and 181.3 at `ROWS=512`: the σ chain costs ~2 %, the scores
//!   pass a third. The same ablations in `embed` itself (E. coli k 6, 1 thread) agree:
//!   no chain 1.057×, no scores pass 1.54×; the scores pass read from rows nobody writes
//!   (so no load waits for a store) 1.015×, and without its spills 1.00×: it is bound by
//!   its vector instructions (16 dot products of 7 registers and their reductions a pair
//!   of contexts), not by latency or memory.
//!
//! Exact variants take `reference` for windows whose contexts or targets repeat a row.

// Register-indexed loops (u[i], v[i], e[i] over the row's N vectors) read best as such.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::needless_range_loop)]
mod variants {
    use std::arch::x86_64::*;

    /// 16-lane vectors a row: dim 100 padded to 112.
    pub const N: usize = 7;
    /// Values a row.
    const S: usize = 16 * N;
    /// The most contexts a window (2 · the largest reach, with room).
    pub const M: usize = 16;
    /// Targets a context: the center and K = 5 negatives (8 lanes, 2 unused).
    const TARGETS: usize = 6;

    #[repr(align(64))]
    #[derive(Clone, Copy)]
    pub struct Line([f32; 16]);

    /// σ from the table (entry i: σ(i/256 − 8)), as `SigmoidTable::sigmoid`.
    #[inline(always)]
    fn sigmoid(x: f32, table: &[f32]) -> f32 {
        if x >= 8.0 {
            1.0
        } else if x <= -8.0 {
            0.0
        } else {
            table[(((x + 8.0) * 256.0 + 0.5) as i32 as usize).min(table.len() - 1)]
        }
    }

    /// The same for 8 lanes, one gather.
    #[inline(always)]
    unsafe fn sigmoid8(x: __m256, table: &[f32]) -> __m256 {
        let position = _mm256_add_ps(
            _mm256_mul_ps(_mm256_add_ps(x, _mm256_set1_ps(8.0)), _mm256_set1_ps(256.0)),
            _mm256_set1_ps(0.5),
        );
        let index = _mm256_min_epi32(
            _mm256_max_epi32(_mm256_cvttps_epi32(position), _mm256_setzero_si256()),
            _mm256_set1_epi32(table.len() as i32 - 1),
        );
        let p = _mm256_i32gather_ps::<4>(table.as_ptr(), index);
        let above = _mm256_cmp_ps::<_CMP_GE_OQ>(x, _mm256_set1_ps(8.0));
        let below = _mm256_cmp_ps::<_CMP_LE_OQ>(x, _mm256_set1_ps(-8.0));
        _mm256_blendv_ps(
            _mm256_blendv_ps(p, _mm256_set1_ps(1.0), above),
            _mm256_setzero_ps(),
            below,
        )
    }

    /// Coefficients of σ(a) − ½ ≈ Σ_k c[k][i]·a^k on [i, i + 1], i < 8: the cubic through
    /// the segment's four Chebyshev nodes.
    pub fn cubic_sigmoid() -> [[f32; 8]; 4] {
        let mut c = [[0f32; 8]; 4];
        for i in 0..8 {
            let x: [f64; 4] = std::array::from_fn(|k| {
                i as f64 + 0.5 + 0.5 * ((2 * k + 1) as f64 * std::f64::consts::PI / 8.0).cos()
            });
            let mut d: [f64; 4] = std::array::from_fn(|k| 1.0 / (1.0 + (-x[k]).exp()) - 0.5);
            for j in 1..4 {
                for k in (j..4).rev() {
                    d[k] = (d[k] - d[k - 1]) / (x[k] - x[k - j]);
                }
            }
            let mut p = [d[3], 0.0, 0.0, 0.0];
            for k in (0..3).rev() {
                let mut q = [0.0; 4];
                for m in 0..3 {
                    q[m + 1] += p[m];
                    q[m] -= x[k] * p[m];
                }
                q[0] += d[k];
                p = q;
            }
            for k in 0..4 {
                c[k][i] = p[k] as f32;
            }
        }
        c
    }

    /// σ of 8 lanes from `cubic_sigmoid`'s coefficients: no memory access on the way.
    #[inline(always)]
    unsafe fn sigmoid8_cubic(x: __m256, c: &[[f32; 8]; 4]) -> __m256 {
        let sign_mask = _mm256_set1_ps(-0.0);
        let sign = _mm256_and_ps(x, sign_mask);
        let a = _mm256_min_ps(_mm256_andnot_ps(sign_mask, x), _mm256_set1_ps(7.999_999_5));
        let i = _mm256_cvttps_epi32(a);
        let coefficient = |k: usize| _mm256_permutevar8x32_ps(_mm256_loadu_ps(c[k].as_ptr()), i);
        let a2 = _mm256_mul_ps(a, a);
        let q = _mm256_fmadd_ps(
            _mm256_fmadd_ps(coefficient(3), a, coefficient(2)),
            a2,
            _mm256_fmadd_ps(coefficient(1), a, coefficient(0)),
        );
        _mm256_add_ps(_mm256_set1_ps(0.5), _mm256_xor_ps(q, sign))
    }

    #[inline(always)]
    unsafe fn load(row: *const f32) -> [__m512; N] {
        let mut x = [_mm512_setzero_ps(); N];
        for i in 0..N {
            x[i] = _mm512_load_ps(row.add(16 * i));
        }
        x
    }

    /// u·row as 16 partial sums.
    #[inline(always)]
    unsafe fn partial_dot(u: &[__m512; N], row: *const f32) -> __m512 {
        let (mut even, mut odd) = (_mm512_setzero_ps(), _mm512_setzero_ps());
        for i in 0..N {
            let v = _mm512_load_ps(row.add(16 * i));
            if i % 2 == 0 {
                even = _mm512_fmadd_ps(u[i], v, even);
            } else {
                odd = _mm512_fmadd_ps(u[i], v, odd);
            }
        }
        _mm512_add_ps(even, odd)
    }

    /// Lane j: the sum of `x[j]`'s lanes, for j < `count`.
    #[inline(always)]
    unsafe fn sum_each(x: &[__m512; 8], count: usize) -> __m256 {
        let half = |j: usize| {
            if j < count {
                let high = _mm512_extractf64x4_pd::<1>(_mm512_castps_pd(x[j]));
                _mm256_add_ps(_mm512_castps512_ps256(x[j]), _mm256_castpd_ps(high))
            } else {
                _mm256_setzero_ps()
            }
        };
        let (ab, cd) = (
            _mm256_hadd_ps(half(0), half(1)),
            _mm256_hadd_ps(half(2), half(3)),
        );
        let (ef, gh) = (
            _mm256_hadd_ps(half(4), half(5)),
            _mm256_hadd_ps(half(6), half(7)),
        );
        let (abcd, efgh) = (_mm256_hadd_ps(ab, cd), _mm256_hadd_ps(ef, gh));
        _mm256_add_ps(
            _mm256_permute2f128_ps::<0x20>(abcd, efgh),
            _mm256_permute2f128_ps::<0x31>(abcd, efgh),
        )
    }

    /// A window's target rows (the center first) and which are live (bit j: not a
    /// negative equal to the center).
    struct Targets {
        rows: [*mut f32; TARGETS],
        live: u32,
    }

    impl Targets {
        unsafe fn new(v: *mut f32, center: u32, noise: &[u32]) -> Self {
            let mut targets = Targets {
                rows: [std::ptr::null_mut(); TARGETS],
                live: 0,
            };
            for j in 0..TARGETS {
                let t = if j == 0 { center } else { noise[j - 1] };
                targets.rows[j] = v.add(t as usize * S);
                if j == 0 || t != center {
                    targets.live |= 1 << j;
                }
            }
            targets
        }

        fn is_live(&self, j: usize) -> bool {
            self.live & (1 << j) != 0
        }

        /// u·v_t in lane t, and u·`extra` in lane `TARGETS` when given.
        #[inline(always)]
        unsafe fn scores(&self, u: &[__m512; N], extra: Option<*const f32>) -> __m256 {
            let mut sums = [_mm512_setzero_ps(); 8];
            for j in 0..TARGETS {
                sums[j] = partial_dot(u, self.rows[j]);
            }
            if let Some(row) = extra {
                sums[TARGETS] = partial_dot(u, row);
            }
            sum_each(&sums, TARGETS + usize::from(extra.is_some()))
        }

        /// g_t = η·(y_t − σ(s_t)), zero for lanes not live.
        #[inline(always)]
        unsafe fn gradients(&self, s: __m256, table: &[f32], lr: f32) -> __m256 {
            self.gradients_with::<false>(s, table, &[[0.0; 8]; 4], lr)
        }

        /// The same with σ from `cubic` when `CUBIC`.
        #[inline(always)]
        unsafe fn gradients_with<const CUBIC: bool>(
            &self,
            s: __m256,
            table: &[f32],
            cubic: &[[f32; 8]; 4],
            lr: f32,
        ) -> __m256 {
            let live = _mm256_cmpgt_epi32(
                _mm256_and_si256(
                    _mm256_set1_epi32(self.live as i32),
                    _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 0, 0),
                ),
                _mm256_setzero_si256(),
            );
            let labels = _mm256_castps128_ps256(_mm_set_ss(1.0));
            let g = _mm256_mul_ps(
                _mm256_set1_ps(lr),
                _mm256_sub_ps(
                    labels,
                    if CUBIC {
                        sigmoid8_cubic(s, cubic)
                    } else {
                        sigmoid8(s, table)
                    },
                ),
            );
            _mm256_and_ps(g, _mm256_castsi256_ps(live))
        }

        /// v_t ← v_t + g_t·u for the live targets; returns e = Σ_t g_t·v_t (before).
        #[inline(always)]
        unsafe fn apply(&self, u: &[__m512; N], g: __m256) -> [__m512; N] {
            let mut gradients = [0f32; 8];
            _mm256_storeu_ps(gradients.as_mut_ptr(), g);
            let mut e = [_mm512_setzero_ps(); N];
            for j in (0..TARGETS).filter(|&j| self.is_live(j)) {
                let (g, row) = (_mm512_set1_ps(gradients[j]), self.rows[j]);
                for i in 0..N {
                    let v = _mm512_load_ps(row.add(16 * i));
                    e[i] = _mm512_fmadd_ps(g, v, e[i]);
                    _mm512_store_ps(row.add(16 * i), _mm512_fmadd_ps(g, u[i], v));
                }
            }
            e
        }
    }

    /// row ← row + e.
    #[inline(always)]
    unsafe fn add(row: *mut f32, e: &[__m512; N]) {
        for i in 0..N {
            let cell = row.add(16 * i);
            _mm512_store_ps(cell, _mm512_add_ps(_mm512_load_ps(cell), e[i]));
        }
    }

    /// `reference` and its ablations (`MODE`: 0 reference, 1 no v_t store, 2 constant g,
    /// 4 linear σ, 5 no horizontal sum).
    #[target_feature(enable = "avx512f")]
    unsafe fn pairwise<const MODE: u8>(
        u: *mut f32,
        v: *mut f32,
        center: u32,
        contexts: &[u32],
        noise: &[u32],
        table: &[f32],
        lr: f32,
    ) {
        for &c in contexts {
            let input = u.add(c as usize * S);
            let u = load(input);
            let mut e = [_mm512_setzero_ps(); N];
            for j in 0..TARGETS {
                let t = if j == 0 { center } else { noise[j - 1] };
                if j > 0 && t == center {
                    continue;
                }
                let row = v.add(t as usize * S);
                let v = load(row);
                let g = if MODE == 2 {
                    _mm512_set1_ps(lr * 0.01)
                } else {
                    let sums = partial_dot(&u, row);
                    let s = if MODE == 5 {
                        _mm_cvtss_f32(_mm512_castps512_ps128(sums))
                    } else {
                        _mm512_reduce_add_ps(sums)
                    };
                    let p = if MODE == 4 {
                        0.5 + 0.25 * s
                    } else {
                        sigmoid(s, table)
                    };
                    _mm512_set1_ps(lr * (if j == 0 { 1.0 } else { 0.0 } - p))
                };
                for i in 0..N {
                    e[i] = _mm512_fmadd_ps(g, v[i], e[i]);
                    if MODE != 1 {
                        _mm512_store_ps(row.add(16 * i), _mm512_fmadd_ps(g, u[i], v[i]));
                    }
                }
            }
            add(input, &e);
        }
    }

    /// `batched-context`.
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn batched_context(
        u: *mut f32,
        v: *mut f32,
        center: u32,
        contexts: &[u32],
        noise: &[u32],
        table: &[f32],
        lr: f32,
    ) {
        let targets = Targets::new(v, center, noise);
        for &c in contexts {
            let input = u.add(c as usize * S);
            let u = load(input);
            let g = targets.gradients(targets.scores(&u, None), table, lr);
            add(input, &targets.apply(&u, g));
        }
    }

    /// `gram-window`: contexts distinct, live targets distinct.
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn gram_window(
        u: *mut f32,
        v: *mut f32,
        center: u32,
        contexts: &[u32],
        noise: &[u32],
        table: &[f32],
        lr: f32,
        errors: *mut f32,
    ) {
        let targets = Targets::new(v, center, noise);
        let m = contexts.len();
        let inputs: Vec<*mut f32> = contexts.iter().map(|&c| u.add(c as usize * S)).collect();
        // s_{r,t} = u_r·v_t + Σ_{q<r} g_{q,t}·(u_r·u_q), from the starting rows.
        let mut g = [_mm256_setzero_ps(); M];
        for r in 0..m {
            let ur = load(inputs[r]);
            let mut s = targets.scores(&ur, None);
            for q in 0..r {
                let h = _mm512_reduce_add_ps(partial_dot(&ur, inputs[q]));
                s = _mm256_fmadd_ps(_mm256_set1_ps(h), g[q], s);
            }
            g[r] = targets.gradients(s, table, lr);
        }
        // e_r = Σ_t g_{r,t}·v_t + Σ_{q<r} (g_r·g_q)·u_q, from the starting rows.
        for r in 0..m {
            let mut gradients = [0f32; 8];
            _mm256_storeu_ps(gradients.as_mut_ptr(), g[r]);
            let mut e = [_mm512_setzero_ps(); N];
            for j in (0..TARGETS).filter(|&j| targets.is_live(j)) {
                let gj = _mm512_set1_ps(gradients[j]);
                for i in 0..N {
                    e[i] = _mm512_fmadd_ps(gj, _mm512_load_ps(targets.rows[j].add(16 * i)), e[i]);
                }
            }
            for q in 0..r {
                let products: [f32; 8] = std::mem::transmute(_mm256_mul_ps(g[r], g[q]));
                let c = _mm512_set1_ps(products.iter().sum());
                for i in 0..N {
                    e[i] = _mm512_fmadd_ps(c, _mm512_load_ps(inputs[q].add(16 * i)), e[i]);
                }
            }
            for i in 0..N {
                _mm512_store_ps(errors.add(S * r + 16 * i), e[i]);
            }
        }
        // v_t ← v_t + Σ_r g_{r,t}·u_r, each row written once; then U.
        for j in (0..TARGETS).filter(|&j| targets.is_live(j)) {
            let row = targets.rows[j];
            let mut vt = load(row);
            for r in 0..m {
                let gradients: [f32; 8] = std::mem::transmute(g[r]);
                let gj = _mm512_set1_ps(gradients[j]);
                for i in 0..N {
                    vt[i] = _mm512_fmadd_ps(gj, _mm512_load_ps(inputs[r].add(16 * i)), vt[i]);
                }
            }
            for i in 0..N {
                _mm512_store_ps(row.add(16 * i), vt[i]);
            }
        }
        for r in 0..m {
            add(inputs[r], &load(errors.add(S * r)));
        }
    }

    /// `gram-blocked`: `gram-window` with each phase shaped for the registers. The scores
    /// come context by context (u_r held, its K + 1 target and r Gram dot products reduced
    /// together); then, 16 columns at a time, the chunks of all target and context rows are
    /// loaded once, every e_r and every final v_t computed from them, and each row's
    /// chunk stored once: 2(K + 1 + m)·N stores a window instead of (K + 2)·m·N.
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn gram_blocked(
        u: *mut f32,
        v: *mut f32,
        center: u32,
        contexts: &[u32],
        noise: &[u32],
        table: &[f32],
        lr: f32,
    ) {
        // Loops over the contexts unroll, and their rows stay in registers, only for a
        // number of contexts known at compile time.
        match contexts.len() {
            1 => gram_blocked_m::<1>(u, v, center, contexts, noise, table, lr),
            2 => gram_blocked_m::<2>(u, v, center, contexts, noise, table, lr),
            3 => gram_blocked_m::<3>(u, v, center, contexts, noise, table, lr),
            4 => gram_blocked_m::<4>(u, v, center, contexts, noise, table, lr),
            5 => gram_blocked_m::<5>(u, v, center, contexts, noise, table, lr),
            6 => gram_blocked_m::<6>(u, v, center, contexts, noise, table, lr),
            7 => gram_blocked_m::<7>(u, v, center, contexts, noise, table, lr),
            8 => gram_blocked_m::<8>(u, v, center, contexts, noise, table, lr),
            9 => gram_blocked_m::<9>(u, v, center, contexts, noise, table, lr),
            _ => gram_blocked_m::<10>(u, v, center, contexts, noise, table, lr),
        }
    }

    #[inline(always)]
    unsafe fn gram_blocked_m<const MOST: usize>(
        u: *mut f32,
        v: *mut f32,
        center: u32,
        contexts: &[u32],
        noise: &[u32],
        table: &[f32],
        lr: f32,
    ) {
        let targets = Targets::new(v, center, noise);
        let m = MOST;
        debug_assert_eq!(contexts.len(), MOST);
        let mut inputs = [std::ptr::null_mut::<f32>(); MOST];
        for (input, &c) in inputs.iter_mut().zip(contexts) {
            *input = u.add(c as usize * S);
        }
        // g_r (lane t) and the Gram rows h_{r,q} = u_r·u_q, q < r.
        let mut g = [_mm256_setzero_ps(); MOST];
        for r in 0..m {
            let ur = load(inputs[r]);
            let mut sums = [_mm512_setzero_ps(); 8];
            for (q, sum) in sums.iter_mut().enumerate().take(r.min(8)) {
                *sum = partial_dot(&ur, inputs[q]);
            }
            let h: [f32; 8] = std::mem::transmute(sum_each(&sums, r.min(8)));
            let mut s = targets.scores(&ur, None);
            for q in 0..r {
                let hq = if q < 8 {
                    h[q]
                } else {
                    _mm512_reduce_add_ps(partial_dot(&ur, inputs[q]))
                };
                s = _mm256_fmadd_ps(_mm256_set1_ps(hq), g[q], s);
            }
            g[r] = targets.gradients(s, table, lr);
        }
        // c_{r,q} = g_r·g_q: e_r = Σ_t g_{r,t}·v_t + Σ_{q<r} c_{r,q}·u_q, from the starting rows.
        let mut c = [[0f32; MOST]; MOST];
        for r in 1..m {
            for q in 0..r {
                let p: [f32; 8] = std::mem::transmute(_mm256_mul_ps(g[r], g[q]));
                c[r][q] = p.iter().sum();
            }
        }
        let mut gs = [[0f32; 8]; MOST];
        for (x, g) in gs.iter_mut().zip(&g) {
            _mm256_storeu_ps(x.as_mut_ptr(), *g);
        }
        for i in 0..N {
            let mut vt = [_mm512_setzero_ps(); TARGETS];
            for (t, x) in vt.iter_mut().enumerate() {
                *x = _mm512_load_ps(targets.rows[t].add(16 * i));
            }
            let mut ur = [_mm512_setzero_ps(); MOST];
            for (r, x) in ur.iter_mut().enumerate().take(m) {
                *x = _mm512_load_ps(inputs[r].add(16 * i));
            }
            for r in 0..m {
                let mut e = _mm512_setzero_ps();
                for t in 0..TARGETS {
                    e = _mm512_fmadd_ps(_mm512_set1_ps(gs[r][t]), vt[t], e);
                }
                for q in 0..r {
                    e = _mm512_fmadd_ps(_mm512_set1_ps(c[r][q]), ur[q], e);
                }
                _mm512_store_ps(inputs[r].add(16 * i), _mm512_add_ps(ur[r], e));
            }
            for t in 0..TARGETS {
                if !targets.is_live(t) {
                    continue;
                }
                let mut x = vt[t];
                for r in 0..m {
                    x = _mm512_fmadd_ps(_mm512_set1_ps(gs[r][t]), ur[r], x);
                }
                _mm512_store_ps(targets.rows[t].add(16 * i), x);
            }
        }
    }

    /// `pipelined`: live targets distinct, no context equal to the one before it.
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn pipelined<const CUBIC: bool>(
        u: *mut f32,
        v: *mut f32,
        center: u32,
        contexts: &[u32],
        noise: &[u32],
        table: &[f32],
        cubic: &[[f32; 8]; 4],
        lr: f32,
    ) {
        let targets = Targets::new(v, center, noise);
        let mut input = u.add(contexts[0] as usize * S);
        let mut ur = load(input);
        let mut s = targets.scores(&ur, None);
        for r in 0..contexts.len() {
            let g = targets.gradients_with::<CUBIC>(s, table, cubic, lr);
            // The next context's scores against the rows before this update, and u_{r+1}·u_r.
            let next = contexts.get(r + 1).map(|&c| {
                let row = u.add(c as usize * S);
                let next_u = load(row);
                let scores: [f32; 8] =
                    std::mem::transmute::<__m256, [f32; 8]>(targets.scores(&next_u, Some(input)));
                (row, next_u, scores)
            });
            add(input, &targets.apply(&ur, g));
            if let Some((row, next_u, scores)) = next {
                let a = _mm256_loadu_ps(scores.as_ptr());
                s = _mm256_fmadd_ps(g, _mm256_set1_ps(scores[TARGETS]), a);
                (input, ur) = (row, next_u);
            }
        }
    }

    /// Ablations of `pipelined-cubic` (`MODE`): 1 no v_t store, 2 no next scores (s fixed),
    /// 3 scores computed but g fixed (no chain).
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn pipelined_ablation<const MODE: u8>(
        u: *mut f32,
        v: *mut f32,
        center: u32,
        contexts: &[u32],
        noise: &[u32],
        cubic: &[[f32; 8]; 4],
        lr: f32,
    ) {
        let targets = Targets::new(v, center, noise);
        let mut input = u.add(contexts[0] as usize * S);
        let mut ur = load(input);
        let mut s = targets.scores(&ur, None);
        let fixed = _mm256_set1_ps(0.01);
        for r in 0..contexts.len() {
            let g = if MODE == 3 {
                _mm256_add_ps(fixed, _mm256_mul_ps(s, _mm256_setzero_ps()))
            } else {
                targets.gradients_with::<true>(s, &[], cubic, lr)
            };
            let next = contexts.get(r + 1).map(|&c| {
                let row = u.add(c as usize * S);
                let next_u = load(row);
                let scores: [f32; 8] = if MODE == 2 {
                    [0.1; 8]
                } else {
                    std::mem::transmute::<__m256, [f32; 8]>(targets.scores(&next_u, Some(input)))
                };
                (row, next_u, scores)
            });
            let mut gradients = [0f32; 8];
            _mm256_storeu_ps(gradients.as_mut_ptr(), g);
            let mut e = [_mm512_setzero_ps(); N];
            for j in (0..TARGETS).filter(|&j| targets.is_live(j)) {
                let (g, row) = (_mm512_set1_ps(gradients[j]), targets.rows[j]);
                for i in 0..N {
                    let v = _mm512_load_ps(row.add(16 * i));
                    e[i] = _mm512_fmadd_ps(g, v, e[i]);
                    let updated = _mm512_fmadd_ps(g, ur[i], v);
                    if MODE != 1 {
                        _mm512_store_ps(row.add(16 * i), updated);
                    } else {
                        e[i] = _mm512_add_ps(e[i], updated);
                    }
                }
            }
            add(input, &e);
            if let Some((row, next_u, scores)) = next {
                let a = _mm256_loadu_ps(scores.as_ptr());
                s = _mm256_fmadd_ps(g, _mm256_set1_ps(scores[TARGETS]), a);
                (input, ur) = (row, next_u);
            }
        }
    }

    /// `pipelined-fused-cubic`: `pipelined-cubic` with context r + 1's dot products taken in
    /// context r's update pass, against the rows as loaded there (before the update), and
    /// u_{r+1}·u_r from registers: each target row is loaded once a context.
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn pipelined_fused(
        u: *mut f32,
        v: *mut f32,
        center: u32,
        contexts: &[u32],
        noise: &[u32],
        cubic: &[[f32; 8]; 4],
        lr: f32,
    ) {
        let targets = Targets::new(v, center, noise);
        let mut input = u.add(contexts[0] as usize * S);
        let mut ur = load(input);
        let mut s = targets.scores(&ur, None);
        for r in 0..contexts.len() {
            let g = targets.gradients_with::<true>(s, &[], cubic, lr);
            let mut gradients = [0f32; 8];
            _mm256_storeu_ps(gradients.as_mut_ptr(), g);
            let next = contexts.get(r + 1).map(|&c| u.add(c as usize * S));
            let un = match next {
                Some(row) => load(row),
                None => ur,
            };
            let mut e = [_mm512_setzero_ps(); N];
            let mut sums = [_mm512_setzero_ps(); 8];
            for j in (0..TARGETS).filter(|&j| targets.is_live(j)) {
                let (g, row) = (_mm512_set1_ps(gradients[j]), targets.rows[j]);
                let (mut even, mut odd) = (_mm512_setzero_ps(), _mm512_setzero_ps());
                for i in 0..N {
                    let v = _mm512_load_ps(row.add(16 * i));
                    if i % 2 == 0 {
                        even = _mm512_fmadd_ps(un[i], v, even);
                    } else {
                        odd = _mm512_fmadd_ps(un[i], v, odd);
                    }
                    e[i] = _mm512_fmadd_ps(g, v, e[i]);
                    _mm512_store_ps(row.add(16 * i), _mm512_fmadd_ps(g, ur[i], v));
                }
                sums[j] = _mm512_add_ps(even, odd);
            }
            add(input, &e);
            if let Some(row) = next {
                let (mut even, mut odd) = (_mm512_setzero_ps(), _mm512_setzero_ps());
                for i in 0..N {
                    if i % 2 == 0 {
                        even = _mm512_fmadd_ps(un[i], ur[i], even);
                    } else {
                        odd = _mm512_fmadd_ps(un[i], ur[i], odd);
                    }
                }
                sums[TARGETS] = _mm512_add_ps(even, odd);
                let scores: [f32; 8] =
                    std::mem::transmute::<__m256, [f32; 8]>(sum_each(&sums, TARGETS + 1));
                let a = _mm256_loadu_ps(scores.as_ptr());
                s = _mm256_fmadd_ps(g, _mm256_set1_ps(scores[TARGETS]), a);
                (input, ur) = (row, un);
            }
        }
    }

    /// `fused-cubic`: live targets distinct, no context equal to the one before it. Context
    /// r + 1's dot products are taken in context r's update pass, against the rows just
    /// written (exact without a correction, but each score waits for the update before it).
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn fused(
        u: *mut f32,
        v: *mut f32,
        center: u32,
        contexts: &[u32],
        noise: &[u32],
        cubic: &[[f32; 8]; 4],
        lr: f32,
    ) {
        let targets = Targets::new(v, center, noise);
        let mut input = u.add(contexts[0] as usize * S);
        let mut ur = load(input);
        let mut s = targets.scores(&ur, None);
        for r in 0..contexts.len() {
            let g = targets.gradients_with::<true>(s, &[], cubic, lr);
            let mut gradients = [0f32; 8];
            _mm256_storeu_ps(gradients.as_mut_ptr(), g);
            let next = contexts.get(r + 1).map(|&c| u.add(c as usize * S));
            let un = match next {
                Some(row) => load(row),
                None => ur,
            };
            let mut e = [_mm512_setzero_ps(); N];
            let mut sums = [_mm512_setzero_ps(); 8];
            for j in (0..TARGETS).filter(|&j| targets.is_live(j)) {
                let (g, row) = (_mm512_set1_ps(gradients[j]), targets.rows[j]);
                let (mut even, mut odd) = (_mm512_setzero_ps(), _mm512_setzero_ps());
                for i in 0..N {
                    let v = _mm512_load_ps(row.add(16 * i));
                    e[i] = _mm512_fmadd_ps(g, v, e[i]);
                    let updated = _mm512_fmadd_ps(g, ur[i], v);
                    _mm512_store_ps(row.add(16 * i), updated);
                    if i % 2 == 0 {
                        even = _mm512_fmadd_ps(un[i], updated, even);
                    } else {
                        odd = _mm512_fmadd_ps(un[i], updated, odd);
                    }
                }
                sums[j] = _mm512_add_ps(even, odd);
            }
            add(input, &e);
            if let Some(row) = next {
                s = sum_each(&sums, TARGETS);
                (input, ur) = (row, un);
            }
        }
    }

    /// `two-ahead`: live targets distinct, contexts distinct.
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn two_ahead(
        u: *mut f32,
        v: *mut f32,
        center: u32,
        contexts: &[u32],
        noise: &[u32],
        table: &[f32],
        lr: f32,
    ) {
        let targets = Targets::new(v, center, noise);
        let m = contexts.len();
        let row = |r: usize| u.add(contexts[r] as usize * S);
        // u·v_t in lanes 0..6, u·`extra[i]` in lane 6 + i.
        let scores = |u: &[__m512; N], extra: [Option<*const f32>; 2]| -> [f32; 8] {
            let mut sums = [_mm512_setzero_ps(); 8];
            for j in 0..TARGETS {
                sums[j] = partial_dot(u, targets.rows[j]);
            }
            for (i, row) in extra.into_iter().enumerate() {
                if let Some(row) = row {
                    sums[TARGETS + i] = partial_dot(u, row);
                }
            }
            std::mem::transmute(sum_each(&sums, 8))
        };
        let mut ur = load(row(0));
        let mut s = _mm256_loadu_ps(scores(&ur, [None, None]).as_ptr());
        // s_{r+1} less its last term g_r·h_{r+1,r}, and h_{r+1,r}.
        let (mut partial, mut h) = (_mm256_setzero_ps(), 0.0);
        if m > 1 {
            let x = scores(&load(row(1)), [Some(row(0)), None]);
            (partial, h) = (_mm256_loadu_ps(x.as_ptr()), x[TARGETS]);
        }
        for r in 0..m {
            let g = targets.gradients(s, table, lr);
            // Context r + 2 against the rows before this update, with u_{r+2}·u_r and
            // u_{r+2}·u_{r+1}.
            let ahead =
                (r + 2 < m).then(|| scores(&load(row(r + 2)), [Some(row(r)), Some(row(r + 1))]));
            add(row(r), &targets.apply(&ur, g));
            if r + 1 < m {
                s = _mm256_fmadd_ps(g, _mm256_set1_ps(h), partial);
                ur = load(row(r + 1));
                if let Some(x) = ahead {
                    let a = _mm256_loadu_ps(x.as_ptr());
                    (partial, h) = (
                        _mm256_fmadd_ps(g, _mm256_set1_ps(x[TARGETS]), a),
                        x[TARGETS + 1],
                    );
                }
            }
        }
    }

    /// `paired-cubic`: two contexts a pass over the target rows. With g_r and g_{r+1}
    /// known, each 16-value chunk of each v_t is loaded once, takes both contexts' steps
    /// (e_r += g_r·v_t, v_t += g_r·u_r, e_{r+1} += g_{r+1}·v_t, v_t += g_{r+1}·u_{r+1}) and
    /// is stored once: half the loads and stores of the rows. Before that pass, one pass
    /// of dot products takes u_{r+2}·v_t and u_{r+3}·v_t from the same loads, and
    ///   s_{r+2,t} = u_{r+2}·v_t + g_{r,t}·(u_{r+2}·u_r) + g_{r+1,t}·(u_{r+2}·u_{r+1}),
    ///   s_{r+3,t} = u_{r+3}·v_t + g_{r,t}·(u_{r+3}·u_r) + g_{r+1,t}·(u_{r+3}·u_{r+1})
    ///               + g_{r+2,t}·(u_{r+3}·u_{r+2}).
    /// (Taking those dot products inside the update pass, from the rows as loaded there,
    /// measured slower, 0.99–1.14× the reference against `pipelined-cubic`'s 1.26×: its 17
    /// accumulators and 12 gradients do not fit in 32 registers.) Live targets distinct,
    /// contexts distinct.
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn paired<const MODE: u8>(
        u: *mut f32,
        v: *mut f32,
        center: u32,
        contexts: &[u32],
        noise: &[u32],
        cubic: &[[f32; 8]; 4],
        lr: f32,
    ) {
        let targets = Targets::new(v, center, noise);
        let m = contexts.len();
        let row = |r: usize| u.add(contexts[r] as usize * S);
        let gradients = |s: __m256| targets.gradients_with::<true>(s, &[], cubic, lr);
        let lane = |x: __m256, j: usize| std::mem::transmute::<__m256, [f32; 8]>(x)[j];
        let mut g0 = gradients(targets.scores(&load(row(0)), None));
        let mut g1 = _mm256_setzero_ps();
        if m > 1 {
            let x = targets.scores(&load(row(1)), Some(row(0)));
            g1 = gradients(_mm256_fmadd_ps(g0, _mm256_set1_ps(lane(x, TARGETS)), x));
        }
        let fixed = gradients(_mm256_set1_ps(0.1));
        let mut r = 0;
        while r < m {
            let pair = r + 1 < m;
            let (a, b) = (row(r), if pair { row(r + 1) } else { row(r) });
            // Contexts r + 2 and r + 3 against the rows before this pair's updates: lanes
            // 0..6 u·v_t, lane 6 u·u_r, lane 7 u·u_{r+1}; and u_{r+3}·u_{r+2}.
            // `paired const-g` (MODE 2) takes no scores at all.
            let ahead = (MODE != 2 && r + 2 < m).then(|| {
                let uc = load(row(r + 2));
                let ud = if r + 3 < m { load(row(r + 3)) } else { uc };
                let (mut sc, mut sd) = ([_mm512_setzero_ps(); 8], [_mm512_setzero_ps(); 8]);
                let mut rows = [std::ptr::null::<f32>(); 8];
                for (to, &from) in rows.iter_mut().zip(&targets.rows) {
                    *to = from;
                }
                (rows[6], rows[7]) = (a, b);
                for j in 0..8 {
                    for i in 0..N {
                        let x = _mm512_load_ps(rows[j].add(16 * i));
                        sc[j] = _mm512_fmadd_ps(uc[i], x, sc[j]);
                        sd[j] = _mm512_fmadd_ps(ud[i], x, sd[j]);
                    }
                }
                let mut dc = _mm512_setzero_ps();
                for i in 0..N {
                    dc = _mm512_fmadd_ps(ud[i], uc[i], dc);
                }
                (sum_each(&sc, 8), sum_each(&sd, 8), _mm512_reduce_add_ps(dc))
            });
            let mut ga = [0f32; 8];
            let mut gb = [0f32; 8];
            let (ua_g, ub_g) = if MODE == 0 { (g0, g1) } else { (fixed, fixed) };
            _mm256_storeu_ps(ga.as_mut_ptr(), ua_g);
            _mm256_storeu_ps(gb.as_mut_ptr(), ub_g);
            for i in 0..N {
                let ua = _mm512_load_ps(a.add(16 * i));
                let ub = _mm512_load_ps(b.add(16 * i));
                let (mut ea, mut eb) = (_mm512_setzero_ps(), _mm512_setzero_ps());
                // A skipped target has g = 0: its pass stores back what it loads.
                for j in 0..TARGETS {
                    let cell = targets.rows[j].add(16 * i);
                    let mut x = _mm512_load_ps(cell);
                    let gaj = _mm512_set1_ps(ga[j]);
                    ea = _mm512_fmadd_ps(gaj, x, ea);
                    x = _mm512_fmadd_ps(gaj, ua, x);
                    if pair {
                        let gbj = _mm512_set1_ps(gb[j]);
                        eb = _mm512_fmadd_ps(gbj, x, eb);
                        x = _mm512_fmadd_ps(gbj, ub, x);
                    }
                    _mm512_store_ps(cell, x);
                }
                _mm512_store_ps(a.add(16 * i), _mm512_add_ps(ua, ea));
                if pair {
                    _mm512_store_ps(b.add(16 * i), _mm512_add_ps(ub, eb));
                }
            }
            if let Some((x, y, h)) = ahead {
                let s = _mm256_fmadd_ps(
                    g1,
                    _mm256_set1_ps(lane(x, 7)),
                    _mm256_fmadd_ps(g0, _mm256_set1_ps(lane(x, 6)), x),
                );
                let g2 = gradients(s);
                let s = _mm256_fmadd_ps(
                    g2,
                    _mm256_set1_ps(h),
                    _mm256_fmadd_ps(
                        g1,
                        _mm256_set1_ps(lane(y, 7)),
                        _mm256_fmadd_ps(g0, _mm256_set1_ps(lane(y, 6)), y),
                    ),
                );
                (g0, g1) = (g2, gradients(s));
            }
            r += 2;
        }
        std::hint::black_box((g0, g1));
    }

    /// A way to train one window.
    #[derive(Clone, Copy, PartialEq)]
    pub enum Variant {
        Reference,
        NoVStore,
        ConstantG,
        LinearSigmoid,
        NoReduce,
        BatchedContext,
        GramWindow,
        Pipelined,
        PipelinedCubic,
        PipelinedFusedCubic,
        FusedCubic,
        AblNoStore,
        AblNoScores,
        AblNoChain,
        TwoAhead,
        GramBlocked,
        PairedCubic,
        PairedNoChain,
        PairedConstG,
    }

    impl Variant {
        pub const ALL: [Variant; 19] = [
            Variant::Reference,
            Variant::NoVStore,
            Variant::ConstantG,
            Variant::LinearSigmoid,
            Variant::NoReduce,
            Variant::BatchedContext,
            Variant::GramWindow,
            Variant::Pipelined,
            Variant::PipelinedCubic,
            Variant::PipelinedFusedCubic,
            Variant::FusedCubic,
            Variant::AblNoStore,
            Variant::AblNoScores,
            Variant::AblNoChain,
            Variant::TwoAhead,
            Variant::GramBlocked,
            Variant::PairedCubic,
            Variant::PairedNoChain,
            Variant::PairedConstG,
        ];

        pub fn name(self) -> &'static str {
            match self {
                Variant::Reference => "reference",
                Variant::NoVStore => "no-v-store (ablation)",
                Variant::ConstantG => "constant-g (ablation)",
                Variant::LinearSigmoid => "linear-sigmoid (ablation)",
                Variant::NoReduce => "no-reduce (ablation)",
                Variant::BatchedContext => "batched-context (exact)",
                Variant::GramWindow => "gram-window (exact)",
                Variant::Pipelined => "pipelined (exact)",
                Variant::PipelinedCubic => "pipelined-cubic (σ to 4e-5)",
                Variant::PipelinedFusedCubic => "pipelined-fused-cubic (σ to 4e-5)",
                Variant::FusedCubic => "fused-cubic (σ to 4e-5)",
                Variant::AblNoStore => "p-c no-v-store (ablation)",
                Variant::AblNoScores => "p-c no-scores (ablation)",
                Variant::AblNoChain => "p-c no-chain (ablation)",
                Variant::TwoAhead => "two-ahead (exact)",
                Variant::GramBlocked => "gram-blocked (exact)",
                Variant::PairedCubic => "paired-cubic (σ to 4e-5)",
                Variant::PairedNoChain => "paired no-chain (ablation)",
                Variant::PairedConstG => "paired const-g (ablation)",
            }
        }

        pub fn exact(self) -> bool {
            matches!(
                self,
                Variant::Reference
                    | Variant::BatchedContext
                    | Variant::GramWindow
                    | Variant::Pipelined
                    | Variant::PipelinedCubic
                    | Variant::PipelinedFusedCubic
                    | Variant::FusedCubic
                    | Variant::TwoAhead
                    | Variant::GramBlocked
                    | Variant::PairedCubic
            )
        }
    }

    /// A matrix of `rows` rows of `S` values, line-aligned.
    pub struct Matrix(Vec<Line>);

    impl Matrix {
        pub fn new(rows: usize, salt: usize) -> Self {
            let mut lines = vec![Line([0.0; 16]); rows * N];
            for (i, x) in lines.iter_mut().flat_map(|l| l.0.iter_mut()).enumerate() {
                *x =
                    (((i + salt).wrapping_mul(2_654_435_761) % 1000) as f32 / 1000.0 - 0.5) / 100.0;
            }
            Matrix(lines)
        }

        pub fn values(&self) -> impl Iterator<Item = f32> + '_ {
            self.0.iter().flat_map(|l| l.0.iter().copied())
        }

        fn ptr(&mut self) -> *mut f32 {
            self.0.as_mut_ptr() as *mut f32
        }
    }

    /// Whether a window's contexts are distinct rows, and its live targets too.
    fn distinct(center: u32, contexts: &[u32], noise: &[u32]) -> bool {
        let target = |j: usize| if j == 0 { center } else { noise[j - 1] };
        (1..contexts.len()).all(|a| (0..a).all(|b| contexts[a] != contexts[b]))
            && (1..6).all(|a| target(a) == center || (0..a).all(|b| target(a) != target(b)))
    }

    /// Trains one window with `variant`.
    ///
    /// # Safety
    /// The CPU must support AVX-512F, AVX2 and FMA; `u` and `v` hold every row named;
    /// `scratch` holds `M · S` values; `noise` has 5 entries and `contexts` at most `M`.
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn train(
        variant: Variant,
        u: &mut Matrix,
        v: &mut Matrix,
        center: u32,
        contexts: &[u32],
        noise: &[u32],
        table: &[f32],
        cubic: &[[f32; 8]; 4],
        scratch: &mut Matrix,
    ) {
        let (up, vp, lr) = (u.ptr(), v.ptr(), 0.025);
        let exact_batch = || distinct(center, contexts, noise);
        match variant {
            Variant::Reference => pairwise::<0>(up, vp, center, contexts, noise, table, lr),
            Variant::NoVStore => pairwise::<1>(up, vp, center, contexts, noise, table, lr),
            Variant::ConstantG => pairwise::<2>(up, vp, center, contexts, noise, table, lr),
            Variant::LinearSigmoid => pairwise::<4>(up, vp, center, contexts, noise, table, lr),
            Variant::NoReduce => pairwise::<5>(up, vp, center, contexts, noise, table, lr),
            Variant::BatchedContext if exact_batch() => {
                batched_context(up, vp, center, contexts, noise, table, lr)
            }
            Variant::GramWindow if exact_batch() => {
                gram_window(up, vp, center, contexts, noise, table, lr, scratch.ptr())
            }
            Variant::Pipelined if exact_batch() => {
                pipelined::<false>(up, vp, center, contexts, noise, table, cubic, lr)
            }
            Variant::PipelinedCubic if exact_batch() => {
                pipelined::<true>(up, vp, center, contexts, noise, table, cubic, lr)
            }
            Variant::PipelinedFusedCubic if exact_batch() => {
                pipelined_fused(up, vp, center, contexts, noise, cubic, lr)
            }
            Variant::FusedCubic if exact_batch() => {
                fused(up, vp, center, contexts, noise, cubic, lr)
            }
            Variant::AblNoStore if exact_batch() => {
                pipelined_ablation::<1>(up, vp, center, contexts, noise, cubic, lr)
            }
            Variant::AblNoScores if exact_batch() => {
                pipelined_ablation::<2>(up, vp, center, contexts, noise, cubic, lr)
            }
            Variant::AblNoChain if exact_batch() => {
                pipelined_ablation::<3>(up, vp, center, contexts, noise, cubic, lr)
            }
            Variant::GramBlocked if exact_batch() => {
                gram_blocked(up, vp, center, contexts, noise, table, lr)
            }
            Variant::TwoAhead if exact_batch() => {
                two_ahead(up, vp, center, contexts, noise, table, lr)
            }
            Variant::PairedCubic if exact_batch() => {
                paired::<0>(up, vp, center, contexts, noise, cubic, lr)
            }
            Variant::PairedNoChain if exact_batch() => {
                paired::<1>(up, vp, center, contexts, noise, cubic, lr)
            }
            Variant::PairedConstG if exact_batch() => {
                paired::<2>(up, vp, center, contexts, noise, cubic, lr)
            }
            _ => pairwise::<0>(up, vp, center, contexts, noise, table, lr),
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn main() {
    use std::time::Instant;
    use variants::{train, Matrix, Variant, M};
    let features = ["avx512f", "avx2", "fma"];
    if !(std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma"))
    {
        println!("window_variants: needs {features:?}; skipped");
        return;
    }
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let table: Vec<f32> = (0..4097)
        .map(|i| 1.0 / (1.0 + (-(i as f32 / 256.0 - 8.0)).exp()))
        .collect();
    let cubic = variants::cubic_sigmoid();
    let rows: u64 = std::env::var("ROWS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(4096);
    // `cargo test --benches` (no `--bench` argument) checks the variants on fewer windows.
    let measuring = std::env::args().any(|a| a == "--bench");
    let windows = if measuring { 2_000_000usize } else { 200_000 };
    let tokens: Vec<u32> = (0..windows).map(|_| (next() % rows) as u32).collect();
    let noise: Vec<u32> = (0..windows * 5).map(|_| (next() % rows) as u32).collect();
    let reach: Vec<usize> = (0..windows).map(|_| 1 + (next() % 5) as usize).collect();
    let mut scratch = Matrix::new(M, 0);
    // VARIANTS=reference,pipelined runs only those (names up to the first space).
    let only = std::env::var("VARIANTS").ok();
    let chosen = |variant: Variant| {
        let name = variant.name().split(' ').next().unwrap_or_default();
        variant == Variant::Reference
            || only
                .as_deref()
                .is_none_or(|list| list.split(',').any(|n| n == name))
    };
    let mut reference: Option<Vec<f32>> = None;
    // Rounds alternate the variants so that the VM's drift hits all alike; medians.
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let mut rates = vec![Vec::new(); Variant::ALL.len()];
    let mut deviations = vec![String::new(); Variant::ALL.len()];
    for _ in 0..rounds {
        for (index, variant) in Variant::ALL.into_iter().enumerate() {
            if !chosen(variant) {
                continue;
            }
            let (mut u, mut v) = (Matrix::new(rows as usize, 0), Matrix::new(rows as usize, 7));
            let mut contexts = Vec::with_capacity(10);
            let mut pairs = 0u64;
            let start = Instant::now();
            for i in 5..windows - 5 {
                contexts.clear();
                contexts.extend_from_slice(&tokens[i - reach[i]..i]);
                contexts.extend_from_slice(&tokens[i + 1..=i + reach[i]]);
                let negatives = &noise[5 * i..5 * i + 5];
                // SAFETY: the features are detected above; the rows are below `rows`; 5
                // negatives and at most 10 contexts a window.
                unsafe {
                    let (center, scratch) = (tokens[i], &mut scratch);
                    train(
                        variant, &mut u, &mut v, center, &contexts, negatives, &table, &cubic,
                        scratch,
                    );
                }
                pairs += contexts.len() as u64 * 6;
            }
            rates[index].push(pairs as f64 / start.elapsed().as_secs_f64() / 1e6);
            let values: Vec<f32> = u.values().chain(v.values()).collect();
            match &reference {
                None => reference = Some(values),
                Some(want) if variant.exact() && variant != Variant::Reference => {
                    let worst = want
                        .iter()
                        .zip(&values)
                        .map(|(a, b)| (a - b).abs())
                        .fold(0.0, f32::max);
                    let name = variant.name();
                    assert!(worst < 1e-3, "{name} ends {worst} away from the reference");
                    deviations[index] = format!("max |Δ| {worst:.1e} from reference");
                }
                Some(_) => {}
            }
        }
    }
    let reference_rates = rates[0].clone();
    for ((variant, mut rates), deviation) in Variant::ALL.into_iter().zip(rates).zip(deviations) {
        if rates.is_empty() {
            continue;
        }
        // This VM's speed drifts within seconds: the ratio to the reference run just
        // before, round by round, is steadier than either rate.
        let mut ratios: Vec<f64> = rates
            .iter()
            .zip(&reference_rates)
            .map(|(a, b)| a / b)
            .collect();
        ratios.sort_by(f64::total_cmp);
        let ratio = ratios[ratios.len() / 2];
        rates.sort_by(f64::total_cmp);
        let median = rates[rates.len() / 2];
        println!(
            "{:28} {median:6.1} M pairs/s  {ratio:5.2}×  {deviation}",
            variant.name()
        );
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn main() {
    println!("window_variants: x86-64 only; skipped");
}
