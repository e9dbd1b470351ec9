//! `IdSet`: a compact, immutable set of record ids, for `search` answers of up to millions of
//! ids. Odoo ids are PostgreSQL `int4`, so they are kept as `u32`: a bitmap when dense, a sorted
//! list otherwise; anything outside `0..=u32::MAX` goes to a small side list so nothing is lost.

use std::fmt;

/// Bits per bitmap word.
const WORD_BITS: u64 = 64;

/// The bitmap is chosen when it takes fewer bytes than this many per id. A sorted list costs
/// 4 bytes per id, so the bitmap wins once `max_id / 8 < 4 × len`.
const LIST_BYTES_PER_ID: u64 = 4;

/// A set of ids built once (see [`IdSetBuilder`]) and then only queried.
#[derive(Clone, Default)]
pub struct IdSet {
    main: Main,
    /// Ids outside `0..=u32::MAX`, sorted and deduplicated (Odoo never sends them for real
    /// records, but a set must not silently drop what it was given).
    outside: Vec<i64>,
}

#[derive(Clone)]
enum Main {
    /// Sorted, deduplicated.
    List(Vec<u32>),
    /// Bit `i` of the whole bitmap is set when id `i` is present; `len` counts the set bits.
    Bits { words: Vec<u64>, len: usize },
}

impl Default for Main {
    fn default() -> Self {
        Main::List(Vec::new())
    }
}

impl IdSet {
    #[cfg(test)]
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        let main = match &self.main {
            Main::List(ids) => ids.len(),
            Main::Bits { len, .. } => *len,
        };
        main + self.outside.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// O(1) on a bitmap, a binary search otherwise.
    pub fn contains(&self, id: i64) -> bool {
        match u32::try_from(id) {
            Ok(small) => match &self.main {
                Main::List(ids) => ids.binary_search(&small).is_ok(),
                Main::Bits { words, .. } => bit_is_set(words, small),
            },
            Err(_) => self.outside.binary_search(&id).is_ok(),
        }
    }

    /// The ids in ascending order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        let negatives = self.outside.partition_point(|&id| id < 0);
        let (below, above) = self.outside.split_at(negatives);
        let main: Box<dyn Iterator<Item = i64> + '_> = match &self.main {
            Main::List(ids) => Box::new(ids.iter().map(|&id| i64::from(id))),
            Main::Bits { words, .. } => Box::new(BitIter::new(words)),
        };
        below
            .iter()
            .copied()
            .chain(main)
            .chain(above.iter().copied())
    }

    /// The ids in ascending order, collected.
    pub fn to_vec(&self) -> Vec<i64> {
        self.iter().collect()
    }

    /// Heap memory held by the set (capacities, not lengths), for tests and benchmarks.
    pub fn heap_bytes(&self) -> usize {
        let main = match &self.main {
            Main::List(ids) => ids.capacity() * size_of::<u32>(),
            Main::Bits { words, .. } => words.capacity() * size_of::<u64>(),
        };
        main + self.outside.capacity() * size_of::<i64>()
    }

    /// Whether the ids are held as a bitmap (for tests and benchmarks).
    pub fn is_bitmap(&self) -> bool {
        matches!(self.main, Main::Bits { .. })
    }
}

impl PartialEq for IdSet {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for IdSet {}

impl fmt::Debug for IdSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 16;
        let mut list = f.debug_set();
        list.entries(self.iter().take(SHOWN));
        if self.len() > SHOWN {
            list.entry(&format_args!("… {} ids in all", self.len()));
        }
        list.finish()
    }
}

impl FromIterator<i64> for IdSet {
    fn from_iter<T: IntoIterator<Item = i64>>(iter: T) -> Self {
        let mut builder = IdSetBuilder::new();
        builder.extend(iter);
        builder.build()
    }
}

impl<'a> FromIterator<&'a i64> for IdSet {
    fn from_iter<T: IntoIterator<Item = &'a i64>>(iter: T) -> Self {
        iter.into_iter().copied().collect()
    }
}

/// Collects ids in any order, with duplicates, in bounded memory: at most about 4 bytes per
/// id pushed while ids are sparse, and a bitmap (1 bit per possible id) as soon as that is
/// smaller, so a million dense ids never cost more than a few hundred KiB.
#[derive(Clone, Debug, Default)]
pub struct IdSetBuilder {
    main: Building,
    outside: Vec<i64>,
}

#[derive(Clone, Debug)]
enum Building {
    /// Unsorted, may hold duplicates; `max` is the largest id pushed.
    List { ids: Vec<u32>, max: u32 },
    /// Exact count of the bits set.
    Bits { words: Vec<u64>, len: usize },
}

impl Default for Building {
    fn default() -> Self {
        Building::List {
            ids: Vec::new(),
            max: 0,
        }
    }
}

impl IdSetBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, id: i64) {
        let Ok(small) = u32::try_from(id) else {
            self.outside.push(id);
            return;
        };
        match &mut self.main {
            Building::List { ids, max } => {
                if ids.len() == ids.capacity()
                    && bitmap_bytes(u64::from((*max).max(small))) <= list_bytes(ids.len())
                {
                    // Growing the list would double it; the bitmap is already no bigger.
                    let words = to_bits(ids, (*max).max(small));
                    let len = count_bits(&words);
                    self.main = Building::Bits { words, len };
                    self.push(id);
                    return;
                }
                ids.push(small);
                *max = (*max).max(small);
            }
            Building::Bits { words, len } => {
                let word = (small / WORD_BITS as u32) as usize;
                if word >= words.len() {
                    if bitmap_bytes(u64::from(small)) > list_bytes(*len + 1).max(4096) {
                        // A far-away id would make the bitmap sparse: back to a list.
                        let mut ids = Vec::with_capacity(*len + 1);
                        ids.extend(BitIter::new(words).map(|id| id as u32));
                        let max = ids.last().copied().unwrap_or(0);
                        self.main = Building::List { ids, max };
                        self.push(id);
                        return;
                    }
                    words.resize(word + 1, 0);
                }
                let mask = 1u64 << (small % WORD_BITS as u32);
                if words[word] & mask == 0 {
                    words[word] |= mask;
                    *len += 1;
                }
            }
        }
    }

    /// Heap memory held so far (capacities), for tests and benchmarks.
    pub fn heap_bytes(&self) -> usize {
        let main = match &self.main {
            Building::List { ids, .. } => ids.capacity() * size_of::<u32>(),
            Building::Bits { words, .. } => words.capacity() * size_of::<u64>(),
        };
        main + self.outside.capacity() * size_of::<i64>()
    }

    /// Sorts, deduplicates and picks the smaller representation.
    pub(crate) fn build(self) -> IdSet {
        let mut outside = self.outside;
        outside.sort_unstable();
        outside.dedup();
        outside.shrink_to_fit();
        let main = match self.main {
            Building::List { mut ids, .. } => {
                ids.sort_unstable();
                ids.dedup();
                let max = ids.last().copied().map_or(0, u64::from);
                if !ids.is_empty() && bitmap_bytes(max) < list_bytes(ids.len()) {
                    let words = to_bits(&ids, max as u32);
                    Main::Bits {
                        words,
                        len: ids.len(),
                    }
                } else {
                    ids.shrink_to_fit();
                    Main::List(ids)
                }
            }
            Building::Bits { mut words, len } => {
                while words.last() == Some(&0) {
                    words.pop();
                }
                let max = (words.len() as u64 * WORD_BITS).saturating_sub(1);
                if len > 0 && bitmap_bytes(max) < list_bytes(len) {
                    words.shrink_to_fit();
                    Main::Bits { words, len }
                } else {
                    Main::List(BitIter::new(&words).map(|id| id as u32).collect())
                }
            }
        };
        IdSet { main, outside }
    }
}

impl Extend<i64> for IdSetBuilder {
    fn extend<T: IntoIterator<Item = i64>>(&mut self, iter: T) {
        for id in iter {
            self.push(id);
        }
    }
}

fn list_bytes(len: usize) -> u64 {
    len as u64 * LIST_BYTES_PER_ID
}

/// Bytes of a bitmap whose highest id is `max`.
fn bitmap_bytes(max: u64) -> u64 {
    (max / WORD_BITS + 1) * (WORD_BITS / 8)
}

fn to_bits(ids: &[u32], max: u32) -> Vec<u64> {
    let mut words = vec![0u64; (max / WORD_BITS as u32) as usize + 1];
    for &id in ids {
        words[(id / WORD_BITS as u32) as usize] |= 1u64 << (id % WORD_BITS as u32);
    }
    words
}

fn count_bits(words: &[u64]) -> usize {
    words.iter().map(|w| w.count_ones() as usize).sum()
}

fn bit_is_set(words: &[u64], id: u32) -> bool {
    words
        .get((id / WORD_BITS as u32) as usize)
        .is_some_and(|w| w & (1u64 << (id % WORD_BITS as u32)) != 0)
}

/// The set bits of a bitmap, ascending.
struct BitIter<'a> {
    words: &'a [u64],
    index: usize,
    current: u64,
}

impl<'a> BitIter<'a> {
    fn new(words: &'a [u64]) -> Self {
        Self {
            words,
            index: 0,
            current: words.first().copied().unwrap_or(0),
        }
    }
}

impl Iterator for BitIter<'_> {
    type Item = i64;

    fn next(&mut self) -> Option<i64> {
        while self.current == 0 {
            self.index += 1;
            self.current = *self.words.get(self.index)?;
        }
        let bit = self.current.trailing_zeros();
        self.current &= self.current - 1;
        Some(self.index as i64 * WORD_BITS as i64 + i64::from(bit))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    fn check(ids: &[i64]) {
        let set: IdSet = ids.iter().collect();
        let reference: BTreeSet<i64> = ids.iter().copied().collect();
        assert_eq!(set.len(), reference.len());
        assert_eq!(set.is_empty(), reference.is_empty());
        assert_eq!(set.to_vec(), reference.iter().copied().collect::<Vec<_>>());
        for &id in ids {
            assert!(set.contains(id), "{id}");
            for probe in [id.wrapping_sub(1), id.wrapping_add(1)] {
                assert_eq!(set.contains(probe), reference.contains(&probe), "{probe}");
            }
        }
        for probe in [
            0,
            1,
            63,
            64,
            65,
            -1,
            i64::MIN,
            i64::MAX,
            u32::MAX as i64,
            1 << 32,
        ] {
            assert_eq!(set.contains(probe), reference.contains(&probe), "{probe}");
        }
    }

    #[test]
    fn empty() {
        let set = IdSetBuilder::new().build();
        assert!(set.is_empty());
        assert_eq!(set.len(), 0);
        assert!(!set.contains(0));
        assert_eq!(set.iter().count(), 0);
        assert_eq!(set, IdSet::new());
        check(&[]);
    }

    #[test]
    fn dense_ids_are_a_bitmap() {
        let set: IdSet = (1..=1_000_000).rev().collect();
        assert!(set.is_bitmap());
        assert_eq!(set.len(), 1_000_000);
        assert!(set.contains(1) && set.contains(1_000_000) && !set.contains(0));
        assert!(!set.contains(1_000_001));
        assert!(
            set.heap_bytes() <= 1_000_000 / 8 + 8,
            "{}",
            set.heap_bytes()
        );
        assert_eq!(set.iter().take(3).collect::<Vec<_>>(), vec![1, 2, 3]);
    }

    #[test]
    fn dense_building_stays_small() {
        let mut b = IdSetBuilder::new();
        let mut peak = 0;
        for id in 1..=1_000_000 {
            b.push(id);
            peak = peak.max(b.heap_bytes());
        }
        // The list gives way to a bitmap long before it reaches 4 MB.
        assert!(peak <= 1_000_000, "{peak}");
        assert_eq!(b.build().len(), 1_000_000);
    }

    #[test]
    fn sparse_ids_are_a_sorted_list() {
        let ids: Vec<i64> = (0..10_000).map(|i| i * 1_000 + 7).collect();
        let set: IdSet = ids.iter().rev().collect();
        assert!(!set.is_bitmap());
        assert_eq!(set.heap_bytes(), 10_000 * 4);
        assert_eq!(set.to_vec(), ids);
        check(&ids);
    }

    #[test]
    fn sparse_building_is_at_most_a_list() {
        let mut b = IdSetBuilder::new();
        let mut peak = 0;
        for i in 0..100_000i64 {
            b.push((i * 7_919) % 1_000_000_000 * 3);
            peak = peak.max(b.heap_bytes());
        }
        // A Vec<u32> that doubles: at most 8 bytes per id held, never more.
        assert!(peak <= 8 * 100_000 + 64, "{peak}");
        let set = b.build();
        assert_eq!(set.len(), 100_000);
        assert!(set.heap_bytes() <= 4 * 100_000);
    }

    #[test]
    fn a_far_id_turns_a_bitmap_back_into_a_list() {
        let mut b = IdSetBuilder::new();
        b.extend(0..100_000);
        b.push(4_000_000_000);
        b.push(5);
        let set = b.build();
        assert_eq!(set.len(), 100_001);
        assert!(set.contains(4_000_000_000) && set.contains(99_999));
        assert!(!set.contains(100_000));
        assert!(!set.is_bitmap());
    }

    #[test]
    fn ids_outside_u32_are_kept() {
        let ids = [
            -5,
            3,
            i64::MIN,
            i64::MAX,
            1 << 32,
            u32::MAX as i64,
            0,
            -5,
            3,
        ];
        let set: IdSet = ids.iter().collect();
        assert_eq!(
            set.to_vec(),
            vec![i64::MIN, -5, 0, 3, u32::MAX as i64, 1 << 32, i64::MAX]
        );
        check(&ids);
    }

    #[test]
    fn duplicates_count_once() {
        let set: IdSet = [5, 5, 5, 1, 1].iter().collect();
        assert_eq!(set.len(), 2);
        assert_eq!(set.to_vec(), vec![1, 5]);
        let dense: IdSet = (0..1_000).chain(0..1_000).collect();
        assert_eq!(dense.len(), 1_000);
        assert!(dense.is_bitmap());
    }

    #[test]
    fn equality_ignores_the_representation() {
        let a: IdSet = [1, 2, 3].iter().collect();
        let mut b = IdSetBuilder::new();
        b.extend([3, 2, 1, 2]);
        assert_eq!(a, b.build());
        assert_ne!(a, [1, 2].iter().collect::<IdSet>());
        assert_eq!(format!("{a:?}"), "{1, 2, 3}");
    }

    fn id() -> impl Strategy<Value = i64> {
        prop_oneof![
            6 => 0i64..200,
            3 => 0i64..5_000,
            2 => 0i64..=u32::MAX as i64,
            1 => any::<i64>(),
            1 => prop::sample::select(vec![0, 63, 64, 65, u32::MAX as i64, 1 << 32, -1]),
        ]
    }

    proptest! {
        #[test]
        fn agrees_with_a_btreeset(ids in prop::collection::vec(id(), 0..600)) {
            check(&ids);
        }

        #[test]
        fn dense_runs_agree_with_a_btreeset(
            start in 0i64..10_000,
            len in 0i64..3_000,
            holes in prop::collection::vec(0i64..3_000, 0..50),
            extra in prop::collection::vec(id(), 0..5),
        ) {
            let ids: Vec<i64> = (start..start + len)
                .filter(|i| !holes.contains(&(i - start)))
                .chain(extra)
                .collect();
            check(&ids);
        }
    }
}
