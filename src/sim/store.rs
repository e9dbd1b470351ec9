//! The simulator's database: one [`Table`] per model, the registry, display-name hints taken
//! from the snapshot's many2one pairs, and the users' secrets. Reads of computed fields
//! (one2many inverses, related fields, display names) are answered here.

use std::borrow::Cow;
use std::collections::HashMap;

use super::computed;
use super::registry::Registry;
use super::table::Table;
use crate::domain::{FieldHandle, RecordSource};
use crate::record::{FieldDef, FieldType, RecordStore, Value};

/// Where "now" comes from (injected so tests can pin it or make it tick).
pub type Clock = std::sync::Arc<dyn Fn() -> chrono::NaiveDateTime + Send + Sync>;

fn system_clock() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// All records of all simulated models.
#[derive(Clone)]
pub struct Store {
    pub(crate) reg: Registry,
    /// One table per model, in registry order (a model's index is stable).
    tables: Vec<Table>,
    /// Model name → index into `tables`.
    index: HashMap<String, usize>,
    /// `(model, id) → display name` as Odoo sent them in the snapshot, for comodels the
    /// simulator does not hold (e.g. `res.lang`) or cannot name by rule.
    pub(crate) hints: HashMap<String, HashMap<i64, String>>,
    /// uid → accepted secrets (passwords and API keys).
    pub(crate) secrets: HashMap<i64, Vec<String>>,
    /// API key → uid: the only secrets JSON-2 takes as its bearer token (a password there
    /// is an "Invalid apikey", `fixtures/odoo19/json2/004-bad-key.json`).
    pub(crate) api_keys: HashMap<String, i64>,
    pub(crate) clock: Clock,
    /// (model, field) → records written with Odoo's mail tracking on: what a real Odoo
    /// tracks in the chatter (a `mail.thread` model written without `tracking_disable`).
    pub(crate) tracked: HashMap<(String, String), u64>,
    /// The Odoo major version the store's snapshot was recorded on (faults are worded as it
    /// words them).
    pub(crate) major: i64,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("models", &self.tables.len())
            .finish_non_exhaustive()
    }
}

impl Store {
    pub(crate) fn new(reg: Registry) -> Store {
        let index: HashMap<String, usize> = reg
            .schema
            .models
            .keys()
            .enumerate()
            .map(|(i, name)| (name.clone(), i))
            .collect();
        let tables = (0..index.len()).map(|_| Table::new()).collect();
        Store {
            reg,
            tables,
            index,
            hints: HashMap::new(),
            secrets: HashMap::new(),
            api_keys: HashMap::new(),
            major: 17,
            clock: std::sync::Arc::new(system_clock),
            tracked: HashMap::new(),
        }
    }

    /// Adds a model created at run time (`ir.model.create`, see `custom_models`).
    pub(crate) fn add_model(
        &mut self,
        def: crate::record::ModelDef,
        info: super::registry::ModelInfo,
        attrs: std::collections::BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    ) {
        let name = def.name.clone();
        self.reg.schema.add_model(def);
        self.reg.info.insert(name.clone(), info);
        self.reg.attrs.insert(name.clone(), attrs);
        self.index.insert(name, self.tables.len());
        self.tables.push(Table::new());
    }

    /// Forgets a model created at run time: its fields, its rows and its table
    /// (`ir.model.unlink`, see `custom_models::unlink_models`).
    pub(crate) fn drop_model(&mut self, name: &str) {
        self.reg.schema.models.remove(name);
        self.reg.info.remove(name);
        self.reg.attrs.remove(name);
        if let Some(i) = self.index.remove(name) {
            self.tables[i] = Table::new();
        }
    }

    pub(crate) fn registry(&self) -> &Registry {
        &self.reg
    }

    /// Pins the clock (tests, reproducible demos).
    pub fn set_clock(&mut self, clock: impl Fn() -> chrono::NaiveDateTime + Send + Sync + 'static) {
        self.clock = std::sync::Arc::new(clock);
    }

    /// Moves the clock `by` ahead, keeping its pace (tests that need time to pass between two
    /// writes, without sleeping).
    pub fn advance_clock(&mut self, by: chrono::Duration) {
        let clock = self.clock.clone();
        self.clock = std::sync::Arc::new(move || clock() + by);
    }

    /// The server's time now, UTC, by its clock.
    pub fn clock_now(&self) -> chrono::NaiveDateTime {
        (self.clock)()
    }

    /// "YYYY-MM-DD HH:MM:SS", UTC.
    pub(crate) fn now(&self) -> String {
        crate::record::datetime::format_datetime((self.clock)())
    }

    /// "YYYY-MM-DD", UTC (Odoo's server runs in UTC).
    pub(crate) fn today(&self) -> String {
        crate::record::datetime::format_date((self.clock)().date())
    }

    pub(crate) fn table(&self, model: &str) -> Option<&Table> {
        self.tables.get(*self.index.get(model)?)
    }

    pub(crate) fn table_mut(&mut self, model: &str) -> Option<&mut Table> {
        let i = *self.index.get(model)?;
        self.tables.get_mut(i)
    }

    pub fn exists(&self, model: &str, id: i64) -> bool {
        self.table(model).is_some_and(|t| t.exists(id))
    }

    /// Number of records of a model (archived ones included).
    pub fn count(&self, model: &str) -> usize {
        self.table(model).map_or(0, Table::len)
    }

    pub(crate) fn add_hint(&mut self, model: &str, id: i64, name: &str) {
        self.hints
            .entry(model.to_owned())
            .or_default()
            .entry(id)
            .or_insert_with(|| name.to_owned());
    }

    /// A field value, stored or computed: `None` if the record does not exist.
    pub fn value(&self, model: &str, id: i64, field: &str) -> Option<Value> {
        let table = self.table(model)?;
        if !table.exists(id) {
            return None;
        }
        if field == "id" {
            return Some(Value::Int(id));
        }
        if let Some(col) = table.column(field) {
            return table.get_col(id, col);
        }
        let Some(def) = self.reg.field(model, field) else {
            return Some(Value::Null);
        };
        Some(self.computed(model, id, def))
    }

    fn computed(&self, model: &str, id: i64, def: &FieldDef) -> Value {
        if def.ty == FieldType::One2many
            && self.reg.inverse_available(def)
            && let (Some(comodel), Some(inverse)) = (&def.relation, &def.relation_field)
        {
            return Value::Ids(self.inverse_ids(comodel, inverse, id));
        }
        if def.name == "display_name" {
            return Value::Str(self.display_name(model, id));
        }
        if let Some(v) = computed::value(self, model, id, &def.name) {
            return v;
        }
        if let Some(path) = &def.related {
            return self.follow(model, id, path);
        }
        Value::Null
    }

    /// Ids of `comodel` records whose many2one `inverse` points at `id`, ascending.
    pub(crate) fn inverse_ids(&self, comodel: &str, inverse: &str, id: i64) -> Vec<i64> {
        let Some(t) = self.table(comodel) else {
            return Vec::new();
        };
        t.ids()
            .filter(|&cid| t.get(cid, inverse) == Some(Value::Many2one(id)))
            .collect()
    }

    /// Follows a related path (`["line_id", "challenge_id"]`) through many2one fields.
    pub(crate) fn follow(&self, model: &str, id: i64, path: &[String]) -> Value {
        let (Some(first), rest) = (path.first(), path.get(1..).unwrap_or(&[])) else {
            return Value::Null;
        };
        let Some(v) = self.value(model, id, first) else {
            return Value::Null;
        };
        if rest.is_empty() {
            return v;
        }
        match (
            v,
            self.reg
                .field(model, first)
                .and_then(|f| f.relation.clone()),
        ) {
            (Value::Many2one(next), Some(comodel)) => self.follow(&comodel, next, rest),
            _ => Value::Null,
        }
    }

    /// The display name Odoo would show for a record of `model`.
    pub(crate) fn display_name(&self, model: &str, id: i64) -> String {
        computed::display_name(self, model, id)
            .or_else(|| self.hints.get(model).and_then(|h| h.get(&id)).cloned())
            .unwrap_or_else(|| format!("{model},{id}"))
    }

    /// Every id of a model, ascending.
    pub fn all_ids(&self, model: &str) -> Vec<i64> {
        self.table(model)
            .map(|t| t.ids().collect())
            .unwrap_or_default()
    }

    /// How many records had `field` of `model` written with mail tracking on (no
    /// `tracking_disable` in the call's context) — what Odoo would have tracked.
    pub fn tracked_writes(&self, model: &str, field: &str) -> u64 {
        self.tracked
            .get(&(model.to_owned(), field.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// Sets one stored field of an existing record as is, without Odoo's side effects: for
    /// tests that arrange a database state the API would not leave (e.g. a challenge in
    /// progress whose goals were never generated).
    pub fn set_raw(&mut self, model: &str, id: i64, field: &str, value: Value) {
        if let Some(t) = self.table_mut(model) {
            t.set(id, field, value);
        }
    }

    /// Stores a record with a given id, as is (no defaults, no side effects).
    pub(crate) fn put(&mut self, model: &str, id: i64, values: Vec<(String, Value)>) {
        let reg = &self.reg;
        let values: Vec<(String, Value)> = values
            .into_iter()
            .filter(|(k, _)| reg.field(model, k).is_some_and(|def| reg.is_column(def)))
            .collect();
        if let Some(t) = self.table_mut(model) {
            t.insert(id, values);
        }
    }
}

impl RecordSource for Store {
    fn field(&self, model: &str, field: &str) -> Option<&FieldDef> {
        self.reg.field(model, field)
    }

    fn value(&self, model: &str, id: i64, field: &str) -> Option<Cow<'_, Value>> {
        Store::value(self, model, id, field).map(Cow::Owned)
    }

    fn ids(&self, model: &str) -> Box<dyn Iterator<Item = i64> + '_> {
        match self.table(model) {
            Some(t) => Box::new(t.ids()),
            None => Box::new(std::iter::empty()),
        }
    }

    /// Stored columns get a handle (table index, column index); computed fields go through
    /// `value`. Column indices never change once given, so handles stay valid.
    fn resolve(&self, model: &str, field: &str) -> Option<FieldHandle> {
        let m = *self.index.get(model)?;
        let col = self.tables.get(m)?.column(field)?;
        Some(FieldHandle {
            model: u32::try_from(m).ok()?,
            field: u32::from(col),
        })
    }

    fn value_at(&self, handle: FieldHandle, id: i64) -> Option<Cow<'_, Value>> {
        let table = self.tables.get(usize::try_from(handle.model).ok()?)?;
        let col = u16::try_from(handle.field).ok()?;
        table.get_col(id, col).map(Cow::Owned)
    }

    fn text_at(&self, handle: FieldHandle, id: i64) -> Option<Option<&str>> {
        let table = self.tables.get(usize::try_from(handle.model).ok()?)?;
        let col = u16::try_from(handle.field).ok()?;
        match table.row(id)?.get(col) {
            None => Some(None),
            Some(super::cell::Slot::Str(_, text)) => Some(Some(text)),
            Some(_) => None,
        }
    }
}

impl RecordStore for Store {
    fn create(&mut self, model: &str, values: Vec<(String, Value)>) -> i64 {
        use super::create::{Defaults, create_with};
        create_with(
            self,
            model,
            values,
            super::auth::SUPERUSER,
            Defaults::LogOnly,
        )
    }

    fn search_eq(&self, model: &str, field: &str, value: &Value) -> Vec<i64> {
        let Some(t) = self.table(model) else {
            return Vec::new();
        };
        t.ids()
            .filter(|&id| {
                let v = self.value(model, id, field).unwrap_or_default();
                match (&v, value) {
                    (Value::Null, Value::Bool(false)) => true,
                    (Value::Many2one(a), Value::Int(b)) | (Value::Int(a), Value::Many2one(b)) => {
                        a == b
                    }
                    _ => &v == value,
                }
            })
            .collect()
    }

    fn set_password(&mut self, uid: i64, password: &str) {
        self.secrets.insert(uid, vec![password.to_owned()]);
    }

    fn has_field(&self, model: &str, field: &str) -> bool {
        self.reg.field(model, field).is_some()
    }
}
