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

/// An attribute's type: a plain cty type, objects of a plain type whose
/// fields are described one by one, or nested attributes (protocol 6).
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeType {
    /// A cty type such as `string` or `list(string)`.
    Plain(CtyType),
    /// Objects sent to Terraform as the plain type `list(object({...}))`
    /// (or `set`, `map`, a single `object`), each field described in the
    /// attribute's markdown and in the docs. Prefer this to [`Nested`] for
    /// computed results: Terraform 1.0 to 1.2 cannot index into nested
    /// attributes in expressions (`x[0].name` fails validation there), and
    /// `terraform test` mocks (`mock_data`, `override_data`) cannot fill them.
    ///
    /// [`Nested`]: AttributeType::Nested
    Objects {
        /// How the objects are collected.
        nesting: Nesting,
        /// The objects' fields; only their names, types and descriptions count.
        fields: Vec<Attribute>,
    },
    /// Objects described attribute by attribute (protocol 6 nested attributes).
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
            AttributeType::Objects {
                nesting,
                fields: attributes,
            }
            | AttributeType::Nested {
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

    /// The inner attributes or fields, for types that have them.
    pub fn inner(&self) -> Option<&[Attribute]> {
        match self {
            AttributeType::Plain(_) => None,
            AttributeType::Objects { fields, .. } => Some(fields),
            AttributeType::Nested { attributes, .. } => Some(attributes),
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

    /// An attribute holding objects of a plain cty type, described field by
    /// field (see [`AttributeType::Objects`] for why this is not `nested`).
    pub fn objects(name: &str, nesting: Nesting, mode: Mode, fields: Vec<Attribute>) -> Self {
        Self::new(name, AttributeType::Objects { nesting, fields }, mode)
    }

    /// The markdown Terraform gets: the description, followed for
    /// [`AttributeType::Objects`] by a table of the fields, since the plain
    /// type itself carries no per-field text.
    pub fn wire_description(&self) -> String {
        let AttributeType::Objects { fields, .. } = &self.ty else {
            return self.description.clone();
        };
        let mut out = self.description.trim_end().to_string();
        out.push_str("\n\nEach element has these attributes:\n\n| attribute | type | description |\n|---|---|---|\n");
        for f in fields {
            let description = f.description.trim().replace('|', "\\|").replace('\n', " ");
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                f.name,
                f.ty.value_type(),
                description
            ));
        }
        out
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

/// The attributes of a provider block or data source, and its nested blocks.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Block {
    /// Markdown description of the whole block.
    pub description: String,
    /// Warn when the block is used.
    pub deprecated: bool,
    /// Attributes in declaration order.
    pub attributes: Vec<Attribute>,
    /// Nested blocks, written with block syntax (`timeouts { read = "10m" }`).
    pub blocks: Vec<NestedBlock>,
}

/// A block inside a block. Terraform's conventions use them where users expect block syntax,
/// such as `timeouts`; values are objects (null when the block is absent) or lists of objects.
#[derive(Debug, Clone, PartialEq)]
pub struct NestedBlock {
    /// The block's name in configuration.
    pub type_name: String,
    /// `Single` (at most one, an object or null) or `List`.
    pub nesting: Nesting,
    /// Its attributes.
    pub block: Block,
}

impl NestedBlock {
    /// An optional block written at most once.
    pub fn single(
        type_name: &str,
        description: impl Into<String>,
        attributes: Vec<Attribute>,
    ) -> Self {
        NestedBlock {
            type_name: type_name.to_string(),
            nesting: Nesting::Single,
            block: Block {
                description: description.into(),
                attributes,
                ..Block::default()
            },
        }
    }

    /// The value type of the block's content.
    pub fn value_type(&self) -> CtyType {
        let object = block_type(&self.block);
        match self.nesting {
            Nesting::Single => object,
            Nesting::List => CtyType::List(Box::new(object)),
            Nesting::Set => CtyType::Set(Box::new(object)),
            Nesting::Map => CtyType::Map(Box::new(object)),
        }
    }
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
                blocks: Vec::new(),
            },
        }
    }

    /// Adds a nested block.
    pub fn with_block(mut self, block: NestedBlock) -> Self {
        self.block.blocks.push(block);
        self
    }

    /// The object type Terraform uses to encode configs and states of this schema.
    pub fn value_type(&self) -> CtyType {
        block_type(&self.block)
    }

    /// Dotted paths of attributes (nested ones included) that lack a
    /// description; tests use it to keep every attribute documented.
    pub fn undescribed_attributes(&self) -> Vec<String> {
        self.described_paths()
            .into_iter()
            .filter(|(_, description)| description.trim().is_empty())
            .map(|(path, _)| path)
            .collect()
    }

    /// Whether any attribute at any depth (nested attributes, object
    /// fields, nested blocks) is sensitive: values of such a schema must
    /// never leave the process whole, e.g. into a debugging file.
    pub fn has_sensitive(&self) -> bool {
        block_has_sensitive(&self.block)
    }

    /// Every attribute path (`tasks.name` for nested ones), in declaration order.
    pub fn attribute_paths(&self) -> Vec<String> {
        self.described_paths()
            .into_iter()
            .map(|(path, _)| path)
            .collect()
    }

    /// Every attribute and nested block, in declaration order, with its
    /// description.
    fn described_paths(&self) -> Vec<(String, &str)> {
        let mut out = Vec::new();
        describe_attributes("", &self.block.attributes, &mut out);
        for b in &self.block.blocks {
            out.push((b.type_name.clone(), b.block.description.as_str()));
            describe_attributes(&format!("{}.", b.type_name), &b.block.attributes, &mut out);
        }
        out
    }
}

/// A block's object type: its attributes and its nested blocks.
fn block_type(block: &Block) -> CtyType {
    let CtyType::Object(mut members) = object_type(&block.attributes) else {
        unreachable!("object_type builds objects")
    };
    for b in &block.blocks {
        members.insert(b.type_name.clone(), b.value_type());
    }
    CtyType::Object(members)
}

fn object_type(attributes: &[Attribute]) -> CtyType {
    CtyType::Object(
        attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.value_type()))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn block_has_sensitive(block: &Block) -> bool {
    attributes_have_sensitive(&block.attributes)
        || block.blocks.iter().any(|b| block_has_sensitive(&b.block))
}

fn attributes_have_sensitive(attributes: &[Attribute]) -> bool {
    attributes
        .iter()
        .any(|a| a.sensitive || a.ty.inner().is_some_and(attributes_have_sensitive))
}

fn describe_attributes<'a>(
    prefix: &str,
    attributes: &'a [Attribute],
    out: &mut Vec<(String, &'a str)>,
) {
    for a in attributes {
        let path = format!("{prefix}{}", a.name);
        out.push((path.clone(), a.description.as_str()));
        if let Some(inner) = a.ty.inner() {
            describe_attributes(&format!("{path}."), inner, out);
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

    #[test]
    fn sensitive_attributes_are_found_at_any_depth() {
        let plain = || Attribute::optional("a", CtyType::String).description("a");
        let secret = || plain().sensitive();
        let nested = |inner| Attribute::nested("n", Nesting::List, Mode::Optional, vec![inner]);
        let objects = |inner| Attribute::objects("o", Nesting::Set, Mode::Computed, vec![inner]);
        let in_block = |inner| {
            Schema::new("d", vec![plain()]).with_block(NestedBlock {
                type_name: "outer".into(),
                nesting: Nesting::List,
                block: Block {
                    blocks: vec![NestedBlock::single("inner", "i", vec![inner])],
                    ..Block::default()
                },
            })
        };
        for (schema, expected) in [
            (Schema::new("d", vec![plain()]), false),
            (Schema::new("d", vec![plain(), secret()]), true),
            (Schema::new("d", vec![nested(plain())]), false),
            (Schema::new("d", vec![nested(nested(secret()))]), true),
            (Schema::new("d", vec![objects(secret())]), true),
            (in_block(plain()), false),
            (in_block(secret()), true),
        ] {
            assert_eq!(schema.has_sensitive(), expected, "{schema:?}");
        }
    }

    #[test]
    fn objects_are_a_plain_list_of_objects_with_a_field_table() {
        let a = Attribute::objects(
            "items",
            Nesting::List,
            Mode::Computed,
            vec![
                Attribute::computed("id", CtyType::String).description("The id."),
                Attribute::computed("size", CtyType::Number).description("A | B"),
            ],
        )
        .description("Items.");
        assert_eq!(
            a.ty.value_type(),
            CtyType::list(CtyType::object([
                ("id".to_string(), CtyType::String),
                ("size".to_string(), CtyType::Number),
            ]))
        );
        assert_eq!(
            a.wire_description(),
            "Items.\n\nEach element has these attributes:\n\n| attribute | type | description |\n\
             |---|---|---|\n| `id` | string | The id. |\n| `size` | number | A \\| B |\n"
        );
        let schema = Schema::new("d", vec![a]);
        assert_eq!(
            schema.attribute_paths(),
            vec!["items", "items.id", "items.size"]
        );
    }
}
