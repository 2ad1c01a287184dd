//! The byte layout the sealed state and the outbox are written in: big-endian
//! numbers and length-prefixed byte strings, read back with every length checked.

/// Most entries a count may announce (a malformed count must not allocate).
const MAX_ENTRIES: u32 = 1_000_000;

/// Appends `bytes` with its length in front.
pub fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Reads what [`put_bytes`] and plain numbers wrote; `None` past the end.
pub struct Reader<'a>(pub &'a [u8]);

impl<'a> Reader<'a> {
    /// The next `len` bytes.
    pub fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.0.split_at_checked(len)?;
        self.0 = tail;
        Some(head)
    }

    /// One byte.
    pub fn byte(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    /// A big-endian `u16`.
    pub fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }

    /// A big-endian `u32`.
    pub fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    /// A big-endian `u64`.
    pub fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }

    /// A count of entries, refused above [`MAX_ENTRIES`].
    pub fn count(&mut self) -> Option<u32> {
        self.u32().filter(|count| *count <= MAX_ENTRIES)
    }

    /// A byte string written by [`put_bytes`].
    pub fn bytes(&mut self) -> Option<Vec<u8>> {
        let len = self.u32()?;
        Some(self.take(len as usize)?.to_vec())
    }

    /// A UTF-8 string written by [`put_bytes`].
    pub fn string(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?).ok()
    }

    /// Whether everything was read.
    pub fn is_done(&self) -> bool {
        self.0.is_empty()
    }
}
