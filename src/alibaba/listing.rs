//! What a paged listing of the DBS API is, declared once per action, and how the client reads one.
//!
//! The DBS `Describe*List` actions all page the same way (`PageNum`/`PageSize` in,
//! `TotalElements`/`TotalPages` and a list under `Items.<Something>Detail` out), so everything
//! that makes a listing safe — exactly-once concurrent paging, the bounds on jobs, pages and
//! bytes, the strict page shape, the local re-filter — is written once, here and in
//! `paging` and [`super::page`]. An action only says what is its own: a
//! [`PagedListing`] implementation on its query type (see [`super::restore_tasks`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::client::{ClientError, DbsClient, Progress};
use super::rpc::{self, RpcCall};
use super::{page, paging};

/// How messages name a listing's items, so that a failed read says "restore jobs" and not
/// "items".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Noun {
    /// One item, with its kind: `restore job` (also names the list: "the restore job list").
    pub one: &'static str,
    /// Several: `restore jobs`.
    pub many: &'static str,
    /// Several, in a word: `jobs`; also the name of the bound on their number.
    pub short: &'static str,
}

/// Where a page keeps its items: `Items.RestoreTaskDetail` is `{ list: "Items", item:
/// "RestoreTaskDetail" }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ItemPath {
    /// The envelope's key.
    pub list: &'static str,
    /// The key inside it that holds the list (or a lone item).
    pub item: &'static str,
}

/// The paging fields, in requests and answers. The page number's base is not declared: the
/// first request asks for page 0, and the echoed number tells a 0-based server from a 1-based
/// one (see `paging`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageFields {
    /// Sent and echoed: which page.
    pub page_num: &'static str,
    /// Sent and echoed: items per page.
    pub page_size: &'static str,
    /// Answered: how many pages there are.
    pub total_pages: &'static str,
    /// Answered: how many items the whole listing has.
    pub total_elements: &'static str,
}

impl PageFields {
    /// What every DBS listing uses.
    pub const DBS: PageFields = PageFields {
        page_num: "PageNum",
        page_size: "PageSize",
        total_pages: "TotalPages",
        total_elements: "TotalElements",
    };
}

/// The fixed facts of a listing action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListingShape {
    /// `Action`.
    pub action: &'static str,
    /// `Version`.
    pub version: &'static str,
    /// Largest `PageSize` the action accepts; also what a query with page size 0 gets.
    pub max_page_size: u32,
    /// Where a page keeps its items.
    pub items: ItemPath,
    /// The field that identifies an item on the wire, to name an item that cannot be read.
    pub id_field: &'static str,
    /// The paging fields.
    pub fields: PageFields,
    /// What the items are called in messages.
    pub noun: Noun,
}

/// Per-read settings every listing query carries; none is sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListOptions<'a> {
    /// `PageSize`; 0 means the action's maximum.
    pub page_size: u32,
    /// Names the read in log lines: with many reads sharing one client, the caller says which
    /// is which.
    pub label: Option<&'a str>,
    /// When the whole read must be over, retries and waits included.
    pub deadline: Option<Instant>,
}

/// A paged listing action, implemented by its query type: the query's own parameters and
/// re-filter, and the action's shape, item parser and item id.
pub trait PagedListing: Sync {
    /// One item of the list.
    type Item: Send;

    /// The action and the shape of its pages.
    const SHAPE: ListingShape;

    /// The action's own parameters for this query; the paging and common parameters are added
    /// per request.
    fn parameters(&self) -> Vec<(String, String)>;

    /// Page size, log label and deadline of this read.
    fn options(&self) -> ListOptions<'_>;

    /// Reads one item of a page; the error says what is wrong, naming the field.
    fn parse_item(raw: &Value) -> Result<Self::Item, String>;

    /// What makes an item the same item on another page. Items without one are all kept.
    fn item_id(item: &Self::Item) -> Option<&str>;

    /// Whether the query asks for `item`: the filters the server should already have applied,
    /// checked once more so that a server ignoring one cannot widen the result.
    fn keeps(&self, item: &Self::Item) -> bool;
}

impl DbsClient {
    /// Every item the query asks for, exactly once, in API order. Cancelling the token makes it
    /// return [`ClientError::Cancelled`] promptly: in-flight requests are dropped.
    pub async fn list<L: PagedListing>(
        &self,
        query: &L,
        cancel: &CancellationToken,
    ) -> Result<Vec<L::Item>, ClientError> {
        if cancel.is_cancelled() {
            return Err(ClientError::Cancelled);
        }
        let shape = &L::SHAPE;
        let options = query.options();
        let page_size = match options.page_size {
            0 => shape.max_page_size,
            n if n <= shape.max_page_size => n,
            n => {
                return Err(ClientError::InvalidQuery(format!(
                    "{}: page_size {n} is outside 1..={}",
                    shape.action, shape.max_page_size
                )))
            }
        };
        let call = RpcCall {
            label: options.label.map(str::to_owned),
            ..RpcCall::new(shape.action, shape.version, query.parameters())
        };
        let label = options.label.unwrap_or("-");
        let started = Instant::now();
        // Progress, for a deadline's error to say how far the read got.
        let pages = AtomicU64::new(0);
        let items = AtomicU64::new(0);
        let read = |obj| page::read_page::<L>(&obj, page_size as usize).map_err(|e| e.to_string());
        let fetch = |page_num: i64| {
            let mut call = call.clone();
            call.params.extend([
                (shape.fields.page_num.to_owned(), page_num.to_string()),
                (shape.fields.page_size.to_owned(), page_size.to_string()),
            ]);
            call.page = Some(page_num);
            let (pages, items, read) = (&pages, &items, &read);
            async move {
                let answer = self.send(&call, read).await?;
                let mut page = answer.value;
                page.request_id = answer.request_id;
                page.bytes = answer.bytes;
                pages.fetch_add(1, Ordering::Relaxed);
                items.fetch_add(page.items.len() as u64, Ordering::Relaxed);
                Ok(page)
            }
        };
        let work = paging::list_all::<L, _, _>(fetch, page_size, self.config().max_concurrency);
        let progress = || {
            Some(Progress {
                pages: pages.load(Ordering::Relaxed),
                items: items.load(Ordering::Relaxed),
                noun: shape.noun,
            })
        };
        let all = rpc::within(cancel, options.deadline, started, progress, work).await?;
        let fetched = all.len();
        let kept: Vec<L::Item> = all.into_iter().filter(|item| query.keeps(item)).collect();
        if kept.len() < fetched {
            log::warn!(
                "read={label} the API returned {} {} outside the query (it ignored a filter); they were dropped",
                fetched - kept.len(),
                shape.noun.many
            );
        }
        Ok(kept)
    }
}

/// A second listing, shaped like `DescribeBackupPlanList`, for the tests of the generic pieces:
/// if they serve it, a second data source needs only its declaration.
#[cfg(test)]
pub(crate) mod test_listing {
    use super::*;

    /// A backup plan, reduced to what the tests look at.
    #[derive(Clone, Debug, Default, PartialEq, serde::Deserialize)]
    pub(crate) struct Plan {
        #[serde(
            rename = "BackupPlanId",
            default,
            deserialize_with = "crate::alibaba::lenient::string"
        )]
        pub(crate) id: Option<String>,
        #[serde(
            rename = "BackupPlanCreateTime",
            default,
            deserialize_with = "crate::alibaba::lenient::integer"
        )]
        pub(crate) created: Option<i64>,
    }

    /// All plans, or the one plan named.
    #[derive(Clone, Debug, Default)]
    pub(crate) struct Plans {
        pub(crate) id: Option<String>,
        pub(crate) page_size: u32,
    }

    impl PagedListing for Plans {
        type Item = Plan;
        const SHAPE: ListingShape = ListingShape {
            action: "DescribeBackupPlanList",
            version: rpc::DBS_API_VERSION,
            max_page_size: 100,
            items: ItemPath {
                list: "Items",
                item: "BackupPlanDetail",
            },
            id_field: "BackupPlanId",
            fields: PageFields::DBS,
            noun: Noun {
                one: "backup plan",
                many: "backup plans",
                short: "plans",
            },
        };

        fn parameters(&self) -> Vec<(String, String)> {
            self.id
                .iter()
                .map(|id| ("BackupPlanId".to_owned(), id.clone()))
                .collect()
        }

        fn options(&self) -> ListOptions<'_> {
            ListOptions {
                page_size: self.page_size,
                ..ListOptions::default()
            }
        }

        fn parse_item(raw: &Value) -> Result<Plan, String> {
            crate::alibaba::lenient::item_from_value(raw)
        }

        fn item_id(item: &Plan) -> Option<&str> {
            item.id.as_deref()
        }

        fn keeps(&self, item: &Plan) -> bool {
            self.id.is_none() || item.id == self.id
        }
    }

    pub(crate) fn plan(id: usize) -> Plan {
        Plan {
            id: Some(format!("dbs-{id:05}")),
            created: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_listing::Plans;
    use super::*;
    use crate::alibaba::{ClientConfig, Credentials};

    fn client() -> DbsClient {
        let creds = Credentials {
            access_key_id: "id".into(),
            access_key_secret: "secret".into(),
            security_token: None,
        };
        DbsClient::new(ClientConfig::new(
            "http://127.0.0.1:1",
            "cn-hangzhou",
            creds,
        ))
        .unwrap()
    }

    #[tokio::test]
    async fn page_size_is_checked_against_the_declaration_and_cancellation_is_immediate() {
        let token = CancellationToken::new();
        let too_big = Plans {
            page_size: 101,
            ..Plans::default()
        };
        match client().list(&too_big, &token).await {
            Err(ClientError::InvalidQuery(detail)) => {
                assert!(detail.contains("DescribeBackupPlanList"), "{detail}");
                assert!(detail.contains("1..=100"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
        token.cancel();
        assert!(matches!(
            client().list(&Plans::default(), &token).await,
            Err(ClientError::Cancelled)
        ));
    }
}
