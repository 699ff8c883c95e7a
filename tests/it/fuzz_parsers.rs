//! Mutation fuzzing on stable Rust: seeds from `tests/fixtures/fuzz/`,
//! mutated under proptest, fed to the three parsers that read untrusted
//! bytes — the cty msgpack decoder (Terraform's values), the API response
//! parser (the network) and the aliyun CLI profile file (the user's disk).
//! The only property is the one that matters at a trust boundary: no panic,
//! whatever the input. `FUZZ_CASES` sets the number of cases per target
//! (default 300, a few seconds in the test command).

use std::path::PathBuf;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use terraform_provider_dbs::alibaba::restore_tasks::parse_page;
use terraform_provider_dbs::alibaba::{
    resolve_credentials, ApiError, ExplicitCredentials, ResolveOptions,
};
use terraform_provider_dbs::plugin::cty::{self, CtyType, Value};
use terraform_provider_dbs::plugin::Provider;
use terraform_provider_dbs::provider::DbsProvider;

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target);
    let mut seeds: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let bytes = if path.extension().is_some_and(|e| e == "hex") {
                decode_hex(std::str::from_utf8(&bytes).unwrap())
            } else {
                bytes
            };
            (path.display().to_string(), bytes)
        })
        .collect();
    seeds.sort();
    assert!(seeds.len() >= 3, "{target}: corpus too small");
    seeds.into_iter().map(|(_, b)| b).collect()
}

fn decode_hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<String>() + "\n"
}

/// One edit of a seed.
#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1..=255u8).prop_map(|(i, x)| Mutation::Flip(i, x)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), 1..16usize).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<usize>(), 1..32usize).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len().max(1);
        match m {
            Mutation::Truncate(at) => bytes.truncate(at % len),
            Mutation::Flip(at, x) => {
                if !bytes.is_empty() {
                    let i = at % bytes.len();
                    bytes[i] ^= x;
                }
            }
            Mutation::Insert(at, extra) => {
                let i = at % (bytes.len() + 1);
                bytes.splice(i..i, extra.iter().copied());
            }
            Mutation::Delete(at, n) => {
                let i = at % len;
                let end = (i + n).min(bytes.len());
                if i < end {
                    bytes.drain(i..end);
                }
            }
            Mutation::Duplicate(at, n) => {
                let i = at % len;
                let end = (i + n).min(bytes.len());
                if i < end {
                    let run: Vec<u8> = bytes[i..end].to_vec();
                    bytes.splice(end..end, run);
                }
            }
        }
    }
    bytes
}

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

/// Runs `check` on mutated seeds; proptest reports (and shrinks) any panic.
fn fuzz(target: &str, check: impl Fn(&[u8])) {
    let seeds = corpus(target);
    for seed in &seeds {
        check(seed);
    }
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (0..seeds.len(), prop::collection::vec(mutation(), 1..6));
    runner
        .run(&strategy, |(index, mutations)| {
            let input = apply(seeds[index].clone(), &mutations);
            check(&input);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{target}: {e}"));
}

fn schema_types() -> Vec<CtyType> {
    let provider = DbsProvider::new();
    let mut types = vec![provider.schema().value_type()];
    types.extend(
        provider
            .data_sources()
            .iter()
            .map(|d| d.schema().value_type()),
    );
    types.push(CtyType::Dynamic);
    types
}

#[test]
fn msgpack_decoder_never_panics() {
    let types = schema_types();
    fuzz("msgpack", |bytes| {
        for ty in &types {
            if let Ok(value) = cty::decode(bytes, ty) {
                // Whatever decodes must encode again.
                cty::encode(&value, ty).expect("a decoded value re-encodes");
            }
        }
    });
}

#[test]
fn api_response_parser_never_panics() {
    fuzz("api_response", |bytes| {
        let _ = parse_page(bytes, 100);
        for status in [200, 400, 503] {
            let _ = ApiError::from_response(status, bytes);
        }
    });
}

#[test]
fn profile_file_parser_never_panics() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    let options = ResolveOptions {
        // Remote modes would call STS or the metadata service: point both at
        // a closed loopback port so they fail fast and never leave the machine.
        env: [
            ("ALICLOUD_STS_ENDPOINT", "http://127.0.0.1:9"),
            ("DBS_ECS_METADATA_ENDPOINT", "http://127.0.0.1:9"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
        http_timeout: std::time::Duration::from_millis(200),
        ..ResolveOptions::default()
    };
    fuzz("profile", |bytes| {
        std::fs::write(&path, bytes).unwrap();
        let explicit = ExplicitCredentials {
            shared_credentials_file: Some(path.clone()),
            ..ExplicitCredentials::default()
        };
        let _ = runtime.block_on(resolve_credentials(&explicit, &options));
    });
}

/// Writes the msgpack seeds: configs of this provider's schemas as Terraform
/// would send them. `cargo test --test it fuzz_parsers -- --ignored` regenerates.
#[test]
#[ignore]
fn regenerate_msgpack_corpus() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz/msgpack");
    let provider = DbsProvider::new();
    let provider_ty = provider.schema().value_type();
    let ds_ty = provider.data_sources()[0].schema().value_type();
    let fill = |ty: &CtyType, set: Vec<(&str, Value)>| {
        let CtyType::Object(attrs) = ty else {
            unreachable!()
        };
        Value::object(attrs.keys().map(|k| {
            let v = set.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            (k.clone(), v.unwrap_or(Value::Null))
        }))
    };
    let seeds = [
        (
            "provider-config",
            fill(
                &provider_ty,
                vec![
                    ("region", "cn-hangzhou".into()),
                    ("max_retries", 3i64.into()),
                ],
            ),
            &provider_ty,
        ),
        (
            "provider-unknown",
            fill(&provider_ty, vec![("endpoint", Value::Unknown)]),
            &provider_ty,
        ),
        (
            "restore-tasks-config",
            fill(
                &ds_ty,
                vec![
                    ("backup_plan_id", "dbs1hvb0w8k2p".into()),
                    ("page_size", 50i64.into()),
                    ("ids", Value::list(["r1", "r2"])),
                ],
            ),
            &ds_ty,
        ),
        (
            "restore-tasks-unknowns",
            fill(
                &ds_ty,
                vec![
                    ("name_regex", Value::Unknown),
                    ("start_timestamp", 1_718_000_000_000i64.into()),
                ],
            ),
            &ds_ty,
        ),
    ];
    for (name, value, ty) in seeds {
        let bytes = cty::encode(&value, ty).unwrap();
        std::fs::write(dir.join(format!("{name}.hex")), encode_hex(&bytes)).unwrap();
    }
}
