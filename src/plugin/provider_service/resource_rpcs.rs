//! The managed-resource RPCs: validate, upgrade, read, plan, apply, import.
//!
//! Whatever the resource answers, Terraform must get back a state it can
//! keep: after a failed update or delete that is the prior state (the
//! object is still there), after a failed create nothing (unless the
//! resource returned the partial object), and after a failed refresh the
//! state it sent.

use super::{encode_state, only, returned_state, wire, ProviderService, Registered};
use crate::plugin::convert;
use crate::plugin::cty::{CtyType, Value};
use crate::plugin::diagnostics::Diagnostic;
use crate::plugin::provider_api::{
    ChangeRequest, ImportRequest, PlanRequest, Provider, RefreshRequest, Resource, StateResponse,
    UpgradeRequest,
};

/// The state to send back, plus the diagnostics to send with it. `fallback`
/// is what Terraform should keep when the resource returned nothing usable.
fn settle(
    response: StateResponse,
    ty: &CtyType,
    type_name: &str,
    fallback: Option<wire::DynamicValue>,
    must_be_known: bool,
) -> (Option<wire::DynamicValue>, Vec<wire::Diagnostic>) {
    let mut diagnostics = response.diagnostics;
    let state = match response.state {
        Some(state) if must_be_known && !state.is_wholly_known() => {
            diagnostics.push(Diagnostic::error(
                "Provider left values unknown",
                format!(
                    "The {type_name} returned a state with unknown values after apply; every \
                     value must be known by then. This is a provider bug."
                ),
            ));
            fallback
        }
        Some(state) => match encode_state(&state, ty, type_name) {
            Ok(encoded) => Some(encoded),
            Err(d) => {
                diagnostics.push(d);
                fallback
            }
        },
        None if diagnostics.has_errors() => fallback,
        None => convert::encode_dynamic_value(&Value::Null, ty).ok(),
    };
    (state, convert::diagnostics(&diagnostics))
}

impl<P: Provider> ProviderService<P> {
    pub(super) fn validate_resource(
        &self,
        request: wire::validate_resource_config::Request,
    ) -> wire::validate_resource_config::Response {
        wire::validate_resource_config::Response {
            diagnostics: self.validate_config(
                "ValidateResourceConfig",
                self.resource(&request.type_name),
                &request.type_name,
                request.config.as_ref(),
                |resource, config| resource.validate(config),
            ),
        }
    }

    pub(super) fn upgrade_state(
        &self,
        request: wire::upgrade_resource_state::Request,
    ) -> wire::upgrade_resource_state::Response {
        let failure = |d| wire::upgrade_resource_state::Response {
            upgraded_state: None,
            diagnostics: only(d),
        };
        let resource = match self.resource(&request.type_name) {
            Ok(r) => r,
            Err(d) => return failure(d),
        };
        let raw = request.raw_state.unwrap_or_default();
        let response = resource.implementation.upgrade(UpgradeRequest {
            version: request.version,
            json: raw.json,
            flatmap: raw.flatmap.into_iter().collect(),
        });
        let (upgraded_state, diagnostics) = settle(
            response,
            &resource.value_type,
            &request.type_name,
            None,
            false,
        );
        wire::upgrade_resource_state::Response {
            upgraded_state,
            diagnostics,
        }
    }

    pub(super) async fn refresh(
        &self,
        request: wire::read_resource::Request,
    ) -> wire::read_resource::Response {
        let failure = |d| wire::read_resource::Response {
            new_state: request.current_state.clone(),
            diagnostics: only(d),
            private: request.private.clone(),
            ..Default::default()
        };
        let found = self.resource(&request.type_name);
        let fields = [("CurrentState", request.current_state.as_ref())];
        let (resource, [state]) =
            match self.receive("ReadResource", found, &request.type_name, fields) {
                Ok(received) => received,
                Err(d) => return failure(d),
            };
        let response = resource
            .implementation
            .read(RefreshRequest {
                state,
                provider: self.provider_data(),
                stop: self.call_token(),
            })
            .await;
        let (new_state, diagnostics) = settle(
            response,
            &resource.value_type,
            &request.type_name,
            request.current_state.clone(),
            false,
        );
        wire::read_resource::Response {
            new_state,
            diagnostics,
            private: request.private,
            ..Default::default()
        }
    }

    pub(super) async fn plan(
        &self,
        request: wire::plan_resource_change::Request,
    ) -> wire::plan_resource_change::Response {
        let failure = |d| wire::plan_resource_change::Response {
            diagnostics: only(d),
            ..Default::default()
        };
        let found = self.resource(&request.type_name);
        let fields = [
            ("PriorState", request.prior_state.as_ref()),
            ("ProposedNewState", request.proposed_new_state.as_ref()),
            ("Config", request.config.as_ref()),
        ];
        let (resource, [prior, proposed, config]) =
            match self.receive("PlanResourceChange", found, &request.type_name, fields) {
                Ok(received) => received,
                Err(d) => return failure(d),
            };
        let response = resource
            .implementation
            .plan(PlanRequest {
                prior,
                proposed,
                config,
                provider: self.provider_data(),
            })
            .await;
        let mut diagnostics = response.diagnostics;
        let planned_state = if diagnostics.has_errors() {
            None
        } else {
            match encode_state(&response.planned, &resource.value_type, &request.type_name) {
                Ok(v) => Some(v),
                Err(d) => {
                    diagnostics.push(d);
                    None
                }
            }
        };
        wire::plan_resource_change::Response {
            planned_state,
            requires_replace: response
                .requires_replace
                .iter()
                .map(convert::attribute_path)
                .collect(),
            planned_private: request.prior_private,
            diagnostics: convert::diagnostics(&diagnostics),
            ..Default::default()
        }
    }

    /// Create, update or delete, by which of prior and planned are null.
    pub(super) async fn apply(
        &self,
        request: wire::apply_resource_change::Request,
    ) -> wire::apply_resource_change::Response {
        let failure = |d| wire::apply_resource_change::Response {
            new_state: request.prior_state.clone(),
            private: request.planned_private.clone(),
            diagnostics: only(d),
            ..Default::default()
        };
        let found = self.resource(&request.type_name);
        let fields = [
            ("PriorState", request.prior_state.as_ref()),
            ("PlannedState", request.planned_state.as_ref()),
            ("Config", request.config.as_ref()),
        ];
        let (resource, [prior, planned, config]) =
            match self.receive("ApplyResourceChange", found, &request.type_name, fields) {
                Ok(received) => received,
                Err(d) => return failure(d),
            };
        let (creating, deleting) = (prior.is_null(), planned.is_null());
        let change = ChangeRequest {
            prior,
            planned,
            config,
            provider: self.provider_data(),
            stop: self.call_token(),
        };
        let implementation = &resource.implementation;
        let (new_state, diagnostics) = if deleting {
            let diagnostics = implementation.delete(change).await;
            let state = StateResponse {
                state: (!diagnostics.has_errors()).then_some(Value::Null),
                diagnostics,
            };
            self.settle_change(resource, &request, state, request.prior_state.clone())
        } else if creating {
            let state = implementation.create(change).await;
            self.settle_change(resource, &request, state, None)
        } else {
            let state = implementation.update(change).await;
            self.settle_change(resource, &request, state, request.prior_state.clone())
        };
        wire::apply_resource_change::Response {
            new_state,
            private: request.planned_private,
            diagnostics,
            ..Default::default()
        }
    }

    fn settle_change(
        &self,
        resource: &Registered<dyn Resource<P::Data>>,
        request: &wire::apply_resource_change::Request,
        response: StateResponse,
        fallback: Option<wire::DynamicValue>,
    ) -> (Option<wire::DynamicValue>, Vec<wire::Diagnostic>) {
        settle(
            response,
            &resource.value_type,
            &request.type_name,
            fallback,
            true,
        )
    }

    pub(super) async fn import(
        &self,
        request: wire::import_resource_state::Request,
    ) -> wire::import_resource_state::Response {
        let failure = |d| wire::import_resource_state::Response {
            diagnostics: only(d),
            ..Default::default()
        };
        let resource = match self.resource(&request.type_name) {
            Ok(r) => r,
            Err(d) => return failure(d),
        };
        let response = resource
            .implementation
            .import(ImportRequest {
                id: request.id,
                provider: self.provider_data(),
                stop: self.call_token(),
            })
            .await;
        let mut diagnostics = response.diagnostics;
        let state = returned_state(
            response.state,
            &mut diagnostics,
            &resource.value_type,
            &request.type_name,
            || {
                Diagnostic::error(
                    "Import returned no state",
                    format!(
                        "Importing {:?} finished without a state or an error; this is a \
                         provider bug.",
                        request.type_name
                    ),
                )
            },
        );
        let imported = state
            .map(|state| wire::import_resource_state::ImportedResource {
                type_name: request.type_name.clone(),
                state: Some(state),
                ..Default::default()
            })
            .into_iter()
            .collect();
        wire::import_resource_state::Response {
            imported_resources: imported,
            diagnostics: convert::diagnostics(&diagnostics),
            deferred: None,
        }
    }
}
