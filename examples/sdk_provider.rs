//! A provider of the SDK's own, with no cloud behind it, to show (and test,
//! in `tests/it/sdk_example.rs`) what hosting a provider takes: a provider
//! block whose settings reach every call as provider data, a data source
//! that only sets its computed attributes on a state seeded from its
//! config, and a resource that creates, updates, refreshes, imports and
//! deletes real objects: files in the directory the provider block names.
//!
//! ```terraform
//! provider "example" {
//!   directory = "/tmp/example"
//!   greeting  = "Hi"
//! }
//! data "example_echo" "e" { text = "there" }   # message = "Hi, there"
//! resource "example_file" "f" {
//!   name    = "a.txt"
//!   content = "one"
//! }
//! ```
//!
//! Build with `cargo build --example sdk_provider`; Terraform finds it
//! through `dev_overrides` under the name `terraform-provider-example`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use terraform_provider_dbs::plugin::cty::{CtyType, Value};
use terraform_provider_dbs::plugin::diagnostics::AttributePath;
use terraform_provider_dbs::plugin::plan::proposed_plan;
use terraform_provider_dbs::plugin::{
    self, Attribute, ChangeRequest, ConfigureRequest, Configured, DataSource, Diagnostic,
    Diagnostics, ImportRequest, PlanRequest, PlanResponse, Provider, ProviderIdentity, ReadRequest,
    ReadResponse, RefreshRequest, Resource, Schema, ServeOptions, StateResponse,
};

/// What the provider block configures, handed to every call by the SDK.
struct Settings {
    directory: PathBuf,
    greeting: String,
}

struct ExampleProvider;

#[async_trait::async_trait]
impl Provider for ExampleProvider {
    type Data = Settings;

    fn schema(&self) -> Schema {
        Schema::new(
            "The SDK's example provider: files in one directory.",
            vec![
                Attribute::required("directory", CtyType::String)
                    .description("Where `example_file` resources live; created if missing."),
                Attribute::optional("greeting", CtyType::String)
                    .description("How `example_echo` greets; `Hello` when unset."),
            ],
        )
    }

    async fn configure(
        &self,
        request: ConfigureRequest,
    ) -> Result<Configured<Settings>, Diagnostics> {
        let config = request.config;
        if !config.is_wholly_known() {
            return Ok(Configured::Deferred);
        }
        let directory = PathBuf::from(config.attr("directory").as_str().unwrap_or_default());
        std::fs::create_dir_all(&directory).map_err(|e| {
            Diagnostics::from(
                Diagnostic::error(
                    "Cannot create the directory",
                    format!("{}: {e}", directory.display()),
                )
                .at(AttributePath::to("directory")),
            )
        })?;
        let greeting = config
            .attr("greeting")
            .as_str()
            .unwrap_or("Hello")
            .to_string();
        Ok(Configured::Ready(Arc::new(Settings {
            directory,
            greeting,
        })))
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Settings>>> {
        vec![Arc::new(Echo)]
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<Settings>>> {
        vec![Arc::new(File)]
    }
}

/// `example_echo`: greets `text` with the provider's greeting.
struct Echo;

#[async_trait::async_trait]
impl DataSource<Settings> for Echo {
    fn type_name(&self) -> &'static str {
        "example_echo"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Greets a text.",
            vec![
                Attribute::required("text", CtyType::String).description("Who to greet."),
                Attribute::computed("message", CtyType::String)
                    .description("The provider's greeting, a comma, and `text`."),
                Attribute::computed("length", CtyType::Number)
                    .description("How many characters `text` has."),
            ],
        )
    }

    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    async fn read(&self, request: ReadRequest<Settings>) -> ReadResponse {
        let settings = match request.provider.get() {
            Ok(settings) => settings,
            Err(d) => return d.into(),
        };
        let text = request.config.attr("text").as_str().unwrap_or_default();
        let mut state = request.state;
        state.set_attr("message", format!("{}, {text}", settings.greeting));
        state.set_attr("length", text.chars().count() as i64);
        ReadResponse {
            state: Some(state),
            diagnostics: Diagnostics::new(),
        }
    }
}

/// `example_file`: one file under the provider's directory.
struct File;

impl File {
    fn path(settings: &Settings, name: &str) -> PathBuf {
        settings.directory.join(name)
    }

    /// The full state of the file named `name` holding `content`.
    fn state(name: &str, content: &str) -> Value {
        let digest: String = Sha256::digest(content.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Value::object([
            ("name", Value::from(name)),
            ("content", Value::from(content)),
            ("id", Value::from(name)),
            ("sha256", Value::from(digest)),
        ])
    }

    fn write(request: &ChangeRequest<Settings>, create: bool) -> StateResponse {
        let settings = match request.provider.get() {
            Ok(settings) => settings,
            Err(d) => return d.into(),
        };
        let name = request.config.attr("name").as_str().unwrap_or_default();
        let content = request.config.attr("content").as_str().unwrap_or_default();
        let path = Self::path(&settings, name);
        let written = if create {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .and_then(|mut f| std::io::Write::write_all(&mut f, content.as_bytes()))
        } else {
            std::fs::write(&path, content)
        };
        match written {
            Ok(()) => StateResponse {
                state: Some(Self::state(name, content)),
                diagnostics: Diagnostics::new(),
            },
            Err(e) => io_error("Cannot write the file", &path, e),
        }
    }

    fn read_file(settings: &Settings, name: &str) -> Result<Option<Value>, StateResponse> {
        let path = Self::path(settings, name);
        match std::fs::read_to_string(&path) {
            Ok(content) => Ok(Some(Self::state(name, &content))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error("Cannot read the file", &path, e)),
        }
    }
}

fn io_error(summary: &str, path: &Path, e: std::io::Error) -> StateResponse {
    Diagnostic::error(summary, format!("{}: {e}", path.display())).into()
}

#[async_trait::async_trait]
impl Resource<Settings> for File {
    fn type_name(&self) -> &'static str {
        "example_file"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "A file in the provider's directory.",
            vec![
                Attribute::required("name", CtyType::String)
                    .description("The file's name; changing it replaces the file."),
                Attribute::required("content", CtyType::String).description("What it holds."),
                Attribute::computed("id", CtyType::String).description("The file's name."),
                Attribute::computed("sha256", CtyType::String)
                    .description("SHA-256 of `content`, in hex."),
            ],
        )
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diagnostics = Diagnostics::new();
        if let Some(name) = config.attr("name").as_str() {
            if name.is_empty() || name.contains('/') || name == "." || name == ".." {
                diagnostics.push(
                    Diagnostic::error("Invalid name", "A plain file name, without `/`.")
                        .at(AttributePath::to("name")),
                );
            }
        }
        diagnostics
    }

    /// The SDK's default plan, plus: a new name means a new file.
    async fn plan(&self, request: PlanRequest<Settings>) -> PlanResponse {
        let mut response = proposed_plan(&self.schema(), &request);
        let renamed = !request.prior.is_null()
            && !request.proposed.is_null()
            && request.prior.attr("name") != request.proposed.attr("name");
        if renamed {
            response.requires_replace.push(AttributePath::to("name"));
        }
        response
    }

    async fn create(&self, request: ChangeRequest<Settings>) -> StateResponse {
        Self::write(&request, true)
    }

    async fn read(&self, request: RefreshRequest<Settings>) -> StateResponse {
        let settings = match request.provider.get() {
            Ok(settings) => settings,
            Err(d) => return d.into(),
        };
        let name = request.state.attr("name").as_str().unwrap_or_default();
        match Self::read_file(&settings, name) {
            Ok(state) => StateResponse {
                state,
                diagnostics: Diagnostics::new(),
            },
            Err(failure) => failure,
        }
    }

    async fn update(&self, request: ChangeRequest<Settings>) -> StateResponse {
        Self::write(&request, false)
    }

    async fn delete(&self, request: ChangeRequest<Settings>) -> Diagnostics {
        let settings = match request.provider.get() {
            Ok(settings) => settings,
            Err(d) => return d.into(),
        };
        let path = Self::path(
            &settings,
            request.prior.attr("name").as_str().unwrap_or_default(),
        );
        match std::fs::remove_file(&path) {
            Ok(()) => Diagnostics::new(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Diagnostics::new(),
            Err(e) => io_error("Cannot delete the file", &path, e).diagnostics,
        }
    }

    async fn import(&self, request: ImportRequest<Settings>) -> StateResponse {
        let settings = match request.provider.get() {
            Ok(settings) => settings,
            Err(d) => return d.into(),
        };
        match Self::read_file(&settings, &request.id) {
            Ok(Some(state)) => StateResponse {
                state: Some(state),
                diagnostics: Diagnostics::new(),
            },
            Ok(None) => Diagnostic::error(
                "No such file",
                format!(
                    "There is no file {:?} in {} to import.",
                    request.id,
                    settings.directory.display()
                ),
            )
            .into(),
            Err(failure) => failure,
        }
    }
}

fn main() -> ExitCode {
    let debug = std::env::args().any(|a| a == "--debug");
    let identity = ProviderIdentity::conventional("example");
    plugin::logging::init(
        "provider.terraform-provider-example",
        &identity.log_variable,
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("terraform-provider-example: {e}");
            return ExitCode::FAILURE;
        }
    };
    let options = ServeOptions {
        provider_address: "registry.terraform.io/example/example".into(),
        debug,
        identity,
    };
    let result = runtime.block_on(plugin::serve(ExampleProvider, options));
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("terraform-provider-example: {e}");
            ExitCode::FAILURE
        }
    }
}
