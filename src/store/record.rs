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
}
