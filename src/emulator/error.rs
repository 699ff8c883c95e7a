//! Why the emulator could not start.

use std::net::SocketAddr;
use std::path::PathBuf;

/// A failure to start the emulator. Once it runs, problems with requests are answered over HTTP
/// (that is the point of an emulator), so this type only covers loading tasks and listening.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// The fixture file could not be read.
    #[error("cannot read fixture {}: {source}", path.display())]
    ReadFixture {
        /// The file that was asked for.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The fixture file was read but does not hold restore tasks.
    #[error("fixture {} is not usable: {reason}", path.display())]
    BadFixture {
        /// The file that was asked for.
        path: PathBuf,
        /// What is wrong with it, naming the offending entry where there is one.
        reason: String,
    },
    /// The listening socket could not be set up.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address that was asked for.
        addr: SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
}
