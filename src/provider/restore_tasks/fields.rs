//! The one table of `tasks` element fields: each field's name, type, description and how it is
//! taken from an API restore job. The schema, the docs and the mapping are all read from it, so
//! they cannot drift apart.

use crate::alibaba::RestoreTask;
use crate::plugin::cty::CtyType::{self, Number, String};
use crate::plugin::cty::Value;

use super::mapping::{error_message, number, percent, rfc3339, string};

/// One attribute of a `tasks` element.
pub(crate) struct TaskField {
    /// The attribute name (snake_case of the API field).
    pub(crate) name: &'static str,
    /// Its type.
    pub(crate) ty: CtyType,
    /// In the official SDK's model but not in the published API reference.
    pub(crate) sdk_only: bool,
    /// Markdown description, naming the API field.
    pub(crate) description: &'static str,
    /// Moves the value out of the job (strings are taken, not copied: a 10,000-job read never
    /// holds two copies).
    pub(crate) take: fn(&mut RestoreTask) -> Value,
}

/// Every field, in the order the docs list them.
pub(crate) static TASK_FIELDS: &[TaskField] = &[
    TaskField {
        name: "id",
        ty: String,
        sdk_only: false,
        description: "Restore task ID (`RestoreTaskId`).",
        take: |t| string(t.restore_task_id.take()),
    },
    TaskField {
        name: "name",
        ty: String,
        sdk_only: false,
        description: "Restore task name (`RestoreTaskName`).",
        take: |t| string(t.restore_task_name.take()),
    },
    TaskField {
        name: "status",
        ty: String,
        sdk_only: false,
        description: "State of the job (`RestoreStatus`): `init`, `running`, `stop`, `pause` or `check_pass`.",
        take: |t| string(t.restore_status.take()),
    },
    TaskField {
        name: "backup_plan_id",
        ty: String,
        sdk_only: false,
        description: "Backup plan the job restores from (`BackupPlanId`).",
        take: |t| string(t.backup_plan_id.take()),
    },
    TaskField {
        name: "backup_set_id",
        ty: String,
        sdk_only: false,
        description: "Backup set restored (`BackupSetId`).",
        take: |t| string(t.backup_set_id.take()),
    },
    TaskField {
        name: "backup_gateway_id",
        ty: Number,
        sdk_only: false,
        description: "Backup gateway used (`BackupGatewayId`).",
        take: |t| number(t.backup_gateway_id),
    },
    TaskField {
        name: "backup_gateway_identifier",
        ty: String,
        sdk_only: true,
        description: "Identifier (text) of the backup gateway used (`BackupGatewayIdentifier`), for jobs that restore through a backup gateway.",
        take: |t| string(t.backup_gateway_identifier.take()),
    },
    TaskField {
        name: "backup_source_oss_region",
        ty: String,
        sdk_only: true,
        description: "Region of the OSS storage the backup set is read from (`BackupSourceOssRegion`).",
        take: |t| string(t.backup_source_oss_region.take()),
    },
    TaskField {
        name: "restore_dir",
        ty: String,
        sdk_only: false,
        description: "Directory restored to (`RestoreDir`).",
        take: |t| string(t.restore_dir.take()),
    },
    TaskField {
        name: "restore_objects",
        ty: String,
        sdk_only: false,
        description: "Objects restored, as the raw JSON string the API returns (`RestoreObjects`); use `jsondecode()` to read it.",
        take: |t| string(t.restore_objects.take()),
    },
    TaskField {
        name: "restore_destination_mode",
        ty: String,
        sdk_only: true,
        description: "How the job restores to its destination (`RestoreDestinationMode`), as the API names it; the values are not documented.",
        take: |t| string(t.restore_destination_mode.take()),
    },
    TaskField {
        name: "restore_timestamp",
        ty: Number,
        sdk_only: false,
        description: "Point in time restored to, in milliseconds since the epoch (`RestoreTime`).",
        take: |t| number(t.restore_time),
    },
    TaskField {
        name: "restore_time",
        ty: String,
        sdk_only: false,
        description: "`restore_timestamp` as an RFC 3339 UTC time.",
        take: |t| rfc3339(t.restore_time),
    },
    TaskField {
        name: "create_timestamp",
        ty: Number,
        sdk_only: false,
        description: "When the job was created, in milliseconds since the epoch (`RestoreTaskCreateTime`).",
        take: |t| number(t.restore_task_create_time),
    },
    TaskField {
        name: "create_time",
        ty: String,
        sdk_only: false,
        description: "`create_timestamp` as an RFC 3339 UTC time.",
        take: |t| rfc3339(t.restore_task_create_time),
    },
    TaskField {
        name: "finish_timestamp",
        ty: Number,
        sdk_only: false,
        description: "When the job finished, in milliseconds since the epoch (`RestoreTaskFinishTime`).",
        take: |t| number(t.restore_task_finish_time),
    },
    TaskField {
        name: "finish_time",
        ty: String,
        sdk_only: false,
        description: "`finish_timestamp` as an RFC 3339 UTC time.",
        take: |t| rfc3339(t.restore_task_finish_time),
    },
    TaskField {
        name: "cross_aliyun_id",
        ty: String,
        sdk_only: false,
        description: "Alibaba Cloud account of a cross-account restore (`CrossAliyunId`).",
        take: |t| string(t.cross_aliyun_id.take()),
    },
    TaskField {
        name: "cross_role_name",
        ty: String,
        sdk_only: false,
        description: "RAM role of a cross-account restore (`CrossRoleName`).",
        take: |t| string(t.cross_role_name.take()),
    },
    TaskField {
        name: "destination_endpoint_region",
        ty: String,
        sdk_only: false,
        description: "Region of the destination database (`DestinationEndpointRegion`).",
        take: |t| string(t.destination_endpoint_region.take()),
    },
    TaskField {
        name: "destination_endpoint_instance_type",
        ty: String,
        sdk_only: false,
        description: "Instance type of the destination database (`DestinationEndpointInstanceType`).",
        take: |t| string(t.destination_endpoint_instance_type.take()),
    },
    TaskField {
        name: "destination_endpoint_instance_id",
        ty: String,
        sdk_only: false,
        description: "Instance ID of the destination database (`DestinationEndpointInstanceID`).",
        take: |t| string(t.destination_endpoint_instance_id.take()),
    },
    TaskField {
        name: "destination_endpoint_ip_port",
        ty: String,
        sdk_only: false,
        description: "Address of the destination database (`DestinationEndpointIpPort`).",
        take: |t| string(t.destination_endpoint_ip_port.take()),
    },
    TaskField {
        name: "destination_endpoint_host",
        ty: String,
        sdk_only: true,
        description: "Host name or IP address of the destination database (`DestinationEndpointHost`).",
        take: |t| string(t.destination_endpoint_host.take()),
    },
    TaskField {
        name: "destination_endpoint_port",
        ty: String,
        sdk_only: true,
        description: "Port of the destination database, as text (`DestinationEndpointPort`); use `tonumber()` to compute with it.",
        take: |t| string(t.destination_endpoint_port.take()),
    },
    TaskField {
        name: "destination_endpoint_enable_ssl",
        ty: String,
        sdk_only: true,
        description: "Whether the job connects to the destination database over SSL (`DestinationEndpointEnableSsl`), as the text the API sends, such as `\"true\"` or `\"false\"`.",
        take: |t| string(t.destination_endpoint_enable_ssl.take()),
    },
    TaskField {
        name: "destination_endpoint_database_name",
        ty: String,
        sdk_only: false,
        description: "Destination database name (`DestinationEndpointDatabaseName`).",
        take: |t| string(t.destination_endpoint_database_name.take()),
    },
    TaskField {
        name: "destination_endpoint_user_name",
        ty: String,
        sdk_only: false,
        description: "User name on the destination database (`DestinationEndpointUserName`).",
        take: |t| string(t.destination_endpoint_user_name.take()),
    },
    TaskField {
        name: "destination_endpoint_oracle_sid",
        ty: String,
        sdk_only: false,
        description: "Oracle SID of the destination database (`DestinationEndpointOracleSID`).",
        take: |t| string(t.destination_endpoint_oracle_sid.take()),
    },
    TaskField {
        name: "full_data_restore_progress",
        ty: Number,
        sdk_only: false,
        description: "Progress of the full data restore, in percent (`FullDataRestoreProgress`).",
        take: |t| percent(t.full_data_restore_progress),
    },
    TaskField {
        name: "full_struct_before_restore_progress",
        ty: Number,
        sdk_only: false,
        description: "Progress of the schema restore before data, in percent (`FullStruforeRestoreProgress`, spelled so by the API).",
        take: |t| percent(t.full_struct_before_restore_progress),
    },
    TaskField {
        name: "full_struct_after_restore_progress",
        ty: Number,
        sdk_only: false,
        description: "Progress of the schema restore after data, in percent (`FullStruAfterRestoreProgress`).",
        take: |t| percent(t.full_struct_after_restore_progress),
    },
    TaskField {
        name: "continuous_restore_progress",
        ty: Number,
        sdk_only: false,
        description: "Progress of the incremental (continuous) restore, in percent (`ContinuousRestoreProgress`).",
        take: |t| percent(t.continuous_restore_progress),
    },
    TaskField {
        name: "physical_backup_recover_progress",
        ty: Number,
        sdk_only: true,
        description: "Progress of restoring from a physical backup, in percent (`PhysicalBackupRecoverProgress`).",
        take: |t| percent(t.physical_backup_recover_progress),
    },
    TaskField {
        name: "physical_full_backup_recover_progress",
        ty: Number,
        sdk_only: true,
        description: "Progress of restoring the full physical backup, in percent (`PhysicalFullBackupRecoverProgress`).",
        take: |t| percent(t.physical_full_backup_recover_progress),
    },
    TaskField {
        name: "physical_increment_backup_recover_progress",
        ty: Number,
        sdk_only: true,
        description: "Progress of applying the incremental physical backups, in percent (`PhysicalIncrementBackupRecoverProgress`).",
        take: |t| percent(t.physical_increment_backup_recover_progress),
    },
    TaskField {
        name: "physical_full_and_increment_backup_recover_progress",
        ty: Number,
        sdk_only: true,
        description: "Progress of the physical restore of the full and incremental backups together, in percent (`PhysicalFullAndIncrementBackupRecoverProgress`).",
        take: |t| percent(t.physical_full_and_increment_backup_recover_progress),
    },
    TaskField {
        name: "physical_database_online_progress",
        ty: Number,
        sdk_only: true,
        description: "Progress of bringing the restored database online after a physical restore, in percent (`PhysicalDatabaseOnlineProgress`).",
        take: |t| percent(t.physical_database_online_progress),
    },
    TaskField {
        name: "error_message",
        ty: String,
        sdk_only: false,
        description: "Why the job failed (`ErrMessage`); null when the API reports none (including its literal `\"NULL\"`).",
        take: |t| error_message(t.err_message.take()),
    },
];
