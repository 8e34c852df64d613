//! One SGNS update for one window, batched (Ji et al. 2016, pWord2Vec).
//!
//! For a center k-mer w with context k-mers c_1..c_m (the inputs, rows of U) and targets
//! t_0 = w (label 1) and K negatives t_1..t_K shared by the whole window (label 0, rows of V),
//! every pair (c_r, t_j) contributes the log-likelihood
//!
//!   ℓ = y_j·ln σ(u_r·v_j) + (1 − y_j)·ln σ(−u_r·v_j),   ∂ℓ/∂(u_r·v_j) = y_j − σ(u_r·v_j).
//!
//! Plain batching (pWord2Vec) takes G[r][j] = η·(y_j − σ(u_r·v_j)) for all pairs at once and
//! steps ΔU = G·V, ΔV = Gᵀ·U. That is not what sequential SGD does: word2vec visits the
//! contexts in turn, and context r meets v_j after the updates of contexts r' < r,
//! v_j + Σ_{r'<r} G[r'][j]·u_r'. Measured on E. coli 6-mers, the simultaneous step lost
//! more quality (PMI correlation) than sharing the negatives did. The sequential result can
//! be had exactly in batched form: with the Gram matrix Γ = U·Uᵀ,
//!
//!   G[r][j] = η·(y_j − σ(S[r][j] + Σ_{r'<r} G[r'][j]·Γ[r][r'])),   S = U·Vᵀ,
//!   ΔV = Gᵀ·U,   ΔU_r = Σ_j G[r][j]·v_j + Σ_{r'<r} (Σ_j G[r][j]·G[r'][j])·u_r',
//!
//! all dense products over copies of the rows, with m(m−1)/2 extra dot products. A negative
//! equal to the center is a false negative: its column of G is 0. An ℓ2 penalty λ adds
//! −η·λ·u once per window to each row it touches.

use crate::kernels::{axpy, dot_rows, weighted_sum, SigmoidTable};

/// The vector instructions the running CPU offers. Only `detect` can report AVX2, so a
/// value of this type is proof that the AVX2 paths are safe to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Simd {
    avx2_fma: bool,
}

impl Simd {
    /// The best the running CPU supports.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return Simd { avx2_fma: true };
        }
        Simd::portable()
    }

    /// Portable code only.
    pub fn portable() -> Self {
        Simd { avx2_fma: false }
    }

    /// Whether the AVX2 + FMA paths may run.
    pub fn avx2_fma(&self) -> bool {
        self.avx2_fma
    }

    /// A name for logs and metadata.
    pub fn name(&self) -> &'static str {
        if self.avx2_fma {
            "avx2+fma"
        } else {
            "portable"
        }
    }
}

/// The rows of one window, copied out of the shared matrices, and their updates.
#[derive(Debug, Clone)]
pub struct WindowBatch {
    dim: usize,
    targets_len: usize,
    /// `(K+1) × dim` then `max_inputs × dim`: the targets (the center's row, then the
    /// negatives', of the output matrix V) followed by the context rows (of U), so that a
    /// context's update, a combination of targets and earlier contexts, is one pass.
    rows: Vec<f32>,
    /// Per target: skipped (a false negative).
    pub skip: Vec<bool>,
    /// `m × dim`: the updates of the inputs.
    pub input_deltas: Vec<f32>,
    /// `(K+1) × dim`: the updates of the targets.
    pub target_deltas: Vec<f32>,
    /// `m × (K+1)`: the scores, then the gradients G.
    gradients: Vec<f32>,
    /// One column of G, or one row of the coupling L.
    column: Vec<f32>,
    /// `m × m`: the Gram matrix of the inputs (lower triangle used).
    gram: Vec<f32>,
    /// The weights of one context's update: G[r] then L[r].
    weights: Vec<f32>,
    sigmoid: SigmoidTable,
}

impl WindowBatch {
    /// Buffers for windows of up to `max_inputs` contexts and `negatives` negatives.
    pub fn new(dim: usize, max_inputs: usize, negatives: usize) -> Self {
        let targets_len = negatives + 1;
        WindowBatch {
            dim,
            targets_len,
            rows: vec![0.0; (targets_len + max_inputs) * dim],
            skip: vec![false; targets_len],
            input_deltas: vec![0.0; max_inputs * dim],
            target_deltas: vec![0.0; targets_len * dim],
            gradients: vec![0.0; max_inputs * targets_len],
            column: vec![0.0; max_inputs],
            weights: vec![0.0; targets_len + max_inputs],
            gram: vec![0.0; max_inputs * max_inputs],
            sigmoid: SigmoidTable::default(),
        }
    }

    /// The target rows: the center's, then the negatives'.
    pub fn targets(&self) -> &[f32] {
        &self.rows[..self.targets_len * self.dim]
    }

    /// The target rows, to fill.
    pub fn targets_mut(&mut self) -> &mut [f32] {
        &mut self.rows[..self.targets_len * self.dim]
    }

    /// The context rows.
    pub fn inputs(&self) -> &[f32] {
        &self.rows[self.targets_len * self.dim..]
    }

    /// The context rows, to fill.
    pub fn inputs_mut(&mut self) -> &mut [f32] {
        &mut self.rows[self.targets_len * self.dim..]
    }

    /// Computes the deltas of the first `m` inputs and of the targets at learning rate `lr`
    /// and ℓ2 weight `l2`; returns the window's loss −Σℓ if `with_loss`, else 0.
    pub fn step_with(&mut self, simd: Simd, m: usize, lr: f32, l2: f32, with_loss: bool) -> f64 {
        #[cfg(target_arch = "x86_64")]
        if simd.avx2_fma() {
            // SAFETY: `simd` proves the CPU has AVX2 and FMA.
            return unsafe { self.step_avx2_fma(m, lr, l2, with_loss) };
        }
        self.step::<false>(m, lr, l2, with_loss)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn step_avx2_fma(&mut self, m: usize, lr: f32, l2: f32, with_loss: bool) -> f64 {
        self.step::<true>(m, lr, l2, with_loss)
    }

    /// `step_with`, for callers already compiled for their SIMD path (the trainer). `AVX2`
    /// may be true only where `Simd::detect` found AVX2 and FMA.
    #[inline(always)]
    pub(crate) fn step<const AVX2: bool>(
        &mut self,
        m: usize,
        lr: f32,
        l2: f32,
        with_loss: bool,
    ) -> f64 {
        let (dim, t_len) = (self.dim, self.targets_len);
        let rows = &self.rows[..(t_len + m) * dim];
        let (targets, inputs) = rows.split_at(t_len * dim);
        let gradients = &mut self.gradients[..m * t_len];
        let gram = &mut self.gram[..m * m];
        let mut loss = 0.0f64;
        // Scores S = U·Vᵀ and the lower triangle of the Gram matrix U·Uᵀ.
        for (r, input) in inputs.chunks_exact(dim).enumerate() {
            dot_rows::<AVX2>(input, targets, &mut gradients[r * t_len..(r + 1) * t_len]);
            dot_rows::<AVX2>(input, &inputs[..r * dim], &mut gram[r * m..r * m + r]);
        }
        // G in context order, as sequential SGD would see the scores: context r meets each
        // target after the updates of contexts r' < r, v_j + Σ g[r'][j]·u_r', so its scores
        // are S[r] + Σ_{r'<r} Γ[r][r']·G[r'] (row operations over the K+1 targets).
        for r in 0..m {
            let (earlier, current) = gradients.split_at_mut(r * t_len);
            let scores = &mut current[..t_len];
            for (q, g_q) in earlier.chunks_exact(t_len).enumerate() {
                let coupling = gram[r * m + q];
                for (s, g) in scores.iter_mut().zip(g_q) {
                    *s += coupling * g;
                }
            }
            for (j, score) in scores.iter_mut().enumerate() {
                let p = self.sigmoid.sigmoid(*score);
                let label = if j == 0 { 1.0 } else { 0.0 };
                if with_loss && !self.skip[j] {
                    let likelihood = if j == 0 { p } else { 1.0 - p };
                    loss -= (likelihood.max(1e-7) as f64).ln();
                }
                *score = if self.skip[j] { 0.0 } else { lr * (label - p) };
            }
        }
        // ΔU_r = Σ_j G[r][j]·v_j + Σ_{r'<r} L[r][r']·u_r', L[r][r'] = Σ_j G[r][j]·G[r'][j]:
        // each context sees the targets as earlier contexts left them. Minus ηλ·u_r.
        let decay = -lr * l2;
        for (r, delta) in self.input_deltas[..m * dim]
            .chunks_exact_mut(dim)
            .enumerate()
        {
            let g_r = &gradients[r * t_len..(r + 1) * t_len];
            let weights = &mut self.weights[..t_len + r];
            let (on_targets, on_earlier) = weights.split_at_mut(t_len);
            on_targets.copy_from_slice(g_r);
            for (q, l) in on_earlier.iter_mut().enumerate() {
                let g_q = &gradients[q * t_len..(q + 1) * t_len];
                *l = g_r.iter().zip(g_q).map(|(a, b)| a * b).sum();
            }
            weighted_sum::<AVX2>(weights, rows, delta);
            if l2 > 0.0 {
                axpy::<AVX2>(decay, &inputs[r * dim..(r + 1) * dim], delta);
            }
        }
        // ΔV = Gᵀ·U − ηλV.
        for (j, delta) in self.target_deltas.chunks_exact_mut(dim).enumerate() {
            let column = &mut self.column[..m];
            for (r, c) in column.iter_mut().enumerate() {
                *c = gradients[r * t_len + j];
            }
            weighted_sum::<AVX2>(column, inputs, delta);
            if l2 > 0.0 && !self.skip[j] {
                axpy::<AVX2>(decay, &targets[j * dim..(j + 1) * dim], delta);
            }
        }
        loss
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The batched step equals word2vec's sequential SGD over the window's pairs: contexts
    /// in turn, each meeting the targets as the earlier contexts left them.
    #[test]
    fn step_equals_sequential_sgd() {
        let (dim, m, negatives, lr) = (8, 4, 2, 0.5f32);
        let mut batch = WindowBatch::new(dim, m, negatives);
        for (i, x) in batch.inputs_mut().iter_mut().enumerate() {
            *x = ((i * 7 % 11) as f32 - 5.0) / 5.0;
        }
        for (i, x) in batch.targets_mut().iter_mut().enumerate() {
            *x = ((i * 5 % 13) as f32 - 6.0) / 5.0;
        }
        batch.skip[2] = true;
        // The oracle: word2vec's loop on plain copies, exact sigmoid.
        let sigma = |x: f32| 1.0 / (1.0 + (-x).exp());
        let mut u: Vec<Vec<f32>> = batch.inputs().chunks(dim).map(<[f32]>::to_vec).collect();
        let mut v: Vec<Vec<f32>> = batch.targets().chunks(dim).map(<[f32]>::to_vec).collect();
        let mut expected_loss = 0.0f64;
        for u_r in u.iter_mut() {
            let mut error = vec![0.0f32; dim];
            for (j, v_j) in v.iter_mut().enumerate() {
                if j == 2 {
                    continue;
                }
                let score: f32 = u_r.iter().zip(v_j.iter()).map(|(a, b)| a * b).sum();
                let label = if j == 0 { 1.0 } else { 0.0 };
                let p = sigma(score);
                expected_loss -= (if j == 0 { p } else { 1.0 - p } as f64).ln();
                let g = lr * (label - p);
                for d in 0..dim {
                    error[d] += g * v_j[d];
                    v_j[d] += g * u_r[d];
                }
            }
            for d in 0..dim {
                u_r[d] += error[d];
            }
        }
        let (inputs, targets) = (batch.inputs().to_vec(), batch.targets().to_vec());
        for simd in [Simd::portable(), Simd::detect()] {
            let loss = batch.step_with(simd, m, lr, 0.0, true);
            assert!(
                (loss - expected_loss).abs() < 0.02,
                "{loss} vs {expected_loss}"
            );
            for r in 0..m {
                for d in 0..dim {
                    let got = inputs[r * dim + d] + batch.input_deltas[r * dim + d];
                    assert!(
                        (got - u[r][d]).abs() < 2e-3,
                        "u[{r}][{d}]: {got} vs {}",
                        u[r][d]
                    );
                }
            }
            for j in 0..=negatives {
                for d in 0..dim {
                    let got = targets[j * dim + d] + batch.target_deltas[j * dim + d];
                    assert!(
                        (got - v[j][d]).abs() < 2e-3,
                        "v[{j}][{d}]: {got} vs {}",
                        v[j][d]
                    );
                }
            }
        }
    }
}
