//! Messages stored as two records: a summary that listings read, and the rest (the
//! body record). Listings return summaries unless asked for more, never read a
//! body, and a body record cannot be swapped, dropped or put back unnoticed.

#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use js_sys::{Array, Object, Reflect};
use offline_mailbox::OfflineMailbox;
use serde_json::{json, Value};
use wasm_bindgen::convert::TryFromJsValue;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const SUMMARY: [&str; 21] = [
    "id",
    "@odata.type",
    "parentFolderId",
    "conversationId",
    "subject",
    "bodyPreview",
    "from",
    "sender",
    "toRecipients",
    "ccRecipients",
    "receivedDateTime",
    "sentDateTime",
    "isRead",
    "isDraft",
    "flag",
    "importance",
    "hasAttachments",
    "categories",
    "inferenceClassification",
    "meetingMessageType",
    "@offlineMailbox.bodyWithheld",
];

async fn fresh(user: &str) -> OfflineMailbox {
    open(key_options(user, 7)).await
}

fn to_value(js: &JsValue) -> Value {
    serde_json::from_str(&stringify(js)).unwrap()
}

fn message(id: &str, day: u32) -> Value {
    json!({
        "id": id, "parentFolderId": "inbox", "conversationId": "conv-1",
        "subject": format!("Subject {id}"), "bodyPreview": "Preview",
        "from": {"emailAddress": {"name": "Adele", "address": "adelev@contoso.example"}},
        "toRecipients": [{"emailAddress": {"address": "me@contoso.example"}}],
        "receivedDateTime": format!("2024-05-{day:02}T10:00:00Z"), "isRead": false,
        "flag": {"flagStatus": "notFlagged"}, "importance": "normal", "categories": [],
        "hasAttachments": false, "inferenceClassification": "focused",
        "body": {"contentType": "html", "content": format!("<p>Body of {id}. {}</p>", "Quarterly figures attached. ".repeat(20))},
        "uniqueBody": null, "internetMessageHeaders": [{"name": "X-Mailer", "value": "Test"}],
        "futureField": {"nested": [1, 2.5, null]}, "changeKey": "CQAAAB",
    })
}

fn js(value: &Value) -> JsValue {
    json(&value.to_string())
}

fn options(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (name, value) in pairs {
        Reflect::set(&object, &(*name).into(), value).unwrap();
    }
    object.into()
}

fn summary_of(message: &Value) -> Value {
    let fields = message.as_object().unwrap();
    Value::Object(
        fields
            .iter()
            .filter(|(name, _)| SUMMARY.contains(&name.as_str()))
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect(),
    )
}

async fn quarantined_ids(mailbox: &OfflineMailbox) -> Vec<Value> {
    let entries = to_value(&wait(mailbox.quarantine()).await);
    entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].clone())
        .collect()
}

async fn list(mailbox: &OfflineMailbox, fields: Option<JsValue>) -> Vec<Value> {
    let opts = match fields {
        Some(fields) => options(&[("fields", fields)]),
        None => JsValue::UNDEFINED,
    };
    let page = wait(mailbox.list_messages("inbox".into(), Some(opts.into()))).await;
    to_value(&field(&page, "value")).as_array().unwrap().clone()
}

fn by_id(values: &[Value], id: &str) -> Value {
    values.iter().find(|v| v["id"] == id).cloned().unwrap()
}

#[wasm_bindgen_test]
async fn listings_return_summaries_by_default_and_whole_messages_on_request() {
    let mailbox = fresh("layout-fields").await;
    let stored = [message("m1", 1), message("m2", 2)];
    wait(mailbox.put_messages(array(stored.iter().map(js)))).await;

    let summaries = list(&mailbox, None).await;
    assert_eq!(summaries.len(), 2);
    for original in &stored {
        let id = original["id"].as_str().unwrap();
        assert_eq!(by_id(&summaries, id), summary_of(original));
    }
    let whole = list(&mailbox, Some("full".into())).await;
    for original in &stored {
        let id = original["id"].as_str().unwrap();
        assert_eq!(&by_id(&whole, id), original);
        let got = wait(mailbox.get_message(id.into())).await;
        assert_eq!(
            &to_value(&got),
            original,
            "getMessage gives the whole message back"
        );
    }
    let picked = list(&mailbox, Some(array(["subject".into(), "body".into()]))).await;
    assert_eq!(
        by_id(&picked, "m1"),
        json!({"id": "m1", "subject": "Subject m1", "body": stored[0]["body"]})
    );
    let thread = wait(mailbox.conversation("conv-1".into(), None)).await;
    assert_eq!(to_value(&thread)[0], summary_of(&stored[0]));
    let thread = wait(mailbox.conversation(
        "conv-1".into(),
        Some(options(&[("fields", "full".into())]).into()),
    ))
    .await;
    assert_eq!(to_value(&thread)[1], stored[1]);
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn a_bad_fields_option_is_invalid_input_naming_it() {
    let mailbox = fresh("layout-bad-fields").await;
    for bad in [
        JsValue::from("everything"),
        JsValue::from(7),
        array([JsValue::from("subject"), JsValue::from(3)]),
        array((0..300).map(|i| JsValue::from(format!("f{i}")))),
    ] {
        let error = rejection(
            mailbox.list_messages("inbox".into(), Some(options(&[("fields", bad)]).into())),
        )
        .await;
        assert_eq!(field(&error, "code"), "InvalidInput");
        assert_eq!(field(&error, "field"), "fields");
    }
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn a_listing_never_reads_a_body_record() {
    let user = "layout-no-bodies";
    let mailbox = fresh(user).await;
    wait(mailbox.put_messages(array((1..=5).map(|d| js(&message(&format!("m{d}"), d)))))).await;
    // With every body record gone, summaries still list, and nothing is quarantined.
    let removed = wait(clear_store(&db_name(user), "messageBodies")).await;
    assert_eq!(removed.as_f64(), Some(5.0));
    assert_eq!(list(&mailbox, None).await.len(), 5);
    assert_eq!(Array::from(&wait(mailbox.quarantine()).await).length(), 0);
    // Whole messages need their bodies: a missing body is an integrity failure.
    let code = rejection_code(mailbox.get_message("m1".into())).await;
    assert_eq!(code, "Integrity");
    assert!(list(&mailbox, Some("full".into())).await.is_empty());
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn a_summary_only_update_rewrites_only_the_summary() {
    let user = "layout-summary-update";
    let db = db_name(user);
    let mailbox = fresh(user).await;
    wait(mailbox.put_messages(array([js(&message("m1", 1))]))).await;
    let before = wait(snapshot(&db)).await;

    let flag = json(r#"{"value":[{"id":"m1","isRead":true,"flag":{"flagStatus":"flagged"}}]}"#);
    wait(mailbox.apply_delta("messages".into(), "inbox".into(), flag)).await;
    let after = wait(snapshot(&db)).await;
    assert_eq!(
        stringify(&field(&before, "messageBodies")),
        stringify(&field(&after, "messageBodies")),
        "the body record is untouched"
    );
    assert_ne!(
        stringify(&field(&before, "messages")),
        stringify(&field(&after, "messages"))
    );
    let got = to_value(&wait(mailbox.get_message("m1".into())).await);
    assert_eq!(got["isRead"], true);
    assert_eq!(got["body"], message("m1", 1)["body"]);

    let edit = json(r#"{"value":[{"id":"m1","body":{"contentType":"text","content":"edited"}}]}"#);
    wait(mailbox.apply_delta("messages".into(), "inbox".into(), edit)).await;
    let edited = wait(snapshot(&db)).await;
    assert_ne!(
        stringify(&field(&after, "messageBodies")),
        stringify(&field(&edited, "messageBodies"))
    );
    let got = to_value(&wait(mailbox.get_message("m1".into())).await);
    assert_eq!(
        (got["isRead"].clone(), got["body"]["content"].clone()),
        (json!(true), json!("edited"))
    );
    assert_eq!(got["futureField"], message("m1", 1)["futureField"]);
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn a_body_record_swapped_between_two_messages_is_detected() {
    let user = "layout-swap";
    let mailbox = fresh(user).await;
    wait(mailbox.put_messages(array([js(&message("m1", 1)), js(&message("m2", 2))]))).await;
    wait(swap_first_two(&db_name(user), "messageBodies")).await;
    for id in ["m1", "m2"] {
        assert_eq!(
            rejection_code(mailbox.get_message(id.into())).await,
            "Integrity",
            "{id}"
        );
    }
    // The summaries are intact and still list; whole messages are left out.
    assert_eq!(list(&mailbox, None).await.len(), 2);
    // Reported as the messages to fetch again.
    let quarantined = to_value(&wait(mailbox.quarantine()).await);
    let mut ids: Vec<&str> = quarantined
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["kind"] == "messages")
        .filter_map(|entry| entry["id"].as_str())
        .collect();
    ids.sort();
    assert_eq!(ids, ["m1", "m2"]);
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn an_older_body_put_back_under_its_message_is_detected() {
    let user = "layout-stale-body";
    let db = db_name(user);
    let mailbox = fresh(user).await;
    wait(mailbox.put_messages(array([js(&message("m1", 1))]))).await;
    let old = wait(snapshot(&db)).await;
    let edit =
        json(r#"{"value":[{"id":"m1","body":{"contentType":"text","content":"retracted"}}]}"#);
    wait(mailbox.apply_delta("messages".into(), "inbox".into(), edit)).await;
    wait(restore_stores(&db, &old, &array(["messageBodies".into()]))).await;
    assert_eq!(
        rejection_code(mailbox.get_message("m1".into())).await,
        "Integrity"
    );
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn bodies_are_compressed_then_sealed_and_rotate_with_the_data_key() {
    let user = "layout-compressed";
    let db = db_name(user);
    let mailbox = fresh(user).await;
    wait(mailbox.put_messages(array((1..=20).map(|d| js(&message(&format!("m{d}"), d)))))).await;
    let formats: Array = wait(envelope_formats(&db, "messageBodies"))
        .await
        .unchecked_into();
    assert_eq!(
        formats.to_vec(),
        vec![JsValue::from("3/1")],
        "every body compressed"
    );

    wait(mailbox.rotate_data_key(None)).await;
    let ids: Array = wait(key_ids(&db, "messageBodies")).await.unchecked_into();
    let summary_ids: Array = wait(key_ids(&db, "messages")).await.unchecked_into();
    assert_eq!(ids.length(), 1);
    assert_eq!(stringify(&ids), stringify(&summary_ids));
    let got = to_value(&wait(mailbox.get_message("m7".into())).await);
    assert_eq!(got, message("m7", 7));
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn removing_a_message_or_resetting_its_scope_removes_its_body() {
    let user = "layout-remove";
    let db = db_name(user);
    let mailbox = fresh(user).await;
    let page = json(&format!(
        r#"{{"value":[{},{}]}}"#,
        message("m1", 1),
        message("m2", 2)
    ));
    wait(mailbox.apply_delta("messages".into(), "inbox".into(), page)).await;
    let gone = json(r#"{"value":[{"id":"m1","@removed":{"reason":"deleted"}}]}"#);
    wait(mailbox.apply_delta("messages".into(), "inbox".into(), gone)).await;
    let copy = wait(snapshot(&db)).await;
    assert_eq!(
        Array::from(&field(&field(&copy, "messageBodies"), "keys")).length(),
        1
    );
    wait(mailbox.reset_scope("messages".into(), "inbox".into())).await;
    let copy = wait(snapshot(&db)).await;
    assert_eq!(
        Array::from(&field(&field(&copy, "messageBodies"), "keys")).length(),
        0
    );
    wait(mailbox.wipe()).await;
}

/// A removed body record is reported in quarantine under its message's id, so the
/// host knows which message to fetch again.
#[wasm_bindgen_test]
async fn a_removed_body_is_reported_for_refetch() {
    let user = "layout-review-missing-body";
    let mailbox = fresh(user).await;
    wait(mailbox.put_messages(array([js(&message("m1", 1))]))).await;
    wait(clear_store(&db_name(user), "messageBodies")).await;
    assert_eq!(
        rejection_code(mailbox.get_message("m1".into())).await,
        "Integrity"
    );
    let full = wait(mailbox.list_messages(
        "inbox".into(),
        Some(options(&[("fields", "full".into())]).into()),
    ))
    .await;
    assert_eq!(Array::from(&field(&full, "value")).length(), 0);
    let ids = quarantined_ids(&mailbox).await;
    wait(mailbox.wipe()).await;
    assert_eq!(
        ids,
        vec![json!("m1")],
        "the message whose body is gone must be reported"
    );
}

/// A body swapped with another message's and found by a listing (fields: "full") is
/// quarantined with its message's id, taken from the summary.
#[wasm_bindgen_test]
async fn a_swapped_body_found_by_a_listing_is_reported_with_its_id() {
    let user = "layout-review-swap-listing";
    let mailbox = fresh(user).await;
    wait(mailbox.put_messages(array([js(&message("m1", 1)), js(&message("m2", 2))]))).await;
    wait(swap_first_two(&db_name(user), "messageBodies")).await;
    let full = wait(mailbox.list_messages(
        "inbox".into(),
        Some(options(&[("fields", "full".into())]).into()),
    ))
    .await;
    assert_eq!(Array::from(&field(&full, "value")).length(), 0);
    let mut ids: Vec<String> = quarantined_ids(&mailbox)
        .await
        .iter()
        .map(|v| v.as_str().unwrap_or("<none>").to_owned())
        .collect();
    ids.sort();
    wait(mailbox.wipe()).await;
    assert_eq!(ids, ["m1", "m2"]);
}

/// A rollback of the whole database under an open mailbox is still caught although
/// the restored state's bytes are ones this connection took in earlier.
#[wasm_bindgen_test]
async fn a_rollback_to_state_bytes_this_connection_took_in_is_still_caught() {
    let user = "layout-review-state-cache";
    let db = db_name(user);
    let mailbox = fresh(user).await;
    wait(mailbox.put_messages(array([js(&message("m1", 1))]))).await;
    let old = wait(snapshot(&db)).await;
    // Read once so the connection takes in (and caches) these exact bytes.
    wait(mailbox.get_message("m1".into())).await;
    wait(mailbox.put_messages(array([js(&message("m2", 2))]))).await;
    wait(restore(&db, &old)).await;
    let code = rejection_code(mailbox.get_message("m1".into())).await;
    assert_eq!(code, "Rollback");
}

/// A summary-only delta on a protected (withheld) message cannot put bodyPreview
/// (withheld) into the summary, and a later put cannot bring the body back.
#[wasm_bindgen_test]
async fn a_summary_only_delta_keeps_a_protected_message_withheld() {
    let user = "layout-review-protected";
    let mailbox = fresh(user).await;
    let mut smime = message("p1", 1);
    smime["singleValueExtendedProperties"] =
        json!([{"id": "String 0x1A", "value": "IPM.Note.SMIME"}]);
    wait(mailbox.put_messages(array([js(&smime)]))).await;
    let page = json(r#"{"value":[{"id":"p1","bodyPreview":"SECRET PREVIEW","isRead":true}]}"#);
    wait(mailbox.apply_delta("messages".into(), "inbox".into(), page)).await;
    let plain = json!({"id": "p1", "parentFolderId": "inbox", "receivedDateTime": "2024-05-01T10:00:00Z",
        "body": {"contentType": "text", "content": "SECRET BODY"}, "bodyPreview": "SECRET PREVIEW"});
    wait(mailbox.put_messages(array([js(&plain)]))).await;
    let got = stringify(&wait(mailbox.get_message("p1".into())).await);
    let listed = stringify(&wait(mailbox.list_messages("inbox".into(), None)).await);
    wait(mailbox.wipe()).await;
    assert!(
        !got.contains("SECRET") && !listed.contains("SECRET"),
        "{got} {listed}"
    );
}

/// An older copy put back, its layout marker deleted and junk records (no `b`)
/// stuffed into `messages`: the layout walk would quarantine each junk record in a
/// write of its own and advance the copy's epoch past `expectedEpoch`, so it runs
/// only after the epoch was checked (a review finding; this failed before the fix).
#[wasm_bindgen_test]
async fn junk_records_and_a_removed_marker_cannot_launder_a_rollback_past_expected_epoch() {
    let user = "layout-review-junk-launder";
    let db = db_name(user);
    let mailbox = fresh(user).await;
    wait(mailbox.put_messages(array([js(&message("m1", 1))]))).await;
    let old = wait(snapshot(&db)).await;
    for day in 2..=4 {
        wait(mailbox.put_messages(array([js(&message(&format!("m{day}"), day))]))).await;
    }
    let saved = mailbox.epoch();
    mailbox.close();
    // The attacker: an older copy, the marker removed, junk under new keys.
    wait(restore(&db, &old)).await;
    assert_eq!(
        wait(delete_meta_key(&db, "layout/split")).await.as_f64(),
        Some(1.0)
    );
    wait(stuff_junk(&db, "messages", 8)).await;

    let options = key_options(user, 7);
    Reflect::set(&options, &"expectedEpoch".into(), &saved).unwrap();
    let outcome = wasm_bindgen_futures::JsFuture::from(OfflineMailbox::open(options)).await;
    let opened_epoch = outcome
        .as_ref()
        .ok()
        .and_then(|v| OfflineMailbox::try_from_js_value(v.clone()).ok())
        .map(|m| {
            let epoch = m.epoch();
            m.close();
            epoch
        });
    wait(OfflineMailbox::wipe_user(user.into())).await;
    let error = outcome.expect_err(&format!(
        "the rolled-back copy opened (epoch {opened_epoch:?}, app saved {saved:?})"
    ));
    assert_eq!(field(&error, "code"), "Rollback");
}
