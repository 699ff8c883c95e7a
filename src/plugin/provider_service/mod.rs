//! The `tfplugin6.Provider` gRPC service, translating each RPC into calls on
//! a [`Provider`], its [`DataSource`]s and its [`Resource`]s.
//!
//! Every RPC of the protocol is answered: what a provider does not offer
//! (functions, ephemeral resources, state stores...) gets a diagnostic
//! naming what was asked for, because an UNIMPLEMENTED status reaches users
//! as an opaque gRPC error. Schemas and metadata are computed once at
//! start-up: Terraform asks for them on every run, sometimes several times,
//! and they never change within a process.
//!
//! The RPCs are grouped by what they serve: [`provider_rpcs`] (schemas,
//! configuration, stop), [`data_source_rpcs`], [`resource_rpcs`], and
//! [`unsupported`] for everything this SDK does not host.

mod data_source_rpcs;
mod provider_rpcs;
mod resource_rpcs;
mod unsupported;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};

use super::convert;
use super::cty::{CtyType, Value};
use super::diagnostics::{Diagnostic, Diagnostics};
use super::proto_data::{ProtoDataDir, Received, Secrecy};
use super::provider_api::{DataSource, Provider, Resource, TERRAFORM_MAX_MESSAGE_BYTES};
use super::provider_data::ProviderData;
use super::wire::tfplugin6 as wire;
use super::wire::tfplugin6::provider_server;

/// A data source or resource with the type its values are encoded with.
struct Registered<T: ?Sized> {
    implementation: Arc<T>,
    value_type: CtyType,
    /// Whether its values may be written as protocol data files.
    secrecy: Secrecy,
}

/// Serves one provider.
pub struct ProviderService<P: Provider> {
    provider: Arc<P>,
    /// The type provider configs are encoded with.
    provider_type: CtyType,
    /// Whether provider configs may be written as protocol data files.
    provider_secrecy: Secrecy,
    /// Where received values are written, when asked for.
    proto_data: Option<ProtoDataDir>,
    /// The GetProviderSchema answer, built once.
    schema_response: wire::get_provider_schema::Response,
    /// The GetMetadata answer, built once.
    metadata_response: wire::get_metadata::Response,
    data_sources: HashMap<String, Registered<dyn DataSource<P::Data>>>,
    resources: HashMap<String, Registered<dyn Resource<P::Data>>>,
    /// What the last ConfigureProvider produced.
    data: RwLock<ProviderData<P::Data>>,
    /// Cancelled by StopProvider and then replaced, so that a host keeping
    /// the process alive after a stop can still read (as the Go SDK allows).
    stop: Mutex<CancellationToken>,
    /// Cancelled when the process is terminated; every `stop` descends from it.
    terminate: CancellationToken,
}

impl<P: Provider> ProviderService<P> {
    /// Wraps `provider`; calls in flight are cancelled by StopProvider, and
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
                Registered {
                    implementation: ds,
                    value_type: schema.value_type(),
                    secrecy: Secrecy::of(schema.has_sensitive()),
                },
            );
        }
        let mut resource_schemas = HashMap::new();
        let mut resources = HashMap::new();
        for resource in provider.resources() {
            let schema = resource.schema();
            let name = resource.type_name().to_string();
            resource_schemas.insert(name.clone(), convert::schema(&schema));
            resources.insert(
                name,
                Registered {
                    implementation: resource,
                    value_type: schema.value_type(),
                    secrecy: Secrecy::of(schema.has_sensitive()),
                },
            );
        }
        let schema_response = wire::get_provider_schema::Response {
            provider: Some(convert::schema(&provider_schema)),
            resource_schemas,
            data_source_schemas,
            server_capabilities: Some(provider_rpcs::server_capabilities()),
            ..Default::default()
        };
        let metadata_response = provider_rpcs::metadata(&data_sources, &resources);
        let proto_data = ProtoDataDir::from_env(|k| std::env::var(k).ok());
        if let Some(dir) = &proto_data {
            log::info!(
                "writing the values Terraform sends to {} (those with sensitive attributes \
                 excepted)",
                dir.path().display()
            );
        }
        Self {
            provider_type: provider_schema.value_type(),
            provider_secrecy: Secrecy::of(provider_schema.has_sensitive()),
            proto_data,
            schema_response,
            metadata_response,
            provider: Arc::new(provider),
            data_sources,
            resources,
            data: RwLock::new(ProviderData::unconfigured()),
            stop: Mutex::new(stop.child_token()),
            terminate: stop,
        }
    }

    /// Writes a received value to the protocol data directory, if one is set.
    fn record(&self, what: Received<'_>, value: Option<&wire::DynamicValue>, secrecy: Secrecy) {
        if let Some(dir) = &self.proto_data {
            dir.record(what, value, secrecy);
        }
    }

    /// A token for one call: cancelled by the next StopProvider.
    fn call_token(&self) -> CancellationToken {
        self.stop
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .child_token()
    }

    /// The provider data as of now, for one call.
    fn provider_data(&self) -> ProviderData<P::Data> {
        // A poisoned lock still holds a whole `ProviderData`: writes swap it in one step.
        self.data
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn data_source(
        &self,
        type_name: &str,
    ) -> Result<&Registered<dyn DataSource<P::Data>>, Diagnostic> {
        self.data_sources.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown data source",
                format!("This provider has no data source named {type_name:?}."),
            )
        })
    }

    fn resource(&self, type_name: &str) -> Result<&Registered<dyn Resource<P::Data>>, Diagnostic> {
        self.resources.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown resource type",
                format!(
                    "Resource type {type_name:?} not found: this provider has no such resource."
                ),
            )
        })
    }
}

fn only(diagnostic: Diagnostic) -> Vec<wire::Diagnostic> {
    convert::diagnostics(&Diagnostics::from(diagnostic))
}

/// Room left in a response for the diagnostics and protobuf framing around
/// the state.
const RESPONSE_OVERHEAD_BYTES: usize = 1 << 20;
/// The largest state a response can carry within Terraform's limit.
const STATE_BUDGET_BYTES: usize = TERRAFORM_MAX_MESSAGE_BYTES - RESPONSE_OVERHEAD_BYTES;

/// Encodes a state for a response, or says why it cannot go back: not of
/// the schema's type, or too large for Terraform to accept.
fn encode_state(
    state: &Value,
    ty: &CtyType,
    type_name: &str,
) -> Result<wire::DynamicValue, Diagnostic> {
    let encoded = convert::encode_dynamic_value(state, ty)?;
    if encoded.msgpack.len() > STATE_BUDGET_BYTES {
        return Err(state_too_large(type_name, encoded.msgpack.len()));
    }
    Ok(encoded)
}

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

type Answer<T> = Result<Response<T>, Status>;

/// Every RPC, handed to the group that serves it.
#[tonic::async_trait]
impl<P: Provider> provider_server::Provider for ProviderService<P> {
    async fn get_metadata(
        &self,
        _: Request<wire::get_metadata::Request>,
    ) -> Answer<wire::get_metadata::Response> {
        Ok(Response::new(self.metadata_response.clone()))
    }

    async fn get_provider_schema(
        &self,
        _: Request<wire::get_provider_schema::Request>,
    ) -> Answer<wire::get_provider_schema::Response> {
        Ok(Response::new(self.schema_response.clone()))
    }

    async fn validate_provider_config(
        &self,
        request: Request<wire::validate_provider_config::Request>,
    ) -> Answer<wire::validate_provider_config::Response> {
        Ok(Response::new(self.validate_provider(request.into_inner())))
    }

    async fn configure_provider(
        &self,
        request: Request<wire::configure_provider::Request>,
    ) -> Answer<wire::configure_provider::Response> {
        Ok(Response::new(self.configure(request.into_inner()).await))
    }

    async fn stop_provider(
        &self,
        _: Request<wire::stop_provider::Request>,
    ) -> Answer<wire::stop_provider::Response> {
        Ok(Response::new(self.stop_calls()))
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<wire::validate_data_resource_config::Request>,
    ) -> Answer<wire::validate_data_resource_config::Response> {
        Ok(Response::new(
            self.validate_data_source(request.into_inner()),
        ))
    }

    async fn read_data_source(
        &self,
        request: Request<wire::read_data_source::Request>,
    ) -> Answer<wire::read_data_source::Response> {
        Ok(Response::new(self.read_data(request.into_inner()).await))
    }

    async fn validate_resource_config(
        &self,
        request: Request<wire::validate_resource_config::Request>,
    ) -> Answer<wire::validate_resource_config::Response> {
        Ok(Response::new(self.validate_resource(request.into_inner())))
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<wire::upgrade_resource_state::Request>,
    ) -> Answer<wire::upgrade_resource_state::Response> {
        Ok(Response::new(self.upgrade_state(request.into_inner())))
    }

    async fn read_resource(
        &self,
        request: Request<wire::read_resource::Request>,
    ) -> Answer<wire::read_resource::Response> {
        Ok(Response::new(self.refresh(request.into_inner()).await))
    }

    async fn plan_resource_change(
        &self,
        request: Request<wire::plan_resource_change::Request>,
    ) -> Answer<wire::plan_resource_change::Response> {
        Ok(Response::new(self.plan(request.into_inner()).await))
    }

    async fn apply_resource_change(
        &self,
        request: Request<wire::apply_resource_change::Request>,
    ) -> Answer<wire::apply_resource_change::Response> {
        Ok(Response::new(self.apply(request.into_inner()).await))
    }

    async fn import_resource_state(
        &self,
        request: Request<wire::import_resource_state::Request>,
    ) -> Answer<wire::import_resource_state::Response> {
        Ok(Response::new(self.import(request.into_inner()).await))
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<wire::get_resource_identity_schemas::Request>,
    ) -> Answer<wire::get_resource_identity_schemas::Response> {
        Ok(Response::new(unsupported::identity_schemas()))
    }

    async fn upgrade_resource_identity(
        &self,
        request: Request<wire::upgrade_resource_identity::Request>,
    ) -> Answer<wire::upgrade_resource_identity::Response> {
        Ok(Response::new(unsupported::upgrade_identity(
            request.into_inner(),
        )))
    }

    async fn move_resource_state(
        &self,
        request: Request<wire::move_resource_state::Request>,
    ) -> Answer<wire::move_resource_state::Response> {
        Ok(Response::new(unsupported::move_state(request.into_inner())))
    }

    async fn generate_resource_config(
        &self,
        request: Request<wire::generate_resource_config::Request>,
    ) -> Answer<wire::generate_resource_config::Response> {
        Ok(Response::new(unsupported::generate_config(
            request.into_inner(),
        )))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        request: Request<wire::validate_ephemeral_resource_config::Request>,
    ) -> Answer<wire::validate_ephemeral_resource_config::Response> {
        Ok(Response::new(unsupported::validate_ephemeral(
            request.into_inner(),
        )))
    }

    async fn open_ephemeral_resource(
        &self,
        request: Request<wire::open_ephemeral_resource::Request>,
    ) -> Answer<wire::open_ephemeral_resource::Response> {
        Ok(Response::new(unsupported::open_ephemeral(
            request.into_inner(),
        )))
    }

    async fn renew_ephemeral_resource(
        &self,
        request: Request<wire::renew_ephemeral_resource::Request>,
    ) -> Answer<wire::renew_ephemeral_resource::Response> {
        Ok(Response::new(unsupported::renew_ephemeral(
            request.into_inner(),
        )))
    }

    async fn close_ephemeral_resource(
        &self,
        request: Request<wire::close_ephemeral_resource::Request>,
    ) -> Answer<wire::close_ephemeral_resource::Response> {
        Ok(Response::new(unsupported::close_ephemeral(
            request.into_inner(),
        )))
    }

    type ListResourceStream = unsupported::OneMessage<wire::list_resource::Event>;

    async fn list_resource(
        &self,
        request: Request<wire::list_resource::Request>,
    ) -> Answer<Self::ListResourceStream> {
        Ok(Response::new(unsupported::list(request.into_inner())))
    }

    async fn validate_list_resource_config(
        &self,
        request: Request<wire::validate_list_resource_config::Request>,
    ) -> Answer<wire::validate_list_resource_config::Response> {
        Ok(Response::new(unsupported::validate_list(
            request.into_inner(),
        )))
    }

    async fn get_functions(
        &self,
        _: Request<wire::get_functions::Request>,
    ) -> Answer<wire::get_functions::Response> {
        Ok(Response::new(unsupported::functions()))
    }

    async fn call_function(
        &self,
        request: Request<wire::call_function::Request>,
    ) -> Answer<wire::call_function::Response> {
        Ok(Response::new(unsupported::call_function(
            request.into_inner(),
        )))
    }

    async fn validate_state_store_config(
        &self,
        request: Request<wire::validate_state_store::Request>,
    ) -> Answer<wire::validate_state_store::Response> {
        Ok(Response::new(unsupported::validate_state_store(
            request.into_inner(),
        )))
    }

    async fn configure_state_store(
        &self,
        request: Request<wire::configure_state_store::Request>,
    ) -> Answer<wire::configure_state_store::Response> {
        Ok(Response::new(unsupported::configure_state_store(
            request.into_inner(),
        )))
    }

    type ReadStateBytesStream = unsupported::OneMessage<wire::read_state_bytes::Response>;

    async fn read_state_bytes(
        &self,
        request: Request<wire::read_state_bytes::Request>,
    ) -> Answer<Self::ReadStateBytesStream> {
        Ok(Response::new(unsupported::read_state_bytes(
            request.into_inner(),
        )))
    }

    async fn write_state_bytes(
        &self,
        request: Request<Streaming<wire::write_state_bytes::RequestChunk>>,
    ) -> Answer<wire::write_state_bytes::Response> {
        Ok(Response::new(
            unsupported::write_state_bytes(request.into_inner()).await,
        ))
    }

    async fn lock_state(
        &self,
        request: Request<wire::lock_state::Request>,
    ) -> Answer<wire::lock_state::Response> {
        Ok(Response::new(unsupported::lock_state(request.into_inner())))
    }

    async fn unlock_state(
        &self,
        request: Request<wire::unlock_state::Request>,
    ) -> Answer<wire::unlock_state::Response> {
        Ok(Response::new(unsupported::unlock_state(
            request.into_inner(),
        )))
    }

    async fn get_states(
        &self,
        request: Request<wire::get_states::Request>,
    ) -> Answer<wire::get_states::Response> {
        Ok(Response::new(unsupported::get_states(request.into_inner())))
    }

    async fn delete_state(
        &self,
        request: Request<wire::delete_state::Request>,
    ) -> Answer<wire::delete_state::Response> {
        Ok(Response::new(unsupported::delete_state(
            request.into_inner(),
        )))
    }

    async fn plan_action(
        &self,
        request: Request<wire::plan_action::Request>,
    ) -> Answer<wire::plan_action::Response> {
        Ok(Response::new(unsupported::plan_action(
            request.into_inner(),
        )))
    }

    type InvokeActionStream = unsupported::OneMessage<wire::invoke_action::Event>;

    async fn invoke_action(
        &self,
        request: Request<wire::invoke_action::Request>,
    ) -> Answer<Self::InvokeActionStream> {
        Ok(Response::new(unsupported::invoke_action(
            request.into_inner(),
        )))
    }

    async fn validate_action_config(
        &self,
        request: Request<wire::validate_action_config::Request>,
    ) -> Answer<wire::validate_action_config::Response> {
        Ok(Response::new(unsupported::validate_action(
            request.into_inner(),
        )))
    }
}
