//! Signature v1 against the checked-in fixtures, step by step: canonical query, then
//! string-to-sign, then signature. Sources of the vectors: `tests/fixtures/signing/README.md`.

use crate::common::signing_fixtures;

use terraform_provider_dbs::alibaba::signing::{canonical_query, sign, string_to_sign};

fn check(name: &str) {
    let case = signing_fixtures::load(name);

    let query = canonical_query(&case.params);
    assert_eq!(
        query.as_str(),
        case.canonical_query,
        "{name}: step 1, canonical query"
    );

    let sts = string_to_sign(&case.method, &query);
    assert_eq!(
        sts.as_str(),
        case.string_to_sign,
        "{name}: step 2, string-to-sign"
    );

    let signature = sign(&sts, &case.access_key_secret);
    assert_eq!(signature, case.signature, "{name}: step 3, signature");
}

#[test]
fn official_get_vector() {
    check("official-get");
}

#[test]
fn official_vector_with_post() {
    check("official-post");
}

#[test]
fn dbs_request_with_sts_token_and_special_characters() {
    check("dbs-sts-special-characters");
}
