//! One restore job as a `tasks` element: snake_case attributes, nulls where
//! the API omitted a field, millisecond times doubled as RFC 3339 strings.

use super::fields::TASK_FIELDS;
use crate::alibaba::RestoreTask;
use crate::plugin::cty::Value;
use crate::provider::time_format::format_rfc3339_ms;

pub(super) fn string(v: Option<String>) -> Value {
    v.map_or(Value::Null, Value::String)
}

pub(super) fn number(v: Option<i64>) -> Value {
    v.map_or(Value::Null, |n| Value::Number(n.into()))
}

/// Percentages; whole values still encode as integers.
pub(super) fn percent(v: Option<f64>) -> Value {
    v.map_or(Value::Null, |n| Value::Number(n.into()))
}

pub(super) fn rfc3339(v: Option<i64>) -> Value {
    v.and_then(format_rfc3339_ms)
        .map_or(Value::Null, Value::String)
}

/// The API writes the literal string `"NULL"` when a job has no error.
pub(super) fn error_message(v: Option<String>) -> Value {
    match v.as_deref() {
        None | Some("NULL") | Some("") => Value::Null,
        Some(_) => string(v),
    }
}

/// The `tasks` element for `task`, field by field from [`TASK_FIELDS`]. Takes the task by value
/// so its strings move into the result.
pub(crate) fn task_value(mut task: RestoreTask) -> Value {
    Value::object(TASK_FIELDS.iter().map(|f| (f.name, (f.take)(&mut task))))
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
        let text = |name: &str| v.attr(name).as_str();
        let number = |name: &str| v.attr(name).as_number().map(|n| n.as_f64());
        assert_eq!(text("id"), Some("r1"));
        assert_eq!(text("create_time"), Some("2023-11-14T22:13:20Z"));
        assert_eq!(v.attr("create_timestamp").as_i64(), Some(1_700_000_000_000));
        assert_eq!(number("full_data_restore_progress"), Some(55.5));
        assert_eq!(text("destination_endpoint_port"), Some("3306"));
        assert_eq!(text("destination_endpoint_enable_ssl"), Some("true"));
        assert_eq!(number("physical_database_online_progress"), Some(12.5));
        for absent in [
            "error_message",
            "finish_time",
            "cross_role_name",
            "physical_full_backup_recover_progress",
            "backup_gateway_identifier",
        ] {
            assert!(v.attr(absent).is_null(), "{absent}");
        }
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
