//! `output_file`: the tasks as JSON, written so that readers never see a
//! half-written file (temporary file in the same directory, then rename).

use std::io::Write;
use std::path::Path;

/// Writes `json` to `path` atomically, creating missing parent directories.
pub(crate) fn write_atomically(path: &Path, json: &serde_json::Value) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let file_name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("output_file names a directory"))?;
    let temp = dir.join(format!(
        ".{}.{:016x}.tmp",
        file_name.to_string_lossy(),
        rand::random::<u64>()
    ));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        serde_json::to_writer_pretty(&mut file, json)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/out.json");
        write_atomically(&path, &serde_json::json!([{"id": "r1"}])).unwrap();
        write_atomically(&path, &serde_json::json!([{"id": "r2"}])).unwrap();
        let back: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(back, serde_json::json!([{"id": "r2"}]));
        let leftovers = std::fs::read_dir(path.parent().unwrap()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary files left behind");
    }

    #[test]
    fn a_directory_path_fails_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        assert!(write_atomically(dir.path(), &serde_json::json!([])).is_err());
    }
}
