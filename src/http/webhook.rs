//! Odoo's automation webhooks ("Send Webhook Notification" server actions) received at
//! `POST /webhooks/odoo/<secret>`. What a real Odoo sends (recorded in `shared/odoo17/webhooks/`
//! and `shared/odoo19/webhooks/`): one JSON POST per record with `_model`, `_id`, the chosen
//! fields and `write_date`; **21 (Odoo 17) or 15 (Odoo 19) identical POSTs for one lead
//! create**; no signature header. So:
//! - the secret in the path authenticates (compared in constant time; a wrong one is a plain
//!   404, as if nothing listened there);
//! - POSTs are coalesced by (model, id, write_date): the repeats of one change are counted
//!   and dropped;
//! - the answer comes at once; the work is the watching jobs' next run, rung through their
//!   [`Trigger`] (a pending set per job, bounded: past it, 503 and the scheduled run picks the
//!   change up by its cursor);
//! - junk is a 4xx, never a 500: bodies are bounded (413), and anything that is not an Odoo
//!   webhook body is a 400.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, RwLock};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AdminState;
use super::auth::constant_time_eq;
use crate::odoo::Secret;
use crate::scheduler::{Pushed, Trigger};

/// How many recent (model, id, write_date) are remembered to drop Odoo's repeats: the 21
/// copies of one change arrive within a fraction of a second (recorded).
const RECENT: usize = 4096;

/// One job that runs when records of its models change.
#[derive(Clone, Debug)]
pub struct Watcher {
    pub job: String,
    pub models: Vec<String>,
    pub trigger: Arc<Trigger>,
}

/// The webhook receiver's state: the secret, the watching jobs (replaced on reload) and the
/// recent changes seen.
pub struct Webhooks {
    secret: RwLock<Secret>,
    watchers: RwLock<Vec<Watcher>>,
    recent: Mutex<Recent>,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks").finish_non_exhaustive()
    }
}

impl Webhooks {
    pub fn new(secret: Secret) -> Self {
        Self {
            secret: RwLock::new(secret),
            watchers: RwLock::new(Vec::new()),
            recent: Mutex::new(Recent::default()),
        }
    }

    /// The jobs to ring, after a (re)start of the job loops.
    pub fn set_watchers(&self, watchers: Vec<Watcher>) {
        if let Ok(mut w) = self.watchers.write() {
            *w = watchers;
        }
    }

    pub(crate) fn set_secret(&self, secret: Secret) {
        if let Ok(mut s) = self.secret.write() {
            *s = secret;
        }
    }

    fn allows(&self, given: &str) -> bool {
        self.secret
            .read()
            .is_ok_and(|s| constant_time_eq(given.as_bytes(), s.expose().as_bytes()))
    }

    /// What one webhook body does: dropped as a repeat, or pushed to every watching job.
    pub(crate) fn accept(&self, hook: &Hook) -> Outcome {
        if let Some(date) = &hook.write_date {
            let key = (hook.model.clone(), hook.id, date.clone());
            let fresh = self.recent.lock().map_or(true, |mut r| r.insert(key));
            if !fresh {
                return Outcome::Duplicate;
            }
        }
        let Ok(watchers) = self.watchers.read() else {
            return Outcome::Ignored;
        };
        let mut outcome = Outcome::Ignored;
        for w in watchers.iter().filter(|w| w.models.contains(&hook.model)) {
            outcome = match (w.trigger.push(&hook.model, hook.id), outcome) {
                (Pushed::Full, _) | (_, Outcome::Full) => Outcome::Full,
                (Pushed::Queued, _) | (_, Outcome::Queued) => Outcome::Queued,
                (Pushed::AlreadyPending, _) => Outcome::Duplicate,
            };
        }
        outcome
    }
}

/// The recent changes seen, oldest first out.
#[derive(Debug, Default)]
struct Recent {
    set: HashSet<(String, i64, String)>,
    order: VecDeque<(String, i64, String)>,
}

impl Recent {
    /// Whether `key` is new (and remembers it).
    fn insert(&mut self, key: (String, i64, String)) -> bool {
        if self.set.contains(&key) {
            return false;
        }
        if self.order.len() >= RECENT
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        self.set.insert(key.clone());
        self.order.push_back(key);
        true
    }
}

/// What became of one POST.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// At least one job will look at the record.
    Queued,
    /// A repeat of a change already queued.
    Duplicate,
    /// No configured job watches the model.
    Ignored,
    /// A watching job's pending set is full.
    Full,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Queued => "queued",
            Outcome::Duplicate => "duplicate",
            Outcome::Ignored => "ignored",
            Outcome::Full => "full",
        }
    }
}

/// The part of Odoo's webhook body scorekeeper uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Hook {
    pub model: String,
    pub id: i64,
    /// `write_date` when the action sends it (it does unless the admin removed the field).
    pub write_date: Option<String>,
}

/// Reads an Odoo webhook body, or says in a few words why it is not one.
pub(crate) fn parse(body: &[u8]) -> Result<Hook, &'static str> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| "the body is not JSON")?;
    let object = value.as_object().ok_or("the body is not a JSON object")?;
    let model = object
        .get("_model")
        .and_then(|m| m.as_str())
        .ok_or("no \"_model\": is this an Odoo webhook?")?;
    let valid_model = !model.is_empty()
        && model.len() <= 128
        && model
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_');
    if !valid_model {
        return Err("\"_model\" is not a model name");
    }
    let id = object
        .get("_id")
        .or_else(|| object.get("id"))
        .and_then(|i| i.as_i64())
        .filter(|i| *i > 0)
        .ok_or("no positive \"_id\"")?;
    let write_date = object
        .get("write_date")
        .and_then(|d| d.as_str())
        .map(str::to_owned);
    Ok(Hook {
        model: model.to_owned(),
        id,
        write_date,
    })
}

fn text(code: StatusCode, body: &'static str) -> Response {
    (code, body).into_response()
}

/// `POST /webhooks/odoo/{secret}`.
pub(crate) async fn receive(
    State(state): State<Arc<AdminState>>,
    Path(secret): Path<String>,
    body: Bytes,
) -> Response {
    let Some(hooks) = state.webhooks.as_ref() else {
        return text(StatusCode::NOT_FOUND, "not found\n");
    };
    if !hooks.allows(&secret) {
        state.metrics.webhook("refused");
        return text(StatusCode::NOT_FOUND, "not found\n");
    }
    let hook = match parse(&body) {
        Ok(h) => h,
        Err(why) => {
            state.metrics.webhook("bad_request");
            return (StatusCode::BAD_REQUEST, format!("{why}\n")).into_response();
        }
    };
    let outcome = hooks.accept(&hook);
    state.metrics.webhook(outcome.label());
    match outcome {
        Outcome::Queued => text(StatusCode::ACCEPTED, "queued\n"),
        Outcome::Duplicate => text(StatusCode::OK, "duplicate\n"),
        Outcome::Ignored => text(StatusCode::OK, "ignored: no job watches this model\n"),
        Outcome::Full => {
            tracing::warn!(model = %hook.model, id = hook.id, "webhook queue full; the scheduled run will pick the change up");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, HeaderValue::from_static("60"))],
                "queue full; the scheduled run will pick this change up\n",
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first POST of `shared/odoo17/webhooks/lead-create-write.jsonl`.
    const ODOO17: &str = r#"{"_action": "SK notify scorekeeper(#394)", "_id": 45, "_model": "crm.lead", "country_id": false, "expected_revenue": 4200.0, "id": 45, "name": "Webhook test lead ph\u1ea7n m\u1ec1m", "stage_id": 1, "team_id": 1, "user_id": 2, "write_date": "2026-12-06 19:17:30.493717"}"#;

    #[test]
    fn odoos_body_is_read() {
        assert_eq!(
            parse(ODOO17.as_bytes()).unwrap(),
            Hook {
                model: "crm.lead".into(),
                id: 45,
                write_date: Some("2026-12-06 19:17:30.493717".into()),
            }
        );
        assert_eq!(parse(b"").unwrap_err(), "the body is not JSON");
        assert_eq!(parse(b"[1]").unwrap_err(), "the body is not a JSON object");
        assert!(parse(br#"{"_model": "crm.lead"}"#).is_err());
        assert!(parse(br#"{"_model": "crm.lead", "_id": -3}"#).is_err());
        assert!(parse(br#"{"_model": "<script>", "_id": 3}"#).is_err());
    }

    fn hooks(capacity: usize) -> (Webhooks, Arc<Trigger>) {
        let w = Webhooks::new(Secret::new("0123456789abcdef"));
        let t = Arc::new(Trigger::new(capacity));
        w.set_watchers(vec![Watcher {
            job: "scoring".into(),
            models: vec!["crm.lead".into()],
            trigger: t.clone(),
        }]);
        (w, t)
    }

    #[test]
    fn odoo_17s_21_copies_of_one_create_queue_one_record() {
        let (w, t) = hooks(10);
        let hook = parse(ODOO17.as_bytes()).unwrap();
        let outcomes: Vec<Outcome> = (0..21).map(|_| w.accept(&hook)).collect();
        assert_eq!(outcomes[0], Outcome::Queued);
        assert!(outcomes[1..].iter().all(|o| *o == Outcome::Duplicate));
        assert_eq!(t.len(), 1);
        // A later write of the same lead, while it is still pending, adds nothing.
        let later = Hook {
            write_date: Some("2026-12-06 19:17:31.569490".into()),
            ..hook
        };
        assert_eq!(w.accept(&later), Outcome::Duplicate);
        assert_eq!(t.len(), 1);
        let partner = Hook {
            model: "res.partner".into(),
            id: 7,
            write_date: None,
        };
        assert_eq!(w.accept(&partner), Outcome::Ignored);
    }

    #[test]
    fn a_full_queue_refuses() {
        let (w, _t) = hooks(1);
        let hook = |id| Hook {
            model: "crm.lead".into(),
            id,
            write_date: None,
        };
        assert_eq!(w.accept(&hook(1)), Outcome::Queued);
        assert_eq!(w.accept(&hook(2)), Outcome::Full);
    }

    #[test]
    fn the_secret_is_compared_whole() {
        let (w, _) = hooks(1);
        assert!(w.allows("0123456789abcdef"));
        assert!(!w.allows("0123456789abcde"));
        assert!(!w.allows("0123456789abcdef0"));
        assert!(!w.allows(""));
    }

    #[test]
    fn recent_forgets_the_oldest() {
        let mut r = Recent::default();
        for i in 0..(RECENT as i64 + 1) {
            assert!(r.insert(("m".into(), i, "d".into())));
        }
        assert!(
            r.insert(("m".into(), 0, "d".into())),
            "the oldest was forgotten"
        );
        assert!(!r.insert(("m".into(), RECENT as i64, "d".into())));
    }
}
