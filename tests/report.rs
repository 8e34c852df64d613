//! `kmer2vec report` as a user runs it: one self-contained HTML page with every section and
//! chart, and its refusals. (`tests/report/check_in_chromium.sh` opens it in a browser.)

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn kmer2vec() -> Command {
    Command::cargo_bin("kmer2vec").expect("the kmer2vec binary is built")
}

fn lambda() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/lambda_virus.fa")
}

#[test]
fn report_is_one_self_contained_page() {
    let dir = TempDir::new().unwrap();
    let model = dir.path().join("lambda.parquet");
    kmer2vec()
        .args([
            "embed",
            "-q",
            "--epochs",
            "3",
            "--dim",
            "16",
            "--threads",
            "1",
        ])
        .args(["--context-vectors", "-o"])
        .arg(&model)
        .arg(lambda())
        .assert()
        .success();
    let counts = dir.path().join("lambda.k2c");
    kmer2vec()
        .args(["count", "-q", "--k", "4", "--window-weights", "flat", "-o"])
        .arg(&counts)
        .arg(lambda())
        .assert()
        .success();
    let page = dir.path().join("report.html");
    kmer2vec()
        .arg("report")
        .arg(&model)
        .args([
            "--pairs",
            "500",
            "--queries",
            "50",
            "--trials",
            "50",
            "--min-count",
            "20",
        ])
        .arg("--counts")
        .arg(&counts)
        .arg("-o")
        .arg(&page)
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!doctype html>") && html.trim_end().ends_with("</html>"));
    for section in ["checks", "map", "training", "neighbours"] {
        assert!(
            html.contains(&format!("id=\"{section}\"")),
            "section {section}"
        );
    }
    // Similarity scatter, PMI scatter, the map twice, the loss curve.
    assert_eq!(html.matches("<svg").count(), 5);
    assert!(html.contains("<polyline"), "the loss curve");
    assert!(html.contains("hits@10") && html.contains("shifted PMI"));
    // Nothing to fetch: no scripts, no external images, styles or links.
    for outside in ["<script", "src=\"http", "href=\"http", "@import", "url("] {
        assert!(!html.contains(outside), "{outside}");
    }
}

#[test]
fn report_refusals_leave_nothing() {
    let dir = TempDir::new().unwrap();
    let page = dir.path().join("no-such-dir").join("report.html");
    let model = dir.path().join("m.parquet");
    kmer2vec()
        .args([
            "embed", "-q", "--k", "4", "--epochs", "1", "--dim", "8", "-o",
        ])
        .arg(&model)
        .arg(lambda())
        .assert()
        .success();
    let missing = dir.path().join("no-such.parquet");
    let good_page = dir.path().join("report.html");
    for (model, page, needle) in [
        (&model, &page, "no-such-dir"),
        (&missing, &good_page, "no-such.parquet"),
    ] {
        let assert = kmer2vec()
            .arg("report")
            .arg(model)
            .arg("-o")
            .arg(page)
            .assert()
            .failure();
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{stderr}");
        assert!(!page.exists());
    }
}

/// Training records up to 100 points of its loss curve in the stats metadata (a point per
/// 1 % of the run, fewer when one sentence spans more: here 5 epochs of 48 kb in sentences
/// of 2.5–5 kb gave 67), tokens rising to the whole run, and the loss falling.
#[test]
fn training_records_its_loss_curve() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("m.parquet");
    kmer2vec()
        .args([
            "embed",
            "-q",
            "--k",
            "4",
            "--epochs",
            "5",
            "--dim",
            "16",
            "--threads",
            "1",
            "-o",
        ])
        .arg(&path)
        .arg(lambda())
        .assert()
        .success();
    let model = kmer2vec::parquet_io::read_parquet(&path).unwrap();
    let stats: serde_json::Value =
        serde_json::from_str(model.metadata("kmer2vec.stats").unwrap()).unwrap();
    let curve: Vec<(f64, f64)> = stats["loss_curve"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect();
    assert!((40..=100).contains(&curve.len()), "{} points", curve.len());
    assert!(curve.windows(2).all(|w| w[0].0 < w[1].0), "tokens rise");
    let tokens = stats["tokens"].as_f64().unwrap();
    assert!(curve.last().unwrap().0 > 0.95 * tokens);
    let (first, last) = (curve[0].1, curve.last().unwrap().1);
    assert!(last < first, "loss {first} → {last}");
}
