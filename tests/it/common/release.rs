//! The release zip and the provider binary inside it, for tests about
//! packaging (`release_zip_*` tests).
//!
//! Which zip: `DBS_RELEASE_ZIP` when set (`.ci/run` points it at the
//! release-profile zip `scripts/release.sh` built), else a zip that
//! `scripts/release.sh --binary` packages from this test run's own provider
//! build. Both are static-pie binaries (see `.cargo/config.toml`), so the
//! default test run checks the packaging and the linking without a second,
//! release-profile build of every dependency.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::plugin::provider_binary;

/// Name of the binary inside the zip, as Terraform expects it.
pub fn exe_name() -> String {
    format!("terraform-provider-dbs_v{}", env!("CARGO_PKG_VERSION"))
}

/// Path of the release zip (packaged at most once per test process).
pub fn release_zip() -> PathBuf {
    static ZIP: OnceLock<PathBuf> = OnceLock::new();
    ZIP.get_or_init(|| match std::env::var_os("DBS_RELEASE_ZIP") {
        Some(path) => PathBuf::from(path),
        None => package_this_build(),
    })
    .clone()
}

/// The provider binary, extracted from [`release_zip`].
pub fn release_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            let dir = kept_dir("extracted");
            run(
                Command::new("python3")
                    .args(["-m", "zipfile", "-e"])
                    .arg(release_zip())
                    .arg(&dir),
                "unzip the release zip",
            );
            let binary = dir.join(exe_name());
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
            binary
        })
        .clone()
}

fn package_this_build() -> PathBuf {
    let out = kept_dir("dist");
    run(
        Command::new("bash")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/release.sh"))
            .arg("--binary")
            .arg(provider_binary())
            .arg("--out")
            .arg(&out),
        "scripts/release.sh --binary",
    );
    let zip = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "zip"))
        .expect("release.sh wrote a zip");
    zip
}

/// A fresh directory under the target directory's test scratch space: it
/// outlives single tests (they share the zip) but not the next run.
fn kept_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("release-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(command: &mut Command, what: &str) {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
