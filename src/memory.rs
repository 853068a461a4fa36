//! Keeping the memory of a large file's lint near what it needs (issue
//! 11: peak memory within 64 MiB + 40 × the file size).

/// Moves the elements of a large vector with much spare room into one of
/// exactly their size. `Vec` grows by doubling, so a vector built by
/// pushing holds up to twice what it needs; `shrink_to_fit` does not help
/// here, as the allocator keeps a block that shrinks by less than half in
/// place. The copy costs the vector's size once, at a time when less is
/// held than at the lint's peak; small vectors and vectors with little
/// slack are left alone.
pub(crate) fn compact<T>(vector: &mut Vec<T>) {
    const MIN_SLACK_BYTES: usize = 1 << 20;
    let slack = vector.capacity() - vector.len();
    if slack.saturating_mul(std::mem::size_of::<T>()) < MIN_SLACK_BYTES || slack < vector.len() / 8
    {
        return;
    }
    let mut exact = Vec::with_capacity(vector.len());
    exact.append(vector);
    *vector = exact;
}

/// Puts `items` in the order `order` gives (`items[k]` becomes the old
/// `items[order[k]]`; `order` is a permutation of `0..items.len()`), in
/// place: sorting a vector of large elements with a stable sort borrows
/// half of its size again, sorting indices only a few bytes per element.
pub(crate) fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    debug_assert_eq!(items.len(), order.len());
    const DONE: usize = usize::MAX;
    for start in 0..order.len() {
        if order[start] == DONE {
            continue;
        }
        let mut position = start;
        loop {
            let next = order[position];
            order[position] = DONE;
            if next == start {
                break;
            }
            items.swap(position, next);
            position = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_gives_back_the_slack_of_large_vectors_only() {
        let mut large: Vec<u64> = Vec::with_capacity(1 << 20);
        large.extend(0..300_000);
        compact(&mut large);
        assert_eq!(large.capacity(), 300_000);
        assert!(large.iter().copied().eq(0..300_000));
        let mut small: Vec<u64> = Vec::with_capacity(64);
        small.push(1);
        compact(&mut small);
        assert_eq!(small.capacity(), 64, "small vectors are left alone");
    }

    #[test]
    fn permute_applies_the_order() {
        let orders: [&[usize]; 5] = [&[], &[0], &[1, 0], &[2, 0, 1], &[3, 1, 4, 0, 2]];
        for order in orders {
            let mut items: Vec<String> = (0..order.len()).map(|i| format!("item {i}")).collect();
            let expected: Vec<String> = order.iter().map(|&i| items[i].clone()).collect();
            permute(&mut items, order.to_vec());
            assert_eq!(items, expected, "{order:?}");
        }
    }
}
