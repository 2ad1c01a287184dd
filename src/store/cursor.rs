//! Page cursors: where the next page of a listing or a search starts, as text
//! the host hands back. A cursor names the last message of a page by its
//! recency (minus its received time) and its blinded key, as
//! `hex(recency bits).hex(key)`: the recency goes as its exact bits, so no float
//! is formatted or parsed.

/// The cursor after a message of this recency and key.
///
/// ```
/// use offline_mailbox::store::cursor;
/// let text = cursor::encode(-1.5, &[0xab, 0x01]);
/// assert_eq!(cursor::decode(&text), Some((-1.5, vec![0xab, 0x01])));
/// ```
pub fn encode(recency: f64, key: &[u8]) -> String {
    format!(
        "{}.{}",
        crate::hex::encode(&recency.to_bits().to_be_bytes()),
        crate::hex::encode(key)
    )
}

/// The recency and key a cursor names, or `None` if the text was not made by
/// [`encode`] from a finite recency.
pub fn decode(text: &str) -> Option<(f64, Vec<u8>)> {
    let (recency, key) = text.split_once('.')?;
    let bits: [u8; 8] = crate::hex::decode(recency)?.try_into().ok()?;
    let recency = f64::from_bits(u64::from_be_bytes(bits));
    if !recency.is_finite() {
        return None;
    }
    Some((recency, crate::hex::decode(key)?))
}
