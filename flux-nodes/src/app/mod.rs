//! App specifications: FluxOS JSON (versions 1–8) read into a typed [`AppSpec`], registration
//! validation, and exact pricing.
//!
//! # The format
//! A v8 specification (what a registration carries) is a JSON object with `version` (8),
//! `name` (3–63 letters and digits), `description`, `owner`, `compose` (the components),
//! `instances` (3–100), `contacts`, `geolocation` (`acEU_DE` allows, `a!cEU_RU` forbids),
//! `expire` (blocks, default 88,000), `nodes` (target nodes), `staticip` and `enterprise`. A
//! component has `name`, `description`, `repotag`, `ports`, `containerPorts`, `domains`,
//! `environmentParameters`, `commands`, `containerData`, `cpu` (cores in 0.1 steps), `ram` (MB)
//! and `hdd` (GB), optionally `repoauth`, and this project's AI extension `gpu` (count) and
//! `gpuMemory` (GB per GPU). Older versions: v1–v3 hold one component at the top level (v1 with
//! single `port`/`containerPort`, all with the `enviromentParameters` typo); v4–v7 use
//! `compose`, with `tiered` components carrying `cpubasic`/`cpusuper`/`cpubamf`,
//! `rambasic`/…, `hddbasic`/… for Cumulus, Nimbus and Stratus nodes.
//!
//! Numbers are exact: `cpu` is read from its decimal text into tenths of a core (`1.2` → 12; a
//! second decimal, an exponent or a string is an error), RAM and SSD are integers.
//!
//! # Two readers
//! - [`AppSpec::from_json_strict`]: a v8 registration. Unknown keys are rejected, then every
//!   limit in `ChainParams.apps` is checked ([`AppSpec::validate`]); each broken rule is its own
//!   [`AppError`] variant naming the field, the component and the limit.
//! - [`AppSpec::from_json_lenient`]: what FluxOS stores, any version, with DB fields (`hash`,
//!   `height`), string ports and the typo. Limits are not checked; what cannot be read is a
//!   typed error, never a panic.
//!
//! ```
//! use flux_core::ChainParams;
//! use flux_nodes::app::{AppError, AppSpec};
//!
//! let params = ChainParams::devnet();
//! let json = r#"{"version":8,"name":"tinybot","description":"bot","owner":"1CbErtneaX2QVyUfwU7JGB7VzvPgrgc3uC",
//!   "compose":[{"name":"bot","description":"","repotag":"example/bot:1","ports":[],"containerPorts":[],
//!   "domains":[],"environmentParameters":[],"commands":[],"containerData":"/srv","cpu":0.1,"ram":100,"hdd":1}],
//!   "instances":3,"expire":5000}"#;
//! let spec = AppSpec::from_json_strict(json.as_bytes(), &params.apps)?;
//! assert_eq!(spec.demand().cpu_tenths, 1);
//! // 0.044 FLUX per 30 days for 3 instances → 0.02 per instance → 0.06 × 5000 / 88000.
//! assert_eq!(spec.price(&params.apps.prices)?.total.to_string(), "0.00340909");
//!
//! let too_big = json.replace("\"cpu\":0.1", "\"cpu\":15.5");
//! assert!(matches!(
//!     AppSpec::from_json_strict(too_big.as_bytes(), &params.apps),
//!     Err(AppError::Cpu { found: 155, max: 150, .. })
//! ));
//! # Ok::<(), AppError>(())
//! ```

mod demand;
pub mod error;
mod legacy;
mod num;
mod price;
mod spec;
mod strict;
mod validate;
mod write;

pub use demand::Demand;
pub use error::AppError;
pub use price::{Price, UpdatePrice, update_price};
pub use spec::{AppSpec, Component, Enterprise, Tiers};

use flux_core::params::AppParams;

impl AppSpec {
    /// Reads a v8 registration and checks every limit (see the module docs).
    pub fn from_json_strict(json: &[u8], params: &AppParams) -> Result<AppSpec, AppError> {
        strict::read(json, params)
    }

    /// Reads FluxOS's stored form of any version, without checking limits (see the module
    /// docs). `params` gives the defaults of absent keys (`instances`, `expire`).
    pub fn from_json_lenient(json: &[u8], params: &AppParams) -> Result<AppSpec, AppError> {
        legacy::read(json, params)
    }
}
