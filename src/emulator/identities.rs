//! Whom the gateway trusts: the configured base key, and every set of temporary credentials the
//! emulator itself handed out (by STS, the metadata service or the credentials URI) while it
//! lasts.
//!
//! Temporary credentials are random, so a test cannot pass by guessing them; they are kept
//! until an hour after they expire, long enough to answer `InvalidSecurityToken.Expired` rather
//! than "unknown key" to a client that kept using them, and then forgotten so a long-running
//! emulator does not grow for ever.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use rand::distr::{Alphanumeric, SampleString as _};
use time::{Duration, OffsetDateTime};

use super::reply::GatewayError;
use crate::alibaba::{signing, Credentials};

/// How long an expired credential is still recognised (and refused as expired).
const REMEMBER_EXPIRED: Duration = Duration::hours(1);

/// One set of temporary credentials, as the issuing service answers it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Issued {
    pub(crate) access_key_id: String,
    pub(crate) access_key_secret: String,
    pub(crate) security_token: String,
    pub(crate) expiration: OffsetDateTime,
}

impl Issued {
    /// `YYYY-MM-DDThh:mm:ssZ`, the one format every Alibaba credential client parses.
    pub(crate) fn expiration_text(&self) -> String {
        signing::format_timestamp(self.expiration)
    }
}

impl fmt::Debug for Issued {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issued")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .field("security_token", &"<redacted>")
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// The base identity and the issued ones.
#[derive(Debug)]
pub(crate) struct Identities {
    base: Credentials,
    issued: Mutex<HashMap<String, Issued>>,
}

impl Identities {
    pub(crate) fn new(base: Credentials) -> Self {
        Identities {
            base,
            issued: Mutex::new(HashMap::new()),
        }
    }

    /// Issues fresh temporary credentials valid for `lifetime` from `now`.
    pub(crate) fn issue(&self, lifetime: Duration, now: OffsetDateTime) -> Issued {
        let mut rng = rand::rng();
        let issued = Issued {
            access_key_id: format!("STS.{}", Alphanumeric.sample_string(&mut rng, 24)),
            access_key_secret: Alphanumeric.sample_string(&mut rng, 44),
            security_token: format!("CAIS{}", Alphanumeric.sample_string(&mut rng, 252)),
            // Whole seconds: the wire format has no fraction, and a client comparing the
            // parsed value with ours must see the same moment.
            expiration: truncate_to_second(now + lifetime),
        };
        let mut map = self.issued.lock().unwrap_or_else(PoisonError::into_inner);
        map.retain(|_, old| old.expiration + REMEMBER_EXPIRED > now);
        map.insert(issued.access_key_id.clone(), issued.clone());
        issued
    }

    /// The secret a request from `access_key_id` must be signed with, once the identity and the
    /// `SecurityToken` it came with check out.
    pub(crate) fn secret_for(
        &self,
        access_key_id: &str,
        token: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<String, GatewayError> {
        let token = token.filter(|t| !t.is_empty());
        if access_key_id == self.base.access_key_id {
            if let Some(expected) = &self.base.security_token {
                match token {
                    None => return Err(GatewayError::missing_security_token()),
                    Some(token) if constant_time_eq(token, expected) => {}
                    Some(_) => return Err(GatewayError::security_token_mismatch()),
                }
            }
            return Ok(self.base.access_key_secret.clone());
        }
        let map = self.issued.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(issued) = map.get(access_key_id) else {
            return Err(GatewayError::access_key_not_found());
        };
        match token {
            None => Err(GatewayError::missing_security_token()),
            Some(token) if !constant_time_eq(token, &issued.security_token) => {
                Err(GatewayError::security_token_mismatch())
            }
            Some(_) if issued.expiration <= now => Err(GatewayError::security_token_expired()),
            Some(_) => Ok(issued.access_key_secret.clone()),
        }
    }
}

fn truncate_to_second(at: OffsetDateTime) -> OffsetDateTime {
    at.replace_nanosecond(0).unwrap_or(at)
}

/// Compares secrets without an early exit, so response timing says nothing about how much of a
/// guessed value was right.
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
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

    const NOW: OffsetDateTime = datetime!(2024-05-01 12:00:00.5 UTC);

    fn identities(token: Option<&str>) -> Identities {
        Identities::new(Credentials {
            access_key_id: "ak".into(),
            access_key_secret: "sk".into(),
            security_token: token.map(str::to_owned),
        })
    }

    fn code(result: Result<String, GatewayError>) -> String {
        result.unwrap_or_else(|e| e.code.to_owned())
    }

    #[test]
    fn base_key_as_before() {
        let ids = identities(None);
        assert_eq!(code(ids.secret_for("ak", None, NOW)), "sk");
        assert_eq!(code(ids.secret_for("ak", Some("any"), NOW)), "sk");
        assert_eq!(
            code(ids.secret_for("nobody", None, NOW)),
            "InvalidAccessKeyId.NotFound"
        );
        let ids = identities(Some("tok"));
        assert_eq!(
            code(ids.secret_for("ak", None, NOW)),
            "MissingSecurityToken"
        );
        assert_eq!(
            code(ids.secret_for("ak", Some("x"), NOW)),
            "InvalidSecurityToken.MismatchWithAccessKey"
        );
        assert_eq!(code(ids.secret_for("ak", Some("tok"), NOW)), "sk");
    }

    #[test]
    fn issued_credentials_work_until_they_expire() {
        let ids = identities(None);
        let issued = ids.issue(Duration::seconds(60), NOW);
        assert!(issued.access_key_id.starts_with("STS."));
        assert_eq!(issued.expiration, datetime!(2024-05-01 12:01:00 UTC));
        assert_eq!(issued.expiration_text(), "2024-05-01T12:01:00Z");
        let token = Some(issued.security_token.as_str());
        let key = issued.access_key_id.as_str();
        assert_eq!(
            code(ids.secret_for(key, token, NOW)),
            issued.access_key_secret
        );
        assert_eq!(code(ids.secret_for(key, None, NOW)), "MissingSecurityToken");
        assert_eq!(
            code(ids.secret_for(key, Some("CAISwrong"), NOW)),
            "InvalidSecurityToken.MismatchWithAccessKey"
        );
        assert_eq!(
            code(ids.secret_for(key, token, NOW + Duration::seconds(60))),
            "InvalidSecurityToken.Expired"
        );
    }

    #[test]
    fn issued_credentials_differ_and_old_ones_are_forgotten() {
        let ids = identities(None);
        let a = ids.issue(Duration::seconds(1), NOW);
        let b = ids.issue(Duration::seconds(1), NOW);
        assert_ne!(a.access_key_id, b.access_key_id);
        assert_ne!(a.access_key_secret, b.access_key_secret);
        assert_ne!(a.security_token, b.security_token);
        ids.issue(Duration::seconds(1), NOW + Duration::hours(2));
        assert_eq!(
            code(ids.secret_for(&a.access_key_id, Some(&a.security_token), NOW)),
            "InvalidAccessKeyId.NotFound"
        );
    }

    #[test]
    fn debug_redacts() {
        let ids = identities(None);
        let issued = ids.issue(Duration::seconds(60), NOW);
        for shown in [format!("{issued:?}"), format!("{ids:?}")] {
            assert!(!shown.contains(&issued.access_key_secret), "{shown}");
            assert!(!shown.contains(&issued.security_token), "{shown}");
        }
    }

    #[test]
    fn constant_time_eq_is_eq() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
        assert!(constant_time_eq("", ""));
    }
}
