//! `output_file`: the tasks as a JSON array, streamed element by element
//! into a temporary file in the same directory and renamed into place only
//! when complete, so readers never see a half-written file and a 10,000-job
//! read never holds the whole document in memory.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// A JSON array being written; dropped without [`commit`](Self::commit),
/// its temporary file is removed and any previous file stays untouched.
///
/// Blocking I/O: callers run it off the async workers (`spawn_blocking`).
pub(crate) struct JsonArrayFile {
    path: PathBuf,
    writer: Option<BufWriter<NamedTempFile>>,
    empty: bool,
}

impl JsonArrayFile {
    /// Starts the array next to `path`, creating missing parent directories.
    pub(crate) fn create(path: &Path) -> std::io::Result<Self> {
        if path.is_dir() || path.file_name().is_none() {
            return Err(std::io::Error::other("output_file names a directory"));
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir)?;
        // In the target's directory, so the final rename stays on one file system.
        // Created like `File::create` would (0666 less the umask), not with tempfile's private
        // 0600: the published file is the user's to share.
        let mut builder = tempfile::Builder::new();
        builder.prefix(".tmp-dbs-");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let temp = builder.tempfile_in(&dir)?;
        let mut writer = BufWriter::new(temp);
        writer.write_all(b"[")?;
        Ok(Self {
            path: path.to_path_buf(),
            writer: Some(writer),
            empty: true,
        })
    }

    /// Appends one element.
    pub(crate) fn push(&mut self, element: &impl serde::Serialize) -> std::io::Result<()> {
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| std::io::Error::other("output file already closed"))?;
        writer.write_all(if self.empty { b"\n  " } else { b",\n  " })?;
        serde_json::to_writer(&mut *writer, element)?;
        self.empty = false;
        Ok(())
    }

    /// Closes the array, syncs it to disk and moves it into place.
    pub(crate) fn commit(mut self) -> std::io::Result<()> {
        let mut writer = self
            .writer
            .take()
            .ok_or_else(|| std::io::Error::other("output file already closed"))?;
        writer.write_all(if self.empty { b"]\n" } else { b"\n]\n" })?;
        let temp = writer.into_inner().map_err(|e| e.into_error())?;
        temp.as_file().sync_all()?;
        temp.persist(&self.path).map_err(|e| e.error)?;
        // Make the rename itself durable.
        if let Some(dir) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, items: &[serde_json::Value]) -> std::io::Result<()> {
        let mut file = JsonArrayFile::create(path)?;
        for item in items {
            file.push(item)?;
        }
        file.commit()
    }

    fn read(path: &Path) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn writes_and_replaces_leaving_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/out.json");
        write(&path, &[serde_json::json!({"id": "r1"})]).unwrap();
        write(
            &path,
            &[
                serde_json::json!({"id": "r2"}),
                serde_json::json!({"id": "r3"}),
            ],
        )
        .unwrap();
        assert_eq!(read(&path), serde_json::json!([{"id": "r2"}, {"id": "r3"}]));
        write(&path, &[]).unwrap();
        assert_eq!(read(&path), serde_json::json!([]));
        let leftovers = std::fs::read_dir(path.parent().unwrap()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary files left behind");
    }

    #[test]
    fn an_abandoned_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        write(&path, &[serde_json::json!(1)]).unwrap();
        let mut file = JsonArrayFile::create(&path).unwrap();
        file.push(&serde_json::json!(2)).unwrap();
        drop(file);
        assert_eq!(read(&path), serde_json::json!([1]));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    #[cfg(unix)]
    fn the_file_gets_the_permissions_file_create_gives() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let reference = dir.path().join("reference");
        File::create(&reference).unwrap();
        let path = dir.path().join("tasks.json");
        write(&path, &[]).unwrap();
        assert_eq!(mode(&path), mode(&reference), "{:o}", mode(&path));
    }

    #[test]
    fn a_directory_path_fails_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        assert!(JsonArrayFile::create(dir.path()).is_err());
    }
}
