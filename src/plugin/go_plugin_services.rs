//! The three services go-plugin clients expect beside the provider:
//! controller (shutdown), stdio and broker.
//!
//! Only Shutdown does real work. Stdio and broker exist because the Go
//! client opens them at start-up and logs errors if they are missing; we
//! keep them open and quiet until the process shuts down.

use std::pin::Pin;

use futures_util::Stream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};

use super::wire::go_plugin::{
    grpc_broker_server::GrpcBroker, grpc_controller_server::GrpcController,
    grpc_stdio_server::GrpcStdio, ConnInfo, Empty, StdioData,
};

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// `plugin.GRPCController`: Terraform calls Shutdown when it is done with us.
pub struct Controller {
    /// Cancelled by Shutdown; the server watches it.
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        log::debug!("received GRPCController.Shutdown");
        self.shutdown.cancel();
        Ok(Response::new(Empty {}))
    }
}

/// `plugin.GRPCStdio`: we log to the real stderr, so this stream stays silent.
pub struct Stdio {
    /// Ends the stream at shutdown.
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    type StreamStdioStream = BoxStream<StdioData>;

    async fn stream_stdio(
        &self,
        _request: Request<()>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        let token = self.shutdown.clone();
        let stream = futures_util::stream::unfold(token, |token| async move {
            token.cancelled().await;
            None::<(Result<StdioData, Status>, CancellationToken)>
        });
        Ok(Response::new(Box::pin(stream)))
    }
}

/// `plugin.GRPCBroker`: providers never broker extra connections; we accept
/// the stream, ignore what arrives, and close at shutdown or when the client does.
pub struct Broker {
    /// Ends the stream at shutdown.
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcBroker for Broker {
    type StartStreamStream = BoxStream<ConnInfo>;

    async fn start_stream(
        &self,
        request: Request<Streaming<ConnInfo>>,
    ) -> Result<Response<Self::StartStreamStream>, Status> {
        let incoming = request.into_inner();
        let token = self.shutdown.clone();
        let stream =
            futures_util::stream::unfold((incoming, token), |(mut incoming, token)| async move {
                loop {
                    tokio::select! {
                        _ = token.cancelled() => break,
                        message = incoming.message() => match message {
                            Ok(Some(_)) => {}
                            Ok(None) | Err(_) => break,
                        },
                    }
                }
                None::<(
                    Result<ConnInfo, Status>,
                    (Streaming<ConnInfo>, CancellationToken),
                )>
            });
        Ok(Response::new(Box::pin(stream)))
    }
}
