//! Reference data the dataset points at, looked up in the store by business keys (country
//! codes, stage and group names, model names) instead of hard-coded ids, plus the UTM and tag
//! records the generator adds next to the snapshot's.
//!
//! A few targets live in models the snapshot does not carry (account.journal, account.account,
//! product.product, mail.template, utm.stage); for those the ids the snapshot's own records
//! use are borrowed, and only when a snapshot record is seen using them.

use crate::record::{RecordStore, Value};

use super::emit::{Out, Rec};
use super::names::COUNTRY_CODES;
use super::{DatasetSpec, DemoError};

/// The CRM pipeline stages of the snapshot, by role.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stages {
    pub new: i64,
    pub qualified: i64,
    pub proposition: i64,
    pub won: i64,
}

/// A product invoices are made of: the snapshot's furniture catalogue.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Product {
    /// `product.product` id, when the snapshot's invoice report shows it exists.
    pub id: Option<i64>,
    pub price_cents: i64,
}

/// Odoo's shipped karma ranks (gamification/data/gamification_karma_rank_data.xml).
const SHIPPED_RANKS: [(&str, i64); 5] = [
    ("Newbie", 1),
    ("Student", 100),
    ("Bachelor", 500),
    ("Master", 2000),
    ("Doctor", 10000),
];

/// Snapshot furniture catalogue: (product id, list price in cents), as the snapshot's
/// invoice report rows price them.
const PRODUCTS: [(i64, i64); 5] = [
    (5, 12_050),
    (7, 28_000),
    (33, 235_000),
    (34, 400_000),
    (35, 150_000),
];

#[derive(Clone, Debug)]
pub(crate) struct Refs {
    pub company: i64,
    pub currency: i64,
    pub admin_uid: i64,
    /// (ISO code, `res.country` id) for every code `names` may emit, in `COUNTRY_CODES` order.
    pub countries: Vec<(&'static str, i64)>,
    pub stages: Stages,
    pub group_user: i64,
    pub group_salesman: i64,
    /// `res.users` field a user's groups are written to (`groups_id` on 17, `group_ids` on
    /// 19) and the one a challenge's `user_domain` searches (`groups_id`, `all_group_ids`:
    /// what Odoo 19's own default challenges use).
    pub user_groups_field: &'static str,
    pub member_groups_field: &'static str,
    pub lost_reasons: Vec<i64>,
    pub mediums: Vec<i64>,
    /// `ir.model` ids (for `res_model_id` / goal definitions).
    pub model_lead: Option<i64>,
    pub model_event: Option<i64>,
    /// `ir.model.fields` ids of `calendar.event.user_id` and `.start`, when the store has them.
    pub field_event_user: Option<i64>,
    pub field_event_start: Option<i64>,
    pub journal_sales: Option<i64>,
    pub account_sales: Option<i64>,
    pub report_template: Option<i64>,
    pub utm_stage: Option<i64>,
    /// (rank id, karma_min), ascending karma_min.
    pub ranks: Vec<(i64, i64)>,
    pub products: Vec<Product>,
}

fn s(v: &str) -> Value {
    Value::Str(v.to_owned())
}

fn one(out: &dyn RecordStore, model: &str, field: &str, value: &str) -> Result<i64, DemoError> {
    out.search_eq(model, field, &s(value))
        .first()
        .copied()
        .ok_or_else(|| DemoError::MissingReference {
            model: model.to_owned(),
            field: field.to_owned(),
            value: value.to_owned(),
        })
}

/// `Some(id)` when some record of `model` has `field = id`, i.e. the target exists in the db.
fn borrowed(out: &dyn RecordStore, model: &str, field: &str, id: i64) -> Option<i64> {
    (!out.search_eq(model, field, &Value::Many2one(id)).is_empty()).then_some(id)
}

fn field_id(out: &dyn RecordStore, model: &str, name: &str) -> Option<i64> {
    let of_model = out.search_eq("ir.model.fields", "model", &s(model));
    let named = out.search_eq("ir.model.fields", "name", &s(name));
    of_model.into_iter().find(|id| named.contains(id))
}

impl Refs {
    pub(crate) fn look_up(out: &dyn RecordStore) -> Result<Refs, DemoError> {
        let company = one(out, "res.company", "name", "YourCompany")?;
        let currency = one(out, "res.currency", "name", "USD")?;
        let admin_uid = one(out, "res.users", "login", "admin")?;
        let mut countries = Vec::with_capacity(COUNTRY_CODES.len());
        for code in COUNTRY_CODES {
            countries.push((code, one(out, "res.country", "code", code)?));
        }
        let stages = Stages {
            new: one(out, "crm.stage", "name", "New")?,
            qualified: one(out, "crm.stage", "name", "Qualified")?,
            proposition: one(out, "crm.stage", "name", "Proposition")?,
            won: one(out, "crm.stage", "name", "Won")?,
        };
        // Odoo 19 renamed the internal user group "Role / User".
        let group_user = one(out, "res.groups", "name", "Internal User")
            .or_else(|_| one(out, "res.groups", "name", "Role / User"))?;
        let v19 =
            !out.has_field("res.users", "groups_id") && out.has_field("res.users", "group_ids");
        let (user_groups_field, member_groups_field) = if v19 {
            ("group_ids", "all_group_ids")
        } else {
            ("groups_id", "groups_id")
        };
        let group_salesman = one(out, "res.groups", "name", "User: Own Documents Only")?;
        let lost_reasons = out.search_eq("crm.lost.reason", "active", &Value::Bool(true));
        let mediums = out.search_eq("utm.medium", "active", &Value::Bool(true));
        let model_lead = out
            .search_eq("ir.model", "model", &s("crm.lead"))
            .first()
            .copied();
        let model_event = out
            .search_eq("ir.model", "model", &s("calendar.event"))
            .first()
            .copied();
        let mut ranks = Vec::new();
        for (name, karma_min) in SHIPPED_RANKS {
            if let Some(id) = out
                .search_eq("gamification.karma.rank", "name", &s(name))
                .first()
            {
                ranks.push((*id, karma_min));
            }
        }
        let products = PRODUCTS
            .iter()
            .map(|&(id, price_cents)| Product {
                id: borrowed(out, "account.invoice.report", "product_id", id),
                price_cents,
            })
            .collect();
        Ok(Refs {
            company,
            currency,
            admin_uid,
            countries,
            stages,
            group_user,
            group_salesman,
            user_groups_field,
            member_groups_field,
            lost_reasons,
            mediums,
            model_lead,
            model_event,
            field_event_user: field_id(out, "calendar.event", "user_id"),
            field_event_start: field_id(out, "calendar.event", "start"),
            journal_sales: borrowed(out, "account.move", "journal_id", 1),
            account_sales: borrowed(out, "account.invoice.report", "account_id", 24),
            report_template: borrowed(out, "gamification.challenge", "report_template_id", 12),
            utm_stage: borrowed(out, "utm.campaign", "stage_id", 1),
            ranks,
            products,
        })
    }

    pub(crate) fn country(&self, code: &str) -> Option<i64> {
        self.countries
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, id)| *id)
    }

    /// `(rank_id, next_rank_id)` for a karma value, as `_recompute_rank` sets them.
    pub(crate) fn rank_for(&self, karma: i64) -> (Option<i64>, Option<i64>) {
        if karma <= 0 {
            return (None, self.ranks.first().map(|r| r.0));
        }
        match self.ranks.iter().rposition(|&(_, min)| karma >= min) {
            Some(i) => (Some(self.ranks[i].0), self.ranks.get(i + 1).map(|r| r.0)),
            None => (None, None),
        }
    }
}

/// UTM sources, campaigns and CRM tags leads are drawn from: the snapshot's plus a few that
/// fit the demo's markets (Zalo and WeChat are where Vietnamese and Chinese leads come from).
#[derive(Clone, Debug, Default)]
pub(crate) struct Catalog {
    pub sources: Vec<i64>,
    pub campaigns: Vec<i64>,
    pub tags: Vec<i64>,
}

const SNAPSHOT_SOURCES: [&str; 9] = [
    "Search engine",
    "Lead Recall",
    "Newsletter",
    "Facebook",
    "Twitter",
    "LinkedIn",
    "Monster",
    "Glassdoor",
    "Craigslist",
];
const NEW_SOURCES: [&str; 5] = ["Zalo", "WeChat", "VK", "Trade Show", "Customer Referral"];
const SNAPSHOT_TAGS: [&str; 8] = [
    "Product",
    "Software",
    "Services",
    "Information",
    "Design",
    "Training",
    "Consulting",
    "Other",
];
const NEW_TAGS: [(&str, i64); 4] = [
    ("VIP", 9),
    ("Distributor", 10),
    ("Government", 11),
    ("Hot lead", 2),
];

impl Catalog {
    pub(crate) fn extend(out: &mut Out, refs: &Refs, spec: &DatasetSpec) -> Catalog {
        let mut cat = Catalog::default();
        for name in SNAPSHOT_SOURCES {
            cat.sources
                .extend(out.search_eq("utm.source", "name", &s(name)).first());
        }
        for name in NEW_SOURCES {
            let mut r = Rec::with_capacity(1);
            r.set("name", name);
            cat.sources.push(out.create("utm.source", r));
        }
        cat.campaigns = out.search_eq("utm.campaign", "active", &Value::Bool(true));
        let year = chrono::Datelike::year(&spec.today);
        let new_campaigns = [
            format!("Tết {} Promotion", year + 1),
            "Singles' Day 11.11".to_owned(),
            format!("Black Friday {year}"),
            "Webinar: Smart Office".to_owned(),
        ];
        for name in new_campaigns {
            let mut r = Rec::with_capacity(7);
            r.set("name", name.as_str())
                .set("title", name)
                .set("active", true)
                .set("is_auto_campaign", false)
                .m2o("company_id", refs.company)
                .m2o("user_id", refs.admin_uid)
                .m2o_opt("stage_id", refs.utm_stage);
            cat.campaigns.push(out.create("utm.campaign", r));
        }
        for name in SNAPSHOT_TAGS {
            cat.tags
                .extend(out.search_eq("crm.tag", "name", &s(name)).first());
        }
        for (name, color) in NEW_TAGS {
            let mut r = Rec::with_capacity(2);
            r.set("name", name).set("color", color);
            cat.tags.push(out.create("crm.tag", r));
        }
        cat
    }
}
