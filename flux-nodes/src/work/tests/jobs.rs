//! The example jobs: valid, deterministic, and equal to their Rust references.

use super::super::jobs::{
    MANDELBROT_WAT, NN_INPUTS, NN_WAT, Ppm, mandelbrot_input, nn_input, nn_weights,
};
use super::super::{JobSpec, Status, Trap};
use super::reference;

fn render(width: u32, height: u32, iterations: u32) -> super::Outcome {
    let input = mandelbrot_input(width, height, iterations);
    JobSpec::from_wat(MANDELBROT_WAT, input, 1_000_000_000)
        .unwrap()
        .run()
        .unwrap()
}

#[test]
fn mandelbrot_renders_a_ppm_equal_to_the_reference() {
    let out = render(160, 120, 64);
    assert_eq!(out.status, Status::Completed);
    assert!(out.output.starts_with(b"P6\n160 120\n255\n"));
    assert_eq!(out.output.len(), 15 + 160 * 120 * 3);
    assert_eq!(out.output, reference::mandelbrot(160, 120, 64));

    let image = Ppm::parse(&out.output).unwrap();
    assert_eq!((image.width, image.height), (160, 120));
    // c = (-0.25, 0) is inside the main cardioid: black. c = (-2.5, -1.3125) escapes after
    // one step: t = 3, a dark blue.
    assert_eq!(image.pixel(103, 60), Some([0, 0, 0]));
    assert_eq!(image.pixel(0, 0), Some([0, 0, 24]));
    assert_eq!(image.pixel(160, 0), None);
    // A recognisable set: about a fifth of the pixels are inside.
    let inside = image.pixels.chunks(3).filter(|p| *p == [0, 0, 0]).count();
    assert!((2_000..8_000).contains(&inside), "{inside} black pixels");
    assert_eq!(render(160, 120, 64), out);
}

#[test]
fn mandelbrot_refuses_bad_sizes() {
    for input in [
        mandelbrot_input(0, 10, 10),
        mandelbrot_input(10, 4097, 10),
        mandelbrot_input(10, 10, 0),
        mandelbrot_input(10, 10, 70_000)[..11].to_vec(),
    ] {
        let out = JobSpec::from_wat(MANDELBROT_WAT, input, 1_000_000)
            .unwrap()
            .run()
            .unwrap();
        assert_eq!(out.status, Status::Trapped(Trap::Unreachable));
    }
    // 1024 x 1024 is more than 1 MiB of output.
    let input = mandelbrot_input(1024, 1024, 1);
    let out = JobSpec::from_wat(MANDELBROT_WAT, input, 1_000_000_000)
        .unwrap()
        .run()
        .unwrap();
    assert_eq!(out.status, Status::Trapped(Trap::OutputTooLarge));
}

#[test]
fn ppm_parser_refuses_other_bytes() {
    assert!(Ppm::parse(b"P6\n1 1\n255\n\0\0\0").is_some());
    for bad in [
        &b"P6\n1 1\n255\n\0\0"[..],
        b"P5\n1 1\n255\n\0\0\0",
        b"P6\n1 1\n65535\n\0\0\0",
        b"P6\n-1 1\n255\n\0\0\0",
        b"P6\n99999999999 1\n255\n",
        b"P6\n1 1",
        b"",
    ] {
        assert!(Ppm::parse(bad).is_none(), "{bad:?}");
    }
}

/// A deterministic batch of feature vectors.
fn batch(n: usize, seed: u8) -> Vec<[i8; NN_INPUTS]> {
    (0..n)
        .map(|v| {
            let mut x = [0i8; NN_INPUTS];
            for (i, f) in x.iter_mut().enumerate() {
                *f = (i as u8)
                    .wrapping_mul(37)
                    .wrapping_add(seed)
                    .wrapping_add((v as u8).wrapping_mul(101)) as i8;
            }
            x
        })
        .collect()
}

#[test]
fn nn_equals_the_reference() {
    let weights = nn_weights();
    let vectors = batch(25, 7);
    let job = JobSpec::from_wat(NN_WAT, nn_input(&vectors), 100_000_000).unwrap();
    let out = job.run().unwrap();
    assert_eq!(out.status, Status::Completed);
    assert_eq!(out.output.len(), 25 * 41);
    assert_eq!(out.output, reference::nn_output(&weights, &vectors));
    // The batch is not degenerate: several classes come out.
    let mut classes: Vec<u8> = out.output.chunks(41).map(|r| r[40]).collect();
    classes.sort_unstable();
    classes.dedup();
    assert!(classes.len() >= 3, "classes {classes:?}");
    assert_eq!(job.run().unwrap(), out);
}

#[test]
fn nn_handles_empty_and_ragged_input() {
    let empty = JobSpec::from_wat(NN_WAT, Vec::new(), 1_000)
        .unwrap()
        .run()
        .unwrap();
    assert_eq!((empty.status, empty.output.len()), (Status::Completed, 0));
    let ragged = JobSpec::from_wat(NN_WAT, vec![1; 65], 1_000)
        .unwrap()
        .run()
        .unwrap();
    assert_eq!(ragged.status, Status::Trapped(Trap::Unreachable));
}

#[test]
fn nn_weights_match_the_data_segment() {
    // The module's data segment is the generator's stream: a single vector with one hot
    // feature reads back one column of W1 through the network, so compare whole outputs for
    // every one-hot input.
    let weights = nn_weights();
    let vectors: Vec<[i8; NN_INPUTS]> = (0..NN_INPUTS)
        .map(|i| {
            let mut x = [0i8; NN_INPUTS];
            x[i] = 127;
            x
        })
        .collect();
    let out = JobSpec::from_wat(NN_WAT, nn_input(&vectors), 100_000_000)
        .unwrap()
        .run()
        .unwrap();
    assert_eq!(out.output, reference::nn_output(&weights, &vectors));
    assert_eq!(weights.w1.len() + weights.w2.len(), 64 * 64 + 10 * 64);
}
