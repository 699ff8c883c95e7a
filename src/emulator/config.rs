//! How an emulator is set up: where it listens, what it serves, whom it trusts, how it misbehaves.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use super::faults::Faults;
use super::tasks::TaskSource;

/// Access key id the emulator accepts unless told otherwise.
pub const DEFAULT_ACCESS_KEY_ID: &str = "emulator-access-key";
/// Access key secret the emulator accepts unless told otherwise. Not a secret: it exists so
/// offline users have something to type.
pub const DEFAULT_ACCESS_KEY_SECRET: &str = "emulator-secret";

/// The role STS lets callers assume unless told otherwise.
pub const DEFAULT_ROLE_ARN: &str = "acs:ram::1234567890123456:role/dbs-reader";
/// The OIDC provider `AssumeRoleWithOIDC` accepts unless told otherwise (ACK RRSA's shape).
pub const DEFAULT_OIDC_PROVIDER_ARN: &str = "acs:ram::1234567890123456:oidc-provider/ack-rrsa";
/// The OIDC token `AssumeRoleWithOIDC` accepts unless told otherwise: JWT-shaped (header,
/// claims, signature) so clients that peek at the claims find some, but signed by nobody.
pub const DEFAULT_OIDC_TOKEN: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImRicy1lbXVsYXRvciJ9.eyJpc3MiOiJodHRwczovL29pZGMtYWNrLWNuLWhhbmd6aG91Lm9zcy1jbi1oYW5nemhvdS5hbGl5dW5jcy5jb20vZGJzLWVtdWxhdG9yIiwic3ViIjoic3lzdGVtOnNlcnZpY2VhY2NvdW50OmRlZmF1bHQ6ZGJzLXJlYWRlciIsImF1ZCI6WyJzdHMuYWxpeXVuY3MuY29tIl0sImlhdCI6MTcwMDAwMDAwMCwiZXhwIjo0MTAyNDQ0ODAwfQ.ZW11bGF0b3Itbm90LWEtcmVhbC1zaWduYXR1cmU";
/// The RAM role attached to the emulated ECS instance unless told otherwise.
pub const DEFAULT_INSTANCE_ROLE: &str = "EcsDbsRole";
/// How long issued temporary credentials last unless told otherwise (STS's own default).
pub const DEFAULT_CREDENTIAL_LIFETIME: Duration = Duration::from_secs(3600);

/// A RAM role STS lets callers assume.
#[derive(Clone, PartialEq, Eq)]
pub struct Role {
    /// `acs:ram::<account>:role/<name>`, compared exactly.
    pub arn: String,
    /// When set, the role's trust policy demands this `ExternalId` (the confused-deputy guard of
    /// cross-account roles): a call without it, or with another, is refused.
    pub external_id: Option<String>,
}

impl Role {
    /// A role anyone the gateway admits may assume.
    pub fn new(arn: impl Into<String>) -> Self {
        Role {
            arn: arn.into(),
            external_id: None,
        }
    }

    /// The same role, demanding `external_id`.
    pub fn with_external_id(mut self, external_id: impl Into<String>) -> Self {
        self.external_id = Some(external_id.into());
        self
    }
}

impl fmt::Debug for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // An external id is a shared secret of sorts; its presence is what matters here.
        f.debug_struct("Role")
            .field("arn", &self.arn)
            .field("external_id", &self.external_id.as_ref().map(|_| "<set>"))
            .finish()
    }
}

/// How the emulated ECS metadata service treats session tokens (IMDSv2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImdsMode {
    /// Tokens are issued and honoured, and plain GETs work too (Alibaba's default).
    #[default]
    Optional,
    /// A GET without a valid token is refused with 401 (a hardened instance).
    Required,
    /// No token endpoint (`PUT /latest/api/token` is 404, as on an old metadata server); GETs
    /// work and any token header is ignored.
    V1Only,
}

impl FromStr for ImdsMode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "optional" => Ok(ImdsMode::Optional),
            "required" => Ok(ImdsMode::Required),
            "v1-only" => Ok(ImdsMode::V1Only),
            other => Err(format!(
                "`{other}` is not an IMDS mode (optional, required, v1-only)"
            )),
        }
    }
}

/// Everything [`Emulator::start`](super::Emulator::start) needs.
///
/// `Default` gives a well-behaved server on an ephemeral loopback port with the default
/// credentials and a dozen generated tasks; tests override the fields they care about.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// Where to listen; port 0 picks a free port (read it back with `Emulator::url`).
    pub listen: SocketAddr,
    /// The tasks to serve.
    pub tasks: TaskSource,
    /// The only `AccessKeyId` accepted.
    pub access_key_id: String,
    /// The secret requests must be signed with.
    pub access_key_secret: String,
    /// When set, every request must carry exactly this `SecurityToken` (as with STS
    /// credentials). When unset, a `SecurityToken` is accepted but not required.
    pub security_token: Option<String>,
    /// Faults to inject from the start; change them later with `Emulator::set_faults`. They
    /// apply to DBS requests only: the credential services always answer at once.
    pub faults: Faults,
    /// The longest life of temporary credentials the emulator issues (STS, the metadata
    /// service, the credentials URI); STS grants `min(DurationSeconds or 3600 s, this)`, so a
    /// test can make credentials expire within seconds.
    pub credential_lifetime: Duration,
    /// The roles STS `AssumeRole` and `AssumeRoleWithOIDC` grant.
    pub roles: Vec<Role>,
    /// The only `OIDCProviderArn` `AssumeRoleWithOIDC` accepts.
    pub oidc_provider_arn: String,
    /// The only `OIDCToken` `AssumeRoleWithOIDC` accepts.
    pub oidc_token: String,
    /// The role name the metadata service says is attached to the instance.
    pub instance_role: String,
    /// How the metadata service treats IMDSv2 session tokens.
    pub imds: ImdsMode,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            tasks: TaskSource::default(),
            access_key_id: DEFAULT_ACCESS_KEY_ID.to_owned(),
            access_key_secret: DEFAULT_ACCESS_KEY_SECRET.to_owned(),
            security_token: None,
            faults: Faults::default(),
            credential_lifetime: DEFAULT_CREDENTIAL_LIFETIME,
            roles: vec![Role::new(DEFAULT_ROLE_ARN)],
            oidc_provider_arn: DEFAULT_OIDC_PROVIDER_ARN.to_owned(),
            oidc_token: DEFAULT_OIDC_TOKEN.to_owned(),
            instance_role: DEFAULT_INSTANCE_ROLE.to_owned(),
            imds: ImdsMode::default(),
        }
    }
}

impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("listen", &self.listen)
            .field("tasks", &self.tasks)
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .field("faults", &self.faults)
            .field("credential_lifetime", &self.credential_lifetime)
            .field("roles", &self.roles)
            .field("oidc_provider_arn", &self.oidc_provider_arn)
            .field("oidc_token", &"<redacted>")
            .field("instance_role", &self.instance_role)
            .field("imds", &self.imds)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secrets() {
        let config = EmulatorConfig {
            access_key_secret: "s3cr3t".into(),
            security_token: Some("t0k3n".into()),
            oidc_token: "oidc-t0k3n".into(),
            roles: vec![Role::new("acs:ram::1:role/r").with_external_id("ext-s3cr3t")],
            ..EmulatorConfig::default()
        };
        let shown = format!("{config:?}");
        for secret in ["s3cr3t", "t0k3n", "oidc-t0k3n", "ext-s3cr3t"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("acs:ram::1:role/r"));
        assert!(shown.contains("emulator-access-key"));
    }

    #[test]
    fn imds_modes_parse() {
        assert_eq!("optional".parse(), Ok(ImdsMode::Optional));
        assert_eq!("required".parse(), Ok(ImdsMode::Required));
        assert_eq!("v1-only".parse(), Ok(ImdsMode::V1Only));
        assert!("v2".parse::<ImdsMode>().is_err());
    }

    #[test]
    fn default_listens_on_loopback() {
        let config = EmulatorConfig::default();
        assert!(config.listen.ip().is_loopback());
        assert_eq!(config.listen.port(), 0);
    }
}
