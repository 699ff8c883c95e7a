//! One request budget per provider process: twenty data source instances
//! read at once (Terraform's default `-parallelism` is 10), yet the emulator
//! never sees more than `max_concurrency` requests in flight, and every
//! instance gets exactly its jobs.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value as Json;
use terraform_provider_dbs::emulator::{Faults, TaskSource};

use crate::common::emulator::RunningEmulator;
use crate::common::terraform::REQUIRED_PROVIDERS;
use crate::common::terraform::{outputs, Tf, Workspace};

const MAX_CONCURRENCY: u64 = 3;

/// The part after the shared `terraform` block.
const CONFIG_BODY: &str = r#"
provider "dbs" {
  max_concurrency = 3
}
data "dbs_restore_tasks" "all" {}
data "dbs_restore_tasks" "plan" {
  for_each       = toset(distinct(data.dbs_restore_tasks.all.tasks[*].backup_plan_id))
  backup_plan_id = each.key
  page_size      = 25
}
output "all" { value = data.dbs_restore_tasks.all.tasks[*].backup_plan_id }
output "per_plan" {
  value = { for plan, d in data.dbs_restore_tasks.plan : plan => d.tasks[*].id }
}
"#;

fn config() -> String {
    format!("{REQUIRED_PROVIDERS}{CONFIG_BODY}")
}

#[test]
fn twenty_instances_share_one_budget_of_max_concurrency() {
    // 3,000 generated jobs fall into 20 backup plans.
    let emulator = RunningEmulator::start(
        TaskSource::Generated {
            count: 3000,
            seed: 11,
        },
        Faults {
            latency: Duration::from_millis(20),
            ..Faults::default()
        },
    );
    let ws = Workspace::new(Tf::V1_15_5, &config()).with_emulator(&emulator);
    ws.run(&[
        "apply",
        "-auto-approve",
        "-no-color",
        "-input=false",
        "-parallelism=20",
    ])
    .ok();
    let out = outputs(&ws.run(&["output", "-json"]).ok());
    let mut expected: BTreeMap<String, usize> = BTreeMap::new();
    for plan in out["all"]["value"].as_array().unwrap() {
        *expected
            .entry(plan.as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(expected.len(), 20, "the fixture has twenty plans");
    let per_plan = out["per_plan"]["value"].as_object().unwrap();
    let got: BTreeMap<String, usize> = per_plan
        .iter()
        .map(|(plan, ids)| (plan.clone(), ids.as_array().unwrap().len()))
        .collect();
    assert_eq!(got, expected, "every instance has exactly its plan's jobs");
    let ids: Vec<&Json> = per_plan
        .values()
        .flat_map(|v| v.as_array().unwrap())
        .collect();
    let distinct: std::collections::HashSet<&str> =
        ids.iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(distinct.len(), 3000);

    let peak = emulator.emulator.as_ref().unwrap().max_in_flight();
    assert!(
        peak <= MAX_CONCURRENCY,
        "{peak} requests were in flight at once; max_concurrency is {MAX_CONCURRENCY}"
    );
    assert!(
        peak >= 2,
        "the reads never overlapped (peak {peak}): the test proves nothing"
    );
    // 30 pages for `all` and 6 per plan (150 jobs / 25) for the 20 others.
    assert!(
        emulator.request_count() >= 150,
        "{} requests",
        emulator.request_count()
    );
}
