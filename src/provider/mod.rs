//! The `dbs` provider: configuration, credentials and the
//! `dbs_restore_tasks` data source. The only layer that knows both
//! Terraform (through [`crate::plugin`]) and DBS (through [`crate::alibaba`]).
//!
//! Errors from the API client stay typed until `errors` turns them into
//! diagnostics at this boundary.
pub mod args;
mod config;
mod duration;
mod errors;
pub mod restore_tasks;
mod schema;
pub mod time_format;

use std::sync::{Arc, RwLock};

use crate::alibaba::DbsClient;
use crate::plugin::cty::Value;
use crate::plugin::{ConfigureRequest, DataSource, Diagnostic, Diagnostics, Provider, Schema};

/// What ConfigureProvider left for the data sources.
#[derive(Default)]
pub(crate) enum ClientState {
    /// ConfigureProvider has not run yet.
    #[default]
    Unconfigured,
    /// The provider block depends on values not known until apply.
    Deferred,
    /// Ready.
    Ready(Arc<DbsClient>),
}

/// Shared between the provider and its data sources.
pub(crate) type SharedClient = Arc<RwLock<ClientState>>;

/// The provider served by the `terraform-provider-dbs` binary.
#[derive(Default)]
pub struct DbsProvider {
    client: SharedClient,
}

impl DbsProvider {
    /// A provider that is not configured yet.
    pub fn new() -> Self {
        Self::default()
    }
}

/// The client a read should use, or the diagnostic explaining why there is none.
pub(crate) fn client_for_read(shared: &SharedClient) -> Result<Arc<DbsClient>, Diagnostic> {
    let state = shared.read().map_err(|_| {
        Diagnostic::error(
            "Provider state poisoned",
            "A previous operation panicked; re-run Terraform.",
        )
    })?;
    match &*state {
        ClientState::Ready(client) => Ok(client.clone()),
        ClientState::Deferred => Err(Diagnostic::error(
            "Provider configuration not known yet",
            "The provider block uses values that are only known after apply; apply the \
             resources it depends on first (for example with -target).",
        )),
        ClientState::Unconfigured => Err(Diagnostic::error(
            "Provider not configured",
            "Terraform read a data source before configuring the provider; this is a bug.",
        )),
    }
}

#[async_trait::async_trait]
impl Provider for DbsProvider {
    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate_config(&self, config: &Value) -> Diagnostics {
        config::validate(config)
    }

    async fn configure(&self, request: ConfigureRequest) -> Diagnostics {
        log::debug!(
            "ConfigureProvider from Terraform {}",
            request.terraform_version
        );
        let (state, diagnostics) = if !request.config.is_wholly_known() {
            (ClientState::Deferred, Diagnostics::new())
        } else {
            match config::configure(&request.config).await {
                Ok(client) => (ClientState::Ready(Arc::new(client)), Diagnostics::new()),
                Err(diags) => (ClientState::Unconfigured, diags),
            }
        };
        if let Ok(mut shared) = self.client.write() {
            *shared = state;
        }
        diagnostics
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![Arc::new(restore_tasks::RestoreTasks::new(
            self.client.clone(),
        ))]
    }
}
