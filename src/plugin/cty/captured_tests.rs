//! The codec against bytes real Terraform sent: the configs captured in
//! `tests/fixtures/cty/captured/<version>/<case>.msgpack` (how, and how
//! the integration tests keep them current, is in the README there),
//! decoded against `config_type.json` beside them.
//!
//! The hand-written table (`msgpack.txt`) says what the codec should do;
//! these say what it meets: each decodes to the value its block wrote, and
//! re-encodes to exactly the bytes Terraform chose, cty's encoding being
//! canonical, except that a refined unknown comes back as the plain
//! unknown, which is all the codec ever sends.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::fixture_tests::{cases, to_hex};
use super::{decode, encode, CtyType, Value};

/// What each case's block sets besides its `output_file` marker (which is
/// the case's name), as `Value`'s Display prints it; every other attribute
/// must decode as null.
const EXPECTED: &[(&str, &[(&str, &str)])] = &[
    ("source", &[]),
    ("timeouts_empty", &[("timeouts", r#"object{"read": null}"#)]),
    (
        "timeouts_unknown",
        &[("timeouts", r#"object{"read": unknown}"#)],
    ),
    ("unknown_attribute", &[("backup_plan_id", "unknown")]),
    ("refined_prefix", &[("name_regex", "unknown")]),
    ("refined_not_null", &[("status", "unknown")]),
    ("refined_number", &[("page_size", "unknown")]),
    ("unknown_element", &[("ids", r#"list["r-1", unknown]"#)]),
    ("unknown_list", &[("ids", "unknown")]),
    (
        "big_numbers",
        &[
            ("start_timestamp", "123456789012345678901234567890"),
            ("end_timestamp", "0.1"),
            ("page_size", "1.5"),
        ],
    ),
];

/// The cases Terraform sends a refined unknown for, from 1.6 on.
const REFINED: [&str; 3] = ["refined_prefix", "refined_not_null", "refined_number"];

fn captured_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cty/captured")
}

fn config_type() -> CtyType {
    let json = std::fs::read(captured_root().join("config_type.json")).unwrap();
    CtyType::from_json_bytes(&json).unwrap()
}

/// `(major, minor)` of a version directory's name.
fn minor_version(version: &str) -> (u32, u32) {
    let mut parts = version.split('.').map(|p| p.parse().unwrap());
    (parts.next().unwrap(), parts.next().unwrap())
}

struct Capture {
    version: String,
    case: String,
    bytes: Vec<u8>,
}

impl Capture {
    fn label(&self) -> String {
        format!("{}/{}", self.version, self.case)
    }

    fn refined(&self) -> bool {
        REFINED.contains(&self.case.as_str()) && minor_version(&self.version) >= (1, 6)
    }
}

/// Every capture, every version directory holding every case.
fn captures() -> Vec<Capture> {
    let mut out = Vec::new();
    let mut versions = 0;
    for entry in std::fs::read_dir(captured_root()).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        versions += 1;
        let version = dir.file_name().unwrap().to_str().unwrap().to_string();
        let mut cases: Vec<String> = Vec::new();
        for file in std::fs::read_dir(&dir).unwrap() {
            let path = file.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap();
            let case = name
                .strip_suffix(".msgpack")
                .unwrap_or_else(|| panic!("{version}/{name}: not a capture"));
            cases.push(case.to_string());
            out.push(Capture {
                version: version.clone(),
                case: case.to_string(),
                bytes: std::fs::read(&path).unwrap(),
            });
        }
        cases.sort();
        let mut expected: Vec<&str> = EXPECTED.iter().map(|(case, _)| *case).collect();
        expected.sort();
        assert_eq!(cases, expected, "cases captured from Terraform {version}");
    }
    assert!(versions >= 4, "captures from only {versions} versions");
    out
}

fn decoded(capture: &Capture, ty: &CtyType) -> Value {
    decode(&capture.bytes, ty).unwrap_or_else(|e| panic!("{}: {e}", capture.label()))
}

#[test]
fn every_capture_decodes_to_what_its_block_wrote() {
    let ty = config_type();
    let CtyType::Object(attributes) = &ty else {
        panic!("the config type is an object")
    };
    let mut failures = Vec::new();
    for capture in captures() {
        let value = decoded(&capture, &ty);
        let set = EXPECTED
            .iter()
            .find(|(case, _)| *case == capture.case)
            .unwrap()
            .1;
        let marker = format!("{:?}", capture.case);
        let mut want: BTreeMap<&str, &str> = set.iter().copied().collect();
        want.insert("output_file", &marker);
        for name in attributes.keys() {
            let got = value.attr(name).to_string();
            let expected = want.get(name.as_str()).copied().unwrap_or("null");
            if got != expected {
                failures.push(format!(
                    "{}: {name} is {got}, want {expected}",
                    capture.label()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_capture_reencodes_to_the_bytes_terraform_sent() {
    let ty = config_type();
    let mut failures = Vec::new();
    for capture in captures() {
        let ours = encode(&decoded(&capture, &ty), &ty).unwrap();
        let expected = if capture.refined() {
            match without_refinement(&capture.bytes) {
                Ok(plain) => plain,
                Err(why) => {
                    failures.push(format!("{}: {why}", capture.label()));
                    continue;
                }
            }
        } else {
            capture.bytes.clone()
        };
        if ours != expected {
            failures.push(format!(
                "{}: encodes to\n  {}\nwant\n  {}",
                capture.label(),
                to_hex(&ours),
                to_hex(&expected)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `bytes` with its one refined unknown (an extension of type 12) replaced
/// by cty's plain unknown, `d4 00 00`. Found by its header alone: the
/// refinement's payload is opaque to the codec, which is the point.
fn without_refinement(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut spans = Vec::new();
    let mut at = 0;
    while at + 2 < bytes.len() {
        if let Some(len) = ext12_length(&bytes[at..]) {
            spans.push((at, len));
        }
        at += 1;
    }
    // A header-like byte run inside a string would show up here too; the
    // captures hold none, and a second span fails loudly rather than guess.
    let [(start, len)] = spans[..] else {
        return Err(format!("{} type-12 extensions, want one", spans.len()));
    };
    let mut plain = bytes[..start].to_vec();
    plain.extend_from_slice(&[0xd4, 0x00, 0x00]);
    plain.extend_from_slice(&bytes[start + len..]);
    Ok(plain)
}

/// The whole length of an extension of type 12 starting `bytes`, if one does.
fn ext12_length(bytes: &[u8]) -> Option<usize> {
    const REFINED_UNKNOWN: u8 = 12;
    let (header, payload) = match bytes.first()? {
        0xd4..=0xd8 => (2, 1usize << (bytes[0] - 0xd4)),
        0xc7 => (3, *bytes.get(1)? as usize),
        0xc8 => (
            4,
            u16::from_be_bytes([*bytes.get(1)?, *bytes.get(2)?]) as usize,
        ),
        _ => return None,
    };
    (bytes.get(header - 1) == Some(&REFINED_UNKNOWN) && bytes.len() >= header + payload)
        .then_some(header + payload)
}

#[test]
fn refinements_arrive_from_terraform_1_6_on() {
    for capture in captures() {
        let one_refinement = without_refinement(&capture.bytes).is_ok();
        assert_eq!(one_refinement, capture.refined(), "{}", capture.label());
    }
}

/// Rows of `msgpack.txt` named `captured/<version>/<case>.<attribute>` are
/// slices of that capture: checked here, so they stay Terraform's bytes.
#[test]
fn captured_rows_of_the_table_are_in_their_captures() {
    let all = captures();
    let mut rows = 0;
    for row in cases() {
        let Some(source) = row.name.strip_prefix("captured/") else {
            continue;
        };
        rows += 1;
        let capture = all
            .iter()
            .find(|c| {
                source
                    .strip_prefix(&format!("{}/{}.", c.version, c.case))
                    .is_some_and(|attribute| !attribute.is_empty())
            })
            .unwrap_or_else(|| panic!("line {}: no capture {source}", row.line));
        assert!(
            capture
                .bytes
                .windows(row.input.len())
                .any(|w| w == row.input.as_slice()),
            "line {}: {} is not in {}",
            row.line,
            to_hex(&row.input),
            capture.label()
        );
    }
    assert!(rows >= 8, "only {rows} captured rows in msgpack.txt");
}
