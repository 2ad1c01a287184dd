//! Counting of skipped input and of notable repairs, by reason.

use std::collections::BTreeMap;

/// Counts, by reason, the input items that were skipped (or repaired) while
/// converting. Reasons are kept sorted so that the report is deterministic.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    counts: BTreeMap<String, u64>,
}

impl Tally {
    /// Counts one occurrence of `reason`.
    pub fn add(&mut self, reason: impl Into<String>) {
        *self.counts.entry(reason.into()).or_insert(0) += 1;
    }

    /// Total of all reasons.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// The count for one reason (0 when it never happened).
    pub fn get(&self, reason: &str) -> u64 {
        self.counts.get(reason).copied().unwrap_or(0)
    }

    /// `(reason, count)` pairs, sorted by reason.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.counts
            .iter()
            .map(|(reason, count)| (reason.as_str(), *count))
    }

    /// One line: `total (reason: n, reason: n)` or `0`.
    pub fn summary(&self) -> String {
        if self.counts.is_empty() {
            return "0".to_string();
        }
        let details: Vec<String> = self
            .iter()
            .map(|(reason, count)| format!("{reason}: {count}"))
            .collect();
        format!("{} ({})", self.total(), details.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_counts_and_summarises() {
        let mut tally = Tally::default();
        assert_eq!(tally.summary(), "0");
        tally.add("b");
        tally.add("a");
        tally.add("b");
        assert_eq!(tally.total(), 3);
        assert_eq!(tally.get("b"), 2);
        assert_eq!(tally.summary(), "3 (a: 1, b: 2)");
    }
}
