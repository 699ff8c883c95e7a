//! The captured cty fixtures (`tests/fixtures/cty/captured/<version>/`) are
//! what each Terraform of the matrix sends today: this captures them again
//! (`TF_LOG_SDK_PROTO_DATA_DIR` on `terraform validate` of
//! `tests/fixtures/terraform/wire-capture/`) and compares byte for byte, so
//! that they cannot quietly become the codec's own output. With
//! `UPDATE_CAPTURES=1` it rewrites them instead.
//!
//! Files are matched to cases by the bytes of their `output_file` marker,
//! not by decoding them: the codec is what the captures check.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common::terraform::{matrix, Tf, Workspace};

/// The `output_file` markers of the fixture's blocks.
const CASES: [&str; 10] = [
    "source",
    "timeouts_empty",
    "timeouts_unknown",
    "unknown_attribute",
    "refined_prefix",
    "refined_not_null",
    "refined_number",
    "unknown_element",
    "unknown_list",
    "big_numbers",
];

/// The name every capture must have, after its `<ms>[-<n>]_` time.
const FILE_SUFFIX: &str = "_ValidateDataResourceConfig_dbs_restore_tasks_Config.msgpack";

/// The errors validation must stop at (all on `big_numbers`, after the
/// capture): anything else means the run did not go as the fixture says.
const EXPECTED_ERRORS: [&str; 3] = [
    "Error: Invalid start_timestamp",
    "Error: Invalid end_timestamp",
    "Error: Invalid page_size",
];

fn captured_dir(tf: Tf) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cty/captured")
        .join(tf.version())
}

/// `output_file = "<case>"` as msgpack: the key, then the case as a fixstr.
fn marker(case: &str) -> Vec<u8> {
    let mut bytes = vec![0xa0 | "output_file".len() as u8];
    bytes.extend_from_slice(b"output_file");
    bytes.push(0xa0 | case.len() as u8);
    bytes.extend_from_slice(case.as_bytes());
    bytes
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Runs the capture on `tf`: each case's config bytes, by case.
fn capture(tf: Tf) -> BTreeMap<String, Vec<u8>> {
    let data_dir = tempfile::tempdir().unwrap();
    let ws = Workspace::from_fixture(tf, "wire-capture", |_| false)
        .env(
            "TF_LOG_SDK_PROTO_DATA_DIR",
            data_dir.path().to_str().unwrap(),
        )
        // For the provider's word that it skipped the provider block.
        .env("TF_LOG_PROVIDER", "debug");
    let out = ws.run(&["validate", "-no-color"]);
    let all = out.all();
    assert!(!out.success, "{}: validate passed:\n{all}", tf.version());
    assert!(
        all.contains("ValidateProviderConfig provider: Config not written"),
        "{}: the provider block was not skipped:\n{all}",
        tf.version()
    );
    for error in EXPECTED_ERRORS {
        assert!(
            all.contains(error),
            "{}: no {error:?}:\n{all}",
            tf.version()
        );
    }
    assert_eq!(
        all.matches("Error: ").count(),
        EXPECTED_ERRORS.len(),
        "{}: other errors:\n{all}",
        tf.version()
    );

    let mut captured = BTreeMap::new();
    for entry in std::fs::read_dir(data_dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let bytes = std::fs::read(&path).unwrap();
        // The provider block holds credentials: its schema is sensitive, so
        // ValidateProviderConfig wrote nothing.
        let time = name
            .strip_suffix(FILE_SUFFIX)
            .unwrap_or_else(|| panic!("{}: unexpected file {name}", tf.version()));
        assert!(time.split('-').all(|p| p.parse::<u128>().is_ok()), "{name}");
        assert!(!contains(&bytes, b"wire-capture-"), "{name} holds a secret");
        let case = CASES
            .iter()
            .find(|case| contains(&bytes, &marker(case)))
            .unwrap_or_else(|| panic!("{}: {name} is of no case", tf.version()));
        assert!(
            captured.insert(case.to_string(), bytes).is_none(),
            "{}: {case} captured twice",
            tf.version()
        );
    }
    let cases: Vec<&str> = captured.keys().map(String::as_str).collect();
    let mut expected = CASES.to_vec();
    expected.sort();
    assert_eq!(cases, expected, "{}: cases captured", tf.version());
    captured
}

fn committed(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|e| e.unwrap().path())
        .filter_map(|path| {
            let case = path.file_name()?.to_str()?.strip_suffix(".msgpack")?;
            Some((case.to_string(), std::fs::read(&path).unwrap()))
        })
        .collect()
}

fn write_all(dir: &Path, captured: &BTreeMap<String, Vec<u8>>) {
    if dir.exists() {
        for (case, _) in committed(dir) {
            std::fs::remove_file(dir.join(format!("{case}.msgpack"))).unwrap();
        }
    }
    std::fs::create_dir_all(dir).unwrap();
    for (case, bytes) in captured {
        std::fs::write(dir.join(format!("{case}.msgpack")), bytes).unwrap();
    }
}

#[test]
fn the_captured_fixtures_are_what_terraform_sends_on_every_version() {
    let update = std::env::var("UPDATE_CAPTURES").is_ok_and(|v| v == "1");
    let mut failures = Vec::new();
    for tf in matrix() {
        let captured = capture(tf);
        if tf == Tf::Extra {
            // No fixtures of its own: capturing all cases is the check.
            continue;
        }
        let dir = captured_dir(tf);
        if update {
            write_all(&dir, &captured);
            continue;
        }
        let committed = committed(&dir);
        if committed != captured {
            let differing: BTreeSet<&String> = captured
                .keys()
                .chain(committed.keys())
                .filter(|case| captured.get(*case) != committed.get(*case))
                .collect();
            failures.push(format!("{}: {differing:?}", tf.version()));
        }
    }
    assert!(
        failures.is_empty(),
        "captures differ from tests/fixtures/cty/captured (UPDATE_CAPTURES=1 rewrites \
         them; then check the codec tests still pass):\n{}",
        failures.join("\n")
    );
}
