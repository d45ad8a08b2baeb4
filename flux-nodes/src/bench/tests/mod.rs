//! Tests of the benchmark: the CPU workload (unit and property tests) and local measurement.

mod cpu;
mod measure;
