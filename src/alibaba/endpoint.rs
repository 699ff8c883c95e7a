//! Which base URL the client talks to: the region's DBS host, or an override.
//!
//! Plain `http://` is accepted only for loopback hosts (the emulator), so that a typo in an
//! override can never send signed requests over an unencrypted link to a real host.

use std::net::IpAddr;

use reqwest::Url;

/// The DBS API host of each region the official SDK knows (the `_endpoint_map` of
/// `alibabacloud-dbs20190306`). Kept as the SDK writes it, full host names included, so that
/// checking it against a newer SDK is a line-by-line comparison. The mainland regions, the
/// finance clouds and both US regions have no DBS API host of their own and are served from
/// Hangzhou; guessing `dbs-api.<region>` for them would name a host that does not answer.
const KNOWN_HOSTS: &[(&str, &str)] = &[
    ("cn-hangzhou", "dbs-api.cn-hangzhou.aliyuncs.com"),
    ("cn-qingdao", "dbs-api.cn-hangzhou.aliyuncs.com"),
    ("cn-beijing", "dbs-api.cn-hangzhou.aliyuncs.com"),
    ("cn-shanghai", "dbs-api.cn-hangzhou.aliyuncs.com"),
    ("cn-shenzhen", "dbs-api.cn-hangzhou.aliyuncs.com"),
    ("cn-zhangjiakou", "dbs-api.cn-hangzhou.aliyuncs.com"),
    ("cn-hongkong", "dbs-api.cn-hangzhou.aliyuncs.com"),
    ("us-west-1", "dbs-api.cn-hangzhou.aliyuncs.com"),
    ("us-east-1", "dbs-api.cn-hangzhou.aliyuncs.com"),
    ("cn-hangzhou-finance", "dbs-api.cn-hangzhou.aliyuncs.com"),
    ("cn-shanghai-finance-1", "dbs-api.cn-hangzhou.aliyuncs.com"),
    ("cn-shenzhen-finance-1", "dbs-api.cn-hangzhou.aliyuncs.com"),
    ("cn-chengdu", "dbs-api.cn-chengdu.aliyuncs.com"),
    ("cn-huhehaote", "dbs-api.cn-huhehaote.aliyuncs.com"),
    ("ap-southeast-1", "dbs-api.ap-southeast-1.aliyuncs.com"),
    ("ap-southeast-2", "dbs-api.ap-southeast-2.aliyuncs.com"),
    ("ap-southeast-3", "dbs-api.ap-southeast-3.aliyuncs.com"),
    ("ap-southeast-5", "dbs-api.ap-southeast-5.aliyuncs.com"),
    ("ap-northeast-1", "dbs-api.ap-northeast-1.aliyuncs.com"),
    ("ap-south-1", "dbs-api.ap-south-1.aliyuncs.com"),
    ("eu-central-1", "dbs-api.eu-central-1.aliyuncs.com"),
    ("eu-west-1", "dbs-api.eu-west-1.aliyuncs.com"),
    ("me-east-1", "dbs-api.me-east-1.aliyuncs.com"),
];

/// Why no usable endpoint could be derived; every variant names the offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// No region and no override: there is nothing to derive a host from.
    #[error("no region is set, so no DBS endpoint can be chosen; set `region` or `endpoint`")]
    MissingRegion,
    /// The region is not a plausible region id (it would become part of a host name).
    #[error("region {region:?} is not a valid region id (expected lower-case letters, digits and '-', e.g. cn-hangzhou)")]
    InvalidRegion {
        /// The region as given.
        region: String,
    },
    /// The override is not a URL (or host) we can send requests to.
    #[error("endpoint {endpoint:?} is not a valid URL: {reason}")]
    InvalidUrl {
        /// The override as given.
        endpoint: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `http://` to a host that is not loopback would expose signed requests.
    #[error("endpoint {endpoint:?} uses http:// for a non-loopback host; use https:// (http:// is only allowed for 127.0.0.1, ::1 and localhost)")]
    InsecureScheme {
        /// The override as given.
        endpoint: String,
    },
}

/// Returns the base URL (scheme, host and optional port, no trailing slash) for a region, or the
/// validated override when one is given. A bare host override means `https://host`.
pub fn resolve_endpoint(
    region: &str,
    endpoint_override: Option<&str>,
) -> Result<String, EndpointError> {
    if let Some(endpoint) = endpoint_override.map(str::trim).filter(|e| !e.is_empty()) {
        return validate_override(endpoint);
    }
    let region = region.trim();
    if region.is_empty() {
        return Err(EndpointError::MissingRegion);
    }
    let valid = region
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-');
    if !valid {
        return Err(EndpointError::InvalidRegion {
            region: region.to_owned(),
        });
    }
    let (host, known) = host_for(region);
    if !known {
        log::debug!(
            "region {region:?} is not in the DBS endpoint map; guessing {host} (set `endpoint` \
             if that host does not answer)"
        );
    }
    Ok(format!("https://{host}"))
}

/// The API host of a valid region id, and whether it comes from the known map rather than from
/// the `dbs-api.<region>` pattern (a guess: a region opened after the map was written most
/// likely follows it, and a wrong guess fails loudly at the first request).
fn host_for(region: &str) -> (String, bool) {
    match KNOWN_HOSTS.iter().find(|(r, _)| *r == region) {
        Some((_, host)) => ((*host).to_owned(), true),
        None => (format!("dbs-api.{region}.aliyuncs.com"), false),
    }
}

/// Checks an endpoint override on its own (URL shape, `http://` only for
/// loopback) and returns the base URL it stands for; callers can use it to
/// reject a bad override before any region is known.
pub fn validate_override(endpoint: &str) -> Result<String, EndpointError> {
    let invalid = |reason: &str| EndpointError::InvalidUrl {
        endpoint: endpoint.to_owned(),
        reason: reason.to_owned(),
    };
    let with_scheme = if endpoint.contains("://") {
        endpoint.to_owned()
    } else {
        format!("https://{endpoint}")
    };
    let url = Url::parse(&with_scheme).map_err(|e| invalid(&e.to_string()))?;
    let host = url.host_str().ok_or_else(|| invalid("it has no host"))?;
    if !url.username().is_empty() || url.password().is_some() {
        // Do not repeat a password back into a diagnostic.
        let mut shown = url.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        return Err(EndpointError::InvalidUrl {
            endpoint: shown.to_string(),
            reason: "it must not carry user information".to_owned(),
        });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it must not carry a query or a fragment"));
    }
    if url.path() != "/" {
        return Err(invalid("RPC APIs live at the root path; remove the path"));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return Err(EndpointError::InsecureScheme {
                endpoint: endpoint.to_owned(),
            })
        }
        other => return Err(invalid(&format!("scheme {other:?} is not http(s)"))),
    }
    let mut base = format!("{}://{host}", url.scheme());
    if let Some(port) = url.port() {
        base.push_str(&format!(":{port}"));
    }
    Ok(base)
}

/// Loopback by name or address; `host_str` keeps IPv6 literals in brackets.
fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SDK's map, as facts independent of the table above.
    const SERVED_BY_HANGZHOU: [&str; 12] = [
        "cn-hangzhou",
        "cn-qingdao",
        "cn-beijing",
        "cn-shanghai",
        "cn-shenzhen",
        "cn-zhangjiakou",
        "cn-hongkong",
        "us-west-1",
        "us-east-1",
        "cn-hangzhou-finance",
        "cn-shanghai-finance-1",
        "cn-shenzhen-finance-1",
    ];
    const OWN_HOST: [&str; 11] = [
        "cn-chengdu",
        "cn-huhehaote",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-5",
        "ap-northeast-1",
        "ap-south-1",
        "eu-central-1",
        "eu-west-1",
        "me-east-1",
    ];

    #[test]
    fn regions_served_by_hangzhou() {
        for region in SERVED_BY_HANGZHOU {
            assert_eq!(
                resolve_endpoint(region, None),
                Ok("https://dbs-api.cn-hangzhou.aliyuncs.com".to_owned()),
                "{region}"
            );
            assert!(host_for(region).1, "{region} is in the known map");
        }
    }

    #[test]
    fn regions_with_their_own_host() {
        for region in OWN_HOST {
            assert_eq!(
                resolve_endpoint(region, None),
                Ok(format!("https://dbs-api.{region}.aliyuncs.com")),
                "{region}"
            );
            assert!(host_for(region).1, "{region} is in the known map");
        }
    }

    #[test]
    fn the_table_holds_exactly_the_known_regions_once() {
        let mut listed: Vec<&str> = KNOWN_HOSTS.iter().map(|(r, _)| *r).collect();
        listed.sort_unstable();
        let mut expected: Vec<&str> = SERVED_BY_HANGZHOU
            .iter()
            .chain(&OWN_HOST)
            .copied()
            .collect();
        expected.sort_unstable();
        assert_eq!(listed, expected);
    }

    #[test]
    fn unknown_regions_get_a_guessed_host() {
        for region in ["ap-northeast-2", "cn-wulanchabu", "eu-south-9"] {
            assert_eq!(
                host_for(region),
                (format!("dbs-api.{region}.aliyuncs.com"), false),
                "{region}"
            );
            assert_eq!(
                resolve_endpoint(region, None),
                Ok(format!("https://dbs-api.{region}.aliyuncs.com")),
                "{region}"
            );
        }
    }

    #[test]
    fn regions_are_matched_after_trimming() {
        assert_eq!(
            resolve_endpoint(" cn-beijing\n", None),
            Ok("https://dbs-api.cn-hangzhou.aliyuncs.com".to_owned())
        );
    }

    #[test]
    fn bad_or_missing_regions_are_errors() {
        assert_eq!(
            resolve_endpoint("", None),
            Err(EndpointError::MissingRegion)
        );
        assert_eq!(
            resolve_endpoint("  ", Some("")),
            Err(EndpointError::MissingRegion)
        );
        for region in ["CN-HANGZHOU", "cn_hangzhou", "evil.com/x", "-cn"] {
            assert!(
                matches!(
                    resolve_endpoint(region, None),
                    Err(EndpointError::InvalidRegion { .. })
                ),
                "{region}"
            );
        }
    }

    #[test]
    fn override_wins_over_region() {
        assert_eq!(
            resolve_endpoint("cn-hangzhou", Some("https://dbs.example.test/")),
            Ok("https://dbs.example.test".to_owned())
        );
        assert_eq!(
            resolve_endpoint("", Some("dbs.example.test:8443")),
            Ok("https://dbs.example.test:8443".to_owned())
        );
    }

    #[test]
    fn user_information_is_rejected_without_echoing_it() {
        let err = resolve_endpoint("", Some("https://user:hunter2@dbs.example.test")).unwrap_err();
        assert!(matches!(err, EndpointError::InvalidUrl { .. }));
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    /// Which refusal `resolve_endpoint` gives the override `endpoint` (panics if it accepts it
    /// or refuses it for another reason).
    fn refusal(endpoint: &str) -> &'static str {
        match resolve_endpoint("cn-hangzhou", Some(endpoint)) {
            Err(EndpointError::InsecureScheme { .. }) => "InsecureScheme",
            Err(EndpointError::InvalidUrl { .. }) => "InvalidUrl",
            other => panic!("{endpoint}: {other:?}"),
        }
    }

    #[test]
    fn http_only_for_loopback() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9",
            "http://127.1.2.3",
        ] {
            assert!(resolve_endpoint("cn-hangzhou", Some(ok)).is_ok(), "{ok}");
        }
        assert_eq!(
            resolve_endpoint("cn-hangzhou", Some("http://[::1]:9/")),
            Ok("http://[::1]:9".to_owned())
        );
        for bad in [
            "http://dbs.example.test",
            "http://10.0.0.1",
            "http://127.0.0.1.evil.test",
        ] {
            assert_eq!(refusal(bad), "InsecureScheme", "{bad}");
        }
    }

    #[test]
    fn unusable_overrides_are_rejected() {
        for bad in [
            "ftp://127.0.0.1",
            "https://user:pw@dbs.example.test",
            "https://dbs.example.test/api",
            "https://dbs.example.test/?a=b",
            "https://",
            "http://exa mple",
        ] {
            assert_eq!(refusal(bad), "InvalidUrl", "{bad}");
        }
    }
}
