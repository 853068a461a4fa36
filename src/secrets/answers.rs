//! Per-thread caches of answers about texts: a run asks the same questions
//! in file after file (is `NODE_VERSION` a secret name, is `/usr/local/bin`
//! a credential file), and each answer took a split, a lower-casing and
//! several lookups or an automaton search.
//!
//! Answers are keyed by the id of the list that gave them (a clone of a
//! list keeps its id: same data, same answers) and by the text asked
//! about. A thread keeps at most [`LIMIT`] answers per list and starts
//! again when it has more (a corpus run asks about a few thousand distinct
//! texts), and keeps answers for at most [`LISTS`] lists: a long-lived
//! process (the language server) builds new lists each time the
//! configuration changes, and the answers of the old ones would otherwise
//! stay for good.

use foldhash::fast::RandomState as FastHash;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::LocalKey;

/// The answers of one thread: by list id, then by text (foldhash, not
/// SipHash: these lookups were 2% of a corpus run).
pub(crate) type Answers<V> = HashMap<u64, HashMap<Box<str>, V, FastHash>, FastHash>;

/// How many answers a thread keeps per list.
const LIMIT: usize = 8192;

/// How many lists a thread keeps answers for.
const LISTS: usize = 8;

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// A list id never given before (an address could be reused).
pub(crate) fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// `read` applied to the answer about `text` from list `id`: the cached
/// one, else `compute`'s (then kept). Nothing is cloned unless `read`
/// clones.
pub(crate) fn with_answer<V: 'static, T>(
    cache: &'static LocalKey<RefCell<Answers<V>>>,
    id: u64,
    text: &str,
    compute: impl FnOnce() -> V,
    read: impl Fn(&V) -> T,
) -> T {
    let cached = cache.with(|cache| {
        cache
            .borrow()
            .get(&id)
            .and_then(|answers| answers.get(text).map(&read))
    });
    if let Some(answer) = cached {
        return answer;
    }
    let value = compute();
    let answer = read(&value);
    cache.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= LISTS && !cache.contains_key(&id) {
            cache.clear();
        }
        let answers = cache.entry(id).or_default();
        if answers.len() >= LIMIT {
            answers.clear();
        }
        answers.insert(text.into(), value);
    });
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        static TEST_ANSWERS: RefCell<Answers<usize>> = RefCell::new(Answers::default());
    }

    #[test]
    fn answers_are_computed_once_per_list_and_text() {
        let computed = Cell::new(0);
        let length = |text: &str, id: u64| {
            with_answer(
                &TEST_ANSWERS,
                id,
                text,
                || {
                    computed.set(computed.get() + 1);
                    text.len()
                },
                |length| *length,
            )
        };
        let (first, second) = (next_id(), next_id());
        assert_ne!(first, second);
        assert_eq!(length("abc", first), 3);
        assert_eq!(length("abc", first), 3);
        assert_eq!(computed.get(), 1);
        assert_eq!(length("abc", second), 3);
        assert_eq!(length("de", first), 2);
        assert_eq!(computed.get(), 3);
    }

    #[test]
    fn a_full_cache_starts_again() {
        let id = next_id();
        for number in 0..=LIMIT {
            with_answer(&TEST_ANSWERS, id, &number.to_string(), || number, |_| ());
        }
        let kept = TEST_ANSWERS.with(|cache| cache.borrow()[&id].len());
        assert_eq!(kept, 1);
    }

    #[test]
    fn answers_of_old_lists_are_dropped() {
        let ids: Vec<u64> = (0..=LISTS).map(|_| next_id()).collect();
        for id in &ids {
            with_answer(&TEST_ANSWERS, *id, "x", || 1, |_| ());
        }
        let lists = TEST_ANSWERS.with(|cache| cache.borrow().len());
        assert!(lists <= LISTS, "{lists} lists kept");
        let newest = TEST_ANSWERS.with(|cache| cache.borrow().contains_key(&ids[LISTS]));
        assert!(newest);
    }
}
