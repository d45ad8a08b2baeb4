//! SVG charts drawn with plotters' SVG backend (no system fonts), behind the `charts` feature:
//! the simulator report's charts and `report.md` ([`report_files`], `flux sim`) and the
//! emission schedule ([`SupplyChart`], `flux tokenomics --chart`). Figures become `f64` for
//! drawing only.
//!
//! ```
//! use flux_core::{Amount, params::ChainParams, tokenomics::yearly_summary};
//! use flux_net::simulator::charts::SupplyChart;
//!
//! let params = ChainParams::testnet();
//! let genesis_supply = Amount::from_flux(1_000_000)?;
//! let years = yearly_summary(2, genesis_supply, &params)?;
//! let svg = SupplyChart {
//!     title: "two years",
//!     genesis_supply,
//!     max_supply: params.supply.max_supply,
//!     final_supply: params.supply.max_supply,
//!     years: &years,
//! }
//! .render_svg()?;
//! assert!(svg.starts_with("<svg"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod emission;
mod report;

pub use emission::SupplyChart;
pub use report::report_files;

use plotters::drawing::DrawingAreaErrorKind;
use thiserror::Error;

/// Why a chart could not be drawn.
#[derive(Debug, Error)]
pub enum ChartError {
    /// There is nothing to draw (no years, no periods).
    #[error("the chart needs at least one year")]
    Empty,
    /// plotters refused a drawing operation.
    #[error("cannot draw the chart: {0}")]
    Draw(#[from] DrawingAreaErrorKind<std::io::Error>),
}
