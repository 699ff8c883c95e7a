//! Runs a provider as a go-plugin gRPC server until Terraform is done with it.
//!
//! The order matters: check the environment, bind, set up TLS, start
//! serving, and only then print the handshake line, because Terraform dials
//! the moment it reads it.

use std::io::Write;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::sync::CancellationToken;

use super::go_plugin_services::{Broker, Controller, Stdio};
use super::handshake::{self, Address, HandshakeError};
use super::identity::ProviderIdentity;
use super::listener::{ListenError, PluginListener, Transport};
use super::provider_api::{Provider, TERRAFORM_MAX_MESSAGE_BYTES};
use super::provider_service::ProviderService;
use super::tls::{self, TlsSetupError};
use super::wire::go_plugin::{
    grpc_broker_server::GrpcBrokerServer, grpc_controller_server::GrpcControllerServer,
    grpc_stdio_server::GrpcStdioServer,
};
use super::wire::tfplugin6::provider_server::ProviderServer;

/// How long a client gets to finish the TLS handshake before we drop it.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// After Shutdown, how long in-flight responses get before the process exits
/// anyway; Terraform waits on us, so this bounds every run's tail.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(200);

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Registry address printed in debug mode, e.g. `registry.terraform.io/example/example`.
    pub provider_address: String,
    /// Serve without TLS and print `TF_REATTACH_PROVIDERS` instead of the handshake.
    pub debug: bool,
    /// The provider's names for its socket directory and certificate.
    pub identity: ProviderIdentity,
}

/// Why serving failed or never started.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Not started by Terraform, or protocol mismatch.
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    /// Terraform did not provide its client certificate.
    #[error(
        "PLUGIN_CLIENT_CERT is not set. This provider only serves Terraform over mutual TLS \
         (AutoMTLS); run it with --debug for a local plaintext session."
    )]
    MissingClientCertificate,
    /// Certificates could not be prepared.
    #[error(transparent)]
    Tls(#[from] TlsSetupError),
    /// No socket could be opened.
    #[error(transparent)]
    Listen(#[from] ListenError),
    /// Writing the handshake line failed (stdout closed).
    #[error("could not write the handshake to stdout: {0}")]
    Stdout(std::io::Error),
    /// The gRPC server failed.
    #[error("gRPC server error: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Serves `provider` until Terraform calls Shutdown (or, in debug mode, until
/// Ctrl-C or SIGTERM).
pub async fn serve<P: Provider>(provider: P, options: ServeOptions) -> Result<(), ServeError> {
    let env = |k: &str| std::env::var(k).ok();
    if !options.debug {
        handshake::check_environment(env)?;
    }
    let client_certificate = if options.debug {
        None
    } else {
        let pem = env("PLUGIN_CLIENT_CERT")
            .filter(|s| !s.trim().is_empty())
            .ok_or(ServeError::MissingClientCertificate)?;
        Some(tls::parse_client_certificate(&pem)?)
    };
    let transport = Transport::from_env(env)?;
    let mut listener =
        PluginListener::bind(&transport, &options.identity.socket_dir_prefix).await?;

    let (acceptor, server_cert) = match client_certificate {
        Some(client) => {
            let identity =
                tls::ServerIdentity::generate(&options.identity.certificate_organization)?;
            let config = tls::server_config(&identity, client)?;
            (
                Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))),
                Some(identity.cert_der),
            )
        }
        None => (None, None),
    };

    let shutdown = CancellationToken::new();
    let stop = CancellationToken::new();
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;

    let (connections_tx, connections_rx) = tokio::sync::mpsc::channel::<std::io::Result<Conn>>(16);
    let address = listener.address().clone();

    let router = tonic::transport::Server::builder()
        .add_service(
            ProviderServer::new(ProviderService::new(provider, stop.clone()))
                // Terraform sends configs and states as large as it accepts
                // back; tonic's default would refuse requests past 4 MiB.
                .max_decoding_message_size(TERRAFORM_MAX_MESSAGE_BYTES)
                .max_encoding_message_size(TERRAFORM_MAX_MESSAGE_BYTES),
        )
        .add_service(GrpcControllerServer::new(Controller {
            shutdown: shutdown.clone(),
        }))
        .add_service(GrpcStdioServer::new(Stdio {
            shutdown: shutdown.clone(),
        }))
        .add_service(GrpcBrokerServer::new(Broker {
            shutdown: shutdown.clone(),
        }))
        .add_service(health_service);

    // Signal handlers first: a Ctrl-C that arrives as Terraform reads the
    // handshake must be ignored, not kill us and strand the socket directory.
    watch_signals(shutdown.clone(), stop.clone(), options.debug);
    if !options.debug {
        watch_parent(shutdown.clone(), stop.clone());
    }
    announce(&address, server_cert.as_deref(), &options)?;

    let incoming = tokio_stream::wrappers::ReceiverStream::new(connections_rx);
    let server = router.serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned());
    let accept_loop = accept_connections(&listener, acceptor, connections_tx);

    tokio::select! {
        result = server => result?,
        () = accept_loop => {}
        () = async {
            shutdown.cancelled().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => log::debug!("shutdown grace period over; exiting"),
    }
    listener.cleanup();
    Ok(())
}

/// Accepts clients forever, handing each (after TLS, if enabled) to the gRPC
/// server. Handshakes run in their own tasks so a stalled client cannot block
/// the next one; failed handshakes (no or wrong certificate) are dropped.
async fn accept_connections(
    listener: &PluginListener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    connections: tokio::sync::mpsc::Sender<std::io::Result<Conn>>,
) {
    loop {
        let raw = match listener.accept().await {
            Ok(raw) => raw,
            Err(e) => {
                log::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let connections = connections.clone();
        match &acceptor {
            None => {
                if connections.send(Ok(Conn(Box::pin(raw)))).await.is_err() {
                    return;
                }
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(raw)).await {
                        Ok(Ok(stream)) => {
                            let _ = connections.send(Ok(Conn(Box::pin(stream)))).await;
                        }
                        Ok(Err(e)) => log::warn!("refused a client: TLS handshake failed: {e}"),
                        Err(_) => log::warn!("refused a client: TLS handshake timed out"),
                    }
                });
            }
        }
    }
}

fn announce(
    address: &Address,
    server_cert: Option<&[u8]>,
    options: &ServeOptions,
) -> Result<(), ServeError> {
    let mut stdout = std::io::stdout().lock();
    if options.debug {
        let reattach = reattach_json(&options.provider_address, address, std::process::id());
        writeln!(
            stdout,
            "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS \
             environment variable with the following:\n\n\
             \tTF_REATTACH_PROVIDERS='{reattach}'\n\n\
             Press Ctrl-C to stop the provider."
        )
        .map_err(ServeError::Stdout)?;
    } else {
        writeln!(
            stdout,
            "{}",
            handshake::handshake_line(address, server_cert)
        )
        .map_err(ServeError::Stdout)?;
    }
    stdout.flush().map_err(ServeError::Stdout)
}

/// The `TF_REATTACH_PROVIDERS` value for a provider served in debug mode.
pub fn reattach_json(provider_address: &str, address: &Address, pid: u32) -> String {
    serde_json::json!({
        provider_address: {
            "Protocol": "grpc",
            "ProtocolVersion": handshake::PROTOCOL_VERSION,
            "Pid": pid,
            "Test": true,
            "Addr": { "Network": address.network(), "String": address.to_string() },
        }
    })
    .to_string()
}

/// Under Terraform, Ctrl-C reaches the whole process group; like go-plugin
/// we ignore SIGINT and let Terraform drive the shutdown (StopProvider, then
/// Shutdown). In debug mode the user owns the process, so SIGINT ends it.
/// SIGTERM always cancels in-flight work and shuts down.
fn watch_signals(shutdown: CancellationToken, stop: CancellationToken, debug: bool) {
    use tokio::signal::unix::{signal, SignalKind};
    // Registered here, before the caller prints the handshake, not inside the task.
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        log::warn!("could not install signal handlers");
        return;
    };
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = interrupt.recv() => {
                    if debug {
                        break;
                    }
                    log::debug!("ignoring SIGINT; Terraform will call StopProvider");
                }
                _ = terminate.recv() => break,
            }
        }
        stop.cancel();
        shutdown.cancel();
    });
}

/// How often the parent is checked; with the shutdown grace period this
/// keeps an orphan's life under a second.
const PARENT_POLL: Duration = Duration::from_millis(100);

/// When Terraform dies without calling Shutdown (`kill -9`, a crashed CI
/// runner), nobody will ever call it: we get re-parented (to init or a
/// subreaper), so a changed parent pid means exit, removing the socket.
/// Polling `getppid` rather than `PR_SET_PDEATHSIG` because the latter fires
/// when the forking *thread* exits, which in a Go parent can be any thread.
fn watch_parent(shutdown: CancellationToken, stop: CancellationToken) {
    let parent = std::os::unix::process::parent_id();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PARENT_POLL);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = shutdown.cancelled() => return,
            }
            let now = std::os::unix::process::parent_id();
            if now != parent {
                log::warn!("parent process {parent} is gone (now {now}); shutting down");
                stop.cancel();
                shutdown.cancel();
                return;
            }
        }
    });
}

trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// An accepted connection, plain or TLS, as tonic wants it.
struct Conn(Pin<Box<dyn Io>>);

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.0.as_mut().poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.0.as_mut().poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.0.as_mut().poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.0.as_mut().poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        self.0.as_mut().poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reattach_json_shape() {
        let json = reattach_json(
            "registry.terraform.io/example/example",
            &Address::Unix("/tmp/x/plugin.sock".into()),
            42,
        );
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let p = &v["registry.terraform.io/example/example"];
        assert_eq!(p["Protocol"], "grpc");
        assert_eq!(p["ProtocolVersion"], 6);
        assert_eq!(p["Pid"], 42);
        assert_eq!(p["Test"], true);
        assert_eq!(p["Addr"]["Network"], "unix");
        assert_eq!(p["Addr"]["String"], "/tmp/x/plugin.sock");
    }
}
