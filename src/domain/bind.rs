//! Placeholders in stored domains (`user.id`, `context_today()`, `relativedelta(...)`,
//! `time.strftime(...)`, ...): the environment they are evaluated in, and a small evaluator for
//! the subset of Python that Odoo's shipped and admin-written domains use.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

use super::operand::{Expr, ExprKind, Operand, YmdExt, format_datetime};

/// The user a domain is evaluated for (`user.*` placeholders, `uid`).
#[derive(Clone, Debug, PartialEq)]
pub struct UserCtx {
    pub id: i64,
    pub partner_id: i64,
    pub company_id: i64,
    pub company_ids: Vec<i64>,
    pub login: String,
    pub name: String,
}

/// What placeholders evaluate against. `today` and `now` are naive UTC, as Odoo's server sees
/// them (it runs with `TZ=UTC`); pass the user's local date as `today` to mimic a `tz` context.
#[derive(Clone, Debug, PartialEq)]
pub struct Env {
    pub user: Option<UserCtx>,
    pub today: NaiveDate,
    pub now: NaiveDateTime,
}

impl Env {
    /// An environment at `now` (and `today` = its date) without a user.
    pub fn at(now: NaiveDateTime) -> Env {
        Env {
            user: None,
            today: now.date(),
            now,
        }
    }

    pub fn with_user(mut self, user: UserCtx) -> Env {
        self.user = Some(user);
        self
    }

    fn sample() -> Env {
        let now = NaiveDate::from_ymd_opt(2000, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default();
        Env::at(now).with_user(UserCtx {
            id: 1,
            partner_id: 1,
            company_id: 1,
            company_ids: vec![1],
            login: String::new(),
            name: String::new(),
        })
    }
}

type BindResult<T> = Result<T, (usize, String)>;

/// A relativedelta or timedelta.
#[derive(Clone, Debug, Default, PartialEq)]
struct Delta {
    months: i64,
    days: i64,
    seconds: i64,
    year: Option<i32>,
    month: Option<u32>,
    day: Option<u32>,
    hour: Option<u32>,
    minute: Option<u32>,
    second: Option<u32>,
    weekday: Option<(u32, i64)>,
    /// A `timedelta`: added to a `date` it only moves by whole days.
    timedelta: bool,
}

impl Delta {
    fn neg(&self) -> Delta {
        Delta {
            months: -self.months,
            days: -self.days,
            seconds: -self.seconds,
            ..self.clone()
        }
    }

    fn has_time(&self) -> bool {
        self.seconds != 0 || self.hour.is_some() || self.minute.is_some() || self.second.is_some()
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Val {
    Plain(Operand),
    Time(NaiveTime),
    Delta(Delta),
    User,
    Rec(i64),
    Recs(Vec<i64>),
    /// A module, class or function, by its dotted name.
    Obj(&'static str),
    Method(Box<Val>, &'static str),
}

/// Checks that an expression is one we can evaluate (names, calls, attributes) and yields a
/// plain value; errors carry the offending construct's position.
pub fn check(e: &Expr) -> BindResult<()> {
    eval_value(e, &Env::sample()).map(|_| ())
}

/// Evaluates a placeholder expression into a plain value.
pub(crate) fn eval_value(e: &Expr, env: &Env) -> BindResult<Operand> {
    match eval(e, env)? {
        Val::Plain(v) => Ok(v),
        Val::Rec(_) | Val::User => Err((
            e.pos,
            format!("`{e}` is a record, not a value (use `{e}.id`)"),
        )),
        Val::Recs(_) => Err((
            e.pos,
            format!("`{e}` is a set of records, not a value (use `{e}.ids`)"),
        )),
        _ => Err((
            e.pos,
            format!("`{e}` is not a value a domain can compare with"),
        )),
    }
}

/// Replaces every placeholder inside a value.
pub(crate) fn bind_operand(v: &Operand, env: &Env) -> BindResult<Operand> {
    Ok(match v {
        Operand::Expr(e) => eval_value(e, env)?,
        Operand::List(items) => Operand::List(
            items
                .iter()
                .map(|i| bind_operand(i, env))
                .collect::<BindResult<_>>()?,
        ),
        Operand::Tuple(items) => Operand::Tuple(
            items
                .iter()
                .map(|i| bind_operand(i, env))
                .collect::<BindResult<_>>()?,
        ),
        other => other.clone(),
    })
}

fn user(env: &Env, pos: usize) -> BindResult<&UserCtx> {
    env.user
        .as_ref()
        .ok_or_else(|| (pos, "the domain uses `user` but no user is set".to_owned()))
}

fn eval(e: &Expr, env: &Env) -> BindResult<Val> {
    let pos = e.pos;
    match &e.kind {
        ExprKind::Lit(v) => Ok(Val::Plain(bind_operand(v, env)?)),
        ExprKind::Name(n) => Ok(match n.as_str() {
            "user" => {
                user(env, pos)?;
                Val::User
            }
            "uid" => Val::Plain(Operand::Int(user(env, pos)?.id)),
            "context_today" => Val::Obj("context_today"),
            "datetime" => Val::Obj("datetime"),
            "time" => Val::Obj("time"),
            "relativedelta" => Val::Obj("relativedelta"),
            "timedelta" => Val::Obj("datetime.timedelta"),
            "date" => Val::Obj("datetime.date"),
            other => return Err((pos, format!("unknown name `{other}`"))),
        }),
        ExprKind::Attr(base, attr) => {
            let b = eval(base, env)?;
            attribute(b, attr, env, pos)
        }
        ExprKind::Call(func, args, kwargs) => {
            let f = eval(func, env)?;
            let args = args
                .iter()
                .map(|a| eval(a, env))
                .collect::<BindResult<Vec<_>>>()?;
            let kwargs = kwargs
                .iter()
                .map(|(k, v)| Ok((k.as_str(), eval(v, env)?)))
                .collect::<BindResult<Vec<_>>>()?;
            call(f, &args, &kwargs, env, pos, func)
        }
        ExprKind::Neg(inner) => match eval(inner, env)? {
            Val::Plain(Operand::Int(i)) => Ok(Val::Plain(Operand::Int(-i))),
            Val::Plain(Operand::Float(f)) => Ok(Val::Plain(Operand::Float(-f))),
            Val::Delta(d) => Ok(Val::Delta(d.neg())),
            _ => Err((pos, format!("cannot negate `{inner}`"))),
        },
        ExprKind::Add(a, b) => arith(eval(a, env)?, eval(b, env)?, false, pos),
        ExprKind::Sub(a, b) => arith(eval(a, env)?, eval(b, env)?, true, pos),
    }
}

fn arith(a: Val, b: Val, sub: bool, pos: usize) -> BindResult<Val> {
    let overflow = || (pos, "arithmetic overflow".to_owned());
    match (a, b) {
        (Val::Plain(Operand::Int(x)), Val::Plain(Operand::Int(y))) => {
            let r = if sub {
                x.checked_sub(y)
            } else {
                x.checked_add(y)
            };
            Ok(Val::Plain(Operand::Int(r.ok_or_else(overflow)?)))
        }
        (Val::Plain(Operand::Str(x)), Val::Plain(Operand::Str(y))) if !sub => {
            Ok(Val::Plain(Operand::Str(x + &y)))
        }
        (Val::Plain(Operand::Date(d)), Val::Delta(delta)) => {
            let delta = if sub { delta.neg() } else { delta };
            apply_to_date(d, &delta, pos)
        }
        (Val::Delta(delta), Val::Plain(Operand::Date(d))) if !sub => apply_to_date(d, &delta, pos),
        (Val::Plain(Operand::DateTime(dt)), Val::Delta(delta)) => {
            let delta = if sub { delta.neg() } else { delta };
            apply(dt, &delta, pos).map(|r| Val::Plain(Operand::DateTime(r)))
        }
        (Val::Delta(delta), Val::Plain(Operand::DateTime(dt))) if !sub => {
            apply(dt, &delta, pos).map(|r| Val::Plain(Operand::DateTime(r)))
        }
        _ => Err((
            pos,
            format!("unsupported operands for `{}`", if sub { "-" } else { "+" }),
        )),
    }
}

fn apply_to_date(d: NaiveDate, delta: &Delta, pos: usize) -> BindResult<Val> {
    let dt = d.and_time(NaiveTime::MIN);
    if delta.timedelta {
        // date + timedelta moves by whole days (Python normalises seconds into days)
        let days = (delta.days * 86_400 + delta.seconds).div_euclid(86_400);
        let r = d
            .checked_add_signed(
                Duration::try_days(days).ok_or_else(|| (pos, "date out of range".to_owned()))?,
            )
            .ok_or_else(|| (pos, "date out of range".to_owned()))?;
        return Ok(Val::Plain(Operand::Date(r)));
    }
    let r = apply(dt, delta, pos)?;
    if delta.has_time() {
        Ok(Val::Plain(Operand::DateTime(r)))
    } else {
        Ok(Val::Plain(Operand::Date(r.date())))
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(ny, nm, 1)
        .and_then(|d| d.pred_opt())
        .map(|d| d.day())
        .unwrap_or(28)
}

/// dateutil's `relativedelta.__add__`: absolute fields, then months, then days and time,
/// then the weekday jump.
fn apply(dt: NaiveDateTime, d: &Delta, pos: usize) -> BindResult<NaiveDateTime> {
    let range = || (pos, "date out of range".to_owned());
    let year = i64::from(d.year.unwrap_or(dt.year()));
    let month = i64::from(d.month.unwrap_or(dt.month()));
    let total = year * 12 + (month - 1) + d.months;
    let year = i32::try_from(total.div_euclid(12)).map_err(|_| range())?;
    let month = u32::try_from(total.rem_euclid(12) + 1).map_err(|_| range())?;
    if !(1..=9999).contains(&year) {
        return Err(range());
    }
    let day = d.day.unwrap_or(dt.day()).min(days_in_month(year, month));
    let date = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(range)?;
    let time = NaiveTime::from_hms_nano_opt(
        d.hour.unwrap_or(dt.hour()),
        d.minute.unwrap_or(dt.minute()),
        d.second.unwrap_or(dt.second()),
        dt.nanosecond(),
    )
    .ok_or_else(|| (pos, "invalid time".to_owned()))?;
    let secs = d
        .days
        .checked_mul(86_400)
        .and_then(|s| s.checked_add(d.seconds))
        .ok_or_else(range)?;
    let mut r = date
        .and_time(time)
        .checked_add_signed(Duration::try_seconds(secs).ok_or_else(range)?)
        .ok_or_else(range)?;
    if let Some((wd, n)) = d.weekday {
        let n = if n == 0 { 1 } else { n };
        let cur = i64::from(r.weekday().num_days_from_monday());
        let wd = i64::from(wd);
        let mut jump = (n.abs() - 1) * 7;
        if n > 0 {
            jump += (7 - cur + wd).rem_euclid(7);
        } else {
            jump += (cur - wd).rem_euclid(7);
            jump = -jump;
        }
        r = r
            .checked_add_signed(Duration::try_days(jump).ok_or_else(range)?)
            .ok_or_else(range)?;
    }
    if !(1..=9999).contains(&r.year()) {
        return Err(range());
    }
    Ok(r)
}

fn attribute(b: Val, attr: &str, env: &Env, pos: usize) -> BindResult<Val> {
    let unknown = |what: &str| Err((pos, format!("unsupported attribute `{attr}` of {what}")));
    match b {
        Val::User => {
            let u = user(env, pos)?;
            Ok(match attr {
                "id" => Val::Plain(Operand::Int(u.id)),
                "partner_id" => Val::Rec(u.partner_id),
                "company_id" => Val::Rec(u.company_id),
                "company_ids" => Val::Recs(u.company_ids.clone()),
                "login" => Val::Plain(Operand::Str(u.login.clone())),
                "name" => Val::Plain(Operand::Str(u.name.clone())),
                _ => return unknown("`user`"),
            })
        }
        Val::Rec(id) => match attr {
            "id" => Ok(Val::Plain(Operand::Int(id))),
            "ids" => Ok(Val::Plain(Operand::List(vec![Operand::Int(id)]))),
            _ => unknown("a record"),
        },
        Val::Recs(ids) => match attr {
            "ids" => Ok(Val::Plain(Operand::List(
                ids.into_iter().map(Operand::Int).collect(),
            ))),
            _ => unknown("a set of records"),
        },
        Val::Obj(name) => {
            let full: &'static str = match (name, attr) {
                ("datetime", "datetime") => "datetime.datetime",
                ("datetime", "date") => "datetime.date",
                ("datetime", "time") => "datetime.time",
                ("datetime", "timedelta") => "datetime.timedelta",
                ("datetime.datetime", "now") => "datetime.datetime.now",
                ("datetime.datetime", "today") => "datetime.datetime.today",
                ("datetime.datetime", "combine") => "datetime.datetime.combine",
                ("datetime.date", "today") => "datetime.date.today",
                ("time", "strftime") => "time.strftime",
                _ => return unknown(&format!("`{name}`")),
            };
            Ok(Val::Obj(full))
        }
        Val::Plain(Operand::Date(d)) => match attr {
            "strftime" => Ok(Val::Method(
                Box::new(Val::Plain(Operand::Date(d))),
                "strftime",
            )),
            "isoformat" => Ok(Val::Method(
                Box::new(Val::Plain(Operand::Date(d))),
                "isoformat",
            )),
            "year" => Ok(Val::Plain(Operand::Int(i64::from(d.year())))),
            "month" => Ok(Val::Plain(Operand::Int(i64::from(d.month())))),
            "day" => Ok(Val::Plain(Operand::Int(i64::from(d.day())))),
            _ => unknown("a date"),
        },
        Val::Plain(Operand::DateTime(dt)) => {
            let this = Box::new(Val::Plain(Operand::DateTime(dt)));
            match attr {
                "strftime" => Ok(Val::Method(this, "strftime")),
                "isoformat" => Ok(Val::Method(this, "isoformat")),
                "date" => Ok(Val::Method(this, "date")),
                "year" => Ok(Val::Plain(Operand::Int(i64::from(dt.year())))),
                "month" => Ok(Val::Plain(Operand::Int(i64::from(dt.month())))),
                "day" => Ok(Val::Plain(Operand::Int(i64::from(dt.day())))),
                _ => unknown("a datetime"),
            }
        }
        _ => unknown("this value"),
    }
}

fn int_arg(v: &Val, pos: usize, what: &str) -> BindResult<i64> {
    match v {
        Val::Plain(Operand::Int(i)) => Ok(*i),
        _ => Err((pos, format!("`{what}` must be an integer"))),
    }
}

fn small(v: i64, pos: usize, what: &str, max: i64) -> BindResult<u32> {
    if (0..=max).contains(&v) {
        Ok(v as u32)
    } else {
        Err((pos, format!("`{what}` out of range")))
    }
}

fn str_arg(v: &Val, pos: usize) -> BindResult<&str> {
    match v {
        Val::Plain(Operand::Str(s)) => Ok(s),
        _ => Err((pos, "expected a format string".to_owned())),
    }
}

/// Stays long: one match with one arm per Python builtin a domain may call (the supported set).
fn call(
    f: Val,
    args: &[Val],
    kwargs: &[(&str, Val)],
    env: &Env,
    pos: usize,
    func: &Expr,
) -> BindResult<Val> {
    let no_args = |v: Val| {
        if args.is_empty() && kwargs.is_empty() {
            Ok(v)
        } else {
            Err((pos, format!("`{func}()` takes no arguments")))
        }
    };
    match f {
        Val::Obj("context_today") | Val::Obj("datetime.date.today") => {
            no_args(Val::Plain(Operand::Date(env.today)))
        }
        Val::Obj("datetime.datetime.now") | Val::Obj("datetime.datetime.today") => {
            no_args(Val::Plain(Operand::DateTime(env.now)))
        }
        Val::Obj("time.strftime") => match (args, kwargs) {
            ([fmt], []) => Ok(Val::Plain(Operand::Str(
                strftime(env.now, true, str_arg(fmt, pos)?).map_err(|m| (pos, m))?,
            ))),
            _ => Err((pos, "`time.strftime` takes one format argument".to_owned())),
        },
        Val::Obj("relativedelta") => {
            if !args.is_empty() {
                return Err((
                    pos,
                    "`relativedelta` takes keyword arguments only".to_owned(),
                ));
            }
            let mut d = Delta::default();
            for (k, v) in kwargs {
                let n = int_arg(v, pos, k)?;
                let big = || (pos, format!("`{k}` out of range"));
                match *k {
                    "years" => {
                        d.months = d
                            .months
                            .checked_add(n.checked_mul(12).ok_or_else(big)?)
                            .ok_or_else(big)?
                    }
                    "months" => d.months = d.months.checked_add(n).ok_or_else(big)?,
                    "weeks" => {
                        d.days = d
                            .days
                            .checked_add(n.checked_mul(7).ok_or_else(big)?)
                            .ok_or_else(big)?
                    }
                    "days" => d.days = d.days.checked_add(n).ok_or_else(big)?,
                    "hours" => {
                        d.seconds = d
                            .seconds
                            .checked_add(n.checked_mul(3600).ok_or_else(big)?)
                            .ok_or_else(big)?
                    }
                    "minutes" => {
                        d.seconds = d
                            .seconds
                            .checked_add(n.checked_mul(60).ok_or_else(big)?)
                            .ok_or_else(big)?
                    }
                    "seconds" => d.seconds = d.seconds.checked_add(n).ok_or_else(big)?,
                    "year" => d.year = Some(small(n, pos, k, 9999)? as i32),
                    "month" => d.month = Some(small(n, pos, k, 12)?.max(1)),
                    "day" => d.day = Some(small(n, pos, k, 31)?.max(1)),
                    "hour" => d.hour = Some(small(n, pos, k, 23)?),
                    "minute" => d.minute = Some(small(n, pos, k, 59)?),
                    "second" => d.second = Some(small(n, pos, k, 59)?),
                    "weekday" => d.weekday = Some((small(n, pos, k, 6)?, 0)),
                    other => {
                        return Err((pos, format!("unsupported relativedelta argument `{other}`")));
                    }
                }
            }
            Ok(Val::Delta(d))
        }
        Val::Obj("datetime.timedelta") => {
            const ORDER: [&str; 7] = [
                "days",
                "seconds",
                "microseconds",
                "milliseconds",
                "minutes",
                "hours",
                "weeks",
            ];
            if args.len() > ORDER.len() {
                return Err((pos, "too many arguments to `timedelta`".to_owned()));
            }
            let mut d = Delta {
                timedelta: true,
                ..Delta::default()
            };
            let named = ORDER.iter().zip(args.iter()).map(|(k, v)| (*k, v));
            for (k, v) in named.chain(kwargs.iter().map(|(k, v)| (*k, v))) {
                let n = int_arg(v, pos, k)?;
                let mul = match k {
                    "days" => 86_400,
                    "weeks" => 7 * 86_400,
                    "hours" => 3600,
                    "minutes" => 60,
                    "seconds" => 1,
                    "microseconds" | "milliseconds" => 0,
                    other => {
                        return Err((pos, format!("unsupported timedelta argument `{other}`")));
                    }
                };
                d.seconds = n
                    .checked_mul(mul)
                    .and_then(|s| d.seconds.checked_add(s))
                    .ok_or_else(|| (pos, "timedelta out of range".to_owned()))?;
            }
            Ok(Val::Delta(d))
        }
        Val::Obj("datetime.time") => {
            if !kwargs.is_empty() || args.len() > 3 {
                return Err((
                    pos,
                    "`time()` takes up to three positional arguments".to_owned(),
                ));
            }
            let mut hms = [0u32; 3];
            for (slot, a) in hms.iter_mut().zip(args) {
                *slot = small(int_arg(a, pos, "time")?, pos, "time", 59)?;
            }
            NaiveTime::from_hms_opt(hms[0], hms[1], hms[2])
                .map(Val::Time)
                .ok_or_else(|| (pos, "invalid time".to_owned()))
        }
        Val::Obj("datetime.date") | Val::Obj("datetime.datetime") => {
            let is_dt = matches!(f, Val::Obj("datetime.datetime"));
            let max = if is_dt { 6 } else { 3 };
            if !kwargs.is_empty() || args.len() < 3 || args.len() > max {
                return Err((
                    pos,
                    format!(
                        "`{func}()` takes year, month, day{} as positional arguments",
                        if is_dt {
                            " [, hour, minute, second]"
                        } else {
                            ""
                        }
                    ),
                ));
            }
            let mut n = [0i64; 6];
            for (slot, a) in n.iter_mut().zip(args) {
                *slot = int_arg(a, pos, "date")?;
            }
            let year = i32::try_from(n[0]).map_err(|_| (pos, "year out of range".to_owned()))?;
            let date = NaiveDate::from_ymd_opt(
                year,
                small(n[1], pos, "month", 12)?,
                small(n[2], pos, "day", 31)?,
            )
            .ok_or_else(|| (pos, "invalid date".to_owned()))?;
            if is_dt {
                let t = NaiveTime::from_hms_opt(
                    small(n[3], pos, "hour", 23)?,
                    small(n[4], pos, "minute", 59)?,
                    small(n[5], pos, "second", 59)?,
                )
                .ok_or_else(|| (pos, "invalid time".to_owned()))?;
                Ok(Val::Plain(Operand::DateTime(date.and_time(t))))
            } else {
                Ok(Val::Plain(Operand::Date(date)))
            }
        }
        Val::Obj("datetime.datetime.combine") => match (args, kwargs) {
            ([Val::Plain(Operand::Date(d)), Val::Time(t)], []) => {
                Ok(Val::Plain(Operand::DateTime(d.and_time(*t))))
            }
            _ => Err((pos, "`datetime.combine` takes a date and a time".to_owned())),
        },
        Val::Method(this, name) => match (*this, name) {
            (Val::Plain(Operand::Date(d)), "strftime") => match (args, kwargs) {
                ([fmt], []) => Ok(Val::Plain(Operand::Str(
                    strftime(d.and_time(NaiveTime::MIN), false, str_arg(fmt, pos)?)
                        .map_err(|m| (pos, m))?,
                ))),
                _ => Err((pos, "`strftime` takes one format argument".to_owned())),
            },
            (Val::Plain(Operand::DateTime(dt)), "strftime") => match (args, kwargs) {
                ([fmt], []) => Ok(Val::Plain(Operand::Str(
                    strftime(dt, true, str_arg(fmt, pos)?).map_err(|m| (pos, m))?,
                ))),
                _ => Err((pos, "`strftime` takes one format argument".to_owned())),
            },
            (Val::Plain(Operand::Date(d)), "isoformat") => {
                no_args(Val::Plain(Operand::Str(d.format_ymd())))
            }
            (Val::Plain(Operand::DateTime(dt)), "isoformat") => no_args(Val::Plain(Operand::Str(
                format_datetime(&dt).replacen(' ', "T", 1),
            ))),
            (Val::Plain(Operand::DateTime(dt)), "date") => {
                no_args(Val::Plain(Operand::Date(dt.date())))
            }
            _ => Err((pos, format!("`{func}` cannot be called"))),
        },
        _ => Err((pos, format!("`{func}` cannot be called"))),
    }
}

const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Python's `strftime` for the directives dates in domains use (C locale).
fn strftime(dt: NaiveDateTime, _has_time: bool, fmt: &str) -> Result<String, String> {
    let mut out = String::with_capacity(fmt.len() + 8);
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(d) = chars.next() else {
            return Err("strftime format ends with a lone `%`".to_owned());
        };
        let wd = dt.weekday().num_days_from_monday() as usize;
        let m = dt.month0() as usize;
        match d {
            'Y' => out.push_str(&format!("{}", dt.year())),
            'm' => out.push_str(&format!("{:02}", dt.month())),
            'd' => out.push_str(&format!("{:02}", dt.day())),
            'H' => out.push_str(&format!("{:02}", dt.hour())),
            'I' => out.push_str(&format!("{:02}", (dt.hour() + 11) % 12 + 1)),
            'p' => out.push_str(if dt.hour() < 12 { "AM" } else { "PM" }),
            'M' => out.push_str(&format!("{:02}", dt.minute())),
            'S' => out.push_str(&format!("{:02}", dt.second())),
            'f' => out.push_str(&format!("{:06}", dt.nanosecond() / 1000)),
            'y' => out.push_str(&format!("{:02}", dt.year().rem_euclid(100))),
            'j' => out.push_str(&format!("{:03}", dt.ordinal())),
            'F' => out.push_str(&dt.date().format_ymd()),
            'T' => out.push_str(&format!(
                "{:02}:{:02}:{:02}",
                dt.hour(),
                dt.minute(),
                dt.second()
            )),
            'A' => out.push_str(DAYS[wd]),
            'a' => out.push_str(&DAYS[wd][..3]),
            'B' => out.push_str(MONTHS[m]),
            'b' => out.push_str(&MONTHS[m][..3]),
            '%' => out.push('%'),
            other => return Err(format!("unsupported strftime directive `%{other}`")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pyparse::parse_python;

    fn env() -> Env {
        let now = NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(10, 30, 0)
            .unwrap();
        Env::at(now).with_user(UserCtx {
            id: 2,
            partner_id: 3,
            company_id: 1,
            company_ids: vec![1, 4],
            login: "admin".into(),
            name: "Mitchell Admin".into(),
        })
    }

    fn ev(src: &str) -> Result<Operand, (usize, String)> {
        match parse_python(src).unwrap() {
            Operand::Expr(e) => eval_value(&e, &env()),
            other => Ok(other),
        }
    }

    #[test]
    fn evaluates_the_helpers_odoo_domains_use() {
        let s = |v: &str| Operand::Str(v.to_owned());
        assert_eq!(ev("user.id").unwrap(), Operand::Int(2));
        assert_eq!(ev("uid").unwrap(), Operand::Int(2));
        assert_eq!(ev("user.partner_id.id").unwrap(), Operand::Int(3));
        assert_eq!(
            ev("user.company_ids.ids").unwrap(),
            Operand::List(vec![Operand::Int(1), Operand::Int(4)])
        );
        assert_eq!(
            ev("context_today().strftime('%Y-%m-%d')").unwrap(),
            s("2026-11-22")
        );
        assert_eq!(
            ev("(context_today() - relativedelta(days=7)).strftime('%Y-%m-%d')").unwrap(),
            s("2026-11-15")
        );
        assert_eq!(
            ev("(context_today() + relativedelta(months=3, day=31)).strftime('%Y-%m-%d')").unwrap(),
            s("2027-02-28")
        );
        assert_eq!(
            ev("(context_today() + relativedelta(weeks=-1, days=1, weekday=0)).strftime('%Y-%m-%d')")
                .unwrap(),
            s("2026-11-16")
        );
        assert_eq!(
            ev("(datetime.date.today() - datetime.timedelta(days=30)).strftime('%Y-%m-%d')")
                .unwrap(),
            s("2026-10-23")
        );
        assert_eq!(ev("time.strftime('%Y-%m-01')").unwrap(), s("2026-11-01"));
        assert_eq!(
            ev("datetime.datetime.now().strftime('%Y-%m-%d %H:%M:%S')").unwrap(),
            s("2026-11-22 10:30:00")
        );
        assert_eq!(
            ev("datetime.datetime.combine(context_today(), datetime.time(0,0,0)).strftime('%Y-%m-%d %H:%M:%S')")
                .unwrap(),
            s("2026-11-22 00:00:00")
        );
        assert_eq!(
            ev("context_today() - relativedelta(years=1)").unwrap(),
            Operand::Date(NaiveDate::from_ymd_opt(2025, 11, 22).unwrap())
        );
    }

    #[test]
    fn rejects_what_it_does_not_know() {
        assert!(
            ev("os.system('x')")
                .unwrap_err()
                .1
                .contains("unknown name `os`")
        );
        assert!(ev("user").unwrap_err().1.contains("is a record"));
        assert!(
            ev("context_today().strftime('%Q')")
                .unwrap_err()
                .1
                .contains("%Q")
        );
        assert!(ev("context_today() + relativedelta(years=100000)").is_err());
        let no_user = Env::at(env().now);
        let Operand::Expr(e) = parse_python("user.id").unwrap() else {
            panic!()
        };
        assert!(eval_value(&e, &no_user).unwrap_err().1.contains("no user"));
    }
}
