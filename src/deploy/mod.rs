//! Deploying a bundle natively: the local file set, the plan (data), the lock, the state,
//! and applying the plan in dependency order with bounded concurrency.

mod alive;
pub mod apply;
pub mod artifacts;
pub mod destroy;
pub mod files;
pub mod kinds;
pub mod legacy;
pub mod lock;
pub mod lookup;
pub mod plan;
mod pool;
pub mod prune;
pub mod refs;
pub mod render;
pub mod state;
pub mod sync;
