//! The `kmer2vec` command: parse arguments, call the library, report, exit.

mod cli;
mod progress;

use anyhow::{Context, Result};
use clap::Parser;
use cli::{Cli, Command};
use kmer2vec::{pipeline, similar, Config};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print to stdout and exit 0, as clap does.
        Err(error) if !error.use_stderr() => error.exit(),
        // A bad option: one line, like every other error, and clap's exit code 2.
        Err(error) => {
            let text = error.render().to_string();
            let first = text.lines().next().unwrap_or_default();
            eprintln!(
                "kmer2vec: error: {} (see --help)",
                first.trim_start_matches("error: ")
            );
            return ExitCode::from(2);
        }
    };
    if let Err(error) = kmer2vec::interrupt::install() {
        eprintln!("kmer2vec: warning: Ctrl-C will not stop cleanly: {error}");
    }
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kmer2vec: error: {error:#}");
            // Stopped by a signal: exit as shells report it, 128 + the signal's number.
            match kmer2vec::interrupt::requested() {
                Some(signal) => ExitCode::from((128 + signal) as u8),
                None => ExitCode::FAILURE,
            }
        }
    }
}

/// The one-line summary of `count` and `merge` (and the JSON with `--verbose`).
fn report_counts(
    cli: &Cli,
    report: &kmer2vec::count::CountReport,
    output: &std::path::Path,
) -> Result<()> {
    if !cli.quiet {
        eprintln!(
            "kmer2vec: {} records, {} tokens; {} distinct pairs, {} co-occurrences → {}",
            report.stats.records,
            report.stats.tokens,
            report.pairs,
            report.cooccurrences,
            output.display()
        );
    }
    if cli.verbose {
        eprintln!("{}", serde_json::to_string_pretty(report)?);
    }
    Ok(())
}

/// Writes to standard output; a reader that stopped early (`| head`) is not an error.
fn print_out(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write to standard output")
        }
        _ => Ok(()),
    }
}

fn run(cli: &Cli) -> Result<()> {
    match &cli.command {
        Command::Embed(args) => {
            let config = args.config();
            let stats = progress::while_training(cli.quiet, |progress| {
                pipeline::embed(
                    &args.tokens.inputs,
                    &args.output,
                    &config,
                    args.tokens.tmp_dir.as_deref(),
                    progress,
                )
            })?;
            if !cli.quiet {
                progress::summary(&stats, &args.output);
            }
            if cli.verbose {
                eprintln!("{}", serde_json::to_string_pretty(&stats)?);
                eprintln!(
                    "kmer2vec: reading {:.3} s, training {:.3} s, writing {:.3} s, whole run {:.3} s",
                    stats.read_seconds,
                    stats.train.seconds,
                    stats.write_seconds,
                    stats.total_seconds
                );
            }
        }
        Command::Tokens(args) => {
            let mut config = Config::default();
            args.tokens.apply(&mut config);
            let written = pipeline::tokens(
                &args.tokens.inputs,
                args.output.as_deref(),
                &config,
                args.tokens.tmp_dir.as_deref(),
            )?;
            if cli.verbose {
                eprintln!("kmer2vec: {written} tokens written");
            }
        }
        Command::Count(args) => {
            let report = kmer2vec::count::count(
                &args.inputs,
                &args.output,
                &args.config(),
                args.window_weights,
                args.memory,
                args.tmp_dir.as_deref(),
            )?;
            report_counts(cli, &report, &args.output)?;
        }
        Command::Merge(args) => {
            let report = kmer2vec::count::merge(&args.inputs, &args.output)?;
            report_counts(cli, &report, &args.output)?;
        }
        Command::Train(args) => {
            let stats = kmer2vec::train_counts::train(
                &args.counts,
                &args.output,
                &args.config(),
                args.updates,
            )?;
            if !cli.quiet {
                let t = &stats.train;
                eprintln!(
                    "kmer2vec: {} k-mers, {} pair updates in {:.1} s ({:.0}/s, {} threads), loss {:.3} → {}",
                    stats.vocabulary,
                    t.tokens,
                    t.seconds,
                    t.tokens as f64 / t.seconds,
                    t.threads,
                    t.loss,
                    args.output.display()
                );
            }
            if cli.verbose {
                eprintln!("{}", serde_json::to_string_pretty(&stats)?);
            }
        }
        Command::Pmi(args) => {
            if let Some(plot) = &args.plot {
                kmer2vec::atomic_file::check_writable(plot)?;
            }
            let model = kmer2vec::parquet_io::read_parquet(&args.model)?;
            let counts = kmer2vec::k2c::Counts::open(&args.counts)?;
            let negatives = args.negatives.unwrap_or_else(|| model_negatives(&model));
            let report = kmer2vec::pmi::check(
                &model,
                &args.model,
                &counts,
                negatives,
                args.alpha,
                args.min_count,
            )?;
            if let Some(plot) = &args.plot {
                let svg = report.scatter_svg(20_000);
                kmer2vec::atomic_file::write_atomically(plot, |out| {
                    std::io::Write::write_all(out, svg.as_bytes())
                        .map_err(|e| kmer2vec::Error::io(plot, e))
                })?;
            }
            if args.json {
                print_out(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
            } else {
                print_out(&report.table())?;
            }
        }
        Command::Evaluate(args) => {
            let model = kmer2vec::model::Model::read(&args.model)?;
            let (report, _) = run_checks(&model, &args.model, &args.checks)?;
            if args.json {
                print_out(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
            } else {
                print_out(&report.table())?;
            }
        }
        Command::Report(args) => {
            kmer2vec::atomic_file::check_writable(&args.output)?;
            let model = kmer2vec::model::Model::read(&args.model)?;
            let (evaluation, pmi) = run_checks(&model, &args.model, &args.checks)?;
            let name = args.model.file_name().unwrap_or_default().to_string_lossy();
            let html = kmer2vec::report::render(&model, &name, &evaluation, pmi.as_ref());
            kmer2vec::atomic_file::write_atomically(&args.output, |out| {
                std::io::Write::write_all(out, html.as_bytes())
                    .map_err(|e| kmer2vec::Error::io(&args.output, e))
            })?;
        }
        Command::Similar(args) => {
            let model = kmer2vec::model::Model::read(&args.model)?;
            let neighbours =
                similar::most_similar(&model, &args.kmer, args.n).with_context(|| {
                    format!(
                        "{}: no k-mer {} in the model",
                        args.model.display(),
                        args.kmer
                    )
                })?;
            let lines: String = neighbours
                .iter()
                .map(|(kmer, cosine)| format!("{kmer}\t{cosine:.4}\n"))
                .collect();
            print_out(&lines)?;
        }
    }
    Ok(())
}

/// The shift's k of the PMI check: the model's own --negatives when its metadata says, else 5.
fn model_negatives(model: &kmer2vec::model::Model) -> usize {
    model
        .metadata(kmer2vec::model::PARAMS_KEY)
        .and_then(|json| serde_json::from_str::<serde_json::Value>(json).ok())
        .and_then(|params| params["negatives"].as_u64())
        .map_or(5, |n| n as usize)
}

/// `evaluate`'s checks of `model` (read from `path`), and the PMI check when counts are
/// given; that one runs first, so a model without context vectors fails before any work.
fn run_checks(
    model: &kmer2vec::model::Model,
    path: &std::path::Path,
    checks: &cli::CheckArgs,
) -> Result<(
    kmer2vec::evaluate::Evaluation,
    Option<kmer2vec::pmi::PmiReport>,
)> {
    let pmi = match &checks.counts {
        Some(counts) => {
            let counts = kmer2vec::k2c::Counts::open(counts)?;
            let negatives = model_negatives(model);
            Some(kmer2vec::pmi::check(
                model,
                path,
                &counts,
                negatives,
                1.0,
                checks.min_count,
            )?)
        }
        None => None,
    };
    let settings = kmer2vec::evaluate::Settings {
        k: checks.k as usize,
        pairs: checks.pairs,
        queries: checks.queries,
        trials: checks.trials,
        seed: checks.seed,
        ..Default::default()
    };
    let mut evaluation = kmer2vec::evaluate::evaluate(model, &settings);
    evaluation.pmi = pmi.as_ref().map(|p| kmer2vec::evaluate::PmiSummary {
        pairs: p.pairs,
        min_count: p.min_count,
        pearson: p.pearson,
        spearman: p.spearman,
    });
    Ok((evaluation, pmi))
}
