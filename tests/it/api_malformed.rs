//! Unreadable answers — malformed JSON, an HTML 502 page, a truncated body — each end in a typed
//! error carrying whatever RequestId exists, never a panic.

use crate::common::api_support as support;

use support::{client, config, emulator, list};
use terraform_provider_dbs::alibaba::{ClientConfig, ClientError};
use terraform_provider_dbs::emulator::Faults;

#[tokio::test]
async fn each_kind_of_garbage_is_a_typed_error() {
    // The emulator rotates its garbage: truncated JSON (200), HTML 502, invalid JSON (200).
    let emu = emulator(
        10,
        Faults {
            malformed_rate: 1.0,
            ..Faults::default()
        },
    )
    .await;
    let c = client(ClientConfig {
        max_retries: 0,
        ..config(&emu.url())
    });

    let truncated = list(&c, 10).await.unwrap_err();
    match &truncated {
        ClientError::Malformed {
            http_status: 200,
            request_id: Some(_),
            detail,
            ..
        } => {
            assert!(detail.contains("end of input"), "{detail}");
        }
        other => panic!("truncated JSON: {other:?}"),
    }

    let html = list(&c, 10).await.unwrap_err();
    match &html {
        // A load balancer's page carries no RequestId; none is invented.
        ClientError::Malformed {
            http_status: 502,
            request_id: None,
            detail,
            ..
        } => {
            assert!(detail.contains("text/html"), "{detail}");
        }
        other => panic!("HTML 502: {other:?}"),
    }
    assert!(html.retryable(), "a 502 is worth retrying");

    let invalid = list(&c, 10).await.unwrap_err();
    assert!(
        matches!(
            &invalid,
            ClientError::Malformed {
                http_status: 200,
                request_id: Some(_),
                ..
            }
        ),
        "invalid JSON: {invalid:?}"
    );
    for err in [&truncated, &html, &invalid] {
        let text = err.to_string();
        assert!(text.contains("unreadable answer"), "{text}");
    }
    assert!(truncated.to_string().contains("RequestId"));
    assert_eq!(emu.request_count(), 3);
    emu.shutdown().await;
}

#[tokio::test]
async fn an_html_502_is_retried_and_then_reported() {
    let emu = emulator(
        10,
        Faults {
            malformed_rate: 1.0,
            ..Faults::default()
        },
    )
    .await;
    let c = client(ClientConfig {
        max_retries: 4,
        ..config(&emu.url())
    });
    // First answer: truncated 200, not retried.
    let _ = list(&c, 10).await.unwrap_err();
    // Second: HTML 502, retried; its retry gets invalid JSON (200), which ends the attempts.
    let err = list(&c, 10).await.unwrap_err();
    match err {
        ClientError::Malformed {
            http_status: 200,
            attempts: 2,
            ..
        } => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(emu.request_count(), 3);
    emu.shutdown().await;
}

#[tokio::test]
async fn occasional_garbage_under_retries_still_reads_everything_or_fails_cleanly() {
    let emu = emulator(
        200,
        Faults {
            malformed_rate: 0.2,
            seed: 5,
            ..Faults::default()
        },
    )
    .await;
    let c = client(config(&emu.url()));
    // A truncated or invalid 200 is not in the retryable set, so the read may fail; what matters
    // is that it either returns everything or a typed error, never a partial list.
    match list(&c, 10).await {
        Ok(tasks) => assert_eq!(tasks.len(), 200),
        Err(ClientError::Malformed { .. }) => {}
        Err(other) => panic!("{other:?}"),
    }
    emu.shutdown().await;
}
