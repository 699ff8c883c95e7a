//! Which source the chain picks, and which half-set sources it refuses: all decided without the
//! network, so every case is a plain unit test. What the remote sources then do is tested against
//! the emulator's STS, metadata and credentials URI (tests/it/credentials_chain.rs).

use std::path::{Path, PathBuf};

use super::*;
use crate::alibaba::credentials::plan::{Base, OidcToken, Plan, RoleToAssume};
use crate::alibaba::credentials::{env, AssumeRoleSettings, CredentialSource, OidcSettings};

fn opts(env: &[(&str, &str)]) -> ResolveOptions {
    ResolveOptions::with_env(env)
}

fn with_home(env: &[(&str, &str)], home: &Path) -> ResolveOptions {
    ResolveOptions {
        home_dir: Some(home.to_owned()),
        ..opts(env)
    }
}

fn none() -> ExplicitCredentials {
    ExplicitCredentials::default()
}

fn keys_block(id: &str, secret: &str) -> ExplicitCredentials {
    ExplicitCredentials {
        access_key: Some(id.into()),
        secret_key: Some(secret.into()),
        ..none()
    }
}

fn planned(explicit: &ExplicitCredentials, o: &ResolveOptions) -> Plan {
    super::plan(explicit, o).unwrap_or_else(|e| panic!("expected a plan, got: {e}"))
}

fn refused(explicit: &ExplicitCredentials, o: &ResolveOptions) -> String {
    match super::plan(explicit, o) {
        Ok(p) => panic!("expected an error, got a plan from {}", p.source),
        Err(e) => e.to_string(),
    }
}

/// [`refused`], asserting that the message says each of `needles`; the message.
fn refused_saying(explicit: &ExplicitCredentials, o: &ResolveOptions, needles: &[&str]) -> String {
    let text = refused(explicit, o);
    for needle in needles {
        assert!(text.contains(needle), "no {needle:?} in: {text}");
    }
    text
}

fn keys_of(p: &Plan) -> (&str, &str, Option<&str>) {
    match &p.base {
        Base::Keys(c) => (
            c.access_key_id.as_str(),
            c.access_key_secret.as_str(),
            c.security_token.as_deref(),
        ),
        other => panic!("expected keys, got {other:?}"),
    }
}

#[test]
fn the_provider_block_wins_and_never_takes_a_token_from_the_environment() {
    let o = opts(&[
        ("ALICLOUD_ACCESS_KEY", "env-id"),
        ("ALICLOUD_SECRET_KEY", "env-secret"),
        ("ALIBABA_CLOUD_SECURITY_TOKEN", "stale-token"),
    ]);
    let p = planned(&keys_block("attr-id", "attr-secret"), &o);
    assert_eq!(keys_of(&p), ("attr-id", "attr-secret", None));
    assert_eq!(p.source, CredentialSource::Setting("access_key"));
    assert!(p.roles.is_empty());
    let with_token = ExplicitCredentials {
        security_token: Some("attr-token".into()),
        ..keys_block("attr-id", "attr-secret")
    };
    assert_eq!(keys_of(&planned(&with_token, &o)).2, Some("attr-token"));
}

#[test]
fn a_half_set_provider_block_is_an_error_naming_the_missing_half() {
    let o = opts(&[("ALICLOUD_SECRET_KEY", "env-secret")]);
    let id_only = ExplicitCredentials {
        access_key: Some("attr-id".into()),
        ..none()
    };
    refused_saying(
        &id_only,
        &o,
        &[
            "an access key id is set (setting `access_key`)",
            "its secret_key",
            "never completed from the environment",
        ],
    );
    let secret_only = ExplicitCredentials {
        secret_key: Some("s3cr3t-value".into()),
        ..none()
    };
    let text = refused_saying(&secret_only, &opts(&[]), &["its access_key"]);
    assert!(!text.contains("s3cr3t-value"), "{text}");
    let token_only = ExplicitCredentials {
        security_token: Some("t0ken-value".into()),
        ..none()
    };
    let text = refused_saying(&token_only, &o, &["a security token is set"]);
    assert!(!text.contains("t0ken-value"), "{text}");
}

#[test]
fn each_variable_family_is_read_whole_and_in_order() {
    for family in env::KEY_FAMILIES {
        let o = opts(&[
            (family.id, "id"),
            (family.secret, "secret"),
            (family.token, "token"),
        ]);
        let p = planned(&none(), &o);
        assert_eq!(
            keys_of(&p),
            ("id", "secret", Some("token")),
            "{}",
            family.id
        );
        assert_eq!(p.source, CredentialSource::Environment(family.id));
    }
    // The first configured family wins, and its token only: the second family's stays unused.
    let o = opts(&[
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "second-id"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "second-secret"),
        ("ALIBABACLOUD_SECURITY_TOKEN", "third-token"),
        ("ALIBABACLOUD_ACCESS_KEY_ID", "third-id"),
        ("ALIBABACLOUD_ACCESS_KEY_SECRET", "third-secret"),
    ]);
    assert_eq!(
        keys_of(&planned(&none(), &o)),
        ("second-id", "second-secret", None)
    );
    // Blank counts as unset.
    let o = opts(&[
        ("ALICLOUD_ACCESS_KEY", " "),
        ("ALIBABACLOUD_ACCESS_KEY_ID", "third-id"),
        ("ALIBABACLOUD_ACCESS_KEY_SECRET", "third-secret"),
    ]);
    assert_eq!(keys_of(&planned(&none(), &o)).0, "third-id");
}

#[test]
fn a_key_is_never_put_together_from_two_families() {
    let o = opts(&[
        ("ALICLOUD_ACCESS_KEY", "id"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret"),
    ]);
    refused_saying(
        &none(),
        &o,
        &[
            "environment variable ALICLOUD_ACCESS_KEY",
            "ALICLOUD_SECRET_KEY",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET is set, but a key is never put together",
        ],
    );
    // A token without its family's keys is half a source too.
    let text = refused_saying(
        &none(),
        &opts(&[("ALIBABA_CLOUD_SECURITY_TOKEN", "tok-value")]),
        &["a security token is set", "ALIBABA_CLOUD_ACCESS_KEY_ID"],
    );
    assert!(!text.contains("tok-value"));
}

const ROLE: &str = "acs:ram::1234567890123456:role/dbs-reader";
const OIDC_PROVIDER: &str = "acs:ram::1234567890123456:oidc-provider/ack-rrsa";

#[test]
fn oidc_from_the_environment_needs_all_three_variables() {
    let o = opts(&[
        ("ALIBABA_CLOUD_ROLE_ARN", ROLE),
        ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", OIDC_PROVIDER),
        (
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
            "/var/run/secrets/tokens/oidc-token",
        ),
        ("ALIBABA_CLOUD_ROLE_SESSION_NAME", "ci-run-42"),
    ]);
    let p = planned(&none(), &o);
    let Base::Oidc(role) = &p.base else {
        panic!("{:?}", p.base)
    };
    assert_eq!(role.role_arn, ROLE);
    assert_eq!(role.provider_arn, OIDC_PROVIDER);
    assert_eq!(role.session_name, "ci-run-42");
    assert!(
        matches!(&role.token, OidcToken::File(f) if f == Path::new("/var/run/secrets/tokens/oidc-token"))
    );
    // ALIBABA_CLOUD_ROLE_ARN belongs to OIDC here: no second role is assumed.
    assert!(p.roles.is_empty());

    let two = opts(&[
        ("ALIBABA_CLOUD_ROLE_ARN", ROLE),
        ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/t"),
    ]);
    refused_saying(
        &none(),
        &two,
        &["OIDC is set", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN"],
    );
}

#[test]
fn a_role_variable_alone_is_assumed_on_top_of_the_keys() {
    for var in env::ASSUME_ROLE_ARN {
        let o = opts(&[
            ("ALICLOUD_ACCESS_KEY", "id"),
            ("ALICLOUD_SECRET_KEY", "secret"),
            (var, ROLE),
        ]);
        let p = planned(&none(), &o);
        assert_eq!(keys_of(&p).0, "id");
        assert_eq!(p.roles.len(), 1, "{var}");
        assert_eq!(p.roles[0].role_arn, ROLE);
        assert_eq!(p.roles[0].duration_seconds, 3600);
        assert_eq!(p.roles[0].session_name, "terraform-provider-dbs");
        assert_eq!(p.roles[0].sts_endpoint, "https://sts.aliyuncs.com");
        assert_eq!(
            p.source.to_string(),
            format!("role {ROLE} assumed with environment variable ALICLOUD_ACCESS_KEY")
        );
    }
}

#[test]
fn credentials_uri_and_instance_role_come_after_oidc_and_before_profiles() {
    let home = tempfile::tempdir().unwrap();
    write_cli(
        home.path(),
        r#"{"current":"p","profiles":[{"name":"p","mode":"AK","access_key_id":"file-id","access_key_secret":"s"}]}"#,
    );
    let all = [
        ("ALIBABA_CLOUD_ROLE_ARN", ROLE),
        ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", OIDC_PROVIDER),
        ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/t"),
        (
            "ALIBABA_CLOUD_CREDENTIALS_URI",
            "http://127.0.0.1:9/credentials?token=abc",
        ),
        ("ALIBABA_CLOUD_ECS_METADATA", "EcsDbsRole"),
    ];
    let expected = [
        "OIDC",
        "credentials URI",
        "ECS instance RAM role",
        "profile \"p\"",
    ];
    for (skip, source) in expected.iter().enumerate() {
        // Drop the first `skip` sources (OIDC is the first three variables).
        let from = if skip == 0 { 0 } else { skip + 2 };
        let o = with_home(&all[from..], home.path());
        let p = planned(&none(), &o);
        assert!(
            p.source.to_string().starts_with(source),
            "{skip}: {}",
            p.source
        );
    }
    let o = with_home(&all[3..4], home.path());
    assert_eq!(
        planned(&none(), &o).source.to_string(),
        "credentials URI http://127.0.0.1:9/credentials",
        "the query (which may hold a token) is never shown"
    );
}

#[test]
fn credentials_uri_and_instance_role_from_attribute_or_variables() {
    let explicit = ExplicitCredentials {
        credentials_uri: Some("http://127.0.0.1:9/c".into()),
        ..none()
    };
    assert!(
        matches!(planned(&explicit, &opts(&[])).base, Base::CredentialsUri(ref u) if u == "http://127.0.0.1:9/c")
    );
    for var in env::CREDENTIALS_URI {
        assert!(matches!(
            planned(&none(), &opts(&[(var, "https://agent.local/c")])).base,
            Base::CredentialsUri(_)
        ));
    }
    let bad = ExplicitCredentials {
        credentials_uri: Some("ftp://x".into()),
        ..none()
    };
    assert!(refused(&bad, &opts(&[])).contains("invalid setting `credentials_uri`"));

    let explicit = ExplicitCredentials {
        ecs_role_name: Some("AttrRole".into()),
        ..none()
    };
    let p = planned(&explicit, &opts(&[("ALICLOUD_ECS_ROLE_NAME", "EnvRole")]));
    assert!(
        matches!(&p.base, Base::InstanceRole { role: Some(r), imdsv1_allowed: true, endpoint } if r == "AttrRole" && endpoint == "http://100.100.100.200")
    );
    for var in env::ECS_ROLE_NAME {
        let o = opts(&[
            (var, "EnvRole"),
            ("ALIBABA_CLOUD_IMDSV1_DISABLED", "true"),
            ("DBS_ECS_METADATA_ENDPOINT", "http://127.0.0.1:9"),
        ]);
        let p = planned(&none(), &o);
        assert!(
            matches!(&p.base, Base::InstanceRole { role: Some(r), imdsv1_allowed: false, endpoint } if r == "EnvRole" && endpoint == "http://127.0.0.1:9"),
            "{var}"
        );
    }
}

fn write_cli(home: &Path, json: &str) -> PathBuf {
    let path = home.join(".aliyun").join("config.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, json).unwrap();
    path
}

/// A home directory holding the aliyun CLI config [`CLI`].
fn home_with_cli() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    write_cli(home.path(), CLI);
    home
}

fn write_ini(home: &Path, text: &str) -> PathBuf {
    let path = home.join(".alibabacloud").join("credentials.ini");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

const CLI: &str = r#"{
  "current": "ak",
  "profiles": [
    {"name": "ak", "mode": "AK", "access_key_id": "ak-id", "access_key_secret": "ak-secret", "region_id": "cn-beijing"},
    {"name": "nomode", "access_key_id": "n-id", "access_key_secret": "n-secret"},
    {"name": "sts", "mode": "StsToken", "access_key_id": "STS.id", "access_key_secret": "sts-secret", "sts_token": "sts-token"},
    {"name": "halfsts", "mode": "StsToken", "access_key_id": "STS.id", "access_key_secret": "sts-secret"},
    {"name": "role", "mode": "RamRoleArn", "access_key_id": "r-id", "access_key_secret": "r-secret",
     "ram_role_arn": "acs:ram::1:role/a", "ram_session_name": "sess", "expired_seconds": 900,
     "policy": "{\"Statement\":[]}", "external_id": "ext-1", "sts_region": "cn-shanghai", "enable_vpc": true},
    {"name": "chain", "mode": "ChainableRamRoleArn", "source_profile": "role", "ram_role_arn": "acs:ram::2:role/b", "expired_seconds": "1800"},
    {"name": "chain2", "mode": "ChainableRamRoleArn", "source_profile": "chain", "ram_role_arn": "acs:ram::3:role/c"},
    {"name": "loop", "mode": "ChainableRamRoleArn", "source_profile": "loop", "ram_role_arn": "acs:ram::4:role/d"},
    {"name": "ecs", "mode": "EcsRamRole", "ram_role_name": "EcsDbsRole"},
    {"name": "ecs-any", "mode": "EcsRamRole"},
    {"name": "oidc", "mode": "OIDC", "ram_role_arn": "acs:ram::5:role/e", "oidc_provider_arn": "acs:ram::5:oidc-provider/p", "oidc_token_file": "/var/token", "role_session_name": "o-sess"},
    {"name": "uri", "mode": "CredentialsURI", "credentials_uri": "http://127.0.0.1:9/credentials"},
    {"name": "ext", "mode": "External", "process_command": "/usr/local/bin/get-creds --profile dbs"},
    {"name": "sso", "mode": "CloudSSO"},
    {"name": "oauth", "mode": "OAuth"},
    {"name": "rsa", "mode": "RsaKeyPair", "private_key": "x"},
    {"name": "badexp", "mode": "RamRoleArn", "access_key_id": "r-id", "access_key_secret": "r-secret", "ram_role_arn": "acs:ram::1:role/a", "expired_seconds": 60}
  ]
}"#;

fn profile(name: &str) -> ExplicitCredentials {
    ExplicitCredentials {
        profile: Some(name.into()),
        ..none()
    }
}

#[test]
fn cli_profiles_static_modes_and_which_profile() {
    let home = tempfile::tempdir().unwrap();
    let path = write_cli(home.path(), CLI);
    let o = with_home(&[], home.path());
    let p = planned(&none(), &o);
    assert_eq!(keys_of(&p), ("ak-id", "ak-secret", None));
    assert_eq!(p.region.as_deref(), Some("cn-beijing"));
    assert_eq!(
        p.source,
        CredentialSource::Profile {
            path: path.clone(),
            profile: "ak".into(),
            mode: Some("AK".into())
        }
    );
    assert_eq!(
        keys_of(&planned(&profile("nomode"), &o)).0,
        "n-id",
        "no mode means AK"
    );
    assert_eq!(keys_of(&planned(&profile("sts"), &o)).2, Some("sts-token"));
    for var in env::PROFILE {
        let o = with_home(&[(var, "sts")], home.path());
        assert_eq!(keys_of(&planned(&none(), &o)).0, "STS.id", "{var}");
        // The attribute beats the variable.
        assert_eq!(keys_of(&planned(&profile("nomode"), &o)).0, "n-id", "{var}");
    }
    refused_saying(&profile("halfsts"), &o, &["has no sts_token"]);
    refused_saying(
        &profile("nope"),
        &o,
        &["\"nope\" is not in", "ak, nomode, sts"],
    );
}

#[test]
fn cli_role_profiles_carry_every_setting_to_sts() {
    let home = home_with_cli();
    let o = with_home(&[("ALIBABA_CLOUD_STS_REGION", "eu-central-1")], home.path());
    let p = planned(&profile("role"), &o);
    assert_eq!(keys_of(&p), ("r-id", "r-secret", None));
    assert_eq!(
        p.roles,
        vec![RoleToAssume {
            role_arn: "acs:ram::1:role/a".into(),
            session_name: "sess".into(),
            policy: Some("{\"Statement\":[]}".into()),
            external_id: Some("ext-1".into()),
            duration_seconds: 900,
            // The profile's own sts_region and enable_vpc beat the environment's region.
            sts_endpoint: "https://sts-vpc.cn-shanghai.aliyuncs.com".into(),
        }]
    );
    let p = planned(&profile("chain2"), &o);
    assert_eq!(
        keys_of(&p).0,
        "r-id",
        "a chain starts from the innermost source profile"
    );
    let roles: Vec<_> = p
        .roles
        .iter()
        .map(|r| {
            (
                r.role_arn.as_str(),
                r.duration_seconds,
                r.sts_endpoint.as_str(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            (
                "acs:ram::1:role/a",
                900,
                "https://sts-vpc.cn-shanghai.aliyuncs.com"
            ),
            (
                "acs:ram::2:role/b",
                1800,
                "https://sts.eu-central-1.aliyuncs.com"
            ),
            (
                "acs:ram::3:role/c",
                3600,
                "https://sts.eu-central-1.aliyuncs.com"
            ),
        ]
    );
    assert!(refused(&profile("loop"), &o).contains("back to itself"));
    refused_saying(&profile("badexp"), &o, &["expired_seconds", "900 to 43200"]);
    // sts_endpoint beats every profile's region.
    let pinned = ExplicitCredentials {
        sts_endpoint: Some("http://127.0.0.1:9".into()),
        ..profile("chain")
    };
    assert!(planned(&pinned, &o)
        .roles
        .iter()
        .all(|r| r.sts_endpoint == "http://127.0.0.1:9"));
}

#[test]
fn cli_remote_modes_and_interactive_ones() {
    let home = home_with_cli();
    let o = with_home(
        &[("DBS_ECS_METADATA_ENDPOINT", "http://127.0.0.1:9")],
        home.path(),
    );
    assert!(
        matches!(planned(&profile("ecs"), &o).base, Base::InstanceRole { role: Some(ref r), ref endpoint, .. } if r == "EcsDbsRole" && endpoint == "http://127.0.0.1:9")
    );
    assert!(matches!(
        planned(&profile("ecs-any"), &o).base,
        Base::InstanceRole { role: None, .. }
    ));
    let Base::Oidc(role) = planned(&profile("oidc"), &o).base else {
        panic!()
    };
    assert_eq!(
        (role.role_arn.as_str(), role.session_name.as_str()),
        ("acs:ram::5:role/e", "o-sess")
    );
    assert!(matches!(
        planned(&profile("uri"), &o).base,
        Base::CredentialsUri(_)
    ));
    assert!(
        matches!(planned(&profile("ext"), &o).base, Base::External { ref command, .. } if command.starts_with("/usr/local/bin/get-creds"))
    );
    for mode in ["sso", "oauth"] {
        refused_saying(
            &profile(mode),
            &o,
            &["interactive browser login", "assume_role_with_oidc"],
        );
    }
    refused_saying(
        &profile("rsa"),
        &o,
        &["\"RsaKeyPair\"", "supported modes are"],
    );
}

#[test]
fn the_cli_profile_can_be_disabled() {
    let home = home_with_cli();
    let o = with_home(
        &[("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")],
        home.path(),
    );
    refused_saying(
        &none(),
        &o,
        &["skipped: ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true"],
    );
    write_ini(
        home.path(),
        "[default]\ntype = access_key\naccess_key_id = ini-id\naccess_key_secret = ini-secret\n",
    );
    assert_eq!(keys_of(&planned(&none(), &o)).0, "ini-id");
}

#[test]
fn an_ini_credentials_file_never_breaks_a_working_cli_profile() {
    let home = home_with_cli();
    let ini = home.path().join("credentials.ini");
    std::fs::write(
        &ini,
        "[default]\ntype = access_key\naccess_key_id = ini-id\naccess_key_secret = ini-secret\n",
    )
    .unwrap();
    let o = with_home(
        &[("ALIBABA_CLOUD_CREDENTIALS_FILE", ini.to_str().unwrap())],
        home.path(),
    );
    assert_eq!(
        keys_of(&planned(&none(), &o)).0,
        "ak-id",
        "the JSON profile wins"
    );
    // Without a CLI profile the INI file serves.
    let bare = tempfile::tempdir().unwrap();
    let o = with_home(
        &[("ALIBABA_CLOUD_CREDENTIALS_FILE", ini.to_str().unwrap())],
        bare.path(),
    );
    let p = planned(&none(), &o);
    assert_eq!(keys_of(&p).0, "ini-id");
    assert_eq!(
        p.source.to_string(),
        format!("section [default] (type access_key) of {}", ini.display())
    );
    // ALIBABA_CLOUD_CREDENTIALS_FILE holding JSON is read as the CLI file (the alicloud reading).
    let json = bare.path().join("cli.json");
    std::fs::write(&json, CLI).unwrap();
    let o = with_home(
        &[("ALIBABA_CLOUD_CREDENTIALS_FILE", json.to_str().unwrap())],
        bare.path(),
    );
    assert_eq!(keys_of(&planned(&none(), &o)).0, "ak-id");
}

#[test]
fn ini_types() {
    let home = tempfile::tempdir().unwrap();
    write_ini(
        home.path(),
        "[default]\ntype = ram_role_arn\naccess_key_id = i\naccess_key_secret = s\nrole_arn = acs:ram::1:role/x\npolicy = {\"Statement\":[]}\n\
         [ecs]\ntype = ecs_ram_role\nrole_name = R\n\
         [oidc]\ntype = oidc_role_arn\nrole_arn = acs:ram::1:role/o\noidc_provider_arn = acs:ram::1:oidc-provider/p\noidc_token_file_path = /t\n\
         [half]\ntype = access_key\naccess_key_id = i\n\
         [off]\nenable = false\ntype = access_key\n\
         [rsa]\ntype = rsa_key_pair\n",
    );
    let o = with_home(&[], home.path());
    let p = planned(&none(), &o);
    assert_eq!(p.roles[0].role_arn, "acs:ram::1:role/x");
    assert_eq!(p.roles[0].policy.as_deref(), Some("{\"Statement\":[]}"));
    assert!(
        matches!(planned(&profile("ecs"), &o).base, Base::InstanceRole { role: Some(ref r), .. } if r == "R")
    );
    assert!(matches!(planned(&profile("oidc"), &o).base, Base::Oidc(_)));
    assert!(refused(&profile("half"), &o).contains("has no access_key_secret"));
    assert!(refused(&profile("off"), &o).contains("enable = false"));
    assert!(refused(&profile("rsa"), &o).contains("supported types are"));
    assert!(refused(&profile("none"), &o).contains("\"none\" is not in"));
}

#[test]
fn nothing_anywhere_names_every_place_in_order() {
    let home = tempfile::tempdir().unwrap();
    let text = refused(&none(), &with_home(&[], home.path()));
    let places = [
        "`access_key`",
        "`secret_key`",
        "ALICLOUD_ACCESS_KEY",
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABACLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
        "`credentials_uri`",
        "ALIBABA_CLOUD_CREDENTIALS_URI",
        "`ecs_role_name`",
        "ALIBABA_CLOUD_ECS_METADATA",
        "config.json (file not found)",
        "credentials.ini (file not found)",
    ];
    let mut last = 0;
    for place in places {
        let at = text[last..]
            .find(place)
            .unwrap_or_else(|| panic!("{place} missing (or out of order) in: {text}"));
        last += at;
    }
    assert!(refused(&none(), &opts(&[])).contains("no home directory is known"));
}

#[test]
fn files_named_explicitly_must_exist_and_parse_without_leaking() {
    let explicit = ExplicitCredentials {
        shared_credentials_file: Some("/nonexistent/dbs/config.json".into()),
        ..none()
    };
    assert!(refused(&explicit, &opts(&[])).contains("/nonexistent/dbs/config.json"));
    refused_saying(
        &none(),
        &opts(&[("ALIBABA_CLOUD_CREDENTIALS_FILE", "/nonexistent/creds.ini")]),
        &["/nonexistent/creds.ini"],
    );
    let home = tempfile::tempdir().unwrap();
    write_cli(
        home.path(),
        r#"{"profiles":[{"name":"x","access_key_secret":"leaky-secret""#,
    );
    let text = refused_saying(
        &none(),
        &with_home(&[], home.path()),
        &["not a valid aliyun CLI config"],
    );
    assert!(!text.contains("leaky-secret"), "{text}");
}

#[test]
fn the_assume_role_block_goes_on_top_of_any_base() {
    let home = home_with_cli();
    let block = AssumeRoleSettings {
        role_arn: Some(ROLE.into()),
        session_name: Some("tf".into()),
        policy: Some("{}".into()),
        session_expiration: Some(7200),
        external_id: Some("abc".into()),
    };
    let explicit = ExplicitCredentials {
        assume_role: Some(block.clone()),
        ..profile("role")
    };
    let p = planned(&explicit, &with_home(&[], home.path()));
    assert_eq!(p.roles.len(), 2, "the profile's role, then the block's");
    assert_eq!(
        p.roles[1],
        RoleToAssume {
            role_arn: ROLE.into(),
            session_name: "tf".into(),
            policy: Some("{}".into()),
            external_id: Some("abc".into()),
            duration_seconds: 7200,
            sts_endpoint: "https://sts.aliyuncs.com".into(),
        }
    );
    let out_of_range = ExplicitCredentials {
        assume_role: Some(AssumeRoleSettings {
            session_expiration: Some(600),
            ..block.clone()
        }),
        ..keys_block("i", "s")
    };
    assert!(refused(&out_of_range, &opts(&[])).contains("assume_role.session_expiration"));
    let no_arn = ExplicitCredentials {
        assume_role: Some(AssumeRoleSettings::default()),
        ..keys_block("i", "s")
    };
    refused_saying(
        &no_arn,
        &opts(&[]),
        &["its role_arn", "ALICLOUD_ASSUME_ROLE_ARN"],
    );
    let arn_from_env = planned(&no_arn, &opts(&[("ALICLOUD_ASSUME_ROLE_ARN", ROLE)]));
    assert_eq!(arn_from_env.roles[0].role_arn, ROLE);
}

#[test]
fn the_oidc_block_replaces_the_base_and_falls_back_to_its_variables() {
    let block = OidcSettings {
        oidc_provider_arn: Some(OIDC_PROVIDER.into()),
        oidc_token: Some("inline-jwt".into()),
        role_arn: Some(ROLE.into()),
        policy: Some("{}".into()),
        session_expiration: Some(900),
        ..OidcSettings::default()
    };
    let explicit = ExplicitCredentials {
        assume_role_with_oidc: Some(block),
        ..keys_block("i", "s")
    };
    let p = planned(
        &explicit,
        &opts(&[("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::9:role/other")]),
    );
    let Base::Oidc(role) = &p.base else { panic!() };
    assert_eq!(role.role_arn, ROLE);
    assert_eq!(role.duration_seconds, 900);
    assert!(matches!(role.token, OidcToken::Inline(ref t) if t == "inline-jwt"));
    assert!(
        p.roles.is_empty(),
        "ALIBABA_CLOUD_ROLE_ARN belongs to OIDC, not assume_role"
    );
    assert!(
        !format!("{p:?}").contains("inline-jwt"),
        "Debug redacts the token"
    );

    let from_env = ExplicitCredentials {
        assume_role_with_oidc: Some(OidcSettings::default()),
        ..none()
    };
    let o = opts(&[
        ("ALIBABA_CLOUD_ROLE_ARN", ROLE),
        ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", OIDC_PROVIDER),
        ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/t"),
    ]);
    assert!(
        matches!(planned(&from_env, &o).base, Base::Oidc(ref r) if matches!(r.token, OidcToken::File(_)))
    );
    refused_saying(
        &from_env,
        &opts(&[("ALIBABA_CLOUD_ROLE_ARN", ROLE)]),
        &["its oidc_provider_arn", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN"],
    );
}

#[test]
fn debug_output_redacts_secrets() {
    let c = Credentials {
        access_key_id: "id".into(),
        access_key_secret: "the-secret".into(),
        security_token: Some("the-token".into()),
    };
    let e = ExplicitCredentials {
        secret_key: Some("the-secret".into()),
        security_token: Some("the-token".into()),
        credentials_uri: Some("http://127.0.0.1/c?token=the-token".into()),
        ..none()
    };
    let o = opts(&[("ALICLOUD_SECRET_KEY", "the-secret")]);
    let p = planned(&keys_block("id", "the-secret"), &opts(&[]));
    for text in [
        format!("{c:?}"),
        format!("{e:?}"),
        format!("{o:?}"),
        format!("{p:?}"),
    ] {
        assert!(
            !text.contains("the-secret") && !text.contains("the-token"),
            "{text}"
        );
    }
    assert!(format!("{c:?}").contains("\"id\""));
}

#[test]
fn a_bad_sts_endpoint_only_matters_when_a_role_is_assumed() {
    let keys = [
        ("ALICLOUD_ACCESS_KEY", "id"),
        ("ALICLOUD_SECRET_KEY", "secret"),
        ("ALICLOUD_STS_ENDPOINT", "http://sts.example.com"),
    ];
    assert_eq!(keys_of(&planned(&none(), &opts(&keys))).0, "id");
    let mut with_role = keys.to_vec();
    with_role.push(("ALICLOUD_ASSUME_ROLE_ARN", ROLE));
    refused_saying(
        &none(),
        &opts(&with_role),
        &["invalid ALICLOUD_STS_ENDPOINT", "loopback"],
    );
}

#[test]
fn plans_of_remote_sources_show_no_query_or_arguments() {
    let uri = ExplicitCredentials {
        credentials_uri: Some("http://127.0.0.1:9/c?token=uri-s3cret".into()),
        ..none()
    };
    let shown = format!("{:?}", planned(&uri, &opts(&[])));
    assert!(
        !shown.contains("uri-s3cret") && shown.contains("127.0.0.1:9/c"),
        "{shown}"
    );
    let home = home_with_cli();
    let shown = format!(
        "{:?}",
        planned(&profile("ext"), &with_home(&[], home.path()))
    );
    assert!(
        shown.contains("/usr/local/bin/get-creds") && !shown.contains("--profile"),
        "{shown}"
    );
}

#[test]
fn the_oidc_block_does_not_hide_a_half_set_key() {
    let explicit = ExplicitCredentials {
        access_key: Some("attr-id".into()),
        assume_role_with_oidc: Some(OidcSettings {
            oidc_provider_arn: Some(OIDC_PROVIDER.into()),
            oidc_token: Some("jwt".into()),
            role_arn: Some(ROLE.into()),
            ..OidcSettings::default()
        }),
        ..none()
    };
    assert!(refused(&explicit, &opts(&[])).contains("its secret_key"));
}
