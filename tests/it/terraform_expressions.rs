//! The expressions users write over `tasks`, on every Terraform of the
//! matrix: Terraform 1.0 to 1.2 reject indexing into nested attributes, so
//! these hold only because `tasks` is a `list(object)`. Every expected value
//! comes from the fixture file, not from the provider.

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};

use crate::common::emulator::RunningEmulator;
use crate::common::fixture::expected_tasks;
use crate::common::terraform::{matrix, outputs, Workspace};

#[test]
fn every_expression_gives_the_fixture_values_on_every_version() {
    let emulator = RunningEmulator::sample();
    let all = expected_tasks(|_| true);
    let field = |t: &Json, k: &str| t[k].clone();
    let stopped: Vec<&Json> = all.iter().filter(|t| t["status"] == "stop").collect();
    let orders_plan: Vec<&Json> = all
        .iter()
        .filter(|t| t["backup_plan_id"] == "dbs1hvb0w8k2p")
        .collect();
    let expected = BTreeMap::from([
        ("first_name", field(&all[0], "name")),
        ("legacy_index", field(&all[0], "id")),
        ("one_id", json!("r5p8s2t6v0x3z")),
        ("try_present", field(&all[0], "status")),
        ("try_missing", json!("none")),
        (
            "stopped_names",
            json!(stopped
                .iter()
                .map(|t| t["name"].clone())
                .collect::<Vec<_>>()),
        ),
        (
            "status_by_id",
            Json::Object(
                all.iter()
                    .map(|t| (t["id"].as_str().unwrap().to_string(), t["status"].clone()))
                    .collect(),
            ),
        ),
        ("task_count", json!(all.len())),
        (
            "first_restore_objects",
            serde_json::from_str(all[0]["restore_objects"].as_str().unwrap()).unwrap(),
        ),
        (
            "splat_ids",
            json!(all.iter().map(|t| t["id"].clone()).collect::<Vec<_>>()),
        ),
        (
            "each_stopped_names",
            Json::Object(
                stopped
                    .iter()
                    .map(|t| (t["id"].as_str().unwrap().to_string(), t["name"].clone()))
                    .collect(),
            ),
        ),
        (
            "counted_statuses",
            json!(orders_plan
                .iter()
                .map(|t| t["status"].clone())
                .collect::<Vec<_>>()),
        ),
        (
            "progress_sum",
            json!(all
                .iter()
                .map(|t| t["full_data_restore_progress"].as_i64().unwrap_or(0))
                .sum::<i64>()),
        ),
        (
            "ssl_ports",
            Json::Object(
                all.iter()
                    .filter(|t| t["destination_endpoint_enable_ssl"] == "true")
                    .map(|t| {
                        let port: i64 = t["destination_endpoint_port"]
                            .as_str()
                            .unwrap()
                            .parse()
                            .unwrap();
                        (t["id"].as_str().unwrap().to_string(), json!(port))
                    })
                    .collect(),
            ),
        ),
        (
            "physical_online",
            json!(all
                .iter()
                .filter(|t| t["physical_database_online_progress"] == 100)
                .map(|t| t["id"].clone())
                .collect::<Vec<_>>()),
        ),
    ]);
    assert!(
        stopped.len() >= 2 && orders_plan.len() >= 2,
        "the fixture exercises for_each and count"
    );
    assert!(
        expected["ssl_ports"].as_object().unwrap().len() >= 2
            && expected["physical_online"].as_array().unwrap().len() >= 2,
        "the fixture exercises the SDK-only fields"
    );

    for tf in matrix() {
        let ws = Workspace::from_fixture(tf, "expressions", |_| false).with_emulator(&emulator);
        ws.run(&["validate", "-no-color"]).ok();
        ws.run(&["apply", "-auto-approve", "-no-color", "-input=false"])
            .ok();
        let out = outputs(&ws.run(&["output", "-json"]).ok());
        let got: BTreeMap<&str, Json> = expected
            .keys()
            .map(|name| (*name, out[*name]["value"].clone()))
            .collect();
        assert_eq!(got, expected, "Terraform {}", tf.version());
    }
}
