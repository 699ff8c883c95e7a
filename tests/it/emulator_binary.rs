//! The `dbs-emulator` binary as users run it: the URL line first on stdout, the env hints, one
//! log line per request on stderr (never a signature or secret), a clean exit on SIGTERM and
//! SIGINT, and clear refusals of bad command lines.

#![cfg(unix)]

use crate::common::emulator_requests;

use std::process::Stdio;
use std::time::Duration;

use emulator_requests::Call;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};

const BIN: &str = env!("CARGO_BIN_EXE_dbs-emulator");

fn spawn(args: &[&str]) -> Child {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts")
}

/// Reads stdout up to the last hint line; returns the URL from the first line and all lines.
async fn banner(stdout: ChildStdout) -> (String, Vec<String>) {
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = Vec::new();
    let read = async {
        while let Some(line) = lines.next_line().await.expect("stdout readable") {
            let done = line.starts_with("Stop it");
            seen.push(line);
            if done {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .expect("the banner is printed promptly");
    let first = seen.first().expect("a first line").clone();
    let url = first
        .strip_prefix("dbs-emulator listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .to_owned();
    let port = url
        .strip_prefix("http://127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected URL: {url}"));
    assert!(port.parse::<u16>().is_ok_and(|p| p > 0), "{url}");
    (url, seen)
}

fn signal(child: &Child, name: &str) {
    let pid = child.id().expect("still running");
    let status = std::process::Command::new("kill")
        .args([format!("-{name}"), pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

async fn exits_cleanly(mut child: Child, name: &str) -> String {
    signal(&child, name);
    let mut stderr = child.stderr.take().expect("stderr piped");
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .unwrap_or_else(|_| panic!("no exit within 10 s of SIG{name}"))
        .expect("wait works");
    assert!(status.success(), "exit status after SIG{name}: {status}");
    let mut text = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut stderr, &mut text)
        .await
        .expect("stderr readable");
    text
}

#[tokio::test]
async fn prints_its_url_serves_logs_and_stops_on_sigterm() {
    let mut child = spawn(&["--generate", "5", "--seed", "3"]);
    let (url, lines) = banner(child.stdout.take().expect("stdout piped")).await;
    let text = lines.join("\n");
    for expected in [
        format!("ALIBABA_CLOUD_ENDPOINT_DBS={url}"),
        "ALIBABA_CLOUD_ACCESS_KEY_ID=emulator-access-key".to_owned(),
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET=emulator-secret".to_owned(),
        "ALIBABA_CLOUD_REGION=cn-hangzhou".to_owned(),
    ] {
        assert!(text.contains(&expected), "missing {expected} in:\n{text}");
    }

    let good = Call::new().param("PageNum", 0);
    let reply = good.send_to(&url).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.ids().len(), 5);
    let bad = Call {
        secret: "wrong".into(),
        ..Call::new()
    };
    let bad_signature = bad.signed().last().expect("signature").1.clone();
    let good_signature = good.signed().last().expect("signature").1.clone();
    assert_eq!(
        bad.send_to(&url).await.json()["Code"],
        "SignatureDoesNotMatch"
    );

    let log = exits_cleanly(child, "TERM").await;
    let request_lines: Vec<&str> = log.lines().filter(|l| l.contains(" -> ")).collect();
    assert_eq!(request_lines.len(), 2, "one line per request:\n{log}");
    assert!(
        request_lines[0].contains("Action=DescribeRestoreTaskList"),
        "{log}"
    );
    assert!(request_lines[0].contains("PageNum=0"), "{log}");
    assert!(request_lines[0].contains("200"), "{log}");
    assert!(request_lines[1].contains("SignatureDoesNotMatch"), "{log}");
    for secret in [
        &bad_signature,
        &good_signature,
        &"emulator-secret".to_owned(),
    ] {
        assert!(
            !log.contains(secret.as_str()),
            "{secret} leaked into:\n{log}"
        );
    }
}

#[tokio::test]
async fn serves_a_fixture_one_based_and_stops_on_sigint() {
    let mut child = spawn(&[
        "--fixture",
        emulator_requests::SAMPLE_FIXTURE,
        "--one-based",
        "--quiet",
    ]);
    let (url, _) = banner(child.stdout.take().expect("stdout piped")).await;
    let reply = Call::new().param("PageSize", 5).send_to(&url).await;
    let body = reply.json();
    assert_eq!(body["TotalElements"], 12);
    assert_eq!(body["PageNum"], 1);
    assert_eq!(reply.ids()[0], "r7ak3m9x2qw1e");
    let log = exits_cleanly(child, "INT").await;
    assert!(!log.contains(" -> "), "--quiet logs no requests:\n{log}");
}

#[tokio::test]
async fn fault_flags_reach_the_server() {
    let mut child = spawn(&["--throttle-rate", "1", "--quiet"]);
    let (url, _) = banner(child.stdout.take().expect("stdout piped")).await;
    let reply = Call::new().send_to(&url).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["Code"], "Throttling.User");
    exits_cleanly(child, "TERM").await;
}

/// Runs the emulator binary with `args` and asserts that it refuses them: exit `code`, `mention`
/// on stderr. Its output.
async fn refused(args: &[&str], code: i32, mention: &str) -> std::process::Output {
    let output = Command::new(BIN).args(args).output().await.expect("runs");
    assert_eq!(output.status.code(), Some(code));
    assert!(String::from_utf8_lossy(&output.stderr).contains(mention));
    output
}

#[tokio::test]
async fn refuses_bad_command_lines() {
    refused(&["--throttle-rate", "2"], 2, "--throttle-rate").await;
    let fixture = "/nonexistent/tasks.json";
    let output = refused(&["--fixture", fixture], 1, fixture).await;
    assert!(output.stdout.is_empty(), "no URL line when it cannot serve");
}
