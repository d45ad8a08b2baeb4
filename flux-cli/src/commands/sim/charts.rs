//! SVG charts of a report (plotters' SVG backend, as [`crate::chart`]) and `report.md`, which
//! links them. Figures become `f64` here for drawing only; `report.json` keeps the integers.

use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;

use super::error::SimError;
use super::report::Report;
use crate::chart::ChartError;

const SIZE: (u32, u32) = (960, 540);
/// Named series, one value per period.
type Series = Vec<(String, Vec<f64>)>;

const COLORS: [RGBColor; 4] = [BLUE, RGBColor(230, 120, 0), RGBColor(0, 150, 60), RED];

/// FLUX from base units, for drawing.
fn flux(base: u64) -> f64 {
    base as f64 / 1e8
}

/// A line chart of `series` (name, one value per period) against the periods' end heights.
fn line_chart(
    title: &str,
    y_desc: &str,
    xs: &[u64],
    series: &Series,
) -> Result<String, ChartError> {
    let x_max = xs.last().copied().ok_or(ChartError::Empty)?.max(1) as f64;
    let y_max = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(0.0, f64::max)
        .max(1.0)
        * 1.1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(14)
            .x_label_area_size(36)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max)?;
        chart
            .configure_mesh()
            .x_desc("block height")
            .y_desc(y_desc)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        for (i, (name, values)) in series.iter().enumerate() {
            let color = COLORS[i % COLORS.len()];
            let points = xs.iter().zip(values).map(|(x, y)| (*x as f64, *y));
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
        root.present()?;
    }
    Ok(svg)
}

/// Writes `supply.svg`, `rewards.svg`, `utilisation.svg`, `healing.svg` and `report.md` in
/// `dir`.
pub fn write_charts(dir: &Path, report: &Report) -> Result<(), SimError> {
    let xs: Vec<u64> = report.periods.iter().map(|p| p.end_height).collect();
    let per = |f: &dyn Fn(&super::report::Period) -> f64| -> Vec<f64> {
        report.periods.iter().map(f).collect()
    };
    let tiers = ["Cumulus", "Nimbus", "Stratus"];
    let charts: [(&str, String, &str, Series); 4] = [
        (
            "supply.svg",
            "Supply and the cap (million FLUX)".into(),
            "million FLUX",
            vec![
                ("supply".into(), per(&|p| flux(p.supply) / 1e6)),
                ("cap".into(), per(&|_| flux(report.max_supply) / 1e6)),
            ],
        ),
        (
            "rewards.svg",
            "Operator rewards per tier per period (FLUX)".into(),
            "FLUX",
            (0..3)
                .map(|t| (tiers[t].to_owned(), per(&|p| flux(p.tier_rewards[t]))))
                .collect(),
        ),
        (
            "utilisation.svg",
            "Placement: RAM used per tier (per mille of capacity)".into(),
            "per mille",
            (0..3)
                .map(|t| {
                    let v = per(&|p| p.utilisation.get(t).map_or(0.0, |u| u.ram_permille as f64));
                    (tiers[t].to_owned(), v)
                })
                .collect(),
        ),
        (
            "healing.svg",
            "Node expirations and most unplaced instances per period".into(),
            "count",
            vec![
                ("expirations".into(), per(&|p| p.expirations as f64)),
                (
                    "max unplaced instances".into(),
                    per(&|p| p.max_unplaced_instances as f64),
                ),
            ],
        ),
    ];
    let mut md = format!(
        "# flux sim: {} (seed {}, {} genesis nodes, {} blocks)\n\nFigures: `report.json`.\n\n",
        report.scenario, report.seed, report.genesis_nodes, report.blocks
    );
    for (file, title, y, series) in &charts {
        let svg = line_chart(title, y, &xs, series).map_err(|e| SimError::Chart(e.to_string()))?;
        let path = dir.join(file);
        std::fs::write(&path, svg).map_err(|source| SimError::Io { path, source })?;
        let _ = writeln!(md, "## {title}\n\n![{title}]({file})\n");
    }
    let path = dir.join("report.md");
    std::fs::write(&path, md).map_err(|source| SimError::Io { path, source })
}
