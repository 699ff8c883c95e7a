//! An `External` profile: run `process_command` (split like a shell would, never through one)
//! and read credentials from its JSON output, the aliyun CLI's format: `mode` (`AK` or
//! `StsToken`), `access_key_id`, `access_key_secret`, `sts_token`, optional `expiration`.
//!
//! The command's output holds secrets, so neither it nor its arguments ever appear in a message:
//! only the program name, the exit status and which field was wrong.

use std::process::Stdio;

use serde::Deserialize;
use tokio::io::AsyncReadExt;

use super::http;
use super::plan::Issued;
use super::{CredentialError, Credentials, ResolveOptions};

/// The most output a credential process may print.
const MAX_OUTPUT_BYTES: usize = 64 * 1024;

#[derive(Deserialize)]
struct Output {
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    access_key_id: Option<String>,
    #[serde(default)]
    access_key_secret: Option<String>,
    #[serde(default)]
    sts_token: Option<String>,
    #[serde(default)]
    expiration: Option<String>,
}

pub(super) async fn run(
    profile: &str,
    command: &str,
    opts: &ResolveOptions,
) -> Result<Issued, CredentialError> {
    let words = shlex::split(command).unwrap_or_default();
    let program = words.first().cloned().unwrap_or_default();
    let fail = |detail: String| CredentialError::External {
        profile: profile.to_owned(),
        program: program.clone(),
        detail,
    };
    if program.is_empty() {
        return Err(fail(
            "process_command is empty or not valid shell words".to_owned(),
        ));
    }
    let mut child = tokio::process::Command::new(&program);
    child
        .args(&words[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let mut running = child
        .spawn()
        .map_err(|e| fail(format!("cannot start it: {e}")))?;
    let mut stdout = running
        .stdout
        .take()
        .ok_or_else(|| fail("its output cannot be read".to_owned()))?;
    let run = async {
        // Read at most one byte past the limit, so an endless output cannot fill memory.
        let mut printed = Vec::new();
        (&mut stdout)
            .take(MAX_OUTPUT_BYTES as u64 + 1)
            .read_to_end(&mut printed)
            .await?;
        if printed.len() > MAX_OUTPUT_BYTES {
            return Ok((None, printed));
        }
        Ok::<_, std::io::Error>((Some(running.wait().await?), printed))
    };
    let (status, printed) = tokio::time::timeout(opts.http_timeout, run)
        .await
        .map_err(|_| fail(format!("no answer within {:?}", opts.http_timeout)))?
        .map_err(|e| fail(format!("reading its output failed: {e}")))?;
    let Some(status) = status else {
        return Err(fail(format!(
            "it printed more than {MAX_OUTPUT_BYTES} bytes"
        )));
    };
    if !status.success() {
        return Err(fail(format!("it exited with {status}")));
    }
    let parsed: Output = serde_json::from_slice(&printed)
        .map_err(|_| fail("its output is not a JSON object with string fields".to_owned()))?;
    let non_empty = |v: Option<String>| v.filter(|s| !s.is_empty());
    let access_key_id = non_empty(parsed.access_key_id)
        .ok_or_else(|| fail("its output has no access_key_id".to_owned()))?;
    let access_key_secret = non_empty(parsed.access_key_secret)
        .ok_or_else(|| fail("its output has no access_key_secret".to_owned()))?;
    let security_token = non_empty(parsed.sts_token);
    if parsed.mode.as_deref() == Some("StsToken") && security_token.is_none() {
        return Err(fail(
            "its output is mode StsToken but has no sts_token".to_owned(),
        ));
    }
    let expiration = match non_empty(parsed.expiration) {
        None => None,
        Some(text) => Some(
            http::parse_expiration(&text)
                .ok_or_else(|| fail("its output's expiration is not a UTC timestamp".to_owned()))?,
        ),
    };
    Ok(Issued {
        credentials: Credentials {
            access_key_id,
            access_key_secret,
            security_token,
        },
        expiration,
    })
}
