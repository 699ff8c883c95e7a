//! The provider boundary for API errors: typed client errors become
//! diagnostics that name the code, the message and the RequestId, and say
//! what to do next.

use crate::alibaba::{ApiErrorKind, ClientError};
use crate::plugin::Diagnostic;

/// A diagnostic for a failed read.
pub(crate) fn client_error_diagnostic(error: &ClientError) -> Diagnostic {
    let (summary, advice) = match error {
        ClientError::Api(api) => {
            let code = api.code.as_str();
            let advice = match api.kind() {
                ApiErrorKind::Authentication => {
                    "Check the access key and secret (provider block, environment or profile)."
                }
                ApiErrorKind::Throttling => {
                    "The API kept throttling after every retry. All reads of this provider share one \
                 request budget that already slows down when the API throttles; to send less, \
                 lower `max_concurrency`, run Terraform with a lower `-parallelism` (default 10) \
                 so fewer data sources read at once, raise `max_retries`, or try again later."
                }
                ApiErrorKind::Permission => {
                    "The credentials lack permission for dbs:DescribeRestoreTaskList."
                }
                _ => "See the Alibaba Cloud DBS error code reference for this code.",
            };
            (format!("DBS API error {code}"), advice)
        }
        ClientError::Transport { .. } => (
            "Cannot reach the DBS API".to_string(),
            "Check the endpoint, network access and `request_timeout`.",
        ),
        ClientError::Malformed { .. } => (
            "Unreadable answer from the DBS API".to_string(),
            "The endpoint may not be a DBS API (a proxy or error page?). Check `endpoint`.",
        ),
        ClientError::Incomplete { .. } | ClientError::Inconsistent { .. } => (
            "Incomplete restore job list".to_string(),
            "Nothing was returned rather than a partial list. Run again; if it persists, \
             narrow the query (backup_plan_id, time window).",
        ),
        ClientError::Unbounded { .. } => (
            "Restore job list too large to read".to_string(),
            "Every read is bounded so that a broken or hostile endpoint cannot make it run or \
             grow without end. Narrow the read with `backup_plan_id`, `ids` or a time window \
             (`start_time`/`end_time`), or split it over several data sources; if the numbers \
             above look absurd, check `endpoint` (a proxy or a gateway may be answering).",
        ),
        ClientError::DeadlineExceeded { .. } => (
            "Read timed out".to_string(),
            "Nothing was returned rather than a partial list.",
        ),
        ClientError::Cancelled => (
            "Read cancelled".to_string(),
            "Terraform asked the provider to stop.",
        ),
        ClientError::NoCaCertificates(_) => (
            "No CA certificates to verify HTTPS".to_string(),
            "The provider verifies every HTTPS certificate and found nothing to verify against.",
        ),
        ClientError::Credentials(_) => (
            "Alibaba Cloud credentials expired".to_string(),
            "The temporary credentials ran out and could not be renewed; nothing was returned \
             rather than a partial list. Check the credential source named above.",
        ),
        ClientError::InvalidConfig(_) | ClientError::InvalidQuery(_) => (
            "Invalid DBS request".to_string(),
            "Check the provider and data source arguments.",
        ),
    };
    let mut advice = advice.to_string();
    if let ClientError::Api(api) = error {
        if let Some(wait) = api.retry_after.filter(|_| api.is_throttling()) {
            advice.push_str(&format!(
                " Its last answer asked to wait {} s (`Retry-After`), which the provider honoured.",
                wait.as_secs()
            ));
        }
    }
    Diagnostic::error(summary, format!("{error}.\n\n{advice}"))
}
