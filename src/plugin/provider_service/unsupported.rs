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

/// What was asked for that this SDK does not host.
#[derive(Clone, Copy)]
pub(super) enum Kind {
    /// Resource identities.
    Identity,
    /// Ephemeral resources.
    Ephemeral,
    /// List resources.
    List,
    /// State stores.
    StateStore,
    /// Actions.
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

/// The answer to a request naming something of `kind` this provider does
/// not have: nothing but the diagnostic.
pub(super) fn refused<R: Refusal>(kind: Kind, name: &str) -> R {
    R::with_diagnostics(none(kind, name))
}

/// Responses whose refusal is a default message carrying diagnostics.
pub(super) trait Refusal: Default {
    fn with_diagnostics(diagnostics: Vec<wire::Diagnostic>) -> Self;
}

macro_rules! refusals {
    ($($message:ident),* $(,)?) => {
        $(
            impl Refusal for wire::$message::Response {
                // Some of these messages have no field but the diagnostics.
                #[allow(clippy::needless_update)]
                fn with_diagnostics(diagnostics: Vec<wire::Diagnostic>) -> Self {
                    Self {
                        diagnostics,
                        ..Self::default()
                    }
                }
            }
        )*
    };
}

refusals!(
    upgrade_resource_identity,
    move_resource_state,
    generate_resource_config,
    validate_ephemeral_resource_config,
    open_ephemeral_resource,
    renew_ephemeral_resource,
    close_ephemeral_resource,
    validate_list_resource_config,
    validate_state_store,
    configure_state_store,
    lock_state,
    unlock_state,
    get_states,
    delete_state,
    read_state_bytes,
    write_state_bytes,
    plan_action,
    validate_action_config,
);

/// The answer to a request for something this provider cannot do.
pub(super) fn cannot<R: Refusal>(summary: &str, detail: String) -> R {
    R::with_diagnostics(only(Diagnostic::error(summary, detail)))
}

pub(super) fn list(
    request: wire::list_resource::Request,
) -> OneMessage<wire::list_resource::Event> {
    one(wire::list_resource::Event {
        diagnostic: none(Kind::List, &request.type_name),
        ..Default::default()
    })
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

pub(super) fn read_state_bytes(
    request: wire::read_state_bytes::Request,
) -> OneMessage<wire::read_state_bytes::Response> {
    one(refused(Kind::StateStore, &request.type_name))
}

/// Reads the first chunk only, for the name it carries, then answers.
pub(super) async fn write_state_bytes(
    mut chunks: Streaming<wire::write_state_bytes::RequestChunk>,
) -> wire::write_state_bytes::Response {
    let name = match chunks.message().await {
        Ok(Some(chunk)) => chunk.meta.map(|m| m.type_name).unwrap_or_default(),
        _ => String::new(),
    };
    refused(Kind::StateStore, &name)
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
