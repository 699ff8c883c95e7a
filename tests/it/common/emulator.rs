//! The DBS emulator running in the test process, on its own runtime, so
//! that synchronous tests can drive Terraform against it.

use std::path::PathBuf;

use terraform_provider_dbs::emulator::{Emulator, EmulatorConfig, Faults, TaskSource};

pub struct RunningEmulator {
    pub emulator: Option<Emulator>,
    pub runtime: tokio::runtime::Runtime,
    pub config: EmulatorConfig,
}

pub fn sample_fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/emulator/restore-tasks.json")
}

impl RunningEmulator {
    pub fn start(tasks: TaskSource, faults: Faults) -> Self {
        Self::start_with(EmulatorConfig {
            tasks,
            faults,
            ..EmulatorConfig::default()
        })
    }

    /// An emulator with credentials (or anything else) of the test's own.
    pub fn start_with(config: EmulatorConfig) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let emulator = runtime
            .block_on(Emulator::start(config.clone()))
            .expect("start emulator");
        Self {
            emulator: Some(emulator),
            runtime,
            config,
        }
    }

    pub fn sample() -> Self {
        Self::start(TaskSource::Fixture(sample_fixture()), Faults::default())
    }

    pub fn url(&self) -> String {
        self.emulator.as_ref().unwrap().url()
    }

    pub fn request_count(&self) -> u64 {
        self.emulator.as_ref().unwrap().request_count()
    }

    /// The environment that points the provider at this emulator.
    pub fn provider_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ALIBABA_CLOUD_ENDPOINT_DBS", self.url()),
            (
                "ALIBABA_CLOUD_ACCESS_KEY_ID",
                self.config.access_key_id.clone(),
            ),
            (
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                self.config.access_key_secret.clone(),
            ),
            ("ALIBABA_CLOUD_REGION", "cn-hangzhou".to_string()),
        ]
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(emulator) = self.emulator.take() {
            self.runtime.block_on(emulator.shutdown());
        }
    }
}
