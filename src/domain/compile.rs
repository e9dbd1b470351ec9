//! Compiles a domain for one model of a record source: field metadata resolved, values
//! converted (`coerce`), name searches, x2many sub-searches and hierarchies computed once, so
//! evaluation per record does no lookups.

use super::coerce::{
    Kind, coerce, hierarchy_on_scalar, invalid_field, invalid_leaf, kind_of, leaf_repr,
    py_value_error, value_error,
};
use super::compiled::{CNode, CmpOp, Scalar, ScalarSet, Test, Tri, active_is_true, and_c};
use super::error::{DomainError, DomainErrorKind as K};
use super::eval::{Cx, attach_handles, eval};
use super::like::Pattern;
use super::operand::Operand;
use super::source::RecordSource;
use super::tree::{AnyNode, Leaf, Node, Op, mk_and, mk_or};
use crate::record::{FieldDef, FieldType};

/// `in` / `not in` over converted items (Odoo's `__leaf_to_sql`, list case).
pub(super) fn compile_in(
    kind: Kind,
    field: &str,
    is_id: bool,
    items: &[Operand],
    negated: bool,
) -> Result<CNode, DomainError> {
    let (params, check_null) = if kind == Kind::Bool {
        let has = |b: i64| items.iter().any(|i| i.py_eq_int(b));
        let mut p = Vec::new();
        if has(1) {
            p.push(Scalar::Bool(true));
        }
        if has(0) {
            p.push(Scalar::Bool(false));
        }
        (p, has(0))
    } else {
        let mut p = Vec::with_capacity(items.len());
        for i in items.iter().filter(|i| !i.is_false_or_none()) {
            if let Some(s) = coerce(kind, i)? {
                p.push(s);
            }
        }
        let nulls = items.iter().any(Operand::is_false_or_none);
        (p, nulls)
    };
    let set = ScalarSet::new(params);
    let field: Box<str> = field.into();
    Ok(if !negated {
        match (set.is_empty(), check_null) {
            (true, false) => CNode::Const(Tri::F),
            (true, true) => CNode::Field {
                field,
                is_id,
                test: Test::IsNull,
                handle: None,
            },
            (false, null) => CNode::Field {
                field,
                is_id,
                test: Test::In {
                    set,
                    negated: false,
                    null: if null { Tri::T } else { Tri::U },
                },
                handle: None,
            },
        }
    } else {
        match (set.is_empty(), check_null) {
            (true, false) => CNode::Const(Tri::T),
            (true, true) => CNode::Field {
                field,
                is_id,
                test: Test::NotNull,
                handle: None,
            },
            (false, null) => CNode::Field {
                field,
                is_id,
                test: Test::In {
                    set,
                    negated: true,
                    null: if null { Tri::F } else { Tri::T },
                },
                handle: None,
            },
        }
    })
}

/// A datetime compared with a bare date: Odoo widens the date to the whole day (its end for
/// `>` and `<=`, its start otherwise). `None` when the value stays as it is.
fn widen_bare_date(kind: Kind, op: Op, value: &Operand) -> Option<Operand> {
    let end_of_day = matches!(op, Op::Gt | Op::Le);
    match (kind, value) {
        (Kind::Datetime, Operand::Str(s)) if s.chars().count() == 10 => {
            let time = if end_of_day { "23:59:59" } else { "00:00:00" };
            Some(Operand::Str(format!("{s} {time}")))
        }
        (Kind::Datetime, Operand::Date(d)) => {
            let time = if end_of_day {
                chrono::NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999)
                    .unwrap_or(chrono::NaiveTime::MIN)
            } else {
                chrono::NaiveTime::MIN
            };
            Some(Operand::DateTime(d.and_time(time)))
        }
        _ => None,
    }
}

/// A leaf on a stored non-relational field (or a many2one / `id` with ids): pure, no data.
pub(crate) fn compile_scalar(
    kind: Kind,
    field: &str,
    is_id: bool,
    op: Op,
    value: &Operand,
    leaf: &Leaf,
) -> Result<CNode, DomainError> {
    let f = |test: Test| CNode::Field {
        field: field.into(),
        is_id,
        test,
        handle: None,
    };
    let widened = widen_bare_date(kind, op, value);
    let value = widened.as_ref().unwrap_or(value);
    let null_rhs_then = |tri: Tri| Ok(CNode::Const(tri));
    match op {
        Op::Invalid => Err(invalid_leaf(leaf)),
        Op::ChildOf | Op::ParentOf => Err(hierarchy_on_scalar(leaf)),
        Op::EqOpt => {
            if value.is_false_or_none() {
                Ok(CNode::Const(Tri::T))
            } else if let Some(items) = value.as_seq() {
                compile_in(kind, field, is_id, items, false)
            } else {
                compile_scalar(kind, field, is_id, Op::Eq, value, leaf)
            }
        }
        Op::In | Op::NotIn => match value.as_seq() {
            Some(items) => compile_in(kind, field, is_id, items, op == Op::NotIn),
            None => Err(py_value_error(format!(
                "Invalid domain term {}",
                leaf_repr(&leaf.field, leaf)
            ))),
        },
        Op::Eq | Op::Ne if kind == Kind::Bool && matches!(value, Operand::Bool(_)) => {
            let want = value.truthy() != (op == Op::Ne);
            Ok(f(if want {
                Test::BoolTrue
            } else {
                Test::BoolFalseOrNull
            }))
        }
        Op::Eq if value.is_false_or_none() => Ok(f(Test::IsNull)),
        Op::Ne if value.is_false_or_none() => Ok(f(Test::NotNull)),
        Op::Like | Op::Ilike | Op::NotLike | Op::NotIlike => {
            let text = if value.is_false_or_none() {
                String::new()
            } else {
                value.py_str()
            };
            let fold = matches!(op, Op::Ilike | Op::NotIlike);
            let negated = matches!(op, Op::NotLike | Op::NotIlike);
            let null = if negated || !value.truthy() {
                Tri::T
            } else {
                Tri::U
            };
            Ok(f(Test::Like {
                pat: Pattern::new(&format!("%{text}%"), fold),
                negated,
                null,
            }))
        }
        Op::EqLike | Op::EqIlike => {
            let pattern = match coerce(kind, value)? {
                None => return null_rhs_then(Tri::U),
                Some(Scalar::Str(s)) => s.to_string(),
                Some(Scalar::Int(i)) => i.to_string(),
                Some(Scalar::Float(x)) => x.to_string(),
                Some(Scalar::Bool(b)) => b.to_string(),
            };
            Ok(f(Test::Like {
                pat: Pattern::new(&pattern, op == Op::EqIlike),
                negated: false,
                null: Tri::U,
            }))
        }
        Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            let cmp = match op {
                Op::Eq => CmpOp::Eq,
                Op::Ne => CmpOp::Ne,
                Op::Lt => CmpOp::Lt,
                Op::Le => CmpOp::Le,
                Op::Gt => CmpOp::Gt,
                _ => CmpOp::Ge,
            };
            let null = if op == Op::Ne && value.truthy() {
                Tri::T
            } else {
                Tri::U
            };
            match coerce(kind, value)? {
                None => null_rhs_then(null),
                Some(rhs) => Ok(f(Test::Cmp { op: cmp, rhs, null })),
            }
        }
    }
}

/// Models whose `name_search` matches on more than `name` (Odoo 17's `_rec_names_search`).
pub(super) fn rec_names<S: RecordSource + ?Sized>(src: &S, model: &str) -> Vec<&'static str> {
    let wanted: &[&'static str] = match model {
        "res.partner" => &["complete_name", "email", "ref", "vat", "company_registry"],
        _ => &[],
    };
    let found: Vec<&'static str> = wanted
        .iter()
        .copied()
        .filter(|f| src.field(model, f).is_some())
        .collect();
    if !found.is_empty() {
        return found;
    }
    ["name", "display_name"]
        .into_iter()
        .find(|f| src.field(model, f).is_some())
        .into_iter()
        .collect()
}

pub(super) struct Compiler<'s, S: ?Sized> {
    src: &'s S,
    /// Nesting of name searches (a name field could itself be relational).
    depth: usize,
}

impl<'s, S: RecordSource + ?Sized> Compiler<'s, S> {
    pub(super) fn new(src: &'s S) -> Self {
        Compiler { src, depth: 0 }
    }
}

impl<S: RecordSource + ?Sized> Compiler<'_, S> {
    fn def(&self, model: &str, field: &str) -> Option<FieldDef> {
        if field == "id" {
            return Some(FieldDef::new("id", FieldType::Integer));
        }
        self.src.field(model, field).cloned()
    }

    pub(super) fn node(
        &mut self,
        n: &Node,
        model: &str,
        active_test: bool,
    ) -> Result<CNode, DomainError> {
        Ok(match n {
            Node::Const(b) => CNode::Const(Tri::from(*b)),
            Node::And(v) => CNode::And(
                v.iter()
                    .map(|c| self.node(c, model, active_test))
                    .collect::<Result<_, _>>()?,
            ),
            Node::Or(v) => CNode::Or(
                v.iter()
                    .map(|c| self.node(c, model, active_test))
                    .collect::<Result<_, _>>()?,
            ),
            Node::Not(c) => CNode::Not(Box::new(self.node(c, model, active_test)?)),
            Node::Any(a) => {
                let def = self.def(model, &a.field).ok_or_else(|| {
                    DomainError::new(
                        K::InvalidField,
                        format!("Invalid field {model}.{} in a path or `any` leaf", a.field),
                    )
                })?;
                let comodel = match (&def.ty, &def.relation) {
                    (t, Some(c)) if t.is_relational() => c.clone(),
                    _ => {
                        return Err(DomainError::new(
                            K::InvalidPath,
                            format!(
                                "field {model}.{} is not relational: it cannot be followed by `.` or `any`",
                                a.field
                            ),
                        ));
                    }
                };
                if def.ty == FieldType::Many2one {
                    // many2one sub-searches include archived comodel records
                    CNode::M2oAny {
                        field: a.field.as_str().into(),
                        sub: Box::new(self.node(&a.sub, &comodel, false)?),
                        comodel: comodel.into(),
                        negated: a.negated,
                        handle: None,
                    }
                } else {
                    let active = if active_test && !has_top_active(&a.sub) {
                        active_field(self.src, &comodel).map(|a| (a.into(), None))
                    } else {
                        None
                    };
                    CNode::X2mAny {
                        field: a.field.as_str().into(),
                        sub: Box::new(self.node(&a.sub, &comodel, active_test)?),
                        comodel: comodel.into(),
                        negated: a.negated,
                        active,
                        handle: None,
                    }
                }
            }
            Node::Leaf(leaf) => self.leaf(leaf, model, active_test)?,
        })
    }

    fn leaf(&mut self, leaf: &Leaf, model: &str, active_test: bool) -> Result<CNode, DomainError> {
        let def = self
            .def(model, &leaf.field)
            .ok_or_else(|| invalid_field(model, &leaf.field, &leaf_repr(&leaf.field, leaf)))?;
        if leaf.op == Op::Invalid {
            return Err(invalid_leaf(leaf));
        }
        let is_id = leaf.field == "id";
        let v = &leaf.value;
        let comodel = def.relation.clone().unwrap_or_default();
        if matches!(leaf.op, Op::ChildOf | Op::ParentOf) {
            return self.hierarchy(leaf, &def, model, active_test);
        }
        match def.ty {
            FieldType::Many2one => self.many2one_leaf(leaf, &comodel),
            FieldType::One2many | FieldType::Many2many => {
                self.x2many_leaf(leaf, model, &comodel, active_test)
            }
            ref ty => compile_scalar(kind_of(ty), &leaf.field, is_id, leaf.op, v, leaf),
        }
    }

    /// A many2one leaf: ids compare directly, names go through the comodel's `name_search`.
    fn many2one_leaf(&mut self, leaf: &Leaf, comodel: &str) -> Result<CNode, DomainError> {
        let v = &leaf.value;
        let all_str = |items: &[Operand]| {
            !items.is_empty() && items.iter().all(|i| matches!(i, Operand::Str(_)))
        };
        let names = matches!(leaf.value, Operand::Str(_)) || v.as_seq().is_some_and(all_str);
        if !names {
            return compile_scalar(Kind::Id, &leaf.field, false, leaf.op, v, leaf);
        }
        let mut op = match leaf.op {
            Op::Lt | Op::Le | Op::Gt | Op::Ge => Op::In,
            o => o,
        };
        if matches!(leaf.value, Operand::Str(_)) {
            op = match op {
                Op::In => Op::Eq,
                Op::NotIn => Op::Ne,
                o => o,
            };
        }
        let ids = self.name_search(comodel, op, v, false)?;
        let items: Vec<Operand> = ids.into_iter().map(Operand::Int).collect();
        let node = compile_in(Kind::Id, &leaf.field, false, &items, false)?;
        if op.is_negative() {
            Ok(match node {
                CNode::Field {
                    field,
                    test: Test::In { set, .. },
                    ..
                } => CNode::Field {
                    field,
                    is_id: false,
                    test: Test::In {
                        set,
                        negated: false,
                        null: Tri::T,
                    },
                    handle: None,
                },
                _ => CNode::Field {
                    field: leaf.field.as_str().into(),
                    is_id: false,
                    test: Test::IsNull,
                    handle: None,
                },
            })
        } else {
            Ok(node)
        }
    }

    /// A one2many / many2many leaf: `False` (no records), names (`name_search`) or ids.
    fn x2many_leaf(
        &mut self,
        leaf: &Leaf,
        model: &str,
        comodel: &str,
        active_test: bool,
    ) -> Result<CNode, DomainError> {
        let v = &leaf.value;
        let field: Box<str> = leaf.field.as_str().into();
        let negated = leaf.op.is_negative();
        let mut ids: Vec<i64> = match v {
            Operand::Bool(false) => {
                return Ok(CNode::X2mEmpty {
                    field,
                    negated,
                    handle: None,
                });
            }
            Operand::Str(s) => {
                let op2 = if negated {
                    complement_op(leaf.op)
                } else {
                    leaf.op
                };
                self.name_search(comodel, op2, &Operand::Str(s.clone()), active_test)?
            }
            Operand::List(items) | Operand::Tuple(items) => {
                let mut ids = Vec::with_capacity(items.len());
                for i in items {
                    match i {
                        Operand::Int(0) | Operand::Bool(false) | Operand::None => {}
                        Operand::Int(n) => ids.push(*n),
                        _ => {
                            return Err(DomainError::new(
                                K::InvalidValue,
                                format!(
                                    "Invalid value {i} for the relational field {model}.{} (expected record ids)",
                                    leaf.field
                                ),
                            ));
                        }
                    }
                }
                ids
            }
            Operand::Int(n) => vec![*n],
            Operand::None => Vec::new(),
            other => {
                return Err(DomainError::new(
                    K::InvalidValue,
                    format!(
                        "Invalid value {other} for the relational field {model}.{} (expected record ids)",
                        leaf.field
                    ),
                ));
            }
        };
        ids.retain(|i| *i != 0);
        ids.sort_unstable();
        ids.dedup();
        Ok(CNode::X2mIn {
            field,
            ids,
            negated,
            handle: None,
        })
    }

    /// `_name_search` on `model` (archived records included when `active_test` is false).
    fn name_search(
        &mut self,
        model: &str,
        op: Op,
        value: &Operand,
        active_test: bool,
    ) -> Result<Vec<i64>, DomainError> {
        self.depth += 1;
        if self.depth > 8 {
            return Err(DomainError::new(
                K::InvalidValue,
                format!("name search on {model} nests too deeply"),
            ));
        }
        let result = self.name_search_inner(model, op, value, active_test);
        self.depth -= 1;
        result
    }

    fn name_search_inner(
        &mut self,
        model: &str,
        op: Op,
        value: &Operand,
        active_test: bool,
    ) -> Result<Vec<i64>, DomainError> {
        let leaf = |field: &str, op: Op, value: &Operand| {
            Node::Leaf(Leaf {
                field: field.to_owned(),
                raw_op: Operand::Str(op.as_str().to_owned()),
                op,
                value: value.clone(),
            })
        };
        let mut found = Vec::new();
        if let Operand::Str(s) = value {
            if model == "res.country"
                && s.chars().count() == 2
                && self.src.field(model, "code").is_some()
            {
                found = self.search(&leaf("code", Op::Ilike, value), model, active_test)?;
            }
            if model == "res.users" && !op.is_negative() && self.src.field(model, "login").is_some()
            {
                let by_login = self.search(&leaf("login", Op::Eq, value), model, active_test)?;
                if !by_login.is_empty() {
                    return Ok(by_login);
                }
            }
        }
        let fields = rec_names(self.src, model);
        if fields.is_empty() {
            return Err(DomainError::new(
                K::InvalidValue,
                format!("{model} has no name field to search a name in"),
            ));
        }
        // res.users inherits `name` from its partner (`_inherits`): search it there
        let users_via_partner = model == "res.users"
            && self
                .src
                .field(model, "partner_id")
                .is_some_and(|d| d.relation.as_deref() == Some("res.partner"))
            && self.src.field("res.partner", "name").is_some();
        let leaves: Vec<Node> = fields
            .iter()
            .map(|f| {
                if users_via_partner && *f == "name" {
                    Node::Any(AnyNode {
                        field: "partner_id".to_owned(),
                        negated: false,
                        sub: Box::new(leaf("name", op, value)),
                        from_path: true,
                    })
                } else {
                    leaf(f, op, value)
                }
            })
            .collect();
        let node = if op.is_negative() {
            mk_and(leaves)
        } else {
            mk_or(leaves)
        };
        found.extend(self.search(&node, model, active_test)?);
        found.sort_unstable();
        found.dedup();
        Ok(found)
    }

    fn search(
        &mut self,
        node: &Node,
        model: &str,
        active_test: bool,
    ) -> Result<Vec<i64>, DomainError> {
        let mut c = self.node(node, model, active_test)?;
        if active_test
            && !has_top_active(node)
            && let Some(a) = active_field(self.src, model)
        {
            c = and_c(active_is_true(a), c);
        }
        attach_handles(&mut c, self.src, model);
        let mut cx = Cx::default();
        Ok(self
            .src
            .ids(model)
            .filter(|id| eval(&c, self.src, model, *id, &mut cx) == Tri::T)
            .collect())
    }

    /// `child_of` / `parent_of` (Odoo's `to_ids` + `child_of_domain` / `parent_of_domain`).
    fn hierarchy(
        &mut self,
        leaf: &Leaf,
        def: &FieldDef,
        model: &str,
        active_test: bool,
    ) -> Result<CNode, DomainError> {
        let is_id = leaf.field == "id";
        let comodel = if is_id {
            model.to_owned()
        } else {
            def.relation.clone().unwrap_or_default()
        };
        if !is_id && !def.ty.is_relational() {
            return Err(hierarchy_on_scalar(leaf));
        }
        let ids = self.ids_of(&leaf.value, &comodel, active_test)?;
        let child = leaf.op == Op::ChildOf;
        let field: Box<str> = leaf.field.as_str().into();
        let id_in = |set: Vec<i64>| -> Result<CNode, DomainError> {
            let items: Vec<Operand> = set.into_iter().map(Operand::Int).collect();
            compile_in(Kind::Id, "id", true, &items, false)
        };
        match def.ty {
            _ if is_id => id_in(self.closure(model, "parent_id", &ids, child)?),
            FieldType::Many2one if comodel == model => {
                id_in(self.closure(model, &leaf.field, &ids, child)?)
            }
            FieldType::Many2one => {
                let set = self.closure(&comodel, "parent_id", &ids, child)?;
                let items: Vec<Operand> = set.into_iter().map(Operand::Int).collect();
                compile_in(Kind::Id, &leaf.field, false, &items, false)
            }
            FieldType::Many2many if comodel == model => {
                id_in(self.closure(&comodel, "parent_id", &ids, child)?)
            }
            FieldType::One2many | FieldType::Many2many if comodel != model => {
                let set = self.closure(&comodel, "parent_id", &ids, child)?;
                Ok(CNode::X2mIn {
                    field,
                    ids: set,
                    negated: false,
                    handle: None,
                })
            }
            _ => Err(DomainError::new(
                K::Unsupported,
                format!(
                    "{} on the one2many {model}.{} to its own model is not supported",
                    leaf.op.as_str(),
                    leaf.field
                ),
            )),
        }
    }

    fn ids_of(
        &mut self,
        v: &Operand,
        model: &str,
        active_test: bool,
    ) -> Result<Vec<i64>, DomainError> {
        let names: Vec<&Operand> = match v {
            Operand::Str(_) => vec![v],
            Operand::List(items) | Operand::Tuple(items)
                if !items.is_empty() && items.iter().all(|i| matches!(i, Operand::Str(_))) =>
            {
                items.iter().collect()
            }
            Operand::Int(0) | Operand::Bool(false) => return Ok(Vec::new()),
            Operand::Int(n) => return Ok(vec![*n]),
            Operand::Bool(true) => return Ok(vec![1]),
            Operand::List(items) | Operand::Tuple(items) => {
                return items
                    .iter()
                    .map(|i| match i {
                        Operand::Int(n) => Ok(*n),
                        Operand::Bool(b) => Ok(i64::from(*b)),
                        other => Err(value_error(format!(
                            "Invalid id {other} for child_of / parent_of"
                        ))),
                    })
                    .collect();
            }
            other => {
                return Err(value_error(format!(
                    "Invalid value {other} for child_of / parent_of"
                )));
            }
        };
        let mut ids = Vec::new();
        for n in names {
            ids.extend(self.name_search(model, Op::Ilike, n, active_test)?);
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// The ids and all their descendants (`child`) or ancestors through `parent`, archived
    /// records included.
    fn closure(
        &self,
        model: &str,
        parent: &str,
        ids: &[i64],
        child: bool,
    ) -> Result<Vec<i64>, DomainError> {
        let pdef = self.src.field(model, parent);
        if !pdef.is_some_and(|d| d.ty == FieldType::Many2one) {
            return Err(DomainError::new(
                K::InvalidField,
                format!("{model} has no parent field `{parent}` for child_of / parent_of"),
            ));
        }
        let mut seen: std::collections::BTreeSet<i64> = std::collections::BTreeSet::new();
        let mut frontier: Vec<i64> = ids.iter().copied().filter(|i| child || *i != 0).collect();
        if child {
            let mut children: std::collections::HashMap<i64, Vec<i64>> =
                std::collections::HashMap::new();
            for id in self.src.ids(model) {
                if let Some(p) = self.src.value(model, id, parent).and_then(|v| v.as_i64()) {
                    children.entry(p).or_default().push(id);
                }
            }
            while let Some(id) = frontier.pop() {
                if seen.insert(id)
                    && let Some(kids) = children.get(&id)
                {
                    frontier.extend(kids.iter().copied().filter(|k| !seen.contains(k)));
                }
            }
        } else {
            while let Some(id) = frontier.pop() {
                if seen.insert(id)
                    && let Some(p) = self.src.value(model, id, parent).and_then(|v| v.as_i64())
                    && !seen.contains(&p)
                {
                    frontier.push(p);
                }
            }
        }
        Ok(seen.into_iter().collect())
    }
}

pub(super) fn complement_op(op: Op) -> Op {
    match op {
        Op::Ne => Op::Eq,
        Op::NotLike => Op::Like,
        Op::NotIlike => Op::Ilike,
        Op::NotIn => Op::In,
        o => o,
    }
}

/// Whether a (sub)domain has a leaf on `active` outside any `any` (which turns off the
/// implicit `active = True`).
pub(crate) fn has_top_active(n: &Node) -> bool {
    match n {
        Node::Leaf(l) => l.field == "active",
        Node::And(v) | Node::Or(v) => v.iter().any(has_top_active),
        Node::Not(c) => has_top_active(c),
        Node::Const(_) | Node::Any(_) => false,
    }
}

/// Odoo's `_active_name`.
pub(super) fn active_field<S: RecordSource + ?Sized>(src: &S, model: &str) -> Option<&'static str> {
    ["active", "x_active"].into_iter().find(|n| {
        src.field(model, n)
            .is_some_and(|f| f.ty == FieldType::Boolean)
    })
}
