//! Paging and filtering over real HTTP: the page-size rules, 0-based and 1-based servers, and
//! the server-side filters, against generated tasks and the sample fixture.

use crate::common::emulator_requests;

use std::collections::HashSet;

use emulator_requests::{faults, generated, get, sample, start, Call};
use terraform_provider_dbs::emulator::{EmulatorConfig, TaskSource};

/// Asserts the DBS business-error shape.
fn business_error(reply: &emulator_requests::Reply, http: u16, message_part: &str) {
    assert_eq!(reply.status, http, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["Success"], false);
    assert_eq!(body["ErrCode"], "InvalidParameter");
    assert_eq!(body["HttpStatusCode"], 400);
    assert!(body["RequestId"].is_string());
    assert!(
        body["ErrMessage"].as_str().unwrap().contains(message_part),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn page_size_defaults_to_30_and_must_be_1_to_100() {
    let emulator = generated(250).await;
    let reply = Call::new().send(&emulator).await;
    let body = reply.json();
    assert_eq!(body["PageSize"], 30);
    assert_eq!(body["TotalPages"], 9);
    assert_eq!(reply.ids().len(), 30);

    for size in [1, 100] {
        let reply = Call::new().param("PageSize", size).send(&emulator).await;
        assert_eq!(reply.ids().len(), size);
        assert_eq!(reply.json()["PageSize"], size);
    }
    for bad in ["0", "101", "-5", "ten"] {
        let reply = Call::new().param("PageSize", bad).send(&emulator).await;
        business_error(&reply, 400, "PageSize");
    }
    let reply = Call::new().param("PageNum", "-1").send(&emulator).await;
    business_error(&reply, 400, "PageNum");
    emulator.shutdown().await;
}

async fn walk(
    emulator: &terraform_provider_dbs::emulator::Emulator,
    first: u64,
    size: u64,
) -> Vec<String> {
    let mut all = Vec::new();
    let mut page = first;
    loop {
        let reply = get(emulator, &[("PageNum", &page), ("PageSize", &size)]).await;
        assert_eq!(reply.json()["PageNum"], page, "the page is echoed");
        let ids = reply.ids();
        if ids.is_empty() {
            break;
        }
        all.extend(ids);
        page += 1;
    }
    all
}

#[tokio::test]
async fn zero_based_pages_cover_everything_once() {
    let emulator = generated(95).await;
    let ids = walk(&emulator, 0, 10).await;
    assert_eq!(ids.len(), 95);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 95);
    let last = get(&emulator, &[("PageNum", &9), ("PageSize", &10)]).await;
    assert_eq!(last.ids().len(), 5);
    assert_eq!(last.json()["TotalPages"], 10);
    assert_eq!(last.json()["TotalElements"], 95);
    emulator.shutdown().await;
}

#[tokio::test]
async fn one_based_pages_cover_everything_once_and_echo_the_base() {
    let zero = generated(95).await;
    let one = start(EmulatorConfig {
        tasks: TaskSource::Generated { count: 95, seed: 7 },
        faults: faults(|f| f.one_based_paging = true),
        ..EmulatorConfig::default()
    })
    .await;
    let expected = walk(&zero, 0, 10).await;
    assert_eq!(walk(&one, 1, 10).await, expected, "same order, same tasks");

    // PageNum 0 is the first page on a 1-based server, and the echo says 1.
    let reply = get(&one, &[("PageNum", &0), ("PageSize", &10)]).await;
    assert_eq!(reply.json()["PageNum"], 1);
    assert_eq!(reply.ids(), expected[..10]);
    // No PageNum at all: the first page, echoed as 1 (0 on the documented base).
    assert_eq!(Call::new().send(&one).await.json()["PageNum"], 1);
    assert_eq!(Call::new().send(&zero).await.json()["PageNum"], 0);
    // On a 0-based server, PageNum 1 is the second page.
    let reply = get(&zero, &[("PageNum", &1), ("PageSize", &10)]).await;
    assert_eq!(reply.ids(), expected[10..20]);
    zero.shutdown().await;
    one.shutdown().await;
}

#[tokio::test]
async fn past_the_last_page_is_empty_not_an_error() {
    let emulator = generated(3).await;
    let reply = Call::new().param("PageNum", 50).send(&emulator).await;
    assert_eq!(reply.status, 200);
    assert!(reply.ids().is_empty());
    assert_eq!(reply.json()["TotalElements"], 3);
    emulator.shutdown().await;
}

#[tokio::test]
async fn filters_by_plan_ids_and_time() {
    let emulator = sample().await;
    let all = get(&emulator, &[("PageSize", &100)]).await.json();
    assert_eq!(all["TotalElements"], 12);

    let reply = get(&emulator, &[("BackupPlanId", &"dbs1hvb0wq7r3")]).await;
    assert_eq!(
        reply.ids(),
        [
            "r5p8s2t6v0x3z",
            "r9m1n4b7v2c5x",
            "r6l9z2x5c8v1b",
            "r2w4e6r8t0y2u"
        ]
    );
    assert_eq!(reply.json()["TotalElements"], 4);

    let reply = get(
        &emulator,
        &[("RestoreTaskId", &"r4d7f0g3h6j9k,r7ak3m9x2qw1e, nope")],
    )
    .await;
    assert_eq!(
        reply.ids(),
        ["r7ak3m9x2qw1e", "r4d7f0g3h6j9k"],
        "API order kept"
    );

    // Inclusive range on RestoreTaskCreateTime, whether the fixture holds numbers or strings.
    let reply = get(
        &emulator,
        &[
            ("StartTimestamp", &1717466400000u64),
            ("EndTimestamp", &1718070120000u64),
        ],
    )
    .await;
    assert_eq!(
        reply.ids(),
        [
            "r2c9d1f0h6j4k",
            "r5p8s2t6v0x3z",
            "r9m1n4b7v2c5x",
            "r3q6w9e2r5t8y",
            "r8u1i4o7p0a3s",
            "r4d7f0g3h6j9k"
        ]
    );

    let reply = get(&emulator, &[("StartTimestamp", &"soon")]).await;
    business_error(&reply, 400, "StartTimestamp");
    emulator.shutdown().await;
}

#[tokio::test]
async fn plan_and_task_ids_together_are_a_business_error_on_http_200() {
    let emulator = sample().await;
    let reply = get(
        &emulator,
        &[
            ("BackupPlanId", &"dbs1hvb0wq7r3"),
            ("RestoreTaskId", &"r5p8s2t6v0x3z"),
        ],
    )
    .await;
    business_error(&reply, 200, "BackupPlanId");
    emulator.shutdown().await;
}

#[tokio::test]
async fn fixture_values_are_served_as_written() {
    let emulator = sample().await;
    let reply = get(
        &emulator,
        &[("RestoreTaskId", &"r2c9d1f0h6j4k,r8u1i4o7p0a3s")],
    )
    .await;
    let body = reply.json();
    let tasks = body["Items"]["RestoreTaskDetail"].as_array().unwrap();
    assert_eq!(
        tasks[0]["RestoreTaskCreateTime"], "1718070120000",
        "numeric string kept"
    );
    assert_eq!(tasks[0]["ErrMessage"], "NULL");
    assert_eq!(tasks[1]["RestoreTaskCreateTime"], 1717639200000u64);
    assert!(
        tasks[1].get("RestoreTaskFinishTime").is_none(),
        "missing stays missing"
    );
    emulator.shutdown().await;
}
