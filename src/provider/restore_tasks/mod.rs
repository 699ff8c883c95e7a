//! The `dbs_restore_tasks` data source: schema, validation, read.
mod fields;
mod mapping;
mod output_file;
mod read;
pub(crate) mod schema;
mod validate;

use crate::alibaba::DbsClient;
use crate::plugin::cty::Value;
use crate::plugin::{DataSource, Diagnostics, ReadRequest, ReadResponse, Schema};

/// Lists DBS restore jobs.
pub struct RestoreTasks;

#[async_trait::async_trait]
impl DataSource<DbsClient> for RestoreTasks {
    fn type_name(&self) -> &'static str {
        "dbs_restore_tasks"
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        validate::validate(config)
    }

    async fn read(&self, request: ReadRequest<DbsClient>) -> ReadResponse {
        let client = match request.provider.get() {
            Ok(client) => client,
            Err(d) => return d.into(),
        };
        // Validation already ran, but reads can be reached without it (tests,
        // other clients); never query with arguments that would fail it.
        let invalid = validate::validate(&request.config);
        if invalid.has_errors() {
            return ReadResponse {
                state: None,
                diagnostics: invalid,
            };
        }
        match read::read(&client, &request.config, request.state, &request.stop).await {
            Ok((state, warnings)) => ReadResponse {
                state: Some(state),
                diagnostics: warnings,
            },
            Err(diagnostics) => ReadResponse {
                state: None,
                diagnostics,
            },
        }
    }
}
