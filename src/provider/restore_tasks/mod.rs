//! The `dbs_restore_tasks` data source.
pub(crate) mod schema;
mod validate;

use crate::plugin::cty::Value;
use crate::plugin::{DataSource, Diagnostic, Diagnostics, ReadRequest, ReadResponse, Schema};

/// Lists DBS restore jobs.
pub struct RestoreTasks {}

#[async_trait::async_trait]
impl DataSource for RestoreTasks {
    fn type_name(&self) -> &'static str {
        "dbs_restore_tasks"
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        validate::validate(config)
    }

    async fn read(&self, _request: ReadRequest) -> ReadResponse {
        ReadResponse {
            state: None,
            diagnostics: Diagnostic::error("not implemented", "").into(),
        }
    }
}
