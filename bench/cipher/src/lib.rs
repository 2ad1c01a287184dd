//! The wasm side of `bench/cipher`: sealing and opening exactly as the library's
//! `crypto::envelope` does (a fresh `Aes256Gcm` per record, a random 96-bit nonce
//! from getrandom, AAD, a 5-byte header), plus lz4_flex and miniz_oxide with a
//! `Uint8Array` in and a `Vec<u8>` out per call.
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use wasm_bindgen::prelude::*;

const VERSION: u8 = 1;
const HEADER_LEN: usize = 5;
const NONCE_LEN: usize = 12;

/// A data key held in wasm memory, as the library's session holds it.
#[wasm_bindgen]
pub struct Sealer {
    key: [u8; 32],
    key_id: u32,
}

#[wasm_bindgen]
impl Sealer {
    #[wasm_bindgen(constructor)]
    pub fn new(key: &[u8], key_id: u32) -> Sealer {
        Sealer { key: key.try_into().expect("32-byte key"), key_id }
    }

    /// header (version, key id) || nonce || ciphertext || tag
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::getrandom(&mut nonce).expect("random nonce");
        let cipher = Aes256Gcm::new((&self.key).into());
        let ciphertext = cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad })
            .expect("seal");
        let mut out = Vec::with_capacity(HEADER_LEN + NONCE_LEN + ciphertext.len());
        out.push(VERSION);
        out.extend_from_slice(&self.key_id.to_be_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        out
    }

    /// The plaintext of an envelope made by `seal`; throws if it does not verify.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, JsError> {
        if sealed.len() < HEADER_LEN + NONCE_LEN + 16 || sealed[0] != VERSION {
            return Err(JsError::new("not an envelope"));
        }
        let (nonce, ciphertext) = sealed[HEADER_LEN..].split_at(NONCE_LEN);
        let cipher = Aes256Gcm::new((&self.key).into());
        cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad })
            .map_err(|_| JsError::new("integrity"))
    }
}

#[wasm_bindgen]
pub fn lz4_compress(input: &[u8]) -> Vec<u8> {
    lz4_flex::block::compress_prepend_size(input)
}

#[wasm_bindgen]
pub fn lz4_decompress(input: &[u8]) -> Result<Vec<u8>, JsError> {
    lz4_flex::block::decompress_size_prepended(input).map_err(|e| JsError::new(&e.to_string()))
}

/// Raw deflate (no zlib header) at `level` (1 fastest .. 9 smallest).
#[wasm_bindgen]
pub fn deflate_compress(input: &[u8], level: u8) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec(input, level)
}

#[wasm_bindgen]
pub fn deflate_decompress(input: &[u8]) -> Result<Vec<u8>, JsError> {
    miniz_oxide::inflate::decompress_to_vec(input).map_err(|e| JsError::new(&format!("{e:?}")))
}
