//! The server-side filters of `DescribeRestoreTaskList`: `BackupPlanId`, `RestoreTaskId` (a comma
//! list) and `StartTimestamp`/`EndTimestamp` (inclusive, on `RestoreTaskCreateTime`).
//!
//! Fixture values are read leniently (numbers may be JSON numbers or numeric strings) because
//! fixtures deliberately hold both, to exercise the client's own lenient parsing.

use std::collections::HashSet;

use serde_json::{Map, Value};

/// A task as served: the API's field names and values, untouched.
pub(crate) type Task = Map<String, Value>;

/// The filters of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Filter {
    backup_plan_id: Option<String>,
    task_ids: Option<HashSet<String>>,
    start_ms: Option<i64>,
    end_ms: Option<i64>,
}

/// A filter parameter the API would refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InvalidFilter {
    /// `BackupPlanId` and `RestoreTaskId` together (the API documents this as an error).
    Conflict,
    /// A timestamp that is not a whole number of milliseconds.
    NotANumber(&'static str),
}

impl Filter {
    /// Builds the filter from raw parameter values (absent or empty means "no filter").
    pub(crate) fn new(
        backup_plan_id: Option<&str>,
        restore_task_ids: Option<&str>,
        start_timestamp: Option<&str>,
        end_timestamp: Option<&str>,
    ) -> Result<Filter, InvalidFilter> {
        if backup_plan_id.is_some() && restore_task_ids.is_some() {
            return Err(InvalidFilter::Conflict);
        }
        let task_ids = restore_task_ids.map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .collect()
        });
        Ok(Filter {
            backup_plan_id: backup_plan_id.map(|id| id.trim().to_owned()),
            task_ids,
            start_ms: parse_ms(start_timestamp, "StartTimestamp")?,
            end_ms: parse_ms(end_timestamp, "EndTimestamp")?,
        })
    }

    /// Whether `task` passes every filter. A task without the field a filter needs does not.
    pub(crate) fn matches(&self, task: &Task) -> bool {
        if let Some(plan) = &self.backup_plan_id {
            if text_field(task, "BackupPlanId").as_deref() != Some(plan.as_str()) {
                return false;
            }
        }
        if let Some(ids) = &self.task_ids {
            match text_field(task, "RestoreTaskId") {
                Some(id) if ids.contains(&id) => {}
                _ => return false,
            }
        }
        if self.start_ms.is_some() || self.end_ms.is_some() {
            let Some(created) = number_field(task, "RestoreTaskCreateTime") else {
                return false;
            };
            if self.start_ms.is_some_and(|start| created < start)
                || self.end_ms.is_some_and(|end| created > end)
            {
                return false;
            }
        }
        true
    }
}

fn parse_ms(raw: Option<&str>, name: &'static str) -> Result<Option<i64>, InvalidFilter> {
    raw.map(|v| v.trim().parse::<i64>())
        .transpose()
        .map_err(|_| InvalidFilter::NotANumber(name))
}

/// A string field, also accepting a number (a fixture may hold ids either way).
pub(crate) fn text_field(task: &Task, name: &str) -> Option<String> {
    match task.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A whole-number field given as a JSON number or a numeric string.
pub(crate) fn number_field(task: &Task, name: &str) -> Option<i64> {
    match task.get(name)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().and_then(float_to_i64)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().and_then(float_to_i64))
        }
        _ => None,
    }
}

fn float_to_i64(f: f64) -> Option<i64> {
    // The range check keeps the cast exact enough and clear of saturation surprises.
    (f.is_finite() && f.abs() < 9.0e18).then_some(f as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn task(v: Value) -> Task {
        match v {
            Value::Object(map) => map,
            _ => panic!("not an object"),
        }
    }

    fn sample() -> Vec<Task> {
        vec![
            task(
                json!({"RestoreTaskId": "r1", "BackupPlanId": "p1", "RestoreTaskCreateTime": 1000}),
            ),
            task(
                json!({"RestoreTaskId": "r2", "BackupPlanId": "p2", "RestoreTaskCreateTime": "2000"}),
            ),
            task(
                json!({"RestoreTaskId": "r3", "BackupPlanId": "p1", "RestoreTaskCreateTime": 3000.0}),
            ),
            task(json!({"RestoreTaskId": "r4", "BackupPlanId": "p1"})),
        ]
    }

    fn ids(filter: &Filter) -> Vec<String> {
        sample()
            .iter()
            .filter(|t| filter.matches(t))
            .filter_map(|t| text_field(t, "RestoreTaskId"))
            .collect()
    }

    #[test]
    fn empty_filter_keeps_everything() {
        let f = Filter::new(None, None, None, None).unwrap();
        assert_eq!(ids(&f), ["r1", "r2", "r3", "r4"]);
    }

    #[test]
    fn by_plan() {
        let f = Filter::new(Some("p1"), None, None, None).unwrap();
        assert_eq!(ids(&f), ["r1", "r3", "r4"]);
    }

    #[test]
    fn by_id_list_with_spaces_and_blanks() {
        let f = Filter::new(None, Some(" r3, ,r1,nope"), None, None).unwrap();
        assert_eq!(ids(&f), ["r1", "r3"]);
    }

    #[test]
    fn by_time_inclusive_and_lenient() {
        let f = Filter::new(None, None, Some("2000"), Some("3000")).unwrap();
        assert_eq!(ids(&f), ["r2", "r3"]);
        let f = Filter::new(None, None, None, Some("1000")).unwrap();
        assert_eq!(ids(&f), ["r1"]);
        let f = Filter::new(None, None, Some("3001"), Some("10")).unwrap();
        assert!(ids(&f).is_empty());
    }

    #[test]
    fn rejects_conflicts_and_bad_numbers() {
        assert_eq!(
            Filter::new(Some("p1"), Some("r1"), None, None),
            Err(InvalidFilter::Conflict)
        );
        assert_eq!(
            Filter::new(None, None, Some("yesterday"), None),
            Err(InvalidFilter::NotANumber("StartTimestamp"))
        );
        assert_eq!(
            Filter::new(None, None, None, Some("1e3")),
            Err(InvalidFilter::NotANumber("EndTimestamp"))
        );
    }

    #[test]
    fn lenient_fields() {
        let t = task(json!({"A": "12", "B": 12, "C": " 7.0 ", "D": true, "E": 1e300}));
        assert_eq!(number_field(&t, "A"), Some(12));
        assert_eq!(number_field(&t, "B"), Some(12));
        assert_eq!(number_field(&t, "C"), Some(7));
        assert_eq!(number_field(&t, "D"), None);
        assert_eq!(number_field(&t, "E"), None);
        assert_eq!(text_field(&t, "B").as_deref(), Some("12"));
        assert_eq!(text_field(&t, "D"), None);
    }
}
