//! SVG charts of a simulator [`Report`] and `report.md`, which links them. Figures become
//! `f64` here for drawing only; `report.json` keeps the integers.

use std::fmt::Write as _;

use plotters::prelude::*;

use super::ChartError;
use crate::simulator::report::{Period, Report};

const SIZE: (u32, u32) = (960, 540);
/// Named series, one value per period.
type Series = Vec<(String, Vec<f64>)>;

const COLORS: [RGBColor; 4] = [BLUE, RGBColor(230, 120, 0), RGBColor(0, 150, 60), RED];

/// FLUX from base units, for drawing.
fn flux(base: u64) -> f64 {
    base as f64 / 1e8
}

/// A line chart of `series` (name, one value per period) against the periods' end heights.
/// The x axis runs over `x_range`.
fn line_chart(
    title: &str,
    y_desc: &str,
    xs: &[u64],
    x_range: (u64, u64),
    series: &Series,
) -> Result<String, ChartError> {
    if xs.is_empty() {
        return Err(ChartError::Empty);
    }
    let (x_from, x_max) = (x_range.0, x_range.1.max(x_range.0 + 1) as f64);
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
            .build_cartesian_2d(x_from as f64..x_max, 0f64..y_max)?;
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
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
        root.present()?;
    }
    Ok(svg)
}

/// Histograms of per-node income, one panel per tier.
fn income_chart(report: &Report) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1200, 440)).into_drawing_area();
        root.fill(&WHITE)?;
        let root = root.titled(
            &format!(
                "Per-node income over the run ({} blocks), by tier",
                report.blocks
            ),
            ("sans-serif", 20),
        )?;
        let panels = root.split_evenly((1, 3));
        for (i, (area, t)) in panels.iter().zip(&report.income).enumerate() {
            let color = COLORS[i % COLORS.len()];
            let width = flux(t.bucket_width);
            let x0 = flux(t.min);
            let x1 = x0 + width * t.buckets.len() as f64;
            let y_max = t.buckets.iter().copied().max().unwrap_or(0).max(1) as f64 * 1.1;
            let mut chart = ChartBuilder::on(area)
                .caption(
                    format!(
                        "{:?}: {} nodes, median {:.0} FLUX",
                        t.tier,
                        t.nodes,
                        flux(t.median)
                    ),
                    ("sans-serif", 15),
                )
                .margin(10)
                .x_label_area_size(36)
                .y_label_area_size(50)
                .build_cartesian_2d(x0..x1.max(x0 + 1.0), 0f64..y_max)?;
            chart
                .configure_mesh()
                .x_desc("FLUX")
                .y_desc("nodes")
                .x_labels(5)
                .x_label_formatter(&|x| {
                    if x1 - x0 < 20.0 {
                        format!("{x:.1}")
                    } else {
                        format!("{x:.0}")
                    }
                })
                .y_label_formatter(&|y| format!("{y:.0}"))
                .light_line_style(WHITE.mix(0.0))
                .draw()?;
            chart.draw_series(t.buckets.iter().enumerate().map(|(b, n)| {
                let lo = x0 + width * b as f64;
                Rectangle::new([(lo, 0.0), (lo + width, *n as f64)], color.filled())
            }))?;
        }
        root.present()?;
    }
    Ok(svg)
}

/// The files `flux sim` writes beside `report.json`, as (file name, contents) in writing order:
/// `supply.svg`, `rewards.svg`, `utilisation.svg`, `expirations.svg`, `healing.svg` (if nodes
/// left), `income.svg` (if any income) and last `report.md`, which links them.
///
/// ```
/// use flux_net::simulator::{Mode, Scenario, charts, run};
///
/// let report = run(20, 3, Scenario::baseline(), 1, Mode::Fast, |_| {})?;
/// let files = charts::report_files(&report)?;
/// assert_eq!(files.first().map(|f| f.0.as_str()), Some("supply.svg"));
/// assert_eq!(files.last().map(|f| f.0.as_str()), Some("report.md"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn report_files(report: &Report) -> Result<Vec<(String, String)>, ChartError> {
    let mut files = Vec::new();
    let xs: Vec<u64> = report.periods.iter().map(|p| p.end_height).collect();
    let per = |f: &dyn Fn(&Period) -> f64| -> Vec<f64> { report.periods.iter().map(f).collect() };
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
            "expirations.svg",
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
    let t = &report.totals;
    let rows = [
        (
            "supply (cap)",
            format!(
                "{:.2} ({:.0}) FLUX",
                flux(t.supply),
                flux(report.max_supply)
            ),
        ),
        ("emission", format!("{:.2} FLUX", flux(t.emission))),
        (
            "to Cumulus / Nimbus / Stratus",
            format!(
                "{:.2} / {:.2} / {:.2} FLUX",
                flux(t.tier_rewards[0]),
                flux(t.tier_rewards[1]),
                flux(t.tier_rewards[2])
            ),
        ),
        ("development fund", format!("{:.2} FLUX", flux(t.dev_fund))),
        (
            "useful-work pool: in, paid, left",
            format!(
                "{:.2}, {:.2}, {:.2} FLUX",
                flux(t.to_work_pool),
                flux(t.pool_paid),
                flux(t.work_pool)
            ),
        ),
        (
            "hosting paid from escrows",
            format!("{:.2} FLUX", flux(t.hosting)),
        ),
        (
            "nodes confirmed / expired",
            format!("{} / {}", t.nodes.confirmed, t.nodes.expired),
        ),
        (
            "apps, instances placed / unplaced",
            format!(
                "{}, {} / {}",
                t.apps, t.placed_instances, t.unplaced_instances
            ),
        ),
        (
            "instances displaced, longest wait",
            format!("{}, {} blocks", t.displaced_instances, t.max_healing_blocks),
        ),
        (
            "jobs submitted / accepted / refunded",
            format!(
                "{} / {} / {}",
                t.jobs_submitted, t.jobs_accepted, t.jobs_refunded
            ),
        ),
        (
            "strikes: cheaters / honest",
            format!("{} / {}", t.strikes_cheaters, t.strikes_honest),
        ),
        (
            "slashes, burned",
            format!("{}, {:.2} FLUX", t.slashes, flux(t.slashed)),
        ),
    ];
    md.push_str("| | |\n|---|---|\n");
    for (k, v) in rows {
        let _ = writeln!(md, "| {k} | {v} |");
    }
    md.push('\n');
    for (file, title, y, series) in &charts {
        let x_max = xs.last().copied().unwrap_or(1);
        files.push((
            (*file).to_owned(),
            line_chart(title, y, &xs, (0, x_max), series)?,
        ));
        let _ = writeln!(md, "## {title}\n\n![{title}]({file})\n");
    }
    // Healing: one point per block in which hosting nodes left.
    let hx: Vec<u64> = report.healing.iter().map(|r| r.height).collect();
    // Frame the events: from a little before the first to a little after the last.
    let (first, last) = (
        hx.first().copied().unwrap_or(0),
        hx.last().copied().unwrap_or(0),
    );
    let pad = ((last - first) / 10).max(10);
    let x_range = (first.saturating_sub(pad), last + pad);
    let worst = report
        .healing
        .iter()
        .map(|r| r.healed_in_blocks.unwrap_or(u64::MAX))
        .max()
        .unwrap_or(0);
    let worst = if worst == u64::MAX {
        "some never healed".to_owned()
    } else {
        format!("longest wait {worst} blocks")
    };
    let title = format!("Instances displaced by leaving nodes, per block ({worst})");
    let series: Series = vec![
        (
            "displaced instances".into(),
            report.healing.iter().map(|r| r.displaced as f64).collect(),
        ),
        (
            "unplaced after the block".into(),
            report
                .healing
                .iter()
                .map(|r| r.unplaced_after as f64)
                .collect(),
        ),
        (
            "blocks until re-placed".into(),
            report
                .healing
                .iter()
                .map(|r| r.healed_in_blocks.map_or(-1.0, |b| b as f64))
                .collect(),
        ),
    ];
    if !hx.is_empty() {
        let svg = line_chart(&title, "count / blocks", &hx, x_range, &series)?;
        files.push(("healing.svg".to_owned(), svg));
        let _ = writeln!(md, "## {title}\n\n![{title}](healing.svg)\n");
    }
    if !report.income.is_empty() {
        files.push(("income.svg".to_owned(), income_chart(report)?));
        let _ = writeln!(
            md,
            "## Per-node income by tier\n\n![Per-node income by tier](income.svg)\n"
        );
    }
    let _ = writeln!(md, "Chain parameters: {}.", report.preset);
    files.push(("report.md".to_owned(), md));
    Ok(files)
}
