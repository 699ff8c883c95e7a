//! The gateway's checks, in the order a request meets them: routing (Action, Version), the
//! common parameters, the timestamp window, the caller's identity, the signature, the nonce.
//!
//! The signature is recomputed with the client's own signer ([`crate::alibaba::signing`]): one
//! implementation of the algorithm, checked against the published vectors, serves both ends.
//! The nonce is recorded only once the signature holds, so a forged request cannot burn a
//! legitimate client's nonce.

use std::sync::Mutex;

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, PrimitiveDateTime};

use super::nonce::NonceCache;
use super::params::Params;
use super::reply::GatewayError;
use crate::alibaba::{signing, Credentials};

/// The only action the emulator serves.
pub(crate) const ACTION: &str = "DescribeRestoreTaskList";
/// The DBS API version.
pub(crate) const VERSION: &str = "2019-03-06";
/// How far a request's `Timestamp` may be from the emulator's clock, either way.
pub(crate) const TIMESTAMP_WINDOW: Duration = Duration::minutes(15);

/// Parameters every signed request must carry.
const REQUIRED: [&str; 6] = [
    "AccessKeyId",
    "Signature",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "Timestamp",
];

/// Checks requests against one identity (the client's own [`Credentials`]
/// type, whose `Debug` already redacts) and remembers their nonces.
#[derive(Debug)]
pub(crate) struct Gate {
    credentials: Credentials,
    nonces: Mutex<NonceCache>,
}

impl Gate {
    pub(crate) fn new(credentials: Credentials) -> Self {
        Gate {
            credentials,
            nonces: Mutex::new(NonceCache::new(TIMESTAMP_WINDOW)),
        }
    }

    /// Admits a request (`method` as received) or says why the gateway refuses it.
    pub(crate) fn admit(
        &self,
        method: &str,
        params: &Params,
        now: OffsetDateTime,
    ) -> Result<(), GatewayError> {
        if let Some(format) = params.non_empty("Format") {
            if !format.eq_ignore_ascii_case("JSON") {
                return Err(GatewayError::invalid_parameter(
                    "The emulator only speaks Format=JSON.",
                ));
            }
        }
        match params.non_empty("Action") {
            None => return Err(GatewayError::missing("Action")),
            Some(ACTION) => {}
            Some(_) => return Err(GatewayError::action_not_found()),
        }
        match params.non_empty("Version") {
            None => return Err(GatewayError::missing("Version")),
            Some(VERSION) => {}
            Some(_) => return Err(GatewayError::invalid_version()),
        }
        for name in REQUIRED {
            if params.non_empty(name).is_none() {
                return Err(GatewayError::missing(name));
            }
        }
        if params.get("SignatureMethod") != Some(signing::SIGNATURE_METHOD) {
            return Err(GatewayError::incomplete_signature(
                "SignatureMethod must be HMAC-SHA1.",
            ));
        }
        if params.get("SignatureVersion") != Some(signing::SIGNATURE_VERSION) {
            return Err(GatewayError::incomplete_signature(
                "SignatureVersion must be 1.0.",
            ));
        }
        let stamp = parse_timestamp(params.get("Timestamp").unwrap_or_default())
            .ok_or_else(GatewayError::timestamp_format)?;
        if (now - stamp).abs() > TIMESTAMP_WINDOW {
            return Err(GatewayError::timestamp_expired());
        }
        if params.get("AccessKeyId") != Some(self.credentials.access_key_id.as_str()) {
            return Err(GatewayError::access_key_not_found());
        }
        if let Some(expected) = &self.credentials.security_token {
            match params.non_empty("SecurityToken") {
                None => return Err(GatewayError::missing_security_token()),
                Some(token) if constant_time_eq(token, expected) => {}
                Some(_) => return Err(GatewayError::security_token_mismatch()),
            }
        }
        let query = signing::canonical_query(&params.without("Signature"));
        let to_sign = signing::string_to_sign(method, &query);
        let expected = signing::sign(&to_sign, &self.credentials.access_key_secret);
        if !constant_time_eq(params.get("Signature").unwrap_or_default(), &expected) {
            return Err(GatewayError::signature_mismatch());
        }
        let nonce = params.get("SignatureNonce").unwrap_or_default();
        let fresh = self
            .nonces
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(nonce, now);
        if !fresh {
            return Err(GatewayError::nonce_used());
        }
        Ok(())
    }
}

/// `YYYY-MM-DDThh:mm:ssZ` as documented; full RFC 3339 (fractions, offsets) is accepted too,
/// since the real gateway is lenient there and clients differ.
fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    let documented = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    PrimitiveDateTime::parse(text, documented)
        .map(PrimitiveDateTime::assume_utc)
        .or_else(|_| OffsetDateTime::parse(text, &Rfc3339))
        .ok()
}

/// Compares secrets without an early exit, so response timing says nothing about how much of a
/// guessed signature was right.
fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut diff = a.len() ^ b.len();
    for (x, y) in a.iter().zip(b.iter()) {
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2024-05-01 12:00 UTC);

    fn gate(token: Option<&str>) -> Gate {
        Gate::new(Credentials {
            access_key_id: "ak".into(),
            access_key_secret: "sk".into(),
            security_token: token.map(str::to_owned),
        })
    }

    /// A request signed by the client-side signer, with `edit` applied before signing.
    fn signed(method: &str, secret: &str, edit: impl FnOnce(&mut Vec<(String, String)>)) -> Params {
        let mut pairs: Vec<(String, String)> = [
            ("Action", ACTION),
            ("Version", VERSION),
            ("Format", "JSON"),
            ("AccessKeyId", "ak"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", "n-1"),
            ("Timestamp", "2024-05-01T12:00:00Z"),
            ("PageSize", "10"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        edit(&mut pairs);
        let sig = signing::sign(
            &signing::string_to_sign(method, &signing::canonical_query(&pairs)),
            secret,
        );
        pairs.push(("Signature".into(), sig));
        let text = pairs
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    signing::percent_encode(k),
                    signing::percent_encode(v)
                )
            })
            .collect::<Vec<_>>()
            .join("&");
        let mut params = Params::default();
        params.extend_from(&text).unwrap();
        params
    }

    fn set(pairs: &mut [(String, String)], name: &str, value: &str) {
        for (k, v) in pairs.iter_mut() {
            if k == name {
                *v = value.to_owned();
            }
        }
    }

    fn code(result: Result<(), GatewayError>) -> &'static str {
        result.err().map_or("ok", |e| e.code)
    }

    #[test]
    fn good_request_passes_once() {
        let g = gate(None);
        let p = signed("GET", "sk", |_| {});
        assert_eq!(code(g.admit("GET", &p, NOW)), "ok");
        assert_eq!(code(g.admit("GET", &p, NOW)), "SignatureNonceUsed");
    }

    #[test]
    fn method_is_part_of_the_signature() {
        let g = gate(None);
        let p = signed("POST", "sk", |_| {});
        assert_eq!(code(g.admit("GET", &p, NOW)), "SignatureDoesNotMatch");
        assert_eq!(code(g.admit("POST", &p, NOW)), "ok");
    }

    #[test]
    fn wrong_secret_does_not_burn_the_nonce() {
        let g = gate(None);
        let bad = signed("GET", "other", |_| {});
        assert_eq!(code(g.admit("GET", &bad, NOW)), "SignatureDoesNotMatch");
        let good = signed("GET", "sk", |_| {});
        assert_eq!(code(g.admit("GET", &good, NOW)), "ok");
    }

    #[test]
    fn timestamp_window_both_ways() {
        let g = gate(None);
        let p = signed("GET", "sk", |_| {});
        assert_eq!(
            code(g.admit("GET", &p, NOW + Duration::minutes(16))),
            "InvalidTimeStamp.Expired"
        );
        assert_eq!(
            code(g.admit("GET", &p, NOW - Duration::minutes(16))),
            "InvalidTimeStamp.Expired"
        );
        assert_eq!(code(g.admit("GET", &p, NOW + Duration::minutes(14))), "ok");
        let p = signed("GET", "sk", |p| set(p, "Timestamp", "yesterday"));
        assert_eq!(code(g.admit("GET", &p, NOW)), "InvalidTimeStamp.Format");
        let p = signed("GET", "sk", |p| {
            set(p, "Timestamp", "2024-05-01T14:00:00.250+02:00");
            set(p, "SignatureNonce", "n-2");
        });
        assert_eq!(code(g.admit("GET", &p, NOW)), "ok");
    }

    #[test]
    fn identity_checks() {
        let p = signed("GET", "sk", |p| set(p, "AccessKeyId", "someone"));
        assert_eq!(
            code(gate(None).admit("GET", &p, NOW)),
            "InvalidAccessKeyId.NotFound"
        );

        let g = gate(Some("tok"));
        let p = signed("GET", "sk", |_| {});
        assert_eq!(code(g.admit("GET", &p, NOW)), "MissingSecurityToken");
        let p = signed("GET", "sk", |p| {
            p.push(("SecurityToken".into(), "other".into()))
        });
        assert_eq!(
            code(g.admit("GET", &p, NOW)),
            "InvalidSecurityToken.MismatchWithAccessKey"
        );
        let p = signed("GET", "sk", |p| {
            p.push(("SecurityToken".into(), "tok".into()))
        });
        assert_eq!(code(g.admit("GET", &p, NOW)), "ok");
    }

    #[test]
    fn routing_and_common_parameters() {
        let g = gate(None);
        let p = signed("GET", "sk", |p| set(p, "Action", "DescribeBackupPlanList"));
        assert_eq!(code(g.admit("GET", &p, NOW)), "InvalidAction.NotFound");
        let p = signed("GET", "sk", |p| set(p, "Version", "2021-01-01"));
        assert_eq!(code(g.admit("GET", &p, NOW)), "InvalidVersion");
        let p = signed("GET", "sk", |p| set(p, "Format", "XML"));
        assert_eq!(code(g.admit("GET", &p, NOW)), "InvalidParameter");
        let p = signed("GET", "sk", |p| set(p, "SignatureMethod", "HMAC-SHA256"));
        assert_eq!(code(g.admit("GET", &p, NOW)), "IncompleteSignature");
        for name in [
            "Action",
            "Version",
            "SignatureNonce",
            "Timestamp",
            "AccessKeyId",
        ] {
            let p = signed("GET", "sk", |p| p.retain(|(k, _)| k != name));
            let err = g.admit("GET", &p, NOW).unwrap_err();
            assert_eq!(err.code, "MissingParameter");
            assert!(err.message.contains(name));
        }
    }

    #[test]
    fn errors_never_carry_the_signature() {
        let g = gate(None);
        let p = signed("GET", "other", |_| {});
        let err = g.admit("GET", &p, NOW).unwrap_err();
        let sig = p.get("Signature").unwrap();
        assert!(!err.message.contains(sig));
        assert!(!format!("{err:?}").contains(sig));
        assert!(!err.message.contains("GET&"));
    }

    #[test]
    fn constant_time_eq_is_eq() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
        assert!(constant_time_eq("", ""));
    }

    #[test]
    fn debug_redacts_secrets() {
        let shown = format!("{:?}", gate(Some("tok-secret")));
        assert!(!shown.contains("sk\"") && !shown.contains("tok-secret"));
    }
}
