//! The release zip's binary runs where Terraform runs: it is static (no
//! glibc, no loader), so Terraform can start it in an empty root holding only
//! the provider, the static Terraform 1.0.3, a CA bundle and `/etc/hosts` —
//! what an Alpine, distroless or scratch image amounts to. Without a CA
//! bundle, the diagnostic says where it looked and how to point elsewhere.
//!
//! Like a container, the root gets its own `/proc` (Terraform 1.0 reads
//! `/proc/self/exe`). `chroot` and `unshare` need root; elsewhere these tests
//! say so and pass vacuously.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value as Json};

use crate::common::emulator::RunningEmulator;
use crate::common::fixture::expected_tasks;
use crate::common::release::{exe_name, release_binary};
use crate::common::terraform::REQUIRED_PROVIDERS;
use crate::common::terraform::{terraform, Tf, TfOutput};

/// The part after the shared `terraform` block.
const CONFIG_BODY: &str = r#"
provider "dbs" {}
data "dbs_restore_tasks" "all" {}
output "tasks" { value = data.dbs_restore_tasks.all.tasks }
"#;

fn config() -> String {
    format!("{REQUIRED_PROVIDERS}{CONFIG_BODY}")
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// A tool from PATH, found before the environment is cleared for the child.
fn tool(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .chain(["/usr/sbin".into(), "/sbin".into(), "/usr/bin".into()])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} (util-linux / coreutils) on PATH"))
}

/// An empty root with the provider (from the zip), Terraform 1.0.3,
/// `/etc/hosts`, a private `/tmp`, and a working directory `/work`.
struct EmptyRoot {
    dir: tempfile::TempDir,
}

impl EmptyRoot {
    fn new(ca_bundle: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for sub in ["plugins", "etc", "tmp", "work", "proc"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(root.join("tmp"), std::fs::Permissions::from_mode(0o1777))
            .unwrap();
        std::fs::copy(release_binary(), root.join("plugins").join(exe_name())).unwrap();
        std::fs::copy(terraform(Tf::V1_0_3), root.join("terraform")).unwrap();
        std::fs::write(root.join("etc/hosts"), "127.0.0.1 localhost\n").unwrap();
        if ca_bundle {
            let bundle = Path::new("/etc/ssl/certs/ca-certificates.crt");
            std::fs::create_dir_all(root.join("etc/ssl/certs")).unwrap();
            std::fs::copy(bundle, root.join("etc/ssl/certs/ca-certificates.crt"))
                .unwrap_or_else(|e| panic!("this machine's CA bundle {}: {e}", bundle.display()));
        }
        std::fs::write(root.join("work/main.tf"), config()).unwrap();
        std::fs::write(
            root.join("work/cli.tfrc"),
            "provider_installation {\n  dev_overrides {\n    \"example/dbs\" = \"/plugins\"\n  }\n  direct {}\n}\n",
        )
        .unwrap();
        Self { dir }
    }

    /// Every file in the root, to show it really is empty.
    fn files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, root: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    out.push(path.strip_prefix(root).unwrap().to_path_buf());
                }
            }
        }
        let mut out = Vec::new();
        walk(self.dir.path(), self.dir.path(), &mut out);
        out.sort();
        out
    }

    /// Terraform inside the root, with nothing of this machine's environment.
    fn terraform(&self, endpoint: &str, emulator: &RunningEmulator, args: &[&str]) -> TfOutput {
        // A container has its own /proc, and Terraform 1.0's panicwrap needs
        // /proc/self/exe: unshare gives the root a private one that vanishes
        // with the process, so nothing is left mounted.
        let mut command = Command::new(tool("unshare"));
        command
            .args(["--mount", "--pid", "--fork"])
            .arg(format!(
                "--mount-proc={}",
                self.dir.path().join("proc").display()
            ))
            .arg(tool("chroot"))
            .arg(self.dir.path())
            .arg("/terraform")
            .arg("-chdir=/work")
            .args(args)
            .env_clear()
            .env("HOME", "/work")
            .env("TMPDIR", "/tmp")
            .env("TF_CLI_CONFIG_FILE", "/work/cli.tfrc")
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1");
        for (key, value) in emulator.provider_env() {
            command.env(key, value);
        }
        command.env("ALIBABA_CLOUD_ENDPOINT_DBS", endpoint);
        TfOutput::from(command.output().expect("run chroot"))
    }
}

#[test]
fn release_zip_binary_needs_no_shared_library() {
    let binary = release_binary();
    let ldd = Command::new("ldd").arg(&binary).output().expect("run ldd");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&ldd.stdout),
        String::from_utf8_lossy(&ldd.stderr)
    );
    assert!(
        text.contains("statically linked") || text.contains("not a dynamic executable"),
        "ldd {}: {text}",
        binary.display()
    );
    assert!(!text.contains("=>") && !text.contains("ld-linux"), "{text}");
}

#[test]
fn release_zip_binary_serves_terraform_in_an_empty_root() {
    if !is_root() {
        eprintln!("skipped: chroot needs root; run the tests as root (CI does)");
        return;
    }
    let emulator = RunningEmulator::sample();
    let root = EmptyRoot::new(true);
    let endpoint = emulator.url().replace("127.0.0.1", "localhost");
    let apply = root.terraform(
        &endpoint,
        &emulator,
        &["apply", "-auto-approve", "-no-color", "-input=false"],
    );
    assert!(
        apply.success,
        "in an empty root holding {:?}:\n{}",
        root.files(),
        apply.all()
    );
    let output = root.terraform(&endpoint, &emulator, &["output", "-json"]);
    let outputs: Json =
        serde_json::from_str(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", output.all()));
    assert_eq!(outputs["tasks"]["value"], json!(expected_tasks(|_| true)));
}

#[test]
fn release_zip_binary_without_a_ca_bundle_says_where_it_looked() {
    if !is_root() {
        eprintln!("skipped: chroot needs root; run the tests as root (CI does)");
        return;
    }
    let emulator = RunningEmulator::sample();
    let root = EmptyRoot::new(false);
    // HTTPS on a closed loopback port: the trust store is needed, and
    // nothing could leave the machine even if the check were missing.
    let plan = root.terraform(
        "https://localhost:1",
        &emulator,
        &["plan", "-no-color", "-input=false"],
    );
    let text = plan.all();
    assert!(!plan.success, "{text}");
    for needle in [
        "No CA certificates",
        "SSL_CERT_FILE",
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "ca-certificates",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    assert!(!text.contains("builder error"), "{text}");
    // Plain HTTP to loopback needs no bundle: the emulator is still readable.
    let endpoint = emulator.url().replace("127.0.0.1", "localhost");
    let plan = root.terraform(&endpoint, &emulator, &["plan", "-no-color", "-input=false"]);
    assert!(plan.success, "{}", plan.all());
}
