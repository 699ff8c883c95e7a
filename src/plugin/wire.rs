//! Generated protocol code.
#![allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}
pub mod go_plugin {
    tonic::include_proto!("plugin");
}
