//! The `dbs` provider: configuration, credentials and the
//! `dbs_restore_tasks` data source. The only layer that knows both
//! Terraform (through [`crate::plugin`]) and DBS (through [`crate::alibaba`]).
pub mod args;
pub mod restore_tasks;
mod schema;
pub mod time_format;

use std::sync::Arc;

use crate::plugin::cty::Value;
use crate::plugin::{ConfigureRequest, DataSource, Diagnostics, Provider, Schema};

/// The provider served by the `terraform-provider-dbs` binary.
#[derive(Default)]
pub struct DbsProvider {}

impl DbsProvider {
    /// A provider that is not configured yet.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait::async_trait]
impl Provider for DbsProvider {
    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate_config(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    async fn configure(&self, _request: ConfigureRequest) -> Diagnostics {
        Diagnostics::new()
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![Arc::new(restore_tasks::RestoreTasks {})]
    }
}
