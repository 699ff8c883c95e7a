//! Concurrent paging against the emulator (not a test): 10,000 generated
//! tasks, page size 100 (100 pages), 50 ms added to every answer, at
//! concurrency 1, 4 and 8. The ideal is `ceil(99 / c) + 1` round trips of
//! 50 ms: the first page alone (it says how many pages there are), then the
//! other 99 pages `c` at a time. Run with `cargo bench --bench paging`.

use std::sync::LazyLock;
use std::time::Duration;

use terraform_provider_dbs::alibaba::{ClientConfig, Credentials, DbsClient, RestoreTaskQuery};
use terraform_provider_dbs::emulator::{
    Emulator, EmulatorConfig, Faults, TaskSource, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET,
};
use tokio_util::sync::CancellationToken;

const TASKS: usize = 10_000;
const PAGE_SIZE: u32 = 100;
const LATENCY: Duration = Duration::from_millis(50);

fn main() {
    for c in [1u32, 4, 8] {
        let ideal = (99u32.div_ceil(c) + 1) as u64 * LATENCY.as_millis() as u64;
        println!(
            "concurrency {c}: ideal {ideal} ms ({} round trips)",
            99u32.div_ceil(c) + 1
        );
    }
    divan::main();
}

/// One runtime and one emulator for every sample, so only reads are timed.
struct Fixture {
    runtime: tokio::runtime::Runtime,
    url: String,
    _emulator: Emulator,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let emulator = runtime
        .block_on(Emulator::start(EmulatorConfig {
            tasks: TaskSource::Generated {
                count: TASKS,
                seed: 1,
            },
            faults: Faults {
                latency: LATENCY,
                ..Faults::default()
            },
            ..EmulatorConfig::default()
        }))
        .expect("emulator");
    Fixture {
        url: emulator.url(),
        runtime,
        _emulator: emulator,
    }
});

#[divan::bench(args = [1, 4, 8], sample_count = 3, sample_size = 1)]
fn read_10k_tasks_at_50ms(bencher: divan::Bencher, concurrency: usize) {
    let fixture = &*FIXTURE;
    let credentials = Credentials {
        access_key_id: DEFAULT_ACCESS_KEY_ID.into(),
        access_key_secret: DEFAULT_ACCESS_KEY_SECRET.into(),
        security_token: None,
    };
    let mut config = ClientConfig::new(fixture.url.clone(), "cn-hangzhou", credentials);
    config.max_concurrency = concurrency;
    let client = DbsClient::new(config).expect("client");
    let query = RestoreTaskQuery {
        page_size: PAGE_SIZE,
        ..RestoreTaskQuery::default()
    };
    bencher.bench_local(|| {
        let tasks = fixture
            .runtime
            .block_on(client.list_restore_tasks(&query, &CancellationToken::new()))
            .expect("read");
        assert_eq!(tasks.len(), TASKS);
        tasks
    });
}
