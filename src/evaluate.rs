//! `kmer2vec evaluate MODEL`: dna2vec's checks of an embedding, seeded and fast.
//!
//! - Similarity against alignment: over random pairs of k-mers of one k (8 by default),
//!   Pearson's and Spearman's correlation of cos(a, b) with the Needleman–Wunsch score
//!   (`alignment`; dna2vec's scoring by default, the longest common subsequence).
//! - Nearest neighbour against random: for a sample of k-mers of each k (all of them when
//!   there are few), the mean alignment score of each one's nearest neighbour by cosine
//!   among the k-mers of its k, and of a random k-mer of that k. A useful embedding puts
//!   the first well above the second.
//! - Concatenation arithmetic: for a random 5-mer a and 3-mer b, the rank of the 8-mer ab
//!   among all 8-mers by cosine to vec(a) + vec(b); the share of ranks within 1, 10, 100.
//! - With counts (`--counts X.k2c`) and context vectors: the shifted-PMI correlation
//!   (`pmi`).
//!
//! Samples come from the seed's own random stream and are drawn before any parallel work,
//! from the k-mers in sorted order, so a seed gives the same samples on any thread count
//! and for any model of the same k-mers, whatever its row order.

use crate::alignment::{global_score, Scoring};
use crate::kernels::dot;
use crate::model::Model;
use crate::pmi::{pearson, ranks};
use crate::sentences::{below, stream_rng, Stream};
use rand::Rng;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write as _;

/// What to sample.
#[derive(Debug, Clone)]
pub struct Settings {
    /// k of the similarity check's pairs.
    pub k: usize,
    /// Pairs in the similarity check.
    pub pairs: usize,
    /// K-mers per k in the nearest-neighbour check.
    pub queries: usize,
    /// Trials of the concatenation check.
    pub trials: usize,
    pub scoring: Scoring,
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            k: 8,
            pairs: 10_000,
            queries: 1_000,
            trials: 1_000,
            scoring: Scoring::DNA2VEC,
            seed: 1,
        }
    }
}

/// The report.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub scoring: Scoring,
    pub seed: u64,
    /// `None` when the model has fewer than two k-mers of the asked k.
    pub similarity: Option<Similarity>,
    pub neighbours: Vec<Neighbours>,
    /// `None` when the model lacks 3-, 5- or 8-mers.
    pub concatenation: Option<Concatenation>,
    /// Filled in by the caller when counts are given.
    pub pmi: Option<PmiSummary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Similarity {
    pub k: usize,
    pub pairs: usize,
    pub pearson: f64,
    pub spearman: f64,
    pub mean_score: f64,
    /// (alignment score, cosine) of each pair, for the report's scatter.
    #[serde(skip)]
    pub points: Vec<[f64; 2]>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Neighbours {
    pub k: usize,
    pub queries: usize,
    /// Mean alignment score of each query's nearest neighbour.
    pub nearest: f64,
    /// Mean alignment score of a random k-mer of the same k.
    pub random: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Concatenation {
    pub trials: usize,
    /// Shares of trials whose 8-mer ranked within 1, 10 and 100.
    pub hits_at_1: f64,
    pub hits_at_10: f64,
    pub hits_at_100: f64,
    pub median_rank: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PmiSummary {
    pub pairs: usize,
    pub min_count: u64,
    pub pearson: f64,
    pub spearman: f64,
}

/// Unit vectors of the model's rows, and its rows grouped by k.
struct Space<'a> {
    model: &'a Model,
    dim: usize,
    units: Vec<f32>,
    by_k: HashMap<usize, Vec<usize>>,
}

impl<'a> Space<'a> {
    fn new(model: &'a Model) -> Self {
        let dim = model.dim;
        let mut units = model.vectors.clone();
        for row in units.chunks_exact_mut(dim) {
            let norm = dot(row, row).sqrt().max(f32::MIN_POSITIVE);
            row.iter_mut().for_each(|x| *x /= norm);
        }
        let mut by_k: HashMap<usize, Vec<usize>> = HashMap::new();
        for (row, &k) in model.k.iter().enumerate() {
            by_k.entry(k as usize).or_default().push(row);
        }
        // In k-mer order, so that two models of the same k-mers get the same samples
        // whatever their row order (kmer2vec's by id, gensim's by frequency).
        for rows in by_k.values_mut() {
            rows.sort_by(|&a, &b| model.kmers[a].cmp(&model.kmers[b]));
        }
        Space {
            model,
            dim,
            units,
            by_k,
        }
    }

    fn unit(&self, row: usize) -> &[f32] {
        &self.units[row * self.dim..(row + 1) * self.dim]
    }

    fn cosine(&self, a: usize, b: usize) -> f32 {
        dot(self.unit(a), self.unit(b))
    }

    fn score(&self, a: usize, b: usize, scoring: Scoring) -> i32 {
        let kmers = &self.model.kmers;
        global_score(kmers[a].as_bytes(), kmers[b].as_bytes(), scoring)
    }

    fn rows(&self, k: usize) -> &[usize] {
        self.by_k.get(&k).map_or(&[], Vec::as_slice)
    }
}

/// Runs the checks on `model`.
pub fn evaluate(model: &Model, settings: &Settings) -> Evaluation {
    let space = Space::new(model);
    let mut rng = stream_rng(settings.seed, Stream::Evaluation, 0, 0);
    let mut pick = |rows: &[usize]| rows[below(rng.next_u32(), rows.len() as u32) as usize];
    let similarity = {
        let rows = space.rows(settings.k);
        (rows.len() >= 2 && settings.pairs > 0).then(|| {
            let pairs: Vec<(usize, usize)> = (0..settings.pairs)
                .map(|_| loop {
                    let (a, b) = (pick(rows), pick(rows));
                    if a != b {
                        break (a, b);
                    }
                })
                .collect();
            let (cosines, scores): (Vec<f64>, Vec<f64>) = pairs
                .iter()
                .map(|&(a, b)| {
                    let score = space.score(a, b, settings.scoring);
                    (space.cosine(a, b) as f64, score as f64)
                })
                .unzip();
            Similarity {
                k: settings.k,
                pairs: pairs.len(),
                pearson: pearson(&cosines, &scores),
                spearman: pearson(&ranks(&cosines), &ranks(&scores)),
                mean_score: scores.iter().sum::<f64>() / scores.len() as f64,
                points: scores.iter().zip(&cosines).map(|(&s, &c)| [s, c]).collect(),
            }
        })
    };
    let mut ks: Vec<usize> = space.by_k.keys().copied().collect();
    ks.sort_unstable();
    let neighbours = ks
        .iter()
        .filter(|&&k| space.rows(k).len() >= 3 && settings.queries > 0)
        .map(|&k| {
            let rows = space.rows(k);
            // Every k-mer when there are no more than `queries`, else a sample.
            let exhaustive = rows.len() <= settings.queries;
            let draws: Vec<(usize, usize)> = (0..settings.queries.min(rows.len()))
                .map(|i| {
                    let query = if exhaustive { rows[i] } else { pick(rows) };
                    let other = loop {
                        let other = pick(rows);
                        if other != query {
                            break other;
                        }
                    };
                    (query, other)
                })
                .collect();
            let (nearest, random): (Vec<f64>, Vec<f64>) = draws
                .par_iter()
                .map(|&(query, other)| {
                    let nearest = nearest_row(&space, query, rows);
                    (
                        space.score(query, nearest, settings.scoring) as f64,
                        space.score(query, other, settings.scoring) as f64,
                    )
                })
                .unzip();
            Neighbours {
                k,
                queries: draws.len(),
                nearest: mean(&nearest),
                random: mean(&random),
            }
        })
        .collect();
    let concatenation = concatenation(&space, settings, &mut pick);
    Evaluation {
        scoring: settings.scoring,
        seed: settings.seed,
        similarity,
        neighbours,
        concatenation,
        pmi: None,
    }
}

/// The concatenation check: vec(a) + vec(b) against the 8-mers, a a 5-mer, b a 3-mer.
fn concatenation(
    space: &Space,
    settings: &Settings,
    pick: &mut impl FnMut(&[usize]) -> usize,
) -> Option<Concatenation> {
    let (fives, threes, eights) = (space.rows(5), space.rows(3), space.rows(8));
    if fives.is_empty() || threes.is_empty() || eights.is_empty() || settings.trials == 0 {
        return None;
    }
    let row_of: HashMap<&str, usize> = eights
        .iter()
        .map(|&row| (space.model.kmers[row].as_str(), row))
        .collect();
    // Trials whose 8-mer the model has (a tries budget keeps a sparse model finite).
    let mut trials = Vec::new();
    for _ in 0..settings.trials * 20 {
        if trials.len() == settings.trials {
            break;
        }
        let (a, b) = (pick(fives), pick(threes));
        let joined = format!("{}{}", space.model.kmers[a], space.model.kmers[b]);
        if let Some(&target) = row_of.get(joined.as_str()) {
            trials.push((a, b, target));
        }
    }
    if trials.is_empty() {
        return None;
    }
    let ranks: Vec<usize> = trials
        .par_iter()
        .map(|&(a, b, target)| {
            let query: Vec<f32> = (space.model.vector(a).iter())
                .zip(space.model.vector(b))
                .map(|(x, y)| x + y)
                .collect();
            let target_score = dot(&query, space.unit(target));
            1 + eights
                .iter()
                .filter(|&&row| row != target && dot(&query, space.unit(row)) > target_score)
                .count()
        })
        .collect();
    let share = |n: usize| ranks.iter().filter(|&&r| r <= n).count() as f64 / ranks.len() as f64;
    let mut sorted = ranks.clone();
    sorted.sort_unstable();
    let median_rank = if sorted.len() % 2 == 1 {
        sorted[sorted.len() / 2] as f64
    } else {
        (sorted[sorted.len() / 2 - 1] + sorted[sorted.len() / 2]) as f64 / 2.0
    };
    Some(Concatenation {
        trials: ranks.len(),
        hits_at_1: share(1),
        hits_at_10: share(10),
        hits_at_100: share(100),
        median_rank,
    })
}

/// The row of `rows` with the highest cosine to `query`, other than itself.
fn nearest_row(space: &Space, query: usize, rows: &[usize]) -> usize {
    let q = space.unit(query);
    let mut best = (f32::NEG_INFINITY, query);
    for &row in rows {
        if row != query {
            let cosine = dot(q, space.unit(row));
            if cosine > best.0 {
                best = (cosine, row);
            }
        }
    }
    best.1
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

impl Evaluation {
    /// The readable table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let Scoring {
            matched,
            mismatched,
            gap,
        } = self.scoring;
        let _ = writeln!(
            out,
            "alignment scoring: match {matched}, mismatch {mismatched}, gap {gap} (Needleman–Wunsch); seed {}",
            self.seed
        );
        out.push_str("\nsimilarity vs alignment\n");
        match &self.similarity {
            Some(s) => {
                let _ = writeln!(
                    out,
                    "  {}-mers, {} random pairs: Pearson {:.3}, Spearman {:.3} (mean score {:.2})",
                    s.k, s.pairs, s.pearson, s.spearman, s.mean_score
                );
            }
            None => out.push_str("  not enough k-mers of that k\n"),
        }
        out.push_str("\nnearest neighbour vs random (mean alignment score)\n");
        let _ = writeln!(
            out,
            "  {:>3}  {:>7}  {:>8}  {:>7}  {:>6}",
            "k", "queries", "nearest", "random", "gain"
        );
        for n in &self.neighbours {
            let _ = writeln!(
                out,
                "  {:>3}  {:>7}  {:>8.3}  {:>7.3}  {:>+6.3}",
                n.k,
                n.queries,
                n.nearest,
                n.random,
                n.nearest - n.random
            );
        }
        out.push_str("\nconcatenation: rank of ab among 8-mers by cosine to vec(a)+vec(b), a 5-mer, b 3-mer\n");
        match &self.concatenation {
            Some(c) => {
                let _ = writeln!(
                    out,
                    "  {} trials: hits@1 {:.1} %, hits@10 {:.1} %, hits@100 {:.1} % (median rank {})",
                    c.trials,
                    100.0 * c.hits_at_1,
                    100.0 * c.hits_at_10,
                    100.0 * c.hits_at_100,
                    c.median_rank
                );
            }
            None => out.push_str("  needs 3-, 5- and 8-mers in the model\n"),
        }
        if let Some(p) = &self.pmi {
            out.push_str("\nshifted PMI (u·v against PMI − ln k)\n");
            let _ = writeln!(
                out,
                "  {} pairs seen ≥ {} times: Pearson {:.3}, Spearman {:.3}",
                p.pairs, p.min_count, p.pearson, p.spearman
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A model of all 3- and 5-mers and 2,000 8-mers whose vectors are their bases one-hot
    /// by position, so cosine follows the Hamming similarity: the checks must see it.
    fn one_hot_model() -> Model {
        let bases = b"ACGT";
        let mut kmers = Vec::new();
        for k in [3usize, 5, 8] {
            let limit = if k == 8 { 2000 } else { 4usize.pow(k as u32) };
            for code in 0..limit {
                let code = code * (4usize.pow(k as u32) / limit);
                kmers.push(
                    (0..k)
                        .rev()
                        .map(|j| bases[(code >> (2 * j)) & 3] as char)
                        .collect::<String>(),
                );
            }
        }
        let dim = 32;
        let mut vectors = Vec::new();
        for kmer in &kmers {
            let mut v = vec![0.0f32; dim];
            for (i, b) in kmer.bytes().enumerate() {
                let slot = bases.iter().position(|&x| x == b).unwrap();
                v[(i * 4 + slot) % dim] += 1.0;
            }
            vectors.extend(v);
        }
        Model {
            k: kmers.iter().map(|k| k.len() as u8).collect(),
            counts: vec![1; kmers.len()],
            kmers,
            dim,
            vectors,
            contexts: None,
            metadata: Vec::new(),
        }
    }

    #[test]
    fn base_encoding_vectors_pass_the_checks() {
        let model = one_hot_model();
        let settings = Settings {
            pairs: 2000,
            queries: 200,
            trials: 200,
            ..Settings::default()
        };
        let report = evaluate(&model, &settings);
        let similarity = report.similarity.as_ref().unwrap();
        assert!(similarity.spearman > 0.3, "{report:?}");
        for n in &report.neighbours {
            assert!(n.nearest > n.random, "{n:?}");
        }
        assert!(report.concatenation.is_some());
        // Same seed, same report; the table names every check.
        let again = evaluate(&model, &settings);
        assert_eq!(format!("{report:?}"), format!("{again:?}"));
        let table = report.table();
        for needle in [
            "similarity vs alignment",
            "nearest neighbour",
            "concatenation",
        ] {
            assert!(table.contains(needle), "{table}");
        }
    }

    #[test]
    fn random_vectors_fail_the_checks() {
        let mut model = one_hot_model();
        let mut rng = stream_rng(7, Stream::Evaluation, 0, 0);
        for x in &mut model.vectors {
            *x = (rng.next_u32() as f32 / u32::MAX as f32) - 0.5;
        }
        let report = evaluate(&model, &Settings::default());
        let similarity = report.similarity.unwrap();
        assert!(similarity.spearman.abs() < 0.1, "{similarity:?}");
        let hits = report.concatenation.unwrap().hits_at_10;
        assert!(hits < 0.05, "hits@10 {hits}");
    }
}
