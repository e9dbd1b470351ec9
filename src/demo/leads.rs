//! Customer companies and the lead/opportunity pipeline. Leads are generated one at a time and
//! written straight into the store, so a million of them cost no memory here beyond a fixed
//! sample of opportunities kept for the meetings generator.
//!
//! Lifecycle fields follow Odoo 17 (odoo-semantics §3.1): won = stage `is_won` with probability
//! 100, lost = archived with probability 0, `date_open` only when a salesperson is set,
//! `date_closed` only on won/lost, `day_open`/`day_close` = `abs((date - create_date).days)`.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::DatasetSpec;
use super::clock::{self, DAY, HOUR, MINUTE};
use super::draw::{log_uniform, pick, weighted, weighted_index};
use super::emit::{Out, Rec};
use super::names::{self, LOCALE_WEIGHTS, Locale};
use super::refs::{Catalog, Refs, Stages};
use super::staff::{Staff, team_for_country};

/// Customer companies created (invoice partners, and the account some opportunities belong to).
pub(crate) const CUSTOMERS: usize = 80;
/// Opportunities kept for the meetings generator (reservoir sample, whatever the lead count).
const SAMPLE: usize = 1_024;
/// How far back lead history goes.
const HISTORY_DAYS: i64 = 120;

#[derive(Clone, Debug)]
pub(crate) struct Customer {
    pub id: i64,
    pub name: String,
    pub locale: Locale,
    pub country: &'static str,
    pub country_id: i64,
    pub domain: String,
}

pub(crate) fn create_customers(out: &mut Out, refs: &Refs, spec: &DatasetSpec) -> Vec<Customer> {
    let mut rng = StdRng::seed_from_u64(spec.seed ^ 0x4355_5354_0000_0002);
    let mut customers = Vec::with_capacity(CUSTOMERS);
    for _ in 0..CUSTOMERS {
        let locale = weighted(&mut rng, &LOCALE_WEIGHTS);
        let country = weighted(&mut rng, names::countries(locale));
        let company = names::company(&mut rng, locale);
        let domain = format!("{}.{}", company.slug, names::tld(country));
        let country_id = refs.country(country).unwrap_or(0);
        let city = pick(&mut rng, names::cities(country)).copied();
        let email = format!("info@{domain}");
        let mut r = Rec::with_capacity(13);
        r.set("name", company.name.as_str())
            .set("complete_name", company.name.as_str())
            .set("is_company", true)
            .set("type", "contact")
            .set("active", true)
            .set("customer_rank", 1_i64)
            .set("email", email.as_str())
            .set("email_normalized", email)
            .set("phone", names::phone(&mut rng, country))
            .set("website", format!("https://www.{domain}"))
            .set("lang", "en_US")
            .m2o("country_id", country_id)
            .opt("city", city);
        let id = out.create("res.partner", r);
        customers.push(Customer {
            id,
            name: company.name,
            locale,
            country,
            country_id,
            domain,
        });
    }
    customers
}

/// An open opportunity a meeting can be about.
#[derive(Clone, Debug)]
pub(crate) struct OpportunityRef {
    pub lead_id: i64,
    pub user: i64,
    pub partner: Option<i64>,
    /// Customer company, or the contact's name for individuals.
    pub label: String,
    pub created: i64,
}

pub(crate) struct LeadsOutcome {
    pub unassigned: usize,
    pub sample: Vec<OpportunityRef>,
}

const PRIORITIES: [(&str, u32); 4] = [("0", 40), ("1", 30), ("2", 20), ("3", 10)];
const TAG_COUNTS: [(usize, u32); 4] = [(0, 40), (1, 35), (2, 20), (3, 5)];

/// Everything a lead draw needs, computed once.
struct Ctx<'a> {
    refs: &'a Refs,
    catalog: &'a Catalog,
    customers: &'a [Customer],
    /// Per team: (uid, weight) of its salespeople.
    teams: Vec<Vec<(i64, u32)>>,
    team_ids: &'a [i64],
    now: i64,
    month_start: i64,
}

impl Ctx<'_> {
    fn salesperson(&self, rng: &mut StdRng, team: usize) -> Option<i64> {
        let members = self.teams.get(team)?;
        let weights: Vec<u32> = members.iter().map(|m| m.1).collect();
        weighted_index(rng, &weights).map(|i| members[i].0)
    }
}

/// A lead's generated facts that outlive its record (for the summary and the sample).
struct Drawn {
    rec: Rec,
    user: Option<i64>,
    open_opportunity: Option<OpportunityRef>,
}

/// Who a lead is from: contact, company, country and e-mail address.
#[derive(Clone, Debug)]
struct Identity {
    locale: Locale,
    country: Option<&'static str>,
    person: names::Person,
    /// (company name, web domain)
    company: Option<(String, String)>,
    email: Option<String>,
}

/// Share of leads that repeat an earlier contact's identity.
const DUPLICATE_SHARE: f64 = 0.02;
/// Every how many leads the identity remembered for duplicates is refreshed.
const DUPLICATE_STRIDE: usize = 37;

fn draw_identity(rng: &mut StdRng, customer: Option<&Customer>) -> Identity {
    let locale = customer.map_or_else(|| weighted(rng, &LOCALE_WEIGHTS), |c| c.locale);
    let country: Option<&'static str> = match customer {
        Some(c) => Some(c.country),
        None if rng.random_bool(0.05) => None,
        None => Some(weighted(rng, names::countries(locale))),
    };
    let person = names::person(rng, locale);
    let company: Option<(String, String)> = match customer {
        Some(c) => Some((c.name.clone(), c.domain.clone())),
        None if rng.random_bool(0.1) => None,
        None => {
            let co = names::company(rng, locale);
            let domain = names::concat(&[co.slug, ".", names::tld(country.unwrap_or("US"))]);
            Some((co.name, domain))
        }
    };

    let email = if rng.random_bool(0.12) {
        None
    } else {
        let local = if rng.random_bool(0.05) {
            // Some people type their address capitalised; `email_normalized` lowercases it.
            let mut chars = person.email_local.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        } else {
            person.email_local.clone()
        };
        Some(match &company {
            Some((_, domain)) if rng.random_bool(0.8) => names::concat(&[&local, "@", domain]),
            _ => {
                let host = pick(rng, names::free_mail(locale))
                    .copied()
                    .unwrap_or("gmail.com");
                format!("{local}{}@{host}", rng.random_range(1..100))
            }
        })
    };
    Identity {
        locale,
        country,
        person,
        company,
        email,
    }
}

/// Where a lead stands in the pipeline.
struct Standing {
    is_opp: bool,
    stage: i64,
    won: bool,
    lost: bool,
    closed: bool,
}

fn draw_standing(rng: &mut StdRng, st: &Stages) -> Standing {
    let is_opp = rng.random_bool(0.45);
    let roll = rng.random_range(0..100);
    let stage = match (is_opp, roll) {
        (true, 0..15) => st.new,
        (true, 15..45) => st.qualified,
        (true, 45..75) => st.proposition,
        (true, _) => st.won,
        (false, 0..90) => st.new,
        (false, _) => st.qualified,
    };
    let won = stage == st.won;
    let lost = !won && rng.random_bool(if is_opp { 0.12 } else { 0.08 });
    Standing {
        is_opp,
        stage,
        won,
        lost,
        closed: won || lost,
    }
}

/// A lead's lifecycle: creation, assignment and closing (epoch seconds).
struct Lifecycle {
    create: i64,
    /// Index into `Ctx::teams`.
    team: Option<usize>,
    user: Option<i64>,
    date_open: Option<i64>,
    date_closed: Option<i64>,
    stage_update: i64,
}

fn draw_lifecycle(
    rng: &mut StdRng,
    ctx: &Ctx,
    standing: &Standing,
    country: Option<&'static str>,
) -> Lifecycle {
    let Standing {
        is_opp,
        stage,
        closed,
        ..
    } = *standing;
    let now = ctx.now;
    let create = if rng.random_bool(0.3) {
        now - rng.random_range(1..=(now - ctx.month_start).max(7 * DAY))
    } else {
        now - rng.random_range(1..=HISTORY_DAYS * DAY)
    };
    let assigned = closed || rng.random_bool(if is_opp { 0.7 } else { 0.2 });
    let home = team_for_country(country);
    let (team, user) = if assigned {
        let team = if rng.random_bool(0.85) {
            home
        } else {
            rng.random_range(0..ctx.teams.len())
        };
        (Some(team), ctx.salesperson(rng, team))
    } else if rng.random_bool(0.4) {
        (Some(home), None)
    } else {
        (None, None)
    };
    let date_open = user.map(|_| {
        let delay = if rng.random_bool(0.35) {
            0
        } else {
            log_uniform(rng, (10 * MINUTE) as f64, (14 * DAY) as f64) as i64
        };
        if create + delay < now {
            create + delay
        } else {
            create + rng.random_range(0..now - create)
        }
    });
    let date_closed = if closed {
        let base = date_open.unwrap_or(create);
        let delay = log_uniform(rng, HOUR as f64, (60 * DAY) as f64) as i64;
        Some(if base + delay < now {
            base + delay
        } else {
            base + rng.random_range(0..(now - base).max(1))
        })
    } else {
        None
    };
    let stage_update = match (date_closed, date_open) {
        (Some(c), _) => c,
        (None, Some(o)) if stage != ctx.refs.stages.new => {
            o + rng.random_range(0..(now - o).max(1))
        }
        _ => create,
    };
    Lifecycle {
        create,
        team,
        user,
        date_open,
        date_closed,
        stage_update,
    }
}

/// A lead's money: probability (percent), expected and prorated revenue.
struct Revenue {
    probability: f64,
    expected: f64,
    prorated: f64,
}

fn draw_revenue(rng: &mut StdRng, st: &Stages, standing: &Standing) -> Revenue {
    let probability: f64 = if standing.won {
        100.0
    } else if standing.lost {
        0.0
    } else if standing.stage == st.new {
        rng.random_range(5..=20) as f64
    } else if standing.stage == st.qualified {
        rng.random_range(20..=40) as f64
    } else {
        rng.random_range(45..=80) as f64
    };
    let expected: f64 = if !standing.is_opp && rng.random_bool(0.4) {
        0.0
    } else {
        (log_uniform(rng, 500.0, 150_000.0) / 50.0).round() * 50.0
    };
    Revenue {
        probability,
        expected,
        prorated: (expected * probability).round() / 100.0,
    }
}

/// Source, medium, campaign and tags: each drawn independently.
fn set_marketing(rng: &mut StdRng, ctx: &Ctx, rec: &mut Rec) {
    if rng.random_bool(0.75) {
        rec.m2o_opt("source_id", pick(rng, &ctx.catalog.sources).copied());
    }
    if rng.random_bool(0.7) {
        rec.m2o_opt("medium_id", pick(rng, &ctx.refs.mediums).copied());
    }
    if rng.random_bool(0.4) {
        rec.m2o_opt("campaign_id", pick(rng, &ctx.catalog.campaigns).copied());
    }
    let n_tags = weighted(rng, &TAG_COUNTS).min(ctx.catalog.tags.len());
    if n_tags > 0 {
        let mut tags: Vec<i64> = Vec::with_capacity(n_tags);
        while tags.len() < n_tags {
            let t = ctx.catalog.tags[rng.random_range(0..ctx.catalog.tags.len())];
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        tags.sort_unstable();
        rec.ids("tag_ids", tags);
    }
}

/// A lead's name and the person or company it is from.
struct Title<'a> {
    name: String,
    who: &'a str,
}

/// The lead's title: an interest (in the contact's language half the time) and who asks.
fn draw_title<'a>(rng: &mut StdRng, identity: &'a Identity) -> Title<'a> {
    let localized = names::interests(identity.locale);
    let interest = if !localized.is_empty() && rng.random_bool(0.5) {
        pick(rng, localized)
    } else {
        pick(rng, names::INTERESTS_EN)
    }
    .copied()
    .unwrap_or("Quote request");
    let who = identity
        .company
        .as_ref()
        .map_or(identity.person.name.as_str(), |c| c.0.as_str());
    Title {
        name: names::concat(&[interest, " - ", who]),
        who,
    }
}

/// E-mail, phone, country and city (drawn among the country's cities).
fn set_contact(
    rng: &mut StdRng,
    ctx: &Ctx,
    rec: &mut Rec,
    identity: &Identity,
    phone: Option<String>,
) {
    if let Some(email) = &identity.email {
        rec.set("email_normalized", email.to_ascii_lowercase())
            .set("email_from", email.as_str())
            .set("email_state", "correct");
    }
    if let Some(phone) = phone {
        rec.set("phone", phone.as_str())
            .set("phone_sanitized", phone);
    }
    if let Some(code) = identity.country {
        rec.m2o_opt("country_id", ctx.refs.country(code))
            .opt("city", pick(rng, names::cities(code)).copied());
    }
}

/// Team, salesperson and the lifecycle dates with Odoo's day counts.
fn set_lifecycle(ctx: &Ctx, rec: &mut Rec, life: &Lifecycle) {
    let create = life.create;
    rec.m2o_opt(
        "team_id",
        life.team.and_then(|t| ctx.team_ids.get(t).copied()),
    )
    .m2o_opt("user_id", life.user)
    .m2o("company_id", ctx.refs.company)
    .set("create_date", clock::datetime(create))
    .set("date_last_stage_update", clock::datetime(life.stage_update));
    if let Some(open) = life.date_open {
        rec.set("date_open", clock::datetime(open))
            .set("day_open", clock::odoo_days_between(create, open));
    }
    if let Some(closed_at) = life.date_closed {
        rec.set("date_closed", clock::datetime(closed_at))
            .set("day_close", clock::odoo_days_between(create, closed_at));
    }
}

fn draw_lead(rng: &mut StdRng, ctx: &Ctx, prev: &mut Option<Identity>, index: usize) -> Drawn {
    let st = &ctx.refs.stages;
    let standing = draw_standing(rng, st);
    let Standing {
        is_opp,
        stage,
        won,
        lost,
        closed,
    } = standing;

    let customer = if is_opp && (stage == st.proposition || won) && rng.random_bool(0.5) {
        pick(rng, ctx.customers)
    } else {
        None
    };
    let identity = match (customer, prev.as_ref()) {
        // Some people ask twice: the same contact and address again (Odoo's assignment merges
        // such duplicates by `email_normalized`).
        (None, Some(p)) if rng.random_bool(DUPLICATE_SHARE) => p.clone(),
        _ => draw_identity(rng, customer),
    };
    let country = identity.country;
    let phone = match country {
        Some(code) if !rng.random_bool(0.25) => Some(names::phone(rng, code)),
        _ => None,
    };
    let Title { name, who } = draw_title(rng, &identity);
    let life = draw_lifecycle(rng, ctx, &standing, country);
    let Revenue {
        probability,
        expected,
        prorated,
    } = draw_revenue(rng, st, &standing);

    let mut rec = Rec::with_capacity(34);
    rec.set("name", name)
        .set("type", if is_opp { "opportunity" } else { "lead" })
        .set("active", !lost)
        .m2o("stage_id", stage)
        .set("probability", probability)
        .set("expected_revenue", expected)
        .set("prorated_revenue", prorated)
        .set("priority", weighted(rng, &PRIORITIES))
        .set("contact_name", identity.person.name.as_str())
        .opt(
            "partner_name",
            identity.company.as_ref().map(|c| c.0.as_str()),
        )
        .m2o_opt("partner_id", customer.map(|c| c.id));
    set_contact(rng, ctx, &mut rec, &identity, phone);
    set_marketing(rng, ctx, &mut rec);
    set_lifecycle(ctx, &mut rec, &life);
    let create = life.create;
    if lost && rng.random_bool(0.7) {
        rec.m2o_opt("lost_reason_id", pick(rng, &ctx.refs.lost_reasons).copied());
    }
    if is_opp && !closed && rng.random_bool(0.5) {
        let deadline = create + rng.random_range(30..=90) * DAY;
        rec.set("date_deadline", clock::date(clock::date_of(deadline)));
    }

    let user = life.user;
    let open_opportunity = match user {
        Some(u) if is_opp && !lost => Some(OpportunityRef {
            lead_id: 0,
            user: u,
            partner: customer.map(|c| c.id),
            label: who.to_owned(),
            created: create,
        }),
        _ => None,
    };
    if customer.is_none() && index.is_multiple_of(DUPLICATE_STRIDE) && identity.email.is_some() {
        *prev = Some(identity.clone());
    }
    Drawn {
        rec,
        user,
        open_opportunity,
    }
}

pub(crate) fn create(
    out: &mut Out,
    refs: &Refs,
    catalog: &Catalog,
    spec: &DatasetSpec,
    staff: &Staff,
    customers: &[Customer],
) -> LeadsOutcome {
    let mut rng = StdRng::seed_from_u64(spec.seed ^ 0x4c45_4144_0000_0003);
    let mut sampler = StdRng::seed_from_u64(spec.seed ^ 0x5341_4d50_0000_0004);
    let teams = (0..staff.team_ids.len())
        .map(|t| staff.team_members(t).map(|m| (m.uid, m.weight)).collect())
        .collect();
    let now = clock::midnight(spec.today);
    let ctx = Ctx {
        refs,
        catalog,
        customers,
        teams,
        team_ids: &staff.team_ids,
        now,
        month_start: clock::midnight(clock::month_start(spec.today)),
    };
    let mut outcome = LeadsOutcome {
        unassigned: 0,
        sample: Vec::with_capacity(SAMPLE.min(spec.leads)),
    };
    let mut seen = 0usize;
    let mut prev = None;
    for index in 0..spec.leads {
        let drawn = draw_lead(&mut rng, &ctx, &mut prev, index);
        let id = out.create("crm.lead", drawn.rec);
        if drawn.user.is_none() {
            outcome.unassigned += 1;
        }
        if let Some(mut opp) = drawn.open_opportunity {
            opp.lead_id = id;
            seen += 1;
            if outcome.sample.len() < SAMPLE {
                outcome.sample.push(opp);
            } else {
                let j = sampler.random_range(0..seen);
                if j < SAMPLE {
                    outcome.sample[j] = opp;
                }
            }
        }
    }
    outcome
}
