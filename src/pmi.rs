//! How close a model is to SGNS's optimum (`kmer2vec pmi MODEL COUNTS`).
//!
//! Levy & Goldberg (2014): with k negatives drawn from P_n, SGNS's optimum has
//!
//!   u_w·v_c = ln( X_wc·|D| / (X_w·X_c) ) − ln k = PMI(w, c) − ln k,
//!
//! X_w = Σ_c X_wc, |D| = Σ X_wc, for P_n the unigram distribution (α = 1). With a noise
//! exponent α the context term becomes the smoothed X_c^α / Σ_c' X_c'^α:
//!
//!   u_w·v_c = ln( X_wc·S_α / (k·X_w·X_c^α) ),   S_α = Σ_c X_c^α.
//!
//! This module correlates u_w·v_c (the model's vectors and context vectors) with that
//! target over the pairs seen at least `min_count` times: Pearson, Spearman, and both by
//! decile of X_wc, and draws the scatter as SVG.

use crate::error::{Error, Result};
use crate::k2c::Counts;
use crate::kmer_index::KmerIndex;
use crate::model::Model;
use crate::svg::{extent, Chart};
use crate::KRange;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

/// One (w, c) pair: its count, the theory's target and the model's score.
#[derive(Debug, Clone, Copy)]
pub struct Point {
    pub count: u64,
    pub target: f64,
    pub score: f64,
}

/// The check's result.
#[derive(Debug, Clone, Serialize)]
pub struct PmiReport {
    pub min_count: u64,
    pub alpha: f64,
    pub negatives: usize,
    /// Pairs with X_wc ≥ min_count and both k-mers in the model.
    pub pairs: usize,
    /// Pairs in the counts.
    pub pairs_counted: usize,
    pub pearson: f64,
    pub spearman: f64,
    pub deciles: Vec<Decile>,
    #[serde(skip)]
    pub points: Vec<Point>,
}

/// The pairs of one tenth of the X_wc range.
#[derive(Debug, Clone, Serialize)]
pub struct Decile {
    pub min_count: u64,
    pub max_count: u64,
    pub pairs: usize,
    pub mean_target: f64,
    pub mean_score: f64,
    pub pearson: f64,
}

/// Compares `model` (which must have context vectors) with the counts' shifted PMI.
pub fn check(
    model: &Model,
    model_path: &Path,
    counts: &Counts,
    negatives: usize,
    alpha: f64,
    min_count: u64,
) -> Result<PmiReport> {
    let contexts = model.contexts.as_ref().ok_or_else(|| Error::Model {
        path: model_path.to_path_buf(),
        message: "no context vectors: train with --context-vectors".into(),
    })?;
    let settings = &counts.header.settings;
    let index = KmerIndex::new(KRange {
        min: settings.k_min,
        max: settings.k_max,
    });
    let row_of: HashMap<&str, usize> = model
        .kmers
        .iter()
        .enumerate()
        .map(|(row, kmer)| (kmer.as_str(), row))
        .collect();
    let rows: Vec<Option<usize>> = (0..index.len() as u32)
        .map(|id| row_of.get(index.kmer_string(id).as_str()).copied())
        .collect();
    // Marginals X_w = Σ_c X_wc (= X_c: the counts are symmetric).
    let mut marginal = vec![0u64; index.len()];
    for pair in counts.pairs() {
        marginal[pair.w as usize] += pair.count;
    }
    let smoothed_total: f64 = marginal.iter().map(|&x| (x as f64).powf(alpha)).sum();
    let dim = model.dim;
    let mut points = Vec::new();
    for pair in counts.pairs().filter(|p| p.count >= min_count) {
        let (Some(w), Some(c)) = (rows[pair.w as usize], rows[pair.c as usize]) else {
            continue;
        };
        let (x_w, x_c) = (
            marginal[pair.w as usize] as f64,
            marginal[pair.c as usize] as f64,
        );
        // ln(X_wc·S_α / (k·X_w·X_c^α)); S_1 = |D|.
        let target = (pair.count as f64 * smoothed_total / (x_w * x_c.powf(alpha))).ln()
            - (negatives as f64).ln();
        let u = &model.vectors[w * dim..(w + 1) * dim];
        let v = &contexts[c * dim..(c + 1) * dim];
        let score = u.iter().zip(v).map(|(a, b)| *a as f64 * *b as f64).sum();
        points.push(Point {
            count: pair.count,
            target,
            score,
        });
    }
    if points.len() < 3 {
        return Err(Error::Counts {
            path: counts.path.clone(),
            message: format!(
                "only {} pairs seen at least {min_count} times with both k-mers in the model",
                points.len()
            ),
        });
    }
    points.sort_by_key(|p| p.count);
    let deciles = (0..10)
        .map(|d| {
            let part = &points[d * points.len() / 10..(d + 1) * points.len() / 10];
            let n = part.len().max(1) as f64;
            Decile {
                min_count: part.first().map_or(0, |p| p.count),
                max_count: part.last().map_or(0, |p| p.count),
                pairs: part.len(),
                mean_target: part.iter().map(|p| p.target).sum::<f64>() / n,
                mean_score: part.iter().map(|p| p.score).sum::<f64>() / n,
                pearson: pearson_of(part),
            }
        })
        .collect();
    Ok(PmiReport {
        min_count,
        alpha,
        negatives,
        pairs: points.len(),
        pairs_counted: counts.len(),
        pearson: pearson_of(&points),
        spearman: spearman_of(&points),
        deciles,
        points,
    })
}

fn pearson_of(points: &[Point]) -> f64 {
    let (x, y): (Vec<f64>, Vec<f64>) = points.iter().map(|p| (p.target, p.score)).unzip();
    pearson(&x, &y)
}

fn spearman_of(points: &[Point]) -> f64 {
    let (x, y): (Vec<f64>, Vec<f64>) = points.iter().map(|p| (p.target, p.score)).unzip();
    pearson(&ranks(&x), &ranks(&y))
}

/// Pearson's correlation; NaN when either side is constant.
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    sxy / (sxx * syy).sqrt()
}

/// Ranks from 1, ties sharing their mean rank.
pub fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && values[order[j]] == values[order[i]] {
            j += 1;
        }
        let rank = (i + j + 1) as f64 / 2.0;
        for &o in &order[i..j] {
            ranks[o] = rank;
        }
        i = j;
    }
    ranks
}

impl PmiReport {
    /// The readable table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "pairs with X_wc >= {}: {} (of {} counted); target PMI - ln {} (alpha {})",
            self.min_count, self.pairs, self.pairs_counted, self.negatives, self.alpha
        );
        let _ = writeln!(out, "pearson r   {:.4}", self.pearson);
        let _ = writeln!(out, "spearman rho {:.4}", self.spearman);
        let _ = writeln!(
            out,
            "{:>6}  {:>21}  {:>8}  {:>11}  {:>10}  {:>7}",
            "decile", "X_wc", "pairs", "mean target", "mean u.v", "r"
        );
        for (d, decile) in self.deciles.iter().enumerate() {
            let _ = writeln!(
                out,
                "{:>6}  {:>10}..{:<9}  {:>8}  {:>11.3}  {:>10.3}  {:>7.4}",
                d + 1,
                decile.min_count,
                decile.max_count,
                decile.pairs,
                decile.mean_target,
                decile.mean_score,
                decile.pearson
            );
        }
        out
    }

    /// The scatter of u·v against the target as an SVG document (at most `max_points`
    /// points, evenly spaced through the pairs), with the line u·v = target.
    pub fn scatter_svg(&self, max_points: usize) -> String {
        let step = self.points.len().div_ceil(max_points.max(1)).max(1);
        let shown: Vec<&Point> = self.points.iter().step_by(step).collect();
        let (lo, hi) = extent(shown.iter().flat_map(|p| [p.target, p.score]));
        let (lo, hi) = (lo.floor(), hi.ceil());
        let mut chart = Chart::new(
            &format!(
                "u·v against PMI − ln {} ({} pairs with X ≥ {}; r = {:.3}, ρ = {:.3})",
                self.negatives, self.pairs, self.min_count, self.pearson, self.spearman
            ),
            "PMI(w, c) − ln k (from the counts)",
            "u_w · v_c (model)",
            (lo, hi),
            (lo, hi),
        );
        chart.line(&[(lo, lo), (hi, hi)], "#c33");
        chart.points(shown.iter().map(|p| (p.target, p.score, "#1f5fa8")), 1.5);
        chart.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k2c::{CountSettings, CountStats, Header, Pair, Writer};

    /// The toy counts of ACGTAC (k 2, window 2): X(AC,GT) = 2, the other neighbours 1,
    /// marginals AC 4, CG 3, GT 4, TA 3, |D| = 14; so PMI(AC,GT) = ln(2·14/(4·4)).
    #[test]
    fn targets_are_the_hand_computed_shifted_pmi() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("toy.k2c");
        let index = KmerIndex::new(KRange { min: 2, max: 2 });
        let id = |kmer: &str| index.id(2, crate::dna::kmer_code(kmer.as_bytes()).unwrap());
        let mut pairs: Vec<Pair> = [
            ("AC", "CG", 1),
            ("AC", "GT", 2),
            ("AC", "TA", 1),
            ("CG", "GT", 1),
            ("CG", "TA", 1),
            ("GT", "TA", 1),
        ]
        .iter()
        .flat_map(|&(a, b, n)| {
            [
                Pair {
                    w: id(a),
                    c: id(b),
                    count: n,
                },
                Pair {
                    w: id(b),
                    c: id(a),
                    count: n,
                },
            ]
        })
        .collect();
        pairs.sort();
        let header = Header {
            written_by: "test".into(),
            settings: CountSettings {
                k_min: 2,
                k_max: 2,
                canonical: false,
                window: 2,
                seed: 1,
                weights: crate::k2c::WindowWeights::Flat,
            },
            stats: CountStats::default(),
        };
        let file = std::fs::File::create(&path).unwrap();
        let mut writer = Writer::new(file, &path, &header, &vec![0; index.len()]).unwrap();
        for pair in pairs {
            writer.push(pair).unwrap();
        }
        writer.finish().unwrap();
        let counts = Counts::open(&path).unwrap();
        // u·v = 1 for every pair: only the targets matter here.
        let kmers = ["AC", "CG", "GT", "TA"];
        let model = Model {
            kmers: kmers.iter().map(|k| k.to_string()).collect(),
            k: vec![2; 4],
            counts: vec![1; 4],
            dim: 1,
            vectors: vec![1.0; 4],
            contexts: Some(vec![1.0; 4]),
            metadata: Vec::new(),
        };
        let report = check(&model, &path, &counts, 2, 1.0, 1).unwrap();
        assert_eq!(report.pairs, 12);
        let strongest = report.points.last().unwrap();
        assert_eq!(strongest.count, 2);
        let expected = (2.0f64 * 14.0 / (4.0 * 4.0)).ln() - 2f64.ln();
        assert!(
            (strongest.target - expected).abs() < 1e-12,
            "{}",
            strongest.target
        );
        // PMI(CG, TA) = ln(1·14/(3·3)).
        let cg_ta = (14.0f64 / 9.0).ln() - 2f64.ln();
        assert!(report
            .points
            .iter()
            .any(|p| (p.target - cg_ta).abs() < 1e-12));
        assert!(report.scatter_svg(100).starts_with("<svg"));
    }

    #[test]
    fn ranks_share_ties_and_spearman_is_rank_pearson() {
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), [3.5, 1.0, 3.5, 2.0]);
        let x = [1.0, 2.0, 3.0, 4.0];
        assert!((pearson(&x, &[2.0, 4.0, 6.0, 8.0]) - 1.0).abs() < 1e-12);
        assert!((pearson(&x, &[8.0, 6.0, 4.0, 2.0]) + 1.0).abs() < 1e-12);
        // Monotone but not linear: Spearman 1, Pearson below 1.
        let points: Vec<Point> = x
            .iter()
            .map(|&t| Point {
                count: 1,
                target: t,
                score: t.powi(4),
            })
            .collect();
        assert!((spearman_of(&points) - 1.0).abs() < 1e-12);
        assert!(pearson_of(&points) < 0.99);
    }
}
