//! Whatever the endpoint answers, a read stays bounded and truthful. Each
//! mode of the emulator's hostile endpoint (`dbs-emulator --hostile MODE`) is
//! read through real Terraform 1.0.3 (wire behaviour: one version is enough)
//! with `max_retries = 2` and `request_timeout = 5`, and each run must:
//! end within 45 s, keep the provider's peak RSS under 256 MB (VmHWM from
//! `/proc`), send at most a few thousand requests, end with an error naming
//! the cause (or the exact right result where one exists), print under
//! 64 KiB with no control character and no fake line, and leave no secret
//! (access key secret, STS token, any request's signature, in any encoding)
//! in the output or in the `TF_LOG=trace` file.
//!
//! Every run prints one row (mode, wall time, peak RSS, requests, outcome).

use std::time::{Duration, Instant};

use terraform_provider_dbs::emulator::{EmulatorConfig, Faults, Hostile, TaskSource};

use crate::common::emulator::{sample_fixture, RunningEmulator};
use crate::common::fixture::fixture_tasks;
use crate::common::plugin::provider_binary;
use crate::common::process::{peak_rss_kib, providers_below, Background};
use crate::common::recorder::Recorder;
use crate::common::secrets::spellings;
use crate::common::terraform::REQUIRED_PROVIDERS;
use crate::common::terraform::{outputs, Tf, Workspace};

const ACCESS_KEY: &str = "hostile-access-key";
const SECRET: &str = "hostile-secret-0123456789";
const TOKEN: &str = "CAIShostileSTStoken0123456789abcdef";
const PLAN: &str = "dbs1hvb0w8k2p";

/// The part after the shared `terraform` block.
const CONFIG_BODY: &str = r#"
provider "dbs" {
  max_retries     = 2
  request_timeout = 5
}
data "dbs_restore_tasks" "x" {
  backup_plan_id = "dbs1hvb0w8k2p"
}
output "ids" { value = data.dbs_restore_tasks.x.tasks[*].id }
"#;

fn config() -> String {
    format!("{REQUIRED_PROVIDERS}{CONFIG_BODY}")
}

/// What a mode must end in.
enum Outcome {
    /// The plan's exact jobs.
    RightResult,
    /// An error whose text holds every one of these.
    Error(&'static [&'static str]),
}

struct Row {
    mode: Hostile,
    wall: Duration,
    peak_rss_mib: u64,
    requests: u64,
    outcome: String,
}

fn emulator(mode: Hostile) -> RunningEmulator {
    RunningEmulator::start_with(EmulatorConfig {
        tasks: TaskSource::Fixture(sample_fixture()),
        access_key_id: ACCESS_KEY.into(),
        access_key_secret: SECRET.into(),
        security_token: Some(TOKEN.into()),
        faults: Faults {
            hostile: Some(mode),
            ..Faults::default()
        },
        ..EmulatorConfig::default()
    })
}

fn run(mode: Hostile, expected: Outcome) -> Row {
    let emulator = emulator(mode);
    let upstream = emulator
        .url()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let wire = Recorder::forwarding_to(upstream);
    let trace = tempfile::NamedTempFile::new().unwrap();
    let ws = Workspace::new(Tf::V1_0_3, &config())
        .env("ALIBABA_CLOUD_ENDPOINT_DBS", &wire.url())
        .env("ALIBABA_CLOUD_REGION", "cn-hangzhou")
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", ACCESS_KEY)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
        .env("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN)
        .env("TF_LOG", "trace")
        .env("TF_LOG_PATH", &trace.path().display().to_string());
    let started = Instant::now();
    let mut run =
        Background::spawn(ws.command(&["apply", "-auto-approve", "-no-color", "-input=false"]));
    let mut peak_kib = 0;
    while run.elapsed() < Duration::from_secs(60) {
        for p in providers_below(run.pid(), &provider_binary()) {
            peak_kib = peak_kib.max(peak_rss_kib(p.pid).unwrap_or(0));
        }
        if !run.is_running() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let (status, out) = run.finish_within(Duration::from_secs(5), &format!("{mode} apply"));
    let wall = started.elapsed();
    let text = out.all();
    let what = format!("{mode}: {text}");

    assert!(wall < Duration::from_secs(45), "{mode}: took {wall:?}");
    assert!(peak_kib > 0, "{mode}: the provider was never seen");
    assert!(
        peak_kib < 256 * 1024,
        "{mode}: provider peak RSS {peak_kib} KiB"
    );
    assert!(
        emulator.request_count() <= 3000,
        "{mode}: {} requests",
        emulator.request_count()
    );
    assert!(
        text.len() < 64 << 10,
        "{mode}: {} bytes of output",
        text.len()
    );
    for c in ['\u{1b}', '\u{7}', '\r'] {
        assert!(
            !text.contains(c),
            "{mode}: control character {c:?} in the output"
        );
    }
    let outcome = match expected {
        Outcome::RightResult => {
            assert!(status.success(), "{what}");
            let want: Vec<serde_json::Value> = fixture_tasks()
                .into_iter()
                .filter(|t| t["BackupPlanId"] == PLAN)
                .map(|t| t["RestoreTaskId"].clone())
                .collect();
            let got = outputs(&ws.run(&["output", "-json"]).ok())["ids"]["value"].clone();
            assert_eq!(got, serde_json::json!(want), "{mode}");
            format!("the right {} jobs", want.len())
        }
        Outcome::Error(needles) => {
            assert!(!status.success(), "{what}");
            // Terraform prints it only after a successful apply: a line of its own here
            // could only be forged by the server's text.
            assert!(
                !text
                    .lines()
                    .any(|l| l.trim_start().starts_with("Apply complete!")),
                "{what}"
            );
            let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
            for needle in needles {
                assert!(
                    flat.contains(needle),
                    "{mode}: {needle:?} missing from: {flat}"
                );
            }
            let summary = flat
                .split("Error: ")
                .nth(1)
                .map(|s| s.split(" with ").next().unwrap_or(s).trim().to_string())
                .unwrap_or_default();
            format!("error: {summary}")
        }
    };
    let trace_text = std::fs::read_to_string(trace.path()).unwrap_or_default();
    // The provider's own API log lines are in the trace, so a leak through them would show.
    assert!(
        trace_text.contains("action=DescribeRestoreTaskList"),
        "{mode}: the trace file has no API log line of the provider"
    );
    let mut secrets = vec![SECRET.to_string(), TOKEN.to_string()];
    secrets.extend(wire.form_values("Signature"));
    assert!(
        !wire.form_values("Signature").is_empty(),
        "{mode}: no signed request recorded"
    );
    for secret in &secrets {
        for spelling in spellings(secret) {
            assert!(
                !text.contains(&spelling),
                "{mode}: a secret ({spelling}) in the output"
            );
            assert!(
                !trace_text.contains(&spelling),
                "{mode}: a secret ({spelling}) in the trace file"
            );
        }
    }
    let row = Row {
        mode,
        wall,
        peak_rss_mib: peak_kib / 1024,
        requests: emulator.request_count(),
        outcome,
    };
    eprintln!(
        "hostile | {} | {:.1} s | {} MiB | {} | {} |",
        row.mode,
        row.wall.as_secs_f64(),
        row.peak_rss_mib,
        row.requests,
        row.outcome
    );
    row
}

/// Runs each `(mode, expected)` in turn.
fn run_each(cases: impl IntoIterator<Item = (Hostile, Outcome)>) {
    for (mode, expected) in cases {
        run(mode, expected);
    }
}

#[test]
fn absurd_totals_stay_bounded() {
    use Outcome::{Error, RightResult};
    run_each([
        (Hostile::TotalPagesHuge, RightResult),
        (
            Hostile::PageSizeOne,
            Error(&["Restore job list too large to read", "10000000"]),
        ),
        (
            Hostile::TotalElementsHuge,
            Error(&["bound on jobs", "100000000000"]),
        ),
        (
            Hostile::EmptyAfterFirst,
            Error(&["Incomplete restore job list", "came back empty"]),
        ),
    ]);
    let row = run(
        Hostile::NewJobsForever,
        Outcome::Error(&["bound on jobs", "100000"]),
    );
    assert!(row.requests <= 1002, "{} requests", row.requests);
}

#[test]
fn endless_and_huge_bodies_stay_bounded() {
    use Outcome::Error;
    run_each([
        (Hostile::EndlessBody, Error(&["past 32 MiB"])),
        (Hostile::HugeBody, Error(&["announces a 300.0 MiB body"])),
        (
            Hostile::MillionItems,
            Error(&["more than 200000 JSON values"]),
        ),
    ]);
}

#[test]
fn wrong_shapes_on_200_are_errors_never_zero_jobs() {
    use Outcome::Error;
    run_each([
        (
            Hostile::ErrCodeOn200,
            Error(&["InternalError", "gave up after 3 attempts"]),
        ),
        (Hostile::CodeOn200, Error(&["Forbidden.RAM"])),
        (
            Hostile::SuccessZero,
            Error(&["UnsuccessfulAnswer", "`Success: 0`"]),
        ),
        (Hostile::ItemsString, Error(&["`Items` is a string"])),
        (Hostile::OtherKey, Error(&["a list under `Data`"])),
        (Hostile::Deep, Error(&["nests more than 128 levels"])),
        (
            Hostile::NumberOutOfRange,
            Error(&["the number of `TotalElements` is out of range"]),
        ),
        (Hostile::Gzip, Error(&["`gzip`-compressed"])),
        (
            Hostile::Redirect,
            Error(&["redirect to captive-portal.invalid", "never follows"]),
        ),
    ]);
}

#[test]
fn ignored_filters_cannot_widen_the_result() {
    run(Hostile::IgnoreFilters, Outcome::RightResult);
}

#[test]
fn server_text_is_cut_stripped_and_masked() {
    use Outcome::{Error, RightResult};
    run_each([
        (
            Hostile::HugeMessage,
            Error(&["InvalidParameter", "The parameter is invalid.", "…"]),
        ),
        (Hostile::EscapeMessage, Error(&["InvalidParameter", "red"])),
        (
            Hostile::EchoSecretsJson,
            Error(&["IncompleteSignature", "<redacted>"]),
        ),
        (
            Hostile::EchoSecretsHeader,
            Error(&["IncompleteSignature", "<redacted>"]),
        ),
        (Hostile::SecretInCode, Error(&["Signature.<redacted>"])),
        (Hostile::SecretInRequestId, RightResult),
    ]);
}

#[test]
fn retry_after_is_honoured() {
    let row = run(Hostile::RetryAfter, Outcome::RightResult);
    // The one page is first refused with Retry-After: 2; the retry waits for it.
    assert!(row.wall >= Duration::from_secs(2), "{:?}", row.wall);
    assert_eq!(row.requests, 2);
}
