//! The query we send and the restore jobs we get back, parsed leniently.
//!
//! The API is not strict about types: numbers arrive as JSON numbers or as numeric strings, an
//! empty list may be `Items: {}` or missing entirely, and new fields appear without notice. The
//! parser accepts all of that, ignores unknown fields, and reports only what it truly cannot
//! read, as a typed error, never a panic.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What to list. `page_size` is the API's `PageSize` (1..=100).
#[derive(Default, Clone, Debug, PartialEq, Eq)]
pub struct RestoreTaskQuery {
    /// `BackupPlanId` filter.
    pub backup_plan_id: Option<String>,
    /// `RestoreTaskId` filter, comma-joined on the wire.
    pub restore_task_ids: Vec<String>,
    /// `StartTimestamp`, ms since epoch.
    pub start_timestamp: Option<i64>,
    /// `EndTimestamp`, ms since epoch.
    pub end_timestamp: Option<i64>,
    /// `PageSize`, 1..=100.
    pub page_size: u32,
    /// Names this listing in log lines (not sent): with many listings sharing one client,
    /// the caller says which is which, e.g. by the query's own id.
    pub label: Option<String>,
    /// When the whole listing must be over, retries and waits included (not sent).
    pub deadline: Option<std::time::Instant>,
}

impl RestoreTaskQuery {
    /// Whether `task` is one this query asks for: the plan, the ids and the creation-time window
    /// the server should already have applied.
    pub fn matches(&self, task: &RestoreTask) -> bool {
        if let Some(plan) = self.backup_plan_id.as_deref().filter(|p| !p.is_empty()) {
            if task.backup_plan_id.as_deref() != Some(plan) {
                return false;
            }
        }
        let ids: Vec<&str> = self
            .restore_task_ids
            .iter()
            .map(String::as_str)
            .filter(|id| !id.is_empty())
            .collect();
        if !ids.is_empty()
            && !task
                .restore_task_id
                .as_deref()
                .is_some_and(|id| ids.contains(&id))
        {
            return false;
        }
        if self.start_timestamp.is_some() || self.end_timestamp.is_some() {
            let Some(created) = task.restore_task_create_time else {
                return false;
            };
            if self.start_timestamp.is_some_and(|s| created < s)
                || self.end_timestamp.is_some_and(|e| created > e)
            {
                return false;
            }
        }
        true
    }
}

/// One restore job: the 36 fields of the official SDK's model of a restore job
/// (`DescribeRestoreTaskListResponseBodyItemsRestoreTaskDetail` of `alibabacloud-dbs20190306`),
/// `None` when the API omits one (or sends an empty value). The SDK knows 11 more fields than
/// the published API reference; real answers may carry them, so they are read like the others.
///
/// Field names on the wire are the API's, including its typos (`FullStruforeRestoreProgress`),
/// so serializing a task gives back the API's JSON.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RestoreTask {
    /// `RestoreTaskId`.
    #[serde(rename = "RestoreTaskId", default, deserialize_with = "lenient_string")]
    pub restore_task_id: Option<String>,
    /// `RestoreTaskName`.
    #[serde(
        rename = "RestoreTaskName",
        default,
        deserialize_with = "lenient_string"
    )]
    pub restore_task_name: Option<String>,
    /// `RestoreStatus` (init, running, stop, pause, check_pass, ...).
    #[serde(rename = "RestoreStatus", default, deserialize_with = "lenient_string")]
    pub restore_status: Option<String>,
    /// `BackupPlanId`.
    #[serde(rename = "BackupPlanId", default, deserialize_with = "lenient_string")]
    pub backup_plan_id: Option<String>,
    /// `BackupSetId`.
    #[serde(rename = "BackupSetId", default, deserialize_with = "lenient_string")]
    pub backup_set_id: Option<String>,
    /// `BackupGatewayId`.
    #[serde(rename = "BackupGatewayId", default, deserialize_with = "lenient_i64")]
    pub backup_gateway_id: Option<i64>,
    /// `BackupGatewayIdentifier` (SDK only).
    #[serde(
        rename = "BackupGatewayIdentifier",
        default,
        deserialize_with = "lenient_string"
    )]
    pub backup_gateway_identifier: Option<String>,
    /// `BackupSourceOssRegion` (SDK only).
    #[serde(
        rename = "BackupSourceOssRegion",
        default,
        deserialize_with = "lenient_string"
    )]
    pub backup_source_oss_region: Option<String>,
    /// `RestoreDir`.
    #[serde(rename = "RestoreDir", default, deserialize_with = "lenient_string")]
    pub restore_dir: Option<String>,
    /// `RestoreObjects`: raw JSON text, kept as sent.
    #[serde(
        rename = "RestoreObjects",
        default,
        deserialize_with = "lenient_string"
    )]
    pub restore_objects: Option<String>,
    /// `RestoreDestinationMode` (SDK only).
    #[serde(
        rename = "RestoreDestinationMode",
        default,
        deserialize_with = "lenient_string"
    )]
    pub restore_destination_mode: Option<String>,
    /// `RestoreTime`, ms since epoch.
    #[serde(rename = "RestoreTime", default, deserialize_with = "lenient_i64")]
    pub restore_time: Option<i64>,
    /// `RestoreTaskCreateTime`, ms since epoch.
    #[serde(
        rename = "RestoreTaskCreateTime",
        default,
        deserialize_with = "lenient_i64"
    )]
    pub restore_task_create_time: Option<i64>,
    /// `RestoreTaskFinishTime`, ms since epoch.
    #[serde(
        rename = "RestoreTaskFinishTime",
        default,
        deserialize_with = "lenient_i64"
    )]
    pub restore_task_finish_time: Option<i64>,
    /// `CrossAliyunId`.
    #[serde(rename = "CrossAliyunId", default, deserialize_with = "lenient_string")]
    pub cross_aliyun_id: Option<String>,
    /// `CrossRoleName`.
    #[serde(rename = "CrossRoleName", default, deserialize_with = "lenient_string")]
    pub cross_role_name: Option<String>,
    /// `DestinationEndpointRegion`.
    #[serde(
        rename = "DestinationEndpointRegion",
        default,
        deserialize_with = "lenient_string"
    )]
    pub destination_endpoint_region: Option<String>,
    /// `DestinationEndpointInstanceType`.
    #[serde(
        rename = "DestinationEndpointInstanceType",
        default,
        deserialize_with = "lenient_string"
    )]
    pub destination_endpoint_instance_type: Option<String>,
    /// `DestinationEndpointInstanceID`.
    #[serde(
        rename = "DestinationEndpointInstanceID",
        alias = "DestinationEndpointInstanceId",
        default,
        deserialize_with = "lenient_string"
    )]
    pub destination_endpoint_instance_id: Option<String>,
    /// `DestinationEndpointIpPort`.
    #[serde(
        rename = "DestinationEndpointIpPort",
        default,
        deserialize_with = "lenient_string"
    )]
    pub destination_endpoint_ip_port: Option<String>,
    /// `DestinationEndpointHost` (SDK only).
    #[serde(
        rename = "DestinationEndpointHost",
        default,
        deserialize_with = "lenient_string"
    )]
    pub destination_endpoint_host: Option<String>,
    /// `DestinationEndpointPort` (SDK only): a string in the SDK, a number accepted too.
    #[serde(
        rename = "DestinationEndpointPort",
        default,
        deserialize_with = "lenient_string"
    )]
    pub destination_endpoint_port: Option<String>,
    /// `DestinationEndpointEnableSsl` (SDK only): a string in the SDK, a boolean accepted too.
    #[serde(
        rename = "DestinationEndpointEnableSsl",
        default,
        deserialize_with = "lenient_string"
    )]
    pub destination_endpoint_enable_ssl: Option<String>,
    /// `DestinationEndpointDatabaseName`.
    #[serde(
        rename = "DestinationEndpointDatabaseName",
        default,
        deserialize_with = "lenient_string"
    )]
    pub destination_endpoint_database_name: Option<String>,
    /// `DestinationEndpointUserName`.
    #[serde(
        rename = "DestinationEndpointUserName",
        default,
        deserialize_with = "lenient_string"
    )]
    pub destination_endpoint_user_name: Option<String>,
    /// `DestinationEndpointOracleSID`.
    #[serde(
        rename = "DestinationEndpointOracleSID",
        alias = "DestinationEndpointOracleSid",
        default,
        deserialize_with = "lenient_string"
    )]
    pub destination_endpoint_oracle_sid: Option<String>,
    /// `FullDataRestoreProgress`, percent.
    #[serde(
        rename = "FullDataRestoreProgress",
        default,
        deserialize_with = "lenient_f64"
    )]
    pub full_data_restore_progress: Option<f64>,
    /// `FullStruforeRestoreProgress` (sic), percent.
    #[serde(
        rename = "FullStruforeRestoreProgress",
        alias = "FullStruBeforeRestoreProgress",
        default,
        deserialize_with = "lenient_f64"
    )]
    pub full_struct_before_restore_progress: Option<f64>,
    /// `FullStruAfterRestoreProgress`, percent.
    #[serde(
        rename = "FullStruAfterRestoreProgress",
        default,
        deserialize_with = "lenient_f64"
    )]
    pub full_struct_after_restore_progress: Option<f64>,
    /// `ContinuousRestoreProgress`, percent.
    #[serde(
        rename = "ContinuousRestoreProgress",
        default,
        deserialize_with = "lenient_f64"
    )]
    pub continuous_restore_progress: Option<f64>,
    /// `PhysicalBackupRecoverProgress` (SDK only), percent.
    #[serde(
        rename = "PhysicalBackupRecoverProgress",
        default,
        deserialize_with = "lenient_f64"
    )]
    pub physical_backup_recover_progress: Option<f64>,
    /// `PhysicalFullBackupRecoverProgress` (SDK only), percent.
    #[serde(
        rename = "PhysicalFullBackupRecoverProgress",
        default,
        deserialize_with = "lenient_f64"
    )]
    pub physical_full_backup_recover_progress: Option<f64>,
    /// `PhysicalIncrementBackupRecoverProgress` (SDK only), percent.
    #[serde(
        rename = "PhysicalIncrementBackupRecoverProgress",
        default,
        deserialize_with = "lenient_f64"
    )]
    pub physical_increment_backup_recover_progress: Option<f64>,
    /// `PhysicalFullAndIncrementBackupRecoverProgress` (SDK only), percent.
    #[serde(
        rename = "PhysicalFullAndIncrementBackupRecoverProgress",
        default,
        deserialize_with = "lenient_f64"
    )]
    pub physical_full_and_increment_backup_recover_progress: Option<f64>,
    /// `PhysicalDatabaseOnlineProgress` (SDK only), percent.
    #[serde(
        rename = "PhysicalDatabaseOnlineProgress",
        default,
        deserialize_with = "lenient_f64"
    )]
    pub physical_database_online_progress: Option<f64>,
    /// `ErrMessage`, raw (the API writes the literal `"NULL"` for none; the provider maps it).
    #[serde(rename = "ErrMessage", default, deserialize_with = "lenient_string")]
    pub err_message: Option<String>,
}

/// One successful page of `DescribeRestoreTaskList`.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    /// `RequestId` of the answer.
    pub request_id: Option<String>,
    /// `PageNum` as the server echoed it; tells a 0-based server from a 1-based one.
    pub page_num: Option<i64>,
    /// `PageSize` as the server echoed it.
    pub page_size: Option<i64>,
    /// `TotalPages`.
    pub total_pages: Option<i64>,
    /// `TotalElements`: what the whole listing must add up to.
    pub total_elements: Option<i64>,
    /// The tasks of this page, in API order.
    pub tasks: Vec<RestoreTask>,
    /// Size of the body this page came in, for the listing's byte bound.
    pub bytes: usize,
}

/// Why a successful-looking body could not be read as a page.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not JSON at all, or cut short.
    #[error("the body is not valid JSON ({detail})")]
    NotJson {
        /// serde_json's category and position; never the body itself.
        detail: String,
    },
    /// JSON, but not an object.
    #[error("the body is JSON but not an object")]
    NotAnObject,
    /// An item of `RestoreTaskDetail` could not be read.
    #[error("restore task #{index}{} of the page cannot be read: {detail}", id.as_ref().map(|id| format!(" ({id})")).unwrap_or_default())]
    BadTask {
        /// Position in the page, 0-based.
        index: usize,
        /// Its `RestoreTaskId`, when it has one.
        id: Option<String>,
        /// What was wrong, naming the field.
        detail: String,
    },
    /// The envelope is not shaped like a page: `Items` of the wrong type, the list under
    /// another key, or no list where the totals promise jobs. Never read as "0 jobs".
    #[error("the answer is not shaped like a DescribeRestoreTaskList page: {0}")]
    Shape(String),
    /// More items than the `PageSize` asked for.
    #[error("the page holds {found} jobs, more than the PageSize of {asked} asked for")]
    TooManyItems {
        /// Items in the page.
        found: usize,
        /// The `PageSize` sent.
        asked: usize,
    },
}

/// Parses a successful `DescribeRestoreTaskList` body into a [`Page`] of at most `max_items`.
///
/// Lenient where the API is known to vary: `Items` missing, `null` or `{}` is an empty page (when
/// the totals do not promise jobs), `Items: []` and `RestoreTaskDetail: []` or `null` too, and a
/// lone object in place of the list is a list of one. Strict where a mistake would be silent:
/// `Items` or `RestoreTaskDetail` of another type, a list under another key, or a missing list
/// while `TotalElements` is positive are [`ParseError::Shape`], never "0 jobs".
pub fn parse_page(body: &[u8], max_items: usize) -> Result<Page, ParseError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| ParseError::NotJson {
        detail: describe_json_error(&e, body),
    })?;
    let Value::Object(obj) = value else {
        return Err(ParseError::NotAnObject);
    };
    page_from_object(&obj, max_items)
}

/// A JSON value's kind, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Same as [`parse_page`] for an already parsed object (the client parses once to look for errors).
pub fn page_from_object(obj: &Map<String, Value>, max_items: usize) -> Result<Page, ParseError> {
    let total_elements = number_field(obj, "TotalElements");
    let promised = total_elements.is_some_and(|n| n > 0);
    let other_list = |map: &Map<String, Value>, known: &[&str]| {
        map.iter()
            .find(|(k, v)| {
                !known.contains(&k.as_str()) && matches!(v, Value::Array(a) if !a.is_empty())
            })
            .map(|(k, _)| k.clone())
    };
    let raw_tasks: Vec<&Value> = match obj.get("Items") {
        Some(Value::Object(items)) => match items.get("RestoreTaskDetail") {
            Some(Value::Array(list)) => list.iter().collect(),
            Some(one @ Value::Object(_)) => vec![one],
            Some(Value::Null) => Vec::new(),
            Some(other) => {
                return Err(ParseError::Shape(format!(
                    "`Items.RestoreTaskDetail` is {}, not a list of jobs",
                    kind(other)
                )))
            }
            None => {
                if let Some(key) = other_list(items, &[]) {
                    return Err(ParseError::Shape(format!(
                        "`Items` holds a list under `{key}`, not under `RestoreTaskDetail`"
                    )));
                }
                if promised {
                    return Err(ParseError::Shape(format!(
                        "`Items` has no `RestoreTaskDetail` although `TotalElements` is {}",
                        total_elements.unwrap_or_default()
                    )));
                }
                Vec::new()
            }
        },
        Some(Value::Array(list)) => list.iter().collect(),
        Some(Value::Null) | None => {
            if let Some(key) = other_list(obj, &[]) {
                return Err(ParseError::Shape(format!(
                    "no `Items`, but a list under `{key}`"
                )));
            }
            if promised {
                return Err(ParseError::Shape(format!(
                    "no `Items` although `TotalElements` is {}",
                    total_elements.unwrap_or_default()
                )));
            }
            Vec::new()
        }
        Some(other) => {
            return Err(ParseError::Shape(format!(
                "`Items` is {}, not an object holding `RestoreTaskDetail`",
                kind(other)
            )))
        }
    };
    if raw_tasks.len() > max_items {
        return Err(ParseError::TooManyItems {
            found: raw_tasks.len(),
            asked: max_items,
        });
    }
    let mut tasks = Vec::with_capacity(raw_tasks.len());
    for (index, raw) in raw_tasks.into_iter().enumerate() {
        let task = RestoreTask::deserialize(raw).map_err(|e| ParseError::BadTask {
            index,
            id: raw
                .get("RestoreTaskId")
                .and_then(value_to_string)
                .map(|id| id.chars().take(64).collect()),
            detail: match failing_field(raw) {
                Some(field) => format!("`{field}`: {e}"),
                None => e.to_string(),
            },
        })?;
        tasks.push(task);
    }
    Ok(Page {
        request_id: obj.get("RequestId").and_then(value_to_string),
        page_num: number_field(obj, "PageNum"),
        page_size: number_field(obj, "PageSize"),
        total_pages: number_field(obj, "TotalPages"),
        total_elements,
        tasks,
        bytes: 0,
    })
}

/// The field of `raw` that cannot be read. serde's message for a field's own deserializer does
/// not say which field it was, and a user with 36 fields per job needs to know; reading each
/// field alone finds it. Only runs on the error path.
fn failing_field(raw: &Value) -> Option<String> {
    let Value::Object(fields) = raw else {
        return None;
    };
    fields.iter().find_map(|(key, value)| {
        let alone = Value::Object(Map::from_iter([(key.clone(), value.clone())]));
        RestoreTask::deserialize(&alone)
            .is_err()
            .then(|| key.chars().take(64).collect())
    })
}

/// What serde_json found wrong, and where, without echoing the input; for a number out of range,
/// also the field it belongs to.
pub fn describe_json_error(e: &serde_json::Error, body: &[u8]) -> String {
    let text = e.to_string();
    let position = format!("line {} column {}", e.line(), e.column());
    if text.contains("recursion limit exceeded") {
        return format!("it nests more than 128 levels deep (at {position})");
    }
    if text.contains("number out of range") {
        return match field_before(body, e.line(), e.column()) {
            Some(field) => format!("the number of `{field}` is out of range (at {position})"),
            None => format!("a number is out of range (at {position})"),
        };
    }
    let what = match e.classify() {
        serde_json::error::Category::Io => "I/O error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Eof => "unexpected end of input",
    };
    format!("{what} at {position}")
}

/// The object key closest before `line`:`column` of `body`, if it looks like a field name.
fn field_before(body: &[u8], line: usize, column: usize) -> Option<String> {
    let mut offset = 0;
    for (number, text) in body.split(|b| *b == b'\n').enumerate() {
        if number + 1 == line {
            offset += column.min(text.len());
            break;
        }
        offset += text.len() + 1;
    }
    let start = offset.saturating_sub(256);
    let before = String::from_utf8_lossy(&body[start..offset.min(body.len())]);
    static KEY: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#""([A-Za-z][A-Za-z0-9_]{0,63})"\s*:"#).ok()
    });
    KEY.as_ref()?
        .captures_iter(&before)
        .last()
        .map(|c| c[1].to_string())
}

/// Envelope numbers are informational; an unreadable one is treated as absent, and the paging
/// code's count check catches any consequence.
fn number_field(obj: &Map<String, Value>, key: &str) -> Option<i64> {
    obj.get(key).and_then(|v| value_to_i64(v).ok().flatten())
}

fn value_to_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Reads an integer from a JSON number or a numeric string. `Ok(None)` for null, empty and
/// `"NULL"`; an error for anything that is clearly not a number.
fn value_to_i64(v: &Value) -> Result<Option<i64>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => number_to_i64(n).map(Some),
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() || t.eq_ignore_ascii_case("null") {
                return Ok(None);
            }
            let t = t.strip_suffix('%').unwrap_or(t).trim();
            if let Ok(i) = t.parse::<i64>() {
                return Ok(Some(i));
            }
            match t.parse::<f64>() {
                Ok(f) => float_to_i64(f).map(Some),
                Err(_) => Err(format!("{s:?} is not a number")),
            }
        }
        Value::Bool(_) => Err("a boolean is not a number".to_owned()),
        Value::Array(_) | Value::Object(_) => Err("a list or object is not a number".to_owned()),
    }
}

fn number_to_i64(n: &serde_json::Number) -> Result<i64, String> {
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    match n.as_f64() {
        Some(f) => float_to_i64(f),
        None => Err(format!("{n} does not fit a 64-bit integer")),
    }
}

/// Progress percentages sometimes carry a fraction; the contract is whole numbers, so truncate.
fn float_to_i64(f: f64) -> Result<i64, String> {
    // i64::MAX as f64 rounds up to 2^63, so the upper bound must be exclusive.
    if (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
        // Truncation toward zero is intended; the range check above makes the cast exact enough.
        #[allow(clippy::cast_possible_truncation)]
        Ok(f.trunc() as i64)
    } else {
        Err(format!("{f} does not fit a 64-bit integer"))
    }
}

/// Percentages keep their fraction: a job at 99.5 % is not at 99 %.
fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let v = Value::deserialize(d)?;
    let parsed = match &v {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_f64()
            .map(Some)
            .ok_or_else(|| format!("{n} is not a number")),
        Value::String(s) => {
            let t = s.trim();
            let t = t.strip_suffix('%').unwrap_or(t).trim();
            if t.is_empty() {
                Ok(None)
            } else {
                t.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(Some)
                    .ok_or_else(|| format!("{s:?} is not a number"))
            }
        }
        Value::Bool(_) => Err("a boolean is not a number".to_owned()),
        Value::Array(_) | Value::Object(_) => Err("a list or object is not a number".to_owned()),
    };
    parsed.map_err(de::Error::custom)
}

fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = Value::deserialize(d)?;
    value_to_i64(&v).map_err(de::Error::custom)
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Value::deserialize(d)?;
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        // RestoreObjects is documented as a JSON string, but accept structured JSON too and keep
        // it as text so that `jsondecode()` still works on it.
        other @ (Value::Array(_) | Value::Object(_)) => Ok(Some(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn page(json: &str) -> Page {
        parse_page(json.as_bytes(), 100).unwrap()
    }

    #[test]
    fn empty_pages_in_every_spelling() {
        for body in [
            r#"{"Success":true}"#,
            r#"{"Items":null}"#,
            r#"{"Items":{}}"#,
            r#"{"Items":[]}"#,
            r#"{"Items":{"RestoreTaskDetail":null}}"#,
            r#"{"Items":{"RestoreTaskDetail":[]}}"#,
        ] {
            assert_eq!(page(body).tasks, Vec::new(), "{body}");
        }
    }

    #[test]
    fn numbers_as_numbers_or_strings() {
        let p = page(
            r#"{"PageNum":"1","PageSize":100,"TotalPages":"3","TotalElements":250,
                "Items":{"RestoreTaskDetail":[
                  {"RestoreTaskId":"a","BackupGatewayId":"1234","RestoreTime":1700000000000,
                   "FullDataRestoreProgress":"100","ContinuousRestoreProgress":" 50 ",
                   "FullStruforeRestoreProgress":"75%","FullStruAfterRestoreProgress":99.5,
                   "RestoreTaskCreateTime":"1700000000000","RestoreTaskFinishTime":"",
                   "BackupSetId":12345,"PhysicalBackupRecoverProgress":"40",
                   "PhysicalFullBackupRecoverProgress":100,
                   "PhysicalIncrementBackupRecoverProgress":"12.5%",
                   "PhysicalFullAndIncrementBackupRecoverProgress":" 56 ",
                   "PhysicalDatabaseOnlineProgress":"","DestinationEndpointPort":3306,
                   "DestinationEndpointEnableSsl":true}]}}"#,
        );
        assert_eq!(
            (p.page_num, p.page_size, p.total_pages, p.total_elements),
            (Some(1), Some(100), Some(3), Some(250))
        );
        let t = &p.tasks[0];
        assert_eq!(t.backup_gateway_id, Some(1234));
        assert_eq!(t.restore_time, Some(1_700_000_000_000));
        assert_eq!(t.restore_task_create_time, Some(1_700_000_000_000));
        assert_eq!(t.restore_task_finish_time, None);
        assert_eq!(t.full_data_restore_progress, Some(100.0));
        assert_eq!(t.continuous_restore_progress, Some(50.0));
        assert_eq!(t.full_struct_before_restore_progress, Some(75.0));
        assert_eq!(t.full_struct_after_restore_progress, Some(99.5));
        assert_eq!(t.backup_set_id.as_deref(), Some("12345"));
        assert_eq!(t.physical_backup_recover_progress, Some(40.0));
        assert_eq!(t.physical_full_backup_recover_progress, Some(100.0));
        assert_eq!(t.physical_increment_backup_recover_progress, Some(12.5));
        assert_eq!(
            t.physical_full_and_increment_backup_recover_progress,
            Some(56.0)
        );
        assert_eq!(t.physical_database_online_progress, None);
        // Strings in the SDK's model; other scalars are kept as their text.
        assert_eq!(t.destination_endpoint_port.as_deref(), Some("3306"));
        assert_eq!(t.destination_endpoint_enable_ssl.as_deref(), Some("true"));
    }

    #[test]
    fn every_field_is_mapped_and_unknown_fields_are_ignored() {
        let p = page(
            r#"{"Items":{"RestoreTaskDetail":[{
              "RestoreTaskId":"id","RestoreTaskName":"name","RestoreStatus":"running",
              "BackupPlanId":"plan","BackupSetId":"set","BackupGatewayId":7,"RestoreDir":"/d",
              "RestoreObjects":"[{\"DBName\":\"db\"}]","RestoreTime":1,"RestoreTaskCreateTime":2,
              "RestoreTaskFinishTime":3,"CrossAliyunId":"x","CrossRoleName":"role",
              "DestinationEndpointRegion":"cn-hangzhou","DestinationEndpointInstanceType":"RDS",
              "DestinationEndpointInstanceID":"rm-1","DestinationEndpointIpPort":"1.2.3.4:3306",
              "DestinationEndpointDatabaseName":"db","DestinationEndpointUserName":"u",
              "DestinationEndpointOracleSID":"sid","FullDataRestoreProgress":10,
              "FullStruforeRestoreProgress":20,"FullStruAfterRestoreProgress":30,
              "ContinuousRestoreProgress":40,"ErrMessage":"NULL","SomethingNew":{"x":[1]},
              "BackupGatewayIdentifier":"gw","BackupSourceOssRegion":"cn-beijing",
              "DestinationEndpointEnableSsl":"false","DestinationEndpointHost":"h.example",
              "DestinationEndpointPort":"3306","RestoreDestinationMode":"mode",
              "PhysicalBackupRecoverProgress":50,"PhysicalDatabaseOnlineProgress":60,
              "PhysicalFullAndIncrementBackupRecoverProgress":70,
              "PhysicalFullBackupRecoverProgress":80,"PhysicalIncrementBackupRecoverProgress":90}]}}"#,
        );
        let expected = RestoreTask {
            restore_task_id: Some("id".into()),
            restore_task_name: Some("name".into()),
            restore_status: Some("running".into()),
            backup_plan_id: Some("plan".into()),
            backup_set_id: Some("set".into()),
            backup_gateway_id: Some(7),
            restore_dir: Some("/d".into()),
            restore_objects: Some(r#"[{"DBName":"db"}]"#.into()),
            restore_time: Some(1),
            restore_task_create_time: Some(2),
            restore_task_finish_time: Some(3),
            cross_aliyun_id: Some("x".into()),
            cross_role_name: Some("role".into()),
            destination_endpoint_region: Some("cn-hangzhou".into()),
            destination_endpoint_instance_type: Some("RDS".into()),
            destination_endpoint_instance_id: Some("rm-1".into()),
            destination_endpoint_ip_port: Some("1.2.3.4:3306".into()),
            destination_endpoint_database_name: Some("db".into()),
            destination_endpoint_user_name: Some("u".into()),
            destination_endpoint_oracle_sid: Some("sid".into()),
            full_data_restore_progress: Some(10.0),
            full_struct_before_restore_progress: Some(20.0),
            full_struct_after_restore_progress: Some(30.0),
            continuous_restore_progress: Some(40.0),
            err_message: Some("NULL".into()),
            backup_gateway_identifier: Some("gw".into()),
            backup_source_oss_region: Some("cn-beijing".into()),
            destination_endpoint_enable_ssl: Some("false".into()),
            destination_endpoint_host: Some("h.example".into()),
            destination_endpoint_port: Some("3306".into()),
            restore_destination_mode: Some("mode".into()),
            physical_backup_recover_progress: Some(50.0),
            physical_database_online_progress: Some(60.0),
            physical_full_and_increment_backup_recover_progress: Some(70.0),
            physical_full_backup_recover_progress: Some(80.0),
            physical_increment_backup_recover_progress: Some(90.0),
        };
        assert_eq!(p.tasks, vec![expected.clone()]);
        // Serializing gives the API's field names back, so a round trip is lossless.
        let json = serde_json::to_string(&expected).unwrap();
        assert!(json.contains("\"FullStruforeRestoreProgress\":20"));
        // One JSON key per field of the SDK's model, none dropped and none added.
        let keys = serde_json::from_str::<Map<String, Value>>(&json)
            .unwrap()
            .len();
        assert_eq!(keys, 36);
        let again: RestoreTask = serde_json::from_str(&json).unwrap();
        assert_eq!(again, expected);
    }

    #[test]
    fn a_field_of_the_wrong_type_is_named_with_the_job() {
        for (field, value) in [
            ("PhysicalBackupRecoverProgress", r#""half""#),
            ("PhysicalDatabaseOnlineProgress", "true"),
            ("PhysicalFullAndIncrementBackupRecoverProgress", "[1]"),
            ("PhysicalFullBackupRecoverProgress", r#"{"a":1}"#),
            ("PhysicalIncrementBackupRecoverProgress", r#""NaN""#),
            ("FullDataRestoreProgress", r#""soon""#),
            ("RestoreTime", r#""soon""#),
        ] {
            let body = format!(
                r#"{{"Items":{{"RestoreTaskDetail":[{{"RestoreTaskId":"r-ok"}},
                   {{"RestoreTaskId":"r-bad","RestoreTaskName":"n",{field:?}:{value}}}]}}}}"#
            );
            let err = parse_page(body.as_bytes(), 100).unwrap_err();
            let text = err.to_string();
            assert!(
                matches!(err, ParseError::BadTask { index: 1, .. }),
                "{text}"
            );
            assert!(text.contains("(r-bad)"), "{text}");
            assert!(text.contains(&format!("`{field}`")), "{text}");
        }
    }

    #[test]
    fn missing_fields_are_none() {
        let p = page(r#"{"Items":{"RestoreTaskDetail":[{}]}}"#);
        assert_eq!(p.tasks.len(), 1);
        assert_eq!(p.tasks[0].restore_task_id, None);
        assert_eq!(p.tasks[0].backup_gateway_id, None);
        assert_eq!(p.tasks[0].destination_endpoint_host, None);
        assert_eq!(p.tasks[0].physical_database_online_progress, None);
    }

    #[test]
    fn single_object_detail_is_a_list_of_one() {
        let p = page(r#"{"Items":{"RestoreTaskDetail":{"RestoreTaskId":"only"}}}"#);
        assert_eq!(p.tasks.len(), 1);
    }

    #[test]
    fn garbage_is_a_typed_error() {
        assert!(matches!(
            parse_page(b"{\"Items\":{\"Restore", 100),
            Err(ParseError::NotJson { .. })
        ));
        assert!(matches!(
            parse_page(b"<html>502</html>", 100),
            Err(ParseError::NotJson { .. })
        ));
        assert_eq!(parse_page(b"[1]", 100), Err(ParseError::NotAnObject));
        let bad = parse_page(
            br#"{"Items":{"RestoreTaskDetail":[{"RestoreTaskId":"a"},{"RestoreTaskId":"b7","RestoreTime":"soon"}]}}"#,
            100,
        );
        match bad {
            Err(e @ ParseError::BadTask { .. }) => {
                let ParseError::BadTask {
                    index, ref detail, ..
                } = e
                else {
                    unreachable!()
                };
                assert_eq!(index, 1);
                assert!(e.to_string().contains("(b7)"), "{e}");
                assert!(detail.contains("soon"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_query_filters_apply_locally_too() {
        let task = |id: &str, plan: &str, created: i64| RestoreTask {
            restore_task_id: Some(id.into()),
            backup_plan_id: Some(plan.into()),
            restore_task_create_time: Some(created),
            ..RestoreTask::default()
        };
        let by_ids = RestoreTaskQuery {
            restore_task_ids: vec!["a".into()],
            ..RestoreTaskQuery::default()
        };
        assert!(by_ids.matches(&task("a", "p", 5)));
        assert!(!by_ids.matches(&task("b", "p", 5)));
        let by_plan = RestoreTaskQuery {
            backup_plan_id: Some("p".into()),
            start_timestamp: Some(5),
            end_timestamp: Some(10),
            ..RestoreTaskQuery::default()
        };
        assert!(by_plan.matches(&task("a", "p", 5)) && by_plan.matches(&task("a", "p", 10)));
        assert!(!by_plan.matches(&task("a", "q", 7)));
        assert!(!by_plan.matches(&task("a", "p", 4)) && !by_plan.matches(&task("a", "p", 11)));
        assert!(!by_plan.matches(&RestoreTask::default()));
        assert!(RestoreTaskQuery::default().matches(&RestoreTask::default()));
    }

    #[test]
    fn wrong_shapes_are_errors_never_an_empty_page() {
        for (body, needle) in [
            (r#"{"Items":"none"}"#, "`Items` is a string"),
            (
                r#"{"Items":{"RestoreTaskDetail":"x"}}"#,
                "`Items.RestoreTaskDetail` is a string",
            ),
            (
                r#"{"Items":{"RestoreTask":[{"RestoreTaskId":"a"}]}}"#,
                "under `RestoreTask`",
            ),
            (
                r#"{"Data":[{"RestoreTaskId":"a"}],"TotalElements":1}"#,
                "a list under `Data`",
            ),
            (
                r#"{"TotalElements":3}"#,
                "no `Items` although `TotalElements` is 3",
            ),
            (
                r#"{"Items":{},"TotalElements":3}"#,
                "no `RestoreTaskDetail` although",
            ),
        ] {
            match parse_page(body.as_bytes(), 100) {
                Err(e @ ParseError::Shape(_)) => {
                    assert!(e.to_string().contains(needle), "{body}: {e}")
                }
                other => panic!("{body}: {other:?}"),
            }
        }
        let many = format!(
            r#"{{"Items":{{"RestoreTaskDetail":[{}{{}}]}}}}"#,
            "{},".repeat(100)
        );
        assert_eq!(
            parse_page(many.as_bytes(), 100),
            Err(ParseError::TooManyItems {
                found: 101,
                asked: 100
            })
        );
    }

    #[test]
    fn json_errors_say_what_and_which_field() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let e = serde_json::from_slice::<Value>(deep.as_bytes()).unwrap_err();
        assert!(describe_json_error(&e, deep.as_bytes()).contains("nests more than 128 levels"));
        let big = br#"{"RequestId":"R","TotalElements":1e400}"#;
        let e = serde_json::from_slice::<Value>(big).unwrap_err();
        assert_eq!(
            describe_json_error(&e, big),
            "the number of `TotalElements` is out of range (at line 1 column 38)"
        );
    }

    #[test]
    fn out_of_range_numbers_are_errors_not_wraparounds() {
        assert!(parse_page(br#"{"Items":[{"RestoreTime":1e300}]}"#, 100).is_err());
        assert!(parse_page(br#"{"Items":[{"RestoreTime":18446744073709551615}]}"#, 100).is_err());
        assert!(parse_page(br#"{"Items":[{"RestoreTime":true}]}"#, 100).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_page(&body, 100);
        }

        #[test]
        fn arbitrary_json_values_in_task_fields_never_panic(
            s in any::<String>(), f in any::<f64>(), i in any::<i64>(), b in any::<bool>()
        ) {
            let body = serde_json::json!({"PageNum": s, "TotalElements": f,
                "Items": {"RestoreTaskDetail": [
                    {"RestoreTaskId": i, "RestoreTime": s, "BackupGatewayId": f,
                     "RestoreTaskName": b, "FullDataRestoreProgress": [s]}]}});
            let _ = parse_page(body.to_string().as_bytes(), 100);
        }
    }
}
