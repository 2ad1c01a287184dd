//! Graph `contact` records, from two sources:
//!
//! * every distinct address seen in From / To / Cc / Reply-To of the mail
//!   corpus (compared case-insensitively; first-seen spelling, most common
//!   non-empty display name);
//! * every vCard of the `calcard` fixtures that has an FN or an N.

use crate::calcard_entries::read_entries;
use crate::graph::{Contact, EmailAddress, PhysicalAddress, Recipient};
use crate::mail::MailItem;
use crate::skips::Tally;
use crate::util::{decode_utf8_or_latin1, short_hash, split_display_name};
use calcard::common::IanaString;
use calcard::vcard::{
    VCard, VCardEntry, VCardParameterName, VCardParameterValue, VCardProperty, VCardType,
    VCardValue,
};
use std::collections::HashMap;
use std::fs;
use std::path::Path;

/// What was seen of one address across the corpus.
#[derive(Debug)]
struct SeenAddress {
    /// First-seen spelling.
    address: String,
    /// Display name → (times seen, order of first sighting).
    names: HashMap<String, (u64, u64)>,
}

impl SeenAddress {
    /// The most common non-empty name (ties: the one seen first).
    fn best_name(&self) -> Option<&str> {
        self.names
            .iter()
            .max_by(|(_, (count_a, first_a)), (_, (count_b, first_b))| {
                count_a.cmp(count_b).then(first_b.cmp(first_a))
            })
            .map(|(name, _)| name.as_str())
    }
}

/// Contacts for every distinct address in From / To / Cc / Reply-To,
/// sorted by lowercase address.
pub fn mail_contacts(items: &[MailItem]) -> Vec<Contact> {
    let mut seen: HashMap<String, SeenAddress> = HashMap::new();
    let mut order = 0u64;
    for item in items {
        let people = item
            .from
            .iter()
            .chain(&item.to)
            .chain(&item.cc)
            .chain(&item.reply_to);
        for recipient in people {
            order += 1;
            note_address(&mut seen, recipient, order);
        }
    }
    let mut keys: Vec<&String> = seen.keys().collect();
    keys.sort();
    keys.into_iter()
        .filter_map(|key| seen.get(key).map(|entry| (key, entry)))
        .map(|(key, entry)| mail_contact(key, entry))
        .collect()
}

/// Records one sighting of an address and its display name.
fn note_address(seen: &mut HashMap<String, SeenAddress>, recipient: &Recipient, order: u64) {
    let address = recipient.email_address.address.trim();
    if address.is_empty() {
        return;
    }
    let entry = seen
        .entry(address.to_lowercase())
        .or_insert_with(|| SeenAddress {
            address: address.to_string(),
            names: HashMap::new(),
        });
    let name = recipient.email_address.name.trim();
    if !name.is_empty() {
        entry.names.entry(name.to_string()).or_insert((0, order)).0 += 1;
    }
}

/// Builds the contact for one address.
fn mail_contact(key: &str, entry: &SeenAddress) -> Contact {
    let name = entry.best_name().unwrap_or("");
    let parts = split_display_name(name);
    let display_name = if name.is_empty() {
        entry.address.clone()
    } else {
        name.to_string()
    };
    let mut contact = Contact::with_names(
        format!("contact-{}", short_hash(&["mail", key])),
        display_name,
        parts.given_name,
        parts.surname,
    );
    contact.email_addresses.push(EmailAddress {
        name: name.to_string(),
        address: entry.address.clone(),
    });
    contact
}

/// Contacts from every vCard in `files` (paths relative to `root` are used
/// in ids). Files or cards that cannot be used are counted in `skipped`.
pub fn vcard_contacts(
    root: &Path,
    files: &[std::path::PathBuf],
    skipped: &mut Tally,
) -> Vec<Contact> {
    let mut contacts = Vec::new();
    for path in files {
        let name = path.strip_prefix(root).unwrap_or(path).to_string_lossy();
        let Ok(bytes) = fs::read(path) else {
            skipped.add("vcard: unreadable file");
            continue;
        };
        let text = decode_utf8_or_latin1(bytes);
        for (index, card) in parse_vcards(&text, skipped).iter().enumerate() {
            let key = format!("{name}#{index}");
            match contact_from_vcard(card, &key) {
                Some(contact) => contacts.push(contact),
                None => skipped.add("vcard: no FN or N"),
            }
        }
    }
    contacts
}

/// All vCards in a text; parse errors are counted and end the file.
pub fn parse_vcards(text: &str, skipped: &mut Tally) -> Vec<VCard> {
    read_entries(text, skipped, "vcard: parse error").cards
}

/// Maps one vCard to a contact; `None` when it has neither FN nor N.
/// `key` identifies the card (file and position) for the stable id.
pub fn contact_from_vcard(card: &VCard, key: &str) -> Option<Contact> {
    let full_name = card
        .property(&VCardProperty::Fn)
        .map(entry_text)
        .filter(|s| !s.is_empty());
    let n = card
        .property(&VCardProperty::N)
        .map(components)
        .filter(|parts| parts.iter().any(|p| !p.is_empty()));
    if full_name.is_none() && n.is_none() {
        return None;
    }
    let (given_name, surname) = match &n {
        Some(parts) => names_from_n(parts),
        None => {
            let parts = split_display_name(full_name.as_deref().unwrap_or(""));
            (parts.given_name, parts.surname)
        }
    };
    let display_name = full_name.unwrap_or_else(|| join_non_empty(&[&given_name, &surname], " "));
    let uid = card.uid().unwrap_or("");
    let mut contact = Contact::with_names(
        format!("contact-{}", short_hash(&["vcard", key, uid])),
        display_name,
        given_name,
        surname,
    );
    fill_details(card, &mut contact);
    Some(contact)
}

/// Given name (given + additional names) and surname from N components
/// `family; given; additional; prefix; suffix`.
fn names_from_n(parts: &[String]) -> (String, String) {
    let get = |i: usize| parts.get(i).map_or("", |s| s.as_str());
    (join_non_empty(&[get(1), get(2)], " "), get(0).to_string())
}

/// E-mail, phones, organisation, title and addresses.
fn fill_details(card: &VCard, contact: &mut Contact) {
    for entry in card.properties(&VCardProperty::Email) {
        let address = entry_text(entry);
        if !address.is_empty() {
            contact.email_addresses.push(EmailAddress {
                name: contact.display_name.clone(),
                address,
            });
        }
    }
    for entry in card.properties(&VCardProperty::Tel) {
        add_phone(entry, contact);
    }
    if let Some(org) = card.property(&VCardProperty::Org).map(components) {
        contact.company_name = org.first().cloned().filter(|s| !s.is_empty());
        contact.department = org.get(1).cloned().filter(|s| !s.is_empty());
    }
    contact.job_title = card
        .property(&VCardProperty::Title)
        .map(entry_text)
        .filter(|s| !s.is_empty());
    for entry in card.properties(&VCardProperty::Adr) {
        let address = physical_address(entry);
        if address == PhysicalAddress::default() {
            continue;
        }
        if contact.office_location.is_none()
            && has_type(entry, &VCardType::Work)
            && !address.city.is_empty()
        {
            contact.office_location = Some(address.city.clone());
        }
        contact.addresses.push(address);
    }
}

/// Files a TEL under mobile (cell), home, or business (work and others).
fn add_phone(entry: &VCardEntry, contact: &mut Contact) {
    let raw = entry_text(entry);
    let number = raw
        .strip_prefix("tel:")
        .or_else(|| raw.strip_prefix("TEL:"))
        .unwrap_or(&raw)
        .trim()
        .to_string();
    if number.is_empty() {
        return;
    }
    if has_type(entry, &VCardType::Cell) && contact.mobile_phone.is_none() {
        contact.mobile_phone = Some(number);
    } else if has_type(entry, &VCardType::Home) && !has_type(entry, &VCardType::Work) {
        contact.home_phones.push(number);
    } else {
        contact.business_phones.push(number);
    }
}

/// ADR components `pobox; ext; street; locality; region; code; country`.
fn physical_address(entry: &VCardEntry) -> PhysicalAddress {
    let parts = components(entry);
    let get = |i: usize| parts.get(i).map_or("", |s| s.trim());
    PhysicalAddress {
        street: join_non_empty(&[get(2), get(1), get(0)], ", "),
        city: get(3).to_string(),
        state: get(4).to_string(),
        postal_code: get(5).to_string(),
        country_or_region: get(6).to_string(),
    }
}

/// Whether a property has the given TYPE (typed or as text, e.g. from
/// vCard 2.1 bare parameters or "work,voice" lists).
fn has_type(entry: &VCardEntry, wanted: &VCardType) -> bool {
    entry
        .parameters(&VCardParameterName::Type)
        .any(|value| match value {
            VCardParameterValue::Type(kind) => kind == wanted,
            VCardParameterValue::Text(text) => text
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case(wanted.as_str())),
            _ => false,
        })
}

/// A property's text value (values joined by ","), trimmed.
fn entry_text(entry: &VCardEntry) -> String {
    let parts: Vec<String> = entry.values.iter().map(value_text).collect();
    parts.join(",").trim().to_string()
}

/// The components of a structured value (N, ORG, ADR), trimmed.
fn components(entry: &VCardEntry) -> Vec<String> {
    entry
        .values
        .iter()
        .map(|v| value_text(v).trim().to_string())
        .collect()
}

/// Text of one value; list components are joined with a space.
fn value_text(value: &VCardValue) -> String {
    match value {
        VCardValue::Component(list) => {
            join_non_empty(&list.iter().map(String::as_str).collect::<Vec<_>>(), " ")
        }
        other => other.as_text().unwrap_or("").to_string(),
    }
}

/// Joins the non-empty (after trimming) parts with `sep`.
fn join_non_empty(parts: &[&str], sep: &str) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(sep)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::{parse_mail, SourceMail};

    const CARD: &str = "BEGIN:VCARD\r\n\
VERSION:3.0\r\n\
N:Gump;Forrest;Q.;Mr.;\r\n\
FN:Forrest Gump\r\n\
ORG:Bubba Gump Shrimp Co.;Fishing Fleet\r\n\
TITLE:Shrimp Man\r\n\
TEL;TYPE=WORK,VOICE:(111) 555-1212\r\n\
TEL;TYPE=HOME,VOICE:(404) 555-1212\r\n\
TEL;TYPE=CELL:(404) 555-0000\r\n\
TEL:(404) 555-9999\r\n\
ADR;TYPE=WORK:;;100 Waters Edge;Baytown;LA;30314;United States of America\r\n\
ADR;TYPE=HOME:;;42 Plantation St.;Baytown;LA;30314;United States of America\r\n\
EMAIL;TYPE=INTERNET:forrestgump@example.com\r\n\
END:VCARD\r\n";

    #[test]
    fn vcard_maps_to_contact_shape() {
        let mut skipped = Tally::default();
        let cards = parse_vcards(CARD, &mut skipped);
        assert_eq!(cards.len(), 1);
        assert_eq!(skipped.total(), 0);
        let contact = contact_from_vcard(&cards[0], "inline#0").expect("has FN");
        assert!(contact.id.starts_with("contact-"));
        assert_eq!(contact.display_name, "Forrest Gump");
        assert_eq!(contact.given_name, "Forrest Q.");
        assert_eq!(contact.surname, "Gump");
        assert_eq!(
            contact.email_addresses,
            vec![EmailAddress {
                name: "Forrest Gump".into(),
                address: "forrestgump@example.com".into()
            }]
        );
        assert_eq!(
            contact.business_phones,
            vec!["(111) 555-1212", "(404) 555-9999"]
        );
        assert_eq!(contact.home_phones, vec!["(404) 555-1212"]);
        assert_eq!(contact.mobile_phone.as_deref(), Some("(404) 555-0000"));
        assert_eq!(
            contact.company_name.as_deref(),
            Some("Bubba Gump Shrimp Co.")
        );
        assert_eq!(contact.department.as_deref(), Some("Fishing Fleet"));
        assert_eq!(contact.job_title.as_deref(), Some("Shrimp Man"));
        assert_eq!(contact.office_location.as_deref(), Some("Baytown"));
        assert_eq!(contact.addresses.len(), 2);
        assert_eq!(
            contact.addresses[0],
            PhysicalAddress {
                street: "100 Waters Edge".into(),
                city: "Baytown".into(),
                state: "LA".into(),
                postal_code: "30314".into(),
                country_or_region: "United States of America".into(),
            }
        );
        let json = serde_json::to_value(&contact).expect("serialises");
        for field in [
            "id",
            "displayName",
            "givenName",
            "surname",
            "emailAddresses",
            "businessPhones",
            "homePhones",
            "mobilePhone",
            "companyName",
            "jobTitle",
            "department",
            "officeLocation",
            "addresses",
        ] {
            assert!(json.get(field).is_some(), "missing {field}");
        }
    }

    #[test]
    fn vcard_without_names_is_rejected_and_fn_only_is_split() {
        let mut skipped = Tally::default();
        let cards = parse_vcards(
            "BEGIN:VCARD\nVERSION:4.0\nEMAIL:x@y.z\nEND:VCARD\n\
             BEGIN:VCARD\nVERSION:4.0\nFN:Ada King Lovelace\nEND:VCARD\n",
            &mut skipped,
        );
        assert_eq!(cards.len(), 2);
        assert!(contact_from_vcard(&cards[0], "a").is_none());
        let contact = contact_from_vcard(&cards[1], "b").expect("has FN");
        assert_eq!(contact.given_name, "Ada King");
        assert_eq!(contact.surname, "Lovelace");
        assert_eq!(contact.office_location, None);
    }

    #[test]
    fn mail_contacts_merge_case_insensitively() {
        let mail = |raw: &str| {
            parse_mail(&SourceMail {
                group: "g".into(),
                file: raw.len().to_string(),
                file_id: "1".into(),
                raw: raw.as_bytes().to_vec(),
            })
            .expect("parses")
            .0
        };
        let items = vec![
            mail("From: bob@Example.com\nTo: \"Doe, Jane\" <jane@x.org>\n\nb\n"),
            mail("From: Bob Smith <BOB@example.com>\nCc: undisclosed-recipients:;\n\nb\n"),
            mail("From: Bob Smith <bob@example.com>\nReply-To: Robert <bob@example.com>\n\nb\n"),
        ];
        let contacts = mail_contacts(&items);
        assert_eq!(contacts.len(), 2);
        let bob = &contacts[0];
        assert_eq!(bob.email_addresses[0].address, "bob@Example.com");
        assert_eq!(bob.display_name, "Bob Smith");
        assert_eq!(
            (bob.given_name.as_str(), bob.surname.as_str()),
            ("Bob", "Smith")
        );
        let jane = &contacts[1];
        assert_eq!(
            (jane.given_name.as_str(), jane.surname.as_str()),
            ("Jane", "Doe")
        );
    }
}
