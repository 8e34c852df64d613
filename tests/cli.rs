//! End-to-end tests of the `kmer2vec` command: real data from `tests/data/` (see its
//! README), synthetic genomes generated here from a seeded LCG, and every expected value
//! computed independently of the crate (k-mers with `bio` and hash maps).

use assert_cmd::Command;
use kmer2vec::model::Model;
use kmer2vec::parquet_io::read_parquet;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// A file of `tests/data/`.
fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Lambda phage, plain FASTA: one record of 48,502 bp, all A/C/G/T.
fn lambda() -> PathBuf {
    data("lambda_virus.fa")
}

/// The `kmer2vec` binary.
fn kmer2vec() -> Command {
    Command::cargo_bin("kmer2vec").expect("the kmer2vec binary is built")
}

/// Small, fast, reproducible training settings; an option in `overrides` replaces its default.
fn fast<'a>(overrides: &[&'a str]) -> Vec<&'a str> {
    const DEFAULTS: [(&str, &str); 4] = [
        ("--epochs", "1"),
        ("--dim", "16"),
        ("--threads", "1"),
        ("--seed", "7"),
    ];
    let mut args: Vec<&str> = DEFAULTS
        .iter()
        .filter(|(option, _)| !overrides.contains(option))
        .flat_map(|&(option, value)| [option, value])
        .collect();
    args.extend_from_slice(overrides);
    args
}

/// Runs `kmer2vec embed INPUTS -o OUT -q OPTIONS` and asserts that it succeeds.
fn embed(inputs: &[&Path], out: &Path, options: &[&str]) {
    kmer2vec()
        .arg("embed")
        .args(inputs)
        .arg("-o")
        .arg(out)
        .arg("-q")
        .args(options)
        .assert()
        .success();
}

/// Trains on `inputs` with `options` into `dir/name` and reads the Parquet model back.
fn train(inputs: &[&Path], dir: &TempDir, name: &str, options: &[&str]) -> Model {
    let out = dir.path().join(name);
    embed(inputs, &out, options);
    read_parquet(&out).expect("the model reads back")
}

/// Runs `kmer2vec tokens INPUTS OPTIONS` and returns its standard output.
fn tokens(inputs: &[&Path], options: &[&str]) -> String {
    let output = kmer2vec()
        .arg("tokens")
        .args(inputs)
        .args(options)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(output).expect("tokens are ASCII")
}

/// A metadata value of a model, parsed as JSON.
fn json_metadata(model: &Model, key: &str) -> Value {
    let text = model
        .metadata(key)
        .unwrap_or_else(|| panic!("no metadata key {key}"));
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{key} is not JSON ({e}): {text}"))
}

/// The run statistics recorded in a model.
fn stats(model: &Model) -> Value {
    json_metadata(model, "kmer2vec.stats")
}

/// The row of each k-mer.
fn rows(model: &Model) -> HashMap<&str, usize> {
    model
        .kmers
        .iter()
        .enumerate()
        .map(|(row, kmer)| (kmer.as_str(), row))
        .collect()
}

/// The vector of a k-mer.
fn vector<'a>(model: &'a Model, kmer: &str) -> &'a [f32] {
    let row = model
        .kmers
        .iter()
        .position(|k| k == kmer)
        .unwrap_or_else(|| panic!("no k-mer {kmer} in the model"));
    model.vector(row)
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot = |x: &[f32], y: &[f32]| {
        x.iter()
            .zip(y)
            .map(|(p, q)| *p as f64 * *q as f64)
            .sum::<f64>()
    };
    dot(a, b) / (dot(a, a).sqrt() * dot(b, b).sqrt())
}

/// The cosine of two k-mers' vectors.
fn cosine_of(model: &Model, a: &str, b: &str) -> f64 {
    cosine(vector(model, a), vector(model, b))
}

/// Asserts that two models hold the same k-mers, counts and vectors (metadata may differ).
fn assert_same_model(a: &Model, b: &Model, what: &str) {
    assert_eq!(a.kmers, b.kmers, "{what}: k-mers differ");
    assert_eq!(a.counts, b.counts, "{what}: counts differ");
    assert_eq!(a.dim, b.dim, "{what}: dimensions differ");
    assert!(a.vectors == b.vectors, "{what}: vectors differ");
}

/// The sequences of a plain FASTA file, read with `bio`.
fn fasta_sequences(path: &Path) -> Vec<Vec<u8>> {
    bio::io::fasta::Reader::from_file(path)
        .unwrap()
        .records()
        .map(|r| r.unwrap().seq().to_vec())
        .collect()
}

/// The sequences of a plain FASTQ file, read with `bio`.
fn fastq_sequences(path: &Path) -> Vec<Vec<u8>> {
    bio::io::fastq::Reader::from_file(path)
        .unwrap()
        .records()
        .map(|r| r.unwrap().seq().to_vec())
        .collect()
}

/// How often each k-mer of each length in `k` occurs (upper-cased; k-mers holding anything
/// but A/C/G/T are not k-mers).
fn kmer_counts(sequences: &[Vec<u8>], k: std::ops::RangeInclusive<usize>) -> HashMap<String, u64> {
    let mut counts = HashMap::new();
    for sequence in sequences {
        let upper = sequence.to_ascii_uppercase();
        for k in k.clone() {
            for window in upper.windows(k) {
                if window.iter().all(|b| b"ACGT".contains(b)) {
                    let kmer = String::from_utf8(window.to_vec()).unwrap();
                    *counts.entry(kmer).or_insert(0) += 1;
                }
            }
        }
    }
    counts
}

/// The reverse complement of an upper-case k-mer.
fn reverse_complement(kmer: &str) -> String {
    kmer.bytes()
        .rev()
        .map(|b| match b {
            b'A' => 'T',
            b'C' => 'G',
            b'G' => 'C',
            b'T' => 'A',
            other => panic!("not a base: {}", other as char),
        })
        .collect()
}

/// A minimal 64-bit LCG (Knuth's MMIX constants): synthetic data without a dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        self.next() as usize % n
    }

    fn dna(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| b"ACGT"[self.below(4)]).collect()
    }
}

/// Writes one FASTA record with 60-column lines.
fn write_fasta(path: &Path, name: &str, sequence: &[u8]) {
    let mut text = format!(">{name}\n").into_bytes();
    for line in sequence.chunks(60) {
        text.extend_from_slice(line);
        text.push(b'\n');
    }
    std::fs::write(path, text).unwrap();
}

/// The files in a directory.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Runs `kmer2vec embed` expecting failure into an empty output directory, and checks
/// the failure is clean: non-zero exit, one line on stderr starting `kmer2vec: error:` that
/// mentions `mentions`, no panic, and nothing (not even a temporary file) written.
fn assert_embed_fails(inputs: &[&Path], options: &[&str], mentions: &str) {
    let dir = TempDir::new().unwrap();
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let output = kmer2vec()
        .arg("embed")
        .args(inputs)
        .arg("-o")
        .arg(out_dir.join("model.parquet"))
        .args(options)
        .assert()
        .failure()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_clean_error(&stderr, mentions);
    assert_eq!(listing(&out_dir), Vec::<String>::new(), "files left behind");
}

/// One line, `kmer2vec: error: …`, naming `mentions`, and no panic.
fn assert_clean_error(stderr: &str, mentions: &str) {
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
    assert!(stderr.starts_with("kmer2vec: error:"), "{stderr}");
    assert!(
        stderr.contains(mentions),
        "does not name {mentions}: {stderr}"
    );
}

/// A small text file written into `dir`.
fn text_file(dir: &TempDir, name: &str, contents: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

// ---------------------------------------------------------------------------------------
// embed: the model's contents
// ---------------------------------------------------------------------------------------

#[test]
fn embed_writes_one_row_per_distinct_kmer() {
    let dir = TempDir::new().unwrap();
    let model = train(&[&lambda()], &dir, "m.parquet", &fast(&["--k", "3..8"]));
    let expected = kmer_counts(&fasta_sequences(&lambda()), 3..=8);
    let found: HashSet<&str> = model.kmers.iter().map(String::as_str).collect();
    assert_eq!(model.len(), found.len(), "duplicate rows");
    assert_eq!(model.len(), expected.len());
    assert!(expected.keys().all(|kmer| found.contains(kmer.as_str())));
    for k in 3..=8 {
        let rows_of_k = model.k.iter().filter(|&&x| x as usize == k).count();
        let expected_of_k = expected.keys().filter(|kmer| kmer.len() == k).count();
        assert_eq!(rows_of_k, expected_of_k, "k = {k}");
    }
}

#[test]
fn embed_shape_matches_dim_and_k_column_matches_kmer_length() {
    let dir = TempDir::new().unwrap();
    let model = train(&[&lambda()], &dir, "m.parquet", &fast(&["--dim", "24"]));
    assert_eq!(model.dim, 24);
    assert_eq!(model.vectors.len(), model.len() * 24);
    assert_eq!(model.k.len(), model.len());
    assert_eq!(model.counts.len(), model.len());
    assert!(model.contexts.is_none());
    for (kmer, &k) in model.kmers.iter().zip(&model.k) {
        assert_eq!(kmer.len(), k as usize, "{kmer}");
        assert!(kmer.bytes().all(|b| b"ACGT".contains(&b)), "{kmer}");
    }
    assert!(model.vectors.iter().all(|x| x.is_finite()));
}

#[test]
fn embed_counts_are_occurrence_counts() {
    let dir = TempDir::new().unwrap();
    let model = train(&[&lambda()], &dir, "m.parquet", &fast(&["--k", "3..8"]));
    let expected = kmer_counts(&fasta_sequences(&lambda()), 3..=8);
    for (kmer, &count) in model.kmers.iter().zip(&model.counts) {
        assert_eq!(count, expected[kmer], "count of {kmer}");
    }
    // A few by hand: the counts of one strand, overlapping occurrences included.
    let rows = rows(&model);
    for kmer in ["AAA", "GCGC", "GGGCGGCG", "TTTTTTTT"] {
        let count = expected.get(kmer).copied().unwrap_or(0);
        assert_eq!(
            rows.get(kmer).map(|&r| model.counts[r]),
            (count > 0).then_some(count)
        );
    }
}

#[test]
fn embed_metadata_records_version_params_and_stats() {
    let dir = TempDir::new().unwrap();
    let model = train(&[&lambda()], &dir, "m.parquet", &fast(&["--k", "4..7"]));
    assert_eq!(
        model.metadata("kmer2vec.version"),
        Some(env!("CARGO_PKG_VERSION"))
    );
    let params = json_metadata(&model, "kmer2vec.params");
    assert_eq!(params["dim"], 16);
    assert_eq!(params["k"]["min"], 4);
    assert_eq!(params["k"]["max"], 7);
    assert_eq!(params["seed"], 7);
    assert_eq!(params["epochs"], 1);
    let stats = stats(&model);
    assert_eq!(stats["records"], 1);
    assert_eq!(stats["bases"], 48_502);
    assert_eq!(stats["skipped"], 0);
    assert_eq!(stats["vocabulary"], model.len());
    assert_eq!(stats["threads"], 1);
    assert!(stats["tokens"].as_u64().unwrap() > 40_000, "{stats}");
    for key in ["inputs", "tokens_trained", "loss", "simd"] {
        assert!(!stats[key].is_null(), "stats lack {key}: {stats}");
    }
}

#[test]
fn embed_single_k_writes_only_that_k() {
    let dir = TempDir::new().unwrap();
    let model = train(&[&lambda()], &dir, "m.parquet", &fast(&["--k", "6"]));
    let expected = kmer_counts(&fasta_sequences(&lambda()), 6..=6);
    assert_eq!(model.len(), expected.len());
    assert!(model.k.iter().all(|&k| k == 6));
    let params = json_metadata(&model, "kmer2vec.params");
    assert_eq!(
        (params["k"]["min"].clone(), params["k"]["max"].clone()),
        (6.into(), 6.into())
    );
}

#[test]
fn context_vectors_option_adds_contexts() {
    let dir = TempDir::new().unwrap();
    let model = train(
        &[&lambda()],
        &dir,
        "m.parquet",
        &fast(&["--context-vectors"]),
    );
    let contexts = model.contexts.as_ref().expect("a context column");
    assert_eq!(contexts.len(), model.vectors.len());
    assert!(contexts.iter().all(|x| x.is_finite()));
    assert!(contexts != &model.vectors);
    // The same run without the option has the same input vectors.
    let plain = train(&[&lambda()], &dir, "plain.parquet", &fast(&[]));
    assert_same_model(&model, &plain, "with and without --context-vectors");
}

#[test]
fn canonical_model_folds_reverse_complements() {
    let dir = TempDir::new().unwrap();
    let model = train(
        &[&lambda()],
        &dir,
        "m.parquet",
        &fast(&["--k", "3..8", "--canonical"]),
    );
    let counts = kmer_counts(&fasta_sequences(&lambda()), 3..=8);
    let mut expected: HashMap<String, u64> = HashMap::new();
    for (kmer, &count) in &counts {
        let rc = reverse_complement(kmer);
        *expected.entry(kmer.clone().min(rc)).or_insert(0) += count;
    }
    assert_eq!(model.len(), expected.len());
    for (kmer, &count) in model.kmers.iter().zip(&model.counts) {
        assert!(*kmer <= reverse_complement(kmer), "{kmer} is not canonical");
        assert_eq!(
            count, expected[kmer],
            "count of {kmer} and its reverse complement"
        );
    }
}

#[test]
fn min_count_drops_rare_kmers() {
    let dir = TempDir::new().unwrap();
    let model = train(
        &[&lambda()],
        &dir,
        "m.parquet",
        &fast(&["--min-count", "5"]),
    );
    let expected: HashMap<String, u64> = kmer_counts(&fasta_sequences(&lambda()), 3..=8)
        .into_iter()
        .filter(|&(_, count)| count >= 5)
        .collect();
    assert_eq!(model.len(), expected.len());
    for (kmer, &count) in model.kmers.iter().zip(&model.counts) {
        assert_eq!(count, expected[kmer], "count of {kmer}");
    }
}

// ---------------------------------------------------------------------------------------
// embed: word2vec formats
// ---------------------------------------------------------------------------------------

#[test]
fn word2vec_text_output_has_header_and_the_parquet_vectors() {
    let dir = TempDir::new().unwrap();
    let model = train(&[&lambda()], &dir, "m.parquet", &fast(&[]));
    let out = dir.path().join("m.txt");
    embed(&[&lambda()], &out, &fast(&["--format", "word2vec-text"]));
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(format!("{} 16", model.len()).as_str()));
    let rows = rows(&model);
    let mut seen = 0;
    for line in lines {
        let mut fields = line.split(' ');
        let kmer = fields.next().unwrap();
        let values: Vec<f32> = fields.map(|x| x.parse().unwrap()).collect();
        assert_eq!(values, model.vector(rows[kmer]), "{kmer}");
        seen += 1;
    }
    assert_eq!(seen, model.len());
}

#[test]
fn word2vec_binary_output_has_header_and_the_parquet_vectors() {
    let dir = TempDir::new().unwrap();
    let model = train(&[&lambda()], &dir, "m.parquet", &fast(&[]));
    let out = dir.path().join("m.bin");
    embed(&[&lambda()], &out, &fast(&["--format", "word2vec-binary"]));
    let bytes = std::fs::read(&out).unwrap();
    let header_end = bytes.iter().position(|&b| b == b'\n').unwrap();
    let header = std::str::from_utf8(&bytes[..header_end]).unwrap();
    assert_eq!(header, format!("{} 16", model.len()));
    let rows = rows(&model);
    let mut rest = &bytes[header_end + 1..];
    let mut seen = 0;
    while !rest.is_empty() {
        let space = rest.iter().position(|&b| b == b' ').unwrap();
        let kmer = std::str::from_utf8(&rest[..space]).unwrap();
        let floats = &rest[space + 1..space + 1 + 16 * 4];
        let values: Vec<f32> = floats
            .chunks(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(values, model.vector(rows[kmer]), "{kmer}");
        assert_eq!(rest[space + 1 + 16 * 4], b'\n');
        rest = &rest[space + 2 + 16 * 4..];
        seen += 1;
    }
    assert_eq!(seen, model.len());
}

// ---------------------------------------------------------------------------------------
// embed: inputs
// ---------------------------------------------------------------------------------------

#[test]
fn compressed_inputs_give_the_same_model_as_plain() {
    let dir = TempDir::new().unwrap();
    let plain = train(&[&lambda()], &dir, "plain.parquet", &fast(&[]));
    for extension in ["gz", "bz2", "xz", "zst"] {
        let input = data(&format!("lambda_virus.fa.{extension}"));
        let model = train(&[&input], &dir, &format!("{extension}.parquet"), &fast(&[]));
        assert_same_model(&plain, &model, extension);
    }
}

#[test]
fn stdin_input_gives_the_same_model_as_the_file() {
    let dir = TempDir::new().unwrap();
    let from_file = train(&[&lambda()], &dir, "file.parquet", &fast(&[]));
    let out = dir.path().join("stdin.parquet");
    kmer2vec()
        .args(["embed", "-", "-q", "-o"])
        .arg(&out)
        .args(fast(&[]))
        .pipe_stdin(lambda())
        .unwrap()
        .assert()
        .success();
    let from_stdin = read_parquet(&out).unwrap();
    assert_same_model(&from_file, &from_stdin, "stdin");
    assert_eq!(stats(&from_stdin)["inputs"], serde_json::json!(["-"]));
}

#[test]
fn lower_case_input_gives_the_same_model_as_upper_case() {
    let dir = TempDir::new().unwrap();
    let lower = text_file(
        &dir,
        "lower.fa",
        &std::fs::read_to_string(lambda())
            .unwrap()
            .lines()
            .map(|line| {
                if line.starts_with('>') {
                    format!("{line}\n")
                } else {
                    format!("{}\n", line.to_ascii_lowercase())
                }
            })
            .collect::<String>()
            .into_bytes(),
    );
    let upper = train(&[&lambda()], &dir, "upper.parquet", &fast(&[]));
    let lower = train(&[&lower], &dir, "lower.parquet", &fast(&[]));
    assert_same_model(&upper, &lower, "lower case");
}

#[test]
fn n_runs_are_skipped_and_counted() {
    // 5,000 bp of lambda with runs of 50 and 10 N (tests/data/README.md).
    let input = data("lambda_lower_n.fa");
    let dir = TempDir::new().unwrap();
    let model = train(&[&input], &dir, "m.parquet", &fast(&[]));
    let stats = stats(&model);
    assert_eq!(stats["records"], 1);
    assert_eq!(stats["bases"], 5_060);
    assert_eq!(stats["skipped"], 60);
    // No k-mer spans an N run, and lower-case bases count as upper-case ones.
    let expected = kmer_counts(&fasta_sequences(&input), 3..=8);
    assert_eq!(model.len(), expected.len());
    for (kmer, &count) in model.kmers.iter().zip(&model.counts) {
        assert_eq!(count, expected[kmer], "count of {kmer}");
    }
}

#[test]
fn n_runs_split_sentences() {
    let input = data("lambda_lower_n.fa");
    let sequence = fasta_sequences(&input).concat().to_ascii_uppercase();
    let text = tokens(&[&input], &["--k", "6", "--no-fragment", "--no-flip"]);
    let sentences: Vec<&str> = text.lines().collect();
    let runs: Vec<&[u8]> = sequence
        .split(|&b| b == b'N')
        .filter(|run| !run.is_empty())
        .collect();
    assert_eq!(
        runs.iter().map(|r| r.len()).collect::<Vec<_>>(),
        [1250, 2500, 1250]
    );
    assert_eq!(sentences.len(), runs.len());
    for (sentence, run) in sentences.iter().zip(runs) {
        let expected: Vec<&str> = run
            .windows(6)
            .map(|w| std::str::from_utf8(w).unwrap())
            .collect();
        assert_eq!(sentence.split(' ').collect::<Vec<_>>(), expected);
    }
}

#[test]
fn fastq_input_is_read() {
    let input = data("reads_1.fq");
    let dir = TempDir::new().unwrap();
    let model = train(&[&input], &dir, "m.parquet", &fast(&[]));
    let reads = fastq_sequences(&input);
    let stats = stats(&model);
    assert_eq!(stats["records"], reads.len());
    assert_eq!(stats["records"], 500);
    let bases: usize = reads.iter().map(Vec::len).sum();
    let skipped = reads
        .iter()
        .flatten()
        .filter(|b| !b"ACGTacgt".contains(b))
        .count();
    assert_eq!(stats["bases"], bases);
    assert_eq!(stats["skipped"], skipped);
    let expected = kmer_counts(&reads, 3..=8);
    assert_eq!(model.len(), expected.len());
    for (kmer, &count) in model.kmers.iter().zip(&model.counts) {
        assert_eq!(count, expected[kmer], "count of {kmer}");
    }
}

#[test]
fn several_inputs_are_read_in_turn() {
    let dir = TempDir::new().unwrap();
    let fastq = data("reads_1.fq");
    let model = train(&[&lambda(), &fastq], &dir, "m.parquet", &fast(&[]));
    let mut sequences = fasta_sequences(&lambda());
    sequences.extend(fastq_sequences(&fastq));
    let expected = kmer_counts(&sequences, 3..=8);
    assert_eq!(model.len(), expected.len());
    assert_eq!(stats(&model)["records"], 501);
}

// ---------------------------------------------------------------------------------------
// embed: reproducibility
// ---------------------------------------------------------------------------------------

#[test]
fn same_seed_on_one_thread_gives_identical_bytes() {
    let dir = TempDir::new().unwrap();
    let (a, b) = (dir.path().join("a.parquet"), dir.path().join("b.parquet"));
    embed(&[&lambda()], &a, &fast(&["--seed", "7"]));
    embed(&[&lambda()], &b, &fast(&["--seed", "7"]));
    assert!(std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap());
}

/// Workflow wrappers pass defaults and then the user's options: an option given again
/// replaces the earlier value, as the last word.
#[test]
fn a_repeated_option_takes_its_last_value() {
    let dir = TempDir::new().unwrap();
    let (a, b) = (dir.path().join("a.parquet"), dir.path().join("b.parquet"));
    embed(&[&lambda()], &a, &fast(&["--seed", "7"]));
    let repeated = ["--seed", "3", "-t", "2", "--threads", "1", "--seed", "7"];
    embed(&[&lambda()], &b, &fast(&repeated));
    assert!(std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap());
}

#[test]
fn different_seeds_give_different_vectors() {
    let dir = TempDir::new().unwrap();
    let a = train(&[&lambda()], &dir, "a.parquet", &fast(&["--seed", "7"]));
    let b = train(&[&lambda()], &dir, "b.parquet", &fast(&["--seed", "8"]));
    assert_eq!(a.kmers, b.kmers);
    assert_eq!(a.counts, b.counts);
    let differing = (0..a.len()).filter(|&i| a.vector(i) != b.vector(i)).count();
    assert!(
        differing > a.len() * 9 / 10,
        "{differing} of {} rows differ",
        a.len()
    );
}

// ---------------------------------------------------------------------------------------
// tokens
// ---------------------------------------------------------------------------------------

#[test]
fn tokens_without_fragmentation_are_every_overlapping_kmer_in_order() {
    let dir = TempDir::new().unwrap();
    let sequence = Lcg(2024).dna(30_000);
    let input = dir.path().join("random.fa");
    write_fasta(&input, "random", &sequence);
    let text = tokens(&[&input], &["--k", "6", "--no-fragment", "--no-flip"]);
    let lengths: Vec<usize> = text.lines().map(|l| l.split(' ').count()).collect();
    assert!(lengths.iter().all(|&n| n <= 10_000), "{lengths:?}");
    let found: Vec<&str> = text.split_whitespace().collect();
    let expected: Vec<&str> = sequence
        .windows(6)
        .map(|w| std::str::from_utf8(w).unwrap())
        .collect();
    assert_eq!(found.len(), expected.len());
    assert!(
        found == expected,
        "tokens differ from the sequence's 6-mers"
    );
}

#[test]
fn tokens_k_range_draws_each_k_uniformly() {
    let text = tokens(&[&lambda()], &["--k", "3..8"]);
    let mut per_k = [0usize; 9];
    for token in text.split_whitespace() {
        per_k[token.len()] += 1;
    }
    let total: usize = per_k.iter().sum();
    assert!(total > 45_000, "{total} tokens");
    for (k, &n) in per_k.iter().enumerate().skip(3) {
        let share = n as f64 / total as f64;
        assert!(
            (share - 1.0 / 6.0).abs() < 0.15 / 6.0,
            "k = {k}: {share:.4} of the tokens ({per_k:?})"
        );
    }
    assert_eq!(per_k[..3], [0, 0, 0]);
}

#[test]
fn tokens_fragments_are_at_most_4999_tokens() {
    let text = tokens(&[&lambda()], &["--k", "3..8"]);
    let lengths: Vec<usize> = text.lines().map(|l| l.split(' ').count()).collect();
    assert!(lengths.iter().all(|&n| n <= 4_999), "{lengths:?}");
    // 48,502 bp in segments of 2,500 to 4,999 bp.
    assert!(
        (48_502 / 4_999..=48_502 / 2_500 + 1).contains(&lengths.len()),
        "{lengths:?}"
    );
}

#[test]
fn tokens_write_to_a_file() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("tokens.txt");
    let options = ["--k", "5", "--seed", "3"];
    kmer2vec()
        .arg("tokens")
        .arg(lambda())
        .arg("-o")
        .arg(&out)
        .args(options)
        .assert()
        .success()
        .stdout("");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        tokens(&[&lambda()], &options)
    );
}

// ---------------------------------------------------------------------------------------
// similar
// ---------------------------------------------------------------------------------------

#[test]
fn similar_prints_n_neighbours_by_descending_cosine() {
    let dir = TempDir::new().unwrap();
    let model = dir.path().join("m.parquet");
    embed(&[&lambda()], &model, &fast(&[]));
    let output = kmer2vec()
        .arg("similar")
        .arg(&model)
        .args(["ACGTAC", "-n", "5"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let model = read_parquet(&model).unwrap();
    let kmers: HashSet<&str> = model.kmers.iter().map(String::as_str).collect();
    let text = String::from_utf8(output).unwrap();
    let cosines: Vec<f64> = text
        .lines()
        .map(|line| {
            let (kmer, cosine) = line.split_once('\t').expect("kmer<TAB>cosine");
            assert!(kmers.contains(kmer) && kmer != "ACGTAC", "{line}");
            let cosine: f64 = cosine.parse().unwrap();
            assert!((-1.0..=1.0).contains(&cosine), "{line}");
            let exact = cosine_of(&model, "ACGTAC", kmer);
            assert!((cosine - exact).abs() < 1e-3, "{line}: cosine is {exact}");
            cosine
        })
        .collect();
    assert_eq!(cosines.len(), 5);
    assert!(cosines.windows(2).all(|w| w[0] >= w[1]), "{text}");
}

#[test]
fn similar_on_a_canonical_model_accepts_either_strand() {
    let dir = TempDir::new().unwrap();
    let model = dir.path().join("m.parquet");
    embed(&[&lambda()], &model, &fast(&["--k", "6", "--canonical"]));
    let neighbours = |query: &str| {
        kmer2vec()
            .arg("similar")
            .arg(&model)
            .args([query, "-n", "3"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    let forward = neighbours("AACGTG");
    assert_eq!(String::from_utf8_lossy(&forward).lines().count(), 3);
    assert_eq!(forward, neighbours("CACGTT"));
    assert_eq!(forward, neighbours("aacgtg"));
}

#[test]
fn similar_unknown_kmer_fails_with_one_line() {
    let dir = TempDir::new().unwrap();
    let model = dir.path().join("m.parquet");
    embed(&[&lambda()], &model, &fast(&["--k", "6"]));
    for unknown in ["ACGTACGT", "XYZXYZ"] {
        let output = kmer2vec()
            .arg("similar")
            .arg(&model)
            .arg(unknown)
            .assert()
            .failure()
            .stdout("")
            .get_output()
            .clone();
        assert_clean_error(&String::from_utf8_lossy(&output.stderr), unknown);
    }
}

// ---------------------------------------------------------------------------------------
// A planted signal
// ---------------------------------------------------------------------------------------

/// Two 8-mer families that always occur together: every 250–349 bp a member of family A,
/// 2 random bases, then a member of family B. Each family is a consensus and two variants
/// with one substitution each. A 200 kb genome holds about 670 such pairs; a given random
/// 8-mer occurs about 3 times.
const FAMILY_A: [&str; 3] = ["TCAGGCAT", "TCCGGCAT", "TCAGGCTT"];
const FAMILY_B: [&str; 3] = ["GGTACTTC", "GGTAGTTC", "GATACTTC"];

fn planted_genome(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = Lcg(seed);
    let mut genome = Vec::with_capacity(len + 400);
    while genome.len() < len {
        let spacer = 250 + rng.below(100);
        genome.extend(rng.dna(spacer));
        genome.extend(FAMILY_A[rng.below(3)].bytes());
        genome.extend(rng.dna(2));
        genome.extend(FAMILY_B[rng.below(3)].bytes());
    }
    genome
}

#[test]
fn cooccurring_motifs_get_similar_vectors() {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("planted.fa");
    write_fasta(&input, "planted", &planted_genome(11, 200_000));
    // A starts 10 tokens before B, so the window must reach 10 (with --window 5 the two
    // never share a window and their cosine is at background level). No subsampling, no
    // flips (the motifs keep their strand), one thread and a fixed seed: never flaky.
    let options = "--k 8 --no-fragment --no-flip --epochs 3 --dim 32 --window 12 --sample 0";
    let options: Vec<&str> = options.split(' ').collect();
    let model = train(&[&input], &dir, "m.parquet", &fast(&options));
    // The background: cosines of 1,000 random pairs of 8-mers.
    let mut rng = Lcg(5);
    let background: Vec<f64> = (0..1_000)
        .map(|_| {
            let (a, b) = (rng.below(model.len()), rng.below(model.len()));
            cosine(model.vector(a), model.vector(b))
        })
        .collect();
    // Closer than 99.5 % of random pairs (a rank, not a z-score: SGNS vectors share a
    // common direction, so the background is not centred on 0).
    let mut sorted = background.clone();
    sorted.sort_by(f64::total_cmp);
    let threshold = sorted[995];
    let planted = cosine_of(&model, FAMILY_A[0], FAMILY_B[0]);
    eprintln!("cos(A, B) = {planted:.3}; 99.5th percentile of random pairs {threshold:.3}");
    assert!(
        planted > threshold,
        "cos(A, B) = {planted:.3} ≤ {threshold:.3}"
    );
    for (a, b) in FAMILY_A.iter().zip(FAMILY_B.iter().rev()) {
        let variant = cosine_of(&model, a, b);
        assert!(
            variant > threshold,
            "cos({a}, {b}) = {variant:.3} ≤ {threshold:.3}"
        );
    }
}

/// The cosines of all pairs of k-mers, after removing the mean vector (SGNS vectors share a
/// common direction).
fn centered_cosines(model: &Model) -> Vec<f64> {
    let dim = model.dim;
    let mut mean = vec![0.0f32; dim];
    for i in 0..model.len() {
        for (m, x) in mean.iter_mut().zip(model.vector(i)) {
            *m += x / model.len() as f32;
        }
    }
    let centered: Vec<Vec<f32>> = (0..model.len())
        .map(|i| {
            model
                .vector(i)
                .iter()
                .zip(&mean)
                .map(|(x, m)| x - m)
                .collect()
        })
        .collect();
    let mut cosines = Vec::new();
    for i in 0..centered.len() {
        for j in i + 1..centered.len() {
            cosines.push(cosine(&centered[i], &centered[j]));
        }
    }
    cosines
}

/// Pearson's correlation.
fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (mean_a, mean_b) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        ab += (x - mean_a) * (y - mean_b);
        aa += (x - mean_a) * (x - mean_a);
        bb += (y - mean_b) * (y - mean_b);
    }
    ab / (aa * bb).sqrt()
}

/// Several threads on a small vocabulary (k 4: 256 rows) train per-thread replicas of the
/// matrices, merged into the shared ones (`replica`). That is not deterministic, but the
/// model must learn what one thread learns: the correlation of all pairwise cosines between
/// the two models measured 0.84–0.94 (between two 1-thread seeds, 0.87–0.91); a model
/// missing a thread's work, left untrained, or blown up by merging too seldom for its
/// thread count (as 4 threads merging every 16,384 tokens were) is far lower.
#[test]
fn several_threads_on_a_small_vocabulary_learn_what_one_thread_learns() {
    let dir = TempDir::new().unwrap();
    let lambda = lambda();
    // 194 kb: twelve shards, so every thread trains.
    let inputs = [lambda.as_path(); 4];
    let options = |threads| fast(&["--k", "4", "--epochs", "3", "--threads", threads]);
    let one = train(&inputs, &dir, "one.parquet", &options("1"));
    for threads in ["2", "3", "4"] {
        let several = train(&inputs, &dir, "several.parquet", &options(threads));
        let r = pearson(&centered_cosines(&one), &centered_cosines(&several));
        eprintln!("correlation of pairwise cosines, 1 vs {threads} threads: {r:.3}");
        assert!(r > 0.7, "1 vs {threads} threads: correlation {r:.3}");
    }
}

/// `--simd` caps the vector path (recorded in the statistics), and every path learns what
/// the best one learns: the same SGD, summed in another order.
#[test]
fn every_simd_path_learns_what_the_best_one_learns() {
    let dir = TempDir::new().unwrap();
    let lambda = lambda();
    let options = |level| {
        fast(&[
            "--k",
            "4",
            "--epochs",
            "3",
            "--threads",
            "1",
            "--simd",
            level,
        ])
    };
    let best = train(&[&lambda], &dir, "auto.parquet", &options("auto"));
    let detected = stats(&best)["simd"].as_str().unwrap().to_string();
    for (level, allowed) in [
        ("portable", &["portable"][..]),
        ("avx2", &["avx2+fma", "portable"][..]),
    ] {
        let model = train(&[&lambda], &dir, "capped.parquet", &options(level));
        let path = stats(&model)["simd"].as_str().unwrap().to_string();
        assert!(
            allowed.contains(&path.as_str()),
            "--simd {level} ran {path}"
        );
        let r = pearson(&centered_cosines(&best), &centered_cosines(&model));
        eprintln!("correlation of pairwise cosines, {detected} vs {path}: {r:.3}");
        assert!(r > 0.95, "{detected} vs {path}: correlation {r:.3}");
    }
}

// ---------------------------------------------------------------------------------------
// Bad input: one clean error line, nothing written
// ---------------------------------------------------------------------------------------

#[test]
fn missing_input_fails_cleanly() {
    let dir = TempDir::new().unwrap();
    assert_embed_fails(&[&dir.path().join("no-such.fa")], &fast(&[]), "no-such.fa");
}

#[test]
fn empty_input_fails_cleanly() {
    let dir = TempDir::new().unwrap();
    let empty = text_file(&dir, "empty.fa", b"");
    assert_embed_fails(&[&empty], &fast(&[]), "empty.fa");
}

#[test]
fn directory_input_fails_cleanly() {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("a-directory");
    std::fs::create_dir(&input).unwrap();
    assert_embed_fails(&[&input], &fast(&[]), "a-directory");
}

#[test]
fn non_fasta_text_fails_cleanly() {
    let dir = TempDir::new().unwrap();
    let text = text_file(
        &dir,
        "notes.txt",
        b"These are notes, not sequences.\nSecond line.\n",
    );
    assert_embed_fails(&[&text], &fast(&[]), "notes.txt");
}

#[test]
fn truncated_gzip_fails_cleanly() {
    let dir = TempDir::new().unwrap();
    let gz = std::fs::read(data("lambda_virus.fa.gz")).unwrap();
    let truncated = text_file(&dir, "truncated.fa.gz", &gz[..gz.len() / 2]);
    assert_embed_fails(&[&truncated], &fast(&[]), "truncated.fa.gz");
}

/// Truncated bz2, xz and zst files (the lambda genome's, cut in half) fail in one line.
#[test]
fn truncated_bz2_xz_and_zst_fail_cleanly() {
    let dir = TempDir::new().unwrap();
    for name in [
        "lambda_virus.fa.bz2",
        "lambda_virus.fa.xz",
        "lambda_virus.fa.zst",
    ] {
        let bytes = std::fs::read(data(name)).unwrap();
        let truncated = text_file(&dir, &format!("cut.{name}"), &bytes[..bytes.len() / 2]);
        assert_embed_fails(&[&truncated], &fast(&[]), &format!("cut.{name}"));
    }
}

/// A file that opens but cannot be read (as root, permissions do not stop a read; the
/// kernel's /proc/self/mem refuses a read at offset 0 with EIO).
#[test]
fn an_unreadable_input_fails_cleanly() {
    let unreadable = Path::new("/proc/self/mem");
    if !unreadable.exists() {
        eprintln!("an_unreadable_input_fails_cleanly: skipped, no /proc/self/mem here");
        return;
    }
    assert_embed_fails(
        &[unreadable],
        &fast(&[]),
        "/proc/self/mem: Input/output error",
    );
}

#[test]
fn corrupt_gzip_fails_cleanly() {
    let dir = TempDir::new().unwrap();
    let mut gz = std::fs::read(data("lambda_virus.fa.gz")).unwrap();
    for byte in &mut gz[100..400] {
        *byte ^= 0x5a;
    }
    let corrupt = text_file(&dir, "corrupt.fa.gz", &gz);
    assert_embed_fails(&[&corrupt], &fast(&[]), "corrupt.fa.gz");
}

#[test]
fn binary_garbage_fails_cleanly() {
    let dir = TempDir::new().unwrap();
    // Bytes of every value, none of them a FASTA/FASTQ start or a compression magic.
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 1)
        .collect();
    let path = text_file(&dir, "garbage.bin", &garbage);
    assert_embed_fails(&[&path], &fast(&[]), "garbage.bin");
}

#[test]
fn fastq_quality_of_another_length_names_the_record_and_line() {
    let dir = TempDir::new().unwrap();
    let fastq = b"@r1\nACGTACGTAC\n+\nIIIIIIIIII\n@r2\nACGTACGT\n+\nIIII\n";
    let path = text_file(&dir, "quality.fq", fastq);
    assert_embed_fails(&[&path], &fast(&[]), "quality.fq");
    assert_embed_fails(&[&path], &fast(&[]), "'r2' at line 5");
}

#[test]
fn a_truncated_last_fastq_record_fails_cleanly() {
    let dir = TempDir::new().unwrap();
    let path = text_file(
        &dir,
        "cut.fq",
        b"@r1\nACGTACGTAC\n+\nIIIIIIIIII\n@r2\nACGTACGT\n",
    );
    assert_embed_fails(&[&path], &fast(&[]), "cut.fq");
    assert_embed_fails(&[&path], &fast(&[]), "'r2'");
}

#[test]
fn protein_input_is_named_as_protein() {
    let dir = TempDir::new().unwrap();
    // Ubiquitin: it holds runs of A/C/G/T letters ("AG", "GG", "TT"...), so without the
    // check it would train on them.
    let protein = b">ubiquitin\nMQIFVKTLTGKTITLEVEPSDTIENVKAKIQDKEGIPPDQQRLIFAGKQLEDGRTLSDYNIQKESTLHLVLRLRGG\n";
    let path = text_file(&dir, "ubiquitin.fa", protein);
    assert_embed_fails(&[&path], &fast(&["--k", "2"]), "looks like protein");
}

#[test]
fn windows_line_endings_give_the_same_model_as_unix_ones() {
    let dir = TempDir::new().unwrap();
    let unix = std::fs::read(lambda()).unwrap();
    let windows: Vec<u8> = unix
        .split(|&b| b == b'\n')
        .flat_map(|line| line.iter().copied().chain(*b"\r\n"))
        .collect();
    let crlf = text_file(&dir, "crlf.fa", &windows);
    let a = train(&[&lambda()], &dir, "unix.parquet", &fast(&[]));
    let b = train(&[&crlf], &dir, "crlf.parquet", &fast(&[]));
    assert_same_model(&a, &b, "CRLF");
}

#[test]
fn a_sequence_on_one_huge_line_is_read() {
    let dir = TempDir::new().unwrap();
    let sequence: Vec<u8> = fasta_sequences(&lambda()).concat();
    let one_line: Vec<u8> = sequence.iter().cycle().take(8 << 20).copied().collect();
    let mut text = b">one line of 8 MiB\n".to_vec();
    text.extend_from_slice(&one_line);
    text.push(b'\n');
    let path = text_file(&dir, "line.fa", &text);
    let model = train(&[&path], &dir, "line.parquet", &fast(&["--k", "4"]));
    assert_eq!(model.len(), 256);
    assert_eq!(stats(&model)["bases"], 8 << 20);
}

/// IUPAC codes other than A/C/G/T (R, Y, N, ...) are skipped like N, splitting the
/// sequence; lower case is upper case. Decided: no k-mer ever holds an ambiguity code.
#[test]
fn iupac_codes_split_the_sequence_like_n() {
    let dir = TempDir::new().unwrap();
    let with_iupac = text_file(&dir, "iupac.fa", b">a\nACGTRACGTYacgtnACGT\n");
    let with_n = text_file(&dir, "n.fa", b">a\nACGTNACGTNACGTNACGT\n");
    let a = train(&[&with_iupac], &dir, "iupac.parquet", &fast(&["--k", "3"]));
    let b = train(&[&with_n], &dir, "n.parquet", &fast(&["--k", "3"]));
    assert_same_model(&a, &b, "IUPAC against N");
    assert_eq!(stats(&a)["skipped"], 3);
}

#[test]
fn many_skipped_bases_give_one_warning_line() {
    let dir = TempDir::new().unwrap();
    let records: Vec<u8> = (0..50)
        .flat_map(|i| format!(">r{i}\nACGTACGTNNNNNNNNNNNNNNNNNNNNNNNNACGTTGCA\n").into_bytes())
        .collect();
    let path = text_file(&dir, "gappy.fa", &records);
    let output = kmer2vec()
        .args(["embed", "-o"])
        .arg(dir.path().join("gappy.parquet"))
        .arg(&path)
        .args(fast(&["--k", "3"]))
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(warnings[0].contains("60 % of the bases"), "{stderr}");
}

/// Option values clap rejects (not a number, negative) get the same one-line error as
/// every other, and exit code 2, before any work.
#[test]
fn malformed_option_values_fail_in_one_line() {
    for (option, value) in [("--seed", "abc"), ("--min-count", "-1"), ("--dim", "1.5")] {
        let output = kmer2vec()
            .args(["embed", "-o", "never.parquet"])
            .arg(lambda())
            .args([option, value])
            .assert()
            .code(2)
            .get_output()
            .clone();
        assert_clean_error(&String::from_utf8_lossy(&output.stderr), value);
        assert!(!Path::new("never.parquet").exists());
    }
}

#[test]
fn window_zero_is_refused() {
    assert_embed_fails(&[&lambda()], &fast(&["--window", "0"]), "--window");
}

#[test]
fn output_under_a_file_fails_cleanly() {
    let dir = TempDir::new().unwrap();
    let file = text_file(&dir, "plain", b"not a directory");
    let output = kmer2vec()
        .arg("embed")
        .arg(lambda())
        .arg("-o")
        .arg(file.join("model.parquet"))
        .args(fast(&[]))
        .assert()
        .failure()
        .get_output()
        .clone();
    assert_clean_error(&String::from_utf8_lossy(&output.stderr), "model.parquet");
}

#[test]
fn a_bad_input_after_a_good_one_fails_cleanly() {
    let dir = TempDir::new().unwrap();
    let empty = text_file(&dir, "empty.fa", b"");
    assert_embed_fails(&[&lambda(), &empty], &fast(&[]), "empty.fa");
}

#[test]
fn k_zero_is_refused() {
    assert_embed_fails(&[&lambda()], &fast(&["--k", "0"]), "--k");
}

#[test]
fn k_range_backwards_is_refused() {
    assert_embed_fails(&[&lambda()], &fast(&["--k", "8..3"]), "--k");
}

#[test]
fn k_above_the_maximum_is_refused() {
    assert_embed_fails(&[&lambda()], &fast(&["--k", "13"]), "--k");
}

#[test]
fn dim_zero_is_refused() {
    assert_embed_fails(&[&lambda()], &fast(&["--dim", "0"]), "--dim");
}

#[test]
fn output_into_a_missing_directory_fails_cleanly() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("no-such-dir").join("model.parquet");
    let output = kmer2vec()
        .arg("embed")
        .arg(lambda())
        .arg("-o")
        .arg(&out)
        .args(fast(&[]))
        .assert()
        .failure()
        .get_output()
        .clone();
    assert_clean_error(&String::from_utf8_lossy(&output.stderr), "no-such-dir");
    assert_eq!(listing(dir.path()), Vec::<String>::new());
}

#[test]
fn a_failed_run_keeps_the_previous_output() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("model.parquet");
    embed(&[&lambda()], &out, &fast(&[]));
    let before = std::fs::read(&out).unwrap();
    let empty = text_file(&dir, "empty.fa", b"");
    kmer2vec()
        .arg("embed")
        .arg(&empty)
        .arg("-o")
        .arg(&out)
        .args(fast(&[]))
        .assert()
        .failure();
    assert!(
        std::fs::read(&out).unwrap() == before,
        "the old output was touched"
    );
    assert_eq!(listing(dir.path()), ["empty.fa", "model.parquet"]);
}

/// An I/O error's cause is printed once, not once by the message and again by the chain.
#[test]
fn io_errors_state_their_cause_once() {
    let dir = TempDir::new().unwrap();
    let missing_input = [dir.path().join("no-such.fa"), dir.path().join("m.parquet")];
    let missing_dir = [lambda(), dir.path().join("no-such-dir").join("m.parquet")];
    for [input, out] in [missing_input, missing_dir] {
        let output = kmer2vec()
            .arg("embed")
            .arg(&input)
            .arg("-o")
            .arg(&out)
            .args(fast(&[]))
            .assert()
            .failure()
            .get_output()
            .clone();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let causes =
            stderr.matches("No such file").count() + stderr.matches("does not exist").count();
        assert_eq!(causes, 1, "{stderr}");
    }
}

#[test]
fn all_n_input_fails_cleanly() {
    let dir = TempDir::new().unwrap();
    let all_n = text_file(
        &dir,
        "all-n.fa",
        b">gap\nNNNNNNNNNNNNNNNNNNNN\n>short\nACNGT\n",
    );
    assert_embed_fails(&[&all_n], &fast(&[]), "all-n.fa");
}

#[test]
fn output_over_an_input_is_refused() {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("lambda.fa");
    std::fs::copy(lambda(), &input).unwrap();
    let before = std::fs::read(&input).unwrap();
    let output = kmer2vec()
        .arg("embed")
        .arg(&input)
        .arg("-o")
        .arg(&input)
        .args(fast(&[]))
        .assert()
        .failure()
        .get_output()
        .clone();
    assert_clean_error(&String::from_utf8_lossy(&output.stderr), "lambda.fa");
    assert!(
        std::fs::read(&input).unwrap() == before,
        "the input was overwritten"
    );
    assert_eq!(listing(dir.path()), ["lambda.fa"]);
}

#[test]
fn tokens_of_a_missing_input_fail_cleanly() {
    let dir = TempDir::new().unwrap();
    let output = kmer2vec()
        .arg("tokens")
        .arg(dir.path().join("no-such.fa"))
        .assert()
        .failure()
        .stdout("")
        .get_output()
        .clone();
    assert_clean_error(&String::from_utf8_lossy(&output.stderr), "no-such.fa");
}

// ---------------------------------------------------------------------------------------
// interruption: Ctrl-C and SIGTERM
// ---------------------------------------------------------------------------------------

/// Starts `kmer2vec ARGS` (a run far longer than a second), sends `signal` after a second,
/// and returns its exit code and standard error.
fn interrupted(args: &[&std::ffi::OsStr], signal: &str) -> (Option<i32>, String) {
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("kmer2vec"))
        .args(args)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(1));
    let killed = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success(), "kill {signal} failed");
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// SIGTERM while `embed` trains, SIGINT while `count` counts, SIGTERM while `train`
/// trains: each exits 128 + the signal, says so in one line, and leaves no output and no
/// temporary file, in the output's directory or in --tmp-dir.
#[test]
fn a_signal_stops_a_run_with_nothing_left_behind() {
    let dir = TempDir::new().unwrap();
    let (out, tmp) = (dir.path().join("out"), dir.path().join("tmp"));
    std::fs::create_dir_all(&out).unwrap();
    std::fs::create_dir_all(&tmp).unwrap();
    let counts = dir.path().join("lambda.k2c");
    kmer2vec()
        .args(["count", "-q", "--k", "4", "-o"])
        .arg(&counts)
        .arg(lambda())
        .assert()
        .success();
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    let (lambda, tmp_arg) = (lambda(), tmp.clone().into_os_string());
    let model = out.join("model.parquet").into_os_string();
    let k2c = out.join("counted.k2c").into_os_string();
    let runs: [(Vec<&std::ffi::OsStr>, &str, i32); 3] = [
        (
            vec![
                os("embed"),
                lambda.as_os_str(),
                os("--epochs"),
                os("100000"),
                os("--tmp-dir"),
                &tmp_arg,
                os("-o"),
                &model,
            ],
            "-TERM",
            128 + 15,
        ),
        (
            vec![
                os("count"),
                lambda.as_os_str(),
                os("--window"),
                os("5000"),
                os("--memory"),
                os("16M"),
                os("--tmp-dir"),
                &tmp_arg,
                os("-o"),
                &k2c,
            ],
            "-INT",
            128 + 2,
        ),
        (
            vec![
                os("train"),
                counts.as_os_str(),
                os("--updates"),
                os("100000000000"),
                os("-o"),
                &model,
            ],
            "-TERM",
            128 + 15,
        ),
    ];
    for (args, signal, code) in runs {
        let (status, stderr) = interrupted(&args, signal);
        assert_eq!(status, Some(code), "{args:?}: {stderr}");
        let last = stderr.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("kmer2vec: error: interrupted by SIG"),
            "{args:?}: {stderr}"
        );
        assert!(
            listing(&out).is_empty(),
            "{args:?} left {:?}",
            listing(&out)
        );
        assert!(
            listing(&tmp).is_empty(),
            "{args:?} left {:?}",
            listing(&tmp)
        );
    }
}

// ---------------------------------------------------------------------------------------
// a full disk
// ---------------------------------------------------------------------------------------

/// A tmpfs of `size` mounted on a fresh directory, unmounted on drop; `None` where mounting
/// is not allowed (it needs root, as in CI).
struct SmallDisk {
    path: PathBuf,
    _dir: TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("disk");
        std::fs::create_dir(&path).unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(SmallDisk { path, _dir: dir })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(&self.path)
            .status();
    }
}

/// A full disk under the output or under --tmp-dir: one line naming the path and "No space
/// left on device", a non-zero exit, and nothing left on the disk.
#[test]
fn a_full_disk_fails_cleanly() {
    let (Some(out_disk), Some(tmp_disk)) = (SmallDisk::mount("256k"), SmallDisk::mount("4k"))
    else {
        eprintln!("a_full_disk_fails_cleanly: skipped, cannot mount a tmpfs here (needs root)");
        return;
    };
    let dir = TempDir::new().unwrap();
    // The model of lambda at k 3..8 is about 18 MB: it cannot fit in 256 KiB.
    let output = kmer2vec()
        .arg("embed")
        .arg(lambda())
        .arg("-o")
        .arg(out_disk.path.join("model.parquet"))
        .args(fast(&["--dim", "100"]))
        .assert()
        .failure()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_clean_error(&stderr, "model.parquet");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(
        listing(&out_disk.path).is_empty(),
        "{:?}",
        listing(&out_disk.path)
    );
    // The 2-bit corpus of lambda is 12 KB: --tmp-dir on 4 KiB cannot hold it.
    let output = kmer2vec()
        .arg("embed")
        .arg(lambda())
        .arg("-o")
        .arg(dir.path().join("model.parquet"))
        .arg("--tmp-dir")
        .arg(&tmp_disk.path)
        .args(fast(&[]))
        .assert()
        .failure()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_clean_error(&stderr, "disk");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(listing(&tmp_disk.path).is_empty());
    assert!(listing(dir.path()).is_empty());
}
