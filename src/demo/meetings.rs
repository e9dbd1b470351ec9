//! Meetings (`calendar.event`): mostly booked by the telemarketers for the salespeople, during
//! the organiser's office hours, over the last 60 days and the next two weeks; some are about
//! an open opportunity (`opportunity_id`, `res_model`/`res_id`). A past meeting that is still
//! active was held; cancelled ones are archived, so the appointment goal does not count them.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::DatasetSpec;
use super::clock::{self, DAY, HOUR, MINUTE};
use super::draw::pick;
use super::emit::{Out, Rec};
use super::leads::{Customer, OpportunityRef};
use super::refs::Refs;
use super::staff::{Member, Staff};

const LINKED_KINDS: [&str; 4] = [
    "Discovery call",
    "Product demo",
    "Needs analysis",
    "Follow-up meeting",
];
const COLD_KINDS: [&str; 3] = ["Intro call", "Prospecting call", "Partner meeting"];
const LOCATIONS: [&str; 5] = [
    "Zoom",
    "Google Meet",
    "Microsoft Teams",
    "Customer site",
    "Office",
];
const DURATIONS: [f64; 5] = [0.5, 0.75, 1.0, 1.5, 2.0];

/// When a meeting takes place (epoch seconds; duration in hours) and when it was booked.
struct Slot {
    start: i64,
    stop: i64,
    duration: f64,
    created: i64,
}

/// A weekday in the organizer's office hours, in the next two weeks or the last two months.
fn draw_slot(
    rng: &mut StdRng,
    today: NaiveDate,
    now: i64,
    organizer: &Member,
    opp: Option<&OpportunityRef>,
) -> Slot {
    let future = rng.random_bool(0.2);
    let mut day = if future {
        today + Duration::days(rng.random_range(0..14))
    } else {
        today - Duration::days(rng.random_range(1..=60))
    };
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day = if future {
            day + Duration::days(1)
        } else {
            day - Duration::days(1)
        };
    }
    let local = rng.random_range(9..17) * HOUR + rng.random_range(0..2) * 30 * MINUTE;
    let mut start = clock::midnight(day) + local - organizer.utc_offset * HOUR;
    if let Some(o) = opp {
        // A meeting about an opportunity cannot precede it.
        if start < o.created + HOUR {
            start = o.created + rng.random_range(1..=72) * HOUR;
        }
    }
    let duration = DURATIONS[rng.random_range(0..DURATIONS.len())];
    let stop = start + (duration * HOUR as f64) as i64;
    let created = if start > now {
        now - rng.random_range(1..5 * DAY)
    } else {
        start - rng.random_range(HOUR..10 * DAY)
    };
    Slot {
        start,
        stop,
        duration,
        created,
    }
}

/// Who attends a meeting (partner ids) and what it is called.
struct Subject {
    partners: Vec<i64>,
    name: String,
}

/// The organizer, the opportunity's salesperson and the customer attend; the name says what
/// the meeting is about.
fn draw_subject(
    rng: &mut StdRng,
    staff: &Staff,
    customers: &[Customer],
    organizer: &Member,
    opp: Option<&OpportunityRef>,
) -> Subject {
    let mut partners = vec![organizer.partner_id];
    let customer = match opp {
        Some(o) => o.partner,
        None if rng.random_bool(0.5) => pick(rng, customers).map(|c| c.id),
        None => None,
    };
    if let Some(o) = opp
        && let Some(seller) = staff.by_uid(o.user)
        && !partners.contains(&seller.partner_id)
    {
        partners.push(seller.partner_id);
    }
    partners.extend(customer);
    let name = match opp {
        Some(o) => format!(
            "{}: {}",
            LINKED_KINDS[rng.random_range(0..LINKED_KINDS.len())],
            o.label
        ),
        None => {
            let who = customer
                .and_then(|id| customers.iter().find(|c| c.id == id))
                .map_or("new prospect", |c| c.name.as_str());
            format!(
                "{} - {who}",
                COLD_KINDS[rng.random_range(0..COLD_KINDS.len())]
            )
        }
    };
    Subject { partners, name }
}

pub(crate) fn create(
    out: &mut Out,
    refs: &Refs,
    spec: &DatasetSpec,
    staff: &Staff,
    customers: &[Customer],
    sample: &[OpportunityRef],
) {
    let mut rng = StdRng::seed_from_u64(spec.seed ^ 0x4d45_4554_0000_0006);
    let telemarketers: Vec<&Member> = staff.telemarketers().collect();
    let salespeople: Vec<&Member> = staff.salespeople().collect();
    let now = clock::midnight(spec.today);
    for _ in 0..spec.meetings {
        let opp = if rng.random_bool(0.4) {
            pick(&mut rng, sample)
        } else {
            None
        };
        let by_telemarketer = rng.random_bool(0.75);
        let organizer = if by_telemarketer {
            pick(&mut rng, &telemarketers).copied()
        } else {
            opp.and_then(|o| staff.by_uid(o.user))
                .or_else(|| pick(&mut rng, &salespeople).copied())
        };
        let Some(organizer) = organizer else { continue };

        let slot = draw_slot(&mut rng, spec.today, now, organizer, opp);
        let Subject { partners, name } = draw_subject(&mut rng, staff, customers, organizer, opp);
        let held_or_planned = slot.start > now || rng.random_bool(0.92);

        let mut r = Rec::with_capacity(18);
        r.set("name", name)
            .set("start", clock::datetime(slot.start))
            .set("stop", clock::datetime(slot.stop))
            .set("duration", slot.duration)
            .set("allday", false)
            .set("active", held_or_planned)
            .set("privacy", "public")
            .set("show_as", "busy")
            .m2o("user_id", organizer.uid)
            .ids("partner_ids", partners)
            .set("create_date", clock::datetime(slot.created));
        if rng.random_bool(0.7) {
            r.opt("location", pick(&mut rng, &LOCATIONS).copied());
        }
        if let Some(o) = opp {
            r.m2o("opportunity_id", o.lead_id)
                .m2o_opt("res_model_id", refs.model_lead)
                .set("res_model", "crm.lead")
                .set("res_id", o.lead_id);
        }
        out.create("calendar.event", r);
    }
}
