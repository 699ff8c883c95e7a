//! One restore job as a `tasks` element: snake_case attributes, nulls where
//! the API omitted a field, millisecond times doubled as RFC 3339 strings.

use crate::alibaba::RestoreTask;
use crate::plugin::cty::Value;
use crate::provider::time_format::format_rfc3339_ms;

fn string(v: Option<String>) -> Value {
    v.map_or(Value::Null, Value::String)
}

fn number(v: Option<i64>) -> Value {
    v.map_or(Value::Null, |n| Value::Number(n.into()))
}

/// Percentages; whole values still encode as integers.
fn percent(v: Option<f64>) -> Value {
    v.map_or(Value::Null, |n| Value::Number(n.into()))
}

fn rfc3339(v: Option<i64>) -> Value {
    v.and_then(format_rfc3339_ms)
        .map_or(Value::Null, Value::String)
}

/// The API writes the literal string `"NULL"` when a job has no error.
fn error_message(v: Option<String>) -> Value {
    match v.as_deref() {
        None | Some("NULL") | Some("") => Value::Null,
        Some(_) => string(v),
    }
}

/// The `tasks` element for `task`. Takes the task by value so its strings
/// move into the result: a 10,000-job read never holds two copies.
pub(crate) fn task_value(task: RestoreTask) -> Value {
    Value::object([
        ("id", string(task.restore_task_id)),
        ("name", string(task.restore_task_name)),
        ("status", string(task.restore_status)),
        ("backup_plan_id", string(task.backup_plan_id)),
        ("backup_set_id", string(task.backup_set_id)),
        ("backup_gateway_id", number(task.backup_gateway_id)),
        (
            "backup_gateway_identifier",
            string(task.backup_gateway_identifier),
        ),
        (
            "backup_source_oss_region",
            string(task.backup_source_oss_region),
        ),
        ("restore_dir", string(task.restore_dir)),
        ("restore_objects", string(task.restore_objects)),
        (
            "restore_destination_mode",
            string(task.restore_destination_mode),
        ),
        ("restore_timestamp", number(task.restore_time)),
        ("restore_time", rfc3339(task.restore_time)),
        ("create_timestamp", number(task.restore_task_create_time)),
        ("create_time", rfc3339(task.restore_task_create_time)),
        ("finish_timestamp", number(task.restore_task_finish_time)),
        ("finish_time", rfc3339(task.restore_task_finish_time)),
        ("cross_aliyun_id", string(task.cross_aliyun_id)),
        ("cross_role_name", string(task.cross_role_name)),
        (
            "destination_endpoint_region",
            string(task.destination_endpoint_region),
        ),
        (
            "destination_endpoint_instance_type",
            string(task.destination_endpoint_instance_type),
        ),
        (
            "destination_endpoint_instance_id",
            string(task.destination_endpoint_instance_id),
        ),
        (
            "destination_endpoint_ip_port",
            string(task.destination_endpoint_ip_port),
        ),
        (
            "destination_endpoint_host",
            string(task.destination_endpoint_host),
        ),
        (
            "destination_endpoint_port",
            string(task.destination_endpoint_port),
        ),
        (
            "destination_endpoint_enable_ssl",
            string(task.destination_endpoint_enable_ssl),
        ),
        (
            "destination_endpoint_database_name",
            string(task.destination_endpoint_database_name),
        ),
        (
            "destination_endpoint_user_name",
            string(task.destination_endpoint_user_name),
        ),
        (
            "destination_endpoint_oracle_sid",
            string(task.destination_endpoint_oracle_sid),
        ),
        (
            "full_data_restore_progress",
            percent(task.full_data_restore_progress),
        ),
        (
            "full_struct_before_restore_progress",
            percent(task.full_struct_before_restore_progress),
        ),
        (
            "full_struct_after_restore_progress",
            percent(task.full_struct_after_restore_progress),
        ),
        (
            "continuous_restore_progress",
            percent(task.continuous_restore_progress),
        ),
        (
            "physical_backup_recover_progress",
            percent(task.physical_backup_recover_progress),
        ),
        (
            "physical_full_backup_recover_progress",
            percent(task.physical_full_backup_recover_progress),
        ),
        (
            "physical_increment_backup_recover_progress",
            percent(task.physical_increment_backup_recover_progress),
        ),
        (
            "physical_full_and_increment_backup_recover_progress",
            percent(task.physical_full_and_increment_backup_recover_progress),
        ),
        (
            "physical_database_online_progress",
            percent(task.physical_database_online_progress),
        ),
        ("error_message", error_message(task.err_message)),
    ])
}

/// A value as JSON, serialized on the fly for `output_file`: what
/// `jsonencode()` of the `tasks` attribute would produce, without building a
/// second tree of 10,000 jobs in memory.
pub(crate) struct JsonView<'a>(pub &'a Value);

impl serde::Serialize for JsonView<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Value::Null | Value::Unknown => serializer.serialize_none(),
            Value::Encoded(_) => Err(serde::ser::Error::custom(
                "a pre-encoded value has no JSON form",
            )),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => serializer.serialize_i64(i),
                None => serializer.serialize_f64(n.as_f64()),
            },
            Value::String(s) => serializer.serialize_str(s),
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&JsonView(item))?;
                }
                seq.end()
            }
            Value::Map(m) | Value::Object(m) => {
                let mut map = serializer.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, &JsonView(v))?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_every_field_and_the_null_conventions() {
        let task = RestoreTask {
            restore_task_id: Some("r1".into()),
            restore_task_name: Some("nightly".into()),
            restore_task_create_time: Some(1_700_000_000_000),
            full_data_restore_progress: Some(55.5),
            err_message: Some("NULL".into()),
            destination_endpoint_port: Some("3306".into()),
            destination_endpoint_enable_ssl: Some("true".into()),
            physical_database_online_progress: Some(12.5),
            ..RestoreTask::default()
        };
        let v = task_value(task);
        let schema = crate::provider::restore_tasks::schema::schema();
        let paths = schema.attribute_paths();
        let fields: Vec<_> = paths
            .iter()
            .filter_map(|p| p.strip_prefix("tasks."))
            .collect();
        let map = v.as_map().unwrap();
        assert_eq!(map.len(), fields.len());
        for f in &fields {
            assert!(map.contains_key(*f), "missing {f}");
        }
        assert_eq!(v.attr("id").as_str(), Some("r1"));
        assert_eq!(v.attr("create_time").as_str(), Some("2023-11-14T22:13:20Z"));
        assert_eq!(v.attr("create_timestamp").as_i64(), Some(1_700_000_000_000));
        assert_eq!(
            v.attr("full_data_restore_progress")
                .as_number()
                .map(|n| n.as_f64()),
            Some(55.5)
        );
        assert!(v.attr("error_message").is_null());
        assert!(v.attr("finish_time").is_null());
        assert!(v.attr("cross_role_name").is_null());
        assert_eq!(v.attr("destination_endpoint_port").as_str(), Some("3306"));
        assert_eq!(
            v.attr("destination_endpoint_enable_ssl").as_str(),
            Some("true")
        );
        assert_eq!(
            v.attr("physical_database_online_progress")
                .as_number()
                .map(|n| n.as_f64()),
            Some(12.5)
        );
        assert!(v.attr("physical_full_backup_recover_progress").is_null());
        assert!(v.attr("backup_gateway_identifier").is_null());
        let json = serde_json::to_value(JsonView(&v)).unwrap();
        assert_eq!(json["create_timestamp"], 1_700_000_000_000i64);
        assert_eq!(json["error_message"], serde_json::Value::Null);
    }

    #[test]
    fn real_error_messages_are_kept() {
        let task = RestoreTask {
            err_message: Some("disk full".into()),
            ..RestoreTask::default()
        };
        assert_eq!(
            task_value(task).attr("error_message").as_str(),
            Some("disk full")
        );
    }
}
