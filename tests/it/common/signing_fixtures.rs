//! Loads one signature fixture folder from `tests/fixtures/signing/` (layout in its README).

use std::path::PathBuf;

/// Inputs and expected step results of one signing case.
pub struct SigningCase {
    pub method: String,
    pub access_key_secret: String,
    pub params: Vec<(String, String)>,
    pub canonical_query: String,
    pub string_to_sign: String,
    pub signature: String,
}

#[derive(serde::Deserialize)]
struct Request {
    method: String,
    access_key_secret: String,
    params: Vec<(String, String)>,
}

/// Reads `tests/fixtures/signing/<name>/`; panics with the path on a broken fixture (test-only).
pub fn load(name: &str) -> SigningCase {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/signing")
        .join(name);
    let read = |file: &str| {
        let path = dir.join(file);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let request: Request = serde_json::from_str(&read("request.json"))
        .unwrap_or_else(|e| panic!("{name}/request.json: {e}"));
    SigningCase {
        method: request.method,
        access_key_secret: request.access_key_secret,
        params: request.params,
        canonical_query: read("canonical-query.txt"),
        string_to_sign: read("string-to-sign.txt"),
        signature: read("signature.txt"),
    }
}
