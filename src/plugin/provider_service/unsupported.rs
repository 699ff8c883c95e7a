//! The RPCs for what this SDK does not host: resource identities, moves,
//! generated configs, ephemeral and list resources, functions, state
//! stores and actions.
//!
//! Terraform only calls most of these for things the provider announced,
//! and this SDK announces none of them, so a call means a confused client
//! or a mistyped name; each answer is a diagnostic saying what was asked
//! for and that there is none. The discovery calls (identity schemas,
//! functions) answer "none", without a diagnostic, because Terraform asks
//! them of every provider.

use std::pin::Pin;

use futures_util::Stream;
use tonic::{Status, Streaming};

use super::{only, wire};
use crate::plugin::diagnostics::Diagnostic;

/// A response stream that carries a single message, then ends.
pub(super) type OneMessage<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

fn one<T: Send + 'static>(message: T) -> OneMessage<T> {
    Box::pin(futures_util::stream::iter([Ok(message)]))
}

/// "There is no <kind> `name`" for a request naming `name`.
fn none(kind: Kind, name: &str) -> Vec<wire::Diagnostic> {
    let (one, many) = kind.names();
    only(Diagnostic::error(
        format!("Unsupported {one}"),
        format!("The {one} {name:?} was not found: this provider has no {many}."),
    ))
}

#[derive(Clone, Copy)]
enum Kind {
    Identity,
    Ephemeral,
    List,
    StateStore,
    Action,
}

impl Kind {
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Kind::Identity => ("resource identity", "resource identities"),
            Kind::Ephemeral => ("ephemeral resource", "ephemeral resources"),
            Kind::List => ("list resource", "list resources"),
            Kind::StateStore => ("state store", "state stores"),
            Kind::Action => ("action", "actions"),
        }
    }
}

pub(super) fn identity_schemas() -> wire::get_resource_identity_schemas::Response {
    wire::get_resource_identity_schemas::Response::default()
}

pub(super) fn upgrade_identity(
    request: wire::upgrade_resource_identity::Request,
) -> wire::upgrade_resource_identity::Response {
    wire::upgrade_resource_identity::Response {
        upgraded_identity: None,
        diagnostics: none(Kind::Identity, &request.type_name),
    }
}

pub(super) fn move_state(
    request: wire::move_resource_state::Request,
) -> wire::move_resource_state::Response {
    wire::move_resource_state::Response {
        diagnostics: only(Diagnostic::error(
            "Moving resource state not supported",
            format!(
                "This provider cannot move state from {} {:?} into {:?}.",
                request.source_provider_address, request.source_type_name, request.target_type_name
            ),
        )),
        ..Default::default()
    }
}

pub(super) fn generate_config(
    request: wire::generate_resource_config::Request,
) -> wire::generate_resource_config::Response {
    wire::generate_resource_config::Response {
        config: None,
        diagnostics: only(Diagnostic::error(
            "Config generation not supported",
            format!(
                "This provider cannot generate configuration for {:?}.",
                request.type_name
            ),
        )),
    }
}

pub(super) fn validate_ephemeral(
    request: wire::validate_ephemeral_resource_config::Request,
) -> wire::validate_ephemeral_resource_config::Response {
    wire::validate_ephemeral_resource_config::Response {
        diagnostics: none(Kind::Ephemeral, &request.type_name),
    }
}

pub(super) fn open_ephemeral(
    request: wire::open_ephemeral_resource::Request,
) -> wire::open_ephemeral_resource::Response {
    wire::open_ephemeral_resource::Response {
        diagnostics: none(Kind::Ephemeral, &request.type_name),
        ..Default::default()
    }
}

pub(super) fn renew_ephemeral(
    request: wire::renew_ephemeral_resource::Request,
) -> wire::renew_ephemeral_resource::Response {
    wire::renew_ephemeral_resource::Response {
        diagnostics: none(Kind::Ephemeral, &request.type_name),
        ..Default::default()
    }
}

pub(super) fn close_ephemeral(
    request: wire::close_ephemeral_resource::Request,
) -> wire::close_ephemeral_resource::Response {
    wire::close_ephemeral_resource::Response {
        diagnostics: none(Kind::Ephemeral, &request.type_name),
    }
}

pub(super) fn list(
    request: wire::list_resource::Request,
) -> OneMessage<wire::list_resource::Event> {
    one(wire::list_resource::Event {
        diagnostic: none(Kind::List, &request.type_name),
        ..Default::default()
    })
}

pub(super) fn validate_list(
    request: wire::validate_list_resource_config::Request,
) -> wire::validate_list_resource_config::Response {
    wire::validate_list_resource_config::Response {
        diagnostics: none(Kind::List, &request.type_name),
    }
}

pub(super) fn functions() -> wire::get_functions::Response {
    wire::get_functions::Response::default()
}

pub(super) fn call_function(
    request: wire::call_function::Request,
) -> wire::call_function::Response {
    wire::call_function::Response {
        result: None,
        error: Some(wire::FunctionError {
            text: format!(
                "Function {:?} not found: this provider has no functions.",
                request.name
            ),
            function_argument: None,
        }),
    }
}

pub(super) fn validate_state_store(
    request: wire::validate_state_store::Request,
) -> wire::validate_state_store::Response {
    wire::validate_state_store::Response {
        diagnostics: none(Kind::StateStore, &request.type_name),
    }
}

pub(super) fn configure_state_store(
    request: wire::configure_state_store::Request,
) -> wire::configure_state_store::Response {
    wire::configure_state_store::Response {
        diagnostics: none(Kind::StateStore, &request.type_name),
        capabilities: None,
    }
}

pub(super) fn read_state_bytes(
    request: wire::read_state_bytes::Request,
) -> OneMessage<wire::read_state_bytes::Response> {
    one(wire::read_state_bytes::Response {
        diagnostics: none(Kind::StateStore, &request.type_name),
        ..Default::default()
    })
}

/// Reads the first chunk only, for the name it carries, then answers.
pub(super) async fn write_state_bytes(
    mut chunks: Streaming<wire::write_state_bytes::RequestChunk>,
) -> wire::write_state_bytes::Response {
    let name = match chunks.message().await {
        Ok(Some(chunk)) => chunk.meta.map(|m| m.type_name).unwrap_or_default(),
        _ => String::new(),
    };
    wire::write_state_bytes::Response {
        diagnostics: none(Kind::StateStore, &name),
    }
}

pub(super) fn lock_state(request: wire::lock_state::Request) -> wire::lock_state::Response {
    wire::lock_state::Response {
        lock_id: String::new(),
        diagnostics: none(Kind::StateStore, &request.type_name),
    }
}

pub(super) fn unlock_state(request: wire::unlock_state::Request) -> wire::unlock_state::Response {
    wire::unlock_state::Response {
        diagnostics: none(Kind::StateStore, &request.type_name),
    }
}

pub(super) fn get_states(request: wire::get_states::Request) -> wire::get_states::Response {
    wire::get_states::Response {
        state_id: Vec::new(),
        diagnostics: none(Kind::StateStore, &request.type_name),
    }
}

pub(super) fn delete_state(request: wire::delete_state::Request) -> wire::delete_state::Response {
    wire::delete_state::Response {
        diagnostics: none(Kind::StateStore, &request.type_name),
    }
}

pub(super) fn plan_action(request: wire::plan_action::Request) -> wire::plan_action::Response {
    wire::plan_action::Response {
        diagnostics: none(Kind::Action, &request.action_type),
        deferred: None,
    }
}

pub(super) fn invoke_action(
    request: wire::invoke_action::Request,
) -> OneMessage<wire::invoke_action::Event> {
    use wire::invoke_action::event::{Completed, Type};
    one(wire::invoke_action::Event {
        r#type: Some(Type::Completed(Completed {
            diagnostics: none(Kind::Action, &request.action_type),
        })),
    })
}

pub(super) fn validate_action(
    request: wire::validate_action_config::Request,
) -> wire::validate_action_config::Response {
    wire::validate_action_config::Response {
        diagnostics: none(Kind::Action, &request.type_name),
    }
}
