//! `kmer2vec report MODEL -o report.html`: one self-contained HTML page (inline SVG, inline
//! CSS, no script, nothing fetched) that shows a model to a person: the run's settings and
//! statistics, the training loss curve, a 2-D map of the k-mers (`pca`) coloured by GC
//! content and by k, the similarity-vs-alignment scatter and `evaluate`'s table, the
//! shifted-PMI scatter when counts are given, and nearest-neighbour examples.

use crate::alignment::global_score;
use crate::evaluate::Evaluation;
use crate::model::{Model, PARAMS_KEY, STATS_KEY, VERSION_KEY};
use crate::pca;
use crate::pmi::PmiReport;
use crate::sentences::{below, stream_rng, Stream};
use crate::similar::most_similar;
use crate::svg::{escape, extent, scale_colour, Chart, PALETTE};
use rand::Rng;
use std::fmt::Write as _;

/// Points drawn on the map (a seeded sample, an equal share per k, when the model has
/// more rows).
const MAP_POINTS: usize = 4000;

/// The report page of `model` (read from `name`), with its evaluation and, when counts
/// were given, the PMI check.
pub fn render(
    model: &Model,
    name: &str,
    evaluation: &Evaluation,
    pmi: Option<&PmiReport>,
) -> String {
    let mut html = String::new();
    let title = format!("kmer2vec report: {}", escape(name));
    let _ = write!(
        html,
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; max-width: 1180px; margin: 2em auto; color: #222; }}
h1 {{ font-size: 1.5em; }} h2 {{ font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }}
table {{ border-collapse: collapse; font-size: 0.9em; }} td, th {{ border: 1px solid #ddd; padding: 2px 8px; text-align: left; }}
pre {{ background: #f6f6f6; padding: 1em; overflow-x: auto; }}
.charts {{ display: flex; flex-wrap: wrap; gap: 1em; }} .note {{ color: #666; font-size: 0.9em; }}
</style></head><body>
<h1>{title}</h1>
"#
    );
    let ks = {
        let mut ks: Vec<u8> = model.k.clone();
        ks.sort_unstable();
        ks.dedup();
        ks.iter().map(u8::to_string).collect::<Vec<_>>().join(", ")
    };
    let _ = writeln!(
        html,
        "<p>{} k-mers (k {}), {} dimensions{}.</p>",
        model.len(),
        ks,
        model.dim,
        model
            .metadata(VERSION_KEY)
            .map(|v| format!(", written by kmer2vec {}", escape(v)))
            .unwrap_or_default()
    );

    html.push_str("<h2 id=\"checks\">Checks</h2>\n");
    let _ = writeln!(html, "<pre>{}</pre>", escape(&evaluation.table()));
    html.push_str("<div class=\"charts\">\n");
    if let Some(similarity) = &evaluation.similarity {
        html.push_str(&similarity_chart(similarity, evaluation.seed));
    }
    if let Some(pmi) = pmi {
        html.push_str(&pmi.scatter_svg(5000));
    }
    html.push_str("</div>\n");

    html.push_str("<h2 id=\"map\">Map of the k-mers</h2>\n");
    html.push_str(&map_charts(model, evaluation.seed));

    html.push_str("<h2 id=\"training\">Training</h2>\n");
    let stats = model
        .metadata(STATS_KEY)
        .and_then(|json| serde_json::from_str::<serde_json::Value>(json).ok());
    match stats.as_ref().and_then(|s| s["loss_curve"].as_array()) {
        Some(curve) if !curve.is_empty() => html.push_str(&loss_chart(curve)),
        _ => html.push_str(
            "<p class=\"note\">No loss curve in this file (written by an older kmer2vec or \
             by another tool).</p>\n",
        ),
    }
    html.push_str("<div class=\"charts\">\n");
    for (heading, key) in [("Settings", PARAMS_KEY), ("Statistics", STATS_KEY)] {
        let value = model
            .metadata(key)
            .and_then(|json| serde_json::from_str::<serde_json::Value>(json).ok());
        if let Some(serde_json::Value::Object(fields)) = value {
            let _ = writeln!(html, "<div><h3>{heading}</h3><table>");
            for (field, value) in fields.iter().filter(|(f, _)| *f != "loss_curve") {
                let text = match value {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let _ = writeln!(
                    html,
                    "<tr><th>{}</th><td>{}</td></tr>",
                    escape(field),
                    escape(&text)
                );
            }
            html.push_str("</table></div>\n");
        }
    }
    html.push_str("</div>\n");

    html.push_str("<h2 id=\"neighbours\">Nearest neighbours</h2>\n");
    html.push_str(&neighbour_examples(model, evaluation));
    html.push_str("</body></html>\n");
    html
}

/// Cosine against alignment score over the similarity check's pairs (scores jittered
/// sideways so that the integer columns show their density).
fn similarity_chart(similarity: &crate::evaluate::Similarity, seed: u64) -> String {
    let mut rng = stream_rng(seed, Stream::Evaluation, 1, 0);
    let points: Vec<(f64, f64)> = (similarity.points.iter().take(4000))
        .map(|&[score, cosine]| {
            let jitter = (rng.next_u32() as f64 / u32::MAX as f64 - 0.5) * 0.6;
            (score + jitter, cosine)
        })
        .collect();
    let (x, y) = (
        extent(points.iter().map(|p| p.0)),
        extent(points.iter().map(|p| p.1)),
    );
    let mut chart = Chart::new(
        &format!(
            "{}-mer pairs: cosine vs alignment (Spearman {:.3})",
            similarity.k, similarity.spearman
        ),
        "Needleman–Wunsch score",
        "cosine similarity",
        (x.0 - 0.2, x.1 + 0.2),
        y,
    );
    chart.points(points.iter().map(|&(a, b)| (a, b, "#1f5fa8")), 1.6);
    chart.finish()
}

/// The first two principal components of a sample of the rows, twice: coloured by GC
/// content and by k.
fn map_charts(model: &Model, seed: u64) -> String {
    // An equal share of the points for each k (8-mers would otherwise be three in four).
    let mut rng = stream_rng(seed, Stream::Evaluation, 2, 0);
    let mut ks: Vec<u8> = model.k.clone();
    ks.sort_unstable();
    ks.dedup();
    let share = MAP_POINTS / ks.len().max(1);
    let mut rows = Vec::new();
    for &k in &ks {
        let of_k: Vec<usize> = (0..model.len()).filter(|&r| model.k[r] == k).collect();
        if of_k.len() <= share {
            rows.extend(of_k);
        } else {
            let mut sample: Vec<usize> = (0..share)
                .map(|_| of_k[below(rng.next_u32(), of_k.len() as u32) as usize])
                .collect();
            sample.sort_unstable();
            sample.dedup();
            rows.extend(sample);
        }
    }
    let vectors: Vec<f32> = rows
        .iter()
        .flat_map(|&r| model.vector(r).iter().copied())
        .collect();
    let projection = pca::project(&vectors, model.dim);
    let coordinates = &projection.coordinates;
    let (x, y) = (
        extent(coordinates.iter().map(|c| c[0] as f64)),
        extent(coordinates.iter().map(|c| c[1] as f64)),
    );
    let axes = |i: usize| {
        format!(
            "PC{} ({:.1} % of the variance)",
            i + 1,
            100.0 * projection.explained[i]
        )
    };
    let gc = |row: usize| {
        let kmer = model.kmers[row].as_bytes();
        kmer.iter().filter(|&&b| b == b'G' || b == b'C').count() as f64 / kmer.len() as f64
    };
    let mut by_gc = Chart::new(
        &format!("{} k-mers by GC content", rows.len()),
        &axes(0),
        &axes(1),
        x,
        y,
    );
    let colours: Vec<String> = rows.iter().map(|&r| scale_colour(gc(r))).collect();
    by_gc.points(
        (coordinates.iter().zip(&colours))
            .map(|(c, colour)| (c[0] as f64, c[1] as f64, colour.as_str())),
        1.8,
    );
    for (label, t) in [("GC 0 %", 0.0), ("GC 50 %", 0.5), ("GC 100 %", 1.0)] {
        by_gc.legend(label, &scale_colour(t));
    }
    let colour_of_k = |k: u8| PALETTE[ks.iter().position(|&x| x == k).unwrap_or(0) % PALETTE.len()];
    let mut by_k = Chart::new(
        &format!("{} k-mers by k", rows.len()),
        &axes(0),
        &axes(1),
        x,
        y,
    );
    by_k.points(
        (coordinates.iter().zip(&rows))
            .map(|(c, &r)| (c[0] as f64, c[1] as f64, colour_of_k(model.k[r]))),
        1.8,
    );
    for &k in &ks {
        by_k.legend(&format!("k {k}"), colour_of_k(k));
    }
    format!(
        "<div class=\"charts\">\n{}{}</div>\n",
        by_gc.finish(),
        by_k.finish()
    )
}

/// The loss curve recorded during training.
fn loss_chart(curve: &[serde_json::Value]) -> String {
    let points: Vec<(f64, f64)> = curve
        .iter()
        .filter_map(|p| Some((p[0].as_f64()?, p[1].as_f64()?)))
        .collect();
    let (x, y) = (
        extent(points.iter().map(|p| p.0)),
        extent(points.iter().map(|p| p.1)),
    );
    let mut chart = Chart::new(
        "training loss (mean −ln σ per pair, by 1 % of the run)",
        "tokens processed",
        "loss",
        (0.0, x.1),
        (0.0, y.1 * 1.05),
    );
    chart.line(&points, "#c33");
    chart.finish()
}

/// For the most frequent k-mer of each k (the first one when counts are unknown), its
/// five nearest neighbours by cosine with their alignment scores.
fn neighbour_examples(model: &Model, evaluation: &Evaluation) -> String {
    let mut best: Vec<(u8, usize)> = Vec::new();
    for row in 0..model.len() {
        let k = model.k[row];
        match best.iter_mut().find(|(bk, _)| *bk == k) {
            Some(entry) if model.counts[row] > model.counts[entry.1] => entry.1 = row,
            Some(_) => {}
            None => best.push((k, row)),
        }
    }
    best.sort_unstable();
    let mut html = String::from(
        "<table><tr><th>k-mer</th><th>nearest neighbours (cosine, alignment score)</th></tr>\n",
    );
    for (_, row) in best {
        let kmer = &model.kmers[row];
        let neighbours = most_similar(model, kmer, 5).unwrap_or_default();
        let cells: Vec<String> = neighbours
            .iter()
            .map(|(other, cosine)| {
                let score = global_score(kmer.as_bytes(), other.as_bytes(), evaluation.scoring);
                format!("<code>{}</code> ({cosine:.3}, {score})", escape(other))
            })
            .collect();
        let _ = writeln!(
            html,
            "<tr><td><code>{}</code></td><td>{}</td></tr>",
            escape(kmer),
            cells.join(" · ")
        );
    }
    html.push_str("</table>\n");
    html
}
