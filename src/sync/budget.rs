//! The storage budget a sync keeps: how many of the oldest message bodies to
//! evict before a page is written, from the browser's storage estimate.
//!
//! Browsers do not give the room a delete frees back at once: Chromium's
//! IndexedDB (LevelDB) even grows on disk when records are deleted, until it
//! compacts later. Evicting after the quota is reached therefore cannot make
//! room for the write that hit it; the budget acts before, while there is
//! still headroom for the browser to compact in.

/// The share of the quota a sync fills before it starts evicting.
pub const HIGH_WATER: f64 = 0.75;
/// Fewest bodies evicted in one round (a page of small items still frees some).
pub const MIN_EVICTION: usize = 25;
/// Most bodies evicted in one round.
pub const MAX_EVICTION: usize = 200;

/// How many of the oldest bodies to evict before writing a page of `items`
/// items and `incoming` bytes, given the origin's `usage` and `quota` (bytes):
/// none while the origin stays under [`HIGH_WATER`] of its quota with the
/// page; otherwise twice the page's items (bounded), so the offline copy
/// shrinks while the sync goes on and the browser can catch up compacting.
pub fn bodies_to_evict(usage: f64, quota: f64, incoming: u64, items: usize) -> usize {
    // Both comparisons are false for NaN: an estimate that is not a number
    // reads as unknown and evicts nothing.
    let known = quota > 0.0;
    let over = usage + incoming as f64 > quota * HIGH_WATER;
    if !(known && over) {
        return 0;
    }
    (items * 2).clamp(MIN_EVICTION, MAX_EVICTION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_evicted_below_the_high_water_mark() {
        assert_eq!(bodies_to_evict(10e6, 100e6, 1_000_000, 50), 0);
        assert_eq!(bodies_to_evict(74e6, 100e6, 1_000_000, 50), 0);
    }

    #[test]
    fn above_the_mark_twice_the_page_is_evicted_within_bounds() {
        assert_eq!(bodies_to_evict(74e6, 100e6, 2_000_000, 50), 100);
        assert_eq!(bodies_to_evict(99e6, 100e6, 0, 3), MIN_EVICTION);
        assert_eq!(bodies_to_evict(99e6, 100e6, 0, 1_000), MAX_EVICTION);
    }

    #[test]
    fn an_unknown_or_zero_estimate_evicts_nothing() {
        assert_eq!(bodies_to_evict(5e6, 0.0, 100, 10), 0);
        assert_eq!(bodies_to_evict(5e6, f64::NAN, 100, 10), 0);
        assert_eq!(bodies_to_evict(f64::NAN, 1e12, 100, 10), 0);
    }
}
