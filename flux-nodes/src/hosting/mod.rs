//! Hosting, the pure part: from app specs and the placement to the containers this node should
//! run, and from those and what the runtime reports to the actions that make it so.
//!
//! Nothing here does IO or reads a clock; the runtime, the reconcile loop and the gateway live
//! in flux-net and use these types.

mod types;

pub use types::{
    Action, ContainerSpec, LABEL_APP, LABEL_COMPONENT, LABEL_INSTANCE, LABEL_NODE, LABEL_SPEC,
    Mount, Observed, ObservedNetwork, ObservedState, PortMap,
};
