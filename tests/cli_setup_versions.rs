//! `check` and `setup` against each Odoo version: the bundled demo config passes `check` on
//! Odoo 19 (no `mobile` there), a field a version removed is named as such, every domain of
//! the config (challenge `user_domain`s included) is checked against the server's fields
//! before `setup` writes anything, and a `setup` that fails half-way removes what it created.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use scorekeeper::check::verify_config;
use scorekeeper::config;
use scorekeeper::jobs::gamification::{self, GamificationError};
use scorekeeper::jobs::scoring::setup;

use crate::support::{DEMO_TOML, Odoo, Served, demo_config_on, served_demo_of, snapshot_sim_of};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_config_passes_check_on_odoo_19() {
    let served = served_demo_of(Odoo::V19, 200).await;
    let dir = tempfile::tempdir().unwrap();
    let (cfg, _) = demo_config_on(&served, true, dir.path());
    let client = served.client("admin", "admin");
    client.authenticate().await.unwrap();
    setup::setup(&client, cfg.scoring.as_ref().unwrap())
        .await
        .unwrap();
    let verified = verify_config(&client, &cfg).await.unwrap();
    assert!(
        verified.diagnostics.is_empty(),
        "{:#?}",
        verified.diagnostics
    );
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_odoo_19_removed_is_named_as_such() {
    let served = Served::start(snapshot_sim_of(Odoo::V19)).await;
    let text = DEMO_TOML
        .replace("crm17c", "crm19")
        .replace("http://127.0.0.1:8069", &served.url)
        .replace(
            "domain = \"[('phone', '!=', False)]\"",
            "domain = \"['|', ('phone', '!=', False), ('mobile', '!=', False)]\"",
        );
    let cfg = config::load_str(Path::new("/tmp/old.toml"), &text, &|_| {
        Some("admin".to_owned())
    })
    .unwrap();
    let client = served.client("admin", "admin");
    client.authenticate().await.unwrap();
    let verified = verify_config(&client, &cfg).await.unwrap();
    let mobile = verified
        .diagnostics
        .iter()
        .find(|d| d.message.starts_with("unknown field 'mobile' on crm.lead"))
        .expect("mobile is reported");
    assert_eq!(
        mobile.hint.as_deref(),
        Some("crm.lead.mobile no longer exists on Odoo 19; use phone")
    );
    served.stop().await;
}

const GAMIFICATION: &str = r#"
[odoo]
url = "URL"
database = "DB"
login = "admin"
password_file = "PASSWORD"

[scoring]
score_field = "x_lead_score"
create_score_field = true
scope = "[('type', '=', 'lead')]"

[[scoring.rules]]
name = "any"
domain = "[]"
points = 1

[gamification]
schedule = "0 * * * *"

[[gamification.challenges]]
name = "Meetings Held"
period = "monthly"
users = ["admin"]

[[gamification.challenges.lines]]
name = "Meetings held"
model = "calendar.event"
count = true
user_field = "user_id"
date_field = "start"
target = 4

[[gamification.challenges]]
name = "Calls Made"
period = "monthly"
user_domain = "USER_DOMAIN"

[[gamification.challenges.lines]]
name = "Calls made"
model = "calendar.event"
count = true
user_field = "user_id"
date_field = "start"
target = 10
"#;

/// A config for `served` whose password file holds admin's secret there: from Odoo 19 the
/// client speaks JSON-2 (`protocol = "auto"`), which takes API keys only.
fn gamification_config(
    served: &Served,
    odoo: Odoo,
    dir: &Path,
    user_domain: &str,
) -> std::path::PathBuf {
    let secret = match odoo {
        Odoo::V17 => "admin".to_owned(),
        Odoo::V19 => served.api_key("admin"),
    };
    std::fs::write(dir.join("password"), secret).unwrap();
    let text = GAMIFICATION
        .replace("URL", &served.url)
        .replace("DB", served.sim.database())
        .replace("PASSWORD", &dir.join("password").display().to_string())
        .replace("USER_DOMAIN", user_domain);
    let path = dir.join("g.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn count(served: &Served, model: &str) -> usize {
    served.sim.read().count(model)
}

/// `check` and `setup` refuse a challenge whose `user_domain` names a field res.users lacks
/// (Odoo 19's `groups_id`), before anything is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_checks_challenge_user_domains_before_writing() {
    for odoo in Odoo::ALL {
        let served = Served::start(snapshot_sim_of(odoo)).await;
        let dir = tempfile::tempdir().unwrap();
        let path = gamification_config(&served, odoo, dir.path(), "[('no_such_field', '=', 1)]");
        let before = (
            count(&served, "gamification.goal.definition"),
            count(&served, "gamification.challenge"),
        );
        let mut out = Vec::new();
        let err = scorekeeper::cli::setup_cmd(&path, &mut out)
            .await
            .unwrap_err();
        assert_eq!(err.exit_code(), 2, "{err}");
        let text = err.to_string();
        assert!(
            text.contains("gamification.challenges[1].user_domain")
                && text.contains("unknown field 'no_such_field' on res.users"),
            "{text}"
        );
        assert_eq!(
            before,
            (
                count(&served, "gamification.goal.definition"),
                count(&served, "gamification.challenge"),
            ),
            "Odoo {}: nothing created",
            odoo.major()
        );
        served.stop().await;
    }
}

/// A setup that Odoo refuses half-way (the second challenge's user_domain names `groups_id`,
/// which Odoo 19 does not have) removes the definitions and the challenge it had created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_failing_half_way_removes_what_it_created() {
    let served = Served::start(snapshot_sim_of(Odoo::V19)).await;
    let dir = tempfile::tempdir().unwrap();
    let path = gamification_config(&served, Odoo::V19, dir.path(), "[('groups_id', 'in', [1])]");
    let cfg = config::load(&path).unwrap();
    let client = served.client("admin", "admin");
    client.authenticate().await.unwrap();
    let before = (
        count(&served, "gamification.goal.definition"),
        count(&served, "gamification.challenge"),
        count(&served, "gamification.challenge.line"),
    );
    // Straight to the library's setup (no preflight): Odoo itself refuses the second challenge.
    let err = gamification::setup(&client, cfg.gamification.as_ref().unwrap())
        .await
        .unwrap_err();
    let GamificationError::SetupRolledBack { removed, left, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(
        (*removed, left.len()),
        (4, 0),
        "2 definitions, 1 challenge, 1 line: {err}"
    );
    assert!(err.to_string().contains("groups_id"), "{err}");
    assert_eq!(
        before,
        (
            count(&served, "gamification.goal.definition"),
            count(&served, "gamification.challenge"),
            count(&served, "gamification.challenge.line"),
        )
    );
    served.stop().await;
}

/// A server outside the tested range (here the Odoo 19 recording announcing itself as 20.0):
/// `check` says which profile it uses and what is untested; other commands log it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_warns_about_a_version_outside_the_tested_range() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/odoo19/snapshot.json");
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["server_version"] = serde_json::json!({
        "server_version": "20.0",
        "server_version_info": [20, 0, 0, "final", 0, ""],
        "server_serie": "20.0",
        "protocol_version": 1
    });
    let sim = scorekeeper::sim::Sim::from_snapshot_json(&doc).unwrap();
    let served = Served::start(sim).await;
    let dir = tempfile::tempdir().unwrap();
    // `auto` speaks JSON-2 to a server announcing 20: admin's API key, not the password.
    std::fs::write(dir.path().join("password"), served.api_key("admin")).unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        format!(
            "[odoo]\nurl = \"{}\"\ndatabase = \"{}\"\nlogin = \"admin\"\npassword_file = \"{}\"\n",
            served.url,
            served.sim.database(),
            dir.path().join("password").display()
        ),
    )
    .unwrap();
    // Any other command logs the same warning (here `plan`, through the binary).
    let plan_config = dir.path().join("plan.toml");
    std::fs::write(
        &plan_config,
        std::fs::read_to_string(&config).unwrap()
            + &format!(
                "[state]\npath = \"{}\"\n[scoring]\nscore_field = \"x_lead_score\"\n\
                 create_score_field = true\nscope = \"[('type', '=', 'lead')]\"\n\
                 [[scoring.rules]]\nname = \"any\"\ndomain = \"[]\"\npoints = 1\n",
                dir.path().join("s.db").display()
            ),
    )
    .unwrap();
    let plan = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_scorekeeper"))
            .args(["plan", "-c"])
            .arg(&plan_config)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&plan.stderr);
    assert!(
        stderr.contains("Odoo 20 is outside the tested range (Odoo 17–19)"),
        "{stderr}"
    );

    let mut out = Vec::new();
    scorekeeper::cli::check(&config, &mut out).await.unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("odoo    Odoo 20.0 at "), "{out}");
    assert!(
        out.contains("profile Odoo 19 (server: Odoo 20): daily quota"),
        "{out}"
    );
    assert!(
        out.contains(
            "warning Odoo 20 is outside the tested range (Odoo 17–19): scorekeeper uses the Odoo 19 profile, and these are untested there: the user groups field (all_group_ids), the crm.stage team field (team_ids)"
        ),
        "{out}"
    );
    served.stop().await;
}
