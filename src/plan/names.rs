//! The names people know records and values by, for reading a plan or a journal:
//! `crm.lead Acme desks (#4)  team_id: False → Vietnam (#3)` rather than `crm.lead 4  team_id:
//! False → 3`. A plan is pure data, so names are a separate lookup: [`Wanted`] says what a text
//! is about to show, whoever can ask Odoo fills [`Names`] (the CLI, one `fields_get` and one
//! `read` per model), and a text printed without names shows ids.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{ChangeRef, Plan};
use crate::record::Value;

/// The records and many2one values a text will show, so their names can be read in one call
/// per model.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Wanted {
    /// model → ids of its records shown.
    pub records: BTreeMap<String, BTreeSet<i64>>,
    /// model → field → the ids its values hold (the field's relation is not known yet: a
    /// `fields_get` of the model says which fields are many2one and to what).
    pub values: BTreeMap<String, BTreeMap<String, BTreeSet<i64>>>,
}

impl Wanted {
    pub fn record(&mut self, model: &str, id: i64) {
        self.records.entry(model.to_owned()).or_default().insert(id);
    }

    /// A value of `model.field`: only record references (many2one) can be named.
    pub fn value(&mut self, model: &str, field: &str, value: &Value) {
        if let Value::Many2one(id) = value {
            self.values
                .entry(model.to_owned())
                .or_default()
                .entry(field.to_owned())
                .or_default()
                .insert(*id);
        }
    }

    /// Adds what `other` wants.
    pub fn merge(&mut self, other: Wanted) {
        for (model, ids) in other.records {
            self.records.entry(model).or_default().extend(ids);
        }
        for (model, fields) in other.values {
            let into = self.values.entry(model).or_default();
            for (field, ids) in fields {
                into.entry(field).or_default().extend(ids);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.values.is_empty()
    }
}

/// Display names read from Odoo, and which many2one field points to which model.
#[derive(Debug, Default, Clone)]
pub struct Names {
    /// `(model, id)` → display name.
    records: HashMap<(String, i64), String>,
    /// `(model, field)` → the model a many2one field points to.
    relations: HashMap<(String, String), String>,
}

impl Names {
    pub fn insert_record(&mut self, model: &str, id: i64, name: &str) {
        self.records.insert((model.to_owned(), id), name.to_owned());
    }

    pub fn insert_relation(&mut self, model: &str, field: &str, relation: &str) {
        self.relations
            .insert((model.to_owned(), field.to_owned()), relation.to_owned());
    }

    pub fn relation(&self, model: &str, field: &str) -> Option<&str> {
        self.relations
            .get(&(model.to_owned(), field.to_owned()))
            .map(String::as_str)
    }

    pub fn name(&self, model: &str, id: i64) -> Option<&str> {
        self.records
            .get(&(model.to_owned(), id))
            .map(String::as_str)
    }

    /// A record as people read it: `crm.lead Acme desks (#4)`, or `crm.lead 4` unnamed.
    pub fn record(&self, model: &str, id: i64) -> String {
        match self.name(model, id) {
            Some(name) => format!("{model} {name} (#{id})"),
            None => format!("{model} {id}"),
        }
    }

    /// A value as people read it: a many2one by the name of what it points to
    /// (`Vietnam (#3)`), anything else as it is.
    pub fn value(&self, model: &str, field: &str, value: &Value) -> String {
        if let Value::Many2one(id) = value
            && let Some(rel) = self.relation(model, field)
            && let Some(name) = self.name(rel, *id)
        {
            return format!("{name} (#{id})");
        }
        value.to_string()
    }
}

impl Plan {
    /// What the first `examples` changes of a plan show (the examples of its summary).
    pub fn wanted_names(&self, examples: usize) -> Wanted {
        let mut wanted = Wanted::default();
        for change in self.iter().take(examples) {
            match change {
                ChangeRef::Write {
                    model, id, values, ..
                } => {
                    wanted.record(model, id);
                    for c in values {
                        wanted.value(model, &c.field, &c.old);
                        wanted.value(model, &c.field, &c.new);
                    }
                }
                ChangeRef::Create { model, values, .. } => {
                    for (field, v) in values {
                        wanted.value(model, field, v);
                    }
                }
                ChangeRef::Unlink { model, id, .. } => wanted.record(model, id),
            }
        }
        wanted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::FieldChange;

    #[test]
    fn wanted_lists_shown_records_and_many2one_values_only() {
        let mut plan = Plan::new("scoring");
        plan.push_write(
            "crm.lead",
            4,
            vec![
                FieldChange::new("team_id", Value::Bool(false), Value::Many2one(3)),
                FieldChange::new("x_score", Value::Int(0), Value::Int(10)),
            ],
            "routed",
        );
        plan.push_write(
            "crm.lead",
            5,
            vec![FieldChange::new("x_score", Value::Int(0), Value::Int(1))],
            "beyond the examples",
        );
        let wanted = plan.wanted_names(1);
        assert_eq!(
            wanted.records,
            BTreeMap::from([("crm.lead".to_owned(), BTreeSet::from([4]))])
        );
        assert_eq!(
            wanted.values["crm.lead"],
            BTreeMap::from([("team_id".to_owned(), BTreeSet::from([3]))])
        );
    }

    #[test]
    fn names_fall_back_to_ids() {
        let mut names = Names::default();
        names.insert_relation("crm.lead", "team_id", "crm.team");
        names.insert_record("crm.team", 3, "Việt Nam");
        names.insert_record("crm.lead", 4, "王伟的桌子");
        assert_eq!(names.record("crm.lead", 4), "crm.lead 王伟的桌子 (#4)");
        assert_eq!(names.record("crm.lead", 5), "crm.lead 5");
        assert_eq!(
            names.value("crm.lead", "team_id", &Value::Many2one(3)),
            "Việt Nam (#3)"
        );
        assert_eq!(names.value("crm.lead", "team_id", &Value::Many2one(9)), "9");
        assert_eq!(
            names.value("crm.lead", "team_id", &Value::Bool(false)),
            "False"
        );
    }
}
