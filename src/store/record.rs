//! What a stored record is, independent of the browser: an optional sealed value
//! and named index fields (blinded bytes, clear numbers), and the queries the
//! store answers over those fields.

/// One index field's value.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// A blinded key.
    Bytes(Vec<u8>),
    /// A clear number (timestamps, counters, flags).
    Number(f64),
    /// Several blinded keys (a multi-entry index).
    BytesList(Vec<Vec<u8>>),
}

/// A stored record: its sealed value, if it has one, and its index fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    /// The sealed value (the envelope); `None` for clear bookkeeping records.
    pub value: Option<Vec<u8>>,
    /// Index fields by name.
    pub fields: Vec<(String, FieldValue)>,
}

impl Record {
    /// A record holding a sealed value.
    pub fn sealed(value: Vec<u8>) -> Self {
        Self {
            value: Some(value),
            fields: Vec::new(),
        }
    }

    /// Adds an index field.
    pub fn with(mut self, name: &str, value: FieldValue) -> Self {
        self.fields.push((name.to_owned(), value));
        self
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&FieldValue> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The field called `name`, if it holds bytes.
    pub fn bytes(&self, name: &str) -> Option<&[u8]> {
        match self.field(name) {
            Some(FieldValue::Bytes(bytes)) => Some(bytes),
            _ => None,
        }
    }

    /// The field called `name`, if it holds a number.
    pub fn number(&self, name: &str) -> Option<f64> {
        match self.field(name) {
            Some(FieldValue::Number(n)) => Some(*n),
            _ => None,
        }
    }

    /// Sets (replaces or adds) the field called `name`.
    pub fn set(&mut self, name: &str, value: FieldValue) {
        match self.fields.iter_mut().find(|(n, _)| n == name) {
            Some((_, slot)) => *slot = value,
            None => self.fields.push((name.to_owned(), value)),
        }
    }

    /// One unambiguous byte encoding of the record's clear index fields, sorted by
    /// name, leaving out the fields that are not index data (`k`, the key the record
    /// is found under; `m`, the tag computed over this encoding). Sealing binds it,
    /// so any added, removed or altered field fails authentication.
    ///
    /// ```
    /// use offline_mailbox::store::{FieldValue, Record};
    /// let a = Record::default().with("f", FieldValue::Bytes(vec![1])).with("r", FieldValue::Number(2.0));
    /// let b = Record::default().with("r", FieldValue::Number(2.0)).with("f", FieldValue::Bytes(vec![1]));
    /// assert_eq!(a.canonical_fields(), b.canonical_fields());
    /// ```
    pub fn canonical_fields(&self) -> Vec<u8> {
        let mut named: Vec<&(String, FieldValue)> = self
            .fields
            .iter()
            .filter(|(name, _)| !UNBOUND_FIELDS.contains(&name.as_str()))
            .collect();
        named.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = Vec::new();
        for (name, value) in named {
            put_bytes(&mut out, name.as_bytes());
            match value {
                FieldValue::Bytes(bytes) => {
                    out.push(0);
                    put_bytes(&mut out, bytes);
                }
                FieldValue::Number(n) => {
                    out.push(1);
                    out.extend_from_slice(&n.to_bits().to_be_bytes());
                }
                FieldValue::BytesList(list) => {
                    out.push(2);
                    out.extend_from_slice(&(list.len() as u32).to_be_bytes());
                    for bytes in list {
                        put_bytes(&mut out, bytes);
                    }
                }
            }
        }
        out
    }
}

/// Fields that are not bound by [`Record::canonical_fields`]: the record's own key
/// (authenticated separately, as the place the record is found) and the fields tag.
const UNBOUND_FIELDS: [&str; 2] = ["k", "m"];

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// One component of an IndexedDB key.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyPart {
    /// Binary.
    Bytes(Vec<u8>),
    /// Number (may be ±infinity, which bound every finite number).
    Number(f64),
}

/// An IndexedDB key: a plain key, or an array key (compound indexes). The two
/// never compare equal: every array sorts after every plain key.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    /// A plain key.
    One(KeyPart),
    /// An array key; a shorter array sorts before any longer one it prefixes.
    Array(Vec<KeyPart>),
}

/// Which index entries a query reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// Entries equal to the key.
    Only(Key),
    /// Entries between two keys.
    Range {
        /// Lower bound.
        lower: Key,
        /// Upper bound.
        upper: Key,
        /// Whether the lower bound itself is excluded.
        lower_open: bool,
        /// Whether the upper bound itself is excluded.
        upper_open: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_back_by_name_and_type() {
        let record = Record::sealed(vec![1])
            .with("f", FieldValue::Bytes(vec![2]))
            .with("t", FieldValue::Number(5.0));
        assert_eq!(record.bytes("f"), Some(&[2u8][..]));
        assert_eq!(record.number("t"), Some(5.0));
        assert_eq!(record.number("f"), None);
        assert_eq!(record.bytes("missing"), None);
    }

    #[test]
    fn canonical_fields_change_with_any_field_but_not_with_k_or_m() {
        let base = Record::sealed(vec![1])
            .with("f", FieldValue::Bytes(vec![2]))
            .with("p", FieldValue::BytesList(vec![vec![3], vec![4]]))
            .with("r", FieldValue::Number(-5.0));
        let encoded = base.canonical_fields();
        let mut with_key = base.clone();
        with_key.set("k", FieldValue::Bytes(vec![9]));
        with_key.set("m", FieldValue::Bytes(vec![9]));
        assert_eq!(with_key.canonical_fields(), encoded);
        let variants = [
            base.clone().with("u", FieldValue::Number(1.0)),
            Record::sealed(vec![1]).with("f", FieldValue::Bytes(vec![2])),
            {
                let mut r = base.clone();
                r.set("r", FieldValue::Number(-6.0));
                r
            },
            {
                let mut r = base.clone();
                r.set("p", FieldValue::BytesList(vec![vec![3, 4]]));
                r
            },
            {
                let mut r = base.clone();
                r.set("f", FieldValue::Number(2.0));
                r
            },
        ];
        for variant in variants {
            assert_ne!(variant.canonical_fields(), encoded, "{variant:?}");
        }
    }
}
