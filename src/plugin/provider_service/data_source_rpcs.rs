//! ValidateDataResourceConfig and ReadDataSource.

use super::{only, returned_state, wire, ProviderService};
use crate::plugin::convert;
use crate::plugin::diagnostics::Diagnostic;
use crate::plugin::provider_api::{Provider, ReadRequest};
use crate::plugin::seed::seed_state;

impl<P: Provider> ProviderService<P> {
    pub(super) fn validate_data_source(
        &self,
        request: wire::validate_data_resource_config::Request,
    ) -> wire::validate_data_resource_config::Response {
        wire::validate_data_resource_config::Response {
            diagnostics: self.validate_config(
                "ValidateDataResourceConfig",
                self.data_source(&request.type_name),
                &request.type_name,
                request.config.as_ref(),
                |data_source, config| data_source.validate(config),
            ),
        }
    }

    /// Reads with the state seeded from the config and the provider's data.
    pub(super) async fn read_data(
        &self,
        request: wire::read_data_source::Request,
    ) -> wire::read_data_source::Response {
        let found = self.data_source(&request.type_name);
        let fields = [("Config", request.config.as_ref())];
        let (ds, [config]) = match self.receive("ReadDataSource", found, &request.type_name, fields)
        {
            Ok(received) => received,
            Err(d) => {
                return wire::read_data_source::Response {
                    diagnostics: only(d),
                    ..Default::default()
                }
            }
        };
        let ty = &ds.value_type;
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
        let state = returned_state(
            response.state,
            &mut diagnostics,
            ty,
            &request.type_name,
            || {
                Diagnostic::error(
                    "Data source returned no state",
                    "The read finished without a result or an error; this is a provider bug.",
                )
            },
        );
        wire::read_data_source::Response {
            state,
            diagnostics: convert::diagnostics(&diagnostics),
            deferred: None,
        }
    }
}
