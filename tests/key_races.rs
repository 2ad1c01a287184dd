//! Races between keyring reloads (which await WebCrypto, so they can finish
//! after this tab committed something newer) and this tab's own writes,
//! rotations and key changes, with the review attacks on the WebCrypto keyring
//! that held. The orchestration of concurrent calls lives in tests/key_races.js.
//!
//! The first four failed before keyring installs were ordered by ticket and the
//! state taken in was compared with what the tab had seen when it read it:
//! - `a_write_during_a_keyring_reload_on_a_slow_device_is_not_taken_for_a_rollback`
//! - `a_single_keyring_reload_during_a_rotation_never_leaves_records_under_the_old_key`
//! - `a_rotation_left_unfinished_by_a_reload_is_finished_by_the_next_call`
//! - `a_single_keyring_reload_during_a_key_change_leaves_the_tab_working`
//!
//! They make WebCrypto's `unwrapKey` answer 1-6 ms later than it does on a fast
//! machine (a slower device, or a crypto thread busy with a large listing) with
//! the JS helper `slowUnwrapKey`: the code's correctness must not depend on
//! WebCrypto's latency, and these tests pass whatever that latency is.

#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use js_sys::{Reflect, Uint8Array};
use offline_mailbox::OfflineMailbox;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/key_races.js")]
extern "C" {
    fn messages(prefix: &str, n: u32) -> JsValue;
    #[wasm_bindgen(js_name = setKeyId)]
    fn set_key_id(db: &str, store: &str, n: u32, id: u32) -> js_sys::Promise;
    #[wasm_bindgen(js_name = keyIds)]
    fn key_ids(db: &str, store: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = metaValue)]
    fn meta_value(db: &str, name: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = setMetaValue)]
    fn set_meta_value(db: &str, name: &str, bytes: &JsValue) -> js_sys::Promise;
    fn readable(mailbox: &JsValue, ids: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = writeWhileReadsReload)]
    fn write_while_reads_reload(
        a: &JsValue,
        b: &JsValue,
        rounds: u32,
        reads: u32,
        write: &str,
    ) -> js_sys::Promise;
    #[wasm_bindgen(js_name = writeWhileReadsReloadUnderLoad)]
    fn write_while_reads_reload_under_load(
        a: &JsValue,
        b: &JsValue,
        c: &JsValue,
        rounds: u32,
        reads: u32,
    ) -> js_sys::Promise;
    #[wasm_bindgen(js_name = writeWhileReadsReloadSlowUnwrap)]
    fn write_while_reads_reload_slow_unwrap(
        a: &JsValue,
        b: &JsValue,
        rounds: u32,
        reads: u32,
        ms: u32,
    ) -> js_sys::Promise;
    #[wasm_bindgen(js_name = mailboxWithTampered)]
    fn mailbox_with_tampered(a: &JsValue, db: &str, n: u32, good: u32) -> js_sys::Promise;
    #[wasm_bindgen(js_name = rotateWithReloadAt)]
    fn rotate_with_reload_at(a: &JsValue, id: &str, delay: i32, slow: u32) -> js_sys::Promise;
    #[wasm_bindgen(js_name = changeKeyWithReloadAt)]
    fn change_key_with_reload_at(
        a: &JsValue,
        id: &str,
        key: &JsValue,
        delay: i32,
        slow: u32,
    ) -> js_sys::Promise;
    fn afterwards(a: &JsValue, key: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = everythingAtOnce)]
    fn everything_at_once(a: &JsValue, rounds: u32, key: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = twoTabsAtOnce)]
    fn two_tabs_at_once(a: &JsValue, b: &JsValue, rounds: u32) -> js_sys::Promise;
    #[wasm_bindgen(js_name = inboxCount)]
    fn inbox_count(a: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = setMetaByte)]
    fn set_meta_byte(db: &str, name: &str, index: u32, value: u8) -> js_sys::Promise;
    #[wasm_bindgen(js_name = everyCall)]
    fn every_call(a: &JsValue) -> js_sys::Promise;
}

/// Extra latency of `crypto.subtle.unwrapKey` in the single-reload tests (ms).
const SLOW: u32 = 2;

fn key(byte: u8) -> JsValue {
    Uint8Array::from(&[byte; 32][..]).into()
}

/// Two tabs (two mailbox objects, two connections) on one user's database.
async fn two_tabs(user: &str) -> (JsValue, JsValue) {
    let a = open(key_options(user, 1)).await;
    wait(a.put_messages(messages("m", 40))).await;
    let b = open(key_options(user, 1)).await;
    (JsValue::from(a), JsValue::from(b))
}

fn get(value: &JsValue, name: &str) -> JsValue {
    Reflect::get(value, &name.into()).unwrap()
}

fn ids_range(prefix: &str, from: u32, to: u32) -> JsValue {
    array((from..to).map(|i| JsValue::from_str(&format!("{prefix}{i}"))))
}

/// A user's mailbox with 20 messages, open in one tab.
async fn small_mailbox(user: &str) -> JsValue {
    let a = open(key_options(user, 1)).await;
    wait(a.put_messages(messages("m", 20))).await;
    JsValue::from(a)
}

/// Asserts that a round-by-round run found no failing call, then wipes `user`.
async fn every_round_passed(user: &str, result: &JsValue) {
    let round = get(result, "round").as_f64().unwrap();
    let log = stringify(&get(result, "log"));
    wait(OfflineMailbox::wipe_user(user.into())).await;
    assert_eq!(round, -1.0, "a call failed in one round: {log}");
}

/// A key change whose keyring reload starts at `at` (ms, or event-loop turns
/// when negative) with `unwrapKey` `slow` ms slower, in a fresh mailbox of
/// `messages` messages (one tampered); what it and the calls after it gave.
/// The mailbox is wiped.
async fn key_change_with_reload(
    user: &str,
    messages: u32,
    at: i32,
    slow: u32,
) -> (JsValue, JsValue) {
    let a = JsValue::from(open(key_options(user, 1)).await);
    wait(mailbox_with_tampered(&a, &db_name(user), 1, messages)).await;
    let result = wait(change_key_with_reload_at(&a, "t0", &key(2), at, slow)).await;
    let after = wait(afterwards(&a, &key(3))).await;
    wait(OfflineMailbox::wipe_user(user.into())).await;
    (result, after)
}

fn outcome_codes(result: &JsValue) -> Vec<String> {
    js_sys::Object::values(result.unchecked_ref())
        .iter()
        .map(|v: JsValue| v.as_string().unwrap().split(' ').next().unwrap().to_owned())
        .collect()
}

// ---- Findings ----

/// Finding 1. Tab `b` rotates the data key; tab `a` then writes once (an empty
/// `resetScope`) while reads keep starting. Each read that took in the state
/// before the write committed loads the keyring again (several WebCrypto calls)
/// and only then checks the state's epoch, against the state the write has since
/// stored: `Rollback`, and the mailbox closes. Nothing was rolled back. Here
/// `unwrapKey` answers 2 ms later than on this machine.
#[wasm_bindgen_test]
async fn a_write_during_a_keyring_reload_on_a_slow_device_is_not_taken_for_a_rollback() {
    let user = "review-reload-rollback-slow";
    let (a, b) = two_tabs(user).await;
    let result = wait(write_while_reads_reload_slow_unwrap(&a, &b, 10, 60, 2)).await;
    every_round_passed(user, &result).await;
}

/// Finding 2. One rotation per delay, each with one read (of a record whose
/// envelope names an unknown data key: an extension with IndexedDB access can
/// flip that byte; records of another tab's rotation do the same) that makes the
/// tab load its keyring again `delay` ms after the rotation began. Once the
/// rotation resolves, every record must be under the new key and every
/// untampered message must read, here and in a new tab.
#[wasm_bindgen_test]
async fn a_single_keyring_reload_during_a_rotation_never_leaves_records_under_the_old_key() {
    let mut failures = Vec::new();
    for delay in 0i32..10 {
        let user = format!("review-one-reload-rotate-{delay}");
        let a = JsValue::from(open(key_options(&user, 1)).await);
        wait(mailbox_with_tampered(&a, &db_name(&user), 1, 300)).await;
        let result = wait(rotate_with_reload_at(&a, "t0", delay, SLOW)).await;
        let ids = stringify(&wait(key_ids(&db_name(&user), "messages")).await);
        let bodies = stringify(&wait(key_ids(&db_name(&user), "messageBodies")).await);
        let good = ids_range("m", 0, 300);
        let here = wait(readable(&a, &good)).await.as_f64().unwrap();
        let other = open(key_options(&user, 1)).await;
        let there = wait(readable(&JsValue::from(other), &good))
            .await
            .as_f64()
            .unwrap();
        let text = format!(
            "delay {delay}: {} messages {ids} bodies {bodies} readable here {here} in a new tab {there}",
            stringify(&result)
        );
        if ids != "[2]" || bodies != "[2]" || here != 300.0 || there != 300.0 {
            failures.push(text);
        }
        wait(OfflineMailbox::wipe_user(user.as_str().into())).await;
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Finding 2, continued. After a race like the one above left a rotation
/// unfinished (`unwrapKey` 6 ms slower), the app calls `rotateDataKey` again,
/// alone: that call must finish it. While the tab still holds the pre-rotation
/// keyring, it resolves again without doing anything.
#[wasm_bindgen_test]
async fn a_rotation_left_unfinished_by_a_reload_is_finished_by_the_next_call() {
    let mut failures = Vec::new();
    let mut unfinished = 0;
    for (round, delay) in (0..40i32).map(|i| 9 + i % 5).enumerate() {
        let user = format!("review-rotate-again-{round}");
        let a = JsValue::from(open(key_options(&user, 1)).await);
        wait(mailbox_with_tampered(&a, &db_name(&user), 1, 300)).await;
        wait(rotate_with_reload_at(&a, "t0", delay, 6)).await;
        let first = stringify(&wait(key_ids(&db_name(&user), "messages")).await);
        if first != "[2]" {
            unfinished += 1;
            wait(
                Reflect::get(&a, &"rotateDataKey".into())
                    .unwrap()
                    .unchecked_into::<js_sys::Function>()
                    .call0(&a)
                    .unwrap()
                    .unchecked_into(),
            )
            .await;
            let then = stringify(&wait(key_ids(&db_name(&user), "messages")).await);
            let bodies = stringify(&wait(key_ids(&db_name(&user), "messageBodies")).await);
            if then != "[2]" || bodies != "[2]" {
                failures.push(format!(
                    "delay {delay}: after the race {first}; after rotateDataKey resolved again: messages {then} bodies {bodies}"
                ));
            }
        }
        wait(OfflineMailbox::wipe_user(user.as_str().into())).await;
    }
    assert!(
        failures.is_empty(),
        "{unfinished} races left it unfinished; {failures:#?}"
    );
}

/// Finding 3. One key change per delay, with one read that reloads the keyring
/// `delay` ms after it began. Afterwards the tab must still rotate and change its
/// key; it holds data keys wrapped under the old KEK and both give `WrongKey`.
#[wasm_bindgen_test]
async fn a_single_keyring_reload_during_a_key_change_leaves_the_tab_working() {
    let mut failures = Vec::new();
    for delay in 0i32..10 {
        let user = format!("review-one-reload-change-{delay}");
        let (result, after) = key_change_with_reload(&user, 20, delay, SLOW).await;
        let text = format!(
            "delay {delay}: {} then {}",
            stringify(&result),
            stringify(&after)
        );
        if get(&result, "changed") != "ok"
            || get(&after, "rotated") != "ok"
            || get(&after, "changed") != "ok"
        {
            failures.push(text);
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

// ---- Attacks that held ----

/// Finding 1 at this machine's own WebCrypto speed (did not reproduce here in
/// 40 rounds): a tab whose keyring reload (after another tab's rotation) overlaps
/// its own write must not report `Rollback` for a state it read before that write.
#[wasm_bindgen_test]
async fn a_write_during_a_keyring_reload_is_not_taken_for_a_rollback() {
    let user = "review-reload-rollback";
    let (a, b) = two_tabs(user).await;
    let result = wait(write_while_reads_reload(&a, &b, 40, 80, "reset")).await;
    every_round_passed(user, &result).await;
}

/// The same, while a third tab keeps WebCrypto busy (a large listing): a keyring
/// reload is several WebCrypto calls in a row and outlasts a write transaction.
#[wasm_bindgen_test]
async fn a_write_during_a_slow_keyring_reload_is_not_taken_for_a_rollback() {
    let user = "review-reload-rollback-load";
    let a = open(key_options(user, 1)).await;
    wait(a.put_messages(messages("m", 300))).await;
    let b = open(key_options(user, 1)).await;
    let c = open(key_options(user, 1)).await;
    let (a, b, c) = (JsValue::from(a), JsValue::from(b), JsValue::from(c));
    let result = wait(write_while_reads_reload_under_load(&a, &b, &c, 8, 80)).await;
    every_round_passed(user, &result).await;
}

/// Findings 2 and 3 without any added latency: the read starts after a number
/// of turns of the event loop instead of milliseconds (did not reproduce here).
#[wasm_bindgen_test]
async fn a_rotation_finishes_whatever_turn_of_the_event_loop_a_keyring_reload_starts_at() {
    let mut failures = Vec::new();
    let mut runs = 0;
    for turns in (1i32..80).step_by(3) {
        runs += 1;
        let user = format!("review-natural-rotate-{turns}");
        let a = JsValue::from(open(key_options(&user, 1)).await);
        wait(mailbox_with_tampered(&a, &db_name(&user), 1, 30)).await;
        let result = wait(rotate_with_reload_at(&a, "t0", -turns, 0)).await;
        let ids = stringify(&wait(key_ids(&db_name(&user), "messages")).await);
        if ids != "[2]" {
            failures.push(format!(
                "turns {turns}: {} messages {ids}",
                stringify(&result)
            ));
        }
        wait(OfflineMailbox::wipe_user(user.as_str().into())).await;
    }
    assert!(
        failures.is_empty(),
        "{} of {runs}: {failures:#?}",
        failures.len()
    );
}

#[wasm_bindgen_test]
async fn a_key_change_leaves_the_tab_working_whatever_turn_a_keyring_reload_starts_at() {
    let mut failures = Vec::new();
    let mut runs = 0;
    for turns in (1i32..80).step_by(3) {
        runs += 1;
        let user = format!("review-natural-change-{turns}");
        let (result, after) = key_change_with_reload(&user, 10, -turns, 0).await;
        if get(&after, "rotated") != "ok" || get(&after, "changed") != "ok" {
            failures.push(format!(
                "turns {turns}: {} then {}",
                stringify(&result),
                stringify(&after)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {runs}: {failures:#?}",
        failures.len()
    );
}

/// Every kind of call at once in one tab, several times: nothing may trap or
/// hang, every write that resolved must read back, and the folder count must
/// equal what lists.
#[wasm_bindgen_test]
async fn many_calls_at_once_in_one_tab_lose_nothing_and_never_trap() {
    let user = "review-everything-at-once";
    let a = open(key_options(user, 1)).await;
    wait(a.put_folders(json(r#"[{"id":"inbox","displayName":"Inbox"}]"#))).await;
    wait(a.put_messages(messages("m", 50))).await;
    let a = JsValue::from(a);
    let result = wait(everything_at_once(&a, 6, &key(2))).await;
    let log = stringify(&get(&result, "log"));
    let written = get(&result, "written");
    let count = wait(inbox_count(&a)).await;
    let total = js_sys::Array::from(&written).length() + 50;
    let here = wait(readable(&a, &written)).await.as_f64().unwrap();
    // A new tab with the last key.
    let other = JsValue::from(open(key_options(user, 2)).await);
    let there = wait(readable(&other, &written)).await.as_f64().unwrap();
    let text = format!(
        "log {log}; counts {}; {here} and {there} of {} written read back; expected {total} listed",
        stringify(&count),
        js_sys::Array::from(&written).length()
    );
    wait(OfflineMailbox::wipe_user(user.into())).await;
    assert!(
        !log.contains("unreachable") && !log.contains("RuntimeError"),
        "{text}"
    );
    assert_eq!(get(&count, "listed").as_f64(), Some(total as f64), "{text}");
    assert_eq!(get(&count, "total").as_f64(), Some(total as f64), "{text}");
    assert_eq!(
        here,
        js_sys::Array::from(&written).length() as f64,
        "{text}"
    );
    assert_eq!(there, here, "{text}");
    assert!(
        log.chars()
            .all(|c| c == '"' || c == ',' || c == '[' || c == ']'),
        "{text}"
    );
}

/// Two tabs, each with many calls at once (puts, delta pages, reads, rotations):
/// every write that resolved reads back in a third tab, and counts match. (A
/// write may reject with `Storage` "other tabs kept writing": the release before
/// this change does the same under this load; it writes nothing.)
#[wasm_bindgen_test]
async fn two_tabs_with_many_calls_and_rotations_stay_consistent() {
    let user = "review-two-tabs-at-once";
    let a = open(key_options(user, 1)).await;
    wait(a.put_folders(json(r#"[{"id":"inbox","displayName":"Inbox"}]"#))).await;
    wait(a.put_messages(messages("m", 50))).await;
    let b = JsValue::from(open(key_options(user, 1)).await);
    let a = JsValue::from(a);
    let result = wait(two_tabs_at_once(&a, &b, 5)).await;
    let log = stringify(&get(&result, "log"));
    let written = get(&result, "written");
    let n = js_sys::Array::from(&written).length();
    let other = JsValue::from(open(key_options(user, 1)).await);
    let there = wait(readable(&other, &written)).await.as_f64().unwrap();
    let count = wait(inbox_count(&other)).await;
    let keys = stringify(&wait(key_ids(&db_name(user), "messages")).await);
    let text = format!(
        "log {log}; {there} of {n} read back; counts {}; key ids {keys}",
        stringify(&count)
    );
    wait(OfflineMailbox::wipe_user(user.into())).await;
    assert!(
        !log.contains(":get") && !log.contains("unreachable"),
        "{text}"
    );
    assert_eq!(there, n as f64, "{text}");
    assert_eq!(get(&count, "listed"), get(&count, "total"), "{text}");
}

/// Every call that takes in the state or writes gave `Integrity` in `result`
/// (from `every_call`), and a new tab is refused too; then the user is wiped.
async fn state_calls_are_integrity(user: &str, result: &JsValue, text: &str) {
    for name in [
        "listMessages",
        "folders",
        "putMessages",
        "applyDelta",
        "resetScope",
        "rotateDataKey",
        "changeKey",
    ] {
        assert!(
            get(result, name)
                .as_string()
                .unwrap()
                .starts_with("Integrity"),
            "{name}: {text}"
        );
    }
    assert_eq!(
        rejection_code(OfflineMailbox::open(key_options(user, 1))).await,
        "Integrity"
    );
    wait(OfflineMailbox::wipe_user(user.into())).await;
}

/// A state record altered in place (one bit of its ciphertext), under an open
/// mailbox: every call that needs the state fails with `Integrity` at once; none
/// loops until `Storage` (busy), none succeeds, and a new tab is refused too.
#[wasm_bindgen_test]
async fn an_altered_state_is_integrity_for_every_call_never_busy() {
    let user = "review-altered-state";
    let a = small_mailbox(user).await;
    wait(tamper_meta(&db_name(user), "state")).await;
    let result = wait(every_call(&a)).await;
    let text = stringify(&result);
    let codes = outcome_codes(&result);
    assert!(
        codes.iter().all(|c| c == "Integrity" || c == "ok"),
        "{text}"
    );
    // Reads of records alone (getMessage, quarantine) may answer; anything that
    // takes in the state or writes must not.
    state_calls_are_integrity(user, &result, &text).await;
}

/// The state's envelope made to name a data key no keyring holds: the tab loads
/// the keyring again once per call, then gives `Integrity`; no loop, no busy.
#[wasm_bindgen_test]
async fn a_state_naming_an_unknown_data_key_is_integrity_never_busy() {
    let user = "review-state-unknown-key";
    let a = small_mailbox(user).await;
    wait(set_meta_byte(&db_name(user), "state", 4, 9)).await;
    let result = wait(every_call(&a)).await;
    let text = stringify(&result);
    state_calls_are_integrity(user, &result, &text).await;
}

/// Downgrade of the keyring header: its format byte changed from 3 to 2 (the
/// format whose plaintext holds raw data keys), or to an unknown 4. The header is
/// bound into the seal: `WrongKey` (or `Integrity` for a format no release wrote),
/// never a keyring read the other way.
#[wasm_bindgen_test]
async fn a_keyring_relabelled_as_format_2_or_4_is_refused() {
    for (byte, expected) in [(2u8, "WrongKey"), (4, "Integrity")] {
        let user = format!("review-keyring-format-{byte}");
        let a = small_mailbox(&user).await;
        drop(a);
        let old = wait(set_meta_byte(&db_name(&user), "keyring", 0, byte)).await;
        assert_eq!(old.as_f64(), Some(3.0));
        assert_eq!(
            rejection_code(OfflineMailbox::open(key_options(&user, 1))).await,
            expected,
            "format byte {byte}"
        );
        // Put back, everything reads: nothing was rewritten on the way.
        wait(set_meta_byte(&db_name(&user), "keyring", 0, 3)).await;
        let reopened = JsValue::from(open(key_options(&user, 1)).await);
        assert_eq!(
            wait(readable(&reopened, &ids_range("m", 0, 20)))
                .await
                .as_f64(),
            Some(20.0)
        );
        wait(OfflineMailbox::wipe_user(user.as_str().into())).await;
    }
}

/// The keyring as it was before a rotation, put back under a tab that finished
/// the rotation (same KEK, so it unwraps): reads and writes fail (the state names
/// the new key) rather than seal anything under the retired key, and nothing is
/// lost once the current keyring is back.
#[wasm_bindgen_test]
async fn a_pre_rotation_keyring_put_back_under_an_open_tab_seals_nothing_under_the_old_key() {
    let user = "review-old-keyring-back";
    let a = small_mailbox(user).await;
    let db = db_name(user);
    let old = wait(meta_value(&db, "keyring")).await;
    wait(
        Reflect::get(&a, &"rotateDataKey".into())
            .unwrap()
            .unchecked_into::<js_sys::Function>()
            .call0(&a)
            .unwrap()
            .unchecked_into(),
    )
    .await;
    let current = wait(meta_value(&db, "keyring")).await;
    wait(set_meta_value(&db, "keyring", &old)).await;
    // One tampered record makes the tab load the (old) keyring again.
    wait(set_key_id(&db, "messages", 1, 99)).await;
    let result = wait(every_call(&a)).await;
    let text = stringify(&result);
    assert!(
        !stringify(&wait(key_ids(&db, "messages")).await).contains('1'),
        "{text}"
    );
    assert!(
        !stringify(&wait(key_ids(&db, "messageBodies")).await).contains('1'),
        "{text}"
    );
    for name in [
        "putMessages",
        "applyDelta",
        "resetScope",
        "rotateDataKey",
        "changeKey",
    ] {
        assert!(
            !get(&result, name).as_string().unwrap().starts_with("ok"),
            "{name}: {text}"
        );
    }
    wait(set_meta_value(&db, "keyring", &current)).await;
    let reopened = JsValue::from(open(key_options(user, 1)).await);
    // 19: the one record given an unknown key id is lost to the attacker's edit.
    assert_eq!(
        wait(readable(&reopened, &ids_range("m", 0, 20)))
            .await
            .as_f64(),
        Some(19.0),
        "{text}"
    );
    wait(OfflineMailbox::wipe_user(user.into())).await;
}
