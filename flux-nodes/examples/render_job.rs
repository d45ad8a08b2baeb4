//! Runs the Mandelbrot example job as a node would and saves the image.
//!
//! ```text
//! cargo run -p flux-nodes --example render_job -- [OUT.ppm] [WIDTH HEIGHT ITERATIONS]
//! ```
//!
//! Writes the job's output (a PPM image) to `OUT.ppm` (default `/tmp/mandelbrot.ppm`) and the
//! same image as PNG next to it (`OUT.png`), for viewers without PPM support. The PNG encoder
//! below is the smallest valid one (uncompressed deflate blocks), enough for a preview.

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
    std::fs::write(&png, encode_png(image.width, image.height, image.pixels))?;
    println!("wrote {} and {}", out.display(), png.display());
    Ok(())
}

/// An 8-bit RGB PNG with the image data in stored (uncompressed) deflate blocks.
fn encode_png(width: u32, height: u32, rgb: &[u8]) -> Vec<u8> {
    // Each scanline starts with filter type 0 (none).
    let row = width as usize * 3;
    let mut raw = Vec::with_capacity((row + 1) * height as usize);
    for line in rgb.chunks(row) {
        raw.push(0);
        raw.extend_from_slice(line);
    }
    // zlib: header, stored blocks of at most 65,535 bytes, Adler-32.
    let mut zlib = vec![0x78, 0x01];
    let mut blocks = raw.chunks(65_535).peekable();
    if blocks.peek().is_none() {
        zlib.extend([1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        let len = block.len() as u16;
        zlib.push(u8::from(blocks.peek().is_none()));
        zlib.extend(len.to_le_bytes());
        zlib.extend((!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for byte in &raw {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend(((b << 16) | a).to_be_bytes());

    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]); // 8 bits, RGB, deflate, no filter method, no interlace
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(b"IHDR", &ihdr), (b"IDAT", &zlib), (b"IEND", &Vec::new())] {
        png.extend((data.len() as u32).to_be_bytes());
        let start = png.len();
        png.extend_from_slice(kind);
        png.extend_from_slice(data);
        let crc = crc32(&png[start..]);
        png.extend(crc.to_be_bytes());
    }
    png
}

/// CRC-32 (IEEE), bit by bit.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
