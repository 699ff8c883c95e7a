//! Every Terraform of the matrix loads the provider over mandatory mTLS.

use crate::common::fixture::{expected_task, fixture_tasks};
use crate::common::terraform::REQUIRED_PROVIDERS;
use crate::common::terraform::{matrix, Workspace};

/// The part after the shared `terraform` block.
const PROVIDER_ONLY_BODY: &str = r#"
provider "dbs" {
  region = "cn-hangzhou"
}
"#;

fn provider_only() -> String {
    format!("{REQUIRED_PROVIDERS}{PROVIDER_ONLY_BODY}")
}

#[test]
fn providers_schema_json_lists_provider_and_data_source_with_descriptions() {
    for tf in matrix() {
        let ws = Workspace::new(
            tf,
            &format!(
                "{}\ndata \"dbs_restore_tasks\" \"all\" {{}}\n",
                provider_only()
            ),
        );
        let out = ws.run(&["providers", "schema", "-json"]).ok();
        let json: serde_json::Value = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("{tf:?}: {e}\n{}", out.all()));
        let schemas = &json["provider_schemas"];
        let (address, provider) = schemas
            .as_object()
            .unwrap()
            .iter()
            .next()
            .expect("one provider");
        assert!(address.ends_with("example/dbs"), "{address}");
        let provider_attrs = provider["provider"]["block"]["attributes"]
            .as_object()
            .unwrap();
        assert!(provider_attrs["secret_key"]["sensitive"].as_bool().unwrap());
        let ds = &provider["data_source_schemas"]["dbs_restore_tasks"]["block"];
        let attrs = ds["attributes"].as_object().unwrap();
        for (name, attr) in provider_attrs.iter().chain(attrs.iter()) {
            assert!(
                attr["description"].as_str().is_some_and(|d| !d.is_empty()),
                "{tf:?}: {name} has no description"
            );
        }
        // `tasks` is a plain list(object): every field of its type has a
        // row in the attribute's markdown.
        let tasks = &attrs["tasks"];
        assert_eq!(tasks["type"][0], "list", "{tf:?}: {tasks}");
        assert_eq!(tasks["type"][1][0], "object", "{tf:?}: {tasks}");
        let fields = tasks["type"][1][1].as_object().unwrap();
        // As many fields as the fixture helper expects of a task: the 36 of the SDK's
        // model plus the three times as RFC 3339 text.
        let expected = expected_task(&fixture_tasks()[0]);
        let mut want: Vec<&String> = expected.as_object().unwrap().keys().collect();
        let mut got: Vec<&String> = fields.keys().collect();
        want.sort();
        got.sort();
        assert_eq!(got.len(), 39, "{tf:?}");
        assert_eq!(got, want, "{tf:?}");
        let description = tasks["description"].as_str().unwrap();
        for name in fields.keys() {
            let row = format!("| `{name}` |");
            assert!(
                description
                    .lines()
                    .any(|l| l.starts_with(&row) && l.len() > row.len() + 12),
                "{tf:?}: tasks.{name} has no described row in:\n{description}"
            );
        }
    }
}

#[test]
fn validation_error_points_at_the_attribute() {
    for tf in matrix() {
        let ws = Workspace::new(
            tf,
            &format!(
                "{}\ndata \"dbs_restore_tasks\" \"bad\" {{\n  page_size = 0\n}}\n",
                provider_only()
            ),
        );
        let out = ws.run(&["plan", "-no-color", "-input=false"]);
        assert!(!out.success, "{tf:?} plan must fail");
        let text = out.all();
        assert!(text.contains("Invalid page_size"), "{tf:?}: {text}");
        assert!(
            text.contains("page_size = 0"),
            "{tf:?} points at the line: {text}"
        );
    }
}

#[test]
fn debug_mode_reattach_is_accepted_by_terraform_1_15() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(crate::common::plugin::provider_binary())
        .arg("--debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut reattach = None;
    for _ in 0..10 {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if let Some(rest) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
            reattach = Some(rest.trim_end_matches('\'').to_string());
            break;
        }
    }
    let reattach = reattach.expect("debug mode prints TF_REATTACH_PROVIDERS");
    let parsed: serde_json::Value = serde_json::from_str(&reattach).unwrap();
    assert_eq!(
        parsed["registry.terraform.io/example/dbs"]["Pid"],
        child.id()
    );
    let ws = Workspace::new(
        crate::common::terraform::Tf::V1_15_5,
        &format!(
            "{}\ndata \"dbs_restore_tasks\" \"bad\" {{\n  name_regex = \"([\"\n}}\n",
            provider_only()
        ),
    )
    .env("TF_REATTACH_PROVIDERS", &reattach);
    // No dev_overrides and no init: only the reattached process can answer.
    std::fs::write(ws.path().join("cli.tfrc"), "").unwrap();
    let mut command = ws.command(&["plan", "-no-color", "-input=false"]);
    command.env("TF_REATTACH_PROVIDERS", &reattach);
    let out = crate::common::terraform::TfOutput::from(command.output().unwrap());
    let _ = child.kill();
    let _ = child.wait();
    assert!(!out.success);
    assert!(out.all().contains("Invalid name_regex"), "{}", out.all());
}
