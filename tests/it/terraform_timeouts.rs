//! `timeouts { read = "..." }` bounds the whole read, retries and waits
//! included: a bad duration is a validation error pointing at it (on every
//! Terraform of the matrix), and a read past its deadline ends with an error
//! that says how far it got, not a partial list.

use std::time::{Duration, Instant};

use terraform_provider_dbs::emulator::{Faults, TaskSource};

use crate::common::emulator::RunningEmulator;
use crate::common::terraform::REQUIRED_PROVIDERS;
use crate::common::terraform::{matrix, Tf, Workspace};

fn config(read: &str) -> String {
    format!(
        r#"{REQUIRED_PROVIDERS}provider "dbs" {{
  max_concurrency = 1
}}
data "dbs_restore_tasks" "slow" {{
  page_size = 10
  timeouts {{
    read = "{read}"
  }}
}}
output "n" {{ value = data.dbs_restore_tasks.slow.total_count }}
"#
    )
}

#[test]
fn a_bad_duration_points_at_timeouts_read() {
    for tf in matrix() {
        let out = Workspace::new(tf, &config("soon")).run(&["validate", "-no-color"]);
        let text = out.all();
        assert!(!out.success, "{tf:?}: {text}");
        assert!(text.contains("Invalid timeouts.read"), "{tf:?}: {text}");
        assert!(
            text.contains("\"soon\" is not a duration"),
            "{tf:?}: {text}"
        );
        assert!(
            text.contains("read = \"soon\""),
            "{tf:?}: Terraform points at the line: {text}"
        );
    }
}

#[test]
fn a_read_past_its_deadline_says_how_far_it_got() {
    // A second a page, 60 jobs in pages of 10: the read needs 6 s; it gets 2.5.
    let emulator = RunningEmulator::start(
        TaskSource::Generated { count: 60, seed: 2 },
        Faults {
            latency: Duration::from_secs(1),
            ..Faults::default()
        },
    );
    let ws = Workspace::new(Tf::V1_15_5, &config("2500ms")).with_emulator(&emulator);
    let started = Instant::now();
    let out = ws.run(&["plan", "-no-color", "-input=false"]);
    let took = started.elapsed();
    let text = out.all().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(!out.success, "{text}");
    assert!(text.contains("Error: Read timed out"), "{text}");
    assert!(text.contains("ran out of time after 2."), "{text}");
    // How far it got: the pages and jobs read by then (two at this pace, fewer on a slow
    // machine; the exact count is not the point).
    let progress = regex::Regex::new(r"with (\d) pages and (\d+) restore jobs read").unwrap();
    let caps = progress
        .captures(&text)
        .unwrap_or_else(|| panic!("no progress in: {text}"));
    assert_eq!(
        caps[1].parse::<u32>().unwrap() * 10,
        caps[2].parse::<u32>().unwrap()
    );
    assert!(text.contains("here 2500ms"), "{text}");
    // Generous: the deadline ended it, not the 6 s the read would need.
    assert!(took < Duration::from_secs(30), "{took:?}");
    assert!(
        emulator.request_count() < 6,
        "{} requests",
        emulator.request_count()
    );
}
