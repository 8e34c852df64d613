//! Ctrl-C (SIGINT) and SIGTERM: the first one sets a flag that every long loop polls, so a
//! run stops at its next check, its temporary files are dropped (and with them removed),
//! no output is renamed into place, and the process exits with 128 + the signal's number;
//! a second one ends the process at once.
//!
//! Polling, not unwinding from the handler: a signal handler may only touch atomics, and
//! the loops that run long (reading records, counting pairs, training windows, writing)
//! check a relaxed load every few thousand steps, which costs nothing measurable.

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// The flags the handlers set: whether a signal came, and which.
struct Flags {
    stop: Arc<AtomicBool>,
    signal: Arc<AtomicUsize>,
}

static FLAGS: OnceLock<Flags> = OnceLock::new();

/// Installs the handlers (once; later calls do nothing). Without them, the default actions
/// apply and a signal kills the process where it stands.
pub fn install() -> std::io::Result<()> {
    if FLAGS.get().is_some() {
        return Ok(());
    }
    let flags = Flags {
        stop: Arc::new(AtomicBool::new(false)),
        signal: Arc::new(AtomicUsize::new(0)),
    };
    use signal_hook::consts::{SIGINT, SIGTERM};
    for signal in [SIGINT, SIGTERM] {
        // Registered first, so that it sees the flag as the previous signal left it: a
        // second signal exits at once.
        signal_hook::flag::register_conditional_shutdown(signal, 128 + signal, flags.stop.clone())?;
        signal_hook::flag::register_usize(signal, flags.signal.clone(), signal as usize)?;
        signal_hook::flag::register(signal, flags.stop.clone())?;
    }
    let _ = FLAGS.set(flags);
    Ok(())
}

/// The signal that asked the run to stop, if one has.
pub fn requested() -> Option<i32> {
    let flags = FLAGS.get()?;
    flags
        .stop
        .load(Ordering::Relaxed)
        .then(|| flags.signal.load(Ordering::Relaxed) as i32)
}

/// `Err(Error::Interrupted)` once a signal has asked the run to stop.
#[inline]
pub fn check() -> Result<()> {
    match requested() {
        Some(signal) => Err(Error::Interrupted { signal }),
        None => Ok(()),
    }
}

/// The signal's name, for messages.
pub fn signal_name(signal: i32) -> &'static str {
    match signal {
        signal_hook::consts::SIGINT => "SIGINT (Ctrl-C)",
        signal_hook::consts::SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}
