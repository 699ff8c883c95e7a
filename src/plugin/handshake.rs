//! The go-plugin handshake: the environment contract Terraform sets up before
//! it starts a provider, and the single stdout line the provider answers with.
//!
//! Terraform reads exactly one line from our stdout to learn where to dial, so
//! everything here is about producing that line correctly or failing loudly
//! before any socket is opened.

use std::fmt;

use base64::Engine as _;

/// The cookie Terraform sets so that a provider binary started by hand can
/// explain itself instead of silently waiting for a client that never comes.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// The value Terraform uses for [`MAGIC_COOKIE_KEY`] (fixed by Terraform core).
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// The only plugin protocol major version this SDK speaks.
pub const PROTOCOL_VERSION: u32 = 6;
/// go-plugin's own handshake format version (the first field of the line).
pub const CORE_PROTOCOL_VERSION: u32 = 1;

/// Why the process refuses to serve.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HandshakeError {
    /// Started by a person (or another program) rather than by Terraform.
    #[error(
        "This binary is a plugin. These are not meant to be executed directly.\n\
         Please execute the program that consumes these plugins (terraform or tofu), \
         which will load any plugins automatically.\n\
         To debug this provider, run it with --debug and follow the printed instructions."
    )]
    MissingCookie,
    /// Terraform offered only protocol versions we cannot speak.
    #[error(
        "Terraform offered plugin protocol versions [{offered}], but this provider speaks only \
         version {PROTOCOL_VERSION}. Use Terraform 1.0 or later, or OpenTofu."
    )]
    UnsupportedProtocol {
        /// The raw `PLUGIN_PROTOCOL_VERSIONS` value.
        offered: String,
    },
}

/// Checks the variables Terraform sets before starting a plugin.
///
/// `lookup` abstracts the environment so the rules are testable without
/// mutating the process environment.
pub fn check_environment(lookup: impl Fn(&str) -> Option<String>) -> Result<(), HandshakeError> {
    if lookup(MAGIC_COOKIE_KEY).as_deref() != Some(MAGIC_COOKIE_VALUE) {
        return Err(HandshakeError::MissingCookie);
    }
    // go-plugin treats an absent list as "the client's single configured
    // version", which for Terraform >= 1.0 always includes 6.
    let Some(offered) = lookup("PLUGIN_PROTOCOL_VERSIONS") else {
        return Ok(());
    };
    let speaks_ours = offered
        .split(',')
        .any(|v| v.trim().parse::<u32>() == Ok(PROTOCOL_VERSION));
    if speaks_ours {
        Ok(())
    } else {
        Err(HandshakeError::UnsupportedProtocol { offered })
    }
}

/// Where the client should dial, as go-plugin names the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// A unix domain socket path.
    Unix(std::path::PathBuf),
    /// A TCP `host:port`.
    Tcp(std::net::SocketAddr),
}

impl Address {
    /// go-plugin's network name.
    pub fn network(&self) -> &'static str {
        match self {
            Address::Unix(_) => "unix",
            Address::Tcp(_) => "tcp",
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Unix(path) => write!(f, "{}", path.display()),
            Address::Tcp(addr) => write!(f, "{addr}"),
        }
    }
}

/// The line go-plugin clients parse:
/// `CORE|APP|NETWORK|ADDRESS|PROTOCOL|SERVER_CERT`.
///
/// The certificate is unpadded standard base64 of the DER, because go-plugin
/// decodes it with `RawStdEncoding`; with no certificate (debug mode) the
/// field is omitted entirely.
pub fn handshake_line(address: &Address, server_cert_der: Option<&[u8]>) -> String {
    let mut line = format!(
        "{CORE_PROTOCOL_VERSION}|{PROTOCOL_VERSION}|{}|{address}|grpc",
        address.network()
    );
    if let Some(der) = server_cert_der {
        line.push('|');
        line.push_str(&base64::engine::general_purpose::STANDARD_NO_PAD.encode(der));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::test_env::env;

    #[test]
    fn missing_or_wrong_cookie_is_refused() {
        assert_eq!(
            check_environment(env(&[])),
            Err(HandshakeError::MissingCookie)
        );
        assert_eq!(
            check_environment(env(&[(MAGIC_COOKIE_KEY, "nope")])),
            Err(HandshakeError::MissingCookie)
        );
    }

    #[test]
    fn protocol_negotiation() {
        let cases = [
            (Some("5,6"), true),
            (Some("6"), true),
            (Some(" 5 , 6 "), true),
            (None, true),
            (Some("5"), false),
            (Some(""), false),
            (Some("4,5,7"), false),
        ];
        for (offered, ok) in cases {
            let mut pairs = vec![(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)];
            if let Some(v) = offered {
                pairs.push(("PLUGIN_PROTOCOL_VERSIONS", v));
            }
            assert_eq!(
                check_environment(env(&pairs)).is_ok(),
                ok,
                "offered {offered:?}"
            );
        }
    }

    #[test]
    fn unsupported_protocol_message_names_what_was_offered() {
        let err = check_environment(env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_PROTOCOL_VERSIONS", "4,5"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("[4,5]"), "{err}");
    }

    #[test]
    fn handshake_lines() {
        let unix = Address::Unix("/tmp/plugin1/p.sock".into());
        assert_eq!(
            handshake_line(&unix, None),
            "1|6|unix|/tmp/plugin1/p.sock|grpc"
        );
        // 0xfb 0xff encodes to "+/8=" padded; go-plugin wants it unpadded.
        assert_eq!(
            handshake_line(&unix, Some(&[0xfb, 0xff])),
            "1|6|unix|/tmp/plugin1/p.sock|grpc|+/8"
        );
        let tcp = Address::Tcp("127.0.0.1:10000".parse().unwrap());
        assert_eq!(handshake_line(&tcp, None), "1|6|tcp|127.0.0.1:10000|grpc");
    }
}
