//! Any bytes as a `.k2c` file: the reader must refuse it with an error or read it whole
//! (every unigram count and every pair), never panic or read out of bounds.
#![no_main]

use kmer2vec::k2c::Counts;
use libfuzzer_sys::fuzz_target;
use std::io::Write;

fuzz_target!(|data: &[u8]| {
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    file.write_all(data).expect("written");
    file.flush().expect("flushed");
    if let Ok(counts) = Counts::open(file.path()) {
        assert_eq!(counts.unigrams().count(), counts.ids());
        let mut previous = None;
        for pair in counts.pairs() {
            // The reader promised strictly increasing pairs with non-zero counts.
            assert!(pair.count > 0);
            assert!(previous < Some((pair.w, pair.c)));
            previous = Some((pair.w, pair.c));
        }
        assert_eq!(previous.is_none(), counts.is_empty());
    }
});
