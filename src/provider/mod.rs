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

use std::sync::Arc;

use crate::alibaba::DbsClient;
use crate::plugin::cty::Value;
use crate::plugin::{ConfigureRequest, Configured, DataSource, Diagnostics, Provider, Schema};

/// The provider served by the `terraform-provider-dbs` binary.
#[derive(Default)]
pub struct DbsProvider;

impl DbsProvider {
    /// A provider that is not configured yet.
    pub fn new() -> Self {
        Self
    }
}

#[async_trait::async_trait]
impl Provider for DbsProvider {
    /// The client every read goes through.
    type Data = DbsClient;

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate_config(&self, config: &Value) -> Diagnostics {
        config::validate(config)
    }

    async fn configure(
        &self,
        request: ConfigureRequest,
    ) -> Result<Configured<DbsClient>, Diagnostics> {
        log::debug!(
            "ConfigureProvider from Terraform {}",
            request.terraform_version
        );
        if !request.config.is_wholly_known() {
            return Ok(Configured::Deferred);
        }
        let client = config::configure(&request.config).await?;
        Ok(Configured::Ready(Arc::new(client)))
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<DbsClient>>> {
        vec![Arc::new(restore_tasks::RestoreTasks)]
    }
}
