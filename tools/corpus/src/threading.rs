//! Conversation threading: messages linked by Message-ID, In-Reply-To or
//! References share one conversation id (union-find over those links across
//! the whole corpus).
//!
//! The id is `conv-` plus a short stable hash of the thread root's
//! Message-ID. The root is taken from the earliest message of the thread
//! (by date, then Message-ID): the first entry of its References, else its
//! In-Reply-To, else its own Message-ID. This choice does not depend on the
//! order in which links were seen.

use crate::util::short_hash;
use std::collections::HashMap;

/// The threading-relevant headers of one message. Ids are without angle
/// brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadLinks {
    /// The message's own Message-ID.
    pub message_id: String,
    /// In-Reply-To ids.
    pub in_reply_to: Vec<String>,
    /// References ids, oldest first.
    pub references: Vec<String>,
    /// Seconds since the epoch, for picking the earliest message.
    pub timestamp: i64,
}

impl ThreadLinks {
    /// The id this message names as its thread's root.
    fn root_candidate(&self) -> &str {
        self.references
            .first()
            .or_else(|| self.in_reply_to.first())
            .unwrap_or(&self.message_id)
    }
}

/// Normalises one message id: trims and removes angle brackets.
pub fn normalize_message_id(raw: &str) -> String {
    raw.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_string()
}

/// Disjoint-set forest with path halving and union by size.
#[derive(Debug, Default)]
struct UnionFind {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl UnionFind {
    fn add(&mut self) -> usize {
        self.parent.push(self.parent.len());
        self.size.push(1);
        self.parent.len() - 1
    }

    fn find(&mut self, mut node: usize) -> usize {
        while self.parent[node] != node {
            self.parent[node] = self.parent[self.parent[node]];
            node = self.parent[node];
        }
        node
    }

    fn union(&mut self, a: usize, b: usize) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a] < self.size[b] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b] = a;
        self.size[a] += self.size[b];
    }
}

/// Interns message ids as union-find nodes.
#[derive(Default)]
struct IdNodes<'a> {
    nodes: HashMap<&'a str, usize>,
    forest: UnionFind,
}

impl<'a> IdNodes<'a> {
    fn node(&mut self, id: &'a str) -> usize {
        if let Some(&node) = self.nodes.get(id) {
            return node;
        }
        let node = self.forest.add();
        self.nodes.insert(id, node);
        node
    }
}

/// Returns one conversation id per message, in input order.
pub fn conversation_ids(messages: &[ThreadLinks]) -> Vec<String> {
    let mut ids = IdNodes::default();
    let own: Vec<usize> = messages
        .iter()
        .map(|message| {
            let node = ids.node(&message.message_id);
            for linked in message.in_reply_to.iter().chain(&message.references) {
                if !linked.is_empty() {
                    let other = ids.node(linked);
                    ids.forest.union(node, other);
                }
            }
            node
        })
        .collect();

    // Earliest message of each set (by date, then Message-ID, then position).
    let mut earliest: HashMap<usize, usize> = HashMap::new();
    for (index, &node) in own.iter().enumerate() {
        let set = ids.forest.find(node);
        let candidate = earliest.entry(set).or_insert(index);
        let key = |i: usize| (messages[i].timestamp, messages[i].message_id.as_str(), i);
        if key(index) < key(*candidate) {
            *candidate = index;
        }
    }

    own.iter()
        .map(|&node| {
            let set = ids.forest.find(node);
            let first = earliest.get(&set).copied().unwrap_or(0);
            let root = messages.get(first).map_or("", ThreadLinks::root_candidate);
            format!("conv-{}", short_hash(&[root]))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(id: &str, irt: &[&str], refs: &[&str], ts: i64) -> ThreadLinks {
        ThreadLinks {
            message_id: id.to_string(),
            in_reply_to: irt.iter().map(|s| s.to_string()).collect(),
            references: refs.iter().map(|s| s.to_string()).collect(),
            timestamp: ts,
        }
    }

    #[test]
    fn threads_follow_references_and_in_reply_to() {
        let messages = vec![
            // A thread whose root (a@x) is not in the corpus, reached only
            // through References.
            links("c@x", &["b@x"], &["a@x", "b@x"], 300),
            links("unrelated@y", &[], &[], 50),
            // Replies only with In-Reply-To.
            links("b@x", &["a@x"], &[], 200),
            // A reply to c, with a truncated References header.
            links("d@x", &[], &["c@x"], 400),
            // A separate two-message thread.
            links("p@z", &[], &[], 10),
            links("q@z", &["p@z"], &[], 20),
        ];
        let conv = conversation_ids(&messages);
        assert_eq!(conv[0], conv[2]);
        assert_eq!(conv[0], conv[3]);
        assert_eq!(conv[4], conv[5]);
        assert_ne!(conv[0], conv[1]);
        assert_ne!(conv[0], conv[4]);
        assert_ne!(conv[1], conv[4]);
        // The root of the first thread is a@x: the earliest message (b@x)
        // names it in In-Reply-To.
        assert_eq!(conv[0], format!("conv-{}", short_hash(&["a@x"])));
        assert_eq!(conv[4], format!("conv-{}", short_hash(&["p@z"])));
        assert_eq!(conv[1], format!("conv-{}", short_hash(&["unrelated@y"])));

        // Order of input does not change the ids.
        let mut reversed = messages.clone();
        reversed.reverse();
        let mut conv_rev = conversation_ids(&reversed);
        conv_rev.reverse();
        assert_eq!(conv, conv_rev);
    }

    #[test]
    fn message_ids_are_normalised() {
        assert_eq!(normalize_message_id("  <abc@def> "), "abc@def");
        assert_eq!(normalize_message_id("abc@def"), "abc@def");
    }
}
