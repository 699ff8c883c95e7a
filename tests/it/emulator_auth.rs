//! The emulator's gateway checks over real HTTP: what a correctly signed request gets, and the
//! exact refusal for each way of getting it wrong.

use crate::common::emulator_requests;

use emulator_requests::{generated, send_pairs, start, Call};
use terraform_provider_dbs::emulator::{EmulatorConfig, TaskSource};
use time::Duration;

/// Asserts the gateway error shape and returns the parsed body.
fn gateway_error(reply: &emulator_requests::Reply, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(reply.status, status, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["Code"], code, "{}", reply.text);
    let request_id = body["RequestId"].as_str().expect("RequestId");
    assert!(!request_id.is_empty());
    assert_eq!(reply.request_id_header.as_deref(), Some(request_id));
    assert!(body["Message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(body["HostId"].is_string());
    assert!(
        body.get("Success").is_none(),
        "gateway errors are not DBS bodies"
    );
    body
}

/// Sets the parameter `name` of already signed `pairs` to `value`.
fn set(pairs: &mut [(String, String)], name: &str, value: &str) {
    for (k, v) in pairs.iter_mut() {
        if k == name {
            *v = value.into();
        }
    }
}

/// Sends `pairs` by `method` to a fresh emulator of `tasks` generated tasks, asserts that the
/// gateway refuses them with `status` and `code`, and returns the reply.
async fn refused_by_a_fresh_emulator(
    tasks: usize,
    method: &str,
    pairs: &[(String, String)],
    (status, code): (u16, &str),
) -> emulator_requests::Reply {
    let emulator = generated(tasks).await;
    let reply = send_pairs(&emulator.url(), method, pairs).await;
    gateway_error(&reply, status, code);
    emulator.shutdown().await;
    reply
}

#[tokio::test]
async fn a_signed_get_gets_a_page() {
    let emulator = generated(5).await;
    let reply = Call::new().send(&emulator).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.content_type.starts_with("application/json"));
    let body = reply.json();
    assert_eq!(body["Success"], true);
    assert_eq!(body["HttpStatusCode"], 200);
    assert_eq!(body["TotalElements"], 5);
    assert_eq!(body["PageNum"], 0);
    assert_eq!(reply.ids().len(), 5);
    assert_eq!(
        reply.request_id_header.as_deref(),
        body["RequestId"].as_str()
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_signed_post_form_gets_a_page() {
    let emulator = generated(5).await;
    let call = Call {
        method: "POST",
        ..Call::new()
    };
    let reply = call.send(&emulator).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.ids().len(), 5);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_get_signature_does_not_pass_as_post() {
    let pairs = Call::new().signed(); // signed for GET
    refused_by_a_fresh_emulator(1, "POST", &pairs, (400, "SignatureDoesNotMatch")).await;
}

#[tokio::test]
async fn wrong_secret_is_refused_without_echoing_the_signature() {
    let call = Call {
        secret: "not-the-secret".into(),
        ..Call::new()
    };
    let pairs = call.signed();
    let signature = &pairs.last().expect("signature").1;
    let reply = refused_by_a_fresh_emulator(1, "GET", &pairs, (400, "SignatureDoesNotMatch")).await;
    assert!(!reply.text.contains(signature.as_str()));
    assert!(!reply.text.contains("GET&%2F&"), "no string-to-sign");
    assert!(!reply.text.contains("emulator-secret"));
}

#[tokio::test]
async fn tampered_parameters_break_the_signature() {
    let mut pairs = Call::new().param("PageSize", 1).signed();
    set(&mut pairs, "PageSize", "2");
    refused_by_a_fresh_emulator(3, "GET", &pairs, (400, "SignatureDoesNotMatch")).await;
}

#[tokio::test]
async fn stale_and_future_timestamps_are_refused() {
    let emulator = generated(1).await;
    for skew in [Duration::minutes(-16), Duration::minutes(16)] {
        let mut call = Call::new();
        call.timestamp += skew;
        let reply = call.send(&emulator).await;
        gateway_error(&reply, 400, "InvalidTimeStamp.Expired");
    }
    let mut call = Call::new();
    call.timestamp -= Duration::minutes(10);
    assert_eq!(call.send(&emulator).await.status, 200, "inside the window");
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_malformed_timestamp_is_refused() {
    let mut pairs: Vec<(String, String)> = Call::new().signed();
    pairs.pop();
    set(&mut pairs, "Timestamp", "last tuesday");
    let pairs = terraform_provider_dbs::alibaba::signing::signed_parameters(
        "GET",
        pairs,
        "emulator-secret",
    );
    refused_by_a_fresh_emulator(1, "GET", &pairs, (400, "InvalidTimeStamp.Format")).await;
}

#[tokio::test]
async fn a_reused_nonce_is_refused() {
    let emulator = generated(1).await;
    let call = Call::new();
    assert_eq!(call.send(&emulator).await.status, 200);
    let mut again = call.clone();
    again.timestamp += Duration::seconds(1); // a different request, same nonce
    let reply = again.send(&emulator).await;
    gateway_error(&reply, 400, "SignatureNonceUsed");
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_unknown_access_key_is_refused() {
    let call = Call {
        access_key_id: "LTAI-someone-else".into(),
        ..Call::new()
    };
    let refusal = (404, "InvalidAccessKeyId.NotFound");
    refused_by_a_fresh_emulator(1, call.method, &call.signed(), refusal).await;
}

#[tokio::test]
async fn security_token_is_required_when_configured() {
    let emulator = start(EmulatorConfig {
        tasks: TaskSource::Generated { count: 2, seed: 1 },
        access_key_id: "STS.emulator".into(),
        security_token: Some("sts-token-value".into()),
        ..EmulatorConfig::default()
    })
    .await;
    let base = Call {
        access_key_id: "STS.emulator".into(),
        ..Call::new()
    };
    let reply = base.send(&emulator).await;
    gateway_error(&reply, 400, "MissingSecurityToken");

    let wrong = Call {
        security_token: Some("another-token".into()),
        nonce: emulator_requests::fresh_nonce(),
        ..base.clone()
    };
    let reply = wrong.send(&emulator).await;
    gateway_error(&reply, 400, "InvalidSecurityToken.MismatchWithAccessKey");
    assert!(!reply.text.contains("another-token") && !reply.text.contains("sts-token-value"));

    let right = Call {
        security_token: Some("sts-token-value".into()),
        nonce: emulator_requests::fresh_nonce(),
        ..base
    };
    assert_eq!(right.send(&emulator).await.status, 200);
    emulator.shutdown().await;
}

#[tokio::test]
async fn other_actions_versions_and_paths_are_refused() {
    let emulator = generated(1).await;
    let call = Call {
        action: "DescribeBackupPlanList".into(),
        ..Call::new()
    };
    gateway_error(&call.send(&emulator).await, 404, "InvalidAction.NotFound");

    let client = emulator_requests::client();
    let response = client
        .get(format!("{}/v2/tasks", emulator.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);

    let reply = send_pairs(&emulator.url(), "GET", &[]).await;
    let body = gateway_error(&reply, 400, "MissingParameter");
    assert!(body["Message"].as_str().unwrap().contains("Action"));
    emulator.shutdown().await;
}

#[tokio::test]
async fn every_request_is_counted() {
    let emulator = generated(1).await;
    assert_eq!(emulator.request_count(), 0);
    Call::new().send(&emulator).await;
    Call {
        secret: "wrong".into(),
        ..Call::new()
    }
    .send(&emulator)
    .await;
    send_pairs(&emulator.url(), "GET", &[]).await;
    assert_eq!(emulator.request_count(), 3);
    emulator.shutdown().await;
}
