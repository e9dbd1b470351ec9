//! One model's records: stored columns by name, rows indexed by id, and the id sequence.
//! Rows live in a `Vec` indexed by id because Odoo ids come from a sequence and are dense.

use std::collections::HashMap;

use super::cell::{Interner, Row, Slot};
use crate::record::Value;

/// The records of one model.
#[derive(Clone, Debug, Default)]
pub(crate) struct Table {
    cols: HashMap<String, u16>,
    col_names: Vec<String>,
    rows: Vec<Option<Row>>,
    len: usize,
    next_id: i64,
    strings: Interner,
}

impl Table {
    pub(crate) fn new() -> Table {
        Table {
            next_id: 1,
            ..Table::default()
        }
    }

    /// The column index of a stored field, adding the column if it is new.
    pub(crate) fn add_column(&mut self, name: &str) -> u16 {
        if let Some(&c) = self.cols.get(name) {
            return c;
        }
        let c = u16::try_from(self.col_names.len()).unwrap_or(u16::MAX);
        self.cols.insert(name.to_owned(), c);
        self.col_names.push(name.to_owned());
        c
    }

    pub(crate) fn column(&self, name: &str) -> Option<u16> {
        self.cols.get(name).copied()
    }

    /// A stored value by column index (`None` when the record does not exist).
    pub(crate) fn get_col(&self, id: i64, col: u16) -> Option<Value> {
        let row = self.row(id)?;
        Some(row.get(col).map(Slot::to_value).unwrap_or(Value::Null))
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn next_id(&self) -> i64 {
        self.next_id
    }

    /// Makes the sequence hand out at least `id` next (used for tables whose ids are known).
    pub(crate) fn bump_sequence(&mut self, id: i64) {
        self.next_id = self.next_id.max(id);
    }

    pub(crate) fn exists(&self, id: i64) -> bool {
        self.row(id).is_some()
    }

    pub(crate) fn row(&self, id: i64) -> Option<&Row> {
        let i = usize::try_from(id).ok()?;
        self.rows.get(i)?.as_ref()
    }

    fn row_mut(&mut self, id: i64) -> Option<&mut Row> {
        let i = usize::try_from(id).ok()?;
        self.rows.get_mut(i)?.as_mut()
    }

    /// A stored value: `None` when the record does not exist, `Some(Null)` when empty.
    pub(crate) fn get(&self, id: i64, field: &str) -> Option<Value> {
        let row = self.row(id)?;
        Some(match self.cols.get(field) {
            Some(&c) => row.get(c).map(Slot::to_value).unwrap_or(Value::Null),
            None => Value::Null,
        })
    }

    /// Inserts a record with the given id (the sequence moves past it).
    pub(crate) fn insert(&mut self, id: i64, values: Vec<(String, Value)>) {
        let Ok(i) = usize::try_from(id) else {
            return;
        };
        let mut slots = Vec::with_capacity(values.len());
        for (name, value) in values {
            let c = self.add_column(&name);
            if let Some(slot) = Slot::from_value(c, value, &mut self.strings) {
                slots.push(slot);
            }
        }
        if self.rows.len() <= i {
            self.rows.resize_with(i + 1, || None);
        }
        if self.rows[i].is_none() {
            self.len += 1;
        }
        self.rows[i] = Some(Row::from_slots(slots));
        self.next_id = self.next_id.max(id + 1);
    }

    /// Sets one stored value of an existing record; returns false if the record is missing.
    pub(crate) fn set(&mut self, id: i64, field: &str, value: Value) -> bool {
        let c = self.add_column(field);
        if !self.exists(id) {
            return false;
        }
        let slot = Slot::from_value(c, value, &mut self.strings);
        match self.row_mut(id) {
            Some(row) => {
                row.set(c, slot);
                true
            }
            None => false,
        }
    }

    pub(crate) fn remove(&mut self, id: i64) -> bool {
        let Ok(i) = usize::try_from(id) else {
            return false;
        };
        match self.rows.get_mut(i) {
            Some(slot @ Some(_)) => {
                *slot = None;
                self.len -= 1;
                true
            }
            _ => false,
        }
    }

    /// Every id, ascending.
    pub(crate) fn ids(&self) -> impl Iterator<Item = i64> + '_ {
        self.rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_some())
            .map(|(i, _)| i as i64)
    }

    /// Ids within `[lo, hi]`, ascending (a fast path for id-range paging).
    pub(crate) fn ids_between(&self, lo: i64, hi: i64) -> impl Iterator<Item = i64> + '_ {
        let start = usize::try_from(lo.max(0)).unwrap_or(0).min(self.rows.len());
        let end = usize::try_from(hi.max(-1).saturating_add(1))
            .unwrap_or(usize::MAX)
            .min(self.rows.len())
            .max(start);
        self.rows[start..end]
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_some())
            .map(move |(i, _)| (start + i) as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_get_set_remove_and_sequence() {
        let mut t = Table::new();
        t.insert(3, vec![("name".into(), "x".into())]);
        assert_eq!(t.next_id(), 4);
        assert_eq!(t.get(3, "name"), Some(Value::Str("x".into())));
        assert_eq!(t.get(3, "other"), Some(Value::Null));
        assert_eq!(t.get(2, "name"), None);
        assert!(t.set(3, "score", Value::Int(5)));
        assert_eq!(t.get(3, "score"), Some(Value::Int(5)));
        assert_eq!(t.ids().collect::<Vec<_>>(), [3]);
        assert_eq!(t.ids_between(0, 10).collect::<Vec<_>>(), [3]);
        assert!(t.remove(3));
        assert_eq!(t.len(), 0);
        assert!(!t.exists(3));
    }
}
