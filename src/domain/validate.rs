//! Checking a domain against field metadata before it is used: unknown fields (along dotted
//! paths and inside `any`), operators Odoo does not know, paths through non-relational fields,
//! and right-hand values Odoo could not convert, reported in the order Odoo reports them.

use super::coerce::{Kind, hierarchy_on_scalar, invalid_field, invalid_leaf, kind_of};
use super::compile::compile_scalar;
use super::error::{DomainError, DomainErrorKind as K};
use super::operand::Operand;
use super::tree::{Domain, Node, Op};
use crate::record::{FieldDef, FieldType, Schema};

fn field_def(schema: &Schema, model: &str, field: &str) -> Option<FieldDef> {
    match schema.field(model, field) {
        Some(d) => Some(d.clone()),
        None if field == "id" => Some(FieldDef::new("id", FieldType::Integer)),
        None => None,
    }
}

fn unknown_model(model: &str) -> DomainError {
    DomainError::new(K::UnknownModel, format!("unknown model {model}"))
}

fn comodel_of(schema: &Schema, model: &str, def: &FieldDef) -> Result<String, DomainError> {
    match (&def.relation, def.ty.is_relational()) {
        (Some(c), true) => {
            if schema.model(c).is_none() {
                return Err(unknown_model(c));
            }
            Ok(c.clone())
        }
        _ => Err(DomainError::new(
            K::InvalidPath,
            format!(
                "field {model}.{} is not relational: it cannot be followed by `.` or `any`",
                def.name
            ),
        )),
    }
}

/// Odoo's `_anyfy_leaves` checks, on the items as written.
fn check_raw(items: &[Operand], schema: &Schema, model: &str) -> Result<(), DomainError> {
    for item in items {
        let Some(leaf) = item.as_seq() else { continue };
        if leaf.len() != 3 {
            continue;
        }
        let is_bool_leaf = leaf[1].as_str() == Some("=")
            && leaf[2].py_eq_int(1)
            && (leaf[0].py_eq_int(1) || leaf[0].py_eq_int(0));
        if is_bool_leaf {
            continue;
        }
        let Some(left) = leaf[0].as_str() else {
            continue;
        };
        let (head, rest) = match left.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (left, None),
        };
        let Some(def) = field_def(schema, model, head) else {
            return Err(invalid_field(
                model,
                head,
                &Operand::Tuple(leaf.to_vec()).to_string(),
            ));
        };
        let is_any = matches!(leaf[1].as_str(), Some("any" | "not any"));
        match rest {
            Some(rest) if def.ty.is_relational() => {
                let comodel = comodel_of(schema, model, &def)?;
                let sub = Operand::Tuple(vec![
                    Operand::Str(rest.to_owned()),
                    leaf[1].clone(),
                    leaf[2].clone(),
                ]);
                check_raw(std::slice::from_ref(&sub), schema, &comodel)?;
            }
            Some(_) => {
                return Err(DomainError::odoo(
                    K::InvalidPath,
                    format!(
                        "Invalid field {} in domain term {}",
                        Operand::Str(left.to_owned()),
                        Operand::Tuple(leaf.to_vec())
                    ),
                ));
            }
            None if is_any => {
                let comodel = comodel_of(schema, model, &def)?;
                if let Some(sub) = leaf[2].as_seq() {
                    check_raw(sub, schema, &comodel)?;
                }
            }
            None => {}
        }
    }
    Ok(())
}

/// Operators (Odoo's `check_leaf`), on the normalized tree.
fn check_ops(n: &Node, schema: &Schema, model: &str) -> Result<(), DomainError> {
    match n {
        Node::Const(_) => Ok(()),
        Node::And(v) | Node::Or(v) => v.iter().try_for_each(|c| check_ops(c, schema, model)),
        Node::Not(c) => check_ops(c, schema, model),
        Node::Leaf(l) => {
            if l.op == Op::Invalid {
                return Err(invalid_leaf(l));
            }
            Ok(())
        }
        Node::Any(a) => {
            let def = field_def(schema, model, &a.field).ok_or_else(|| {
                invalid_field(model, &a.field, &format!("({:?}, 'any', ...)", a.field))
            })?;
            let comodel = comodel_of(schema, model, &def)?;
            check_ops(&a.sub, schema, &comodel)
        }
    }
}

/// Right-hand values (Odoo's column conversions), on the normalized tree.
fn check_values(n: &Node, schema: &Schema, model: &str) -> Result<(), DomainError> {
    match n {
        Node::Const(_) => Ok(()),
        Node::And(v) | Node::Or(v) => v.iter().try_for_each(|c| check_values(c, schema, model)),
        Node::Not(c) => check_values(c, schema, model),
        Node::Any(a) => {
            let def = field_def(schema, model, &a.field)
                .ok_or_else(|| invalid_field(model, &a.field, &a.field))?;
            let comodel = comodel_of(schema, model, &def)?;
            check_values(&a.sub, schema, &comodel)
        }
        Node::Leaf(l) => {
            let def = field_def(schema, model, &l.field).ok_or_else(|| {
                invalid_field(
                    model,
                    &l.field,
                    &Operand::Tuple(vec![
                        Operand::Str(l.field.clone()),
                        l.raw_op.clone(),
                        l.value.clone(),
                    ])
                    .to_string(),
                )
            })?;
            if !l.value.is_bound() {
                return Ok(());
            }
            if matches!(l.op, Op::ChildOf | Op::ParentOf) {
                if l.field != "id" && !def.ty.is_relational() {
                    return Err(hierarchy_on_scalar(l));
                }
                return Ok(());
            }
            match def.ty {
                FieldType::One2many | FieldType::Many2many => {
                    if let Some(items) = l.value.as_seq()
                        && let Some(bad) = items.iter().find(|i| {
                            !matches!(i, Operand::Int(_) | Operand::Bool(false) | Operand::None)
                        })
                    {
                        return Err(DomainError::new(
                            K::InvalidValue,
                            format!(
                                "Invalid value {bad} for the relational field {model}.{} (expected record ids)",
                                l.field
                            ),
                        ));
                    }
                    Ok(())
                }
                FieldType::Many2one => {
                    let names = matches!(l.value, Operand::Str(_))
                        || l.value.as_seq().is_some_and(|items| {
                            !items.is_empty() && items.iter().all(|i| matches!(i, Operand::Str(_)))
                        });
                    if names {
                        return Ok(());
                    }
                    compile_scalar(Kind::Id, &l.field, false, l.op, &l.value, l).map(|_| ())
                }
                ref ty => compile_scalar(kind_of(ty), &l.field, l.field == "id", l.op, &l.value, l)
                    .map(|_| ()),
            }
        }
    }
}

impl Domain {
    /// Checks the domain against `schema` for `model`, as Odoo would before running it:
    /// unknown fields (also along dotted paths and in `any`), unknown operators, dotted paths
    /// through non-relational fields, and values that cannot be converted. Errors carry
    /// Odoo's own message where it has one (`odoo_message`).
    pub fn validate(&self, schema: &Schema, model: &str) -> Result<(), DomainError> {
        if schema.model(model).is_none() {
            return Err(unknown_model(model));
        }
        check_raw(&self.raw, schema, model)?;
        check_ops(&self.root, schema, model)?;
        check_values(&self.root, schema, model)
    }
}
