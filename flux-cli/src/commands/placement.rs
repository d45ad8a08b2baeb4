//! `flux placement simulate`: [`flux_net::simulator::placement`] (a synthetic network's apps
//! placed, some nodes failed) printed.

use std::io::Write;

use flux_net::simulator::placement::{PlacementOptions, PlacementReport, simulate_placement};

use crate::cli::PlacementCommand;
use crate::error::CliError;
use crate::output::Output;

/// `flux placement simulate`: runs the placement what-if and prints its report.
pub fn run<W: Write>(out: &mut Output<W>, command: PlacementCommand) -> Result<(), CliError> {
    let PlacementCommand::Simulate {
        nodes,
        apps,
        seed,
        fail_nodes,
    } = command;
    let options = PlacementOptions {
        nodes,
        apps,
        seed,
        fail_nodes,
    };
    let report = simulate_placement(&options)?;
    out.emit(&report, &text(&report))
}

fn text(r: &PlacementReport) -> String {
    let mut s = format!(
        "{} nodes, {} apps, {} instances requested (seed {:?})\n\
         placed {} instances in {} ms\n\nutilisation per tier:\n",
        r.nodes,
        r.apps,
        r.instances_requested,
        r.seed,
        r.instances_placed,
        r.place_us / 1000,
    );
    s.push_str(&format!(
        "  {:<8} {:>6} {:>10} {:>7} {:>7} {:>7}\n",
        "tier", "nodes", "instances", "cpu", "ram", "ssd"
    ));
    for t in &r.utilisation {
        s.push_str(&format!(
            "  {:<8} {:>6} {:>10} {:>7} {:>7} {:>7}\n",
            t.tier.name(),
            t.nodes,
            t.instances,
            percent(t.cpu_permille),
            percent(t.ram_permille),
            percent(t.hdd_permille),
        ));
    }
    s.push_str(&format!("\nunplaced: {} instances\n", r.unplaced_instances));
    for u in &r.unplaced {
        s.push_str(&format!(
            "  {:>7} instances of {:>5} apps: {}\n",
            u.instances, u.apps, u.text
        ));
    }
    s.push_str(&format!(
        "\nfailed {} nodes: {} instances moved ({} re-placed) in {}.{:03} ms\n",
        r.failed_nodes,
        r.moved_instances,
        r.replaced_instances,
        r.heal_us / 1000,
        r.heal_us % 1000,
    ));
    s
}

fn percent(permille: u64) -> String {
    format!("{}.{}%", permille / 10, permille % 10)
}
