//! The state a data source read starts from.
//!
//! Terraform requires every configured value to come back unchanged from a
//! read, so a data source's state is its config plus the computed values.
//! The SDK builds that base, every attribute and nested block of the
//! schema present, so a read only sets what it computes and cannot forget
//! an argument (or a block such as `timeouts`) on the way back.

use super::cty::{CtyType, Value};

/// `config` with every attribute of `ty` present (null where the config
/// has none).
pub fn seed_state(ty: &CtyType, config: &Value) -> Value {
    let CtyType::Object(attributes) = ty else {
        return config.clone();
    };
    Value::object(
        attributes
            .keys()
            .map(|name| (name.clone(), config.attr(name).clone())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attribute_and_block_is_present() {
        let ty = CtyType::object([
            ("text", CtyType::String),
            ("result", CtyType::String),
            ("timeouts", CtyType::object([("read", CtyType::String)])),
        ]);
        let config = Value::object([
            ("text", Value::from("hi")),
            ("timeouts", Value::object([("read", "1m")])),
        ]);
        assert_eq!(
            seed_state(&ty, &config),
            Value::object([
                ("text", Value::from("hi")),
                ("result", Value::Null),
                ("timeouts", Value::object([("read", "1m")])),
            ])
        );
        assert_eq!(seed_state(&ty, &Value::Null).attr("text"), &Value::Null);
    }
}
