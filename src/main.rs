//! `terraform-provider-dbs`: started by Terraform as a plugin, or by a person
//! with `--version` or `--debug`.

use std::process::ExitCode;

use terraform_provider_dbs::plugin::{self, ProviderIdentity, ServeError, ServeOptions};
use terraform_provider_dbs::provider::DbsProvider;

/// The registry address used in `--debug` reattach output.
const PROVIDER_ADDRESS: &str = "registry.terraform.io/example/dbs";

/// This provider's names in Terraform's environment, the temp dir and its
/// TLS certificate; spelled out rather than derived, since users and
/// tests look for exactly these.
fn identity() -> ProviderIdentity {
    ProviderIdentity {
        log_variable: "TF_LOG_PROVIDER_DBS".into(),
        socket_dir_prefix: "plugin-dbs-".into(),
        certificate_organization: "terraform-provider-dbs".into(),
    }
}

fn main() -> ExitCode {
    let mut debug = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--version" | "-v" => {
                println!("terraform-provider-dbs {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            "--debug" => debug = true,
            "--help" | "-h" => {
                println!(
                    "terraform-provider-dbs {}: Terraform provider for Alibaba Cloud DBS restore jobs.\n\n\
                     Terraform starts this binary itself. Options for people:\n  \
                     --debug    serve without TLS and print TF_REATTACH_PROVIDERS for a debugging session\n  \
                     --version  print the version",
                    env!("CARGO_PKG_VERSION")
                );
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("terraform-provider-dbs: unknown argument {other:?} (try --help)");
                return ExitCode::FAILURE;
            }
        }
    }
    let identity = identity();
    plugin::logging::init("provider.terraform-provider-dbs", &identity.log_variable);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("terraform-provider-dbs: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let options = ServeOptions {
        provider_address: PROVIDER_ADDRESS.to_string(),
        debug,
        identity,
    };
    let result = runtime.block_on(plugin::serve(DbsProvider::new(), options));
    // Do not wait for idle connection tasks: Terraform is waiting on our exit.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(ServeError::Handshake(e)) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("terraform-provider-dbs: {e}");
            ExitCode::FAILURE
        }
    }
}
