//! Issue 11, items 7 and 8: every config mistake that `run` would trip over is refused by
//! `check` first, and `run` (scoring) and `run all` refuse it identically before writing
//! anything: exit 2, `error: file:line:column key: message`, no record of the simulator
//! changed. One table of malformed configs, each an edit of the demo config; and Odoo going
//! away in the middle of a run is exit 3 without claiming that nothing was applied.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use scorekeeper::sim::Sim;

use crate::support::fake_odoo::{FakeOdoo, Reply};
use crate::support::{DEMO_TOML, served_demo};

const PASSWORD_VAR: &str = "SCOREKEEPER_ODOO_PASSWORD";
/// The demo salesperson's password, for the access-rights case.
const DEMO_PASSWORD_VAR: &str = "SK_TEST_DEMO_PASSWORD";

/// One malformed config: the edits made to the demo config (each `from` must occur), the text
/// whose line the diagnostic points at (`None`: the first edit's replacement), the config key
/// and a fragment of the message.
struct Case {
    name: &'static str,
    edits: &'static [(&'static str, &'static str)],
    at: Option<&'static str>,
    key: &'static str,
    message: &'static str,
}

const fn case(
    name: &'static str,
    edits: &'static [(&'static str, &'static str)],
    key: &'static str,
    message: &'static str,
) -> Case {
    Case {
        name,
        edits,
        at: None,
        key,
        message,
    }
}

const fn case_at(
    name: &'static str,
    edits: &'static [(&'static str, &'static str)],
    at: &'static str,
    key: &'static str,
    message: &'static str,
) -> Case {
    Case {
        name,
        edits,
        at: Some(at),
        key,
        message,
    }
}

const VN_RULE: &str = "domain = \"[('country_id.code', '=', 'VN')]\"";

static CASES: &[Case] = &[
    // ---- refused at load: no Odoo needed ----
    case(
        "unknown operator ~=",
        &[(VN_RULE, "domain = \"[('country_id.code', '~=', 'VN')]\"")],
        "scoring.rules[0].domain",
        "unknown domain operator '~='",
    ),
    case(
        "operator in capitals",
        &[("'in', ['CN', 'SG']", "'IN', ['CN', 'SG']")],
        "scoring.rules[1].domain",
        "unknown domain operator 'IN'",
    ),
    case(
        "unknown operator in a point rule",
        &[(
            "('stage_id.is_won', '=', True)",
            "('stage_id.is_won', '==', True)",
        )],
        "gamification.point_rules[0].domain",
        "unknown domain operator '=='",
    ),
    case(
        "schedule minute 61",
        &[("schedule = \"*/10 * * * *\"", "schedule = \"61 * * * *\"")],
        "scoring.schedule",
        "is not a valid crontab line",
    ),
    case(
        "schedule with 4 fields",
        &[("schedule = \"*/10 * * * *\"", "schedule = \"* * * *\"")],
        "scoring.schedule",
        "has 4 fields",
    ),
    case(
        "schedule nickname typo",
        &[("schedule = \"*/10 * * * *\"", "schedule = \"@hourlyy\"")],
        "scoring.schedule",
        "is not a valid crontab line",
    ),
    case(
        "gamification schedule hour 25",
        &[("schedule = \"0 * * * *\"", "schedule = \"0 25 * * *\"")],
        "gamification.schedule",
        "is not a valid crontab line",
    ),
    case(
        "unparsable rule domain",
        &[(VN_RULE, "domain = \"[('country_id.code', '=', 'VN')\"")],
        "scoring.rules[0].domain",
        "unparsable domain",
    ),
    case(
        "unparsable scope",
        &[(
            "scope = \"[('type', '=', 'lead')]\"",
            "scope = \"[('type', '=' 'lead')]\"",
        )],
        "scoring.scope",
        "unparsable domain",
    ),
    case(
        "band priority 5",
        &[("priority = \"3\"", "priority = \"5\"")],
        "scoring.bands[0].priority",
        "'5' is not a crm.lead priority",
    ),
    case(
        "unknown cap group",
        &[("cap = \"contact\"", "cap = \"contacts\"")],
        "scoring.rules[7].cap",
        "no cap group named 'contacts'",
    ),
    case_at(
        "cap min above max",
        &[("max = 15", "max = 15\nmin = 20")],
        "[[scoring.caps]]",
        "scoring.caps[0]",
        "min 20 is above max 15",
    ),
    case_at(
        "score field not custom",
        &[(
            "score_field = \"x_lead_score\"",
            "score_field = \"lead_score\"",
        )],
        "\"lead_score\"",
        "scoring.score_field",
        "'lead_score' is not a custom field name",
    ),
    case(
        "negative half-life",
        &[("half_life_days = 14", "half_life_days = -1")],
        "scoring.rules[9].decay.half_life_days",
        "must be a positive number of days",
    ),
    case(
        "max_concurrency 0",
        &[("max_concurrency = 2", "max_concurrency = 0")],
        "scoring.max_concurrency",
        "must be between 1 and 16",
    ),
    case(
        "unknown key in [scoring]",
        &[("full_pass_hours = 24", "full_pass_hour = 24")],
        "scoring.full_pass_hour",
        "unknown key `full_pass_hour`",
    ),
    case(
        "unknown key in [odoo]",
        &[("timeout_secs = 60", "timeout_sec = 60")],
        "odoo.timeout_sec",
        "unknown key `timeout_sec`",
    ),
    case(
        "batch size as a string",
        &[("batch_size = 2000", "batch_size = \"2000\"")],
        "odoo.batch_size",
        "invalid type",
    ),
    case(
        "empty database",
        &[("database = \"crm17c\"", "database = \"\"")],
        "odoo.database",
        "must not be empty",
    ),
    case(
        "password variable not set",
        &[(
            "password_env = \"SCOREKEEPER_ODOO_PASSWORD\"",
            "password_env = \"SK_TEST_NEVER_SET\"",
        )],
        "odoo.password_env",
        "SK_TEST_NEVER_SET",
    ),
    case(
        "unknown routing strategy",
        &[("strategy = \"odoo\"", "strategy = \"random\"")],
        "assignment.strategy",
        "unknown strategy 'random'",
    ),
    case(
        "work_days 40",
        &[("work_days = 1", "work_days = 40")],
        "assignment.work_days",
        "40 is outside 0.2..30",
    ),
    case(
        "point rule key with a space",
        &[("key = \"won-deal\"", "key = \"won deal\"")],
        "gamification.point_rules[0].key",
        "may only hold ASCII letters, digits and '-'",
    ),
    case_at(
        "admin listener on all interfaces without a token",
        &[(
            "[gamification]\n",
            "[http]\nlisten = \"0.0.0.0:9187\"\n\n[gamification]\n",
        )],
        "\"0.0.0.0:9187\"",
        "http.listen",
        "0.0.0.0:9187 is not a loopback address and no token is set",
    ),
    case_at(
        "unknown time zone",
        &[(
            "[gamification]\n",
            "[daemon]\ntime_zone = \"Europe/Berlln\"\n\n[gamification]\n",
        )],
        "\"Europe/Berlln\"",
        "daemon.time_zone",
        "unknown time zone",
    ),
    case_at(
        "duplicate point rule key",
        &[(
            "points = 50\n",
            "points = 50\n\n[[gamification.point_rules]]\nkey = \"won-deal\"\nname = \"Again\"\n\
             model = \"crm.lead\"\nuser_field = \"user_id\"\npoints = 5\n",
        )],
        "key = \"won-deal\"\nname = \"Again\"",
        "gamification.point_rules[1].key",
        "duplicate point rule key",
    ),
    case_at(
        "level ladder not increasing",
        &[("karma_min = 500\n", "karma_min = 100\n")],
        "karma_min = 100\nbadge = \"Level: Bachelor\"",
        "gamification.levels[1].karma_min",
        "the ladder must increase: 100 is not above the level before (100)",
    ),
    case_at(
        "point rule scoped twice",
        &[(
            "points = 50\n",
            "points = 50\nusers = [\"admin\"]\nteams = [\"Sales\"]\n",
        )],
        "key = \"won-deal\"",
        "gamification.point_rules[0]",
        "give at most one of users, teams, groups or user_domain",
    ),
    case_at(
        "a cap of zero",
        &[(
            "points = 50\n",
            "points = 50\ndate_field = \"date_closed\"\ndaily_cap = 0\n",
        )],
        "daily_cap = 0",
        "gamification.point_rules[0].daily_cap",
        "a cap must be positive, not 0",
    ),
    case(
        "level at zero karma",
        &[("karma_min = 100\n", "karma_min = 0\n")],
        "gamification.levels[0].karma_min",
        "must be positive, not 0",
    ),
    case(
        "unknown level_drop",
        &[("level_drop = \"keep\"", "level_drop = \"forget\"")],
        "gamification.level_drop",
        "unknown level_drop \"forget\"",
    ),
    case_at(
        "team points worth zero",
        &[(
            "level_drop = \"keep\"\n",
            "level_drop = \"keep\"\n\n[[gamification.team_points]]\nkey = \"team-target\"\n\
             name = \"Team target\"\nmodel = \"crm.lead\"\ndate_field = \"date_closed\"\n\
             target = 10\npoints = 0\n",
        )],
        "points = 0",
        "gamification.team_points[0].points",
        "must be a positive number of points, not 0",
    ),
    case_at(
        "level bonus of zero",
        &[("karma_min = 500\n", "karma_min = 500\nbonus = 0\n")],
        "bonus = 0",
        "gamification.levels[1].bonus",
        "must be a positive amount, not 0",
    ),
    case_at(
        "level bonus without a pay plan to pay it",
        &[("karma_min = 500\n", "karma_min = 500\nbonus = 100\n")],
        "bonus = 100",
        "gamification.levels[1].bonus",
        "a level bonus reaches a pay statement only through a pay plan",
    ),
    case(
        "badge rule threshold zero",
        &[("threshold = 10000\n", "threshold = 0\n")],
        "gamification.badge_rules[0].threshold",
        "must be a positive number",
    ),
    // ---- revealed by the server: fields, types, records, rights ----
    case(
        "badge rule on an unknown field",
        &[(
            "field = \"expected_revenue\"\nthreshold",
            "field = \"expected_revenu\"\nthreshold",
        )],
        "gamification.badge_rules[0].field",
        "unknown field 'expected_revenu' on crm.lead",
    ),
    case(
        "unknown field in a rule",
        &[(VN_RULE, "domain = \"[('contry_id.code', '=', 'VN')]\"")],
        "scoring.rules[0].domain",
        "unknown field 'contry_id' on crm.lead (did you mean 'country_id'?)",
    ),
    case(
        "unknown field behind a relation",
        &[(
            "('source_id.name', 'in', ['Zalo'",
            "('source_id.nam', 'in', ['Zalo'",
        )],
        "scoring.rules[3].domain",
        "unknown field 'nam' on utm.source",
    ),
    case(
        "path through a char field",
        &[(
            "('email_from', '!=', False)",
            "('email_from.name', '!=', False)",
        )],
        "scoring.rules[7].domain",
        "'email_from' on crm.lead is a char field",
    ),
    case(
        "number compared with text",
        &[(
            "('expected_revenue', '>=', 20000)",
            "('expected_revenue', '>=', 'lots')",
        )],
        "scoring.rules[5].domain",
        "could not convert string to float: 'lots'",
    ),
    case(
        "integer compared with text",
        &[("('expected_revenue', '=', 0)", "('color', '=', 'red')")],
        "scoring.rules[6].domain",
        "crm.lead refuses this domain",
    ),
    case(
        "unknown field in the scope",
        &[(
            "scope = \"[('type', '=', 'lead')]\"",
            "scope = \"[('typ', '=', 'lead')]\"",
        )],
        "scoring.scope",
        "unknown field 'typ' on crm.lead (did you mean 'type'?)",
    ),
    case(
        "unknown decay field",
        &[("field = \"create_date\"", "field = \"created_on\"")],
        "scoring.rules[9].decay.field",
        "unknown field 'created_on' on crm.lead",
    ),
    case(
        "unknown team name",
        &[("team = \"Vietnam\"", "team = \"Vietnamm\"")],
        "assignment.teams[0].team",
        "no crm.team with 'Vietnamm' (did you mean 'Vietnam'?)",
    ),
    case(
        "unknown team id",
        &[("team = \"Greater China\"", "team = 9999")],
        "assignment.teams[1].team",
        "no crm.team with id 9999",
    ),
    case_at(
        "unknown field in a team domain",
        &[(
            "min_score = 35\n",
            "min_score = 35\ndomain = \"[('partner_nam', '=', 'x')]\"\n",
        )],
        "domain = \"[('partner_nam'",
        "assignment.teams[2].domain",
        "unknown field 'partner_nam' on crm.lead",
    ),
    case_at(
        "point rule scoped to an unknown group",
        &[(
            "points = 50\n",
            "points = 50\ngroups = [\"sales_team.group_sale_managerr\"]\n",
        )],
        "groups = [",
        "gamification.point_rules[0].groups[0]",
        "no XML id sales_team.group_sale_managerr in Odoo",
    ),
    case_at(
        "team points for an unknown team",
        &[(
            "level_drop = \"keep\"\n",
            "level_drop = \"keep\"\n\n[[gamification.team_points]]\nkey = \"team-target\"\n\
             name = \"Team target\"\nteams = [\"Vietnamm\"]\nmodel = \"crm.lead\"\n\
             date_field = \"date_closed\"\ntarget = 10\npoints = 5\n",
        )],
        "teams = [\"Vietnamm\"]",
        "gamification.team_points[0].teams[0]",
        "no crm.team with 'Vietnamm' (did you mean 'Vietnam'?)",
    ),
    case_at(
        "member override in an unknown team",
        &[(
            "[gamification]\n",
            "[[assignment.members]]\nuser = \"admin\"\nteam = \"Nowhere\"\n\n[gamification]\n",
        )],
        "team = \"Nowhere\"",
        "assignment.members[0].team",
        "no crm.team with 'Nowhere'",
    ),
    case(
        "missing band tag",
        &[("tag = \"Hot\"", "tag = \"Scorching\"")],
        "scoring.bands[0].tag",
        "no crm.tag with 'Scorching'",
    ),
    case(
        "unknown field in a point rule domain",
        &[(
            "('stage_id.is_won', '=', True)",
            "('stage_id.is_wonn', '=', True)",
        )],
        "gamification.point_rules[0].domain",
        "unknown field 'is_wonn' on crm.stage (did you mean 'is_won'?)",
    ),
    case(
        "wrong value type in a point rule domain",
        &[(
            "('stage_id.is_won', '=', True)",
            "('stage_id.sequence', '>', 'high')",
        )],
        "gamification.point_rules[0].domain",
        "refuses this domain",
    ),
    case(
        "unknown point rule model",
        &[("model = \"crm.lead\"", "model = \"crm.leed\"")],
        "gamification.point_rules[0].model",
        "model crm.leed does not exist on this Odoo (hint: is the Odoo module that defines it installed?)",
    ),
    case_at(
        "unknown challenge line model",
        &[(
            "[[gamification.point_rules]]",
            "[[gamification.challenges]]\nname = \"Calls\"\nperiod = \"monthly\"\n\
             user_domain = \"[('share', '=', False)]\"\n\
             lines = [{ name = \"Calls\", model = \"crm.phonecall\", count = true, user_field = \"user_id\", target = 5 }]\n\n\
             [[gamification.point_rules]]",
        )],
        "lines = ",
        "gamification.challenges[0].lines[0].model",
        "model crm.phonecall does not exist on this Odoo",
    ),
    case(
        "unknown point rule user field",
        &[("user_field = \"user_id\"", "user_field = \"salesman_id\"")],
        "gamification.point_rules[0].user_field",
        "unknown field 'salesman_id' on crm.lead",
    ),
    case_at(
        "unknown field in a challenge user_domain",
        &[(
            "[[gamification.point_rules]]",
            "[[gamification.challenges]]\nname = \"Calls\"\nperiod = \"monthly\"\n\
             user_domain = \"[('shares', '=', False)]\"\n\
             lines = [{ name = \"Leads\", model = \"crm.lead\", count = true, user_field = \"user_id\", target = 5 }]\n\n\
             [[gamification.point_rules]]",
        )],
        "user_domain",
        "gamification.challenges[0].user_domain",
        "unknown field 'shares' on res.users (did you mean 'share'?)",
    ),
    case_at(
        "unknown sum field in a challenge line",
        &[(
            "[[gamification.point_rules]]",
            "[[gamification.challenges]]\nname = \"Revenue\"\nperiod = \"monthly\"\n\
             user_domain = \"[('share', '=', False)]\"\n\
             lines = [{ name = \"Revenue\", model = \"crm.lead\", sum = \"expected_revenu\", user_field = \"user_id\", target = 5 }]\n\n\
             [[gamification.point_rules]]",
        )],
        "lines = ",
        "gamification.challenges[0].lines[0].sum",
        "unknown field 'expected_revenu' on crm.lead (did you mean 'expected_revenue'?)",
    ),
    case(
        "bot user without the rights the jobs need",
        &[
            ("login = \"admin\"", "login = \"demo\""),
            (
                "password_env = \"SCOREKEEPER_ODOO_PASSWORD\"",
                "password_env = \"SK_TEST_DEMO_PASSWORD\"",
            ),
        ],
        "odoo.login",
        "user 'demo' may not write gamification.challenge records, which [gamification] needs \
         (hint: in Odoo, add the user to the group Administration: Access Rights (base.group_erp_manager))",
    ),
    case(
        "bot user without karma rights (point rules only)",
        &[
            ("login = \"admin\"", "login = \"demo\""),
            ("odoo_challenges = true", "odoo_challenges = false"),
            (
                "password_env = \"SCOREKEEPER_ODOO_PASSWORD\"",
                "password_env = \"SK_TEST_DEMO_PASSWORD\"",
            ),
        ],
        "odoo.login",
        "user 'demo' may not create gamification.karma.tracking records, which \
         [[gamification.point_rules]] needs (hint: in Odoo, add the user to the group \
         Administration: Settings (base.group_system))",
    ),
];

fn scorekeeper(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scorekeeper"))
        .args(args)
        .current_dir(dir)
        .env(PASSWORD_VAR, "admin")
        .env(DEMO_PASSWORD_VAR, "demo")
        .env_remove("SK_TEST_NEVER_SET")
        .env_remove("SCOREKEEPER_LOG")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every record of the models a run writes, with its `write_date`: equal before and after
/// means nothing was created, written or deleted.
fn fingerprint(sim: &Sim) -> Vec<(String, Vec<(i64, String)>)> {
    let store = sim.read();
    [
        "crm.lead",
        "crm.tag",
        "crm.team",
        "gamification.goal",
        "gamification.challenge",
        "gamification.badge.user",
        "gamification.karma.tracking",
        "ir.model.fields",
    ]
    .iter()
    .map(|m| {
        let rows = store
            .all_ids(m)
            .into_iter()
            .map(|id| (id, format!("{:?}", store.value(m, id, "write_date"))))
            .collect();
        ((*m).to_owned(), rows)
    })
    .collect()
}

/// The demo config pointed at `url`.
fn demo_text(url: &str) -> String {
    DEMO_TOML.replace("http://127.0.0.1:8069", url)
}

fn apply_edits(base: &str, c: &Case) -> String {
    let mut text = base.to_owned();
    for (from, to) in c.edits {
        assert!(
            text.contains(from),
            "{}: {from:?} is not in the demo config",
            c.name
        );
        text = text.replacen(from, to, 1);
    }
    text
}

/// 1-based line of the first occurrence of `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not found"));
    text[..at].matches('\n').count() + 1
}

/// The `error: ` lines of stderr.
fn errors(out: &Output) -> Vec<String> {
    text(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("error: "))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_configs_are_refused_by_check_and_run_alike_before_any_write() {
    assert!(CASES.len() >= 40, "{} cases", CASES.len());
    let served = served_demo(200).await;
    let sim = served.sim.clone();
    let base = demo_text(&served.url);
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().to_path_buf();
    let good = dir.join("good.toml");
    std::fs::write(&good, &base).unwrap();
    let good_s = good.to_str().unwrap().to_owned();
    let dir2 = dir.clone();

    tokio::task::spawn_blocking(move || {
        let dir = dir2;
        // The score field and the band tag exist, so the valid config passes `check`.
        let setup = scorekeeper(&["setup", "-c", &good_s], &dir);
        assert_eq!(setup.status.code(), Some(0), "{}", text(&setup.stderr));
        let ok = scorekeeper(&["check", "-c", &good_s], &dir);
        assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));

        let before = fingerprint(&sim);
        let mut table = Vec::new();
        for (i, c) in CASES.iter().enumerate() {
            let edited = apply_edits(&base, c);
            let path = dir.join(format!("case-{i:02}.toml"));
            std::fs::write(&path, &edited).unwrap();
            let p = path.to_str().unwrap();
            let line = line_of(&edited, c.at.unwrap_or(c.edits[0].1));
            let mut seen: Option<Vec<String>> = None;
            for args in [
                vec!["check", "-c", p],
                vec!["run", "-c", p],
                vec!["run", "-c", p, "all"],
            ] {
                let out = scorekeeper(&args, &dir);
                let what = format!("{} ({})", c.name, args.join(" "));
                let errs = errors(&out);
                assert_eq!(out.status.code(), Some(2), "{what}: {}", text(&out.stderr));
                let prefix = format!("error: {p}:{line}:");
                let hit = errs.iter().find(|e| {
                    e.strip_prefix(&prefix).is_some_and(|rest| {
                        let (col, rest) = rest.split_once(' ').unwrap_or(("", ""));
                        !col.is_empty()
                            && col
                                .trim_end_matches(|ch: char| ch.is_ascii_digit())
                                .is_empty()
                            && rest.starts_with(&format!("{}: ", c.key))
                            && rest.contains(c.message)
                    })
                });
                assert!(
                    hit.is_some(),
                    "{what}: expected `{prefix}<col> {}: ...{}...` in:\n{}",
                    c.key,
                    c.message,
                    errs.join("\n")
                );
                match &seen {
                    None => seen = Some(errs),
                    Some(first) => assert_eq!(first, &errs, "{what}: check and run differ"),
                }
                assert_eq!(fingerprint(&sim), before, "{what}: something was written");
            }
            table.push(format!(
                "{} -> 2 -> {}",
                c.name,
                seen.unwrap_or_default().join(" | ")
            ));
        }
        eprintln!("{}", table.join("\n"));

        // The same jobs with the valid config do write: the fingerprint can tell.
        let run = scorekeeper(&["run", "-c", &good_s, "all"], &dir);
        assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
        assert_ne!(fingerprint(&sim), before, "a valid run writes");
    })
    .await
    .unwrap();
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crontab_nicknames_are_accepted_everywhere() {
    let served = served_demo(50).await;
    let text_ = demo_text(&served.url)
        .replace("schedule = \"*/10 * * * *\"", "schedule = \"@hourly\"")
        .replace("schedule = \"0 * * * *\"", "schedule = \"@daily\"");
    let work = tempfile::tempdir().unwrap();
    let path = work.path().join("nick.toml");
    std::fs::write(&path, &text_).unwrap();
    let dir = work.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        let p = path.to_str().unwrap();
        let setup = scorekeeper(&["setup", "-c", p], &dir);
        assert_eq!(setup.status.code(), Some(0), "{}", text(&setup.stderr));
        let check = scorekeeper(&["check", "-c", p], &dir);
        assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
        let cfg = scorekeeper::config::load_str(&path, &text_, &|_| Some("admin".into())).unwrap();
        let jobs = scorekeeper::jobs::registry(&cfg).unwrap();
        assert_eq!(jobs.len(), 2, "the daemon schedules both lines");
    })
    .await
    .unwrap();
    served.stop().await;
}

/// Forwards every request to the simulator until the first `write` or `create` has been
/// answered, then
/// closes every connection without answering: Odoo went away in the middle of a run.
fn vanishing_after_first_write(sim: Arc<Sim>) -> FakeOdoo {
    let gone = Arc::new(std::sync::atomic::AtomicBool::new(false));
    FakeOdoo::start(move |req, _| {
        if gone.load(std::sync::atomic::Ordering::SeqCst) {
            return Reply::Close;
        }
        let service = req.path.rsplit('/').next().unwrap_or("object").to_owned();
        let body = sim.handle_xmlrpc(&service, &req.body);
        if service == "object" && matches!(req.target().1.as_str(), "write" | "create") {
            gone.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        Reply::Xml(String::from_utf8(body).unwrap())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odoo_gone_mid_run_exits_3_without_claiming_nothing_was_applied() {
    odoo_gone_mid_run("all").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odoo_gone_mid_gamification_run_exits_3() {
    odoo_gone_mid_run("gamification").await;
}

/// `run JOB` against a simulator that goes away after the first write: exit 3, and the
/// message does not claim that nothing was applied.
async fn odoo_gone_mid_run(job: &'static str) {
    let served = served_demo(200).await;
    let sim = served.sim.clone();
    let proxy = vanishing_after_first_write(sim.clone());
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().to_path_buf();
    let direct = dir.join("direct.toml");
    std::fs::write(&direct, demo_text(&served.url)).unwrap();
    // Retries are fast, so the run gives up soon once Odoo is gone.
    let vanishing = dir.join("vanishing.toml");
    std::fs::write(
        &vanishing,
        demo_text(&proxy.url()).replace(
            "batch_size = 2000\n",
            // The vanishing fake answers XML-RPC only.
            "batch_size = 2000\nprotocol = \"xmlrpc\"\n\n[odoo.retries]\nmax_attempts = 2\nbase_delay_ms = 1\nmax_delay_ms = 2\n",
        ),
    )
    .unwrap();
    tokio::task::spawn_blocking(move || {
        let setup = scorekeeper(&["setup", "-c", direct.to_str().unwrap()], &dir);
        assert_eq!(setup.status.code(), Some(0), "{}", text(&setup.stderr));
        let before = fingerprint(&sim);
        let out = scorekeeper(&["run", "-c", vanishing.to_str().unwrap(), job], &dir);
        let stderr = text(&out.stderr);
        assert_ne!(fingerprint(&sim), before, "the first write went through");
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        assert!(!stderr.contains("nothing was applied"), "{stderr}");
        eprintln!("run {job}: {}", stderr.lines().last().unwrap_or_default());
    })
    .await
    .unwrap();
    drop(proxy);
    served.stop().await;
}
