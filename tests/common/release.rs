//! The release build of the provider, started the way Terraform starts it,
//! and a Terraform-like mTLS client for it: the twin of `plugin.rs` for a
//! binary chosen at run time rather than the test profile's own.
//!
//! Which binary: `DBS_RELEASE_BINARY` when set (e.g. the
//! `terraform-provider-dbs_vX.Y.Z` that `scripts/release.sh` wrote), else
//! `cargo build --release`, which is a no-op when the release build is
//! already up to date and otherwise guarantees that what is checked is the
//! current source, never a stale binary lying in `target/release`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use terraform_provider_dbs::plugin::handshake::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use tonic::transport::{Channel, Endpoint};

use super::plugin::IoStream;

/// Path of the release binary (built at most once per test process).
pub fn release_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| match std::env::var_os("DBS_RELEASE_BINARY") {
            Some(path) => PathBuf::from(path),
            None => cargo_build_release(),
        })
        .clone()
}

fn cargo_build_release() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--bin",
            "terraform-provider-dbs",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(Stdio::inherit())
        .output()
        .expect("run cargo build --release");
    assert!(output.status.success(), "cargo build --release failed");
    // Cargo says where it put the executable; that honours CARGO_TARGET_DIR
    // and build.target-dir without guessing.
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .filter(|m| m["target"]["name"] == "terraform-provider-dbs")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo reported the release executable")
}

/// A throwaway client identity like Terraform's: ECDSA P-521 / SHA-512,
/// self-signed, CA=true.
pub struct Identity {
    pub cert_der: CertificateDer<'static>,
    pub cert_pem: String,
    key_der: Vec<u8>,
}

impl Identity {
    pub fn generate() -> Self {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "HashiCorp");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
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

/// A provider process started with Terraform's environment.
pub struct Served {
    pub child: Child,
    pub network: String,
    pub address: String,
    pub server_cert: CertificateDer<'static>,
    /// The identity whose certificate the provider was told to expect.
    pub identity: Identity,
    _stdout: BufReader<ChildStdout>,
}

/// Starts `binary` as Terraform does and reads its handshake line.
pub fn serve(binary: &Path) -> Served {
    let identity = Identity::generate();
    let mut child = Command::new(binary)
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_CLIENT_CERT", &identity.cert_pem)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn provider");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read handshake");
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(fields.len(), 6, "handshake line {line:?}");
    assert_eq!(&fields[..2], ["1", "6"], "handshake line {line:?}");
    let der = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(fields[5])
        .expect("unpadded base64 certificate");
    Served {
        child,
        network: fields[2].to_string(),
        address: fields[3].to_string(),
        server_cert: CertificateDer::from(der),
        identity,
        _stdout: stdout,
    }
}

impl Served {
    /// A gRPC channel over TLS presenting `presented` (or no certificate).
    pub async fn connect(
        &self,
        presented: Option<&Identity>,
    ) -> Result<Channel, tonic::transport::Error> {
        let config = client_config(&self.server_cert, presented);
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
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
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client_config(
    server: &CertificateDer<'static>,
    presented: Option<&Identity>,
) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pinned {
            cert: server.clone(),
            provider,
        }));
    let mut config = match presented {
        Some(identity) => builder
            .with_client_auth_cert(
                vec![identity.cert_der.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.key_der.clone())),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    config
}

/// Trusts exactly the certificate from the handshake line, as go-plugin does.
#[derive(Debug)]
struct Pinned {
    cert: CertificateDer<'static>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
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
                "not the announced certificate".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
