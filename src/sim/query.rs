//! A search over the store: the caller's domain, checked and evaluated by the project's
//! `domain` module over the store (a `RecordSource`), combined with the user's record rules
//! and Odoo's implicit `active` filter (`EvalOptions::active_test`).

use super::fault::SimFault;
use super::store::Store;
use crate::domain::{Domain, DomainError, EvalOptions, Lit};

/// A prepared search on one model.
#[derive(Clone, Debug)]
pub(crate) struct Query {
    domain: Domain,
    opts: EvalOptions,
    /// Id range the caller's top-level `id` leaves allow (a paging fast path).
    bounds: (i64, i64),
    /// The ids a top-level `('id', 'in', [...])` leaf allows (an incremental pass's fast
    /// path: Odoo answers it from the primary key, not by scanning the table).
    only: Option<std::collections::BTreeSet<i64>>,
}

/// Odoo's fault for a domain it cannot use: its own message when it has one.
pub(crate) fn fault(e: &DomainError) -> SimFault {
    SimFault::value_error(e.odoo_message().unwrap_or_else(|| e.to_string()))
}

impl Query {
    /// `lit` (the caller's domain) on `model`, restricted by `rule` (a record rule).
    pub(crate) fn new(
        store: &Store,
        model: &str,
        lit: &Lit,
        rule: Option<&Lit>,
        active_test: bool,
    ) -> Result<Query, SimFault> {
        let mut domain = Domain::from_lit(lit).map_err(|e| fault(&e))?;
        domain
            .validate(&store.registry().schema, model)
            .map_err(|e| fault(&e))?;
        if let Some(rule) = rule {
            let rule = Domain::from_lit(rule).map_err(|e| fault(&e))?;
            domain = Domain::and(rule, domain);
        }
        Ok(Query {
            domain,
            opts: EvalOptions { active_test },
            bounds: id_bounds(lit),
            only: id_list(lit),
        })
    }

    /// Matching ids in ascending order, at most `take` of them.
    pub(crate) fn ids(
        &self,
        store: &Store,
        model: &str,
        take: Option<usize>,
    ) -> Result<Vec<i64>, SimFault> {
        let Some(table) = store.table(model) else {
            return Ok(Vec::new());
        };
        let prepared = self
            .domain
            .prepare(store, model, &self.opts)
            .map_err(|e| fault(&e))?;
        let (lo, hi) = self.bounds;
        let hits: Box<dyn Iterator<Item = i64>> = match &self.only {
            Some(only) => Box::new(only.range(lo..=hi).copied().filter(|&id| table.exists(id))),
            None => Box::new(table.ids_between(lo, hi)),
        };
        let hits = hits.filter(|&id| prepared.matches(id));
        Ok(match take {
            Some(n) => hits.take(n).collect(),
            None => hits.collect(),
        })
    }

    /// Which of `ids` match (in their order).
    pub(crate) fn retain(
        &self,
        store: &Store,
        model: &str,
        ids: Vec<i64>,
    ) -> Result<Vec<i64>, SimFault> {
        let prepared = self
            .domain
            .prepare(store, model, &self.opts)
            .map_err(|e| fault(&e))?;
        Ok(ids.into_iter().filter(|&id| prepared.matches(id)).collect())
    }
}

/// The id bounds of a domain's top-level (implicitly `&`-ed) `id` leaves; the full range
/// as soon as the domain uses an operator.
fn id_bounds(lit: &Lit) -> (i64, i64) {
    let full = (i64::MIN, i64::MAX);
    let Some(items) = lit.as_seq() else {
        return full;
    };
    let mut bounds = full;
    for item in items {
        let Some(leaf) = item.as_seq() else {
            return full;
        };
        let [Lit::Str(field), Lit::Str(op), Lit::Int(v)] = leaf else {
            continue;
        };
        if field != "id" {
            continue;
        }
        let (lo, hi) = match op.as_str() {
            ">" => (v.saturating_add(1), i64::MAX),
            ">=" => (*v, i64::MAX),
            "<" => (i64::MIN, v.saturating_sub(1)),
            "<=" => (i64::MIN, *v),
            "=" => (*v, *v),
            _ => full,
        };
        bounds = (bounds.0.max(lo), bounds.1.min(hi));
    }
    bounds
}

/// The ids of the domain's top-level (implicitly `&`-ed) `('id', 'in', [ints])` leaves, their
/// intersection when there are several; `None` when there is none or the domain uses an
/// operator.
fn id_list(lit: &Lit) -> Option<std::collections::BTreeSet<i64>> {
    let items = lit.as_seq()?;
    let mut only: Option<std::collections::BTreeSet<i64>> = None;
    for item in items {
        let leaf = item.as_seq()?;
        let [Lit::Str(field), Lit::Str(op), values] = leaf else {
            continue;
        };
        if field != "id" || op != "in" {
            continue;
        }
        let values = values.as_seq()?;
        let mut ids = std::collections::BTreeSet::new();
        for v in values {
            match v {
                Lit::Int(i) => {
                    ids.insert(*i);
                }
                // Anything else (a `False`, a string) is the domain evaluator's to judge.
                _ => return None,
            }
        }
        only = Some(match only {
            Some(prev) => prev.intersection(&ids).copied().collect(),
            None => ids,
        });
    }
    only
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(f: &str, op: &str, v: i64) -> Lit {
        Lit::List(vec![Lit::Str(f.into()), Lit::Str(op.into()), Lit::Int(v)])
    }

    #[test]
    fn id_bounds_of_top_level_leaves() {
        let d = Lit::List(vec![
            leaf("id", ">", 10),
            leaf("id", "<=", 20),
            leaf("x", "=", 1),
        ]);
        assert_eq!(id_bounds(&d), (11, 20));
        let or = Lit::List(vec![
            Lit::Str("|".into()),
            leaf("id", ">", 10),
            leaf("x", "=", 1),
        ]);
        assert_eq!(id_bounds(&or), (i64::MIN, i64::MAX));
    }

    #[test]
    fn id_lists_of_top_level_leaves() {
        let list = |ids: &[i64]| {
            Lit::List(vec![
                Lit::Str("id".into()),
                Lit::Str("in".into()),
                Lit::List(ids.iter().map(|i| Lit::Int(*i)).collect()),
            ])
        };
        let d = Lit::List(vec![list(&[3, 1, 2]), leaf("x", "=", 1), list(&[2, 3, 9])]);
        assert_eq!(id_list(&d), Some([2, 3].into()));
        let or = Lit::List(vec![Lit::Str("|".into()), list(&[1]), leaf("x", "=", 1)]);
        assert_eq!(id_list(&or), None);
        assert_eq!(id_list(&Lit::List(vec![leaf("x", "=", 1)])), None);
    }
}
