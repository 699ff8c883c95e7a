//! AutoMTLS: the server side of go-plugin's mutual TLS, with the client
//! certificate pinned.
//!
//! Terraform generates a throwaway client certificate per run and hands us its
//! PEM in `PLUGIN_CLIENT_CERT`; we answer with our own throwaway server
//! certificate in the handshake line. The only client we ever accept is the
//! one holding the private key of that exact certificate. Stock webpki client
//! verifiers are of no use here: Terraform's certificate is a self-signed CA
//! (CA=true) with an ECDSA P-521 key, which they reject as an end entity. So
//! we compare DER bytes and verify the handshake signature with aws-lc-rs,
//! which (unlike ring) implements P-521.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};

/// Why TLS could not be set up; each is fatal at start-up.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// `PLUGIN_CLIENT_CERT` held no usable PEM certificate.
    #[error("PLUGIN_CLIENT_CERT does not hold a PEM certificate: {0}")]
    ClientCertificate(String),
    /// rcgen could not create the per-run server certificate.
    #[error("could not generate the server certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("could not configure TLS: {0}")]
    Rustls(#[from] rustls::Error),
}

/// A server certificate made for this process only, never written to disk.
pub struct ServerIdentity {
    /// DER of the self-signed certificate, sent to Terraform in the handshake line.
    pub cert_der: CertificateDer<'static>,
    key_der: PrivatePkcs8KeyDer<'static>,
}

impl std::fmt::Debug for ServerIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerIdentity")
            .field("cert_der_len", &self.cert_der.len())
            .field("key_der", &"<redacted>")
            .finish()
    }
}

impl ServerIdentity {
    /// Generates a P-256 certificate for `localhost`, marked as a CA, because
    /// go-plugin puts it in the client's root pool and dials `localhost`.
    /// `organization` only labels it (see
    /// [`ProviderIdentity`](super::identity::ProviderIdentity)).
    pub fn generate(organization: &str) -> Result<Self, TlsSetupError> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, organization);
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::KeyEncipherment,
            rcgen::KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        ];
        // Tolerate modest clock skew between Terraform and us.
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::minutes(5);
        params.not_after = now + time::Duration::days(365);
        let cert = params.self_signed(&key)?;
        Ok(Self {
            cert_der: cert.der().clone(),
            key_der: PrivatePkcs8KeyDer::from(key.serialize_der()),
        })
    }
}

/// Reads the first certificate of a PEM document, as Terraform writes it.
pub fn parse_client_certificate(pem: &str) -> Result<CertificateDer<'static>, TlsSetupError> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .next()
        .ok_or_else(|| TlsSetupError::ClientCertificate("no CERTIFICATE block found".into()))?
        .map_err(|e| TlsSetupError::ClientCertificate(e.to_string()))
}

/// The crypto provider for every TLS object in the SDK: aws-lc-rs, for P-521.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Accepts exactly one client certificate, byte for byte.
#[derive(Debug)]
pub struct PinnedClientCertVerifier {
    pinned: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClientCertVerifier {
    /// Pins `certificate`; handshake signatures are checked with `provider`'s algorithms.
    pub fn new(certificate: CertificateDer<'static>, provider: &CryptoProvider) -> Self {
        Self {
            pinned: certificate,
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

impl ClientCertVerifier for PinnedClientCertVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.pinned.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The rustls server configuration: our identity, the pinned client, ALPN h2
/// (recent grpc-go refuses TLS connections that do not negotiate it).
pub fn server_config(
    identity: &ServerIdentity,
    client_certificate: CertificateDer<'static>,
) -> Result<rustls::ServerConfig, TlsSetupError> {
    let provider = crypto_provider();
    let verifier = PinnedClientCertVerifier::new(client_certificate, &provider);
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(
            vec![identity.cert_der.clone()],
            PrivateKeyDer::Pkcs8(identity.key_der.clone_key()),
        )?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_identity_is_fresh_each_time() {
        let a = ServerIdentity::generate("terraform-provider-example").unwrap();
        let b = ServerIdentity::generate("terraform-provider-example").unwrap();
        assert_ne!(a.cert_der.as_ref(), b.cert_der.as_ref());
        assert!(!format!("{a:?}").contains("BEGIN"));
    }

    #[test]
    fn client_certificate_pem_parsing() {
        assert!(parse_client_certificate("not pem").is_err());
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let parsed = parse_client_certificate(&cert.pem()).unwrap();
        assert_eq!(parsed.as_ref(), cert.der().as_ref());
    }

    #[test]
    fn verifier_pins_exact_bytes_and_offers_p521() {
        let provider = crypto_provider();
        let pinned = CertificateDer::from(vec![1, 2, 3]);
        let verifier = PinnedClientCertVerifier::new(pinned.clone(), &provider);
        assert!(verifier.client_auth_mandatory());
        let now = UnixTime::now();
        assert!(verifier.verify_client_cert(&pinned, &[], now).is_ok());
        let other = CertificateDer::from(vec![1, 2, 4]);
        assert!(verifier.verify_client_cert(&other, &[], now).is_err());
        assert!(verifier
            .supported_verify_schemes()
            .contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
    }
}
