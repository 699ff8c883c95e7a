//! The few names that tell one provider's process apart from another's:
//! they end up in Terraform's environment, in `/tmp` and in certificates,
//! so the SDK takes them from the provider instead of inventing its own.

/// Names the SDK uses on the provider's behalf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderIdentity {
    /// The provider-specific log level variable, `TF_LOG_PROVIDER_<NAME>`,
    /// which Terraform users expect to win over `TF_LOG_PROVIDER` and `TF_LOG`.
    pub log_variable: String,
    /// Start of the private socket directory's name, so a stranded
    /// directory in the temp dir says whose it is.
    pub socket_dir_prefix: String,
    /// Organisation of the throwaway server certificate, so a TLS trace
    /// shows which plugin answered.
    pub certificate_organization: String,
}

impl ProviderIdentity {
    /// The names Terraform conventions give a provider of type `name`
    /// (`example` gives `TF_LOG_PROVIDER_EXAMPLE`, `plugin-example-` and
    /// `terraform-provider-example`).
    pub fn conventional(name: &str) -> Self {
        Self {
            log_variable: format!("TF_LOG_PROVIDER_{}", name.to_ascii_uppercase()),
            socket_dir_prefix: format!("plugin-{name}-"),
            certificate_organization: format!("terraform-provider-{name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conventional_names() {
        let identity = ProviderIdentity::conventional("example");
        assert_eq!(identity.log_variable, "TF_LOG_PROVIDER_EXAMPLE");
        assert_eq!(identity.socket_dir_prefix, "plugin-example-");
        assert_eq!(
            identity.certificate_organization,
            "terraform-provider-example"
        );
    }
}
