//! The keyring in the browser: the KEK and the data keys as non-extractable
//! WebCrypto keys. Besides the behaviour of wrapping, changing the key and
//! rotating, these tests pin WebCrypto's results to the formats earlier releases
//! wrote with the software crates: a keyring of format 2 (raw data keys inside),
//! built here with `hkdf` and `aes-gcm` from known bytes, opens, and what
//! WebCrypto seals opens with those crates and the same key.
#![cfg(target_arch = "wasm32")]

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use offline_mailbox::crypto::BlindIndex;
use offline_mailbox::crypto::{
    open, seal_padded, Aad, Kek, KeyDerivation, KeyMaterial, Keyring, RecordPlace, WrappedKeyring,
    SALT_LEN,
};
use sha2::Sha256;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const PLACE: RecordPlace<'static> = RecordPlace {
    store: "messages",
    key: b"k",
    fields: b"fields",
};

async fn kek(byte: u8, salt: u8) -> Kek {
    let material = KeyMaterial::from_slice(&[byte; 32]).unwrap();
    Kek::derive(&material, KeyDerivation::RawKey, [salt; SALT_LEN])
        .await
        .unwrap()
}

fn hkdf(key: &[u8], salt: Option<&[u8]>, info: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    Hkdf::<Sha256>::new(salt, key)
        .expand(info, &mut out)
        .unwrap();
    out
}

fn fields_tag(data_key: &[u8; 32], place: RecordPlace<'_>) -> [u8; 16] {
    let fields_key = hkdf(data_key, None, b"offline-mailbox/fields/v1");
    let mut mac = Hmac::<Sha256>::new_from_slice(&fields_key).unwrap();
    for part in [place.store.as_bytes(), place.key] {
        mac.update(&(part.len() as u32).to_be_bytes());
        mac.update(part);
    }
    mac.update(place.fields);
    mac.finalize().into_bytes()[..16].try_into().unwrap()
}

/// A keyring as the release before WebCrypto keys wrote it: format 2, the blind
/// key, current id and raw data keys sealed under a KEK derived in software.
fn format_2_keyring(
    material: u8,
    salt: u8,
    blind: [u8; 32],
    keys: &[(u32, [u8; 32])],
    current: u32,
) -> WrappedKeyring {
    let mut header = vec![2u8, 0, 0, 0, 0, 0];
    header.extend_from_slice(&[salt; SALT_LEN]);
    let kek = hkdf(
        &[material; 32],
        Some(&[salt; SALT_LEN]),
        b"offline-mailbox/kek/v1",
    );
    let mut secret = blind.to_vec();
    secret.extend_from_slice(&current.to_be_bytes());
    secret.push(keys.len() as u8);
    for (id, key) in keys {
        secret.extend_from_slice(&id.to_be_bytes());
        secret.extend_from_slice(key);
    }
    let sealed = seal_padded(&kek, 0, Aad::at("meta", &header), &secret).unwrap();
    header.extend_from_slice(&sealed);
    WrappedKeyring::from_bytes(header).unwrap()
}

#[wasm_bindgen_test]
async fn a_wrapped_keyring_unwraps_with_its_kek_and_opens_what_it_sealed() {
    let kek = kek(1, 5).await;
    let keyring = Keyring::generate(&kek).await.unwrap();
    let sealed = keyring.seal_record(PLACE, b"secret").await.unwrap();
    let alone = keyring
        .seal(Aad::at("syncState", b"k"), b"link")
        .await
        .unwrap();
    let wrapped = keyring.wrap(&kek).await.unwrap();
    let restored = Keyring::unwrap(&wrapped, &kek).await.unwrap();
    assert_eq!(
        restored.open_record(PLACE, &sealed.value).await.unwrap(),
        b"secret"
    );
    assert_eq!(
        restored
            .open(Aad::at("syncState", b"k"), &alone)
            .await
            .unwrap(),
        b"link"
    );
    let moved = RecordPlace {
        fields: b"fieldz",
        ..PLACE
    };
    assert!(restored.open_record(moved, &sealed.value).await.is_err());
    assert!(restored.fields_are_authentic(PLACE, &sealed.value, &sealed.fields_tag));
    assert!(!restored.fields_are_authentic(moved, &sealed.value, &sealed.fields_tag));
}

#[wasm_bindgen_test]
async fn a_wrong_kek_or_an_altered_wrap_is_wrong_key() {
    let right = kek(1, 5).await;
    let wrapped = Keyring::generate(&right)
        .await
        .unwrap()
        .wrap(&right)
        .await
        .unwrap();
    assert!(Keyring::unwrap(&wrapped, &kek(2, 5).await).await.is_err());
    assert!(Keyring::unwrap(&wrapped, &kek(1, 6).await).await.is_err());
    let mut bytes = wrapped.as_bytes().to_vec();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let altered = WrappedKeyring::from_bytes(bytes).unwrap();
    assert!(Keyring::unwrap(&altered, &right).await.is_err());
}

#[wasm_bindgen_test]
async fn changing_the_kek_keeps_the_data_key_and_locks_out_the_old_one() {
    let (old, new) = (kek(1, 5).await, kek(2, 6).await);
    let keyring = Keyring::generate(&old).await.unwrap();
    let sealed = keyring.seal_record(PLACE, b"mail").await.unwrap();
    let rewrapped = keyring.rewrapped(&old, &new).await.unwrap();
    assert!(
        rewrapped.wrap(&old).await.is_err(),
        "its keys are wrapped under the new KEK only"
    );
    let stored = rewrapped.wrap(&new).await.unwrap();
    assert!(Keyring::unwrap(&stored, &old).await.is_err());
    let reopened = Keyring::unwrap(&stored, &new).await.unwrap();
    assert_eq!(
        reopened.open_record(PLACE, &sealed.value).await.unwrap(),
        b"mail"
    );
}

#[wasm_bindgen_test]
async fn a_rotation_keeps_old_values_readable_until_it_ends_and_an_old_wrap_opens_nothing_new() {
    let kek = kek(1, 5).await;
    let keyring = Keyring::generate(&kek).await.unwrap();
    let old = keyring.seal_record(PLACE, b"old").await.unwrap();
    let old_wrap = keyring.wrap(&kek).await.unwrap();
    let mut rotating = keyring.with_new_data_key(&kek).await.unwrap();
    assert!(rotating.is_rotating());
    assert_eq!(rotating.current_key_id(), 2);
    let new = rotating.seal_record(PLACE, b"new").await.unwrap();
    let during = Keyring::unwrap(&rotating.wrap(&kek).await.unwrap(), &kek)
        .await
        .unwrap();
    assert_eq!(during.open_record(PLACE, &old.value).await.unwrap(), b"old");
    assert_eq!(during.open_record(PLACE, &new.value).await.unwrap(), b"new");

    rotating.finish_rotation();
    assert!(!rotating.is_rotating());
    assert!(rotating.open_record(PLACE, &old.value).await.is_err());
    let stolen = Keyring::unwrap(&old_wrap, &kek).await.unwrap();
    assert!(stolen.open_record(PLACE, &new.value).await.is_err());
}

#[wasm_bindgen_test]
async fn a_format_2_keyring_opens_and_webcrypto_seals_exactly_as_the_software_crates_did() {
    let data_key = [0x5a; 32];
    let blind = [0x33; 32];
    let wrapped = format_2_keyring(9, 4, blind, &[(1, data_key)], 1);
    assert!(wrapped.holds_raw_keys());
    let kek = kek(9, 4).await;
    let keyring = Keyring::unwrap(&wrapped, &kek).await.unwrap();

    // A value an earlier release sealed opens.
    let tag = fields_tag(&data_key, PLACE);
    let aad = Aad {
        store: PLACE.store,
        key: PLACE.key,
        bound: &tag,
    };
    let earlier = seal_padded(&data_key, 1, aad, b"sealed in WebAssembly").unwrap();
    assert_eq!(
        keyring.open_record(PLACE, &earlier).await.unwrap(),
        b"sealed in WebAssembly"
    );
    assert!(keyring.fields_are_authentic(PLACE, &earlier, &tag));

    // What WebCrypto seals opens with the software crates and the same key.
    let sealed = keyring
        .seal_record(PLACE, b"sealed by WebCrypto")
        .await
        .unwrap();
    assert_eq!(sealed.fields_tag, tag);
    assert_eq!(
        open(&data_key, aad, &sealed.value).unwrap(),
        b"sealed by WebCrypto"
    );

    // The state key is HKDF of the data key, and the blind key is carried over.
    let state_key = hkdf(&data_key, None, b"offline-mailbox/state/v1");
    let state = keyring
        .seal_state(Aad::at("meta", b"state"), b"counts")
        .unwrap();
    assert_eq!(
        open(&state_key, Aad::at("meta", b"state"), &state).unwrap(),
        b"counts"
    );
    assert_eq!(
        keyring.blind_index().blind("messages", b"id"),
        BlindIndex::new(&blind).blind("messages", b"id")
    );

    // Written again, it is format 3 and still opens the same values.
    let rewritten = keyring.wrap(&kek).await.unwrap();
    assert!(!rewritten.holds_raw_keys());
    let reopened = Keyring::unwrap(&rewritten, &kek).await.unwrap();
    assert_eq!(
        reopened.open_record(PLACE, &earlier).await.unwrap(),
        b"sealed in WebAssembly"
    );
}

#[wasm_bindgen_test]
async fn a_format_2_keyring_that_does_not_name_its_current_key_is_wrong_key() {
    let wrapped = format_2_keyring(9, 4, [1; 32], &[(1, [2; 32])], 7);
    assert!(Keyring::unwrap(&wrapped, &kek(9, 4).await).await.is_err());
}
