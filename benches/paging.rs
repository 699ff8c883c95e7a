//! Paging benchmark (not a test): read 10,000 generated tasks from the emulator at 50 ms latency
//! with page size 100, at concurrency 1, 4 and 8, and compare the wall time with the ideal of
//! `ceil(99 / c) + 1` round trips (the first page alone, then the other 99 pages c at a time).
//!
//! Run: `cargo bench --bench paging` (optionally `-- RUNS`, default 3). Figures: `benches/README.md`.

use std::time::{Duration, Instant};

use terraform_provider_dbs::alibaba::{ClientConfig, Credentials, DbsClient, RestoreTaskQuery};
use terraform_provider_dbs::emulator::{
    Emulator, EmulatorConfig, Faults, TaskSource, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET,
};
use tokio_util::sync::CancellationToken;

const TASKS: usize = 10_000;
const PAGE_SIZE: u32 = 100;
const LATENCY: Duration = Duration::from_millis(50);

fn main() {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(3);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start tokio: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(bench(runs)) {
        eprintln!("benchmark failed: {e}");
        std::process::exit(1);
    }
}

async fn bench(runs: usize) -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::start(EmulatorConfig {
        tasks: TaskSource::Generated {
            count: TASKS,
            seed: 1,
        },
        faults: Faults {
            latency: LATENCY,
            ..Faults::default()
        },
        ..EmulatorConfig::default()
    })
    .await?;
    let pages = TASKS.div_ceil(PAGE_SIZE as usize);
    println!(
        "{TASKS} tasks, page size {PAGE_SIZE} ({pages} pages), emulator latency {} ms, {runs} runs each",
        LATENCY.as_millis()
    );
    println!(
        "{:>11} | {:>10} | {:>10} | {:>10} | {:>9} | {:>8}",
        "concurrency", "ideal", "best", "median", "requests", "vs ideal"
    );
    for concurrency in [1usize, 4, 8] {
        let client = DbsClient::new(ClientConfig {
            max_concurrency: concurrency,
            ..ClientConfig::new(
                emulator.url(),
                "cn-hangzhou",
                Credentials {
                    access_key_id: DEFAULT_ACCESS_KEY_ID.to_owned(),
                    access_key_secret: DEFAULT_ACCESS_KEY_SECRET.to_owned(),
                    security_token: None,
                },
            )
        })?;
        let query = RestoreTaskQuery {
            page_size: PAGE_SIZE,
            ..RestoreTaskQuery::default()
        };
        let round_trips = (pages - 1).div_ceil(concurrency) + 1;
        let ideal = LATENCY * u32::try_from(round_trips)?;
        let mut times = Vec::with_capacity(runs);
        let before = emulator.request_count();
        for _ in 0..runs {
            let started = Instant::now();
            let tasks = client
                .list_restore_tasks(&query, &CancellationToken::new())
                .await?;
            times.push(started.elapsed());
            if tasks.len() != TASKS {
                return Err(format!("read {} tasks, expected {TASKS}", tasks.len()).into());
            }
        }
        times.sort();
        let best = times[0];
        let median = times[times.len() / 2];
        let requests = (emulator.request_count() - before) / runs as u64;
        println!(
            "{concurrency:>11} | {:>8.3} s | {:>8.3} s | {:>8.3} s | {requests:>9} | {:>7.2}x",
            ideal.as_secs_f64(),
            best.as_secs_f64(),
            median.as_secs_f64(),
            median.as_secs_f64() / ideal.as_secs_f64()
        );
    }
    emulator.shutdown().await;
    Ok(())
}
