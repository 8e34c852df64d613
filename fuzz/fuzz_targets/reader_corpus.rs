//! Any bytes as an input file: reading (format and compression recognised by content),
//! splitting into A/C/G/T runs, packing and counting must end in a corpus or an error,
//! never a panic, a hang or unbounded memory.
#![no_main]

use kmer2vec::corpus::Corpus;
use kmer2vec::KRange;
use libfuzzer_sys::fuzz_target;
use std::io::Write;

fuzz_target!(|data: &[u8]| {
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    file.write_all(data).expect("written");
    file.flush().expect("flushed");
    let path = file.path().to_path_buf();
    if let Ok(corpus) = Corpus::build(&[path], KRange { min: 3, max: 8 }, None) {
        // What was read adds up: every base is packed or skipped.
        let stats = corpus.stats();
        assert_eq!(corpus.total_bases() + stats.skipped, stats.bases);
        assert!(corpus.counts().iter().sum::<u64>() <= 6 * stats.bases);
    }
});
