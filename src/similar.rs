//! Nearest k-mers by cosine similarity, cos(a, b) = a·b / (‖a‖·‖b‖).

use crate::dna::{canonical, kmer_code, kmer_string};
use crate::model::Model;

/// The `n` k-mers most similar to `query` (excluding itself), most similar first, or `None`
/// if the model has no row for `query`. A canonical model is asked for the query's
/// canonical form.
pub fn most_similar(model: &Model, query: &str, n: usize) -> Option<Vec<(String, f32)>> {
    let query = query.to_ascii_uppercase();
    let row = model.kmers.iter().position(|k| *k == query).or_else(|| {
        let code = kmer_code(query.as_bytes())?;
        let canonical_query = kmer_string(canonical(code, query.len()), query.len());
        model.kmers.iter().position(|k| *k == canonical_query)
    })?;
    let norm = |v: &[f32]| {
        v.iter()
            .map(|x| x * x)
            .sum::<f32>()
            .sqrt()
            .max(f32::MIN_POSITIVE)
    };
    let q = model.vector(row);
    let q_norm = norm(q);
    let mut scored: Vec<(usize, f32)> = (0..model.len())
        .filter(|&i| i != row)
        .map(|i| {
            let v = model.vector(i);
            let dot: f32 = q.iter().zip(v).map(|(a, b)| a * b).sum();
            (i, dot / (q_norm * norm(v)))
        })
        .collect();
    let n = n.min(scored.len());
    if n == 0 {
        return Some(Vec::new());
    }
    scored.select_nth_unstable_by(n - 1, |a, b| b.1.total_cmp(&a.1));
    scored.truncate(n);
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    Some(
        scored
            .into_iter()
            .map(|(i, s)| (model.kmers[i].clone(), s))
            .collect(),
    )
}
