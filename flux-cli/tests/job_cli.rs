//! Compute jobs end to end through the `flux job` commands against a real node (a
//! `flux_net::node::Node` validating alone, whose worker runs the jobs assigned to it): the
//! Mandelbrot example written by `flux job example`, submitted and waited for, accepted, its
//! output fetched byte-identical to a local run and converted to a PNG. Also the refusals made
//! before anything is sent: a float module, and a fee under the chain's minimum.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod net_support;

use flux_net::node::Node;
use flux_nodes::work::jobs::{MANDELBROT_WAT, mandelbrot_input};
use flux_nodes::work::{compile_wat, execute, validate};
use net_support::{flux, flux_bin, key_file};

const FLOAT_WAT: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "run") (drop (f32.add (f32.const 1) (f32.const 2)))))"#;

/// A node validating alone, its API on a free port; key 5 holds 1,000 FLUX.
fn start_node(rt: &tokio::runtime::Runtime, dir: &std::path::Path) -> (Node, String) {
    net_support::start_validator(rt, dir, 31, 5)
}

#[test]
fn the_mandelbrot_example_is_run_by_the_node_and_fetched_as_ppm_and_png() {
    let rt = net_support::runtime();
    let dir = tempfile::tempdir().unwrap();
    let (node, url) = start_node(&rt, &dir.path().join("node"));
    let key = key_file(dir.path(), 5);
    let jobs = dir.path().join("jobs");
    let jobs_dir = jobs.to_str().unwrap();

    let (code, example) = flux(&[
        "job",
        "example",
        "mandelbrot",
        "--out",
        jobs_dir,
        "--width",
        "64",
        "--height",
        "48",
        "--iterations",
        "64",
    ]);
    assert_eq!(code, 0, "{example}");
    let local = execute(
        &validate(&compile_wat(MANDELBROT_WAT).unwrap()).unwrap(),
        &mandelbrot_input(64, 48, 64),
        50_000_000,
    )
    .unwrap();
    assert_eq!(example["fuel_used"].as_u64(), Some(local.fuel_used));

    let module = jobs.join("mandelbrot.wat");
    let input = jobs.join("mandelbrot.input");
    let (code, submitted) = flux(&[
        "job",
        "submit",
        module.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--fuel",
        "50000000",
        "--fee",
        "1",
        "--key",
        key.to_str().unwrap(),
        "--node",
        &url,
        "--wait",
        "--timeout",
        "120",
    ]);
    assert_eq!(code, 0, "{submitted}");
    let id = submitted["job"].as_str().unwrap().to_owned();
    assert_eq!(submitted["id"].as_str(), Some(id.as_str()));
    assert_eq!(submitted["result"]["phase"], "accepted", "{submitted}");

    let (code, status) = flux(&["job", "status", &id, "--node", &url]);
    assert_eq!(code, 0, "{status}");
    assert_eq!(status["phase"], "accepted");
    assert_eq!(
        status["accepted"]["fuel_used"].as_u64(),
        Some(local.fuel_used)
    );
    assert_eq!(
        status["accepted"]["result_hash"].as_str(),
        Some(local.result_hash().to_string().as_str())
    );
    assert_eq!(
        status["accepted"]["output_len"].as_u64(),
        Some(local.output.len() as u64)
    );
    assert_eq!(status["accepted"]["status"], "completed");
    let node_id = node.node_id().unwrap().to_string();
    assert_eq!(status["assigned"][0].as_str(), Some(node_id.as_str()));
    assert_eq!(
        status["reveals"][0]["node"].as_str(),
        Some(node_id.as_str())
    );

    let ppm = dir.path().join("x.ppm");
    let (code, written) = flux(&[
        "job",
        "result",
        &id,
        "--out",
        ppm.to_str().unwrap(),
        "--node",
        &url,
    ]);
    assert_eq!(code, 0, "{written}");
    assert_eq!(std::fs::read(&ppm).unwrap(), local.output);

    let png = dir.path().join("x.png");
    let (code, written) = flux(&[
        "job",
        "result",
        &id,
        "--out",
        png.to_str().unwrap(),
        "--png",
        "--node",
        &url,
    ]);
    assert_eq!(code, 0, "{written}");
    let png = std::fs::read(&png).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 64);
    assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 48);
    assert_eq!(written["image"], serde_json::json!([64, 48]));

    let (code, list) = flux(&["job", "list", "--node", &url]);
    assert_eq!(code, 0, "{list}");
    assert_eq!(list["jobs"][0]["id"].as_str(), Some(id.as_str()));

    // A fee under the chain's minimum (0.01 FLUX on devnet) is refused before sending.
    let (code, out, err) = flux_bin(&[
        "job",
        "submit",
        module.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--fuel",
        "50000000",
        "--fee",
        "0.001",
        "--key",
        key.to_str().unwrap(),
        "--node",
        &url,
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        err.contains("refused before sending: job fee 0.001 is below the minimum 0.01"),
        "{err}"
    );
    rt.block_on(node.shutdown()).unwrap();
}

#[test]
fn a_float_module_is_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("float.wat");
    std::fs::write(&module, FLOAT_WAT).unwrap();
    let key = key_file(dir.path(), 5);
    // No node listens there: the module is refused before the node is asked anything.
    let (code, out, err) = flux_bin(&[
        "job",
        "submit",
        module.to_str().unwrap(),
        "--fuel",
        "1000",
        "--fee",
        "1",
        "--key",
        key.to_str().unwrap(),
        "--node",
        "http://127.0.0.1:9",
    ]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(
        err.contains(
            "float.wat: refused before sending: floating point is not allowed in jobs: \
             function 0 uses the float instruction `f32.const`"
        ),
        "{err}"
    );
    let (code, _, err) = flux_bin(&[
        "job",
        "result",
        &"00".repeat(32),
        "--out",
        "/dev/null",
        "--node",
        "http://127.0.0.1:9",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot reach"), "{err}");
}
