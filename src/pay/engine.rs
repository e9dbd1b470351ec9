//! The pay engine: from plans and typed inputs to one statement per person and period.
//! Pure: no I/O, no clock (today is given), deterministic (same input, same statements,
//! lines in key order).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Months, NaiveDate};

use super::coefficient::CoefficientNote;
use super::components::{AddonPay, addon_base};
use super::error::PayError;
use super::input::{Document, Input};
use super::money::{Money, Ratio};
use super::period::Period;
use super::plan::{ComponentKind, PayConfig, PlanSpec, coefficient_keys};
use super::statement::{Base, Line, LineKey, Rate, Statement, adjustments};

/// One computation: the config, what was read, the statements Odoo already holds
/// (locked ones are final) and today's date (when periods close).
pub struct Calc<'a> {
    pub config: &'a PayConfig,
    pub input: &'a Input,
    pub stored: &'a [Statement],
    pub today: NaiveDate,
}

impl Calc<'_> {
    /// The statements of `period` for every member of a plan of that period's kind (an
    /// empty statement for a member who earned nothing: it says so), with adjustments for
    /// the locked periods before it. Refuses a period already locked.
    pub fn statements(&self, period: Period) -> Result<Vec<Statement>, PayError> {
        self.check_overlaps()?;
        let locked = self
            .stored
            .iter()
            .filter(|s| s.period == period && s.locked)
            .count();
        if locked > 0 {
            return Err(PayError::Locked {
                period,
                locked,
                next: period.next(),
            });
        }
        let mut users: BTreeSet<i64> = BTreeSet::new();
        for plan in self.plans_of(period) {
            if let Some(m) = self.input.members.get(&plan.key) {
                users.extend(m);
            }
        }
        let mut fresh = self.fresh(period);
        let mut earlier: HashMap<Period, BTreeMap<i64, Vec<Line>>> = HashMap::new();
        let closes = period.closed(self.today, self.config.close_after_days);
        let mut out = Vec::new();
        for user in users {
            let (mut lines, notes) = fresh.remove(&user).unwrap_or_default();
            // Walk back over the locked periods right before this one.
            let mut q = period.previous();
            while let Some(locked) = self.stored_locked(user, q) {
                let booked: Vec<&Line> = self
                    .stored
                    .iter()
                    .filter(|s| s.user == user && s.locked && s.period > q)
                    .flat_map(|s| s.lines.iter())
                    .filter(|l| l.origin.as_ref().is_some_and(|o| o.period == q))
                    .collect();
                let now = earlier
                    .entry(q)
                    .or_insert_with(|| {
                        self.fresh(q)
                            .into_iter()
                            .map(|(u, (l, _))| (u, l))
                            .collect()
                    })
                    .get(&user)
                    .map_or(&[][..], Vec::as_slice);
                lines.extend(adjustments(locked, &booked, now));
                q = q.previous();
            }
            out.push(Statement::new(
                user,
                self.name(user),
                period,
                lines,
                closes,
                notes,
            ));
        }
        Ok(out)
    }

    fn stored_locked(&self, user: i64, period: Period) -> Option<&Statement> {
        self.stored
            .iter()
            .find(|s| s.user == user && s.period == period && s.locked)
    }

    fn name(&self, user: i64) -> String {
        self.input
            .names
            .get(&user)
            .cloned()
            .unwrap_or_else(|| format!("user {user}"))
    }

    fn plans_of(&self, period: Period) -> impl Iterator<Item = &PlanSpec> {
        self.config
            .plans
            .iter()
            .filter(move |p| p.period == period.kind)
    }

    fn members(&self, plan: &PlanSpec) -> Option<&BTreeSet<i64>> {
        self.input.members.get(&plan.key)
    }

    /// A person in two plans paying the same component is an error unless both stack.
    pub fn check_overlaps(&self) -> Result<(), PayError> {
        for kind in ComponentKind::ALL {
            let mut seen: BTreeMap<i64, &PlanSpec> = BTreeMap::new();
            for plan in &self.config.plans {
                if !plan.components.kinds().contains(&kind) {
                    continue;
                }
                for &user in self.members(plan).into_iter().flatten() {
                    if let Some(first) = seen.get(&user)
                        && !(first.stack && plan.stack)
                    {
                        return Err(PayError::Overlap {
                            user,
                            component: kind,
                            first: first.key.clone(),
                            second: plan.key.clone(),
                        });
                    }
                    seen.entry(user).or_insert(plan);
                }
            }
        }
        Ok(())
    }

    /// Every coefficient note of `user` in `period` (all the keys their plans use).
    fn notes(&self, user: i64, period: Period) -> BTreeMap<String, CoefficientNote> {
        let empty = BTreeMap::new();
        let values = self.input.kpis.get(&period.to_string()).unwrap_or(&empty);
        let mut out = BTreeMap::new();
        for plan in self.plans_of(period) {
            if !self.members(plan).is_some_and(|m| m.contains(&user)) {
                continue;
            }
            for key in plan.coefficients.values().flatten() {
                if out.contains_key(key) {
                    continue;
                }
                let Some(spec) = self.config.coefficients.iter().find(|c| &c.key == key) else {
                    continue;
                };
                let in_group = spec.group.is_none()
                    || self
                        .input
                        .groups
                        .get(key)
                        .is_some_and(|g| g.contains(&user));
                out.insert(
                    key.clone(),
                    spec.evaluate(user, in_group, &self.config.kpis, values),
                );
            }
        }
        out
    }

    /// The lines every person earned in `period` from today's data, before adjustments,
    /// with their coefficient notes.
    fn fresh(&self, period: Period) -> BTreeMap<i64, (Vec<Line>, Vec<CoefficientNote>)> {
        let mut notes: BTreeMap<i64, BTreeMap<String, CoefficientNote>> = BTreeMap::new();
        for plan in self.plans_of(period) {
            for &u in self.members(plan).into_iter().flatten() {
                notes.entry(u).or_insert_with(|| self.notes(u, period));
            }
        }
        let factor = |user: i64, plan: &PlanSpec, kind: ComponentKind| -> Ratio {
            coefficient_keys(plan, kind)
                .iter()
                .filter_map(|k| notes.get(&user).and_then(|n| n.get(k)))
                .fold(Ratio::ONE, |acc, n| acc.times(n.factor))
        };
        let mut lines: BTreeMap<i64, Vec<Line>> = BTreeMap::new();
        let by_id: HashMap<(super::plan::DocumentSource, i64), &Document> = self
            .input
            .documents
            .iter()
            .map(|d| ((d.source, d.id), d))
            .collect();
        let history = History::new(&self.input.documents);
        let docs: Vec<&Document> = self
            .input
            .documents
            .iter()
            .filter(|d| period.contains(d.date))
            .collect();
        for plan in self.plans_of(period) {
            let Some(members) = self.members(plan) else {
                continue;
            };
            let c = &plan.components;
            let mut net: BTreeMap<i64, Money> = BTreeMap::new();
            for doc in docs.iter().filter(|d| d.source == plan.documents) {
                let label = doc_label(doc, &by_id);
                let subject = format!("{}/{}", doc.source.model(), doc.id);
                let mut push = |user: i64, kind, subject: String, base, rate, amount, coef| {
                    lines.entry(user).or_default().push(Line {
                        key: LineKey {
                            plan: plan.key.clone(),
                            component: kind,
                            subject,
                        },
                        label: label.clone(),
                        base,
                        rate,
                        coefficient: coef,
                        amount,
                        origin: None,
                    });
                };
                if let Some(s) = doc.salesperson.filter(|s| members.contains(s)) {
                    *net.entry(s).or_default() =
                        net.get(&s).copied().unwrap_or_default() + doc.amount;
                    if let Some(rate) = c.basic {
                        let k = factor(s, plan, ComponentKind::Basic);
                        let amount = doc.amount.apply(rate, k);
                        push(
                            s,
                            ComponentKind::Basic,
                            subject.clone(),
                            Base::Amount(doc.amount),
                            Rate::Percent(rate),
                            amount,
                            k,
                        );
                    }
                    for addon in &c.addons {
                        let products = self
                            .input
                            .addon_products
                            .get(&format!("{}/{}", plan.key, addon.key));
                        let Some((amount, qty)) =
                            addon_base(&doc.lines, |p| products.is_some_and(|s| s.contains(&p)))
                        else {
                            continue;
                        };
                        let k = factor(s, plan, ComponentKind::Addon);
                        let (base, rate, pay) = match addon.pay {
                            AddonPay::Rate(r) => {
                                (Base::Amount(amount), Rate::Percent(r), amount.apply(r, k))
                            }
                            AddonPay::PerUnit(m) => {
                                (Base::Units(qty), Rate::PerUnit(m), m.per_units(qty, k))
                            }
                        };
                        push(
                            s,
                            ComponentKind::Addon,
                            format!("{subject}/addon:{}", addon.key),
                            base,
                            rate,
                            pay,
                            k,
                        );
                    }
                    if let Some(r) = c.repeat
                        && history.is_repeat(doc, r.within_months, &by_id)
                    {
                        let k = factor(s, plan, ComponentKind::Repeat);
                        push(
                            s,
                            ComponentKind::Repeat,
                            subject.clone(),
                            Base::Amount(doc.amount),
                            Rate::Percent(r.rate),
                            doc.amount.apply(r.rate, k),
                            k,
                        );
                    }
                }
                if let Some(referral) = &c.referral
                    && let Some(r) = doc
                        .referrer
                        .filter(|r| members.contains(r) && Some(*r) != doc.salesperson)
                {
                    let k = factor(r, plan, ComponentKind::Referral);
                    push(
                        r,
                        ComponentKind::Referral,
                        subject.clone(),
                        Base::Amount(doc.amount),
                        Rate::Percent(referral.rate),
                        doc.amount.apply(referral.rate, k),
                        k,
                    );
                }
            }
            if let Some(tiers) = &c.tiers {
                for (&user, &total) in &net {
                    let k = factor(user, plan, ComponentKind::Tiers);
                    for slice in tiers.slices(total) {
                        let from = tiers.bands[slice.band].from;
                        lines.entry(user).or_default().push(Line {
                            key: LineKey {
                                plan: plan.key.clone(),
                                component: ComponentKind::Tiers,
                                subject: format!("band/{}", slice.band),
                            },
                            label: format!(
                                "{period} band from {from} of target {}",
                                tiers.target.display(self.config.currency_decimals)
                            ),
                            base: Base::Amount(slice.base),
                            rate: Rate::Percent(slice.rate),
                            coefficient: k,
                            amount: slice.base.apply(slice.rate, k),
                            origin: None,
                        });
                    }
                }
            }
            if let Some(setter) = &c.setter {
                for m in self.input.meetings.get(&plan.key).into_iter().flatten() {
                    let Some(s) = m
                        .setter
                        .filter(|s| members.contains(s) && period.contains(m.date))
                    else {
                        continue;
                    };
                    let k = factor(s, plan, ComponentKind::Setter);
                    lines.entry(s).or_default().push(Line {
                        key: LineKey {
                            plan: plan.key.clone(),
                            component: ComponentKind::Setter,
                            subject: format!("calendar.event/{}", m.id),
                        },
                        label: m.name.clone(),
                        base: Base::Meetings(1),
                        rate: Rate::Fixed(setter.per_meeting),
                        coefficient: k,
                        amount: setter.per_meeting.times_count(1, k),
                        origin: None,
                    });
                }
            }
            if let Some(src) = &c.incidental {
                for i in self.input.incidentals.get(&plan.key).into_iter().flatten() {
                    if !members.contains(&i.user) || !period.contains(i.date) {
                        continue;
                    }
                    let k = factor(i.user, plan, ComponentKind::Incidental);
                    lines.entry(i.user).or_default().push(Line {
                        key: LineKey {
                            plan: plan.key.clone(),
                            component: ComponentKind::Incidental,
                            subject: format!("{}/{}", src.model, i.id),
                        },
                        label: i.name.clone(),
                        base: Base::None,
                        rate: Rate::Fixed(i.amount),
                        coefficient: k,
                        amount: i.amount.times_count(1, k),
                        origin: None,
                    });
                }
            }
        }
        let mut out: BTreeMap<i64, (Vec<Line>, Vec<CoefficientNote>)> = BTreeMap::new();
        for (user, n) in notes {
            out.entry(user).or_default().1 = n.into_values().collect();
        }
        for (user, l) in lines {
            out.entry(user).or_default().0 = l;
        }
        out
    }
}

/// `RINV/2026/00003 (refund of INV/2026/00042)`.
fn doc_label(
    doc: &Document,
    by_id: &HashMap<(super::plan::DocumentSource, i64), &Document>,
) -> String {
    match doc.reverses.and_then(|id| by_id.get(&(doc.source, id))) {
        Some(orig) => format!("{} (refund of {})", doc.name, orig.name),
        None => doc.name.clone(),
    }
}

/// Each customer's purchases (positive documents), for repeat-purchase detection.
struct History<'a> {
    purchases: HashMap<(super::plan::DocumentSource, i64), Vec<(NaiveDate, i64)>>,
    _docs: std::marker::PhantomData<&'a ()>,
}

impl<'a> History<'a> {
    fn new(docs: &'a [Document]) -> Self {
        let mut purchases: HashMap<_, Vec<(NaiveDate, i64)>> = HashMap::new();
        for d in docs.iter().filter(|d| d.amount.0 > 0) {
            if let Some(c) = d.customer {
                purchases
                    .entry((d.source, c))
                    .or_default()
                    .push((d.date, d.id));
            }
        }
        for v in purchases.values_mut() {
            v.sort_unstable();
        }
        History {
            purchases,
            _docs: std::marker::PhantomData,
        }
    }

    fn is_repeat(
        &self,
        doc: &Document,
        months: u32,
        by_id: &HashMap<(super::plan::DocumentSource, i64), &Document>,
    ) -> bool {
        // A credit note is a repeat when the invoice it reverses was (followed once: a
        // reversal of a reversal is judged on its own date).
        let doc = doc
            .reverses
            .and_then(|id| by_id.get(&(doc.source, id)).copied())
            .unwrap_or(doc);
        let Some(customer) = doc.customer else {
            return false;
        };
        let Some(list) = self.purchases.get(&(doc.source, customer)) else {
            return false;
        };
        let since = doc
            .date
            .checked_sub_months(Months::new(months))
            .unwrap_or(NaiveDate::MIN);
        let me = (doc.date, doc.id);
        // Any purchase in [since, me): the last one before me is the one to look at.
        let idx = list.partition_point(|p| *p < me);
        idx > 0 && list[idx - 1].0 >= since
    }
}
