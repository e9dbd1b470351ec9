//! The pay part of the demo (issue 14): three people and a small, fixed set of documents
//! whose statements can be computed by hand, added next to the random dataset so that
//! `scorekeeper demo` prints one statement of each kind. Everything is dated from the
//! dataset's `today` (the current month is the period paid); nothing is drawn at random.
//!
//! * **Lý Thị Mai** (`mai.ly`), an affiliate ("cộng tác viên") with referral code `MAI-2026`
//!   (the Reference of her contact; a UTM source of that name marks what she brought):
//!   a repeat customer (bought two months ago, again this month, with an add-on product,
//!   then a partial credit note), and a customer she referred whom the field rep closed;
//! * **Сергей Орлов** (`sergey.orlov`), a field rep on tiers: the referred deal and the deal a
//!   telemarketer's meeting brought, one opportunity won this month;
//! * **Phạm Minh Tâm** (`tam.pham`), a telemarketer: five meetings this month, three of them
//!   about opportunities that reached Qualified or further (qualified), one about a new
//!   opportunity and one cold call (not qualified).
//!
//! The incidental amount is recorded by the demo through Odoo once `setup` has created its
//! model (`cli::demo_pay`). Products are the recording's own (`product.product` of the
//! simulator): Large Meeting Table (`FURN_6741`) and the add-on Office Design Software
//! (`FURN_9999`). Invoices are numbered as Odoo numbers a second sales journal with code
//! `AFF` (`AFF/2026/00001`, credit notes `RAFF/…`), so the demo's own `INV/` numbers stay as
//! they were; with the write of `account.move`, each line's `account.invoice.report` row is
//! written too (signed, like the rest of the dataset).

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};

use crate::record::{RecordStore, Value};

use super::clock;
use super::emit::{Out, Rec};
use super::refs::Refs;
use super::{DatasetSpec, DemoError};

/// The referral code of the demo's affiliate.
pub const REFERRAL_CODE: &str = "MAI-2026";

/// A person of the pay demo: (login = password, name, time zone, Reference of the contact).
const PEOPLE: [(&str, &str, &str, Option<&str>); 3] = [
    (
        "mai.ly",
        "Lý Thị Mai",
        "Asia/Ho_Chi_Minh",
        Some(REFERRAL_CODE),
    ),
    ("sergey.orlov", "Сергей Орлов", "Europe/Moscow", None),
    ("tam.pham", "Phạm Minh Tâm", "Asia/Ho_Chi_Minh", None),
];

/// What [`generate`] created.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PayDemo {
    /// Records created per model.
    pub created: BTreeMap<String, usize>,
    /// (login, uid) of the affiliate, the field rep and the telemarketer, in that order.
    pub people: Vec<(String, i64)>,
    /// The day of this month the incidental amount is dated (recorded later, in Odoo).
    pub incidental_date: NaiveDate,
}

/// The `n`-th day of today's month, or today if that is earlier (a demo run on the 3rd has
/// its month's documents dated up to the 3rd).
fn day(today: NaiveDate, n: u32) -> NaiveDate {
    let first = clock::month_start(today);
    (first + Duration::days(i64::from(n) - 1)).min(today)
}

/// One invoice line: product (if the store has it), quantity, untaxed amount in cents.
type DocLine = (Option<i64>, i64, i64);

/// One invoice or credit note to write.
struct Doc<'a> {
    refund: bool,
    date: NaiveDate,
    user: i64,
    customer: i64,
    source: Option<i64>,
    reverses: Option<i64>,
    lines: &'a [DocLine],
}

fn money(cents: i64) -> f64 {
    cents as f64 / 100.0
}

fn s(v: &str) -> Value {
    Value::Str(v.to_owned())
}

/// Writes `doc` (its header and its report rows), numbered `PREFIX/YEAR/NNNNN` in `next`.
fn invoice(out: &mut Out, refs: &Refs, next: &mut BTreeMap<(bool, i32), i64>, doc: &Doc) -> i64 {
    let (prefix, move_type, sign) = if doc.refund {
        ("RAFF", "out_refund", -1)
    } else {
        ("AFF", "out_invoice", 1)
    };
    let year = doc.date.year();
    let seq = next.entry((doc.refund, year)).or_insert(1);
    let name = format!("{prefix}/{year}/{:05}", *seq);
    *seq += 1;
    let untaxed: i64 = doc.lines.iter().map(|l| l.2).sum();
    let date = clock::date(doc.date);
    let due = clock::date(doc.date + Duration::days(30));
    let mut m = Rec::with_capacity(30);
    m.set("name", name.as_str())
        .set("move_type", move_type)
        .set("state", "posted")
        .set("payment_state", "not_paid")
        .set("auto_post", "no")
        .m2o("partner_id", doc.customer)
        .m2o("commercial_partner_id", doc.customer)
        .m2o("company_id", refs.company)
        .m2o("currency_id", refs.currency)
        .m2o_opt("journal_id", refs.journal_sales)
        .m2o("invoice_user_id", doc.user)
        .m2o_opt("source_id", doc.source)
        .m2o_opt("reversed_entry_id", doc.reverses)
        .set("invoice_date", date.as_str())
        .set("date", date.as_str())
        .set("invoice_date_due", due.as_str())
        .set("amount_untaxed", money(untaxed))
        .set("amount_tax", 0.0)
        .set("amount_total", money(untaxed))
        .set("amount_residual", money(untaxed))
        .set("amount_untaxed_signed", money(sign * untaxed))
        .set("amount_total_signed", money(sign * untaxed))
        .set("amount_total_in_currency_signed", money(sign * untaxed))
        .set("amount_residual_signed", money(sign * untaxed))
        .set("posted_before", true)
        .set("payment_reference", name.as_str())
        .set("sequence_prefix", format!("{prefix}/{year}/"))
        .set("sequence_number", *seq - 1)
        .set(
            "create_date",
            clock::datetime(clock::midnight(doc.date) + 9 * clock::HOUR),
        );
    let id = out.create("account.move", m);
    for &(product, qty, cents) in doc.lines {
        let mut l = Rec::with_capacity(20);
        l.m2o("move_id", id)
            .set("move_type", move_type)
            .set("state", "posted")
            .set("payment_state", "not_paid")
            .set("invoice_date", date.as_str())
            .set("invoice_date_due", due.as_str())
            .m2o("invoice_user_id", doc.user)
            .m2o("partner_id", doc.customer)
            .m2o("commercial_partner_id", doc.customer)
            .m2o("company_id", refs.company)
            .m2o("currency_id", refs.currency)
            .m2o("company_currency_id", refs.currency)
            .m2o_opt("journal_id", refs.journal_sales)
            .m2o_opt("account_id", refs.account_sales)
            .m2o_opt("product_id", product)
            .set("quantity", (sign * qty) as f64)
            .set("price_average", money(cents / qty.max(1)))
            .set("price_subtotal", money(sign * cents))
            .set("price_total", money(sign * cents));
        out.create("account.invoice.report", l);
    }
    id
}

/// A customer company.
fn customer(out: &mut Out, refs: &Refs, name: &str, country: &str) -> i64 {
    let mut r = Rec::with_capacity(10);
    r.set("name", name)
        .set("complete_name", name)
        .set("is_company", true)
        .set("type", "contact")
        .set("active", true)
        .set("customer_rank", 1_i64)
        .set("lang", "en_US")
        .m2o_opt("country_id", refs.country(country))
        .m2o("company_id", refs.company);
    out.create("res.partner", r)
}

/// An opportunity of the field rep's at `stage`.
fn opportunity(
    out: &mut Out,
    refs: &Refs,
    name: &str,
    (user, partner, stage): (i64, i64, i64),
    created: NaiveDate,
    won_on: Option<NaiveDate>,
) -> i64 {
    let mut r = Rec::with_capacity(14);
    r.set("name", name)
        .set("type", "opportunity")
        .set("active", true)
        .m2o("user_id", user)
        .m2o("partner_id", partner)
        .m2o("stage_id", stage)
        .m2o("company_id", refs.company)
        .set("expected_revenue", 7000.0)
        .set("probability", if won_on.is_some() { 100.0 } else { 40.0 })
        .set(
            "create_date",
            clock::datetime(clock::midnight(created) + 8 * clock::HOUR),
        );
    if let Some(w) = won_on {
        r.set(
            "date_closed",
            clock::datetime(clock::midnight(w) + 15 * clock::HOUR),
        );
    }
    out.create("crm.lead", r)
}

/// A one-hour meeting the telemarketer booked, at 09:00 UTC on `date`.
fn meeting(
    out: &mut Out,
    refs: &Refs,
    name: &str,
    (setter, setter_partner, customer): (i64, i64, i64),
    date: NaiveDate,
    opportunity: Option<i64>,
) {
    let start = clock::midnight(date) + 9 * clock::HOUR;
    let mut r = Rec::with_capacity(16);
    r.set("name", name)
        .set("start", clock::datetime(start))
        .set("stop", clock::datetime(start + clock::HOUR))
        .set("duration", 1.0)
        .set("allday", false)
        .set("active", true)
        .set("privacy", "public")
        .set("show_as", "busy")
        .m2o("user_id", setter)
        .ids("partner_ids", vec![setter_partner, customer])
        .set(
            "create_date",
            clock::datetime(clock::midnight(date) - 2 * clock::DAY),
        );
    if let Some(o) = opportunity {
        r.m2o("opportunity_id", o)
            .m2o_opt("res_model_id", refs.model_lead)
            .set("res_model", "crm.lead")
            .set("res_id", o);
    }
    out.create("calendar.event", r);
}

/// Writes the pay demo into `store`, which must hold the snapshot (and usually the rest of
/// the demo dataset: `generate` first).
pub fn generate(spec: &DatasetSpec, store: &mut dyn RecordStore) -> Result<PayDemo, DemoError> {
    for (login, ..) in PEOPLE {
        if !store.search_eq("res.users", "login", &s(login)).is_empty() {
            return Err(DemoError::AlreadyLoaded {
                login: login.to_owned(),
            });
        }
    }
    let refs = Refs::look_up(&*store)?;
    let product = |code: &str| {
        store
            .search_eq("product.product", "default_code", &s(code))
            .first()
            .copied()
    };
    let (table, software) = (product("FURN_6741"), product("FURN_9999"));
    let today = spec.today;
    let mut out = Out::new(store);

    let mut people = Vec::with_capacity(PEOPLE.len());
    let mut partners = Vec::with_capacity(PEOPLE.len());
    for (login, name, tz, code) in PEOPLE {
        let mut p = Rec::with_capacity(8);
        p.set("name", name)
            .set("complete_name", name)
            .set("email", format!("{login}@yourcompany.example.com"))
            .set("tz", tz)
            .set("lang", "en_US")
            .set("active", true)
            .opt("ref", code)
            .m2o("company_id", refs.company);
        let partner = out.create("res.partner", p);
        let mut u = Rec::with_capacity(8);
        u.set("login", login)
            .set("name", name)
            .set("active", true)
            .set("notification_type", "email")
            .m2o("partner_id", partner)
            .m2o("company_id", refs.company)
            .ids("company_ids", vec![refs.company])
            .ids(refs.user_groups_field, vec![refs.group_user]);
        let uid = out.create("res.users", u);
        out.set_password(uid, login);
        people.push((login.to_owned(), uid));
        partners.push(partner);
    }
    let (mai, sergey, tam) = (people[0].1, people[1].1, people[2].1);

    let sao_mai = customer(&mut out, &refs, "Công ty TNHH Nội thất Sao Mai", "VN");
    let great_wall = customer(&mut out, &refs, "北京长城办公家具有限公司", "CN");
    let north_wind = customer(&mut out, &refs, "ООО «Северный ветер»", "RU");
    let mut code = Rec::with_capacity(2);
    code.set("name", REFERRAL_CODE).set("active", true);
    let referral = out.create("utm.source", code);

    // Documents, in date order (their numbers follow it).
    let mut next = BTreeMap::new();
    let earlier = today - Duration::days(60);
    // Sao Mai bought two months ago: this month's purchase is a repeat.
    invoice(
        &mut out,
        &refs,
        &mut next,
        &Doc {
            refund: false,
            date: earlier,
            user: mai,
            customer: sao_mai,
            source: None,
            reverses: None,
            lines: &[(table, 1, 200_000)],
        },
    );
    let repeat = invoice(
        &mut out,
        &refs,
        &mut next,
        &Doc {
            refund: false,
            date: day(today, 3),
            user: mai,
            customer: sao_mai,
            source: None,
            reverses: None,
            lines: &[(table, 2, 400_000), (software, 5, 50_000)],
        },
    );
    // Great Wall came with Mai's code; Sergey closed it.
    invoice(
        &mut out,
        &refs,
        &mut next,
        &Doc {
            refund: false,
            date: day(today, 8),
            user: sergey,
            customer: great_wall,
            source: Some(referral),
            reverses: None,
            lines: &[(table, 3, 600_000)],
        },
    );
    // One software licence of Sao Mai's purchase returned.
    invoice(
        &mut out,
        &refs,
        &mut next,
        &Doc {
            refund: true,
            date: day(today, 10),
            user: mai,
            customer: sao_mai,
            source: None,
            reverses: Some(repeat),
            lines: &[(software, 1, 10_000)],
        },
    );
    // North Wind: the deal Tâm's meeting brought, closed by Sergey.
    invoice(
        &mut out,
        &refs,
        &mut next,
        &Doc {
            refund: false,
            date: day(today, 12),
            user: sergey,
            customer: north_wind,
            source: None,
            reverses: None,
            lines: &[(table, 3, 600_000), (software, 10, 100_000)],
        },
    );

    // Sergey's opportunities and Tâm's meetings about them.
    let month = clock::month_start(today);
    let st = refs.stages;
    let opp = |out: &mut Out, name: &str, partner: i64, stage: i64, won: Option<NaiveDate>| {
        opportunity(out, &refs, name, (sergey, partner, stage), month, won)
    };
    let a = opp(&mut out, "Phòng họp 12 chỗ", sao_mai, st.proposition, None);
    let b = opp(
        &mut out,
        "Переговорные для нового офиса",
        north_wind,
        st.won,
        Some(day(today, 12)),
    );
    let c = opp(&mut out, "办公桌升级", great_wall, st.new, None);
    let d = opp(&mut out, "Bàn giám đốc", sao_mai, st.qualified, None);
    let who = |customer: i64| (tam, partners[2], customer);
    meeting(
        &mut out,
        &refs,
        "Product demo: Phòng họp 12 chỗ",
        who(sao_mai),
        day(today, 4),
        Some(a),
    );
    meeting(
        &mut out,
        &refs,
        "Discovery call: Переговорные для нового офиса",
        who(north_wind),
        day(today, 9),
        Some(b),
    );
    meeting(
        &mut out,
        &refs,
        "Intro call: 办公桌升级",
        who(great_wall),
        day(today, 11),
        Some(c),
    );
    meeting(
        &mut out,
        &refs,
        "Prospecting call - new prospect",
        who(great_wall),
        day(today, 16),
        None,
    );
    meeting(
        &mut out,
        &refs,
        "Needs analysis: Bàn giám đốc",
        who(sao_mai),
        day(today, 18),
        Some(d),
    );
    Ok(PayDemo {
        created: out.into_counts(),
        people,
        incidental_date: day(today, 15),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_of_the_month_never_pass_today() {
        let t = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        assert_eq!(day(t, 3), NaiveDate::from_ymd_opt(2026, 11, 3).unwrap());
        let early = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(day(early, 12), early);
        assert_eq!(day(early, 1), NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
    }
}
