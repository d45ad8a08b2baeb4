//! Property tests: arbitrary bytes never panic the validator; runs are deterministic.

use std::sync::LazyLock;

use proptest::prelude::*;

use super::super::jobs::{MANDELBROT_WAT, NN_INPUTS, NN_WAT, mandelbrot_input, nn_input};
use super::super::{Status, execute, validate};
use super::{ValidatedModule, compile_wat};

static MANDELBROT: LazyLock<Vec<u8>> = LazyLock::new(|| compile_wat(MANDELBROT_WAT).unwrap());
static NN: LazyLock<Vec<u8>> = LazyLock::new(|| compile_wat(NN_WAT).unwrap());

fn module(bytes: &[u8]) -> ValidatedModule {
    validate(bytes).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = validate(&bytes);
        let mut with_header = b"\0asm\x01\0\0\0".to_vec();
        with_header.extend(&bytes);
        let _ = validate(&with_header);
    }

    /// Corrupting a real module: refused with an error, or still valid and then runnable.
    #[test]
    fn mutated_modules_never_panic(
        which in any::<bool>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        fuel in 1u64..20_000,
    ) {
        let mut bytes = if which { MANDELBROT.clone() } else { NN.clone() };
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if let Ok(m) = validate(&bytes) {
            let input = mandelbrot_input(8, 8, 8);
            let a = execute(&m, &input, fuel).unwrap();
            prop_assert_eq!(execute(&m, &input, fuel).unwrap(), a);
        }
    }

    #[test]
    fn mandelbrot_is_deterministic(
        w in 1u32..32, h in 1u32..32, iterations in 1u32..100, fuel in 1u64..1_000_000,
    ) {
        let input = mandelbrot_input(w, h, iterations);
        let a = execute(&module(&MANDELBROT), &input, fuel).unwrap();
        let b = execute(&module(&MANDELBROT), &input, fuel).unwrap();
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(a.result_hash(), b.result_hash());
        match a.status {
            Status::Completed => {
                prop_assert_eq!(&a.output, &super::reference::mandelbrot(w, h, iterations));
                // The fuel used is exactly enough.
                let again = execute(&module(&MANDELBROT), &input, a.fuel_used).unwrap();
                prop_assert_eq!(&again, &a);
            }
            Status::OutOfFuel => prop_assert_eq!(a.fuel_used, fuel),
            Status::Trapped(t) => prop_assert!(false, "trapped: {t}"),
        }
    }

    #[test]
    fn nn_is_deterministic(
        vectors in prop::collection::vec(prop::array::uniform32(any::<i8>()), 0..12),
        fuel in 1u64..400_000,
    ) {
        // Two random halves make a 64-feature vector.
        let batch: Vec<[i8; NN_INPUTS]> = vectors
            .chunks(2)
            .map(|pair| {
                let mut x = [0i8; NN_INPUTS];
                for (i, half) in pair.iter().enumerate() {
                    x[i * 32..(i + 1) * 32].copy_from_slice(half);
                }
                x
            })
            .collect();
        let input = nn_input(&batch);
        let a = execute(&module(&NN), &input, fuel).unwrap();
        prop_assert_eq!(&execute(&module(&NN), &input, fuel).unwrap(), &a);
        if a.status == Status::Completed {
            let weights = super::super::jobs::nn_weights();
            prop_assert_eq!(&a.output, &super::reference::nn_output(&weights, &batch));
        } else {
            prop_assert_eq!(a.status, Status::OutOfFuel);
        }
    }
}
