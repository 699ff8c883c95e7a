//! What the credential services were asked, kept for tests to assert on: that a chain sent
//! the `Policy` it was configured with, which identity signed an `AssumeRole`, whether an IMDSv2
//! token was used, and which keys the DBS calls came from.
//!
//! Secret values never enter the record: signatures are left out, and tokens are stored as
//! `<present>`, because test failures print these.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use super::params::Params;

/// Calls kept; older ones are forgotten so a long-running emulator stays small.
const MAX_CALLS: usize = 10_000;
/// Stands in for the value of a secret parameter.
pub const PRESENT: &str = "<present>";
/// Parameters whose values are secrets: recorded as [`PRESENT`].
const SECRET_PARAMS: [&str; 3] = ["OIDCToken", "SecurityToken", "AccessKeySecret"];

/// Which credential service was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CredentialService {
    /// STS (`AssumeRole`, `AssumeRoleWithOIDC`).
    Sts,
    /// The ECS instance metadata service (`/latest/...`).
    Metadata,
    /// The credentials URI (`/credentials`).
    CredentialsUri,
}

/// One call to a credential service, whatever its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialCall {
    pub service: CredentialService,
    pub method: String,
    pub path: String,
    /// STS's `Action` (from `x-acs-action` or the parameters); `None` elsewhere.
    pub action: Option<String>,
    /// The decoded parameters (query string and form body; for the metadata service, its
    /// token TTL header), without `Signature`, with secret values replaced by [`PRESENT`].
    pub params: BTreeMap<String, String>,
    /// The access key id that signed the call, when the gateway verified a signature.
    pub signed_by: Option<String>,
    /// A valid IMDSv2 token came with the call.
    pub metadata_token: bool,
    /// The HTTP status answered.
    pub status: u16,
}

/// The record, shared by every request.
#[derive(Debug, Default)]
pub(crate) struct Calls {
    calls: Mutex<VecDeque<CredentialCall>>,
    dbs_by_key: Mutex<BTreeMap<String, u64>>,
}

impl Calls {
    pub(crate) fn record(&self, call: CredentialCall) {
        let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        if calls.len() == MAX_CALLS {
            calls.pop_front();
        }
        calls.push_back(call);
    }

    pub(crate) fn credential_calls(&self) -> Vec<CredentialCall> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    /// Counts one DBS request that `access_key_id` signed and the gateway admitted.
    pub(crate) fn dbs_request(&self, access_key_id: &str) {
        *self
            .dbs_by_key
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(access_key_id.to_owned())
            .or_default() += 1;
    }

    pub(crate) fn dbs_requests_by_key(&self) -> BTreeMap<String, u64> {
        self.dbs_by_key
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The parameters as recorded: the first value of each name, `Signature` dropped, secrets
/// replaced.
pub(crate) fn recorded_params(params: &Params) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, value) in params.pairs() {
        if name == "Signature" || out.contains_key(name) {
            continue;
        }
        let value = if SECRET_PARAMS.contains(&name.as_str()) {
            PRESENT.to_owned()
        } else {
            value.clone()
        };
        out.insert(name.clone(), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_not_recorded() {
        let mut p = Params::default();
        p.extend_from("Signature=sig&OIDCToken=jwt&SecurityToken=tok&Policy=%7B%7D&Policy=2")
            .unwrap();
        let recorded = recorded_params(&p);
        assert_eq!(recorded.get("Signature"), None);
        assert_eq!(recorded["OIDCToken"], PRESENT);
        assert_eq!(recorded["SecurityToken"], PRESENT);
        assert_eq!(recorded["Policy"], "{}");
    }

    #[test]
    fn bounded_and_counted() {
        let calls = Calls::default();
        let call = CredentialCall {
            service: CredentialService::Metadata,
            method: "GET".into(),
            path: "/".into(),
            action: None,
            params: BTreeMap::new(),
            signed_by: None,
            metadata_token: false,
            status: 200,
        };
        for _ in 0..MAX_CALLS + 5 {
            calls.record(call.clone());
        }
        assert_eq!(calls.credential_calls().len(), MAX_CALLS);
        calls.dbs_request("a");
        calls.dbs_request("a");
        calls.dbs_request("b");
        assert_eq!(
            calls.dbs_requests_by_key(),
            BTreeMap::from([("a".to_owned(), 2), ("b".to_owned(), 1)])
        );
    }
}
