//! Static checks of a `dbs_restore_tasks` block, run at
//! ValidateDataResourceConfig so mistakes surface at plan time, each
//! pointing at the offending argument. Unknown values are skipped.

use regex::Regex;

use super::schema::{DEFAULT_READ_TIMEOUT, DOCUMENTED_STATUSES, MAX_PAGE_SIZE};
use crate::plugin::cty::Value;
use crate::plugin::{AttributePath, Diagnostic, Diagnostics};
use crate::provider::args::{self, Arg};
use crate::provider::duration::parse_duration;
use crate::provider::time_format;

/// Every argument rule the schema descriptions promise (`docs/data-sources/restore_tasks.md`).
pub(crate) fn validate(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let mut collect = |result: Result<(), Diagnostic>| {
        if let Err(d) = result {
            diags.push(d);
        }
    };
    collect(ids_and_plan(config));
    collect(page_size(config));
    collect(name_regex(config));
    collect(output_file(config));
    collect(read_timeout(config).map(|_| ()));
    match time_window(config) {
        Ok(d) => diags.extend(d),
        Err(d) => diags.push(d),
    }
    match status(config) {
        Ok(Some(warning)) => diags.push(warning),
        Ok(None) => {}
        Err(d) => diags.push(d),
    }
    diags
}

fn ids_and_plan(config: &Value) -> Result<(), Diagnostic> {
    let plan = args::string(config, "backup_plan_id")?;
    let ids = args::string_list(config, "ids")?;
    if let Arg::Known(plan) = &plan {
        if plan.trim().is_empty() {
            return Err(Diagnostic::error(
                "Empty backup_plan_id",
                "`backup_plan_id` must not be empty; remove it to list every plan's jobs.",
            )
            .at(AttributePath::to("backup_plan_id")));
        }
    }
    // Only a known, non-null pair conflicts: an unknown value may still turn out null.
    if let (Arg::Known(_), Arg::Known(_)) = (&plan, &ids) {
        return Err(Diagnostic::error(
            "Conflicting arguments",
            "`backup_plan_id` and `ids` cannot be used together: `ids` already names the \
             exact jobs. Remove one of them.",
        )
        .at(AttributePath::to("ids")));
    }
    if let Arg::Known(ids) = ids {
        if ids.is_empty() {
            // An empty filter would otherwise mean "no filter": every job in the account.
            return Err(Diagnostic::error(
                "Empty ids",
                "`ids = []` would match every restore job. Remove `ids` to list them all, or \
                 give at least one restore task ID.",
            )
            .at(AttributePath::to("ids")));
        }
        for (i, id) in ids.iter().enumerate() {
            match id {
                Arg::Known(s) if s.trim().is_empty() => {
                    return Err(empty_id(i));
                }
                Arg::Null => return Err(empty_id(i)),
                Arg::Known(s) if s.contains(',') => {
                    return Err(Diagnostic::error(
                        "Invalid restore task ID",
                        format!("{s:?} contains a comma; list each ID as its own element."),
                    )
                    .at(AttributePath::to("ids").index(i as i64)))
                }
                _ => {}
            }
        }
    }
    Ok(())
}

fn empty_id(index: usize) -> Diagnostic {
    Diagnostic::error(
        "Empty restore task ID",
        "Every element of `ids` must be a non-empty restore task ID.",
    )
    .at(AttributePath::to("ids").index(index as i64))
}

fn page_size(config: &Value) -> Result<(), Diagnostic> {
    if let Arg::Known(n) = args::integer(config, "page_size")? {
        if !(1..=MAX_PAGE_SIZE).contains(&n) {
            return Err(Diagnostic::error(
                "Invalid page_size",
                format!("`page_size` must be between 1 and {MAX_PAGE_SIZE}, got {n}."),
            )
            .at(AttributePath::to("page_size")));
        }
    }
    Ok(())
}

fn name_regex(config: &Value) -> Result<(), Diagnostic> {
    if let Arg::Known(pattern) = args::string(config, "name_regex")? {
        if let Err(e) = Regex::new(&pattern) {
            return Err(Diagnostic::error(
                "Invalid name_regex",
                format!("`name_regex` is not a valid regular expression: {e}"),
            )
            .at(AttributePath::to("name_regex")));
        }
    }
    Ok(())
}

/// `timeouts.read`, or the default when it is not set (or not known yet): the duration, and
/// how a message should name it.
pub(crate) fn read_timeout(config: &Value) -> Result<(std::time::Duration, String), Diagnostic> {
    let value = config.attr("timeouts").attr("read");
    let at = || AttributePath::to("timeouts").attribute("read");
    let (text, shown) = if value.is_null() || value.is_unknown() {
        (
            DEFAULT_READ_TIMEOUT,
            format!("{DEFAULT_READ_TIMEOUT} (the default)"),
        )
    } else {
        let Some(text) = value.as_str() else {
            return Err(
                Diagnostic::error("Invalid timeouts.read", "`read` must be a string.").at(at()),
            );
        };
        (text, text.to_string())
    };
    parse_duration(text)
        .map(|duration| (duration, shown))
        .map_err(|e| Diagnostic::error("Invalid timeouts.read", e).at(at()))
}

fn output_file(config: &Value) -> Result<(), Diagnostic> {
    if let Arg::Known(path) = args::string(config, "output_file")? {
        if path.trim().is_empty() {
            return Err(Diagnostic::error(
                "Invalid output_file",
                "`output_file` must be a file path; remove it to write no file.",
            )
            .at(AttributePath::to("output_file")));
        }
    }
    Ok(())
}

fn status(config: &Value) -> Result<Option<Diagnostic>, Diagnostic> {
    Ok(match args::string(config, "status")? {
        Arg::Known(s) if !DOCUMENTED_STATUSES.contains(&s.as_str()) => Some(
            Diagnostic::warning(
                "Undocumented status",
                format!(
                    "{s:?} is not one of the documented restore statuses ({}); jobs are still \
                     filtered by it, but it may match nothing.",
                    DOCUMENTED_STATUSES.join(", ")
                ),
            )
            .at(AttributePath::to("status")),
        ),
        _ => None,
    })
}

/// One end of the time window: the `_timestamp` form or the RFC 3339 form.
fn bound(config: &Value, timestamp: &str, time: &str) -> Result<Arg<i64>, Diagnostic> {
    let ms = args::integer(config, timestamp)?;
    let text = args::string(config, time)?;
    if ms.is_set() && text.is_set() {
        return Err(Diagnostic::error(
            "Conflicting arguments",
            format!("`{time}` and `{timestamp}` set the same bound; use only one."),
        )
        .at(AttributePath::to(time)));
    }
    if let Arg::Known(ms) = ms {
        if ms < 0 {
            return Err(Diagnostic::error(
                format!("Invalid {timestamp}"),
                format!(
                    "`{timestamp}` is milliseconds since the Unix epoch and cannot be negative."
                ),
            )
            .at(AttributePath::to(timestamp)));
        }
        return Ok(Arg::Known(ms));
    }
    match text {
        Arg::Known(s) => match time_format::parse_rfc3339_ms(&s) {
            Ok(ms) if ms >= 0 => Ok(Arg::Known(ms)),
            Ok(_) => Err(Diagnostic::error(
                format!("Invalid {time}"),
                format!("`{time}` is before 1970-01-01T00:00:00Z, which the API cannot express."),
            )
            .at(AttributePath::to(time))),
            Err(e) => Err(Diagnostic::error(
                format!("Invalid {time}"),
                format!("`{time}` must be an RFC 3339 time such as 2026-01-02T15:04:05Z: {e}"),
            )
            .at(AttributePath::to(time))),
        },
        Arg::Unknown => Ok(Arg::Unknown),
        Arg::Null => Ok(ms),
    }
}

fn time_window(config: &Value) -> Result<Diagnostics, Diagnostic> {
    let mut diags = Diagnostics::new();
    let start = bound(config, "start_timestamp", "start_time");
    let end = bound(config, "end_timestamp", "end_time");
    let (start, end) = match (start, end) {
        (Ok(s), Ok(e)) => (s, e),
        (s, e) => {
            for d in [s.err(), e.err()].into_iter().flatten() {
                diags.push(d);
            }
            return Ok(diags);
        }
    };
    if let (Arg::Known(s), Arg::Known(e)) = (start, end) {
        if s > e {
            let at = if config.attr("end_time").is_null() {
                "end_timestamp"
            } else {
                "end_time"
            };
            diags.push(
                Diagnostic::error(
                    "Empty time window",
                    "The start of the time window is after its end; swap them or widen the window.",
                )
                .at(AttributePath::to(at)),
            );
        }
    }
    Ok(diags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::Severity;

    fn config(pairs: Vec<(&str, Value)>) -> Value {
        Value::object(pairs)
    }
    fn s(v: &str) -> Value {
        Value::String(v.into())
    }
    fn n(v: i64) -> Value {
        Value::Number(v.into())
    }
    fn paths(d: &Diagnostics) -> Vec<(Severity, String)> {
        d.iter()
            .map(|d| {
                (
                    d.severity,
                    d.attribute
                        .as_ref()
                        .map(|p| p.to_string())
                        .unwrap_or_default(),
                )
            })
            .collect()
    }

    /// Case name, the arguments set, the diagnostics expected (severity, path).
    type Case = (
        &'static str,
        Vec<(&'static str, Value)>,
        Vec<(Severity, &'static str)>,
    );

    #[test]
    fn table() {
        use Severity::{Error, Warning};
        let cases: Vec<Case> = vec![
            ("empty config", vec![], vec![]),
            ("plan only", vec![("backup_plan_id", s("dbs1"))], vec![]),
            (
                "plan and ids",
                vec![
                    ("backup_plan_id", s("dbs1")),
                    ("ids", Value::list([s("r1")])),
                ],
                vec![(Error, "ids")],
            ),
            (
                "plan unknown with ids",
                vec![
                    ("backup_plan_id", Value::Unknown),
                    ("ids", Value::list([s("r1")])),
                ],
                vec![],
            ),
            (
                "empty id",
                vec![("ids", Value::list([s("r1"), s("")]))],
                vec![(Error, "ids[1]")],
            ),
            (
                "unknown id",
                vec![("ids", Value::list([Value::Unknown]))],
                vec![],
            ),
            (
                "empty ids",
                vec![("ids", Value::List(vec![]))],
                vec![(Error, "ids")],
            ),
            (
                "time before 1970",
                vec![("start_time", s("1969-12-31T23:59:59Z"))],
                vec![(Error, "start_time")],
            ),
            (
                "page_size 0",
                vec![("page_size", n(0))],
                vec![(Error, "page_size")],
            ),
            (
                "page_size 101",
                vec![("page_size", n(101))],
                vec![(Error, "page_size")],
            ),
            ("page_size 100", vec![("page_size", n(100))], vec![]),
            ("page_size 1", vec![("page_size", n(1))], vec![]),
            (
                "page_size fraction",
                vec![("page_size", Value::Number(2.5.into()))],
                vec![(Error, "page_size")],
            ),
            (
                "page_size unknown",
                vec![("page_size", Value::Unknown)],
                vec![],
            ),
            (
                "bad regex",
                vec![("name_regex", s("(["))],
                vec![(Error, "name_regex")],
            ),
            ("good regex", vec![("name_regex", s("^prod-"))], vec![]),
            (
                "unknown status",
                vec![("status", s("failed"))],
                vec![(Warning, "status")],
            ),
            ("known status", vec![("status", s("stop"))], vec![]),
            (
                "start after end",
                vec![("start_timestamp", n(2000)), ("end_timestamp", n(1000))],
                vec![(Error, "end_timestamp")],
            ),
            (
                "start after end as times",
                vec![
                    ("start_time", s("2026-01-02T00:00:00Z")),
                    ("end_time", s("2026-01-01T00:00:00Z")),
                ],
                vec![(Error, "end_time")],
            ),
            (
                "mixed forms in order",
                vec![
                    ("start_time", s("1970-01-01T00:00:01Z")),
                    ("end_timestamp", n(1000)),
                ],
                vec![],
            ),
            (
                "twin conflict",
                vec![
                    ("start_time", s("2026-01-01T00:00:00Z")),
                    ("start_timestamp", n(1)),
                ],
                vec![(Error, "start_time")],
            ),
            (
                "bad time",
                vec![("end_time", s("yesterday"))],
                vec![(Error, "end_time")],
            ),
            (
                "negative timestamp",
                vec![("start_timestamp", n(-1))],
                vec![(Error, "start_timestamp")],
            ),
            (
                "unknown time",
                vec![("start_time", Value::Unknown), ("end_timestamp", n(1))],
                vec![],
            ),
            (
                "empty output_file",
                vec![("output_file", s(""))],
                vec![(Error, "output_file")],
            ),
        ];
        for (name, pairs, expected) in cases {
            let got = paths(&validate(&config(pairs)));
            let expected: Vec<(Severity, String)> = expected
                .into_iter()
                .map(|(s, p)| (s, p.to_string()))
                .collect();
            assert_eq!(got, expected, "case {name}");
        }
    }
}
