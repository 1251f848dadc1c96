//! The smallest Lambda function in Rust: the same runtime crate, the same release profile and
//! the same start as hookwell's functions, and nothing else. `make coldstart` starts it the
//! way it starts them, so their cold starts are read as ratios to this one, which moves with
//! the machine the same way. Never deployed.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|_event: LambdaEvent<Value>| async {
        Ok::<_, Error>(json!({ "hello": "world" }))
    }))
    .await
}
