//! The `kmer2vec` command: parse arguments, call the library, report, exit.

mod cli;
mod progress;

use anyhow::{Context, Result};
use clap::Parser;
use cli::{Cli, Command};
use kmer2vec::{pipeline, similar, Config};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kmer2vec: error: {error:#}");
            ExitCode::FAILURE
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
                    "kmer2vec: training {:.2} s, whole run {:.2} s",
                    stats.train.seconds, stats.total_seconds
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
        Command::Similar(args) => {
            let model = kmer2vec::parquet_io::read_parquet(&args.model)?;
            let neighbours =
                similar::most_similar(&model, &args.kmer, args.n).with_context(|| {
                    format!(
                        "{}: no k-mer {} in the model",
                        args.model.display(),
                        args.kmer
                    )
                })?;
            for (kmer, cosine) in neighbours {
                println!("{kmer}\t{cosine:.4}");
            }
        }
    }
    Ok(())
}
