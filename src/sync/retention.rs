//! How much mail and calendar the offline copy keeps. Pure Rust.
//!
//! The defaults follow what the big webmail clients keep offline: Gmail offers 7,
//! 14 or 31 days of mail; Outlook on the web kept a few days or a few hundred
//! items per folder and about a month of calendar. A library has no such screen
//! to ask the user from, so it keeps the longest of those by default (31 days of
//! mail, at most 5,000 messages per folder) and a month of calendar behind and a
//! year ahead (meetings are planned far ahead and need to be answered offline).

/// Milliseconds in a day.
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// What the offline copy keeps; anything older is pruned at the end of each sync
/// and by `prune()`, except items with actions waiting in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Messages received in the last this many days are kept.
    pub mail_days: u32,
    /// At most this many messages per folder are kept (the newest).
    pub max_messages_per_folder: u32,
    /// Events that ended in the last this many days are kept.
    pub calendar_past_days: u32,
    /// Events that start in the next this many days are kept.
    pub calendar_future_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            mail_days: 31,
            max_messages_per_folder: 5_000,
            calendar_past_days: 31,
            calendar_future_days: 365,
        }
    }
}

impl Retention {
    /// Messages received before this instant (ms since the epoch) are pruned.
    ///
    /// ```
    /// use offline_mailbox::sync::Retention;
    /// let keep = Retention { mail_days: 1, ..Retention::default() };
    /// assert_eq!(keep.mail_cutoff(86_400_000 * 10), 86_400_000 * 9);
    /// ```
    pub fn mail_cutoff(&self, now_ms: i64) -> i64 {
        now_ms.saturating_sub(i64::from(self.mail_days).saturating_mul(DAY_MS))
    }

    /// The calendar window kept: events ending before its start or starting at
    /// or after its end are pruned.
    pub fn calendar_window(&self, now_ms: i64) -> (i64, i64) {
        (
            now_ms.saturating_sub(i64::from(self.calendar_past_days).saturating_mul(DAY_MS)),
            now_ms.saturating_add(i64::from(self.calendar_future_days).saturating_mul(DAY_MS)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_keep_a_month_of_mail_and_a_month_behind_and_a_year_ahead() {
        let keep = Retention::default();
        let now = 1_700_000_000_000;
        assert_eq!(keep.mail_cutoff(now), now - 31 * DAY_MS);
        assert_eq!(
            keep.calendar_window(now),
            (now - 31 * DAY_MS, now + 365 * DAY_MS)
        );
        assert_eq!(keep.max_messages_per_folder, 5_000);
    }

    #[test]
    fn huge_settings_saturate_instead_of_overflowing() {
        let keep = Retention {
            mail_days: u32::MAX,
            max_messages_per_folder: u32::MAX,
            calendar_past_days: u32::MAX,
            calendar_future_days: u32::MAX,
        };
        let (start, end) = keep.calendar_window(0);
        assert!(start < 0 && end > 0);
        assert!(keep.mail_cutoff(0) < 0);
    }
}
