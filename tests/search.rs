//! Search in a real browser: the query language over stored messages, answers
//! kept in step with every kind of write, paging, the scan reference, and the
//! index's records in IndexedDB.

#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use offline_mailbox::OfflineMailbox;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn message(id: &str, subject: &str, body: &str, day: u32, extra: &str) -> JsValue {
    json(&format!(
        r#"{{"id":"{id}","subject":"{subject}","parentFolderId":"inbox","isRead":true,
        "body":{{"contentType":"html","content":"<p>{body}</p>"}},
        "from":{{"emailAddress":{{"name":"Ada Lovelace","address":"ada@contoso.example"}}}},
        "receivedDateTime":"2024-05-{day:02}T10:00:00Z"{extra}}}"#
    ))
}

fn sample() -> JsValue {
    array([
        message(
            "m1",
            "Quarterly budget review",
            "The numbers for Q3 are attached.",
            1,
            r#","hasAttachments":true"#,
        ),
        message(
            "m2",
            "Lunch on Friday",
            "Shall we try the new Café near the budget office?",
            2,
            r#","isRead":false"#,
        ),
        message(
            "m3",
            "東京出張",
            "来週の東京都庁の会議",
            3,
            r#","flag":{"flagStatus":"flagged"}"#,
        ),
        message(
            "m4",
            "Re: budget",
            "Budgeting is hard; review attached",
            4,
            r#","parentFolderId":"archive""#,
        ),
    ])
}

async fn open_with(user: &str, messages: JsValue) -> OfflineMailbox {
    let mailbox = open(key_options(user, 7)).await;
    wait(mailbox.put_folders(array([
        json(r#"{"id":"inbox","displayName":"Inbox","wellKnownName":"inbox"}"#),
        json(r#"{"id":"archive","displayName":"Old Stuff"}"#),
    ])))
    .await;
    wait(mailbox.put_messages(messages)).await;
    mailbox
}

async fn ids(mailbox: &OfflineMailbox, query: &str, options: JsValue) -> Vec<String> {
    let page = wait(mailbox.search(query.into(), Some(options.into()))).await;
    let value = field(&page, "value");
    js_sys::Array::from(&value)
        .iter()
        .map(|m| field(&m, "id").as_string().unwrap())
        .collect()
}

async fn hits(mailbox: &OfflineMailbox, query: &str) -> Vec<String> {
    let indexed = ids(mailbox, query, json(r#"{"limit":1000}"#)).await;
    let scanned = ids(mailbox, query, json(r#"{"limit":1000,"scan":true}"#)).await;
    assert_eq!(indexed, scanned, "index and scan disagree on {query:?}");
    indexed
}

#[wasm_bindgen_test]
async fn the_query_language_over_stored_messages() {
    let mailbox = open_with("search-language", sample()).await;
    assert_eq!(hits(&mailbox, "budget").await, ["m4", "m2", "m1"]);
    assert_eq!(hits(&mailbox, "budg").await, ["m4", "m2", "m1"]);
    assert_eq!(hits(&mailbox, "budg ").await, Vec::<String>::new());
    assert_eq!(hits(&mailbox, "BUDGET review").await, ["m4", "m1"]);
    assert_eq!(hits(&mailbox, "\"budget review\"").await, ["m1"]);
    assert_eq!(hits(&mailbox, "cafe").await, ["m2"]);
    assert_eq!(hits(&mailbox, "subject:budget").await, ["m4", "m1"]);
    assert_eq!(hits(&mailbox, "from:ada is:unread").await, ["m2"]);
    assert_eq!(
        hits(&mailbox, "from:ada@contoso.example has:attachment").await,
        ["m1"]
    );
    assert_eq!(hits(&mailbox, "is:flagged").await, ["m3"]);
    assert_eq!(hits(&mailbox, "東京").await, ["m3"]);
    assert_eq!(hits(&mailbox, "都庁").await, ["m3"]);
    assert_eq!(
        hits(&mailbox, "after:2024-05-02 before:2024-05-04").await,
        ["m3", "m2"]
    );
    assert_eq!(hits(&mailbox, "folder:\"old stuff\" budget").await, ["m4"]);
    assert_eq!(hits(&mailbox, "folder:inbox budget").await, ["m2", "m1"]);
    assert_eq!(
        ids(&mailbox, "budget", json(r#"{"folderId":"archive"}"#)).await,
        ["m4"]
    );
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn malformed_queries_reject_with_invalid_input_naming_the_problem() {
    let mailbox = open_with("search-malformed", sample()).await;
    for (query, said) in [
        ("\"open", "not closed"),
        ("from:", "needs a value"),
        ("is:spam", "is:unread"),
        ("before:2024-02-30", "not a date"),
        ("folder:nowhere x", "no such folder"),
        ("  ", "nothing to search"),
    ] {
        let error = rejection(mailbox.search(query.into(), None)).await;
        assert_eq!(
            field(&error, "code").as_string().unwrap(),
            "InvalidInput",
            "{query}"
        );
        let message = field(&error, "message").as_string().unwrap();
        assert!(message.contains(said), "{query}: {message}");
    }
    let error = rejection(mailbox.search("x".into(), Some(json(r#"{"limit":0}"#).into()))).await;
    assert_eq!(field(&error, "code").as_string().unwrap(), "InvalidInput");
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn pages_hold_each_answer_once_in_order() {
    let many: Vec<JsValue> = (0..45)
        .map(|i| {
            message(
                &format!("p{i:02}"),
                "weekly report",
                "same words",
                (i % 28) + 1,
                "",
            )
        })
        .collect();
    let mailbox = open_with("search-paging", array(many)).await;
    let everything = ids(&mailbox, "report", json(r#"{"limit":1000}"#)).await;
    assert_eq!(everything.len(), 45);
    let mut paged = Vec::new();
    let mut cursor = JsValue::NULL;
    loop {
        let options = js_sys::Object::new();
        js_sys::Reflect::set(&options, &"limit".into(), &7.into()).unwrap();
        if !cursor.is_null() {
            js_sys::Reflect::set(&options, &"cursor".into(), &cursor).unwrap();
        }
        let page =
            wait(mailbox.search("report".into(), Some(JsValue::from(options.clone()).into())))
                .await;
        let value = js_sys::Array::from(&field(&page, "value"));
        paged.extend(value.iter().map(|m| field(&m, "id").as_string().unwrap()));
        cursor = field(&page, "nextCursor");
        if cursor.is_null() {
            break;
        }
        let scanned = wait(
            mailbox.search(
                "report".into(),
                Some(
                    {
                        js_sys::Reflect::set(&options, &"scan".into(), &true.into()).unwrap();
                        JsValue::from(options)
                    }
                    .into(),
                ),
            ),
        )
        .await;
        assert_eq!(
            stringify(&field(&scanned, "nextCursor")),
            stringify(&field(&page, "nextCursor"))
        );
    }
    assert_eq!(paged, everything);
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn answers_follow_every_kind_of_write() {
    let mailbox = open_with("search-writes", sample()).await;
    // A whole message replaced: its old words go, its new ones come.
    wait(mailbox.put_messages(array([message(
        "m1",
        "Annual forecast",
        "nothing else",
        1,
        "",
    )])))
    .await;
    assert_eq!(hits(&mailbox, "quarterly").await, Vec::<String>::new());
    assert_eq!(hits(&mailbox, "forecast").await, ["m1"]);
    // A delta page: a partial update of the subject, a read-state change, a removal.
    let page = json(
        r#"{"value":[
            {"id":"m2","subject":"Dinner on Friday"},
            {"id":"m3","isRead":false},
            {"id":"m4","@removed":{"reason":"deleted"}}
        ],"@odata.deltaLink":"https://example.invalid/delta?token=1"}"#,
    );
    wait(mailbox.apply_delta("messages".into(), "inbox".into(), page.clone())).await;
    assert_eq!(hits(&mailbox, "lunch").await, Vec::<String>::new());
    assert_eq!(hits(&mailbox, "dinner cafe").await, ["m2"]);
    assert_eq!(hits(&mailbox, "is:unread").await, ["m3", "m2"]);
    assert_eq!(hits(&mailbox, "budgeting").await, Vec::<String>::new());
    // Replaying the page changes no answer, and no record of the index.
    let before = hits(&mailbox, "friday").await;
    let index = |copy: JsValue| {
        ["searchDocs", "searchPostings"]
            .map(|store| stringify(&js_sys::Reflect::get(&copy, &store.into()).unwrap()))
    };
    let stored = index(wait(snapshot(&db_name("search-writes"))).await);
    wait(mailbox.apply_delta("messages".into(), "inbox".into(), page)).await;
    assert_eq!(hits(&mailbox, "friday").await, before);
    assert_eq!(
        index(wait(snapshot(&db_name("search-writes"))).await),
        stored
    );
    // Offline actions: read state, flag, move, delete.
    wait(mailbox.mark_read(array(["m3".into()]), true.into())).await;
    assert_eq!(hits(&mailbox, "is:unread").await, ["m2"]);
    wait(mailbox.set_categories(array(["m3".into()]), array(["Travel plans".into()]))).await;
    assert_eq!(hits(&mailbox, "travel 東京").await, ["m3"]);
    wait(mailbox.move_to(array(["m2".into()]), "archive".into())).await;
    assert_eq!(hits(&mailbox, "folder:archive").await, ["m2"]);
    wait(mailbox.delete(
        array(["m2".into()]),
        Some(json(r#"{"permanent":true}"#).into()),
    ))
    .await;
    assert_eq!(hits(&mailbox, "dinner").await, Vec::<String>::new());
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn many_writes_merge_segments_and_still_answer_exactly() {
    let mailbox = open(key_options("search-merges", 7)).await;
    // Sixty-six separate writes: the write log is split into the buckets eight
    // times, and the buckets every write touches merge their level-1 segments.
    for i in 0..60u32 {
        let words = format!("alpha{} common shared{}", i % 7, i % 3);
        wait(mailbox.put_messages(array([message(
            &format!("w{i:02}"),
            &words,
            "body text",
            (i % 28) + 1,
            "",
        )])))
        .await;
        if i % 10 == 9 {
            // Rewrites leave dead postings for merges to drop.
            wait(mailbox.put_messages(array([message(
                &format!("w{:02}", i - 5),
                "rewritten",
                "gone",
                1,
                "",
            )])))
            .await;
        }
    }
    let all = hits(&mailbox, "common").await;
    assert_eq!(all.len(), 54);
    assert_eq!(hits(&mailbox, "rewritten").await.len(), 6);
    assert_eq!(
        hits(&mailbox, "alpha3 shared0").await,
        hits(&mailbox, "shared0 alpha3").await
    );
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn reset_scope_and_quarantine_take_messages_out_of_the_index() {
    let mailbox = open_with("search-reset", sample()).await;
    let page = json(
        r#"{"value":[
            {"id":"d1","subject":"delta budget one","parentFolderId":"inbox","receivedDateTime":"2024-06-01T00:00:00Z"},
            {"id":"d2","subject":"delta budget two","parentFolderId":"inbox","receivedDateTime":"2024-06-02T00:00:00Z"}
        ],"@odata.deltaLink":"https://example.invalid/delta?token=1"}"#,
    );
    wait(mailbox.apply_delta("messages".into(), "inbox-scope".into(), page)).await;
    assert_eq!(hits(&mailbox, "delta").await, ["d2", "d1"]);
    wait(mailbox.reset_scope("messages".into(), "inbox-scope".into())).await;
    assert_eq!(hits(&mailbox, "delta").await, Vec::<String>::new());
    assert_eq!(hits(&mailbox, "budget").await, ["m4", "m2", "m1"]);

    // A summary altered on disk fails authentication when a search opens it: it
    // is quarantined, left out, and out of the index from then on.
    wait(tamper_first(&db_name("search-reset"), "messages")).await;
    let everything = ids(&mailbox, "from:ada", json(r#"{"limit":1000}"#)).await;
    let quarantined = js_sys::Array::from(&wait(mailbox.quarantine()).await);
    assert_eq!(quarantined.length(), 1);
    assert_eq!(everything.len(), 3);
    assert_eq!(
        ids(&mailbox, "from:ada", json(r#"{"limit":1000}"#)).await,
        everything
    );
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn an_index_altered_on_disk_is_dropped_and_rebuilt_never_believed() {
    let user = "search-tamper";
    let mailbox = open_with(user, sample()).await;
    assert_eq!(hits(&mailbox, "budget").await, ["m4", "m2", "m1"]);
    for store in ["searchDocs", "searchPostings"] {
        wait(tamper_first(&db_name(user), store)).await;
        // A new connection has no copy of the index in memory.
        mailbox.close();
        let mailbox = open(key_options(user, 7)).await;
        assert_eq!(
            hits(&mailbox, "budget").await,
            ["m4", "m2", "m1"],
            "after altering {store}"
        );
        assert_eq!(
            js_sys::Array::from(&wait(mailbox.quarantine()).await).length(),
            0
        );
        mailbox.close();
    }
    let mailbox = open(key_options(user, 7)).await;
    wait(clear_store(&db_name(user), "searchPostings")).await;
    wait(mailbox.put_messages(array([message("m5", "budget again", "x", 9, "")]))).await;
    assert_eq!(hits(&mailbox, "budget").await, ["m5", "m4", "m2", "m1"]);
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn an_older_copy_of_the_index_put_back_is_not_believed() {
    let user = "search-rollback";
    let mailbox = open_with(user, sample()).await;
    let old = wait(snapshot(&db_name(user))).await;
    wait(mailbox.put_messages(array([message("m5", "budget later", "x", 9, "")]))).await;
    wait(mailbox.delete(
        array(["m1".into()]),
        Some(json(r#"{"permanent":true}"#).into()),
    ))
    .await;
    mailbox.close();
    // The index's stores as they were before the two writes; the messages as they are.
    wait(restore_stores(
        &db_name(user),
        &old,
        &array(["searchDocs".into(), "searchPostings".into()]),
    ))
    .await;
    let mailbox = open(key_options(user, 7)).await;
    assert_eq!(hits(&mailbox, "budget").await, ["m5", "m4", "m2"]);
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn contacts_and_events_are_searched_by_words_and_phrases() {
    let mailbox = open_with("search-people", array([])).await;
    wait(mailbox.put_contacts(array([
        json(r#"{"id":"c1","displayName":"Zoë Quinn","companyName":"Contoso Ltd","businessPhones":["+1 555 0100"],
            "emailAddresses":[{"name":"Zoë","address":"zoe@contoso.example"}]}"#),
        json(r#"{"id":"c2","displayName":"Adele Vance","companyName":"Fabrikam","mobilePhone":"+44 20 7946 0018",
            "emailAddresses":[{"address":"adele@fabrikam.example"}]}"#),
    ])))
    .await;
    wait(mailbox.put_events(array([
        json(r#"{"id":"e1","subject":"Budget review","location":{"displayName":"Room 4"},
            "attendees":[{"emailAddress":{"name":"Zoë Quinn","address":"zoe@contoso.example"}}],
            "start":{"dateTime":"2024-06-03T09:00:00","timeZone":"UTC"},"end":{"dateTime":"2024-06-03T10:00:00","timeZone":"UTC"}}"#),
        json(r#"{"id":"e2","subject":"Lunch","location":{"displayName":"Café Bleu"},
            "start":{"dateTime":"2024-06-04T12:00:00","timeZone":"UTC"},"end":{"dateTime":"2024-06-04T13:00:00","timeZone":"UTC"}}"#),
    ])))
    .await;
    let contact_ids = |value: JsValue| -> Vec<String> {
        js_sys::Array::from(&value)
            .iter()
            .map(|c| field(&c, "id").as_string().unwrap())
            .collect()
    };
    assert_eq!(
        contact_ids(wait(mailbox.search_contacts("zoe contoso".into(), None)).await),
        ["c1"]
    );
    assert_eq!(
        contact_ids(wait(mailbox.search_contacts("7946".into(), None)).await),
        ["c2"]
    );
    assert_eq!(
        contact_ids(wait(mailbox.search_contacts("fabri".into(), None)).await),
        ["c2"]
    );
    let june = json(r#"{"start":"2024-06-01T00:00:00Z","end":"2024-07-01T00:00:00Z"}"#);
    assert_eq!(
        contact_ids(wait(mailbox.search_events("\"room 4\" zoe".into(), june.clone())).await),
        ["e1"]
    );
    assert_eq!(
        contact_ids(wait(mailbox.search_events("cafe".into(), june.clone())).await),
        ["e2"]
    );
    let error = rejection(mailbox.search_contacts("from:zoe".into(), None)).await;
    assert_eq!(field(&error, "code").as_string().unwrap(), "InvalidInput");
    let error = rejection(mailbox.search_events("is:unread".into(), june)).await;
    assert!(field(&error, "message")
        .as_string()
        .unwrap()
        .contains("words and"));
    wait(mailbox.wipe()).await;
}

fn ids_of(value: JsValue) -> Vec<String> {
    js_sys::Array::from(&value)
        .iter()
        .map(|item| field(&item, "id").as_string().unwrap())
        .collect()
}

async fn contact_hits(mailbox: &OfflineMailbox, query: &str) -> Vec<String> {
    ids_of(wait(mailbox.search_contacts(query.into(), None)).await)
}

async fn event_hits(mailbox: &OfflineMailbox, query: &str) -> Vec<String> {
    let june = json(r#"{"start":"2024-06-01T00:00:00Z","end":"2024-07-01T00:00:00Z"}"#);
    ids_of(wait(mailbox.search_events(query.into(), june)).await)
}

#[wasm_bindgen_test]
async fn contacts_and_events_are_in_the_index_and_kept_in_step() {
    let user = "search-people-index";
    let mailbox = open_with(user, sample()).await;
    let contacts = json(
        r#"{"value":[
            {"id":"c1","displayName":"Zoë Quinn","companyName":"Contoso Ltd","emailAddresses":[{"address":"zoe@contoso.example"}]},
            {"id":"c2","displayName":"Adele Vance","companyName":"Fabrikam","emailAddresses":[{"address":"adele@fabrikam.example"}]}
        ],"@odata.deltaLink":"https://example.invalid/delta?token=1"}"#,
    );
    let index = |copy: JsValue| {
        ["searchDocs", "searchPostings"]
            .map(|store| stringify(&js_sys::Reflect::get(&copy, &store.into()).unwrap()))
    };
    let messages_only = index(wait(snapshot(&db_name(user))).await);
    wait(mailbox.apply_delta("contacts".into(), "people".into(), contacts.clone())).await;
    let with_contacts = index(wait(snapshot(&db_name(user))).await);
    assert_ne!(
        with_contacts, messages_only,
        "a contact write writes the index"
    );
    let events = json(
        r#"{"value":[
            {"id":"e1","subject":"Budget review","location":{"displayName":"Room 4"},
             "start":{"dateTime":"2024-06-03T09:00:00","timeZone":"UTC"},"end":{"dateTime":"2024-06-03T10:00:00","timeZone":"UTC"}},
            {"id":"e2","subject":"Lunch with Fabrikam","location":{"displayName":"Café Bleu"},
             "start":{"dateTime":"2024-06-04T12:00:00","timeZone":"UTC"},"end":{"dateTime":"2024-06-04T13:00:00","timeZone":"UTC"}},
            {"id":"e3","subject":"Lunch in May","start":{"dateTime":"2024-05-04T12:00:00","timeZone":"UTC"},
             "end":{"dateTime":"2024-05-04T13:00:00","timeZone":"UTC"}}
        ],"@odata.deltaLink":"https://example.invalid/delta?token=2"}"#,
    );
    wait(mailbox.apply_delta("events".into(), "calendar".into(), events)).await;
    assert_eq!(contact_hits(&mailbox, "fabrikam").await, ["c2"]);
    assert_eq!(event_hits(&mailbox, "fabrikam").await, ["e2"]);
    assert_eq!(event_hits(&mailbox, "lunch").await, ["e2"], "e3 is in May");
    assert_eq!(event_hits(&mailbox, "budget").await, ["e1"]);
    // Each kind answers only with its own items: the messages' own words and
    // operators never bring back a contact or an event.
    assert_eq!(hits(&mailbox, "fabrikam").await, Vec::<String>::new());
    assert_eq!(hits(&mailbox, "lunch").await, ["m2"]);
    assert_eq!(hits(&mailbox, "budget").await, ["m4", "m2", "m1"]);
    assert_eq!(hits(&mailbox, "is:read").await, ["m4", "m3", "m1"]);
    assert_eq!(contact_hits(&mailbox, "budget").await, Vec::<String>::new());

    // Replaying a page changes no record of the index.
    let stored = index(wait(snapshot(&db_name(user))).await);
    wait(mailbox.apply_delta("contacts".into(), "people".into(), contacts)).await;
    assert_eq!(index(wait(snapshot(&db_name(user))).await), stored);

    // A partial update, a removal, and an event moved out of the range.
    let page = json(
        r#"{"value":[
            {"id":"c1","companyName":"Northwind"},
            {"id":"c2","@removed":{"reason":"deleted"}}
        ],"@odata.deltaLink":"https://example.invalid/delta?token=3"}"#,
    );
    wait(mailbox.apply_delta("contacts".into(), "people".into(), page)).await;
    assert_eq!(
        contact_hits(&mailbox, "contoso ltd").await,
        Vec::<String>::new()
    );
    assert_eq!(contact_hits(&mailbox, "northwind zoe").await, ["c1"]);
    assert_eq!(
        contact_hits(&mailbox, "fabrikam").await,
        Vec::<String>::new()
    );
    wait(mailbox.put_events(array([json(
        r#"{"id":"e2","subject":"Lunch with Fabrikam","start":{"dateTime":"2024-08-04T12:00:00","timeZone":"UTC"},
            "end":{"dateTime":"2024-08-04T13:00:00","timeZone":"UTC"}}"#,
    )])))
    .await;
    assert_eq!(event_hits(&mailbox, "lunch").await, Vec::<String>::new());

    // Built again from the stores (here after the index's records are lost), it
    // holds the contacts and events as they are now.
    for store in ["searchDocs", "searchPostings"] {
        wait(clear_store(&db_name(user), store)).await;
    }
    mailbox.close();
    let mailbox = open(key_options(user, 7)).await;
    assert_eq!(contact_hits(&mailbox, "northwind").await, ["c1"]);
    assert_eq!(event_hits(&mailbox, "budget room").await, ["e1"]);
    assert_eq!(hits(&mailbox, "budget").await, ["m4", "m2", "m1"]);

    // A contact altered on disk is quarantined when a search opens it, and
    // leaves the index.
    wait(tamper_first(&db_name(user), "contacts")).await;
    assert_eq!(contact_hits(&mailbox, "zoe").await, Vec::<String>::new());
    assert_eq!(
        js_sys::Array::from(&wait(mailbox.quarantine()).await).length(),
        1
    );
    assert_eq!(contact_hits(&mailbox, "zoe").await, Vec::<String>::new());

    // A reset scope takes its items out of the index.
    wait(mailbox.reset_scope("events".into(), "calendar".into())).await;
    assert_eq!(event_hits(&mailbox, "budget").await, Vec::<String>::new());
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn two_tabs_writing_and_searching_stay_exact() {
    let user = "search-tabs";
    let a = open_with(user, sample()).await;
    let b = open(key_options(user, 7)).await;
    assert_eq!(hits(&b, "budget").await, ["m4", "m2", "m1"]);
    // Tab A writes enough to merge segments tab B has cached, and removes one.
    for i in 0..12u32 {
        wait(a.put_messages(array([message(
            &format!("t{i:02}"),
            "budget tab",
            "words",
            (i % 28) + 1,
            "",
        )])))
        .await;
    }
    wait(a.delete(
        array(["m1".into()]),
        Some(json(r#"{"permanent":true}"#).into()),
    ))
    .await;
    let both = hits(&b, "budget").await;
    assert_eq!(both.len(), 14);
    assert!(!both.contains(&"m1".to_owned()));
    assert_eq!(hits(&a, "budget").await, both);
    // Tab A drops and rebuilds the index (a page altered on disk): the new index
    // numbers its segments from zero again, and tab B's cached ones must not answer.
    wait(tamper_first(&db_name(user), "searchDocs")).await;
    a.close();
    let a = open(key_options(user, 7)).await;
    wait(a.put_messages(array([message("fresh", "budget renewed", "x", 27, "")]))).await;
    assert_eq!(hits(&a, "budget").await.len(), 15);
    assert_eq!(hits(&b, "budget").await, hits(&a, "budget").await);
    assert_eq!(js_sys::Array::from(&wait(b.quarantine()).await).length(), 0);
    a.close();
    wait(b.wipe()).await;
}

#[wasm_bindgen_test]
async fn a_damaged_index_never_stops_the_mailbox_from_opening() {
    let user = "search-open";
    let mailbox = open_with(user, sample()).await;
    wait(tamper_first(&db_name(user), "searchDocs")).await;
    mailbox.close();
    // The next write drops the damaged index; then its segments vanish too.
    let mailbox = open(key_options(user, 7)).await;
    wait(mailbox.put_messages(array([message("m5", "budget again", "x", 9, "")]))).await;
    mailbox.close();
    wait(clear_store(&db_name(user), "searchPostings")).await;
    let mailbox = open(key_options(user, 7)).await;
    assert_eq!(hits(&mailbox, "budget").await, ["m5", "m4", "m2", "m1"]);
    wait(mailbox.wipe()).await;
}

#[wasm_bindgen_test]
async fn a_discarded_category_leaves_the_index_and_odd_cursors_are_refused() {
    let mailbox = open_with("search-discard", sample()).await;
    wait(mailbox.set_categories(array(["m2".into()]), array(["Zeppelin".into()]))).await;
    assert_eq!(hits(&mailbox, "zeppelin").await, ["m2"]);
    let pending = js_sys::Array::from(&wait(mailbox.pending_actions()).await);
    let seq = field(&pending.get(pending.length() - 1), "seq");
    wait(mailbox.discard_action(seq)).await;
    // Whatever the undo left in the offline copy, the index agrees with a scan.
    let back = stringify(&wait(mailbox.get_message("m2".into())).await);
    let found = hits(&mailbox, "zeppelin").await;
    assert_eq!(found.is_empty(), !back.contains("Zeppelin"), "{back}");
    let huge = format!("{}.{}", hex_bits(-1e300), "00".repeat(16));
    let options = json(&format!(r#"{{"cursor":"{huge}"}}"#));
    let error = rejection(mailbox.search("budget".into(), Some(options.into()))).await;
    assert_eq!(field(&error, "code").as_string().unwrap(), "InvalidInput");
    wait(mailbox.wipe()).await;
}

fn hex_bits(value: f64) -> String {
    value
        .to_bits()
        .to_be_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Hash flooding: words that collide under known hash keys could be computed
/// once and mailed to everyone, making every write that indexes them quadratic.
/// In this browser build the standard hasher has no random source (its keys
/// follow a fixed sequence), so each write's term map must hash with keys drawn
/// from the browser's random source: with `crypto.getRandomValues` made to
/// return a known pattern, a new map hashes exactly as that pattern's keys do.
#[wasm_bindgen_test]
fn term_maps_hash_with_keys_from_the_random_source() {
    use offline_mailbox::search::segment::TermHasher;
    use std::hash::BuildHasher;
    use wasm_bindgen::JsCast;
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).unwrap();
    let pattern = js_sys::Function::new_with_args("array", "array.fill(0x5a); return array;");
    js_sys::Reflect::set(&crypto, &"getRandomValues".into(), &pattern).unwrap();
    let patterned = TermHasher::default();
    // The own property shadowed the real method: removing it restores it.
    js_sys::Reflect::delete_property(
        crypto.unchecked_ref::<js_sys::Object>(),
        &"getRandomValues".into(),
    )
    .unwrap();
    let (one, other) = (TermHasher::default(), TermHasher::default());
    let known = TermHasher::from_seed([0x5a; 32]);
    for word in ["budget", "zeppelin", "a", ""] {
        assert_eq!(patterned.hash_one(word), known.hash_one(word), "{word:?}");
        assert_ne!(one.hash_one(word), other.hash_one(word), "{word:?}");
        assert_ne!(one.hash_one(word), known.hash_one(word), "{word:?}");
    }
}
