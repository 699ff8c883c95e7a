//! Real Terraform for tests: the matrix of versions the provider supports,
//! each fetched by `scripts/fetch-terraform.sh` (pinned by SHA-256 in
//! `scripts/lib/terraform-builds.tsv`) into its own directory of a cache
//! outside the repository (`~/.cache/terraform-provider-dbs`, or
//! `$DBS_TEST_CACHE`), so a fresh clone's test command needs nothing
//! preinstalled but Python with pip.
//!
//! `DBS_TEST_EXTRA_TERRAFORM=/path/to/terraform` (an official release, or
//! OpenTofu's `tofu`) adds a binary of the user's own to the matrix.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// One Terraform of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tf {
    V1_0_3,
    V1_6_6,
    V1_10_5,
    V1_15_5,
    /// The binary named by `DBS_TEST_EXTRA_TERRAFORM`.
    Extra,
}

/// Something only some Terraform versions do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    /// `terraform test` with `run` blocks (1.6).
    TestCommand,
    /// `mock_provider`, `mock_data` and `override_data` in tests (1.7).
    Mocks,
    /// `terraform_data`, the built-in resource (1.4).
    TerraformData,
    /// `import` blocks in configuration (1.5).
    ImportBlock,
}

/// The pinned versions plus the user's extra binary, oldest first.
/// `DBS_TEST_TERRAFORM_VERSIONS=1.0.3,1.15.5` narrows it (for a quick local
/// run, or to measure one version); tests pinned to one version still run.
pub fn matrix() -> Vec<Tf> {
    let mut all = vec![Tf::V1_0_3, Tf::V1_6_6, Tf::V1_10_5, Tf::V1_15_5];
    if extra_binary().is_some() {
        all.push(Tf::Extra);
    }
    match std::env::var("DBS_TEST_TERRAFORM_VERSIONS") {
        Ok(list) if !list.trim().is_empty() => {
            let wanted: Vec<&str> = list.split(',').map(str::trim).collect();
            all.retain(|tf| {
                wanted.contains(&tf.version()) || (*tf == Tf::Extra && wanted.contains(&"extra"))
            });
            all
        }
        _ => all,
    }
}

/// The versions of the matrix that have `feature`.
pub fn with(feature: Feature) -> Vec<Tf> {
    matrix()
        .into_iter()
        .filter(|tf| tf.supports(feature))
        .collect()
}

fn extra_binary() -> Option<PathBuf> {
    std::env::var_os("DBS_TEST_EXTRA_TERRAFORM")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

impl Tf {
    /// The version, as `terraform version -json` reports it.
    pub fn version(self) -> &'static str {
        match self {
            Tf::V1_0_3 => "1.0.3",
            Tf::V1_6_6 => "1.6.6",
            Tf::V1_10_5 => "1.10.5",
            Tf::V1_15_5 => "1.15.5",
            Tf::Extra => extra_version(),
        }
    }

    /// `(major, minor, patch)` of [`version`](Self::version).
    pub fn numbers(self) -> (u32, u32, u32) {
        let mut parts = self
            .version()
            .split(|c: char| !c.is_ascii_digit())
            .map(|p| p.parse().unwrap_or(0));
        (
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
        )
    }

    pub fn supports(self, feature: Feature) -> bool {
        let since = match feature {
            Feature::TestCommand => (1, 6, 0),
            Feature::Mocks => (1, 7, 0),
            Feature::TerraformData => (1, 4, 0),
            Feature::ImportBlock => (1, 5, 0),
        };
        self.numbers() >= since
    }
}

/// The extra binary's version, asked once.
fn extra_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let binary = extra_binary().expect("DBS_TEST_EXTRA_TERRAFORM is set");
        let output = Command::new(&binary)
            .args(["version", "-json"])
            .output()
            .unwrap_or_else(|e| panic!("DBS_TEST_EXTRA_TERRAFORM={}: {e}", binary.display()));
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "DBS_TEST_EXTRA_TERRAFORM={}: `version -json` printed no JSON ({e})",
                binary.display()
            )
        });
        json["terraform_version"]
            .as_str()
            .expect("terraform_version in `version -json`")
            .to_string()
    })
}

pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("DBS_TEST_CACHE") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("terraform-provider-dbs")
}

/// Path of an executable `terraform` for `tf`, downloading it on first use
/// (the script locks the cache, so parallel tests download once).
pub fn terraform(tf: Tf) -> PathBuf {
    if tf == Tf::Extra {
        return extra_binary().expect("DBS_TEST_EXTRA_TERRAFORM is set");
    }
    let exe = cache_dir()
        .join(format!("terraform-{}", tf.version()))
        .join("terraform");
    if exe.exists() {
        return exe;
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/fetch-terraform.sh");
    let output = Command::new("bash")
        .arg(&script)
        .arg(tf.version())
        .env("DBS_TEST_CACHE", cache_dir())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        output.status.success(),
        "fetching Terraform {} failed:\n{}",
        tf.version(),
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    assert_eq!(printed, exe, "fetch-terraform.sh put Terraform elsewhere");
    exe
}

/// The `terraform` block every workspace of this provider starts with (the address the
/// workspaces' `dev_overrides` serve).
pub const REQUIRED_PROVIDERS: &str = r#"
terraform {
  required_providers {
    dbs = { source = "example/dbs" }
  }
}
"#;

/// A throwaway Terraform working directory wired to the locally built
/// provider through `dev_overrides` (no `terraform init` needed).
pub struct Workspace {
    pub dir: tempfile::TempDir,
    pub tf: Tf,
    env: Vec<(String, String)>,
}

impl Workspace {
    /// A workspace for this repository's provider, `example/dbs`.
    pub fn new(tf: Tf, main_tf: &str) -> Self {
        let provider_dir = super::plugin::provider_binary()
            .parent()
            .unwrap()
            .to_path_buf();
        Self::for_provider(tf, "example/dbs", &provider_dir, main_tf)
    }

    /// A workspace whose `source_address` (e.g. `example/example`) is the
    /// `terraform-provider-<type>` binary in `binary_dir`.
    pub fn for_provider(tf: Tf, source_address: &str, binary_dir: &Path, main_tf: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let cli_config = dir.path().join("cli.tfrc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    {source_address:?} = {:?}\n  }}\n  direct {{}}\n}}\n",
                binary_dir.display().to_string()
            ),
        )
        .unwrap();
        std::fs::write(dir.path().join("main.tf"), main_tf).unwrap();
        Self {
            dir,
            tf,
            env: vec![
                (
                    "TF_CLI_CONFIG_FILE".into(),
                    cli_config.display().to_string(),
                ),
                ("CHECKPOINT_DISABLE".into(), "1".into()),
                ("TF_IN_AUTOMATION".into(), "1".into()),
            ],
        }
    }

    /// Replaces `main.tf`, for the next step of a test.
    pub fn write_main(&self, main_tf: &str) {
        std::fs::write(self.path().join("main.tf"), main_tf).unwrap();
    }

    /// A workspace holding the files of `tests/fixtures/terraform/<name>/`
    /// (subdirectories too), minus those `skip` rejects.
    pub fn from_fixture(tf: Tf, name: &str, skip: impl Fn(&Path) -> bool) -> Self {
        let ws = Self::new(tf, "");
        std::fs::remove_file(ws.path().join("main.tf")).unwrap();
        let source = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/terraform")
            .join(name);
        copy_tree(&source, ws.path(), &source, &skip);
        ws
    }

    /// Points the provider at `emulator` for every later command.
    pub fn with_emulator(mut self, emulator: &super::emulator::RunningEmulator) -> Self {
        for (k, v) in emulator.provider_env() {
            self = self.env(k, &v);
        }
        self
    }

    /// Adds an environment variable for every later command.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(terraform(self.tf));
        command.args(args).current_dir(self.dir.path());
        // Keep the developer's own settings out of the test.
        for var in [
            "TF_LOG",
            "TF_LOG_PROVIDER",
            "TF_LOG_PATH",
            "TF_REATTACH_PROVIDERS",
        ] {
            command.env_remove(var);
        }
        for (k, v) in &self.env {
            command.env(k, v);
        }
        command
    }

    /// Runs terraform with `args` and returns everything it printed.
    pub fn run(&self, args: &[&str]) -> TfOutput {
        let output = self.command(args).output().expect("run terraform");
        TfOutput::from(output)
    }
}

pub struct TfOutput {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for TfOutput {
    fn from(o: Output) -> Self {
        Self {
            success: o.status.success(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl TfOutput {
    /// Panics with everything Terraform said unless it succeeded.
    pub fn ok(self) -> Self {
        assert!(
            self.success,
            "terraform failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

fn copy_tree(from: &Path, to: &Path, root: &Path, skip: &dyn Fn(&Path) -> bool) {
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let relative = path.strip_prefix(root).unwrap();
        if skip(relative) {
            continue;
        }
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&path, &target, root, skip);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// `terraform output -json`, parsed.
pub fn outputs(out: &TfOutput) -> serde_json::Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.all()))
}
