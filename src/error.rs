//! The library's error type: every variant names the file it concerns and carries its source.

use std::path::PathBuf;

/// Everything that can go wrong in kmer2vec's library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A settings value that cannot work, caught before any work starts.
    #[error("invalid setting: {0}")]
    Config(String),

    /// An input file that cannot be opened or read, or is not valid FASTA/FASTQ.
    #[error("{path}: {message}")]
    Input { path: PathBuf, message: String },

    /// An input that parsed but holds nothing to train on.
    #[error("{path}: {message}")]
    EmptyInput { path: PathBuf, message: String },

    /// A file system operation on a given path failed. The message holds the cause, so the
    /// cause is not chained again as a `source`.
    #[error("{path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },

    /// The Parquet or Arrow layer failed on a given path.
    #[error("{path}: {message}")]
    Parquet { path: PathBuf, message: String },

    /// A `.k2c` counts file that is damaged, of another version, or does not fit the others.
    #[error("{path}: {message}")]
    Counts { path: PathBuf, message: String },

    /// A model file that parsed but does not have the expected shape.
    #[error("{path}: {message}")]
    Model { path: PathBuf, message: String },

    /// Ctrl-C or SIGTERM stopped the run (`interrupt`); nothing was written.
    #[error("interrupted by {}: no output written", crate::interrupt::signal_name(*signal))]
    Interrupted { signal: i32 },
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, cause: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            cause,
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
