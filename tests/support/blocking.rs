//! The double on a runtime of its own, for synchronous tests (e.g. `assert_cmd` running the
//! `readygate` binary, which blocks the test thread while the double must keep serving).

use std::future::Future;
use std::ops::Deref;

use tokio::runtime::Runtime;

use super::double::{ApiServerDouble, DoubleConfig};

/// Dereferences to [`ApiServerDouble`]; use [`BlockingDouble::block_on`] for its async parts.
/// Must be created and dropped outside any async context.
pub struct BlockingDouble {
    // Option so Drop can stop the double before its runtime.
    double: Option<ApiServerDouble>,
    runtime: Option<Runtime>,
}

impl BlockingDouble {
    pub fn start() -> BlockingDouble {
        Self::start_with(DoubleConfig::default())
    }

    pub fn start_with(config: DoubleConfig) -> BlockingDouble {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("api-double")
            .enable_all()
            .build()
            .expect("building the API double's runtime");
        let double = runtime.block_on(ApiServerDouble::start_with(config));
        BlockingDouble { double: Some(double), runtime: Some(runtime) }
    }

    /// Runs a future (a fault like `go_down`, or client calls) on the double's runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime().block_on(future)
    }

    /// A client bound to the double's runtime (kube clients spawn a task when built).
    pub fn client(&self) -> kube::Client {
        let _guard = self.runtime().enter();
        self.deref().client()
    }

    fn runtime(&self) -> &Runtime {
        self.runtime.as_ref().expect("the runtime lives until drop")
    }
}

impl Deref for BlockingDouble {
    type Target = ApiServerDouble;

    fn deref(&self) -> &ApiServerDouble {
        self.double.as_ref().expect("the double lives until drop")
    }
}

impl Drop for BlockingDouble {
    fn drop(&mut self) {
        if let (Some(double), Some(runtime)) = (self.double.take(), self.runtime.take()) {
            runtime.block_on(double.shutdown());
            runtime.shutdown_background();
        }
    }
}
