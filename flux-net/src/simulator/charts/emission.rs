//! The SVG chart of the emission schedule (`flux tokenomics --chart`).
//!
//! The numbers come from [`flux_core::tokenomics`]; they are converted to `f64` here for
//! drawing only, never for anything a node computes.

use flux_core::Amount;
use flux_core::tokenomics::YearSummary;
use plotters::prelude::*;

use super::ChartError;

/// Width and height of the chart in pixels.
const SIZE: (u32, u32) = (960, 760);

/// A part of the SVG canvas.
type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// What the supply chart shows: the schedule's years, the genesis supply and the cap.
pub struct SupplyChart<'a> {
    /// Title line (e.g. the network).
    pub title: &'a str,
    /// Supply at genesis (year 0).
    pub genesis_supply: Amount,
    /// The hard cap, drawn as a horizontal line.
    pub max_supply: Amount,
    /// The supply once the schedule has minted everything, drawn as a dashed line.
    pub final_supply: Amount,
    /// Year 1, 2, ... of the schedule.
    pub years: &'a [YearSummary],
}

/// Millions of FLUX, for the axes.
fn mflux(a: Amount) -> f64 {
    a.base_units() as f64 / (flux_core::COIN as f64 * 1e6)
}

/// The yearly split's layers, bottom to top: label, colour, and the part of a year it shows.
type Layer = (&'static str, RGBColor, fn(&YearSummary) -> Amount);

const LAYERS: [Layer; 5] = [
    ("Cumulus", RGBColor(0x4e, 0x79, 0xa7), |y| y.minted.cumulus),
    ("Nimbus", RGBColor(0x59, 0xa1, 0x4f), |y| y.minted.nimbus),
    ("Stratus", RGBColor(0xf2, 0x8e, 0x2b), |y| y.minted.stratus),
    ("Dev fund", RGBColor(0xb0, 0x7a, 0xa1), |y| {
        y.minted.dev_fund
    }),
    ("Useful-work pool", RGBColor(0x76, 0xb7, 0xb2), |y| {
        y.minted.work_pool
    }),
];

impl SupplyChart<'_> {
    /// Draws the chart and returns the SVG text: on top the total supply by year with the cap
    /// line, below the FLUX minted each year stacked by recipient.
    pub fn render_svg(&self) -> Result<String, ChartError> {
        let last = self.years.last().ok_or(ChartError::Empty)?;
        let years = last.year as f64;
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
            root.fill(&WHITE)?;
            let root = root.titled(self.title, ("sans-serif", 22))?;
            let (top, bottom) = root.split_vertically(SIZE.1 * 11 / 20);
            self.draw_supply(&top, years)?;
            self.draw_split(&bottom, years)?;
            root.present()?;
        }
        Ok(svg)
    }

    fn draw_supply(&self, area: &Area<'_>, years: f64) -> Result<(), ChartError> {
        let cap = mflux(self.max_supply);
        let mut chart = ChartBuilder::on(area)
            .caption("Total supply (million FLUX)", ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(0f64..years, 0f64..cap * 1.08)?;
        chart
            .configure_mesh()
            .x_desc("years after genesis")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        chart
            .draw_series(LineSeries::new(
                [(0.0, cap), (years, cap)],
                RED.stroke_width(2),
            ))?
            .label(format!("cap {} FLUX", self.max_supply))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], RED.stroke_width(2)));
        let last = mflux(self.final_supply);
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, last), (years, last)],
                6,
                4,
                BLACK.mix(0.6).stroke_width(1),
            ))?
            .label(format!("all emission minted: {} FLUX", self.final_supply))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLACK.mix(0.6)));
        let supply = std::iter::once((0.0, mflux(self.genesis_supply)))
            .chain(self.years.iter().map(|y| (y.year as f64, mflux(y.supply))));
        chart
            .draw_series(LineSeries::new(supply, BLUE.stroke_width(3)))?
            .label("supply")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLUE.stroke_width(3)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
        Ok(())
    }

    fn draw_split(&self, area: &Area<'_>, years: f64) -> Result<(), ChartError> {
        // Stacked heights: layer i's top is the sum of layers 0..=i.
        let stacked: Vec<[f64; 5]> = self
            .years
            .iter()
            .map(|y| {
                let mut acc = 0.0;
                LAYERS.map(|(_, _, part)| {
                    acc += mflux(part(y));
                    acc
                })
            })
            .collect();
        let peak = stacked.iter().map(|s| s[4]).fold(0.0, f64::max);
        let mut chart = ChartBuilder::on(area)
            .caption(
                "Minted per year by recipient (million FLUX)",
                ("sans-serif", 16),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(0f64..years, 0f64..peak * 1.1)?;
        chart
            .configure_mesh()
            .x_desc("years after genesis")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        // Draw the tallest layer first so each lower one paints over it: a stack of areas.
        for (i, (label, color, _)) in LAYERS.iter().enumerate().rev() {
            let steps = self.years.iter().zip(&stacked).flat_map(|(y, s)| {
                let end = y.year as f64;
                [(end - 1.0, s[i]), (end, s[i])]
            });
            chart
                .draw_series(
                    AreaSeries::new(steps, 0.0, color.filled()).border_style(BLACK.stroke_width(1)),
                )?
                .label(*label)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled())
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
        Ok(())
    }
}
