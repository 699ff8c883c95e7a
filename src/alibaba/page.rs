//! One page of any listing, read strictly where a mistake would be silent.
//!
//! The API varies in harmless ways: `Items` missing, `null` or `{}` on an empty page, a lone
//! object in place of a list of one. Those are accepted. What would turn into a silently short
//! list — the items under another key, a list of the wrong type, no list where the totals promise
//! items — is an error, never "0 items".

use serde_json::{Map, Value};

use super::json_error::describe_json_error;
use super::lenient;
use super::listing::PagedListing;

/// One successful page of a listing.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    /// `RequestId` of the answer.
    pub request_id: Option<String>,
    /// The page number as the server echoed it; tells a 0-based server from a 1-based one.
    pub page_num: Option<i64>,
    /// The page size as the server echoed it.
    pub page_size: Option<i64>,
    /// `TotalPages`.
    pub total_pages: Option<i64>,
    /// `TotalElements`: what the whole listing must add up to.
    pub total_elements: Option<i64>,
    /// The items of this page, in API order.
    pub items: Vec<T>,
    /// Size of the body this page came in, for the listing's byte bound.
    pub bytes: usize,
}

/// Why a successful-looking body could not be read as a page.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not JSON at all, or cut short.
    #[error("the body is not valid JSON ({detail})")]
    NotJson {
        /// serde_json's category and position; never the body itself.
        detail: String,
    },
    /// JSON, but not an object.
    #[error("the body is JSON but not an object")]
    NotAnObject,
    /// An item of the list could not be read.
    #[error("{what} #{index}{} of the page cannot be read: {detail}", id.as_ref().map(|id| format!(" ({id})")).unwrap_or_default())]
    BadItem {
        /// What the items are (`restore job`).
        what: &'static str,
        /// Position in the page, 0-based.
        index: usize,
        /// Its id, when it has one.
        id: Option<String>,
        /// What was wrong, naming the field.
        detail: String,
    },
    /// The envelope is not shaped like a page: the list holder of the wrong type, the list under
    /// another key, or no list where the totals promise items. Never read as "0 items".
    #[error("the answer is not shaped like a {action} page: {detail}")]
    Shape {
        /// The action whose page it should be.
        action: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// More items than the page size asked for.
    #[error("the page holds {found} {what}, more than the PageSize of {asked} asked for")]
    TooManyItems {
        /// What the items are, in a word (`jobs`).
        what: &'static str,
        /// Items in the page.
        found: usize,
        /// The page size sent.
        asked: usize,
    },
}

/// Parses a successful body of `L`'s action into a [`Page`] of at most `max_items`.
pub fn parse_page<L: PagedListing>(
    body: &[u8],
    max_items: usize,
) -> Result<Page<L::Item>, ParseError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| ParseError::NotJson {
        detail: describe_json_error(&e, body),
    })?;
    let Value::Object(obj) = value else {
        return Err(ParseError::NotAnObject);
    };
    read_page::<L>(&obj, max_items)
}

/// Same as [`parse_page`] for an already parsed object (the client parses once to look for
/// errors).
pub fn read_page<L: PagedListing>(
    obj: &Map<String, Value>,
    max_items: usize,
) -> Result<Page<L::Item>, ParseError> {
    let shape = &L::SHAPE;
    let (list, item) = (shape.items.list, shape.items.item);
    let total_field = shape.fields.total_elements;
    let total_elements = number_field(obj, total_field);
    let promised = total_elements.is_some_and(|n| n > 0);
    let wrong = |detail: String| ParseError::Shape {
        action: shape.action,
        detail,
    };
    let other_list = |map: &Map<String, Value>| {
        map.iter()
            .find(|(_, v)| matches!(v, Value::Array(a) if !a.is_empty()))
            .map(|(k, _)| k.clone())
    };
    let raw_items: Vec<&Value> = match obj.get(list) {
        Some(Value::Object(holder)) => match holder.get(item) {
            Some(Value::Array(all)) => all.iter().collect(),
            Some(one @ Value::Object(_)) => vec![one],
            Some(Value::Null) => Vec::new(),
            Some(other) => {
                return Err(wrong(format!(
                    "`{list}.{item}` is {}, not a list of {}",
                    kind(other),
                    shape.noun.short
                )))
            }
            None => {
                if let Some(key) = other_list(holder) {
                    return Err(wrong(format!(
                        "`{list}` holds a list under `{key}`, not under `{item}`"
                    )));
                }
                if promised {
                    return Err(wrong(format!(
                        "`{list}` has no `{item}` although `{total_field}` is {}",
                        total_elements.unwrap_or_default()
                    )));
                }
                Vec::new()
            }
        },
        Some(Value::Array(all)) => all.iter().collect(),
        Some(Value::Null) | None => {
            if let Some(key) = other_list(obj) {
                return Err(wrong(format!("no `{list}`, but a list under `{key}`")));
            }
            if promised {
                return Err(wrong(format!(
                    "no `{list}` although `{total_field}` is {}",
                    total_elements.unwrap_or_default()
                )));
            }
            Vec::new()
        }
        Some(other) => {
            return Err(wrong(format!(
                "`{list}` is {}, not an object holding `{item}`",
                kind(other)
            )))
        }
    };
    if raw_items.len() > max_items {
        return Err(ParseError::TooManyItems {
            what: shape.noun.short,
            found: raw_items.len(),
            asked: max_items,
        });
    }
    let mut items = Vec::with_capacity(raw_items.len());
    for (index, raw) in raw_items.into_iter().enumerate() {
        let parsed = L::parse_item(raw).map_err(|detail| ParseError::BadItem {
            what: shape.noun.one,
            index,
            id: raw
                .get(shape.id_field)
                .and_then(lenient::value_to_string)
                .map(|id| id.chars().take(64).collect()),
            detail,
        })?;
        items.push(parsed);
    }
    Ok(Page {
        request_id: obj.get("RequestId").and_then(lenient::value_to_string),
        page_num: number_field(obj, shape.fields.page_num),
        page_size: number_field(obj, shape.fields.page_size),
        total_pages: number_field(obj, shape.fields.total_pages),
        total_elements,
        items,
        bytes: 0,
    })
}

/// A JSON value's kind, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Envelope numbers are informational; an unreadable one is treated as absent, and the paging
/// code's count check catches any consequence.
fn number_field(obj: &Map<String, Value>, key: &str) -> Option<i64> {
    obj.get(key)
        .and_then(|v| lenient::value_to_i64(v).ok().flatten())
}

/// What every listing's pages must read, and refuse, checked from its declaration alone: each
/// listing's tests run these, so a new listing gets them for one line each.
#[cfg(test)]
pub(crate) mod conformance {
    use super::*;

    fn parse<L: PagedListing>(body: &str) -> Result<Page<L::Item>, ParseError> {
        parse_page::<L>(body.as_bytes(), 100)
    }

    /// Every way the API says "nothing" is an empty page.
    pub(crate) fn empty_pages_in_every_spelling<L: PagedListing>() {
        let (list, item) = (L::SHAPE.items.list, L::SHAPE.items.item);
        for body in [
            r#"{"Success":true}"#.to_owned(),
            format!(r#"{{"{list}":null}}"#),
            format!(r#"{{"{list}":{{}}}}"#),
            format!(r#"{{"{list}":[]}}"#),
            format!(r#"{{"{list}":{{"{item}":null}}}}"#),
            format!(r#"{{"{list}":{{"{item}":[]}}}}"#),
        ] {
            let page = parse::<L>(&body).unwrap_or_else(|e| panic!("{body}: {e}"));
            assert!(page.items.is_empty(), "{body}");
        }
    }

    /// A body of the wrong shape is an error naming what is wrong, never an empty page; a page
    /// may not hold more items than asked for.
    pub(crate) fn wrong_shapes_are_errors<L: PagedListing>() {
        let shape = &L::SHAPE;
        let (list, item, id) = (shape.items.list, shape.items.item, shape.id_field);
        let total = shape.fields.total_elements;
        // The item key as the API spells it in other actions (`RestoreTask` for
        // `RestoreTaskDetail`).
        let renamed = item
            .strip_suffix("Detail")
            .map_or_else(|| format!("{item}List"), str::to_owned);
        for (body, needle) in [
            (
                format!(r#"{{"{list}":"none"}}"#),
                format!("`{list}` is a string"),
            ),
            (
                format!(r#"{{"{list}":{{"{item}":"x"}}}}"#),
                format!(
                    "`{list}.{item}` is a string, not a list of {}",
                    shape.noun.short
                ),
            ),
            (
                format!(r#"{{"{list}":{{"{renamed}":[{{"{id}":"a"}}]}}}}"#),
                format!("under `{renamed}`, not under `{item}`"),
            ),
            (
                format!(r#"{{"Data":[{{"{id}":"a"}}],"{total}":1}}"#),
                "a list under `Data`".to_owned(),
            ),
            (
                format!(r#"{{"{total}":3}}"#),
                format!("no `{list}` although `{total}` is 3"),
            ),
            (
                format!(r#"{{"{list}":{{}},"{total}":3}}"#),
                format!("no `{item}` although"),
            ),
        ] {
            match parse::<L>(&body) {
                Err(e @ ParseError::Shape { .. }) => {
                    let text = e.to_string();
                    assert!(text.contains(&format!("a {} page", shape.action)), "{text}");
                    assert!(text.contains(&needle), "{body}: {text}");
                }
                Err(other) => panic!("{body}: {other:?}"),
                Ok(page) => panic!("{body}: read as a page of {}", page.items.len()),
            }
        }
        let many = format!(r#"{{"{list}":{{"{item}":[{}{{}}]}}}}"#, "{},".repeat(100));
        let err = parse::<L>(&many).err().expect("101 items in a page of 100");
        assert_eq!(
            err,
            ParseError::TooManyItems {
                what: shape.noun.short,
                found: 101,
                asked: 100
            }
        );
        assert!(err
            .to_string()
            .starts_with(&format!("the page holds 101 {}", shape.noun.short)));
    }

    /// What is not JSON, or not an object, is its own error.
    pub(crate) fn garbage_is_a_typed_error<L: PagedListing>() {
        let list = L::SHAPE.items.list;
        for body in [
            format!(r#"{{"{list}":{{"Backup"#),
            "<html>502</html>".to_owned(),
        ] {
            assert!(
                matches!(parse::<L>(&body), Err(ParseError::NotJson { .. })),
                "{body}"
            );
        }
        assert!(matches!(parse::<L>("[1]"), Err(ParseError::NotAnObject)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alibaba::listing::test_listing::{Plan, Plans};
    use proptest::prelude::*;

    fn parse(body: &str) -> Result<Page<Plan>, ParseError> {
        parse_page::<Plans>(body.as_bytes(), 100)
    }

    fn ids(body: &str) -> Vec<Option<String>> {
        parse(body)
            .unwrap()
            .items
            .into_iter()
            .map(|p| p.id)
            .collect()
    }

    #[test]
    fn the_conformance_checks_hold_for_a_second_listing() {
        conformance::empty_pages_in_every_spelling::<Plans>();
        conformance::wrong_shapes_are_errors::<Plans>();
        conformance::garbage_is_a_typed_error::<Plans>();
    }

    #[test]
    fn the_envelope_is_read_from_the_declared_fields() {
        let p = parse(
            r#"{"RequestId":"R","PageNum":"1","PageSize":100,"TotalPages":"3","TotalElements":250,
                "Items":{"BackupPlanDetail":[{"BackupPlanId":"a"},{"BackupPlanId":7},{}]}}"#,
        )
        .unwrap();
        assert_eq!(
            (p.page_num, p.page_size, p.total_pages, p.total_elements),
            (Some(1), Some(100), Some(3), Some(250))
        );
        assert_eq!(p.request_id.as_deref(), Some("R"));
        let got: Vec<_> = p.items.iter().map(|i| i.id.as_deref()).collect();
        assert_eq!(got, [Some("a"), Some("7"), None]);
        // A lone object is a list of one; a bare list under `Items` is read too.
        assert_eq!(
            ids(r#"{"Items":{"BackupPlanDetail":{"BackupPlanId":"only"}}}"#),
            [Some("only".to_owned())]
        );
        assert_eq!(ids(r#"{"Items":[{"BackupPlanId":"b"}]}"#).len(), 1);
    }

    #[test]
    fn a_bad_item_is_named_by_position_and_declared_id() {
        let err = parse(
            r#"{"Items":{"BackupPlanDetail":[{"BackupPlanId":"ok"},
                {"BackupPlanId":"dbs-bad","BackupPlanCreateTime":"soon"}]}}"#,
        )
        .unwrap_err();
        assert!(matches!(err, ParseError::BadItem { index: 1, .. }), "{err}");
        let text = err.to_string();
        assert!(text.starts_with("backup plan #1 (dbs-bad)"), "{text}");
        assert!(text.contains("`BackupPlanCreateTime`"), "{text}");
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_page::<Plans>(&body, 100);
        }
    }
}
