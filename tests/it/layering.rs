//! The layers point one way: plugin SDK <- provider -> API client, and the
//! emulator stands beside the client. This test reads every `crate::` and
//! `terraform_provider_dbs::` path in `src/` and fails when the SDK reaches
//! into the provider or the API client, when the API client or the emulator
//! reaches into the SDK or the provider, or when anything reaches up.

use std::path::{Path, PathBuf};

use regex::Regex;

/// The layer a source file belongs to, by where it lives.
fn layer_of(relative: &Path) -> Option<&'static str> {
    let text = relative.to_string_lossy();
    [
        ("plugin/", "plugin"),
        ("provider/", "provider"),
        ("alibaba/", "alibaba"),
        ("emulator/", "emulator"),
        ("bin/dbs-emulator.rs", "emulator"),
    ]
    .iter()
    .find(|(prefix, _)| text.starts_with(prefix))
    .map(|(_, layer)| *layer)
}

/// The layers a layer must not name.
fn forbidden(layer: &str) -> &'static [&'static str] {
    match layer {
        "plugin" => &["provider", "alibaba", "emulator"],
        "alibaba" => &["plugin", "provider", "emulator"],
        "emulator" => &["plugin", "provider"],
        "provider" => &["emulator"],
        _ => &[],
    }
}

/// The layers `source` names through `crate::` or the library's name,
/// `use` groups (`crate::{a::X, b::Y}`) included; comments are skipped.
fn layers_named(source: &str) -> Vec<(usize, String)> {
    let single = Regex::new(r"\b(?:crate|terraform_provider_dbs)::([a-z_]+)").unwrap();
    let group = Regex::new(r"\b(?:crate|terraform_provider_dbs)::\{([^}]*)").unwrap();
    let first = Regex::new(r"(?:^|,)\s*([a-z_]+)").unwrap();
    let mut out = Vec::new();
    for (number, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for c in single.captures_iter(code) {
            out.push((number + 1, c[1].to_string()));
        }
        for g in group.captures_iter(code) {
            for c in first.captures_iter(&g[1]) {
                out.push((number + 1, c[1].to_string()));
            }
        }
    }
    out
}

fn violations(relative: &Path, source: &str) -> Vec<String> {
    let Some(layer) = layer_of(relative) else {
        return Vec::new();
    };
    layers_named(source)
        .into_iter()
        .filter(|(_, named)| forbidden(layer).contains(&named.as_str()))
        .map(|(line, named)| {
            format!(
                "{}:{line}: the {layer} layer uses {named}",
                relative.display()
            )
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_layer_reaches_where_it_must_not() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut checked = 0;
    let mut found = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        if layer_of(relative).is_some() {
            checked += 1;
        }
        found.extend(violations(
            relative,
            &std::fs::read_to_string(file).unwrap(),
        ));
    }
    assert!(checked > 40, "only {checked} files were checked");
    assert!(
        found.is_empty(),
        "layering violations:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_catches_forbidden_uses() {
    let sdk = Path::new("plugin/serve.rs");
    assert_eq!(
        violations(sdk, "use crate::provider::DbsProvider;\n"),
        ["plugin/serve.rs:1: the plugin layer uses provider"]
    );
    assert_eq!(
        violations(sdk, "use crate::{cty::Value, alibaba::DbsClient};\n").len(),
        1
    );
    assert_eq!(
        violations(
            Path::new("alibaba/client.rs"),
            "let d = crate::plugin::Diagnostic::error(\"a\", \"b\");"
        )
        .len(),
        1
    );
    assert_eq!(
        violations(
            Path::new("bin/dbs-emulator.rs"),
            "use terraform_provider_dbs::provider::X;"
        )
        .len(),
        1
    );
    assert!(violations(
        sdk,
        "// crate::provider is mentioned in a comment\nuse super::cty;\n"
    )
    .is_empty());
    assert!(violations(
        Path::new("provider/mod.rs"),
        "use crate::{alibaba::DbsClient, plugin::Schema};"
    )
    .is_empty());
}

/// The SDK takes every product name (log variable, socket directory,
/// certificate organisation) from the provider, so none may be spelled
/// out in it, tests included: a hard-coded "dbs" there would be this
/// provider leaking into every other one.
#[test]
fn the_sdk_names_no_product() {
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/plugin");
    let mut files = Vec::new();
    rust_files(&sdk, &mut files);
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (number, line) in text.lines().enumerate() {
            if line.to_ascii_lowercase().contains("dbs") {
                found.push(format!("{}:{}: {line}", file.display(), number + 1));
            }
        }
    }
    assert!(files.len() > 20, "only {} SDK files", files.len());
    assert!(
        found.is_empty(),
        "product names in the SDK:\n{}",
        found.join("\n")
    );
}
