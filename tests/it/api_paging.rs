//! Exactly-once paging against the emulator over real HTTP, with throttling and either page base.

use crate::common::api_support as support;

use std::collections::HashSet;

use support::{client, config, emulator, ids, list, list_matching};
use terraform_provider_dbs::emulator::Faults;

/// The API order of `count` generated tasks, read from a well-behaved emulator page by page.
async fn reference_order(count: usize) -> Vec<String> {
    let clean = emulator(count, Faults::default()).await;
    let c = client(config(&clean.url()));
    let order = ids(&list(&c, 100).await.unwrap());
    clean.shutdown().await;
    assert_eq!(order.len(), count);
    order
}

async fn throttled_read(one_based: bool) {
    let expected = reference_order(1000).await;
    let emu = emulator(
        1000,
        Faults {
            throttle_rate: 0.3,
            one_based_paging: one_based,
            seed: 42,
            ..Faults::default()
        },
    )
    .await;
    let c = client(config(&emu.url()));
    let tasks = list(&c, 10).await.unwrap();
    let got = ids(&tasks);

    assert_eq!(got.len(), 1000, "every task");
    assert_eq!(got.iter().collect::<HashSet<_>>().len(), 1000, "once each");
    assert_eq!(got, expected, "in API order");
    // 100 pages were needed; the throttled ones were asked again.
    let requests = emu.request_count();
    assert!(requests > 100, "throttling happened: {requests} requests");
    emu.shutdown().await;
}

#[tokio::test]
async fn thousand_tasks_with_30_percent_throttling_zero_based() {
    throttled_read(false).await;
}

#[tokio::test]
async fn thousand_tasks_with_30_percent_throttling_one_based() {
    throttled_read(true).await;
}

#[tokio::test]
async fn one_based_server_costs_no_extra_request() {
    let emu = emulator(
        95,
        Faults {
            one_based_paging: true,
            ..Faults::default()
        },
    )
    .await;
    let c = client(config(&emu.url()));
    assert_eq!(list(&c, 10).await.unwrap().len(), 95);
    assert_eq!(emu.request_count(), 10, "pages 0 (served as 1), 2..=10");
    emu.shutdown().await;
}

#[tokio::test]
async fn sequential_and_concurrent_reads_agree() {
    let emu = emulator(230, Faults::default()).await;
    let mut results = Vec::new();
    for concurrency in [1, 3, 8] {
        let c = client(support::ClientConfigExt::with_concurrency(
            config(&emu.url()),
            concurrency,
        ));
        results.push(ids(&list(&c, 25).await.unwrap()));
    }
    assert_eq!(results[0].len(), 230);
    assert!(results.iter().all(|r| *r == results[0]));
    emu.shutdown().await;
}

#[tokio::test]
async fn empty_result() {
    let emu = emulator(0, Faults::default()).await;
    let c = client(config(&emu.url()));
    assert!(list(&c, 100).await.unwrap().is_empty());
    assert_eq!(emu.request_count(), 1);
    emu.shutdown().await;
}

#[tokio::test]
async fn filters_reach_the_server() {
    use terraform_provider_dbs::alibaba::RestoreTaskQuery;

    let emu = emulator(60, Faults::default()).await;
    let c = client(config(&emu.url()));
    let all = list(&c, 100).await.unwrap();
    let wanted: Vec<String> = ids(&all).into_iter().step_by(7).collect();
    let query = RestoreTaskQuery {
        restore_task_ids: wanted.clone(),
        page_size: 3,
        ..RestoreTaskQuery::default()
    };
    let got = list_matching(&c, &query).await.unwrap();
    assert_eq!(ids(&got), wanted);

    let plan = all[0].backup_plan_id.clone().unwrap();
    let query = RestoreTaskQuery {
        backup_plan_id: Some(plan.clone()),
        page_size: 5,
        ..RestoreTaskQuery::default()
    };
    let got = list_matching(&c, &query).await.unwrap();
    let expected: Vec<_> = all
        .iter()
        .filter(|t| t.backup_plan_id.as_deref() == Some(&plan))
        .cloned()
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);
    emu.shutdown().await;
}
