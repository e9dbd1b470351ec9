//! `read_group`: grouping by fields (many2one, selection, dates by day/week/month/quarter/
//! year), aggregates (`f:sum`, default aggregators, `count`), Odoo's lazy mode with
//! `<field>_count` and `__context`, `orderby`, `offset`/`limit`, and each group's
//! `__domain`/`__range` exactly as Odoo 17 writes them.

use std::cmp::Ordering;
use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};

use super::fault::SimFault;
use super::methods::{Call, effective_domain, matching_ids};
use super::order::{self, Term};
use super::query::Query;
use super::store::Store;
use super::wire::{lit_to_wire, to_wire};
use crate::domain::Lit;
use crate::record::{FieldDef, FieldType, Value};
use crate::xmlrpc::{Struct, Value as X};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Granularity {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

struct GroupBy<'a> {
    spec: String,
    def: &'a FieldDef,
    gran: Option<Granularity>,
}

struct Aggregate<'a> {
    key: String,
    def: &'a FieldDef,
    func: String,
}

/// The group a record falls in, for one groupby.
#[derive(Clone, Debug, PartialEq)]
enum GroupKey {
    Null,
    Date(NaiveDate),
    Value(Value),
}

impl Eq for GroupKey {}

impl std::hash::Hash for GroupKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Only a bucketing aid: equal keys always print the same.
        format!("{self:?}").hash(state);
    }
}

/// The records of one group and its key, one entry per groupby.
struct Group {
    keys: Vec<GroupKey>,
    ids: Vec<i64>,
}

/// One `orderby` term: a groupby field, an aggregate key or a count.
struct SortTerm {
    field: String,
    desc: bool,
}

/// The groups of a call with what their rows show and sort by.
struct Grouped<'a> {
    groupbys: Vec<GroupBy<'a>>,
    aggregates: Vec<Aggregate<'a>>,
    groups: Vec<Group>,
    /// Per group, one value per aggregate.
    agg_values: Vec<Vec<X>>,
    /// `<field>_count` in lazy mode, else `__count`.
    count_key: String,
}

/// A group's key columns, the domain leaves selecting it and its date `__range`s.
struct KeyColumns {
    row: Struct,
    leaves: Vec<Lit>,
    ranges: Struct,
}

pub(crate) fn read_group(store: &Store, c: &Call) -> Result<X, SimFault> {
    super::auth::check_access(store, c.uid, c.model, "read")?;
    let (query, user_domain) = effective_domain(store, c, c.arg(0, "domain"))?;
    let groupby_specs: Vec<String> = match c.arg(2, "groupby") {
        Some(X::String(s)) => vec![s.clone()],
        Some(X::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let lazy = c.arg(6, "lazy").is_none_or(|v| !v.is_false());
    let (used, rest) = if lazy && groupby_specs.len() > 1 {
        (groupby_specs[..1].to_vec(), groupby_specs[1..].to_vec())
    } else {
        (groupby_specs.clone(), Vec::new())
    };
    let mut groupbys = Vec::new();
    for spec in &used {
        groupbys.push(parse_groupby(store, c.model, spec)?);
    }
    let aggregates = parse_aggregates(store, c.model, c.arg(1, "fields"), &used)?;

    let count_key = if lazy && !used.is_empty() {
        format!("{}_count", groupbys[0].def.name)
    } else {
        "__count".to_owned()
    };
    let (grouped, page) = group_and_page(
        store,
        c.model,
        &query,
        groupbys,
        aggregates,
        count_key,
        [c.arg(5, "orderby"), c.arg(3, "offset"), c.arg(4, "limit")],
    )?;

    let mut rows = Vec::new();
    for gi in page {
        let group = &grouped.groups[gi];
        let KeyColumns {
            mut row,
            leaves,
            ranges,
        } = key_columns(store, &grouped.groupbys, &group.keys);
        row.push(grouped.count_key.clone(), X::Int(group.ids.len() as i64));
        for (a, v) in grouped.aggregates.iter().zip(&grouped.agg_values[gi]) {
            row.push(a.key.clone(), v.clone());
        }
        let domain = and_domains(&[user_domain_items(&user_domain), leaves]);
        row.push("__domain", lit_to_wire(&Lit::List(domain)));
        if !rest.is_empty() {
            let mut ctx = Struct::new();
            ctx.push(
                "group_by",
                X::Array(rest.iter().map(|s| X::String(s.clone())).collect()),
            );
            row.push("__context", X::Struct(ctx));
        }
        if !ranges.is_empty() {
            row.push("__range", X::Struct(ranges));
        }
        rows.push(X::Struct(row));
    }
    Ok(X::Array(rows))
}

/// Odoo 19's `formatted_read_group(domain, groupby, aggregates, having, offset, limit,
/// order)` as `fixtures/odoo19/json2/023-formatted-read-group-user.json` records it: one row
/// per group with its groupby values (a many2one as `[id, name]`, an empty key `false`),
/// `__extra_domain` (the group's own conditions, without the caller's domain) and each
/// aggregate under its own spec (`expected_revenue:sum`, `__count`), in the order asked.
/// Groups sort as `read_group`'s. Date granularities and `having` (whose 19 shapes no
/// recording shows) are refused rather than guessed.
pub(crate) fn formatted_read_group(store: &Store, c: &Call) -> Result<X, SimFault> {
    super::auth::check_access(store, c.uid, c.model, "read")?;
    let (query, _) = effective_domain(store, c, c.arg(0, "domain"))?;
    let strings = |x: Option<&X>| -> Vec<String> {
        match x {
            Some(X::String(s)) => vec![s.clone()],
            Some(X::Array(items)) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    };
    let not_simulated = |what: &str| {
        SimFault::python(
            "NotImplementedError",
            &format!("scorekeeper's Odoo simulator does not simulate formatted_read_group {what}"),
            "orm/models.py",
        )
    };
    if c.arg(3, "having").is_some_and(|h| {
        !strings(Some(h)).is_empty() || h.as_array().is_some_and(|a| !a.is_empty())
    }) {
        return Err(not_simulated("with `having`"));
    }
    let mut groupbys = Vec::new();
    for spec in strings(c.arg(1, "groupby")) {
        let g = parse_groupby(store, c.model, &spec)?;
        if g.gran.is_some() {
            return Err(not_simulated("by date granularity"));
        }
        groupbys.push(g);
    }
    let specs = strings(c.arg(2, "aggregates"));
    let mut aggregates = Vec::new();
    for spec in specs.iter().filter(|s| *s != "__count") {
        if !spec.contains(':') {
            return Err(SimFault::value_error(
                format!("Invalid aggregate specification {spec:?}").replace('"', "'"),
            ));
        }
        let one = X::Array(vec![X::String(spec.clone())]);
        for mut a in parse_aggregates(store, c.model, Some(&one), &[])? {
            a.key = spec.clone();
            aggregates.push(a);
        }
    }
    let (grouped, page) = group_and_page(
        store,
        c.model,
        &query,
        groupbys,
        aggregates,
        "__count".to_owned(),
        [c.arg(6, "order"), c.arg(4, "offset"), c.arg(5, "limit")],
    )?;
    let mut rows = Vec::new();
    for gi in page {
        let group = &grouped.groups[gi];
        let KeyColumns {
            mut row, leaves, ..
        } = key_columns(store, &grouped.groupbys, &group.keys);
        row.push(
            "__extra_domain",
            lit_to_wire(&Lit::List(and_domains(&[leaves]))),
        );
        for spec in &specs {
            let value = match grouped.aggregates.iter().position(|a| a.key == *spec) {
                Some(k) => grouped.agg_values[gi][k].clone(),
                None => X::Int(group.ids.len() as i64),
            };
            row.push(spec.clone(), value);
        }
        rows.push(X::Struct(row));
    }
    Ok(X::Array(rows))
}

/// What both groupings share: the matching records bucketed by `groupbys`, each bucket's
/// aggregates, and the indexes of the groups on the asked page, in the asked order
/// (`[order, offset, limit]` as the call gives them).
fn group_and_page<'a>(
    store: &Store,
    model: &str,
    query: &Query,
    groupbys: Vec<GroupBy<'a>>,
    aggregates: Vec<Aggregate<'a>>,
    count_key: String,
    [order, offset, limit]: [Option<&X>; 3],
) -> Result<(Grouped<'a>, Vec<usize>), SimFault> {
    let ids = matching_ids(store, model, query)?;
    let groups = group_records(store, model, ids, &groupbys);
    let agg_values: Vec<Vec<X>> = groups
        .iter()
        .map(|g| {
            aggregates
                .iter()
                .map(|a| aggregate(store, model, &g.ids, a))
                .collect()
        })
        .collect();
    let grouped = Grouped {
        groupbys,
        aggregates,
        groups,
        agg_values,
        count_key,
    };
    let terms = sort_terms(order, &grouped.groupbys);
    let mut order_idx: Vec<usize> = (0..grouped.groups.len()).collect();
    order_idx.sort_by(|&a, &b| compare_groups(store, model, &grouped, &terms, a, b));
    let offset = offset.and_then(X::as_i64).unwrap_or(0).max(0) as usize;
    let limit = limit
        .and_then(X::as_i64)
        .filter(|&l| l > 0)
        .map_or(usize::MAX, |l| l as usize);
    let page = order_idx.into_iter().skip(offset).take(limit).collect();
    Ok((grouped, page))
}

/// Buckets records by their group keys, keeping first-seen order; without groupbys there is
/// always one (possibly empty) group.
fn group_records(store: &Store, model: &str, ids: Vec<i64>, groupbys: &[GroupBy]) -> Vec<Group> {
    let mut index: HashMap<Vec<GroupKey>, usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    for id in ids {
        let keys: Vec<GroupKey> = groupbys
            .iter()
            .map(|g| group_key(store, model, id, g))
            .collect();
        match index.get(&keys) {
            Some(&i) => groups[i].ids.push(id),
            None => {
                index.insert(keys.clone(), groups.len());
                groups.push(Group {
                    keys,
                    ids: vec![id],
                });
            }
        }
    }
    if groupbys.is_empty() && groups.is_empty() {
        groups.push(Group {
            keys: Vec::new(),
            ids: Vec::new(),
        });
    }
    groups
}

/// Order: explicit `orderby` (aggregates, counts or groupby fields), then the groupbys not
/// named there, in groupby order.
fn sort_terms(orderby: Option<&X>, groupbys: &[GroupBy]) -> Vec<SortTerm> {
    let orderby = match orderby {
        Some(X::String(s)) if !s.trim().is_empty() => s.clone(),
        _ => String::new(),
    };
    let mut terms: Vec<SortTerm> = orderby
        .split(',')
        .filter_map(|t| {
            let mut w = t.split_whitespace();
            let field = w.next()?.to_owned();
            let desc = w.next().is_some_and(|d| d.eq_ignore_ascii_case("desc"));
            Some(SortTerm { field, desc })
        })
        .collect();
    for g in groupbys {
        if !terms
            .iter()
            .any(|t| t.field == g.spec || t.field == g.def.name)
        {
            terms.push(SortTerm {
                field: g.spec.clone(),
                desc: false,
            });
        }
    }
    terms
}

/// Compares groups `a` and `b` term by term; empty keys sort last, like Odoo's NULLS LAST.
fn compare_groups(
    store: &Store,
    model: &str,
    grouped: &Grouped,
    terms: &[SortTerm],
    a: usize,
    b: usize,
) -> Ordering {
    let Grouped {
        groupbys,
        aggregates,
        groups,
        agg_values,
        count_key,
    } = grouped;
    for SortTerm { field: f, desc } in terms {
        let o = if *f == "__count" || f == count_key {
            groups[a].ids.len().cmp(&groups[b].ids.len())
        } else if let Some(k) = aggregates.iter().position(|ag| ag.key == *f) {
            num(&agg_values[a][k])
                .partial_cmp(&num(&agg_values[b][k]))
                .unwrap_or(Ordering::Equal)
        } else if let Some(gi) = groupbys
            .iter()
            .position(|g| g.spec == *f || g.def.name == *f)
        {
            let (ka, kb) = (&groups[a].keys[gi], &groups[b].keys[gi]);
            match (ka, kb) {
                (GroupKey::Null, GroupKey::Null) => Ordering::Equal,
                (GroupKey::Null, _) => Ordering::Greater,
                (_, GroupKey::Null) => Ordering::Less,
                _ => {
                    let term = Term {
                        field: groupbys[gi].def.name.clone(),
                        desc: false,
                    };
                    let (ra, rb) = (groups[a].ids[0], groups[b].ids[0]);
                    order::record_cmp(store, model, ra, rb, &term)
                }
            }
        } else {
            Ordering::Equal
        };
        let o = if *desc { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// One group's key columns as Odoo 17 writes them: date groups as labels with a `__range`,
/// empty keys as `false`, values in their wire form.
fn key_columns(store: &Store, groupbys: &[GroupBy], keys: &[GroupKey]) -> KeyColumns {
    let mut row = Struct::new();
    let mut leaves: Vec<Lit> = Vec::new();
    let mut ranges = Struct::new();
    for (g, k) in groupbys.iter().zip(keys) {
        let field = Lit::Str(g.def.name.clone());
        match (k, g.gran) {
            (GroupKey::Date(start), Some(gran)) => {
                let end = next(*start, gran);
                let fmt = |d: NaiveDate| {
                    if g.def.ty == FieldType::Datetime {
                        format!("{} 00:00:00", d.format("%Y-%m-%d"))
                    } else {
                        d.format("%Y-%m-%d").to_string()
                    }
                };
                row.push(g.spec.clone(), X::String(label(*start, gran)));
                leaves.push(Lit::List(vec![
                    field.clone(),
                    Lit::Str(">=".into()),
                    Lit::Str(fmt(*start)),
                ]));
                leaves.push(Lit::List(vec![
                    field,
                    Lit::Str("<".into()),
                    Lit::Str(fmt(end)),
                ]));
                let mut r = Struct::new();
                r.push("from", X::String(fmt(*start)));
                r.push("to", X::String(fmt(end)));
                ranges.push(g.spec.clone(), X::Struct(r));
            }
            (GroupKey::Null, gran) => {
                row.push(g.spec.clone(), X::Bool(false));
                leaves.push(Lit::List(vec![
                    field,
                    Lit::Str("=".into()),
                    Lit::Bool(false),
                ]));
                if gran.is_some() {
                    ranges.push(g.spec.clone(), X::Bool(false));
                }
            }
            (GroupKey::Value(v), _) => {
                row.push(g.spec.clone(), to_wire(store, g.def, v.clone()));
                let operand = match v {
                    Value::Many2one(id) | Value::Int(id) => Lit::Int(*id),
                    Value::Float(f) => Lit::Float(*f),
                    Value::Bool(b) => Lit::Bool(*b),
                    Value::Str(s) => Lit::Str(s.clone()),
                    _ => Lit::Bool(false),
                };
                leaves.push(Lit::List(vec![field, Lit::Str("=".into()), operand]));
            }
            (GroupKey::Date(_), None) => {}
        }
    }
    KeyColumns {
        row,
        leaves,
        ranges,
    }
}

fn num(x: &X) -> f64 {
    x.as_f64().unwrap_or(f64::NEG_INFINITY)
}

fn parse_groupby<'a>(store: &'a Store, model: &str, spec: &str) -> Result<GroupBy<'a>, SimFault> {
    let (name, gran) = match spec.split_once(':') {
        Some((n, g)) => (n, Some(g)),
        None => (spec, None),
    };
    let def = store.registry().field(model, name).ok_or_else(|| {
        SimFault::value_error(
            format!("Invalid field {name:?} on model {model:?}").replace('"', "'"),
        )
    })?;
    let gran = if matches!(def.ty, FieldType::Date | FieldType::Datetime) {
        Some(match gran.unwrap_or("month") {
            "day" => Granularity::Day,
            "week" => Granularity::Week,
            "month" => Granularity::Month,
            "quarter" => Granularity::Quarter,
            "year" => Granularity::Year,
            other => {
                return Err(SimFault::value_error(format!(
                    "Invalid date/time granularity '{other}'"
                )));
            }
        })
    } else {
        None
    };
    Ok(GroupBy {
        spec: spec.to_owned(),
        def,
        gran,
    })
}

fn parse_aggregates<'a>(
    store: &'a Store,
    model: &str,
    fields: Option<&X>,
    groupby: &[String],
) -> Result<Vec<Aggregate<'a>>, SimFault> {
    let specs: Vec<&str> = fields
        .and_then(X::as_array)
        .map(|a| a.iter().filter_map(X::as_str).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for spec in specs {
        // `__count` asked for by name is the count every group carries anyway: Odoo's
        // `read_group` skips it (odoo/models.py: `if field_spec == '__count': continue`).
        if spec == "__count" {
            continue;
        }
        // "f", "f:agg" or "name:agg(f)".
        let (key, func, field) = match spec.split_once(':') {
            Some((key, rest)) => match rest.split_once('(') {
                Some((func, f)) => (key, Some(func), f.trim_end_matches(')')),
                None => (key, Some(rest), key),
            },
            None => (spec, None, spec),
        };
        if groupby.iter().any(|g| g.split(':').next() == Some(field)) && func.is_none() {
            continue;
        }
        let def = store.registry().field(model, field).ok_or_else(|| {
            SimFault::value_error(
                format!("Invalid field {field:?} on model {model:?}").replace('"', "'"),
            )
        })?;
        let func = match func {
            Some(f) => f.to_owned(),
            None if field != "id" && def.ty.is_numeric() && def.store => "sum".to_owned(),
            None => continue,
        };
        out.push(Aggregate {
            key: key.to_owned(),
            def,
            func,
        });
    }
    Ok(out)
}

fn group_key(store: &Store, model: &str, id: i64, g: &GroupBy) -> GroupKey {
    let v = store.value(model, id, &g.def.name).unwrap_or_default();
    match (v, g.gran) {
        (Value::Null, _) => GroupKey::Null,
        (Value::Str(s), Some(gran)) => match s
            .get(..10)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        {
            Some(d) => GroupKey::Date(bucket(d, gran)),
            None => GroupKey::Null,
        },
        (Value::Bool(false), _) if g.def.ty == FieldType::Boolean => {
            GroupKey::Value(Value::Bool(false))
        }
        (v, _) => GroupKey::Value(v),
    }
}

fn bucket(d: NaiveDate, gran: Granularity) -> NaiveDate {
    let first = |y, m| NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(d);
    match gran {
        Granularity::Day => d,
        Granularity::Week => {
            d - chrono::Duration::days(i64::from(d.weekday().num_days_from_monday()))
        }
        Granularity::Month => first(d.year(), d.month()),
        Granularity::Quarter => first(d.year(), (d.month() - 1) / 3 * 3 + 1),
        Granularity::Year => first(d.year(), 1),
    }
}

fn next(d: NaiveDate, gran: Granularity) -> NaiveDate {
    let months = |n: u32| d.checked_add_months(chrono::Months::new(n)).unwrap_or(d);
    match gran {
        Granularity::Day => d + chrono::Duration::days(1),
        Granularity::Week => d + chrono::Duration::days(7),
        Granularity::Month => months(1),
        Granularity::Quarter => months(3),
        Granularity::Year => months(12),
    }
}

/// Odoo's English group labels ("November 2026", "W47 2026", "Q4 2026").
fn label(d: NaiveDate, gran: Granularity) -> String {
    match gran {
        Granularity::Day => d.format("%d %b %Y").to_string(),
        Granularity::Week => format!("W{} {}", d.iso_week().week(), d.iso_week().year()),
        Granularity::Month => d.format("%B %Y").to_string(),
        Granularity::Quarter => format!("Q{} {}", (d.month() - 1) / 3 + 1, d.year()),
        Granularity::Year => d.year().to_string(),
    }
}

fn aggregate(store: &Store, model: &str, ids: &[i64], a: &Aggregate) -> X {
    let values: Vec<Value> = ids
        .iter()
        .filter_map(|&id| store.value(model, id, &a.def.name))
        .filter(|v| !v.is_null())
        .collect();
    let is_int = a.def.ty == FieldType::Integer;
    let nums = || values.iter().filter_map(Value::as_f64);
    let number = |f: f64| {
        if is_int && f.fract() == 0.0 && f.abs() < 2_147_483_648.0 {
            X::Int(f as i64)
        } else {
            X::Double(f)
        }
    };
    match a.func.as_str() {
        "count" => X::Int(if a.def.name == "id" {
            ids.len()
        } else {
            values.len()
        } as i64),
        "count_distinct" => {
            let mut seen: Vec<String> = values.iter().map(|v| v.to_string()).collect();
            seen.sort();
            seen.dedup();
            X::Int(seen.len() as i64)
        }
        _ if values.is_empty() => X::Bool(false),
        // SQL's MAX/MIN of a date or datetime column (Odoo's `read_group` of `f:max`, e.g.
        // `write_date:max`, `odoo/models.py` `_read_group_select`): the value itself, sent
        // as Odoo's text; the text orders as the dates do.
        "max" | "min" if matches!(a.def.ty, FieldType::Date | FieldType::Datetime) => {
            let texts = values.iter().filter_map(|v| match v {
                Value::Str(s) => Some(s.as_str()),
                _ => None,
            });
            let pick = if a.func == "max" {
                texts.max()
            } else {
                texts.min()
            };
            pick.map_or(X::Bool(false), |t| X::String(t.to_owned()))
        }
        "sum" => number(nums().sum()),
        "avg" => X::Double(nums().sum::<f64>() / values.len() as f64),
        "max" => nums().reduce(f64::max).map_or(X::Bool(false), number),
        "min" => nums().reduce(f64::min).map_or(X::Bool(false), number),
        "bool_and" => X::Bool(values.iter().all(|v| v.as_bool().unwrap_or(false))),
        "bool_or" => X::Bool(values.iter().any(|v| v.as_bool().unwrap_or(false))),
        "array_agg" => X::Array(
            values
                .into_iter()
                .map(|v| to_wire(store, a.def, v))
                .collect(),
        ),
        _ => X::Bool(false),
    }
}

/// The items of the caller's domain (empty for none).
fn user_domain_items(lit: &Lit) -> Vec<Lit> {
    match lit {
        Lit::List(items) | Lit::Tuple(items) => items.clone(),
        _ => Vec::new(),
    }
}

/// `expression.AND`: each non-empty domain normalised (explicit `&`s), joined by `&`.
fn and_domains(domains: &[Vec<Lit>]) -> Vec<Lit> {
    let parts: Vec<Vec<Lit>> = domains
        .iter()
        .filter(|d| !d.is_empty())
        .map(|d| normalize(d))
        .collect();
    let mut out: Vec<Lit> = Vec::new();
    for _ in 1..parts.len() {
        out.push(Lit::Str("&".into()));
    }
    for p in parts {
        out.extend(p);
    }
    out
}

/// Prefixes the `&`s Odoo's `normalize_domain` makes explicit.
fn normalize(items: &[Lit]) -> Vec<Lit> {
    // Count top-level terms: operators consume their operands.
    let mut terms = 0usize;
    let mut needed = 0usize;
    for item in items {
        if needed == 0 {
            terms += 1;
            needed = 1;
        }
        match item {
            Lit::Str(op) if op == "&" || op == "|" => needed += 1,
            Lit::Str(op) if op == "!" => {}
            _ => needed -= 1,
        }
    }
    let mut out: Vec<Lit> = (1..terms).map(|_| Lit::Str("&".into())).collect();
    out.extend(items.iter().cloned());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(f: &str) -> Lit {
        Lit::List(vec![Lit::Str(f.into()), Lit::Str("=".into()), Lit::Int(1)])
    }

    #[test]
    fn and_of_domains_matches_odoo() {
        let d = and_domains(&[vec![leaf("a"), leaf("b")], vec![leaf("g")]]);
        assert_eq!(
            Lit::List(d).to_string(),
            "['&', '&', ['a', '=', 1], ['b', '=', 1], ['g', '=', 1]]"
        );
        let d = and_domains(&[vec![], vec![leaf("x"), leaf("y")]]);
        assert_eq!(
            Lit::List(d).to_string(),
            "['&', ['x', '=', 1], ['y', '=', 1]]"
        );
        let d = and_domains(&[
            vec![Lit::Str("|".into()), leaf("a"), leaf("b")],
            vec![leaf("g")],
        ]);
        assert_eq!(
            Lit::List(d).to_string(),
            "['&', '|', ['a', '=', 1], ['b', '=', 1], ['g', '=', 1]]"
        );
    }

    #[test]
    fn month_buckets_and_labels() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let b = bucket(d, Granularity::Month);
        assert_eq!(label(b, Granularity::Month), "November 2026");
        assert_eq!(
            next(b, Granularity::Month),
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
        );
        assert_eq!(
            label(bucket(d, Granularity::Quarter), Granularity::Quarter),
            "Q4 2026"
        );
    }
}
