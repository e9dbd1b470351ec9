//! A daemon serving the board over the demo dataset in the simulator, for the page tests: the
//! real job registry, `[board]` (private unless asked), `[webhooks]` (so a test can make the
//! gamification job run at once, as Odoo's automation would), an admin token, a clock
//! anchored on the demo's dates.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use scorekeeper::config;
use scorekeeper::daemon::{self, Control, DaemonOptions, Registry};
use scorekeeper::demo::{DatasetSpec, generate};
use scorekeeper::jobs::gamification::GamificationJob;
use scorekeeper::scheduler::{Clock, Job, JobContext};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::{Served, anchored_clock, sim_epoch, snapshot_sim, write_demo_config};

/// The URL secret Odoo's webhooks post to.
pub const HOOK: &str = "0123456789abcdef0123";
/// The board's signing key.
pub const KEY: &str = "board-key-0123456789abcdef0123456789abcdef";
/// The admin listener's bearer token.
pub const TOKEN: &str = "admin-token-0123456789";

/// The daemon's "now": 30 s past the hour on the morning after the demo data, so no
/// scheduled run comes during a test (scoring fires every 10 minutes, gamification hourly).
pub fn anchor() -> DateTime<Utc> {
    sim_epoch().and_utc() + chrono::Duration::seconds(30)
}

pub struct BoardDaemon {
    pub base: String,
    pub served: Served,
    pub config: PathBuf,
    control: mpsc::Sender<Control>,
    handle: tokio::task::JoinHandle<()>,
}

impl BoardDaemon {
    /// A daemon over 300 demo leads, its goals computed once; `board` is the `[board]`
    /// section's extra lines (e.g. `public = true`).
    pub async fn start(dir: &Path, board: &str) -> BoardDaemon {
        let sim = snapshot_sim();
        sim.write().set_clock(anchored_clock(sim_epoch()));
        generate(
            &DatasetSpec {
                leads: 300,
                ..DatasetSpec::default()
            },
            &mut *sim.write(),
        )
        .unwrap();
        let served = Served::start(sim).await;
        std::fs::write(dir.join("pw"), "admin\n").unwrap();
        std::fs::write(dir.join("hook"), format!("{HOOK}\n")).unwrap();
        std::fs::write(dir.join("board-key"), format!("{KEY}\n")).unwrap();
        std::fs::write(dir.join("token"), format!("{TOKEN}\n")).unwrap();
        let path = write_demo_config(
            dir,
            "board",
            &served.url,
            &[
                (
                    "password_env = \"SCOREKEEPER_ODOO_PASSWORD\"",
                    "password_file = \"pw\"",
                ),
                (
                    "[state]",
                    &format!(
                        "[http]\ntoken_file = \"token\"\n\n[webhooks]\nsecret_file = \"hook\"\n\n\
                         [board]\nsecret_file = \"board-key\"\n{board}\n\n[state]"
                    ),
                ),
            ],
        );
        let cfg = config::load(&path).unwrap();
        // A manager starts the demo's draft "Lead Acquisition" in Odoo (the simulator
        // generates its goals, as Odoo's start does).
        let admin = served.client("admin", "admin");
        let lead_acquisition = admin
            .search(
                "gamification.challenge",
                vec![scorekeeper::odoo::leaf("name", "=", "Lead Acquisition")],
                &Default::default(),
            )
            .await
            .unwrap();
        let mut start = scorekeeper::xmlrpc::Struct::new();
        start.push(
            "state",
            scorekeeper::xmlrpc::Value::String("inprogress".into()),
        );
        admin
            .write("gamification.challenge", &lead_acquisition, start)
            .await
            .unwrap();
        // The goals of the period exist before the daemon starts: its first page shows them.
        let ctx = JobContext {
            config: Arc::new(cfg),
            odoo: Arc::new(served.client("admin", "admin")),
            cancel: tokio_util::sync::CancellationToken::new(),
            scheduled_for: Some(anchor()),
            progress: Default::default(),
        };
        GamificationJob.run(&ctx).await.unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (control, rx) = mpsc::channel(4);
        let options = DaemonOptions {
            clock: Clock::starting_at(anchor()),
            listener: Some(listener),
            ..DaemonOptions::default()
        };
        let registry: Arc<Registry> = Arc::new(scorekeeper::jobs::registry);
        let config_path = path.clone();
        let handle = tokio::spawn(async move {
            daemon::run(&config_path, registry, rx, options)
                .await
                .unwrap();
        });
        BoardDaemon {
            base,
            served,
            config: path,
            control,
            handle,
        }
    }

    /// `login`'s user id.
    pub fn uid(&self, login: &str) -> i64 {
        super::uid_of(&self.served.sim, login)
    }

    /// A signed link token for `subject`, as `scorekeeper link` makes it.
    pub fn token(&self, subject: scorekeeper::http::link::Subject) -> String {
        scorekeeper::http::link::sign(&scorekeeper::odoo::Secret::new(KEY), subject, None)
    }

    /// Odoo 17's webhook for a changed lead (the recorded body's shape): the watching jobs run.
    pub async fn announce_lead(&self, id: i64, write_date: &str) {
        let body = format!(
            r#"{{"_action": "SK notify scorekeeper(#394)", "_id": {id}, "_model": "crm.lead", "id": {id}, "write_date": "{write_date}"}}"#
        );
        let resp = reqwest::Client::new()
            .post(format!("{}/webhooks/odoo/{HOOK}", self.base))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 202, "{:?}", resp.text().await);
    }

    pub async fn stop(self) {
        self.control.send(Control::Shutdown).await.unwrap();
        self.handle.await.unwrap();
        self.served.stop().await;
    }
}
