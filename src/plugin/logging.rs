//! Logs as hclog JSON lines on stderr.
//!
//! go-plugin reads the plugin's stderr line by line; lines that parse as
//! JSON with `@level`/`@message` are re-emitted by Terraform at that level
//! under `TF_LOG`/`TF_LOG_PROVIDER`, anything else is logged as raw debug
//! output. Library code logs through the `log` facade and never learns about
//! Terraform.
//!
//! As a last line of defence, values registered with [`redact`] are masked
//! in every message, so a secret that slips into a formatted error cannot
//! reach Terraform's logs.

use std::io::Write;
use std::sync::{OnceLock, PoisonError, RwLock};

use log::{Level, LevelFilter, Log, Metadata, Record};

/// Environment variables consulted for the level, most specific first:
/// the provider's own (`TF_LOG_PROVIDER_<NAME>`, see
/// [`ProviderIdentity`](super::identity::ProviderIdentity)), then Terraform's.
pub fn level_variables(provider_variable: &str) -> [&str; 3] {
    [provider_variable, "TF_LOG_PROVIDER", "TF_LOG"]
}

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());
static LOGGER: OnceLock<HclogLogger> = OnceLock::new();

/// Masks `secret` in all later log lines and diagnostics, also in its
/// percent-encoded forms (once and twice, as signed query strings carry
/// values). Short values are ignored: masking "a" would shred every message
/// without protecting anything.
pub fn redact(secret: &str) {
    if secret.len() < 4 {
        return;
    }
    let once = percent_encode(secret);
    let twice = percent_encode(&once);
    // A panic elsewhere while the lock was held must not stop a secret from
    // being registered: the list is only ever appended to and sorted, so
    // whatever a poisoned guard holds is still a list of secrets.
    let mut secrets = SECRETS.write().unwrap_or_else(PoisonError::into_inner);
    for form in [secret.to_string(), once, twice] {
        if !secrets.contains(&form) {
            secrets.push(form);
        }
    }
    // Longest first, so a form is never half-masked by a shorter one.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// RFC 3986 percent-encoding of everything but the unreserved set.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `text` with every registered secret replaced by `***`; the SDK applies it
/// to diagnostics too, since those end up in CI logs.
pub fn mask(text: &str) -> String {
    mask_secrets(text)
}

/// Whether `bytes` contain a registered secret (in any of its forms), for
/// output that cannot be masked, such as raw protocol data, and so must not
/// be written at all.
pub fn holds_secret(bytes: &[u8]) -> bool {
    let secrets = SECRETS.read().unwrap_or_else(PoisonError::into_inner);
    secrets.iter().any(|secret| {
        let secret = secret.as_bytes();
        bytes.windows(secret.len()).any(|window| window == secret)
    })
}

/// Parses a Terraform log level. Terraform treats any other non-empty value
/// (including `JSON`) as TRACE, and so do we.
pub fn parse_level(value: &str) -> LevelFilter {
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "off" => LevelFilter::Off,
        "error" => LevelFilter::Error,
        "warn" => LevelFilter::Warn,
        "info" => LevelFilter::Info,
        "debug" => LevelFilter::Debug,
        _ => LevelFilter::Trace,
    }
}

/// The level from the first of [`level_variables`] that is set.
pub fn level_from_env(
    provider_variable: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> LevelFilter {
    level_variables(provider_variable)
        .iter()
        .find_map(|name| lookup(name))
        .map(|v| parse_level(&v))
        .unwrap_or(LevelFilter::Off)
}

/// Installs the logger once per process; later calls are no-ops.
/// `provider_variable` is the provider's `TF_LOG_PROVIDER_<NAME>`.
pub fn init(module: &'static str, provider_variable: &str) {
    let level = level_from_env(provider_variable, |k| std::env::var(k).ok());
    let logger = LOGGER.get_or_init(|| HclogLogger { module });
    if log::set_logger(logger).is_ok() {
        log::set_max_level(level);
    }
}

struct HclogLogger {
    module: &'static str,
}

impl Log for HclogLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let line = format_line(
            record.level(),
            &record.args().to_string(),
            self.module,
            time::OffsetDateTime::now_utc(),
        );
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{line}");
    }

    fn flush(&self) {
        let _ = std::io::stderr().flush();
    }
}

/// One hclog JSON line (without the newline).
pub fn format_line(level: Level, message: &str, module: &str, at: time::OffsetDateTime) -> String {
    let message = mask_secrets(message);
    let level = match level {
        Level::Error => "error",
        Level::Warn => "warn",
        Level::Info => "info",
        Level::Debug => "debug",
        Level::Trace => "trace",
    };
    let timestamp = at
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
        ))
        .unwrap_or_default();
    let mut map = serde_json::Map::new();
    map.insert("@level".into(), level.into());
    map.insert("@message".into(), message.into());
    map.insert("@module".into(), module.into());
    map.insert("@timestamp".into(), timestamp.into());
    serde_json::Value::Object(map).to_string()
}

fn mask_secrets(message: &str) -> String {
    // Fails closed: a poisoned lock still holds every registered secret
    // (see `redact`), and printing the message unmasked is never an option.
    let secrets = SECRETS.read().unwrap_or_else(PoisonError::into_inner);
    let mut out = message.to_string();
    for secret in secrets.iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "***");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_precedence_and_parsing() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let ours = "TF_LOG_PROVIDER_EXAMPLE";
        assert_eq!(level_from_env(ours, env(&[])), LevelFilter::Off);
        assert_eq!(
            level_from_env(ours, env(&[("TF_LOG", "info")])),
            LevelFilter::Info
        );
        assert_eq!(
            level_from_env(
                ours,
                env(&[("TF_LOG", "info"), ("TF_LOG_PROVIDER", "DEBUG")])
            ),
            LevelFilter::Debug
        );
        assert_eq!(
            level_from_env(
                ours,
                env(&[
                    ("TF_LOG", "info"),
                    ("TF_LOG_PROVIDER", "debug"),
                    ("TF_LOG_PROVIDER_EXAMPLE", "error"),
                    ("TF_LOG_PROVIDER_OTHER", "trace")
                ])
            ),
            LevelFilter::Error
        );
        assert_eq!(parse_level("JSON"), LevelFilter::Trace);
        assert_eq!(parse_level("off"), LevelFilter::Off);
    }

    #[test]
    fn lines_are_hclog_json() {
        let at = time::macros::datetime!(2026-11-30 03:04:05.123456 UTC);
        let line = format_line(Level::Debug, "say \"hi\"", "provider", at);
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["@level"], "debug");
        assert_eq!(parsed["@message"], "say \"hi\"");
        assert_eq!(parsed["@module"], "provider");
        assert_eq!(parsed["@timestamp"], "2026-11-30T03:04:05.123456Z");
    }

    #[test]
    fn registered_secrets_are_masked() {
        redact("s3cr3t-value-for-test");
        redact("ab"); // too short to mask
        let line = format_line(
            Level::Info,
            "key=s3cr3t-value-for-test ab",
            "provider",
            time::OffsetDateTime::UNIX_EPOCH,
        );
        assert!(!line.contains("s3cr3t-value-for-test"), "{line}");
        assert!(line.contains("key=*** ab"), "{line}");
    }

    #[test]
    fn masking_survives_a_poisoned_lock() {
        redact("poison-proof-secret");
        let _ = std::thread::spawn(|| {
            let _guard = SECRETS.write().unwrap_or_else(PoisonError::into_inner);
            panic!("poisoning the secrets lock on purpose");
        })
        .join();
        assert!(SECRETS.is_poisoned());
        // Registered before and after the poisoning: both stay masked.
        redact("registered-after-poison");
        assert_eq!(
            mask("a poison-proof-secret and registered-after-poison"),
            "a *** and ***"
        );
    }

    #[test]
    fn secrets_are_found_in_raw_bytes() {
        redact("raw/bytes-secret");
        assert!(holds_secret(b"\x81\xa1k\xb0raw/bytes-secret"));
        assert!(holds_secret(b"\xb2raw%2Fbytes-secret"));
        assert!(!holds_secret(b"\xafraw/bytes-secre"));
    }

    #[test]
    fn encoded_forms_are_masked_too() {
        redact("tok/en+1");
        let text = "raw tok/en+1 once tok%2Fen%2B1 twice tok%252Fen%252B1";
        assert_eq!(mask(text), "raw *** once *** twice ***");
    }
}
