//! `dbs-emulator`: the DBS API emulator as a standalone server (with the credential services
//! a chain talks to: STS, ECS metadata, a credentials URI), for the demo and for people who
//! test their Terraform configurations offline.
//!
//! The first stdout line is machine-readable (`dbs-emulator listening on URL`) so scripts and
//! tests can start it on port 0 and read the port back; the lines after it are for humans. One
//! line per request goes to stderr. SIGINT and SIGTERM stop it cleanly.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use terraform_provider_dbs::emulator::{
    Emulator, EmulatorConfig, Faults, ImdsMode, Role, TaskSource,
};

const USAGE: &str = "\
usage: dbs-emulator [options]

Serves DBS DescribeRestoreTaskList (API 2019-03-06) on a local port, with signature checks
(v1 HMAC-SHA1 and V3 ACS3-HMAC-SHA256), and on the same port STS (AssumeRole,
AssumeRoleWithOIDC), the ECS metadata service (/latest/...) and a credentials URI (/credentials).

tasks:
  --fixture FILE            serve the tasks in FILE ({\"RestoreTaskDetail\":[...]} or an array)
  --generate N              serve N generated tasks (default: 12)
  --seed S                  seed for generated tasks and fault choice (default: 1)
listening and credentials:
  --listen ADDR             address to listen on (default: 127.0.0.1:0, a free port)
  --access-key-id ID        accepted AccessKeyId (default: emulator-access-key)
  --access-key-secret S     accepted secret (default: emulator-secret)
  --security-token T        require this SecurityToken on every request
credential services:
  --credential-lifetime SECS  longest life of issued temporary credentials (default: 3600)
  --role ARN[=EXTERNAL_ID]  a role STS grants, optionally demanding an ExternalId; repeatable,
                            replaces the default acs:ram::1234567890123456:role/dbs-reader
  --oidc-token T            the OIDCToken AssumeRoleWithOIDC accepts (default: a fixed JWT)
  --instance-role NAME      the RAM role of the emulated ECS instance (default: EcsDbsRole)
  --imds MODE               metadata tokens: optional (default), required, v1-only
faults:
  --latency-ms N            delay every answer by N ms
  --throttle-rate F         share of requests answered Throttling.User (0..1)
  --rate-limit QPS          per access key, at most QPS requests per second (a bucket of one
                            second's worth); past it Throttling.User, like the real gateway
  --error-rate F            share answered 503 ServiceUnavailable / 500 InternalError
  --malformed-rate F        share answered with truncated JSON, an HTML 502 or invalid JSON
  --stall-rate F            share never answered
  --reset-rate F            share cut off mid-body
  --one-based               PageNum 1 is the first page (0 is treated like 1)
  --hostile MODE            answer like a broken or hostile endpoint (see examples/emulator/README.md):
                            total-pages-huge, page-size-one, total-elements-huge, empty-after-first,
                            new-jobs-forever, endless-body, huge-body, million-items, errcode-on-200,
                            code-on-200, success-zero, items-string, other-key, ignore-filters,
                            huge-message, escape-message, echo-secrets-json, echo-secrets-header,
                            secret-in-code, secret-in-request-id, retry-after, redirect, gzip, deep,
                            number-out-of-range
other:
  --quiet                   do not log requests
  --help                    show this help
  --version                 show the version
";

/// What the command line asked for.
struct Options {
    config: EmulatorConfig,
    quiet: bool,
}

/// What to do.
enum Command {
    Run(Box<Options>),
    Help,
    Version,
}

/// The command line could not be understood; the text says why.
struct UsageError(String);

fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, UsageError> {
    let mut config = EmulatorConfig::default();
    let mut quiet = false;
    let mut fixture: Option<PathBuf> = None;
    let mut generate: Option<usize> = None;
    let mut seed = 1u64;
    let mut faults = Faults::default();
    let mut roles: Vec<Role> = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = || -> Result<String, UsageError> {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| UsageError(format!("{flag} needs a value")))
        };
        match flag.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--version" | "-V" => return Ok(Command::Version),
            "--listen" => config.listen = number::<SocketAddr>(&flag, &value()?)?,
            "--fixture" => fixture = Some(PathBuf::from(value()?)),
            "--generate" => generate = Some(number(&flag, &value()?)?),
            "--seed" => seed = number(&flag, &value()?)?,
            "--latency-ms" => faults.latency = Duration::from_millis(number(&flag, &value()?)?),
            "--throttle-rate" => faults.throttle_rate = rate(&flag, &value()?)?,
            "--rate-limit" => {
                faults.rate_limit_qps = number(&flag, &value()?)?;
                if faults.rate_limit_qps.is_nan() || faults.rate_limit_qps <= 0.0 {
                    return Err(UsageError(format!(
                        "{flag}: requests per second must be positive"
                    )));
                }
            }
            "--error-rate" => faults.server_error_rate = rate(&flag, &value()?)?,
            "--malformed-rate" => faults.malformed_rate = rate(&flag, &value()?)?,
            "--stall-rate" => faults.stall_rate = rate(&flag, &value()?)?,
            "--reset-rate" => faults.reset_rate = rate(&flag, &value()?)?,
            "--one-based" => faults.one_based_paging = true,
            "--hostile" => {
                faults.hostile = Some(value()?.parse().map_err(UsageError)?);
            }
            "--access-key-id" => config.access_key_id = value()?,
            "--access-key-secret" => config.access_key_secret = value()?,
            "--security-token" => config.security_token = Some(value()?),
            "--credential-lifetime" => {
                let secs: u64 = number(&flag, &value()?)?;
                if secs == 0 {
                    return Err(UsageError(format!("{flag}: must be at least one second")));
                }
                config.credential_lifetime = Duration::from_secs(secs);
            }
            "--role" => {
                let text = value()?;
                roles.push(match text.split_once('=') {
                    Some((arn, external_id)) => Role::new(arn).with_external_id(external_id),
                    None => Role::new(text),
                });
            }
            "--oidc-token" => config.oidc_token = value()?,
            "--instance-role" => config.instance_role = value()?,
            "--imds" => {
                config.imds = value()?
                    .parse::<ImdsMode>()
                    .map_err(|e| UsageError(format!("{flag}: {e}")))?;
            }
            "--quiet" | "-q" => quiet = true,
            other => return Err(UsageError(format!("unknown argument `{other}`"))),
        }
    }
    config.tasks = match (fixture, generate) {
        (Some(_), Some(_)) => {
            return Err(UsageError(
                "--fixture and --generate cannot be used together".to_owned(),
            ))
        }
        (Some(path), None) => TaskSource::Fixture(path),
        (None, count) => TaskSource::Generated {
            count: count.unwrap_or(12),
            seed,
        },
    };
    faults.seed = seed;
    config.faults = faults;
    if !roles.is_empty() {
        config.roles = roles;
    }
    Ok(Command::Run(Box::new(Options { config, quiet })))
}

fn number<T: std::str::FromStr>(flag: &str, text: &str) -> Result<T, UsageError> {
    text.trim()
        .parse()
        .map_err(|_| UsageError(format!("{flag}: `{text}` is not a valid value")))
}

fn rate(flag: &str, text: &str) -> Result<f64, UsageError> {
    let value: f64 = number(flag, text)?;
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(UsageError(format!(
            "{flag}: `{text}` is not between 0 and 1"
        )))
    }
}

/// Writes each log record as one plain line on stderr.
struct StderrLogger;

impl log::Log for StderrLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "dbs-emulator: {}", record.args());
        }
    }

    fn flush(&self) {
        let _ = std::io::stderr().flush();
    }
}

static LOGGER: StderrLogger = StderrLogger;

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(Command::Run(options)) => *options,
        Ok(Command::Help) => {
            let _ = std::io::stdout().lock().write_all(USAGE.as_bytes());
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            let _ = writeln!(
                std::io::stdout().lock(),
                "dbs-emulator {}",
                env!("CARGO_PKG_VERSION")
            );
            return ExitCode::SUCCESS;
        }
        Err(UsageError(message)) => {
            eprintln!("dbs-emulator: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(if options.quiet {
            log::LevelFilter::Warn
        } else {
            log::LevelFilter::Info
        });
    }
    let access_key_id = options.config.access_key_id.clone();
    let access_key_secret = options.config.access_key_secret.clone();
    let security_token = options.config.security_token.clone();
    let imds = options.config.imds;
    let instance_role = options.config.instance_role.clone();
    let emulator = match Emulator::start(options.config).await {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!("dbs-emulator: {error}");
            return ExitCode::FAILURE;
        }
    };
    let url = emulator.url();
    {
        // These are the emulator's own test credentials, printed so they can be exported.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "dbs-emulator listening on {url}");
        let _ = out.flush();
        let mut lines = vec![
            String::new(),
            "Point the provider at it with:".to_owned(),
            format!("  export ALIBABA_CLOUD_ENDPOINT_DBS={url}"),
            format!("  export ALIBABA_CLOUD_ACCESS_KEY_ID={access_key_id}"),
            format!("  export ALIBABA_CLOUD_ACCESS_KEY_SECRET={access_key_secret}"),
            "  export ALIBABA_CLOUD_REGION=cn-hangzhou".to_owned(),
        ];
        if let Some(token) = security_token {
            lines.push(format!("  export ALIBABA_CLOUD_SECURITY_TOKEN={token}"));
        }
        lines.extend([
            String::new(),
            "Credential services on the same port:".to_owned(),
            format!("  STS (Version 2015-04-01: AssumeRole, AssumeRoleWithOIDC): {url}/"),
            format!(
                "  ECS metadata (IMDS {imds:?}, role {instance_role}): {url}/latest/meta-data/ram/security-credentials/"
            ),
            format!("  export ALIBABA_CLOUD_CREDENTIALS_URI={url}/credentials"),
        ]);
        lines.push("Stop it with Ctrl-C.".to_owned());
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
    }
    wait_for_signal().await;
    log::warn!("stopping");
    emulator.shutdown().await;
    ExitCode::SUCCESS
}

/// Resolves on SIGINT or SIGTERM (Ctrl-C only where there is no SIGTERM).
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(error) => {
                eprintln!("dbs-emulator: cannot watch SIGTERM ({error}); stop it with Ctrl-C");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn ok(list: &[&str]) -> Options {
        match parse(args(list)) {
            Ok(Command::Run(options)) => *options,
            _ => panic!("did not parse: {list:?}"),
        }
    }

    #[test]
    fn defaults() {
        let o = ok(&[]);
        assert_eq!(o.config.tasks, TaskSource::Generated { count: 12, seed: 1 });
        assert!(o.config.listen.ip().is_loopback());
        assert!(!o.quiet);
        assert_eq!(o.config.credential_lifetime, Duration::from_secs(3600));
        assert_eq!(o.config.imds, ImdsMode::Optional);
        assert_eq!(o.config.roles.len(), 1);
    }

    #[test]
    fn every_flag() {
        let o = ok(&[
            "--listen",
            "127.0.0.1:8080",
            "--generate=500",
            "--seed",
            "9",
            "--latency-ms",
            "50",
            "--throttle-rate",
            "0.3",
            "--error-rate=0.1",
            "--malformed-rate",
            "0.05",
            "--stall-rate",
            "0.01",
            "--reset-rate",
            "0.02",
            "--one-based",
            "--access-key-id",
            "id",
            "--access-key-secret",
            "s",
            "--security-token",
            "t",
            "--credential-lifetime",
            "2",
            "--role",
            "acs:ram::1:role/a",
            "--role=acs:ram::1:role/b=ext",
            "--oidc-token",
            "jwt",
            "--instance-role",
            "Other",
            "--imds",
            "v1-only",
            "--quiet",
        ]);
        assert_eq!(o.config.credential_lifetime, Duration::from_secs(2));
        assert_eq!(
            o.config.roles,
            [
                Role::new("acs:ram::1:role/a"),
                Role::new("acs:ram::1:role/b").with_external_id("ext")
            ]
        );
        assert_eq!(o.config.oidc_token, "jwt");
        assert_eq!(o.config.instance_role, "Other");
        assert_eq!(o.config.imds, ImdsMode::V1Only);
        assert_eq!(o.config.listen.port(), 8080);
        assert_eq!(
            o.config.tasks,
            TaskSource::Generated {
                count: 500,
                seed: 9
            }
        );
        let f = &o.config.faults;
        assert_eq!(f.latency, Duration::from_millis(50));
        assert_eq!(
            (
                f.throttle_rate,
                f.server_error_rate,
                f.malformed_rate,
                f.stall_rate,
                f.reset_rate
            ),
            (0.3, 0.1, 0.05, 0.01, 0.02)
        );
        assert!(f.one_based_paging);
        assert_eq!(f.seed, 9);
        assert_eq!(o.config.access_key_id, "id");
        assert_eq!(o.config.access_key_secret, "s");
        assert_eq!(o.config.security_token.as_deref(), Some("t"));
        assert!(o.quiet);
    }

    #[test]
    fn fixture() {
        let o = ok(&["--fixture", "x.json"]);
        assert_eq!(o.config.tasks, TaskSource::Fixture("x.json".into()));
    }

    #[test]
    fn refusals() {
        for bad in [
            &["--fixture", "a", "--generate", "3"][..],
            &["--throttle-rate", "1.5"],
            &["--generate", "-1"],
            &["--listen", "nowhere"],
            &["--seed"],
            &["--bogus"],
            &["--imds", "v2"],
            &["--credential-lifetime", "0"],
            &["--credential-lifetime", "-5"],
        ] {
            assert!(parse(args(bad)).is_err(), "{bad:?}");
        }
    }
}
