//! The mailbox API in a real browser: paging, folder counts through every kind of
//! write, delta pages, conversations, calendar ranges, contact lookups.

#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use js_sys::{Array, Reflect};
use offline_mailbox::OfflineMailbox;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn message(id: &str, folder: &str, minute: u32, is_read: bool) -> JsValue {
    json(&format!(
        r#"{{"id":"{id}","parentFolderId":"{folder}","conversationId":"conv-{c}","subject":"s-{id}",
        "receivedDateTime":"2024-05-01T10:{minute:02}:00Z","isRead":{is_read}}}"#,
        c = minute % 3
    ))
}

fn ids(items: &JsValue) -> Vec<String> {
    let items: Array = items.clone().unchecked_into();
    items
        .iter()
        .map(|m| field(&m, "id").as_string().unwrap())
        .collect()
}

async fn counts(mailbox: &OfflineMailbox) -> Vec<(String, f64, f64)> {
    let folders: Array = wait(mailbox.folders()).await.unchecked_into();
    folders
        .iter()
        .map(|f| {
            let number = |name| field(&f, name).as_f64().unwrap();
            (
                field(&f, "id").as_string().unwrap(),
                number("totalItemCount"),
                number("unreadItemCount"),
            )
        })
        .collect()
}

fn options(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = js_sys::Object::new();
    for (name, value) in pairs {
        Reflect::set(&object, &JsValue::from_str(name), value).unwrap();
    }
    object.into()
}

async fn fresh(user: &str) -> OfflineMailbox {
    wait(OfflineMailbox::wipe_user(user.into())).await;
    open(key_options(user, 7)).await
}

#[wasm_bindgen_test]
async fn paging_returns_each_message_once_newest_first() {
    let mailbox = fresh("paging-user").await;
    // 57 messages in one folder, with ties on the received time, plus messages in six
    // other folders whose blinded ids sort on both sides of the inbox's.
    let inbox = (0..57).map(|i| message(&format!("m{i:02}"), "inbox", i / 2, i % 4 == 0));
    let other = (0..30).map(|i| message(&format!("o{i}"), &format!("folder-{}", i % 6), i, true));
    wait(mailbox.put_messages(array(inbox.chain(other)))).await;

    let mut seen = Vec::new();
    let mut cursor = JsValue::UNDEFINED;
    let mut pages = 0;
    loop {
        let page = wait(mailbox.list_messages(
            "inbox".into(),
            Some(options(&[("limit", 10.into()), ("cursor", cursor.clone())]).into()),
        ))
        .await;
        let value = field(&page, "value");
        seen.extend(ids(&value));
        pages += 1;
        cursor = field(&page, "nextCursor");
        if cursor.is_null() {
            break;
        }
    }
    assert_eq!(pages, 6);
    assert_eq!(seen.len(), 57);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 57, "no message may appear twice");
    // Newest first: minute = index / 2, so the received times never increase along the list.
    let minutes: Vec<u32> = seen
        .iter()
        .map(|id| id[1..].parse::<u32>().unwrap() / 2)
        .collect();
    assert!(minutes.windows(2).all(|w| w[0] >= w[1]), "{minutes:?}");
    assert_eq!(
        rejection_code(mailbox.list_messages(
            "inbox".into(),
            Some(options(&[("cursor", "nonsense".into())]).into())
        ))
        .await,
        "InvalidInput"
    );
    // A cursor is the recency's 8 bytes and the key, in hex: anything else, or the
    // bits of NaN or infinity, is refused.
    for bad in [
        "1.a€",
        "NaN.00",
        "inf.00",
        "1.0g",
        "c278f2b6c4800000",
        "78f2b6c4800000.00",
        "c278f2b6c48000000.00",
        "7ff8000000000000.00",
        "fff0000000000000.00",
        "c278f2b6c4800000.0g",
        "c278f2b6c4800000.+1",
    ] {
        let page = mailbox.list_messages(
            "inbox".into(),
            Some(options(&[("cursor", bad.into())]).into()),
        );
        assert_eq!(rejection_code(page).await, "InvalidInput", "{bad}");
    }
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn folder_counts_follow_puts_flips_moves_and_removals() {
    let mailbox = fresh("counts-user").await;
    wait(mailbox.put_folders(array([
        json(r#"{"id":"inbox","displayName":"Inbox"}"#),
        json(r#"{"id":"archive","displayName":"Archive"}"#),
    ])))
    .await;
    wait(mailbox.put_messages(array(
        (0..6).map(|i| message(&format!("m{i}"), "inbox", i, i >= 4)),
    )))
    .await;
    assert_eq!(
        counts(&mailbox).await,
        [("archive".into(), 0.0, 0.0), ("inbox".into(), 6.0, 4.0)]
    );

    // A delta that reads two, moves one (unread) to the archive, and removes one.
    let page = json(
        r#"{"value":[
            {"id":"m0","isRead":true},
            {"id":"m1","isRead":true},
            {"id":"m2","parentFolderId":"archive"},
            {"id":"m5","@removed":{"reason":"deleted"}}
        ],"@odata.deltaLink":"https://org.example/delta?token=1"}"#,
    );
    let summary = wait(mailbox.apply_delta("messages".into(), "inbox".into(), page.clone())).await;
    assert_eq!(
        stringify(&summary),
        r#"{"created":0,"updated":3,"removed":1}"#
    );
    assert_eq!(
        counts(&mailbox).await,
        [("archive".into(), 1.0, 1.0), ("inbox".into(), 4.0, 1.0)]
    );

    // Re-putting a message with the same state changes nothing.
    wait(mailbox.put_messages(array([message("m4", "inbox", 4, true)]))).await;
    assert_eq!(
        counts(&mailbox).await,
        [("archive".into(), 1.0, 1.0), ("inbox".into(), 4.0, 1.0)]
    );
    let merged = wait(mailbox.get_message("m0".into())).await;
    assert_eq!(
        stringify(&field(&merged, "subject")),
        "\"s-m0\"",
        "a partial update keeps the other fields"
    );
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn a_delta_page_applied_twice_leaves_the_same_state() {
    let mailbox = fresh("replay-user").await;
    wait(mailbox.put_messages(array(
        (0..4).map(|i| message(&format!("m{i}"), "inbox", i, false)),
    )))
    .await;
    let page = json(
        r#"{"value":[
            {"id":"m0","isRead":true},
            {"id":"n1","parentFolderId":"inbox","subject":"new","receivedDateTime":"2024-05-02T00:00:00Z","isRead":false},
            {"id":"m3","@removed":{"reason":"deleted"}}
        ],"@odata.deltaLink":"link-1"}"#,
    );
    wait(mailbox.apply_delta("messages".into(), "inbox".into(), page.clone())).await;
    let once = (
        stringify(&wait(mailbox.list_messages("inbox".into(), None)).await),
        counts(&mailbox).await,
    );
    let again = wait(mailbox.apply_delta("messages".into(), "inbox".into(), page)).await;
    assert_eq!(
        stringify(&again),
        r#"{"created":0,"updated":2,"removed":0}"#
    );
    let twice = (
        stringify(&wait(mailbox.list_messages("inbox".into(), None)).await),
        counts(&mailbox).await,
    );
    assert_eq!(once, twice);
    assert_eq!(
        wait(mailbox.delta_link("messages".into(), "inbox".into())).await,
        "link-1"
    );
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn a_page_with_one_malformed_item_writes_nothing_and_names_it() {
    let mailbox = fresh("bad-page-user").await;
    wait(mailbox.put_messages(array([message("m0", "inbox", 0, false)]))).await;
    let page = json(
        r#"{"value":[
            {"id":"m0","isRead":true},
            {"id":"n1","parentFolderId":"inbox","receivedDateTime":"not a date"}
        ],"@odata.deltaLink":"link-bad"}"#,
    );
    let error = rejection(mailbox.apply_delta("messages".into(), "inbox".into(), page)).await;
    assert_eq!(field(&error, "code"), "InvalidInput");
    assert_eq!(field(&error, "index"), 1);
    assert_eq!(field(&error, "field"), "receivedDateTime");
    let m0 = wait(mailbox.get_message("m0".into())).await;
    assert_eq!(field(&m0, "isRead"), false);
    assert!(wait(mailbox.get_message("n1".into())).await.is_null());
    assert!(wait(mailbox.delta_link("messages".into(), "inbox".into()))
        .await
        .is_null());
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn a_move_out_of_scope_does_not_drop_a_message_another_scope_claimed() {
    let mailbox = fresh("moved-user").await;
    let inbox_page = json(
        r#"{"value":[{"id":"m1","parentFolderId":"inbox","receivedDateTime":"2024-05-01T00:00:00Z","isRead":false}]}"#,
    );
    wait(mailbox.apply_delta("messages".into(), "inbox".into(), inbox_page)).await;
    // The archive's delta arrives first with the moved message, then the inbox's says it left.
    let archive_page = json(r#"{"value":[{"id":"m1","parentFolderId":"archive"}]}"#);
    wait(mailbox.apply_delta("messages".into(), "archive".into(), archive_page)).await;
    let left = json(r#"{"value":[{"id":"m1","@removed":{"reason":"changed"}}]}"#);
    let summary = wait(mailbox.apply_delta("messages".into(), "inbox".into(), left)).await;
    assert_eq!(field(&summary, "removed"), 0);
    let m1 = wait(mailbox.get_message("m1".into())).await;
    assert_eq!(field(&m1, "parentFolderId"), "archive");
    // A message stored with putMessages belongs to no delta scope: leaving the inbox drops it.
    wait(mailbox.put_messages(array([message("p1", "inbox", 1, false)]))).await;
    let left = json(r#"{"value":[{"id":"p1","@removed":{"reason":"changed"}}]}"#);
    let summary = wait(mailbox.apply_delta("messages".into(), "inbox".into(), left)).await;
    assert_eq!(field(&summary, "removed"), 1);
    assert!(wait(mailbox.get_message("p1".into())).await.is_null());
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn reset_scope_drops_the_scope_its_counts_and_its_link() {
    let mailbox = fresh("reset-user").await;
    wait(mailbox.put_folders(array([json(r#"{"id":"inbox","displayName":"Inbox"}"#)]))).await;
    let page = json(
        r#"{"value":[
            {"id":"a","parentFolderId":"inbox","receivedDateTime":"2024-05-01T00:00:00Z","isRead":false},
            {"id":"b","parentFolderId":"inbox","receivedDateTime":"2024-05-01T00:01:00Z","isRead":true}
        ],"@odata.deltaLink":"link-x"}"#,
    );
    wait(mailbox.apply_delta("messages".into(), "inbox".into(), page)).await;
    wait(mailbox.put_messages(array([message("kept", "inbox", 9, false)]))).await;
    wait(mailbox.reset_scope("messages".into(), "inbox".into())).await;
    assert!(wait(mailbox.get_message("a".into())).await.is_null());
    assert!(wait(mailbox.delta_link("messages".into(), "inbox".into()))
        .await
        .is_null());
    assert_eq!(counts(&mailbox).await, [("inbox".into(), 1.0, 1.0)]);
    assert_eq!(
        rejection_code(mailbox.reset_scope("letters".into(), "x".into())).await,
        "InvalidInput"
    );
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn conversations_come_back_oldest_first() {
    let mailbox = fresh("conversation-user").await;
    wait(
        mailbox.put_messages(array(
            (0..9)
                .rev()
                .map(|i| message(&format!("m{i}"), "inbox", i, true)),
        )),
    )
    .await;
    let thread = wait(mailbox.conversation("conv-1".into(), None)).await;
    assert_eq!(ids(&thread), ["m1", "m4", "m7"]);
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn contacts_autocomplete_by_name_or_address_and_look_up_by_email() {
    let mailbox = fresh("contacts-user").await;
    wait(mailbox.put_contacts(array([
        json(r#"{"id":"c1","displayName":"Adele Vance","givenName":"Adele","surname":"Vance","emailAddresses":[{"address":"AdeleV@contoso.example"}]}"#),
        json(r#"{"id":"c2","displayName":"Alex Wilber","emailAddresses":[{"address":"alexw@contoso.example"}]}"#),
        json(r#"{"id":"c3","displayName":"Megan Bowen","emailAddresses":[{"address":"meganb@fabrikam.example"}]}"#),
        json(r#"{"id":"c4","displayName":"Ádám Müller","emailAddresses":[{"address":"adam.mueller@fabrikam.example"}]}"#),
    ])))
    .await;
    let search = |prefix: &str, limit: u32| {
        mailbox.contacts(Some(
            options(&[("prefix", prefix.into()), ("limit", limit.into())]).into(),
        ))
    };
    // Sorted by display name, case-insensitively, in code-point order ("Á" after "Al").
    assert_eq!(ids(&wait(search("a", 10)).await), ["c1", "c2", "c4"]);
    assert_eq!(ids(&wait(search("a", 2)).await), ["c1", "c2"]);
    assert_eq!(ids(&wait(search("VAN", 10)).await), ["c1"]);
    assert_eq!(ids(&wait(search("meganb@fab", 10)).await), ["c3"]);
    assert_eq!(ids(&wait(search("müll", 10)).await), ["c4"]);
    assert_eq!(
        ids(&wait(search("adam.mueller@fabrikam.example", 10)).await),
        ["c4"]
    );
    assert!(ids(&wait(search("zed", 10)).await).is_empty());
    let adele = wait(mailbox.contact_by_email("adelev@CONTOSO.example".into())).await;
    assert_eq!(field(&adele, "id"), "c1");
    assert!(
        wait(mailbox.contact_by_email("nobody@contoso.example".into()))
            .await
            .is_null()
    );
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn event_ranges_include_overlapping_instances_sorted_by_start() {
    let mailbox = fresh("events-user").await;
    let event = |id: &str, start: &str, end: &str| {
        json(&format!(
            r#"{{"id":"{id}","subject":"{id}","start":{{"dateTime":"{start}","timeZone":"UTC"}},"end":{{"dateTime":"{end}","timeZone":"UTC"}}}}"#
        ))
    };
    wait(mailbox.put_events(array([
        event("long", "2024-05-20T00:00:00", "2024-06-10T00:00:00"),
        event("day", "2024-06-03T09:00:00", "2024-06-03T10:00:00"),
        event("edge-end", "2024-06-02T23:00:00", "2024-06-03T00:00:00"),
        event("edge-start", "2024-06-04T00:00:00", "2024-06-04T01:00:00"),
        event("zero", "2024-06-03T12:00:00", "2024-06-03T12:00:00"),
        event("later", "2024-07-01T00:00:00", "2024-07-01T01:00:00"),
    ])))
    .await;
    let range = |start: &str, end: &str| options(&[("start", start.into()), ("end", end.into())]);
    let day = wait(mailbox.events(range("2024-06-03T00:00:00Z", "2024-06-04T00:00:00Z"))).await;
    assert_eq!(ids(&day), ["long", "day", "zero"]);
    let june = wait(mailbox.events(range("2024-06-01T00:00:00Z", "2024-07-01T00:00:00Z"))).await;
    assert_eq!(
        ids(&june),
        ["long", "edge-end", "day", "zero", "edge-start"]
    );
    let bad = mailbox.events(range("last week", "2024-07-01T00:00:00Z"));
    assert_eq!(rejection_code(bad).await, "InvalidInput");
    let not_utc = json(
        r#"{"id":"x","start":{"dateTime":"2024-06-01T09:00:00","timeZone":"Pacific Standard Time"},"end":{"dateTime":"2024-06-01T10:00:00","timeZone":"UTC"}}"#,
    );
    let error = rejection(mailbox.put_events(array([not_utc]))).await;
    assert_eq!(field(&error, "field"), "start");
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn an_id_written_twice_in_one_write_counts_once() {
    let mailbox = fresh("twice-in-one-write").await;
    wait(mailbox.put_messages(array([message("m1", "inbox", 1, false)]))).await;
    // A page that sends m1 twice (moving it, then back, unread) and a new m2 twice.
    let page = json(
        r#"{"value":[
            {"id":"m1","parentFolderId":"archive","isRead":true},
            {"id":"m2","parentFolderId":"archive","isRead":false,"subject":"two"},
            {"id":"m1","parentFolderId":"inbox","isRead":false},
            {"id":"m2","isRead":true}
        ]}"#,
    );
    wait(mailbox.apply_delta("messages".into(), "inbox".into(), page)).await;
    // A batch that puts m3 twice.
    wait(mailbox.put_messages(array([
        message("m3", "archive", 3, false),
        message("m3", "inbox", 3, true),
    ])))
    .await;
    wait(mailbox.put_folders(array([
        json(r#"{"id":"inbox","displayName":"Inbox"}"#),
        json(r#"{"id":"archive","displayName":"Archive"}"#),
    ])))
    .await;
    assert_eq!(
        counts(&mailbox).await,
        [("archive".into(), 1.0, 0.0), ("inbox".into(), 2.0, 1.0)]
    );
    let report = wait(mailbox.verify(None)).await;
    assert_eq!(
        stringify(&report),
        r#"{"checked":8,"quarantined":0,"countErrors":0}"#
    );
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn verify_quarantines_what_fails_and_repairs_counts_that_disagree() {
    let user = "verify-repairs";
    let mailbox = fresh(user).await;
    wait(mailbox.put_folders(array([json(r#"{"id":"inbox","displayName":"Inbox"}"#)]))).await;
    wait(mailbox.put_messages(array(
        (0..5).map(|i| message(&format!("m{i}"), "inbox", i, i % 2 == 0)),
    )))
    .await;
    let healthy = wait(mailbox.verify(None)).await;
    assert_eq!(
        stringify(&healthy),
        r#"{"checked":11,"quarantined":0,"countErrors":0}"#,
        "5 summaries, 5 bodies and a folder, nothing wrong"
    );
    // One body altered on disk; then every message record removed behind the
    // library's back, so the stored counts no longer match.
    wait(tamper_first(&db_name(user), "messageBodies")).await;
    let progress = js_sys::Array::new();
    let log = progress.clone();
    let on_progress = wasm_bindgen::closure::Closure::<dyn Fn(JsValue)>::new(move |p: JsValue| {
        log.push(&p);
    });
    let with_progress = options(&[("onProgress", on_progress.as_ref().clone())]);
    let report = wait(mailbox.verify(Some(with_progress.into()))).await;
    assert_eq!(field(&report, "quarantined").as_f64(), Some(1.0));
    assert_eq!(field(&report, "countErrors").as_f64(), Some(0.0));
    assert!(progress.length() >= 2, "progress was reported");
    wait(clear_store(&db_name(user), "messages")).await;
    let report = wait(mailbox.verify(None)).await;
    assert_eq!(
        field(&report, "countErrors").as_f64(),
        Some(1.0),
        "the inbox's counts were repaired"
    );
    assert_eq!(counts(&mailbox).await, [("inbox".into(), 0.0, 0.0)]);
    let again = wait(mailbox.verify(None)).await;
    assert_eq!(
        field(&again, "countErrors").as_f64(),
        Some(0.0),
        "and stay right"
    );
    wait(mailbox.wipe()).await;
}
