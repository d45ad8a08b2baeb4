//! App specifications (FluxOS v1–v8 JSON), their validation and their price.
//!
//! Work in progress: [`Demand`] is the per-instance resource demand used by placement.

mod demand;

pub use demand::Demand;
