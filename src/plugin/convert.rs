//! Conversions between the SDK's types and the generated wire types.
//!
//! Pure functions only, so each can be table-tested without a server.

use super::cty::{self, CtyType, Value};
use super::diagnostics::{AttributePath, Diagnostic, Diagnostics, PathStep, Severity};
use super::schema::{Attribute, AttributeType, Block, Mode, NestedBlock, Nesting, Schema};
use super::wire::tfplugin6 as wire;

/// Decodes a config or state value sent by Terraform, or explains why not.
pub fn decode_dynamic_value(
    value: Option<&wire::DynamicValue>,
    ty: &CtyType,
) -> Result<Value, Diagnostic> {
    let Some(value) = value else {
        return Ok(Value::Null);
    };
    if value.msgpack.is_empty() && !value.json.is_empty() {
        return Err(Diagnostic::error(
            "Unsupported value encoding",
            "Terraform sent a JSON-encoded value; this provider only understands msgpack. \
             This is a bug in the provider or an unsupported Terraform version.",
        ));
    }
    if value.msgpack.is_empty() {
        return Ok(Value::Null);
    }
    cty::decode(&value.msgpack, ty).map_err(|e| {
        let diagnostic = Diagnostic::error(
            "Invalid value from Terraform",
            format!("The provider could not decode a value sent by Terraform: {e}"),
        );
        if e.path().is_root() {
            diagnostic
        } else {
            diagnostic.at(e.path().clone())
        }
    })
}

/// Encodes a value for Terraform.
pub fn encode_dynamic_value(value: &Value, ty: &CtyType) -> Result<wire::DynamicValue, Diagnostic> {
    cty::encode(value, ty)
        .map(|msgpack| wire::DynamicValue {
            msgpack,
            json: Vec::new(),
        })
        .map_err(|e| {
            Diagnostic::error(
                "Provider produced an invalid value",
                format!("The provider built a value that does not match its own schema: {e}"),
            )
        })
}

/// SDK diagnostics to wire diagnostics.
pub fn diagnostics(diags: &Diagnostics) -> Vec<wire::Diagnostic> {
    diags.iter().map(diagnostic).collect()
}

fn diagnostic(d: &Diagnostic) -> wire::Diagnostic {
    wire::Diagnostic {
        severity: match d.severity {
            Severity::Error => wire::diagnostic::Severity::Error,
            Severity::Warning => wire::diagnostic::Severity::Warning,
        } as i32,
        summary: super::logging::mask(&d.summary),
        detail: super::logging::mask(&d.detail),
        attribute: d.attribute.as_ref().map(attribute_path),
    }
}

/// An SDK path as a wire path (diagnostics, `requires_replace`).
pub fn attribute_path(path: &AttributePath) -> wire::AttributePath {
    use wire::attribute_path::{step::Selector, Step};
    wire::AttributePath {
        steps: path
            .steps()
            .iter()
            .map(|step| Step {
                selector: Some(match step {
                    PathStep::Attribute(name) => Selector::AttributeName(name.clone()),
                    PathStep::Key(key) => Selector::ElementKeyString(key.clone()),
                    PathStep::Index(index) => Selector::ElementKeyInt(*index),
                }),
            })
            .collect(),
    }
}

/// SDK schema to wire schema.
pub fn schema(schema: &Schema) -> wire::Schema {
    wire::Schema {
        version: schema.version,
        block: Some(block(&schema.block, schema.version)),
    }
}

fn block(b: &Block, version: i64) -> wire::schema::Block {
    wire::schema::Block {
        version,
        attributes: b.attributes.iter().map(attribute).collect(),
        block_types: b.blocks.iter().map(nested_block).collect(),
        description: b.description.clone(),
        description_kind: wire::StringKind::Markdown as i32,
        deprecated: b.deprecated,
        deprecation_message: String::new(),
    }
}

fn nested_block(b: &NestedBlock) -> wire::schema::NestedBlock {
    use wire::schema::nested_block::NestingMode;
    let nesting = match b.nesting {
        Nesting::Single => NestingMode::Single,
        Nesting::List => NestingMode::List,
        Nesting::Set => NestingMode::Set,
        Nesting::Map => NestingMode::Map,
    };
    // No item bounds: Terraform ignores them for single blocks and we need none for lists.
    wire::schema::NestedBlock {
        type_name: b.type_name.clone(),
        block: Some(block(&b.block, 0)),
        nesting: nesting as i32,
        min_items: 0,
        max_items: 0,
    }
}

fn attribute(a: &Attribute) -> wire::schema::Attribute {
    let (r#type, nested_type) = match &a.ty {
        AttributeType::Plain(_) | AttributeType::Objects { .. } => {
            (a.ty.value_type().to_json_bytes(), None)
        }
        AttributeType::Nested {
            nesting,
            attributes,
        } => (
            Vec::new(),
            Some(wire::schema::Object {
                attributes: attributes.iter().map(attribute).collect(),
                nesting: match nesting {
                    Nesting::Single => wire::schema::object::NestingMode::Single,
                    Nesting::List => wire::schema::object::NestingMode::List,
                    Nesting::Set => wire::schema::object::NestingMode::Set,
                    Nesting::Map => wire::schema::object::NestingMode::Map,
                } as i32,
                ..Default::default()
            }),
        ),
    };
    wire::schema::Attribute {
        name: a.name.clone(),
        r#type,
        nested_type,
        description: a.wire_description(),
        required: a.mode == Mode::Required,
        optional: matches!(a.mode, Mode::Optional | Mode::OptionalComputed),
        computed: matches!(a.mode, Mode::Computed | Mode::OptionalComputed),
        sensitive: a.sensitive,
        description_kind: wire::StringKind::Markdown as i32,
        deprecated: a.deprecated,
        write_only: false,
        deprecation_message: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostics_keep_severity_text_and_path() {
        let diags = Diagnostics(vec![
            Diagnostic::error("bad", "fix it").at(AttributePath::to("ids").index(1)),
            Diagnostic::warning("hmm", ""),
        ]);
        let wire = diagnostics(&diags);
        assert_eq!(wire.len(), 2);
        assert_eq!(wire[0].severity, wire::diagnostic::Severity::Error as i32);
        assert_eq!(wire[0].summary, "bad");
        assert_eq!(wire[0].detail, "fix it");
        let steps = &wire[0].attribute.as_ref().unwrap().steps;
        use wire::attribute_path::step::Selector;
        assert_eq!(
            steps[0].selector,
            Some(Selector::AttributeName("ids".into()))
        );
        assert_eq!(steps[1].selector, Some(Selector::ElementKeyInt(1)));
        assert_eq!(wire[1].severity, wire::diagnostic::Severity::Warning as i32);
        assert!(wire[1].attribute.is_none());
    }

    #[test]
    fn schema_modes_and_types() {
        let s = Schema::new(
            "desc",
            vec![
                Attribute::required("a", CtyType::String).description("x"),
                Attribute::optional_computed("b", CtyType::List(Box::new(CtyType::String)))
                    .sensitive(),
                Attribute::nested(
                    "c",
                    Nesting::List,
                    Mode::Computed,
                    vec![Attribute::computed("d", CtyType::Number)],
                ),
            ],
        );
        let w = schema(&s);
        let block = w.block.unwrap();
        assert_eq!(block.description, "desc");
        let [a, b, c] = &block.attributes[..] else {
            panic!("three attributes")
        };
        assert!(a.required && !a.optional && !a.computed);
        assert_eq!(a.r#type, b"\"string\"");
        assert_eq!(a.description_kind, wire::StringKind::Markdown as i32);
        assert!(!b.required && b.optional && b.computed && b.sensitive);
        assert_eq!(b.r#type, br#"["list","string"]"#);
        assert!(c.r#type.is_empty());
        let nested = c.nested_type.as_ref().unwrap();
        assert_eq!(
            nested.nesting,
            wire::schema::object::NestingMode::List as i32
        );
        assert_eq!(nested.attributes[0].name, "d");
    }

    #[test]
    fn decode_errors_point_at_the_attribute() {
        let ty = CtyType::object([("page_size", CtyType::Number)]);
        // {"page_size": "x"}: a string where a number belongs.
        let bytes = [
            0x81, 0xa9, b'p', b'a', b'g', b'e', b'_', b's', b'i', b'z', b'e', 0xa1, b'x',
        ];
        let err = decode_dynamic_value(
            Some(&wire::DynamicValue {
                msgpack: bytes.to_vec(),
                json: vec![],
            }),
            &ty,
        )
        .unwrap_err();
        assert_eq!(err.attribute, Some(AttributePath::to("page_size")));
    }

    #[test]
    fn absent_and_json_values() {
        assert_eq!(
            decode_dynamic_value(None, &CtyType::String).unwrap(),
            Value::Null
        );
        let json_only = wire::DynamicValue {
            msgpack: vec![],
            json: b"{}".to_vec(),
        };
        assert!(decode_dynamic_value(Some(&json_only), &CtyType::String).is_err());
    }
}
