//! The SDK hosting a provider other than ours: `examples/sdk_provider.rs`
//! (an `example_echo` data source and an `example_file` resource, files in
//! the directory its provider block names) driven by real Terraform, every
//! version of the matrix, through create, no-op plan, update, replacement,
//! import and destroy, checking the outputs, the state and the files.

use std::path::Path;
use std::process::Output;

use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};

use crate::common::example_provider::provider_dir;
use crate::common::terraform::{matrix, outputs, with, Feature, Tf, Workspace};

const APPLY: &[&str] = &["apply", "-auto-approve", "-no-color", "-input=false"];

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `main.tf` with the provider pointed at `files`, the echo data source and
/// `resources` (HCL appended as it is).
fn main_tf(files: &Path, resources: &str) -> String {
    format!(
        r#"
terraform {{
  required_providers {{
    example = {{ source = "example/example" }}
  }}
}}
provider "example" {{
  directory = {:?}
  greeting  = "Hi"
}}
data "example_echo" "e" {{
  text = "there"
}}
output "echo" {{ value = data.example_echo.e }}
{resources}
"#,
        files.display().to_string()
    )
}

fn file(resource: &str, name: &str, content: &str) -> String {
    format!(
        "resource \"example_file\" {resource:?} {{\n  name    = {name:?}\n  content = {content:?}\n}}\n\
         output {resource:?} {{ value = example_file.{resource} }}\n"
    )
}

/// A workspace for the example provider, the binary's directory kept alive beside it.
struct Example {
    ws: Workspace,
    files: tempfile::TempDir,
    _binary_dir: tempfile::TempDir,
}

impl Example {
    fn new(tf: Tf, resources: &str) -> Self {
        let binary_dir = provider_dir();
        let files = tempfile::tempdir().unwrap();
        let ws = Workspace::for_provider(
            tf,
            "example/example",
            binary_dir.path(),
            &main_tf(files.path(), resources),
        );
        Self {
            ws,
            files,
            _binary_dir: binary_dir,
        }
    }

    fn write(&self, resources: &str) {
        self.ws.write_main(&main_tf(self.files.path(), resources));
    }

    fn file(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.files.path().join(name)).ok()
    }

    /// `plan -detailed-exitcode`: 0 for no changes, 2 for changes.
    fn plan(&self) -> (i32, String) {
        let output: Output = self
            .ws
            .command(&["plan", "-detailed-exitcode", "-no-color", "-input=false"])
            .output()
            .unwrap();
        let text = format!(
            "{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.code().unwrap_or(-1), text)
    }

    fn outputs(&self) -> Json {
        outputs(&self.ws.run(&["output", "-json"]).ok())
    }

    /// The resources in the state, by address, from `show -json`.
    fn state(&self) -> Json {
        let shown = outputs(&self.ws.run(&["show", "-json"]).ok());
        let resources = shown["values"]["root_module"]["resources"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        resources
            .into_iter()
            .map(|r| {
                (
                    r["address"].as_str().unwrap().to_string(),
                    r["values"].clone(),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    }
}

fn file_state(name: &str, content: &str) -> Json {
    json!({ "name": name, "content": content, "id": name, "sha256": sha256(content) })
}

#[test]
fn create_update_replace_and_destroy_on_every_terraform() {
    for tf in matrix() {
        let example = Example::new(tf, &file("a", "a.txt", "one"));

        // Create: the file appears, computed values are filled in, and the
        // data source got the provider's greeting on a state seeded from config.
        example.ws.run(APPLY).ok();
        assert_eq!(example.file("a.txt").as_deref(), Some("one"), "{tf:?}");
        let out = example.outputs();
        assert_eq!(out["a"]["value"], file_state("a.txt", "one"), "{tf:?}");
        assert_eq!(
            out["echo"]["value"],
            json!({ "text": "there", "message": "Hi, there", "length": 5 }),
            "{tf:?}"
        );

        // Nothing changed: nothing to do.
        let (code, text) = example.plan();
        assert_eq!(code, 0, "{tf:?}: a no-op plan\n{text}");

        // Update in place: the plan shows the change and the new digest as
        // unknown until apply.
        example.write(&file("a", "a.txt", "two"));
        let (code, text) = example.plan();
        assert_eq!(code, 2, "{tf:?}: {text}");
        assert!(
            text.contains(r#"~ content = "one" -> "two""#),
            "{tf:?}: {text}"
        );
        assert!(text.contains("(known after apply)"), "{tf:?}: {text}");
        assert!(
            text.contains("0 to add, 1 to change, 0 to destroy"),
            "{tf:?}: {text}"
        );
        example.ws.run(APPLY).ok();
        assert_eq!(example.file("a.txt").as_deref(), Some("two"), "{tf:?}");
        assert_eq!(
            example.outputs()["a"]["value"],
            file_state("a.txt", "two"),
            "{tf:?}"
        );
        assert_eq!(example.plan().0, 0, "{tf:?}: no-op after the update");

        // Drift: the file changed behind Terraform's back; refresh sees it.
        std::fs::write(example.files.path().join("a.txt"), "tampered").unwrap();
        let (code, text) = example.plan();
        assert_eq!(code, 2, "{tf:?}: {text}");
        assert!(
            text.contains(r#"~ content = "tampered" -> "two""#),
            "{tf:?}: {text}"
        );
        example.ws.run(APPLY).ok();
        assert_eq!(example.file("a.txt").as_deref(), Some("two"), "{tf:?}");

        // A new name replaces the file.
        example.write(&file("a", "b.txt", "two"));
        let (code, text) = example.plan();
        assert_eq!(code, 2, "{tf:?}: {text}");
        assert!(text.contains("forces replacement"), "{tf:?}: {text}");
        assert!(
            text.contains("1 to add, 0 to change, 1 to destroy"),
            "{tf:?}: {text}"
        );
        example.ws.run(APPLY).ok();
        assert_eq!(example.file("a.txt"), None, "{tf:?}");
        assert_eq!(example.file("b.txt").as_deref(), Some("two"), "{tf:?}");
        assert_eq!(
            example.state()["example_file.a"],
            file_state("b.txt", "two"),
            "{tf:?}"
        );

        // Destroy removes the file and empties the state.
        example
            .ws
            .run(&["destroy", "-auto-approve", "-no-color", "-input=false"])
            .ok();
        assert_eq!(example.file("b.txt"), None, "{tf:?}");
        let listed = example.ws.run(&["state", "list"]).ok();
        assert_eq!(listed.stdout.trim(), "", "{tf:?}");
    }
}

#[test]
fn import_with_the_command_and_with_import_blocks() {
    for tf in matrix() {
        let example = Example::new(tf, &file("a", "a.txt", "bee"));
        std::fs::write(example.files.path().join("a.txt"), "bee").unwrap();
        let imported = example
            .ws
            .run(&[
                "import",
                "-no-color",
                "-input=false",
                "example_file.a",
                "a.txt",
            ])
            .ok();
        assert!(
            imported.stdout.contains("Import successful"),
            "{tf:?}: {}",
            imported.all()
        );
        assert_eq!(
            example.state()["example_file.a"],
            file_state("a.txt", "bee"),
            "{tf:?}"
        );
        // Only the outputs are new (import does not record them): no
        // resource change, so no "Plan:" line.
        let (_, text) = example.plan();
        assert!(
            !text.contains("Plan:"),
            "{tf:?}: the import matches the config\n{text}"
        );

        let missing = example.ws.run(&[
            "import",
            "-no-color",
            "-input=false",
            "example_file.a",
            "nope.txt",
        ]);
        assert!(!missing.success, "{tf:?}");
    }
    for tf in with(Feature::ImportBlock) {
        let example = Example::new(
            tf,
            &format!(
                "import {{\n  to = example_file.c\n  id = \"c.txt\"\n}}\n{}",
                file("c", "c.txt", "sea")
            ),
        );
        std::fs::write(example.files.path().join("c.txt"), "sea").unwrap();
        let (code, text) = example.plan();
        assert_eq!(code, 2, "{tf:?}: {text}");
        assert!(text.contains("1 to import"), "{tf:?}: {text}");
        let applied = example.ws.run(APPLY).ok();
        assert!(
            applied.stdout.contains("1 imported"),
            "{tf:?}: {}",
            applied.all()
        );
        assert_eq!(example.file("c.txt").as_deref(), Some("sea"), "{tf:?}");
        assert_eq!(
            example.state()["example_file.c"],
            file_state("c.txt", "sea"),
            "{tf:?}"
        );
    }
}
