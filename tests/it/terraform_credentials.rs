//! The credential settings as Terraform users write them: an `assume_role` block over keys from
//! the environment, and OIDC (RRSA) from the variables ACK sets, read by real Terraform on every
//! version of the matrix, with the emulator as DBS, STS and nothing else.

use terraform_provider_dbs::emulator::{
    CredentialService, EmulatorConfig, Role, TaskSource, DEFAULT_OIDC_PROVIDER_ARN,
    DEFAULT_OIDC_TOKEN, DEFAULT_ROLE_ARN,
};

use crate::common::emulator::{sample_fixture, RunningEmulator};
use crate::common::fixture::fixture_tasks;
use crate::common::terraform::{matrix, outputs, Workspace};

use crate::common::terraform::REQUIRED_PROVIDERS as HEADER;

const READ: &str = r#"
data "dbs_restore_tasks" "all" {}
output "count" { value = data.dbs_restore_tasks.all.total_count }
"#;

fn emulator() -> RunningEmulator {
    RunningEmulator::start_with(EmulatorConfig {
        tasks: TaskSource::Fixture(sample_fixture()),
        roles: vec![Role::new(DEFAULT_ROLE_ARN).with_external_id("pipeline-7")],
        ..EmulatorConfig::default()
    })
}

fn apply(ws: &Workspace) -> serde_json::Value {
    ws.run(&["apply", "-auto-approve", "-no-color", "-input=false"])
        .ok();
    outputs(&ws.run(&["output", "-json"]).ok())
}

#[test]
fn assume_role_block_over_environment_keys_on_every_terraform() {
    let emu = emulator();
    let provider = format!(
        r#"
provider "dbs" {{
  sts_endpoint = "{}"
  assume_role {{
    role_arn           = "{DEFAULT_ROLE_ARN}"
    session_name       = "terraform-ci"
    policy             = jsonencode({{ Version = "1", Statement = [{{ Effect = "Allow", Action = "dbs:DescribeRestoreTaskList", Resource = "*" }}] }})
    session_expiration = 1800
    external_id        = "pipeline-7"
  }}
}}
"#,
        emu.url()
    );
    for tf in matrix() {
        let before = emu.emulator.as_ref().unwrap().credential_calls().len();
        let ws = Workspace::new(tf, &format!("{HEADER}{provider}{READ}")).with_emulator(&emu);
        let out = apply(&ws);
        assert_eq!(out["count"]["value"], fixture_tasks().len(), "{tf:?}");
        let emulator = emu.emulator.as_ref().unwrap();
        let calls: Vec<_> = emulator.credential_calls()[before..]
            .iter()
            .filter(|c| c.service == CredentialService::Sts)
            .cloned()
            .collect();
        assert!(!calls.is_empty(), "{tf:?}: no AssumeRole call");
        for call in &calls {
            let p = |k: &str| call.params.get(k).map(String::as_str);
            assert_eq!(p("RoleSessionName"), Some("terraform-ci"), "{tf:?}");
            assert_eq!(p("DurationSeconds"), Some("1800"), "{tf:?}");
            assert_eq!(p("ExternalId"), Some("pipeline-7"), "{tf:?}");
            assert!(
                p("Policy").is_some_and(|s| s.contains("dbs:DescribeRestoreTaskList")),
                "{tf:?}"
            );
        }
        let keys = emulator.dbs_requests_by_key();
        assert!(
            keys.keys().all(|k| k.starts_with("STS.")),
            "{tf:?}: DBS saw {keys:?}"
        );
    }
}

#[test]
fn oidc_from_the_environment_and_block_errors_at_the_attribute() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, DEFAULT_OIDC_TOKEN).unwrap();
    for tf in matrix() {
        let ws = Workspace::new(tf, &format!("{HEADER}provider \"dbs\" {{}}\n{READ}"))
            .env("ALIBABA_CLOUD_ENDPOINT_DBS", &emu.url())
            .env("ALIBABA_CLOUD_REGION", "cn-hangzhou")
            .env("ALIBABA_CLOUD_STS_ENDPOINT", &emu.url())
            .env("ALIBABA_CLOUD_ROLE_ARN", DEFAULT_ROLE_ARN)
            .env("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", DEFAULT_OIDC_PROVIDER_ARN)
            .env("ALIBABA_CLOUD_OIDC_TOKEN_FILE", token.to_str().unwrap());
        let oidc_calls = || {
            emu.emulator
                .as_ref()
                .unwrap()
                .credential_calls()
                .iter()
                .filter(|c| c.action.as_deref() == Some("AssumeRoleWithOIDC") && c.status == 200)
                .count()
        };
        let before = oidc_calls();
        assert_eq!(
            apply(&ws)["count"]["value"],
            fixture_tasks().len(),
            "{tf:?}"
        );
        // Terraform starts the provider once or twice per apply, depending on the version.
        assert!(oidc_calls() > before, "{tf:?}: no OIDC exchange");

        // A half-set OIDC configuration fails at ConfigureProvider, naming what is missing.
        let half = Workspace::new(tf, &format!("{HEADER}provider \"dbs\" {{}}\n{READ}"))
            .env("ALIBABA_CLOUD_ENDPOINT_DBS", &emu.url())
            .env("ALIBABA_CLOUD_REGION", "cn-hangzhou")
            .env("ALIBABA_CLOUD_OIDC_TOKEN_FILE", token.to_str().unwrap());
        let out = half.run(&["plan", "-no-color", "-input=false"]);
        assert!(!out.success, "{tf:?}");
        let text = out.all();
        assert!(
            text.contains("No usable Alibaba Cloud credentials"),
            "{tf:?}: {text}"
        );
        assert!(
            text.contains("ALIBABA_CLOUD_OIDC_PROVIDER_ARN"),
            "{tf:?}: {text}"
        );

        let bad = Workspace::new(
            tf,
            &format!(
                "{HEADER}provider \"dbs\" {{\n  assume_role {{\n    role_arn = \"{DEFAULT_ROLE_ARN}\"\n    session_expiration = 60\n  }}\n}}\n{READ}"
            ),
        )
        .with_emulator(&emu);
        let out = bad.run(&["validate", "-no-color"]);
        assert!(!out.success, "{tf:?}");
        let text = out.all();
        assert!(
            text.contains("Invalid session_expiration") && text.contains("between 900 and 43200"),
            "{tf:?}: {text}"
        );
    }
}
