//! The release as users install it without a registry: `scripts/release.sh`
//! packages the provider, the zip is laid out as a packed
//! `filesystem_mirror`, a real `terraform init` (no dev_overrides) installs it
//! and records its hashes in `.terraform.lock.hcl`, and an apply reads restore
//! jobs from the emulator through the installed copy.
//!
//! The script is given the binary this test run already built (`--binary`):
//! packaging is what is under test, and a release-profile build here would
//! cost minutes of CI time for no extra coverage.
//!
//! The mirror uses the packed layout (`HOST/NS/TYPE/NAME_VERSION_OS_ARCH.zip`)
//! so that the very zip the release publishes is what Terraform installs.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use crate::common::emulator::{sample_fixture, RunningEmulator};
use crate::common::plugin::provider_binary;
use crate::common::terraform::{matrix, Tf, TfOutput, Workspace};

const VERSION: &str = env!("CARGO_PKG_VERSION");
const PROVIDER: &str = "registry.terraform.io/example/dbs";

fn zip_name() -> String {
    format!("terraform-provider-dbs_{VERSION}_linux_amd64.zip")
}
fn exe_name() -> String {
    format!("terraform-provider-dbs_v{VERSION}")
}
fn manifest_name() -> String {
    format!("terraform-provider-dbs_{VERSION}_manifest.json")
}
fn sums_name() -> String {
    format!("terraform-provider-dbs_{VERSION}_SHA256SUMS")
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Runs `scripts/release.sh --binary BINARY --out OUT`.
fn run_release(binary: &Path, out: &Path, source_date_epoch: &str) -> std::process::Output {
    Command::new("bash")
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/release.sh"))
        .arg("--binary")
        .arg(binary)
        .arg("--out")
        .arg(out)
        .env("SOURCE_DATE_EPOCH", source_date_epoch)
        .output()
        .expect("run scripts/release.sh")
}

/// Packages the provider this test run built into `out`.
fn release(out: &Path) {
    let output = run_release(&provider_binary(), out, "1700000000");
    assert!(
        output.status.success(),
        "release.sh failed\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `SHA256SUMS` as (file name, hex digest) pairs, in file order.
fn read_sums(out: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(out.join(sums_name()))
        .unwrap()
        .lines()
        .map(|line| {
            let (digest, name) = line
                .split_once("  ")
                .unwrap_or_else(|| panic!("not `<sha256>  <name>`: {line:?}"));
            (name.to_string(), digest.to_string())
        })
        .collect()
}

#[test]
fn release_writes_checksummed_reproducible_artifacts() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    release(first.path());
    release(second.path());

    let mut files: Vec<String> = std::fs::read_dir(first.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut want = vec![exe_name(), zip_name(), manifest_name(), sums_name()];
    want.sort();
    assert_eq!(files, want, "exactly the four release files");

    let binary = std::fs::read(first.path().join(exe_name())).unwrap();
    assert_eq!(
        binary,
        std::fs::read(provider_binary()).unwrap(),
        "the packaged binary is the built one"
    );

    let manifest: Json =
        serde_json::from_slice(&std::fs::read(first.path().join(manifest_name())).unwrap())
            .unwrap();
    assert_eq!(
        manifest,
        serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}})
    );

    let sums = read_sums(first.path());
    let names: Vec<&str> = sums.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, [zip_name(), manifest_name()]);
    for (name, digest) in &sums {
        let bytes = std::fs::read(first.path().join(name)).unwrap();
        assert_eq!(&sha256_hex(&bytes), digest, "SHA256SUMS line for {name}");
    }

    assert_eq!(
        sums,
        read_sums(second.path()),
        "the same binary and SOURCE_DATE_EPOCH give the same zip, byte for byte"
    );
}

#[test]
fn release_rejects_a_binary_of_another_version() {
    let dir = tempfile::tempdir().unwrap();
    let impostor = dir.path().join("terraform-provider-dbs");
    std::fs::write(
        &impostor,
        "#!/bin/sh\necho terraform-provider-dbs 0.0.0-other\n",
    )
    .unwrap();
    std::fs::set_permissions(
        &impostor,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let out = dir.path().join("dist");
    let output = run_release(&impostor, &out, "1700000000");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("0.0.0-other") && stderr.contains(VERSION),
        "says which versions disagree: {stderr}"
    );
    assert!(!out.join(zip_name()).exists(), "nothing is packaged");
}

#[test]
fn release_rejects_a_dynamically_linked_binary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dist");
    // Any glibc-linked executable of this machine will do.
    let output = run_release(std::path::Path::new("/bin/ls"), &out, "1700000000");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is dynamically linked"), "{stderr}");
    assert!(!out.join(zip_name()).exists(), "nothing is packaged");
}

const MAIN_TF: &str = r#"
terraform {
  required_providers {
    dbs = {
      source  = "example/dbs"
      version = "= VERSION"
    }
  }
}

provider "dbs" {}

data "dbs_restore_tasks" "all" {}

output "ids" {
  value = data.dbs_restore_tasks.all.ids
}
"#;

/// Terraform's `h1:` hash of an unpacked package (Go's dirhash "Hash1"):
/// SHA-256 over the sorted lines `<sha256 hex>  <relative path>\n`. The
/// release zip holds one file, so this is computed independently of
/// Terraform from the binary and the name it must have inside the zip.
fn h1_of_single_file(name: &str, contents: &[u8]) -> String {
    let summary = format!("{}  {name}\n", sha256_hex(contents));
    let digest = Sha256::digest(summary.as_bytes());
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The `hashes` of our provider's block in `.terraform.lock.hcl`, and its version.
fn locked(lock_file: &str) -> (String, Vec<String>) {
    let start = lock_file
        .find(&format!("provider \"{PROVIDER}\""))
        .unwrap_or_else(|| panic!("no {PROVIDER} block in:\n{lock_file}"));
    let block = &lock_file[start..];
    let block = &block[..block.find("\n}").expect("end of provider block")];
    let version = block
        .lines()
        .find_map(|l| l.trim().strip_prefix("version"))
        .and_then(|rest| rest.split('"').nth(1))
        .expect("version line")
        .to_string();
    let hashes = block
        .split('"')
        .filter(|s| s.starts_with("h1:") || s.starts_with("zh:"))
        .map(str::to_string)
        .collect();
    (version, hashes)
}

fn fixture_ids() -> Vec<Json> {
    let fixture: Json =
        serde_json::from_str(&std::fs::read_to_string(sample_fixture()).unwrap()).unwrap();
    fixture["RestoreTaskDetail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["RestoreTaskId"].clone())
        .collect()
}

/// The release zip, laid out as a packed filesystem mirror, and a CLI config
/// that installs `example/dbs` from it and from nowhere else.
struct Mirror {
    dir: tempfile::TempDir,
}

impl Mirror {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        release(&dir.path().join("dist"));
        let package_dir = dir.path().join("mirror").join(PROVIDER);
        std::fs::create_dir_all(&package_dir).unwrap();
        std::fs::copy(
            dir.path().join("dist").join(zip_name()),
            package_dir.join(zip_name()),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("mirror.tfrc"),
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path    = {:?}\n    include = [\"{PROVIDER}\"]\n  }}\n}}\n",
                dir.path().join("mirror").display().to_string()
            ),
        )
        .unwrap();
        Self { dir }
    }

    fn cli_config(&self) -> PathBuf {
        self.dir.path().join("mirror.tfrc")
    }

    /// The zip's digest as SHA256SUMS states it.
    fn zip_digest(&self) -> String {
        read_sums(&self.dir.path().join("dist"))
            .into_iter()
            .find(|(name, _)| *name == zip_name())
            .map(|(_, digest)| digest)
            .expect("zip in SHA256SUMS")
    }
}

fn init_and_apply_from_mirror(tf: Tf, mirror: &Mirror, emulator: &RunningEmulator) {
    let mut ws = Workspace::new(tf, &MAIN_TF.replace("VERSION", VERSION));
    // The shared workspace comes with a dev_overrides config: remove it, so
    // that only the mirror can provide the provider.
    std::fs::remove_file(ws.path().join("cli.tfrc")).unwrap();
    for (k, v) in emulator.provider_env() {
        ws = ws.env(k, &v);
    }
    let run = |args: &[&str]| {
        let mut command = ws.command(args);
        command
            .env("TF_CLI_CONFIG_FILE", mirror.cli_config())
            .env_remove("TF_PLUGIN_CACHE_DIR");
        TfOutput::from(command.output().expect("run terraform")).ok()
    };

    let init = run(&["init", "-no-color", "-input=false"]);
    assert!(
        init.all()
            .contains(&format!("Installed example/dbs v{VERSION}")),
        "{tf:?}: init installs from the mirror:\n{}",
        init.all()
    );
    let installed = ws
        .path()
        .join(".terraform/providers")
        .join(PROVIDER)
        .join(VERSION)
        .join("linux_amd64")
        .join(exe_name());
    assert!(
        installed.is_file(),
        "{tf:?}: {} missing",
        installed.display()
    );

    let lock_file = std::fs::read_to_string(ws.path().join(".terraform.lock.hcl")).unwrap();
    let (version, hashes) = locked(&lock_file);
    assert_eq!(version, VERSION, "{tf:?}: locked version");
    let binary = std::fs::read(provider_binary()).unwrap();
    let h1 = h1_of_single_file(&exe_name(), &binary);
    assert!(
        hashes.contains(&h1),
        "{tf:?}: lock file has {h1}:\n{lock_file}"
    );
    // Terraform 1.0.3 and 1.15.5 both record only `h1:` for a filesystem
    // mirror: `zh:` hashes come from a registry's signed SHA256SUMS. Should a
    // later version record one, it must be the zip we published.
    let zh = format!("zh:{}", mirror.zip_digest());
    for hash in hashes.iter().filter(|h| h.starts_with("zh:")) {
        assert_eq!(hash, &zh, "{tf:?}: zh: is the zip's line in SHA256SUMS");
    }
    let before = emulator.request_count();
    let apply = run(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert!(
        !apply.all().contains("development overrides"),
        "{tf:?}: no dev_overrides in play:\n{}",
        apply.all()
    );
    let out: Json = serde_json::from_str(&run(&["output", "-json"]).stdout).unwrap();
    assert_eq!(out["ids"]["value"], Json::Array(fixture_ids()), "{tf:?}");
    assert!(
        emulator.request_count() > before,
        "{tf:?}: the installed provider asked the emulator"
    );
}

#[test]
fn terraform_init_installs_the_release_zip_from_a_filesystem_mirror() {
    let mirror = Mirror::new();
    let emulator = RunningEmulator::sample();
    for tf in matrix() {
        init_and_apply_from_mirror(tf, &mirror, &emulator);
    }
}
