//! The credentials URI (`ALIBABA_CLOUD_CREDENTIALS_URI`): a plain GET answering fresh temporary
//! credentials in the shape Alibaba's credential clients parse (`Code: Success` and the four
//! fields, `Expiration` as `YYYY-MM-DDThh:mm:ssZ`). Real deployments serve it from a sidecar;
//! it has no authentication of its own, so neither has this one.

use axum::http::StatusCode;
use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::identities::Identities;
use super::reply::{Reply, JSON, TEXT};

pub(crate) fn answer(
    method: &str,
    identities: &Identities,
    lifetime: Duration,
    now: OffsetDateTime,
) -> Reply {
    if method != "GET" {
        let text = "405 - Method Not Allowed";
        return Reply::plain(StatusCode::METHOD_NOT_ALLOWED, TEXT, text, text.to_owned());
    }
    let issued = identities.issue(lifetime, now);
    let body = json!({
        "Code": "Success",
        "AccessKeyId": issued.access_key_id,
        "AccessKeySecret": issued.access_key_secret,
        "SecurityToken": issued.security_token,
        "Expiration": issued.expiration_text(),
    });
    Reply::plain(
        StatusCode::OK,
        JSON,
        body.to_string(),
        format!("200 credentials {}", issued.access_key_id),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alibaba::Credentials;
    use time::macros::datetime;

    #[test]
    fn answers_fresh_credentials_the_gateway_accepts() {
        let ids = Identities::new(Credentials {
            access_key_id: "ak".into(),
            access_key_secret: "sk".into(),
            security_token: None,
        });
        let now = datetime!(2024-05-01 12:00 UTC);
        let reply = answer("GET", &ids, Duration::seconds(90), now);
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.request_id.is_none());
        let v: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(v["Code"], "Success");
        assert_eq!(v["Expiration"], "2024-05-01T12:01:30Z");
        let key = v["AccessKeyId"].as_str().unwrap();
        assert_eq!(
            ids.secret_for(key, v["SecurityToken"].as_str(), now)
                .unwrap(),
            v["AccessKeySecret"].as_str().unwrap()
        );
        assert!(!reply
            .summary
            .contains(v["AccessKeySecret"].as_str().unwrap()));
        assert_eq!(
            answer("POST", &ids, Duration::seconds(90), now)
                .status
                .as_u16(),
            405
        );
    }
}
