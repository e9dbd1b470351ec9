//! Model-level helpers over `execute_kw`: reading in id-ordered pages as a stream, counting,
//! grouping, and writing in as few calls as possible (ids sharing values in one `write`,
//! records created in batches).

use std::collections::HashMap;

use futures_util::stream::{self, Stream, StreamExt};

use super::client::{OdooClient, unexpected};
use super::error::OdooError;
use super::transport::LIST_OF_IDS;
use crate::record::{FieldDef, IdSet, ModelDef};
use crate::xmlrpc::{Struct, Value};

/// `search` options; `None` leaves Odoo's default (no offset, no limit, the model's order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchOptions {
    pub offset: Option<usize>,
    pub limit: Option<usize>,
    pub order: Option<String>,
}

/// A domain leaf `(field, operator, value)` in wire form.
pub fn leaf(field: &str, operator: &str, value: impl Into<Value>) -> Value {
    Value::Array(vec![field.into(), operator.into(), value.into()])
}

fn search_kwargs(options: &SearchOptions) -> Struct {
    let mut kwargs = Struct::new();
    if let Some(offset) = options.offset {
        kwargs.push("offset", Value::Int(offset as i64));
    }
    if let Some(limit) = options.limit {
        kwargs.push("limit", Value::Int(limit as i64));
    }
    if let Some(order) = &options.order {
        kwargs.push("order", order.as_str().into());
    }
    kwargs
}

fn strings(items: &[&str]) -> Value {
    Value::Array(items.iter().map(|s| Value::from(*s)).collect())
}

fn ids_value(ids: &[i64]) -> Value {
    Value::Array(ids.iter().map(|i| Value::Int(*i)).collect())
}

fn records(call: &str, v: Value) -> Result<Vec<Struct>, OdooError> {
    match v {
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::Struct(s) => Ok(s),
                other => Err(unexpected(call, "a list of records", &other)),
            })
            .collect(),
        other => Err(unexpected(call, "a list of records", &other)),
    }
}

fn int_list(call: &str, v: Value) -> Result<Vec<i64>, OdooError> {
    match v {
        Value::Array(items) => items
            .into_iter()
            .map(|item| {
                item.as_i64()
                    .ok_or_else(|| unexpected(call, LIST_OF_IDS, &item))
            })
            .collect(),
        other => Err(unexpected(call, LIST_OF_IDS, &other)),
    }
}

fn record_id(call: &str, r: &Struct) -> Result<i64, OdooError> {
    r.get("id").and_then(Value::as_i64).ok_or_else(|| {
        unexpected(
            call,
            "records with an integer id",
            &Value::Struct(r.clone()),
        )
    })
}

struct Page {
    last_id: i64,
    done: bool,
}

impl OdooClient {
    /// `search_read` in pages of `batch_size` records ordered by id, each page asking for
    /// `domain + [('id', '>', last id seen)]`: stable under concurrent inserts and deletes,
    /// unlike offsets. Ends after the first short page.
    pub fn search_read_pages<'a>(
        &'a self,
        model: &'a str,
        domain: Vec<Value>,
        fields: &'a [&'a str],
    ) -> impl Stream<Item = Result<Vec<Struct>, OdooError>> + Send + 'a {
        let start = Page {
            last_id: 0,
            done: false,
        };
        stream::try_unfold(start, move |page| {
            let domain = domain.clone();
            async move {
                if page.done {
                    return Ok(None);
                }
                let call = format!("{model}.search_read");
                let limit = self.batch_size();
                let mut paged = domain;
                paged.push(leaf("id", ">", page.last_id));
                let mut kwargs = Struct::new();
                kwargs.push("fields", strings(fields));
                kwargs.push("order", "id".into());
                kwargs.push("limit", Value::Int(limit as i64));
                let v = self
                    .execute_kw(model, "search_read", vec![Value::Array(paged)], kwargs)
                    .await?;
                let batch = records(&call, v)?;
                let Some(last) = batch.last() else {
                    return Ok(None);
                };
                let last_id = record_id(&call, last)?;
                // A server that ignored the order or the id filter would loop forever.
                if last_id <= page.last_id {
                    return Err(unexpected(
                        &call,
                        "ids above the previous page",
                        &Value::Int(last_id),
                    ));
                }
                let done = batch.len() < limit;
                Ok(Some((batch, Page { last_id, done })))
            }
        })
    }

    /// The records of [`OdooClient::search_read_pages`] one by one, in id order.
    pub fn search_read_stream<'a>(
        &'a self,
        model: &'a str,
        domain: Vec<Value>,
        fields: &'a [&'a str],
    ) -> impl Stream<Item = Result<Struct, OdooError>> + Send + 'a {
        self.search_read_pages(model, domain, fields)
            .flat_map(|page| {
                let items: Vec<Result<Struct, OdooError>> = match page {
                    Ok(records) => records.into_iter().map(Ok).collect(),
                    Err(e) => vec![Err(e)],
                };
                stream::iter(items)
            })
    }

    /// Every matching record, collected (paged underneath).
    pub async fn search_read_all(
        &self,
        model: &str,
        domain: Vec<Value>,
        fields: &[&str],
    ) -> Result<Vec<Struct>, OdooError> {
        let mut out = Vec::new();
        let mut pages = std::pin::pin!(self.search_read_pages(model, domain, fields));
        while let Some(page) = pages.next().await {
            out.extend(page?);
        }
        Ok(out)
    }

    /// `read(ids, fields)`: records in the order of `ids`; missing ids are silently omitted
    /// by Odoo.
    pub async fn read(
        &self,
        model: &str,
        ids: &[i64],
        fields: &[&str],
    ) -> Result<Vec<Struct>, OdooError> {
        let mut kwargs = Struct::new();
        kwargs.push("fields", strings(fields));
        let v = self
            .execute_kw(model, "read", vec![ids_value(ids)], kwargs)
            .await?;
        records(&format!("{model}.read"), v)
    }

    /// Odoo 17+'s `web_search_read(domain, specification)`: the matching records, each a
    /// struct of the fields `specification` names; a many2one or x2many whose spec has
    /// `fields` comes back as the struct (list of structs) of those fields of the records it
    /// points at, read in the same call. Without `fields` a many2one is its bare id.
    /// Unpaged: for the small models (challenges and their lines) a refresh reads whole.
    pub(crate) async fn web_search_read(
        &self,
        model: &str,
        domain: Vec<Value>,
        specification: Struct,
    ) -> Result<Vec<Struct>, OdooError> {
        let call = format!("{model}.web_search_read");
        let v = self
            .execute_kw(
                model,
                "web_search_read",
                vec![Value::Array(domain), Value::Struct(specification)],
                Struct::new(),
            )
            .await?;
        match v {
            Value::Struct(mut s) => match s.remove("records") {
                Some(records_value) => records(&call, records_value),
                None => Err(unexpected(&call, "{length, records}", &Value::Struct(s))),
            },
            other => Err(unexpected(&call, "{length, records}", &other)),
        }
    }

    pub async fn search(
        &self,
        model: &str,
        domain: Vec<Value>,
        options: &SearchOptions,
    ) -> Result<Vec<i64>, OdooError> {
        let v = self
            .execute_kw(
                model,
                "search",
                vec![Value::Array(domain)],
                search_kwargs(options),
            )
            .await?;
        int_list(&format!("{model}.search"), v)
    }

    /// [`OdooClient::search`] read into an [`IdSet`] as the answer arrives: a million ids
    /// cost a few hundred KiB instead of a body and a list of values. Order and duplicates are
    /// not kept; errors (faults, wrong shapes) are those of `search`, retries too.
    pub async fn search_ids(
        &self,
        model: &str,
        domain: Vec<Value>,
        options: &SearchOptions,
    ) -> Result<IdSet, OdooError> {
        self.execute_kw_ids(
            model,
            "search",
            vec![Value::Array(domain)],
            search_kwargs(options),
        )
        .await
    }

    pub async fn search_count(&self, model: &str, domain: Vec<Value>) -> Result<i64, OdooError> {
        let v = self
            .execute_kw(
                model,
                "search_count",
                vec![Value::Array(domain)],
                Struct::new(),
            )
            .await?;
        v.as_i64()
            .ok_or_else(|| unexpected(&format!("{model}.search_count"), "an integer", &v))
    }

    /// `read_group(domain, fields, groupby, lazy=...)`: one row per group as Odoo returns it
    /// (many2one groups as `[id, name]`, counts, aggregates, `__domain`). On a server whose
    /// profile deprecates `read_group` (Odoo 19) a non-lazy grouping is asked with
    /// `formatted_read_group` instead and its rows given `read_group`'s shape, so callers
    /// never see the difference.
    pub async fn read_group(
        &self,
        model: &str,
        domain: Vec<Value>,
        fields: &[&str],
        groupby: &[&str],
        lazy: bool,
    ) -> Result<Vec<Struct>, OdooError> {
        if (!lazy || groupby.len() <= 1)
            && self.profile().await?.grouping == super::profile::Grouping::FormattedReadGroup
        {
            return self
                .formatted_read_group(model, domain, fields, groupby)
                .await;
        }
        let mut kwargs = Struct::new();
        kwargs.push("lazy", Value::Bool(lazy));
        let args = vec![Value::Array(domain), strings(fields), strings(groupby)];
        let v = self.execute_kw(model, "read_group", args, kwargs).await?;
        records(&format!("{model}.read_group"), v)
    }

    /// Odoo 19's `formatted_read_group(domain, groupby, aggregates)` (recorded:
    /// `fixtures/odoo19/json2/023`), its rows renamed to what `read_group` answers: an
    /// aggregate `amount:sum` comes back as `amount`, the count as `__count`. A `read_group`
    /// field without an aggregator is summed (the default aggregator of a numeric field).
    async fn formatted_read_group(
        &self,
        model: &str,
        domain: Vec<Value>,
        fields: &[&str],
        groupby: &[&str],
    ) -> Result<Vec<Struct>, OdooError> {
        let mut renames: Vec<(String, String)> = Vec::new();
        let mut aggregates = vec![Value::from("__count")];
        for f in fields.iter().filter(|f| **f != "__count") {
            let spec = if f.contains(':') {
                (*f).to_owned()
            } else {
                format!("{f}:sum")
            };
            let name = spec.split(':').next().unwrap_or(&spec).to_owned();
            renames.push((spec.clone(), name));
            aggregates.push(Value::from(spec));
        }
        let mut kwargs = Struct::new();
        kwargs.push("groupby", strings(groupby));
        kwargs.push("aggregates", Value::Array(aggregates));
        let call = format!("{model}.formatted_read_group");
        let v = self
            .execute_kw(
                model,
                "formatted_read_group",
                vec![Value::Array(domain)],
                kwargs,
            )
            .await?;
        let mut rows = records(&call, v)?;
        for row in &mut rows {
            for (spec, name) in &renames {
                if let Some(value) = row.remove(spec) {
                    row.push(name.clone(), value);
                }
            }
        }
        Ok(rows)
    }

    /// `fields_get(attributes=...)` as the one field-metadata model (`record::ModelDef`).
    /// `type` is always asked for (after the caller's), since every field's metadata starts from its type.
    pub async fn fields_get(
        &self,
        model: &str,
        attributes: &[&str],
    ) -> Result<ModelDef, OdooError> {
        let mut asked = attributes.to_vec();
        if !asked.contains(&"type") {
            asked.push("type");
        }
        let mut kwargs = Struct::new();
        kwargs.push("attributes", strings(&asked));
        let call = format!("{model}.fields_get");
        let v = self
            .execute_kw(model, "fields_get", Vec::new(), kwargs)
            .await?;
        let Value::Struct(fields) = v else {
            return Err(unexpected(&call, "a struct of fields", &v));
        };
        let mut def = ModelDef::new(model);
        for (name, attrs) in fields.iter() {
            let field = serde_json::to_value(crate::jsonrpc::Json(attrs))
                .ok()
                .and_then(|json| FieldDef::from_json(name, &json))
                .ok_or_else(|| unexpected(&call, "field attributes with a type", attrs))?;
            def.add(field);
        }
        Ok(def)
    }

    /// One `write(ids, values)`; ids are sent as given.
    pub async fn write(&self, model: &str, ids: &[i64], values: Struct) -> Result<(), OdooError> {
        self.write_with(model, ids, values, Struct::new()).await
    }

    /// [`write`](Self::write) with keyword arguments (a `context`).
    pub(crate) async fn write_with(
        &self,
        model: &str,
        ids: &[i64],
        values: Struct,
        kwargs: Struct,
    ) -> Result<(), OdooError> {
        let v = self
            .execute_kw(
                model,
                "write",
                vec![ids_value(ids), Value::Struct(values)],
                kwargs,
            )
            .await?;
        match v {
            Value::Bool(true) => Ok(()),
            other => Err(unexpected(&format!("{model}.write"), "True", &other)),
        }
    }

    /// Writes per-record values in as few calls as possible: records sharing identical values
    /// go in one `write` (at most `batch_size` ids each), groups in first-seen order, ids
    /// sorted. Returns the number of `write` calls made.
    pub async fn write_grouped(
        &self,
        model: &str,
        changes: Vec<(i64, Struct)>,
    ) -> Result<usize, OdooError> {
        let mut calls = 0;
        for (values, mut ids) in group_by_values(changes) {
            ids.sort_unstable();
            ids.dedup();
            for chunk in ids.chunks(self.batch_size()) {
                self.write(model, chunk, values.clone()).await?;
                calls += 1;
            }
        }
        Ok(calls)
    }

    /// Creates records in batches of `batch_size` (`create` with a list of dicts), returning
    /// the new ids in input order.
    pub async fn create(&self, model: &str, records: Vec<Struct>) -> Result<Vec<i64>, OdooError> {
        let mut ids = Vec::with_capacity(records.len());
        let call = format!("{model}.create");
        for chunk in records.chunks(self.batch_size()) {
            let list = Value::Array(chunk.iter().cloned().map(Value::Struct).collect());
            let v = self
                .execute_kw(model, "create", vec![list], Struct::new())
                .await?;
            let created = int_list(&call, v)?;
            if created.len() != chunk.len() {
                return Err(OdooError::UnexpectedReply {
                    call,
                    expected: "one id per record",
                    got: format!("{} ids for {} records", created.len(), chunk.len()),
                });
            }
            ids.extend(created);
        }
        Ok(ids)
    }
}

/// Groups `(id, values)` by identical values, keeping first-seen group order. Values hold
/// doubles (no `Eq`/`Hash`), so the key is their unambiguous debug rendering.
fn group_by_values(changes: Vec<(i64, Struct)>) -> Vec<(Struct, Vec<i64>)> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<(Struct, Vec<i64>)> = Vec::new();
    for (id, values) in changes {
        let key = format!("{values:?}");
        match index.get(&key) {
            Some(&i) => groups[i].1.push(id),
            None => {
                index.insert(key, groups.len());
                groups.push((values, vec![id]));
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(score: i64) -> Struct {
        let mut s = Struct::new();
        s.push("x_lead_score", Value::Int(score));
        s
    }

    #[test]
    fn groups_identical_values_in_first_seen_order() {
        let groups = group_by_values(vec![
            (5, vals(10)),
            (3, vals(20)),
            (1, vals(10)),
            (9, vals(20)),
            (2, vals(30)),
        ]);
        let shape: Vec<_> = groups
            .iter()
            .map(|(v, ids)| {
                (
                    v.get("x_lead_score").and_then(Value::as_i64).unwrap(),
                    ids.clone(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![(10, vec![5, 1]), (20, vec![3, 9]), (30, vec![2])]
        );
    }

    #[test]
    fn int_and_double_values_are_different_groups() {
        let mut a = Struct::new();
        a.push("f", Value::Int(1));
        let mut b = Struct::new();
        b.push("f", Value::Double(1.0));
        assert_eq!(group_by_values(vec![(1, a), (2, b)]).len(), 2);
    }

    #[test]
    fn leaf_is_a_triple() {
        assert_eq!(
            leaf("id", ">", 7),
            Value::Array(vec!["id".into(), ">".into(), Value::Int(7)])
        );
    }
}
