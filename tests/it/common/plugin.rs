//! Starting the real provider binary the way Terraform does, and talking to
//! it over real gRPC with real mTLS.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use terraform_provider_dbs::plugin::handshake::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use tonic::transport::{Channel, Endpoint};

/// A client certificate like the one Terraform generates per run:
/// ECDSA P-521 with SHA-512, self-signed, CA=true.
pub struct ClientIdentity {
    pub cert_der: CertificateDer<'static>,
    pub cert_pem: String,
    key_der: Vec<u8>,
}

impl ClientIdentity {
    pub fn terraform_like() -> Self {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "HashiCorp");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::KeyEncipherment,
            rcgen::KeyUsagePurpose::KeyAgreement,
            rcgen::KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        ];
        let cert = params.self_signed(&key).unwrap();
        Self {
            cert_der: cert.der().clone(),
            cert_pem: cert.pem(),
            key_der: key.serialize_der(),
        }
    }
}

/// The provider process plus what its handshake line announced.
pub struct PluginProcess {
    pub child: Child,
    pub network: String,
    pub address: String,
    pub server_cert: CertificateDer<'static>,
    pub identity: ClientIdentity,
    _stdout: BufReader<ChildStdout>,
}

pub fn provider_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-dbs"))
}

/// Starts the provider with Terraform's environment and reads the handshake.
pub fn spawn_plugin(extra_env: &[(&str, &str)]) -> PluginProcess {
    spawn_plugin_binary(&provider_binary(), extra_env)
}

/// `binary` with the environment Terraform sets (cookie, protocols 5 and 6),
/// before any client certificate.
pub fn started_like_terraform(binary: &std::path::Path) -> Command {
    let mut command = Command::new(binary);
    command
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6");
    command
}

/// Like [`spawn_plugin`], for another build of the provider (e.g. release).
pub fn spawn_plugin_binary(binary: &std::path::Path, extra_env: &[(&str, &str)]) -> PluginProcess {
    let identity = ClientIdentity::terraform_like();
    let mut command = started_like_terraform(binary);
    command
        .env("PLUGIN_CLIENT_CERT", &identity.cert_pem)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in extra_env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("spawn provider");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read handshake");
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(fields.len(), 6, "handshake line {line:?}");
    assert_eq!(fields[0], "1", "core protocol");
    assert_eq!(fields[1], "6", "app protocol");
    assert_eq!(fields[4], "grpc");
    let der = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(fields[5])
        .expect("unpadded base64 certificate");
    PluginProcess {
        child,
        network: fields[2].to_string(),
        address: fields[3].to_string(),
        server_cert: CertificateDer::from(der),
        identity,
        _stdout: stdout,
    }
}

/// Which certificate the test client presents.
pub enum Presented<'a> {
    The(&'a ClientIdentity),
    Nothing,
}

impl PluginProcess {
    /// A gRPC channel over mTLS presenting `presented`.
    pub async fn connect(
        &self,
        presented: Presented<'_>,
    ) -> Result<Channel, tonic::transport::Error> {
        let config = client_tls_config(&self.server_cert, presented);
        let connector = Arc::new(tokio_rustls::TlsConnector::from(Arc::new(config)));
        let network = self.network.clone();
        let address = self.address.clone();
        Endpoint::from_static("http://localhost")
            .connect_timeout(Duration::from_secs(5))
            .connect_with_connector(tower::service_fn(move |_| {
                let connector = connector.clone();
                let network = network.clone();
                let address = address.clone();
                async move {
                    let name = ServerName::try_from("localhost").unwrap();
                    let io: Box<dyn IoStream> = if network == "unix" {
                        let s = tokio::net::UnixStream::connect(&address).await?;
                        Box::new(connector.connect(name, s).await?)
                    } else {
                        let s = tokio::net::TcpStream::connect(&address).await?;
                        Box::new(connector.connect(name, s).await?)
                    };
                    Ok::<_, std::io::Error>(TokioIo::new(io))
                }
            }))
            .await
    }

    /// The client channel with the certificate Terraform announced.
    pub async fn terraform_channel(&self) -> Channel {
        self.connect(Presented::The(&self.identity))
            .await
            .expect("mTLS connect")
    }

    /// Waits up to `limit` for the process to exit.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if std::time::Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for PluginProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub trait IoStream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> IoStream for T {}

fn client_tls_config(
    server_cert: &CertificateDer<'static>,
    presented: Presented<'_>,
) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(PinnedServer {
        cert: server_cert.clone(),
        provider: provider.clone(),
    });
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match presented {
        Presented::The(identity) => builder
            .with_client_auth_cert(
                vec![identity.cert_der.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.key_der.clone())),
            )
            .unwrap(),
        Presented::Nothing => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    config
}

/// Go's client trusts exactly the certificate from the handshake line; so do we.
#[derive(Debug)]
struct PinnedServer {
    cert: CertificateDer<'static>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.cert.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "unexpected server certificate".into(),
            ))
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
