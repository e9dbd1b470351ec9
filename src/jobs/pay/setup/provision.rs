//! Setup's writes, remembered so that a setup failing half-way can take them back: every
//! record created is kept with its model, and [`Provision::roll_back`] deletes them newest
//! first (menu before action, views before the fields they show, fields before their model),
//! which is the order in which Odoo accepts each deletion (`ir.model.unlink` drops the table
//! and the model from the registry; `ir.model.fields` refuses to drop a many2one while a
//! one2many still names it as its inverse).

use crate::odoo::{OdooClient, OdooError};
use crate::xmlrpc::{Struct, Value as X};

/// `(name, value)` pairs as an XML-RPC struct.
pub(super) fn s(pairs: &[(&str, X)]) -> Struct {
    let mut out = Struct::new();
    for (k, v) in pairs {
        out.push(*k, v.clone());
    }
    out
}

/// A `(0, 0, vals)` command: create this child with its parent.
pub(super) fn cmd_create(vals: Struct) -> X {
    X::Array(vec![X::Int(0), X::Int(0), X::Struct(vals)])
}

/// The records one setup created so far, oldest first.
pub(super) struct Provision<'a> {
    client: &'a OdooClient,
    created: Vec<(&'static str, i64)>,
}

impl<'a> Provision<'a> {
    pub(super) fn new(client: &'a OdooClient) -> Self {
        Provision {
            client,
            created: Vec::new(),
        }
    }

    /// Creates one record of `model` and remembers it.
    pub(super) async fn create(
        &mut self,
        model: &'static str,
        vals: Struct,
    ) -> Result<i64, OdooError> {
        let ids = self.client.create(model, vec![vals]).await?;
        let id = ids
            .first()
            .copied()
            .ok_or_else(|| OdooError::UnexpectedReply {
                call: format!("{model}.create"),
                expected: "the new record's id",
                got: "no id".into(),
            })?;
        self.created.push((model, id));
        Ok(id)
    }

    /// How many records were created.
    pub(super) fn len(&self) -> usize {
        self.created.len()
    }

    /// Deletes what was created, newest first, one `unlink` per run of records of the same
    /// model. On failure, the records not deleted yet (`model #id`), oldest first.
    pub(super) async fn roll_back(self) -> Result<(), (OdooError, Vec<String>)> {
        let mut left = self.created;
        while let Some(&(model, _)) = left.last() {
            let from = left
                .iter()
                .rposition(|(m, _)| *m != model)
                .map_or(0, |i| i + 1);
            let ids: Vec<X> = left[from..].iter().map(|(_, id)| X::Int(*id)).collect();
            if let Err(e) = self
                .client
                .execute_kw(model, "unlink", vec![X::Array(ids)], Struct::new())
                .await
            {
                let names = left.iter().map(|(m, id)| format!("{m} #{id}")).collect();
                return Err((e, names));
            }
            left.truncate(from);
        }
        Ok(())
    }
}
