//! A signature v1 request made now: the one way both the API calls and STS sign what they send.
//!
//! Signing itself is pure ([`super::signing`]); this adds what must be fresh for every attempt
//! (the nonce and the time) and gathers what the answer must never show.

use super::credentials::{new_nonce, Credentials};
use super::server_text::Secrets;
use super::signing::{self, CommonParams};

/// Parameters signed for a POST form body (which keeps the signature out of URLs, and so out of
/// proxy and error logs), and the values no text from the server may show.
pub(crate) struct SignedForm {
    /// Every parameter, `Signature` last.
    pub(crate) params: Vec<(String, String)>,
    /// The signature, the secret and the token, in every spelling.
    pub(crate) secrets: Secrets,
}

impl SignedForm {
    /// The form body: the signed bytes, encoded as they were signed.
    pub(crate) fn body(&self) -> String {
        signing::encode_pairs(&self.params)
    }
}

/// Signs the action's `params` with `credentials` for `version` of an API, with a fresh nonce
/// and the current time; `region_id` is sent when the API wants one.
pub(crate) fn sign_form(
    mut params: Vec<(String, String)>,
    version: &str,
    region_id: Option<&str>,
    credentials: &Credentials,
) -> SignedForm {
    let nonce = new_nonce();
    params.extend(signing::common_parameters(&CommonParams {
        version,
        access_key_id: &credentials.access_key_id,
        security_token: credentials.security_token.as_deref(),
        region_id,
        nonce: &nonce,
        timestamp: time::OffsetDateTime::now_utc(),
    }));
    let params = signing::signed_parameters("POST", params, &credentials.access_key_secret);
    let signature = params.iter().find(|(k, _)| k == "Signature");
    let secrets = Secrets::new(
        signature
            .map(|(_, v)| v.as_str())
            .into_iter()
            .chain([credentials.access_key_secret.as_str()])
            .chain(credentials.security_token.as_deref()),
    );
    SignedForm { params, secrets }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Temporary credentials: keys with a token.
    fn temporary() -> Credentials {
        Credentials {
            access_key_id: "id".into(),
            access_key_secret: "the-secret-key".into(),
            security_token: Some("the-sts-token".into()),
        }
    }

    #[test]
    fn signs_with_fresh_common_parameters_and_hides_what_it_sent() {
        let credentials = temporary();
        let action = || vec![("Action".to_owned(), "DescribeX".to_owned())];
        let a = sign_form(action(), "2019-03-06", Some("cn-hangzhou"), &credentials);
        let b = sign_form(action(), "2019-03-06", Some("cn-hangzhou"), &credentials);
        let get = |form: &SignedForm, key: &str| {
            form.params
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(a.params.last().map(|(k, _)| k.as_str()), Some("Signature"));
        assert_ne!(get(&a, "SignatureNonce"), get(&b, "SignatureNonce"));
        assert_eq!(get(&a, "RegionId").as_deref(), Some("cn-hangzhou"));
        assert_eq!(get(&a, "SecurityToken").as_deref(), Some("the-sts-token"));
        let signature = get(&a, "Signature").unwrap();
        let echoed = format!("sig={signature} key=the-secret-key token=the-sts-token");
        let shown = crate::alibaba::server_text::clean(&echoed, &a.secrets);
        for secret in [signature.as_str(), "the-secret-key", "the-sts-token"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let sts = sign_form(action(), "2015-04-01", None, &credentials);
        assert_eq!(get(&sts, "RegionId"), None);
        assert!(sts.body().contains("Signature="));
    }
}
