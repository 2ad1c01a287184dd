//! Posting lists: sorted, distinct document numbers, stored as varint gaps.

/// Appends `value` as an unsigned LEB128 varint.
pub fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads an unsigned LEB128 varint at `*at`, advancing it; `None` when truncated
/// or longer than 64 bits.
pub fn get_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Appends a posting list (sorted, distinct) as its length and gaps.
///
/// ```
/// use offline_mailbox::search::{decode_postings, encode_postings};
/// let mut bytes = Vec::new();
/// encode_postings(&mut bytes, &[3, 4, 300]);
/// assert_eq!(bytes, [3, 3, 1, 0xA8, 0x02]);
/// assert_eq!(decode_postings(&bytes, &mut 0), Some(vec![3, 4, 300]));
/// ```
pub fn encode_postings(out: &mut Vec<u8>, docs: &[u32]) {
    put_varint(out, docs.len() as u64);
    let mut previous = 0u32;
    for (i, &doc) in docs.iter().enumerate() {
        let gap = if i == 0 { doc } else { doc - previous };
        put_varint(out, u64::from(gap));
        previous = doc;
    }
}

/// Reads a posting list written by [`encode_postings`]; `None` if malformed
/// (truncated, unsorted, repeated or out of range).
pub fn decode_postings(bytes: &[u8], at: &mut usize) -> Option<Vec<u32>> {
    let count = usize::try_from(get_varint(bytes, at)?).ok()?;
    // Every posting takes at least one byte: a count beyond that is a lie.
    if count > bytes.len().saturating_sub(*at) {
        return None;
    }
    let mut docs = Vec::with_capacity(count);
    let mut previous = 0u64;
    for i in 0..count {
        let gap = get_varint(bytes, at)?;
        if i > 0 && gap == 0 {
            return None;
        }
        let doc = if i == 0 {
            gap
        } else {
            previous.checked_add(gap)?
        };
        docs.push(u32::try_from(doc).ok()?);
        previous = doc;
    }
    Some(docs)
}

/// The documents in both sorted lists.
pub fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let mut out = Vec::with_capacity(small.len());
    let mut from = 0;
    for &doc in small {
        match large[from..].binary_search(&doc) {
            Ok(found) => {
                out.push(doc);
                from += found + 1;
            }
            Err(insert) => from += insert,
        }
        if from >= large.len() {
            break;
        }
    }
    out
}

/// The documents in any of the sorted lists, sorted and distinct.
pub fn union(lists: &[&[u32]]) -> Vec<u32> {
    match lists {
        [] => Vec::new(),
        [one] => one.to_vec(),
        [a, b] => union_of_two(a, b),
        _ => {
            let mut all: Vec<u32> = lists.iter().flat_map(|list| list.iter().copied()).collect();
            all.sort_unstable();
            all.dedup();
            all
        }
    }
}

/// Two sorted lists merged in one pass; a list that starts after the other ends
/// (the usual case: later writes number their documents after earlier ones) is
/// simply appended.
fn union_of_two(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (first, second) = match (a.last(), b.first()) {
        (Some(end), Some(start)) if end < start => (a, b),
        _ => match (b.last(), a.first()) {
            (Some(end), Some(start)) if end < start => (b, a),
            _ => return merge_two(a, b),
        },
    };
    let mut out = Vec::with_capacity(first.len() + second.len());
    out.extend_from_slice(first);
    out.extend_from_slice(second);
    out
}

fn merge_two(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        out.push(x.min(y));
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postings_round_trip_and_refuse_malformed_bytes() {
        for docs in [vec![], vec![0], vec![0, 1, 2], vec![7, 1000, u32::MAX]] {
            let mut bytes = Vec::new();
            encode_postings(&mut bytes, &docs);
            let mut at = 0;
            assert_eq!(decode_postings(&bytes, &mut at), Some(docs.clone()));
            assert_eq!(at, bytes.len());
            for cut in 0..bytes.len() {
                assert_eq!(
                    decode_postings(&bytes[..cut], &mut 0),
                    None,
                    "{docs:?} cut at {cut}"
                );
            }
        }
        assert_eq!(
            decode_postings(&[2, 5, 0], &mut 0),
            None,
            "a repeated document"
        );
        assert_eq!(
            decode_postings(&[2, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 1], &mut 0),
            None,
            "past u32"
        );
        assert_eq!(decode_postings(&[0xFF; 11], &mut 0), None);
    }

    #[test]
    fn set_operations() {
        assert_eq!(intersect(&[1, 3, 5, 7], &[0, 3, 4, 7, 9]), [3, 7]);
        assert_eq!(intersect(&[], &[1]), Vec::<u32>::new());
        assert_eq!(union(&[&[1, 5], &[2, 5, 9], &[]]), [1, 2, 5, 9]);
        assert_eq!(union(&[&[4, 6]]), [4, 6]);
        assert_eq!(union(&[&[1, 4, 9], &[2, 4, 10, 11]]), [1, 2, 4, 9, 10, 11]);
        assert_eq!(union(&[&[5, 6], &[1, 2]]), [1, 2, 5, 6]);
        assert_eq!(union(&[&[], &[3]]), [3]);
    }

    #[test]
    fn union_of_two_agrees_with_sorting_both() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let list = |seed: u64| {
                let mut docs: Vec<u32> = (0..seed % 7)
                    .map(|i| ((seed >> (i * 5)) % 24) as u32)
                    .collect();
                docs.sort_unstable();
                docs.dedup();
                docs
            };
            let (a, b) = (list(state), list(state.rotate_left(29)));
            let mut want: Vec<u32> = a.iter().chain(&b).copied().collect();
            want.sort_unstable();
            want.dedup();
            assert_eq!(union(&[&a, &b]), want, "{a:?} {b:?}");
        }
    }
}
