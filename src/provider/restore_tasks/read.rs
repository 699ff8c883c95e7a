//! ReadDataSource for `dbs_restore_tasks`: query, page, filter, map.

use regex::Regex;
use sha2::{Digest, Sha256};

use super::mapping::{task_value, JsonView};
use super::output_file::JsonArrayFile;
use super::schema::{task_type, MAX_PAGE_SIZE};
use crate::alibaba::{DbsClient, PagedListing, RestoreTask, RestoreTaskQuery};
use crate::plugin::cty::{ListEncoder, Value};
use crate::plugin::{AttributePath, Diagnostic, Diagnostics, TERRAFORM_MAX_MESSAGE_BYTES};
use crate::provider::args::{self, Arg};
use crate::provider::errors::{client_error_diagnostic, ReadAdvice};
use crate::provider::time_format::parse_rfc3339_ms;

/// What the advice after a failed read names.
const ADVICE: ReadAdvice = ReadAdvice {
    action: <RestoreTaskQuery as PagedListing>::SHAPE.action,
    narrow_with: "`backup_plan_id`, `ids` or a time window (`start_time`/`end_time`)",
};

/// The arguments, typed; read time guarantees they are known.
#[derive(Debug, Default)]
pub(crate) struct Arguments {
    pub query: RestoreTaskQuery,
    pub status: Option<String>,
    pub name_regex: Option<String>,
    pub output_file: Option<String>,
}

fn time_arg(config: &Value, timestamp: &str, time: &str) -> Result<Option<i64>, Diagnostic> {
    if let Some(ms) = args::integer(config, timestamp)?.known() {
        return Ok(Some(ms));
    }
    match args::string(config, time)?.known() {
        Some(text) => parse_rfc3339_ms(&text).map(Some).map_err(|e| {
            Diagnostic::error(format!("Invalid {time}"), e.to_string()).at(AttributePath::to(time))
        }),
        None => Ok(None),
    }
}

impl Arguments {
    pub(crate) fn from_config(config: &Value) -> Result<Self, Diagnostic> {
        let ids = match args::string_list(config, "ids")? {
            Arg::Known(ids) => ids.into_iter().filter_map(Arg::known).collect(),
            _ => Vec::new(),
        };
        Ok(Self {
            query: RestoreTaskQuery {
                backup_plan_id: args::string(config, "backup_plan_id")?.known(),
                restore_task_ids: ids,
                start_timestamp: time_arg(config, "start_timestamp", "start_time")?,
                end_timestamp: time_arg(config, "end_timestamp", "end_time")?,
                page_size: args::integer(config, "page_size")?
                    .known()
                    .unwrap_or(MAX_PAGE_SIZE) as u32,
                label: None,
                deadline: None,
            },
            status: args::string(config, "status")?.known(),
            name_regex: args::string(config, "name_regex")?.known(),
            output_file: args::string(config, "output_file")?.known(),
        })
    }

    /// A stable id for the query: the same arguments give the same id, in
    /// every run and on every machine.
    pub(crate) fn id(&self) -> String {
        let q = &self.query;
        let canonical = serde_json::json!({
            "backup_plan_id": q.backup_plan_id,
            "ids": q.restore_task_ids,
            "start": q.start_timestamp,
            "end": q.end_timestamp,
            "status": self.status,
            "name_regex": self.name_regex,
        });
        let digest = Sha256::digest(canonical.to_string().as_bytes());
        digest[..8].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Applies the client-side filters to every page's tasks, keeping order.
pub(crate) fn filter(
    tasks: Vec<RestoreTask>,
    status: Option<&str>,
    name_regex: Option<&Regex>,
) -> Vec<RestoreTask> {
    tasks
        .into_iter()
        .filter(|t| status.is_none_or(|s| t.restore_status.as_deref() == Some(s)))
        .filter(|t| {
            name_regex.is_none_or(|re| {
                t.restore_task_name
                    .as_deref()
                    .is_some_and(|n| re.is_match(n))
            })
        })
        .collect()
}

/// The whole read; errors are diagnostics ready for Terraform. `state` is
/// the config as the SDK seeds it: only the computed attributes are set here.
pub(crate) async fn read(
    client: &DbsClient,
    config: &Value,
    mut state: Value,
    stop: &tokio_util::sync::CancellationToken,
) -> Result<(Value, Diagnostics), Diagnostics> {
    let mut arguments = Arguments::from_config(config).map_err(Diagnostics::from)?;
    let (timeout, timeout_text) =
        super::validate::read_timeout(config).map_err(Diagnostics::from)?;
    arguments.query.deadline = Some(std::time::Instant::now() + timeout);
    // Twenty instances may read at once through one client: every API log
    // line says which one it serves (the query id, plus the plan if any).
    arguments.query.label = Some(match &arguments.query.backup_plan_id {
        Some(plan) => format!("{}({plan})", arguments.id()),
        None => arguments.id(),
    });
    let regex = match &arguments.name_regex {
        Some(pattern) => Some(Regex::new(pattern).map_err(|e| {
            Diagnostics::from(
                Diagnostic::error("Invalid name_regex", e.to_string())
                    .at(AttributePath::to("name_regex")),
            )
        })?),
        None => None,
    };
    let tasks = client
        .list_restore_tasks(&arguments.query, stop)
        .await
        .map_err(|e| {
            let mut d = client_error_diagnostic(&e, &ADVICE);
            if matches!(e, crate::alibaba::ClientError::DeadlineExceeded { .. }) {
                d.detail.push_str(&format!(
                    " The deadline is `timeouts {{ read = ... }}`, here {timeout_text}: raise it, \
                     or narrow the read."
                ));
                d = d.at(AttributePath::to("timeouts").attribute("read"));
            }
            Diagnostics::from(d)
        })?;
    let fetched = tasks.len();
    let tasks = filter(tasks, arguments.status.as_deref(), regex.as_ref());
    log::debug!(
        "dbs_restore_tasks: {fetched} jobs fetched, {} after filters",
        tasks.len()
    );

    let mut warnings = Diagnostics::new();
    if tasks.is_empty() && fetched > 0 {
        warnings.push(Diagnostic::warning(
            "No restore job matched the filters",
            format!("{fetched} jobs were read, but none matched `status`/`name_regex`."),
        ));
    }

    // A configured `ids` must come back unchanged (Terraform checks that
    // configured values survive a read); otherwise it lists what was found.
    if config.attr("ids").is_null() {
        state.set_attr(
            "ids",
            Value::List(
                tasks
                    .iter()
                    .map(|t| opt_string(&t.restore_task_id))
                    .collect(),
            ),
        );
    }
    let names: Vec<Value> = tasks
        .iter()
        .map(|t| opt_string(&t.restore_task_name))
        .collect();
    let total_count = tasks.len() as i64;
    // Encoding thousands of jobs and writing the file are blocking work: off the async workers.
    let output_file = arguments.output_file.clone();
    let task_values =
        tokio::task::spawn_blocking(move || encode_tasks(tasks, output_file.as_deref()))
            .await
            .map_err(|e| {
                Diagnostics::from(Diagnostic::error(
                    "Provider bug",
                    format!("Encoding the restore jobs stopped unexpectedly: {e}"),
                ))
            })??;
    state.set_attr("id", Value::String(arguments.id()));
    state.set_attr("names", Value::List(names));
    state.set_attr("total_count", Value::Number(total_count.into()));
    state.set_attr("tasks", task_values);
    Ok((state, warnings))
}

/// Maps every task, encoding it (and writing it to `output_file`) as soon
/// as it is built, so no tree of all tasks is ever held in memory.
fn encode_tasks(tasks: Vec<RestoreTask>, output_file: Option<&str>) -> Result<Value, Diagnostics> {
    let file_error = |path: &str, e: std::io::Error| {
        Diagnostics::from(
            Diagnostic::error(
                "Cannot write output_file",
                format!("Writing {path:?} failed: {e}"),
            )
            .at(AttributePath::to("output_file")),
        )
    };
    let bug = |e: crate::plugin::cty::EncodeError| {
        Diagnostics::from(Diagnostic::error(
            "Provider produced an invalid value",
            format!("A restore job did not fit the schema: {e}. This is a provider bug."),
        ))
    };
    let mut file = match output_file {
        Some(path) => Some(
            JsonArrayFile::create(std::path::Path::new(path)).map_err(|e| file_error(path, e))?,
        ),
        None => None,
    };
    let total = tasks.len();
    let mut list = ListEncoder::new(task_type(), total).map_err(bug)?;
    for (done, task) in tasks.into_iter().enumerate() {
        let value = task_value(task);
        if let (Some(file), Some(path)) = (file.as_mut(), output_file) {
            file.push(&JsonView(&value))
                .map_err(|e| file_error(path, e))?;
        }
        list.push(&value).map_err(bug)?;
        if list.encoded_len() > TASKS_BUDGET_BYTES {
            return Err(too_large(done + 1, total, list.encoded_len()));
        }
    }
    // The list first: a file is only published for a read that succeeds.
    let tasks_value = list.finish().map_err(bug)?;
    if let (Some(file), Some(path)) = (file, output_file) {
        file.commit().map_err(|e| file_error(path, e))?;
    }
    Ok(tasks_value)
}

/// What `tasks` may take of Terraform's response limit; `ids`, `names` and
/// the arguments need a little of the rest.
const TASKS_BUDGET_BYTES: usize = TERRAFORM_MAX_MESSAGE_BYTES - (2 << 20);

fn too_large(encoded: usize, total: usize, bytes: usize) -> Diagnostics {
    Diagnostics::from(Diagnostic::error(
        "Too many restore jobs for one data source",
        format!(
            "The {total} restore jobs read would not fit in what Terraform accepts from a provider \
             ({} MiB per response): the first {encoded} already take {:.1} MiB. Narrow the read \
             with `backup_plan_id`, `ids`, a time window (`start_time`/`end_time`), `status` or \
             `name_regex`, or split it over several data sources.",
            TERRAFORM_MAX_MESSAGE_BYTES >> 20,
            bytes as f64 / (1 << 20) as f64
        ),
    ))
}

fn opt_string(v: &Option<String>) -> Value {
    v.as_ref().map_or(Value::Null, |s| Value::String(s.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alibaba::{ApiError, ClientError};

    #[test]
    fn advice_after_a_failed_read_names_this_action_and_these_filters() {
        let denied = ClientError::Api(ApiError::new("Forbidden.RAM", "", None, 403));
        let d = client_error_diagnostic(&denied, &ADVICE);
        assert!(
            d.detail
                .contains("The credentials lack permission for dbs:DescribeRestoreTaskList."),
            "{}",
            d.detail
        );
        let incomplete = ClientError::Incomplete {
            expected: 30,
            got: 29,
            detail: "page 2 came back empty".to_owned(),
            noun: RestoreTaskQuery::SHAPE.noun,
        };
        let d = client_error_diagnostic(&incomplete, &ADVICE);
        assert_eq!(d.summary, "Incomplete restore job list");
        assert!(
            d.detail
                .contains("`backup_plan_id`, `ids` or a time window"),
            "{}",
            d.detail
        );
    }

    fn task(id: &str, name: Option<&str>, status: &str) -> RestoreTask {
        RestoreTask {
            restore_task_id: Some(id.into()),
            restore_task_name: name.map(Into::into),
            restore_status: Some(status.into()),
            ..RestoreTask::default()
        }
    }

    #[test]
    fn filters_apply_to_all_tasks_in_order() {
        let tasks = vec![
            task("1", Some("prod-a"), "stop"),
            task("2", Some("dev-b"), "stop"),
            task("3", None, "stop"),
            task("4", Some("prod-c"), "running"),
            task("5", Some("prod-d"), "stop"),
        ];
        let re = Regex::new("^prod-").unwrap();
        let got: Vec<_> = filter(tasks.clone(), Some("stop"), Some(&re))
            .into_iter()
            .map(|t| t.restore_task_id.unwrap())
            .collect();
        assert_eq!(got, ["1", "5"]);
        assert_eq!(filter(tasks, None, None).len(), 5);
    }

    #[test]
    fn id_is_stable_and_query_sensitive() {
        let a = Arguments::from_config(&Value::object([(
            "backup_plan_id",
            Value::String("p1".into()),
        )]))
        .unwrap();
        let b = Arguments::from_config(&Value::object([(
            "backup_plan_id",
            Value::String("p2".into()),
        )]))
        .unwrap();
        // A golden value, computed independently (SHA-256 of the canonical JSON
        // `{"backup_plan_id":"p1","ids":[],"start":null,"end":null,"status":null,"name_regex":null}`,
        // first 8 bytes): the id must not change between runs, machines or releases.
        assert_eq!(a.id(), "c877e230d12a6727");
        assert_ne!(a.id(), b.id());
        assert_eq!(a.id().len(), 16);
        assert_eq!(a.query.page_size, 100);
    }

    #[test]
    fn times_convert_from_either_form() {
        let args = Arguments::from_config(&Value::object([
            ("start_time", Value::String("1970-01-01T00:00:01Z".into())),
            ("end_timestamp", Value::Number(5000.into())),
        ]))
        .unwrap();
        assert_eq!(args.query.start_timestamp, Some(1000));
        assert_eq!(args.query.end_timestamp, Some(5000));
    }
}
