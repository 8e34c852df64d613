//! The first two principal components of a model's vectors, for the report's 2-D map.
//!
//! With X the n × d vectors less their mean, the covariance C = XᵀX / n is d × d (100 × 100
//! for dna2vec's settings: one pass over the rows builds it). Its leading eigenvectors come
//! from power iteration, q ← Cq / ‖Cq‖, the second on C − λ₁q₁q₁ᵀ (deflation); each row's
//! coordinates are its projections (x − mean)·q₁ and (x − mean)·q₂. Hand-written: a linear
//! algebra crate for one 100 × 100 eigenproblem would cost more build time than it saves.

/// The rows' coordinates on the first two principal components, and the share of the
/// variance each explains.
pub struct Projection {
    pub coordinates: Vec<[f32; 2]>,
    pub explained: [f64; 2],
}

/// Projects the `rows × dim` row-major `vectors` on their first two principal components.
pub fn project(vectors: &[f32], dim: usize) -> Projection {
    let rows = vectors.len() / dim.max(1);
    if rows == 0 || dim == 0 {
        return Projection {
            coordinates: Vec::new(),
            explained: [0.0; 2],
        };
    }
    let mut mean = vec![0.0f64; dim];
    for row in vectors.chunks_exact(dim) {
        for (m, &x) in mean.iter_mut().zip(row) {
            *m += x as f64;
        }
    }
    mean.iter_mut().for_each(|m| *m /= rows as f64);
    let mut covariance = vec![0.0f64; dim * dim];
    let mut centered = vec![0.0f64; dim];
    for row in vectors.chunks_exact(dim) {
        for ((c, &x), m) in centered.iter_mut().zip(row).zip(&mean) {
            *c = x as f64 - m;
        }
        for i in 0..dim {
            let ci = centered[i];
            let line = &mut covariance[i * dim..(i + 1) * dim];
            for (entry, &cj) in line.iter_mut().zip(&centered) {
                *entry += ci * cj;
            }
        }
    }
    covariance.iter_mut().for_each(|c| *c /= rows as f64);
    let trace: f64 = (0..dim).map(|i| covariance[i * dim + i]).sum();
    let (first, first_value) = leading_eigenvector(&covariance, dim);
    for i in 0..dim {
        for j in 0..dim {
            covariance[i * dim + j] -= first_value * first[i] * first[j];
        }
    }
    let (second, second_value) = leading_eigenvector(&covariance, dim);
    let coordinates = vectors
        .chunks_exact(dim)
        .map(|row| {
            let project = |axis: &[f64]| {
                (row.iter().zip(&mean).zip(axis))
                    .map(|((&x, m), a)| (x as f64 - m) * a)
                    .sum::<f64>() as f32
            };
            [project(&first), project(&second)]
        })
        .collect();
    let share = |value: f64| if trace > 0.0 { value / trace } else { 0.0 };
    Projection {
        coordinates,
        explained: [share(first_value), share(second_value)],
    }
}

/// The unit eigenvector of the symmetric `dim × dim` matrix `m` with the largest
/// eigenvalue, and that eigenvalue, by power iteration from a fixed start.
fn leading_eigenvector(m: &[f64], dim: usize) -> (Vec<f64>, f64) {
    // A start with a component along almost any vector, the same on every run.
    let mut q: Vec<f64> = (0..dim).map(|i| 1.0 + (i as f64 * 0.618).fract()).collect();
    let mut value = 0.0;
    for _ in 0..500 {
        let next: Vec<f64> = (0..dim)
            .map(|i| {
                (m[i * dim..(i + 1) * dim].iter().zip(&q))
                    .map(|(a, b)| a * b)
                    .sum()
            })
            .collect();
        let norm = next.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 {
            return (q, 0.0);
        }
        let next: Vec<f64> = next.iter().map(|x| x / norm).collect();
        let change: f64 = next.iter().zip(&q).map(|(a, b)| (a - b).abs()).sum();
        q = next;
        value = norm;
        if change < 1e-12 {
            break;
        }
    }
    (q, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points spread 10 along (1, 1, 0)/√2 and 3 along (0, 0, 1), 0.1 elsewhere: the map's
    /// axes must be those two directions, in that order.
    #[test]
    fn finds_the_planted_axes() {
        let mut vectors = Vec::new();
        for i in 0..400 {
            let (a, b, c) = (
                ((i * 37) % 101) as f32 / 50.0 - 1.0,
                ((i * 53) % 97) as f32 / 48.0 - 1.0,
                ((i * 29) % 89) as f32 / 44.0 - 1.0,
            );
            let s = std::f32::consts::FRAC_1_SQRT_2;
            vectors.extend([10.0 * a * s + 0.1 * c, 10.0 * a * s - 0.1 * c, 3.0 * b]);
        }
        let projection = project(&vectors, 3);
        let (mut xs, mut ys, mut a_s, mut b_s) = (vec![], vec![], vec![], vec![]);
        for (i, point) in projection.coordinates.iter().enumerate() {
            xs.push(point[0] as f64);
            ys.push(point[1] as f64);
            a_s.push(((i * 37) % 101) as f64 / 50.0 - 1.0);
            b_s.push(((i * 53) % 97) as f64 / 48.0 - 1.0);
        }
        let r = crate::pmi::pearson;
        assert!(r(&xs, &a_s).abs() > 0.99, "{}", r(&xs, &a_s));
        assert!(r(&ys, &b_s).abs() > 0.99, "{}", r(&ys, &b_s));
        assert!(projection.explained[0] > 0.8 && projection.explained[1] > 0.05);
    }
}
