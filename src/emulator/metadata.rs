//! The ECS instance metadata service, as far as RAM role credentials go: IMDSv2 session tokens
//! (`PUT /latest/api/token`), the attached role's name and its temporary credentials.
//!
//! Three behaviours ([`ImdsMode`]) because clients must cope with all three in the wild: the
//! default accepts tokens and plain GETs alike, a hardened instance refuses GETs without a
//! token, and an old metadata server has no token endpoint at all. A token that is sent must
//! be valid wherever tokens exist, as on the real service.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use axum::http::StatusCode;
use rand::distr::{Alphanumeric, SampleString as _};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::config::ImdsMode;
use super::identities::Identities;
use super::reply::{Reply, JSON, TEXT};
use super::service::Request;
use crate::alibaba::signing;

pub(crate) const TOKEN_PATH: &str = "/latest/api/token";
pub(crate) const CREDENTIALS_PREFIX: &str = "/latest/meta-data/ram/security-credentials/";
/// The header a token is asked for with, and the range of seconds it accepts.
pub(crate) const TTL_HEADER: &str = "x-aliyun-ecs-metadata-token-ttl-seconds";
const TTL_RANGE: std::ops::RangeInclusive<i64> = 1..=21_600;
/// The header a token is presented in.
pub(crate) const TOKEN_HEADER: &str = "x-aliyun-ecs-metadata-token";

/// The metadata service's state: its mode, the attached role, and the live tokens.
#[derive(Debug)]
pub(crate) struct Metadata {
    mode: ImdsMode,
    role: String,
    /// Token -> the moment it stops being valid. Its `Debug` shows the count only.
    tokens: Mutex<Tokens>,
}

struct Tokens(HashMap<String, OffsetDateTime>);

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} tokens", self.0.len())
    }
}

/// An answer, and whether a valid token came with the request (for the call record).
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) reply: Reply,
    pub(crate) token: bool,
}

impl Metadata {
    pub(crate) fn new(mode: ImdsMode, role: String) -> Self {
        Metadata {
            mode,
            role,
            tokens: Mutex::new(Tokens(HashMap::new())),
        }
    }

    pub(crate) fn answer(
        &self,
        request: &Request,
        identities: &Identities,
        lifetime: Duration,
        now: OffsetDateTime,
    ) -> Answer {
        if request.path == TOKEN_PATH {
            return Answer {
                reply: self.token(request, now),
                token: false,
            };
        }
        let token = match self.check_token(request, now) {
            Ok(token) => token,
            Err(reply) => {
                return Answer {
                    reply,
                    token: false,
                }
            }
        };
        let reply = if request.method != "GET" {
            text(StatusCode::METHOD_NOT_ALLOWED, "405 - Method Not Allowed")
        } else if request.path == CREDENTIALS_PREFIX
            || request.path == CREDENTIALS_PREFIX.trim_end_matches('/')
        {
            Reply::plain(
                StatusCode::OK,
                TEXT,
                self.role.clone(),
                "200 role name".to_owned(),
            )
        } else if request.path.strip_prefix(CREDENTIALS_PREFIX) == Some(self.role.as_str()) {
            let issued = identities.issue(lifetime, now);
            let body = json!({
                "AccessKeyId": issued.access_key_id,
                "AccessKeySecret": issued.access_key_secret,
                "Expiration": issued.expiration_text(),
                "SecurityToken": issued.security_token,
                "LastUpdated": signing::format_timestamp(now),
                "Code": "Success",
            });
            Reply::plain(
                StatusCode::OK,
                JSON,
                body.to_string(),
                format!("200 credentials {}", issued.access_key_id),
            )
        } else {
            not_found()
        };
        Answer { reply, token }
    }

    /// `PUT /latest/api/token`: a fresh token for the TTL asked.
    fn token(&self, request: &Request, now: OffsetDateTime) -> Reply {
        if self.mode == ImdsMode::V1Only {
            return not_found();
        }
        if request.method != "PUT" {
            return text(StatusCode::METHOD_NOT_ALLOWED, "405 - Method Not Allowed");
        }
        let ttl = request
            .header(TTL_HEADER)
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|ttl| TTL_RANGE.contains(ttl));
        let Some(ttl) = ttl else {
            return text(StatusCode::BAD_REQUEST, "400 - Bad Request");
        };
        let token = Alphanumeric.sample_string(&mut rand::rng(), 56);
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        tokens.0.retain(|_, until| *until > now);
        tokens.0.insert(token.clone(), now + Duration::seconds(ttl));
        Reply::plain(
            StatusCode::OK,
            TEXT,
            token,
            format!("200 token for {ttl} s"),
        )
    }

    /// Whether the request came with a valid token, or the refusal when it must have one (or
    /// sent one that is not valid).
    fn check_token(&self, request: &Request, now: OffsetDateTime) -> Result<bool, Reply> {
        if self.mode == ImdsMode::V1Only {
            return Ok(false);
        }
        match request.header(TOKEN_HEADER) {
            Some(token) => {
                let tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
                match tokens.0.get(token.trim()) {
                    Some(until) if *until > now => Ok(true),
                    _ => Err(unauthorized()),
                }
            }
            None if self.mode == ImdsMode::Required => Err(unauthorized()),
            None => Ok(false),
        }
    }
}

fn text(status: StatusCode, body: &str) -> Reply {
    Reply::plain(status, TEXT, body.to_owned(), body.to_owned())
}

fn not_found() -> Reply {
    text(StatusCode::NOT_FOUND, "404 - Not Found")
}

fn unauthorized() -> Reply {
    text(StatusCode::UNAUTHORIZED, "401 - Unauthorized")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alibaba::Credentials;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2024-05-01 12:00 UTC);

    fn identities() -> Identities {
        Identities::new(Credentials {
            access_key_id: "ak".into(),
            access_key_secret: "sk".into(),
            security_token: None,
        })
    }

    fn request(method: &str, path: &str, headers: &[(&str, &str)]) -> Request {
        Request::test(method, path, headers)
    }

    fn ask(m: &Metadata, r: &Request, now: OffsetDateTime) -> (u16, String, bool) {
        let a = m.answer(r, &identities(), Duration::seconds(60), now);
        (
            a.reply.status.as_u16(),
            String::from_utf8(a.reply.body).unwrap(),
            a.token,
        )
    }

    fn token(m: &Metadata, ttl: &str) -> (u16, String) {
        let (status, body, _) = ask(m, &request("PUT", TOKEN_PATH, &[(TTL_HEADER, ttl)]), NOW);
        (status, body)
    }

    const ROLE_PATH: &str = "/latest/meta-data/ram/security-credentials/EcsDbsRole";

    #[test]
    fn optional_mode_takes_tokens_and_plain_gets() {
        let m = Metadata::new(ImdsMode::Optional, "EcsDbsRole".into());
        let (status, tok) = token(&m, "21600");
        assert_eq!(status, 200);
        assert_eq!(tok.len(), 56);
        let listing = ask(
            &m,
            &request("GET", CREDENTIALS_PREFIX, &[(TOKEN_HEADER, &tok)]),
            NOW,
        );
        assert_eq!(listing, (200, "EcsDbsRole".to_owned(), true));
        let (status, body, used) = ask(&m, &request("GET", ROLE_PATH, &[]), NOW);
        assert_eq!((status, used), (200, false));
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["Code"], "Success");
        assert_eq!(v["Expiration"], "2024-05-01T12:01:00Z");
        assert_eq!(v["LastUpdated"], "2024-05-01T12:00:00Z");
        assert!(v["AccessKeyId"].as_str().unwrap().starts_with("STS."));
        let bad = ask(
            &m,
            &request("GET", ROLE_PATH, &[(TOKEN_HEADER, "forged")]),
            NOW,
        );
        assert_eq!(bad.0, 401);
        let other = ask(
            &m,
            &request("GET", &format!("{CREDENTIALS_PREFIX}Other"), &[]),
            NOW,
        );
        assert_eq!(other.0, 404);
    }

    #[test]
    fn token_ttl_bounds_and_expiry() {
        let m = Metadata::new(ImdsMode::Optional, "EcsDbsRole".into());
        for bad in ["0", "21601", "x", ""] {
            assert_eq!(token(&m, bad).0, 400, "{bad}");
        }
        let (status, _, _) = ask(&m, &request("PUT", TOKEN_PATH, &[]), NOW);
        assert_eq!(status, 400);
        let (_, tok) = token(&m, "5");
        let with = request("GET", ROLE_PATH, &[(TOKEN_HEADER, &tok)]);
        assert_eq!(ask(&m, &with, NOW + Duration::seconds(4)).0, 200);
        assert_eq!(ask(&m, &with, NOW + Duration::seconds(5)).0, 401);
        assert_eq!(ask(&m, &request("GET", TOKEN_PATH, &[]), NOW).0, 405);
    }

    #[test]
    fn required_mode_refuses_plain_gets() {
        let m = Metadata::new(ImdsMode::Required, "EcsDbsRole".into());
        assert_eq!(ask(&m, &request("GET", ROLE_PATH, &[]), NOW).0, 401);
        let (_, tok) = token(&m, "60");
        let (status, _, used) = ask(&m, &request("GET", ROLE_PATH, &[(TOKEN_HEADER, &tok)]), NOW);
        assert_eq!((status, used), (200, true));
    }

    #[test]
    fn v1_only_mode_has_no_token_endpoint() {
        let m = Metadata::new(ImdsMode::V1Only, "EcsDbsRole".into());
        assert_eq!(token(&m, "60").0, 404);
        let (status, _, used) = ask(&m, &request("GET", ROLE_PATH, &[(TOKEN_HEADER, "x")]), NOW);
        assert_eq!((status, used), (200, false));
    }
}
