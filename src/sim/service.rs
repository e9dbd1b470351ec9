//! The `common` and `object` services of `/xmlrpc/2`, on decoded values: credentials,
//! database name, `execute_kw`/`execute` argument unpacking, private-method and
//! unknown-model checks, then the ORM method under a read or write lock.

use super::Sim;
use super::auth;
use super::fault::SimFault;
use super::methods::{self, Call};
use crate::xmlrpc::{Struct, Value as X};

use std::sync::atomic::Ordering;

impl Sim {
    /// Answers one XML-RPC call of `service` (`common`, `object`) with decoded params.
    pub fn dispatch(&self, service: &str, method: &str, params: &[X]) -> Result<X, SimFault> {
        match service {
            "common" => self.common(method, params),
            "object" => self.object(method, params),
            other => Err(SimFault::python(
                "KeyError",
                &format!("'{other}'"),
                "http.py",
            )),
        }
    }

    fn check_db(&self, db: Option<&X>) -> Result<(), SimFault> {
        let name = db.map(|d| match d {
            X::String(s) => s.clone(),
            other => other.to_string(),
        });
        if name.as_deref() == Some(self.database.as_str()) {
            return Ok(());
        }
        Err(SimFault::python(
            "psycopg2.OperationalError",
            &format!(
                "connection to server on socket \"/var/run/postgresql/.s.PGSQL.5432\" failed: \
                 FATAL:  database \"{}\" does not exist\n",
                name.unwrap_or_default()
            ),
            "sql_db.py",
        ))
    }

    fn common(&self, method: &str, params: &[X]) -> Result<X, SimFault> {
        let text = |i: usize| params.get(i).and_then(X::as_str).unwrap_or("");
        match method {
            "version" => Ok(self.version.clone()),
            "authenticate" | "login" => {
                if params.len() < 3 {
                    return Err(SimFault::type_error(format!(
                        "exp_{method}() missing required positional arguments"
                    )));
                }
                self.check_db(params.first())?;
                let store = self.read();
                Ok(match auth::authenticate(&store, text(1), text(2)) {
                    Some(uid) => X::Int(uid),
                    None => X::Bool(false),
                })
            }
            "about" => Ok(X::String("See http://openerp.com".to_owned())),
            "set_loglevel" => Ok(X::Bool(true)),
            other => Err(SimFault::python(
                "KeyError",
                &format!("'exp_{other}'"),
                "service/common.py",
            )),
        }
    }

    fn object(&self, method: &str, params: &[X]) -> Result<X, SimFault> {
        if self.major >= 19 && !self.deprecation_logged.swap(true, Ordering::Relaxed) {
            // What a real 19 logs on every /xmlrpc call (its answers are unchanged); once here.
            tracing::warn!(
                "Odoo {} simulator: the /xmlrpc, /xmlrpc/2 and /jsonrpc endpoints are deprecated \
                 in Odoo 19 and scheduled for removal; JSON-2 is the replacement",
                self.major
            );
        }
        check_arity(self.major, params)?;
        let uid = parse_uid(&params[1])?;
        self.check_db(params.first())?;
        let secret = params[2].as_str().unwrap_or("");
        auth::check(&self.read(), uid, secret)?;
        let empty = Struct::new();
        let Target {
            model,
            name,
            args,
            kwargs,
        } = unpack_target(method, &params[3..], &empty)?;
        if name.starts_with('_') || name == "init" {
            return Err(SimFault::access(super::wording::private_method(
                self.major, model, name,
            )));
        }
        self.execute(uid, model, name, args, kwargs)
    }

    /// Whether the database has `model`.
    pub(super) fn has_model(&self, model: &str) -> bool {
        self.read().registry().model(model).is_some()
    }

    /// Runs the ORM method `name` of `model` (an existing model, a public method, the
    /// caller's credentials checked) for `uid`, with `execute_kw`'s arguments: what `/xmlrpc/2`,
    /// `/jsonrpc` and JSON-2 share once each has read its request. Faults come worded as the
    /// simulated version words them; a model the database lacks is `execute_kw`'s fault
    /// (checked under the same lock as the call, which stays atomic).
    pub(super) fn execute(
        &self,
        uid: i64,
        model: &str,
        name: &str,
        args: &[X],
        kwargs: &Struct,
    ) -> Result<X, SimFault> {
        let major = self.major;
        let call = Call {
            uid,
            model,
            method: name,
            args,
            kwargs,
            major,
        };
        let Some(costs) = &self.costs else {
            return self.execute_free(&call);
        };
        // A real Odoo's worker is held for the whole call.
        let _worker = costs.worker();
        let started = std::time::Instant::now();
        let rows = self.read().count(model);
        let result = self.execute_free(&call);
        if let Ok(answer) = &result {
            costs.charge(&super::costs::work_of(&call, rows, answer), started);
        }
        result
    }

    /// [`Self::execute`] without a price.
    fn execute_free(&self, call: &Call<'_>) -> Result<X, SimFault> {
        let (model, name, major) = (call.model, call.method, call.major);
        let unknown = || SimFault::user(format!("Object {model} doesn't exist"));
        if methods::is_read_only(name) {
            let store = self.read();
            if store.registry().model(model).is_none() {
                return Err(unknown());
            }
            methods::call_read(&store, call).map_err(|f| super::wording::reword(f, major, name))
        } else {
            // Each call is one transaction: methods validate everything before changing
            // anything, so a failing call leaves nothing behind.
            let mut store = self.write();
            if store.registry().model(model).is_none() {
                return Err(unknown());
            }
            methods::call_write(&mut store, call)
                .map_err(|f| super::wording::reword(f, major, name))
        }
    }
}

/// The model method an `object` call names, with its arguments.
struct Target<'a> {
    model: &'a str,
    name: &'a str,
    args: &'a [X],
    kwargs: &'a Struct,
}

/// The faults Odoo raises before reading an `object` call's parameters.
fn check_arity(major: i64, params: &[X]) -> Result<(), SimFault> {
    // 19 unpacks `db, uid, passwd, model, method_, *args = params` before looking at the
    // method (101: `frobnicate` without params).
    if major >= 19 && params.len() < 5 {
        return Err(SimFault::python(
            "ValueError",
            &format!(
                "not enough values to unpack (expected at least 5, got {})",
                params.len()
            ),
            "service/model.py",
        ));
    }
    if params.len() < 3 {
        return Err(SimFault::python(
            "IndexError",
            "tuple index out of range",
            "service/model.py",
        ));
    }
    Ok(())
}

/// The uid as Python's `int()` reads it, with its error wording.
fn parse_uid(x: &X) -> Result<i64, SimFault> {
    Ok(match x {
        X::Int(i) => *i,
        X::Bool(b) => i64::from(*b),
        X::Double(d) => *d as i64,
        X::String(s) => s.trim().parse().map_err(|_| {
            SimFault::value_error(format!("invalid literal for int() with base 10: '{s}'"))
        })?,
        other => {
            return Err(SimFault::type_error(format!(
                "int() argument must be a string, a bytes-like object or a real number, not \
                 '{}'",
                other.type_name()
            )));
        }
    })
}

/// `execute_kw(model, method, args, kwargs)` or `execute(model, method, *args)`, after
/// db, uid and password.
fn unpack_target<'a>(
    method: &str,
    rest: &'a [X],
    empty: &'a Struct,
) -> Result<Target<'a>, SimFault> {
    match method {
        "execute_kw" => {
            let args = match rest.get(2) {
                Some(X::Array(a)) => a.as_slice(),
                _ => &[],
            };
            let kwargs = match rest.get(3) {
                Some(X::Struct(s)) => s,
                _ => empty,
            };
            Ok(Target {
                model: text(rest, 0)?,
                name: text(rest, 1)?,
                args,
                kwargs,
            })
        }
        "execute" => Ok(Target {
            model: text(rest, 0)?,
            name: text(rest, 1)?,
            args: rest.get(2..).unwrap_or(&[]),
            kwargs: empty,
        }),
        other => Err(SimFault::python(
            "NameError",
            &format!("Method not available {other}"),
            "service/model.py",
        )),
    }
}

fn text(params: &[X], i: usize) -> Result<&str, SimFault> {
    match params.get(i) {
        Some(X::String(s)) => Ok(s),
        _ => Err(SimFault::python(
            "TypeError",
            "execute_kw() missing required positional arguments",
            "service/model.py",
        )),
    }
}
