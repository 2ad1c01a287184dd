//! The envelope every stored value lives in. Version 3, written now:
//! `3 ‖ key id (4 bytes, big-endian) ‖ codec (1 byte) ‖ nonce (12 bytes, random) ‖ AES-256-GCM ciphertext ‖ tag (16 bytes)`.
//! Version 2 (`2 ‖ key id ‖ nonce ‖ ciphertext ‖ tag`, never compressed) still opens.
//!
//! The plaintext is compressed before it is sealed ([`Codec::Lz4`]) when that saves
//! bytes; the codec byte says whether it was, and is bound into the AAD like the
//! version and key id, so it cannot be flipped without failing authentication.
//!
//! The additional authenticated data (AAD) binds the value to where it lives and
//! to what is stored beside it in clear, so a ciphertext copied to another record,
//! another store, another format version or next to altered index fields fails
//! authentication. The key id names which data key sealed it, so a store stays
//! readable while its records move to a new data key.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

use super::{random_bytes, CryptoError};

/// Format version written as the first byte of every new envelope and bound into the AAD.
pub const ENVELOPE_VERSION: u8 = 3;
/// The previous format version (no codec byte, never compressed); still opened.
const ENVELOPE_VERSION_2: u8 = 2;
const KEY_ID_LEN: usize = 4;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const AAD_DOMAIN: &[u8] = b"offline-mailbox/envelope";
/// The largest plaintext a compressed envelope may claim: stored values above
/// 64 MiB are malformed anyway, and the claim is checked before any allocation.
const MAX_PLAINTEXT: usize = 64 << 20;
/// Plaintexts shorter than this are stored as they are: too short to shrink.
const MIN_COMPRESSIBLE: usize = 64;

/// How the plaintext inside an envelope is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// Stored as given.
    None,
    /// LZ4 block format (`lz4_flex`), after a 4-byte little-endian plaintext length.
    Lz4,
}

impl Codec {
    fn tag(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Lz4 => 1,
        }
    }

    fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            0 => Some(Self::None),
            1 => Some(Self::Lz4),
            _ => None,
        }
    }
}

/// The parts of an envelope's header.
struct Header {
    version: u8,
    key_id: u32,
    codec: Codec,
    /// Where the nonce starts.
    len: usize,
}

impl Header {
    fn read(sealed: &[u8]) -> Option<Self> {
        let version = *sealed.first()?;
        let len = match version {
            ENVELOPE_VERSION => 1 + KEY_ID_LEN + 1,
            ENVELOPE_VERSION_2 => 1 + KEY_ID_LEN,
            _ => return None,
        };
        if sealed.len() < len + NONCE_LEN + TAG_LEN {
            return None;
        }
        let key_id = u32::from_be_bytes(sealed[1..1 + KEY_ID_LEN].try_into().ok()?);
        let codec = match version {
            ENVELOPE_VERSION => Codec::from_tag(sealed[1 + KEY_ID_LEN])?,
            _ => Codec::None,
        };
        Some(Self {
            version,
            key_id,
            codec,
            len,
        })
    }
}

/// Where a sealed value lives and what is bound to it.
#[derive(Debug, Clone, Copy)]
pub struct Aad<'a> {
    /// Object store name, e.g. `messages`.
    pub store: &'a str,
    /// The blinded record key the value is stored under.
    pub key: &'a [u8],
    /// Bytes stored beside the value that must not change without it (the tag of
    /// the record's clear index fields); empty when nothing is stored beside it.
    pub bound: &'a [u8],
}

impl<'a> Aad<'a> {
    /// An AAD for a value stored alone (nothing in clear beside it).
    pub fn at(store: &'a str, key: &'a [u8]) -> Self {
        Self {
            store,
            key,
            bound: &[],
        }
    }

    fn encode(&self, header: &Header) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            AAD_DOMAIN.len() + 18 + self.store.len() + self.key.len() + self.bound.len(),
        );
        out.extend_from_slice(AAD_DOMAIN);
        out.push(header.version);
        out.extend_from_slice(&header.key_id.to_be_bytes());
        if header.version == ENVELOPE_VERSION {
            out.push(header.codec.tag());
        }
        // Length prefixes keep (store, key, bound) triples unambiguous.
        for part in [self.store.as_bytes(), self.key, self.bound] {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part);
        }
        out
    }
}

/// Compresses `plaintext` when that makes it shorter; otherwise keeps it as it is.
fn encode(plaintext: &[u8]) -> (Codec, std::borrow::Cow<'_, [u8]>) {
    if plaintext.len() < MIN_COMPRESSIBLE || plaintext.len() > MAX_PLAINTEXT {
        return (Codec::None, plaintext.into());
    }
    let mut out = (plaintext.len() as u32).to_le_bytes().to_vec();
    out.extend_from_slice(&lz4_flex::block::compress(plaintext));
    if out.len() >= plaintext.len() {
        return (Codec::None, plaintext.into());
    }
    (Codec::Lz4, out.into())
}

/// Undoes [`encode`]. Runs only on authenticated bytes; a length claim over
/// [`MAX_PLAINTEXT`] or a block that does not decode to it is still an error.
fn decode(codec: Codec, encoded: Vec<u8>) -> Result<Vec<u8>, CryptoError> {
    match codec {
        Codec::None => Ok(encoded),
        Codec::Lz4 => {
            let (len, block) = encoded.split_at_checked(4).ok_or(CryptoError::Integrity)?;
            let len = u32::from_le_bytes(len.try_into().map_err(|_| CryptoError::Integrity)?);
            let len = usize::try_from(len).map_err(|_| CryptoError::Integrity)?;
            if len > MAX_PLAINTEXT {
                return Err(CryptoError::Integrity);
            }
            let plaintext =
                lz4_flex::block::decompress(block, len).map_err(|_| CryptoError::Integrity)?;
            if plaintext.len() != len {
                return Err(CryptoError::Integrity);
            }
            Ok(plaintext)
        }
    }
}

/// An envelope ready to be encrypted: its header, a fresh nonce, the AAD and the
/// (maybe compressed) plaintext. The encryption itself is left to the caller, so
/// the same format is sealed by WebCrypto in the browser and by `aes-gcm` here.
pub struct Sealing<'a> {
    header: [u8; 1 + KEY_ID_LEN + 1],
    /// The nonce to encrypt with.
    pub nonce: [u8; NONCE_LEN],
    /// The additional authenticated data to encrypt with.
    pub aad: Vec<u8>,
    /// The bytes to encrypt.
    pub plaintext: std::borrow::Cow<'a, [u8]>,
}

impl Sealing<'_> {
    /// The envelope, from the AES-256-GCM ciphertext with its tag appended.
    pub fn finish(&self, ciphertext: &[u8]) -> Vec<u8> {
        self.frame().finish(ciphertext)
    }

    /// What the envelope puts before the ciphertext, to finish it later.
    pub fn frame(&self) -> Frame {
        let mut prefix = [0u8; FRAME_LEN];
        prefix[..self.header.len()].copy_from_slice(&self.header);
        prefix[self.header.len()..].copy_from_slice(&self.nonce);
        Frame(prefix)
    }
}

const FRAME_LEN: usize = 1 + KEY_ID_LEN + 1 + NONCE_LEN;

/// An envelope's header and nonce, kept while its ciphertext is being computed.
#[derive(Debug, Clone, Copy)]
pub struct Frame([u8; FRAME_LEN]);

impl Frame {
    /// The envelope, from the AES-256-GCM ciphertext with its tag appended.
    pub fn finish(&self, ciphertext: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(FRAME_LEN + ciphertext.len());
        out.extend_from_slice(&self.0);
        out.extend_from_slice(ciphertext);
        out
    }
}

/// Prepares `plaintext` to be sealed under the key known as `key_id`, bound to
/// `aad`: compressed where that saves bytes, unless `compress` is false (values
/// padded to a size class, whose stored size must not depend on their content).
pub fn prepare<'a>(
    key_id: u32,
    aad: Aad<'_>,
    plaintext: &'a [u8],
    compress: bool,
) -> Result<Sealing<'a>, CryptoError> {
    let (codec, encoded) = match compress {
        true => encode(plaintext),
        false => (Codec::None, plaintext.into()),
    };
    let header = Header {
        version: ENVELOPE_VERSION,
        key_id,
        codec,
        len: 1 + KEY_ID_LEN + 1,
    };
    let mut bytes = [ENVELOPE_VERSION, 0, 0, 0, 0, codec.tag()];
    bytes[1..1 + KEY_ID_LEN].copy_from_slice(&key_id.to_be_bytes());
    Ok(Sealing {
        header: bytes,
        nonce: random_bytes()?,
        aad: aad.encode(&header),
        plaintext: encoded,
    })
}

/// An envelope taken apart for decryption.
pub struct Opening<'s> {
    /// The id of the data key that sealed it.
    pub key_id: u32,
    /// The nonce it was sealed with.
    pub nonce: &'s [u8],
    /// The AES-256-GCM ciphertext with its tag.
    pub ciphertext: &'s [u8],
    /// The additional authenticated data it must have been sealed with.
    pub aad: Vec<u8>,
    codec: Codec,
}

impl Opening<'_> {
    /// Whether the plaintext inside was stored as it is (not compressed).
    pub fn is_uncompressed(&self) -> bool {
        self.codec == Codec::None
    }

    /// The plaintext, from the decrypted bytes: compression undone.
    pub fn finish(&self, decrypted: Vec<u8>) -> Result<Vec<u8>, CryptoError> {
        decode(self.codec, decrypted)
    }

    /// How to finish it later, once it has been decrypted.
    pub fn decoding(&self) -> Decoding {
        Decoding(self.codec)
    }
}

/// How an envelope's decrypted bytes become its plaintext.
#[derive(Debug, Clone, Copy)]
pub struct Decoding(Codec);

impl Decoding {
    /// The plaintext, from the decrypted bytes: compression undone.
    pub fn finish(self, decrypted: Vec<u8>) -> Result<Vec<u8>, CryptoError> {
        decode(self.0, decrypted)
    }
}

/// Takes apart an envelope (of version 3 or 2) to be opened where it must be bound
/// to `aad`; bytes that are not an envelope give [`CryptoError::Integrity`].
pub fn parse<'s>(aad: Aad<'_>, sealed: &'s [u8]) -> Result<Opening<'s>, CryptoError> {
    let header = Header::read(sealed).ok_or(CryptoError::Integrity)?;
    let (nonce, ciphertext) = sealed[header.len..].split_at(NONCE_LEN);
    Ok(Opening {
        key_id: header.key_id,
        nonce,
        ciphertext,
        aad: aad.encode(&header),
        codec: header.codec,
    })
}

/// Compresses `plaintext` where that saves bytes, then encrypts it under `key`
/// (known as `key_id`), bound to `aad`, with a fresh random nonce. The library
/// seals with WebCrypto; this software path seals the few values whose key lives
/// in WebAssembly (the sealed state) and serves host tests.
///
/// ```
/// use offline_mailbox::crypto::{open, seal, Aad};
/// let key = [7u8; 32];
/// let aad = Aad::at("messages", b"record-1");
/// let sealed = seal(&key, 1, aad, b"hello").unwrap();
/// assert_eq!(open(&key, aad, &sealed).unwrap(), b"hello");
/// ```
pub fn seal(
    key: &[u8; 32],
    key_id: u32,
    aad: Aad<'_>,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    encrypt(key, &prepare(key_id, aad, plaintext, true)?)
}

/// Encrypts `plaintext` like [`seal`] but never compresses it.
pub fn seal_padded(
    key: &[u8; 32],
    key_id: u32,
    aad: Aad<'_>,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    encrypt(key, &prepare(key_id, aad, plaintext, false)?)
}

fn encrypt(key: &[u8; 32], sealing: &Sealing<'_>) -> Result<Vec<u8>, CryptoError> {
    let ciphertext = Aes256Gcm::new(key.into())
        .encrypt(
            Nonce::from_slice(&sealing.nonce),
            Payload {
                msg: &sealing.plaintext,
                aad: &sealing.aad,
            },
        )
        .map_err(|_| CryptoError::Integrity)?;
    Ok(sealing.finish(&ciphertext))
}

/// The id of the data key that sealed `sealed`, or `None` if it is not an envelope
/// of a format this build reads.
pub fn key_id(sealed: &[u8]) -> Option<u32> {
    Header::read(sealed).map(|header| header.key_id)
}

/// Decrypts an envelope made by [`seal`] (or by the version 2 format) and undoes
/// its compression; any change to the bytes, the key or the AAD gives
/// [`CryptoError::Integrity`].
pub fn open(key: &[u8; 32], aad: Aad<'_>, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let opening = parse(aad, sealed)?;
    let decrypted = Aes256Gcm::new(key.into())
        .decrypt(
            Nonce::from_slice(opening.nonce),
            Payload {
                msg: opening.ciphertext,
                aad: &opening.aad,
            },
        )
        .map_err(|_| CryptoError::Integrity)?;
    opening.finish(decrypted)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [42; 32];
    const AAD: Aad<'static> = Aad {
        store: "messages",
        key: &[1, 2, 3, 4],
        bound: &[9, 9],
    };

    #[test]
    fn round_trip_returns_the_plaintext() {
        let sealed = seal(&KEY, 1, AAD, "Grüße, 你好".as_bytes()).unwrap();
        assert_eq!(open(&KEY, AAD, &sealed).unwrap(), "Grüße, 你好".as_bytes());
    }

    #[test]
    fn ciphertext_does_not_contain_the_plaintext_and_nonces_differ() {
        let a = seal(&KEY, 1, AAD, b"canary-subject").unwrap();
        let b = seal(&KEY, 1, AAD, b"canary-subject").unwrap();
        assert_ne!(a, b);
        assert!(!a.windows(6).any(|w| w == b"canary"));
    }

    #[test]
    fn every_flipped_bit_fails_with_integrity() {
        let sealed = seal(&KEY, 1, AAD, b"a stored value").unwrap();
        for byte in 0..sealed.len() {
            for bit in 0..8 {
                let mut tampered = sealed.clone();
                tampered[byte] ^= 1 << bit;
                assert_eq!(
                    open(&KEY, AAD, &tampered),
                    Err(CryptoError::Integrity),
                    "byte {byte} bit {bit}"
                );
            }
        }
    }

    #[test]
    fn truncated_or_empty_values_fail_with_integrity() {
        let sealed = seal(&KEY, 1, AAD, b"value").unwrap();
        for len in 0..sealed.len() {
            assert_eq!(open(&KEY, AAD, &sealed[..len]), Err(CryptoError::Integrity));
        }
    }

    #[test]
    fn value_moved_to_another_record_key_fails() {
        let sealed = seal(&KEY, 1, AAD, b"value").unwrap();
        let moved = Aad {
            key: &[1, 2, 3, 5],
            ..AAD
        };
        assert_eq!(open(&KEY, moved, &sealed), Err(CryptoError::Integrity));
    }

    #[test]
    fn value_moved_to_another_store_fails() {
        let sealed = seal(&KEY, 1, AAD, b"value").unwrap();
        let moved = Aad {
            store: "contacts",
            ..AAD
        };
        assert_eq!(open(&KEY, moved, &sealed), Err(CryptoError::Integrity));
    }

    #[test]
    fn ambiguous_store_and_key_boundaries_do_not_collide() {
        let a = Aad {
            store: "ab",
            key: b"c",
            bound: b"",
        }
        .encode(&Header {
            version: 3,
            key_id: 1,
            codec: Codec::None,
            len: 6,
        });
        let b = Aad {
            store: "a",
            key: b"bc",
            bound: b"",
        }
        .encode(&Header {
            version: 3,
            key_id: 1,
            codec: Codec::None,
            len: 6,
        });
        assert_ne!(a, b);
    }

    #[test]
    fn altered_bound_fields_fail() {
        let sealed = seal(&KEY, 1, AAD, b"value").unwrap();
        let altered = Aad {
            bound: &[9, 8],
            ..AAD
        };
        assert_eq!(open(&KEY, altered, &sealed), Err(CryptoError::Integrity));
    }

    #[test]
    fn the_key_id_is_read_back_and_bound() {
        let sealed = seal(&KEY, 7, AAD, b"value").unwrap();
        assert_eq!(key_id(&sealed), Some(7));
        let mut relabelled = sealed.clone();
        relabelled[4] = 8;
        assert_eq!(open(&KEY, AAD, &relabelled), Err(CryptoError::Integrity));
    }

    #[test]
    fn value_sealed_under_another_key_fails() {
        let sealed = seal(&KEY, 1, AAD, b"value").unwrap();
        assert_eq!(open(&[43; 32], AAD, &sealed), Err(CryptoError::Integrity));
    }

    /// Seals `encoded` as it is, with the given version and codec: what an older
    /// release, or someone holding the key, could have written.
    fn seal_raw(version: u8, codec: Codec, encoded: &[u8]) -> Vec<u8> {
        let len = if version == ENVELOPE_VERSION { 6 } else { 5 };
        let header = Header {
            version,
            key_id: 1,
            codec,
            len,
        };
        let nonce = [3u8; NONCE_LEN];
        let ciphertext = Aes256Gcm::new(&KEY.into())
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: encoded,
                    aad: &AAD.encode(&header),
                },
            )
            .unwrap();
        let mut out = vec![version];
        out.extend_from_slice(&1u32.to_be_bytes());
        if version == ENVELOPE_VERSION {
            out.push(codec.tag());
        }
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        out
    }

    #[test]
    fn a_compressible_value_is_stored_compressed_and_opens_exactly() {
        let text = "Subject: quarterly report. ".repeat(200);
        let sealed = seal(&KEY, 1, AAD, text.as_bytes()).unwrap();
        assert_eq!(sealed[5], Codec::Lz4.tag());
        assert!(sealed.len() < text.len() / 4, "{} bytes", sealed.len());
        assert_eq!(open(&KEY, AAD, &sealed).unwrap(), text.as_bytes());
    }

    #[test]
    fn an_incompressible_or_short_value_is_stored_as_it_is() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 32) as u8
            })
            .collect();
        for plaintext in [&noise[..], b"short"] {
            let sealed = seal(&KEY, 1, AAD, plaintext).unwrap();
            assert_eq!(sealed[5], Codec::None.tag());
            assert_eq!(open(&KEY, AAD, &sealed).unwrap(), plaintext);
        }
    }

    #[test]
    fn the_codec_byte_is_bound() {
        let text = "canary ".repeat(100);
        let mut sealed = seal(&KEY, 1, AAD, text.as_bytes()).unwrap();
        sealed[5] = Codec::None.tag();
        assert_eq!(open(&KEY, AAD, &sealed), Err(CryptoError::Integrity));
        sealed[5] = 9;
        assert_eq!(open(&KEY, AAD, &sealed), Err(CryptoError::Integrity));
    }

    #[test]
    fn version_2_envelopes_still_open_and_cannot_pass_as_version_3() {
        let old = seal_raw(ENVELOPE_VERSION_2, Codec::None, b"stored by 0.2");
        assert_eq!(key_id(&old), Some(1));
        assert_eq!(open(&KEY, AAD, &old).unwrap(), b"stored by 0.2");
        let mut relabelled = old.clone();
        relabelled[0] = ENVELOPE_VERSION;
        assert_eq!(open(&KEY, AAD, &relabelled), Err(CryptoError::Integrity));
    }

    #[test]
    fn a_sealed_length_claim_beyond_the_limit_or_a_broken_block_is_integrity() {
        let huge = seal_raw(ENVELOPE_VERSION, Codec::Lz4, &u32::MAX.to_le_bytes());
        assert_eq!(open(&KEY, AAD, &huge), Err(CryptoError::Integrity));
        let mut lying = 1000u32.to_le_bytes().to_vec();
        lying.extend_from_slice(&lz4_flex::block::compress(b"ten bytes!"));
        let short = seal_raw(ENVELOPE_VERSION, Codec::Lz4, &lying);
        assert_eq!(open(&KEY, AAD, &short), Err(CryptoError::Integrity));
        let garbage = seal_raw(
            ENVELOPE_VERSION,
            Codec::Lz4,
            &[10, 0, 0, 0, 0xff, 0xff, 0xff],
        );
        assert_eq!(open(&KEY, AAD, &garbage), Err(CryptoError::Integrity));
    }

    #[test]
    fn a_padded_value_is_never_compressed_so_its_size_is_its_padded_size() {
        let padded = [b"card".as_slice(), &[0u8; 508]].concat();
        let sealed = seal_padded(&KEY, 1, AAD, &padded).unwrap();
        assert_eq!(sealed[5], Codec::None.tag());
        assert_eq!(sealed.len(), 6 + NONCE_LEN + padded.len() + TAG_LEN);
        assert_eq!(open(&KEY, AAD, &sealed).unwrap(), padded);
    }
}
