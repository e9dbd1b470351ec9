//! `MemorySource`: records of several models held in memory (field metadata plus one value per
//! field and record), the record source for tests, benchmarks and engines that evaluate
//! domains on data they already read from Odoo.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::error::{DomainError, DomainErrorKind as K};
use super::source::{FieldHandle, RecordSource};
use crate::record::{FieldDef, FieldType, Schema, Value};

/// A small multiplicative hasher: lookups by short field names and integer ids dominate
/// evaluation time, and nothing here is exposed to hostile keys choosing collisions at scale.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        for b in chunks.remainder() {
            self.add(u64::from(*b));
        }
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_i64(&mut self, i: i64) {
        self.add(i as u64);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(SEED);
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

#[derive(Clone, Debug, Default)]
struct Table {
    defs: Vec<FieldDef>,
    columns: FxMap<String, usize>,
    /// ids in ascending order, parallel to `rows`
    ids: Vec<i64>,
    rows: Vec<Vec<Value>>,
    row_of: FxMap<i64, usize>,
    /// `dense[id]` = row + 1 for small non-negative ids (0 = absent): ids from Odoo are
    /// sequences, so this usually covers every record and skips hashing.
    dense: Vec<u32>,
}

/// Records of several models in memory.
#[derive(Clone, Debug, Default)]
pub struct MemorySource {
    index: FxMap<String, usize>,
    tables: Vec<Table>,
}

static NULL: Value = Value::Null;

impl MemorySource {
    pub fn new() -> Self {
        Self::default()
    }

    /// A source with the models and fields of `schema` and no records.
    pub(crate) fn from_schema(schema: &Schema) -> Self {
        let mut src = MemorySource::new();
        for (name, model) in &schema.models {
            src.add_model(name, model.fields.values().cloned());
        }
        src
    }

    /// Declares a model (or adds fields to it).
    pub fn add_model(&mut self, model: &str, fields: impl IntoIterator<Item = FieldDef>) {
        let t = match self.index.get(model) {
            Some(&t) => t,
            None => {
                self.index.insert(model.to_owned(), self.tables.len());
                self.tables.push(Table::default());
                self.tables.len() - 1
            }
        };
        let table = &mut self.tables[t];
        for f in fields {
            table.add_field(f);
        }
    }

    /// Adds or replaces a record; fields not given are NULL. Unknown fields are an error.
    pub fn insert<N: AsRef<str>>(
        &mut self,
        model: &str,
        id: i64,
        values: impl IntoIterator<Item = (N, Value)>,
    ) -> Result<(), DomainError> {
        let table = self
            .table_mut(model)
            .ok_or_else(|| DomainError::new(K::UnknownModel, format!("unknown model {model}")))?;
        let mut row = vec![Value::Null; table.defs.len()];
        for (name, v) in values {
            let name = name.as_ref();
            let col = *table.columns.get(name).ok_or_else(|| {
                DomainError::new(K::InvalidField, format!("unknown field {model}.{name}"))
            })?;
            row[col] = v;
        }
        table.put(id, row);
        Ok(())
    }

    /// Sets one field of an existing record.
    pub(crate) fn set(
        &mut self,
        model: &str,
        id: i64,
        field: &str,
        v: Value,
    ) -> Result<(), DomainError> {
        let table = self
            .table_mut(model)
            .ok_or_else(|| DomainError::new(K::UnknownModel, format!("unknown model {model}")))?;
        let col = *table.columns.get(field).ok_or_else(|| {
            DomainError::new(K::InvalidField, format!("unknown field {model}.{field}"))
        })?;
        let row = *table
            .row_of
            .get(&id)
            .ok_or_else(|| DomainError::new(K::InvalidValue, format!("no record {model}({id})")))?;
        table.rows[row][col] = v;
        Ok(())
    }

    fn table(&self, model: &str) -> Option<&Table> {
        self.index.get(model).map(|&t| &self.tables[t])
    }

    fn table_mut(&mut self, model: &str) -> Option<&mut Table> {
        self.index.get(model).map(|&t| &mut self.tables[t])
    }

    /// Loads `fixtures/odoo17/snapshot.json`'s layout: `fields_get` metadata and records in
    /// Odoo's wire form (`false` for empty values, many2one as `[id, name]`).
    pub fn from_snapshot_json(doc: &serde_json::Value) -> Option<Self> {
        let schema = Schema::from_snapshot_json(doc)?;
        let mut src = MemorySource::from_schema(&schema);
        for (model, body) in doc.get("models")?.as_object()? {
            let Some(records) = body.get("records").and_then(|r| r.as_array()) else {
                continue;
            };
            let table = src.table_mut(model)?;
            for rec in records {
                let obj = rec.as_object()?;
                let id = obj.get("id")?.as_i64()?;
                let mut row = vec![Value::Null; table.defs.len()];
                for (name, json) in obj {
                    if let Some(&col) = table.columns.get(name) {
                        row[col] = wire_value(&table.defs[col].ty, json);
                    }
                }
                table.put(id, row);
            }
        }
        Some(src)
    }
}

/// One value in Odoo's `read` form, typed by its field.
pub(crate) fn wire_value(ty: &FieldType, v: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match (ty, v) {
        (FieldType::Boolean, J::Bool(b)) => Value::Bool(*b),
        (FieldType::Boolean, _) => Value::Bool(false),
        (_, J::Bool(false) | J::Null) => Value::Null,
        (FieldType::Many2one, J::Array(a)) => a
            .first()
            .and_then(|i| i.as_i64())
            .map_or(Value::Null, Value::Many2one),
        (FieldType::Many2one, J::Number(n)) => n.as_i64().map_or(Value::Null, Value::Many2one),
        (FieldType::One2many | FieldType::Many2many, J::Array(a)) => {
            Value::Ids(a.iter().filter_map(|i| i.as_i64()).collect())
        }
        (FieldType::Float | FieldType::Monetary, J::Number(n)) => {
            n.as_f64().map_or(Value::Null, Value::Float)
        }
        (_, J::Number(n)) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => n.as_f64().map_or(Value::Null, Value::Float),
        },
        (_, J::String(s)) => Value::Str(s.clone()),
        (_, other) => Value::Str(other.to_string()),
    }
}

impl Table {
    fn add_field(&mut self, f: FieldDef) {
        if let Some(&col) = self.columns.get(&f.name) {
            self.defs[col] = f;
            return;
        }
        self.columns.insert(f.name.clone(), self.defs.len());
        self.defs.push(f);
        for row in &mut self.rows {
            row.push(Value::Null);
        }
    }

    fn put(&mut self, id: i64, row: Vec<Value>) {
        if let Some(&r) = self.row_of.get(&id) {
            self.rows[r] = row;
            return;
        }
        if self.ids.last().is_none_or(|last| *last < id) {
            self.row_of.insert(id, self.ids.len());
            self.ids.push(id);
            self.rows.push(row);
            self.index_dense(id, self.ids.len() - 1);
        } else {
            let at = self.ids.partition_point(|x| *x < id);
            self.ids.insert(at, id);
            self.rows.insert(at, row);
            self.row_of = self
                .ids
                .iter()
                .enumerate()
                .map(|(i, id)| (*id, i))
                .collect();
            self.dense.clear();
            for i in 0..self.ids.len() {
                self.index_dense(self.ids[i], i);
            }
        }
    }

    fn index_dense(&mut self, id: i64, row: usize) {
        let (Ok(slot), Ok(value)) = (usize::try_from(id), u32::try_from(row + 1)) else {
            return;
        };
        if slot > 4 * self.ids.len() + 1024 {
            return;
        }
        if slot >= self.dense.len() {
            self.dense.resize(slot + 1, 0);
        }
        self.dense[slot] = value;
    }

    #[inline]
    fn row(&self, id: i64) -> Option<&Vec<Value>> {
        let r = match usize::try_from(id).ok().and_then(|i| self.dense.get(i)) {
            Some(&r) if r > 0 => r as usize - 1,
            _ => *self.row_of.get(&id)?,
        };
        self.rows.get(r)
    }
}

impl RecordSource for MemorySource {
    fn field(&self, model: &str, field: &str) -> Option<&FieldDef> {
        let t = self.table(model)?;
        t.columns.get(field).map(|&c| &t.defs[c])
    }

    fn resolve(&self, model: &str, field: &str) -> Option<FieldHandle> {
        let m = *self.index.get(model)?;
        let c = *self.tables[m].columns.get(field)?;
        Some(FieldHandle {
            model: u32::try_from(m).ok()?,
            field: u32::try_from(c).ok()?,
        })
    }

    #[inline]
    fn value_at(&self, handle: FieldHandle, id: i64) -> Option<Cow<'_, Value>> {
        let row = self.tables.get(handle.model as usize)?.row(id)?;
        Some(Cow::Borrowed(
            row.get(handle.field as usize).unwrap_or(&NULL),
        ))
    }

    fn value(&self, model: &str, id: i64, field: &str) -> Option<Cow<'_, Value>> {
        let t = self.table(model)?;
        let row = t.row(id)?;
        Some(Cow::Borrowed(
            t.columns
                .get(field)
                .and_then(|&c| row.get(c))
                .unwrap_or(&NULL),
        ))
    }

    fn ids(&self, model: &str) -> Box<dyn Iterator<Item = i64> + '_> {
        match self.table(model) {
            Some(t) => Box::new(t.ids.iter().copied()),
            None => Box::new(std::iter::empty()),
        }
    }
}
