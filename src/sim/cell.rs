//! The compact form a stored field value takes inside a row: the column index rides in the
//! enum's padding, so one slot is 24 bytes. A million leads must fit in memory, and
//! `record::Value` plus a separate index would cost 40 bytes per field.

use crate::record::Value;

/// One non-empty stored value of a row, tagged with its column index.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Slot {
    Bool(u16, bool),
    Int(u16, i64),
    Float(u16, f64),
    Str(u16, Box<str>),
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
    pub(crate) fn from_value(col: u16, value: Value) -> Option<Slot> {
        Some(match value {
            Value::Null => return None,
            Value::Bool(b) => Slot::Bool(col, b),
            Value::Int(i) => Slot::Int(col, i),
            Value::Float(f) => Slot::Float(col, f),
            Value::Str(s) => Slot::Str(col, s.into_boxed_str()),
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
pub(crate) struct Row(Box<[Slot]>);

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

    /// Sets (or, with `Null`, clears) one column.
    pub(crate) fn set(&mut self, col: u16, value: Value) {
        let mut slots = std::mem::take(&mut self.0).into_vec();
        match slots.binary_search_by_key(&col, Slot::col) {
            Ok(i) => match Slot::from_value(col, value) {
                Some(slot) => slots[i] = slot,
                None => {
                    slots.remove(i);
                }
            },
            Err(i) => {
                if let Some(slot) = Slot::from_value(col, value) {
                    slots.insert(i, slot);
                }
            }
        }
        self.0 = slots.into_boxed_slice();
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
    fn row_set_get_and_clear() {
        let mut row = Row::from_slots(vec![Slot::Int(3, 7), Slot::Str(1, "a".into())]);
        assert_eq!(row.get(3), Some(&Slot::Int(3, 7)));
        row.set(2, Value::Many2one(9));
        row.set(3, Value::Null);
        assert_eq!(row.get(3), None);
        assert_eq!(row.get(2).map(Slot::to_value), Some(Value::Many2one(9)));
        assert_eq!(row.get(1).map(Slot::to_value), Some(Value::Str("a".into())));
    }
}
