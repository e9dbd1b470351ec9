//! When and how long to wait before trying an RPC again: bounded attempts, exponential backoff
//! capped at a maximum, with jitter so a fleet of daemons does not retry in lockstep.
//! Which failures qualify is decided by `OdooError::is_transient`, not here.

use std::time::Duration;

/// Bounded exponential backoff with "equal jitter": attempt `n` (1-based, counting the first
/// try) waits between half and all of `min(max_delay, base_delay * 2^(n-1))` before attempt
/// `n + 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total tries, the first one included; 1 means "never retry".
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// A policy that tries once: for interactive diagnostics such as `check`, where an answer
    /// within the configured timeout matters more than riding out a blip.
    pub(crate) fn no_retry() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Whether a failed attempt number `attempt` (1-based) may be followed by another.
    pub(crate) fn allows_another(&self, attempt: u32) -> bool {
        attempt < self.max_attempts
    }

    /// The wait after failed attempt `attempt` (1-based). `jitter` is a uniform sample in
    /// `[0, 1)`, injected so tests are deterministic.
    pub(crate) fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(31);
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        ceiling.mul_f64(0.5 + jitter.clamp(0.0, 1.0) / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(700),
        }
    }

    #[test]
    fn doubles_then_caps() {
        let p = policy();
        assert_eq!(p.delay(1, 1.0), Duration::from_millis(100));
        assert_eq!(p.delay(2, 1.0), Duration::from_millis(200));
        assert_eq!(p.delay(3, 1.0), Duration::from_millis(400));
        assert_eq!(p.delay(4, 1.0), Duration::from_millis(700));
        assert_eq!(p.delay(40, 1.0), Duration::from_millis(700));
    }

    #[test]
    fn jitter_keeps_at_least_half() {
        let p = policy();
        assert_eq!(p.delay(1, 0.0), Duration::from_millis(50));
        assert_eq!(p.delay(3, 0.5), Duration::from_millis(300));
    }

    #[test]
    fn bounded_attempts() {
        let p = policy();
        assert!(p.allows_another(4));
        assert!(!p.allows_another(5));
        assert!(!RetryPolicy::no_retry().allows_another(1));
    }
}
