//! Cryptography: the value envelope, the key hierarchy and blinded keys.
//!
//! The formats (`envelope`, `wrap`) and the keys that live in WebAssembly
//! (`blind`, the fields and state keys in `wrap`) are pure Rust, unit-tested on
//! the host. The browser edge is `subtle` (WebCrypto calls) and `keyring`, which
//! holds the KEK and the data keys as non-extractable `CryptoKey`s: values are
//! sealed and opened by WebCrypto, and a data key never enters WebAssembly memory.

mod blind;
mod envelope;
#[cfg(target_arch = "wasm32")]
mod keyring;
#[cfg(target_arch = "wasm32")]
pub mod subtle;
mod wrap;

pub use blind::{database_name, BlindIndex, BLINDED_LEN, DB_NAME_PREFIX};
pub use envelope::{
    key_id, open, parse, prepare, seal, seal_padded, Aad, Decoding, Frame, Opening, Sealing,
    ENVELOPE_VERSION,
};
#[cfg(target_arch = "wasm32")]
pub use keyring::{Kek, Keyring};
pub use wrap::{
    FieldsKey, KeyDerivation, KeyMaterial, KeyringContents, RecordPlace, SealedRecord, StateKey,
    WrappedKeyring, FIELDS_TAG_LEN, KEY_LEN, SALT_LEN,
};

/// What can go wrong in the crypto layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The key-encryption key did not unwrap the stored keyring: the key or passphrase is wrong.
    #[error("the key does not open this mailbox")]
    WrongKey,
    /// A sealed value failed authentication: it was altered, truncated or moved.
    #[error("stored value failed authentication")]
    Integrity,
    /// Key material of the wrong length was supplied.
    #[error("key material must be {expected} bytes, got {actual}")]
    KeyLength {
        /// Required length in bytes.
        expected: usize,
        /// Length supplied.
        actual: usize,
    },
    /// The platform random number generator failed.
    #[error("the platform random number generator is unavailable")]
    Random,
    /// WebCrypto is missing or refused an operation that cannot fail on good input.
    #[error("{0}")]
    Unavailable(String),
}

/// Fills a fresh array with cryptographically secure random bytes.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    getrandom::getrandom(&mut out).map_err(|_| CryptoError::Random)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Compiles only if `T` wipes itself when dropped.
    fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}

    #[test]
    fn key_material_and_aes_key_schedules_are_wiped_on_drop() {
        wiped_on_drop::<KeyMaterial>();
        // Needs the `aes` crate's `zeroize` feature, which aes-gcm's own does not enable.
        wiped_on_drop::<aes::Aes256>();
    }
}
