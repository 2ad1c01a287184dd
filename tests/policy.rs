//! Policy and consent in a real browser: nothing is stored before the user turns
//! offline on; the policy can refuse it; turning it off, a policy that removes it,
//! and signing out on a public computer delete everything.

#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use js_sys::{Object, Reflect};
use offline_mailbox::OfflineMailbox;
use wasm_bindgen::convert::TryFromJsValue;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn options(user: &str, allow: &str, computer: &str) -> JsValue {
    let options = key_options(user, 3);
    let policy = Object::new();
    Reflect::set(&policy, &"allowOfflineOn".into(), &allow.into()).unwrap();
    Reflect::set(&options, &"policy".into(), &policy).unwrap();
    Reflect::set(&options, &"computer".into(), &computer.into()).unwrap();
    options
}

async fn open_only(options: JsValue) -> OfflineMailbox {
    OfflineMailbox::try_from_js_value(wait(OfflineMailbox::open(options)).await).unwrap()
}

async fn stored(user: &str) -> bool {
    names().await.contains(&db_name(user))
}

fn message(id: &str) -> JsValue {
    json(&format!(
        r#"{{"id":"{id}","parentFolderId":"inbox","subject":"s","receivedDateTime":"2024-01-01T00:00:00Z"}}"#
    ))
}

#[wasm_bindgen_test]
async fn nothing_is_written_until_the_user_turns_offline_on() {
    let user = "consent-user";
    let mailbox = open_only(options(user, "AllComputers", "private")).await;
    assert!(!mailbox.offline_enabled());
    wait(mailbox.put_messages(array([message("m1")]))).await;
    assert!(wait(mailbox.get_message("m1".into())).await.is_null());
    assert!(!stored(user).await, "no database before consent");
    // Bad input is still refused while offline is off.
    assert_eq!(
        rejection_code(mailbox.put_messages(array([json(r#"{"subject":"x"}"#)]))).await,
        "InvalidInput"
    );

    wait(mailbox.enable_offline(None)).await;
    assert!(mailbox.offline_enabled() && stored(user).await);
    wait(mailbox.put_messages(array([message("m1")]))).await;
    mailbox.close();

    // Consent is remembered: the next session finds the data.
    let again = open_only(options(user, "AllComputers", "private")).await;
    assert!(again.offline_enabled());
    assert!(!wait(again.get_message("m1".into())).await.is_null());
    wait(again.wipe()).await;
}

#[wasm_bindgen_test]
async fn the_policy_can_refuse_offline() {
    for (allow, computer) in [
        ("NoComputers", "private"),
        ("PrivateComputersOnly", "public"),
    ] {
        let user = format!("refused-{allow}");
        let mailbox = open_only(options(&user, allow, computer)).await;
        let error = rejection(mailbox.enable_offline(None)).await;
        assert_eq!(
            field(&error, "code"),
            "PolicyDenied",
            "{allow} on {computer}"
        );
        assert!(!stored(&user).await);
    }
    let allowed = open_only(options(
        "allowed-private",
        "PrivateComputersOnly",
        "private",
    ))
    .await;
    wait(allowed.enable_offline(None)).await;
    wait(allowed.wipe()).await;
}

#[wasm_bindgen_test]
async fn disable_offline_deletes_everything_at_once() {
    let user = "disable-user";
    let mailbox = open_only(options(user, "AllComputers", "private")).await;
    wait(mailbox.enable_offline(None)).await;
    wait(mailbox.put_messages(array([message("m1")]))).await;
    wait(mailbox.disable_offline()).await;
    assert!(!stored(user).await);
    assert!(!mailbox.offline_enabled());
    assert!(wait(mailbox.get_message("m1".into())).await.is_null());
}

#[wasm_bindgen_test]
async fn a_policy_that_removes_offline_deletes_the_data_now_and_at_next_open() {
    let user = "policy-removed-user";
    let mailbox = open_only(options(user, "AllComputers", "public")).await;
    wait(mailbox.enable_offline(None)).await;
    wait(mailbox.put_messages(array([message("m1")]))).await;
    wait(mailbox.apply_policy(json(r#"{"allowOfflineOn":"NoComputers"}"#))).await;
    assert!(
        !stored(user).await,
        "applyPolicy(NoComputers) deletes at once"
    );
    assert!(!mailbox.offline_enabled());

    // And when the policy changes between sessions, open itself deletes.
    let again = open_only(options(user, "AllComputers", "public")).await;
    wait(again.enable_offline(None)).await;
    again.close();
    let later = open_only(options(user, "PrivateComputersOnly", "public")).await;
    assert!(
        !stored(user).await,
        "open under a policy that no longer allows offline deletes"
    );
    assert!(!later.offline_enabled());
}

#[wasm_bindgen_test]
async fn sign_out_deletes_unless_kept_on_a_private_computer() {
    let keep = json(r#"{"keepOfflineData":true}"#);
    let public = open_only(options("signout-public", "AllComputers", "public")).await;
    wait(public.enable_offline(None)).await;
    wait(public.sign_out(Some(keep.clone().into()))).await;
    assert!(
        !stored("signout-public").await,
        "a public computer always deletes"
    );
    assert_eq!(
        rejection_code(public.get_message("m1".into())).await,
        "Closed"
    );

    let private = open_only(options("signout-private", "AllComputers", "private")).await;
    wait(private.enable_offline(None)).await;
    wait(private.sign_out(Some(keep.into()))).await;
    assert!(
        stored("signout-private").await,
        "kept on request on a private computer"
    );

    let default = open_only(options("signout-private", "AllComputers", "private")).await;
    wait(default.sign_out(None)).await;
    assert!(
        !stored("signout-private").await,
        "signOut() deletes by default"
    );
}

#[wasm_bindgen_test]
async fn bad_policy_and_server_options_are_refused_at_open() {
    let cases = [
        (
            r#"{"policy":{"allowOfflineOn":"Sometimes"}}"#,
            "policy.allowOfflineOn",
        ),
        (r#"{"computer":"kiosk"}"#, "computer"),
        (
            r#"{"orgServer":"https://mail.contoso.com/owa"}"#,
            "orgServer",
        ),
        (r#"{"orgServer":"http://mail.contoso.com"}"#, "orgServer"),
        (
            r#"{"orgServer":"https://mail.contoso.com","orgDomains":"contoso.com"}"#,
            "orgDomains",
        ),
        (
            r#"{"orgServer":"https://mail.contoso.com","orgDomains":["b\u00fccher.example"]}"#,
            "orgDomains",
        ),
    ];
    for (extra, expected) in cases {
        let options = key_options("bad-options-user", 1);
        let extra = json(extra);
        for key in js_sys::Object::keys(extra.unchecked_ref::<Object>()).iter() {
            Reflect::set(&options, &key, &Reflect::get(&extra, &key).unwrap()).unwrap();
        }
        let error = rejection(OfflineMailbox::open(options)).await;
        assert_eq!(field(&error, "code"), "InvalidInput", "{extra:?}");
        assert_eq!(field(&error, "field"), expected);
    }
    assert!(!stored("bad-options-user").await);
}
