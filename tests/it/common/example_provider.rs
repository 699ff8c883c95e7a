//! The SDK's example provider (`examples/sdk_provider.rs`), built and laid
//! out the way Terraform's `dev_overrides` wants it.
//!
//! `cargo test --all-targets` builds the example, but a narrower `cargo
//! test --test it` does not; so the first use runs `cargo build --example`
//! (a no-op when it is up to date), with the cargo that runs the tests.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// `target/<triple>/<profile>/`, the directory above the test binary's `deps/`.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// The example binary, built if need be.
pub fn example_binary() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let binary = profile_dir().join("examples/sdk_provider");
            if let Some(cargo) = std::env::var_os("CARGO") {
                let mut build = Command::new(cargo);
                build.args(["build", "--example", "sdk_provider"]);
                if profile_dir().ends_with("release") {
                    build.arg("--release");
                }
                let output = build
                    .current_dir(env!("CARGO_MANIFEST_DIR"))
                    .output()
                    .expect("run cargo build --example sdk_provider");
                assert!(
                    output.status.success(),
                    "cargo build --example sdk_provider failed:\n{}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            assert!(
                binary.exists(),
                "{} is missing: run `cargo build --example sdk_provider`",
                binary.display()
            );
            binary
        })
        .clone()
}

/// A directory holding only `terraform-provider-example`, a link to the
/// example binary: `dev_overrides` looks the binary up by that name, and
/// Cargo's examples directory holds other builds under similar names.
pub fn provider_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        example_binary(),
        dir.path().join("terraform-provider-example"),
    )
    .unwrap();
    dir
}
