//! Request parameters: decoding `application/x-www-form-urlencoded` text into ordered pairs.
//!
//! The signature covers the decoded values, so the emulator needs them exactly as the client
//! meant them, in a list (a map would hide repeated names from the signature check). Decoding is
//! done here by hand: it is a dozen lines, and no direct dependency offers it.

use std::fmt;

/// The decoded parameters of one request, in arrival order (query string first, then form body).
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

/// The request's parameters could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodeError {
    pub(crate) reason: &'static str,
}

impl fmt::Debug for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only names: values include the signature and possibly a security token.
        f.debug_list()
            .entries(self.pairs.iter().map(|(k, _)| k))
            .finish()
    }
}

impl Params {
    /// Appends every `name=value` pair of `text` (empty segments between `&` are ignored).
    pub(crate) fn extend_from(&mut self, text: &str) -> Result<(), DecodeError> {
        for segment in text.split('&').filter(|s| !s.is_empty()) {
            let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
            self.pairs.push((decode(name)?, decode(value)?));
        }
        Ok(())
    }

    /// The first value given for `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value for `name`, treating an empty value like an absent one (as the real API does).
    pub(crate) fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// Every pair, in arrival order.
    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// Every pair except `name` (used to drop `Signature` before recomputing it).
    pub(crate) fn without(&self, name: &str) -> Vec<(String, String)> {
        self.pairs
            .iter()
            .filter(|(k, _)| k != name)
            .cloned()
            .collect()
    }
}

/// Percent-decodes one name or value; `+` is a space, as in every form encoder.
fn decode(text: &str) -> Result<String, DecodeError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|b| hex(*b));
                let lo = bytes.get(i + 2).and_then(|b| hex(*b));
                match (hi, lo) {
                    (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                    _ => {
                        return Err(DecodeError {
                            reason: "a percent sign is not followed by two hex digits",
                        })
                    }
                }
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| DecodeError {
        reason: "a parameter is not valid UTF-8 once decoded",
    })
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Params, DecodeError> {
        let mut params = Params::default();
        params.extend_from(text)?;
        Ok(params)
    }

    #[test]
    fn decodes_percent_plus_and_utf8() {
        let p = parse("A=a%20b&B=c+d&C=%E4%B8%AD%2A~&D").unwrap();
        assert_eq!(p.get("A"), Some("a b"));
        assert_eq!(p.get("B"), Some("c d"));
        assert_eq!(p.get("C"), Some("中*~"));
        assert_eq!(p.get("D"), Some(""));
        assert_eq!(p.non_empty("D"), None);
        assert_eq!(p.get("E"), None);
    }

    #[test]
    fn keeps_order_and_repeats() {
        let p = parse("x=1&&y=2&x=3").unwrap();
        assert_eq!(p.get("x"), Some("1"));
        assert_eq!(
            p.without("y"),
            vec![("x".into(), "1".into()), ("x".into(), "3".into())]
        );
    }

    #[test]
    fn rejects_bad_escapes() {
        assert!(parse("a=%").is_err());
        assert!(parse("a=%4").is_err());
        assert!(parse("a=%zz").is_err());
        assert!(parse("a=%FF").is_err());
    }

    #[test]
    fn debug_shows_names_only() {
        let p = parse("Signature=secret-sig&SecurityToken=tok").unwrap();
        let shown = format!("{p:?}");
        assert!(!shown.contains("secret-sig") && !shown.contains("tok\""));
        assert!(shown.contains("Signature"));
    }
}
