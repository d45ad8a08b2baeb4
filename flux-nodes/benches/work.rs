//! Useful-work job benchmarks: interpreter throughput on the example jobs, in fuel per second
//! (criterion's "elements" are fuel units), and the cost of validating each module.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flux_nodes::work::{Status, compile_wat, execute, jobs, validate};

fn nn_batch(n: usize) -> Vec<u8> {
    let vectors: Vec<[i8; jobs::NN_INPUTS]> = (0..n)
        .map(|v| std::array::from_fn(|i| (v * 31 + i * 7) as u8 as i8))
        .collect();
    jobs::nn_input(&vectors)
}

/// A module of about 1 MiB (the limit) of integer code: the worst case of a submission check.
fn large_module() -> Vec<u8> {
    let body =
        "(local.set 0 (i32.add (i32.mul (local.get 0) (i32.const 3)) (i32.const 1)))\n".repeat(250);
    let funcs: String = (0..400)
        .map(|_| format!("(func (param i32) (result i32) {body} (local.get 0))\n"))
        .collect();
    let text = format!(r#"(module (memory (export "memory") 1) (func (export "run")) {funcs})"#);
    compile_wat(&text).unwrap()
}

fn bench(c: &mut Criterion) {
    let cases = [
        (
            "mandelbrot_160x120x64",
            jobs::MANDELBROT_WAT,
            jobs::mandelbrot_input(160, 120, 64),
        ),
        (
            "mandelbrot_480x360x256",
            jobs::MANDELBROT_WAT,
            jobs::mandelbrot_input(480, 360, 256),
        ),
        ("nn_64x64x10_batch_256", jobs::NN_WAT, nn_batch(256)),
    ];

    let mut group = c.benchmark_group("work/execute");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    for (name, wat, input) in &cases {
        let module = validate(&compile_wat(wat).unwrap()).unwrap();
        let outcome = execute(&module, input, 10_000_000_000).unwrap();
        assert_eq!(outcome.status, Status::Completed, "{name}");
        // One timed figure printed as fuel per second, besides criterion's own.
        let runs = 5;
        let start = Instant::now();
        for _ in 0..runs {
            black_box(execute(&module, input, 10_000_000_000).unwrap());
        }
        let per_run = start.elapsed() / runs;
        eprintln!(
            "{name}: {} fuel in {per_run:.2?} = {:.0} Mfuel/s",
            outcome.fuel_used,
            outcome.fuel_used as f64 / per_run.as_secs_f64() / 1e6
        );
        group.throughput(Throughput::Elements(outcome.fuel_used));
        group.bench_function(*name, |b| {
            b.iter(|| black_box(execute(&module, input, 10_000_000_000).unwrap()))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("work/validate");
    for (name, bytes) in [
        ("mandelbrot", compile_wat(jobs::MANDELBROT_WAT).unwrap()),
        ("nn", compile_wat(jobs::NN_WAT).unwrap()),
        ("integer_code_1MiB", large_module()),
    ] {
        eprintln!("{name}: module of {} bytes", bytes.len());
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(name, |b| b.iter(|| black_box(validate(&bytes).unwrap())));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
