//! The CA certificates HTTPS calls to Alibaba Cloud are verified against:
//! the system's bundle, looked for where OpenSSL and Go look on Linux.
//!
//! We load it ourselves instead of letting the HTTP client do it so that an
//! image without one (scratch, distroless, a bare chroot) gets an error that
//! names every place looked at and the variables that point elsewhere, not
//! "builder error"; and so that plain-HTTP loopback endpoints (the emulator)
//! need no bundle at all.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::pki_types::CertificateDer;

/// CA bundle files, in the order distributions put them (the list Go's
/// `crypto/x509` and `openssl-probe` use): the first that exists is read.
pub const BUNDLE_FILES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Gentoo, Alpine
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7+
    "/etc/pki/tls/certs/ca-bundle.crt",   // Fedora, RHEL 6
    "/etc/ssl/ca-bundle.pem",             // openSUSE
    "/etc/pki/tls/cacert.pem",            // OpenELEC
    "/etc/ssl/cert.pem",                  // Alpine, macOS-like layouts
];

/// Directories of individual CA certificates, read when no bundle exists.
pub const CERT_DIRS: &[&str] = &["/etc/ssl/certs", "/etc/pki/tls/certs"];

/// No CA certificate could be found or read; says where we looked.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "no CA certificates to verify HTTPS with: looked at {looked}. Install the CA bundle \
     (the `ca-certificates` package; in a container image, copy /etc/ssl/certs/ca-certificates.crt), \
     or set SSL_CERT_FILE to a PEM file of CA certificates (or SSL_CERT_DIR to a directory of them){problems}"
)]
pub struct NoCaCertificates {
    looked: String,
    problems: String,
}

/// A reqwest builder whose TLS trusts exactly the system's CA certificates.
/// With `https` false (every URL it will fetch is plain `http://`, such as the
/// emulator or the metadata service) no bundle is read and none is needed:
/// TLS then trusts nothing at all.
pub(crate) fn client_builder(https: bool) -> Result<reqwest::ClientBuilder, NoCaCertificates> {
    let mut roots = rustls::RootCertStore::empty();
    if https {
        let (added, _unparsable) = roots.add_parsable_certificates(system_roots()?.iter().cloned());
        if added == 0 {
            return Err(NoCaCertificates {
                looked: "the system CA bundle".to_string(),
                problems: " (it holds no certificate usable as a trust anchor)".to_string(),
            });
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::DEFAULT_VERSIONS)
        .map_err(|e| NoCaCertificates {
            looked: "nothing".to_string(),
            problems: format!(" (TLS setup failed: {e})"),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(reqwest::Client::builder().tls_backend_preconfigured(config))
}

/// The system's CA certificates, read once per process.
pub fn system_roots() -> Result<&'static [CertificateDer<'static>], NoCaCertificates> {
    static ROOTS: OnceLock<Result<Vec<CertificateDer<'static>>, NoCaCertificates>> =
        OnceLock::new();
    ROOTS
        .get_or_init(|| load(|k| std::env::var_os(k).map(PathBuf::from)))
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

/// Reads the roots `SSL_CERT_FILE` / `SSL_CERT_DIR` name, or else the first
/// bundle file (then directory) that yields certificates.
fn load(
    env: impl Fn(&str) -> Option<PathBuf>,
) -> Result<Vec<CertificateDer<'static>>, NoCaCertificates> {
    let file = env("SSL_CERT_FILE").filter(|p| !p.as_os_str().is_empty());
    let dir = env("SSL_CERT_DIR").filter(|p| !p.as_os_str().is_empty());
    let mut looked = Vec::new();
    let mut problems = Vec::new();
    let mut attempt = |file: Option<&Path>, dir: Option<&Path>| {
        let result = rustls_native_certs::load_certs_from_paths(file, dir);
        problems.extend(result.errors.iter().map(|e| e.to_string()));
        result.certs
    };
    if file.is_some() || dir.is_some() {
        if let Some(file) = &file {
            looked.push(format!("SSL_CERT_FILE={}", file.display()));
        }
        if let Some(dir) = &dir {
            looked.push(format!("SSL_CERT_DIR={}", dir.display()));
        }
        let certs = attempt(file.as_deref(), dir.as_deref());
        if !certs.is_empty() {
            return Ok(certs);
        }
    } else {
        looked.push("SSL_CERT_FILE and SSL_CERT_DIR (unset)".to_string());
        for candidate in BUNDLE_FILES {
            looked.push((*candidate).to_string());
            let path = Path::new(candidate);
            if path.is_file() {
                let certs = attempt(Some(path), None);
                if !certs.is_empty() {
                    return Ok(certs);
                }
            }
        }
        for candidate in CERT_DIRS {
            looked.push(format!("{candidate}/"));
            let path = Path::new(candidate);
            if path.is_dir() {
                let certs = attempt(None, Some(path));
                if !certs.is_empty() {
                    return Ok(certs);
                }
            }
        }
    }
    Err(NoCaCertificates {
        looked: looked.join(", "),
        problems: if problems.is_empty() {
            String::new()
        } else {
            format!(" (read errors: {})", problems.join("; "))
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ca_pem() -> String {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.self_signed(&key).unwrap().pem()
    }

    #[test]
    fn an_explicit_file_is_the_only_place_looked_at() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.pem");
        let err = load(|k| (k == "SSL_CERT_FILE").then(|| missing.clone())).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(&format!("SSL_CERT_FILE={}", missing.display())),
            "{text}"
        );
        assert!(!text.contains("/etc/ssl/cert.pem"), "{text}");
        assert!(text.contains("ca-certificates"), "{text}");
    }

    #[test]
    fn pem_blocks_in_an_explicit_file_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let bundle = dir.path().join("bundle.pem");
        std::fs::write(&bundle, format!("{}{}", ca_pem(), ca_pem())).unwrap();
        let certs = load(|k| (k == "SSL_CERT_FILE").then(|| bundle.clone())).unwrap();
        assert_eq!(certs.len(), 2);
    }
}
