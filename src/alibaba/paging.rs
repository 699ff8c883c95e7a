//! Exactly-once listing over pages, with several pages in flight.
//!
//! `PageNum` is documented as 0-based, but some Alibaba APIs are 1-based or treat 0 and 1 alike.
//! So the first request asks for page 0 and the echoed `PageNum` tells which numbering the server
//! uses; the remaining pages are then fetched with up to `max_concurrency` requests in flight,
//! reassembled in API order, and deduplicated by item id ([`PagedListing::item_id`]). The count
//! is checked against `TotalElements`: if the server's numbering was not recognisable the reader
//! keeps going past the announced end while that still yields new items, and if items are still
//! missing it returns an error rather than a silently partial list.
//!
//! Nothing here knows a particular action: field names, nouns and ids come from the listing's
//! declaration.

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::stream::{self, StreamExt};

use super::client::ClientError;
use super::listing::{Noun, PagedListing};
use super::page::Page;

/// Most items one listing returns: about what Terraform can carry in one response, and far more
/// restore jobs than any backup plan has. Checked against `TotalElements` before the second
/// page, and again as items arrive.
pub const MAX_ITEMS: u64 = 100_000;
/// Most answer bytes one listing keeps (sum of the page bodies). It bounds the memory a hostile
/// server can fill; it sits above the 64 MiB a Terraform response may carry so that the
/// provider, which knows that limit, is the one to explain it.
pub const MAX_LISTING_BYTES: u64 = 96 << 20;

/// Reads every page through `fetch(page_num)`; see the module doc for the algorithm.
///
/// If the totals change between pages (items created meanwhile), the listing is read once more
/// from the start before giving up with [`ClientError::Inconsistent`].
pub(crate) async fn list_all<L, F, Fut>(
    fetch: F,
    page_size: u32,
    max_concurrency: usize,
) -> Result<Vec<L::Item>, ClientError>
where
    L: PagedListing,
    F: Fn(i64) -> Fut,
    Fut: Future<Output = Result<Page<L::Item>, ClientError>>,
{
    let noun = L::SHAPE.noun;
    let mut detail = String::new();
    for round in 1..=2 {
        match read_once::<L, F, Fut>(&fetch, page_size, max_concurrency).await? {
            Ok(items) => return Ok(items),
            Err(changed) => {
                log::debug!("{} list changed during read {round}: {changed}", noun.one);
                detail = changed;
            }
        }
    }
    Err(ClientError::Inconsistent { detail, noun })
}

fn beyond(noun: Noun, bound: &'static str, detail: String) -> ClientError {
    ClientError::Unbounded {
        bound,
        detail,
        noun,
    }
}

/// The error for a listing past [`MAX_LISTING_BYTES`].
fn too_many_bytes(noun: Noun) -> ClientError {
    beyond(
        noun,
        "bytes",
        format!(
            "the answers add up to more than {} MiB, more than one read may keep",
            MAX_LISTING_BYTES >> 20
        ),
    )
}

/// One pass. The outer `Err` is a failure; the inner `Err` says the totals moved under us.
///
/// Bounds, whatever the server says: never more pages than its totals imply for the page size
/// we asked (`ceil(TotalElements / PageSize)`, and where `TotalPages` disagrees, the smaller),
/// plus one page of read-ahead for a server whose numbering we could not tell; a page that comes
/// back empty before the last ends the read as incomplete; without totals, reading stops at the
/// first short page. Items and bytes are bounded by [`MAX_ITEMS`] and [`MAX_LISTING_BYTES`].
async fn read_once<L, F, Fut>(
    fetch_page: &F,
    page_size: u32,
    max_concurrency: usize,
) -> Result<Result<Vec<L::Item>, String>, ClientError>
where
    L: PagedListing,
    F: Fn(i64) -> Fut,
    Fut: Future<Output = Result<Page<L::Item>, ClientError>>,
{
    let fields = L::SHAPE.fields;
    let noun = L::SHAPE.noun;
    // Answer bytes are counted as each page arrives, not when its turn in API order comes:
    // pages that finished early wait in the reassembly buffer and must not pile up past the
    // bound; once it is passed, no further request is sent.
    let bytes = AtomicU64::new(0);
    let fetch = |page_num: i64| {
        let page = fetch_page(page_num);
        let bytes = &bytes;
        async move {
            if bytes.load(Ordering::Relaxed) > MAX_LISTING_BYTES {
                return Err(too_many_bytes(noun));
            }
            let page = page.await?;
            let size = page.bytes as u64;
            if bytes.fetch_add(size, Ordering::Relaxed) + size > MAX_LISTING_BYTES {
                return Err(too_many_bytes(noun));
            }
            Ok(page)
        }
    };
    let first = fetch(0).await?;
    let base = match first.page_num {
        None | Some(0) => 0,
        Some(1) => 1,
        Some(other) => {
            return Err(ClientError::Malformed {
                request_id: first.request_id.clone(),
                http_status: 200,
                detail: format!(
                    "asked for {} 0, the answer says {} {other}",
                    fields.page_num, fields.page_num
                ),
                attempts: 1,
            })
        }
    };
    // Our page size, not the echoed one: a server echoing PageSize 1 must not multiply the pages.
    let size = u64::from(page_size.max(1));
    let expected = first.total_elements.and_then(|t| u64::try_from(t).ok());
    if let Some(announced) = expected.filter(|n| *n > MAX_ITEMS) {
        return Err(beyond(
            noun,
            noun.short,
            format!(
                "the API announces {announced} {}; one read returns at most {MAX_ITEMS}",
                noun.many
            ),
        ));
    }
    let max_pages = i64::try_from(MAX_ITEMS.div_ceil(size)).unwrap_or(i64::MAX);
    let from_elements = expected.map(|t| i64::try_from(t.div_ceil(size)).unwrap_or(i64::MAX));
    let from_pages = first.total_pages.filter(|n| *n >= 0);
    let page_count = match (from_pages, from_elements) {
        (Some(pages), Some(elements)) => {
            if pages != elements {
                log::debug!(
                    "{} {pages} and {} {} disagree for {} {size}; reading {} pages",
                    fields.total_pages,
                    fields.total_elements,
                    expected.unwrap_or_default(),
                    fields.page_size,
                    pages.min(elements)
                );
            }
            Some(pages.min(elements))
        }
        (Some(pages), None) => Some(pages.min(max_pages)),
        (None, elements) => elements,
    };
    let mut seen = Collector::<L>::new();
    let first_len = first.items.len();
    let first_total = first.total_elements;
    let moved = |p: &Page<L::Item>| -> Option<String> {
        match (first_total, p.total_elements) {
            (Some(a), Some(b)) if a != b => Some(format!(
                "{} was {a} on the first page and {b} on a later one",
                fields.total_elements
            )),
            _ => None,
        }
    };
    seen.add(first)?;

    // Page numbers after the first, in the server's numbering.
    let mut next = base + 1;
    match page_count {
        Some(count) => {
            let numbers = (1..count).map(|i| base + i);
            let mut pages = stream::iter(numbers)
                .map(&fetch)
                .buffered(max_concurrency.max(1));
            let mut number = base;
            while let Some(page) = pages.next().await {
                let page = page?;
                number += 1;
                if let Some(changed) = moved(&page) {
                    return Ok(Err(changed));
                }
                if page.items.is_empty() {
                    return Err(ClientError::Incomplete {
                        expected: expected.unwrap_or(u64::try_from(count).unwrap_or(0) * size),
                        got: seen.len(),
                        detail: format!(
                            "page {number} of {count} came back empty before the last page"
                        ),
                        noun,
                    });
                }
                seen.add(page)?;
            }
            next = base + count.max(1);
        }
        None => {
            // No totals: read on until a short page. A 1-based server that answers page 0 with
            // an empty page (and echoes nothing) would otherwise look like "0 items".
            let mut last_len = first_len;
            if first_len == 0 && base == 0 {
                let page = fetch(1).await?;
                if !page.items.is_empty() {
                    last_len = page.items.len();
                    seen.add(page)?;
                    next = 2;
                }
            }
            while u64::try_from(last_len).unwrap_or(u64::MAX) >= size {
                if next - base > max_pages {
                    return Err(beyond(
                        noun,
                        "pages",
                        format!(
                            "the API announces no totals and still sent full pages after {MAX_ITEMS} {}",
                            noun.short
                        ),
                    ));
                }
                let page = fetch(next).await?;
                last_len = page.items.len();
                seen.add(page)?;
                next += 1;
            }
        }
    }

    if let Some(expected) = expected {
        // A server whose numbering we misread is one page short: one page of read-ahead.
        if seen.len() < expected {
            let page = fetch(next).await?;
            if let Some(changed) = moved(&page) {
                return Ok(Err(changed));
            }
            seen.add(page)?;
        }
        if seen.len() < expected {
            return Err(ClientError::Incomplete {
                expected,
                got: seen.len(),
                detail: "the pages the totals imply were all read".to_owned(),
                noun,
            });
        }
        if seen.len() > expected {
            log::debug!(
                "read {} distinct {}, more than the {expected} announced",
                seen.len(),
                noun.many
            );
        }
    }
    Ok(Ok(seen.items))
}

/// Items in arrival order, each id once. Items without an id cannot be matched and are all kept.
struct Collector<L: PagedListing> {
    ids: HashSet<String>,
    items: Vec<L::Item>,
}

impl<L: PagedListing> Collector<L> {
    fn new() -> Self {
        Collector {
            ids: HashSet::new(),
            items: Vec::new(),
        }
    }

    /// Adds a page within the item bound.
    fn add(&mut self, page: Page<L::Item>) -> Result<(), ClientError> {
        for item in page.items {
            let new = match L::item_id(&item) {
                Some(id) => self.ids.insert(id.to_owned()),
                None => true,
            };
            if new {
                self.items.push(item);
            }
        }
        if self.len() > MAX_ITEMS {
            let noun = L::SHAPE.noun;
            return Err(beyond(
                noun,
                noun.short,
                format!("more than {MAX_ITEMS} distinct {} arrived", noun.many),
            ));
        }
        Ok(())
    }

    fn len(&self) -> u64 {
        u64::try_from(self.items.len()).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alibaba::listing::test_listing::{plan as task, Plan, Plans};
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
        items: Vec<Plan>,
        size: usize,
        numbering: Numbering,
        with_totals: bool,
        with_echo: bool,
        requests: Mutex<Vec<i64>>,
        in_flight: AtomicU32,
        max_in_flight: AtomicU32,
    }

    impl Fake {
        fn new(n: usize, size: usize, numbering: Numbering) -> Self {
            Fake {
                items: (0..n).map(task).collect(),
                size,
                numbering,
                with_totals: true,
                with_echo: true,
                requests: Mutex::new(Vec::new()),
                in_flight: AtomicU32::new(0),
                max_in_flight: AtomicU32::new(0),
            }
        }

        /// The same server, answering without `TotalPages` and `TotalElements`.
        fn without_totals(self) -> Self {
            Fake {
                with_totals: false,
                ..self
            }
        }

        /// The same server, not echoing `PageNum`.
        fn without_echo(self) -> Self {
            Fake {
                with_echo: false,
                ..self
            }
        }

        async fn page(&self, num: i64) -> Result<Page<Plan>, ClientError> {
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
                    .items
                    .iter()
                    .skip(i as usize * self.size)
                    .take(self.size)
                    .cloned()
                    .collect(),
                None => Vec::new(),
            };
            let n = self.items.len() as i64;
            Ok(Page {
                request_id: Some(format!("req-{num}")),
                page_num: self.with_echo.then_some(echo),
                page_size: Some(self.size as i64),
                total_pages: self
                    .with_totals
                    .then(|| (n + self.size as i64 - 1) / self.size as i64),
                total_elements: self.with_totals.then_some(n),
                items,
                bytes: 100,
            })
        }

        fn requests(&self) -> Vec<i64> {
            let mut r = self.requests.lock().unwrap().clone();
            r.sort();
            r
        }
    }

    async fn read(fake: &Fake, concurrency: usize) -> Result<Vec<Plan>, ClientError> {
        list_all::<Plans, _, _>(|n| fake.page(n), fake.size as u32, concurrency).await
    }

    /// [`read`], with every answer of the fake server changed by `tweak(page_num, page)`.
    async fn read_tweaked(
        fake: &Fake,
        concurrency: usize,
        tweak: impl Fn(i64, &mut Page<Plan>) + Copy,
    ) -> Result<Vec<Plan>, ClientError> {
        let answer = |n: i64| async move {
            let mut page = fake.page(n).await?;
            tweak(n, &mut page);
            Ok(page)
        };
        list_all::<Plans, _, _>(answer, fake.size as u32, concurrency).await
    }

    fn ids(items: &[Plan]) -> Vec<String> {
        items.iter().map(|t| t.id.clone().unwrap()).collect()
    }

    fn expected_ids(n: usize) -> Vec<String> {
        (0..n).map(|i| task(i).id.unwrap()).collect()
    }

    /// Asserts that [`read`] returns every one of the fake server's items once, in order.
    async fn assert_reads_everything(fake: &Fake, concurrency: usize) {
        let items = read(fake, concurrency).await.unwrap();
        assert_eq!(ids(&items), expected_ids(fake.items.len()));
    }

    #[tokio::test]
    async fn zero_based_reads_each_page_once_in_order() {
        let fake = Fake::new(250, 10, Numbering::ZeroBased);
        assert_reads_everything(&fake, 4).await;
        assert_eq!(fake.requests(), (0..25).collect::<Vec<_>>());
        assert_eq!(fake.max_in_flight.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn one_based_is_detected_from_the_echo() {
        let fake = Fake::new(95, 10, Numbering::OneBased);
        assert_reads_everything(&fake, 3).await;
        assert_eq!(
            fake.requests(),
            (0..=10).filter(|n| *n != 1).collect::<Vec<_>>()
        );
    }

    #[tokio::test]
    async fn one_based_with_a_misleading_echo_still_reads_everything_once() {
        for numbering in [Numbering::OneBasedEchoZero, Numbering::OneBasedZeroEmpty] {
            let fake = Fake::new(95, 10, numbering);
            assert_reads_everything(&fake, 4).await;
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
        let fake = Fake::new(25, 10, Numbering::ZeroBased)
            .without_totals()
            .without_echo();
        assert_reads_everything(&fake, 4).await;
        let fake = Fake::new(20, 10, Numbering::ZeroBased).without_totals();
        assert_reads_everything(&fake, 4).await;
        assert_eq!(fake.requests(), vec![0, 1, 2]);
    }

    #[tokio::test]
    async fn without_totals_an_empty_page_zero_of_a_one_based_server_is_not_zero_jobs() {
        let fake = Fake::new(25, 10, Numbering::OneBasedZeroEmpty)
            .without_totals()
            .without_echo();
        assert_reads_everything(&fake, 4).await;
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
        let lossy = |n, p: &mut Page<Plan>| {
            if n == 1 {
                p.items.pop();
            }
        };
        match read_tweaked(&fake, 4, lossy).await {
            Err(ClientError::Incomplete {
                expected: 30,
                got: 29,
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn absurd_totals_cost_only_the_pages_both_totals_allow() {
        // TotalPages 1e9 but TotalElements 5, all five on page 0: one request.
        let fake = Fake::new(5, 10, Numbering::ZeroBased);
        let got = read_tweaked(&fake, 4, |_, p| p.total_pages = Some(1_000_000_000)).await;
        assert_eq!(ids(&got.unwrap()), expected_ids(5));
        assert_eq!(fake.requests(), vec![0]);
        // 10^11 announced: refused before a second request.
        let fake = Fake::new(5, 10, Numbering::ZeroBased);
        let got = read_tweaked(&fake, 4, |_, p| p.total_elements = Some(100_000_000_000)).await;
        assert!(
            matches!(got, Err(ClientError::Unbounded { bound: "plans", .. })),
            "{got:?}"
        );
        assert_eq!(fake.requests(), vec![0]);
        // PageSize 1 echoed with 1,000 jobs announced: pages follow the size we asked (10).
        let fake = Fake::new(1000, 10, Numbering::ZeroBased);
        let got = read_tweaked(&fake, 4, |_, p| p.page_size = Some(1)).await;
        assert_eq!(got.unwrap().len(), 1000);
        assert_eq!(fake.requests().len(), 100);
    }

    #[tokio::test]
    async fn an_empty_page_before_the_end_stops_the_read_as_incomplete() {
        let fake = Fake::new(5000, 10, Numbering::ZeroBased);
        let got = read_tweaked(&fake, 1, |n, p| {
            if n >= 3 {
                p.items.clear()
            }
        })
        .await;
        match got {
            Err(ClientError::Incomplete {
                expected: 5000,
                got: 30,
                detail,
                noun,
            }) => {
                assert_eq!(noun, Plans::SHAPE.noun);
                assert!(detail.contains("page 3 of 500 came back empty"), "{detail}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(fake.requests().len(), 4, "no request after the empty page");
    }

    #[tokio::test]
    async fn new_jobs_on_every_page_without_totals_stop_at_the_job_bound() {
        let requests = AtomicU32::new(0);
        let endless = |n: i64| {
            requests.fetch_add(1, Ordering::SeqCst);
            async move {
                Ok(Page {
                    request_id: None,
                    page_num: Some(n),
                    page_size: None,
                    total_pages: None,
                    total_elements: None,
                    items: (0..100).map(|i| task(n as usize * 100 + i)).collect(),
                    bytes: 100,
                })
            }
        };
        let got = list_all::<Plans, _, _>(endless, 100, 4).await;
        assert!(
            matches!(got, Err(ClientError::Unbounded { bound: "plans", .. })),
            "{got:?}"
        );
        assert_eq!(
            requests.load(Ordering::SeqCst),
            (MAX_ITEMS / 100 + 1) as u32
        );
    }

    #[tokio::test]
    async fn answers_past_the_byte_bound_stop_the_read() {
        let fake = Fake::new(100, 10, Numbering::ZeroBased);
        let got = read_tweaked(&fake, 1, |_, p| p.bytes = 12 << 20).await;
        assert!(
            matches!(got, Err(ClientError::Unbounded { bound: "bytes", .. })),
            "{got:?}"
        );
        assert_eq!(fake.requests().len(), 9);
    }

    #[tokio::test]
    async fn duplicates_across_pages_are_dropped() {
        let fake = Fake::new(30, 10, Numbering::ZeroBased);
        let overlapping = |n, p: &mut Page<Plan>| {
            if n == 2 {
                p.items.insert(0, task(9));
            }
        };
        assert_eq!(
            ids(&read_tweaked(&fake, 4, overlapping).await.unwrap()),
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
            list_all::<Plans, _, _>(failing, 10, 4).await,
            Err(ClientError::Cancelled)
        ));
    }

    #[tokio::test]
    async fn totals_that_keep_moving_are_reported() {
        let fake = Fake::new(30, 10, Numbering::ZeroBased);
        let moving = |n, p: &mut Page<Plan>| p.total_elements = Some(30 + n);
        assert!(matches!(
            read_tweaked(&fake, 4, moving).await,
            Err(ClientError::Inconsistent { .. })
        ));
        // Read twice from the start, then gave up.
        assert_eq!(fake.requests().iter().filter(|n| **n == 0).count(), 2);
    }

    #[tokio::test]
    async fn odd_echo_is_malformed() {
        let fake = Fake::new(30, 10, Numbering::ZeroBased);
        assert!(matches!(
            read_tweaked(&fake, 4, |_, p| p.page_num = Some(7)).await,
            Err(ClientError::Malformed { .. })
        ));
    }
}
