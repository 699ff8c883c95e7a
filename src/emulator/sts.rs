//! STS `AssumeRole` and `AssumeRoleWithOIDC`: the parameter checks and answers of the real
//! service (API `2015-04-01`), granting credentials from [`Identities`].
//!
//! The caller of `AssumeRole` has already been authenticated by the gateway (any identity it
//! admits may assume any configured role, so role chains work); `AssumeRoleWithOIDC` is
//! anonymous on the real service too, the OIDC token being the proof. The emulator checks the
//! token by equality: it has no identity provider to verify a signature with.

use base64::Engine as _;
use rand::Rng as _;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

use super::config::Role;
use super::identities::{constant_time_eq, Identities, Issued};
use super::params::Params;
use super::reply::GatewayError;
use crate::alibaba::signing;

/// What STS grants when `DurationSeconds` is not given.
const DEFAULT_DURATION: i64 = 3600;
/// The range STS accepts for `DurationSeconds` (the role's maximum session duration can be up
/// to twelve hours).
const DURATION_RANGE: std::ops::RangeInclusive<i64> = 900..=43_200;
/// `RoleSessionName` length bounds.
const SESSION_NAME_LEN: std::ops::RangeInclusive<usize> = 2..=64;

/// The STS side of the emulator's configuration.
#[derive(Debug, Clone)]
pub(crate) struct Sts {
    pub(crate) roles: Vec<Role>,
    pub(crate) oidc_provider_arn: String,
    pub(crate) oidc_token: String,
    /// The most any grant lasts (`credential_lifetime`).
    pub(crate) max_lifetime: Duration,
}

/// One STS request as the actions see it: its parameters, the identities that grants are
/// issued from, the time, and the request id its answer carries.
pub(crate) struct StsCall<'a> {
    pub(crate) params: &'a Params,
    pub(crate) identities: &'a Identities,
    pub(crate) now: OffsetDateTime,
    pub(crate) request_id: &'a str,
}

impl StsCall<'_> {
    /// Issues credentials lasting `lifetime` to `session` of the role `role_arn`: the answer
    /// body both actions give, and what was issued.
    fn grant(&self, role_arn: &str, session: &str, lifetime: Duration) -> (Value, Issued) {
        let issued = self.identities.issue(lifetime, self.now);
        let body = json!({
            "RequestId": self.request_id,
            "AssumedRoleUser": assumed_role_user(role_arn, session),
            "Credentials": credentials(&issued),
        });
        (body, issued)
    }
}

impl Sts {
    /// `AssumeRole` for an authenticated caller; the answer body, or the refusal.
    pub(crate) fn assume_role(&self, call: &StsCall) -> Result<Value, GatewayError> {
        let params = call.params;
        let (role, session, lifetime) = self.common(params)?;
        if let Some(expected) = &role.external_id {
            match params.non_empty("ExternalId") {
                Some(given) if constant_time_eq(given, expected) => {}
                _ => return Err(GatewayError::no_permission_role()),
            }
        }
        Ok(call.grant(&role.arn, session, lifetime).0)
    }

    /// `AssumeRoleWithOIDC` (no caller identity: the token is the proof).
    pub(crate) fn assume_role_with_oidc(&self, call: &StsCall) -> Result<Value, GatewayError> {
        let params = call.params;
        for name in ["OIDCProviderArn", "RoleArn", "OIDCToken", "RoleSessionName"] {
            if params.non_empty(name).is_none() {
                if name == "OIDCToken" {
                    return Err(GatewayError::oidc_token_invalid(
                        "The OIDCToken can not empty.",
                    ));
                }
                return Err(GatewayError::missing(name));
            }
        }
        if params.get("OIDCProviderArn") != Some(self.oidc_provider_arn.as_str()) {
            return Err(GatewayError::oidc_provider_not_found());
        }
        let token = params.get("OIDCToken").unwrap_or_default();
        if !constant_time_eq(token, &self.oidc_token) {
            return Err(GatewayError::oidc_token_invalid(
                "The Jwt content is invalid that cannot be recognized.",
            ));
        }
        let (role, session, lifetime) = self.common(params)?;
        let (mut body, issued) = call.grant(&role.arn, session, lifetime);
        body["OIDCTokenInfo"] = token_info(token, call.now, &issued);
        Ok(body)
    }

    /// The checks both actions share: the role, the session name, the duration, the policy.
    fn common<'a>(
        &'a self,
        params: &'a Params,
    ) -> Result<(&'a Role, &'a str, Duration), GatewayError> {
        let arn = params
            .non_empty("RoleArn")
            .ok_or_else(|| GatewayError::missing("RoleArn"))?;
        let session = params
            .non_empty("RoleSessionName")
            .ok_or_else(|| GatewayError::missing("RoleSessionName"))?;
        if !valid_session_name(session) {
            return Err(GatewayError::role_session_name());
        }
        let requested = match params.non_empty("DurationSeconds") {
            None => DEFAULT_DURATION,
            Some(text) => text
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|d| DURATION_RANGE.contains(d))
                .ok_or_else(GatewayError::invalid_duration)?,
        };
        if let Some(policy) = params.non_empty("Policy") {
            if serde_json::from_str::<Value>(policy).is_err() {
                return Err(GatewayError::policy_grammar());
            }
        }
        let role = self
            .roles
            .iter()
            .find(|r| r.arn == arn)
            .ok_or_else(GatewayError::no_permission_role)?;
        let lifetime = Duration::seconds(requested).min(self.max_lifetime);
        Ok((role, session, lifetime))
    }
}

/// `[\w.@-]{2,64}`, as STS documents it.
fn valid_session_name(name: &str) -> bool {
    SESSION_NAME_LEN.contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'@' | b'-'))
}

fn assumed_role_user(role_arn: &str, session: &str) -> Value {
    let id: u64 = rand::rng().random_range(100_000_000_000_000_000..1_000_000_000_000_000_000);
    json!({
        "Arn": format!("{role_arn}/{session}"),
        "AssumedRoleId": format!("{id}:{session}"),
    })
}

fn credentials(issued: &Issued) -> Value {
    json!({
        "AccessKeyId": issued.access_key_id,
        "AccessKeySecret": issued.access_key_secret,
        "SecurityToken": issued.security_token,
        "Expiration": issued.expiration_text(),
    })
}

/// What STS read from the token: its claims when it is a JWT with readable ones, else
/// placeholders (the emulator's token need not be a JWT).
fn token_info(token: &str, now: OffsetDateTime, issued: &Issued) -> Value {
    let claims: Value = token
        .split('.')
        .nth(1)
        .and_then(|part| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part.trim_end_matches('='))
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let text = |name: &str, fallback: &str| -> String {
        match &claims[name] {
            Value::String(s) => s.clone(),
            Value::Array(items) => items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(","),
            _ => fallback.to_owned(),
        }
    };
    let moment = |name: &str, fallback: OffsetDateTime| -> String {
        let at = claims[name]
            .as_i64()
            .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok())
            .unwrap_or(fallback);
        signing::format_timestamp(at)
    };
    json!({
        "Subject": text("sub", "dbs-emulator-subject"),
        "Issuer": text("iss", "https://dbs-emulator.invalid"),
        "ClientIds": text("aud", "sts.aliyuncs.com"),
        "IssuanceTime": moment("iat", now),
        "ExpirationTime": moment("exp", issued.expiration),
        "VerificationInfo": "Success",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alibaba::Credentials;
    use crate::emulator::config::{
        DEFAULT_OIDC_PROVIDER_ARN, DEFAULT_OIDC_TOKEN, DEFAULT_ROLE_ARN,
    };
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2024-05-01 12:00 UTC);
    const CROSS: &str = "acs:ram::999:role/cross";

    fn sts(max: i64) -> Sts {
        Sts {
            roles: vec![
                Role::new(DEFAULT_ROLE_ARN),
                Role::new(CROSS).with_external_id("ext-1"),
            ],
            oidc_provider_arn: DEFAULT_OIDC_PROVIDER_ARN.into(),
            oidc_token: DEFAULT_OIDC_TOKEN.into(),
            max_lifetime: Duration::seconds(max),
        }
    }

    fn identities() -> Identities {
        Identities::new(Credentials {
            access_key_id: "ak".into(),
            access_key_secret: "sk".into(),
            security_token: None,
        })
    }

    fn params(pairs: &[(&str, &str)]) -> Params {
        let text = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", signing::percent_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut p = Params::default();
        p.extend_from(&text).unwrap();
        p
    }

    fn role_params(extra: &[(&str, &str)]) -> Params {
        let mut pairs = vec![
            ("RoleArn", DEFAULT_ROLE_ARN),
            ("RoleSessionName", "tf-run.1@x"),
        ];
        pairs.extend_from_slice(extra);
        params(&pairs)
    }

    /// A call with `params` at `NOW`, request id `R`.
    fn call<'a>(params: &'a Params, identities: &'a Identities) -> StsCall<'a> {
        StsCall {
            params,
            identities,
            now: NOW,
            request_id: "R",
        }
    }

    fn code(result: Result<Value, GatewayError>) -> String {
        match result {
            Ok(_) => "ok".into(),
            Err(e) => format!("{} {}", e.status.as_u16(), e.code),
        }
    }

    #[test]
    fn assume_role_grants_credentials_the_gateway_then_accepts() {
        let ids = identities();
        let params = role_params(&[]);
        let body = sts(3600)
            .assume_role(&StsCall {
                request_id: "RID",
                ..call(&params, &ids)
            })
            .unwrap();
        assert_eq!(body["RequestId"], "RID");
        assert_eq!(
            body["AssumedRoleUser"]["Arn"],
            format!("{DEFAULT_ROLE_ARN}/tf-run.1@x")
        );
        assert!(body["AssumedRoleUser"]["AssumedRoleId"]
            .as_str()
            .unwrap()
            .ends_with(":tf-run.1@x"));
        let c = &body["Credentials"];
        assert_eq!(c["Expiration"], "2024-05-01T13:00:00Z");
        let key = c["AccessKeyId"].as_str().unwrap();
        assert!(key.starts_with("STS."));
        let secret = ids
            .secret_for(key, c["SecurityToken"].as_str(), NOW)
            .unwrap();
        assert_eq!(c["AccessKeySecret"], secret);
    }

    #[test]
    fn lifetime_is_the_shorter_of_asked_and_allowed() {
        let ids = identities();
        let at = |max, asked: &[(&str, &str)]| {
            sts(max)
                .assume_role(&call(&role_params(asked), &ids))
                .unwrap()["Credentials"]["Expiration"]
                .clone()
        };
        assert_eq!(
            at(3600, &[("DurationSeconds", "900")]),
            "2024-05-01T12:15:00Z"
        );
        assert_eq!(at(2, &[("DurationSeconds", "900")]), "2024-05-01T12:00:02Z");
        assert_eq!(at(2, &[]), "2024-05-01T12:00:02Z");
        assert_eq!(
            at(43_200, &[("DurationSeconds", "43200")]),
            "2024-05-02T00:00:00Z"
        );
    }

    #[test]
    fn assume_role_refusals() {
        let ids = identities();
        let s = sts(3600);
        let refused = |p: Params| code(s.assume_role(&call(&p, &ids)));
        assert_eq!(
            refused(params(&[
                ("RoleArn", "acs:ram::1:role/other"),
                ("RoleSessionName", "ab")
            ])),
            "403 NoPermission"
        );
        assert_eq!(
            refused(params(&[("RoleSessionName", "ab")])),
            "400 MissingParameter"
        );
        assert_eq!(
            refused(params(&[("RoleArn", DEFAULT_ROLE_ARN)])),
            "400 MissingParameter"
        );
        for bad in ["a", "has space", "x*y", &"n".repeat(65)] {
            assert_eq!(
                refused(params(&[
                    ("RoleArn", DEFAULT_ROLE_ARN),
                    ("RoleSessionName", bad)
                ])),
                "400 InvalidParameter.RoleSessionName",
                "{bad}"
            );
        }
        for bad in ["899", "43201", "ten", "-1"] {
            assert_eq!(
                refused(role_params(&[("DurationSeconds", bad)])),
                "400 InvalidParameter.DurationSeconds",
                "{bad}"
            );
        }
        assert_eq!(
            refused(role_params(&[("Policy", "{\"Version\":\"1\",")])),
            "400 InvalidParameter.PolicyGrammar"
        );
        assert_eq!(
            refused(role_params(&[("Policy", "{\"Version\":\"1\"}")])),
            "ok"
        );
    }

    #[test]
    fn external_id_when_the_role_demands_one() {
        let ids = identities();
        let s = sts(3600);
        let with = |extra: &[(&str, &str)]| {
            let mut pairs = vec![("RoleArn", CROSS), ("RoleSessionName", "ab")];
            pairs.extend_from_slice(extra);
            code(s.assume_role(&call(&params(&pairs), &ids)))
        };
        assert_eq!(with(&[]), "403 NoPermission");
        assert_eq!(with(&[("ExternalId", "ext-2")]), "403 NoPermission");
        assert_eq!(with(&[("ExternalId", "ext-1")]), "ok");
        // A role without the condition ignores one.
        assert_eq!(
            code(s.assume_role(&call(&role_params(&[("ExternalId", "x")]), &ids))),
            "ok"
        );
    }

    fn oidc_params(token: &str, provider: &str) -> Params {
        params(&[
            ("RoleArn", DEFAULT_ROLE_ARN),
            ("RoleSessionName", "rrsa"),
            ("OIDCProviderArn", provider),
            ("OIDCToken", token),
        ])
    }

    #[test]
    fn oidc_grants_with_token_info() {
        let ids = identities();
        let body = sts(3600)
            .assume_role_with_oidc(&call(
                &oidc_params(DEFAULT_OIDC_TOKEN, DEFAULT_OIDC_PROVIDER_ARN),
                &ids,
            ))
            .unwrap();
        let info = &body["OIDCTokenInfo"];
        assert_eq!(info["Subject"], "system:serviceaccount:default:dbs-reader");
        assert_eq!(info["ClientIds"], "sts.aliyuncs.com");
        assert!(info["Issuer"].as_str().unwrap().starts_with("https://"));
        assert!(body["Credentials"]["AccessKeyId"]
            .as_str()
            .unwrap()
            .starts_with("STS."));
    }

    #[test]
    fn oidc_refusals() {
        let ids = identities();
        let s = sts(3600);
        let mut too_short = oidc_params(DEFAULT_OIDC_TOKEN, DEFAULT_OIDC_PROVIDER_ARN);
        too_short.extend_from("DurationSeconds=5").unwrap();
        let other_provider = "acs:ram::1:oidc-provider/other";
        for (p, expected) in [
            (
                oidc_params("eyJ.wrong.token", DEFAULT_OIDC_PROVIDER_ARN),
                "401 AuthenticationFail.OIDCToken.Invalid",
            ),
            (
                oidc_params("", DEFAULT_OIDC_PROVIDER_ARN),
                "401 AuthenticationFail.OIDCToken.Invalid",
            ),
            (
                oidc_params(DEFAULT_OIDC_TOKEN, other_provider),
                "401 AuthenticationFail.NoPermission",
            ),
            (too_short, "400 InvalidParameter.DurationSeconds"),
        ] {
            let refused = code(s.assume_role_with_oidc(&call(&p, &ids)));
            assert_eq!(refused, expected, "{:?}", p.pairs());
        }
    }

    #[test]
    fn token_info_without_a_jwt() {
        let ids = identities();
        let issued = ids.issue(Duration::seconds(10), NOW);
        let info = token_info("opaque", NOW, &issued);
        assert_eq!(info["IssuanceTime"], "2024-05-01T12:00:00Z");
        assert_eq!(info["ExpirationTime"], "2024-05-01T12:00:10Z");
    }
}
