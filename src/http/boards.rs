//! The leaderboards the daemon serves, kept in memory: read from Odoo once (every running
//! challenge in one pass, about six calls), served to any number of screens without asking
//! Odoo again, and read again right after a gamification run that changed something (or on
//! a request once the copy is older than `[board] max_age_secs`, for goals Odoo's own cron
//! moved). Each new copy is announced to the pages listening on the server-sent-events
//! stream, which then fetch the new rows.
//!
//! Why a copy in memory rather than reading Odoo per request: a sales floor has screens and
//! phones open all day; a copy costs Odoo one read per run instead of one per view.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, NaiveDate, Utc};
use tokio::sync::{Mutex, Notify, broadcast};
use tokio_util::sync::CancellationToken;

use crate::config::{BoardConfig, Config};
use crate::gamification::leaderboard::Leaderboard;
use crate::gamification::ranking::Order;
use crate::gamification::teams::{TeamRow, rank_teams};
use crate::job::{JobError, JobOutcome};
use crate::jobs::gamification::{GamificationError, boards, teams_of};
use crate::odoo::OdooClient;
use crate::scheduler::{Clock, RunObserver};

/// One challenge as the pages show it.
#[derive(Clone, Debug)]
pub struct ChallengeBoard {
    pub id: i64,
    pub name: String,
    pub period: String,
    /// Odoo's order (completeness, capped at 100 %).
    pub ranked: Leaderboard,
    /// By each person's share of their own target, uncapped.
    pub fair: Leaderboard,
    /// Teams by their members' mean share of target.
    pub teams: Vec<TeamRow>,
}

/// Every running challenge's board, as read at `at`.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// Increases with every copy: what the event stream announces.
    pub version: u64,
    /// When it was read (the pages' "last update").
    pub at: DateTime<Utc>,
    pub challenges: Vec<ChallengeBoard>,
}

impl Snapshot {
    pub fn challenge(&self, id: i64) -> Option<&ChallengeBoard> {
        self.challenges.iter().find(|c| c.id == id)
    }
}

/// The board state shared by the pages, the event stream and the daemon.
pub struct Boards {
    /// The whole config: `[board]`, the time zone, and what the rules page explains.
    config: RwLock<Arc<Config>>,
    client: RwLock<Option<Arc<OdooClient>>>,
    clock: Clock,
    latest: RwLock<Option<Arc<Snapshot>>>,
    /// One read of Odoo at a time; requests arriving meanwhile get its result.
    loading: Mutex<()>,
    events: broadcast::Sender<u64>,
    /// Rung by a gamification run that changed something.
    stale: Notify,
    /// Ends the event streams when the listener shuts down (they never end by themselves).
    pub(crate) closing: CancellationToken,
}

impl std::fmt::Debug for Boards {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Boards").finish_non_exhaustive()
    }
}

impl Boards {
    pub fn new(config: Arc<Config>, clock: Clock) -> Self {
        Self {
            config: RwLock::new(config),
            client: RwLock::new(None),
            clock,
            latest: RwLock::new(None),
            loading: Mutex::new(()),
            events: broadcast::channel(16).0,
            stale: Notify::new(),
            closing: CancellationToken::new(),
        }
    }

    /// The client boards are read with (the jobs', replaced on reload).
    pub fn set_client(&self, client: Arc<OdooClient>) {
        if let Ok(mut c) = self.client.write() {
            *c = Some(client);
        }
    }

    /// A reloaded config (its `[board]` section, time zone and rules).
    pub(crate) fn set_config(&self, config: Arc<Config>) {
        if let Ok(mut c) = self.config.write() {
            *c = config;
        }
    }

    /// `[board]` as configured now (`None` once a reload removed it).
    pub(crate) fn config(&self) -> Option<BoardConfig> {
        self.config.read().ok().and_then(|c| c.board.clone())
    }

    pub(crate) fn full_config(&self) -> Option<Arc<Config>> {
        self.config.read().ok().map(|c| c.clone())
    }

    /// The zone the pages give times in: the daemon's (`[daemon] time_zone`).
    pub(crate) fn time_zone(&self) -> chrono_tz::Tz {
        self.config
            .read()
            .map_or(chrono_tz::Tz::UTC, |c| c.daemon.time_zone)
    }

    /// The version of the copy in memory, if any.
    pub(crate) fn version(&self) -> Option<u64> {
        self.latest().map(|s| s.version)
    }

    pub(crate) fn client(&self) -> Option<Arc<OdooClient>> {
        self.client.read().ok().and_then(|c| c.clone())
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<u64> {
        self.events.subscribe()
    }

    fn latest(&self) -> Option<Arc<Snapshot>> {
        self.latest.read().ok().and_then(|l| l.clone())
    }

    /// The current copy: the one in memory while younger than `max_age`, else read now. When
    /// Odoo cannot be read, an older copy is still served (its time says how old it is).
    pub async fn snapshot(&self) -> Result<Arc<Snapshot>, GamificationError> {
        let max_age = self
            .config()
            .map_or(std::time::Duration::ZERO, |c| c.max_age);
        let fresh = |s: &Snapshot| {
            (self.now() - s.at)
                .to_std()
                .unwrap_or(std::time::Duration::ZERO)
                < max_age
        };
        if let Some(s) = self.latest().filter(|s| fresh(s)) {
            return Ok(s);
        }
        let _one = self.loading.lock().await;
        if let Some(s) = self.latest().filter(|s| fresh(s)) {
            return Ok(s);
        }
        match self.load().await {
            Ok(s) => Ok(s),
            Err(e) => self.latest().ok_or(e),
        }
    }

    /// Reads every running challenge's board from Odoo, keeps it and announces it.
    async fn load(&self) -> Result<Arc<Snapshot>, GamificationError> {
        let Some(client) = self.client() else {
            return Err(GamificationError::Unexpected {
                what: "the board".into(),
                detail: "no Odoo client yet".into(),
            });
        };
        let at = self.now();
        let today: NaiveDate = at.date_naive();
        let inputs = boards(&client, today).await?;
        let users = inputs.iter().flat_map(|i| i.user_ids()).collect();
        let team_of: HashMap<i64, String> = teams_of(&client, &users).await?;
        let challenges = inputs
            .iter()
            .map(|i| {
                let fair = i.rank(Order::Fair);
                ChallengeBoard {
                    id: i.challenge_id,
                    name: i.name.clone(),
                    period: i.period.clone(),
                    ranked: i.rank(Order::Odoo),
                    teams: rank_teams(&fair, &team_of),
                    fair,
                }
            })
            .collect();
        let version = self.latest().map_or(1, |s| s.version + 1);
        let snapshot = Arc::new(Snapshot {
            version,
            at,
            challenges,
        });
        if let Ok(mut l) = self.latest.write() {
            *l = Some(snapshot.clone());
        }
        // Nobody listening is fine.
        let _ = self.events.send(version);
        tracing::info!(
            version,
            challenges = snapshot.challenges.len(),
            "leaderboards read"
        );
        Ok(snapshot)
    }

    /// Reads the boards again each time a run rings, until `stop`: the daemon runs this.
    pub async fn refresh_on_runs(self: Arc<Self>, stop: CancellationToken) {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = self.stale.notified() => {}
            }
            let _one = self.loading.lock().await;
            if let Err(e) = self.load().await {
                tracing::warn!("leaderboards not refreshed after the run: {e}");
            }
        }
    }
}

impl RunObserver for Boards {
    fn run_started(&self, _: &str, _: DateTime<Utc>) {}

    /// A gamification run that wrote something moved goals: the boards are read again.
    fn run_finished(
        &self,
        job: &str,
        _: DateTime<Utc>,
        _: std::time::Duration,
        result: &Result<JobOutcome, JobError>,
    ) {
        if job == "gamification" && result.as_ref().is_ok_and(|o| o.changes_written > 0) {
            self.stale.notify_one();
        }
    }
}
