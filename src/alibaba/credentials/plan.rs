//! What getting a credential takes, decided once at ConfigureProvider and carried out again at
//! every refresh: a base source, then zero or more roles assumed on top of it.

use std::fmt;
use std::path::PathBuf;

use time::OffsetDateTime;

use super::ResolveOptions;
use super::{external, metadata, sts, uri, CredentialError, CredentialSource, Credentials};

/// The chain's decision.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Where the first credential comes from.
    pub base: Base,
    /// Roles assumed in turn, each with the credential before it (profile chains, then the
    /// `assume_role` block).
    pub roles: Vec<RoleToAssume>,
    /// Where the credential comes from, for logs and diagnostics.
    pub source: CredentialSource,
    /// The region a profile names (`region_id`), the fallback for the provider's `region`.
    pub region: Option<String>,
}

/// The first link of the chain. `Debug` shows a URI without its query and a command by its
/// program only: either may carry a token.
#[derive(Clone)]
pub enum Base {
    /// Keys (and a token) written down somewhere: they never change.
    Keys(Credentials),
    /// STS `AssumeRoleWithOIDC`.
    Oidc(OidcRole),
    /// A URL answering temporary credentials.
    CredentialsUri(String),
    /// The instance RAM role, from instance metadata.
    InstanceRole {
        /// The role; discovered from metadata when `None`.
        role: Option<String>,
        /// Whether plain GETs may be used when no metadata token can be had.
        imdsv1_allowed: bool,
        /// Base URL of instance metadata.
        endpoint: String,
    },
    /// An `External` profile: a command that prints credentials as JSON.
    External {
        /// The profile, for messages.
        profile: String,
        /// The command line, split like a shell would.
        command: String,
    },
}

impl fmt::Debug for Base {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Base::Keys(credentials) => f.debug_tuple("Keys").field(credentials).finish(),
            Base::Oidc(role) => f.debug_tuple("Oidc").field(role).finish(),
            Base::CredentialsUri(url) => f
                .debug_tuple("CredentialsUri")
                .field(&super::http::shown_url(url))
                .finish(),
            Base::InstanceRole {
                role,
                imdsv1_allowed,
                endpoint,
            } => f
                .debug_struct("InstanceRole")
                .field("role", role)
                .field("imdsv1_allowed", imdsv1_allowed)
                .field("endpoint", endpoint)
                .finish(),
            Base::External { profile, command } => f
                .debug_struct("External")
                .field("profile", profile)
                .field(
                    "program",
                    &shlex::split(command)
                        .and_then(|words| words.into_iter().next())
                        .unwrap_or_default(),
                )
                .finish(),
        }
    }
}

/// An OIDC role: no signing key needed, the token proves who we are.
#[derive(Debug, Clone)]
pub struct OidcRole {
    pub(crate) role_arn: String,
    pub(crate) provider_arn: String,
    pub(crate) token: OidcToken,
    pub(crate) session_name: String,
    pub(crate) policy: Option<String>,
    pub(crate) duration_seconds: u64,
    pub(crate) sts_endpoint: String,
}

/// Where the OIDC token is. A file is re-read at every refresh, because the kubelet rotates it.
#[derive(Clone)]
pub enum OidcToken {
    /// `oidc_token_file` / `ALIBABA_CLOUD_OIDC_TOKEN_FILE`.
    File(PathBuf),
    /// `oidc_token`.
    Inline(String),
}

impl fmt::Debug for OidcToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OidcToken::File(path) => write!(f, "File({})", path.display()),
            OidcToken::Inline(_) => f.write_str("Inline(<redacted>)"),
        }
    }
}

/// One STS `AssumeRole` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleToAssume {
    /// `RoleArn`.
    pub role_arn: String,
    /// `RoleSessionName`.
    pub session_name: String,
    /// `Policy`, narrowing the session's rights.
    pub policy: Option<String>,
    /// `ExternalId`.
    pub external_id: Option<String>,
    /// `DurationSeconds`.
    pub duration_seconds: u64,
    /// The STS base URL.
    pub sts_endpoint: String,
}

/// A credential and when it stops working (`None`: never, as far as we know).
#[derive(Debug, Clone)]
pub(crate) struct Issued {
    pub(crate) credentials: Credentials,
    pub(crate) expiration: Option<OffsetDateTime>,
}

impl Issued {
    pub(crate) fn lasting(credentials: Credentials) -> Self {
        Issued {
            credentials,
            expiration: None,
        }
    }
}

/// Carries the plan out once.
pub(crate) async fn fetch(plan: &Plan, opts: &ResolveOptions) -> Result<Issued, CredentialError> {
    let mut issued = match &plan.base {
        Base::Keys(credentials) => Issued::lasting(credentials.clone()),
        Base::Oidc(role) => sts::assume_role_with_oidc(role, opts).await?,
        Base::CredentialsUri(url) => uri::fetch(url, opts).await?,
        Base::InstanceRole {
            role,
            imdsv1_allowed,
            endpoint,
        } => metadata::fetch(endpoint, role.as_deref(), *imdsv1_allowed, opts).await?,
        Base::External { profile, command } => external::run(profile, command, opts).await?,
    };
    for role in &plan.roles {
        issued = sts::assume_role(&issued.credentials, role, opts).await?;
    }
    Ok(issued)
}
