//! The attacks of the adversarial review, each run against a real browser's
//! IndexedDB with its own API: protected mail, edited index fields, malformed
//! records, restored copies, and data key rotation.

#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use js_sys::{Array, Function, Object, Reflect, Uint8Array};
use offline_mailbox::OfflineMailbox;
use wasm_bindgen::convert::TryFromJsValue;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const SECRET: &str = "SECRET-BODY-PROPERTY-7f3a";

fn message(id: &str, folder: &str, day: u32) -> JsValue {
    json(&format!(
        r#"{{"id":"{id}","parentFolderId":"{folder}","subject":"subject {id}","isRead":false,
        "receivedDateTime":"2024-05-{day:02}T10:00:00Z"}}"#
    ))
}

fn with(options: JsValue, name: &str, value: &JsValue) -> JsValue {
    Reflect::set(&options, &name.into(), value).unwrap();
    options
}

async fn quarantined(mailbox: &OfflineMailbox) -> String {
    stringify(&wait(mailbox.quarantine()).await)
}

async fn get(mailbox: &OfflineMailbox, id: &str) -> JsValue {
    wait(mailbox.get_message(id.into())).await
}

/// Calls a method of a mailbox handed over to JavaScript.
fn call(target: &JsValue, method: &str, arg: &JsValue) -> js_sys::Promise {
    let function: Function = Reflect::get(target, &method.into())
        .unwrap()
        .unchecked_into();
    function.call1(target, arg).unwrap().unchecked_into()
}

#[wasm_bindgen_test]
async fn protected_mail_keeps_only_its_allowlist_and_stays_withheld() {
    let mailbox = open(key_options("protected-user", 1)).await;
    wait(mailbox.put_messages(array([json(&format!(
        r##"{{"id":"p1","parentFolderId":"inbox","subject":"sealed",
        "singleValueExtendedProperties":[{{"id":"String 0x1A","value":"IPM.Note.SMIME"}},{{"id":"String 0x1000","value":"{SECRET}"}}],
        "multiValueExtendedProperties":[{{"id":"StringArray 0x1001","value":["{SECRET}"]}}],
        "attachments":[{{"name":"smime.p7m","size":4,"contentBytes":"{SECRET}"}},
          {{"@odata.type":"#microsoft.graph.itemAttachment","name":"inner","item":{{"body":{{"content":"{SECRET}"}}}}}}],
        "mentions":[{{"mentionText":"{SECRET}"}}],"futureField":"{SECRET}"}}"##
    ))])))
    .await;
    let stored = stringify(&get(&mailbox, "p1").await);
    assert!(!stored.contains(SECRET), "{stored}");
    assert!(stored.contains(r#""subject":"sealed""#) && stored.contains("smime.p7m"));

    // A plain GET of the same message later, without the markers, must not bring the body back.
    wait(mailbox.put_messages(array([json(&format!(
        r#"{{"id":"p1","parentFolderId":"inbox","subject":"sealed","body":{{"content":"{SECRET}"}},"bodyPreview":"{SECRET}"}}"#
    ))])))
    .await;
    let stored = stringify(&get(&mailbox, "p1").await);
    assert!(!stored.contains(SECRET), "{stored}");
    assert!(stored.contains("@offlineMailbox.bodyWithheld"));

    // Two entries for one id in one delta page: the second carries no markers.
    wait(mailbox.apply_delta(
        "messages".into(),
        "inbox".into(),
        json(&format!(
            r#"{{"value":[{{"id":"p2","parentFolderId":"inbox","attachments":[{{"name":"message.rpmsg","contentBytes":"{SECRET}"}}]}},
            {{"id":"p2","body":{{"content":"{SECRET}"}},"attachments":[]}}]}}"#
        )),
    ))
    .await;
    let stored = stringify(&get(&mailbox, "p2").await);
    assert!(!stored.contains(SECRET), "{stored}");
    assert!(stored.contains("@offlineMailbox.bodyWithheld"));
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn a_folder_tag_copied_onto_a_junk_message_does_not_list_it_in_the_inbox() {
    let user = "folder-tag-user";
    let mailbox = open(key_options(user, 1)).await;
    wait(mailbox.put_messages(array([
        message("i1", "inbox", 1),
        message("i2", "inbox", 2),
        message("i3", "inbox", 3),
        message("j1", "junk", 4),
    ])))
    .await;
    let changed = wait(set_field_to_majority(&db_name(user), "messages", "f")).await;
    assert_eq!(
        changed, 1,
        "the junk message now carries the Inbox's folder tag"
    );

    let page = wait(mailbox.list_messages("inbox".into(), None)).await;
    let ids: Vec<String> = Array::from(&field(&page, "value"))
        .iter()
        .map(|m| field(&m, "id").as_string().unwrap())
        .collect();
    assert_eq!(ids, ["i3", "i2", "i1"]);
    assert_eq!(
        quarantined(&mailbox).await,
        r#"[{"kind":"messages","id":null}]"#
    );
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn an_address_tag_moved_to_another_contact_never_answers_for_that_address() {
    let user = "address-tag-user";
    let mailbox = open(key_options(user, 1)).await;
    wait(mailbox.put_contacts(array([
        json(r#"{"id":"ceo","displayName":"Chief","emailAddresses":[{"address":"ceo@contoso.example"}]}"#),
        json(r#"{"id":"eve","displayName":"Eve","emailAddresses":[{"address":"eve@contoso.example"}]}"#),
    ])))
    .await;
    wait(copy_field_first_to_second(&db_name(user), "contacts", "e")).await;

    for (address, id) in [
        ("ceo@contoso.example", "ceo"),
        ("eve@contoso.example", "eve"),
    ] {
        let found = wait(mailbox.contact_by_email(address.into())).await;
        assert!(
            found.is_null() || field(&found, "id") == id,
            "{address} answered with {}",
            stringify(&found)
        );
    }
    assert!(quarantined(&mailbox).await.contains("contacts"));
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn counts_and_the_event_span_are_sealed_and_altering_them_is_integrity() {
    let user = "sealed-state-user";
    let mailbox = open(key_options(user, 1)).await;
    wait(mailbox.put_events(array([json(
        r#"{"id":"long","subject":"offsite","start":{"dateTime":"2024-06-01T09:00:00","timeZone":"UTC"},
        "end":{"dateTime":"2024-06-04T17:00:00","timeZone":"UTC"}}"#,
    )])))
    .await;
    let range = json(r#"{"start":"2024-06-03T00:00:00Z","end":"2024-06-03T23:00:00Z"}"#);
    assert_eq!(Array::from(&wait(mailbox.events(range)).await).length(), 1);
    let keys = stringify(&wait(meta_keys(&db_name(user))).await);
    assert_eq!(
        keys, r#"["keyring","layout/split","state"]"#,
        "nothing but the keyring, the sealed state and the (empty) layout marker in meta"
    );
    mailbox.close();

    wait(tamper_meta(&db_name(user), "state")).await;
    let error = rejection(OfflineMailbox::open(key_options(user, 1))).await;
    assert_eq!(field(&error, "code"), "Integrity");
    assert_eq!(field(&error, "id"), "state");
    wait(OfflineMailbox::wipe_user(user.into())).await;
}

#[wasm_bindgen_test]
async fn an_edited_scope_tag_does_not_make_reset_scope_silently_drop_another_scopes_item() {
    let user = "scope-tag-user";
    let mailbox = open(key_options(user, 1)).await;
    let page = array([
        message("a1", "inbox", 1),
        message("a2", "inbox", 2),
        message("a3", "inbox", 3),
    ]);
    let page = with(Object::new().into(), "value", &page);
    wait(mailbox.apply_delta("messages".into(), "scope-a".into(), page)).await;
    wait(mailbox.put_messages(array([message("p1", "archive", 4)]))).await;
    assert_eq!(
        wait(set_field_to_majority(&db_name(user), "messages", "s")).await,
        1
    );

    wait(mailbox.reset_scope("messages".into(), "scope-a".into())).await;
    for id in ["a1", "a2", "a3", "p1"] {
        assert!(get(&mailbox, id).await.is_null(), "{id}");
    }
    // p1 left the store, but as a reported integrity failure the app can refetch,
    // not as a silent deletion.
    assert_eq!(
        quarantined(&mailbox).await,
        r#"[{"kind":"messages","id":null}]"#
    );
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn malformed_records_are_quarantined_and_every_query_still_answers() {
    let user = "malformed-user";
    let name = db_name(user);
    let mailbox = open(key_options(user, 1)).await;
    wait(mailbox.put_folders(array([
        json(r#"{"id":"inbox","displayName":"Inbox"}"#),
        json(r#"{"id":"archive","displayName":"Archive"}"#),
    ])))
    .await;
    wait(mailbox.put_events(array([json(
        r#"{"id":"e1","start":{"dateTime":"2024-06-01T09:00:00","timeZone":"UTC"},"end":{"dateTime":"2024-06-01T10:00:00","timeZone":"UTC"}}"#,
    )])))
    .await;
    let binary_key = |byte: u8| JsValue::from(Uint8Array::from(&[byte; 16][..]));
    // A value that is not an object, and a key this library never writes (a huge number
    // used to crash the module when read as a byte length).
    wait(put_raw(
        &name,
        "folders",
        &binary_key(1),
        &"not an object".into(),
    ))
    .await;
    wait(put_raw(
        &name,
        "folders",
        &JsValue::from(1e15),
        &json(r#"{"v":5}"#),
    ))
    .await;
    // An event in the range whose sealed value is not binary, and one under a text key.
    let start = 1_717_232_400_000.0; // 2024-06-01T09:00:00Z
    let bad_event = json(&format!(
        r#"{{"st":{start},"en":{},"v":"text"}}"#,
        start + 1000.0
    ));
    wait(put_raw(&name, "events", &binary_key(2), &bad_event)).await;
    let odd_key = json(&format!(r#"{{"st":{start},"en":{}}}"#, start + 1000.0));
    wait(put_raw(&name, "events", &"a-string-key".into(), &odd_key)).await;

    let folders = wait(mailbox.folders()).await;
    assert_eq!(Array::from(&folders).length(), 2);
    let range = json(r#"{"start":"2024-06-01T00:00:00Z","end":"2024-06-02T00:00:00Z"}"#);
    let events = wait(mailbox.events(range)).await;
    assert_eq!(
        stringify(&field(&Array::from(&events).get(0), "id")),
        r#""e1""#
    );
    assert_eq!(Array::from(&events).length(), 1);
    let quarantine = quarantined(&mailbox).await;
    assert!(
        quarantine.contains("mailFolders") && quarantine.contains("events"),
        "{quarantine}"
    );
    // Asked again, the same queries answer the same (nothing is stuck).
    assert_eq!(Array::from(&wait(mailbox.folders()).await).length(), 2);
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn an_older_copy_of_the_database_is_refused_when_the_app_kept_the_epoch() {
    let user = "rollback-user";
    let mailbox = open(key_options(user, 1)).await;
    wait(mailbox.put_messages(array([message("m1", "inbox", 1)]))).await;
    let copy = wait(snapshot(&db_name(user))).await;
    let page = with(
        Object::new().into(),
        "value",
        &array([json(r#"{"id":"m1","@removed":{"reason":"deleted"}}"#)]),
    );
    wait(mailbox.apply_delta("messages".into(), "inbox".into(), page)).await;
    let epoch = mailbox.epoch();
    assert!(epoch.as_string().is_some_and(|e| e.contains('.')));
    mailbox.close();

    wait(restore(&db_name(user), &copy)).await;
    // The browser alone cannot tell: without the app's epoch the deleted message is back.
    let restored = open(key_options(user, 1)).await;
    assert!(!get(&restored, "m1").await.is_null());
    restored.close();

    let options = with(key_options(user, 1), "expectedEpoch", &epoch);
    let error = rejection(OfflineMailbox::open(options)).await;
    assert_eq!(field(&error, "code"), "Rollback");
    assert_eq!(field(&error, "expected"), epoch);
    wait(OfflineMailbox::wipe_user(user.into())).await;
}

#[wasm_bindgen_test]
async fn a_copy_restored_after_offline_was_turned_off_is_deleted_when_the_app_says_so() {
    let user = "consent-rollback-user";
    let mailbox = open(key_options(user, 1)).await;
    wait(mailbox.put_messages(array([message("m1", "inbox", 1)]))).await;
    let copy = wait(snapshot(&db_name(user))).await;
    wait(mailbox.disable_offline()).await;
    mailbox.close();
    // A restored profile: the database is back, with its old contents.
    open(key_options(user, 1)).await.close();
    wait(restore(&db_name(user), &copy)).await;

    let options = with(key_options(user, 1), "expectedEpoch", &JsValue::NULL);
    let value = wait(OfflineMailbox::open(options)).await;
    let reopened = OfflineMailbox::try_from_js_value(value).unwrap();
    assert!(!reopened.offline_enabled());
    assert!(get(&reopened, "m1").await.is_null());
    assert!(
        !names().await.contains(&db_name(user)),
        "the restored copy is deleted"
    );
    reopened.close();
}

#[wasm_bindgen_test]
async fn a_record_put_back_after_its_scope_was_reset_is_detected() {
    let user = "reset-rollback-user";
    let mailbox = open(key_options(user, 1)).await;
    let page = with(
        Object::new().into(),
        "value",
        &array([message("r1", "inbox", 1), message("r2", "inbox", 2)]),
    );
    wait(mailbox.apply_delta("messages".into(), "inbox".into(), page)).await;
    let copy = wait(snapshot(&db_name(user))).await;
    wait(mailbox.reset_scope("messages".into(), "inbox".into())).await;
    wait(restore_stores(
        &db_name(user),
        &copy,
        &array(["messages".into()]),
    ))
    .await;

    assert_eq!(
        rejection_code(mailbox.get_message("r1".into())).await,
        "Integrity"
    );
    let page = wait(mailbox.list_messages("inbox".into(), None)).await;
    assert_eq!(Array::from(&field(&page, "value")).length(), 0);
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn rotating_the_data_key_locks_out_a_keyring_copied_before_it() {
    let user = "rotation-user";
    let mailbox = open(key_options(user, 1)).await;
    let messages: Vec<JsValue> = (0..450)
        .map(|i| message(&format!("m{i}"), "inbox", i % 28 + 1))
        .collect();
    wait(mailbox.put_messages(array(messages))).await;
    let before = wait(snapshot(&db_name(user))).await;

    let log = Array::new();
    let options = with(
        Object::new().into(),
        "onProgress",
        &progress_log(&log, &JsValue::NULL, 0),
    );
    wait(mailbox.rotate_data_key(Some(options.into()))).await;
    let reports: Vec<String> = log.iter().map(|r| r.as_string().unwrap()).collect();
    // Each message is two records, its summary and its body, and the search
    // index's segments and pages are sealed again too.
    let mut index_records = 0.0;
    for store in ["searchPostings", "searchDocs"] {
        index_records += wait(count_records(&db_name(user), store))
            .await
            .as_f64()
            .unwrap();
    }
    assert!(index_records > 0.0);
    let total = 900 + index_records as u32;
    assert_eq!(reports.first().cloned(), Some(format!("0/{total}")));
    assert_eq!(reports.last().cloned(), Some(format!("{total}/{total}")));
    assert!(reports.len() >= 4, "a report per batch: {reports:?}");

    wait(mailbox.put_messages(array([message("after", "inbox", 1)]))).await;
    assert!(!get(&mailbox, "m0").await.is_null() && !get(&mailbox, "after").await.is_null());
    let folders = wait(mailbox.folders()).await;
    assert_eq!(
        stringify(&wait(key_ids(&db_name(user), "messages")).await),
        "[2]"
    );
    drop(folders);
    mailbox.close();

    // The keyring (and state) as copied before the rotation, opened with the old key.
    wait(restore_stores(
        &db_name(user),
        &before,
        &array(["meta".into()]),
    ))
    .await;
    let stolen = open(key_options(user, 1)).await;
    for id in ["m0", "m449", "after"] {
        assert_eq!(
            rejection_code(stolen.get_message(id.into())).await,
            "Integrity",
            "{id}"
        );
    }
    wait(stolen.wipe()).await;
}

#[wasm_bindgen_test]
async fn a_rotation_cut_short_leaves_everything_readable_and_resumes() {
    let user = "resume-rotation-user";
    let mailbox = open(key_options(user, 1)).await;
    let messages: Vec<JsValue> = (0..450)
        .map(|i| message(&format!("m{i}"), "inbox", i % 28 + 1))
        .collect();
    wait(mailbox.put_messages(array(messages))).await;
    let handle = JsValue::from(mailbox);
    let log = Array::new();
    // The tab goes away after the first batch.
    let options = with(
        Object::new().into(),
        "onProgress",
        &progress_log(&log, &handle, 2),
    );
    assert_eq!(
        rejection_code(call(&handle, "rotateDataKey", &options)).await,
        "Closed"
    );
    assert_eq!(
        stringify(&wait(key_ids(&db_name(user), "messages")).await),
        "[1,2]"
    );

    let reopened = open(key_options(user, 1)).await;
    for id in ["m0", "m200", "m449"] {
        assert!(
            !get(&reopened, id).await.is_null(),
            "{id} reads mid-rotation"
        );
    }
    wait(reopened.rotate_data_key(None)).await;
    // Resumed, not restarted: the data key of the first attempt is the one in use.
    assert_eq!(
        stringify(&wait(key_ids(&db_name(user), "messages")).await),
        "[2]"
    );
    assert!(!get(&reopened, "m449").await.is_null());
    wait(reopened.wipe()).await;
}

#[wasm_bindgen_test]
async fn the_key_is_not_kept_once_the_store_is_unlocked() {
    let user = "forgotten-key-user";
    let mailbox = open(key_options(user, 1)).await;
    wait(mailbox.disable_offline()).await;
    let error = rejection(mailbox.enable_offline(None)).await;
    assert_eq!(field(&error, "code"), "InvalidInput");
    assert_eq!(field(&error, "field"), "key");
    wait(mailbox.enable_offline(Some(key_options(user, 1).into()))).await;
    assert!(mailbox.offline_enabled());
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn the_epoch_names_the_instance_and_grows_with_every_write() {
    let user = "epoch-user";
    let mailbox = open(key_options(user, 1)).await;
    let first = mailbox.epoch().as_string().unwrap();
    wait(mailbox.put_messages(array([message("m1", "inbox", 1)]))).await;
    let second = mailbox.epoch().as_string().unwrap();
    let (instance, count) = first.split_once('.').unwrap();
    let (instance2, count2) = second.split_once('.').unwrap();
    assert_eq!(instance, instance2);
    assert!(count2.parse::<u64>().unwrap() > count.parse::<u64>().unwrap());
    wait(mailbox.wipe()).await;
    assert!(mailbox.epoch().is_null());
}

// The second review's attacks, on the hardened code.

fn page_of(values: JsValue, link: Option<&str>) -> JsValue {
    let page = with(Object::new().into(), "value", &values);
    match link {
        Some(link) => with(page, "@odata.deltaLink", &link.into()),
        None => page,
    }
}

async fn inbox_counts(mailbox: &OfflineMailbox) -> String {
    let inbox = Array::from(&wait(mailbox.folders()).await).get(0);
    format!(
        "{}/{}",
        stringify(&field(&inbox, "totalItemCount")),
        stringify(&field(&inbox, "unreadItemCount"))
    )
}

#[wasm_bindgen_test]
async fn a_rotation_in_a_tab_with_the_old_key_cannot_undo_a_key_change() {
    let user = "two-tab-change-key-user";
    let a = open(key_options(user, 1)).await;
    let b = open(key_options(user, 1)).await;
    wait(a.put_messages(array([message("m1", "inbox", 1)]))).await;
    wait(a.change_key(key_options(user, 2))).await; // the old key leaked
    assert_eq!(rejection_code(b.rotate_data_key(None)).await, "WrongKey");
    a.close();
    b.close();
    assert_eq!(
        rejection_code(OfflineMailbox::open(key_options(user, 1))).await,
        "WrongKey"
    );
    let reopened = open(key_options(user, 2)).await;
    assert!(!get(&reopened, "m1").await.is_null());
    wait(reopened.wipe()).await;
}

#[wasm_bindgen_test]
async fn a_key_change_in_a_tab_opened_before_another_tabs_rotation_keeps_the_mailbox_readable() {
    let user = "stale-tab-change-key-user";
    let a = open(key_options(user, 1)).await;
    let b = open(key_options(user, 1)).await;
    wait(b.put_messages(array([message("m1", "inbox", 1)]))).await;
    wait(b.rotate_data_key(None)).await;
    wait(a.change_key(key_options(user, 2))).await;
    a.close();
    b.close();
    let reopened = open(key_options(user, 2)).await;
    assert!(!get(&reopened, "m1").await.is_null());
    wait(reopened.wipe()).await;
}

#[wasm_bindgen_test]
async fn copies_of_a_record_under_new_keys_cannot_lower_a_folders_counts() {
    let user = "forged-copies-user";
    let mailbox = open(key_options(user, 1)).await;
    wait(mailbox.put_folders(array([json(r#"{"id":"inbox","displayName":"Inbox"}"#)]))).await;
    wait(mailbox.put_messages(array([
        message("m1", "inbox", 1),
        message("m2", "inbox", 2),
        message("m3", "inbox", 3),
    ])))
    .await;
    assert_eq!(inbox_counts(&mailbox).await, "3/3");
    wait(copy_first_to_new_keys(&db_name(user), "messages", 3)).await;
    let listed = wait(mailbox.list_messages("inbox".into(), None)).await;
    assert_eq!(Array::from(&field(&listed, "value")).length(), 3);
    assert_eq!(
        inbox_counts(&mailbox).await,
        "3/3",
        "three messages are still stored"
    );
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn an_edited_stored_key_is_quarantined_and_paging_ends() {
    let user = "stored-key-user";
    let mailbox = open(key_options(user, 1)).await;
    wait(mailbox.put_messages(array([
        message("m1", "inbox", 1),
        message("m2", "inbox", 2),
    ])))
    .await;
    wait(set_stored_key(&db_name(user), "messages")).await;
    let mut cursor = JsValue::NULL;
    let mut pages = 0;
    loop {
        let options = json(r#"{"limit":1}"#);
        if !cursor.is_null() {
            Reflect::set(&options, &"cursor".into(), &cursor).unwrap();
        }
        let page = wait(mailbox.list_messages("inbox".into(), Some(options.into()))).await;
        cursor = field(&page, "nextCursor");
        pages += 1;
        if cursor.is_null() || pages > 4 {
            break;
        }
    }
    assert!(pages <= 3, "paging must end, took {pages} pages");
    assert!(quarantined(&mailbox).await.contains("messages"));
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn protection_survives_a_removal_entry_earlier_in_the_same_page() {
    let mailbox = open(key_options("protected-removal-user", 1)).await;
    let protected = json(
        r#"{"id":"p1","parentFolderId":"sent","subject":"s",
        "singleValueExtendedProperties":[{"id":"String 0x1A","value":"IPM.Note.SMIME"}]}"#,
    );
    wait(mailbox.apply_delta(
        "messages".into(),
        "sent".into(),
        page_of(array([protected]), None),
    ))
    .await;
    for reason in ["changed", "deleted"] {
        let entries = array([
            json(&format!(
                r#"{{"id":"p1","@removed":{{"reason":"{reason}"}}}}"#
            )),
            json(&format!(
                r#"{{"id":"p1","parentFolderId":"inbox","body":{{"content":"{SECRET}"}}}}"#
            )),
        ]);
        wait(mailbox.apply_delta("messages".into(), "inbox".into(), page_of(entries, None))).await;
        let stored = stringify(&get(&mailbox, "p1").await);
        assert!(!stored.contains(SECRET), "{reason}: {stored}");
    }
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn a_tab_that_did_not_write_since_another_tabs_reset_still_detects_a_put_back_record() {
    let user = "stale-floor-user";
    let a = open(key_options(user, 1)).await;
    let b = open(key_options(user, 1)).await;
    wait(b.apply_delta(
        "messages".into(),
        "inbox".into(),
        page_of(array([message("r1", "inbox", 1)]), None),
    ))
    .await;
    let copy = wait(snapshot(&db_name(user))).await;
    wait(b.reset_scope("messages".into(), "inbox".into())).await;
    wait(restore_stores(
        &db_name(user),
        &copy,
        &array(["messages".into()]),
    ))
    .await;
    assert_eq!(
        rejection_code(a.get_message("r1".into())).await,
        "Integrity"
    );
    a.close();
    wait(b.wipe()).await;
}

#[wasm_bindgen_test]
async fn an_open_mailbox_refuses_a_database_rolled_back_under_it() {
    let user = "live-rollback-user";
    let mailbox = open(key_options(user, 1)).await;
    wait(mailbox.put_messages(array([message("m1", "inbox", 1)]))).await;
    let copy = wait(snapshot(&db_name(user))).await;
    for day in 2..6 {
        wait(mailbox.put_messages(array([message(&format!("m{day}"), "inbox", day)]))).await;
    }
    let before = mailbox.epoch();
    wait(restore(&db_name(user), &copy)).await;
    let error = rejection(mailbox.put_messages(array([message("m9", "inbox", 9)]))).await;
    assert_eq!(field(&error, "code"), "Rollback");
    assert_eq!(field(&error, "expected"), before);
    assert_eq!(
        rejection_code(mailbox.get_message("m1".into())).await,
        "Closed"
    );
    wait(OfflineMailbox::wipe_user(user.into())).await;
}

#[wasm_bindgen_test]
async fn a_delta_link_put_back_after_its_scope_was_reset_is_not_served() {
    let user = "link-floor-user";
    let mailbox = open(key_options(user, 1)).await;
    let first = page_of(
        array([message("r1", "inbox", 1)]),
        Some("https://graph.example/delta?token=OLD"),
    );
    wait(mailbox.apply_delta("messages".into(), "inbox".into(), first)).await;
    let copy = wait(snapshot(&db_name(user))).await;
    wait(mailbox.reset_scope("messages".into(), "inbox".into())).await;
    wait(restore_stores(
        &db_name(user),
        &copy,
        &array(["syncState".into()]),
    ))
    .await;
    assert_eq!(
        rejection_code(mailbox.delta_link("messages".into(), "inbox".into())).await,
        "Integrity"
    );
    wait(mailbox.wipe()).await;
}

/// 450 messages: more than two rotation batches.
async fn mailbox_with_450_messages(user: &str) -> OfflineMailbox {
    let mailbox = open(key_options(user, 1)).await;
    let messages: Vec<JsValue> = (0..450)
        .map(|i| message(&format!("m{i}"), "inbox", i % 28 + 1))
        .collect();
    wait(mailbox.put_messages(array(messages))).await;
    mailbox
}

/// How many of the 450 messages do not read back.
async fn unreadable(mailbox: &OfflineMailbox) -> usize {
    let mut failed = 0;
    for i in 0..450 {
        let read =
            wasm_bindgen_futures::JsFuture::from(mailbox.get_message(format!("m{i}").into()));
        if read.await.is_err() {
            failed += 1;
        }
    }
    failed
}

#[wasm_bindgen_test]
async fn junk_records_under_long_keys_do_not_cut_a_rotation_short() {
    for last in [false, true] {
        let user = format!("long-key-user-{last}");
        let mailbox = mailbox_with_450_messages(&user).await;
        wait(put_long_key(&db_name(&user), "messages", last)).await;
        wait(mailbox.rotate_data_key(None)).await;
        assert_eq!(
            unreadable(&mailbox).await,
            0,
            "junk key sorting last: {last}"
        );
        mailbox.close();
        let reopened = open(key_options(&user, 1)).await;
        assert_eq!(unreadable(&reopened).await, 0);
        wait(reopened.wipe()).await;
    }
}

#[wasm_bindgen_test]
async fn overlapping_rotations_never_destroy_a_key_still_in_use() {
    let user = "overlapping-rotations-user";
    let mailbox = mailbox_with_450_messages(user).await;
    // A double click, then another rotation as soon as the first resolves.
    let first = mailbox.rotate_data_key(None);
    let second = mailbox.rotate_data_key(None);
    wait(first).await;
    let third = mailbox.rotate_data_key(None);
    wait(second).await;
    wait(third).await;
    assert_eq!(unreadable(&mailbox).await, 0);
    assert!(quarantined(&mailbox).await == "[]");
    wait(mailbox.wipe()).await;
}
