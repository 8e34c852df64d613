//! `kmer2vec evaluate` as a user runs it: dna2vec's checks on a model trained on lambda
//! phage, as a table and as JSON, with and without counts, and its refusals.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn kmer2vec() -> Command {
    Command::cargo_bin("kmer2vec").expect("the kmer2vec binary is built")
}

fn lambda() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/lambda_virus.fa")
}

/// A dna2vec-style model of lambda phage (k 3..8, two copies, 10 epochs: 3 epochs of one
/// copy learned nothing measurable), with context vectors.
fn lambda_model(dir: &TempDir) -> PathBuf {
    let model = dir.path().join("lambda.parquet");
    kmer2vec()
        .args([
            "embed",
            "-q",
            "--epochs",
            "10",
            "--dim",
            "32",
            "--threads",
            "1",
        ])
        .args(["--seed", "7", "--context-vectors", "-o"])
        .arg(&model)
        .args([lambda(), lambda()])
        .assert()
        .success();
    model
}

fn evaluate(model: &Path, options: &[&str]) -> String {
    let output = kmer2vec()
        .arg("evaluate")
        .arg(model)
        .args(options)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(output).unwrap()
}

#[test]
fn evaluate_reports_dna2vecs_checks() {
    let dir = TempDir::new().unwrap();
    let model = lambda_model(&dir);
    let options = [
        "--k",
        "6",
        "--pairs",
        "2000",
        "--queries",
        "200",
        "--trials",
        "200",
    ];
    let json = evaluate(&model, &[&options[..], &["--json"]].concat());
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    // Cosine follows alignment (measured: Spearman 0.35 on 2,000 6-mer pairs) and nearest
    // neighbours align better than random k-mers at every k (by 0.5–1.1).
    let similarity = &report["similarity"];
    assert_eq!(similarity["k"], 6);
    assert_eq!(similarity["pairs"], 2000);
    assert!(
        similarity["spearman"].as_f64().unwrap() > 0.15,
        "{similarity}"
    );
    let neighbours = report["neighbours"].as_array().unwrap();
    assert_eq!(neighbours.len(), 6, "k 3..8");
    for n in neighbours {
        assert!(
            n["nearest"].as_f64().unwrap() > n["random"].as_f64().unwrap(),
            "{n}"
        );
    }
    let concatenation = &report["concatenation"];
    assert!(
        concatenation["trials"].as_u64().unwrap() > 0,
        "{concatenation}"
    );
    let hits = |n: &str| concatenation[n].as_f64().unwrap();
    assert!(hits("hits_at_1") <= hits("hits_at_10") && hits("hits_at_10") <= hits("hits_at_100"));
    assert_eq!(report["scoring"]["matched"], 1);
    assert!(report["pmi"].is_null());
    // Seeded: the same report twice; the table names each check.
    assert_eq!(
        json,
        evaluate(&model, &[&options[..], &["--json"]].concat())
    );
    let table = evaluate(&model, &options);
    for needle in [
        "similarity vs alignment",
        "nearest neighbour vs random",
        "hits@10",
    ] {
        assert!(table.contains(needle), "{table}");
    }
}

#[test]
fn evaluate_with_counts_adds_the_pmi_fit() {
    let dir = TempDir::new().unwrap();
    let model = lambda_model(&dir);
    let counts = dir.path().join("lambda.k2c");
    kmer2vec()
        .args(["count", "-q", "--k", "4", "--window-weights", "flat", "-o"])
        .arg(&counts)
        .arg(lambda())
        .assert()
        .success();
    let counts = counts.to_str().unwrap();
    let options = [
        "--pairs",
        "500",
        "--queries",
        "50",
        "--trials",
        "50",
        "--json",
    ];
    let options = [&options[..], &["--min-count", "20"]].concat();
    let json = evaluate(&model, &[&options[..], &["--counts", counts]].concat());
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let pmi = &report["pmi"];
    assert!(pmi["pairs"].as_u64().unwrap() > 0, "{pmi}");
    // Measured: Pearson 0.58 on 14,041 4-mer pairs.
    assert!(pmi["pearson"].as_f64().unwrap() > 0.3, "{pmi}");
}

#[test]
fn evaluate_refusals_are_one_line() {
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("no-such.parquet");
    let no_contexts = dir.path().join("plain.parquet");
    kmer2vec()
        .args([
            "embed", "-q", "--k", "4", "--epochs", "1", "--dim", "8", "-o",
        ])
        .arg(&no_contexts)
        .arg(lambda())
        .assert()
        .success();
    let counts = dir.path().join("lambda.k2c");
    kmer2vec()
        .args(["count", "-q", "--k", "4", "-o"])
        .arg(&counts)
        .arg(lambda())
        .assert()
        .success();
    let cases: [(Vec<&std::ffi::OsStr>, &str); 2] = [
        (vec![missing.as_os_str()], "no-such.parquet"),
        (
            vec![
                no_contexts.as_os_str(),
                "--counts".as_ref(),
                counts.as_os_str(),
            ],
            "context vectors",
        ),
    ];
    for (args, needle) in cases {
        let assert = kmer2vec().arg("evaluate").args(&args).assert().failure();
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{stderr}");
    }
}

/// Models of other tools arrive in word2vec's text format: the same vectors written that
/// way evaluate exactly as the Parquet model does; a malformed file names its line.
#[test]
fn evaluate_reads_word2vec_text_models() {
    let dir = TempDir::new().unwrap();
    let (parquet, text) = (dir.path().join("m.parquet"), dir.path().join("m.txt"));
    for (path, format) in [(&parquet, "parquet"), (&text, "word2vec-text")] {
        kmer2vec()
            .args(["embed", "-q", "--k", "3..5", "--epochs", "2", "--dim", "16"])
            .args(["--threads", "1", "--format", format, "-o"])
            .arg(path)
            .arg(lambda())
            .assert()
            .success();
    }
    let options = ["--k", "5", "--pairs", "300", "--queries", "30", "--json"];
    assert_eq!(evaluate(&parquet, &options), evaluate(&text, &options));

    let broken = dir.path().join("broken.txt");
    std::fs::write(&broken, "2 3\nACG 0.1 0.2 0.3\nACGN 0.1 0.2 0.3\n").unwrap();
    let assert = kmer2vec().arg("evaluate").arg(&broken).assert().failure();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("broken.txt") && stderr.contains("line 3"),
        "{stderr}"
    );
}
