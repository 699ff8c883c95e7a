//! The credential the client signs with, renewed before it expires.
//!
//! One lock guards the cached credential, so when it runs out, one caller renews it and every
//! other request waits for that answer instead of calling STS itself. A renewal that fails while
//! the cached credential still has time left keeps using it (and says so in the log): a blip at
//! STS must not fail a read that still holds a working token. An expired one is never handed out.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use super::plan::{self, Base, Issued, Plan};
use super::{CredentialError, CredentialSource, Credentials, ResolveOptions};

/// Temporary credentials are renewed when less than this is left, so a request signed just
/// before never reaches the API with an expired token.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(180);
/// A credential with less than this left is not used, even when its renewal failed.
const LAST_USE_MARGIN: Duration = Duration::from_secs(30);

type SecretHook = Arc<dyn Fn(&str) + Send + Sync>;

/// Hands out the current credential (clone it freely: clones share the cache).
#[derive(Clone)]
pub struct CredentialProvider {
    inner: Arc<Inner>,
}

struct Inner {
    plan: Plan,
    opts: ResolveOptions,
    cache: tokio::sync::Mutex<Option<Issued>>,
    on_secret: Option<SecretHook>,
}

impl fmt::Debug for CredentialProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialProvider")
            .field("source", &self.inner.plan.source)
            .finish_non_exhaustive()
    }
}

impl From<Credentials> for CredentialProvider {
    /// Keys that never change (tests, and callers that resolved them elsewhere).
    fn from(credentials: Credentials) -> Self {
        CredentialProvider::new(
            Plan {
                base: Base::Keys(credentials),
                roles: Vec::new(),
                source: CredentialSource::Setting("access_key"),
                region: None,
            },
            ResolveOptions::default(),
        )
    }
}

impl CredentialProvider {
    /// Carries out `plan` on first use and again whenever the credential nears its expiry.
    pub fn new(plan: Plan, opts: ResolveOptions) -> Self {
        CredentialProvider {
            inner: Arc::new(Inner {
                plan,
                opts,
                cache: tokio::sync::Mutex::new(None),
                on_secret: None,
            }),
        }
    }

    /// Calls `hook` with every secret and token this provider obtains, before anything can log
    /// them (the provider registers them for masking).
    ///
    /// The secrets the plan already holds (keys that sign an `AssumeRole`, an inline OIDC token,
    /// a credentials URI's query) are handed to it at once.
    pub fn with_secret_hook(self, hook: impl Fn(&str) + Send + Sync + 'static) -> Self {
        match &self.inner.plan.base {
            Base::Keys(keys) => {
                hook(&keys.access_key_secret);
                if let Some(token) = &keys.security_token {
                    hook(token);
                }
            }
            Base::Oidc(role) => {
                if let super::plan::OidcToken::Inline(token) = &role.token {
                    hook(token);
                }
            }
            Base::CredentialsUri(url) => {
                if let Some(query) = reqwest::Url::parse(url)
                    .ok()
                    .and_then(|u| u.query().map(str::to_owned))
                {
                    hook(&query);
                }
            }
            Base::InstanceRole { .. } | Base::External { .. } => {}
        }
        let inner = Arc::try_unwrap(self.inner).unwrap_or_else(|shared| Inner {
            plan: shared.plan.clone(),
            opts: shared.opts.clone(),
            cache: tokio::sync::Mutex::new(None),
            on_secret: None,
        });
        CredentialProvider {
            inner: Arc::new(Inner {
                on_secret: Some(Arc::new(hook)),
                ..inner
            }),
        }
    }

    /// Where the credential comes from.
    pub fn source(&self) -> &CredentialSource {
        &self.inner.plan.source
    }

    /// Keys that are written down (never fetched) and so cannot expire.
    pub fn fixed_keys(&self) -> Option<&Credentials> {
        match (&self.inner.plan.base, self.inner.plan.roles.is_empty()) {
            (Base::Keys(keys), true) => Some(keys),
            _ => None,
        }
    }

    /// The credential to sign the next request with.
    pub async fn current(&self) -> Result<Credentials, CredentialError> {
        let mut cache = self.inner.cache.lock().await;
        let now = OffsetDateTime::now_utc();
        if let Some(issued) = cache.as_ref() {
            if left(issued, now).is_none_or(|left| left > REFRESH_MARGIN) {
                return Ok(issued.credentials.clone());
            }
        }
        match plan::fetch(&self.inner.plan, &self.inner.opts).await {
            Ok(issued)
                if left(&issued, OffsetDateTime::now_utc())
                    .is_some_and(|left| left <= LAST_USE_MARGIN) =>
            {
                Err(CredentialError::Invalid {
                    setting: self.inner.plan.source.to_string(),
                    reason: format!(
                        "it answered credentials that expire at {} (less than {} s from now); \
                         check the clock of this machine and of the credential source",
                        issued.expiration.map(|e| e.to_string()).unwrap_or_default(),
                        LAST_USE_MARGIN.as_secs()
                    ),
                })
            }
            Ok(issued) => {
                if let Some(hook) = &self.inner.on_secret {
                    hook(&issued.credentials.access_key_secret);
                    if let Some(token) = &issued.credentials.security_token {
                        hook(token);
                    }
                }
                match issued.expiration {
                    Some(at) => log::debug!(
                        "credentials from {} (access key {}), valid until {at}",
                        self.inner.plan.source,
                        issued.credentials.access_key_id
                    ),
                    None => log::debug!("credentials from {}", self.inner.plan.source),
                }
                let credentials = issued.credentials.clone();
                *cache = Some(issued);
                Ok(credentials)
            }
            // The failed fetch took time: judge the cached credential by the clock now.
            Err(error) => match cache.as_ref() {
                Some(old)
                    if left(old, OffsetDateTime::now_utc())
                        .is_some_and(|left| left > LAST_USE_MARGIN) =>
                {
                    log::warn!(
                        "renewing the credentials from {} failed ({error}); the current ones are \
                         still valid, so they are used until they are nearly expired",
                        self.inner.plan.source
                    );
                    Ok(old.credentials.clone())
                }
                _ => Err(error),
            },
        }
    }
}

/// Time left before `issued` expires; `None` when it does not.
fn left(issued: &Issued, now: OffsetDateTime) -> Option<Duration> {
    issued
        .expiration
        .map(|at| Duration::try_from(at - now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issued(left_secs: i64) -> Issued {
        Issued {
            credentials: Credentials {
                access_key_id: "STS.x".into(),
                access_key_secret: "s".into(),
                security_token: Some("t".into()),
            },
            expiration: Some(OffsetDateTime::now_utc() + time::Duration::seconds(left_secs)),
        }
    }

    #[test]
    fn time_left_is_never_negative() {
        let now = OffsetDateTime::now_utc();
        assert_eq!(left(&issued(-100), now), Some(Duration::ZERO));
        assert!(left(&issued(3600), now).unwrap() > REFRESH_MARGIN);
        assert!(left(&issued(100), now).unwrap() < REFRESH_MARGIN);
        assert_eq!(left(&Issued::lasting(issued(0).credentials), now), None);
    }

    #[tokio::test]
    async fn fixed_keys_are_handed_out_without_fetching() {
        let keys = Credentials {
            access_key_id: "id".into(),
            access_key_secret: "secret".into(),
            security_token: None,
        };
        let seen = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let record = seen.clone();
        let provider = CredentialProvider::from(keys.clone())
            .with_secret_hook(move |s| record.lock().unwrap().push(s.to_owned()));
        assert_eq!(provider.fixed_keys(), Some(&keys));
        assert_eq!(provider.current().await.unwrap(), keys);
        assert_eq!(provider.current().await.unwrap(), keys);
        // Once when the hook is set, once when the keys are first handed out.
        assert_eq!(*seen.lock().unwrap(), ["secret", "secret"]);
    }
}
