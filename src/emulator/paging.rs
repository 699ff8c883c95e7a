//! Page arithmetic: which slice of the filtered tasks a `PageNum`/`PageSize` pair selects.
//!
//! The documented API is 0-based (`PageNum` 0 is the first page, and the default). Some Alibaba
//! APIs are 1-based and treat 0 like 1; the emulator can play either, and always echoes the page
//! it actually served so a client can tell which kind of server it is talking to.

use std::ops::Range;

/// Page size when the request names none (the real API's default).
pub(crate) const DEFAULT_PAGE_SIZE: u64 = 30;
/// Largest page size the API accepts.
pub(crate) const MAX_PAGE_SIZE: u64 = 100;
/// Largest page number the API accepts ("not above Integer's maximum").
const MAX_PAGE_NUM: u64 = i32::MAX as u64;

/// A validated page request; `page_num` is the effective page, as echoed back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageRequest {
    pub(crate) page_num: u64,
    pub(crate) page_size: u64,
}

/// The page that was served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Page {
    /// Indexes into the filtered task list; empty past the last page.
    pub(crate) range: Range<usize>,
    pub(crate) total_pages: u64,
}

/// A paging parameter outside the API's rules; carries the parameter's name for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InvalidPaging {
    pub(crate) parameter: &'static str,
}

/// Validates the raw `PageNum` and `PageSize` values (absent or empty means default).
pub(crate) fn page_request(
    page_num: Option<&str>,
    page_size: Option<&str>,
    one_based: bool,
) -> Result<PageRequest, InvalidPaging> {
    let first = u64::from(one_based);
    let page_num = match page_num {
        None => first,
        Some(raw) => parse_bounded(raw, 0, MAX_PAGE_NUM)
            .ok_or(InvalidPaging {
                parameter: "PageNum",
            })?
            .max(first),
    };
    let page_size = match page_size {
        None => DEFAULT_PAGE_SIZE,
        Some(raw) => parse_bounded(raw, 1, MAX_PAGE_SIZE).ok_or(InvalidPaging {
            parameter: "PageSize",
        })?,
    };
    Ok(PageRequest {
        page_num,
        page_size,
    })
}

fn parse_bounded(raw: &str, min: u64, max: u64) -> Option<u64> {
    raw.trim()
        .parse::<u64>()
        .ok()
        .filter(|v| (min..=max).contains(v))
}

/// Selects the page out of `total` tasks.
pub(crate) fn page(total: usize, request: PageRequest, one_based: bool) -> Page {
    let total = u64::try_from(total).unwrap_or(u64::MAX);
    let size = request.page_size.max(1);
    let index = request.page_num.saturating_sub(u64::from(one_based));
    let start = index.saturating_mul(size).min(total);
    let end = start.saturating_add(size).min(total);
    Page {
        range: to_usize(start)..to_usize(end),
        total_pages: total.div_ceil(size),
    }
}

fn to_usize(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(num: Option<&str>, size: Option<&str>, one: bool) -> Result<PageRequest, InvalidPaging> {
        page_request(num, size, one)
    }

    #[test]
    fn defaults_follow_the_base() {
        assert_eq!(
            req(None, None, false),
            Ok(PageRequest {
                page_num: 0,
                page_size: 30
            })
        );
        assert_eq!(req(None, None, true).map(|r| r.page_num), Ok(1));
    }

    #[test]
    fn zero_is_one_on_one_based_servers() {
        assert_eq!(req(Some("0"), None, true).map(|r| r.page_num), Ok(1));
        assert_eq!(req(Some("0"), None, false).map(|r| r.page_num), Ok(0));
        assert_eq!(req(Some("3"), None, true).map(|r| r.page_num), Ok(3));
    }

    #[test]
    fn page_size_bounds() {
        for bad in ["0", "101", "-1", "abc", "", "1.5"] {
            assert_eq!(
                req(None, Some(bad), false),
                Err(InvalidPaging {
                    parameter: "PageSize"
                }),
                "{bad}"
            );
        }
        assert_eq!(req(None, Some("1"), false).map(|r| r.page_size), Ok(1));
        assert_eq!(req(None, Some("100"), false).map(|r| r.page_size), Ok(100));
    }

    #[test]
    fn page_num_bounds() {
        for bad in ["-1", "x", "2147483648", ""] {
            assert!(req(Some(bad), None, false).is_err(), "{bad}");
        }
        assert_eq!(
            req(Some("2147483647"), None, false).map(|r| r.page_num),
            Ok(2_147_483_647)
        );
    }

    #[test]
    fn slices_zero_and_one_based() {
        let r = |n| PageRequest {
            page_num: n,
            page_size: 10,
        };
        // (tasks, page asked for, one-based) -> the slice served.
        for (total, num, one_based, range) in [
            (25, 0, false, 0..10),
            (25, 2, false, 20..25),
            (25, 3, false, 25..25),
            (25, 1, true, 0..10),
            (25, 3, true, 20..25),
            (25, 4, true, 25..25),
        ] {
            let served = page(total, r(num), one_based).range;
            assert_eq!(
                served, range,
                "{total} tasks, page {num}, one-based {one_based}"
            );
        }
        assert_eq!(page(25, r(0), false).total_pages, 3);
        assert_eq!(page(20, r(0), false).total_pages, 2);
        assert_eq!(
            page(0, r(0), false),
            Page {
                range: 0..0,
                total_pages: 0
            }
        );
    }

    #[test]
    fn huge_page_numbers_do_not_overflow() {
        let r = PageRequest {
            page_num: u64::MAX,
            page_size: 100,
        };
        assert_eq!(page(5, r, false).range, 5..5);
    }
}
