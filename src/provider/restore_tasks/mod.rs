//! The `dbs_restore_tasks` data source: schema, validation, read.
mod fields;
mod mapping;
mod output_file;
mod read;
pub(crate) mod schema;
mod validate;

use crate::plugin::cty::Value;
use crate::plugin::{DataSource, Diagnostics, ReadRequest, ReadResponse, Schema};
use crate::provider::{client_for_read, SharedClient};

/// Lists DBS restore jobs.
pub struct RestoreTasks {
    client: SharedClient,
}

impl RestoreTasks {
    pub(crate) fn new(client: SharedClient) -> Self {
        Self { client }
    }
}

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

    async fn read(&self, request: ReadRequest) -> ReadResponse {
        let client = match client_for_read(&self.client) {
            Ok(client) => client,
            Err(d) => {
                return ReadResponse {
                    state: None,
                    diagnostics: d.into(),
                }
            }
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
        match read::read(&client, &request.config, &request.stop).await {
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
