//! Outputs appear whole or not at all: written to a temporary file beside the target and
//! renamed over it when complete. A failed or interrupted run leaves no partial file.
//! An output that is not a file (`/dev/null`, a FIFO, `/dev/stdout`) is written in place:
//! renaming a file over it would replace the device itself (as root, `/dev/null` becomes a
//! regular file that every later reader of `/dev/null` reads).

use crate::error::{Error, Result};
use std::io::{BufWriter, Write};
use std::path::Path;

/// The directory an output goes to.
fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A temporary file beside `path`, named after it; errors say what is wrong with `path`.
fn temporary_beside(path: &Path) -> Result<tempfile::NamedTempFile> {
    let dir = directory_of(path);
    let problem = |message: String| Error::io(path, std::io::Error::other(message));
    if path.is_dir() {
        return Err(problem("is a directory".into()));
    }
    if !dir.is_dir() {
        return Err(problem(format!(
            "directory {} does not exist",
            dir.display()
        )));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // Outputs get the mode any new file gets (0666 less the umask), not a temporary file's
    // 0600: a pipeline's other users must be able to read them.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    builder.tempfile_in(dir).map_err(|e| {
        let cause = std::io::Error::from(e.kind());
        problem(format!(
            "cannot create a file in {}: {cause}",
            dir.display()
        ))
    })
}

/// Whether `path` exists and is neither a regular file nor a directory: a device, a FIFO,
/// a socket (after symbolic links).
fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Checks, before any long work, that `path` can be written: its directory exists and
/// accepts a new file, and it is not a directory itself. A device or FIFO is taken as it
/// is (opening a FIFO would wait for its reader).
pub fn check_writable(path: &Path) -> Result<()> {
    if is_special(path) {
        return Ok(());
    }
    temporary_beside(path).map(drop)
}

/// Writes `path` through `write`, atomically. On any error the temporary file is removed.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&std::fs::File>) -> Result<()>,
) -> Result<()> {
    if is_special(path) {
        let device = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        let mut out = BufWriter::with_capacity(1 << 20, &device);
        write(&mut out)?;
        return out.flush().map_err(|e| Error::io(path, e));
    }
    let temp = temporary_beside(path)?;
    {
        let mut out = BufWriter::with_capacity(1 << 20, temp.as_file());
        write(&mut out)?;
        out.flush().map_err(|e| Error::io(path, e))?;
    }
    temp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    // The last moment to stop: the temporary file goes with the error.
    crate::interrupt::check()?;
    temp.persist(path)
        .map_err(|e| Error::io(path, std::io::Error::from(e.error.kind())))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        let failed = write_atomically(&path, |out| {
            out.write_all(b"half").unwrap();
            Err(Error::Config("stop".into()))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        write_atomically(&path, |out| {
            out.write_all(b"whole").map_err(|e| Error::io("x", e))
        })
        .unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "whole");
    }

    /// `-o /dev/null` writes into the device; renaming a file over it would replace it.
    #[cfg(unix)]
    #[test]
    fn a_device_is_written_in_place() {
        use std::os::unix::fs::FileTypeExt;
        let null = Path::new("/dev/null");
        if !std::fs::metadata(null).is_ok_and(|m| m.file_type().is_char_device()) {
            return;
        }
        check_writable(null).unwrap();
        write_atomically(null, |out| {
            out.write_all(b"gone").map_err(|e| Error::io(null, e))
        })
        .unwrap();
        let after = std::fs::metadata(null).unwrap();
        assert!(after.file_type().is_char_device(), "/dev/null replaced");
        assert_eq!(after.len(), 0);
    }

    #[test]
    fn unwritable_targets_are_named_before_work() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_writable(&dir.path().join("fine.parquet")).is_ok());
        let missing = check_writable(&dir.path().join("no/such.parquet")).unwrap_err();
        assert!(missing.to_string().contains("does not exist"), "{missing}");
        let directory = check_writable(dir.path()).unwrap_err();
        assert!(
            directory.to_string().ends_with("is a directory"),
            "{directory}"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
