//! Exactly-once listing over pages, with several pages in flight.
//!
//! `PageNum` is documented as 0-based, but some Alibaba APIs are 1-based or treat 0 and 1 alike.
//! So the first request asks for page 0 and the echoed `PageNum` tells which numbering the server
//! uses; the remaining pages are then fetched with up to `max_concurrency` requests in flight,
//! reassembled in API order, and deduplicated by task id. The count is checked against
//! `TotalElements`: if the server's numbering was not recognisable the reader keeps going past
//! the announced end while that still yields new tasks, and if tasks are still missing it returns
//! an error rather than a silently partial list.

use std::collections::HashSet;
use std::future::Future;

use futures_util::stream::{self, StreamExt};

use super::client::ClientError;
use super::models::{Page, RestoreTask};

/// Upper bound on pages read when the server announces no totals at all (a runaway guard).
const MAX_PAGES_WITHOUT_TOTALS: i64 = 100_000;

/// Reads every page through `fetch(page_num)`; see the module doc for the algorithm.
///
/// If the totals change between pages (tasks created meanwhile), the listing is read once more
/// from the start before giving up with [`ClientError::Inconsistent`].
pub(crate) async fn list_all<F, Fut>(
    fetch: F,
    page_size: u32,
    max_concurrency: usize,
) -> Result<Vec<RestoreTask>, ClientError>
where
    F: Fn(i64) -> Fut,
    Fut: Future<Output = Result<Page, ClientError>>,
{
    let mut detail = String::new();
    for round in 1..=2 {
        match read_once(&fetch, page_size, max_concurrency).await? {
            Ok(tasks) => return Ok(tasks),
            Err(changed) => {
                log::debug!("restore task list changed during read {round}: {changed}");
                detail = changed;
            }
        }
    }
    Err(ClientError::Inconsistent { detail })
}

/// One pass. The outer `Err` is a failure; the inner `Err` says the totals moved under us.
async fn read_once<F, Fut>(
    fetch: &F,
    page_size: u32,
    max_concurrency: usize,
) -> Result<Result<Vec<RestoreTask>, String>, ClientError>
where
    F: Fn(i64) -> Fut,
    Fut: Future<Output = Result<Page, ClientError>>,
{
    let first = fetch(0).await?;
    let base = match first.page_num {
        None | Some(0) => 0,
        Some(1) => 1,
        Some(other) => {
            return Err(ClientError::Malformed {
                request_id: first.request_id.clone(),
                http_status: 200,
                detail: format!("asked for PageNum 0, the answer says PageNum {other}"),
                attempts: 1,
            })
        }
    };
    let expected = first.total_elements.and_then(|t| u64::try_from(t).ok());
    let size = first
        .page_size
        .filter(|s| *s > 0)
        .unwrap_or(i64::from(page_size.max(1)));
    let page_count = first.total_pages.filter(|n| *n >= 0).or_else(|| {
        expected.map(|t| i64::try_from(t.div_ceil(size.unsigned_abs())).unwrap_or(i64::MAX))
    });
    let mut seen = Collector::default();
    let first_len = first.tasks.len();
    let totals_of = |p: &Page| p.total_elements;
    let first_total = totals_of(&first);
    let moved = |p: &Page| -> Option<String> {
        match (first_total, totals_of(p)) {
            (Some(a), Some(b)) if a != b => Some(format!(
                "TotalElements was {a} on the first page and {b} on a later one"
            )),
            _ => None,
        }
    };
    seen.add(first.tasks);

    // Page numbers after the first, in the server's numbering.
    let mut next = base + 1;
    match page_count {
        Some(count) => {
            let numbers = (1..count).map(|i| base + i);
            let mut pages = stream::iter(numbers)
                .map(fetch)
                .buffered(max_concurrency.max(1));
            while let Some(page) = pages.next().await {
                let page = page?;
                if let Some(changed) = moved(&page) {
                    return Ok(Err(changed));
                }
                seen.add(page.tasks);
            }
            next = base + count.max(1);
        }
        None => {
            // No totals: read on until a short page.
            let mut last_len = first_len;
            while i64::try_from(last_len).unwrap_or(i64::MAX) >= size {
                if next - base >= MAX_PAGES_WITHOUT_TOTALS {
                    return Err(ClientError::Malformed {
                        request_id: None,
                        http_status: 200,
                        detail: format!(
                            "the API announces no totals and did not stop after {MAX_PAGES_WITHOUT_TOTALS} full pages"
                        ),
                        attempts: 1,
                    });
                }
                let page = fetch(next).await?;
                last_len = page.tasks.len();
                seen.add(page.tasks);
                next += 1;
            }
        }
    }

    if let Some(expected) = expected {
        // A server whose numbering we misread is one page short; read on while it helps.
        let missing = expected.saturating_sub(seen.len());
        let mut budget = missing.div_ceil(u64::try_from(size).unwrap_or(1)) + 1;
        while seen.len() < expected && budget > 0 {
            let page = fetch(next).await?;
            if let Some(changed) = moved(&page) {
                return Ok(Err(changed));
            }
            if seen.add(page.tasks) == 0 {
                break;
            }
            next += 1;
            budget -= 1;
        }
        if seen.len() < expected {
            return Err(ClientError::Incomplete {
                expected,
                got: seen.len(),
            });
        }
        if seen.len() > expected {
            log::debug!(
                "read {} distinct restore tasks, more than the {expected} announced",
                seen.len()
            );
        }
    }
    Ok(Ok(seen.tasks))
}

/// Tasks in arrival order, each id once. Tasks without an id cannot be matched and are all kept.
#[derive(Default)]
struct Collector {
    ids: HashSet<String>,
    tasks: Vec<RestoreTask>,
}

impl Collector {
    /// Adds a page; returns how many tasks were new.
    fn add(&mut self, page: Vec<RestoreTask>) -> usize {
        let before = self.tasks.len();
        for task in page {
            let new = match &task.restore_task_id {
                Some(id) => self.ids.insert(id.clone()),
                None => true,
            };
            if new {
                self.tasks.push(task);
            }
        }
        self.tasks.len() - before
    }

    fn len(&self) -> u64 {
        u64::try_from(self.tasks.len()).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Mutex;
    use std::time::Duration;

    /// How the fake server numbers its pages.
    #[derive(Clone, Copy, PartialEq)]
    enum Numbering {
        ZeroBased,
        /// 1 is the first page, 0 is treated as 1 and echoed as 1.
        OneBased,
        /// 1 is the first page, 0 is treated as 1 but echoed as 0.
        OneBasedEchoZero,
        /// 1 is the first page, 0 is an empty page.
        OneBasedZeroEmpty,
    }

    struct Fake {
        tasks: Vec<RestoreTask>,
        size: usize,
        numbering: Numbering,
        with_totals: bool,
        with_echo: bool,
        requests: Mutex<Vec<i64>>,
        in_flight: AtomicU32,
        max_in_flight: AtomicU32,
    }

    fn task(id: usize) -> RestoreTask {
        let json = serde_json::json!({"RestoreTaskId": format!("r-{id:05}")});
        serde_json::from_value(json).unwrap()
    }

    impl Fake {
        fn new(n: usize, size: usize, numbering: Numbering) -> Self {
            Fake {
                tasks: (0..n).map(task).collect(),
                size,
                numbering,
                with_totals: true,
                with_echo: true,
                requests: Mutex::new(Vec::new()),
                in_flight: AtomicU32::new(0),
                max_in_flight: AtomicU32::new(0),
            }
        }

        async fn page(&self, num: i64) -> Result<Page, ClientError> {
            self.requests.lock().unwrap().push(num);
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_in_flight.fetch_max(now, Ordering::SeqCst);
            // Later pages answer sooner, so order must come from reassembly, not arrival.
            tokio::time::sleep(Duration::from_millis(40u64.saturating_sub(num as u64 * 3))).await;
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            let (index, echo) = match self.numbering {
                Numbering::ZeroBased => (Some(num), num),
                Numbering::OneBased => (Some(num.max(1) - 1), num.max(1)),
                Numbering::OneBasedEchoZero => (Some(num.max(1) - 1), num),
                Numbering::OneBasedZeroEmpty => ((num >= 1).then(|| num - 1), num),
            };
            let items = match index {
                Some(i) => self
                    .tasks
                    .iter()
                    .skip(i as usize * self.size)
                    .take(self.size)
                    .cloned()
                    .collect(),
                None => Vec::new(),
            };
            let n = self.tasks.len() as i64;
            Ok(Page {
                request_id: Some(format!("req-{num}")),
                page_num: self.with_echo.then_some(echo),
                page_size: Some(self.size as i64),
                total_pages: self
                    .with_totals
                    .then(|| (n + self.size as i64 - 1) / self.size as i64),
                total_elements: self.with_totals.then_some(n),
                tasks: items,
            })
        }

        fn requests(&self) -> Vec<i64> {
            let mut r = self.requests.lock().unwrap().clone();
            r.sort();
            r
        }
    }

    async fn read(fake: &Fake, concurrency: usize) -> Result<Vec<RestoreTask>, ClientError> {
        list_all(|n| fake.page(n), fake.size as u32, concurrency).await
    }

    fn ids(tasks: &[RestoreTask]) -> Vec<String> {
        tasks
            .iter()
            .map(|t| t.restore_task_id.clone().unwrap())
            .collect()
    }

    fn expected_ids(n: usize) -> Vec<String> {
        (0..n).map(|i| task(i).restore_task_id.unwrap()).collect()
    }

    #[tokio::test]
    async fn zero_based_reads_each_page_once_in_order() {
        let fake = Fake::new(250, 10, Numbering::ZeroBased);
        let tasks = read(&fake, 4).await.unwrap();
        assert_eq!(ids(&tasks), expected_ids(250));
        assert_eq!(fake.requests(), (0..25).collect::<Vec<_>>());
        assert_eq!(fake.max_in_flight.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn one_based_is_detected_from_the_echo() {
        let fake = Fake::new(95, 10, Numbering::OneBased);
        let tasks = read(&fake, 3).await.unwrap();
        assert_eq!(ids(&tasks), expected_ids(95));
        assert_eq!(
            fake.requests(),
            (0..=10).filter(|n| *n != 1).collect::<Vec<_>>()
        );
    }

    #[tokio::test]
    async fn one_based_with_a_misleading_echo_still_reads_everything_once() {
        for numbering in [Numbering::OneBasedEchoZero, Numbering::OneBasedZeroEmpty] {
            let fake = Fake::new(95, 10, numbering);
            let tasks = read(&fake, 4).await.unwrap();
            assert_eq!(ids(&tasks), expected_ids(95));
        }
    }

    #[tokio::test]
    async fn sequential_when_concurrency_is_one() {
        let fake = Fake::new(30, 10, Numbering::ZeroBased);
        read(&fake, 1).await.unwrap();
        assert_eq!(fake.max_in_flight.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn without_totals_reads_until_a_short_page() {
        let mut fake = Fake::new(25, 10, Numbering::ZeroBased);
        fake.with_totals = false;
        fake.with_echo = false;
        assert_eq!(ids(&read(&fake, 4).await.unwrap()), expected_ids(25));
        let mut fake = Fake::new(20, 10, Numbering::ZeroBased);
        fake.with_totals = false;
        assert_eq!(ids(&read(&fake, 4).await.unwrap()), expected_ids(20));
        assert_eq!(fake.requests(), vec![0, 1, 2]);
    }

    #[tokio::test]
    async fn empty_listing() {
        let fake = Fake::new(0, 10, Numbering::ZeroBased);
        assert_eq!(read(&fake, 4).await.unwrap(), Vec::new());
        assert_eq!(fake.requests(), vec![0]);
    }

    #[tokio::test]
    async fn missing_tasks_are_an_error_not_a_short_list() {
        let fake = Fake::new(30, 10, Numbering::ZeroBased);
        let lossy = |n: i64| {
            let fake = &fake;
            async move {
                let mut page = fake.page(n).await?;
                if n == 1 {
                    page.tasks.pop();
                }
                Ok(page)
            }
        };
        match list_all(lossy, 10, 4).await {
            Err(ClientError::Incomplete {
                expected: 30,
                got: 29,
            }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn duplicates_across_pages_are_dropped() {
        let fake = Fake::new(30, 10, Numbering::ZeroBased);
        let overlapping = |n: i64| {
            let fake = &fake;
            async move {
                let mut page = fake.page(n).await?;
                if n == 2 {
                    page.tasks.insert(0, task(9));
                }
                Ok(page)
            }
        };
        assert_eq!(
            ids(&list_all(overlapping, 10, 4).await.unwrap()),
            expected_ids(30)
        );
    }

    #[tokio::test]
    async fn a_failed_page_fails_the_listing() {
        let fake = Fake::new(50, 10, Numbering::ZeroBased);
        let failing = |n: i64| {
            let fake = &fake;
            async move {
                if n == 3 {
                    return Err(ClientError::Cancelled);
                }
                fake.page(n).await
            }
        };
        assert!(matches!(
            list_all(failing, 10, 4).await,
            Err(ClientError::Cancelled)
        ));
    }

    #[tokio::test]
    async fn totals_that_keep_moving_are_reported() {
        let fake = Fake::new(30, 10, Numbering::ZeroBased);
        let moving = |n: i64| {
            let fake = &fake;
            async move {
                let mut page = fake.page(n).await?;
                page.total_elements = Some(30 + n);
                Ok(page)
            }
        };
        assert!(matches!(
            list_all(moving, 10, 4).await,
            Err(ClientError::Inconsistent { .. })
        ));
        // Read twice from the start, then gave up.
        assert_eq!(fake.requests().iter().filter(|n| **n == 0).count(), 2);
    }

    #[tokio::test]
    async fn odd_echo_is_malformed() {
        let fake = Fake::new(30, 10, Numbering::ZeroBased);
        let odd = |n: i64| {
            let fake = &fake;
            async move {
                let mut page = fake.page(n).await?;
                page.page_num = Some(7);
                Ok(page)
            }
        };
        assert!(matches!(
            list_all(odd, 10, 4).await,
            Err(ClientError::Malformed { .. })
        ));
    }
}
