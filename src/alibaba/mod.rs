//! See the crate root for what this layer is for.
//!
//! Map of the client: [`signing`] (pure RPC signature v1), [`endpoint`] (region -> base URL),
//! [`credentials`] (the credential chain), `signed_form` (a request signed now, with what its
//! answer must not show), [`error`] (API error shapes and their one
//! classification), [`client`] (configuration, errors, shared state), [`rpc`] (one signed call of
//! any action, with retries), [`listing`] (what a paged listing declares) with `page` (one page,
//! read strictly) and `paging` (exactly-once concurrent listing), [`limiter`] (one adaptive
//! request budget per client), [`body`] and [`server_text`] (bounds on what an answer may be,
//! and how its text is shown), [`trust_store`] (the CA certificates HTTPS trusts).
//!
//! Each listing the client reads is one declaration file and one line below:
//! [`restore_tasks`] (`DescribeRestoreTaskList`).
pub mod body;
pub mod client;
pub mod credentials;
pub mod endpoint;
pub mod error;
mod json_error;
mod lenient;
pub mod limiter;
pub mod listing;
pub mod page;
mod paging;
pub mod rpc;
pub mod server_text;
mod signed_form;
pub mod signing;
pub mod trust_store;

// The listings.
pub mod restore_tasks;

pub use client::{Backoff, ClientConfig, ClientError, DbsClient, Progress, TransportKind};
pub use credentials::{
    resolve_credentials, resolve_credentials_with_source, AssumeRoleSettings, CredentialError,
    CredentialProvider, CredentialSource, Credentials, ExplicitCredentials, OidcSettings,
    ResolveOptions,
};
pub use endpoint::{resolve_endpoint, validate_override, EndpointError};
pub use error::{ApiError, ApiErrorKind};
pub use listing::{ItemPath, ListOptions, ListingShape, Noun, PageFields, PagedListing};
pub use restore_tasks::{RestoreTask, RestoreTaskQuery};
pub use rpc::RpcCall;

#[cfg(test)]
mod tests {
    use super::*;

    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>(_: &T) {}

    /// The provider keeps these in shared state and awaits the listing inside tonic handlers.
    #[test]
    fn public_types_are_send_and_sync_and_the_listing_future_is_send() {
        // A tuple is Send and Sync when every member is.
        send_sync::<(DbsClient, ClientConfig, ClientError, ApiError, Credentials)>();
        send_sync::<(
            CredentialError,
            ExplicitCredentials,
            ResolveOptions,
            RpcCall,
        )>();
        send_sync::<(RestoreTask, RestoreTaskQuery, EndpointError)>();

        let creds = Credentials {
            access_key_id: "id".into(),
            access_key_secret: "secret".into(),
            security_token: None,
        };
        let client = DbsClient::new(ClientConfig::new(
            "http://127.0.0.1:1",
            "cn-hangzhou",
            creds,
        ))
        .unwrap();
        let query = RestoreTaskQuery::default();
        let token = tokio_util::sync::CancellationToken::new();
        send(&client.list_restore_tasks(&query, &token));
        send(&client.list(&query, &token));
        let call = RpcCall::new("DescribeSomething", rpc::DBS_API_VERSION, Vec::new());
        send(&client.call(&call, &token));
        let explicit = ExplicitCredentials::default();
        let opts = ResolveOptions::default();
        send(&resolve_credentials(&explicit, &opts));
    }
}
