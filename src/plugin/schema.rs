//! Schemas: what a provider or data source accepts and returns.
//!
//! Terraform validates configurations against these, renders them in
//! `terraform providers schema -json`, and the registry builds docs from the
//! markdown descriptions, so every attribute is expected to carry one.

use std::collections::BTreeMap;

use super::cty::CtyType;

/// Who sets an attribute's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The configuration must set it.
    Required,
    /// The configuration may set it; null otherwise.
    Optional,
    /// Only the provider sets it.
    Computed,
    /// The configuration may set it, else the provider does.
    OptionalComputed,
}

/// How a nested attribute's objects are collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// One object.
    Single,
    /// An ordered list of objects.
    List,
    /// A set of objects.
    Set,
    /// A map of objects.
    Map,
}

/// An attribute's type: a plain cty type, or nested attributes (protocol 6),
/// which let every inner field carry its own description.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeType {
    /// A cty type such as `string` or `list(string)`.
    Plain(CtyType),
    /// Objects described attribute by attribute.
    Nested {
        /// How the objects are collected.
        nesting: Nesting,
        /// The objects' attributes.
        attributes: Vec<Attribute>,
    },
}

impl AttributeType {
    /// The cty type of the values this attribute holds.
    pub fn value_type(&self) -> CtyType {
        match self {
            AttributeType::Plain(ty) => ty.clone(),
            AttributeType::Nested {
                nesting,
                attributes,
            } => {
                let object = object_type(attributes);
                match nesting {
                    Nesting::Single => object,
                    Nesting::List => CtyType::List(Box::new(object)),
                    Nesting::Set => CtyType::Set(Box::new(object)),
                    Nesting::Map => CtyType::Map(Box::new(object)),
                }
            }
        }
    }
}

/// One attribute of a block or of a nested object.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// Name as written in configuration.
    pub name: String,
    /// Value type.
    pub ty: AttributeType,
    /// Markdown shown in docs and editors.
    pub description: String,
    /// Who sets it.
    pub mode: Mode,
    /// Hide the value in plans and output.
    pub sensitive: bool,
    /// Warn when used.
    pub deprecated: bool,
}

impl Attribute {
    fn new(name: &str, ty: AttributeType, mode: Mode) -> Self {
        Self {
            name: name.to_string(),
            ty,
            description: String::new(),
            mode,
            sensitive: false,
            deprecated: false,
        }
    }

    /// A required attribute of a plain type.
    pub fn required(name: &str, ty: CtyType) -> Self {
        Self::new(name, AttributeType::Plain(ty), Mode::Required)
    }

    /// An optional attribute of a plain type.
    pub fn optional(name: &str, ty: CtyType) -> Self {
        Self::new(name, AttributeType::Plain(ty), Mode::Optional)
    }

    /// A computed attribute of a plain type.
    pub fn computed(name: &str, ty: CtyType) -> Self {
        Self::new(name, AttributeType::Plain(ty), Mode::Computed)
    }

    /// An optional attribute the provider fills in when it is not set.
    pub fn optional_computed(name: &str, ty: CtyType) -> Self {
        Self::new(name, AttributeType::Plain(ty), Mode::OptionalComputed)
    }

    /// A nested attribute holding objects.
    pub fn nested(name: &str, nesting: Nesting, mode: Mode, attributes: Vec<Attribute>) -> Self {
        Self::new(
            name,
            AttributeType::Nested {
                nesting,
                attributes,
            },
            mode,
        )
    }

    /// Sets the markdown description.
    pub fn description(mut self, markdown: impl Into<String>) -> Self {
        self.description = markdown.into();
        self
    }

    /// Marks the value sensitive.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Marks the attribute deprecated.
    pub fn deprecated(mut self) -> Self {
        self.deprecated = true;
        self
    }
}

/// The attributes of a provider block or data source.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Block {
    /// Markdown description of the whole block.
    pub description: String,
    /// Warn when the block is used.
    pub deprecated: bool,
    /// Attributes in declaration order.
    pub attributes: Vec<Attribute>,
}

/// A versioned schema.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schema {
    /// Bumped when stored state needs upgrading (resources only).
    pub version: i64,
    /// The top-level block.
    pub block: Block,
}

impl Schema {
    /// A version-0 schema with these attributes.
    pub fn new(description: impl Into<String>, attributes: Vec<Attribute>) -> Self {
        Self {
            version: 0,
            block: Block {
                description: description.into(),
                deprecated: false,
                attributes,
            },
        }
    }

    /// The object type Terraform uses to encode configs and states of this schema.
    pub fn value_type(&self) -> CtyType {
        object_type(&self.block.attributes)
    }

    /// Dotted paths of attributes (nested ones included) that lack a
    /// description; tests use it to keep every attribute documented.
    pub fn undescribed_attributes(&self) -> Vec<String> {
        let mut missing = Vec::new();
        collect_undescribed("", &self.block.attributes, &mut missing);
        missing
    }

    /// Every attribute path (`tasks.name` for nested ones), in declaration order.
    pub fn attribute_paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        collect_paths("", &self.block.attributes, &mut out);
        out
    }
}

fn object_type(attributes: &[Attribute]) -> CtyType {
    CtyType::Object(
        attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.value_type()))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn collect_undescribed(prefix: &str, attributes: &[Attribute], out: &mut Vec<String>) {
    for a in attributes {
        let path = format!("{prefix}{}", a.name);
        if a.description.trim().is_empty() {
            out.push(path.clone());
        }
        if let AttributeType::Nested { attributes, .. } = &a.ty {
            collect_undescribed(&format!("{path}."), attributes, out);
        }
    }
}

fn collect_paths(prefix: &str, attributes: &[Attribute], out: &mut Vec<String>) {
    for a in attributes {
        let path = format!("{prefix}{}", a.name);
        out.push(path.clone());
        if let AttributeType::Nested { attributes, .. } = &a.ty {
            collect_paths(&format!("{path}."), attributes, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_type_of_nested_list_is_list_of_objects() {
        let schema = Schema::new(
            "d",
            vec![
                Attribute::optional("name", CtyType::String).description("n"),
                Attribute::nested(
                    "items",
                    Nesting::List,
                    Mode::Computed,
                    vec![Attribute::computed("id", CtyType::Number)],
                )
                .description("i"),
            ],
        );
        let expected = CtyType::Object(BTreeMap::from([
            (
                "items".to_string(),
                CtyType::List(Box::new(CtyType::Object(BTreeMap::from([(
                    "id".to_string(),
                    CtyType::Number,
                )])))),
            ),
            ("name".to_string(), CtyType::String),
        ]));
        assert_eq!(schema.value_type(), expected);
        assert_eq!(
            schema.undescribed_attributes(),
            vec!["items.id".to_string()]
        );
        assert_eq!(schema.attribute_paths(), vec!["name", "items", "items.id"]);
    }
}
