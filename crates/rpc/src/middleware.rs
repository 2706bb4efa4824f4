//! [`Checked`]: unknown methods and the service's own params check, before any handler runs.

use std::{collections::HashSet, future::Future, sync::Arc};

use jsonrpsee::{
    server::middleware::rpc::{
        Batch, BatchEntry, BatchEntryErr, MethodResponse, Notification, Request, RpcServiceT,
    },
    types::ErrorObjectOwned,
};

use crate::codes::METHOD_NOT_FOUND;

/// A service's check of one call (its params' shape, a counter ...), run before the handler;
/// an error is the call's answer.
pub type RequestCheck =
    Arc<dyn for<'a> Fn(&mut Request<'a>) -> Result<(), ErrorObjectOwned> + Send + Sync>;

/// jsonrpsee middleware: a `-32601` naming an unknown method, then the service's
/// [`RequestCheck`], for single calls and for each call of a batch.
#[derive(Clone)]
pub struct Checked<S> {
    service: S,
    methods: Arc<HashSet<&'static str>>,
    check: RequestCheck,
}

impl<S> Checked<S> {
    /// Wraps `service`, which serves `methods`.
    pub fn new(service: S, methods: Arc<HashSet<&'static str>>, check: RequestCheck) -> Self {
        Self {
            service,
            methods,
            check,
        }
    }

    fn run(&self, request: &mut Request<'_>) -> Result<(), ErrorObjectOwned> {
        if !self.methods.contains(request.method.as_ref()) {
            let method: String = request.method.chars().take(100).collect();
            return Err(ErrorObjectOwned::owned(
                METHOD_NOT_FOUND,
                format!("unknown method {method:?}"),
                None::<()>,
            ));
        }
        (self.check)(request)
    }
}

impl<S> RpcServiceT for Checked<S>
where
    S: RpcServiceT<
            MethodResponse = MethodResponse,
            BatchResponse = MethodResponse,
            NotificationResponse = MethodResponse,
        > + Send
        + Sync
        + Clone
        + 'static,
{
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(
        &self,
        mut request: Request<'a>,
    ) -> impl Future<Output = MethodResponse> + Send + 'a {
        let checked = self.run(&mut request);
        let service = self.service.clone();
        async move {
            match checked {
                Ok(()) => service.call(request).await,
                Err(error) => MethodResponse::error(request.id, error),
            }
        }
    }

    fn batch<'a>(&self, mut batch: Batch<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        for entry in batch.iter_mut() {
            if let Ok(BatchEntry::Call(request)) = entry {
                if let Err(error) = self.run(request) {
                    *entry = Err(BatchEntryErr::new(request.id.clone(), error));
                }
            }
        }
        self.service.batch(batch)
    }

    fn notification<'a>(
        &self,
        notification: Notification<'a>,
    ) -> impl Future<Output = MethodResponse> + Send + 'a {
        self.service.notification(notification)
    }
}
