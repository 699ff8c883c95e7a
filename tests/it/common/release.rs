//! The release build of the provider; `plugin.rs` starts it and talks to it
//! exactly as it does with the test profile's own binary.
//!
//! Which binary: `DBS_RELEASE_BINARY` when set (e.g. the
//! `terraform-provider-dbs_vX.Y.Z` that `scripts/release.sh` wrote), else
//! `cargo build --release`, which is a no-op when the release build is
//! already up to date and otherwise guarantees that what is checked is the
//! current source, never a stale binary lying in `target/release`.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Path of the release binary (built at most once per test process).
pub fn release_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| match std::env::var_os("DBS_RELEASE_BINARY") {
            Some(path) => PathBuf::from(path),
            None => cargo_build_release(),
        })
        .clone()
}

fn cargo_build_release() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--bin",
            "terraform-provider-dbs",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(Stdio::inherit())
        .output()
        .expect("run cargo build --release");
    assert!(output.status.success(), "cargo build --release failed");
    // Cargo says where it put the executable; that honours CARGO_TARGET_DIR
    // and build.target-dir without guessing.
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .filter(|m| m["target"]["name"] == "terraform-provider-dbs")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo reported the release executable")
}
