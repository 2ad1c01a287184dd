//! Property-based fuzzing of everything that reads input the library did not
//! make itself: Graph items, delta pages and their merging, page and search
//! cursors, search queries and the text pipeline, envelopes, every stored format
//! decoded after opening, channel notices and epochs. Each must give a value or
//! a typed error, never a panic, on any input.
//!
//! `cargo test --test fuzz` runs 600 cases per target from a fixed seed (the
//! same inputs every run). `scripts/fuzz.sh` runs at least 1,000,000 in all from
//! a random seed it prints: `FUZZ_CASES` sets the cases per target, `FUZZ_SEED`
//! replays a seed.

#![cfg(not(target_arch = "wasm32"))]

use std::cell::Cell;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Map, Value};

use offline_mailbox::crypto::{self, Aad, KeyringContents, WrappedKeyring};
use offline_mailbox::directory::CacheEntry;
use offline_mailbox::live::ChangeNotice;
use offline_mailbox::model::{merge, split_message_json, Item, Kind};
use offline_mailbox::search::docs::DocTable;
use offline_mailbox::search::document::SearchDocument;
use offline_mailbox::search::html::html_to_text;
use offline_mailbox::search::manifest::Manifest;
use offline_mailbox::search::postings::decode_postings;
use offline_mailbox::search::query::Query;
use offline_mailbox::search::segment::Segment;
use offline_mailbox::search::text::{normalize, tokens};
use offline_mailbox::search::After;
use offline_mailbox::store::cursor;
use offline_mailbox::sync::{Change, DeltaPage, Epoch, MailboxState, Outbox};

/// Cases per target: `FUZZ_CASES`, or 600.
fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(600)
}

/// The seed: `FUZZ_SEED`, or 0 (the test command's fixed inputs).
fn seed() -> u64 {
    std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(0)
}

/// Runs `check` on `cases()` values of `strategy` and prints how many ran. A
/// panic fails the test with the smallest input proptest shrinks it to.
fn fuzz<S: Strategy>(name: &str, strategy: S, check: impl Fn(S::Value)) {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed().to_le_bytes());
    bytes[8..8 + name.len().min(24)].copy_from_slice(&name.as_bytes()[..name.len().min(24)]);
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, rng);
    let ran = Cell::new(0u64);
    let outcome = runner.run(&strategy, |value| {
        ran.set(ran.get() + 1);
        check(value);
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("fuzz {name}: {failure}");
    }
    println!("fuzz {name}: {} cases, 0 panics", ran.get());
}

/// Field names Graph items use, so that generated objects reach deep into validation.
const FIELD_NAMES: &[&str] = &[
    "id",
    "subject",
    "parentFolderId",
    "conversationId",
    "receivedDateTime",
    "sentDateTime",
    "isRead",
    "isDraft",
    "body",
    "contentType",
    "content",
    "bodyPreview",
    "from",
    "sender",
    "toRecipients",
    "ccRecipients",
    "emailAddress",
    "address",
    "name",
    "flag",
    "flagStatus",
    "categories",
    "importance",
    "start",
    "end",
    "dateTime",
    "timeZone",
    "displayName",
    "emailAddresses",
    "givenName",
    "surname",
    "@removed",
    "reason",
    "@odata.type",
    "@odata.deltaLink",
    "@odata.nextLink",
    "value",
    "sensitivity",
    "isAllDay",
    "location",
    "attendees",
    "type",
    "status",
    "response",
    "wellKnownName",
    "childFolderCount",
    "singleValueExtendedProperties",
    "@offlineMailbox.bodyWithheld",
];

fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9 .:@<>/=&;\"'-]{0,40}",
        Just("2024-05-01T10:00:00Z".to_owned()),
        Just("2024-06-03T09:00:00.0000000".to_owned()),
        Just("UTC".to_owned()),
        Just("deleted".to_owned()),
        Just("changed".to_owned()),
        Just("#microsoft.graph.eventMessage".to_owned()),
    ]
}

fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(FIELD_NAMES).prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        arb_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((arb_key(), inner), 0..8)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// An object with an id most of the time, as items and delta entries have.
fn arb_item() -> impl Strategy<Value = Value> {
    (arb_json(), prop::option::weighted(0.8, arb_text())).prop_map(|(value, id)| {
        let mut fields = match value {
            Value::Object(fields) => fields,
            other => Map::from_iter([("value".to_owned(), other)]),
        };
        if let Some(id) = id {
            fields.insert("id".to_owned(), Value::String(id));
        }
        Value::Object(fields)
    })
}

fn arb_kind() -> impl Strategy<Value = Kind> {
    proptest::sample::select(Kind::ALL.to_vec())
}

#[test]
fn graph_items_validate_or_name_the_field() {
    fuzz("graph items", (arb_kind(), arb_item()), |(kind, value)| {
        let Ok(item) = Item::validate(kind, 3, value) else {
            return;
        };
        let json: Value =
            serde_json::from_slice(&item.to_json_bytes()).expect("stored JSON is JSON");
        assert!(json.is_object());
        if kind == Kind::Message {
            let (summary, rest) = split_message_json(&item.fields);
            assert!(serde_json::from_slice::<Value>(&summary).is_ok());
            assert!(serde_json::from_slice::<Value>(&rest).is_ok());
            SearchDocument::of_message(&item.fields);
        }
    });
}

#[test]
fn delta_pages_parse_and_merge_or_name_the_entry() {
    let page = (
        prop::collection::vec(arb_item(), 0..8),
        prop::option::of(arb_json()),
        arb_json(),
    )
        .prop_map(|(entries, link, extra)| {
            let mut page = Map::new();
            page.insert("value".to_owned(), Value::Array(entries));
            if let Some(link) = link {
                page.insert("@odata.deltaLink".to_owned(), link);
            }
            page.insert("@odata.context".to_owned(), extra);
            Value::Object(page)
        });
    let input = (arb_kind(), prop_oneof![page, arb_json()], arb_item());
    fuzz("delta pages", input, |(kind, page, stored)| {
        let Ok(page) = DeltaPage::parse(page) else {
            return;
        };
        let Value::Object(mut stored) = stored else {
            return;
        };
        for change in page.changes {
            if let Change::Upsert { index, fields } = change {
                merge(&mut stored, fields);
                // A merged entry is validated like any item: a value or a typed error.
                let _ = Item::validate(kind, index, Value::Object(stored.clone()));
            }
        }
    });
}

#[test]
fn page_and_search_cursors_round_trip_and_refuse_anything_else() {
    let made = (any::<f64>(), prop::collection::vec(any::<u8>(), 0..40));
    let text = prop_oneof![any::<String>(), "[0-9a-fA-F.]{0,60}"];
    fuzz("cursors", (made, text), |((recency, key), text)| {
        let encoded = cursor::encode(recency, &key);
        match recency.is_finite() {
            true => assert_eq!(cursor::decode(&encoded), Some((recency, key.clone()))),
            false => assert_eq!(cursor::decode(&encoded), None),
        }
        if let Some((recency, _)) = cursor::decode(&text) {
            assert!(recency.is_finite());
        }
        if let Some(after) = After::from_cursor(&text) {
            assert!(after.received.unsigned_abs() <= 9_000_000_000_000_000);
        }
    });
}

#[test]
fn queries_and_text_parse_or_give_a_typed_error() {
    let words = proptest::sample::select(vec![
        "from:",
        "to:",
        "subject:",
        "is:read",
        "is:unread",
        "is:flagged",
        "has:attachment",
        "before:",
        "after:",
        "in:",
        "category:",
        "\"",
        "(",
        ")",
        "OR",
        "-",
        "*",
        "2024-05-01",
        "größe",
        "東京都",
        "Ǆ",
        "ﬁ",
        "\u{0301}",
        "@",
        " ",
    ]);
    let query = prop_oneof![
        any::<String>(),
        prop::collection::vec(
            prop_oneof![words.prop_map(str::to_owned), arb_text()],
            0..10
        )
        .prop_map(|parts| parts.concat()),
    ];
    fuzz("queries", query, |text| {
        let _ = Query::parse(&text);
        let normalized = normalize(&text);
        let _ = tokens(&normalized);
        let _ = html_to_text(&text);
    });
}

#[test]
fn envelopes_open_only_what_was_sealed() {
    let input = (
        prop::collection::vec(any::<u8>(), 0..200),
        prop::collection::vec(any::<u8>(), 0..300),
        any::<usize>(),
        any::<u8>(),
    );
    fuzz("envelopes", input, |(random, plaintext, at, flip)| {
        let key = [9u8; 32];
        let aad = Aad::at("messages", b"record");
        assert!(
            crypto::open(&key, aad, &random).is_err(),
            "random bytes never open"
        );
        let _ = crypto::parse(aad, &random);
        let _ = crypto::key_id(&random);
        let mut sealed = crypto::seal(&key, 1, aad, &plaintext).expect("sealing works");
        assert_eq!(crypto::open(&key, aad, &sealed).expect("opens"), plaintext);
        let at = at % sealed.len();
        sealed[at] ^= flip.max(1);
        assert!(
            crypto::open(&key, aad, &sealed).is_err(),
            "a changed byte never opens"
        );
    });
}

#[test]
fn stored_formats_decode_or_refuse() {
    fuzz(
        "stored formats",
        prop::collection::vec(any::<u8>(), 0..400),
        |bytes| {
            let _ = MailboxState::decode(&bytes);
            let _ = Outbox::decode(&bytes);
            let _ = Segment::decode(&bytes);
            let _ = DocTable::decode(&bytes);
            let _ = Manifest::decode(&bytes);
            let _ = KeyringContents::decode(&bytes);
            let _ = WrappedKeyring::from_bytes(bytes.clone());
            let _ = CacheEntry::decode(&bytes);
            let mut at = 0;
            let _ = decode_postings(&bytes, &mut at);
        },
    );
}

#[test]
fn channel_notices_and_epochs_decode_or_refuse() {
    let notice = (
        any::<u64>(),
        prop::collection::btree_set(arb_kind(), 0..4),
        prop::collection::btree_set(prop::collection::vec(any::<u8>(), 0..33), 0..4),
        prop::option::of(prop::collection::btree_set(any::<String>(), 0..4)),
    )
        .prop_map(|(version, kinds, folders, ids)| ChangeNotice {
            version,
            kinds,
            folders,
            ids,
        });
    fuzz("notices", (notice, any::<String>()), |(notice, text)| {
        assert_eq!(ChangeNotice::decode(&notice.encode()), Some(notice));
        let _ = ChangeNotice::decode(&text);
        let _ = Epoch::parse(&text);
    });
}
