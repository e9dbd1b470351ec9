//! The interning tables that keep a large plan small: models and reasons are stored once, and
//! so is each distinct field-change list ("signature"), so a planned write is an id and two
//! table indices however many fields it changes.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use super::FieldChange;
use crate::record::Value;

/// Distinct values, each stored once (shared between the list and the lookup table, since a
/// plan whose every write is distinct has as many signatures as writes) and named by index.
#[derive(Debug)]
pub(super) struct Interner<T: ?Sized> {
    list: Vec<Arc<T>>,
    index: HashMap<Arc<T>, u32>,
}

impl<T: ?Sized> Clone for Interner<T> {
    fn clone(&self) -> Self {
        Interner {
            list: self.list.clone(),
            index: self.index.clone(),
        }
    }
}

impl<T: ?Sized> Default for Interner<T> {
    fn default() -> Self {
        Interner {
            list: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<T: ?Sized + Hash + Eq> Interner<T> {
    fn find(&self, value: &T) -> Option<u32> {
        self.index.get(value).copied()
    }

    /// Stores a value [`find`](Self::find) did not find.
    fn push_new(&mut self, value: Arc<T>) -> u32 {
        let index = to_index(self.list.len());
        self.list.push(Arc::clone(&value));
        self.index.insert(value, index);
        index
    }

    pub(crate) fn lookup(&self, index: u32) -> Option<&T> {
        self.list.get(index as usize).map(|v| &**v)
    }
}

/// Models and reasons.
pub(super) type Strings = Interner<str>;

impl Strings {
    pub(crate) fn intern(&mut self, text: &str) -> u32 {
        self.find(text)
            .unwrap_or_else(|| self.push_new(Arc::from(text)))
    }

    pub(crate) fn get(&self, index: u32) -> &str {
        self.lookup(index).unwrap_or("")
    }
}

/// A model and the exact field changes written to one of its records, in order.
#[derive(Clone, Debug)]
pub(super) struct Signature {
    pub model: u32,
    pub changes: Vec<FieldChange>,
}

/// Equality is exact, not [`same_value`](super::same_value): floats compare by their bits
/// (NaN equals itself, `-0.0` differs from `0.0`), so interning gives back exactly the values
/// the engine planned, and `Int(1)` never stands in for `Many2one(1)`.
impl PartialEq for Signature {
    fn eq(&self, other: &Signature) -> bool {
        self.model == other.model
            && self.changes.len() == other.changes.len()
            && self.changes.iter().zip(&other.changes).all(|(a, b)| {
                a.field == b.field && exact_eq(&a.old, &b.old) && exact_eq(&a.new, &b.new)
            })
    }
}

impl Eq for Signature {}

impl Hash for Signature {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.model.hash(state);
        self.changes.len().hash(state);
        for change in &self.changes {
            change.field.hash(state);
            hash_value(&change.old, state);
            hash_value(&change.new, state);
        }
    }
}

fn exact_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}

fn hash_value<H: Hasher>(value: &Value, state: &mut H) {
    std::mem::discriminant(value).hash(state);
    match value {
        Value::Null => {}
        Value::Bool(b) => b.hash(state),
        Value::Int(i) | Value::Many2one(i) => i.hash(state),
        Value::Float(x) => x.to_bits().hash(state),
        Value::Str(s) => s.hash(state),
        Value::Ids(ids) => ids.hash(state),
    }
}

/// Distinct field-change lists.
pub(super) type Signatures = Interner<Signature>;

impl Signatures {
    pub(crate) fn intern(&mut self, mut signature: Signature) -> u32 {
        if let Some(index) = self.find(&signature) {
            return index;
        }
        signature.changes.shrink_to_fit();
        self.push_new(Arc::new(signature))
    }

    pub(crate) fn get(&self, index: u32) -> Option<&Signature> {
        self.lookup(index)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Signature> {
        self.list.iter().map(|s| &**s)
    }
}

/// A table position as stored. Four billion entries would take far more memory than the
/// process is allowed, so reaching the limit is a bug, not a data condition.
pub(super) fn to_index(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(model: u32, new: Value) -> Signature {
        Signature {
            model,
            changes: vec![FieldChange::new("x", Value::Null, new)],
        }
    }

    #[test]
    fn equal_content_is_stored_once() {
        let mut strings = Strings::default();
        assert_eq!(strings.intern("crm.lead"), 0);
        assert_eq!(strings.intern("res.partner"), 1);
        assert_eq!(strings.intern("crm.lead"), 0);
        assert_eq!(strings.get(1), "res.partner");

        let mut sigs = Signatures::default();
        assert_eq!(sigs.intern(sig(0, Value::Int(1))), 0);
        assert_eq!(sigs.intern(sig(0, Value::Int(1))), 0);
        assert_eq!(sigs.intern(sig(1, Value::Int(1))), 1);
        assert!(sigs.get(2).is_none());
    }

    #[test]
    fn signatures_compare_exactly() {
        let mut sigs = Signatures::default();
        let values = [
            Value::Int(1),
            Value::Many2one(1),
            Value::Float(1.0),
            Value::Float(0.0),
            Value::Float(-0.0),
            Value::Float(f64::NAN),
            Value::Bool(false),
            Value::Null,
            Value::Ids(vec![]),
            Value::Ids(vec![2, 1]),
            Value::Ids(vec![1, 2]),
            Value::Str("1".into()),
        ];
        for (i, value) in values.iter().enumerate() {
            assert_eq!(sigs.intern(sig(0, value.clone())), i as u32, "{value:?}");
        }
        // NaN finds itself again, unlike with `Value`'s own equality.
        assert_eq!(sigs.intern(sig(0, Value::Float(f64::NAN))), 5);
        let Some(Value::Float(zero)) = sigs.get(4).map(|s| &s.changes[0].new) else {
            panic!("not a float");
        };
        assert_eq!(zero.to_bits(), (-0.0f64).to_bits());
    }
}
