//! The registry docs are generated from the schema; this test fails when
//! they drift. Regenerate with `UPDATE_DOCS=1 cargo test --test it docs_drift`.

use std::path::{Path, PathBuf};

use terraform_provider_dbs::plugin::docs::{documented_paths, render_page, PageKind};
use terraform_provider_dbs::plugin::{Provider, Schema};
use terraform_provider_dbs::provider::DbsProvider;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn check(path: &Path, rendered: &str, schema: &Schema) {
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, rendered).unwrap();
    }
    let on_disk = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run UPDATE_DOCS=1 cargo test --test it docs_drift)",
            path.display()
        )
    });
    let mut documented = documented_paths(&on_disk);
    let mut in_schema = schema.attribute_paths();
    documented.sort();
    in_schema.sort();
    assert_eq!(
        documented,
        in_schema,
        "{} documents other attributes than the schema has",
        path.display()
    );
    assert!(
        on_disk == rendered,
        "{} is out of date with the schema descriptions; run UPDATE_DOCS=1 cargo test --test it docs_drift",
        path.display()
    );
}

fn example(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative)).unwrap()
}

#[test]
fn provider_page_matches_schema() {
    let schema = DbsProvider::new().schema();
    let page = render_page(
        PageKind::Provider,
        "dbs",
        "dbs",
        &schema,
        &example("examples/provider/provider.tf"),
    );
    check(&root().join("docs/index.md"), &page, &schema);
}

#[test]
fn data_source_pages_match_schemas() {
    for ds in DbsProvider::new().data_sources() {
        let name = ds.type_name();
        let short = name.strip_prefix("dbs_").unwrap();
        let schema = ds.schema();
        let page = render_page(
            PageKind::DataSource,
            name,
            "dbs",
            &schema,
            &example(&format!("examples/data-sources/{name}/data-source.tf")),
        );
        check(
            &root().join(format!("docs/data-sources/{short}.md")),
            &page,
            &schema,
        );
    }
}
