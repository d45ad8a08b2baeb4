//! Rust references of the example jobs: the same integer arithmetic, written independently of
//! the WAT, so a test can compare outputs byte for byte.

use super::super::jobs::{NN_CLASSES, NN_HIDDEN, NN_INPUTS, NnWeights};

/// The PPM image `mandelbrot.wat` renders.
pub(super) fn mandelbrot(width: u32, height: u32, iterations: u32) -> Vec<u8> {
    let mut out = format!("P6\n{width} {height}\n255\n").into_bytes();
    let step = (7i64 << 23) / i64::from(width); // 3.5 * 2^24 / width
    for y in 0..height {
        let ci = (i64::from(y) - i64::from(height / 2)) * step;
        for x in 0..width {
            let cr = -(5i64 << 23) + i64::from(x) * step; // -2.5 + x * step
            out.extend(colour(escape(cr, ci, iterations), iterations));
        }
    }
    out
}

fn escape(cr: i64, ci: i64, max: u32) -> u32 {
    let (mut zr, mut zi) = (0i64, 0i64);
    let mut i = 0;
    while i < max {
        let zr2 = (zr * zr) >> 24;
        let zi2 = (zi * zi) >> 24;
        if zr2 + zi2 > 4 << 24 {
            break;
        }
        zi = ((zr * zi) >> 23) + ci;
        zr = zr2 - zi2 + cr;
        i += 1;
    }
    i
}

fn colour(i: u32, max: u32) -> [u8; 3] {
    if i == max {
        return [0, 0, 0];
    }
    let t = u64::from(i) * 255 / u64::from(max);
    let u = 255 - t;
    let cube = 255u64.pow(3);
    [
        (9 * u * t * t * t / cube) as u8,
        (15 * u * u * t * t / cube) as u8,
        (17 * u * u * u * t / (2 * cube)) as u8,
    ]
}

/// The logits and class `nn.wat` computes for one vector.
pub(super) fn nn(w: &NnWeights, x: &[i8; NN_INPUTS]) -> ([i32; NN_CLASSES], u8) {
    let mut hidden = [0i32; NN_HIDDEN];
    for (j, h) in hidden.iter_mut().enumerate() {
        let row = &w.w1[j * NN_INPUTS..(j + 1) * NN_INPUTS];
        let sum: i32 = row
            .iter()
            .zip(x)
            .map(|(a, b)| i32::from(*a) * i32::from(*b))
            .sum();
        *h = ((w.b1[j] + sum).max(0) >> 7).min(127);
    }
    let mut logits = [0i32; NN_CLASSES];
    for (k, l) in logits.iter_mut().enumerate() {
        let row = &w.w2[k * NN_HIDDEN..(k + 1) * NN_HIDDEN];
        let sum: i32 = row
            .iter()
            .zip(&hidden)
            .map(|(a, h)| i32::from(*a) * h)
            .sum();
        *l = w.b2[k] + sum;
    }
    let mut class = 0;
    for k in 1..NN_CLASSES {
        if logits[k] > logits[class] {
            class = k;
        }
    }
    (logits, class as u8)
}

/// The output `nn.wat` writes for a batch.
pub(super) fn nn_output(w: &NnWeights, batch: &[[i8; NN_INPUTS]]) -> Vec<u8> {
    let mut out = Vec::new();
    for x in batch {
        let (logits, class) = nn(w, x);
        for l in logits {
            out.extend(l.to_le_bytes());
        }
        out.push(class);
    }
    out
}
