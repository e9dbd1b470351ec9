//! The gamification records the engine works on (challenges, lines, goal definitions, goals),
//! as plain typed values: the job layer reads them from Odoo, the engine never sees the wire.

use chrono::NaiveDate;

/// `gamification.challenge.period`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Period {
    Once,
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl Period {
    /// Odoo's selection key; anything unknown is `once`, as Odoo's own period code treats it.
    pub(crate) fn parse(s: &str) -> Period {
        match s {
            "daily" => Period::Daily,
            "weekly" => Period::Weekly,
            "monthly" => Period::Monthly,
            "yearly" => Period::Yearly,
            _ => Period::Once,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Period::Once => "once",
            Period::Daily => "daily",
            Period::Weekly => "weekly",
            Period::Monthly => "monthly",
            Period::Yearly => "yearly",
        }
    }
}

/// `gamification.challenge.state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChallengeState {
    Draft,
    InProgress,
    Done,
}

impl ChallengeState {
    pub(crate) fn parse(s: &str) -> Option<ChallengeState> {
        match s {
            "draft" => Some(ChallengeState::Draft),
            "inprogress" => Some(ChallengeState::InProgress),
            "done" => Some(ChallengeState::Done),
            _ => None,
        }
    }
}

/// A definition's `condition`: whether a bigger value is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Condition {
    Higher,
    Lower,
}

impl Condition {
    pub(crate) fn parse(s: &str) -> Condition {
        if s == "lower" {
            Condition::Lower
        } else {
            Condition::Higher
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Condition::Higher => "higher",
            Condition::Lower => "lower",
        }
    }
}

/// `gamification.goal.state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GoalState {
    Draft,
    InProgress,
    Reached,
    Failed,
    Canceled,
}

impl GoalState {
    pub(crate) fn parse(s: &str) -> Option<GoalState> {
        match s {
            "draft" => Some(GoalState::Draft),
            "inprogress" => Some(GoalState::InProgress),
            "reached" => Some(GoalState::Reached),
            "failed" => Some(GoalState::Failed),
            "canceled" => Some(GoalState::Canceled),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            GoalState::Draft => "draft",
            GoalState::InProgress => "inprogress",
            GoalState::Reached => "reached",
            GoalState::Failed => "failed",
            GoalState::Canceled => "canceled",
        }
    }
}

/// A challenge and the fields the engine uses.
#[derive(Clone, Debug, PartialEq)]
pub struct Challenge {
    pub id: i64,
    pub name: String,
    pub state: ChallengeState,
    pub period: Period,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// Participants as stored in `user_ids`.
    pub user_ids: Vec<i64>,
    /// Python-literal domain on `res.users`; when set, the participants are what it selects.
    pub user_domain: Option<String>,
    pub reward_id: Option<i64>,
    pub reward_first_id: Option<i64>,
    pub reward_second_id: Option<i64>,
    pub reward_third_id: Option<i64>,
    pub reward_failure: bool,
    pub reward_realtime: bool,
}

impl Challenge {
    /// A monthly challenge in progress without rewards; tests set what they need.
    pub fn new(id: i64, name: impl Into<String>, period: Period) -> Challenge {
        Challenge {
            id,
            name: name.into(),
            state: ChallengeState::InProgress,
            period,
            start_date: None,
            end_date: None,
            user_ids: Vec::new(),
            user_domain: None,
            reward_id: None,
            reward_first_id: None,
            reward_second_id: None,
            reward_third_id: None,
            reward_failure: false,
            reward_realtime: true,
        }
    }
}

/// A challenge line: one definition with a target.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub id: i64,
    pub challenge_id: i64,
    pub definition_id: i64,
    pub target: f64,
    pub sequence: i64,
}

/// How a definition gets its value.
#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    /// Number of matching records.
    Count,
    /// Sum of a stored numeric field over the matching records.
    Sum { field: String },
    /// People (or scorekeeper's config-as-code rules) write the value; never computed here.
    Manual,
    /// Arbitrary Python: cannot be reproduced outside Odoo.
    Python,
    /// A definition scorekeeper cannot compute faithfully (e.g. its batch field could not be
    /// resolved), with the reason; its goals are left as they are.
    Unsupported(String),
}

/// The date field restricting a definition to the goal's period.
#[derive(Clone, Debug, PartialEq)]
pub struct DateField {
    pub name: String,
    /// A datetime field is windowed `00:00:00`..`23:59:59` UTC (gotcha 3).
    pub is_datetime: bool,
}

/// Batch evaluation: one grouped query for every user of a period.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// The field that names the user on the model (`user_id`, `invoice_user_id`, `id`).
    pub field: String,
    /// `batch_user_expression`: only `user.id`, `user.partner_id.id` and `user.company_id.id`
    /// style expressions are understood (see [`crate::gamification::compute::user_key`]).
    pub user_expression: String,
}

/// A goal definition.
#[derive(Clone, Debug, PartialEq)]
pub struct Definition {
    pub id: i64,
    pub name: String,
    pub mode: Mode,
    /// Technical model name (`crm.lead`); empty for manual and python definitions.
    pub model: String,
    pub date_field: Option<DateField>,
    /// The Python-literal domain text as stored in Odoo.
    pub domain: String,
    pub batch: Option<Batch>,
    pub condition: Condition,
}

/// A goal as Odoo holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Goal {
    pub id: i64,
    pub definition_id: i64,
    pub user_id: i64,
    pub line_id: Option<i64>,
    pub challenge_id: Option<i64>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub target: f64,
    pub current: f64,
    pub state: GoalState,
    pub closed: bool,
}

/// A participant: the few `res.users` fields rankings and placeholders need.
#[derive(Clone, Debug, PartialEq)]
pub struct Participant {
    pub id: i64,
    pub name: String,
    pub login: String,
    pub partner_id: Option<i64>,
    pub company_id: Option<i64>,
}

/// Orders users as `res.users` does (`name`, then `login`), then by id to be total.
pub(crate) fn user_order(a: &Participant, b: &Participant) -> std::cmp::Ordering {
    a.name
        .cmp(&b.name)
        .then_with(|| a.login.cmp(&b.login))
        .then_with(|| a.id.cmp(&b.id))
}
