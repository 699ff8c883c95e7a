//! Shared by the `emulator_*` tests: starting an emulator and sending it hand-built, signed
//! requests over real HTTP. Requests are signed with the client's signer
//! (`alibaba::signing`) but assembled here, so each test can break exactly one thing.

#![allow(dead_code)] // each test file uses a different subset

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;
use terraform_provider_dbs::alibaba::signing::{self, CommonParams};
use terraform_provider_dbs::emulator::{Emulator, EmulatorConfig, Faults, TaskSource};
use time::OffsetDateTime;

pub const SAMPLE_FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/emulator/restore-tasks.json"
);

/// An emulator serving `count` generated tasks, otherwise default.
pub async fn generated(count: usize) -> Emulator {
    start(EmulatorConfig {
        tasks: TaskSource::Generated { count, seed: 7 },
        ..EmulatorConfig::default()
    })
    .await
}

/// An emulator serving the sample fixture.
pub async fn sample() -> Emulator {
    start(EmulatorConfig {
        tasks: TaskSource::Fixture(SAMPLE_FIXTURE.into()),
        ..EmulatorConfig::default()
    })
    .await
}

pub async fn start(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).await.expect("emulator starts")
}

/// The default faults, changed by `edit`.
pub fn faults(edit: impl FnOnce(&mut Faults)) -> Faults {
    let mut f = Faults::default();
    edit(&mut f);
    f
}

/// [`faults`] whose random draws come from `seed`.
pub fn seeded(seed: u64, edit: impl FnOnce(&mut Faults)) -> Faults {
    faults(|f| {
        f.seed = seed;
        edit(f);
    })
}

/// One request, described by its parts so a test can get any of them wrong.
#[derive(Clone)]
pub struct Call {
    pub method: &'static str,
    pub access_key_id: String,
    pub secret: String,
    pub security_token: Option<String>,
    pub nonce: String,
    pub timestamp: OffsetDateTime,
    pub action: String,
    pub params: Vec<(String, String)>,
}

impl Call {
    /// A correct GET for the default credentials, with a fresh nonce.
    pub fn new() -> Call {
        Call {
            method: "GET",
            access_key_id: "emulator-access-key".into(),
            secret: "emulator-secret".into(),
            security_token: None,
            nonce: fresh_nonce(),
            timestamp: OffsetDateTime::now_utc(),
            action: "DescribeRestoreTaskList".into(),
            params: Vec::new(),
        }
    }

    pub fn param(mut self, name: &str, value: impl ToString) -> Call {
        self.params.push((name.to_owned(), value.to_string()));
        self
    }

    /// The signed parameter list, `Signature` last.
    pub fn signed(&self) -> Vec<(String, String)> {
        let common = CommonParams {
            version: "2019-03-06",
            access_key_id: &self.access_key_id,
            security_token: self.security_token.as_deref(),
            region_id: Some("cn-hangzhou"),
            nonce: &self.nonce,
            timestamp: self.timestamp,
        };
        let mut all = signing::common_parameters(&common);
        all.push(("Action".to_owned(), self.action.clone()));
        all.extend(self.params.iter().cloned());
        signing::signed_parameters(self.method, all, &self.secret)
    }

    pub async fn send(&self, emulator: &Emulator) -> Reply {
        self.send_to(&emulator.url()).await
    }

    /// Sends to any base URL (e.g. an emulator running as a separate process).
    pub async fn send_to(&self, url: &str) -> Reply {
        send_pairs(url, self.method, &self.signed()).await
    }
}

impl Default for Call {
    fn default() -> Self {
        Call::new()
    }
}

/// A correct GET for the default credentials with `params` added, sent to `emulator`.
pub async fn get(emulator: &Emulator, params: &[(&str, &dyn std::fmt::Display)]) -> Reply {
    let call = params
        .iter()
        .fold(Call::new(), |call, (name, value)| call.param(name, value));
    call.send(emulator).await
}

pub fn fresh_nonce() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "test-{}-{}-{}",
        std::process::id(),
        OffsetDateTime::now_utc().unix_timestamp_nanos(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// What came back.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub request_id_header: Option<String>,
    pub text: String,
}

impl Reply {
    /// Reads a whole answer.
    pub async fn read(response: reqwest::Response) -> Reply {
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header("content-type").unwrap_or_default();
        let request_id_header = header("x-acs-request-id");
        let text = response.text().await.expect("a whole body");
        Reply {
            status,
            content_type,
            request_id_header,
            text,
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// `RestoreTaskId`s of a page, in order.
    pub fn ids(&self) -> Vec<String> {
        self.json()["Items"]["RestoreTaskDetail"]
            .as_array()
            .unwrap_or_else(|| panic!("no tasks in {}", self.text))
            .iter()
            .map(|t| t["RestoreTaskId"].as_str().expect("id").to_owned())
            .collect()
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

/// Sends `pairs` to the base URL `url` as a query string (GET) or form body (POST) and reads the
/// whole answer.
pub async fn send_pairs(url: &str, method: &str, pairs: &[(String, String)]) -> Reply {
    let client = client();
    let encoded = signing::encode_pairs(pairs);
    let request = if method == "POST" {
        client
            .post(format!("{url}/"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encoded)
    } else {
        client.get(format!("{url}/?{encoded}"))
    };
    Reply::read(request.send().await.expect("an HTTP answer")).await
}
