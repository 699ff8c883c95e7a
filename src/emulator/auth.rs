//! The gateway's checks, in the order a request meets them: routing (Action, Version), the
//! common parameters, the timestamp window, the caller's identity, the signature, the nonce.
//!
//! Signature v1 is recomputed with the client's own signer ([`crate::alibaba::signing`]): one
//! implementation of the algorithm, checked against the published vectors, serves both ends.
//! V3 (`ACS3-HMAC-SHA256`) is rebuilt by [`super::auth_v3`] from the request as received. Both
//! share one nonce cache, and a nonce is recorded only once the signature holds, so a forged
//! request cannot burn a legitimate client's nonce. Who may sign is [`Identities`]' business.

use std::sync::Mutex;

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, PrimitiveDateTime};

use super::auth_v3;
use super::identities::{constant_time_eq, Identities};
use super::nonce::NonceCache;
use super::params::Params;
use super::reply::GatewayError;
use crate::alibaba::signing;

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

/// Headers every V3 request must carry besides `Authorization` (and `host`, which HTTP/1.1
/// guarantees).
const REQUIRED_V3: [&str; 3] = [
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-content-sha256",
];

/// A V3 request as the gate sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct V3Request<'a> {
    pub(crate) method: &'a str,
    /// The path as received (still percent-encoded), the canonical URI.
    pub(crate) path: &'a str,
    /// The decoded query-string parameters only (a form body is covered by the payload hash).
    pub(crate) query: &'a Params,
    /// Every header, names lower-case, in arrival order.
    pub(crate) headers: &'a [(String, String)],
    pub(crate) body: &'a [u8],
}

impl V3Request<'_> {
    /// Every value of `name`, trimmed, sorted and joined by `,` (one value for nearly all).
    fn header(&self, name: &str) -> Option<String> {
        let mut values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .collect();
        if values.is_empty() {
            return None;
        }
        values.sort_unstable();
        Some(values.join(","))
    }
}

/// Checks requests against the [`Identities`] and remembers their nonces.
#[derive(Debug)]
pub(crate) struct Gate {
    identities: Identities,
    nonces: Mutex<NonceCache>,
}

impl Gate {
    pub(crate) fn new(identities: Identities) -> Self {
        Gate {
            identities,
            nonces: Mutex::new(NonceCache::new(TIMESTAMP_WINDOW)),
        }
    }

    pub(crate) fn identities(&self) -> &Identities {
        &self.identities
    }

    /// Admits a v1 DBS request (`method` as received) and says who signed it, or why the
    /// gateway refuses it.
    pub(crate) fn admit(
        &self,
        method: &str,
        params: &Params,
        now: OffsetDateTime,
    ) -> Result<String, GatewayError> {
        check_format(params)?;
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
        self.authenticate_v1(method, params, now)
    }

    /// Checks a v1 signature whatever the action, and says who signed.
    pub(crate) fn authenticate_v1(
        &self,
        method: &str,
        params: &Params,
        now: OffsetDateTime,
    ) -> Result<String, GatewayError> {
        check_format(params)?;
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
        check_window(params.get("Timestamp").unwrap_or_default(), now)?;
        let access_key_id = params.get("AccessKeyId").unwrap_or_default();
        let secret = self
            .identities
            .secret_for(access_key_id, params.get("SecurityToken"), now)?;
        let query = signing::canonical_query(&params.without("Signature"));
        let to_sign = signing::string_to_sign(method, &query);
        let expected = signing::sign(&to_sign, &secret);
        if !constant_time_eq(params.get("Signature").unwrap_or_default(), &expected) {
            return Err(GatewayError::signature_mismatch());
        }
        self.fresh_nonce(params.get("SignatureNonce").unwrap_or_default(), now)?;
        Ok(access_key_id.to_owned())
    }

    /// Checks a V3 signature whatever the action, and says who signed.
    pub(crate) fn authenticate_v3(
        &self,
        request: &V3Request<'_>,
        params: &Params,
        now: OffsetDateTime,
    ) -> Result<String, GatewayError> {
        let incomplete = |detail: &str| GatewayError::incomplete_signature(detail);
        check_format(params)?;
        let authorization = request
            .header("authorization")
            .ok_or_else(|| incomplete("The Authorization header is required."))?;
        let authorization = auth_v3::parse_authorization(&authorization).map_err(incomplete)?;
        for name in REQUIRED_V3 {
            if request.header(name).is_none_or(|v| v.is_empty()) {
                return Err(incomplete(&format!("The {name} header is required.")));
            }
        }
        let signed = &authorization.signed_headers;
        let unsigned = request
            .headers
            .iter()
            .map(|(name, _)| name.as_str())
            .find(|name| {
                (*name == "host" || name.starts_with("x-acs-")) && !signed.iter().any(|s| s == name)
            });
        if let Some(name) = unsigned {
            return Err(incomplete(&format!(
                "The {name} header must be signed (host and every x-acs-* header are)."
            )));
        }
        let mut headers = Vec::with_capacity(signed.len());
        for name in signed {
            let value = request.header(name).ok_or_else(|| {
                incomplete(&format!("The signed header {name} is not in the request."))
            })?;
            headers.push((name.clone(), value));
        }
        let payload = auth_v3::hashed_payload(request.body);
        let claimed = request.header("x-acs-content-sha256").unwrap_or_default();
        if !claimed.eq_ignore_ascii_case(&payload) {
            return Err(incomplete(
                "x-acs-content-sha256 is not the SHA-256 of the body.",
            ));
        }
        check_window(&request.header("x-acs-date").unwrap_or_default(), now)?;
        let token = request.header("x-acs-security-token");
        let secret =
            self.identities
                .secret_for(&authorization.access_key_id, token.as_deref(), now)?;
        let canonical = auth_v3::canonical_request(
            request.method,
            request.path,
            &auth_v3::canonical_query(request.query.pairs()),
            &headers,
            &payload,
        );
        let expected = auth_v3::sign(&auth_v3::string_to_sign(&canonical), &secret);
        if !constant_time_eq(&authorization.signature.to_ascii_lowercase(), &expected) {
            return Err(GatewayError::signature_mismatch());
        }
        self.fresh_nonce(
            &request.header("x-acs-signature-nonce").unwrap_or_default(),
            now,
        )?;
        Ok(authorization.access_key_id)
    }

    fn fresh_nonce(&self, nonce: &str, now: OffsetDateTime) -> Result<(), GatewayError> {
        let fresh = self
            .nonces
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(nonce, now);
        if fresh {
            Ok(())
        } else {
            Err(GatewayError::nonce_used())
        }
    }
}

fn check_format(params: &Params) -> Result<(), GatewayError> {
    match params.non_empty("Format") {
        Some(format) if !format.eq_ignore_ascii_case("JSON") => Err(
            GatewayError::invalid_parameter("The emulator only speaks Format=JSON."),
        ),
        _ => Ok(()),
    }
}

fn check_window(stamp: &str, now: OffsetDateTime) -> Result<(), GatewayError> {
    let stamp = parse_timestamp(stamp).ok_or_else(GatewayError::timestamp_format)?;
    if (now - stamp).abs() > TIMESTAMP_WINDOW {
        return Err(GatewayError::timestamp_expired());
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alibaba::Credentials;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2024-05-01 12:00 UTC);

    fn gate(token: Option<&str>) -> Gate {
        Gate::new(Identities::new(Credentials {
            access_key_id: "ak".into(),
            access_key_secret: "sk".into(),
            security_token: token.map(str::to_owned),
        }))
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

    fn code(result: Result<String, GatewayError>) -> &'static str {
        result.err().map_or("ok", |e| e.code)
    }

    /// Admits `p` at `NOW` as each `(method, code)` of `answers` says, in turn, and asserts the
    /// code of each answer.
    fn assert_admissions(g: &Gate, p: &Params, answers: &[(&str, &str)]) {
        for (method, expected) in answers {
            assert_eq!(code(g.admit(method, p, NOW)), *expected, "{method}");
        }
    }

    #[test]
    fn good_request_passes_once() {
        let p = signed("GET", "sk", |_| {});
        assert_admissions(
            &gate(None),
            &p,
            &[("GET", "ok"), ("GET", "SignatureNonceUsed")],
        );
    }

    #[test]
    fn method_is_part_of_the_signature() {
        let p = signed("POST", "sk", |_| {});
        let answers = [("GET", "SignatureDoesNotMatch"), ("POST", "ok")];
        assert_admissions(&gate(None), &p, &answers);
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
        for (name, value, expected) in [
            ("Action", "DescribeBackupPlanList", "InvalidAction.NotFound"),
            ("Version", "2021-01-01", "InvalidVersion"),
            ("Format", "XML", "InvalidParameter"),
            ("SignatureMethod", "HMAC-SHA256", "IncompleteSignature"),
        ] {
            let p = signed("GET", "sk", |p| set(p, name, value));
            assert_eq!(code(g.admit("GET", &p, NOW)), expected, "{name}={value}");
        }
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
    fn debug_redacts_secrets() {
        let shown = format!("{:?}", gate(Some("tok-secret")));
        assert!(!shown.contains("sk\"") && !shown.contains("tok-secret"));
    }

    /// A V3 request signed with `secret`, after `edit` changed its headers (names lower-case).
    struct V3 {
        query: Params,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    }

    impl V3 {
        fn new(key: &str, secret: &str, edit: impl FnOnce(&mut Vec<(String, String)>)) -> V3 {
            let body = b"PageSize=10".to_vec();
            let mut headers: Vec<(String, String)> = [
                ("host", "127.0.0.1:1"),
                ("x-acs-action", ACTION),
                ("x-acs-version", VERSION),
                ("x-acs-date", "2024-05-01T12:00:00Z"),
                ("x-acs-signature-nonce", "v3-1"),
                ("content-type", "application/x-www-form-urlencoded"),
            ]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
            headers.push((
                "x-acs-content-sha256".into(),
                auth_v3::hashed_payload(&body),
            ));
            edit(&mut headers);
            let mut query = Params::default();
            query.extend_from("PageNum=0&Policy=%7B%7D").unwrap();
            let mut signed: Vec<(String, String)> = headers.clone();
            signed.sort();
            let canonical = auth_v3::canonical_request(
                "POST",
                "/",
                &auth_v3::canonical_query(query.pairs()),
                &signed,
                &auth_v3::hashed_payload(&body),
            );
            let names: Vec<&str> = signed.iter().map(|(n, _)| n.as_str()).collect();
            let signature = auth_v3::sign(&auth_v3::string_to_sign(&canonical), secret);
            headers.push((
                "authorization".into(),
                format!(
                    "ACS3-HMAC-SHA256 Credential={key},SignedHeaders={},Signature={signature}",
                    names.join(";")
                ),
            ));
            V3 {
                query,
                headers,
                body,
            }
        }

        fn admit(&self, gate: &Gate, now: OffsetDateTime) -> &'static str {
            let request = V3Request {
                method: "POST",
                path: "/",
                query: &self.query,
                headers: &self.headers,
                body: &self.body,
            };
            code(gate.authenticate_v3(&request, &self.query, now))
        }
    }

    #[test]
    fn v3_good_request_passes_once() {
        let g = gate(None);
        let v3 = V3::new("ak", "sk", |_| {});
        assert_eq!(v3.admit(&g, NOW), "ok");
        assert_eq!(v3.admit(&g, NOW), "SignatureNonceUsed");
    }

    #[test]
    fn v3_refusals() {
        let g = gate(None);
        assert_eq!(
            V3::new("ak", "other", |_| {}).admit(&g, NOW),
            "SignatureDoesNotMatch"
        );
        assert_eq!(
            V3::new("nobody", "sk", |_| {}).admit(&g, NOW),
            "InvalidAccessKeyId.NotFound"
        );
        let mut tampered = V3::new("ak", "sk", |_| {});
        tampered.body = b"PageSize=11".to_vec();
        assert_eq!(tampered.admit(&g, NOW), "IncompleteSignature");
        let mut moved = V3::new("ak", "sk", |_| {});
        moved.query.extend_from("PageSize=99").unwrap();
        assert_eq!(moved.admit(&g, NOW), "SignatureDoesNotMatch");
        let mut unsigned = V3::new("ak", "sk", |_| {});
        unsigned
            .headers
            .push(("x-acs-security-token".into(), "t".into()));
        assert_eq!(unsigned.admit(&g, NOW), "IncompleteSignature");
        let mut no_auth = V3::new("ak", "sk", |_| {});
        no_auth.headers.retain(|(n, _)| n != "authorization");
        assert_eq!(no_auth.admit(&g, NOW), "IncompleteSignature");
        let undated = V3::new("ak", "sk", |h| h.retain(|(n, _)| n != "x-acs-date"));
        assert_eq!(undated.admit(&g, NOW), "IncompleteSignature");
        assert_eq!(
            V3::new("ak", "sk", |_| {}).admit(&g, NOW + Duration::minutes(16)),
            "InvalidTimeStamp.Expired"
        );
    }

    #[test]
    fn v3_and_v1_accept_issued_credentials() {
        let g = gate(None);
        let issued = g.identities().issue(Duration::seconds(60), NOW);
        let token = issued.security_token.clone();
        let v3 = V3::new(&issued.access_key_id, &issued.access_key_secret, |h| {
            h.push(("x-acs-security-token".into(), token.clone()))
        });
        assert_eq!(v3.admit(&g, NOW), "ok");
        let p = signed("GET", &issued.access_key_secret, |p| {
            set(p, "AccessKeyId", &issued.access_key_id);
            p.push(("SecurityToken".into(), token.clone()));
        });
        assert_eq!(
            g.admit("GET", &p, NOW).as_deref(),
            Ok(issued.access_key_id.as_str())
        );
        let p = signed("GET", &issued.access_key_secret, |p| {
            set(p, "AccessKeyId", &issued.access_key_id);
            set(p, "SignatureNonce", "n-late");
            p.push(("SecurityToken".into(), token.clone()));
        });
        assert_eq!(
            code(g.admit("GET", &p, NOW + Duration::seconds(61))),
            "InvalidSecurityToken.Expired"
        );
    }
}
