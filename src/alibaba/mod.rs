//! See the crate root for what this layer is for.
//!
//! Map of the client: [`signing`] (pure RPC signature v1), [`endpoint`] (region -> base URL),
//! [`credentials`] (the credential chain), [`error`] (API error shapes and what is retryable),
//! [`models`] (lenient response parsing), [`client`] (HTTP attempts with retries) and `paging`
//! (exactly-once concurrent listing).
pub mod client;
pub mod credentials;
pub mod endpoint;
pub mod error;
pub mod models;
mod paging;
pub mod signing;

pub use client::{Backoff, ClientConfig, ClientError, DbsClient, TransportKind};
pub use credentials::{
    resolve_credentials, resolve_credentials_with_source, CredentialError, CredentialSource,
    Credentials, ExplicitCredentials, ResolveOptions,
};
pub use endpoint::{resolve_endpoint, EndpointError};
pub use error::ApiError;
pub use models::{RestoreTask, RestoreTaskQuery};
