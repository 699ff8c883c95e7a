//! Every spelling in which a secret could leak into output, logs or files:
//! raw, percent-encoded once and twice (inside a quoted string-to-sign),
//! JSON-escaped and base64. Tests assert that none of them appears.

use base64::Engine as _;
use terraform_provider_dbs::alibaba::signing::percent_encode;

pub fn spellings(value: &str) -> Vec<String> {
    let once = percent_encode(value);
    vec![
        value.to_string(),
        once.clone(),
        percent_encode(&once),
        value.replace('/', "\\/"),
        base64::engine::general_purpose::STANDARD.encode(value),
    ]
}
