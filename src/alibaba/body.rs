//! Reading an answer within bounds, whatever the endpoint sends: a proxy, a captive portal, a
//! broken gateway or a hostile server.
//!
//! - A body is read chunk by chunk and abandoned past [`MAX_BODY_BYTES`] (or at once when its
//!   `Content-Length` says it will be); a body that never ends hits the attempt's timeout.
//! - Only one body larger than [`LARGE_BODY_BYTES`] is held at a time per client, so eight
//!   requests in flight cannot each hold 32 MiB.
//! - Before a body is parsed into a tree, its JSON values are counted without building them
//!   ([`census`]): a page of 100 jobs holds a few thousand, so a body with more than
//!   [`MAX_JSON_VALUES`] is refused before it can take a hundred times its size in memory.
//! - A compressed body we did not ask for is named as such rather than reported as garbage.

use std::cell::Cell;

use serde::de::{self, DeserializeSeed, IgnoredAny, Visitor};
use tokio::sync::{Semaphore, SemaphorePermit};

/// Largest body read; past it the answer is abandoned.
pub const MAX_BODY_BYTES: usize = 32 << 20;
/// Bodies past this size take the client's one large-body slot while they are read and parsed.
pub const LARGE_BODY_BYTES: usize = 1 << 20;
/// Most JSON values (objects, lists, strings, numbers, ...) an answer may hold.
pub const MAX_JSON_VALUES: usize = 200_000;

/// Why a body was not read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// Larger than [`MAX_BODY_BYTES`]; `announced` is its `Content-Length` when that said so.
    TooLarge { announced: Option<u64> },
    /// Sent with a `Content-Encoding` we never asked for.
    Encoded(String),
    /// The connection failed mid-body.
    Transport(reqwest::Error),
}

impl BodyError {
    /// What happened, for a diagnostic.
    pub(crate) fn describe(&self) -> String {
        match self {
            BodyError::TooLarge { announced: Some(n) } => format!(
                "the answer announces a {:.1} MiB body, more than the {} MiB a page may take",
                *n as f64 / (1 << 20) as f64,
                MAX_BODY_BYTES >> 20
            ),
            BodyError::TooLarge { announced: None } => format!(
                "the answer's body went on past {} MiB, more than a page may take; it was abandoned",
                MAX_BODY_BYTES >> 20
            ),
            BodyError::Encoded(encoding) => format!(
                "the answer is `{encoding}`-compressed, which the provider never asks for (a proxy \
                 in between may be rewriting answers)"
            ),
            BodyError::Transport(e) => e.to_string(),
        }
    }
}

/// Reads `response`'s body within the bounds above. The permit, when there is one, is the
/// large-body slot: keep it until the body is parsed and dropped.
pub(crate) async fn read_body<'a>(
    mut response: reqwest::Response,
    large_bodies: &'a Semaphore,
) -> Result<(Vec<u8>, Option<SemaphorePermit<'a>>), BodyError> {
    if let Some(encoding) = response
        .headers()
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("identity"))
    {
        return Err(BodyError::Encoded(encoding.chars().take(32).collect()));
    }
    let announced = response.content_length();
    if announced.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(BodyError::TooLarge { announced });
    }
    let mut permit = None;
    if announced.is_some_and(|n| n > LARGE_BODY_BYTES as u64) {
        permit = large_bodies.acquire().await.ok();
    }
    let mut body = Vec::with_capacity(announced.map_or(0, |n| n as usize).min(LARGE_BODY_BYTES));
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(BodyError::TooLarge { announced: None });
        }
        if permit.is_none() && body.len() + chunk.len() > LARGE_BODY_BYTES {
            permit = large_bodies.acquire().await.ok();
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, permit))
}

/// Why [`census`] refused a body.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CensusError {
    /// More than [`MAX_JSON_VALUES`].
    TooMany,
    /// Not JSON (the tree parse reports the details).
    NotJson,
}

/// Counts the JSON values in `body` without building them.
pub(crate) fn census(body: &[u8]) -> Result<(), CensusError> {
    let remaining = Cell::new(MAX_JSON_VALUES);
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    match (Census {
        remaining: &remaining,
    })
    .deserialize(&mut deserializer)
    {
        Ok(()) => deserializer.end().map_err(|_| CensusError::NotJson),
        Err(_) if remaining.get() == 0 => Err(CensusError::TooMany),
        Err(_) => Err(CensusError::NotJson),
    }
}

#[derive(Clone, Copy)]
struct Census<'a> {
    remaining: &'a Cell<usize>,
}

impl Census<'_> {
    fn tick<E: de::Error>(self) -> Result<(), E> {
        match self.remaining.get() {
            0 => Err(E::custom("too many JSON values")),
            n => {
                self.remaining.set(n - 1);
                Ok(())
            }
        }
    }
}

impl<'de> DeserializeSeed<'de> for Census<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Census<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.tick()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.tick()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.tick()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.tick()
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.tick()
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.tick()
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.tick()
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.tick()?;
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.tick()?;
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value_seed(self)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_census_counts_without_building() {
        assert_eq!(
            census(br#"{"Items":{"RestoreTaskDetail":[{"a":1},{"b":"x"}]}}"#),
            Ok(())
        );
        let many = format!("[{}0]", "0,".repeat(MAX_JSON_VALUES));
        assert_eq!(census(many.as_bytes()), Err(CensusError::TooMany));
        let just_enough = format!("[{}0]", "0,".repeat(MAX_JSON_VALUES - 2));
        assert_eq!(census(just_enough.as_bytes()), Ok(()));
        assert_eq!(census(b"{\"a\":"), Err(CensusError::NotJson));
        assert_eq!(census(b"{} trailing"), Err(CensusError::NotJson));
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(census(deep.as_bytes()), Err(CensusError::NotJson));
    }
}
