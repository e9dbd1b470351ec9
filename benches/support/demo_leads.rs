//! The demo dataset's leads added to a benchmark's simulator, written a day before the runs
//! as in a real database (leads written within `overlap_secs` of a run are re-listed by id
//! and write date until it passes); the simulator's clock is the wall clock afterwards.

use scorekeeper::demo::{DatasetSpec, generate};
use scorekeeper::sim::Sim;

/// Adds `leads` demo leads (no invoices, no meetings) stamped 2026-11-21 08:00:00.
pub fn add_demo_leads(sim: &Sim, leads: usize) {
    sim.write().set_clock(|| {
        chrono::NaiveDateTime::parse_from_str("2026-11-21 08:00:00", "%Y-%m-%d %H:%M:%S")
            .unwrap_or_default()
    });
    generate(
        &DatasetSpec {
            leads,
            invoices: 0,
            meetings: 0,
            ..DatasetSpec::default()
        },
        &mut *sim.write(),
    )
    .unwrap();
    sim.write().set_clock(|| chrono::Utc::now().naive_utc());
}
