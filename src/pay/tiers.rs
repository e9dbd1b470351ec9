//! Advanced commission: rates by attainment of a period target.
//!
//! Bands start at an attainment (`from`, a share of the target, the first at 0 %); a band is
//! reached when the period's net amount is **at least** `from × target` (exactly 100 % of the
//! target is in the 100 % band). Two modes, both common in commission plans:
//! * **marginal**: each band's rate applies only to the slice of the amount inside the band
//!   (like income-tax brackets; no cliff at a threshold);
//! * **whole**: the rate of the highest band reached applies to the whole amount (a cliff:
//!   one more sale can raise the pay on everything).
//!
//! Thresholds are rounded half-even to a minor unit once (`from × target`). A negative net
//! amount (more refunds than sales) earns no tier commission: the refunds already reduce
//! the basic lines.

use super::money::{Money, PPM, Ratio};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TierMode {
    Marginal,
    Whole,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TierBand {
    /// Attainment at which the band starts (0 % for the first).
    pub from: Ratio,
    pub rate: Ratio,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tiers {
    pub mode: TierMode,
    /// The period target each member is measured against.
    pub target: Money,
    /// Ascending `from`, the first at 0 %.
    pub bands: Vec<TierBand>,
}

/// One slice of a tier computation: the base a band's rate applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TierSlice {
    /// Index of the band in [`Tiers::bands`].
    pub band: usize,
    pub base: Money,
    pub rate: Ratio,
}

impl Tiers {
    /// The amount at which band `i` starts.
    pub(crate) fn threshold(&self, i: usize) -> Money {
        self.bands
            .get(i)
            .map_or(Money(i64::MAX), |b| self.target.apply(b.from, Ratio(PPM)))
    }

    /// The slices of `net` that earn, with their rates (no slice with a zero base).
    pub fn slices(&self, net: Money) -> Vec<TierSlice> {
        if net.0 <= 0 || self.bands.is_empty() {
            return Vec::new();
        }
        match self.mode {
            TierMode::Whole => {
                let band = (0..self.bands.len())
                    .rev()
                    .find(|&i| net >= self.threshold(i))
                    .unwrap_or(0);
                vec![TierSlice {
                    band,
                    base: net,
                    rate: self.bands[band].rate,
                }]
            }
            TierMode::Marginal => (0..self.bands.len())
                .filter_map(|i| {
                    let lo = self.threshold(i);
                    let hi = if i + 1 < self.bands.len() {
                        self.threshold(i + 1)
                    } else {
                        Money(i64::MAX)
                    };
                    let base = Money(net.0.min(hi.0) - lo.0);
                    (base.0 > 0).then_some(TierSlice {
                        band: i,
                        base,
                        rate: self.bands[i].rate,
                    })
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiers(mode: TierMode) -> Tiers {
        // Target 10,000.00; 0–100 % at 2 %, 100–150 % at 4 %, from 150 % at 6 %.
        Tiers {
            mode,
            target: Money(1_000_000),
            bands: vec![
                TierBand {
                    from: Ratio(0),
                    rate: Ratio(20_000),
                },
                TierBand {
                    from: Ratio(1_000_000),
                    rate: Ratio(40_000),
                },
                TierBand {
                    from: Ratio(1_500_000),
                    rate: Ratio(60_000),
                },
            ],
        }
    }

    #[test]
    fn marginal_slices_at_the_edges() {
        let t = tiers(TierMode::Marginal);
        let bases = |net| {
            t.slices(Money(net))
                .iter()
                .map(|s| (s.band, s.base.0))
                .collect::<Vec<_>>()
        };
        assert_eq!(bases(999_999), vec![(0, 999_999)]);
        assert_eq!(bases(1_000_000), vec![(0, 1_000_000)]);
        assert_eq!(bases(1_000_001), vec![(0, 1_000_000), (1, 1)]);
        assert_eq!(bases(1_500_000), vec![(0, 1_000_000), (1, 500_000)]);
        assert_eq!(
            bases(2_000_000),
            vec![(0, 1_000_000), (1, 500_000), (2, 500_000)]
        );
        assert_eq!(bases(0), vec![]);
        assert_eq!(bases(-5), vec![]);
    }

    #[test]
    fn whole_amount_jumps_at_the_threshold() {
        let t = tiers(TierMode::Whole);
        let one = |net| {
            t.slices(Money(net))
                .iter()
                .map(|s| (s.band, s.base.0))
                .collect::<Vec<_>>()
        };
        assert_eq!(one(999_999), vec![(0, 999_999)]);
        assert_eq!(one(1_000_000), vec![(1, 1_000_000)]);
        assert_eq!(one(1_499_999), vec![(1, 1_499_999)]);
        assert_eq!(one(1_500_000), vec![(2, 1_500_000)]);
    }
}
