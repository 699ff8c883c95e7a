//! How an emulator is set up: where it listens, what it serves, whom it trusts, how it misbehaves.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};

use super::faults::Faults;
use super::tasks::TaskSource;

/// Access key id the emulator accepts unless told otherwise.
pub const DEFAULT_ACCESS_KEY_ID: &str = "emulator-access-key";
/// Access key secret the emulator accepts unless told otherwise. Not a secret: it exists so
/// offline users have something to type.
pub const DEFAULT_ACCESS_KEY_SECRET: &str = "emulator-secret";

/// Everything [`Emulator::start`](super::Emulator::start) needs.
///
/// `Default` gives a well-behaved server on an ephemeral loopback port with the default
/// credentials and a dozen generated tasks; tests override the fields they care about.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// Where to listen; port 0 picks a free port (read it back with `Emulator::url`).
    pub listen: SocketAddr,
    /// The tasks to serve.
    pub tasks: TaskSource,
    /// The only `AccessKeyId` accepted.
    pub access_key_id: String,
    /// The secret requests must be signed with.
    pub access_key_secret: String,
    /// When set, every request must carry exactly this `SecurityToken` (as with STS
    /// credentials). When unset, a `SecurityToken` is accepted but not required.
    pub security_token: Option<String>,
    /// Faults to inject from the start; change them later with `Emulator::set_faults`.
    pub faults: Faults,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            tasks: TaskSource::default(),
            access_key_id: DEFAULT_ACCESS_KEY_ID.to_owned(),
            access_key_secret: DEFAULT_ACCESS_KEY_SECRET.to_owned(),
            security_token: None,
            faults: Faults::default(),
        }
    }
}

impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("listen", &self.listen)
            .field("tasks", &self.tasks)
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .field("faults", &self.faults)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secrets() {
        let config = EmulatorConfig {
            access_key_secret: "s3cr3t".into(),
            security_token: Some("t0k3n".into()),
            ..EmulatorConfig::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cr3t") && !shown.contains("t0k3n"));
        assert!(shown.contains("emulator-access-key"));
    }

    #[test]
    fn default_listens_on_loopback() {
        let config = EmulatorConfig::default();
        assert!(config.listen.ip().is_loopback());
        assert_eq!(config.listen.port(), 0);
    }
}
