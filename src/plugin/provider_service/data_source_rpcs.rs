//! ValidateDataResourceConfig and ReadDataSource.

use super::{encode_state, only, wire, ProviderService};
use crate::plugin::convert;
use crate::plugin::diagnostics::Diagnostic;
use crate::plugin::proto_data::Received;
use crate::plugin::provider_api::{Provider, ReadRequest};
use crate::plugin::seed::seed_state;

impl<P: Provider> ProviderService<P> {
    pub(super) fn validate_data_source(
        &self,
        request: wire::validate_data_resource_config::Request,
    ) -> wire::validate_data_resource_config::Response {
        let diagnostics = match self.data_source(&request.type_name).and_then(|ds| {
            self.record(
                Received {
                    rpc: "ValidateDataResourceConfig",
                    type_name: &request.type_name,
                    field: "Config",
                },
                request.config.as_ref(),
                ds.secrecy,
            );
            convert::decode_dynamic_value(request.config.as_ref(), &ds.value_type)
                .map(|config| ds.implementation.validate(&config))
        }) {
            Ok(diags) => convert::diagnostics(&diags),
            Err(d) => only(d),
        };
        wire::validate_data_resource_config::Response { diagnostics }
    }

    /// Reads with the state seeded from the config and the provider's data.
    pub(super) async fn read_data(
        &self,
        request: wire::read_data_source::Request,
    ) -> wire::read_data_source::Response {
        let failure = |d: Diagnostic| wire::read_data_source::Response {
            diagnostics: only(d),
            ..Default::default()
        };
        let ds = match self.data_source(&request.type_name) {
            Ok(ds) => ds,
            Err(d) => return failure(d),
        };
        self.record(
            Received {
                rpc: "ReadDataSource",
                type_name: &request.type_name,
                field: "Config",
            },
            request.config.as_ref(),
            ds.secrecy,
        );
        let ty = &ds.value_type;
        let config = match convert::decode_dynamic_value(request.config.as_ref(), ty) {
            Ok(config) => config,
            Err(d) => return failure(d),
        };
        let started = std::time::Instant::now();
        let response = ds
            .implementation
            .read(ReadRequest {
                state: seed_state(ty, &config),
                config,
                provider: self.provider_data(),
                stop: self.call_token(),
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
                match encode_state(&state, ty, &request.type_name) {
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
        wire::read_data_source::Response {
            state,
            diagnostics: convert::diagnostics(&diagnostics),
            deferred: None,
        }
    }
}
