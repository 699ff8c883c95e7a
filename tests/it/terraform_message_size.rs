//! A read whose state would pass Terraform's 64 MiB response limit fails with
//! a diagnostic that says so and what to narrow, instead of Terraform's
//! "received message larger than max". The fixture is generated: nine jobs
//! with an 8 MiB `RestoreObjects` each (72 MiB in all), served one per page.

use serde_json::json;
use terraform_provider_dbs::emulator::{Faults, TaskSource};

use crate::common::emulator::RunningEmulator;
use crate::common::terraform::REQUIRED_PROVIDERS;
use crate::common::terraform::{outputs, Tf, Workspace};

const JOBS: usize = 9;
const OBJECTS_BYTES: usize = 8 << 20;

/// The part after the shared `terraform` block.
const CONFIG_BODY: &str = r#"
provider "dbs" {}
variable "ids" {
  type    = list(string)
  default = null
}
data "dbs_restore_tasks" "big" {
  ids       = var.ids
  page_size = 1
}
output "count" { value = data.dbs_restore_tasks.big.total_count }
"#;

fn config() -> String {
    format!("{REQUIRED_PROVIDERS}{CONFIG_BODY}")
}

#[test]
fn a_state_past_64_mib_is_a_clear_error_and_a_filter_fixes_it() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = dir.path().join("big.json");
    let tasks: Vec<_> = (0..JOBS)
        .map(|i| {
            json!({
                "RestoreTaskId": format!("big{i}"),
                "RestoreTaskName": format!("huge-objects-{i}"),
                "RestoreStatus": "check_pass",
                "BackupPlanId": "dbs1hvb0wbig0",
                "RestoreObjects": "x".repeat(OBJECTS_BYTES),
            })
        })
        .collect();
    std::fs::write(&fixture, json!({ "RestoreTaskDetail": tasks }).to_string()).unwrap();
    let emulator = RunningEmulator::start(TaskSource::Fixture(fixture), Faults::default());

    let ws = Workspace::new(Tf::V1_0_3, &config()).with_emulator(&emulator);
    let failed = ws.run(&["plan", "-no-color", "-input=false"]);
    let text = failed.all();
    assert!(!failed.success, "{text}");
    assert!(
        text.contains("Too many restore jobs for one data source"),
        "{text}"
    );
    assert!(text.contains("(64 MiB per response)"), "{text}");
    assert!(text.contains("`backup_plan_id`, `ids`"), "{text}");
    assert!(!text.contains("larger than max"), "{text}");
    assert!(
        text.len() < 64 << 10,
        "the diagnostic stays small: {} bytes",
        text.len()
    );
    eprintln!(
        "message-size diagnostic ({JOBS} jobs, {} MiB of RestoreObjects):\n{}",
        (JOBS * OBJECTS_BYTES) >> 20,
        text.split("Error: ").nth(1).unwrap_or(&text)
    );

    // The advice works: one job's 8 MiB state passes.
    ws.run(&[
        "apply",
        "-auto-approve",
        "-no-color",
        "-input=false",
        "-var=ids=[\"big3\"]",
    ])
    .ok();
    assert_eq!(
        outputs(&ws.run(&["output", "-json"]).ok())["count"]["value"],
        1
    );
}
