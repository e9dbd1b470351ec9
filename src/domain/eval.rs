//! In-memory evaluation with Odoo's semantics: a domain is compiled once per model against a
//! record source (`compile`), then run per record (`Prepared`) with SQL's three-valued logic
//! and Odoo's NULL rules. This file is the runner; the compiled form is in `compiled`, the
//! compiler in `compile`, and the conversion of right-hand values in `coerce`.

use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use super::compile::{Compiler, active_field};
use super::compiled::{CNode, Scalar, Test, Tri, active_is_true, and_c, compare};
use super::error::{DomainError, DomainErrorKind as K};
use super::operand::Operand;
use super::source::{FieldHandle, RecordSource};
use super::tree::Domain;
use crate::record::Value;

/// How a search runs (the context keys that change results).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvalOptions {
    /// Odoo's `active_test` (default true): archived records of the main model are left out
    /// unless the domain has a top-level `active` leaf; x2many sub-searches follow it too.
    pub active_test: bool,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions { active_test: true }
    }
}

#[inline]
pub(super) fn read<'a, S: RecordSource + ?Sized>(
    src: &'a S,
    model: &str,
    id: i64,
    field: &str,
    handle: Option<FieldHandle>,
) -> Option<std::borrow::Cow<'a, Value>> {
    match handle {
        Some(h) => src.value_at(h, id),
        None => src.value(model, id, field),
    }
}

/// Resolves every field read of a compiled tree to the source's fast handles (if it has any).
pub(super) fn attach_handles<S: RecordSource + ?Sized>(n: &mut CNode, src: &S, model: &str) {
    match n {
        CNode::Const(_) => {}
        CNode::And(v) | CNode::Or(v) => v.iter_mut().for_each(|c| attach_handles(c, src, model)),
        CNode::Not(c) => attach_handles(c, src, model),
        CNode::Field {
            field,
            is_id,
            handle,
            ..
        } => {
            if !*is_id {
                *handle = src.resolve(model, field);
            }
        }
        CNode::M2oAny {
            field,
            comodel,
            sub,
            handle,
            ..
        } => {
            *handle = src.resolve(model, field);
            attach_handles(sub, src, comodel);
        }
        CNode::X2mAny {
            field,
            comodel,
            sub,
            active,
            handle,
            ..
        } => {
            *handle = src.resolve(model, field);
            if let Some((name, h)) = active {
                *h = src.resolve(comodel, name);
            }
            attach_handles(sub, src, comodel);
        }
        CNode::X2mIn { field, handle, .. } | CNode::X2mEmpty { field, handle, .. } => {
            *handle = src.resolve(model, field);
        }
    }
}

/// Scratch state of one evaluation: counters and reusable buffers (no allocation per record).
#[derive(Default)]
pub(super) struct Cx {
    leaves: u64,
    text: String,
    fold: String,
    chars: Vec<char>,
}

pub(super) fn value_text<'a>(v: &'a Value, buf: &'a mut String) -> &'a str {
    use std::fmt::Write;
    match v {
        Value::Str(s) => s,
        Value::Int(i) | Value::Many2one(i) => {
            buf.clear();
            let _ = write!(buf, "{i}");
            buf
        }
        Value::Float(f) => {
            buf.clear();
            let _ = write!(buf, "{f}");
            buf
        }
        Value::Bool(b) => {
            if *b {
                "true"
            } else {
                "false"
            }
        }
        Value::Ids(_) | Value::Null => "",
    }
}

pub(super) fn run_test(test: &Test, v: &Value, cx: &mut Cx) -> Tri {
    if v.is_null() {
        return match test {
            Test::IsNull | Test::BoolFalseOrNull => Tri::T,
            Test::NotNull => Tri::F,
            Test::BoolTrue => Tri::U,
            Test::Cmp { null, .. } | Test::In { null, .. } | Test::Like { null, .. } => *null,
        };
    }
    match test {
        Test::IsNull => Tri::F,
        Test::NotNull => Tri::T,
        Test::BoolTrue => Tri::from(matches!(v, Value::Bool(true))),
        Test::BoolFalseOrNull => Tri::from(matches!(v, Value::Bool(false))),
        Test::Cmp { op, rhs, .. } => Tri::from(compare(v, rhs).is_some_and(|o| op.test(o))),
        Test::In { set, negated, .. } => Tri::from(set.contains(v) != *negated),
        Test::Like { pat, negated, .. } => {
            let Cx {
                text, fold, chars, ..
            } = cx;
            let s = value_text(v, text);
            Tri::from(pat.matches(s, fold, chars) != *negated)
        }
    }
}

/// Stays long: one match over the node kinds (three-valued logic), the evaluator as one table.
pub(super) fn eval<S: RecordSource + ?Sized>(
    n: &CNode,
    src: &S,
    model: &str,
    id: i64,
    cx: &mut Cx,
) -> Tri {
    match n {
        CNode::Const(t) => *t,
        CNode::And(v) => {
            let mut unknown = false;
            for c in v {
                match eval(c, src, model, id, cx) {
                    Tri::F => return Tri::F,
                    Tri::U => unknown = true,
                    Tri::T => {}
                }
            }
            if unknown { Tri::U } else { Tri::T }
        }
        CNode::Or(v) => {
            let mut unknown = false;
            for c in v {
                match eval(c, src, model, id, cx) {
                    Tri::T => return Tri::T,
                    Tri::U => unknown = true,
                    Tri::F => {}
                }
            }
            if unknown { Tri::U } else { Tri::F }
        }
        CNode::Not(c) => eval(c, src, model, id, cx).not(),
        CNode::Field {
            field,
            is_id,
            test,
            handle,
        } => {
            cx.leaves += 1;
            if *is_id {
                return run_test(test, &Value::Int(id), cx);
            }
            if let (
                Some(h),
                Test::Cmp {
                    op,
                    rhs: Scalar::Str(b),
                    null,
                },
            ) = (handle, test)
                && let Some(text) = src.text_at(*h, id)
            {
                // The same answer as `run_test` on the value, without copying the text.
                return match text {
                    Some(a) => Tri::from(op.test(a.cmp(&**b))),
                    None => *null,
                };
            }
            match read(src, model, id, field, *handle) {
                Some(v) => run_test(test, &v, cx),
                None => run_test(test, &Value::Null, cx),
            }
        }
        CNode::M2oAny {
            field,
            comodel,
            sub,
            negated,
            handle,
        } => {
            cx.leaves += 1;
            let target = read(src, model, id, field, *handle).and_then(|v| v.as_i64());
            match target {
                Some(rid) => {
                    let hit = eval(sub, src, comodel, rid, cx) == Tri::T;
                    Tri::from(hit != *negated)
                }
                None if *negated => Tri::T,
                None => Tri::U,
            }
        }
        CNode::X2mAny {
            field,
            comodel,
            sub,
            negated,
            active,
            handle,
        } => {
            cx.leaves += 1;
            let related = read(src, model, id, field, *handle);
            let ids = related.as_deref().map(Value::as_ids).unwrap_or(&[]);
            let hit = ids.iter().any(|rid| {
                let alive = match active {
                    Some((a, ah)) => matches!(
                        read(src, comodel, *rid, a, *ah).as_deref(),
                        Some(Value::Bool(true))
                    ),
                    None => true,
                };
                alive && eval(sub, src, comodel, *rid, cx) == Tri::T
            });
            Tri::from(hit != *negated)
        }
        CNode::X2mIn {
            field,
            ids: set,
            negated,
            handle,
        } => {
            cx.leaves += 1;
            let related = read(src, model, id, field, *handle);
            let ids = related.as_deref().map(Value::as_ids).unwrap_or(&[]);
            let hit = ids.iter().any(|r| set.binary_search(r).is_ok());
            Tri::from(hit != *negated)
        }
        CNode::X2mEmpty {
            field,
            negated,
            handle,
        } => {
            cx.leaves += 1;
            let related = read(src, model, id, field, *handle);
            let empty = related
                .as_deref()
                .map(Value::as_ids)
                .unwrap_or(&[])
                .is_empty();
            Tri::from(empty != *negated)
        }
    }
}

/// A domain compiled for one model of one record source: evaluate it on many records.
pub struct Prepared<'s, S: RecordSource + ?Sized> {
    src: &'s S,
    model: String,
    root: CNode,
    leaf_evals: AtomicU64,
}

impl<S: RecordSource + ?Sized> std::fmt::Debug for Prepared<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("model", &self.model)
            .field("root", &self.root)
            .finish()
    }
}

impl<'s, S: RecordSource + ?Sized> Prepared<'s, S> {
    /// Whether record `id` (assumed to exist) matches.
    pub(crate) fn matches(&self, id: i64) -> bool {
        let mut cx = Cx::default();
        let r = eval(&self.root, self.src, &self.model, id, &mut cx) == Tri::T;
        self.leaf_evals
            .fetch_add(cx.leaves, AtomicOrdering::Relaxed);
        r
    }

    /// The ids that match, in the given order.
    pub fn filter(&self, ids: &[i64]) -> Vec<i64> {
        let mut cx = Cx::default();
        let out = ids
            .iter()
            .copied()
            .filter(|id| eval(&self.root, self.src, &self.model, *id, &mut cx) == Tri::T)
            .collect();
        self.leaf_evals
            .fetch_add(cx.leaves, AtomicOrdering::Relaxed);
        out
    }

    /// Every record of the model that matches, ascending by id.
    pub(crate) fn search(&self) -> Vec<i64> {
        let ids: Vec<i64> = self.src.ids(&self.model).collect();
        self.filter(&ids)
    }

    /// How many leaf evaluations (field tests, relation hops) ran so far.
    pub fn leaf_evals(&self) -> u64 {
        self.leaf_evals.load(AtomicOrdering::Relaxed)
    }
}

impl Domain {
    /// Compiles the domain for `model` of `src` (checks fields, operators and values).
    pub fn prepare<'s, S: RecordSource + ?Sized>(
        &self,
        src: &'s S,
        model: &str,
        opts: &EvalOptions,
    ) -> Result<Prepared<'s, S>, DomainError> {
        if !self.is_bound() {
            return Err(DomainError::new(
                K::Unbound,
                format!("domain {self} still holds placeholders; bind it first"),
            ));
        }
        let mut c = Compiler::new(src);
        let mut root = c.node(&self.root, model, opts.active_test)?;
        if opts.active_test {
            let has_active_leaf = self.raw.iter().any(|item| {
                item.as_seq()
                    .and_then(|l| l.first())
                    .and_then(Operand::as_str)
                    == Some("active")
            });
            if !has_active_leaf && let Some(name) = active_field(src, model) {
                root = and_c(active_is_true(name), root);
            }
        }
        attach_handles(&mut root, src, model);
        Ok(Prepared {
            src,
            model: model.to_owned(),
            root,
            leaf_evals: AtomicU64::new(0),
        })
    }

    /// The ids among `ids` that match, in the given order.
    pub(crate) fn filter<S: RecordSource + ?Sized>(
        &self,
        src: &S,
        model: &str,
        ids: &[i64],
        opts: &EvalOptions,
    ) -> Result<Vec<i64>, DomainError> {
        Ok(self.prepare(src, model, opts)?.filter(ids))
    }

    /// Every record of `model` in `src` that matches, ascending by id (Odoo's `search`
    /// without order or limit).
    pub fn search<S: RecordSource + ?Sized>(
        &self,
        src: &S,
        model: &str,
        opts: &EvalOptions,
    ) -> Result<Vec<i64>, DomainError> {
        Ok(self.prepare(src, model, opts)?.search())
    }
}
