//! What is retried and what is not, against the emulator over real HTTP: 5xx bursts, resets and
//! stalls recover or end in a clear error; auth, signature and parameter errors are never retried
//! (asserted on the emulator's request count).

use crate::common::api_support as support;
use crate::common::emulator_requests::{faults, seeded};

use std::time::Duration;

use support::{
    client, client_with_retries, config, config_with_credentials, emulator, list, list_matching,
};
use terraform_provider_dbs::alibaba::{
    Backoff, ClientConfig, ClientError, DbsClient, RestoreTaskQuery, TransportKind,
};
use terraform_provider_dbs::emulator::{Emulator, EmulatorConfig, Faults, TaskSource};

#[tokio::test]
async fn server_errors_at_random_recover() {
    let emu = emulator(500, seeded(3, |f| f.server_error_rate = 0.4)).await;
    let c = client(config(&emu.url()));
    assert_eq!(list(&c, 20).await.unwrap().len(), 500);
    assert!(emu.request_count() > 25, "errors happened and were retried");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_burst_of_5xx_recovers_once_the_server_does() {
    let emu = emulator(200, faults(|f| f.server_error_rate = 1.0)).await;
    let c = DbsClient::new(ClientConfig {
        max_retries: 30,
        ..config(&emu.url())
    })
    .unwrap()
    .with_backoff(Backoff {
        base: Duration::from_millis(20),
        cap: Duration::from_millis(100),
    });
    let read = tokio::spawn(async move { list(&c, 50).await });
    // Let the burst last long enough to force several retries, then end it.
    while emu.request_count() < 3 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    emu.set_faults(Faults::default());
    let tasks = read.await.unwrap().unwrap();
    assert_eq!(tasks.len(), 200);
    assert!(emu.request_count() >= 3 + 4);
    emu.shutdown().await;
}

#[tokio::test]
async fn retries_are_bounded_and_the_final_error_says_so() {
    let emu = emulator(10, faults(|f| f.throttle_rate = 1.0)).await;
    let c = client_with_retries(&emu.url(), 3);
    let err = list(&c, 10).await.unwrap_err();
    assert_eq!(emu.request_count(), 4, "1 attempt + 3 retries");
    match &err {
        ClientError::Api(api) => {
            assert_eq!(api.code, "Throttling.User");
            assert_eq!(api.attempts, 4);
            assert!(api.request_id.is_some());
        }
        other => panic!("{other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("Throttling.User")
            && text.contains("RequestId")
            && text.contains("gave up after 4 attempts"),
        "{text}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn connection_resets_are_retried() {
    let emu = emulator(300, seeded(11, |f| f.reset_rate = 0.3)).await;
    let c = client(config(&emu.url()));
    assert_eq!(list(&c, 30).await.unwrap().len(), 300);
    emu.set_faults(faults(|f| f.reset_rate = 1.0));
    let before = emu.request_count();
    let c = client_with_retries(&emu.url(), 2);
    match list(&c, 30).await.unwrap_err() {
        ClientError::Transport { kind, attempts, .. } => {
            assert_eq!(kind, TransportKind::Reset);
            assert_eq!(attempts, 3);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(emu.request_count() - before, 3);
    emu.shutdown().await;
}

#[tokio::test]
async fn stalls_hit_the_request_timeout_and_are_retried() {
    let emu = emulator(10, faults(|f| f.stall_rate = 1.0)).await;
    let c = client(ClientConfig {
        max_retries: 1,
        request_timeout: Duration::from_millis(300),
        ..config(&emu.url())
    });
    match list(&c, 10).await.unwrap_err() {
        ClientError::Transport { kind, attempts, .. } => {
            assert_eq!(kind, TransportKind::Timeout);
            assert_eq!(attempts, 2);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(emu.request_count(), 2);
    emu.shutdown().await;
}

/// Runs one listing that must fail on the first request without any retry.
async fn not_retried(
    emu: &Emulator,
    client_config: ClientConfig,
    query: RestoreTaskQuery,
) -> ClientError {
    let before = emu.request_count();
    let c = client(ClientConfig {
        max_retries: 5,
        ..client_config
    });
    let err = list_matching(&c, &query).await.unwrap_err();
    assert_eq!(emu.request_count() - before, 1, "not retried: {err}");
    assert!(!err.retryable());
    err
}

fn api_code(err: &ClientError) -> &str {
    match err {
        ClientError::Api(api) => {
            assert_eq!(api.attempts, 1);
            assert!(api.request_id.is_some(), "{api}");
            &api.code
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn auth_signature_and_parameter_errors_are_not_retried() {
    let emu = emulator(10, Faults::default()).await;
    let url = emu.url();
    let query = RestoreTaskQuery::default();

    let wrong_secret = config_with_credentials(&url, |c| {
        c.access_key_secret = "not-the-secret".into();
    });
    let err = not_retried(&emu, wrong_secret, query.clone()).await;
    assert_eq!(api_code(&err), "SignatureDoesNotMatch");
    assert!(!err.to_string().contains("not-the-secret"));

    let unknown_key = config_with_credentials(&url, |c| c.access_key_id = "nobody".into());
    let err = not_retried(&emu, unknown_key, query.clone()).await;
    assert!(api_code(&err).starts_with("InvalidAccessKeyId"), "{err}");

    let conflicting = RestoreTaskQuery {
        backup_plan_id: Some("plan".into()),
        restore_task_ids: vec!["r-1".into()],
        ..RestoreTaskQuery::default()
    };
    let err = not_retried(&emu, config(&url), conflicting).await;
    assert_eq!(api_code(&err), "InvalidParameter");
    emu.shutdown().await;
}

#[tokio::test]
async fn security_token_is_sent_and_checked() {
    let emu = Emulator::start(EmulatorConfig {
        tasks: TaskSource::Generated { count: 5, seed: 1 },
        security_token: Some("sts-token".into()),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let with_token = config_with_credentials(&emu.url(), |c| {
        c.security_token = Some("sts-token".into());
    });
    assert_eq!(list(&client(with_token), 10).await.unwrap().len(), 5);

    let err = not_retried(&emu, config(&emu.url()), RestoreTaskQuery::default()).await;
    assert!(matches!(err, ClientError::Api(_)), "{err}");
    emu.shutdown().await;
}
