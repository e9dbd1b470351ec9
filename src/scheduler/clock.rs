//! Where the scheduler's "now" comes from and how it waits for a wall-clock time. The system
//! clock re-reads the wall clock at least every minute while waiting, so an NTP step or a
//! suspended VM delays a firing by at most that much; the anchored clock maps tokio's
//! (pausable) time onto a fixed wall-clock start, so tests run days of schedule in
//! milliseconds with `tokio::time::pause`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

/// The longest a system-clock wait sleeps before looking at the wall clock again.
const MAX_NAP: Duration = Duration::from_secs(60);

#[derive(Clone, Debug)]
pub enum Clock {
    /// The real wall clock.
    System,
    /// `wall` at tokio instant `at`, advancing with tokio time.
    Anchored { wall: DateTime<Utc>, at: Instant },
}

impl Clock {
    pub fn system() -> Clock {
        Clock::System
    }

    /// A clock that reads `wall` now and then follows tokio time (paused in tests).
    pub fn starting_at(wall: DateTime<Utc>) -> Clock {
        Clock::Anchored {
            wall,
            at: Instant::now(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Anchored { wall, at } => {
                let elapsed = Instant::now().saturating_duration_since(*at);
                *wall + chrono::Duration::from_std(elapsed).unwrap_or(chrono::Duration::MAX)
            }
        }
    }

    /// Returns once `now() >= t`.
    pub async fn sleep_until(&self, t: DateTime<Utc>) {
        match self {
            Clock::System => loop {
                let left = (t - Utc::now()).to_std().unwrap_or(Duration::ZERO);
                if left.is_zero() {
                    return;
                }
                tokio::time::sleep(left.min(MAX_NAP)).await;
            },
            Clock::Anchored { wall, at } => {
                let offset = (t - *wall).to_std().unwrap_or(Duration::ZERO);
                tokio::time::sleep_until(*at + offset).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[tokio::test(start_paused = true)]
    async fn anchored_clock_follows_tokio_time() {
        let start = Utc.with_ymd_and_hms(2026, 3, 29, 0, 0, 0).unwrap();
        let clock = Clock::starting_at(start);
        assert_eq!(clock.now(), start);
        let target = start + chrono::Duration::hours(5);
        clock.sleep_until(target).await;
        assert_eq!(clock.now(), target);
        // A time already past returns at once.
        clock.sleep_until(start).await;
        assert_eq!(clock.now(), target);
    }
}
