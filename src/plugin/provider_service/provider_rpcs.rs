//! The RPCs about the provider itself: what it serves, its block, and
//! stopping what is in flight.

use std::collections::HashMap;
use std::sync::PoisonError;

use super::{only, wire, ProviderService, Registered};
use crate::plugin::convert;
use crate::plugin::cty::Value;
use crate::plugin::diagnostics::Diagnostic;
use crate::plugin::provider_api::{ConfigureRequest, DataSource, Provider, Resource};
use crate::plugin::provider_data::ProviderData;

/// The provider's own block in protocol data file names, where a data
/// source or resource type would be.
const PROVIDER_TYPE_NAME: &str = "provider";

/// The same in GetMetadata and GetProviderSchema. Every capability stays
/// off: PlanResourceChange on destroy, skipping GetProviderSchema, moves and
/// config generation are all optional, and leaving them off keeps the
/// answer identical for every Terraform version.
pub(super) fn server_capabilities() -> wire::ServerCapabilities {
    wire::ServerCapabilities {
        plan_destroy: false,
        get_provider_schema_optional: false,
        move_resource_state: false,
        generate_resource_config: false,
    }
}

/// The GetMetadata answer, type names sorted so it is stable.
pub(super) fn metadata<D: 'static>(
    data_sources: &HashMap<String, Registered<dyn DataSource<D>>>,
    resources: &HashMap<String, Registered<dyn Resource<D>>>,
) -> wire::get_metadata::Response {
    let sorted = |names: Vec<&String>| {
        let mut names: Vec<String> = names.into_iter().cloned().collect();
        names.sort();
        names
    };
    wire::get_metadata::Response {
        server_capabilities: Some(server_capabilities()),
        data_sources: sorted(data_sources.keys().collect())
            .into_iter()
            .map(|type_name| wire::get_metadata::DataSourceMetadata { type_name })
            .collect(),
        resources: sorted(resources.keys().collect())
            .into_iter()
            .map(|type_name| wire::get_metadata::ResourceMetadata { type_name })
            .collect(),
        ..Default::default()
    }
}

impl<P: Provider> ProviderService<P> {
    /// Records the provider block `rpc` received, then decodes it.
    fn receive_provider_config(
        &self,
        rpc: &str,
        config: &Option<wire::DynamicValue>,
    ) -> Result<Value, Diagnostic> {
        let fields = [("Config", config.as_ref())];
        let (_, [config]) = self.receive(rpc, Ok(&self.provider), PROVIDER_TYPE_NAME, fields)?;
        Ok(config)
    }

    pub(super) fn validate_provider(
        &self,
        request: wire::validate_provider_config::Request,
    ) -> wire::validate_provider_config::Response {
        let diagnostics =
            match self.receive_provider_config("ValidateProviderConfig", &request.config) {
                Ok(config) => {
                    convert::diagnostics(&self.provider.implementation.validate_config(&config))
                }
                Err(d) => only(d),
            };
        wire::validate_provider_config::Response { diagnostics }
    }

    /// Runs the provider's `configure` and keeps what it returns for every
    /// later call; a failure leaves the provider unconfigured.
    pub(super) async fn configure(
        &self,
        request: wire::configure_provider::Request,
    ) -> wire::configure_provider::Response {
        let config = match self.receive_provider_config("ConfigureProvider", &request.config) {
            Ok(config) => config,
            Err(d) => {
                return wire::configure_provider::Response {
                    diagnostics: only(d),
                }
            }
        };
        let outcome = self
            .provider
            .implementation
            .configure(ConfigureRequest {
                terraform_version: request.terraform_version,
                config,
            })
            .await;
        let (data, diagnostics) = match outcome {
            Ok(configured) => (ProviderData::from(configured), Vec::new()),
            Err(diagnostics) => (
                ProviderData::unconfigured(),
                convert::diagnostics(&diagnostics),
            ),
        };
        *self.data.write().unwrap_or_else(PoisonError::into_inner) = data;
        wire::configure_provider::Response { diagnostics }
    }

    pub(super) fn stop_calls(&self) -> wire::stop_provider::Response {
        log::info!("StopProvider: cancelling in-flight work");
        let mut current = self.stop.lock().unwrap_or_else(PoisonError::into_inner);
        current.cancel();
        *current = self.terminate.child_token();
        wire::stop_provider::Response {
            error: String::new(),
        }
    }
}
