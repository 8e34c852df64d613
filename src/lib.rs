//! kmer2vec: dna2vec-style embeddings of DNA k-mers, learned by skip-gram with negative
//! sampling, from FASTA/FASTQ to Parquet.
//!
//! The modules follow the data flow: `reader` (FASTA/FASTQ → A/C/G/T runs) → `corpus`
//! (2-bit packed, memory-mapped, k-mer counts) → `vocab` (rows, subsampling, `alias` noise
//! sampler) → `sentences` (dna2vec fragments and tokens per epoch) → `trainer` (Hogwild
//! over `hogwild` matrices on `huge_pages`, or per-thread `replica`s on small vocabularies;
//! `sgns` window updates on `kernels`) → `model` → `parquet_io` / `word2vec_io` (through
//! `atomic_file`). `pipeline` strings them together; `similar` queries a model and
//! `evaluate` checks it (dna2vec's checks, with `alignment` scores); `report` draws it as
//! one HTML page (`pca` map, `svg` charts).

pub mod alias;
pub mod alignment;
pub mod atomic_file;
pub mod config;
pub mod cooccurrence;
pub mod corpus;
pub mod count;
pub mod dna;
pub mod error;
pub mod evaluate;
pub mod hogwild;
pub mod huge_pages;
pub mod interrupt;
pub mod k2c;
pub mod kernels;
pub mod kmer_index;
pub mod model;
pub mod parquet_io;
pub mod pca;
pub mod pipeline;
pub mod pmi;
pub mod reader;
pub mod replica;
pub mod report;
pub mod sentences;
pub mod sgns;
pub mod similar;
pub mod svg;
pub mod train_counts;
pub mod trainer;
pub mod vocab;
pub mod word2vec_io;

pub use config::{Config, KRange, OutputFormat};
pub use error::{Error, Result};
