//! The credential chain's remote sources against the emulator's own STS, instance metadata and
//! credentials URI (one loopback port): what each source sends, what comes back, and that the
//! credential it yields reads restore jobs. Which source the chain picks, and which half-set
//! sources it refuses, are unit tests next to the chain (src/alibaba/credentials/chain_tests.rs).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use terraform_provider_dbs::alibaba::credentials::{self, CredentialProvider, REFRESH_MARGIN};
use terraform_provider_dbs::alibaba::{
    AssumeRoleSettings, ClientConfig, CredentialError, ExplicitCredentials, OidcSettings,
    ResolveOptions,
};
use terraform_provider_dbs::emulator::{
    CredentialCall, CredentialService, Emulator, EmulatorConfig, Faults, ImdsMode, Role,
    TaskSource, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, DEFAULT_INSTANCE_ROLE,
    DEFAULT_OIDC_PROVIDER_ARN, DEFAULT_OIDC_TOKEN, DEFAULT_ROLE_ARN, PRESENT,
};

use crate::common::api_support as support;

const TASKS: usize = 23;

async fn emulator_with(config: EmulatorConfig) -> Emulator {
    Emulator::start(EmulatorConfig {
        tasks: TaskSource::Generated {
            count: TASKS,
            seed: 3,
        },
        ..config
    })
    .await
    .unwrap()
}

async fn emulator() -> Emulator {
    emulator_with(EmulatorConfig::default()).await
}

/// An environment in which STS and instance metadata are the emulator.
fn env_for(emu: &Emulator, extra: &[(&str, &str)]) -> HashMap<String, String> {
    [
        ("ALICLOUD_STS_ENDPOINT", emu.url()),
        ("DBS_ECS_METADATA_ENDPOINT", emu.url()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .chain(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    )
    .collect()
}

fn options(emu: &Emulator, extra: &[(&str, &str)], home: Option<&Path>) -> ResolveOptions {
    ResolveOptions {
        env: env_for(emu, extra),
        home_dir: home.map(Path::to_owned),
        ..ResolveOptions::default()
    }
}

fn base_keys() -> [(&'static str, &'static str); 2] {
    [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY_ID),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", DEFAULT_ACCESS_KEY_SECRET),
    ]
}

/// Plans, builds the provider and reads every task with it.
async fn read_all(
    emu: &Emulator,
    explicit: &ExplicitCredentials,
    opts: ResolveOptions,
) -> Result<(CredentialProvider, usize), String> {
    let plan = credentials::plan(explicit, &opts).map_err(|e| e.to_string())?;
    let provider = CredentialProvider::new(plan, opts);
    let client = support::client(ClientConfig {
        credentials: provider.clone(),
        ..support::config(&emu.url())
    });
    let tasks = support::list(&client, 10)
        .await
        .map_err(|e| e.to_string())?;
    Ok((provider, tasks.len()))
}

/// [`read_all`] with nothing but `env` configured; the read must succeed.
async fn read_env(emu: &Emulator, env: &[(&str, &str)]) -> (CredentialProvider, usize) {
    read_all(
        emu,
        &ExplicitCredentials::default(),
        options(emu, env, None),
    )
    .await
    .unwrap()
}

fn sts_calls(emu: &Emulator) -> Vec<CredentialCall> {
    emu.credential_calls()
        .into_iter()
        .filter(|c| c.service == CredentialService::Sts)
        .collect()
}

fn param<'a>(call: &'a CredentialCall, name: &str) -> Option<&'a str> {
    call.params.get(name).map(String::as_str)
}

fn cli_file(dir: &Path, profiles: serde_json::Value) -> PathBuf {
    let path = dir.join("config.json");
    let config = serde_json::json!({"current": "main", "profiles": profiles});
    std::fs::write(&path, config.to_string()).unwrap();
    path
}

fn with_file(path: &Path) -> ExplicitCredentials {
    ExplicitCredentials {
        shared_credentials_file: Some(path.to_owned()),
        ..ExplicitCredentials::default()
    }
}

const POLICY: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"dbs:DescribeRestoreTaskList","Resource":"*"}]}"#;

#[tokio::test]
async fn ram_role_arn_profile_sends_policy_external_id_and_duration() {
    let emu = emulator_with(EmulatorConfig {
        roles: vec![Role::new(DEFAULT_ROLE_ARN).with_external_id("ext-42")],
        ..EmulatorConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let profile = |external_id: &str| {
        serde_json::json!([{
            "name": "main", "mode": "RamRoleArn",
            "access_key_id": DEFAULT_ACCESS_KEY_ID, "access_key_secret": DEFAULT_ACCESS_KEY_SECRET,
            "ram_role_arn": DEFAULT_ROLE_ARN, "ram_session_name": "tf-session",
            "expired_seconds": 900, "policy": POLICY, "external_id": external_id,
            "sts_region": "cn-shanghai", "enable_vpc": true
        }])
    };
    let file = cli_file(dir.path(), profile("ext-42"));
    let (provider, read) = read_all(&emu, &with_file(&file), options(&emu, &[], None))
        .await
        .unwrap();
    assert_eq!(read, TASKS);
    assert_eq!(
        provider.source().to_string(),
        format!("profile \"main\" (mode RamRoleArn) in {}", file.display())
    );
    let calls = sts_calls(&emu);
    assert_eq!(calls.len(), 1, "{calls:?}");
    let call = &calls[0];
    for (name, value) in [
        ("Action", "AssumeRole"),
        ("RoleArn", DEFAULT_ROLE_ARN),
        ("RoleSessionName", "tf-session"),
        ("DurationSeconds", "900"),
        ("Policy", POLICY),
        ("ExternalId", "ext-42"),
    ] {
        assert_eq!(param(call, name), Some(value), "{name} in {call:?}");
    }
    assert_eq!(call.signed_by.as_deref(), Some(DEFAULT_ACCESS_KEY_ID));
    let by_key = emu.dbs_requests_by_key();
    assert!(
        by_key.keys().all(|k| k.starts_with("STS.")),
        "DBS saw only the role's keys: {by_key:?}"
    );

    // A trust policy that wants another external id refuses, and the error says who and why.
    let file = cli_file(dir.path(), profile("wrong"));
    let err = read_all(&emu, &with_file(&file), options(&emu, &[], None))
        .await
        .unwrap_err();
    assert!(
        err.contains("STS AssumeRole of") && err.contains(&emu.url()),
        "{err}"
    );
    assert!(err.contains("RequestId"), "{err}");
    assert!(!err.contains(DEFAULT_ACCESS_KEY_SECRET), "{err}");
    emu.shutdown().await;
}

#[tokio::test]
async fn assume_role_block_chains_over_any_base_and_chained_profiles_sign_with_the_hop_before() {
    let second_role = "acs:ram::1234567890123456:role/dbs-second";
    let emu = emulator_with(EmulatorConfig {
        roles: vec![Role::new(DEFAULT_ROLE_ARN), Role::new(second_role)],
        ..EmulatorConfig::default()
    })
    .await;
    let explicit = ExplicitCredentials {
        assume_role: Some(AssumeRoleSettings {
            role_arn: Some(DEFAULT_ROLE_ARN.into()),
            session_name: Some("pipeline".into()),
            policy: Some(POLICY.into()),
            session_expiration: Some(1800),
            external_id: None,
        }),
        ..ExplicitCredentials::default()
    };
    let (provider, read) = read_all(&emu, &explicit, options(&emu, &base_keys(), None))
        .await
        .unwrap();
    assert_eq!(read, TASKS);
    assert_eq!(
        provider.source().to_string(),
        format!(
            "role {DEFAULT_ROLE_ARN} assumed with environment variable ALIBABA_CLOUD_ACCESS_KEY_ID"
        )
    );
    let call = &sts_calls(&emu)[0];
    assert_eq!(param(call, "DurationSeconds"), Some("1800"));
    assert_eq!(param(call, "Policy"), Some(POLICY));
    assert_eq!(param(call, "ExternalId"), None);

    // ChainableRamRoleArn: the second AssumeRole is signed by the first role's temporary keys.
    let dir = tempfile::tempdir().unwrap();
    let file = cli_file(
        dir.path(),
        serde_json::json!([
            {"name": "base", "mode": "RamRoleArn", "access_key_id": DEFAULT_ACCESS_KEY_ID,
             "access_key_secret": DEFAULT_ACCESS_KEY_SECRET, "ram_role_arn": DEFAULT_ROLE_ARN},
            {"name": "main", "mode": "ChainableRamRoleArn", "source_profile": "base",
             "ram_role_arn": second_role}
        ]),
    );
    let before = sts_calls(&emu).len();
    read_all(&emu, &with_file(&file), options(&emu, &[], None))
        .await
        .unwrap();
    let calls = &sts_calls(&emu)[before..];
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[0].signed_by.as_deref(), Some(DEFAULT_ACCESS_KEY_ID));
    assert_eq!(param(&calls[1], "RoleArn"), Some(second_role));
    let hop = calls[1].signed_by.as_deref().unwrap_or_default();
    assert!(hop.starts_with("STS."), "second hop signed by {hop:?}");
    assert_eq!(param(&calls[1], "SecurityToken"), Some(PRESENT));
    emu.shutdown().await;
}

#[tokio::test]
async fn oidc_from_the_environment_from_the_block_and_a_wrong_token() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{DEFAULT_OIDC_TOKEN}\n")).unwrap();
    let token_path = token_file.to_str().unwrap();
    let oidc_env = [
        ("ALIBABA_CLOUD_ROLE_ARN", DEFAULT_ROLE_ARN),
        ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", DEFAULT_OIDC_PROVIDER_ARN),
        ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", token_path),
        ("ALIBABA_CLOUD_ROLE_SESSION_NAME", "ack-pod"),
    ];
    let (provider, read) = read_env(&emu, &oidc_env).await;
    assert_eq!(read, TASKS);
    assert!(provider.source().to_string().starts_with("OIDC role"));
    let call = &sts_calls(&emu)[0];
    assert_eq!(param(call, "Action"), Some("AssumeRoleWithOIDC"));
    assert_eq!(
        param(call, "OIDCProviderArn"),
        Some(DEFAULT_OIDC_PROVIDER_ARN)
    );
    assert_eq!(param(call, "RoleSessionName"), Some("ack-pod"));
    assert_eq!(param(call, "OIDCToken"), Some(PRESENT));
    assert_eq!(call.signed_by, None, "AssumeRoleWithOIDC is not signed");

    // The block, with a policy and an inline token, replaces keys that are also configured.
    let explicit = ExplicitCredentials {
        assume_role_with_oidc: Some(OidcSettings {
            oidc_provider_arn: Some(DEFAULT_OIDC_PROVIDER_ARN.into()),
            oidc_token: Some(DEFAULT_OIDC_TOKEN.into()),
            role_arn: Some(DEFAULT_ROLE_ARN.into()),
            policy: Some(POLICY.into()),
            session_expiration: Some(3000),
            ..OidcSettings::default()
        }),
        ..ExplicitCredentials::default()
    };
    read_all(&emu, &explicit, options(&emu, &base_keys(), None))
        .await
        .unwrap();
    let call = sts_calls(&emu).pop().unwrap();
    assert_eq!(param(&call, "Policy"), Some(POLICY));
    assert_eq!(param(&call, "DurationSeconds"), Some("3000"));

    std::fs::write(&token_file, "eyJ.not-the-token.x").unwrap();
    let err = read_all(
        &emu,
        &ExplicitCredentials::default(),
        options(&emu, &oidc_env, None),
    )
    .await
    .unwrap_err();
    assert!(
        err.contains("AssumeRoleWithOIDC") && err.contains("RequestId"),
        "{err}"
    );
    assert!(!err.contains("not-the-token"), "{err}");
    emu.shutdown().await;
}

#[tokio::test]
async fn instance_role_uses_imdsv2_and_falls_back_only_when_allowed() {
    for (mode, v1_disabled, outcome) in [
        (ImdsMode::Optional, false, Ok(true)),
        (ImdsMode::Required, false, Ok(true)),
        (ImdsMode::Required, true, Ok(true)),
        (ImdsMode::V1Only, false, Ok(false)),
        (
            ImdsMode::V1Only,
            true,
            Err("ALIBABA_CLOUD_IMDSV1_DISABLED=true"),
        ),
    ] {
        let emu = emulator_with(EmulatorConfig {
            imds: mode,
            ..EmulatorConfig::default()
        })
        .await;
        let flag = if v1_disabled { "true" } else { "false" };
        let env = [
            ("ALIBABA_CLOUD_ECS_METADATA", DEFAULT_INSTANCE_ROLE),
            ("ALIBABA_CLOUD_IMDSV1_DISABLED", flag),
        ];
        let result = read_all(
            &emu,
            &ExplicitCredentials::default(),
            options(&emu, &env, None),
        )
        .await;
        let metadata: Vec<_> = emu
            .credential_calls()
            .into_iter()
            .filter(|c| c.service == CredentialService::Metadata)
            .collect();
        let case = format!("{mode:?} v1_disabled={v1_disabled}");
        match outcome {
            Ok(with_token) => {
                assert_eq!(result.map(|(_, n)| n), Ok(TASKS), "{case}");
                assert_eq!(
                    metadata[0].method, "PUT",
                    "{case}: the token is asked first"
                );
                let get = metadata.iter().find(|c| c.method == "GET").unwrap();
                assert_eq!(
                    get.path,
                    format!("/latest/meta-data/ram/security-credentials/{DEFAULT_INSTANCE_ROLE}")
                );
                assert_eq!(get.metadata_token, with_token, "{case}");
            }
            Err(needle) => {
                let err = result.unwrap_err();
                assert!(
                    err.contains(needle) && err.contains(&emu.url()),
                    "{case}: {err}"
                );
                assert!(
                    metadata.iter().all(|c| c.method == "PUT"),
                    "{case}: no plain GET"
                );
            }
        }
        emu.shutdown().await;
    }
}

#[tokio::test]
async fn an_ecs_ram_role_profile_discovers_the_role_through_imdsv2() {
    let emu = emulator_with(EmulatorConfig {
        imds: ImdsMode::Required,
        ..EmulatorConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = cli_file(
        dir.path(),
        serde_json::json!([{"name": "main", "mode": "EcsRamRole"}]),
    );
    let (provider, read) = read_all(&emu, &with_file(&file), options(&emu, &[], None))
        .await
        .unwrap();
    assert_eq!(read, TASKS);
    assert!(provider.source().to_string().contains("mode EcsRamRole"));
    let gets: Vec<_> = emu
        .credential_calls()
        .into_iter()
        .filter(|c| c.method == "GET")
        .map(|c| (c.path, c.metadata_token))
        .collect();
    assert_eq!(
        gets,
        [
            (
                "/latest/meta-data/ram/security-credentials/".to_owned(),
                true
            ),
            (
                format!("/latest/meta-data/ram/security-credentials/{DEFAULT_INSTANCE_ROLE}"),
                true
            ),
        ]
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn credentials_uri_and_an_external_process() {
    let emu = emulator().await;
    let uri = format!("{}/credentials", emu.url());
    let (provider, read) = read_all(
        &emu,
        &ExplicitCredentials::default(),
        options(&emu, &[("ALIBABA_CLOUD_CREDENTIALS_URI", &uri)], None),
    )
    .await
    .unwrap();
    assert_eq!(read, TASKS);
    assert_eq!(
        provider.source().to_string(),
        format!("credentials URI {uri}")
    );
    assert!(emu
        .credential_calls()
        .iter()
        .any(|c| c.service == CredentialService::CredentialsUri));

    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("print-creds");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s' '{{\"mode\":\"AK\",\"access_key_id\":\"{DEFAULT_ACCESS_KEY_ID}\",\"access_key_secret\":\"{DEFAULT_ACCESS_KEY_SECRET}\"}}'\n"
        ),
    )
    .unwrap();
    let failing = dir.path().join("fail-creds");
    std::fs::write(
        &failing,
        "#!/bin/sh\necho '{\"access_key_secret\":\"leak-me\"}'\nexit 3\n",
    )
    .unwrap();
    for path in [&script, &failing] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let profiles = |command: &Path| {
        serde_json::json!([{"name": "main", "mode": "External",
            "process_command": format!("{} --profile 'dbs reader'", command.display())}])
    };
    let file = cli_file(dir.path(), profiles(&script));
    let (_, read) = read_all(&emu, &with_file(&file), options(&emu, &[], None))
        .await
        .unwrap();
    assert_eq!(read, TASKS);
    let file = cli_file(dir.path(), profiles(&failing));
    let err = read_all(&emu, &with_file(&file), options(&emu, &[], None))
        .await
        .unwrap_err();
    assert!(
        err.contains("fail-creds") && err.contains("exit status: 3"),
        "{err}"
    );
    assert!(
        !err.contains("leak-me") && !err.contains("dbs reader"),
        "{err}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn keys_in_the_environment_beat_every_remote_source() {
    let emu = emulator().await;
    let mut env: Vec<(&str, &str)> = base_keys().to_vec();
    env.extend([
        ("ALIBABA_CLOUD_CREDENTIALS_URI", "http://127.0.0.1:9/never"),
        ("ALIBABA_CLOUD_ECS_METADATA", "NeverAsked"),
    ]);
    let (provider, read) = read_env(&emu, &env).await;
    assert_eq!(read, TASKS);
    assert!(provider.fixed_keys().is_some());
    assert!(
        emu.credential_calls().is_empty(),
        "no remote source was asked"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn short_lived_credentials_are_renewed_during_a_long_read() {
    // Credentials that live 2 s past the renewal margin: the read outlasts them several times.
    let emu = emulator_with(EmulatorConfig {
        credential_lifetime: REFRESH_MARGIN + Duration::from_secs(2),
        faults: Faults {
            latency: Duration::from_millis(700),
            ..Faults::default()
        },
        ..EmulatorConfig::default()
    })
    .await;
    let explicit = ExplicitCredentials {
        assume_role: Some(AssumeRoleSettings {
            role_arn: Some(DEFAULT_ROLE_ARN.into()),
            ..AssumeRoleSettings::default()
        }),
        ..ExplicitCredentials::default()
    };
    let opts = options(&emu, &base_keys(), None);
    let plan = credentials::plan(&explicit, &opts).unwrap();
    let client = support::client(ClientConfig {
        credentials: CredentialProvider::new(plan, opts),
        max_concurrency: 1,
        ..support::config(&emu.url())
    });
    // 23 tasks, 3 per page: 8 pages of 0.7 s each.
    let tasks = support::list(&client, 3).await.unwrap();
    assert_eq!(tasks.len(), TASKS);
    let renewals = sts_calls(&emu).len();
    let keys = emu.dbs_requests_by_key();
    assert!(renewals >= 2, "{renewals} AssumeRole calls");
    assert!(keys.len() >= 2, "pages were signed by {keys:?}");
    assert!(keys.keys().all(|k| k.starts_with("STS.")));
    emu.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_sts_names_source_and_endpoint() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let explicit = ExplicitCredentials {
        sts_endpoint: Some(url.clone()),
        assume_role: Some(AssumeRoleSettings {
            role_arn: Some(DEFAULT_ROLE_ARN.into()),
            ..AssumeRoleSettings::default()
        }),
        ..ExplicitCredentials::default()
    };
    let opts = ResolveOptions {
        env: base_keys()
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..ResolveOptions::default()
    };
    let err = credentials::resolve_credentials(&explicit, &opts)
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialError::Sts { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("could not connect") && text.contains(&url),
        "{text}"
    );
}

#[tokio::test]
async fn profile_modes_that_call_out_oidc_credentials_uri_and_the_ini_file() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, DEFAULT_OIDC_TOKEN).unwrap();
    let uri = format!("{}/credentials", emu.url());
    let file = cli_file(
        dir.path(),
        serde_json::json!([
            {"name": "oidc", "mode": "OIDC", "ram_role_arn": DEFAULT_ROLE_ARN,
             "oidc_provider_arn": DEFAULT_OIDC_PROVIDER_ARN, "oidc_token_file": token,
             "role_session_name": "profile-oidc", "policy": POLICY},
            {"name": "uri", "mode": "CredentialsURI", "credentials_uri": uri}
        ]),
    );
    for (name, service) in [
        ("oidc", CredentialService::Sts),
        ("uri", CredentialService::CredentialsUri),
    ] {
        let before = emu.credential_calls().len();
        let explicit = ExplicitCredentials {
            profile: Some(name.into()),
            ..with_file(&file)
        };
        let (_, read) = read_all(&emu, &explicit, options(&emu, &[], None))
            .await
            .unwrap();
        assert_eq!(read, TASKS, "{name}");
        let calls = &emu.credential_calls()[before..];
        assert!(
            calls.iter().all(|c| c.service == service),
            "{name}: {calls:?}"
        );
        if name == "oidc" {
            assert_eq!(param(&calls[0], "RoleSessionName"), Some("profile-oidc"));
            assert_eq!(param(&calls[0], "Policy"), Some(POLICY));
        }
    }

    // The official library's INI file, when no CLI profile is configured.
    let ini = dir.path().join("credentials.ini");
    std::fs::write(
        &ini,
        format!(
            "[default]\ntype = ram_role_arn\naccess_key_id = {DEFAULT_ACCESS_KEY_ID}\n\
             access_key_secret = {DEFAULT_ACCESS_KEY_SECRET}\nrole_arn = {DEFAULT_ROLE_ARN}\n\
             role_session_name = from-ini\n"
        ),
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let before = sts_calls(&emu).len();
    let (provider, read) = read_all(
        &emu,
        &ExplicitCredentials::default(),
        options(
            &emu,
            &[("ALIBABA_CLOUD_CREDENTIALS_FILE", ini.to_str().unwrap())],
            Some(home.path()),
        ),
    )
    .await
    .unwrap();
    assert_eq!(read, TASKS);
    assert!(provider
        .source()
        .to_string()
        .starts_with("section [default] (type ram_role_arn)"));
    let call = &sts_calls(&emu)[before];
    assert_eq!(param(call, "RoleSessionName"), Some("from-ini"));
    assert_eq!(call.signed_by.as_deref(), Some(DEFAULT_ACCESS_KEY_ID));
    emu.shutdown().await;
}
