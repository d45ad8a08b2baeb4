//! Runs the Mandelbrot example job as a node would and saves the image.
//!
//! ```text
//! cargo run -p flux-nodes --example render_job -- [OUT.ppm] [WIDTH HEIGHT ITERATIONS]
//! ```
//!
//! Writes the job's output (a PPM image) to `OUT.ppm` (default `/tmp/mandelbrot.ppm`) and the
//! same image as PNG next to it (`OUT.png`, [`jobs::Ppm::to_png`]), for viewers without PPM
//! support.

use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

use flux_nodes::work::{JobSpec, Status, jobs};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = PathBuf::from(args.first().map_or("/tmp/mandelbrot.ppm", String::as_str));
    let number = |i: usize, default: u32| -> Result<u32, Box<dyn Error>> {
        Ok(args
            .get(i)
            .map(|s| s.parse())
            .transpose()?
            .unwrap_or(default))
    };
    let (width, height, iterations) = (number(1, 160)?, number(2, 120)?, number(3, 64)?);

    let job = JobSpec::from_wat(
        jobs::MANDELBROT_WAT,
        jobs::mandelbrot_input(width, height, iterations),
        1_000_000_000,
    )?;
    let module = job.check()?;
    let start = Instant::now();
    let outcome = flux_nodes::work::execute(&module, &job.input, job.fuel)?;
    let elapsed = start.elapsed();
    println!(
        "{width}x{height}, {iterations} iterations: {}, {} fuel in {elapsed:.2?} ({:.0} Mfuel/s)",
        outcome.status,
        outcome.fuel_used,
        outcome.fuel_used as f64 / elapsed.as_secs_f64() / 1e6,
    );
    println!("code {}", module.code_hash());
    println!("result {}", outcome.result_hash());
    if outcome.status != Status::Completed {
        return Err(format!("the job did not complete: {}", outcome.status).into());
    }
    let image = jobs::Ppm::parse(&outcome.output).ok_or("the output is not a PPM image")?;
    std::fs::write(&out, &outcome.output)?;
    let png = out.with_extension("png");
    std::fs::write(&png, image.to_png())?;
    println!("wrote {} and {}", out.display(), png.display());
    Ok(())
}
