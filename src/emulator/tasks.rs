//! Where the served tasks come from: a fixture file or the generator.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::EmulatorError;
use super::filter::Task;
use super::generate;

/// The tasks the emulator serves, in the order it serves them.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskSource {
    /// A JSON file: `{"RestoreTaskDetail": [...]}`, a bare array of tasks, or a whole captured
    /// API response (`{"Items": {"RestoreTaskDetail": [...]}}`). Tasks are served exactly as
    /// written, in file order, so a fixture can hold numeric strings or odd values on purpose.
    Fixture(PathBuf),
    /// `count` realistic tasks, the same for the same `seed`, newest first.
    Generated {
        /// How many tasks.
        count: usize,
        /// Seeds every generated value.
        seed: u64,
    },
}

impl Default for TaskSource {
    fn default() -> Self {
        TaskSource::Generated { count: 12, seed: 1 }
    }
}

impl TaskSource {
    /// Loads or generates the tasks.
    pub(crate) fn load(&self) -> Result<Vec<Task>, EmulatorError> {
        match self {
            TaskSource::Fixture(path) => load_fixture(path),
            TaskSource::Generated { count, seed } => Ok(generate::tasks(*count, *seed)),
        }
    }
}

fn load_fixture(path: &Path) -> Result<Vec<Task>, EmulatorError> {
    let text = std::fs::read_to_string(path).map_err(|source| EmulatorError::ReadFixture {
        path: path.to_owned(),
        source,
    })?;
    parse_fixture(&text).map_err(|reason| EmulatorError::BadFixture {
        path: path.to_owned(),
        reason,
    })
}

/// Parses fixture text; the error is a sentence for [`EmulatorError::BadFixture`].
pub(crate) fn parse_fixture(text: &str) -> Result<Vec<Task>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let list = match value {
        Value::Array(list) => list,
        Value::Object(mut top) => {
            let holder = match top.remove("Items") {
                Some(Value::Object(items)) => items,
                Some(_) => return Err("`Items` is not an object".to_owned()),
                None => top,
            };
            match holder.get("RestoreTaskDetail") {
                Some(Value::Array(list)) => list.clone(),
                Some(_) => return Err("`RestoreTaskDetail` is not an array".to_owned()),
                None => {
                    return Err(
                        "expected an array of tasks or an object with `RestoreTaskDetail`"
                            .to_owned(),
                    )
                }
            }
        }
        _ => return Err("expected an array of tasks or an object".to_owned()),
    };
    list.into_iter()
        .enumerate()
        .map(|(index, entry)| match entry {
            Value::Object(task) => Ok(task),
            _ => Err(format!("task #{index} is not a JSON object")),
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn accepts_the_three_shapes() {
        let a = parse_fixture(r#"[{"RestoreTaskId":"r1"}]"#).unwrap();
        let b = parse_fixture(r#"{"RestoreTaskDetail":[{"RestoreTaskId":"r1"}]}"#).unwrap();
        let c = parse_fixture(
            r#"{"Success":true,"Items":{"RestoreTaskDetail":[{"RestoreTaskId":"r1"}]}}"#,
        )
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert_eq!(a.len(), 1);
    }

    #[test]
    fn keeps_values_as_written() {
        let t = parse_fixture(r#"[{"RestoreTaskCreateTime":"1700000000000","X":null}]"#).unwrap();
        assert_eq!(t[0]["RestoreTaskCreateTime"], "1700000000000");
        assert!(t[0]["X"].is_null());
    }

    #[test]
    fn explains_what_is_wrong() {
        assert!(parse_fixture("{").unwrap_err().contains("not JSON"));
        assert!(parse_fixture("3").unwrap_err().contains("expected"));
        assert!(parse_fixture(r#"{"a":1}"#)
            .unwrap_err()
            .contains("RestoreTaskDetail"));
        assert!(parse_fixture(r#"[{}, 2]"#).unwrap_err().contains("#1"));
        assert!(parse_fixture(r#"{"Items":[]}"#)
            .unwrap_err()
            .contains("Items"));
    }

    /// The fields the official SDK's model has beyond the published API reference: real answers
    /// may leave them out, so the sample and the generator must sometimes leave them out too.
    pub(crate) const SDK_ONLY_FIELDS: [&str; 11] = [
        "BackupGatewayIdentifier",
        "BackupSourceOssRegion",
        "DestinationEndpointEnableSsl",
        "DestinationEndpointHost",
        "DestinationEndpointPort",
        "RestoreDestinationMode",
        "PhysicalBackupRecoverProgress",
        "PhysicalDatabaseOnlineProgress",
        "PhysicalFullAndIncrementBackupRecoverProgress",
        "PhysicalFullBackupRecoverProgress",
        "PhysicalIncrementBackupRecoverProgress",
    ];

    /// The sample is what the docs, the demo and the end-to-end tests show, so it must exercise
    /// every field the client reads, each both set and (where the API may omit it) missing.
    #[test]
    fn the_sample_fixture_carries_every_field_of_the_client_model() {
        let sample =
            parse_fixture(include_str!("../../examples/emulator/restore-tasks.json")).unwrap();
        let model = serde_json::to_value(crate::alibaba::RestoreTask::default()).unwrap();
        for field in model.as_object().unwrap().keys() {
            assert!(
                sample.iter().any(|t| t.contains_key(field)),
                "no sample task has {field}"
            );
        }
        for field in SDK_ONLY_FIELDS {
            assert!(
                sample.iter().any(|t| !t.contains_key(field)),
                "every sample task has {field}"
            );
        }
    }

    #[test]
    fn empty_is_fine() {
        assert!(parse_fixture("[]").unwrap().is_empty());
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = TaskSource::Fixture("/nonexistent/tasks.json".into())
            .load()
            .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/tasks.json"));
    }

    #[test]
    fn sample_fixture_loads() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/emulator/restore-tasks.json");
        let tasks = TaskSource::Fixture(path).load().unwrap();
        assert!(tasks.len() >= 10);
    }
}
