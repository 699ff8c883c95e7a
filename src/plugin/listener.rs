//! Where the plugin listens: a unix socket in a private directory (as
//! go-plugin does on Unix), or TCP as a fallback.
//!
//! The private directory (mode 0700) is what keeps other local users from
//! even reaching the socket; mTLS then keeps out other processes of the same
//! user. The directory is removed when the [`PluginListener`] is dropped.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, UnixListener};

use super::handshake::Address;

/// Why no listener could be opened.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    /// Creating the private directory or binding the socket failed.
    #[error("could not listen on {what}: {source}")]
    Io {
        /// What we tried to bind.
        what: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// `PLUGIN_MIN_PORT`/`PLUGIN_MAX_PORT` do not form a usable range.
    #[error("invalid plugin port range {min}..={max}")]
    PortRange {
        /// Lower bound as given.
        min: String,
        /// Upper bound as given.
        max: String,
    },
}

/// Which transport to use; see [`Transport::from_env`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// A socket file in a fresh 0700 directory under `parent`.
    Unix {
        /// Parent of the private directory.
        parent: PathBuf,
    },
    /// Loopback TCP on the first free port in the range.
    Tcp {
        /// Lowest port to try (0 = any).
        min_port: u16,
        /// Highest port to try.
        max_port: u16,
    },
}

impl Transport {
    /// Unix sockets unless `TF_PLUGIN_TRANSPORT=tcp`; the socket's parent is
    /// `PLUGIN_UNIX_SOCKET_DIR` (honoured by go-plugin too) or the temp dir.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ListenError> {
        if lookup("TF_PLUGIN_TRANSPORT").as_deref() == Some("tcp") {
            let min = lookup("PLUGIN_MIN_PORT").unwrap_or_default();
            let max = lookup("PLUGIN_MAX_PORT").unwrap_or_default();
            let parse = |s: &str, default: u16| {
                if s.is_empty() {
                    Some(default)
                } else {
                    s.trim().parse::<u16>().ok()
                }
            };
            match (parse(&min, 0), parse(&max, 0)) {
                (Some(lo), Some(hi)) if hi == 0 || lo <= hi => Ok(Transport::Tcp {
                    min_port: lo,
                    max_port: if hi == 0 { lo } else { hi },
                }),
                _ => Err(ListenError::PortRange { min, max }),
            }
        } else {
            let parent = lookup("PLUGIN_UNIX_SOCKET_DIR")
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(std::env::temp_dir);
            Ok(Transport::Unix { parent })
        }
    }
}

/// A bound listener plus whatever must be cleaned up when it goes away.
pub struct PluginListener {
    inner: Inner,
    address: Address,
    private_dir: Option<PathBuf>,
}

enum Inner {
    Unix(UnixListener),
    Tcp(TcpListener),
}

impl PluginListener {
    /// Binds according to `transport`; a unix socket's private directory is
    /// named `<dir_prefix><random>`.
    pub async fn bind(transport: &Transport, dir_prefix: &str) -> Result<Self, ListenError> {
        match transport {
            Transport::Unix { parent } => Self::bind_unix(parent, dir_prefix),
            Transport::Tcp { min_port, max_port } => Self::bind_tcp(*min_port, *max_port).await,
        }
    }

    fn bind_unix(parent: &Path, dir_prefix: &str) -> Result<Self, ListenError> {
        let dir = create_private_dir(parent, dir_prefix)?;
        let path = dir.join("plugin.sock");
        let listener = UnixListener::bind(&path).map_err(|source| {
            let _ = std::fs::remove_dir_all(&dir);
            ListenError::Io {
                what: path.display().to_string(),
                source,
            }
        })?;
        Ok(Self {
            inner: Inner::Unix(listener),
            address: Address::Unix(path),
            private_dir: Some(dir),
        })
    }

    async fn bind_tcp(min_port: u16, max_port: u16) -> Result<Self, ListenError> {
        let mut last_error = None;
        for port in min_port..=max_port {
            match TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await {
                Ok(listener) => {
                    let local = listener.local_addr().map_err(|source| ListenError::Io {
                        what: "tcp listener address".into(),
                        source,
                    })?;
                    return Ok(Self {
                        inner: Inner::Tcp(listener),
                        address: Address::Tcp(local),
                        private_dir: None,
                    });
                }
                Err(e) => last_error = Some(e),
            }
        }
        Err(ListenError::Io {
            what: format!("127.0.0.1 ports {min_port}..={max_port}"),
            source: last_error.unwrap_or_else(|| std::io::Error::other("empty port range")),
        })
    }

    /// The address to announce in the handshake line.
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// The private directory holding the socket, if any.
    pub fn private_dir(&self) -> Option<&Path> {
        self.private_dir.as_deref()
    }

    /// Waits for the next client. TCP connections get `TCP_NODELAY`: without
    /// it every small gRPC reply waits on the peer's delayed ACK and each
    /// Terraform run stalls about 40 ms per call.
    pub async fn accept(&self) -> std::io::Result<RawConn> {
        match &self.inner {
            Inner::Unix(l) => {
                let (stream, _) = l.accept().await?;
                Ok(RawConn::Unix(stream))
            }
            Inner::Tcp(l) => {
                let (stream, _) = l.accept().await?;
                stream.set_nodelay(true)?;
                Ok(RawConn::Tcp(stream))
            }
        }
    }

    /// Removes the private directory now (also done on drop).
    pub fn cleanup(&mut self) {
        if let Some(dir) = self.private_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl Drop for PluginListener {
    fn drop(&mut self) {
        self.cleanup();
    }
}

fn create_private_dir(parent: &Path, prefix: &str) -> Result<PathBuf, ListenError> {
    use std::os::unix::fs::DirBuilderExt;
    let mut builder = std::fs::DirBuilder::new();
    builder.mode(0o700);
    let mut last_error = None;
    // A random suffix, retried on collision, like mkdtemp.
    for _ in 0..16 {
        let dir = parent.join(format!("{prefix}{:016x}", rand::random::<u64>()));
        match builder.create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_error = Some(e),
            Err(source) => {
                return Err(ListenError::Io {
                    what: dir.display().to_string(),
                    source,
                })
            }
        }
    }
    Err(ListenError::Io {
        what: parent.display().to_string(),
        source: last_error.unwrap_or_else(|| std::io::Error::other("no free directory name")),
    })
}

/// An accepted connection before TLS.
pub enum RawConn {
    /// From the unix socket.
    Unix(tokio::net::UnixStream),
    /// From the TCP listener.
    Tcp(tokio::net::TcpStream),
}

impl AsyncRead for RawConn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            RawConn::Unix(s) => Pin::new(s).poll_read(cx, buf),
            RawConn::Tcp(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for RawConn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            RawConn::Unix(s) => Pin::new(s).poll_write(cx, buf),
            RawConn::Tcp(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            RawConn::Unix(s) => Pin::new(s).poll_flush(cx),
            RawConn::Tcp(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            RawConn::Unix(s) => Pin::new(s).poll_shutdown(cx),
            RawConn::Tcp(s) => Pin::new(s).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            RawConn::Unix(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            RawConn::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            RawConn::Unix(s) => s.is_write_vectored(),
            RawConn::Tcp(s) => s.is_write_vectored(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::test_env::env;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn transport_selection() {
        assert!(matches!(
            Transport::from_env(env(&[])),
            Ok(Transport::Unix { .. })
        ));
        assert_eq!(
            Transport::from_env(env(&[
                ("TF_PLUGIN_TRANSPORT", "tcp"),
                ("PLUGIN_MIN_PORT", "10000"),
                ("PLUGIN_MAX_PORT", "10005")
            ]))
            .unwrap(),
            Transport::Tcp {
                min_port: 10000,
                max_port: 10005
            }
        );
        assert!(Transport::from_env(env(&[
            ("TF_PLUGIN_TRANSPORT", "tcp"),
            ("PLUGIN_MIN_PORT", "9"),
            ("PLUGIN_MAX_PORT", "3")
        ]))
        .is_err());
    }

    #[tokio::test]
    async fn unix_socket_lives_in_private_dir_removed_on_drop() {
        let parent = tempfile::tempdir().unwrap();
        let listener = PluginListener::bind(
            &Transport::Unix {
                parent: parent.path().into(),
            },
            "plugin-example-",
        )
        .await
        .unwrap();
        let dir = listener.private_dir().unwrap().to_path_buf();
        assert!(dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("plugin-example-"));
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        assert!(matches!(listener.address(), Address::Unix(p) if p.starts_with(&dir)));
        drop(listener);
        assert!(!dir.exists());
    }

    #[tokio::test]
    async fn tcp_uses_the_port_range_and_nodelay() {
        let listener = PluginListener::bind(
            &Transport::Tcp {
                min_port: 0,
                max_port: 0,
            },
            "unused-",
        )
        .await
        .unwrap();
        let Address::Tcp(addr) = listener.address().clone() else {
            panic!("expected tcp")
        };
        let client = tokio::spawn(async move { tokio::net::TcpStream::connect(addr).await });
        let RawConn::Tcp(stream) = listener.accept().await.unwrap() else {
            panic!("expected tcp conn")
        };
        assert!(stream.nodelay().unwrap());
        client.await.unwrap().unwrap();
    }
}
