//! One codec's compress + decompress (deflate at a fixed level, as the library
//! would use it), or (no feature) a copy with the same
//! signatures, so the difference in wasm size is the codec alone.
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub fn compress(input: &[u8]) -> Vec<u8> {
    #[cfg(feature = "lz4")]
    return lz4_flex::block::compress_prepend_size(input);
    #[cfg(feature = "deflate1")]
    return miniz_oxide::deflate::compress_to_vec(input, 1);
    #[cfg(feature = "deflate6")]
    return miniz_oxide::deflate::compress_to_vec(input, 6);
    #[cfg(not(any(feature = "lz4", feature = "deflate1", feature = "deflate6")))]
    return input.to_vec();
}

#[wasm_bindgen]
pub fn decompress(input: &[u8]) -> Result<Vec<u8>, JsError> {
    #[cfg(feature = "lz4")]
    return lz4_flex::block::decompress_size_prepended(input).map_err(|e| JsError::new(&e.to_string()));
    #[cfg(any(feature = "deflate1", feature = "deflate6"))]
    return miniz_oxide::inflate::decompress_to_vec(input).map_err(|e| JsError::new(&format!("{e:?}")));
    #[cfg(not(any(feature = "lz4", feature = "deflate1", feature = "deflate6")))]
    return Ok(input.to_vec());
}
