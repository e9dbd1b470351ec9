//! Random draws shared by the generators: weighted choices and log-uniform amounts, all from
//! the caller's seeded `StdRng` so results depend on the seed only.

use rand::Rng;
use rand::rngs::StdRng;

/// Picks an item with probability proportional to its weight. The tables are constants, never
/// empty; an all-zero table yields its first item.
pub(crate) fn weighted<T: Copy>(rng: &mut StdRng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut x = if total == 0 {
        0
    } else {
        rng.random_range(0..total)
    };
    for &(item, w) in items {
        if x < w {
            return item;
        }
        x -= w;
    }
    items[0].0
}

/// Index of an element drawn with probability proportional to `weights` (`None` when empty).
pub(crate) fn weighted_index(rng: &mut StdRng, weights: &[u32]) -> Option<usize> {
    let total: u32 = weights.iter().sum();
    if total == 0 {
        return (!weights.is_empty()).then_some(0);
    }
    let mut x = rng.random_range(0..total);
    for (i, &w) in weights.iter().enumerate() {
        if x < w {
            return Some(i);
        }
        x -= w;
    }
    None
}

/// A value between `lo` and `hi` whose logarithm is uniform: many small deals, a few big ones.
pub(crate) fn log_uniform(rng: &mut StdRng, lo: f64, hi: f64) -> f64 {
    let (a, b) = (lo.ln(), hi.ln());
    (a + (b - a) * rng.random::<f64>()).exp()
}

pub(crate) fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> Option<&'a T> {
    if items.is_empty() {
        None
    } else {
        Some(&items[rng.random_range(0..items.len())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn weighted_follows_the_weights() {
        let mut rng = StdRng::seed_from_u64(9);
        let mut hits = [0usize; 3];
        for _ in 0..10_000 {
            hits[weighted(&mut rng, &[(0usize, 1), (1, 0), (2, 3)])] += 1;
        }
        assert_eq!(hits[1], 0);
        assert!((2_200..2_800).contains(&hits[0]), "{hits:?}");
        assert_eq!(weighted_index(&mut rng, &[]), None);
        assert_eq!(weighted_index(&mut rng, &[0, 0]), Some(0));
    }

    #[test]
    fn log_uniform_stays_in_range() {
        let mut rng = StdRng::seed_from_u64(2);
        for _ in 0..1_000 {
            let x = log_uniform(&mut rng, 500.0, 150_000.0);
            assert!((500.0..=150_000.0 + 1e-6).contains(&x), "{x}");
        }
    }
}
