//! The `tfplugin6.Provider` gRPC service, translating each RPC into calls on
//! a [`Provider`] and its [`DataSource`]s.
//!
//! Schemas are computed once at start-up: Terraform asks for them on every
//! run, sometimes several times, and they never change within a process.

use std::collections::HashMap;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::convert;
use super::cty::CtyType;
use super::diagnostics::{Diagnostic, Diagnostics};
use super::provider_api::{
    ConfigureRequest, DataSource, Provider, ReadRequest, TERRAFORM_MAX_MESSAGE_BYTES,
};
use super::wire::tfplugin6 as wire;
use super::wire::tfplugin6::provider_server;

struct RegisteredDataSource {
    implementation: Arc<dyn DataSource>,
    /// The type its configs and states are encoded with.
    value_type: CtyType,
}

/// Serves one provider.
pub struct ProviderService<P: Provider> {
    provider: Arc<P>,
    /// The type provider configs are encoded with.
    provider_type: CtyType,
    /// The GetProviderSchema answer, built once.
    schema_response: wire::get_provider_schema::Response,
    data_sources: HashMap<String, RegisteredDataSource>,
    /// Cancelled by StopProvider and then replaced, so that a host keeping
    /// the process alive after a stop can still read (as the Go SDK allows).
    stop: std::sync::Mutex<CancellationToken>,
    /// Cancelled when the process is terminated; every `stop` descends from it.
    terminate: CancellationToken,
}

impl<P: Provider> ProviderService<P> {
    /// Wraps `provider`; reads in flight are cancelled by StopProvider, and
    /// by `stop` (e.g. SIGTERM) for good.
    pub fn new(provider: P, stop: CancellationToken) -> Self {
        let provider_schema = provider.schema();
        let mut data_source_schemas = HashMap::new();
        let mut data_sources = HashMap::new();
        for ds in provider.data_sources() {
            let schema = ds.schema();
            let name = ds.type_name().to_string();
            data_source_schemas.insert(name.clone(), convert::schema(&schema));
            data_sources.insert(
                name,
                RegisteredDataSource {
                    implementation: ds,
                    value_type: schema.value_type(),
                },
            );
        }
        Self {
            provider_type: provider_schema.value_type(),
            schema_response: wire::get_provider_schema::Response {
                provider: Some(convert::schema(&provider_schema)),
                resource_schemas: HashMap::new(),
                data_source_schemas,
                diagnostics: Vec::new(),
                provider_meta: None,
                server_capabilities: Some(server_capabilities()),
            },
            provider: Arc::new(provider),
            data_sources,
            stop: std::sync::Mutex::new(stop.child_token()),
            terminate: stop,
        }
    }

    /// A token for one read: cancelled by the next StopProvider.
    fn read_token(&self) -> CancellationToken {
        match self.stop.lock() {
            Ok(token) => token.child_token(),
            Err(poisoned) => poisoned.into_inner().child_token(),
        }
    }

    fn data_source(&self, type_name: &str) -> Result<&RegisteredDataSource, Diagnostic> {
        self.data_sources.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown data source",
                format!("This provider has no data source named {type_name:?}."),
            )
        })
    }
}

fn only(diagnostic: Diagnostic) -> Vec<wire::Diagnostic> {
    convert::diagnostics(&Diagnostics::from(diagnostic))
}

#[tonic::async_trait]
impl<P: Provider> provider_server::Provider for ProviderService<P> {
    async fn get_metadata(
        &self,
        _request: Request<wire::get_metadata::Request>,
    ) -> Result<Response<wire::get_metadata::Response>, Status> {
        let mut data_sources: Vec<_> = self
            .data_sources
            .keys()
            .map(|name| wire::get_metadata::DataSourceMetadata {
                type_name: name.clone(),
            })
            .collect();
        data_sources.sort_by(|a, b| a.type_name.cmp(&b.type_name));
        Ok(Response::new(wire::get_metadata::Response {
            server_capabilities: Some(server_capabilities()),
            diagnostics: Vec::new(),
            data_sources,
            resources: Vec::new(),
        }))
    }

    async fn get_provider_schema(
        &self,
        _request: Request<wire::get_provider_schema::Request>,
    ) -> Result<Response<wire::get_provider_schema::Response>, Status> {
        Ok(Response::new(self.schema_response.clone()))
    }

    async fn validate_provider_config(
        &self,
        request: Request<wire::validate_provider_config::Request>,
    ) -> Result<Response<wire::validate_provider_config::Response>, Status> {
        let request = request.into_inner();
        let diagnostics =
            match convert::decode_dynamic_value(request.config.as_ref(), &self.provider_type) {
                Ok(config) => convert::diagnostics(&self.provider.validate_config(&config)),
                Err(d) => only(d),
            };
        Ok(Response::new(wire::validate_provider_config::Response {
            diagnostics,
        }))
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<wire::validate_data_resource_config::Request>,
    ) -> Result<Response<wire::validate_data_resource_config::Response>, Status> {
        let request = request.into_inner();
        let diagnostics = match self.data_source(&request.type_name).and_then(|ds| {
            convert::decode_dynamic_value(request.config.as_ref(), &ds.value_type)
                .map(|config| ds.implementation.validate(&config))
        }) {
            Ok(diags) => convert::diagnostics(&diags),
            Err(d) => only(d),
        };
        Ok(Response::new(
            wire::validate_data_resource_config::Response { diagnostics },
        ))
    }

    async fn configure_provider(
        &self,
        request: Request<wire::configure_provider::Request>,
    ) -> Result<Response<wire::configure_provider::Response>, Status> {
        let request = request.into_inner();
        let diagnostics =
            match convert::decode_dynamic_value(request.config.as_ref(), &self.provider_type) {
                Ok(config) => convert::diagnostics(
                    &self
                        .provider
                        .configure(ConfigureRequest {
                            terraform_version: request.terraform_version,
                            config,
                        })
                        .await,
                ),
                Err(d) => only(d),
            };
        Ok(Response::new(wire::configure_provider::Response {
            diagnostics,
        }))
    }

    async fn read_data_source(
        &self,
        request: Request<wire::read_data_source::Request>,
    ) -> Result<Response<wire::read_data_source::Response>, Status> {
        let request = request.into_inner();
        let ds = match self.data_source(&request.type_name) {
            Ok(ds) => ds,
            Err(d) => return Ok(Response::new(read_failure(d))),
        };
        let ty = &ds.value_type;
        let config = match convert::decode_dynamic_value(request.config.as_ref(), ty) {
            Ok(config) => config,
            Err(d) => return Ok(Response::new(read_failure(d))),
        };
        let started = std::time::Instant::now();
        let response = ds
            .implementation
            .read(ReadRequest {
                config,
                stop: self.read_token(),
            })
            .await;
        log::debug!(
            "ReadDataSource {} finished in {} ms",
            request.type_name,
            started.elapsed().as_millis()
        );
        let mut diagnostics = response.diagnostics;
        let state = match response.state {
            Some(state) if !diagnostics.has_errors() => {
                match convert::encode_dynamic_value(&state, ty) {
                    Ok(v) if v.msgpack.len() > STATE_BUDGET_BYTES => {
                        diagnostics.push(state_too_large(&request.type_name, v.msgpack.len()));
                        None
                    }
                    Ok(v) => Some(v),
                    Err(d) => {
                        diagnostics.push(d);
                        None
                    }
                }
            }
            _ => {
                if !diagnostics.has_errors() {
                    diagnostics.push(Diagnostic::error(
                        "Data source returned no state",
                        "The read finished without a result or an error; this is a provider bug.",
                    ));
                }
                None
            }
        };
        Ok(Response::new(wire::read_data_source::Response {
            state,
            diagnostics: convert::diagnostics(&diagnostics),
            deferred: None,
        }))
    }

    async fn stop_provider(
        &self,
        _request: Request<wire::stop_provider::Request>,
    ) -> Result<Response<wire::stop_provider::Response>, Status> {
        log::info!("StopProvider: cancelling in-flight work");
        let mut current = match self.stop.lock() {
            Ok(token) => token,
            Err(poisoned) => poisoned.into_inner(),
        };
        current.cancel();
        *current = self.terminate.child_token();
        Ok(Response::new(wire::stop_provider::Response {
            error: String::new(),
        }))
    }
}

/// Room left in a response for the diagnostics and protobuf framing around
/// the state.
const RESPONSE_OVERHEAD_BYTES: usize = 1 << 20;
/// The largest state a response can carry within Terraform's limit.
const STATE_BUDGET_BYTES: usize = TERRAFORM_MAX_MESSAGE_BYTES - RESPONSE_OVERHEAD_BYTES;

fn state_too_large(type_name: &str, bytes: usize) -> Diagnostic {
    Diagnostic::error(
        "Result too large for Terraform",
        format!(
            "The state of this {type_name} is {:.1} MiB, more than the {} MiB Terraform accepts \
             in one response. Narrow the data source's filters so that it returns less.",
            bytes as f64 / (1 << 20) as f64,
            TERRAFORM_MAX_MESSAGE_BYTES >> 20
        ),
    )
}

fn read_failure(d: Diagnostic) -> wire::read_data_source::Response {
    wire::read_data_source::Response {
        state: None,
        diagnostics: only(d),
        deferred: None,
    }
}

fn server_capabilities() -> wire::ServerCapabilities {
    wire::ServerCapabilities {
        plan_destroy: false,
        get_provider_schema_optional: false,
        move_resource_state: false,
    }
}
