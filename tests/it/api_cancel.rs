//! A read cancelled midway returns `Cancelled` within one second, wherever it is: waiting for a
//! slow answer, in the middle of concurrent pages, or sleeping in a backoff.

use crate::common::api_support as support;

use std::time::{Duration, Instant};

use support::{client, config, emulator};
use terraform_provider_dbs::alibaba::{
    Backoff, ClientConfig, ClientError, DbsClient, RestoreTaskQuery,
};
use terraform_provider_dbs::emulator::Faults;
use tokio_util::sync::CancellationToken;

/// Starts a read, waits until the emulator has seen `requests` requests, cancels, and returns how
/// long the read took to give up after the cancel.
async fn cancel_after(
    c: DbsClient,
    emu: &terraform_provider_dbs::emulator::Emulator,
    requests: u64,
) -> Duration {
    let token = CancellationToken::new();
    let read = {
        let token = token.clone();
        tokio::spawn(async move {
            let query = RestoreTaskQuery {
                page_size: 10,
                ..RestoreTaskQuery::default()
            };
            c.list_restore_tasks(&query, &token).await
        })
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while emu.request_count() < requests {
        assert!(Instant::now() < deadline, "the read never got going");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let cancelled_at = Instant::now();
    token.cancel();
    let result = read.await.unwrap();
    let took = cancelled_at.elapsed();
    assert!(matches!(result, Err(ClientError::Cancelled)), "{result:?}");
    took
}

#[tokio::test]
async fn cancelled_midway_through_pages_returns_within_a_second() {
    let emu = emulator(
        1000,
        Faults {
            latency: Duration::from_millis(200),
            ..Faults::default()
        },
    )
    .await;
    let took = cancel_after(client(config(&emu.url())), &emu, 6).await;
    assert!(took < Duration::from_secs(1), "took {took:?}");
    emu.shutdown().await;
}

#[tokio::test]
async fn cancelled_while_a_request_hangs_returns_within_a_second() {
    let emu = emulator(
        10,
        Faults {
            stall_rate: 1.0,
            ..Faults::default()
        },
    )
    .await;
    let c = client(ClientConfig {
        request_timeout: Duration::from_secs(30),
        ..config(&emu.url())
    });
    let took = cancel_after(c, &emu, 1).await;
    assert!(took < Duration::from_secs(1), "took {took:?}");
    emu.shutdown().await;
}

#[tokio::test]
async fn cancelled_during_backoff_returns_within_a_second() {
    let emu = emulator(
        10,
        Faults {
            throttle_rate: 1.0,
            ..Faults::default()
        },
    )
    .await;
    let c = DbsClient::new(config(&emu.url()))
        .unwrap()
        .with_backoff(Backoff {
            base: Duration::from_secs(20),
            cap: Duration::from_secs(20),
        });
    let took = cancel_after(c, &emu, 1).await;
    assert!(took < Duration::from_secs(1), "took {took:?}");
    emu.shutdown().await;
}
