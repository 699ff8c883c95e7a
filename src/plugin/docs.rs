//! Registry-format markdown rendered from schemas, so the published docs
//! are the schema's own descriptions and cannot drift from them (a test
//! regenerates the files and compares).

use std::fmt::Write as _;

use super::cty::CtyType;
use super::schema::{Attribute, AttributeType, Mode, Nesting, Schema};

/// What a page documents.
#[derive(Debug, Clone, Copy)]
pub enum PageKind {
    /// The provider block (`docs/index.md`).
    Provider,
    /// A data source (`docs/data-sources/<name>.md`).
    DataSource,
}

/// Renders one docs page. `example` is the HCL shown under "Example Usage".
pub fn render_page(
    kind: PageKind,
    name: &str,
    provider_name: &str,
    schema: &Schema,
    example: &str,
) -> String {
    let title = match kind {
        PageKind::Provider => format!("{name} Provider"),
        PageKind::DataSource => format!("{name} Data Source - terraform-provider-{provider_name}"),
    };
    let heading = match kind {
        PageKind::Provider => format!("{name} Provider"),
        PageKind::DataSource => format!("{name} (Data Source)"),
    };
    let description = schema.block.description.trim();
    let mut out = String::new();
    let _ = writeln!(out, "---");
    let _ = writeln!(out, "page_title: \"{title}\"");
    let _ = writeln!(out, "subcategory: \"\"");
    let _ = writeln!(out, "description: |-");
    for line in description.lines() {
        let _ = writeln!(out, "  {line}");
    }
    let _ = writeln!(out, "---\n");
    let _ = writeln!(out, "# {heading}\n");
    let _ = writeln!(out, "{description}\n");
    let _ = writeln!(out, "## Example Usage\n");
    let _ = writeln!(out, "```terraform\n{}\n```\n", example.trim_end());
    let _ = writeln!(
        out,
        "<!-- generated from the schema; do not edit by hand -->"
    );
    let _ = writeln!(out, "## Schema");
    let mut nested = Vec::new();
    render_groups(&mut out, &schema.block.attributes, "", &mut nested);
    if !schema.block.blocks.is_empty() {
        let _ = writeln!(out, "\n### Blocks\n");
        for b in &schema.block.blocks {
            let _ = writeln!(
                out,
                "- `{}` (Block, Optional) {} (see [below for nested schema](#{}))",
                b.type_name,
                b.block.description.trim(),
                anchor(&b.type_name)
            );
            nested.insert(0, (b.type_name.clone(), b.block.attributes.clone()));
        }
    }
    while let Some((path, attributes)) = nested.pop() {
        let anchor = anchor(&path);
        let _ = writeln!(out, "\n<a id=\"{anchor}\"></a>");
        let _ = writeln!(out, "### Nested Schema for `{path}`");
        render_groups(&mut out, &attributes, &format!("{path}."), &mut nested);
    }
    out
}

fn anchor(path: &str) -> String {
    format!("nestedatt--{}", path.replace('.', "--"))
}

fn render_groups(
    out: &mut String,
    attributes: &[Attribute],
    prefix: &str,
    nested: &mut Vec<(String, Vec<Attribute>)>,
) {
    let groups = [
        ("Required", &[Mode::Required][..]),
        ("Optional", &[Mode::Optional, Mode::OptionalComputed][..]),
        ("Read-Only", &[Mode::Computed][..]),
    ];
    let top_level = prefix.is_empty();
    for (title, modes) in groups {
        let members: Vec<&Attribute> = attributes
            .iter()
            .filter(|a| modes.contains(&a.mode))
            .collect();
        if members.is_empty() {
            continue;
        }
        if top_level {
            let _ = writeln!(out, "\n### {title}\n");
        } else {
            let _ = writeln!(out, "\n{title}:\n");
        }
        let mut sorted = members;
        sorted.sort_by(|a, b| a.name.cmp(&b.name));
        for a in sorted {
            let mut line = format!("- `{}` ({}", a.name, type_label(&a.ty));
            if a.sensitive {
                line.push_str(", Sensitive");
            }
            if a.deprecated {
                line.push_str(", Deprecated");
            }
            line.push_str(") ");
            line.push_str(a.description.trim());
            if let Some(inner) = a.ty.inner() {
                let path = format!("{prefix}{}", a.name);
                let _ = write!(line, " (see [below for nested schema](#{}))", anchor(&path));
                nested.insert(0, (path, inner.to_vec()));
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
}

fn type_label(ty: &AttributeType) -> String {
    match ty {
        AttributeType::Plain(t) => cty_label(t),
        AttributeType::Objects { .. } => cty_label(&ty.value_type()),
        AttributeType::Nested { nesting, .. } => match nesting {
            Nesting::Single => "Attributes".into(),
            Nesting::List => "Attributes List".into(),
            Nesting::Set => "Attributes Set".into(),
            Nesting::Map => "Attributes Map".into(),
        },
    }
}

fn cty_label(ty: &CtyType) -> String {
    match ty {
        CtyType::Bool => "Boolean".into(),
        CtyType::Number => "Number".into(),
        CtyType::String => "String".into(),
        CtyType::Dynamic => "Dynamic".into(),
        CtyType::List(e) => format!("List of {}", cty_label(e)),
        CtyType::Set(e) => format!("Set of {}", cty_label(e)),
        CtyType::Map(e) => format!("Map of {}", cty_label(e)),
        CtyType::Object(_) => "Object".into(),
        CtyType::Tuple(_) => "Tuple".into(),
    }
}

/// Attribute paths a rendered page documents (`tasks.id` for nested ones);
/// the drift test compares them with the schema's.
pub fn documented_paths(page: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut prefix = String::new();
    for line in page.lines() {
        if let Some(rest) = line.strip_prefix("### Nested Schema for `") {
            prefix = format!("{}.", rest.trim_end_matches('`'));
        } else if let Some(rest) = line.strip_prefix("- `") {
            if let Some(name) = rest.split('`').next() {
                out.push(format!("{prefix}{name}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_groups_nested_sections_and_paths() {
        let schema = Schema::new(
            "Reads things.",
            vec![
                Attribute::required("name", CtyType::String).description("The name."),
                Attribute::optional("tags", CtyType::list(CtyType::String))
                    .description("Tags.")
                    .sensitive(),
                Attribute::nested(
                    "items",
                    Nesting::List,
                    Mode::Computed,
                    vec![Attribute::computed("id", CtyType::Number).description("Id.")],
                )
                .description("Items."),
            ],
        );
        let page = render_page(
            PageKind::DataSource,
            "x_things",
            "x",
            &schema,
            "data \"x_things\" \"a\" {}",
        );
        assert!(page.contains("# x_things (Data Source)"));
        assert!(page.contains("### Required\n\n- `name` (String) The name."));
        assert!(page.contains("- `tags` (List of String, Sensitive) Tags."));
        assert!(page.contains("(see [below for nested schema](#nestedatt--items))"));
        assert!(page.contains("### Nested Schema for `items`\n\nRead-Only:\n\n- `id` (Number) Id."));
        let mut paths = documented_paths(&page);
        paths.sort();
        assert_eq!(paths, ["items", "items.id", "name", "tags"]);
    }
}
