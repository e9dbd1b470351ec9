//! The pay engine: from plans and typed inputs to one statement per person and period.
//! Pure: no I/O, no clock (today is given), deterministic (same input, same statements,
//! lines in key order).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Months, NaiveDate};

use super::coefficient::CoefficientNote;
use super::components::{AddonBase, AddonPay, addon_base};
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
            // A member with no line and no coefficient this period gets an empty statement.
            let Earned { mut lines, notes } = fresh.remove(&user).unwrap_or_default();
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
                            .map(|(u, earned)| (u, earned.lines))
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
    pub(crate) fn check_overlaps(&self) -> Result<(), PayError> {
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

    /// What every person earned in `period` from today's data, before adjustments.
    fn fresh(&self, period: Period) -> BTreeMap<i64, Earned> {
        let mut e = Earning::new(self, period);
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
            // Each salesperson's net sales in the period (what tiers pay on).
            let mut net: BTreeMap<i64, Money> = BTreeMap::new();
            for doc in docs.iter().filter(|d| d.source == plan.documents) {
                let seen = Seen {
                    by_id: &by_id,
                    history: &history,
                };
                e.document(plan, members, doc, seen, &mut net);
            }
            e.tiers(plan, &net);
            e.meetings(plan, members);
            e.incidentals(plan, members);
        }
        e.finish()
    }
}

/// What one person earned in a period from today's data, before adjustments.
#[derive(Clone, Debug, Default)]
pub(crate) struct Earned {
    pub lines: Vec<Line>,
    pub notes: Vec<CoefficientNote>,
}

/// How a line pays: on what base, at what rate, times which coefficient, how much.
struct Pay {
    base: Base,
    rate: Rate,
    coefficient: Ratio,
    amount: Money,
}

fn line(
    plan: &PlanSpec,
    component: ComponentKind,
    subject: String,
    label: String,
    pay: Pay,
) -> Line {
    Line {
        key: LineKey {
            plan: plan.key.clone(),
            component,
            subject,
        },
        label,
        base: pay.base,
        rate: pay.rate,
        coefficient: pay.coefficient,
        amount: pay.amount,
        origin: None,
    }
}

/// The documents of every period, for refund labels and repeat purchases.
#[derive(Clone, Copy)]
struct Seen<'d> {
    by_id: &'d HashMap<(super::plan::DocumentSource, i64), &'d Document>,
    history: &'d History<'d>,
}

/// The lines of one period, gathered plan by plan.
struct Earning<'c, 'a> {
    calc: &'c Calc<'a>,
    period: Period,
    notes: BTreeMap<i64, BTreeMap<String, CoefficientNote>>,
    lines: BTreeMap<i64, Vec<Line>>,
}

impl<'c, 'a> Earning<'c, 'a> {
    fn new(calc: &'c Calc<'a>, period: Period) -> Self {
        let mut notes: BTreeMap<i64, BTreeMap<String, CoefficientNote>> = BTreeMap::new();
        for plan in calc.plans_of(period) {
            for &u in calc.members(plan).into_iter().flatten() {
                notes.entry(u).or_insert_with(|| calc.notes(u, period));
            }
        }
        Earning {
            calc,
            period,
            notes,
            lines: BTreeMap::new(),
        }
    }

    /// The product of the coefficients `plan` applies to `kind` for `user`.
    fn factor(&self, user: i64, plan: &PlanSpec, kind: ComponentKind) -> Ratio {
        coefficient_keys(plan, kind)
            .iter()
            .filter_map(|k| self.notes.get(&user).and_then(|n| n.get(k)))
            .fold(Ratio::ONE, |acc, n| acc.times(n.factor))
    }

    fn push(&mut self, user: i64, line: Line) {
        self.lines.entry(user).or_default().push(line);
    }

    /// One document: its salesperson's basic, add-on and repeat lines (adding to `net`), and
    /// its referrer's line.
    fn document(
        &mut self,
        plan: &PlanSpec,
        members: &BTreeSet<i64>,
        doc: &Document,
        seen: Seen<'_>,
        net: &mut BTreeMap<i64, Money>,
    ) {
        let c = &plan.components;
        let label = doc_label(doc, seen.by_id);
        let subject = format!("{}/{}", doc.source.model(), doc.id);
        let on_amount = |rate: Ratio, k: Ratio| Pay {
            base: Base::Amount(doc.amount),
            rate: Rate::Percent(rate),
            coefficient: k,
            amount: doc.amount.apply(rate, k),
        };
        if let Some(s) = doc.salesperson.filter(|s| members.contains(s)) {
            *net.entry(s).or_default() = net.get(&s).copied().unwrap_or_default() + doc.amount;
            if let Some(rate) = c.basic {
                let k = self.factor(s, plan, ComponentKind::Basic);
                let l = line(
                    plan,
                    ComponentKind::Basic,
                    subject.clone(),
                    label.clone(),
                    on_amount(rate, k),
                );
                self.push(s, l);
            }
            self.addons(plan, s, doc, &subject, &label);
            if let Some(r) = c.repeat
                && seen.history.is_repeat(doc, r.within_months, seen.by_id)
            {
                let k = self.factor(s, plan, ComponentKind::Repeat);
                let l = line(
                    plan,
                    ComponentKind::Repeat,
                    subject.clone(),
                    label.clone(),
                    on_amount(r.rate, k),
                );
                self.push(s, l);
            }
        }
        if let Some(referral) = &c.referral
            && let Some(r) = doc
                .referrer
                .filter(|r| members.contains(r) && Some(*r) != doc.salesperson)
        {
            let k = self.factor(r, plan, ComponentKind::Referral);
            let l = line(
                plan,
                ComponentKind::Referral,
                subject,
                label,
                on_amount(referral.rate, k),
            );
            self.push(r, l);
        }
    }

    /// The add-on lines of one document for its salesperson `s`.
    fn addons(&mut self, plan: &PlanSpec, s: i64, doc: &Document, subject: &str, label: &str) {
        for addon in &plan.components.addons {
            let products = self
                .calc
                .input
                .addon_products
                .get(&format!("{}/{}", plan.key, addon.key));
            let Some(AddonBase { amount, qty }) =
                addon_base(&doc.lines, |p| products.is_some_and(|s| s.contains(&p)))
            else {
                continue;
            };
            let k = self.factor(s, plan, ComponentKind::Addon);
            let pay = match addon.pay {
                AddonPay::Rate(r) => Pay {
                    base: Base::Amount(amount),
                    rate: Rate::Percent(r),
                    coefficient: k,
                    amount: amount.apply(r, k),
                },
                AddonPay::PerUnit(m) => Pay {
                    base: Base::Units(qty),
                    rate: Rate::PerUnit(m),
                    coefficient: k,
                    amount: m.per_units(qty, k),
                },
            };
            let subject = format!("{subject}/addon:{}", addon.key);
            let l = line(plan, ComponentKind::Addon, subject, label.to_owned(), pay);
            self.push(s, l);
        }
    }

    /// The tier lines of every salesperson's net sales.
    fn tiers(&mut self, plan: &PlanSpec, net: &BTreeMap<i64, Money>) {
        let Some(tiers) = &plan.components.tiers else {
            return;
        };
        let period = self.period;
        for (&user, &total) in net {
            let k = self.factor(user, plan, ComponentKind::Tiers);
            for slice in tiers.slices(total) {
                let from = tiers.bands[slice.band].from;
                let label = format!(
                    "{period} band from {from} of target {}",
                    tiers.target.display(self.calc.config.currency_decimals)
                );
                let pay = Pay {
                    base: Base::Amount(slice.base),
                    rate: Rate::Percent(slice.rate),
                    coefficient: k,
                    amount: slice.base.apply(slice.rate, k),
                };
                let subject = format!("band/{}", slice.band);
                self.push(user, line(plan, ComponentKind::Tiers, subject, label, pay));
            }
        }
    }

    /// The appointment setter's lines, one per qualified meeting.
    fn meetings(&mut self, plan: &PlanSpec, members: &BTreeSet<i64>) {
        let Some(setter) = &plan.components.setter else {
            return;
        };
        let calc = self.calc;
        for m in calc.input.meetings.get(&plan.key).into_iter().flatten() {
            let Some(s) = m
                .setter
                .filter(|s| members.contains(s) && self.period.contains(m.date))
            else {
                continue;
            };
            let k = self.factor(s, plan, ComponentKind::Setter);
            let pay = Pay {
                base: Base::Meetings(1),
                rate: Rate::Fixed(setter.per_meeting),
                coefficient: k,
                amount: setter.per_meeting.times_count(1, k),
            };
            let subject = format!("calendar.event/{}", m.id);
            self.push(
                s,
                line(plan, ComponentKind::Setter, subject, m.name.clone(), pay),
            );
        }
    }

    /// The incidental amounts of the plan's members in the period.
    fn incidentals(&mut self, plan: &PlanSpec, members: &BTreeSet<i64>) {
        let Some(src) = &plan.components.incidental else {
            return;
        };
        let calc = self.calc;
        for i in calc.input.incidentals.get(&plan.key).into_iter().flatten() {
            if !members.contains(&i.user) || !self.period.contains(i.date) {
                continue;
            }
            let k = self.factor(i.user, plan, ComponentKind::Incidental);
            let pay = Pay {
                base: Base::None,
                rate: Rate::Fixed(i.amount),
                coefficient: k,
                amount: i.amount.times_count(1, k),
            };
            let subject = format!("{}/{}", src.model, i.id);
            self.push(
                i.user,
                line(
                    plan,
                    ComponentKind::Incidental,
                    subject,
                    i.name.clone(),
                    pay,
                ),
            );
        }
    }

    /// Lines and coefficient notes per person.
    fn finish(self) -> BTreeMap<i64, Earned> {
        let mut out: BTreeMap<i64, Earned> = BTreeMap::new();
        for (user, n) in self.notes {
            out.entry(user).or_default().notes = n.into_values().collect();
        }
        for (user, l) in self.lines {
            out.entry(user).or_default().lines = l;
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
