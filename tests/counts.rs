//! `kmer2vec count` and `kmer2vec merge` as a user runs them: counts checked by hand on a toy
//! sequence, whole-genome counts against merged shards on real data, and refusals.

use assert_cmd::Command;
use kmer2vec::dna::kmer_string;
use kmer2vec::k2c::Counts;
use kmer2vec::kmer_index::KmerIndex;
use kmer2vec::KRange;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn kmer2vec() -> Command {
    Command::cargo_bin("kmer2vec").expect("the kmer2vec binary is built")
}

/// Lambda phage (48,502 bp), the sequence only.
fn lambda_sequence() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/lambda_virus.fa");
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter(|line| !line.starts_with('>'))
        .flat_map(|line| line.trim().bytes())
        .collect()
}

/// Writes a FASTA file of `(name, sequence)` records.
fn fasta(dir: &TempDir, file: &str, records: &[(&str, &[u8])]) -> PathBuf {
    let path = dir.path().join(file);
    let mut text = Vec::new();
    for (name, sequence) in records {
        text.extend(format!(">{name}\n").bytes());
        for line in sequence.chunks(70) {
            text.extend_from_slice(line);
            text.push(b'\n');
        }
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `kmer2vec count INPUTS -o OUT OPTIONS` and opens the result.
fn count(inputs: &[&Path], out: &Path, options: &[&str]) -> Counts {
    kmer2vec()
        .arg("count")
        .args(inputs)
        .arg("-o")
        .arg(out)
        .arg("-q")
        .args(options)
        .assert()
        .success();
    Counts::open(out).expect("the counts read back")
}

/// The pairs of a counts file by k-mer strings.
fn pairs_by_kmer(counts: &Counts) -> HashMap<(String, String), u64> {
    let settings = &counts.header.settings;
    let index = KmerIndex::new(KRange {
        min: settings.k_min,
        max: settings.k_max,
    });
    let name = |id: u32| {
        let (k, code) = index.kmer(id);
        kmer_string(code, k)
    };
    counts
        .pairs()
        .map(|p| ((name(p.w), name(p.c)), p.count))
        .collect()
}

/// Pair counts keyed both ways, (a, b) and (b, a): the counts are symmetric.
fn both_orders(pairs: &[(&str, &str, u64)]) -> HashMap<(String, String), u64> {
    pairs
        .iter()
        .flat_map(|&(a, b, n)| {
            [
                ((a.to_string(), b.to_string()), n),
                ((b.to_string(), a.to_string()), n),
            ]
        })
        .collect()
}

#[test]
fn toy_sequence_counts_match_a_hand_count() {
    let dir = TempDir::new().unwrap();
    let input = fasta(&dir, "toy.fa", &[("toy", b"ACGTAC")]);
    let out = dir.path().join("toy.k2c");
    let options = ["--k", "2", "--window", "2", "--window-weights", "flat"];
    let counts = count(&[&input], &out, &options);
    // Tokens AC CG GT TA AC; pairs at distance 1 or 2, in both orders.
    let expected = both_orders(&[
        ("AC", "CG", 1),
        ("AC", "GT", 2), // positions (0, 2) and (2, 4)
        ("AC", "TA", 1),
        ("CG", "GT", 1),
        ("CG", "TA", 1),
        ("GT", "TA", 1),
    ]);
    assert_eq!(pairs_by_kmer(&counts), expected);
    let index = KmerIndex::new(KRange { min: 2, max: 2 });
    let unigrams: Vec<u64> = counts.unigrams().collect();
    let unigram = |kmer: &str| {
        unigrams[index.id(2, kmer2vec::dna::kmer_code(kmer.as_bytes()).unwrap()) as usize]
    };
    assert_eq!(
        [unigram("AC"), unigram("CG"), unigram("GT"), unigram("TA")],
        [2, 1, 1, 1]
    );
    assert_eq!(unigrams.iter().sum::<u64>(), 5);
    assert_eq!(counts.header.stats.tokens, 5);
}

#[test]
fn linear_window_weights_count_near_pairs_more() {
    let dir = TempDir::new().unwrap();
    let input = fasta(&dir, "toy.fa", &[("toy", b"ACGTAC")]);
    let out = dir.path().join("toy.k2c");
    // The default weights: W − d + 1, so 2 at distance 1 and 1 at distance 2.
    let counts = count(&[&input], &out, &["--k", "2", "--window", "2"]);
    // Tokens AC CG GT TA AC.
    let expected = both_orders(&[
        ("AC", "CG", 2),     // distance 1
        ("AC", "GT", 1 + 1), // distance 2, twice: positions (0, 2) and (2, 4)
        ("AC", "TA", 2),     // distance 1, positions (3, 4)
        ("CG", "GT", 2),
        ("CG", "TA", 1),
        ("GT", "TA", 2),
    ]);
    assert_eq!(pairs_by_kmer(&counts), expected);
    assert_eq!(
        counts.header.settings.weights,
        kmer2vec::k2c::WindowWeights::Linear
    );
}

#[test]
fn counting_shards_and_merging_equals_counting_the_whole() {
    let dir = TempDir::new().unwrap();
    let lambda = lambda_sequence();
    let parts = [
        &lambda[..15_000],
        &lambda[15_000..31_000],
        &lambda[31_000..],
    ];
    let whole = fasta(
        &dir,
        "whole.fa",
        &[("a", parts[0]), ("b", parts[1]), ("c", parts[2])],
    );
    let shard_1 = fasta(&dir, "1.fa", &[("a", parts[0]), ("b", parts[1])]);
    let shard_2 = fasta(&dir, "2.fa", &[("c", parts[2])]);
    // A k range, so the content-keyed choice of k is part of what must agree.
    let options = ["--k", "3..6", "--window", "5", "--seed", "3"];
    let all = count(&[&whole], &dir.path().join("whole.k2c"), &options);
    let counted_1 = dir.path().join("1.k2c");
    let counted_2 = dir.path().join("2.k2c");
    count(&[&shard_1], &counted_1, &options);
    count(&[&shard_2], &counted_2, &options);
    let merged_path = dir.path().join("merged.k2c");
    kmer2vec()
        .args(["merge", "-q", "-o"])
        .arg(&merged_path)
        .arg(&counted_1)
        .arg(&counted_2)
        .assert()
        .success();
    let merged = Counts::open(&merged_path).unwrap();
    assert!(all.len() > 10_000, "{} pairs", all.len());
    assert!(all.pairs().eq(merged.pairs()), "pairs differ");
    assert!(
        all.unigrams().eq(merged.unigrams()),
        "unigram counts differ"
    );
    let (a, b) = (&all.header.stats, &merged.header.stats);
    assert_eq!(
        (a.records, a.bases, a.tokens),
        (b.records, b.bases, b.tokens)
    );
    assert_eq!(merged.header.settings, all.header.settings);
}

#[test]
fn counts_spilled_to_disk_equal_counts_in_memory() {
    let dir = TempDir::new().unwrap();
    let lambda = lambda_sequence();
    let input = fasta(&dir, "lambda.fa", &[("lambda", &lambda)]);
    // Window 100: 48,499 tokens make 9.7 M pair keys, 78 MB; with --memory 16M they spill
    // to disk in five sorted runs, merged at the end.
    let options = ["--k", "4", "--window", "100"];
    let in_memory = count(&[&input], &dir.path().join("a.k2c"), &options);
    let mut spilled_options = options.to_vec();
    spilled_options.extend(["--memory", "16M", "--tmp-dir"]);
    let tmp = dir.path().to_str().unwrap().to_string();
    spilled_options.push(&tmp);
    let spilled = count(&[&input], &dir.path().join("b.k2c"), &spilled_options);
    assert!(in_memory.pairs().eq(spilled.pairs()));
    assert!(in_memory.unigrams().eq(spilled.unigrams()));
}

#[test]
fn merge_refuses_counts_made_with_other_settings() {
    let dir = TempDir::new().unwrap();
    let input = fasta(&dir, "toy.fa", &[("toy", b"ACGTACGTTGCA")]);
    let (a, b) = (dir.path().join("a.k2c"), dir.path().join("b.k2c"));
    count(&[&input], &a, &["--k", "2", "--window", "2"]);
    count(&[&input], &b, &["--k", "2", "--window", "3"]);
    assert_merge_fails(&dir, &[&a, &b], &["b.k2c", "other settings"]);
    let c = dir.path().join("c.k2c");
    count(
        &[&input],
        &c,
        &["--k", "2", "--window", "2", "--window-weights", "flat"],
    );
    assert_merge_fails(&dir, &[&a, &c], &["c.k2c", "other settings"]);
}

#[test]
fn merge_refuses_a_damaged_file() {
    let dir = TempDir::new().unwrap();
    let input = fasta(&dir, "toy.fa", &[("toy", b"ACGTACGTTGCA")]);
    let a = dir.path().join("a.k2c");
    count(&[&input], &a, &["--k", "2"]);
    let bytes = std::fs::read(&a).unwrap();
    let damaged = dir.path().join("damaged.k2c");
    std::fs::write(&damaged, &bytes[..bytes.len() - 20]).unwrap();
    assert_merge_fails(&dir, &[&a, &damaged], &["damaged.k2c", "truncated"]);
}

/// Asserts that merging `inputs` fails with one line naming all of `mentions`, and writes
/// no output.
fn assert_merge_fails(dir: &TempDir, inputs: &[&Path], mentions: &[&str]) {
    let out = dir.path().join("merged.k2c");
    let assert = kmer2vec()
        .args(["merge", "-o"])
        .arg(&out)
        .args(inputs)
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    for mention in mentions {
        assert!(stderr.contains(mention), "{stderr:?} lacks {mention:?}");
    }
    assert!(!out.exists());
}

#[test]
fn train_from_counts_is_deterministic_on_one_thread_and_covers_the_counted_kmers() {
    let dir = TempDir::new().unwrap();
    let lambda = lambda_sequence();
    let input = fasta(&dir, "lambda.fa", &[("lambda", &lambda)]);
    let counts_path = dir.path().join("lambda.k2c");
    let counts = count(&[&input], &counts_path, &["--k", "4", "--window", "5"]);
    let train = |name: &str| {
        let out = dir.path().join(name);
        kmer2vec()
            .args([
                "train",
                "-q",
                "--threads",
                "1",
                "--seed",
                "5",
                "--dim",
                "16",
            ])
            .args(["--updates", "200000", "--context-vectors", "-o"])
            .arg(&out)
            .arg(&counts_path)
            .assert()
            .success();
        out
    };
    let (a, b) = (train("a.parquet"), train("b.parquet"));
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let model = kmer2vec::parquet_io::read_parquet(&a).unwrap();
    // One row per counted 4-mer, with its token count.
    let counted = counts.unigrams().filter(|&n| n > 0).count();
    assert_eq!(model.len(), counted);
    assert_eq!(model.dim, 16);
    assert!(model
        .contexts
        .as_ref()
        .is_some_and(|c| c.iter().any(|&x| x != 0.0)));
    let total: u64 = model.counts.iter().sum();
    assert_eq!(total, counts.header.stats.tokens);
    // The counts' statistics sit under "counts", apart from the training's (no key twice).
    let stats: serde_json::Value =
        serde_json::from_str(model.metadata("kmer2vec.stats").unwrap()).unwrap();
    assert_eq!(stats["counts"]["tokens"], counts.header.stats.tokens);
    assert_eq!(stats["tokens"], 200_000);
    // The loss curve, a point per block of 65,536 updates here.
    assert_eq!(stats["loss_curve"].as_array().unwrap().len(), 4);
}

#[test]
fn pmi_correlates_a_model_with_its_counts_and_draws_the_scatter() {
    let dir = TempDir::new().unwrap();
    let lambda = lambda_sequence();
    let input = fasta(&dir, "lambda.fa", &[("lambda", &lambda)]);
    let counts = dir.path().join("lambda.k2c");
    count(&[&input], &counts, &["--k", "4", "--window", "5"]);
    let model = dir.path().join("lambda.parquet");
    kmer2vec()
        .args([
            "embed",
            "-q",
            "--k",
            "4",
            "--no-fragment",
            "--no-flip",
            "--window",
            "5",
        ])
        .args([
            "--epochs",
            "5",
            "--dim",
            "16",
            "--threads",
            "1",
            "--seed",
            "7",
        ])
        .args(["--context-vectors", "-o"])
        .arg(&model)
        .arg(&input)
        .assert()
        .success();
    let plot = dir.path().join("pmi.svg");
    let output = kmer2vec()
        .arg("pmi")
        .arg(&model)
        .arg(&counts)
        .args(["--min-count", "20", "--json", "--plot"])
        .arg(&plot)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&output).unwrap();
    // Measured 0.83 (Pearson and Spearman) on 4,834 pairs: SGNS approaches shifted PMI.
    let (pearson, spearman) = (
        report["pearson"].as_f64().unwrap(),
        report["spearman"].as_f64().unwrap(),
    );
    assert!(pearson > 0.6 && spearman > 0.6, "{pearson} {spearman}");
    assert_eq!(report["deciles"].as_array().unwrap().len(), 10);
    assert_eq!(report["negatives"], 5, "the model's own --negatives");
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.matches("<circle").count() == report["pairs"].as_u64().unwrap() as usize);
}

#[test]
fn pmi_needs_context_vectors() {
    let dir = TempDir::new().unwrap();
    let input = fasta(&dir, "toy.fa", &[("toy", b"ACGTACGTTGCAACGT")]);
    let counts = dir.path().join("toy.k2c");
    count(&[&input], &counts, &["--k", "2"]);
    let model = dir.path().join("toy.parquet");
    kmer2vec()
        .args(["embed", "-q", "--k", "2", "--epochs", "1", "-o"])
        .arg(&model)
        .arg(&input)
        .assert()
        .success();
    let assert = kmer2vec()
        .arg("pmi")
        .arg(&model)
        .arg(&counts)
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("toy.parquet") && stderr.contains("context vectors"),
        "{stderr}"
    );
}
