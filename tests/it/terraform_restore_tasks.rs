//! `dbs_restore_tasks` end to end: real Terraform 1.0.3 and 1.15.5, the
//! real provider binary, the emulator serving the sample fixture.

use serde_json::{json, Value as Json};
use terraform_provider_dbs::emulator::{Faults, TaskSource};

use crate::common::emulator::{sample_fixture, RunningEmulator};
use crate::common::fixture::{expected_tasks, fixture_tasks};
use crate::common::terraform::REQUIRED_PROVIDERS;
use crate::common::terraform::{matrix, outputs, with, Feature, Tf, Workspace};

fn header() -> String {
    format!("{REQUIRED_PROVIDERS}provider \"dbs\" {{}}\n")
}

const FOUR_WAYS: &str = r#"
data "dbs_restore_tasks" "by_plan" {
  backup_plan_id = "dbs1hvb0w8k2p"
}
data "dbs_restore_tasks" "by_ids" {
  ids = ["r5p8s2t6v0x3z", "r2c9d1f0h6j4k", "r2w4e6r8t0y2u"]
}
data "dbs_restore_tasks" "filtered" {
  status     = "stop"
  name_regex = "^(orders|users)-"
}
data "dbs_restore_tasks" "all" {
  page_size   = 5
  output_file = "${path.module}/all.json"
}
output "by_plan" { value = data.dbs_restore_tasks.by_plan }
output "by_ids" { value = data.dbs_restore_tasks.by_ids }
output "filtered" { value = data.dbs_restore_tasks.filtered }
output "all" { value = data.dbs_restore_tasks.all }
"#;

fn workspace(tf: Tf, emulator: &RunningEmulator, body: &str) -> Workspace {
    let mut ws = Workspace::new(tf, &format!("{}\n{body}", header()));
    for (k, v) in emulator.provider_env() {
        ws = ws.env(k, &v);
    }
    ws
}

fn apply_four_ways(tf: Tf, emulator: &RunningEmulator) -> (Json, Json) {
    let ws = workspace(tf, emulator, FOUR_WAYS);
    ws.run(&["apply", "-auto-approve", "-no-color", "-input=false"])
        .ok();
    let out = outputs(&ws.run(&["output", "-json"]).ok());
    let file: Json =
        serde_json::from_str(&std::fs::read_to_string(ws.path().join("all.json")).unwrap())
            .unwrap();
    (out, file)
}

fn check_four_ways(tf: Tf, out: &Json) {
    let value = |name: &str| out[name]["value"].clone();

    let by_plan = value("by_plan");
    let want = expected_tasks(|t| t["BackupPlanId"] == "dbs1hvb0w8k2p");
    assert_eq!(by_plan["tasks"], json!(want), "{tf:?} by_plan");
    assert_eq!(by_plan["total_count"], json!(want.len()));
    let ids: Vec<Json> = want.iter().map(|t| t["id"].clone()).collect();
    assert_eq!(by_plan["ids"], json!(ids));
    let names: Vec<Json> = want.iter().map(|t| t["name"].clone()).collect();
    assert_eq!(by_plan["names"], json!(names));
    assert_eq!(by_plan["id"].as_str().map(str::len), Some(16));

    let by_ids = value("by_ids");
    let wanted = ["r5p8s2t6v0x3z", "r2c9d1f0h6j4k", "r2w4e6r8t0y2u"];
    let want = expected_tasks(|t| wanted.contains(&t["RestoreTaskId"].as_str().unwrap()));
    assert_eq!(by_ids["tasks"], json!(want), "{tf:?} by_ids");
    assert_eq!(
        by_ids["ids"],
        json!(wanted),
        "configured ids come back unchanged"
    );

    let filtered = value("filtered");
    let re = regex::Regex::new("^(orders|users)-").unwrap();
    let want = expected_tasks(|t| {
        t["RestoreStatus"] == "stop" && re.is_match(t["RestoreTaskName"].as_str().unwrap())
    });
    assert!(!want.is_empty());
    assert_eq!(filtered["tasks"], json!(want), "{tf:?} filtered");

    let all = value("all");
    let want = expected_tasks(|_| true);
    assert_eq!(all["tasks"], json!(want), "{tf:?} all");
    assert_eq!(all["total_count"], json!(12));
}

#[test]
fn four_ways_match_the_fixture_and_output_file() {
    let emulator = RunningEmulator::sample();
    for tf in matrix() {
        let (out, file) = apply_four_ways(tf, &emulator);
        check_four_ways(tf, &out);
        assert_eq!(file, out["all"]["value"]["tasks"], "{tf:?} output_file");
    }
}

#[test]
fn throttled_one_based_server_gives_identical_outputs() {
    let clean = RunningEmulator::sample();
    let faulty = RunningEmulator::start(
        TaskSource::Fixture(sample_fixture()),
        Faults {
            throttle_rate: 0.3,
            one_based_paging: true,
            seed: 7,
            ..Faults::default()
        },
    );
    for tf in matrix() {
        let (expected, _) = apply_four_ways(tf, &clean);
        let (got, _) = apply_four_ways(tf, &faulty);
        assert_eq!(got, expected, "{tf:?}");
    }
}

fn plan_fails_with(tf: Tf, emulator: &RunningEmulator, body: &str, needles: &[&str]) {
    let ws = workspace(tf, emulator, body);
    let out = ws.run(&["plan", "-no-color", "-input=false"]);
    assert!(!out.success, "{tf:?}: plan of {body} must fail");
    let text = out.all();
    for needle in needles {
        assert!(text.contains(needle), "{tf:?}: {needle:?} not in\n{text}");
    }
}

#[test]
fn negative_configs_fail_at_plan_naming_the_attribute() {
    let emulator = RunningEmulator::sample();
    let cases: &[(&str, &[&str])] = &[
        (
            "data \"dbs_restore_tasks\" \"x\" {\n  backup_plan_id = \"p\"\n  ids = [\"r1\"]\n}\n",
            &["Conflicting arguments", "ids = [\"r1\"]"],
        ),
        ("data \"dbs_restore_tasks\" \"x\" {\n  page_size = 0\n}\n", &["Invalid page_size", "page_size = 0"]),
        ("data \"dbs_restore_tasks\" \"x\" {\n  page_size = 101\n}\n", &["Invalid page_size", "page_size = 101"]),
        ("data \"dbs_restore_tasks\" \"x\" {\n  ids = [\"\"]\n}\n", &["Empty restore task ID", "ids = [\"\"]"]),
        ("data \"dbs_restore_tasks\" \"x\" {\n  name_regex = \"[\"\n}\n", &["Invalid name_regex", "name_regex = \"[\""]),
        (
            "data \"dbs_restore_tasks\" \"x\" {\n  start_time = \"2026-02-01T00:00:00Z\"\n  end_time = \"2026-01-01T00:00:00Z\"\n}\n",
            &["Empty time window", "end_time = \"2026-01-01T00:00:00Z\""],
        ),
    ];
    for tf in matrix() {
        for (body, needles) in cases {
            plan_fails_with(tf, &emulator, body, needles);
        }
    }
}

#[test]
fn wrong_secret_reports_signature_error_with_request_id() {
    let emulator = RunningEmulator::sample();
    for tf in matrix() {
        let ws = workspace(tf, &emulator, "data \"dbs_restore_tasks\" \"all\" {}\n")
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "definitely-wrong-secret");
        let out = ws.run(&["plan", "-no-color", "-input=false"]);
        assert!(!out.success);
        let text = out.all();
        assert!(text.contains("SignatureDoesNotMatch"), "{tf:?}: {text}");
        assert!(text.contains("RequestId"), "{tf:?}: {text}");
        assert!(
            !text.contains("definitely-wrong-secret"),
            "{tf:?} leaks the secret"
        );
    }
}

#[test]
fn unknown_arguments_validate_and_plan_without_error() {
    let emulator = RunningEmulator::sample();
    // In `terraform validate`, variables without defaults are unknown: every
    // argument below reaches ValidateDataResourceConfig as an unknown value.
    let variables = r#"
variable "plan" {
  type = string
}
variable "page" {
  type = number
}
variable "pattern" {
  type = string
}
variable "since" {
  type = string
}
data "dbs_restore_tasks" "x" {
  backup_plan_id = var.plan
  page_size      = var.page
  name_regex     = var.pattern
  start_time     = var.since
  end_timestamp  = 0
}
"#;
    for tf in matrix() {
        let ws = workspace(tf, &emulator, variables);
        let out = ws.run(&["validate", "-no-color"]).ok();
        assert!(
            out.stdout.contains("The configuration is valid"),
            "{tf:?}: {}",
            out.all()
        );
    }
    // At plan, an attribute of a resource not yet created is unknown; the
    // read is deferred to apply and the plan succeeds (terraform_data is
    // built into Terraform since 1.4).
    let deferred = r#"
resource "terraform_data" "later" {
  input = "^orders-"
}
data "dbs_restore_tasks" "y" {
  name_regex = terraform_data.later.output
}
output "count" { value = data.dbs_restore_tasks.y.total_count }
"#;
    let want = fixture_tasks()
        .iter()
        .filter(|t| {
            t["RestoreTaskName"]
                .as_str()
                .unwrap()
                .starts_with("orders-")
        })
        .count();
    for tf in with(Feature::TerraformData) {
        let ws = workspace(tf, &emulator, deferred);
        let plan = ws.run(&["plan", "-no-color", "-input=false"]).ok();
        assert!(
            plan.stdout.contains("known after apply"),
            "{tf:?}: {}",
            plan.all()
        );
        ws.run(&["apply", "-auto-approve", "-no-color", "-input=false"])
            .ok();
        let out = outputs(&ws.run(&["output", "-json"]).ok());
        assert_eq!(out["count"]["value"], json!(want), "{tf:?}");
    }
}

#[test]
fn debug_logs_show_one_line_per_api_request() {
    let emulator = RunningEmulator::sample();
    for tf in matrix() {
        let ws = workspace(
            tf,
            &emulator,
            "data \"dbs_restore_tasks\" \"all\" {\n  page_size = 5\n}\n",
        )
        .env("TF_LOG_PROVIDER", "debug");
        let out = ws.run(&["plan", "-no-color", "-input=false"]).ok();
        let lines: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| l.contains("action=DescribeRestoreTaskList"))
            .collect();
        // 12 fixture jobs at 5 per page: 3 pages, one request each.
        assert_eq!(lines.len(), 3, "{tf:?}: {}", out.stderr);
        for line in &lines {
            assert!(line.contains("attempt=1"), "{line}");
            assert!(line.contains("latency_ms="), "{line}");
            assert!(
                !line.contains("request_id=-"),
                "a RequestId is logged: {line}"
            );
            assert!(
                !line.contains("emulator-secret") && !line.contains("Signature="),
                "{line}"
            );
        }
        for page in ["page=0", "page=1", "page=2"] {
            assert!(lines.iter().any(|l| l.contains(page)), "{tf:?}: {page}");
        }
    }
}
