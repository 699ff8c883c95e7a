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
use super::schema::Schema;
use super::wire::tfplugin6 as wire;
use super::wire::tfplugin6::provider_server;
use unsupported::Kind;

/// The provider, a data source or a resource, with the type its values are
/// encoded with.
struct Registered<T: ?Sized> {
    implementation: Arc<T>,
    value_type: CtyType,
    /// Whether its values may be written as protocol data files.
    secrecy: Secrecy,
}

impl<T: ?Sized> Registered<T> {
    fn new(implementation: Arc<T>, schema: &Schema) -> Self {
        Self {
            implementation,
            value_type: schema.value_type(),
            secrecy: Secrecy::of(schema.has_sensitive()),
        }
    }
}

/// Serves one provider.
pub struct ProviderService<P: Provider> {
    provider: Registered<P>,
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
        let (data_source_schemas, data_sources) =
            register(provider.data_sources(), |ds| (ds.type_name(), ds.schema()));
        let (resource_schemas, resources) =
            register(provider.resources(), |r| (r.type_name(), r.schema()));
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
            provider: Registered::new(Arc::new(provider), &provider_schema),
            proto_data,
            schema_response,
            metadata_response,
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

    /// What every RPC with values does first: the provider, data source or
    /// resource `found` for `type_name`, and the named request fields of
    /// `rpc`, recorded as protocol data files, then decoded in order against
    /// its type.
    fn receive<'r, R: ?Sized, const N: usize>(
        &self,
        rpc: &str,
        found: Result<&'r Registered<R>, Diagnostic>,
        type_name: &str,
        fields: [(&str, Option<&wire::DynamicValue>); N],
    ) -> Result<(&'r Registered<R>, [Value; N]), Diagnostic> {
        let registered = found?;
        for (field, value) in fields {
            self.record(
                Received {
                    rpc,
                    type_name,
                    field,
                },
                value,
                registered.secrecy,
            );
        }
        let mut values: [Value; N] = std::array::from_fn(|_| Value::Null);
        for (slot, (_, value)) in values.iter_mut().zip(fields) {
            *slot = convert::decode_dynamic_value(value, &registered.value_type)?;
        }
        Ok((registered, values))
    }

    /// The validate RPCs of data sources and resources: receive the config
    /// of what was `found`, and let it check the config.
    fn validate_config<R: ?Sized>(
        &self,
        rpc: &str,
        found: Result<&Registered<R>, Diagnostic>,
        type_name: &str,
        config: Option<&wire::DynamicValue>,
        validate: impl FnOnce(&R, &Value) -> Diagnostics,
    ) -> Vec<wire::Diagnostic> {
        match self.receive(rpc, found, type_name, [("Config", config)]) {
            Ok((registered, [config])) => {
                convert::diagnostics(&validate(&registered.implementation, &config))
            }
            Err(d) => only(d),
        }
    }
}

/// Schemas and types of data sources or resources, by type name, as the
/// service keeps them.
type Registry<T> = (
    HashMap<String, wire::Schema>,
    HashMap<String, Registered<T>>,
);

/// Schemas for GetProviderSchema, and what every later call needs, of each
/// data source or resource that `describe` names.
fn register<T: ?Sized>(
    implementations: Vec<Arc<T>>,
    describe: impl Fn(&T) -> (&'static str, Schema),
) -> Registry<T> {
    let mut schemas = HashMap::new();
    let mut registered = HashMap::new();
    for implementation in implementations {
        let (name, schema) = describe(&implementation);
        schemas.insert(name.to_owned(), convert::schema(&schema));
        registered.insert(name.to_owned(), Registered::new(implementation, &schema));
    }
    (schemas, registered)
}

fn only(diagnostic: Diagnostic) -> Vec<wire::Diagnostic> {
    convert::diagnostics(&Diagnostics::from(diagnostic))
}

/// Room left in a response for the diagnostics and protobuf framing around
/// the state.
const RESPONSE_OVERHEAD_BYTES: usize = 1 << 20;
/// The largest state a response can carry within Terraform's limit.
const STATE_BUDGET_BYTES: usize = TERRAFORM_MAX_MESSAGE_BYTES - RESPONSE_OVERHEAD_BYTES;

/// The state a call returned, encoded for its response; `None` when the
/// call failed, when the state cannot go back (the reason is added to
/// `diagnostics`), or when there is neither a state nor an error, which is
/// a provider bug that `missing` describes.
fn returned_state(
    state: Option<Value>,
    diagnostics: &mut Diagnostics,
    ty: &CtyType,
    type_name: &str,
    missing: impl FnOnce() -> Diagnostic,
) -> Option<wire::DynamicValue> {
    if diagnostics.has_errors() {
        return None;
    }
    let Some(state) = state else {
        diagnostics.push(missing());
        return None;
    };
    match encode_state(&state, ty, type_name) {
        Ok(encoded) => Some(encoded),
        Err(d) => {
            diagnostics.push(d);
            None
        }
    }
}

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

/// Writes the `tfplugin6.Provider` implementation from a table of
/// `method => answer` rows (`method(message) => answer` where the RPC's
/// messages are named otherwise): each RPC takes `message::Request`, answers
/// `message::Response`, and never fails at the gRPC level (errors are
/// diagnostics). `service` and `request` name the service and the unwrapped
/// request in the answers. The streaming RPCs, whose types differ, are
/// written out after the table.
macro_rules! provider_rpcs {
    // Every row read: write the impl.
    (@rows $service:ident $request:ident [$(($method:ident $message:ident $answer:expr))*]
        ; $($streaming:item)*) => {
        #[tonic::async_trait]
        impl<P: Provider> provider_server::Provider for ProviderService<P> {
            $(
                async fn $method(
                    &self,
                    request: Request<wire::$message::Request>,
                ) -> Answer<wire::$message::Response> {
                    // `self` cannot be named by the answers written at the call site (macro
                    // hygiene), so it is bound to the name they use. Not every answer uses
                    // the service or the request.
                    #[allow(unused_variables)]
                    let $service = self;
                    #[allow(unused_variables)]
                    let $request = request.into_inner();
                    Ok(Response::new($answer))
                }
            )*
            $($streaming)*
        }
    };
    (@rows $service:ident $request:ident [$($rows:tt)*]
        $method:ident($message:ident) => $answer:expr, $($rest:tt)*) => {
        provider_rpcs!(@rows $service $request [$($rows)* ($method $message $answer)] $($rest)*);
    };
    (@rows $service:ident $request:ident [$($rows:tt)*]
        $method:ident => $answer:expr, $($rest:tt)*) => {
        provider_rpcs!(@rows $service $request [$($rows)* ($method $method $answer)] $($rest)*);
    };
    (|$service:ident, $request:ident| $($rest:tt)*) => {
        provider_rpcs!(@rows $service $request [] $($rest)*);
    };
}

provider_rpcs! { |service, request|
    // The provider itself (provider_rpcs.rs).
    get_metadata => service.metadata_response.clone(),
    get_provider_schema => service.schema_response.clone(),
    validate_provider_config => service.validate_provider(request),
    configure_provider => service.configure(request).await,
    stop_provider => service.stop_calls(),
    // Data sources (data_source_rpcs.rs).
    validate_data_resource_config => service.validate_data_source(request),
    read_data_source => service.read_data(request).await,
    // Resources (resource_rpcs.rs).
    validate_resource_config => service.validate_resource(request),
    upgrade_resource_state => service.upgrade_state(request),
    read_resource => service.refresh(request).await,
    plan_resource_change => service.plan(request).await,
    apply_resource_change => service.apply(request).await,
    import_resource_state => service.import(request).await,
    // What this SDK does not host (unsupported.rs). The discovery calls
    // answer "none" without a diagnostic: Terraform asks every provider.
    get_resource_identity_schemas => Default::default(),
    upgrade_resource_identity =>
        unsupported::refused(Kind::Identity, &request.type_name),
    move_resource_state => unsupported::cannot(
        "Moving resource state not supported",
        format!(
            "This provider cannot move state from {} {:?} into {:?}.",
            request.source_provider_address, request.source_type_name, request.target_type_name
        ),
    ),
    generate_resource_config => unsupported::cannot(
        "Config generation not supported",
        format!("This provider cannot generate configuration for {:?}.", request.type_name),
    ),
    validate_ephemeral_resource_config =>
        unsupported::refused(Kind::Ephemeral, &request.type_name),
    open_ephemeral_resource =>
        unsupported::refused(Kind::Ephemeral, &request.type_name),
    renew_ephemeral_resource =>
        unsupported::refused(Kind::Ephemeral, &request.type_name),
    close_ephemeral_resource =>
        unsupported::refused(Kind::Ephemeral, &request.type_name),
    validate_list_resource_config =>
        unsupported::refused(Kind::List, &request.type_name),
    get_functions => Default::default(),
    call_function => unsupported::call_function(request),
    validate_state_store_config(validate_state_store) =>
        unsupported::refused(Kind::StateStore, &request.type_name),
    configure_state_store =>
        unsupported::refused(Kind::StateStore, &request.type_name),
    lock_state => unsupported::refused(Kind::StateStore, &request.type_name),
    unlock_state => unsupported::refused(Kind::StateStore, &request.type_name),
    get_states => unsupported::refused(Kind::StateStore, &request.type_name),
    delete_state => unsupported::refused(Kind::StateStore, &request.type_name),
    plan_action => unsupported::refused(Kind::Action, &request.action_type),
    validate_action_config =>
        unsupported::refused(Kind::Action, &request.type_name),
    ;
    type ListResourceStream = unsupported::OneMessage<wire::list_resource::Event>;
    type ReadStateBytesStream = unsupported::OneMessage<wire::read_state_bytes::Response>;
    type InvokeActionStream = unsupported::OneMessage<wire::invoke_action::Event>;

    async fn list_resource(
        &self,
        request: Request<wire::list_resource::Request>,
    ) -> Answer<Self::ListResourceStream> {
        Ok(Response::new(unsupported::list(request.into_inner())))
    }

    async fn read_state_bytes(
        &self,
        request: Request<wire::read_state_bytes::Request>,
    ) -> Answer<Self::ReadStateBytesStream> {
        Ok(Response::new(unsupported::read_state_bytes(request.into_inner())))
    }

    async fn write_state_bytes(
        &self,
        request: Request<Streaming<wire::write_state_bytes::RequestChunk>>,
    ) -> Answer<wire::write_state_bytes::Response> {
        Ok(Response::new(unsupported::write_state_bytes(request.into_inner()).await))
    }

    async fn invoke_action(
        &self,
        request: Request<wire::invoke_action::Request>,
    ) -> Answer<Self::InvokeActionStream> {
        Ok(Response::new(unsupported::invoke_action(request.into_inner())))
    }
}
