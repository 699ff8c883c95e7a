//! The `dbs_restore_tasks` schema: the arguments, and `tasks`, a computed
//! `list(object({...}))` with one field per field of a restore job in the
//! official SDK's model (times also as RFC 3339 text).
//!
//! `tasks` is a plain object list rather than a protocol 6 nested attribute
//! so that `tasks[0].name` works on Terraform 1.0 to 1.2 and `terraform test`
//! mocks can fill it; the table below is the one source of each field's name,
//! type and description, for the schema's markdown and the docs alike.

use crate::plugin::cty::CtyType;
use crate::plugin::{Attribute, Mode, NestedBlock, Nesting, Schema};

/// Statuses the DBS documentation lists; others only earn a warning because
/// the service may add new ones before we do.
pub const DOCUMENTED_STATUSES: [&str; 5] = ["init", "running", "stop", "pause", "check_pass"];

/// Largest `PageSize` the API accepts, and our default: fewer round trips.
pub const MAX_PAGE_SIZE: i64 = 100;

/// The whole read's deadline when `timeouts { read = ... }` is not set.
pub const DEFAULT_READ_TIMEOUT: &str = "10m";

pub(crate) fn schema() -> Schema {
    use CtyType::{Number, String};
    let strings = CtyType::list(String);
    Schema::new(
        "Lists the restore jobs of Alibaba Cloud Database Backup Service (DBS), read through the \
         `DescribeRestoreTaskList` API. Every page is fetched (concurrently, with retries on \
         throttling) and the `status` and `name_regex` filters apply to all of them.",
        vec![
            Attribute::optional("backup_plan_id", String).description(
                "Only jobs of this backup plan (`BackupPlanId`). Conflicts with `ids`.",
            ),
            Attribute::optional_computed("ids", strings.clone()).description(
                "Only jobs with these restore task IDs (`RestoreTaskId`). Conflicts with \
                 `backup_plan_id`. When not set, it is filled with the IDs of the jobs returned, in order.",
            ),
            Attribute::optional("start_timestamp", Number).description(
                "Only jobs created at or after this time, in milliseconds since the Unix epoch \
                 (`StartTimestamp`). Conflicts with `start_time`.",
            ),
            Attribute::optional("end_timestamp", Number).description(
                "Only jobs created at or before this time, in milliseconds since the Unix epoch \
                 (`EndTimestamp`). Conflicts with `end_time`.",
            ),
            Attribute::optional("start_time", String).description(
                "Like `start_timestamp`, as an RFC 3339 time such as `2026-01-02T15:04:05Z`. \
                 Conflicts with `start_timestamp`.",
            ),
            Attribute::optional("end_time", String).description(
                "Like `end_timestamp`, as an RFC 3339 time. Conflicts with `end_timestamp`.",
            ),
            Attribute::optional("status", String).description(
                "Only jobs in this state (`RestoreStatus`), matched after fetching. Documented \
                 values: `init`, `running`, `stop`, `pause`, `check_pass`; other values draw a \
                 warning but are still applied.",
            ),
            Attribute::optional("name_regex", String).description(
                "Only jobs whose name (`RestoreTaskName`) matches this regular expression \
                 (Rust `regex` syntax, unanchored), matched after fetching.",
            ),
            Attribute::optional("page_size", Number).description(
                "Jobs per API page (`PageSize`), 1 to 100. Defaults to 100.",
            ),
            Attribute::optional("output_file", String).description(
                "Path of a file to write the resulting `tasks` to, as JSON. Written atomically \
                 (temporary file, then rename).",
            ),
            Attribute::computed("id", String).description(
                "A stable identifier of this query (a hash of its arguments).",
            ),
            Attribute::computed("names", strings)
                .description("Names of the jobs returned, in the same order as `tasks`."),
            Attribute::computed("total_count", Number)
                .description("Number of jobs returned, after filtering."),
            Attribute::objects("tasks", Nesting::List, Mode::Computed, task_attributes())
                .description(
                    "The restore jobs, in the order the API returned them. Each has every field \
                     of a restore job in the official DBS SDK's model, 11 of which the published \
                     API reference does not list (null where the API sends none); fields the API \
                     sends beyond those are not read.",
                ),
        ],
    )
    .with_block(NestedBlock::single(
        "timeouts",
        "How long the whole read may take, retries and waits included (Terraform's usual \
         `timeouts` block).",
        vec![Attribute::optional("read", String).description(format!(
            "A duration such as `\"30s\"`, `\"10m\"` or `\"1h30m\"`. Past it the read stops with an \
             error that says how far it got. Default `\"{DEFAULT_READ_TIMEOUT}\"`."
        ))],
    ))
}

/// The type of one `tasks` element.
pub(crate) fn task_type() -> CtyType {
    CtyType::object(
        task_attributes()
            .iter()
            .map(|a| (a.name.clone(), a.ty.value_type())),
    )
}

/// Said of the fields the official SDK's model has but the published API
/// reference does not: users should not count on them being set.
const NOT_IN_REFERENCE: &str =
    "Not in the published API reference; present when the API returns it (null otherwise).";

fn task_attributes() -> Vec<Attribute> {
    use CtyType::{Number, String};
    let field =
        |name: &str, ty: CtyType, text: &str| Attribute::computed(name, ty).description(text);
    let sdk_only = |name: &str, ty: CtyType, text: &str| {
        Attribute::computed(name, ty).description(format!("{text} {NOT_IN_REFERENCE}"))
    };
    vec![
        field("id", String, "Restore task ID (`RestoreTaskId`)."),
        field("name", String, "Restore task name (`RestoreTaskName`)."),
        field(
            "status",
            String,
            "State of the job (`RestoreStatus`): `init`, `running`, `stop`, `pause` or `check_pass`.",
        ),
        field("backup_plan_id", String, "Backup plan the job restores from (`BackupPlanId`)."),
        field("backup_set_id", String, "Backup set restored (`BackupSetId`)."),
        field("backup_gateway_id", Number, "Backup gateway used (`BackupGatewayId`)."),
        sdk_only(
            "backup_gateway_identifier",
            String,
            "Identifier (text) of the backup gateway used (`BackupGatewayIdentifier`), for jobs \
             that restore through a backup gateway.",
        ),
        sdk_only(
            "backup_source_oss_region",
            String,
            "Region of the OSS storage the backup set is read from (`BackupSourceOssRegion`).",
        ),
        field("restore_dir", String, "Directory restored to (`RestoreDir`)."),
        field(
            "restore_objects",
            String,
            "Objects restored, as the raw JSON string the API returns (`RestoreObjects`); \
             use `jsondecode()` to read it.",
        ),
        sdk_only(
            "restore_destination_mode",
            String,
            "How the job restores to its destination (`RestoreDestinationMode`), as the API \
             names it; the values are not documented.",
        ),
        field(
            "restore_timestamp",
            Number,
            "Point in time restored to, in milliseconds since the epoch (`RestoreTime`).",
        ),
        field("restore_time", String, "`restore_timestamp` as an RFC 3339 UTC time."),
        field(
            "create_timestamp",
            Number,
            "When the job was created, in milliseconds since the epoch (`RestoreTaskCreateTime`).",
        ),
        field("create_time", String, "`create_timestamp` as an RFC 3339 UTC time."),
        field(
            "finish_timestamp",
            Number,
            "When the job finished, in milliseconds since the epoch (`RestoreTaskFinishTime`).",
        ),
        field("finish_time", String, "`finish_timestamp` as an RFC 3339 UTC time."),
        field(
            "cross_aliyun_id",
            String,
            "Alibaba Cloud account of a cross-account restore (`CrossAliyunId`).",
        ),
        field(
            "cross_role_name",
            String,
            "RAM role of a cross-account restore (`CrossRoleName`).",
        ),
        field(
            "destination_endpoint_region",
            String,
            "Region of the destination database (`DestinationEndpointRegion`).",
        ),
        field(
            "destination_endpoint_instance_type",
            String,
            "Instance type of the destination database (`DestinationEndpointInstanceType`).",
        ),
        field(
            "destination_endpoint_instance_id",
            String,
            "Instance ID of the destination database (`DestinationEndpointInstanceID`).",
        ),
        field(
            "destination_endpoint_ip_port",
            String,
            "Address of the destination database (`DestinationEndpointIpPort`).",
        ),
        sdk_only(
            "destination_endpoint_host",
            String,
            "Host name or IP address of the destination database (`DestinationEndpointHost`).",
        ),
        sdk_only(
            "destination_endpoint_port",
            String,
            "Port of the destination database, as text (`DestinationEndpointPort`); use \
             `tonumber()` to compute with it.",
        ),
        sdk_only(
            "destination_endpoint_enable_ssl",
            String,
            "Whether the job connects to the destination database over SSL \
             (`DestinationEndpointEnableSsl`), as the text the API sends, such as `\"true\"` or \
             `\"false\"`.",
        ),
        field(
            "destination_endpoint_database_name",
            String,
            "Destination database name (`DestinationEndpointDatabaseName`).",
        ),
        field(
            "destination_endpoint_user_name",
            String,
            "User name on the destination database (`DestinationEndpointUserName`).",
        ),
        field(
            "destination_endpoint_oracle_sid",
            String,
            "Oracle SID of the destination database (`DestinationEndpointOracleSID`).",
        ),
        field(
            "full_data_restore_progress",
            Number,
            "Progress of the full data restore, in percent (`FullDataRestoreProgress`).",
        ),
        field(
            "full_struct_before_restore_progress",
            Number,
            "Progress of the schema restore before data, in percent \
             (`FullStruforeRestoreProgress`, spelled so by the API).",
        ),
        field(
            "full_struct_after_restore_progress",
            Number,
            "Progress of the schema restore after data, in percent (`FullStruAfterRestoreProgress`).",
        ),
        field(
            "continuous_restore_progress",
            Number,
            "Progress of the incremental (continuous) restore, in percent \
             (`ContinuousRestoreProgress`).",
        ),
        sdk_only(
            "physical_backup_recover_progress",
            Number,
            "Progress of restoring from a physical backup, in percent \
             (`PhysicalBackupRecoverProgress`).",
        ),
        sdk_only(
            "physical_full_backup_recover_progress",
            Number,
            "Progress of restoring the full physical backup, in percent \
             (`PhysicalFullBackupRecoverProgress`).",
        ),
        sdk_only(
            "physical_increment_backup_recover_progress",
            Number,
            "Progress of applying the incremental physical backups, in percent \
             (`PhysicalIncrementBackupRecoverProgress`).",
        ),
        sdk_only(
            "physical_full_and_increment_backup_recover_progress",
            Number,
            "Progress of the physical restore of the full and incremental backups together, in \
             percent (`PhysicalFullAndIncrementBackupRecoverProgress`).",
        ),
        sdk_only(
            "physical_database_online_progress",
            Number,
            "Progress of bringing the restored database online after a physical restore, in \
             percent (`PhysicalDatabaseOnlineProgress`).",
        ),
        field(
            "error_message",
            String,
            "Why the job failed (`ErrMessage`); null when the API reports none (including its \
             literal `\"NULL\"`).",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attribute_is_described() {
        assert_eq!(
            schema().undescribed_attributes(),
            Vec::<std::string::String>::new()
        );
    }

    /// The fields of `DescribeRestoreTaskListResponseBodyItemsRestoreTaskDetail` in the
    /// official Python SDK (`alibabacloud-dbs20190306` 1.0.3), as a fact to check against.
    const SDK_FIELDS: [&str; 36] = [
        "BackupGatewayId",
        "BackupGatewayIdentifier",
        "BackupPlanId",
        "BackupSetId",
        "BackupSourceOssRegion",
        "ContinuousRestoreProgress",
        "CrossAliyunId",
        "CrossRoleName",
        "DestinationEndpointDatabaseName",
        "DestinationEndpointEnableSsl",
        "DestinationEndpointHost",
        "DestinationEndpointInstanceID",
        "DestinationEndpointInstanceType",
        "DestinationEndpointIpPort",
        "DestinationEndpointOracleSID",
        "DestinationEndpointPort",
        "DestinationEndpointRegion",
        "DestinationEndpointUserName",
        "ErrMessage",
        "FullDataRestoreProgress",
        "FullStruAfterRestoreProgress",
        "FullStruforeRestoreProgress",
        "PhysicalBackupRecoverProgress",
        "PhysicalDatabaseOnlineProgress",
        "PhysicalFullAndIncrementBackupRecoverProgress",
        "PhysicalFullBackupRecoverProgress",
        "PhysicalIncrementBackupRecoverProgress",
        "RestoreDestinationMode",
        "RestoreDir",
        "RestoreObjects",
        "RestoreStatus",
        "RestoreTaskCreateTime",
        "RestoreTaskFinishTime",
        "RestoreTaskId",
        "RestoreTaskName",
        "RestoreTime",
    ];

    #[test]
    fn tasks_have_every_field_of_the_sdk_model() {
        let fields = task_attributes();
        // Three times are also given as RFC 3339 text, which names no API field of its own.
        assert_eq!(fields.len(), SDK_FIELDS.len() + 3);
        for api in SDK_FIELDS {
            let quoted = format!("(`{api}`");
            assert!(
                fields.iter().any(|f| f.description.contains(&quoted)),
                "no attribute for {api}"
            );
        }
    }
}
