//! One SGNS update for one window, batched (Ji et al. 2016, pWord2Vec).
//!
//! For a center k-mer w with context k-mers c_1..c_m (the inputs, rows of U) and targets
//! t_0 = w (label 1) and K negatives t_1..t_K shared by the whole window (label 0, rows of V),
//! every pair (c_r, t_j) contributes the log-likelihood
//!
//!   ℓ = y_j·ln σ(u_r·v_j) + (1 − y_j)·ln σ(−u_r·v_j),   ∂ℓ/∂(u_r·v_j) = y_j − σ(u_r·v_j).
//!
//! With G[r][j] = η·(y_j − σ(u_r·v_j)) the ascent step is ΔU = G·V and ΔV = Gᵀ·U: two small
//! dense products over copies of the rows, instead of m·(K+1) dependent dot/axpy chains on
//! scattered rows. A negative equal to the center is a false negative: its column of G is 0.
//! An ℓ2 penalty λ adds −η·λ·u once per window to each row it touches.

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
    /// `m × dim`: the context rows (of the input matrix U).
    pub inputs: Vec<f32>,
    /// `(K+1) × dim`: the center's row, then the negatives' (of the output matrix V).
    pub targets: Vec<f32>,
    /// Per target: skipped (a false negative).
    pub skip: Vec<bool>,
    /// `m × dim`: the updates of the inputs.
    pub input_deltas: Vec<f32>,
    /// `(K+1) × dim`: the updates of the targets.
    pub target_deltas: Vec<f32>,
    /// `m × (K+1)`: the scores, then the gradients G.
    gradients: Vec<f32>,
    /// One column of G.
    column: Vec<f32>,
    sigmoid: SigmoidTable,
}

impl WindowBatch {
    /// Buffers for windows of up to `max_inputs` contexts and `negatives` negatives.
    pub fn new(dim: usize, max_inputs: usize, negatives: usize) -> Self {
        let targets_len = negatives + 1;
        WindowBatch {
            dim,
            targets_len,
            inputs: vec![0.0; max_inputs * dim],
            targets: vec![0.0; targets_len * dim],
            skip: vec![false; targets_len],
            input_deltas: vec![0.0; max_inputs * dim],
            target_deltas: vec![0.0; targets_len * dim],
            gradients: vec![0.0; max_inputs * targets_len],
            column: vec![0.0; max_inputs],
            sigmoid: SigmoidTable::default(),
        }
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
        let inputs = &self.inputs[..m * dim];
        let targets = &self.targets[..t_len * dim];
        let gradients = &mut self.gradients[..m * t_len];
        let mut loss = 0.0f64;
        // Scores u_r·v_j, then G[r][j] = η·(y_j − σ(u_r·v_j)) in place.
        for (input, scores) in inputs
            .chunks_exact(dim)
            .zip(gradients.chunks_exact_mut(t_len))
        {
            dot_rows::<AVX2>(input, targets, scores);
            for (j, g) in scores.iter_mut().enumerate() {
                let label = if j == 0 { 1.0 } else { 0.0 };
                let p = self.sigmoid.sigmoid(*g);
                if with_loss && !self.skip[j] {
                    let likelihood = if j == 0 { p } else { 1.0 - p };
                    loss -= (likelihood.max(1e-7) as f64).ln();
                }
                *g = if self.skip[j] { 0.0 } else { lr * (label - p) };
            }
        }
        // ΔU = G·V − ηλU.
        let decay = -lr * l2;
        for (r, delta) in self.input_deltas[..m * dim]
            .chunks_exact_mut(dim)
            .enumerate()
        {
            weighted_sum::<AVX2>(&gradients[r * t_len..(r + 1) * t_len], targets, delta);
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

    /// The batched step equals the pair-by-pair definition.
    #[test]
    fn step_matches_the_gradient_definition() {
        let (dim, m, negatives, lr) = (5, 3, 2, 0.1f32);
        let mut batch = WindowBatch::new(dim, m, negatives);
        for (i, x) in batch.inputs.iter_mut().enumerate() {
            *x = ((i * 7 % 11) as f32 - 5.0) / 10.0;
        }
        for (i, x) in batch.targets.iter_mut().enumerate() {
            *x = ((i * 5 % 13) as f32 - 6.0) / 10.0;
        }
        batch.skip[2] = true;
        let (inputs, targets) = (batch.inputs.clone(), batch.targets.clone());
        let u = |r: usize| &inputs[r * dim..(r + 1) * dim];
        let v = |j: usize| &targets[j * dim..(j + 1) * dim];
        let sigma = |x: f32| 1.0 / (1.0 + (-x).exp());
        let label = |j: usize| if j == 0 { 1.0 } else { 0.0 };
        // G[r][j] by the definition, with the skipped negative's column at 0.
        let g = |r: usize, j: usize| {
            let s: f32 = u(r).iter().zip(v(j)).map(|(a, b)| a * b).sum();
            if j == 2 {
                0.0
            } else {
                lr * (label(j) - sigma(s))
            }
        };
        let mut expected_loss = 0.0f64;
        for r in 0..m {
            for j in [0, 1] {
                let s: f32 = u(r).iter().zip(v(j)).map(|(a, b)| a * b).sum();
                expected_loss -= (if j == 0 { sigma(s) } else { 1.0 - sigma(s) } as f64).ln();
            }
        }
        for simd in [Simd::portable(), Simd::detect()] {
            let loss = batch.step_with(simd, m, lr, 0.0, true);
            assert!(
                (loss - expected_loss).abs() < 0.01,
                "{loss} vs {expected_loss}"
            );
            for d in 0..dim {
                for r in 0..m {
                    let want: f32 = (0..=negatives).map(|j| g(r, j) * v(j)[d]).sum();
                    assert!((batch.input_deltas[r * dim + d] - want).abs() < 1e-3);
                }
                for j in 0..=negatives {
                    let want: f32 = (0..m).map(|r| g(r, j) * u(r)[d]).sum();
                    assert!((batch.target_deltas[j * dim + d] - want).abs() < 1e-3);
                }
            }
        }
    }
}
