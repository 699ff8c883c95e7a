//! Raw protocol data files: with `TF_LOG_SDK_PROTO_DATA_DIR` set, every
//! config and state Terraform sends is written, byte for byte, to a file of
//! that directory, as HashiCorp's terraform-plugin-go does. A log line of
//! the decoded value would hide exactly what such a file is for: the
//! encoding Terraform chose (a refined unknown, a number sent as a string),
//! when debugging a decode problem or capturing test fixtures.
//!
//! Files are named `<unix ms>_<RPC>_<type name>_<field>.<ext>` (the type
//! name is `provider` for the provider's own block; upstream puts the
//! message name there, which says less), with `-1`, `-2`... after the
//! milliseconds when a name is taken: Terraform validates many blocks of
//! one type at once, from several provider processes. The extension is
//! `msgpack`, `json`, or `empty` for an absent value.
//!
//! A value whose schema has a sensitive attribute anywhere is never
//! written, not even its other attributes: a file outlives the run and ends
//! up attached to bug reports. Nor is one holding a secret registered for
//! masking ([`logging::redact`](super::logging::redact)), which would
//! otherwise be the one place it escapes unmasked.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::logging;
use super::wire::tfplugin6::DynamicValue;

/// The variable terraform-plugin-go reads, so users need to learn one name.
pub const DATA_DIR_VARIABLE: &str = "TF_LOG_SDK_PROTO_DATA_DIR";

/// Tries per file name before giving up: more values of one kind than
/// this within one millisecond means something else is wrong.
const MAX_ATTEMPTS: u32 = 1000;

/// Whether a value's schema allows it to be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrecy {
    /// No attribute of the schema is sensitive.
    Plain,
    /// Some attribute is: the value is never written.
    Sensitive,
}

impl Secrecy {
    /// From [`Schema::has_sensitive`](super::schema::Schema::has_sensitive).
    pub fn of(has_sensitive: bool) -> Self {
        if has_sensitive {
            Secrecy::Sensitive
        } else {
            Secrecy::Plain
        }
    }
}

/// Which value of which request: the three parts of a file name.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    /// The RPC, as the protocol names it (`ReadDataSource`).
    pub rpc: &'a str,
    /// The data source or resource type, or `provider`.
    pub type_name: &'a str,
    /// The request field, as terraform-plugin-go names it (`Config`, `PriorState`).
    pub field: &'a str,
}

/// The directory values are written to.
#[derive(Debug, Clone)]
pub struct ProtoDataDir {
    dir: PathBuf,
}

impl ProtoDataDir {
    /// From [`DATA_DIR_VARIABLE`], when it is set and not empty.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Option<Self> {
        lookup(DATA_DIR_VARIABLE)
            .filter(|dir| !dir.is_empty())
            .map(Self::new)
    }

    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Writes `value` unless its secrecy forbids; the file written, if any.
    /// Failures are logged, never returned: debugging output must not fail
    /// the RPC it observes.
    pub fn record(
        &self,
        what: Received<'_>,
        value: Option<&DynamicValue>,
        secrecy: Secrecy,
    ) -> Option<PathBuf> {
        if secrecy == Secrecy::Sensitive {
            log::debug!(
                "{} {}: {} not written to {DATA_DIR_VARIABLE}: the schema has sensitive attributes",
                what.rpc,
                what.type_name,
                what.field
            );
            return None;
        }
        let (extension, bytes) = contents(value);
        if logging::holds_secret(bytes) {
            log::debug!(
                "{} {}: {} not written to {DATA_DIR_VARIABLE}: it holds a secret",
                what.rpc,
                what.type_name,
                what.field
            );
            return None;
        }
        match self.write_new(what, extension, bytes) {
            Ok(path) => {
                log::trace!("wrote protocol data file {}", path.display());
                Some(path)
            }
            Err(e) => {
                log::warn!(
                    "{} {}: cannot write {} to {DATA_DIR_VARIABLE} ({}): {e}",
                    what.rpc,
                    what.type_name,
                    what.field,
                    self.dir.display()
                );
                None
            }
        }
    }

    /// Creates a file of a name no other value took (another thread or
    /// provider process may write in the same millisecond).
    fn write_new(
        &self,
        what: Received<'_>,
        extension: &str,
        bytes: &[u8],
    ) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(&self.dir)?;
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        for attempt in 0..MAX_ATTEMPTS {
            let path = self.dir.join(file_name(millis, attempt, what, extension));
            let created = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path);
            match created {
                Ok(mut file) => {
                    file.write_all(bytes)?;
                    return Ok(path);
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::new(
            ErrorKind::AlreadyExists,
            format!("{MAX_ATTEMPTS} files of this name in one millisecond"),
        ))
    }
}

/// The extension and bytes of a value; JSON first, as upstream prefers it
/// when both are set.
fn contents(value: Option<&DynamicValue>) -> (&'static str, &[u8]) {
    match value {
        Some(v) if !v.json.is_empty() => ("json", &v.json),
        Some(v) if !v.msgpack.is_empty() => ("msgpack", &v.msgpack),
        _ => ("empty", &[]),
    }
}

/// `<millis>[-<attempt>]_<RPC>_<type name>_<field>.<extension>`.
pub fn file_name(millis: u128, attempt: u32, what: Received<'_>, extension: &str) -> String {
    let time = if attempt == 0 {
        millis.to_string()
    } else {
        format!("{millis}-{attempt}")
    };
    format!(
        "{time}_{}_{}_{}.{extension}",
        what.rpc, what.type_name, what.field
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const READ: Received<'static> = Received {
        rpc: "ReadDataSource",
        type_name: "example_things",
        field: "Config",
    };

    fn msgpack(bytes: &[u8]) -> DynamicValue {
        DynamicValue {
            msgpack: bytes.to_vec(),
            json: Vec::new(),
        }
    }

    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .map(|e| e.unwrap().file_name().into_string().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn file_names_follow_the_upstream_shape() {
        assert_eq!(
            file_name(1_700_000_000_123, 0, READ, "msgpack"),
            "1700000000123_ReadDataSource_example_things_Config.msgpack"
        );
        assert_eq!(
            file_name(1_700_000_000_123, 2, READ, "empty"),
            "1700000000123-2_ReadDataSource_example_things_Config.empty"
        );
    }

    #[test]
    fn the_variable_names_the_directory() {
        use crate::plugin::test_env::env;
        assert!(ProtoDataDir::from_env(env(&[])).is_none());
        assert!(ProtoDataDir::from_env(env(&[(DATA_DIR_VARIABLE, "")])).is_none());
        let dir = ProtoDataDir::from_env(env(&[(DATA_DIR_VARIABLE, "/tmp/x")])).unwrap();
        assert_eq!(dir.path(), Path::new("/tmp/x"));
    }

    #[test]
    fn plain_values_are_written_byte_for_byte() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = ProtoDataDir::new(tmp.path().join("created"));
        let bytes = [0x81, 0xa1, b'a', 0xd4, 0x00, 0x00];
        let path = dir
            .record(READ, Some(&msgpack(&bytes)), Secrecy::Plain)
            .unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        let name = path.file_name().unwrap().to_str().unwrap();
        let (millis, rest) = name.split_once('_').unwrap();
        assert!(millis.parse::<u128>().is_ok(), "{name}");
        assert_eq!(rest, "ReadDataSource_example_things_Config.msgpack");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn sensitive_schemas_write_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = ProtoDataDir::new(tmp.path());
        let configure = Received {
            rpc: "ConfigureProvider",
            type_name: "provider",
            field: "Config",
        };
        assert!(dir
            .record(configure, Some(&msgpack(&[0x80])), Secrecy::Sensitive)
            .is_none());
        assert!(dir.record(configure, None, Secrecy::Sensitive).is_none());
        assert_eq!(files(tmp.path()), Vec::<String>::new());
        assert_eq!(Secrecy::of(true), Secrecy::Sensitive);
        assert_eq!(Secrecy::of(false), Secrecy::Plain);
    }

    #[test]
    fn values_holding_a_registered_secret_write_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = ProtoDataDir::new(tmp.path());
        logging::redact("proto-data-secret-7c1e");
        let mut bytes = vec![0x81, 0xa1, b'k', 0xb6];
        bytes.extend_from_slice(b"proto-data-secret-7c1e");
        assert!(dir
            .record(READ, Some(&msgpack(&bytes)), Secrecy::Plain)
            .is_none());
        assert_eq!(files(tmp.path()), Vec::<String>::new());
    }

    #[test]
    fn json_and_absent_values_get_their_extensions() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = ProtoDataDir::new(tmp.path());
        let json = DynamicValue {
            msgpack: vec![0xc0],
            json: b"{}".to_vec(),
        };
        let json_file = dir.record(READ, Some(&json), Secrecy::Plain).unwrap();
        assert!(json_file.to_str().unwrap().ends_with("_Config.json"));
        assert_eq!(std::fs::read(json_file).unwrap(), b"{}");
        let empty = dir.record(READ, None, Secrecy::Plain).unwrap();
        assert!(empty.to_str().unwrap().ends_with("_Config.empty"));
        assert_eq!(std::fs::read(empty).unwrap(), b"");
    }

    #[test]
    fn values_in_the_same_millisecond_get_their_own_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = ProtoDataDir::new(tmp.path());
        let written: Vec<PathBuf> = (0u8..20)
            .map(|i| {
                dir.record(READ, Some(&msgpack(&[i])), Secrecy::Plain)
                    .unwrap()
            })
            .collect();
        assert_eq!(files(tmp.path()).len(), 20);
        for (i, path) in written.iter().enumerate() {
            assert_eq!(std::fs::read(path).unwrap(), [i as u8]);
        }
    }

    #[test]
    fn an_unwritable_directory_is_only_logged() {
        let tmp = tempfile::tempdir().unwrap();
        let blocker = tmp.path().join("a-file");
        std::fs::write(&blocker, b"").unwrap();
        let dir = ProtoDataDir::new(blocker.join("below"));
        assert!(dir
            .record(READ, Some(&msgpack(&[0xc0])), Secrecy::Plain)
            .is_none());
    }
}
