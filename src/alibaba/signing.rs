//! Alibaba Cloud RPC signature version 1 (HMAC-SHA1), as pure functions.
//!
//! Nothing here reads the clock, the environment or a random source: time, nonce and secrets are
//! parameters. That keeps the signer testable against the published vector step by step, and lets
//! the emulator verify requests with exactly the same code the client signs them with.
//!
//! The intermediate values ([`CanonicalQuery`], [`StringToSign`]) are their own types so a failing
//! test says which step broke. Their `Debug` output redacts the `SecurityToken` and `Signature`
//! values, because both end up in logs far too easily.

use std::fmt;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use time::OffsetDateTime;

/// `Format` sent with every request: the client only parses JSON.
pub const FORMAT: &str = "JSON";
/// `SignatureMethod` of signature version 1.
pub const SIGNATURE_METHOD: &str = "HMAC-SHA1";
/// `SignatureVersion` of this signer.
pub const SIGNATURE_VERSION: &str = "1.0";

/// Parameter names whose values are secret and must not show up in `Debug` output.
const REDACTED_KEYS: [&str; 2] = ["SecurityToken", "Signature"];

/// Percent-encodes per RFC 3986 as Alibaba requires: only `A-Z a-z 0-9 - _ . ~` stay literal, every
/// other UTF-8 byte becomes `%XX` with upper-case hex (so space is `%20`, `*` is `%2A`, `~` stays).
///
/// Form encoders differ from this (`+` for space, `*` kept, `~` escaped), which is why the signer
/// does its own encoding instead of borrowing a URL library's.
pub fn percent_encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// The sorted, encoded `k=v&k=v` query that the signature covers (everything but `Signature`).
#[derive(Clone, PartialEq, Eq)]
pub struct CanonicalQuery(String);

impl CanonicalQuery {
    /// The exact text that was signed; secret values included, so never log it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CanonicalQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CanonicalQuery")
            .field(&redact_pairs(&self.0, "&", "="))
            .finish()
    }
}

/// Builds the canonical query: parameters sorted by name (byte order, ties by value so the result
/// does not depend on input order), name and value percent-encoded, joined by `&`.
pub fn canonical_query(params: &[(String, String)]) -> CanonicalQuery {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()).then(a.1.cmp(&b.1)));
    let joined = sorted
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    CanonicalQuery(joined)
}

/// `METHOD&%2F&encode(canonical query)`: the text that is HMAC'd.
#[derive(Clone, PartialEq, Eq)]
pub struct StringToSign(String);

impl StringToSign {
    /// The exact text that is HMAC'd; secret values included, so never log it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for StringToSign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `METHOD&%2F&query`: inside the query part the separators are encoded once more.
        let redacted = match self.0.splitn(3, '&').collect::<Vec<_>>().as_slice() {
            [method, path, query] => {
                format!("{method}&{path}&{}", redact_pairs(query, "%26", "%3D"))
            }
            _ => self.0.clone(),
        };
        f.debug_tuple("StringToSign").field(&redacted).finish()
    }
}

/// Builds the string-to-sign for an HTTP method (upper-cased, as the server compares it) and a
/// canonical query. The path is always `/` for RPC-style APIs.
pub fn string_to_sign(method: &str, query: &CanonicalQuery) -> StringToSign {
    StringToSign(format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode("/"),
        percent_encode(query.as_str())
    ))
}

/// Base64 of HMAC-SHA1 over the string-to-sign, keyed with `access_key_secret + "&"`.
///
/// The result is a credential-equivalent value for the lifetime of the request: never log it.
pub fn sign(string_to_sign: &StringToSign, access_key_secret: &str) -> String {
    let key = format!("{access_key_secret}&");
    // HMAC is defined for keys of any length (long keys are hashed first), so this constructor
    // cannot fail whatever the secret is; the `Result` only exists for fixed-key-size MACs.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(key.as_bytes()) else {
        unreachable!("HMAC accepts keys of any length")
    };
    mac.update(string_to_sign.as_str().as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Formats a moment the way `Timestamp` wants it: UTC, `YYYY-MM-DDThh:mm:ssZ`, no fraction.
///
/// Written by hand rather than through a format description so that it cannot fail at run time.
pub fn format_timestamp(at: OffsetDateTime) -> String {
    let utc = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second()
    )
}

/// Everything that varies between signed requests apart from the action's own parameters.
///
/// The caller supplies the nonce and the time, fresh for every attempt: replaying either makes the
/// server reject the request (`SignatureNonceUsed`, `InvalidTimeStamp.Expired`).
#[derive(Clone)]
pub struct CommonParams<'a> {
    /// API version of the product, e.g. `2019-03-06` for DBS or `2015-04-01` for STS.
    pub version: &'a str,
    /// `AccessKeyId` of the caller.
    pub access_key_id: &'a str,
    /// STS token, sent as `SecurityToken` when temporary credentials are in use.
    pub security_token: Option<&'a str>,
    /// `RegionId`; omitted when `None` (STS does not need it).
    pub region_id: Option<&'a str>,
    /// `SignatureNonce`, unique per attempt.
    pub nonce: &'a str,
    /// Moment of the attempt, sent as `Timestamp`.
    pub timestamp: OffsetDateTime,
}

impl fmt::Debug for CommonParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommonParams")
            .field("version", &self.version)
            .field("access_key_id", &self.access_key_id)
            .field("security_token", &self.security_token.map(|_| "<redacted>"))
            .field("region_id", &self.region_id)
            .field("nonce", &self.nonce)
            .field("timestamp", &self.timestamp)
            .finish()
    }
}

/// The common request parameters of signature v1, in no particular order (signing sorts them).
pub fn common_parameters(common: &CommonParams<'_>) -> Vec<(String, String)> {
    let mut params = vec![
        ("Format".to_owned(), FORMAT.to_owned()),
        ("Version".to_owned(), common.version.to_owned()),
        ("AccessKeyId".to_owned(), common.access_key_id.to_owned()),
        ("SignatureMethod".to_owned(), SIGNATURE_METHOD.to_owned()),
        ("SignatureVersion".to_owned(), SIGNATURE_VERSION.to_owned()),
        ("SignatureNonce".to_owned(), common.nonce.to_owned()),
        ("Timestamp".to_owned(), format_timestamp(common.timestamp)),
    ];
    if let Some(token) = common.security_token {
        params.push(("SecurityToken".to_owned(), token.to_owned()));
    }
    if let Some(region) = common.region_id {
        params.push(("RegionId".to_owned(), region.to_owned()));
    }
    params
}

/// Signs `params` (action parameters plus common parameters) for `method` and returns them with
/// `Signature` appended, ready to be sent as a query string or a form body.
pub fn signed_parameters(
    method: &str,
    mut params: Vec<(String, String)>,
    access_key_secret: &str,
) -> Vec<(String, String)> {
    let signature = sign(
        &string_to_sign(method, &canonical_query(&params)),
        access_key_secret,
    );
    params.push(("Signature".to_owned(), signature));
    params
}

/// Encodes parameters as `k=v&...` with the same RFC 3986 encoding the signature used, so that the
/// server decodes exactly the bytes that were signed.
pub fn encode_pairs(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Parameters whose values must not leave the client in error text, even
/// though only the first two are secret: the real gateway quotes its whole
/// string-to-sign in `SignatureDoesNotMatch` messages, and an access key ID
/// is still an access key.
const SERVER_MESSAGE_REDACTED_KEYS: &str = "SecurityToken|Signature|AccessKeyId";

/// Masks secret parameter values wherever they appear in server-provided
/// text, raw (`k=v&`), encoded once (`k%3Dv%26`) or twice (`k%253Dv%2526`),
/// as in a string-to-sign quoted back by the gateway, or quoted as JSON
/// (`"Signature":"v"`) or as a header (`Signature: v`).
pub fn redact_server_text(text: &str) -> String {
    static PATTERN: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(&format!(
            r"({SERVER_MESSAGE_REDACTED_KEYS})(\x22?\s*[:=]\s*\x22?|%3D|%253D)(.*?)(&|%26|%2526|\s|\x22|,|\}}|$)"
        ))
        .ok()
    });
    match PATTERN.as_ref() {
        Some(re) => re.replace_all(text, "$1$2<redacted>$4").into_owned(),
        // The pattern is a constant; failing to build it would be caught by the tests.
        None => String::from("<server message withheld>"),
    }
}

/// Replaces the values of secret parameters in a `k=v` list with `<redacted>`.
fn redact_pairs(text: &str, pair_sep: &str, kv_sep: &str) -> String {
    text.split(pair_sep)
        .map(|pair| match pair.split_once(kv_sep) {
            Some((k, _)) if REDACTED_KEYS.contains(&k) => format!("{k}{kv_sep}<redacted>"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(pair_sep)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn server_text_redaction_covers_every_encoding() {
        let quoted = "Specified signature is not matched with our calculation. server string to \
                      sign is:POST&%2F&AccessKeyId%3Dkey-1%26SecurityToken%3Dtok%252Fen%26\
                      SignatureMethod%3DHMAC-SHA1%26Signature%253Dabc";
        let out = redact_server_text(quoted);
        assert!(
            !out.contains("key-1") && !out.contains("tok") && !out.contains("abc"),
            "{out}"
        );
        assert!(out.contains("SignatureMethod%3DHMAC-SHA1"), "{out}");
        assert_eq!(
            redact_server_text("a SecurityToken=t0k&x=1 Signature=s1g"),
            "a SecurityToken=<redacted>&x=1 Signature=<redacted>"
        );
        assert_eq!(redact_server_text("no secrets here"), "no secrets here");
    }

    #[test]
    fn percent_encode_keeps_only_the_unreserved_set() {
        assert_eq!(percent_encode("AZaz09-_.~"), "AZaz09-_.~");
        assert_eq!(percent_encode(" "), "%20");
        assert_eq!(percent_encode("*"), "%2A");
        assert_eq!(percent_encode("+/=&:"), "%2B%2F%3D%26%3A");
        assert_eq!(percent_encode("é"), "%C3%A9");
        assert_eq!(percent_encode(""), "");
    }

    #[test]
    fn canonical_query_sorts_by_name_and_encodes_both_sides() {
        let q = canonical_query(&pairs(&[("b", "x y"), ("A", "1*"), ("a", "~")]));
        assert_eq!(q.as_str(), "A=1%2A&a=~&b=x%20y");
    }

    #[test]
    fn canonical_query_does_not_depend_on_input_order_for_repeated_names() {
        let one = canonical_query(&pairs(&[("k", "2"), ("k", "1")]));
        let two = canonical_query(&pairs(&[("k", "1"), ("k", "2")]));
        assert_eq!(one, two);
        assert_eq!(one.as_str(), "k=1&k=2");
    }

    #[test]
    fn string_to_sign_upper_cases_the_method_and_encodes_the_query_again() {
        let q = canonical_query(&pairs(&[("T", "12:00")]));
        assert_eq!(
            string_to_sign("post", &q).as_str(),
            "POST&%2F&T%3D12%253A00"
        );
    }

    #[test]
    fn timestamp_is_utc_without_fraction() {
        let at = time::macros::datetime!(2016-02-23 20:46:24.789 +08:00);
        assert_eq!(format_timestamp(at), "2016-02-23T12:46:24Z");
    }

    #[test]
    fn common_parameters_carry_token_and_region_only_when_given() {
        let at = time::macros::datetime!(2024-01-02 03:04:05 UTC);
        let mut common = CommonParams {
            version: "2019-03-06",
            access_key_id: "id",
            security_token: None,
            region_id: None,
            nonce: "n-1",
            timestamp: at,
        };
        let names = |p: Vec<(String, String)>| -> Vec<String> {
            let mut n: Vec<String> = p.into_iter().map(|(k, _)| k).collect();
            n.sort();
            n
        };
        assert_eq!(
            names(common_parameters(&common)),
            [
                "AccessKeyId",
                "Format",
                "SignatureMethod",
                "SignatureNonce",
                "SignatureVersion",
                "Timestamp",
                "Version"
            ]
        );
        common.security_token = Some("tok");
        common.region_id = Some("cn-hangzhou");
        let params = common_parameters(&common);
        assert!(params.contains(&("SecurityToken".to_owned(), "tok".to_owned())));
        assert!(params.contains(&("RegionId".to_owned(), "cn-hangzhou".to_owned())));
        assert!(params.contains(&("Timestamp".to_owned(), "2024-01-02T03:04:05Z".to_owned())));
        assert!(params.contains(&("Format".to_owned(), "JSON".to_owned())));
    }

    #[test]
    fn signed_parameters_append_a_signature_that_verifies() {
        let params = pairs(&[("Action", "X"), ("SecurityToken", "tok")]);
        let signed = signed_parameters("GET", params.clone(), "secret");
        let (last_key, last_value) = signed.last().cloned().unwrap_or_default();
        assert_eq!(last_key, "Signature");
        let expected = sign(&string_to_sign("GET", &canonical_query(&params)), "secret");
        assert_eq!(last_value, expected);
    }

    #[test]
    fn debug_redacts_token_and_signature() {
        let params = pairs(&[
            ("SecurityToken", "very-secret-token"),
            ("Signature", "s1g-value="),
        ]);
        let q = canonical_query(&params);
        let sts = string_to_sign("GET", &q);
        for text in [format!("{q:?}"), format!("{sts:?}")] {
            assert!(!text.contains("very-secret-token"), "{text}");
            assert!(!text.contains("s1g-value"), "{text}");
            assert!(text.contains("<redacted>"), "{text}");
        }
        let common = CommonParams {
            version: "v",
            access_key_id: "id",
            security_token: Some("very-secret-token"),
            region_id: None,
            nonce: "n",
            timestamp: OffsetDateTime::UNIX_EPOCH,
        };
        assert!(!format!("{common:?}").contains("very-secret-token"));
    }

    #[test]
    fn encode_pairs_uses_the_signing_encoding() {
        assert_eq!(
            encode_pairs(&pairs(&[("a b", "1+1"), ("c", "~*")])),
            "a%20b=1%2B1&c=~%2A"
        );
    }

    proptest! {
        #[test]
        fn arbitrary_input_never_panics(
            params in proptest::collection::vec((any::<String>(), any::<String>()), 0..8),
            method in any::<String>(),
            secret in any::<String>(),
            secs in -100_000_000_000i64..100_000_000_000i64,
        ) {
            let q = canonical_query(&params);
            let sts = string_to_sign(&method, &q);
            let sig = sign(&sts, &secret);
            prop_assert_eq!(sig.len(), 28);
            let _ = format!("{q:?}{sts:?}");
            if let Ok(at) = OffsetDateTime::from_unix_timestamp(secs) {
                let _ = format_timestamp(at);
            }
            let _ = signed_parameters(&method, params, &secret);
        }

        #[test]
        fn percent_encode_output_is_plain_ascii(s in any::<String>()) {
            let out = percent_encode(&s);
            prop_assert!(out.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)));
        }
    }
}
