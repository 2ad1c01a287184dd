//! Retention: what the offline copy keeps (days of mail, messages per folder,
//! calendar behind and ahead), pruned without touching items with pending
//! actions, with folder counts kept right.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use js_sys::{Object, Reflect};
use offline_mailbox::OfflineMailbox;
use serde_json::{json, Value};
use wasm_bindgen::convert::TryFromJsValue;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const DAY: f64 = 86_400_000.0;

fn to_value(js: &JsValue) -> Value {
    serde_json::from_str(&stringify(js)).unwrap()
}

fn js(value: &Value) -> JsValue {
    json(&value.to_string())
}

/// An ISO time `days` from now (negative: in the past).
fn days_from_now(days: f64) -> String {
    let date = js_sys::Date::new(&JsValue::from(js_sys::Date::now() + days * DAY));
    String::from(date.to_iso_string())
}

async fn open_with(user: &str, retention: Value) -> OfflineMailbox {
    let options = key_options(user, 6);
    Reflect::set(&options, &"retention".into(), &js(&retention)).unwrap();
    open(options).await
}

async fn ids_in(mailbox: &OfflineMailbox, folder: &str) -> Vec<String> {
    let page = wait(mailbox.list_messages(folder.into(), None)).await;
    to_value(&field(&page, "value"))
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

#[wasm_bindgen_test]
async fn old_mail_and_mail_beyond_the_folder_limit_go_unless_an_action_waits_on_it() {
    let mailbox = open_with(
        "retention-mail",
        json!({"mailDays": 31, "maxMessagesPerFolder": 4}),
    )
    .await;
    wait(mailbox.put_folders(js(&json!([{"id": "inbox", "displayName": "Inbox"}])))).await;
    let ages = [1.0, 2.0, 3.0, 4.0, 5.0, 40.0, 41.0, 42.0];
    let messages: Vec<Value> = ages
        .iter()
        .map(|age| {
            json!({"id": format!("aged-{age}"), "parentFolderId": "inbox", "isRead": false,
            "receivedDateTime": days_from_now(-age), "subject": "s"})
        })
        .collect();
    wait(mailbox.put_messages(js(&Value::Array(messages)))).await;
    let ids = js(&json!(["aged-41"]));
    wait(mailbox.mark_read(ids, true.into())).await;
    let report = to_value(&wait(mailbox.prune()).await);
    assert_eq!(
        report,
        json!({"messages": 3, "events": 0}),
        "aged 5 (beyond 4), 40 and 42"
    );
    assert_eq!(
        ids_in(&mailbox, "inbox").await,
        ["aged-1", "aged-2", "aged-3", "aged-4", "aged-41"],
        "aged-41 has a pending action"
    );
    let folders = to_value(&wait(mailbox.folders()).await);
    assert_eq!(folders[0]["totalItemCount"], 5);
    assert_eq!(folders[0]["unreadItemCount"], 4);
    assert_eq!(
        to_value(&wait(mailbox.prune()).await),
        json!({"messages": 0, "events": 0})
    );
}

#[wasm_bindgen_test]
async fn events_outside_the_calendar_window_go_and_one_reaching_into_it_stays() {
    let mailbox = open_with(
        "retention-events",
        json!({"calendarPastDays": 31, "calendarFutureDays": 365}),
    )
    .await;
    let event = |id: &str, start: f64, end: f64| {
        json!({"id": id, "subject": id,
            "start": {"dateTime": days_from_now(start).trim_end_matches('Z'), "timeZone": "UTC"},
            "end": {"dateTime": days_from_now(end).trim_end_matches('Z'), "timeZone": "UTC"}})
    };
    let events = json!([
        event("ended-long-ago", -40.0, -39.9),
        event("spans-into-the-window", -40.0, 1.0),
        event("next-week", 7.0, 7.1),
        event("far-ahead", 400.0, 400.1),
    ]);
    wait(mailbox.put_events(js(&events))).await;
    let report = to_value(&wait(mailbox.prune()).await);
    assert_eq!(report, json!({"messages": 0, "events": 2}));
    let range = Object::new();
    Reflect::set(&range, &"start".into(), &days_from_now(-1000.0).into()).unwrap();
    Reflect::set(&range, &"end".into(), &days_from_now(1000.0).into()).unwrap();
    let left: Vec<String> = to_value(&wait(mailbox.events(range.into())).await)
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(left, ["spans-into-the-window", "next-week"]);
}

#[wasm_bindgen_test]
async fn a_bad_retention_setting_is_invalid_input_naming_it() {
    for (retention, name) in [
        (json!({"mailDays": 0}), "retention.mailDays"),
        (
            json!({"maxMessagesPerFolder": 1.5}),
            "retention.maxMessagesPerFolder",
        ),
        (
            json!({"calendarFutureDays": "year"}),
            "retention.calendarFutureDays",
        ),
    ] {
        let options = key_options("retention-bad", 6);
        Reflect::set(&options, &"retention".into(), &js(&retention)).unwrap();
        let error = rejection(OfflineMailbox::open(options)).await;
        assert_eq!(field(&error, "code"), "InvalidInput");
        assert_eq!(field(&error, "field"), name);
    }
    let value = wait(OfflineMailbox::open(key_options("retention-off", 6))).await;
    let mailbox = OfflineMailbox::try_from_js_value(value).unwrap();
    assert_eq!(
        to_value(&wait(mailbox.prune()).await),
        json!({"messages": 0, "events": 0})
    );
}

#[wasm_bindgen_test]
async fn storage_reports_the_origin_estimate_and_what_each_kind_holds() {
    let mailbox = open_with("retention-storage", json!({})).await;
    wait(mailbox.put_folders(js(&json!([{"id": "inbox", "displayName": "Inbox"}])))).await;
    let messages: Vec<Value> = (0..40)
        .map(|i| json!({"id": format!("m{i}"), "parentFolderId": "inbox", "subject": format!("s{i}"),
            "receivedDateTime": days_from_now(-1.0), "body": {"contentType": "text", "content": "x".repeat(2000)}}))
        .collect();
    wait(mailbox.put_messages(js(&Value::Array(messages)))).await;
    let report = to_value(&wait(mailbox.storage()).await);
    assert!(
        report["usage"].as_f64().is_some() && report["quota"].as_f64().unwrap() > 0.0,
        "{report}"
    );
    assert!(report["persisted"].is_boolean());
    assert_eq!(report["byKind"]["messages"]["count"], 40);
    assert_eq!(report["byKind"]["mailFolders"]["count"], 1);
    assert_eq!(
        report["byKind"]["contacts"],
        json!({"count": 0, "bytes": 0})
    );
    let bytes = report["byKind"]["messages"]["bytes"].as_f64().unwrap();
    assert!(
        bytes > 40.0 * 100.0 && bytes < 40.0 * 4000.0,
        "compressed summaries and bodies: {bytes}"
    );
    let options = Object::new();
    Reflect::set(&options, &"persist".into(), &true.into()).unwrap();
    wait(mailbox.enable_offline(Some(JsValue::from(options).into()))).await;

    let value = wait(OfflineMailbox::open(key_options(
        "retention-storage-off",
        6,
    )))
    .await;
    let off = OfflineMailbox::try_from_js_value(value).unwrap();
    assert_eq!(to_value(&wait(off.storage()).await)["byKind"], json!({}));
}
