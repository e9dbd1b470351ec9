//! The pay planner, a pure function: computed statements and what Odoo holds → the changes
//! to apply. Two phases, because a line needs its statement's id: first the statements
//! (create the missing, update the open), then, once every statement has an id, the lines
//! (create the missing, update the changed, withdraw the ones that no longer apply by
//! setting their amount to 0 with the reason in their text — kept, so the history of an open
//! statement stays readable). A statement locked in Odoo before the run is never touched.
//! Against an up-to-date Odoo both plans are empty.

use std::collections::{BTreeMap, HashMap};

use crate::pay::Statement;
use crate::plan::{FieldChange, IdemKey, InvalidKey, Plan};
use crate::record::Value;

use super::models::{KEY, LINE, STATEMENT};
use super::rows::{line_key, line_values, statement_key, statement_values};

/// A line as Odoo holds it: its id and the values of the fields the planner writes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExistingLine {
    pub id: i64,
    pub values: Vec<(String, Value)>,
}

/// A statement as Odoo holds it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExistingStatement {
    pub id: i64,
    /// Locked before this run: never written again.
    pub locked: bool,
    pub values: Vec<(String, Value)>,
    /// Line key → line.
    pub lines: BTreeMap<String, ExistingLine>,
}

/// Statement key (`pay:<user>:<period>`) → what Odoo holds.
pub type Existing = BTreeMap<String, ExistingStatement>;

fn old(values: &[(String, Value)], field: &str) -> Value {
    values
        .iter()
        .find(|(f, _)| f == field)
        .map_or(Value::Null, |(_, v)| v.clone())
}

fn changes(now: &[(String, Value)], wanted: Vec<(String, Value)>) -> Vec<FieldChange> {
    wanted
        .into_iter()
        .map(|(f, new)| FieldChange::new(f.clone(), old(now, &f), new))
        .collect()
}

/// Phase 1: the statements. `closed_on` is the date written on a statement this run locks.
pub fn statements_plan(
    computed: &[Statement],
    existing: &Existing,
    decimals: u32,
    closed_on: &str,
) -> Result<Plan, InvalidKey> {
    let mut plan = Plan::new("pay");
    for s in computed {
        let key = statement_key(s)?;
        let values = statement_values(s, decimals, Some(closed_on));
        let reason = format!(
            "statement {} of {}: {}",
            s.period,
            s.name,
            s.total.display(decimals)
        );
        match existing.get(key.as_str()) {
            None => {
                let mut values = values;
                values.push((KEY.to_owned(), Value::Str(key.as_str().to_owned())));
                plan.push_create(STATEMENT, values, key, reason);
            }
            Some(e) if e.locked => {}
            Some(e) => plan.push_write(STATEMENT, e.id, changes(&e.values, values), reason),
        }
    }
    Ok(plan)
}

/// Phase 2: the lines, once every statement has an id (`created`: ids of the statements
/// phase 1 created, by key).
pub fn lines_plan(
    computed: &[Statement],
    existing: &Existing,
    created: &HashMap<IdemKey, i64>,
    decimals: u32,
) -> Result<Plan, InvalidKey> {
    let mut plan = Plan::new("pay");
    for s in computed {
        let key = statement_key(s)?;
        let (statement_id, lines) = match existing.get(key.as_str()) {
            Some(e) if e.locked => continue,
            Some(e) => (e.id, Some(&e.lines)),
            None => match created.get(&key) {
                Some(id) => (*id, None),
                None => continue,
            },
        };
        let mut wanted_keys = Vec::with_capacity(s.lines.len());
        for l in &s.lines {
            let lk = line_key(s, l)?;
            let values = line_values(l, decimals);
            let reason = l.explain(decimals);
            match lines.and_then(|m| m.get(lk.as_str())) {
                None => {
                    let mut values = values;
                    values.push(("x_statement_id".to_owned(), Value::Many2one(statement_id)));
                    values.push((KEY.to_owned(), Value::Str(lk.as_str().to_owned())));
                    plan.push_create(LINE, values, lk.clone(), reason);
                }
                Some(e) => plan.push_write(LINE, e.id, changes(&e.values, values), reason),
            }
            wanted_keys.push(lk);
        }
        for (k, e) in lines.into_iter().flatten() {
            if wanted_keys.iter().any(|w| w.as_str() == k) {
                continue;
            }
            let text = match old(&e.values, "x_name") {
                Value::Str(t) if t.starts_with("Withdrawn: ") => t,
                Value::Str(t) => format!("Withdrawn: {t}"),
                _ => "Withdrawn".to_owned(),
            };
            plan.push_write(
                LINE,
                e.id,
                changes(
                    &e.values,
                    vec![
                        ("x_amount".to_owned(), Value::Float(0.0)),
                        ("x_name".to_owned(), Value::Str(text)),
                    ],
                ),
                format!("{}: no longer applies", s.period),
            );
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pay::{Base, ComponentKind, Line, LineKey, Money, Period, Rate, Ratio};
    use crate::plan::ChangeRef;

    fn line(subject: &str, cents: i64) -> Line {
        Line {
            key: LineKey {
                plan: "aff".into(),
                component: ComponentKind::Basic,
                subject: subject.into(),
            },
            label: subject.into(),
            base: Base::Amount(Money(cents * 20)),
            rate: Rate::Percent(Ratio(50_000)),
            coefficient: Ratio::ONE,
            amount: Money(cents),
            origin: None,
        }
    }

    fn statement(lines: Vec<Line>, locked: bool) -> Statement {
        let p = Period::parse("2026-11").unwrap_or_else(|e| panic!("{e}"));
        Statement::new(6, "Marc Demo".into(), p, lines, locked, Vec::new())
    }

    /// What Odoo holds after both plans were applied to an empty database.
    fn as_existing(s: &Statement, id: i64) -> Existing {
        let mut lines = BTreeMap::new();
        for (i, l) in s.lines.iter().enumerate() {
            let k = line_key(s, l).unwrap_or_else(|e| panic!("{e}"));
            lines.insert(
                k.as_str().to_owned(),
                ExistingLine {
                    id: 100 + i as i64,
                    values: line_values(l, 2),
                },
            );
        }
        let mut e = Existing::new();
        e.insert(
            s.key(),
            ExistingStatement {
                id,
                locked: s.locked,
                values: statement_values(s, 2, Some("2026-12-06")),
                lines,
            },
        );
        e
    }

    #[test]
    fn new_statements_and_lines_are_created_then_nothing_changes() {
        let s = statement(
            vec![line("account.move/1", 5000), line("account.move/2", 1250)],
            false,
        );
        let p1 = statements_plan(std::slice::from_ref(&s), &Existing::new(), 2, "2026-12-06")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p1.len(), 1);
        let key = statement_key(&s).unwrap_or_else(|e| panic!("{e}"));
        let created = HashMap::from([(key, 7)]);
        let p2 = lines_plan(std::slice::from_ref(&s), &Existing::new(), &created, 2)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p2.len(), 2);
        for c in p2.iter() {
            let ChangeRef::Create { values, .. } = c else {
                panic!("{c:?}")
            };
            assert!(values.contains(&("x_statement_id".to_owned(), Value::Many2one(7))));
        }
        // Second run against what the first one wrote: nothing.
        let existing = as_existing(&s, 7);
        assert!(
            statements_plan(std::slice::from_ref(&s), &existing, 2, "2026-12-06")
                .unwrap_or_else(|e| panic!("{e}"))
                .is_empty()
        );
        assert!(
            lines_plan(std::slice::from_ref(&s), &existing, &HashMap::new(), 2)
                .unwrap_or_else(|e| panic!("{e}"))
                .is_empty()
        );
    }

    #[test]
    fn a_changed_open_statement_is_updated_and_a_vanished_line_withdrawn() {
        let before = statement(
            vec![line("account.move/1", 5000), line("account.move/2", 1250)],
            false,
        );
        let existing = as_existing(&before, 7);
        let after = statement(vec![line("account.move/1", 6000)], false);
        let p1 = statements_plan(std::slice::from_ref(&after), &existing, 2, "2026-12-06")
            .unwrap_or_else(|e| panic!("{e}"));
        let writes: Vec<_> = p1.iter().collect();
        assert_eq!(writes.len(), 1);
        let ChangeRef::Write { values, .. } = writes[0] else {
            panic!()
        };
        assert_eq!(
            values.iter().map(|c| c.field.as_str()).collect::<Vec<_>>(),
            ["x_total"]
        );
        let p2 = lines_plan(std::slice::from_ref(&after), &existing, &HashMap::new(), 2)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut fields: Vec<(i64, Vec<String>)> = p2
            .iter()
            .filter_map(|c| match c {
                ChangeRef::Write { id, values, .. } => {
                    Some((id, values.iter().map(|v| v.field.clone()).collect()))
                }
                ChangeRef::Create { .. } | ChangeRef::Unlink { .. } => None,
            })
            .collect();
        fields.sort();
        assert_eq!(fields[0].0, 100);
        assert!(fields[0].1.contains(&"x_amount".to_owned()));
        assert_eq!(
            fields[1],
            (101, vec!["x_amount".to_owned(), "x_name".to_owned()])
        );
    }

    #[test]
    fn a_statement_locked_in_odoo_is_never_touched() {
        let locked = statement(vec![line("account.move/1", 5000)], true);
        let existing = as_existing(&locked, 7);
        let changed = statement(vec![line("account.move/1", 1)], true);
        assert!(
            statements_plan(std::slice::from_ref(&changed), &existing, 2, "2026-12-06")
                .unwrap_or_else(|e| panic!("{e}"))
                .is_empty()
        );
        assert!(
            lines_plan(
                std::slice::from_ref(&changed),
                &existing,
                &HashMap::new(),
                2
            )
            .unwrap_or_else(|e| panic!("{e}"))
            .is_empty()
        );
    }
}
