//! Reads from Odoo the names a text is about to show ([`Wanted`] → [`Names`]): one
//! `fields_get` per model whose values are shown (which fields are many2one, and to what),
//! then one `read` of `display_name` per model named. Names are a courtesy: a model Odoo will
//! not describe or read is left unnamed, and the text shows its ids.

use std::collections::{BTreeMap, BTreeSet};

use crate::odoo::OdooClient;
use crate::plan::{Names, Wanted};
use crate::record::FieldType;
use crate::xmlrpc::Value as X;

/// The names of what `wanted` lists.
pub(super) async fn fetch(client: &OdooClient, wanted: &Wanted) -> Names {
    let mut names = Names::default();
    let mut records: BTreeMap<String, BTreeSet<i64>> = wanted.records.clone();
    for (model, fields) in &wanted.values {
        let Ok(meta) = client.fields_get(model, &["relation", "type"]).await else {
            continue;
        };
        for (field, ids) in fields {
            if let Some(rel) = meta
                .field(field)
                .filter(|f| f.ty == FieldType::Many2one)
                .and_then(|f| f.relation.as_deref())
            {
                names.insert_relation(model, field, rel);
                records.entry(rel.to_owned()).or_default().extend(ids);
            }
        }
    }
    for (model, ids) in &records {
        let ids: Vec<i64> = ids.iter().copied().collect();
        if let Ok(rows) = client.read(model, &ids, &["display_name"]).await {
            for r in rows {
                if let (Some(id), Some(name)) = (
                    r.get("id").and_then(X::as_i64),
                    r.get("display_name").and_then(X::as_str),
                ) {
                    names.insert_record(model, id, name);
                }
            }
        }
    }
    names
}
