//! A read cancelled midway returns `Cancelled`, wherever it is: waiting for a slow answer, in the
//! middle of concurrent pages, or sleeping in a backoff. Each case would otherwise go on for 20 s
//! or more, so the 10 s bounds below are generous on a slow CI and still prove the cancel; the
//! midway case also checks by event order that no page is sent after the cancel.

use crate::common::api_support as support;
use crate::common::emulator_requests::faults;

use std::time::{Duration, Instant};

use support::{client, config, emulator};
use terraform_provider_dbs::alibaba::{
    Backoff, ClientConfig, ClientError, DbsClient, RestoreTaskQuery,
};
use tokio_util::sync::CancellationToken;

/// Starts a read, waits until the emulator has seen `requests` requests, cancels, and returns how
/// long the read took to give up after the cancel and how many requests had arrived by then.
async fn cancel_after(
    c: DbsClient,
    emu: &terraform_provider_dbs::emulator::Emulator,
    requests: u64,
) -> (Duration, u64) {
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
    let seen = emu.request_count();
    token.cancel();
    let result = read.await.unwrap();
    let took = cancelled_at.elapsed();
    assert!(matches!(result, Err(ClientError::Cancelled)), "{result:?}");
    (took, seen)
}

#[tokio::test]
async fn cancelled_midway_through_pages_returns_and_sends_nothing_more() {
    let emu = emulator(1000, faults(|f| f.latency = Duration::from_millis(200))).await;
    // 100 pages of 0.2 s, 4 at a time: about 5 s left when the cancel comes.
    let (took, seen) = cancel_after(client(config(&emu.url())), &emu, 6).await;
    assert!(took < Duration::from_secs(10), "took {took:?}");
    // Wait as long as two more pages would take: none may arrive, beyond the ones already on the
    // wire when the cancel came (at most `max_concurrency` of them).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = emu.request_count();
    assert!(
        after <= seen + 4,
        "{seen} requests at the cancel, {after} after"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn cancelled_while_a_request_hangs_returns() {
    let emu = emulator(10, faults(|f| f.stall_rate = 1.0)).await;
    let c = client(ClientConfig {
        request_timeout: Duration::from_secs(30),
        ..config(&emu.url())
    });
    let (took, _) = cancel_after(c, &emu, 1).await;
    assert!(took < Duration::from_secs(10), "took {took:?}");
    emu.shutdown().await;
}

#[tokio::test]
async fn cancelled_during_backoff_returns() {
    let emu = emulator(10, faults(|f| f.throttle_rate = 1.0)).await;
    let c = DbsClient::new(config(&emu.url()))
        .unwrap()
        .with_backoff(Backoff {
            base: Duration::from_secs(20),
            cap: Duration::from_secs(20),
        });
    let (took, _) = cancel_after(c, &emu, 1).await;
    assert!(took < Duration::from_secs(10), "took {took:?}");
    emu.shutdown().await;
}
