//! The protocol layer against a client that behaves like Terraform: the real
//! binary, real gRPC, real mTLS with a P-521 CA=true client certificate.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::plugin::{spawn_plugin, started_like_terraform, ClientIdentity, Presented};
use terraform_provider_dbs::emulator::{Emulator, EmulatorConfig, Faults, TaskSource};
use terraform_provider_dbs::plugin::cty::{self, Value};
use terraform_provider_dbs::plugin::wire::go_plugin::{
    grpc_broker_client::GrpcBrokerClient, grpc_controller_client::GrpcControllerClient,
    grpc_stdio_client::GrpcStdioClient, ConnInfo, Empty,
};
use terraform_provider_dbs::plugin::wire::tfplugin6::{
    self as wire, provider_client::ProviderClient,
};
use tonic_health::pb::{health_client::HealthClient, HealthCheckRequest};

/// The config type of a schema block, rebuilt from what Terraform received,
/// as Terraform does (nested attributes here are lists of objects).
fn block_type(block: Option<&wire::schema::Block>) -> cty::CtyType {
    let attribute_type = |a: &wire::schema::Attribute| match &a.nested_type {
        Some(nested) => {
            cty::CtyType::list(cty::CtyType::object(nested.attributes.iter().map(|n| {
                (
                    n.name.clone(),
                    cty::CtyType::from_json_bytes(&n.r#type).unwrap(),
                )
            })))
        }
        None => cty::CtyType::from_json_bytes(&a.r#type).unwrap(),
    };
    let block = block.unwrap();
    // Nested blocks, as Terraform types them: a single block is an object, others lists of them.
    let nested = block.block_types.iter().map(|b| {
        let object = block_type(b.block.as_ref());
        let single = b.nesting == wire::schema::nested_block::NestingMode::Single as i32;
        (
            b.type_name.clone(),
            if single {
                object
            } else {
                cty::CtyType::list(object)
            },
        )
    });
    cty::CtyType::object(
        block
            .attributes
            .iter()
            .map(|a| (a.name.clone(), attribute_type(a)))
            .chain(nested),
    )
}

fn restore_tasks_type(schema: &wire::get_provider_schema::Response) -> cty::CtyType {
    block_type(
        schema.data_source_schemas["dbs_restore_tasks"]
            .block
            .as_ref(),
    )
}

fn provider_type(schema: &wire::get_provider_schema::Response) -> cty::CtyType {
    block_type(schema.provider.as_ref().unwrap().block.as_ref())
}

fn null_config(ty: &cty::CtyType, set: &[(&str, Value)]) -> Value {
    let cty::CtyType::Object(attrs) = ty else {
        panic!("object type")
    };
    Value::object(attrs.keys().map(|k| {
        let v = set
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Null);
        (k.clone(), v)
    }))
}

async fn validate_restore_tasks(
    provider: &mut ProviderClient<tonic::transport::Channel>,
    config: wire::DynamicValue,
) -> Vec<wire::Diagnostic> {
    provider
        .validate_data_resource_config(wire::validate_data_resource_config::Request {
            type_name: "dbs_restore_tasks".into(),
            config: Some(config),
        })
        .await
        .unwrap()
        .into_inner()
        .diagnostics
}

fn summaries(diagnostics: &[wire::Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| {
            assert_eq!(
                d.severity,
                wire::diagnostic::Severity::Error as i32,
                "{d:?}"
            );
            format!("{}: {}", d.summary, d.detail)
        })
        .collect()
}

/// Calls the RPC `$rpc` with a request of `wire::$rpc` (or `wire::$module` where the two names
/// differ) holding the fields given, the others left empty, and returns its answer.
macro_rules! answer_of {
    ($provider:ident, $rpc:ident, { $($field:ident : $value:expr),* $(,)? }) => {
        answer_of!($provider, $rpc: $rpc, { $($field: $value),* })
    };
    ($provider:ident, $rpc:ident : $module:ident, { $($field:ident : $value:expr),* $(,)? }) => {{
        #[allow(clippy::needless_update)] // some requests have no field besides these
        let request = wire::$module::Request { $($field: $value,)* ..Default::default() };
        $provider.$rpc(request).await.unwrap().into_inner()
    }};
}

/// [`answer_of`] for a unary RPC: the RPC's name with the diagnostics of its answer.
macro_rules! diagnostics_of {
    ($provider:ident, $rpc:ident $(: $module:ident)?, $fields:tt) => {
        (stringify!($rpc), answer_of!($provider, $rpc $(: $module)?, $fields).diagnostics)
    };
}

/// Asserts that each RPC answered with exactly the one error `expected`.
fn assert_each_answered(answers: &[(&str, Vec<wire::Diagnostic>)], expected: &str) {
    for (rpc, diagnostics) in answers {
        assert_eq!(summaries(diagnostics), [expected], "{rpc}");
    }
}

/// Every RPC beyond the data-source ones, as a client would call it for a
/// type this provider does not have.
async fn check_every_other_rpc_answers(provider: &mut ProviderClient<tonic::transport::Channel>) {
    let identity = answer_of!(provider, get_resource_identity_schemas, {});
    assert!(identity.identity_schemas.is_empty() && identity.diagnostics.is_empty());
    let functions = answer_of!(provider, get_functions, {});
    assert!(functions.functions.is_empty() && functions.diagnostics.is_empty());
    let called = answer_of!(provider, call_function, { name: "parse".into(), arguments: vec![] });
    assert_eq!(
        called.error.unwrap().text,
        "Function \"parse\" not found: this provider has no functions."
    );

    let name = || "dbs_thing".to_string();
    let resources = [
        diagnostics_of!(provider, validate_resource_config, { type_name: name() }),
        diagnostics_of!(provider, upgrade_resource_state, { type_name: name() }),
        diagnostics_of!(provider, read_resource, { type_name: name() }),
        diagnostics_of!(provider, plan_resource_change, { type_name: name() }),
        diagnostics_of!(provider, apply_resource_change, { type_name: name() }),
        diagnostics_of!(provider, import_resource_state, { type_name: name(), id: "x".into() }),
    ];
    assert_each_answered(
        &resources,
        "Unknown resource type: Resource type \"dbs_thing\" not found: this provider has no such \
         resource.",
    );

    // The other kinds of thing this provider has none of, each with the answers of its RPCs.
    let not_found = |one: &str, many: &str, answers: &[(&str, Vec<wire::Diagnostic>)]| {
        let expected = format!(
            "Unsupported {one}: The {one} \"dbs_thing\" was not found: this provider has no {many}."
        );
        assert_each_answered(answers, &expected);
    };
    let ephemeral = [
        diagnostics_of!(provider, validate_ephemeral_resource_config, { type_name: name() }),
        diagnostics_of!(provider, open_ephemeral_resource, { type_name: name() }),
        diagnostics_of!(provider, renew_ephemeral_resource, { type_name: name() }),
        diagnostics_of!(provider, close_ephemeral_resource, { type_name: name() }),
    ];
    not_found("ephemeral resource", "ephemeral resources", &ephemeral);

    let mut listed = answer_of!(provider, list_resource, { type_name: name() });
    let event = listed.message().await.unwrap().unwrap();
    assert!(listed.message().await.unwrap().is_none(), "one event only");
    let lists = [
        ("list_resource", event.diagnostic),
        diagnostics_of!(provider, validate_list_resource_config, { type_name: name() }),
    ];
    not_found("list resource", "list resources", &lists);

    let validated = diagnostics_of!(provider, validate_state_store_config: validate_state_store, {
        type_name: name()
    });
    let configured = diagnostics_of!(provider, configure_state_store, { type_name: name() });
    let mut read =
        answer_of!(provider, read_state_bytes, { type_name: name(), state_id: "default".into() });
    let read = read.message().await.unwrap().unwrap().diagnostics;
    let chunk = wire::write_state_bytes::RequestChunk {
        meta: Some(wire::RequestChunkMeta {
            type_name: name(),
            state_id: "default".into(),
        }),
        ..Default::default()
    };
    let written = provider
        .write_state_bytes(tokio_stream::iter([chunk]))
        .await
        .unwrap()
        .into_inner()
        .diagnostics;
    let stores = [
        validated,
        configured,
        ("read_state_bytes", read),
        ("write_state_bytes", written),
        diagnostics_of!(provider, lock_state, { type_name: name() }),
        diagnostics_of!(provider, unlock_state, { type_name: name() }),
        diagnostics_of!(provider, get_states, { type_name: name() }),
        diagnostics_of!(provider, delete_state, { type_name: name(), state_id: "default".into() }),
    ];
    not_found("state store", "state stores", &stores);

    let planned = diagnostics_of!(provider, plan_action, { action_type: name() });
    let mut invoked = answer_of!(provider, invoke_action, { action_type: name() });
    let invoked = match invoked.message().await.unwrap().unwrap().r#type {
        Some(wire::invoke_action::event::Type::Completed(done)) => done.diagnostics,
        other => panic!("expected a completed event, got {other:?}"),
    };
    let actions = [
        planned,
        ("invoke_action", invoked),
        diagnostics_of!(provider, validate_action_config, { type_name: name() }),
    ];
    not_found("action", "actions", &actions);

    let identities = [diagnostics_of!(provider, upgrade_resource_identity, { type_name: name() })];
    not_found("resource identity", "resource identities", &identities);

    let (_, moved) = diagnostics_of!(provider, move_resource_state, { target_type_name: name() });
    assert_eq!(moved[0].summary, "Moving resource state not supported");
    let (_, generated) = diagnostics_of!(provider, generate_resource_config, { type_name: name() });
    assert_eq!(generated[0].summary, "Config generation not supported");
}

#[tokio::test]
async fn terraform_like_client_walks_every_rpc_then_shuts_down() {
    let mut plugin = spawn_plugin(&[]);
    assert_eq!(plugin.network, "unix");
    let channel = plugin.terraform_channel().await;

    let mut health = HealthClient::new(channel.clone());
    let status = health
        .check(HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        status.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    // go-plugin opens these at start-up.
    let mut stdio = GrpcStdioClient::new(channel.clone())
        .stream_stdio(())
        .await
        .unwrap()
        .into_inner();
    let (_broker_tx, broker_rx) = tokio::sync::mpsc::channel::<ConnInfo>(1);
    let _broker = GrpcBrokerClient::new(channel.clone())
        .start_stream(tokio_stream::wrappers::ReceiverStream::new(broker_rx))
        .await
        .unwrap();

    let mut provider = ProviderClient::new(channel.clone());
    let metadata = provider
        .get_metadata(wire::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(metadata.data_sources[0].type_name, "dbs_restore_tasks");

    let schema = answer_of!(provider, get_provider_schema, {});
    let provider_schema = schema
        .provider
        .as_ref()
        .expect("provider schema must not be null");
    let block = provider_schema.block.as_ref().unwrap();
    assert!(block.attributes.iter().all(|a| !a.description.is_empty()));
    let secret = block
        .attributes
        .iter()
        .find(|a| a.name == "secret_key")
        .unwrap();
    assert!(secret.sensitive);

    let ty = restore_tasks_type(&schema);
    let encode = |v: &Value| wire::DynamicValue {
        msgpack: cty::encode(v, &ty).unwrap(),
        json: vec![],
    };

    // An invalid config: the diagnostic names the attribute.
    let bad = null_config(&ty, &[("page_size", Value::Number(0.into()))]);
    let diags = validate_restore_tasks(&mut provider, encode(&bad)).await;
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].severity, wire::diagnostic::Severity::Error as i32);
    let step = &diags[0].attribute.as_ref().unwrap().steps[0];
    assert_eq!(
        step.selector,
        Some(wire::attribute_path::step::Selector::AttributeName(
            "page_size".into()
        ))
    );

    // Unknown values are skipped, not failed (msgpack ext 0).
    let unknown = null_config(
        &ty,
        &[
            ("page_size", Value::Unknown),
            ("name_regex", Value::Unknown),
        ],
    );
    let diags = validate_restore_tasks(&mut provider, encode(&unknown)).await;
    assert!(diags.is_empty(), "{diags:?}");

    let provider_ty = provider_type(&schema);
    let provider_config = null_config(&provider_ty, &[]);
    let diags = provider
        .validate_provider_config(wire::validate_provider_config::Request {
            config: Some(wire::DynamicValue {
                msgpack: cty::encode(&provider_config, &provider_ty).unwrap(),
                json: vec![],
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .diagnostics;
    assert!(diags.is_empty(), "{diags:?}");

    let stopped = provider
        .stop_provider(wire::stop_provider::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stopped.error, "");

    // What this provider does not offer is answered, not UNIMPLEMENTED:
    // discovery calls say "none", the others say what was not found.
    check_every_other_rpc_answers(&mut provider).await;

    let started = Instant::now();
    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .unwrap();
    // Generous: without Shutdown the plugin would serve until killed.
    let status = plugin
        .wait_exit(Duration::from_secs(10))
        .expect("provider exits after Shutdown");
    assert!(status.success(), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    // The stdio stream ends cleanly (an end of stream, not an error) rather than hanging; lines
    // still buffered before the end are skipped.
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stdio.message().await {
                Ok(Some(_)) => continue,
                other => break other,
            }
        }
    })
    .await
    .expect("the stdio stream ends after Shutdown");
    assert!(matches!(ended, Ok(None)), "{ended:?}");
    assert!(
        !std::path::Path::new(&plugin.address).exists(),
        "socket removed"
    );
}

#[tokio::test]
async fn client_without_certificate_is_refused() {
    let plugin = spawn_plugin(&[]);
    let result = async {
        let channel = plugin.connect(Presented::Nothing).await?;
        ProviderClient::new(channel)
            .get_metadata(wire::get_metadata::Request {})
            .await
            .map_err(|s| s.to_string())
            .map(|_| ())
            .map_err(|e| -> Box<dyn std::error::Error> { e.into() })?;
        Ok::<_, Box<dyn std::error::Error>>(())
    }
    .await;
    assert!(
        result.is_err(),
        "a client without a certificate must not get an answer"
    );
}

#[tokio::test]
async fn client_with_another_certificate_is_refused() {
    let plugin = spawn_plugin(&[]);
    let stranger = ClientIdentity::terraform_like();
    let result = async {
        let channel = plugin.connect(Presented::The(&stranger)).await?;
        ProviderClient::new(channel)
            .get_metadata(wire::get_metadata::Request {})
            .await
            .map_err(|s| -> Box<dyn std::error::Error> { s.to_string().into() })?;
        Ok::<_, Box<dyn std::error::Error>>(())
    }
    .await;
    assert!(
        result.is_err(),
        "a client with another certificate must not get an answer"
    );
    // The rightful client still gets in afterwards.
    let channel = plugin.terraform_channel().await;
    ProviderClient::new(channel)
        .get_metadata(wire::get_metadata::Request {})
        .await
        .unwrap();
}

#[tokio::test]
async fn socket_directory_is_private() {
    let plugin = spawn_plugin(&[]);
    let dir = std::path::Path::new(&plugin.address).parent().unwrap();
    let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{}", dir.display());
}

#[tokio::test]
async fn tcp_fallback_honours_port_range() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let range = port.to_string();
    let plugin = spawn_plugin(&[
        ("TF_PLUGIN_TRANSPORT", "tcp"),
        ("PLUGIN_MIN_PORT", &range),
        ("PLUGIN_MAX_PORT", &range),
    ]);
    assert_eq!(plugin.network, "tcp");
    assert_eq!(plugin.address, format!("127.0.0.1:{port}"));
    let channel = plugin.terraform_channel().await;
    ProviderClient::new(channel)
        .get_metadata(wire::get_metadata::Request {})
        .await
        .unwrap();
}

#[test]
fn without_the_cookie_it_explains_and_exits_1() {
    let output = Command::new(crate::common::plugin::provider_binary())
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("This binary is a plugin"), "{stderr}");
    assert!(output.stdout.is_empty());
}

/// Starts the provider as Terraform would, but for `change`, and asserts that it exits with 1 and
/// says `why` on stderr.
fn started_like_terraform_exits_1(change: impl FnOnce(&mut Command) -> &mut Command, why: &str) {
    let mut command = started_like_terraform(&crate::common::plugin::provider_binary());
    let output = change(&mut command).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains(why));
}

#[test]
fn protocol_5_only_is_refused_clearly() {
    started_like_terraform_exits_1(
        |c| c.env("PLUGIN_PROTOCOL_VERSIONS", "5"),
        "speaks only version 6",
    );
}

#[test]
fn missing_client_certificate_is_refused() {
    started_like_terraform_exits_1(|c| c.env_remove("PLUGIN_CLIENT_CERT"), "PLUGIN_CLIENT_CERT");
}

#[test]
fn version_flag() {
    let output = Command::new(crate::common::plugin::provider_binary())
        .arg("--version")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("terraform-provider-dbs {}", env!("CARGO_PKG_VERSION"))
    );
}

/// Configures the provider against `url` over gRPC, as Terraform would.
async fn configure(
    provider: &mut ProviderClient<tonic::transport::Channel>,
    schema: &wire::get_provider_schema::Response,
    url: &str,
) {
    let ty = provider_type(schema);
    let config = null_config(
        &ty,
        &[
            ("region", Value::String("cn-hangzhou".into())),
            ("endpoint", Value::String(url.into())),
            (
                "access_key",
                Value::String(terraform_provider_dbs::emulator::DEFAULT_ACCESS_KEY_ID.into()),
            ),
            (
                "secret_key",
                Value::String(terraform_provider_dbs::emulator::DEFAULT_ACCESS_KEY_SECRET.into()),
            ),
        ],
    );
    let diags = provider
        .configure_provider(wire::configure_provider::Request {
            terraform_version: "1.15.5".into(),
            config: Some(wire::DynamicValue {
                msgpack: cty::encode(&config, &ty).unwrap(),
                json: vec![],
            }),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner()
        .diagnostics;
    assert!(diags.is_empty(), "{diags:?}");
}

fn read_request(ty: &cty::CtyType) -> wire::read_data_source::Request {
    wire::read_data_source::Request {
        type_name: "dbs_restore_tasks".into(),
        config: Some(wire::DynamicValue {
            msgpack: cty::encode(&null_config(ty, &[]), ty).unwrap(),
            json: vec![],
        }),
        provider_meta: None,
        client_capabilities: None,
    }
}

#[tokio::test]
async fn read_data_source_over_mtls_grpc() {
    let emulator = Emulator::start(EmulatorConfig {
        tasks: TaskSource::Generated {
            count: 250,
            seed: 3,
        },
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let plugin = spawn_plugin(&[]);
    let mut provider = ProviderClient::new(plugin.terraform_channel().await);
    let schema = answer_of!(provider, get_provider_schema, {});
    configure(&mut provider, &schema, &emulator.url()).await;
    let ty = restore_tasks_type(&schema);
    let response = provider
        .read_data_source(read_request(&ty))
        .await
        .unwrap()
        .into_inner();
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    let state = cty::decode(&response.state.unwrap().msgpack, &ty).unwrap();
    assert_eq!(state.attr("total_count").as_i64(), Some(250));
    let tasks = state.attr("tasks").as_elements().unwrap();
    assert_eq!(tasks.len(), 250);
    let mut ids: Vec<&str> = tasks
        .iter()
        .map(|t| t.attr("id").as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 250, "every task exactly once");
    emulator.shutdown().await;
}

#[tokio::test]
async fn stop_provider_cancels_an_in_flight_read_promptly() {
    let emulator = Emulator::start(EmulatorConfig {
        faults: Faults {
            latency: Duration::from_secs(20),
            ..Faults::default()
        },
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let plugin = spawn_plugin(&[]);
    let channel = plugin.terraform_channel().await;
    let mut provider = ProviderClient::new(channel.clone());
    let schema = answer_of!(provider, get_provider_schema, {});
    configure(&mut provider, &schema, &emulator.url()).await;
    let ty = restore_tasks_type(&schema);
    let mut reader = ProviderClient::new(channel.clone());
    let request = read_request(&ty);
    let read = tokio::spawn(async move { reader.read_data_source(request).await });
    let deadline = Instant::now() + Duration::from_secs(10);
    while emulator.request_count() == 0 {
        assert!(Instant::now() < deadline, "the read never reached the API");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stopped_at = Instant::now();
    provider
        .stop_provider(wire::stop_provider::Request {})
        .await
        .unwrap();
    // The answer would take 20 s; half of that is a generous bound that still proves the stop.
    let response = tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("the read returns well before the 20 s answer")
        .unwrap()
        .unwrap()
        .into_inner();
    assert!(stopped_at.elapsed() < Duration::from_secs(10));
    assert!(response.state.is_none());
    let summary = &response.diagnostics[0].summary;
    assert!(summary.contains("cancelled"), "{:?}", response.diagnostics);

    // A stop cancels what is in flight, not the reads that follow it.
    emulator.set_faults(Faults::default());
    let again = ProviderClient::new(channel)
        .read_data_source(read_request(&ty))
        .await
        .unwrap()
        .into_inner();
    assert!(again.diagnostics.is_empty(), "{:?}", again.diagnostics);
    assert!(again.state.is_some());
    emulator.shutdown().await;
}
