//! `terraform test` files users write for configurations that read restore
//! jobs: the real provider against the emulator (Terraform 1.6 and later),
//! and `mock_provider` + `mock_data` / `override_data` filling `tasks`
//! (1.7 and later). The configuration and test files are fixtures in
//! `tests/fixtures/terraform/test-command/`.

use std::path::Path;

use crate::common::emulator::RunningEmulator;
use crate::common::fixture::expected_tasks;
use crate::common::terraform::{with, Feature, Tf, TfOutput, Workspace};

const PLAN: &str = "dbs1hvb0w8k2p";

fn run_tests(tf: Tf, emulator: &RunningEmulator, count: usize, first_id: &str) -> TfOutput {
    let mocks = tf.supports(Feature::Mocks);
    let skip = |file: &Path| {
        !mocks && file.to_string_lossy() != "main.tf" && file.to_string_lossy() != "real.tftest.hcl"
    };
    let ws = Workspace::from_fixture(tf, "test-command", skip).with_emulator(emulator);
    // Quoted: an undeclared test variable given with -var is read as HCL.
    ws.run(&[
        "test",
        "-no-color",
        &format!("-var=expected_count={count}"),
        &format!("-var=expected_first_id=\"{first_id}\""),
    ])
}

#[test]
fn terraform_test_reads_the_emulator_and_mocks_fill_tasks() {
    let emulator = RunningEmulator::sample();
    let plan_tasks = expected_tasks(|t| t["BackupPlanId"] == PLAN);
    let first_id = plan_tasks[0]["id"].as_str().unwrap();
    for tf in with(Feature::TestCommand) {
        let files = if tf.supports(Feature::Mocks) { 3 } else { 1 };
        let before = emulator.request_count();
        let out = run_tests(tf, &emulator, plan_tasks.len(), first_id).ok();
        assert!(
            out.stdout
                .contains(&format!("Success! {files} passed, 0 failed.")),
            "Terraform {}: {}",
            tf.version(),
            out.all()
        );
        // One page for the real run; the mocked and overridden runs never
        // reach the API.
        assert_eq!(
            emulator.request_count() - before,
            1,
            "Terraform {}",
            tf.version()
        );

        let wrong = run_tests(tf, &emulator, plan_tasks.len() + 1, first_id);
        assert!(
            !wrong.success,
            "Terraform {}: a wrong count must fail",
            tf.version()
        );
        assert!(
            wrong.all().contains("wrong number of tasks")
                && wrong
                    .stdout
                    .contains(&format!("{} passed, 1 failed.", files - 1)),
            "Terraform {}: {}",
            tf.version(),
            wrong.all()
        );
    }
}
