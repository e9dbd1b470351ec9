//! The in-memory side of the incremental pass: the leads read from Odoo, plus the related
//! records their rule domains reach (only those the leads point at), loaded into a
//! `MemorySource` so the domain evaluator gives the same answers Odoo's SQL would.
//!
//! Two things make that hold. Name searches and dotted paths only ever test the related
//! records a lead points at, so loading those (with their name-like fields and `active`) is
//! enough. And Odoo reads an empty integer/float as `0` while SQL keeps it NULL, so for every
//! numeric field that read as `0` one `search([('id','in',ids), (f,'=',False)])` finds the
//! real NULLs, which are then stored as `Null` (see the module doc of `jobs::scoring`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{ScoringError, head};
use crate::domain::{MemorySource, RecordSource};
use crate::odoo::{OdooClient, OdooError, Row, SearchOptions, from_wire_typed, leaf};
use crate::record::{FieldDef, IdSet, Value};
use crate::xmlrpc::{Struct, Value as Wire};

/// Fields used by Odoo's name search on the usual comodels (what the evaluator matches).
const NAME_FIELDS: &[&str] = &[
    "name",
    "complete_name",
    "code",
    "login",
    "email",
    "ref",
    "vat",
    "company_registry",
    "active",
];

/// Loads field metadata once per model.
pub(crate) struct Loader<'a> {
    client: &'a OdooClient,
    defs: HashMap<String, Vec<FieldDef>>,
    pub(crate) src: MemorySource,
}

impl<'a> Loader<'a> {
    pub(crate) fn new(client: &'a OdooClient) -> Self {
        Loader {
            client,
            defs: HashMap::new(),
            src: MemorySource::new(),
        }
    }

    /// Forgets the records loaded so far (not the field metadata), so the next chunk of leads
    /// starts from an empty source and memory stays bounded.
    pub(crate) fn reset(&mut self) {
        self.src = MemorySource::new();
        for (model, defs) in &self.defs {
            self.src
                .add_model(model, defs.iter().filter(|d| d.name == "id").cloned());
        }
    }

    async fn declare(&mut self, model: &str) -> Result<(), OdooError> {
        if self.defs.contains_key(model) {
            return Ok(());
        }
        let answer = self
            .client
            .fields_get(model, &["type", "relation", "relation_field", "store"])
            .await?;
        let defs: Vec<FieldDef> = answer.fields.into_values().collect();
        // Only the fields actually read become columns (added in `put_rows`): a lead model
        // has ~150 fields and the pass may hold tens of thousands of leads.
        self.src
            .add_model(model, defs.iter().filter(|d| d.name == "id").cloned());
        self.defs.insert(model.to_owned(), defs);
        Ok(())
    }

    fn def(&self, model: &str, field: &str) -> Option<&FieldDef> {
        self.defs.get(model)?.iter().find(|d| d.name == field)
    }

    /// Stores rows of `model` read with `fields`; returns their ids. NULLs are restored for
    /// the numeric fields in `tested` (those a domain reads; the others do not matter).
    async fn put_rows(
        &mut self,
        model: &str,
        rows: &[Struct],
        fields: &[String],
        tested: &BTreeSet<String>,
    ) -> Result<Vec<i64>, ScoringError> {
        if let Some(defs) = self.defs.get(model) {
            let wanted: Vec<FieldDef> = defs
                .iter()
                .filter(|d| fields.contains(&d.name))
                .cloned()
                .collect();
            self.src.add_model(model, wanted);
        }
        let mut ids = Vec::with_capacity(rows.len());
        // numeric field → ids whose value read as 0 (maybe NULL)
        let mut zeros: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for row in rows {
            let id = Row::new(model, row).id()?;
            ids.push(id);
            let mut values: Vec<(String, Value)> = Vec::with_capacity(fields.len());
            for f in fields {
                let Some(def) = self.def(model, f) else {
                    continue;
                };
                // Odoo sends every field asked for; one left out reads as Odoo's empty
                // value (`False`), which the evaluator sees as NULL, as SQL would.
                let v = match row.get(f) {
                    Some(wire) => from_wire_typed(wire, &def.ty),
                    None => from_wire_typed(&Wire::Bool(false), &def.ty),
                };
                if def.ty.is_numeric()
                    && tested.contains(f)
                    && matches!(v, Value::Int(0) | Value::Float(0.0))
                {
                    zeros.entry(f.clone()).or_default().push(id);
                }
                values.push((f.clone(), v));
            }
            let exists = self.src.value(model, id, "id").is_some();
            if exists {
                for (f, v) in values {
                    // Only fields declared above reach here, so `set` cannot fail on them.
                    let _ = self.src.set(model, id, &f, v);
                }
            } else {
                values.push(("id".to_owned(), Value::Int(id)));
                let _ = self.src.insert(model, id, values);
            }
        }
        for (field, ids0) in zeros {
            let mut kwargs = Struct::new();
            let mut context = Struct::new();
            context.push("active_test", Wire::Bool(false));
            kwargs.push("context", Wire::Struct(context));
            let domain = vec![
                leaf(
                    "id",
                    "in",
                    Wire::Array(ids0.iter().map(|i| Wire::Int(*i)).collect()),
                ),
                leaf(&field, "=", Wire::Bool(false)),
            ];
            let v = self
                .client
                .execute_kw(model, "search", vec![Wire::Array(domain)], kwargs)
                .await?;
            let Some(found) = v.as_array() else {
                return Err(OdooError::UnexpectedReply {
                    call: format!("{model}.search"),
                    expected: "a list of ids",
                    got: v.to_string().chars().take(120).collect(),
                }
                .into());
            };
            for id in found.iter().filter_map(Wire::as_i64) {
                let _ = self.src.set(model, id, &field, Value::Null);
            }
        }
        Ok(ids)
    }

    /// Loads `rows` of `model` (read with `fields`), then the related records `paths`
    /// (dotted field paths relative to `model`) reach.
    pub(crate) async fn load(
        &mut self,
        model: &str,
        rows: &[Struct],
        fields: &[String],
        paths: &[String],
    ) -> Result<(), ScoringError> {
        self.declare(model).await?;
        let ids = self.put_rows(model, rows, fields, &heads(paths)).await?;
        self.follow(model, &ids, paths).await
    }

    fn follow<'s>(
        &'s mut self,
        model: &'s str,
        ids: &'s [i64],
        paths: &'s [String],
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), ScoringError>> + Send + 's>>
    {
        Box::pin(async move {
            // relational field → tails
            let mut hops: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for p in paths {
                let (head, tail) = match p.split_once('.') {
                    Some((h, t)) => (h, Some(t)),
                    None => (p.as_str(), None),
                };
                let Some(def) = self.def(model, head) else {
                    continue;
                };
                if def.relation.is_none() {
                    continue;
                }
                let entry = hops.entry(head.to_owned()).or_default();
                if let Some(t) = tail {
                    entry.insert(t.to_owned());
                }
            }
            for (field, tails) in hops {
                let Some(comodel) = self.def(model, &field).and_then(|d| d.relation.clone()) else {
                    continue;
                };
                let mut refs: BTreeSet<i64> = BTreeSet::new();
                for &id in ids {
                    if let Some(v) = self.src.value(model, id, &field) {
                        match v.as_ref() {
                            Value::Many2one(r) => {
                                refs.insert(*r);
                            }
                            Value::Ids(rs) => refs.extend(rs.iter().copied()),
                            _ => {}
                        }
                    }
                }
                if refs.is_empty() {
                    continue;
                }
                self.declare(&comodel).await?;
                let mut wanted: BTreeSet<String> =
                    tails.iter().map(|t| head(t).to_owned()).collect();
                for f in NAME_FIELDS {
                    if self.def(&comodel, f).is_some_and(|d| d.store) {
                        wanted.insert((*f).to_owned());
                    }
                }
                wanted.retain(|f| self.def(&comodel, f).is_some());
                let wanted: Vec<String> = wanted.into_iter().collect();
                let refs: Vec<i64> = refs.into_iter().collect();
                let names: Vec<&str> = wanted.iter().map(String::as_str).collect();
                let mut rows = Vec::new();
                for chunk in refs.chunks(self.client.batch_size().max(1)) {
                    rows.extend(self.client.read(&comodel, chunk, &names).await?);
                }
                let tails: Vec<String> = tails.into_iter().collect();
                let got = self
                    .put_rows(&comodel, &rows, &wanted, &heads(&tails))
                    .await?;
                self.follow(&comodel, &got, &tails).await?;
            }
            Ok(())
        })
    }
}

/// The first segment of each path: the fields of the current model a domain tests.
fn heads(paths: &[String]) -> BTreeSet<String> {
    paths.iter().map(|p| head(p).to_owned()).collect()
}

/// Ids of `model` matching `domain ∧ id ∈ ids` according to Odoo (the pushdown fallback).
pub(crate) async fn search_among(
    client: &OdooClient,
    model: &str,
    ids: &[i64],
    mut domain: Vec<Wire>,
) -> Result<IdSet, OdooError> {
    if ids.is_empty() {
        return Ok(IdSet::default());
    }
    domain.insert(
        0,
        leaf(
            "id",
            "in",
            Wire::Array(ids.iter().map(|i| Wire::Int(*i)).collect()),
        ),
    );
    if domain.len() > 1 {
        domain.insert(0, Wire::from("&"));
    }
    client
        .search_ids(model, domain, &SearchOptions::default())
        .await
}
