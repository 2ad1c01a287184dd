//! Hostile input through the JavaScript surface, called the way a web page calls
//! it: huge, sparse and exotic values (Proxies, throwing getters and `toJSON`,
//! BigInts, cycles, Symbols, 100,000-deep objects, Date and Uint8Array
//! impostors) given to every method that takes input. Each call must settle, as
//! a rejection with `code: "InvalidInput"` naming the argument, or resolve where
//! the input is acceptable; never throw synchronously, trap the module or hang.
//! Afterwards the same mailbox must still store and read.

#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use offline_mailbox::OfflineMailbox;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/common/exotic.js")]
extern "C" {
    /// A fresh exotic value by name (see exotic.js).
    fn exotic(name: &str) -> JsValue;
    /// `new Array(length)`.
    fn holes(length: u32) -> JsValue;
    /// A copy of `base` whose property `name` is a getter that throws.
    #[wasm_bindgen(js_name = throwingGetter)]
    fn throwing_getter(base: &JsValue, name: &str) -> JsValue;
    /// Calls `target[method](...args)`; resolves to `{ outcome, code, field, index, message, value }`.
    fn settle(target: &JsValue, method: &str, args: &Array, timeout_ms: u32) -> Promise;
}

/// How long a call may take before it counts as hung; real calls take milliseconds.
const SETTLE_MS: u32 = 10_000;

/// What a call must do.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Reject with `InvalidInput` naming this field, and this index for a batch item.
    Invalid(&'static str, Option<u32>),
    /// Resolve: the input is acceptable.
    Resolves,
    /// Throw `InvalidInput` naming this field, synchronously (synchronous methods only).
    Throws(&'static str),
}

use Expect::*;

/// One call: `target[method](...args)` and what it must do.
struct Case {
    label: &'static str,
    method: &'static str,
    args: Vec<JsValue>,
    expect: Expect,
}

fn case(label: &'static str, method: &'static str, args: Vec<JsValue>, expect: Expect) -> Case {
    Case {
        label,
        method,
        args,
        expect,
    }
}

/// `{ name: value, ... }`.
fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (name, value) in pairs {
        Reflect::set(&object, &JsValue::from_str(name), value).unwrap();
    }
    object.into()
}

/// `base` with one more property.
fn with(base: &JsValue, name: &str, value: JsValue) -> JsValue {
    Reflect::set(base, &JsValue::from_str(name), &value).unwrap();
    base.clone()
}

/// Calls `target[method](...args)` as a page would and reports how it ended.
async fn outcome(target: &JsValue, method: &str, args: Vec<JsValue>) -> JsValue {
    let args: Array = args.into_iter().collect();
    wait(settle(target, method, &args, SETTLE_MS)).await
}

fn describe(outcome: &JsValue) -> String {
    let text = |name| {
        let value = field(outcome, name);
        value
            .as_string()
            .or_else(|| value.as_f64().map(|n| n.to_string()))
            .unwrap_or_else(|| format!("{value:?}"))
    };
    format!(
        "{} code={} field={} index={} message={}",
        text("outcome"),
        text("code"),
        text("field"),
        text("index"),
        text("message")
    )
}

fn meets(outcome: &JsValue, expect: Expect) -> bool {
    let invalid = |field_name: &str| {
        field(outcome, "code") == "InvalidInput" && field(outcome, "field") == field_name
    };
    match expect {
        Resolves => field(outcome, "outcome") == "resolved",
        Throws(name) => field(outcome, "outcome") == "threw" && invalid(name),
        Invalid(name, index) => {
            let index_matches = match index {
                Some(i) => field(outcome, "index") == i,
                None => field(outcome, "index").is_null(),
            };
            field(outcome, "outcome") == "rejected" && invalid(name) && index_matches
        }
    }
}

/// Runs every case against `target`, then fails listing every call that misbehaved.
async fn check(target: &JsValue, cases: Vec<Case>) {
    let mut failures = Vec::new();
    for case in cases {
        let result = outcome(target, case.method, case.args).await;
        if !meets(&result, case.expect) {
            failures.push(format!(
                "{}({}): expected {:?}, got {}",
                case.method,
                case.label,
                case.expect,
                describe(&result)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} calls misbehaved:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A fresh mailbox for `user`, with offline on, as the JavaScript object a page holds.
async fn page_mailbox(user: &str) -> JsValue {
    wait(OfflineMailbox::wipe_user(user.into())).await;
    let mailbox = wait(OfflineMailbox::open(key_options(user, 5))).await;
    assert!(meets(
        &outcome(&mailbox, "enableOffline", vec![]).await,
        Resolves
    ));
    mailbox
}

/// The mailbox's class, for its static methods (`open`, `wipeUser`, `databaseName`).
fn class_of(mailbox: &JsValue) -> JsValue {
    field(mailbox, "constructor")
}

/// The same mailbox still stores and reads, so the module did not trap; then wipes it.
async fn still_works(mailbox: &JsValue) {
    let item = json(r#"{"id":"after","subject":"still here","parentFolderId":"inbox"}"#);
    let put = outcome(mailbox, "putMessages", vec![array([item])]).await;
    assert!(meets(&put, Resolves), "{}", describe(&put));
    let got = outcome(mailbox, "getMessage", vec!["after".into()]).await;
    assert!(meets(&got, Resolves), "{}", describe(&got));
    assert_eq!(field(&field(&got, "value"), "subject"), "still here");
    assert!(meets(&outcome(mailbox, "wipe", vec![]).await, Resolves));
}

/// The values every string parameter must refuse.
fn not_strings() -> Vec<(&'static str, JsValue)> {
    vec![
        ("Symbol", exotic("symbol")),
        ("throwing toString", exotic("throwingToString")),
        ("number", JsValue::from(5)),
        ("object", Object::new().into()),
        ("undefined", JsValue::UNDEFINED),
        ("a string of 100,000 characters", exotic("longId")),
    ]
}

fn bigint() -> JsValue {
    js_sys::BigInt::from(10u32).into()
}

fn key() -> JsValue {
    Uint8Array::from(&[5u8; 32][..]).into()
}

#[wasm_bindgen_test]
async fn huge_sparse_and_unreadable_batches_reject_as_invalid_input() {
    let mailbox = page_mailbox("input-batches").await;
    let mut cases = Vec::new();
    for method in ["putMessages", "putFolders", "putContacts", "putEvents"] {
        let batch = |label, value: JsValue, expect| case(label, method, vec![value], expect);
        cases.extend([
            batch("new Array(2**32-1)", exotic("huge"), Invalid("items", None)),
            batch("10,001 holes", holes(10_001), Invalid("items", None)),
            // 10,000 passes the cap and fails on its first hole.
            batch("10,000 holes", holes(10_000), Invalid("(item)", Some(0))),
            batch("new Array(3)", exotic("sparse"), Invalid("(item)", Some(0))),
            batch(
                "one item of 17M characters",
                exotic("oversizedItem"),
                Invalid("(item)", Some(0)),
            ),
            batch(
                "four items of nested objects, each under the character limit",
                exotic("nestedBomb"),
                Invalid("(item)", Some(0)),
            ),
            batch(
                "[, {id}]",
                exotic("leadingHole"),
                Invalid("(item)", Some(0)),
            ),
            batch(
                "element 1 getter throws",
                exotic("throwingElement"),
                Invalid("(item)", Some(1)),
            ),
            batch(
                "Proxy whose length throws",
                exotic("throwingLength"),
                Invalid("items", None),
            ),
            batch(
                "Proxy whose every trap throws",
                exotic("throwingArray"),
                Invalid("items", None),
            ),
            batch(
                "revoked Proxy",
                exotic("revokedArray"),
                Invalid("items", None),
            ),
            batch("Symbol", exotic("symbol"), Invalid("items", None)),
            batch(
                "[toJSON throws]",
                array([exotic("throwingToJSON")]),
                Invalid("(item)", Some(0)),
            ),
            batch(
                "[BigInt field]",
                array([exotic("bigint")]),
                Invalid("(item)", Some(0)),
            ),
            batch(
                "[cyclic]",
                array([exotic("cyclic")]),
                Invalid("(item)", Some(0)),
            ),
            batch(
                "[Symbol]",
                array([exotic("symbol")]),
                Invalid("(item)", Some(0)),
            ),
            batch(
                "[100,000 deep]",
                array([exotic("deep")]),
                Invalid("(item)", Some(0)),
            ),
        ]);
    }
    cases.push(case(
        "Proxy that reports its length once, then 2**32-1",
        "putMessages",
        vec![exotic("lyingLength")],
        Resolves,
    ));
    check(&mailbox, cases).await;
    let capped = outcome(&mailbox, "putMessages", vec![exotic("huge")]).await;
    let message = field(&capped, "message").as_string().unwrap();
    assert!(message.contains("at most 10000"), "{message}");
    still_works(&mailbox).await;
}

#[wasm_bindgen_test]
async fn delta_pages_are_capped_before_serialising_and_read_without_trapping() {
    let mailbox = page_mailbox("input-delta").await;
    let page = |value: JsValue| object(&[("value", value)]);
    let empty = || page(Array::new().into());
    let delta = |label, value: JsValue, expect| {
        case(
            label,
            "applyDelta",
            vec!["messages".into(), "inbox".into(), page(value)],
            expect,
        )
    };
    let mut cases = vec![
        delta(
            "value: new Array(2**32-1)",
            exotic("huge"),
            Invalid("value", None),
        ),
        delta("value: 10,001 holes", holes(10_001), Invalid("value", None)),
        delta(
            "value: Proxy whose length throws",
            exotic("throwingLength"),
            Invalid("value", None),
        ),
        delta(
            "value: revoked Proxy",
            exotic("revokedArray"),
            Invalid("value", None),
        ),
        delta(
            "value: new Array(3)",
            exotic("sparse"),
            Invalid("(item)", Some(0)),
        ),
        delta(
            "value: [, {id}]",
            exotic("leadingHole"),
            Invalid("(item)", Some(0)),
        ),
        delta(
            "value: element 1 getter throws",
            exotic("throwingElement"),
            Invalid("(item)", Some(1)),
        ),
        delta(
            "value: [toJSON throws]",
            array([exotic("throwingToJSON")]),
            Invalid("(item)", Some(0)),
        ),
        delta(
            "value: [BigInt field]",
            array([exotic("bigint")]),
            Invalid("(item)", Some(0)),
        ),
        delta(
            "value: [cyclic]",
            array([exotic("cyclic")]),
            Invalid("(item)", Some(0)),
        ),
        delta(
            "value: [100,000 deep]",
            array([exotic("deep")]),
            Invalid("(item)", Some(0)),
        ),
    ];
    let whole_page = |label, page: JsValue, expect| {
        case(
            label,
            "applyDelta",
            vec!["messages".into(), "inbox".into(), page],
            expect,
        )
    };
    cases.extend([
        whole_page("page: Symbol", exotic("symbol"), Invalid("page", None)),
        whole_page(
            "page: Proxy whose every trap throws",
            exotic("throwingObject"),
            Invalid("value", None),
        ),
        whole_page(
            "page: revoked Proxy",
            exotic("revokedObject"),
            Invalid("value", None),
        ),
        whole_page(
            "page: value getter throws",
            throwing_getter(&Object::new(), "value"),
            Invalid("value", None),
        ),
        whole_page(
            "page: deltaLink getter throws",
            throwing_getter(&empty(), "@odata.deltaLink"),
            Invalid("@odata.deltaLink", None),
        ),
        whole_page(
            "page: deltaLink BigInt",
            with(&empty(), "@odata.deltaLink", bigint()),
            Invalid("@odata.deltaLink", None),
        ),
        // Only `value` and `@odata.deltaLink` are read: the rest may be anything.
        whole_page(
            "page: cyclic and 100,000 deep around a valid value",
            with(
                &with(
                    &page(array([json(
                        r#"{"id":"d1","parentFolderId":"inbox","receivedDateTime":"2024-05-01T00:00:00Z"}"#,
                    )])),
                    "self",
                    exotic("cyclic"),
                ),
                "@odata.context",
                exotic("deep"),
            ),
            Resolves,
        ),
    ]);
    for (label, bad) in not_strings() {
        cases.push(case(
            label,
            "applyDelta",
            vec![bad.clone(), "inbox".into(), empty()],
            Invalid("kind", None),
        ));
        cases.push(case(
            label,
            "applyDelta",
            vec!["messages".into(), bad, empty()],
            Invalid("scope", None),
        ));
    }
    check(&mailbox, cases).await;
    still_works(&mailbox).await;
}

#[wasm_bindgen_test]
async fn non_string_ids_scopes_and_emails_reject_instead_of_throwing() {
    let mailbox = page_mailbox("input-strings").await;
    let class = class_of(&mailbox);
    let mut cases = Vec::new();
    let mut static_cases = Vec::new();
    for (label, bad) in not_strings() {
        for method in ["getMessage", "getFolder", "getContact", "getEvent"] {
            cases.push(case(label, method, vec![bad.clone()], Invalid("id", None)));
        }
        for method in ["deltaLink", "resetScope"] {
            cases.push(case(
                label,
                method,
                vec![bad.clone(), "inbox".into()],
                Invalid("kind", None),
            ));
            cases.push(case(
                label,
                method,
                vec!["messages".into(), bad.clone()],
                Invalid("scope", None),
            ));
        }
        let one = |method, field| case(label, method, vec![bad.clone()], Invalid(field, None));
        cases.extend([
            one("listMessages", "folderId"),
            one("conversation", "conversationId"),
            one("contactByEmail", "email"),
            one("senderPhoto", "email"),
            one("contactCard", "email"),
        ]);
        static_cases.push(case(
            label,
            "wipeUser",
            vec![bad.clone()],
            Invalid("userId", None),
        ));
        // The one synchronous method throws a typed error instead.
        static_cases.push(case(
            label,
            "databaseName",
            vec![bad.clone()],
            Throws("userId"),
        ));
    }
    // enableOffline's options are key options: anything but an object is refused.
    cases.push(case(
        "Symbol and a huge array",
        "enableOffline",
        vec![exotic("symbol"), exotic("huge")],
        Invalid("key", None),
    ));
    cases.push(case(
        "throwing Proxy",
        "enableOffline",
        vec![exotic("throwingObject")],
        Invalid("key", None),
    ));
    check(&mailbox, cases).await;
    check(&class, static_cases).await;
    let name = outcome(&class, "databaseName", vec!["someone".into()]).await;
    assert_eq!(field(&name, "outcome"), "returned");
    assert_eq!(field(&name, "value"), db_name("someone").as_str());
    still_works(&mailbox).await;
}

#[wasm_bindgen_test]
async fn options_with_throwing_getters_or_proxies_reject_as_invalid_input() {
    let mailbox = page_mailbox("input-options").await;
    let getter = |name| throwing_getter(&Object::new(), name);
    let options =
        |label, method, options: JsValue, expect| case(label, method, vec![options], expect);
    let listing = |label, options: JsValue, expect| {
        case(label, "listMessages", vec!["inbox".into(), options], expect)
    };
    let photo = |label, options: JsValue| {
        case(
            label,
            "senderPhoto",
            vec!["a@contoso.example".into(), options],
            Invalid("size", None),
        )
    };
    let cases = vec![
        listing(
            "every trap throws",
            exotic("throwingObject"),
            Invalid("limit", None),
        ),
        listing(
            "revoked Proxy",
            exotic("revokedObject"),
            Invalid("limit", None),
        ),
        listing(
            "limit getter throws",
            getter("limit"),
            Invalid("limit", None),
        ),
        listing(
            "cursor getter throws",
            getter("cursor"),
            Invalid("cursor", None),
        ),
        listing(
            "cursor Symbol",
            object(&[("cursor", exotic("symbol"))]),
            Invalid("cursor", None),
        ),
        listing(
            "limit BigInt",
            object(&[("limit", bigint())]),
            Invalid("limit", None),
        ),
        listing(
            "limit throwing valueOf",
            object(&[("limit", exotic("throwingToString"))]),
            Invalid("limit", None),
        ),
        listing("options Symbol", exotic("symbol"), Invalid("limit", None)),
        listing("100,000 deep", exotic("deep"), Resolves),
        listing("cyclic", exotic("cyclic"), Resolves),
        options(
            "every trap throws",
            "contacts",
            exotic("throwingObject"),
            Invalid("prefix", None),
        ),
        options(
            "prefix getter throws",
            "contacts",
            getter("prefix"),
            Invalid("prefix", None),
        ),
        options(
            "limit getter throws",
            "contacts",
            getter("limit"),
            Invalid("limit", None),
        ),
        options(
            "prefix Symbol",
            "contacts",
            object(&[("prefix", exotic("symbol"))]),
            Invalid("prefix", None),
        ),
        photo("every trap throws", exotic("throwingObject")),
        photo("size getter throws", getter("size")),
        photo("size Symbol", object(&[("size", exotic("symbol"))])),
        options(
            "every trap throws",
            "applyPolicy",
            exotic("throwingObject"),
            Invalid("policy.allowOfflineOn", None),
        ),
        options(
            "revoked Proxy",
            "applyPolicy",
            exotic("revokedObject"),
            Invalid("policy.allowOfflineOn", None),
        ),
        options(
            "displayPhotosEnabled getter throws",
            "applyPolicy",
            getter("displayPhotosEnabled"),
            Invalid("policy.displayPhotosEnabled", None),
        ),
        options(
            "contactCardEnabled getter throws",
            "applyPolicy",
            getter("contactCardEnabled"),
            Invalid("policy.contactCardEnabled", None),
        ),
        options(
            "allowOfflineOn throwing toString",
            "applyPolicy",
            object(&[("allowOfflineOn", exotic("throwingToString"))]),
            Invalid("policy.allowOfflineOn", None),
        ),
        options(
            "Symbol",
            "applyPolicy",
            exotic("symbol"),
            Invalid("policy", None),
        ),
        // signOut must refuse these before it signs out: the mailbox is used afterwards.
        options(
            "every trap throws",
            "signOut",
            exotic("throwingObject"),
            Invalid("keepOfflineData", None),
        ),
        options(
            "keepOfflineData getter throws",
            "signOut",
            getter("keepOfflineData"),
            Invalid("keepOfflineData", None),
        ),
        options(
            "keepOfflineData Symbol",
            "signOut",
            object(&[("keepOfflineData", exotic("symbol"))]),
            Invalid("keepOfflineData", None),
        ),
        options(
            "Symbol",
            "signOut",
            exotic("symbol"),
            Invalid("keepOfflineData", None),
        ),
    ];
    check(&mailbox, cases).await;
    still_works(&mailbox).await;
}

#[wasm_bindgen_test]
async fn date_proxies_subclasses_and_throwing_ranges_do_not_trap() {
    let mailbox = page_mailbox("input-dates").await;
    let range = |start: JsValue, end: JsValue| object(&[("start", start), ("end", end)]);
    let monday = || JsValue::from("2024-06-03T00:00:00Z");
    let events = |label, range: JsValue, expect| case(label, "events", vec![range], expect);
    let cases = vec![
        events(
            "every trap throws",
            exotic("throwingObject"),
            Invalid("start", None),
        ),
        events(
            "revoked Proxy",
            exotic("revokedObject"),
            Invalid("start", None),
        ),
        events(
            "start getter throws",
            throwing_getter(&Object::new(), "start"),
            Invalid("start", None),
        ),
        events(
            "end getter throws",
            throwing_getter(&object(&[("start", monday())]), "end"),
            Invalid("end", None),
        ),
        events(
            "start: Proxy around a Date",
            range(exotic("dateProxy"), monday()),
            Invalid("start", None),
        ),
        events(
            "end: Proxy around a Date",
            range(monday(), exotic("dateProxy")),
            Invalid("end", None),
        ),
        events(
            "start: Symbol",
            range(exotic("symbol"), monday()),
            Invalid("start", None),
        ),
        events(
            "start: BigInt",
            range(bigint(), monday()),
            Invalid("start", None),
        ),
        events(
            "start: throwing toString",
            range(exotic("throwingToString"), monday()),
            Invalid("start", None),
        ),
        events(
            "start: Uint8Array impostor",
            range(exotic("keyImpostor"), monday()),
            Invalid("start", None),
        ),
        // Ranges IndexedDB refuses as key ranges are the caller's mistake, not a storage failure.
        events(
            "end before start",
            range("2024-06-10T00:00:00Z".into(), monday()),
            Invalid("end", None),
        ),
        events("end equal to start", range(monday(), monday()), Resolves),
        // A real Date whose own getTime throws still has a time value: acceptable.
        events(
            "start: Date subclass",
            range(exotic("dateSubclass"), "2024-06-10T00:00:00Z".into()),
            Resolves,
        ),
        events(
            "end: Date subclass",
            range("2024-06-01T00:00:00Z".into(), exotic("dateSubclass")),
            Resolves,
        ),
    ];
    check(&mailbox, cases).await;
    still_works(&mailbox).await;
}

#[wasm_bindgen_test]
async fn bad_keys_and_iteration_counts_reject_at_open_and_change_key() {
    let mailbox = page_mailbox("input-keys").await;
    let class = class_of(&mailbox);
    let user = "input-open-probe";
    let keyed = |name: &str, value: JsValue| with(&key_options(user, 5), name, value);
    let passphrase = |iterations: JsValue| {
        object(&[
            ("userId", user.into()),
            ("passphrase", "a passphrase".into()),
            ("passphraseIterations", iterations),
        ])
    };
    let directory = |domains: JsValue| {
        with(
            &keyed("orgServer", "https://mail.contoso.com".into()),
            "orgDomains",
            domains,
        )
    };
    let open = |label, options: JsValue, expect| case(label, "open", vec![options], expect);
    let bad_key = |value: JsValue| object(&[("userId", user.into()), ("key", value)]);
    let open_cases = vec![
        open(
            "every trap throws",
            exotic("throwingObject"),
            Invalid("userId", None),
        ),
        open(
            "revoked Proxy",
            exotic("revokedObject"),
            Invalid("userId", None),
        ),
        open("Symbol", exotic("symbol"), Invalid("userId", None)),
        open(
            "userId getter throws",
            throwing_getter(&object(&[("key", key())]), "userId"),
            Invalid("userId", None),
        ),
        open(
            "userId Symbol",
            object(&[("userId", exotic("symbol")), ("key", key())]),
            Invalid("userId", None),
        ),
        open(
            "key: Proxy around a Uint8Array",
            bad_key(exotic("keyProxy")),
            Invalid("key", None),
        ),
        open(
            "key: Uint8Array subclass, length getter throws",
            bad_key(exotic("keySubclass")),
            Invalid("key", None),
        ),
        open(
            "key: Uint8Array impostor with an endless iterator",
            bad_key(exotic("keyImpostor")),
            Invalid("key", None),
        ),
        open(
            "key: revoked Proxy",
            bad_key(exotic("revokedObject")),
            Invalid("key", None),
        ),
        open(
            "key getter throws",
            throwing_getter(&object(&[("userId", user.into())]), "key"),
            Invalid("key", None),
        ),
        open(
            "passphrase Symbol",
            object(&[("userId", user.into()), ("passphrase", exotic("symbol"))]),
            Invalid("passphrase", None),
        ),
        open(
            "999 iterations",
            passphrase(999.into()),
            Invalid("passphraseIterations", None),
        ),
        open(
            "10,000,001 iterations",
            passphrase(10_000_001.into()),
            Invalid("passphraseIterations", None),
        ),
        open(
            "passphraseIterations getter throws",
            throwing_getter(&passphrase(1000.into()), "passphraseIterations"),
            Invalid("passphraseIterations", None),
        ),
        open(
            "policy: every trap throws",
            keyed("policy", exotic("throwingObject")),
            Invalid("policy.allowOfflineOn", None),
        ),
        open(
            "policy: contactCardEnabled getter throws",
            keyed(
                "policy",
                throwing_getter(&Object::new(), "contactCardEnabled"),
            ),
            Invalid("policy.contactCardEnabled", None),
        ),
        open(
            "computer getter throws",
            throwing_getter(&key_options(user, 5), "computer"),
            Invalid("computer", None),
        ),
        open(
            "orgServer throwing toString",
            keyed("orgServer", exotic("throwingToString")),
            Invalid("orgServer", None),
        ),
        open(
            "orgDomains: new Array(2**32-1)",
            directory(exotic("huge")),
            Invalid("orgDomains", None),
        ),
        open(
            "orgDomains: Proxy whose length throws",
            directory(exotic("throwingLength")),
            Invalid("orgDomains", None),
        ),
        open(
            "orgDomains: revoked Proxy",
            directory(exotic("revokedArray")),
            Invalid("orgDomains", None),
        ),
        open(
            "orgDomains: element 1 getter throws",
            directory(with(&exotic("throwingElement"), "0", "contoso.com".into())),
            Invalid("orgDomains", Some(1)),
        ),
    ];
    let change = |label, options: JsValue, expect| case(label, "changeKey", vec![options], expect);
    let new_passphrase = |iterations: JsValue| {
        object(&[
            ("passphrase", "a new passphrase".into()),
            ("passphraseIterations", iterations),
        ])
    };
    let change_cases = vec![
        change(
            "every trap throws",
            exotic("throwingObject"),
            Invalid("key", None),
        ),
        change(
            "revoked Proxy",
            exotic("revokedObject"),
            Invalid("key", None),
        ),
        change("Symbol", exotic("symbol"), Invalid("options", None)),
        change(
            "key: Proxy around a Uint8Array",
            object(&[("key", exotic("keyProxy"))]),
            Invalid("key", None),
        ),
        change(
            "key: Uint8Array subclass, length getter throws",
            object(&[("key", exotic("keySubclass"))]),
            Invalid("key", None),
        ),
        change(
            "key: Uint8Array impostor",
            object(&[("key", exotic("keyImpostor"))]),
            Invalid("key", None),
        ),
        change(
            "passphrase getter throws",
            throwing_getter(&Object::new(), "passphrase"),
            Invalid("passphrase", None),
        ),
        change(
            "999 iterations",
            new_passphrase(999.into()),
            Invalid("passphraseIterations", None),
        ),
        change(
            "10,000,001 iterations",
            new_passphrase(10_000_001.into()),
            Invalid("passphraseIterations", None),
        ),
        change(
            "1.5 iterations",
            new_passphrase(1.5.into()),
            Invalid("passphraseIterations", None),
        ),
        change(
            "-1 iterations",
            new_passphrase((-1).into()),
            Invalid("passphraseIterations", None),
        ),
        // The lower bound itself is accepted.
        change("1,000 iterations", new_passphrase(1000.into()), Resolves),
    ];
    check(&class, open_cases).await;
    check(&mailbox, change_cases).await;
    still_works(&mailbox).await;
    // Nothing was ever created for the probe user.
    assert!(!names().await.contains(&db_name(user)));
}

/// An array's own `toJSON` must not stand in for its elements (a review finding
/// against the one-stringify batch path): element 0 is the number 42, so the batch
/// is `InvalidInput` and nothing is written.
#[wasm_bindgen_test]
async fn an_array_to_json_does_not_replace_its_elements() {
    let mailbox = open(key_options("input-array-tojson", 7)).await;
    let smuggle = || {
        Function::new_no_args(
            r#"return [{"id":"smuggled","parentFolderId":"inbox","receivedDateTime":"2024-05-01T10:00:00Z"}];"#,
        )
    };
    let items = array([JsValue::from(42)]);
    Reflect::set(&items, &"toJSON".into(), &smuggle()).unwrap();
    let error = rejection(mailbox.put_messages(items)).await;
    assert_eq!(field(&error, "code"), "InvalidInput");

    let value = array([JsValue::from("not an entry")]);
    Reflect::set(&value, &"toJSON".into(), &smuggle()).unwrap();
    let page = Object::new();
    Reflect::set(&page, &"value".into(), &value).unwrap();
    let error =
        rejection(mailbox.apply_delta("messages".into(), "inbox".into(), page.into())).await;
    assert_eq!(field(&error, "code"), "InvalidInput");

    assert!(wait(mailbox.get_message("smuggled".into())).await.is_null());
    wait(mailbox.wipe()).await;
}
