//! Shared setup for the `api_*` integration tests: an emulator on 127.0.0.1:0 and a client for it.

#![allow(dead_code)] // each test file uses a different subset

use std::time::Duration;

use terraform_provider_dbs::alibaba::{
    Backoff, ClientConfig, ClientError, Credentials, DbsClient, RestoreTask, RestoreTaskQuery,
};
use terraform_provider_dbs::emulator::{
    Emulator, EmulatorConfig, Faults, TaskSource, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET,
};
use tokio_util::sync::CancellationToken;

/// An emulator serving `count` generated tasks with the given faults.
pub async fn emulator(count: usize, faults: Faults) -> Emulator {
    Emulator::start(EmulatorConfig {
        tasks: TaskSource::Generated { count, seed: 7 },
        faults,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

/// The emulator's default credentials.
pub fn emulator_credentials() -> Credentials {
    Credentials {
        access_key_id: DEFAULT_ACCESS_KEY_ID.to_owned(),
        access_key_secret: DEFAULT_ACCESS_KEY_SECRET.to_owned(),
        security_token: None,
    }
}

/// Client settings for `url` with the emulator's credentials.
pub fn config(url: &str) -> ClientConfig {
    ClientConfig {
        max_retries: 10,
        request_timeout: Duration::from_secs(5),
        max_concurrency: 4,
        ..ClientConfig::new(url, "cn-hangzhou", emulator_credentials())
    }
}

/// [`config`] for `url` with the emulator's credentials changed by `edit`.
pub fn config_with_credentials(url: &str, edit: impl FnOnce(&mut Credentials)) -> ClientConfig {
    let mut credentials = emulator_credentials();
    edit(&mut credentials);
    ClientConfig {
        credentials: credentials.into(),
        ..config(url)
    }
}

/// A client with millisecond backoff, so retry-heavy tests stay fast.
pub fn client(config: ClientConfig) -> DbsClient {
    DbsClient::new(config)
        .expect("valid client config")
        .with_backoff(Backoff {
            base: Duration::from_millis(2),
            cap: Duration::from_millis(20),
        })
}

/// [`client`] for `url` that retries at most `max_retries` times.
pub fn client_with_retries(url: &str, max_retries: u32) -> DbsClient {
    client(ClientConfig {
        max_retries,
        ..config(url)
    })
}

/// Lists everything with the given page size.
pub async fn list(client: &DbsClient, page_size: u32) -> Result<Vec<RestoreTask>, ClientError> {
    let query = RestoreTaskQuery {
        page_size,
        ..RestoreTaskQuery::default()
    };
    list_matching(client, &query).await
}

/// Lists everything `query` selects, never cancelled.
pub async fn list_matching(
    client: &DbsClient,
    query: &RestoreTaskQuery,
) -> Result<Vec<RestoreTask>, ClientError> {
    client
        .list_restore_tasks(query, &CancellationToken::new())
        .await
}

/// The task ids, in order.
pub fn ids(tasks: &[RestoreTask]) -> Vec<String> {
    tasks
        .iter()
        .map(|t| t.restore_task_id.clone().expect("generated tasks have ids"))
        .collect()
}

/// Small builder helpers on [`ClientConfig`].
pub trait ClientConfigExt {
    /// Same config, `n` pages in flight.
    fn with_concurrency(self, n: usize) -> Self;
}

impl ClientConfigExt for ClientConfig {
    fn with_concurrency(self, n: usize) -> Self {
        ClientConfig {
            max_concurrency: n,
            ..self
        }
    }
}
