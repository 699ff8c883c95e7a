//! The `dbs_restore_tasks` schema: the arguments, and `tasks`, a computed
//! `list(object({...}))` with one field per field of a restore job in the
//! official SDK's model (times also as RFC 3339 text).
//!
//! `tasks` is a plain object list rather than a protocol 6 nested attribute
//! so that `tasks[0].name` works on Terraform 1.0 to 1.2 and `terraform test`
//! mocks can fill it; the table below is the one source of each field's name,
//! type and description, for the schema's markdown and the docs alike.

use super::fields::TASK_FIELDS;
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
    TASK_FIELDS
        .iter()
        .map(|f| {
            let attribute = Attribute::computed(f.name, f.ty.clone());
            if f.sdk_only {
                attribute.description(format!("{} {NOT_IN_REFERENCE}", f.description))
            } else {
                attribute.description(f.description)
            }
        })
        .collect()
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

    /// The SDK's codec decodes the configs captured from real Terraform
    /// (`tests/fixtures/cty/captured/`) against this type, kept in a file
    /// there because the SDK must not name the provider; this keeps it the
    /// config type. `UPDATE_CAPTURES=1` rewrites it, as it does the captures.
    #[test]
    fn the_captured_configs_type_is_the_config_type() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/cty/captured/config_type.json");
        let mut json =
            std::string::String::from_utf8(schema().value_type().to_json_bytes()).unwrap();
        json.push('\n');
        if std::env::var("UPDATE_CAPTURES").is_ok_and(|v| v == "1") {
            std::fs::write(&path, &json).unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            json,
            "{} is stale: UPDATE_CAPTURES=1 rewrites it",
            path.display()
        );
    }
}
