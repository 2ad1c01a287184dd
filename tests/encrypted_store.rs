//! The encrypted store in a real browser: nothing personal in clear, wrong keys,
//! key changes, tampering and quarantine, schema versions, other tabs, wipe.

#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use js_sys::{Object, Reflect};
use offline_mailbox::OfflineMailbox;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn message(id: &str, subject: &str) -> JsValue {
    json(&format!(
        r#"{{"id":"{id}","subject":"{subject}","parentFolderId":"inbox"}}"#
    ))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// 1,000 records across all four kinds, every text field carrying a canary.
fn canary_batches(tag: &str) -> Vec<(&'static str, JsValue)> {
    let mut messages = Vec::new();
    let mut contacts = Vec::new();
    let mut events = Vec::new();
    let mut folders = Vec::new();
    for i in 0..700 {
        messages.push(json(&format!(
            r#"{{"id":"{tag}-msgid-{i}","parentFolderId":"{tag}-folderid-{f}","conversationId":"{tag}-convid-{i}",
            "subject":"{tag}-subject-{i} Grüße","bodyPreview":"{tag}-preview-{i}",
            "body":{{"contentType":"html","content":"<p>{tag}-body-{i} 秘密の話</p>{para}"}},
            "from":{{"emailAddress":{{"name":"{tag}-fromname-{i}","address":"{tag}-from-{i}@contoso.example"}}}},
            "toRecipients":[{{"emailAddress":{{"name":"{tag}-toname","address":"{tag}-to@contoso.example"}}}}],
            "categories":["{tag}-category"],"receivedDateTime":"2024-05-0{d}T10:00:00Z","isRead":false}}"#,
            f = i % 5,
            d = i % 9 + 1,
            // Long and repetitive, so the body is compressed before it is sealed.
            para = format!("<p>{tag}-paragraph 秘密の話 Grüße</p>").repeat(8)
        )));
    }
    for i in 0..200 {
        contacts.push(json(&format!(
            r#"{{"id":"{tag}-contactid-{i}","displayName":"{tag}-display-{i}","givenName":"{tag}-given","surname":"{tag}-surname",
            "emailAddresses":[{{"name":"{tag}-ename","address":"{tag}-contact-{i}@fabrikam.example"}}],
            "businessPhones":["+1 555 0100 {tag}-phone"],"mobilePhone":"{tag}-mobile","companyName":"{tag}-company",
            "officeLocation":"{tag}-office","addresses":[{{"street":"{tag}-street","city":"{tag}-city"}}]}}"#
        )));
    }
    for i in 0..95 {
        events.push(json(&format!(
            r#"{{"id":"{tag}-eventid-{i}","subject":"{tag}-meeting-{i}","location":{{"displayName":"{tag}-room"}},
            "start":{{"dateTime":"2024-06-01T09:00:00","timeZone":"UTC"}},"end":{{"dateTime":"2024-06-01T10:00:00","timeZone":"UTC"}},
            "attendees":[{{"emailAddress":{{"name":"{tag}-attendee","address":"{tag}-att@contoso.example"}}}}],
            "categories":["{tag}-category"]}}"#
        )));
    }
    for i in 0..5 {
        folders.push(json(&format!(
            r#"{{"id":"{tag}-folderid-{i}","displayName":"{tag}-foldername-{i}"}}"#
        )));
    }
    vec![
        ("messages", array(messages)),
        ("contacts", array(contacts)),
        ("events", array(events)),
        ("folders", array(folders)),
    ]
}

#[wasm_bindgen_test]
async fn no_canary_or_user_id_appears_anywhere_in_indexeddb() {
    let tag = "zqcanary";
    let user_id = "zquserid-canary@contoso.example";
    let mailbox = open(key_options(user_id, 1)).await;
    for (kind, batch) in canary_batches(tag) {
        let promise = match kind {
            "messages" => mailbox.put_messages(batch),
            "contacts" => mailbox.put_contacts(batch),
            "events" => mailbox.put_events(batch),
            _ => mailbox.put_folders(batch),
        };
        wait(promise).await;
    }
    let back = wait(mailbox.get_message(format!("{tag}-msgid-699").into())).await;
    assert!(stringify(&back).contains(&format!("{tag}-body-699 秘密の話")));
    // The search index holds every term of those messages, and answers from it.
    let found =
        wait(mailbox.search("秘密 grusse".into(), Some(json(r#"{"limit":1000}"#).into()))).await;
    assert_eq!(js_sys::Array::from(&field(&found, "value")).length(), 700);

    let dump = js_sys::Uint8Array::new(&wait(dump_origin()).await).to_vec();
    assert!(
        dump.len() > 1000 * 40,
        "the dump should hold every record, got {} bytes",
        dump.len()
    );
    // Positive controls: the dump does read names and keys in clear where they exist,
    // covers the summary and the body stores, and the bodies took the compressed path.
    assert!(contains(&dump, b"messages") && contains(&dump, &utf16("quarantine")));
    assert!(contains(&dump, &utf16("messageBodies")));
    assert!(contains(&dump, &utf16("searchPostings")) && contains(&dump, &utf16("searchDocs")));
    let formats = wait(envelope_formats(&db_name(user_id), "messageBodies")).await;
    assert_eq!(stringify(&formats), r#"["3/1"]"#, "every body compressed");
    assert!(contains(&dump, db_name(user_id).as_bytes()));
    // Every needle is at least six bytes long: a megabyte of ciphertext holds a
    // given three-byte sequence by chance in about one run in sixteen.
    for needle in [
        tag,
        "zquserid",
        "contoso",
        "fabrikam",
        "Grüße",
        "秘密の話",
        "2024-05-0",
        "+1 555 0100",
    ] {
        assert!(
            !contains(&dump, needle.as_bytes()),
            "{needle} found as UTF-8"
        );
        assert!(!contains(&dump, &utf16(needle)), "{needle} found as UTF-16");
    }
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn a_wrong_key_is_refused_and_leaves_the_data_for_the_right_key() {
    let user = "wrong-key-user";
    let mailbox = open(key_options(user, 1)).await;
    wait(mailbox.put_messages(array([message("m1", "kept")]))).await;
    mailbox.close();

    assert_eq!(
        rejection_code(OfflineMailbox::open(key_options(user, 2))).await,
        "WrongKey"
    );

    let mailbox = open(key_options(user, 1)).await;
    let back = wait(mailbox.get_message("m1".into())).await;
    assert_eq!(stringify(&field(&back, "subject")), "\"kept\"");
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn after_change_key_the_new_key_opens_and_the_old_one_fails() {
    let user = "change-key-user";
    let mailbox = open(key_options(user, 1)).await;
    wait(mailbox.put_messages(array([message("m1", "survives rekey")]))).await;
    wait(mailbox.change_key(key_options(user, 9))).await;
    mailbox.close();

    assert_eq!(
        rejection_code(OfflineMailbox::open(key_options(user, 1))).await,
        "WrongKey"
    );
    let mailbox = open(key_options(user, 9)).await;
    let back = wait(mailbox.get_message("m1".into())).await;
    assert_eq!(stringify(&field(&back, "subject")), "\"survives rekey\"");
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn a_passphrase_opens_and_a_wrong_passphrase_is_wrong_key() {
    let options = |passphrase: &str| {
        let options = Object::new();
        Reflect::set(&options, &"userId".into(), &"passphrase-user".into()).unwrap();
        Reflect::set(&options, &"passphrase".into(), &passphrase.into()).unwrap();
        Reflect::set(
            &options,
            &"passphraseIterations".into(),
            &JsValue::from(10_000),
        )
        .unwrap();
        JsValue::from(options)
    };
    let mailbox = open(options("correct horse")).await;
    wait(mailbox.put_messages(array([message("m1", "behind a passphrase")]))).await;
    mailbox.close();
    assert_eq!(
        rejection_code(OfflineMailbox::open(options("wrong horse"))).await,
        "WrongKey"
    );
    let mailbox = open(options("correct horse")).await;
    assert!(!wait(mailbox.get_message("m1".into())).await.is_null());
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn a_tampered_value_fails_alone_and_goes_to_quarantine() {
    let user = "tamper-user";
    let mailbox = open(key_options(user, 1)).await;
    let ids = ["t1", "t2", "t3"];
    wait(mailbox.put_messages(array(ids.iter().map(|id| message(id, "original"))))).await;
    let name = db_name(user);
    wait(tamper_first(&name, "messages")).await;

    let mut failed = Vec::new();
    for id in ids {
        let promise = mailbox.get_message(id.into());
        match wasm_bindgen_futures::JsFuture::from(promise).await {
            Ok(value) => assert_eq!(stringify(&field(&value, "subject")), "\"original\""),
            Err(error) => {
                assert_eq!(field(&error, "code"), "Integrity");
                assert_eq!(field(&error, "id"), id);
                assert_eq!(field(&error, "store"), "messages");
                failed.push(id);
            }
        }
    }
    assert_eq!(failed.len(), 1, "exactly one record must fail");

    let quarantine = stringify(&wait(mailbox.quarantine()).await);
    assert_eq!(
        quarantine,
        format!(r#"[{{"kind":"messages","id":"{}"}}]"#, failed[0])
    );
    // The quarantined record is gone from the store: the host can fetch it again.
    assert!(wait(mailbox.get_message(failed[0].into())).await.is_null());
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn a_record_copied_onto_another_key_fails_and_counts_follow_only_authentic_records() {
    let user = "swap-user";
    let mailbox = open(key_options(user, 1)).await;
    wait(mailbox.put_folders(array([json(r#"{"id":"inbox","displayName":"Inbox"}"#)]))).await;
    wait(
        mailbox.put_messages(array(
            ["s1", "s2"]
                .iter()
                .map(|id| message(id, &format!("subject of {id}"))),
        )),
    )
    .await;
    wait(copy_first_onto_second(&db_name(user), "messages")).await;

    let mut failed = 0;
    for id in ["s1", "s2"] {
        match wasm_bindgen_futures::JsFuture::from(mailbox.get_message(id.into())).await {
            Ok(value) => assert_eq!(
                field(&value, "subject"),
                format!("subject of {id}"),
                "{id} must never show another record"
            ),
            Err(error) => {
                assert_eq!(field(&error, "code"), "Integrity");
                failed += 1;
            }
        }
    }
    assert_eq!(failed, 1, "exactly the overwritten record fails");
    // The copy says nothing trustworthy about the record it destroyed, so nothing is
    // subtracted on its word: counts drift by one per destroyed message, and copies
    // cannot drive them down (see hardening.rs).
    let folders = wait(mailbox.folders()).await;
    let inbox = js_sys::Array::from(&folders).get(0);
    assert_eq!(field(&inbox, "totalItemCount"), 2);
    // A value altered in place keeps authentic fields: it does leave its folder's counts.
    wait(tamper_first(
        &OfflineMailbox::database_name("swap-user".into()).unwrap(),
        "messages",
    ))
    .await;
    for id in ["s1", "s2"] {
        let _ = wasm_bindgen_futures::JsFuture::from(mailbox.get_message(id.into())).await;
    }
    let folders = wait(mailbox.folders()).await;
    let inbox = js_sys::Array::from(&folders).get(0);
    assert_eq!(field(&inbox, "totalItemCount"), 1);
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn a_database_from_a_newer_version_is_version_too_new() {
    let user = "newer-schema-user";
    let mailbox = open(key_options(user, 1)).await;
    mailbox.close();
    wait(open_at_version(&db_name(user), 99)).await;
    let error = rejection(OfflineMailbox::open(key_options(user, 1))).await;
    assert_eq!(field(&error, "code"), "VersionTooNew");
    assert_eq!(field(&error, "found"), 99);
    wait(OfflineMailbox::wipe_user(user.into())).await;
}

#[wasm_bindgen_test]
async fn another_tabs_upgrade_does_not_hang_and_this_connection_closes() {
    let user = "other-tab-user";
    let mailbox = open(key_options(user, 1)).await;
    // Another tab (a newer library) upgrading the same database: must complete, not block.
    wait(open_at_version(&db_name(user), 50)).await;
    assert_eq!(
        rejection_code(mailbox.get_message("m1".into())).await,
        "Closed"
    );
    wait(OfflineMailbox::wipe_user(user.into())).await;
}

#[wasm_bindgen_test]
async fn wipe_leaves_no_database_of_the_user() {
    let user = "wipe-user";
    let mailbox = open(key_options(user, 1)).await;
    wait(mailbox.put_messages(array([message("m1", "to be wiped")]))).await;
    assert!(names().await.contains(&db_name(user)));
    wait(mailbox.wipe()).await;
    assert!(!names().await.contains(&db_name(user)));
    assert_eq!(
        rejection_code(mailbox.get_message("m1".into())).await,
        "Closed"
    );
}

#[wasm_bindgen_test]
async fn a_batch_with_one_malformed_item_writes_nothing_and_names_it() {
    let user = "invalid-batch-user";
    let mailbox = open(key_options(user, 1)).await;
    let batch = array([
        message("ok-1", "fine"),
        json(r#"{"subject":"no id"}"#),
        message("ok-2", "fine"),
    ]);
    let error = rejection(mailbox.put_messages(batch)).await;
    assert_eq!(field(&error, "code"), "InvalidInput");
    assert_eq!(field(&error, "index"), 1);
    assert_eq!(field(&error, "field"), "id");
    assert!(wait(mailbox.get_message("ok-1".into())).await.is_null());
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn bad_open_options_are_invalid_input_naming_the_option() {
    let short_key = Object::new();
    Reflect::set(&short_key, &"userId".into(), &"u".into()).unwrap();
    Reflect::set(
        &short_key,
        &"key".into(),
        &js_sys::Uint8Array::new_with_length(16),
    )
    .unwrap();
    let error = rejection(OfflineMailbox::open(short_key.into())).await;
    assert_eq!(field(&error, "code"), "InvalidInput");
    assert_eq!(field(&error, "field"), "key");

    let no_user = json(r#"{"passphrase":"x"}"#);
    let error = rejection(OfflineMailbox::open(no_user)).await;
    assert_eq!(field(&error, "field"), "userId");
}
