//! The compact form a stored field value takes inside a row: the column index rides in the
//! enum's padding, so one slot is 24 bytes. A million leads must fit in memory, and
//! `record::Value` plus a separate index would cost 40 bytes per field.

use std::collections::HashSet;
use std::sync::Arc;

use crate::record::Value;

/// One non-empty stored value of a row, tagged with its column index.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Slot {
    Bool(u16, bool),
    Int(u16, i64),
    Float(u16, f64),
    /// Shared when short (dates, selection keys): see [`Interner`].
    Str(u16, Arc<str>),
    Many2one(u16, i64),
    Ids(u16, Box<[i64]>),
}

impl Slot {
    pub(crate) fn col(&self) -> u16 {
        match self {
            Slot::Bool(c, _)
            | Slot::Int(c, _)
            | Slot::Float(c, _)
            | Slot::Str(c, _)
            | Slot::Many2one(c, _)
            | Slot::Ids(c, _) => *c,
        }
    }

    /// `None` for `Value::Null`: empty values are simply absent from a row.
    pub(crate) fn from_value(col: u16, value: Value, strings: &mut Interner) -> Option<Slot> {
        Some(match value {
            Value::Null => return None,
            Value::Bool(b) => Slot::Bool(col, b),
            Value::Int(i) => Slot::Int(col, i),
            Value::Float(f) => Slot::Float(col, f),
            Value::Str(s) => Slot::Str(col, strings.get(s)),
            Value::Many2one(id) => Slot::Many2one(col, id),
            Value::Ids(ids) => Slot::Ids(col, ids.into_boxed_slice()),
        })
    }

    pub(crate) fn to_value(&self) -> Value {
        match self {
            Slot::Bool(_, b) => Value::Bool(*b),
            Slot::Int(_, i) => Value::Int(*i),
            Slot::Float(_, f) => Value::Float(*f),
            Slot::Str(_, s) => Value::Str(s.to_string()),
            Slot::Many2one(_, id) => Value::Many2one(*id),
            Slot::Ids(_, ids) => Value::Ids(ids.to_vec()),
        }
    }
}

/// A record's stored values, sorted by column, empty values left out.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row(Box<[Slot]>);

impl Row {
    pub(crate) fn from_slots(mut slots: Vec<Slot>) -> Row {
        slots.sort_by_key(Slot::col);
        slots.dedup_by_key(|s| s.col());
        Row(slots.into_boxed_slice())
    }

    pub(crate) fn get(&self, col: u16) -> Option<&Slot> {
        self.0
            .binary_search_by_key(&col, Slot::col)
            .ok()
            .map(|i| &self.0[i])
    }

    /// Sets (or, with `None`, clears) one column.
    pub(crate) fn set(&mut self, col: u16, slot: Option<Slot>) {
        let mut slots = std::mem::take(&mut self.0).into_vec();
        match (slots.binary_search_by_key(&col, Slot::col), slot) {
            (Ok(i), Some(slot)) => slots[i] = slot,
            (Ok(i), None) => {
                slots.remove(i);
            }
            (Err(i), Some(slot)) => slots.insert(i, slot),
            (Err(_), None) => {}
        }
        self.0 = slots.into_boxed_slice();
    }
}

/// Shares short strings between rows: a million leads carry the same few creation dates,
/// selection keys and codes, which would otherwise be a million separate allocations.
#[derive(Clone, Debug, Default)]
pub(crate) struct Interner(HashSet<Arc<str>>);

impl Interner {
    /// Strings up to this many bytes are shared; longer ones (names, e-mails) rarely repeat.
    const MAX_SHARED: usize = 24;

    pub(crate) fn get(&mut self, s: String) -> Arc<str> {
        if s.len() > Self::MAX_SHARED {
            return Arc::from(s);
        }
        if let Some(shared) = self.0.get(s.as_str()) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(s);
        self.0.insert(Arc::clone(&shared));
        shared
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_compact() {
        assert_eq!(std::mem::size_of::<Slot>(), 24);
    }

    #[test]
    fn short_strings_are_shared() {
        let mut strings = Interner::default();
        let a = strings.get("2026-11-22 13:14:01".to_owned());
        let b = strings.get("2026-11-22 13:14:01".to_owned());
        assert!(Arc::ptr_eq(&a, &b));
    }

    #[test]
    fn row_set_get_and_clear() {
        let mut strings = Interner::default();
        let mut row = Row::from_slots(vec![Slot::Int(3, 7), Slot::Str(1, "a".into())]);
        assert_eq!(row.get(3), Some(&Slot::Int(3, 7)));
        row.set(2, Slot::from_value(2, Value::Many2one(9), &mut strings));
        row.set(3, None);
        assert_eq!(row.get(3), None);
        assert_eq!(row.get(2).map(Slot::to_value), Some(Value::Many2one(9)));
        assert_eq!(row.get(1).map(Slot::to_value), Some(Value::Str("a".into())));
    }
}
