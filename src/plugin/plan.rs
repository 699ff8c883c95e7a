//! The plan a resource gets when it does not plan for itself.
//!
//! Terraform proposes a new state (the config, with the prior values of
//! computed attributes the config leaves unset) and the provider says what
//! apply will produce. Taking the proposal as it is would promise that
//! computed values never change, which is wrong as soon as anything
//! changes: apply would then break the promise and Terraform would reject
//! the result. So whenever the object is created or changed, the computed
//! attributes the config does not set become unknown, "(known after
//! apply)", as terraform-plugin-framework does too.

use super::cty::Value;
use super::provider_api::{PlanRequest, PlanResponse};
use super::schema::{Mode, Schema};

/// Terraform's proposal, with the computed attributes the config leaves
/// unset unknown on create and on every change. Only top-level attributes
/// are considered: a resource with computed values inside nested blocks or
/// attributes plans them itself (and may start from this).
pub fn proposed_plan<D>(schema: &Schema, request: &PlanRequest<D>) -> PlanResponse {
    let mut planned = request.proposed.clone();
    let changing = request.prior.is_null() || request.proposed != request.prior;
    if !planned.is_null() && changing {
        for attribute in &schema.block.attributes {
            let computed = matches!(attribute.mode, Mode::Computed | Mode::OptionalComputed);
            if computed && request.config.attr(&attribute.name).is_null() {
                planned.set_attr(attribute.name.clone(), Value::Unknown);
            }
        }
    }
    PlanResponse {
        planned,
        ..PlanResponse::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::cty::CtyType;
    use crate::plugin::provider_data::ProviderData;
    use crate::plugin::schema::Attribute;

    fn schema() -> Schema {
        Schema::new(
            "r",
            vec![
                Attribute::required("name", CtyType::String),
                Attribute::computed("id", CtyType::String),
                Attribute::optional_computed("mode", CtyType::String),
            ],
        )
    }

    fn request(prior: Value, proposed: Value, config: Value) -> PlanRequest<()> {
        PlanRequest {
            prior,
            proposed,
            config,
            provider: ProviderData::unconfigured(),
        }
    }

    #[test]
    fn create_leaves_unset_computed_attributes_unknown() {
        let config = Value::object([("name", Value::from("a")), ("mode", Value::from("x"))]);
        let plan = proposed_plan(
            &schema(),
            &request(Value::Null, config.clone(), config.clone()),
        );
        assert_eq!(
            plan.planned,
            Value::object([
                ("name", Value::from("a")),
                ("mode", Value::from("x")),
                ("id", Value::Unknown),
            ])
        );
    }

    #[test]
    fn no_change_keeps_the_prior_state_and_a_change_recomputes() {
        let prior = Value::object([
            ("name", Value::from("a")),
            ("id", Value::from("1")),
            ("mode", Value::from("auto")),
        ]);
        let config = Value::object([("name", Value::from("a"))]);
        let same = proposed_plan(&schema(), &request(prior.clone(), prior.clone(), config));
        assert_eq!(same.planned, prior);

        let mut proposed = prior.clone();
        proposed.set_attr("name", "b");
        let config = Value::object([("name", Value::from("b"))]);
        let changed = proposed_plan(&schema(), &request(prior.clone(), proposed, config));
        assert_eq!(changed.planned.attr("id"), &Value::Unknown);
        assert_eq!(changed.planned.attr("mode"), &Value::Unknown);
        assert_eq!(changed.planned.attr("name"), &Value::from("b"));

        let destroy = proposed_plan(&schema(), &request(prior, Value::Null, Value::Null));
        assert!(destroy.planned.is_null());
    }
}
