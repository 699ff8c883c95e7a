//! The profile modes that call out: `RamRoleArn` (STS AssumeRole) and `EcsRamRole` (instance
//! metadata), against tiny local servers on 127.0.0.1:0. The explicit/env/file precedence cases
//! are unit tests next to the code (`src/alibaba/credentials.rs`).

use crate::common::api_support as support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use terraform_provider_dbs::alibaba::signing::{canonical_query, sign, string_to_sign};
use terraform_provider_dbs::alibaba::{
    resolve_credentials, ClientConfig, CredentialError, ExplicitCredentials, ResolveOptions,
};
use terraform_provider_dbs::emulator::{Emulator, EmulatorConfig, TaskSource};

/// A server on 127.0.0.1:0 answering every request with `handler`; stops when dropped.
struct LocalServer {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

type Handler = Arc<dyn Fn(Method, Uri, Bytes) -> Response + Send + Sync>;

async fn serve(handler: Handler) -> LocalServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new().fallback(move |method: Method, uri: Uri, body: Bytes| {
        let handler = handler.clone();
        async move { handler(method, uri, body) }
    });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    LocalServer {
        url,
        stop: Some(stop),
    }
}

/// Decodes an `application/x-www-form-urlencoded` body.
fn form(body: &[u8]) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 3;
                }
                b'+' => {
                    out.push(b' ');
                    i += 1;
                }
                b => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8(out).unwrap()
    }
    std::str::from_utf8(body)
        .unwrap()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn json(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

const SOURCE_ID: &str = "source-id";
const SOURCE_SECRET: &str = "source-secret";
const ROLE_ARN: &str = "acs:ram::1234567890123456:role/dbs-reader";

/// A fake STS: checks the AssumeRole call (including its signature) and hands out `issued`.
fn sts(
    seen: Arc<Mutex<Vec<HashMap<String, String>>>>,
    issued: (String, String, String),
) -> Handler {
    Arc::new(move |method, _uri, body| {
        assert_eq!(method, Method::POST);
        let mut params = form(&body);
        let signature = params
            .iter()
            .position(|(k, _)| k == "Signature")
            .map(|i| params.remove(i).1)
            .unwrap_or_default();
        let expected = sign(
            &string_to_sign("POST", &canonical_query(&params)),
            SOURCE_SECRET,
        );
        let map: HashMap<String, String> = params.into_iter().collect();
        seen.lock().unwrap().push(map.clone());
        if signature != expected {
            return json(
                StatusCode::BAD_REQUEST,
                serde_json::json!({"RequestId":"STS-BAD","Code":"SignatureDoesNotMatch","Message":"bad signature"}),
            );
        }
        if map.get("RoleArn").map(String::as_str) != Some(ROLE_ARN) {
            return json(
                StatusCode::FORBIDDEN,
                serde_json::json!({"RequestId":"STS-RID-403","HostId":"sts.aliyuncs.com","Code":"NoPermission","Message":"You are not authorized to do this action."}),
            );
        }
        json(
            StatusCode::OK,
            serde_json::json!({
                "RequestId": "STS-RID",
                "AssumedRoleUser": {"Arn": ROLE_ARN, "AssumedRoleId": "3333:dbs"},
                "Credentials": {
                    "AccessKeyId": issued.0, "AccessKeySecret": issued.1, "SecurityToken": issued.2,
                    "Expiration": "2030-01-01T00:00:00Z"
                }
            }),
        )
    })
}

fn write_profiles(dir: &Path, profiles: serde_json::Value) -> PathBuf {
    let path = dir.join("config.json");
    let config = serde_json::json!({"current": "main", "profiles": profiles, "meta_path": ""});
    std::fs::write(&path, config.to_string()).unwrap();
    path
}

fn ram_role_arn_profile(role_arn: &str) -> serde_json::Value {
    serde_json::json!([{
        "name": "main", "mode": "RamRoleArn", "access_key_id": SOURCE_ID,
        "access_key_secret": SOURCE_SECRET, "sts_token": "", "ram_role_name": "",
        "ram_role_arn": role_arn, "ram_session_name": "tf-session", "expired_seconds": 900,
        "region_id": "cn-hangzhou"
    }])
}

fn options(
    file: &Path,
    sts: Option<&str>,
    metadata: Option<&str>,
) -> (ExplicitCredentials, ResolveOptions) {
    let explicit = ExplicitCredentials {
        shared_credentials_file: Some(file.to_owned()),
        ..ExplicitCredentials::default()
    };
    let env = [
        ("ALICLOUD_STS_ENDPOINT", sts),
        ("DBS_ECS_METADATA_ENDPOINT", metadata),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned())))
    .collect();
    let opts = ResolveOptions {
        env,
        ..ResolveOptions::default()
    };
    (explicit, opts)
}

#[tokio::test]
async fn ram_role_arn_assumes_the_role_with_a_signed_sts_call() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = serve(sts(
        seen.clone(),
        (
            "STS.issued".into(),
            "issued-secret".into(),
            "issued-token".into(),
        ),
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = write_profiles(dir.path(), ram_role_arn_profile(ROLE_ARN));
    let (explicit, opts) = options(&file, Some(&server.url), None);

    let creds = resolve_credentials(&explicit, &opts).await.unwrap();
    assert_eq!(creds.access_key_id, "STS.issued");
    assert_eq!(creds.access_key_secret, "issued-secret");
    assert_eq!(creds.security_token.as_deref(), Some("issued-token"));

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let call = &seen[0];
    for (key, value) in [
        ("Action", "AssumeRole"),
        ("Version", "2015-04-01"),
        ("AccessKeyId", SOURCE_ID),
        ("RoleArn", ROLE_ARN),
        ("RoleSessionName", "tf-session"),
        ("DurationSeconds", "900"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("Format", "JSON"),
    ] {
        assert_eq!(call.get(key).map(String::as_str), Some(value), "{key}");
    }
    assert!(call.contains_key("SignatureNonce") && call.contains_key("Timestamp"));
}

#[tokio::test]
async fn ram_role_arn_failure_names_code_and_request_id() {
    let server = serve(sts(
        Arc::new(Mutex::new(Vec::new())),
        ("x".into(), "y".into(), "z".into()),
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = write_profiles(
        dir.path(),
        ram_role_arn_profile("acs:ram::1234567890123456:role/other"),
    );
    let (explicit, opts) = options(&file, Some(&server.url), None);
    let err = resolve_credentials(&explicit, &opts).await.unwrap_err();
    assert!(matches!(err, CredentialError::Sts { .. }), "{err}");
    let text = err.to_string();
    for part in ["NoPermission", "STS-RID-403", "HTTP 403", "role/other"] {
        assert!(text.contains(part), "{part} not in {text}");
    }
    assert!(!text.contains(SOURCE_SECRET));
}

#[tokio::test]
async fn ram_role_arn_with_an_unreachable_sts_is_an_error() {
    // Bind then drop a listener: nothing listens on that port any more.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let file = write_profiles(dir.path(), ram_role_arn_profile(ROLE_ARN));
    let url = format!("http://127.0.0.1:{port}");
    let (explicit, opts) = options(&file, Some(&url), None);
    let err = resolve_credentials(&explicit, &opts).await.unwrap_err();
    assert!(err.to_string().contains("could not connect"), "{err}");
}

/// A fake ECS metadata service with one attached role.
fn metadata(role: &'static str, requests: Arc<Mutex<Vec<String>>>) -> Handler {
    Arc::new(move |method, uri, _body| {
        assert_eq!(method, Method::GET);
        let path = uri.path().to_owned();
        requests.lock().unwrap().push(path.clone());
        let base = "/latest/meta-data/ram/security-credentials/";
        if path == base {
            return (StatusCode::OK, role).into_response();
        }
        if path == format!("{base}{role}") {
            return json(
                StatusCode::OK,
                serde_json::json!({
                    "AccessKeyId": "STS.ecs", "AccessKeySecret": "ecs-secret",
                    "Expiration": "2030-01-01T00:00:00Z", "SecurityToken": "ecs-token",
                    "LastUpdated": "2029-12-31T18:00:00Z", "Code": "Success"
                }),
            );
        }
        (StatusCode::NOT_FOUND, "Not Found").into_response()
    })
}

fn ecs_profile(role: &str) -> serde_json::Value {
    serde_json::json!([{"name": "main", "mode": "EcsRamRole", "ram_role_name": role, "region_id": "cn-hangzhou"}])
}

#[tokio::test]
async fn ecs_ram_role_discovers_the_role_name_when_missing() {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let server = serve(metadata("EcsDbsRole", requests.clone())).await;
    let dir = tempfile::tempdir().unwrap();
    let file = write_profiles(dir.path(), ecs_profile(""));
    let (explicit, opts) = options(&file, None, Some(&server.url));
    let creds = resolve_credentials(&explicit, &opts).await.unwrap();
    assert_eq!(creds.access_key_id, "STS.ecs");
    assert_eq!(creds.security_token.as_deref(), Some("ecs-token"));
    assert_eq!(
        *requests.lock().unwrap(),
        [
            "/latest/meta-data/ram/security-credentials/",
            "/latest/meta-data/ram/security-credentials/EcsDbsRole"
        ]
    );
}

#[tokio::test]
async fn ecs_ram_role_uses_the_named_role_directly() {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let server = serve(metadata("EcsDbsRole", requests.clone())).await;
    let dir = tempfile::tempdir().unwrap();
    let file = write_profiles(dir.path(), ecs_profile("EcsDbsRole"));
    let (explicit, opts) = options(&file, None, Some(&server.url));
    let creds = resolve_credentials(&explicit, &opts).await.unwrap();
    assert_eq!(creds.access_key_secret, "ecs-secret");
    assert_eq!(requests.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn ecs_ram_role_with_an_unknown_role_is_an_error() {
    let server = serve(metadata("EcsDbsRole", Arc::new(Mutex::new(Vec::new())))).await;
    let dir = tempfile::tempdir().unwrap();
    let file = write_profiles(dir.path(), ecs_profile("SomeOtherRole"));
    let (explicit, opts) = options(&file, None, Some(&server.url));
    let err = resolve_credentials(&explicit, &opts).await.unwrap_err();
    assert!(matches!(err, CredentialError::Metadata { .. }), "{err}");
    assert!(err.to_string().contains("HTTP 404"), "{err}");
}

#[tokio::test]
async fn assumed_role_credentials_work_against_the_emulator() {
    // The emulator trusts exactly the temporary credentials our fake STS issues.
    let emu = Emulator::start(EmulatorConfig {
        tasks: TaskSource::Generated { count: 42, seed: 9 },
        access_key_id: "STS.temp".into(),
        access_key_secret: "temp-secret".into(),
        security_token: Some("temp-token".into()),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let server = serve(sts(
        Arc::new(Mutex::new(Vec::new())),
        ("STS.temp".into(), "temp-secret".into(), "temp-token".into()),
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = write_profiles(dir.path(), ram_role_arn_profile(ROLE_ARN));
    let (explicit, opts) = options(&file, Some(&server.url), None);
    let creds = resolve_credentials(&explicit, &opts).await.unwrap();

    let c = support::client(ClientConfig {
        credentials: creds.into(),
        ..support::config(&emu.url())
    });
    assert_eq!(support::list(&c, 10).await.unwrap().len(), 42);
    emu.shutdown().await;
}
