//! The demo dataset: a deterministic, scalable generator of realistic CRM, invoicing, calendar
//! and gamification records, written through `record::RecordStore` into a store that already
//! holds the Odoo 17 snapshot (the simulator's, or a test's).
//!
//! Same seed, same `today`, same store contents → the same records, byte for byte: every random
//! draw comes from `StdRng` streams seeded from the spec, and nothing iterates a hash map.
//!
//! What it creates (defaults; see `DatasetSpec`):
//! - 4 sales teams and 24 salespeople (6 per team, one opted out of auto-assignment) plus 4
//!   telemarketers, each a `res.users` with its own `res.partner`; **password = login**;
//! - karma trackings for most of them, UTM sources/campaigns and CRM tags on top of the snapshot's;
//! - 80 customer companies, `leads` leads/opportunities (about half without salesperson),
//!   `invoices` customer invoices/credit notes with their `account.invoice.report` lines,
//!   `meetings` calendar events (mostly booked by the telemarketers);
//! - 3 badges, the "Appointments Booked" goal definition and the "Appointment Setting" challenge.
//!   With the snapshot's "Monthly Sales Targets" (in progress) and "Lead Acquisition" (draft)
//!   that makes the three sales challenges of the demo.
//!
//! The pay demo's people and documents (`pay`, computed by hand in `tests/cli_demo.rs`) are
//! written by `pay::generate`, after this dataset, by `scorekeeper demo`.
//!
//! The store only offers `create` and `search_eq`, so reference data is found by business key
//! (country code, stage/group/login name). The appointment definition is a batch count on
//! `calendar.event` (`user_id`, dated by `start`) when the store has `ir.model.fields` rows for
//! those two fields; otherwise it falls back to Odoo's per-user mode
//! (`[('user_id', '=', user.id)]`, no date field).

mod clock;
mod draw;
mod emit;
mod gamification;
mod invoices;
mod leads;
mod meetings;
mod names;
pub(crate) mod pay;
mod refs;
mod staff;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use thiserror::Error;

use crate::record::RecordStore;

pub use staff::Role;

/// The largest lead count `generate` accepts.
pub(crate) const MAX_LEADS: usize = 1_000_000;

const DEFAULT_TODAY: NaiveDate = match NaiveDate::from_ymd_opt(2026, 11, 22) {
    Some(d) => d,
    None => panic!("invalid default date"),
};

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatasetSpec {
    pub seed: u64,
    /// `crm.lead` records to create (default 2,000, at most `MAX_LEADS`).
    pub leads: usize,
    /// Customer invoices and credit notes (`account.move`), default 600.
    pub invoices: usize,
    /// Meetings (`calendar.event`), default 300.
    pub meetings: usize,
    /// The injected "today": lead history ends the day before, meetings run up to two weeks after.
    pub today: NaiveDate,
}

impl Default for DatasetSpec {
    fn default() -> Self {
        DatasetSpec {
            seed: 42,
            leads: 2_000,
            invoices: 600,
            meetings: 300,
            today: DEFAULT_TODAY,
        }
    }
}

impl DatasetSpec {
    /// The default dataset with `leads` leads; invoices and meetings grow with the square root
    /// of the lead count (600 and 300 up to 2,000 leads, 13,800 and 6,900 at 1,000,000), so a
    /// load test stays dominated by leads as a real database would.
    pub fn with_leads(leads: usize) -> Self {
        let factor = (leads as f64 / 2_000.0).sqrt().ceil().max(1.0) as usize;
        DatasetSpec {
            leads,
            invoices: 600 * factor,
            meetings: 300 * factor,
            ..DatasetSpec::default()
        }
    }
}

/// A generated employee who can log in.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoUser {
    pub uid: i64,
    pub partner_id: i64,
    pub login: String,
    pub password: String,
    pub name: String,
    pub role: Role,
    /// Name of the sales team the user is a member of (telemarketers have none).
    pub team: Option<String>,
}

/// A sales challenge of the demo (created by the generator or found in the snapshot).
#[derive(Clone, Debug, PartialEq)]
pub struct DemoChallenge {
    pub id: i64,
    pub name: String,
    /// True when the generator created it, false for the snapshot's own challenges.
    pub created: bool,
    /// Explicit participants set by the generator (empty: the challenge's `user_domain` decides).
    pub participants: Vec<i64>,
}

/// What `generate` did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DatasetSummary {
    /// Records created per model.
    pub created: BTreeMap<String, usize>,
    pub users: Vec<DemoUser>,
    /// Sales teams created: (name, id).
    pub teams: Vec<(String, i64)>,
    pub challenges: Vec<DemoChallenge>,
    /// Leads created without a salesperson (work for the routing job).
    pub unassigned_leads: usize,
}

impl DatasetSummary {
    pub fn count(&self, model: &str) -> usize {
        self.created.get(model).copied().unwrap_or(0)
    }
}

/// Why the dataset could not be generated. Nothing is created when the reference lookups fail.
#[derive(Debug, Error, PartialEq)]
pub enum DemoError {
    #[error("{requested} leads requested, the demo dataset supports at most {max}")]
    TooManyLeads { requested: usize, max: usize },
    #[error("reference data missing from the store: no {model} with {field} = {value}")]
    MissingReference {
        model: String,
        field: String,
        value: String,
    },
    #[error("the demo dataset is already loaded (user {login:?} exists)")]
    AlreadyLoaded { login: String },
}

/// Writes the whole dataset into `store`, which must already hold the snapshot's records.
pub fn generate(
    spec: &DatasetSpec,
    store: &mut dyn RecordStore,
) -> Result<DatasetSummary, DemoError> {
    if spec.leads > MAX_LEADS {
        return Err(DemoError::TooManyLeads {
            requested: spec.leads,
            max: MAX_LEADS,
        });
    }
    staff::check_not_loaded(store)?;
    let refs = refs::Refs::look_up(&*store)?;
    let mut out = emit::Out::new(store);
    let mut summary = DatasetSummary::default();

    let catalog = refs::Catalog::extend(&mut out, &refs, spec);
    let staff = staff::create(&mut out, &refs, spec, &mut summary);
    gamification::create(&mut out, &refs, spec, &staff, &mut summary);
    let customers = leads::create_customers(&mut out, &refs, spec);
    let opportunities = leads::create(&mut out, &refs, &catalog, spec, &staff, &customers);
    summary.unassigned_leads = opportunities.unassigned;
    invoices::create(&mut out, &refs, spec, &staff, &customers);
    meetings::create(
        &mut out,
        &refs,
        spec,
        &staff,
        &customers,
        &opportunities.sample,
    );

    summary.created = out.into_counts();
    Ok(summary)
}
