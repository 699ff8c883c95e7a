//! The integration tests, one module per behaviour, built as one test binary
//! (each extra binary would relink every dependency). Shared helpers live in
//! [`common`]; fixtures are files under `tests/fixtures/`.

mod common;

mod api_cancel;
mod api_malformed;
mod api_paging;
mod api_retries;
mod api_signing;
mod credentials_chain;
mod docs_drift;
mod emulator_auth;
mod emulator_binary;
mod emulator_credentials;
mod emulator_faults;
mod emulator_paging;
mod fuzz_parsers;
mod layering;
mod official_sdk;
mod plugin_protocol;
mod release_chroot;
mod release_mirror;
mod sdk_example;
mod security;
mod terraform_budget;
mod terraform_credentials;
mod terraform_expressions;
mod terraform_faults;
mod terraform_hostile;
mod terraform_message_size;
mod terraform_protocol;
mod terraform_restore_tasks;
mod terraform_test_command;
mod terraform_timeouts;
mod terraform_wire_capture;
