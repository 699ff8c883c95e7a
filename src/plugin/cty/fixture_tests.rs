//! Runs the byte-fixture table `tests/fixtures/cty/msgpack.txt` (format
//! described at its top) through [`decode`] and [`encode`].

use std::collections::HashSet;

use super::{decode, encode, CtyType, Value};

const FIXTURES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/cty/msgpack.txt"
));

pub(super) struct Case<'a> {
    pub(super) line: usize,
    pub(super) name: &'a str,
    ty: CtyType,
    pub(super) input: Vec<u8>,
    expected: &'a str,
    canonical: Option<Vec<u8>>,
}

pub(super) fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(
        digits.len().is_multiple_of(2),
        "odd number of hex digits in {s:?}"
    );
    digits
        .chunks(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).unwrap();
            u8::from_str_radix(text, 16).unwrap_or_else(|_| panic!("bad hex {text:?} in {s:?}"))
        })
        .collect()
}

pub(super) fn to_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn cases() -> Vec<Case<'static>> {
    let mut out = Vec::new();
    for (i, line) in FIXTURES.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('|').map(str::trim).collect();
        assert_eq!(fields.len(), 5, "line {line_no}: expected 5 fields: {line}");
        let ty = CtyType::from_json_bytes(fields[1].as_bytes())
            .unwrap_or_else(|e| panic!("line {line_no}: bad type {}: {e}", fields[1]));
        let input = hex(fields[2]);
        let canonical = match fields[4] {
            "-" => None,
            "=" => Some(input.clone()),
            other => Some(hex(other)),
        };
        assert_eq!(
            canonical.is_none(),
            fields[3].starts_with("error: "),
            "line {line_no}: errors and only errors have no canonical bytes"
        );
        out.push(Case {
            line: line_no,
            name: fields[0],
            ty,
            input,
            expected: fields[3],
            canonical,
        });
    }
    out
}

/// Runs every case, then reports every failure at once.
fn check_all(what: &str, check: impl Fn(&Case<'_>) -> Result<(), String>) {
    let failures: Vec<String> = cases()
        .iter()
        .filter_map(|case| {
            check(case)
                .err()
                .map(|why| format!("line {} {}: {why}", case.line, case.name))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{what}: {} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn decoded(case: &Case<'_>) -> Result<Value, String> {
    decode(&case.input, &case.ty).map_err(|e| format!("decode failed: {e}"))
}

#[test]
fn fixture_table_is_well_formed() {
    let cases = cases();
    assert!(cases.len() > 150, "only {} cases", cases.len());
    let mut names = HashSet::new();
    for case in &cases {
        assert!(names.insert(case.name), "duplicate case name {}", case.name);
    }
}

#[test]
fn decoding_gives_the_expected_value_or_error() {
    check_all("decode", |case| {
        let got = match decode(&case.input, &case.ty) {
            Ok(value) => value.to_string(),
            Err(e) => format!("error: {e}"),
        };
        if got == case.expected {
            Ok(())
        } else {
            Err(format!("got {got}, want {}", case.expected))
        }
    });
}

#[test]
fn encoding_the_decoded_value_gives_the_canonical_bytes() {
    check_all("encode", |case| {
        let Some(canonical) = &case.canonical else {
            return Ok(());
        };
        let got = encode(&decoded(case)?, &case.ty).map_err(|e| format!("encode failed: {e}"))?;
        if &got == canonical {
            Ok(())
        } else {
            Err(format!("got {}, want {}", to_hex(&got), to_hex(canonical)))
        }
    });
}

#[test]
fn canonical_bytes_decode_to_the_same_value() {
    check_all("round trip", |case| {
        let Some(canonical) = &case.canonical else {
            return Ok(());
        };
        let again = decode(canonical, &case.ty).map_err(|e| format!("canonical bytes: {e}"))?;
        if again == decoded(case)? {
            Ok(())
        } else {
            Err(format!("canonical bytes decode to {again}"))
        }
    });
}
