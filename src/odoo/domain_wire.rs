//! Domains on the wire: a typed domain literal ([`Lit`]) becomes the XML-RPC value `search`
//! and friends take only here, when the client sends it, so `domain` knows no codec.

use crate::domain::Lit;
use crate::xmlrpc::Value;

/// The wire form of a domain literal. A trait so callers keep writing `lit.to_wire_items()`.
pub trait WireLit {
    /// The literal as an XML-RPC request value, to push a domain down to Odoo. `None` goes
    /// as `<nil/>`, which Odoo accepts inbound: on boolean fields `= None` (IS NULL) and
    /// `= False` (NULL or false) are different leaves.
    fn to_wire(&self) -> Value;

    /// A domain literal's items (operators and leaves) as the wire list `search` takes; empty
    /// for anything that is not a list.
    fn to_wire_items(&self) -> Vec<Value>;
}

impl WireLit for Lit {
    fn to_wire(&self) -> Value {
        match self {
            Lit::None => Value::Nil,
            Lit::Bool(b) => Value::Bool(*b),
            Lit::Int(i) => Value::Int(*i),
            Lit::Float(x) => Value::Double(*x),
            Lit::Str(s) => Value::String(s.clone()),
            Lit::List(items) | Lit::Tuple(items) => {
                Value::Array(items.iter().map(WireLit::to_wire).collect())
            }
        }
    }

    fn to_wire_items(&self) -> Vec<Value> {
        self.as_seq()
            .map(|items| items.iter().map(WireLit::to_wire).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_is_nil_and_lists_and_tuples_are_arrays() {
        let leaf = Lit::Tuple(vec![
            Lit::Str("active".into()),
            Lit::Str("=".into()),
            Lit::None,
        ]);
        let domain = Lit::List(vec![Lit::Str("|".into()), leaf]);
        assert_eq!(
            domain.to_wire_items(),
            vec![
                Value::String("|".into()),
                Value::Array(vec![
                    Value::String("active".into()),
                    Value::String("=".into()),
                    Value::Nil
                ]),
            ]
        );
        assert!(Lit::Int(3).to_wire_items().is_empty());
        assert_eq!(Lit::Float(1.5).to_wire(), Value::Double(1.5));
    }
}
