//! Every input the fuzz targets (`fuzz/`) found to crash kmer2vec, kept and replayed on
//! stable: `tests/data/fuzz/k2c-*` through the `.k2c` reader, where each must end in a
//! clean error, never a panic. (The reader → corpus target has found none so far; its
//! crashers would go in as `reader-*`, with a test like the one here.)

use kmer2vec::k2c::Counts;
use std::path::{Path, PathBuf};

/// The kept crashers whose names start with `prefix`.
fn crashers(prefix: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz");
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with(prefix))
        })
        .collect();
    found.sort();
    found
}

#[test]
fn k2c_crashers_are_refused_cleanly() {
    let files = crashers("k2c-");
    assert!(!files.is_empty());
    for path in files {
        let error = Counts::open(&path).err();
        let message = error.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("k2c-") && message.contains("damaged"),
            "{}: {message:?}",
            path.display()
        );
    }
}
