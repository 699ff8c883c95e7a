//! Unreadable answers — malformed JSON, an HTML 502 page, a truncated body — each end in a typed
//! error carrying whatever RequestId exists, never a panic.

use crate::common::api_support as support;
use crate::common::emulator_requests::{faults, seeded};

use support::{client, client_with_retries, config, emulator, list};
use terraform_provider_dbs::alibaba::ClientError;
use terraform_provider_dbs::emulator::Emulator;

/// An emulator serving `count` tasks whose every answer is garbage, in its rotation: truncated
/// JSON (200), HTML 502, invalid JSON (200).
async fn all_garbage(count: usize) -> Emulator {
    emulator(count, faults(|f| f.malformed_rate = 1.0)).await
}

#[tokio::test]
async fn each_kind_of_garbage_is_a_typed_error() {
    let emu = all_garbage(10).await;
    let c = client_with_retries(&emu.url(), 0);

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
    let emu = all_garbage(10).await;
    let c = client_with_retries(&emu.url(), 4);
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

/// Seed 5 at 20 % makes requests 2, 4 and 5 malformed: first a truncated 200, which no retry may
/// paper over (a 200 is an answer, not a failure), so the whole read fails, whichever page it hit.
#[tokio::test]
async fn occasional_garbage_that_no_retry_fixes_fails_the_whole_read() {
    let emu = emulator(200, seeded(5, |f| f.malformed_rate = 0.2)).await;
    let c = client(config(&emu.url()));
    match list(&c, 10).await {
        Err(ClientError::Malformed {
            http_status: 200,
            request_id: Some(_),
            ..
        }) => {}
        other => panic!("expected the truncated page to fail the read: {other:?}"),
    }
    assert!(
        emu.request_count() < 20,
        "the read stopped at the failure, {} requests",
        emu.request_count()
    );
    emu.shutdown().await;
}

/// The other half: garbage that a retry can fix. The truncated 200 that opens the emulator's
/// rotation is used up first; then seed 130 at 20 % makes only request 4 malformed among the
/// next 21, and the second kind is an HTML 502, so the read retries it and returns everything.
#[tokio::test]
async fn occasional_garbage_that_a_retry_fixes_still_reads_everything() {
    let emu = all_garbage(200).await;
    let once = client_with_retries(&emu.url(), 0);
    assert!(matches!(
        list(&once, 100).await,
        Err(ClientError::Malformed {
            http_status: 200,
            ..
        })
    ));
    emu.set_faults(seeded(130, |f| f.malformed_rate = 0.2));
    let tasks = list(&client(config(&emu.url())), 10).await.unwrap();
    assert_eq!(tasks.len(), 200);
    // The spent request, 20 pages and the one retry of the 502.
    assert_eq!(emu.request_count(), 22);
    emu.shutdown().await;
}
