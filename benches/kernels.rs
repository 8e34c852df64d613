//! Criterion benchmarks of the hot kernels: 2-bit encoding and reverse complement, alias
//! draws, and the SGNS update of one window on each SIMD path. Each checks its result
//! before timing it.
//!
//!     cargo bench --bench kernels

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kmer2vec::alias::AliasTable;
use kmer2vec::dna::{kmer_code, kmer_string, reverse_complement};
use kmer2vec::hogwild::HogwildMatrix;
use kmer2vec::kernels::SigmoidTable;
use kmer2vec::sgns::{Loss, Scratch, Simd, Step, Window};
use std::hint::black_box;

/// A deterministic pseudo-random DNA sequence.
fn sequence(len: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            b"ACGT"[(state >> 60) as usize & 3]
        })
        .collect()
}

fn encoding(c: &mut Criterion) {
    let seq = sequence(1 << 16);
    let k = 8;
    // Check: every 8-mer round-trips and its reverse complement is an involution.
    for kmer in seq.windows(k).take(1000) {
        let code = kmer_code(kmer).unwrap();
        assert_eq!(kmer_string(code, k).as_bytes(), kmer);
        assert_eq!(reverse_complement(reverse_complement(code, k), k), code);
    }
    let mut group = c.benchmark_group("encoding");
    group.throughput(Throughput::Elements((seq.len() - k + 1) as u64));
    group.bench_function("kmer_code+revcomp 8-mers", |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for kmer in black_box(&seq).windows(k) {
                let code = kmer_code(kmer).unwrap();
                sum = sum.wrapping_add(code ^ reverse_complement(code, k));
            }
            sum
        })
    });
    group.finish();
}

fn alias_draws(c: &mut Criterion) {
    let weights: Vec<f64> = (0..87_360)
        .map(|i| ((i % 97) as f64 + 1.0).powf(0.75))
        .collect();
    let table = AliasTable::new(&weights);
    // Check: the heaviest and lightest index appear in proportion over many draws.
    let mut state = 1u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state
    };
    let (mut heavy, mut light) = (0u64, 0u64);
    for _ in 0..4_000_000 {
        match table.draw(next()) % 97 {
            96 => heavy += 1,
            0 => light += 1,
            _ => {}
        }
    }
    let ratio = heavy as f64 / light as f64;
    assert!((ratio - 97f64.powf(0.75)).abs() < 1.5, "draw ratio {ratio}");
    let mut group = c.benchmark_group("alias");
    group.throughput(Throughput::Elements(1024));
    group.bench_function("draw (87,360 weights)", |b| {
        b.iter(|| (0..1024).fold(0u32, |acc, _| acc ^ table.draw(next())))
    });
    group.finish();
}

fn sgns_step(c: &mut Criterion) {
    let (rows, dim, negatives) = (64usize, 100, 5);
    let contexts: Vec<u32> = (1..=10).collect();
    let noise: Vec<u32> = (40..40 + negatives as u32).collect();
    let window = Window {
        center: 0,
        contexts: &contexts,
        noise: &noise,
        ahead: Default::default(),
    };
    let pseudo_random =
        |i: usize| ((i.wrapping_mul(2_654_435_761) % 1000) as f32 / 1000.0 - 0.5) / 5.0;
    let sigmoid = SigmoidTable::default();
    let mut group = c.benchmark_group("sgns");
    group.throughput(Throughput::Elements(
        (contexts.len() * (negatives + 1)) as u64,
    ));
    let detected = Simd::detect();
    let mut levels = vec![Simd::portable(), detected.without_avx512(), detected];
    // Without AVX-512 (or AVX2) two of them are the same path: criterion wants unique ids.
    levels.dedup_by_key(|simd| simd.name());
    for simd in levels {
        let inputs = HogwildMatrix::from_vec((0..rows * dim).map(pseudo_random).collect(), dim);
        let outputs = HogwildMatrix::from_vec(
            (0..rows * dim).map(|i| pseudo_random(i + 7919)).collect(),
            dim,
        );
        let mut scratch = Scratch::default();
        let mut step = Step {
            lr: 0.025,
            l2: 0.0,
            negatives,
            share: usize::MAX,
            with_loss: true,
            simd,
        };
        // Check: the loss of the window falls as its step is repeated (gradient descent).
        let mut losses = Vec::new();
        for _ in 0..3 {
            let mut loss = Loss::default();
            step.train(
                &inputs,
                &outputs,
                &window,
                &sigmoid,
                &mut scratch,
                &mut loss,
            );
            losses.push(loss.sum);
        }
        assert!(
            losses.windows(2).all(|w| w[1] < w[0]),
            "repeated steps must lower the loss: {losses:?}"
        );
        step.with_loss = false;
        group.bench_function(
            format!(
                "window m={} K={negatives} dim={dim} ({})",
                contexts.len(),
                simd.name()
            ),
            |b| {
                b.iter(|| {
                    let mut loss = Loss::default();
                    step.train(
                        &inputs,
                        &outputs,
                        black_box(&window),
                        &sigmoid,
                        &mut scratch,
                        &mut loss,
                    );
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, encoding, alias_draws, sgns_step);
criterion_main!(benches);
