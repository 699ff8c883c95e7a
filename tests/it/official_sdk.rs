//! Alibaba's official Python DBS SDK against the emulator: the strongest evidence that the
//! emulator's V3 and v1 checks, paging and answer shapes are the real ones is that the vendor's
//! own client, unmodified and in its default settings, reads every task through it.
//!
//! The SDK is installed into a throwaway venv from a wheelhouse kept in the pip cache
//! (`$DBS_TEST_CACHE/pip`, else the target dir), which the first run fills from PyPI (pinned
//! SDK, dependencies as pip resolves them) and later runs install from offline in a few
//! seconds. Without PyPI and without a wheelhouse the test says "skipped: PyPI unreachable" and
//! passes; any other failure of pip fails it. `python3 -m venv` must work (Debian's
//! python3-venv); its absence fails the test with that advice.

use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;
use terraform_provider_dbs::emulator::{EmulatorConfig, TaskSource, DEFAULT_ACCESS_KEY_ID};

use crate::common::emulator::RunningEmulator;
use crate::common::emulator_requests::Call;

/// The SDK under test: the latest release when this test was written. Its dependencies
/// (alibabacloud-tea-openapi and friends) are left to pip, as a user's install would.
const SDK: &str = "alibabacloud-dbs20190306==1.0.3";
const TASKS: usize = 50;
/// Small and not a divisor of [`TASKS`], so the last page is a partial one.
const PAGE_SIZE: usize = 7;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/official-sdk/page_through.py")
}

fn pip_cache() -> PathBuf {
    match std::env::var_os("DBS_TEST_CACHE") {
        Some(dir) => PathBuf::from(dir).join("pip"),
        None => PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pip-cache"),
    }
}

/// Fills (once per SDK pin and Python ABI) and returns the wheelhouse the SDK is installed
/// from; `Err` with the reason when PyPI cannot be reached.
fn wheelhouse(python: &Path) -> Result<PathBuf, String> {
    let abi = Command::new(python)
        .args(["-c", "import sys; print(sys.implementation.cache_tag)"])
        .output()
        .expect("the venv's python runs");
    let abi = String::from_utf8_lossy(&abi.stdout).trim().to_owned();
    let cache = pip_cache();
    let dir = cache.join(format!("wheelhouse-{}-{abi}", SDK.replace("==", "-")));
    if dir.join(COMPLETE).exists() {
        return Ok(dir);
    }
    std::fs::create_dir_all(&cache).expect("a pip cache dir");
    let partial = tempfile::tempdir_in(&cache).expect("a partial wheelhouse");
    let pip = Command::new(python)
        .args([
            "-m",
            "pip",
            "wheel",
            "--disable-pip-version-check",
            "--no-input",
        ])
        .args(["--retries", "1", "--timeout", "20", "--cache-dir"])
        .arg(&cache)
        .arg("--wheel-dir")
        .arg(partial.path())
        .arg(SDK)
        .output()
        .expect("pip runs");
    if !pip.status.success() {
        if let Some(reason) = pypi_unreachable(&pip) {
            return Err(reason);
        }
        panic!(
            "pip could not fetch {SDK}:
{}",
            text(&pip)
        );
    }
    std::fs::write(partial.path().join(COMPLETE), SDK).expect("mark the wheelhouse complete");
    // Another test run may have finished first; its wheelhouse is as good as this one.
    let kept = partial.keep();
    if std::fs::rename(&kept, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&kept);
    }
    Ok(dir)
}

/// Marks a wheelhouse that holds everything the SDK needs.
const COMPLETE: &str = ".complete";

fn text(output: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn make_venv(dir: &Path) -> PathBuf {
    let output = Command::new("python3")
        .args(["-m", "venv"])
        .arg(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 ({e}); install python3 and python3-venv"));
    assert!(
        output.status.success(),
        "`python3 -m venv` failed; install python3-venv (the CI machine has it):\n{}",
        text(&output)
    );
    dir.join("bin/python")
}

/// Why PyPI cannot be reached, if it cannot: pip's own words for a network failure, or a
/// failed TCP connection to pypi.org (a failure of pip for any other reason is a test failure).
fn pypi_unreachable(pip: &Output) -> Option<String> {
    let stderr = String::from_utf8_lossy(&pip.stderr);
    const NETWORK: [&str; 7] = [
        "Failed to establish a new connection",
        "Temporary failure in name resolution",
        "Name or service not known",
        "Network is unreachable",
        "No route to host",
        "Connection refused",
        "ConnectTimeoutError",
    ];
    if let Some(line) = stderr
        .lines()
        .find(|line| NETWORK.iter().any(|needle| line.contains(needle)))
    {
        return Some(line.trim().to_owned());
    }
    let addrs = match ("pypi.org", 443).to_socket_addrs() {
        Ok(addrs) => addrs.collect::<Vec<_>>(),
        Err(e) => return Some(format!("cannot resolve pypi.org: {e}")),
    };
    let connected = addrs
        .iter()
        .any(|addr| TcpStream::connect_timeout(addr, Duration::from_secs(5)).is_ok());
    (!connected).then(|| "cannot connect to pypi.org:443".to_owned())
}

/// Runs the fixture script; its one JSON line.
fn page_through(python: &Path, endpoint: &str, secret: &str, mode: &str) -> Value {
    let output = Command::new(python)
        .arg(script())
        .args([endpoint, DEFAULT_ACCESS_KEY_ID, secret, mode])
        .arg(PAGE_SIZE.to_string())
        // The SDK's credential chain must not pick up anything from the machine.
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        .env_remove("ALIBABA_CLOUD_SECURITY_TOKEN")
        .env("NO_PROXY", "127.0.0.1")
        .output()
        .expect("the venv's python runs");
    assert!(output.status.success(), "{}", text(&output));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", text(&output)))
}

#[test]
fn the_official_python_sdk_reads_every_task_with_v3_and_v1() {
    let started = Instant::now();
    let work = tempfile::tempdir().expect("a temp dir");
    let python = make_venv(&work.path().join("venv"));
    let wheels = match wheelhouse(&python) {
        Ok(wheels) => wheels,
        Err(reason) => {
            eprintln!("skipped: PyPI unreachable: {reason}");
            return;
        }
    };
    // Offline, and without byte-compiling: installing is then a matter of seconds.
    let pip = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
        ])
        .args(["--no-index", "--no-compile", "--find-links"])
        .arg(&wheels)
        .arg(SDK)
        .output()
        .expect("pip runs");
    assert!(
        pip.status.success(),
        "pip could not install {SDK} from {}:\n{}",
        wheels.display(),
        text(&pip)
    );
    let installed = started.elapsed();

    let running = RunningEmulator::start_with(EmulatorConfig {
        tasks: TaskSource::Generated {
            count: TASKS,
            seed: 11,
        },
        ..EmulatorConfig::default()
    });
    let endpoint = running.url().trim_start_matches("http://").to_owned();
    let all = running
        .runtime
        .block_on(Call::new().param("PageSize", TASKS).send_to(&running.url()));
    let expected = all.ids();
    assert_eq!(expected.len(), TASKS);

    for mode in ["v3", "v1"] {
        let result = page_through(&python, &endpoint, &running.config.access_key_secret, mode);
        let ids: Vec<String> = result["ids"]
            .as_array()
            .unwrap_or_else(|| panic!("{mode}: {result}"))
            .iter()
            .map(|id| id.as_str().expect("string ids").to_owned())
            .collect();
        assert_eq!(ids, expected, "{mode}: every task once, in order");
        assert_eq!(
            result["pages"],
            TASKS.div_ceil(PAGE_SIZE),
            "{mode}: {result}"
        );
        assert_eq!(result["total"], TASKS, "{mode}");
    }
    let refused = page_through(&python, &endpoint, "not-the-secret", "v3");
    assert_eq!(
        refused["error"]["code"], "SignatureDoesNotMatch",
        "a wrong secret is an auth error: {refused}"
    );
    let by_key = running
        .emulator
        .as_ref()
        .expect("running")
        .dbs_requests_by_key();
    assert_eq!(
        by_key.get(DEFAULT_ACCESS_KEY_ID).copied(),
        Some(1 + 2 * TASKS.div_ceil(PAGE_SIZE) as u64),
        "the SDK's pages and the reference read, nothing else admitted"
    );
    eprintln!(
        "official SDK: venv + pip {:.1?}, whole test {:.1?}",
        installed,
        started.elapsed()
    );
}
