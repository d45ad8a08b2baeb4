//! A job's module as a user hands it over (WebAssembly binary or text), checked by the engine
//! before anything is sent, and the example inputs of `flux job example`.

use super::jobs::NN_INPUTS;
use super::{WorkError, compile_wat, validate};

/// The module in `bytes` as WebAssembly binary, checked by [`validate`]: a binary module
/// (starting with `\0asm`) as is, anything else compiled as WebAssembly text.
///
/// ```
/// use flux_nodes::work::module_from_bytes;
///
/// let text = r#"(module (memory (export "memory") 1)
///   (func (export "run") (drop (f32.add (f32.const 1) (f32.const 2)))))"#;
/// let refused = module_from_bytes(text.as_bytes().to_vec()).unwrap_err();
/// assert!(refused.to_string().contains("floating point is not allowed"), "{refused}");
/// ```
pub fn module_from_bytes(bytes: Vec<u8>) -> Result<Vec<u8>, WorkError> {
    let module = if bytes.starts_with(b"\0asm") {
        bytes
    } else {
        let text = String::from_utf8(bytes).map_err(|_| WorkError::Wat {
            message: "neither a WebAssembly binary (no \\0asm header) nor UTF-8 text".into(),
        })?;
        compile_wat(&text)?
    };
    validate(&module)?;
    Ok(module)
}

/// `count` deterministic example vectors for [`super::jobs::NN_WAT`]: a fixed integer pattern.
///
/// ```
/// let vectors = flux_nodes::work::nn_example_vectors(2);
/// assert_eq!(vectors.len(), 2);
/// assert_eq!(&vectors[1][..3], &[37, 48, 59]);
/// ```
pub fn nn_example_vectors(count: u32) -> Vec<[i8; NN_INPUTS]> {
    (0..count)
        .map(|v| {
            let mut x = [0i8; NN_INPUTS];
            for (i, slot) in x.iter_mut().enumerate() {
                let i = u32::try_from(i).unwrap_or(0);
                let byte = v.wrapping_mul(37).wrapping_add(i.wrapping_mul(11)) % 256;
                *slot = i8::from_le_bytes([u8::try_from(byte).unwrap_or(0)]);
            }
            x
        })
        .collect()
}
