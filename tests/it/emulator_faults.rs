//! Each fault flag, observed from the client side over real HTTP, plus the promises around them:
//! deterministic choice, changeable at run time, and a shutdown that stalled requests cannot hold.

use crate::common::emulator_requests;

use std::time::{Duration, Instant};

use emulator_requests::{faults, generated, start, Call};
use terraform_provider_dbs::emulator::{EmulatorConfig, Faults, TaskSource};

async fn with_faults(f: Faults) -> terraform_provider_dbs::emulator::Emulator {
    start(EmulatorConfig {
        tasks: TaskSource::Generated { count: 40, seed: 3 },
        faults: f,
        ..EmulatorConfig::default()
    })
    .await
}

/// Sends a correct request and returns what the raw HTTP exchange looked like.
async fn raw(
    emulator: &terraform_provider_dbs::emulator::Emulator,
    client: &reqwest::Client,
) -> Raw {
    let pairs = Call::new().param("PageSize", 40).signed();
    let url = format!(
        "{}/?{}",
        emulator.url(),
        terraform_provider_dbs::alibaba::signing::encode_pairs(&pairs)
    );
    match client.get(url).send().await {
        Err(e) => Raw::NoAnswer(e),
        Ok(response) => {
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let declared = response.content_length();
            let mut response = response;
            let mut body = Vec::new();
            loop {
                match response.chunk().await {
                    Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                    Ok(None) => {
                        return Raw::Answer {
                            status,
                            content_type,
                            body: String::from_utf8_lossy(&body).into_owned(),
                        }
                    }
                    Err(error) => {
                        return Raw::BodyFailed {
                            status,
                            declared,
                            received: body.len(),
                            error,
                        }
                    }
                }
            }
        }
    }
}

#[derive(Debug)]
enum Raw {
    NoAnswer(reqwest::Error),
    BodyFailed {
        status: u16,
        declared: Option<u64>,
        received: usize,
        error: reqwest::Error,
    },
    Answer {
        status: u16,
        content_type: String,
        body: String,
    },
}

fn answer(raw: Raw) -> (u16, String, String) {
    match raw {
        Raw::Answer {
            status,
            content_type,
            body,
        } => (status, content_type, body),
        other => panic!("expected a whole answer, got {other:?}"),
    }
}

#[tokio::test]
async fn throttling_answers_the_real_error_shape() {
    let emulator = with_faults(faults(|f| f.throttle_rate = 1.0)).await;
    let client = emulator_requests::client();
    for _ in 0..3 {
        let (status, _, body) = answer(raw(&emulator, &client).await);
        assert_eq!(status, 400);
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["Code"], "Throttling.User");
        assert!(body["RequestId"].is_string());
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn server_errors_alternate_503_and_500() {
    let emulator = with_faults(faults(|f| f.server_error_rate = 1.0)).await;
    let client = emulator_requests::client();
    let mut seen = Vec::new();
    for _ in 0..4 {
        let (status, _, body) = answer(raw(&emulator, &client).await);
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        seen.push((status, body["Code"].as_str().unwrap().to_owned()));
    }
    let expected = [(503, "ServiceUnavailable"), (500, "InternalError")];
    for (i, (status, code)) in seen.iter().enumerate() {
        assert_eq!((*status, code.as_str()), expected[i % 2]);
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn malformed_answers_cycle_through_three_kinds_of_garbage() {
    let emulator = with_faults(faults(|f| f.malformed_rate = 1.0)).await;
    let client = emulator_requests::client();

    let (status, content_type, body) = answer(raw(&emulator, &client).await);
    assert_eq!(status, 200);
    assert!(content_type.starts_with("application/json"));
    assert!(
        serde_json::from_str::<serde_json::Value>(&body).is_err(),
        "truncated"
    );
    assert!(
        body.starts_with("{\"RequestId\":\""),
        "the RequestId survives: {body}"
    );

    let (status, content_type, body) = answer(raw(&emulator, &client).await);
    assert_eq!(status, 502);
    assert!(content_type.starts_with("text/html"));
    assert!(body.contains("502 Bad Gateway"));

    let (status, _, body) = answer(raw(&emulator, &client).await);
    assert_eq!(status, 200);
    assert!(
        serde_json::from_str::<serde_json::Value>(&body).is_err(),
        "invalid JSON"
    );
    assert!(body.contains("RequestId"));
    emulator.shutdown().await;
}

#[tokio::test]
async fn reset_sends_headers_and_part_of_the_body_then_drops() {
    let emulator = with_faults(faults(|f| f.reset_rate = 1.0)).await;
    let client = emulator_requests::client();
    match raw(&emulator, &client).await {
        Raw::BodyFailed {
            status,
            declared,
            received,
            error,
        } => {
            assert_eq!(status, 200);
            let declared = declared.expect("a Content-Length");
            assert!(declared > 1000, "{declared}");
            assert!(received > 0, "part of the body arrived");
            assert!((received as u64) < declared, "{received} of {declared}");
            assert!(error.is_body() || error.is_decode(), "{error:?}");
        }
        other => panic!("expected a body cut short, got {other:?}"),
    }
    // The emulator is fine afterwards.
    emulator.set_faults(Faults::default());
    assert_eq!(Call::new().send(&emulator).await.status, 200);
    emulator.shutdown().await;
}

#[tokio::test]
async fn stall_holds_the_request_until_the_client_gives_up() {
    let emulator = with_faults(faults(|f| f.stall_rate = 1.0)).await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    match raw(&emulator, &impatient).await {
        Raw::NoAnswer(error) => assert!(error.is_timeout(), "{error:?}"),
        other => panic!("expected no answer, got {other:?}"),
    }
    assert_eq!(emulator.request_count(), 1);
    emulator.shutdown().await;
}

#[tokio::test]
async fn shutdown_does_not_wait_for_stalled_requests() {
    let emulator = with_faults(faults(|f| f.stall_rate = 1.0)).await;
    let patient = reqwest::Client::builder().build().unwrap();
    let url = emulator.url();
    let pairs = Call::new().signed();
    let pending = tokio::spawn(async move {
        patient
            .get(format!(
                "{url}/?{}",
                terraform_provider_dbs::alibaba::signing::encode_pairs(&pairs)
            ))
            .send()
            .await
    });
    while emulator.request_count() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let started = Instant::now();
    emulator.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let outcome = tokio::time::timeout(Duration::from_secs(3), pending)
        .await
        .expect("the stalled client is released")
        .unwrap();
    assert!(
        outcome.is_err(),
        "a stalled request never gets an answer: {outcome:?}"
    );
}

#[tokio::test]
async fn latency_delays_every_answer() {
    let latency = Duration::from_millis(150);
    let emulator = with_faults(faults(|f| f.latency = latency)).await;
    let started = Instant::now();
    assert_eq!(Call::new().send(&emulator).await.status, 200);
    // A sleep never ends early, so this lower bound cannot flake.
    assert!(started.elapsed() >= latency);
    emulator.shutdown().await;
}

/// The outcome of request n, as a short label.
async fn pattern(seed: u64, n: usize) -> Vec<String> {
    let emulator = with_faults(faults(|f| {
        f.throttle_rate = 0.3;
        f.server_error_rate = 0.2;
        f.seed = seed;
    }))
    .await;
    let client = emulator_requests::client();
    let mut labels = Vec::new();
    for _ in 0..n {
        let (status, _, body) = answer(raw(&emulator, &client).await);
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        labels.push(format!(
            "{status} {}",
            body["Code"].as_str().unwrap_or("page")
        ));
    }
    emulator.shutdown().await;
    labels
}

#[tokio::test]
async fn fault_choice_is_reproducible_from_the_seed() {
    let a = pattern(42, 30).await;
    assert_eq!(a, pattern(42, 30).await);
    assert_ne!(a, pattern(43, 30).await);
    assert!(a.iter().any(|l| l == "200 page"));
    assert!(a.iter().any(|l| l.contains("Throttling.User")));
}

#[tokio::test]
async fn faults_change_at_run_time() {
    let emulator = generated(5).await;
    assert_eq!(Call::new().send(&emulator).await.status, 200);
    emulator.set_faults(faults(|f| f.throttle_rate = 1.0));
    assert_eq!(
        Call::new().send(&emulator).await.json()["Code"],
        "Throttling.User"
    );
    emulator.set_faults(faults(|f| f.one_based_paging = true));
    assert_eq!(Call::new().send(&emulator).await.json()["PageNum"], 1);
    emulator.shutdown().await;
}
