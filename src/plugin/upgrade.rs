//! The state upgrade a resource gets when it does not upgrade for itself.
//!
//! Terraform hands every stored state to UpgradeResourceState, as the JSON
//! it was saved as, before it plans or refreshes; a resource whose schema
//! never changed incompatibly just needs that JSON read back against its
//! current schema.

use super::cty::{self, Value};
use super::diagnostics::{Diagnostic, Diagnostics};
use super::provider_api::{StateResponse, UpgradeRequest};
use super::schema::Schema;

/// `request`'s JSON read as a value of `schema` (see [`cty::decode_json`]
/// for what is tolerated). A state from a newer schema version, or a
/// flatmap state, cannot be read that way and is an error.
pub fn decode_json_state(schema: &Schema, request: &UpgradeRequest) -> StateResponse {
    let fail = |summary: &str, detail: String| StateResponse {
        state: None,
        diagnostics: Diagnostics::from(Diagnostic::error(summary, detail)),
    };
    if request.version > schema.version {
        return fail(
            "State from a newer provider",
            format!(
                "The stored state was written with schema version {}, newer than this \
                 provider's {}; use the provider version that wrote it.",
                request.version, schema.version
            ),
        );
    }
    if request.json.is_empty() {
        if request.flatmap.is_empty() {
            return StateResponse {
                state: Some(Value::Null),
                diagnostics: Diagnostics::new(),
            };
        }
        return fail(
            "Legacy state not supported",
            "The stored state is in the flatmap format of Terraform 0.11 and earlier; \
             upgrade it with a Terraform version that still reads it."
                .into(),
        );
    }
    match cty::decode_json(&request.json, &schema.value_type()) {
        Ok(state) => StateResponse {
            state: Some(state),
            diagnostics: Diagnostics::new(),
        },
        Err(e) => fail(
            "Stored state does not match the schema",
            format!("The stored state could not be read: {e}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::cty::CtyType;
    use crate::plugin::schema::Attribute;

    #[test]
    fn current_json_decodes_and_newer_versions_are_refused() {
        let schema = Schema::new("r", vec![Attribute::required("name", CtyType::String)]);
        let request = |version, json: &[u8]| UpgradeRequest {
            version,
            json: json.to_vec(),
            flatmap: Default::default(),
        };
        let ok = decode_json_state(&schema, &request(0, br#"{"name":"a","gone":1}"#));
        assert_eq!(ok.state, Some(Value::object([("name", "a")])));
        let newer = decode_json_state(&schema, &request(1, br#"{"name":"a"}"#));
        assert!(newer.diagnostics.has_errors());
        let flatmap = decode_json_state(
            &schema,
            &UpgradeRequest {
                version: 0,
                json: Vec::new(),
                flatmap: [("name".to_string(), "a".to_string())].into(),
            },
        );
        assert!(flatmap.diagnostics.has_errors());
    }
}
