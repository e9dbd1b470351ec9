//! A search over the store: the caller's domain, checked and evaluated by the project's
//! `domain` module over the store (a `RecordSource`), combined with the user's record rules
//! and Odoo's implicit `active` filter (`EvalOptions::active_test`).

use super::fault::SimFault;
use super::store::Store;
use super::table::Table;
use std::collections::BTreeSet;

use crate::domain::{Domain, DomainError, EvalOptions, Lit, Op, Operand};

/// A prepared search on one model.
#[derive(Clone, Debug)]
pub(crate) struct Query {
    domain: Domain,
    opts: EvalOptions,
    /// Id range the caller's top-level `id` leaves allow (a paging fast path).
    bounds: (i64, i64),
    /// The ids a top-level `('id', 'in', [...])` leaf allows (an incremental pass's fast
    /// path: Odoo answers it from the primary key, not by scanning the table).
    only: Option<BTreeSet<i64>>,
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
            opts: EvalOptions { active_test },
            bounds: id_bounds(&domain),
            only: id_list(&domain),
            domain,
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
        let hits = self.candidates(table).filter(|&id| prepared.matches(id));
        Ok(match take {
            Some(n) => hits.take(n).collect(),
            None => hits.collect(),
        })
    }

    /// The ids the whole domain is evaluated on, ascending: the table's records within the
    /// required `id` leaves, so a page of `id > last` starts its scan at `last` as Odoo's
    /// primary-key index does, instead of at the table's first row.
    fn candidates<'a>(&'a self, table: &'a Table) -> Box<dyn Iterator<Item = i64> + 'a> {
        let (lo, hi) = self.bounds;
        if lo > hi {
            return Box::new(std::iter::empty());
        }
        match &self.only {
            Some(only) => Box::new(only.range(lo..=hi).copied().filter(|&id| table.exists(id))),
            None => Box::new(table.ids_between(lo, hi)),
        }
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

/// The id range a domain's required `id` leaves allow ([`Domain::required_leaves`]: the
/// root's `&`, written out or implicit, as in the client's `id > last` paging); the full
/// range when there is none. Only integer values narrow it; anything else is the
/// evaluator's to judge.
fn id_bounds(domain: &Domain) -> (i64, i64) {
    let mut bounds = (i64::MIN, i64::MAX);
    for (field, op, value) in domain.required_leaves() {
        let (true, Operand::Int(v)) = (field == "id", value) else {
            continue;
        };
        let (lo, hi) = match op {
            Op::Gt => (v.saturating_add(1), i64::MAX),
            Op::Ge => (*v, i64::MAX),
            Op::Lt => (i64::MIN, v.saturating_sub(1)),
            Op::Le => (i64::MIN, *v),
            Op::Eq => (*v, *v),
            _ => continue,
        };
        bounds = (bounds.0.max(lo), bounds.1.min(hi));
    }
    bounds
}

/// The ids a domain's required `('id', 'in', [ints])` leaves allow, their intersection
/// when there are several; `None` when there is none (a list holding anything but
/// integers, e.g. `False`, is left to the evaluator).
fn id_list(domain: &Domain) -> Option<BTreeSet<i64>> {
    let mut only: Option<BTreeSet<i64>> = None;
    for (field, op, value) in domain.required_leaves() {
        let (true, Op::In, Operand::List(values) | Operand::Tuple(values)) =
            (field == "id", op, value)
        else {
            continue;
        };
        let Some(ids) = values
            .iter()
            .map(|v| match v {
                Operand::Int(i) => Some(*i),
                _ => None,
            })
            .collect::<Option<BTreeSet<i64>>>()
        else {
            continue;
        };
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
    use crate::record::{RecordStore, Value as RV};
    use crate::sim::tests::{arr, ids, kw_as, leaf, s as xs, sim, st};
    use crate::xmlrpc::Value as X;

    fn parse(text: &str) -> Domain {
        Domain::parse(text).expect("a valid domain")
    }

    const FULL: (i64, i64) = (i64::MIN, i64::MAX);

    #[test]
    fn id_bounds_of_required_leaves() {
        let implicit = "[('id', '>', 10), ('id', '<=', 20), ('x', '=', 1)]";
        assert_eq!(id_bounds(&parse(implicit)), (11, 20));
        // What the client sends when it pages a rule's domain (`Domain::to_lit` writes the
        // `&` out, the client appends its leaf): the leaf is still required.
        let paged = "['&', ('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), \
                     ('id', '>', 10)]";
        assert_eq!(id_bounds(&parse(paged)), (11, i64::MAX));
        let nested = "['&', '&', ('x', '=', 1), ('y', '=', 2), ('id', '>=', 7)]";
        assert_eq!(id_bounds(&parse(nested)), (7, i64::MAX));
        let or_beside = "['|', ('x', '=', 1), ('y', '=', 2), ('id', '<', 7)]";
        assert_eq!(id_bounds(&parse(or_beside)), (i64::MIN, 6));
        // `!` on a leaf with a complement is that complement (Odoo's `_tree_not`).
        assert_eq!(id_bounds(&parse("['!', ('id', '<=', 10)]")), (11, i64::MAX));
        assert_eq!(id_bounds(&parse("[('id', '=', 5)]")), (5, 5));
        // Not required: under `|`, or not an integer.
        assert_eq!(
            id_bounds(&parse("['|', ('id', '>', 10), ('x', '=', 1)]")),
            FULL
        );
        assert_eq!(id_bounds(&parse("[('id', '>', '10')]")), FULL);
        assert_eq!(id_bounds(&parse("[('partner_id.id', '>', 10)]")), FULL);
    }

    #[test]
    fn id_lists_of_required_leaves() {
        let both = "[('id', 'in', [3, 1, 2]), ('x', '=', 1), ('id', 'in', [2, 3, 9])]";
        assert_eq!(id_list(&parse(both)), Some([2, 3].into()));
        let written = "['&', ('x', '=', 1), ('id', 'in', [4, 5])]";
        assert_eq!(id_list(&parse(written)), Some([4, 5].into()));
        assert_eq!(
            id_list(&parse("[('id', '=', [6, 7])]")),
            Some([6, 7].into())
        );
        assert_eq!(
            id_list(&parse("['|', ('id', 'in', [1]), ('x', '=', 1)]")),
            None
        );
        assert_eq!(id_list(&parse("[('id', 'in', [1, False])]")), None);
        assert_eq!(id_list(&parse("[('x', '=', 1)]")), None);
    }

    /// `n` posted customer invoices appended to the snapshot's moves; their ids.
    fn invoices(sim: &crate::sim::Sim, n: usize) -> Vec<i64> {
        let mut store = sim.write();
        (0..n)
            .map(|i| {
                store.create(
                    "account.move",
                    vec![
                        ("move_type".into(), RV::Str("out_invoice".into())),
                        (
                            "state".into(),
                            RV::Str(if i % 3 == 0 { "draft" } else { "posted" }.into()),
                        ),
                    ],
                )
            })
            .collect()
    }

    #[test]
    fn a_page_scans_from_its_id_bound_not_from_the_first_row() {
        let sim = sim();
        let made = invoices(&sim, 300);
        let store = sim.read();
        let last = made[199];
        let lit = Domain::parse(&format!(
            "['&', ('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), \
             ('id', '>', {last})]"
        ))
        .and_then(|d| d.try_to_lit())
        .expect("a domain");
        let query = Query::new(&store, "account.move", &lit, None, true).expect("a query");
        let table = store.table("account.move").expect("the moves");
        // Only the rows above the bound are candidates: the 100 made after `last` (the
        // snapshot's own moves all have lower ids).
        let candidates: Vec<i64> = query.candidates(table).collect();
        assert_eq!(candidates, made[200..]);
        let want: Vec<i64> = (200..300).filter(|i| i % 3 != 0).map(|i| made[i]).collect();
        assert_eq!(query.ids(&store, "account.move", None), Ok(want.clone()));
        assert_eq!(
            query.ids(&store, "account.move", Some(5)),
            Ok(want[..5].to_vec())
        );
        // Contradictory bounds: nothing, and no panic on an empty range.
        let none = "[('id', 'in', [1, 2]), ('id', '>', 5), ('id', '<', 3)]";
        let q = Query::new(&store, "account.move", &parse(none).to_lit(), None, true).unwrap();
        assert_eq!(q.candidates(table).count(), 0);
    }

    /// Pages of `limit` as the client asks for them (`domain + [('id', '>', last)]`, `order
    /// id`), as user `uid`; every id, in order.
    fn paged(sim: &crate::sim::Sim, uid: i64, pw: &str, domain: &[X], ctx: X) -> Vec<i64> {
        let mut out = Vec::new();
        let mut last = 0;
        loop {
            let mut d = domain.to_vec();
            d.push(leaf("id", ">", X::Int(last)));
            let page = kw_as(
                sim,
                uid,
                pw,
                "crm.lead",
                "search",
                vec![arr(d)],
                vec![
                    ("order", xs("id")),
                    ("limit", X::Int(7)),
                    ("context", ctx.clone()),
                ],
            )
            .expect("a page");
            let page = ids(&page);
            let Some(&l) = page.last() else {
                return out;
            };
            last = l;
            out.extend(page);
        }
    }

    #[test]
    fn paging_keeps_record_rules_archived_records_and_id_order() {
        let sim = sim();
        {
            // Archived leads of the demo user (6), of another salesperson (2) and of nobody:
            // the active filter and the salesperson rule both have something to drop.
            let mut store = sim.write();
            for (i, user) in [Some(6), Some(2), None, Some(6), Some(2), None]
                .iter()
                .enumerate()
            {
                let mut values = vec![
                    ("name".into(), RV::Str(format!("paged {i}"))),
                    ("type".into(), RV::Str("opportunity".into())),
                    ("active".into(), RV::Bool(i % 2 == 0)),
                ];
                if let Some(u) = user {
                    values.push(("user_id".into(), RV::Many2one(*u)));
                }
                store.create("crm.lead", values);
            }
        }
        let domain = [
            xs("|"),
            leaf("type", "=", xs("opportunity")),
            leaf("priority", "!=", xs("0")),
        ];
        let written = [
            xs("&"),
            leaf("name", "!=", xs("nothing")),
            leaf("type", "in", arr(vec![xs("lead"), xs("opportunity")])),
        ];
        for (uid, pw) in [(2, "admin"), (6, "demo")] {
            for ctx in [st(vec![]), st(vec![("active_test", X::Bool(false))])] {
                for d in [&domain[..], &written[..]] {
                    let whole = kw_as(
                        &sim,
                        uid,
                        pw,
                        "crm.lead",
                        "search",
                        vec![arr(d.to_vec())],
                        vec![("order", xs("id")), ("context", ctx.clone())],
                    )
                    .expect("a search");
                    let whole = ids(&whole);
                    assert!(whole.len() > 7, "more than one page for {uid}");
                    assert_eq!(paged(&sim, uid, pw, d, ctx.clone()), whole, "user {uid}");
                }
            }
        }
        // The rule and the active filter did narrow what the pages hold.
        let count = |uid, pw, ctx| {
            let n = kw_as(
                &sim,
                uid,
                pw,
                "crm.lead",
                "search_count",
                vec![arr(vec![])],
                vec![("context", ctx)],
            );
            n.ok().and_then(|n| n.as_i64()).unwrap_or(-1)
        };
        let all = count(2, "admin", st(vec![("active_test", X::Bool(false))]));
        assert!(count(2, "admin", st(vec![])) < all);
        assert!(count(6, "demo", st(vec![("active_test", X::Bool(false))])) < all);
    }
}
