//! The `dbs_restore_tasks` schema: the arguments, and `tasks`, a computed
//! `list(object({...}))` with one field per API field of a restore job.
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
                    "The restore jobs, in the order the API returned them, each with every field \
                     the API sends (null where it sends none).",
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

fn task_attributes() -> Vec<Attribute> {
    use CtyType::{Number, String};
    let field =
        |name: &str, ty: CtyType, text: &str| Attribute::computed(name, ty).description(text);
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
        field("restore_dir", String, "Directory restored to (`RestoreDir`)."),
        field(
            "restore_objects",
            String,
            "Objects restored, as the raw JSON string the API returns (`RestoreObjects`); \
             use `jsondecode()` to read it.",
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

    #[test]
    fn tasks_have_every_api_field() {
        let paths = schema().attribute_paths();
        let task_fields = paths.iter().filter(|p| p.starts_with("tasks.")).count();
        assert_eq!(task_fields, 28);
    }
}
