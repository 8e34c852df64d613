//! The progress bar (indicatif, on stderr) and the closing summary line. Nothing is drawn
//! when stderr is not a terminal or with `--quiet`.

use indicatif::{HumanCount, ProgressBar, ProgressDrawTarget, ProgressStyle};
use kmer2vec::pipeline::EmbedStats;
use kmer2vec::trainer::Progress;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often the bar is redrawn.
const REFRESH: Duration = Duration::from_millis(200);

/// Runs `work`, rendering its progress counter on stderr until it returns.
pub fn while_training<T>(quiet: bool, work: impl FnOnce(&Progress) -> T) -> T {
    let progress = Progress::default();
    if quiet || !std::io::stderr().is_terminal() {
        return work(&progress);
    }
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| render(&progress, &done));
        let result = work(&progress);
        done.store(true, Ordering::Relaxed);
        result
    })
}

fn render(progress: &Progress, done: &AtomicBool) {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} reading and packing k-mers … {elapsed}")
            .expect("valid template"),
    );
    let mut training = false;
    while !done.load(Ordering::Relaxed) {
        let planned = progress.planned();
        if planned > 0 && !training {
            training = true;
            bar.set_length(planned);
            bar.reset_elapsed();
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:30} {human_pos}/{human_len} tokens, {per_sec}, loss {msg}, ETA {eta}",
                )
                .expect("valid template"),
            );
        }
        if training {
            bar.set_position(progress.tokens());
            bar.set_message(format!("{:.3}", progress.mean_loss()));
        } else {
            bar.tick();
        }
        std::thread::sleep(REFRESH);
    }
    bar.finish_and_clear();
}

/// One line on stderr: what was read, learned and written.
pub fn summary(stats: &EmbedStats, output: &Path) {
    let read = &stats.read;
    eprintln!(
        "kmer2vec: {} records, {} bases ({} non-ACGT skipped); {} k-mers; {} tokens in {:.1} s ({}/s, {} threads), loss {:.3} → {}",
        HumanCount(read.records),
        HumanCount(read.bases),
        HumanCount(read.skipped),
        HumanCount(stats.vocabulary as u64),
        HumanCount(stats.train.tokens),
        stats.total_seconds,
        HumanCount((stats.train.tokens as f64 / stats.train.seconds.max(1e-9)) as u64),
        stats.train.threads,
        stats.train.loss,
        output.display()
    );
    // One line for the whole run, however many records had them.
    if read.skipped * 10 > read.bases {
        eprintln!(
            "kmer2vec: warning: {:.0} % of the bases were not A/C/G/T (N, IUPAC codes) and were \
             skipped; they split the sequences",
            100.0 * read.skipped as f64 / read.bases.max(1) as f64
        );
    }
}
