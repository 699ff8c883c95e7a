//! The emulator's credential services over real HTTP: STS (`AssumeRole` signed v1 and V3,
//! `AssumeRoleWithOIDC`), the ECS metadata service in its three IMDS modes, the credentials
//! URI, and the temporary credentials they issue being accepted by DBS until they expire.
//! Also the record tests assert on (`credential_calls`, `dbs_requests_by_key`).

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::{Digest, Sha256};
use terraform_provider_dbs::alibaba::signing::{self, CommonParams};
use terraform_provider_dbs::emulator::{
    CredentialService, Emulator, EmulatorConfig, ImdsMode, Role, TaskSource, DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET, DEFAULT_OIDC_PROVIDER_ARN, DEFAULT_OIDC_TOKEN, DEFAULT_ROLE_ARN,
    PRESENT,
};
use time::OffsetDateTime;

use crate::common::emulator_requests::{self, fresh_nonce, send_pairs, start, Call, Reply};

/// Action parameters, as a test lists them.
type Params = Vec<(&'static str, &'static str)>;

const CROSS_ROLE: &str = "acs:ram::222222222222:role/cross-account";

async fn emulator(edit: impl FnOnce(&mut EmulatorConfig)) -> Emulator {
    let mut config = EmulatorConfig {
        tasks: TaskSource::Generated { count: 5, seed: 3 },
        ..EmulatorConfig::default()
    };
    config
        .roles
        .push(Role::new(CROSS_ROLE).with_external_id("ext-42"));
    edit(&mut config);
    start(config).await
}

/// Temporary credentials as an issuing service answered them.
#[derive(Debug, Clone)]
struct Temporary {
    id: String,
    secret: String,
    token: String,
    expiration: String,
}

impl Temporary {
    fn from(object: &Value) -> Temporary {
        let field = |name: &str| {
            object[name]
                .as_str()
                .unwrap_or_else(|| panic!("no {name} in {object}"))
                .to_owned()
        };
        Temporary {
            id: field("AccessKeyId"),
            secret: field("AccessKeySecret"),
            token: field("SecurityToken"),
            expiration: field("Expiration"),
        }
    }

    /// A DBS call signed with these credentials.
    fn dbs_call(&self) -> Call {
        Call {
            access_key_id: self.id.clone(),
            secret: self.secret.clone(),
            security_token: Some(self.token.clone()),
            ..Call::new()
        }
    }
}

/// An STS request signed v1 by `(id, secret, token)`, sent as a GET query.
async fn sts_v1(
    emulator: &Emulator,
    (id, secret, token): (&str, &str, Option<&str>),
    action: &str,
    params: &[(&str, &str)],
) -> Reply {
    let nonce = fresh_nonce();
    let common = CommonParams {
        version: "2015-04-01",
        access_key_id: id,
        security_token: token,
        region_id: None,
        nonce: &nonce,
        timestamp: OffsetDateTime::now_utc(),
    };
    let mut pairs = signing::common_parameters(&common);
    pairs.push(("Action".into(), action.into()));
    pairs.extend(params.iter().map(|(k, v)| ((*k).into(), (*v).into())));
    let signed = signing::signed_parameters("GET", pairs, secret);
    send_pairs(&emulator.url(), "GET", &signed).await
}

const BASE: (&str, &str, Option<&str>) = (DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, None);

fn assume(extra: &[(&'static str, &'static str)]) -> Params {
    let mut params = vec![
        ("RoleArn", DEFAULT_ROLE_ARN),
        ("RoleSessionName", "terraform-test"),
    ];
    params.extend_from_slice(extra);
    params
}

/// A V3 (`ACS3-HMAC-SHA256`) request, signed here from the published rules (independently of
/// the emulator's verifier), parameters in the query string, empty body, as the SDKs send it.
async fn v3(
    emulator: &Emulator,
    (id, secret, token): (&str, &str, Option<&str>),
    (action, version): (&str, &str),
    query: &[(&str, &str)],
) -> Reply {
    let url = emulator.url();
    let host = url.trim_start_matches("http://").to_owned();
    let date = signing::format_timestamp(OffsetDateTime::now_utc());
    let nonce = fresh_nonce();
    let payload = hex(&Sha256::digest(b""));
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), host),
        ("x-acs-action".into(), action.into()),
        ("x-acs-version".into(), version.into()),
        ("x-acs-date".into(), date),
        ("x-acs-signature-nonce".into(), nonce),
        ("x-acs-content-sha256".into(), payload.clone()),
    ];
    if let Some(token) = token {
        headers.push(("x-acs-security-token".into(), token.into()));
    }
    headers.sort();
    let mut sorted: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (signing::percent_encode(k), signing::percent_encode(v)))
        .collect();
    sorted.sort();
    let canonical_query = sorted
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed_headers = headers
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical =
        format!("POST\n/\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{payload}");
    let to_sign = format!(
        "ACS3-HMAC-SHA256\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(to_sign.as_bytes());
    let signature = hex(&mac.finalize().into_bytes());
    let mut request = emulator_requests::client()
        .post(format!("{url}/?{canonical_query}"))
        .header(
            "authorization",
            format!(
                "ACS3-HMAC-SHA256 Credential={id},SignedHeaders={signed_headers},Signature={signature}"
            ),
        );
    for (name, value) in headers.iter().filter(|(k, _)| k != "host") {
        request = request.header(name, value);
    }
    read(request.send().await.expect("an answer")).await
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn read(response: reqwest::Response) -> Reply {
    Reply::read(response).await
}

/// Asserts the real gateway error shape and code.
fn refused(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["Code"], code, "{}", reply.text);
    assert!(body["RequestId"].as_str().is_some_and(|r| !r.is_empty()));
    assert!(body["HostId"].is_string(), "{}", reply.text);
    assert!(body["Message"].as_str().is_some_and(|m| !m.is_empty()));
}

async fn get(url: String, headers: &[(&str, &str)]) -> Reply {
    let mut request = emulator_requests::client().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    read(request.send().await.expect("an answer")).await
}

async fn put_token(emulator: &Emulator, ttl: &str) -> Reply {
    let request = emulator_requests::client()
        .put(format!("{}/latest/api/token", emulator.url()))
        .header("X-aliyun-ecs-metadata-token-ttl-seconds", ttl);
    read(request.send().await.expect("an answer")).await
}

const ROLE_PATH: &str = "/latest/meta-data/ram/security-credentials/";

#[tokio::test]
async fn assume_role_grants_credentials_that_dbs_accepts() {
    let emulator = emulator(|_| {}).await;
    let policy = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"dbs:Describe*","Resource":"*"}]}"#;
    let reply = sts_v1(
        &emulator,
        BASE,
        "AssumeRole",
        &[
            ("RoleArn", DEFAULT_ROLE_ARN),
            ("RoleSessionName", "terraform-test"),
            ("DurationSeconds", "900"),
            ("Policy", policy),
        ],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = reply.json();
    assert_eq!(
        body["AssumedRoleUser"]["Arn"],
        format!("{DEFAULT_ROLE_ARN}/terraform-test")
    );
    assert_eq!(
        reply.request_id_header.as_deref(),
        body["RequestId"].as_str()
    );
    let temporary = Temporary::from(&body["Credentials"]);
    assert!(temporary.id.starts_with("STS."));
    let expires = time::PrimitiveDateTime::parse(
        &temporary.expiration,
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z"),
    )
    .expect("Expiration is YYYY-MM-DDThh:mm:ssZ")
    .assume_utc();
    let left = expires - OffsetDateTime::now_utc();
    assert!(left <= time::Duration::seconds(900) && left > time::Duration::seconds(880));

    let page = temporary.dbs_call().send(&emulator).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.ids().len(), 5);

    let calls = emulator.credential_calls();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(call.service, CredentialService::Sts);
    assert_eq!(call.action.as_deref(), Some("AssumeRole"));
    assert_eq!(call.signed_by.as_deref(), Some(DEFAULT_ACCESS_KEY_ID));
    assert_eq!(call.status, 200);
    assert_eq!(call.params["Policy"], policy);
    assert_eq!(call.params["DurationSeconds"], "900");
    assert_eq!(call.params["RoleSessionName"], "terraform-test");
    assert!(!call.params.contains_key("Signature"));
    let by_key = emulator.dbs_requests_by_key();
    assert_eq!(by_key.get(&temporary.id), Some(&1));
    assert_eq!(by_key.get(DEFAULT_ACCESS_KEY_ID), None);
    emulator.shutdown().await;
}

#[tokio::test]
async fn roles_chain_and_v3_signs_assume_role_too() {
    let emulator = emulator(|_| {}).await;
    let first = sts_v1(&emulator, BASE, "AssumeRole", &assume(&[])).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let first = Temporary::from(&first.json()["Credentials"]);
    let chained = v3(
        &emulator,
        (&first.id, &first.secret, Some(&first.token)),
        ("AssumeRole", "2015-04-01"),
        &[
            ("RoleArn", CROSS_ROLE),
            ("RoleSessionName", "chained"),
            ("ExternalId", "ext-42"),
        ],
    )
    .await;
    assert_eq!(chained.status, 200, "{}", chained.text);
    let second = Temporary::from(&chained.json()["Credentials"]);
    assert_ne!(second.id, first.id);
    let page = v3(
        &emulator,
        (&second.id, &second.secret, Some(&second.token)),
        ("DescribeRestoreTaskList", "2019-03-06"),
        &[("PageSize", "2"), ("PageNum", "1")],
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.ids().len(), 2);
    let calls = emulator.credential_calls();
    assert_eq!(calls[1].signed_by.as_deref(), Some(first.id.as_str()));
    assert_eq!(calls[1].params["ExternalId"], "ext-42");
    emulator.shutdown().await;
}

#[tokio::test]
async fn assume_role_refusals() {
    let emulator = emulator(|_| {}).await;
    let cases: [(Params, u16, &str); 7] = [
        (
            vec![
                ("RoleArn", "acs:ram::1:role/nope"),
                ("RoleSessionName", "ab"),
            ],
            403,
            "NoPermission",
        ),
        (
            assume(&[("DurationSeconds", "600")]),
            400,
            "InvalidParameter.DurationSeconds",
        ),
        (
            assume(&[("DurationSeconds", "50000")]),
            400,
            "InvalidParameter.DurationSeconds",
        ),
        (
            assume(&[("Policy", "{\"Statement\": [")]),
            400,
            "InvalidParameter.PolicyGrammar",
        ),
        (
            vec![("RoleArn", CROSS_ROLE), ("RoleSessionName", "ab")],
            403,
            "NoPermission",
        ),
        (
            vec![
                ("RoleArn", CROSS_ROLE),
                ("RoleSessionName", "ab"),
                ("ExternalId", "ext-41"),
            ],
            403,
            "NoPermission",
        ),
        (
            vec![("RoleArn", DEFAULT_ROLE_ARN), ("RoleSessionName", "a b")],
            400,
            "InvalidParameter.RoleSessionName",
        ),
    ];
    for (params, status, code) in &cases {
        let reply = sts_v1(&emulator, BASE, "AssumeRole", params).await;
        refused(&reply, *status, code);
    }
    let wrong_secret = (DEFAULT_ACCESS_KEY_ID, "not-the-secret", None);
    let reply = sts_v1(&emulator, wrong_secret, "AssumeRole", &assume(&[])).await;
    refused(&reply, 400, "SignatureDoesNotMatch");
    let unknown = ("someone", DEFAULT_ACCESS_KEY_SECRET, None);
    let reply = sts_v1(&emulator, unknown, "AssumeRole", &assume(&[])).await;
    refused(&reply, 404, "InvalidAccessKeyId.NotFound");
    let reply = v3(
        &emulator,
        wrong_secret,
        ("AssumeRole", "2015-04-01"),
        &assume(&[]),
    )
    .await;
    refused(&reply, 400, "SignatureDoesNotMatch");

    let calls = emulator.credential_calls();
    assert_eq!(calls.len(), cases.len() + 3, "refusals are recorded too");
    assert!(calls.iter().all(|c| c.status >= 400));
    assert!(
        calls[cases.len()].signed_by.is_none(),
        "a bad signature signs nothing"
    );
    assert_eq!(calls[0].signed_by.as_deref(), Some(DEFAULT_ACCESS_KEY_ID));
    emulator.shutdown().await;
}

fn oidc(token: &'static str, provider: &'static str) -> Vec<(String, String)> {
    [
        ("Action", "AssumeRoleWithOIDC"),
        ("Version", "2015-04-01"),
        ("Format", "JSON"),
        ("RoleArn", DEFAULT_ROLE_ARN),
        ("OIDCProviderArn", provider),
        ("OIDCToken", token),
        ("RoleSessionName", "rrsa-session"),
        ("DurationSeconds", "3600"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

#[tokio::test]
async fn assume_role_with_oidc_needs_no_signature_but_the_token() {
    let emulator = emulator(|_| {}).await;
    let reply = send_pairs(
        &emulator.url(),
        "POST",
        &oidc(DEFAULT_OIDC_TOKEN, DEFAULT_OIDC_PROVIDER_ARN),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = reply.json();
    assert!(body["OIDCTokenInfo"]["Subject"].is_string(), "{body}");
    let temporary = Temporary::from(&body["Credentials"]);
    let page = temporary.dbs_call().send(&emulator).await;
    assert_eq!(page.status, 200, "{}", page.text);

    let reply = send_pairs(
        &emulator.url(),
        "GET",
        &oidc("eyJhbGciOi.forged.token", DEFAULT_OIDC_PROVIDER_ARN),
    )
    .await;
    refused(&reply, 401, "AuthenticationFail.OIDCToken.Invalid");
    let reply = send_pairs(
        &emulator.url(),
        "GET",
        &oidc(DEFAULT_OIDC_TOKEN, "acs:ram::1:oidc-provider/other"),
    )
    .await;
    refused(&reply, 401, "AuthenticationFail.NoPermission");

    let calls = emulator.credential_calls();
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[0].action.as_deref(), Some("AssumeRoleWithOIDC"));
    assert_eq!(calls[0].params["OIDCToken"], PRESENT);
    assert_eq!(calls[0].params["RoleSessionName"], "rrsa-session");
    assert!(calls[0].signed_by.is_none());
    assert!(calls
        .iter()
        .all(|c| !format!("{c:?}").contains(DEFAULT_OIDC_TOKEN)));
    emulator.shutdown().await;
}

#[tokio::test]
async fn imds_optional_tokens_and_plain_gets() {
    let emulator = emulator(|_| {}).await;
    let token = put_token(&emulator, "21600").await;
    assert_eq!(token.status, 200, "{}", token.text);
    assert!(token.content_type.starts_with("text/plain"));
    let token = token.text;
    let with = [("X-aliyun-ecs-metadata-token", token.as_str())];
    let listing = get(format!("{}{ROLE_PATH}", emulator.url()), &with).await;
    assert_eq!((listing.status, listing.text.as_str()), (200, "EcsDbsRole"));
    let creds = get(format!("{}{ROLE_PATH}EcsDbsRole", emulator.url()), &with).await;
    assert_eq!(creds.status, 200, "{}", creds.text);
    let body = creds.json();
    assert_eq!(body["Code"], "Success");
    assert!(body["LastUpdated"].is_string());
    let temporary = Temporary::from(&body);
    let page = temporary.dbs_call().send(&emulator).await;
    assert_eq!(page.status, 200, "{}", page.text);

    let plain = get(format!("{}{ROLE_PATH}EcsDbsRole", emulator.url()), &[]).await;
    assert_eq!(plain.status, 200, "plain GETs work too: {}", plain.text);
    let forged = [("X-aliyun-ecs-metadata-token", "forged")];
    let bad = get(format!("{}{ROLE_PATH}EcsDbsRole", emulator.url()), &forged).await;
    assert_eq!(bad.status, 401);
    let other = get(format!("{}{ROLE_PATH}OtherRole", emulator.url()), &with).await;
    assert_eq!(other.status, 404);
    for ttl in ["0", "21601", "soon"] {
        assert_eq!(put_token(&emulator, ttl).await.status, 400, "{ttl}");
    }

    let calls = emulator.credential_calls();
    assert!(calls
        .iter()
        .all(|c| c.service == CredentialService::Metadata));
    assert_eq!(calls[0].method, "PUT");
    assert_eq!(
        calls[0].params["x-aliyun-ecs-metadata-token-ttl-seconds"],
        "21600"
    );
    assert!(calls[1].metadata_token && calls[2].metadata_token);
    assert!(!calls[3].metadata_token, "the plain GET");
    emulator.shutdown().await;
}

#[tokio::test]
async fn imds_required_refuses_gets_without_a_token() {
    let emulator = emulator(|c| c.imds = ImdsMode::Required).await;
    let url = format!("{}{ROLE_PATH}EcsDbsRole", emulator.url());
    assert_eq!(get(url.clone(), &[]).await.status, 401);
    let token = put_token(&emulator, "60").await.text;
    let reply = get(url, &[("X-aliyun-ecs-metadata-token", &token)]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    emulator.shutdown().await;
}

#[tokio::test]
async fn imds_v1_only_has_no_token_endpoint() {
    let emulator = emulator(|c| {
        c.imds = ImdsMode::V1Only;
        c.instance_role = "LegacyRole".into();
    })
    .await;
    assert_eq!(put_token(&emulator, "60").await.status, 404);
    let listing = get(format!("{}{ROLE_PATH}", emulator.url()), &[]).await;
    assert_eq!(listing.text, "LegacyRole");
    let reply = get(format!("{}{ROLE_PATH}LegacyRole", emulator.url()), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    emulator.shutdown().await;
}

#[tokio::test]
async fn credentials_uri_answers_fresh_credentials() {
    let emulator = emulator(|_| {}).await;
    let reply = get(format!("{}/credentials", emulator.url()), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["Code"], "Success");
    let temporary = Temporary::from(&body);
    let again = Temporary::from(
        &get(format!("{}/credentials", emulator.url()), &[])
            .await
            .json(),
    );
    assert_ne!(temporary.id, again.id);
    let page = temporary.dbs_call().send(&emulator).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let calls = emulator.credential_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].service, CredentialService::CredentialsUri);
    emulator.shutdown().await;
}

#[tokio::test]
async fn issued_credentials_expire_and_fresh_ones_take_over() {
    let emulator = emulator(|c| c.credential_lifetime = Duration::from_secs(1)).await;
    let uri = format!("{}/credentials", emulator.url());
    let first = Temporary::from(&get(uri.clone(), &[]).await.json());
    let page = first.dbs_call().send(&emulator).await;
    assert_eq!(page.status, 200, "{}", page.text);
    // STS caps what it grants at the configured lifetime as well.
    let granted = sts_v1(&emulator, BASE, "AssumeRole", &assume(&[])).await;
    let granted = Temporary::from(&granted.json()["Credentials"]);

    tokio::time::sleep(Duration::from_millis(2100)).await;
    for expired in [&first, &granted] {
        let reply = expired.dbs_call().send(&emulator).await;
        refused(&reply, 400, "InvalidSecurityToken.Expired");
    }
    let wrong_token = Call {
        security_token: Some("CAISnot-the-token".into()),
        ..first.dbs_call()
    };
    refused(
        &wrong_token.send(&emulator).await,
        400,
        "InvalidSecurityToken.MismatchWithAccessKey",
    );

    let second = Temporary::from(&get(uri, &[]).await.json());
    let page = second.dbs_call().send(&emulator).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let by_key = emulator.dbs_requests_by_key();
    assert_eq!(by_key.len(), 2, "{by_key:?}");
    assert_eq!(by_key.get(&first.id), Some(&1));
    assert_eq!(by_key.get(&second.id), Some(&1));
    emulator.shutdown().await;
}

#[tokio::test]
async fn v3_dbs_refusals_are_auth_errors() {
    let emulator = emulator(|_| {}).await;
    let dbs = ("DescribeRestoreTaskList", "2019-03-06");
    let ok = v3(&emulator, BASE, dbs, &[("PageNum", "0")]).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let wrong = (DEFAULT_ACCESS_KEY_ID, "wrong", None);
    refused(
        &v3(&emulator, wrong, dbs, &[]).await,
        400,
        "SignatureDoesNotMatch",
    );
    let unknown = ("nobody", "x", None);
    refused(
        &v3(&emulator, unknown, dbs, &[]).await,
        404,
        "InvalidAccessKeyId.NotFound",
    );
    // V3 headers without a signature: the signature is what is missing, not `Action`.
    let unsigned = emulator_requests::client()
        .post(format!("{}/", emulator.url()))
        .header("x-acs-action", "DescribeRestoreTaskList")
        .header("x-acs-version", "2019-03-06")
        .send()
        .await
        .expect("an answer");
    refused(&read(unsigned).await, 400, "IncompleteSignature");
    let garbage = emulator_requests::client()
        .post(format!("{}/", emulator.url()))
        .header("authorization", "Bearer something")
        .send()
        .await
        .expect("an answer");
    refused(&read(garbage).await, 400, "IncompleteSignature");
    let by_key = emulator.dbs_requests_by_key();
    assert_eq!(
        by_key.get(DEFAULT_ACCESS_KEY_ID),
        Some(&1),
        "only the good one"
    );
    emulator.shutdown().await;
}
