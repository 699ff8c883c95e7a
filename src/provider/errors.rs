//! The provider boundary for API errors: typed client errors become
//! diagnostics that name the code, the message and the RequestId, and say
//! what to do next.

use crate::alibaba::{ApiErrorKind, ClientError};
use crate::plugin::Diagnostic;

/// What the advice after a failed read names, given by each data source: the action its
/// credentials need, and the arguments that narrow it.
pub(crate) struct ReadAdvice {
    /// The API action, e.g. `DescribeRestoreTaskList`.
    pub(crate) action: &'static str,
    /// The arguments that narrow the read, in words.
    pub(crate) narrow_with: &'static str,
}

/// A diagnostic for a failed read.
pub(crate) fn client_error_diagnostic(error: &ClientError, read: &ReadAdvice) -> Diagnostic {
    let (summary, advice) = match error {
        ClientError::Api(api) => {
            let code = api.code.as_str();
            let advice: String = match api.kind() {
                ApiErrorKind::Authentication => {
                    "Check the access key and secret (provider block, environment or profile)."
                        .into()
                }
                ApiErrorKind::Throttling => {
                    "The API kept throttling after every retry. All reads of this provider share one \
                 request budget that already slows down when the API throttles; to send less, \
                 lower `max_concurrency`, run Terraform with a lower `-parallelism` (default 10) \
                 so fewer data sources read at once, raise `max_retries`, or try again later."
                        .into()
                }
                ApiErrorKind::Permission => {
                    format!("The credentials lack permission for dbs:{}.", read.action)
                }
                _ => "See the Alibaba Cloud DBS error code reference for this code.".into(),
            };
            (format!("DBS API error {code}"), advice)
        }
        ClientError::Transport { .. } => (
            "Cannot reach the DBS API".to_string(),
            "Check the endpoint, network access and `request_timeout`.".into(),
        ),
        ClientError::Malformed { .. } => (
            "Unreadable answer from the DBS API".to_string(),
            "The endpoint may not be a DBS API (a proxy or error page?). Check `endpoint`.".into(),
        ),
        ClientError::Incomplete { noun, .. } | ClientError::Inconsistent { noun, .. } => (
            format!("Incomplete {} list", noun.one),
            format!(
                "Nothing was returned rather than a partial list. Run again; if it persists, \
                 narrow the read with {}.",
                read.narrow_with
            ),
        ),
        ClientError::Unbounded { noun, .. } => (
            format!("{} list too large to read", capitalized(noun.one)),
            format!(
                "Every read is bounded so that a broken or hostile endpoint cannot make it run \
                 or grow without end. Narrow the read with {}, or split it over several data \
                 sources; if the numbers above look absurd, check `endpoint` (a proxy or a \
                 gateway may be answering).",
                read.narrow_with
            ),
        ),
        ClientError::DeadlineExceeded { .. } => (
            "Read timed out".to_string(),
            "Nothing was returned rather than a partial list.".into(),
        ),
        ClientError::Cancelled => (
            "Read cancelled".to_string(),
            "Terraform asked the provider to stop.".into(),
        ),
        ClientError::NoCaCertificates(_) => return no_trust_store(error),
        ClientError::Credentials(_) => (
            "Alibaba Cloud credentials expired".to_string(),
            "The temporary credentials ran out and could not be renewed; nothing was returned \
             rather than a partial list. Check the credential source named above."
                .into(),
        ),
        ClientError::InvalidConfig(_) | ClientError::InvalidQuery(_) => (
            "Invalid DBS request".to_string(),
            "Check the provider and data source arguments.".into(),
        ),
    };
    let mut advice = advice;
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

/// No CA certificate to verify HTTPS against: at client creation, or at a read.
pub(crate) fn no_trust_store(error: &ClientError) -> Diagnostic {
    Diagnostic::error(
        "No CA certificates to verify HTTPS",
        format!(
            "{error}.\n\nThe provider verifies every HTTPS certificate and found nothing to \
             verify against."
        ),
    )
}

/// `restore job` -> `Restore job`.
fn capitalized(noun: &str) -> String {
    let mut chars = noun.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alibaba::{ApiError, Noun};

    const PLANS: ReadAdvice = ReadAdvice {
        action: "DescribeBackupPlanList",
        narrow_with: "`backup_plan_name`",
    };

    #[test]
    fn advice_names_the_data_source_s_action_and_filters() {
        let denied = ClientError::Api(ApiError::new(
            "Forbidden.RAM",
            "",
            Some("REQ-1".into()),
            403,
        ));
        let d = client_error_diagnostic(&denied, &PLANS);
        assert_eq!(d.summary, "DBS API error Forbidden.RAM");
        assert!(
            d.detail.contains("dbs:DescribeBackupPlanList"),
            "{}",
            d.detail
        );
        assert!(d.detail.contains("REQ-1"), "{}", d.detail);

        let unbounded = ClientError::Unbounded {
            bound: "plans",
            detail: "TotalElements 10000000".to_owned(),
            noun: Noun {
                one: "backup plan",
                many: "backup plans",
                short: "plans",
            },
        };
        let d = client_error_diagnostic(&unbounded, &PLANS);
        assert_eq!(d.summary, "Backup plan list too large to read");
        assert!(d.detail.contains("`backup_plan_name`"), "{}", d.detail);
    }
}
