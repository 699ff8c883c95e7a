//! What Terraform must show for the sample fixture
//! (`examples/emulator/restore-tasks.json`), computed from the file itself
//! and independent of the provider's mapping code.

use serde_json::{json, Value as Json};

use super::emulator::sample_fixture;

/// The fixture's tasks in file (API) order, as raw JSON objects.
pub fn fixture_tasks() -> Vec<Json> {
    let text = std::fs::read_to_string(sample_fixture()).unwrap();
    let json: Json = serde_json::from_str(&text).unwrap();
    json["RestoreTaskDetail"].as_array().unwrap().clone()
}

/// Independent of the provider's mapping code: what one task must look like.
pub fn expected_task(raw: &Json) -> Json {
    let s = |k: &str| match &raw[k] {
        Json::String(s) => json!(s),
        Json::Null => Json::Null,
        other => panic!("{k} is {other}"),
    };
    let n = |k: &str| match &raw[k] {
        Json::Number(n) => json!(n.as_i64().unwrap()),
        Json::String(s) => json!(s.parse::<i64>().unwrap()),
        Json::Null => Json::Null,
        other => panic!("{k} is {other}"),
    };
    let t = |k: &str| match n(k) {
        Json::Null => Json::Null,
        v => {
            let ms = v.as_i64().unwrap();
            let at = time::OffsetDateTime::from_unix_timestamp(ms / 1000).unwrap();
            assert_eq!(ms % 1000, 0, "fixture times are whole seconds");
            json!(format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                at.year(),
                at.month() as u8,
                at.day(),
                at.hour(),
                at.minute(),
                at.second()
            ))
        }
    };
    let error = match raw["ErrMessage"].as_str() {
        None | Some("NULL") | Some("") => Json::Null,
        Some(m) => json!(m),
    };
    json!({
        "id": s("RestoreTaskId"),
        "name": s("RestoreTaskName"),
        "status": s("RestoreStatus"),
        "backup_plan_id": s("BackupPlanId"),
        "backup_set_id": s("BackupSetId"),
        "backup_gateway_id": n("BackupGatewayId"),
        "backup_gateway_identifier": s("BackupGatewayIdentifier"),
        "backup_source_oss_region": s("BackupSourceOssRegion"),
        "restore_dir": s("RestoreDir"),
        "restore_objects": s("RestoreObjects"),
        "restore_destination_mode": s("RestoreDestinationMode"),
        "restore_timestamp": n("RestoreTime"),
        "restore_time": t("RestoreTime"),
        "create_timestamp": n("RestoreTaskCreateTime"),
        "create_time": t("RestoreTaskCreateTime"),
        "finish_timestamp": n("RestoreTaskFinishTime"),
        "finish_time": t("RestoreTaskFinishTime"),
        "cross_aliyun_id": s("CrossAliyunId"),
        "cross_role_name": s("CrossRoleName"),
        "destination_endpoint_region": s("DestinationEndpointRegion"),
        "destination_endpoint_instance_type": s("DestinationEndpointInstanceType"),
        "destination_endpoint_instance_id": s("DestinationEndpointInstanceID"),
        "destination_endpoint_ip_port": s("DestinationEndpointIpPort"),
        "destination_endpoint_host": s("DestinationEndpointHost"),
        "destination_endpoint_port": s("DestinationEndpointPort"),
        "destination_endpoint_enable_ssl": s("DestinationEndpointEnableSsl"),
        "destination_endpoint_database_name": s("DestinationEndpointDatabaseName"),
        "destination_endpoint_user_name": s("DestinationEndpointUserName"),
        "destination_endpoint_oracle_sid": s("DestinationEndpointOracleSID"),
        "full_data_restore_progress": n("FullDataRestoreProgress"),
        "full_struct_before_restore_progress": n("FullStruforeRestoreProgress"),
        "full_struct_after_restore_progress": n("FullStruAfterRestoreProgress"),
        "continuous_restore_progress": n("ContinuousRestoreProgress"),
        "physical_backup_recover_progress": n("PhysicalBackupRecoverProgress"),
        "physical_full_backup_recover_progress": n("PhysicalFullBackupRecoverProgress"),
        "physical_increment_backup_recover_progress": n("PhysicalIncrementBackupRecoverProgress"),
        "physical_full_and_increment_backup_recover_progress":
            n("PhysicalFullAndIncrementBackupRecoverProgress"),
        "physical_database_online_progress": n("PhysicalDatabaseOnlineProgress"),
        "error_message": error,
    })
}

pub fn expected_tasks(keep: impl Fn(&Json) -> bool) -> Vec<Json> {
    fixture_tasks()
        .iter()
        .filter(|t| keep(t))
        .map(expected_task)
        .collect()
}
