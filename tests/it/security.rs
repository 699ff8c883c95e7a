//! Security promises, checked from the outside with real Terraform and the
//! real binaries:
//!
//! - with `TF_LOG=trace`, the secret key, the STS token and the request
//!   signatures appear nowhere: not in Terraform's output (which carries the
//!   provider's logs), not in the state, not in `output_file`; the
//!   signatures are the very ones the provider sent, recorded on the wire;
//! - a plain `http://` endpoint on a non-loopback host is refused before
//!   anything is sent anywhere;
//! - the release build refuses gRPC clients without the certificate
//!   Terraform announced.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use serde_json::Value as Json;
use terraform_provider_dbs::alibaba::signing::{canonical_query, string_to_sign};
use terraform_provider_dbs::emulator::{EmulatorConfig, TaskSource};
use terraform_provider_dbs::plugin::wire::tfplugin6::{
    self as wire, provider_client::ProviderClient,
};

use crate::common::emulator::{sample_fixture, RunningEmulator};
use crate::common::plugin::{
    spawn_plugin_binary, started_like_terraform, ClientIdentity, PluginProcess, Presented,
};
use crate::common::recorder::Recorder;
use crate::common::release::release_binary;
use crate::common::secrets::spellings;
use crate::common::terraform::{matrix, Tf, TfOutput, Workspace};

const ACCESS_KEY: &str = "LTAI5tSecurityTestKeyId";
const SECRET: &str = "sEcReT-0f-the-security-test-Zq9x";
const WRONG_SECRET: &str = "wr0ng-SeCrEt-0f-the-security-test-Kp2";
/// Shaped like a real STS token: base64, so `+`, `/` and `=` get encoded.
const TOKEN: &str = "CAIS+t0ken/0f-the-security-test==";

use crate::common::terraform::REQUIRED_PROVIDERS as HEADER;

const READ_ALL: &str = r#"
data "dbs_restore_tasks" "all" {
  output_file = "${path.module}/tasks.json"
}
output "names" { value = data.dbs_restore_tasks.all.names }
"#;

/// Where the provider gets its credentials from.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// `access_key`, `secret_key`, `security_token` in the provider block.
    Attributes,
    /// `ALIBABA_CLOUD_ACCESS_KEY_ID`, `..._SECRET`, `..._SECURITY_TOKEN`.
    Environment,
}

/// The emulator, requiring the STS token on every request.
fn sts_emulator() -> RunningEmulator {
    RunningEmulator::start_with(EmulatorConfig {
        tasks: TaskSource::Fixture(sample_fixture()),
        access_key_id: ACCESS_KEY.into(),
        access_key_secret: SECRET.into(),
        security_token: Some(TOKEN.into()),
        ..EmulatorConfig::default()
    })
}

fn socket_addr(url: &str) -> SocketAddr {
    url.trim_start_matches("http://").parse().unwrap()
}

/// A traced workspace signing with `secret` (plus the token) from `source`.
fn traced_workspace(tf: Tf, source: Source, endpoint: &str, secret: &str) -> Workspace {
    let provider = match source {
        Source::Attributes => format!(
            "provider \"dbs\" {{\n  region = \"cn-hangzhou\"\n  endpoint = {endpoint:?}\n  \
             access_key = {ACCESS_KEY:?}\n  secret_key = {secret:?}\n  security_token = {TOKEN:?}\n}}\n"
        ),
        Source::Environment => "provider \"dbs\" {}\n".to_string(),
    };
    let ws = Workspace::new(tf, &format!("{HEADER}{provider}{READ_ALL}"))
        .env("TF_LOG", "trace")
        .env("TF_LOG_PROVIDER", "trace");
    match source {
        Source::Attributes => ws,
        Source::Environment => ws
            .env("ALIBABA_CLOUD_REGION", "cn-hangzhou")
            .env("ALIBABA_CLOUD_ENDPOINT_DBS", endpoint)
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", ACCESS_KEY)
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret)
            .env("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN),
    }
}

/// Everything a user or a CI log could see after a run.
fn everything_visible(ws: &Workspace, run: &TfOutput) -> Vec<(String, String)> {
    let mut seen = vec![
        ("terraform stdout".to_string(), run.stdout.clone()),
        (
            "terraform stderr (with provider logs)".to_string(),
            run.stderr.clone(),
        ),
    ];
    let outputs = ws.run(&["output", "-json"]);
    seen.push(("terraform output -json".to_string(), outputs.all()));
    for file in [
        "terraform.tfstate",
        "terraform.tfstate.backup",
        "tasks.json",
    ] {
        if let Ok(text) = std::fs::read_to_string(ws.path().join(file)) {
            seen.push((file.to_string(), text));
        }
    }
    seen
}

fn assert_nothing_leaks(what: &str, seen: &[(String, String)], secrets: &[&str]) {
    for (place, text) in seen {
        assert!(
            !text.contains("Signature="),
            "{what}: `Signature=` in {place}"
        );
        for secret in secrets {
            for spelling in spellings(secret) {
                let lines: Vec<&str> = text.lines().filter(|l| l.contains(&spelling)).collect();
                assert!(
                    lines.is_empty(),
                    "{what}: {spelling:?} (a secret) in {place}:\n{}",
                    lines.join("\n")
                );
            }
        }
    }
}

/// The provider's own log lines made it into Terraform's stderr, so a leak
/// through them would have been seen.
fn assert_provider_traced(what: &str, run: &TfOutput) {
    assert!(
        run.stderr.contains("provider.terraform-provider-dbs")
            && run.stderr.contains("ConfigureProvider from Terraform"),
        "{what}: no provider log lines under TF_LOG=trace:\n{}",
        run.stderr
    );
}

#[test]
fn trace_logs_state_and_files_hold_no_secret_token_or_signature() {
    let emulator = sts_emulator();
    for tf in matrix() {
        for source in [Source::Attributes, Source::Environment] {
            let what = format!("{tf:?} {source:?}");
            let wire = Recorder::forwarding_to(socket_addr(&emulator.url()));

            let ws = traced_workspace(tf, source, &wire.url(), SECRET);
            let run = ws.run(&["apply", "-auto-approve", "-no-color", "-input=false"]);
            assert!(run.success, "{what}: apply failed\n{}", run.all());
            assert_provider_traced(&what, &run);
            let names: Json =
                serde_json::from_str(&ws.run(&["output", "-json"]).ok().stdout).unwrap();
            assert_eq!(names["names"]["value"].as_array().map(Vec::len), Some(12));
            let signatures = wire.form_values("Signature");
            assert!(!signatures.is_empty(), "{what}: no signed request recorded");
            assert_eq!(wire.form_values("SecurityToken")[0], TOKEN, "{what}");
            let mut secrets = vec![SECRET, TOKEN];
            secrets.extend(signatures.iter().map(String::as_str));
            let seen = everything_visible(&ws, &run);
            for file in ["terraform.tfstate", "tasks.json"] {
                assert!(
                    seen.iter().any(|(place, _)| place == file),
                    "{what}: no {file} to check"
                );
            }
            assert_nothing_leaks(&what, &seen, &secrets);

            let failing = traced_workspace(tf, source, &wire.url(), WRONG_SECRET);
            let run = failing.run(&["apply", "-auto-approve", "-no-color", "-input=false"]);
            assert!(!run.success, "{what}: a wrong secret must fail");
            assert!(
                run.all().contains("SignatureDoesNotMatch"),
                "{what}: {}",
                run.all()
            );
            assert_provider_traced(&what, &run);
            let signatures = wire.form_values("Signature");
            let mut secrets = vec![SECRET, WRONG_SECRET, TOKEN];
            secrets.extend(signatures.iter().map(String::as_str));
            assert_nothing_leaks(&what, &everything_visible(&failing, &run), &secrets);
        }
    }
}

/// A gateway that refuses every signature the way Alibaba's does: its
/// message quotes the server's string-to-sign, which holds every parameter
/// but the signature, the `SecurityToken` included.
fn real_mismatch_gateway(runtime: &tokio::runtime::Runtime) -> String {
    use axum::http::{header, StatusCode};
    use axum::response::Response;

    async fn refuse(body: String) -> Response<axum::body::Body> {
        let url = reqwest::Url::parse(&format!("http://x/?{body}")).unwrap();
        let params: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != "Signature")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let to_sign = string_to_sign("POST", &canonical_query(&params));
        let request_id = "0B0D1F5C-7A61-4E0B-9C4B-2B1C1F0E9A11";
        let answer = serde_json::json!({
            "RequestId": request_id,
            "HostId": "dbs-api.cn-hangzhou.aliyuncs.com",
            "Code": "SignatureDoesNotMatch",
            "Message": format!(
                "Specified signature is not matched with our calculation. server string to sign is:{}",
                to_sign.as_str()
            ),
            "Recommend": "https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch&product=Dbs",
        });
        Response::builder()
            .status(StatusCode::BAD_REQUEST)
            .header(header::CONTENT_TYPE, "application/json;charset=utf-8")
            .header("x-acs-request-id", request_id)
            .body(axum::body::Body::from(answer.to_string()))
            .unwrap()
    }

    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move {
        let router = axum::Router::new().fallback(refuse);
        let _ = axum::serve(listener, router).await;
    });
    url
}

#[test]
fn a_real_signature_mismatch_answer_does_not_leak_the_token() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let gateway = real_mismatch_gateway(&runtime);
    for tf in matrix() {
        let what = format!("{tf:?}");
        let ws = traced_workspace(tf, Source::Attributes, &gateway, SECRET);
        let run = ws.run(&["apply", "-auto-approve", "-no-color", "-input=false"]);
        assert!(!run.success, "{what}: the gateway refuses everything");
        assert!(
            run.all().contains("SignatureDoesNotMatch"),
            "{what}: {}",
            run.all()
        );
        assert_nothing_leaks(&what, &everything_visible(&ws, &run), &[SECRET, TOKEN]);
    }
}

/// A provider block with `settings`, credentials from the environment.
fn endpoint_workspace(tf: Tf, settings: &str, proxy: &Recorder) -> Workspace {
    let config = format!(
        "{HEADER}provider \"dbs\" {{\n{settings}\n}}\ndata \"dbs_restore_tasks\" \"all\" {{}}\n"
    );
    let mut ws = Workspace::new(tf, &config)
        .env("ALIBABA_CLOUD_REGION", "cn-hangzhou")
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", ACCESS_KEY)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET);
    // Anything that tries to leave the machine goes to the recording proxy
    // instead, which never passes it on.
    for var in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
        ws = ws
            .env(var, &proxy.url())
            .env(&var.to_ascii_lowercase(), &proxy.url());
    }
    ws
}

fn run_without_no_proxy(ws: &Workspace, args: &[&str]) -> TfOutput {
    let mut command = ws.command(args);
    command.env_remove("NO_PROXY").env_remove("no_proxy");
    TfOutput::from(command.output().unwrap())
}

fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn plain_http_to_a_remote_host_is_refused_before_any_traffic() {
    let proxy = Recorder::black_hole();
    let remote = "http://dbs.example.com";
    for tf in matrix() {
        let in_block = endpoint_workspace(tf, &format!("  endpoint = {remote:?}"), &proxy);
        for args in [
            &["validate", "-no-color"][..],
            &["plan", "-no-color", "-input=false"],
        ] {
            let out = run_without_no_proxy(&in_block, args);
            let text = flat(&out.all());
            assert!(!out.success, "{tf:?} {args:?}: {text}");
            for needle in [
                "Error: Invalid endpoint",
                "in provider \"dbs\"",
                "endpoint = \"http://dbs.example.com\"",
                "uses http:// for a non-loopback host",
            ] {
                assert!(
                    text.contains(needle),
                    "{tf:?} {args:?}: {needle:?} not in {text}"
                );
            }
        }
        let in_env = endpoint_workspace(tf, "", &proxy).env("ALIBABA_CLOUD_ENDPOINT_DBS", remote);
        let out = run_without_no_proxy(&in_env, &["plan", "-no-color", "-input=false"]);
        let text = flat(&out.all());
        assert!(!out.success, "{tf:?}: {text}");
        assert!(text.contains("Error: Invalid endpoint"), "{tf:?}: {text}");
        assert!(text.contains("non-loopback host"), "{tf:?}: {text}");
    }
    assert_eq!(
        proxy.connections(),
        0,
        "traffic went out: {:?}",
        proxy.sent()
    );

    // Control: an allowed (https) endpoint does go out, through the proxy,
    // which is how the refusals above would have been caught. The proxy
    // answers nothing, so nothing reaches the named host.
    let allowed = endpoint_workspace(
        Tf::V1_0_3,
        "  endpoint = \"https://dbs.example.com\"\n  max_retries = 0\n  request_timeout = 1",
        &proxy,
    );
    let out = run_without_no_proxy(&allowed, &["plan", "-no-color", "-input=false"]);
    assert!(!out.success, "{}", out.all());
    let sent = proxy.sent().concat();
    assert!(sent.contains("CONNECT dbs.example.com:443"), "{sent:?}");
}

/// GetMetadata over a channel presenting `presented`; any failure (TLS,
/// transport or status) is an error.
async fn metadata(
    served: &PluginProcess,
    presented: Presented<'_>,
) -> Result<wire::get_metadata::Response, String> {
    let channel = served.connect(presented).await.map_err(|e| e.to_string())?;
    let mut client = ProviderClient::new(channel);
    let call = client.get_metadata(wire::get_metadata::Request {});
    match tokio::time::timeout(Duration::from_secs(10), call).await {
        Ok(Ok(response)) => Ok(response.into_inner()),
        Ok(Err(status)) => Err(status.to_string()),
        Err(_) => Err("no answer within 10 s".to_string()),
    }
}

#[test]
fn release_zip_binary_refuses_clients_without_the_announced_certificate() {
    let binary = release_binary();
    let version = Command::new(&binary).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("terraform-provider-dbs {}", env!("CARGO_PKG_VERSION")),
        "{} is not this version's build",
        binary.display()
    );

    // Without a certificate to expect, it refuses to serve at all.
    let refused = started_like_terraform(&binary)
        .env_remove("PLUGIN_CLIENT_CERT")
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("PLUGIN_CLIENT_CERT"));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let served = spawn_plugin_binary(&binary, &[]);
    runtime.block_on(async {
        assert!(
            metadata(&served, Presented::Nothing).await.is_err(),
            "a client without a certificate got an answer"
        );
        let stranger = ClientIdentity::terraform_like();
        assert!(
            metadata(&served, Presented::The(&stranger)).await.is_err(),
            "a client with another certificate got an answer"
        );
        // The refusals are the provider's choice, not a broken binary.
        let answer = metadata(&served, Presented::The(&served.identity))
            .await
            .expect("the announced certificate is accepted");
        assert_eq!(answer.data_sources[0].type_name, "dbs_restore_tasks");
    });
}
