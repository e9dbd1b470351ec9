//! The sales organisation of the demo: four teams with their routing domains, 24 salespeople
//! and 4 telemarketers (fixed, so logins are stable across seeds), their memberships, partners,
//! passwords and initial karma history.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::record::Value;

use super::clock::{self, DAY, HOUR};
use super::emit::{Out, Rec};
use super::refs::Refs;
use super::{DatasetSpec, DatasetSummary, DemoError, DemoUser};

/// What a demo user does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Member of a sales team: receives leads, closes deals, issues invoices.
    Salesperson,
    /// Qualifies leads by phone and books meetings for the salespeople.
    Telemarketer,
}

struct TeamDef {
    name: &'static str,
    /// Python-literal domain, written in the three styles real databases contain.
    assignment_domain: Option<&'static str>,
    use_leads: bool,
    invoiced_target: f64,
    color: i64,
}

const TEAMS: [TeamDef; 4] = [
    TeamDef {
        name: "Vietnam",
        // Odoo 17's domain editor writes double quotes.
        assignment_domain: Some(r#"[("country_id.code", "=", "VN")]"#),
        use_leads: true,
        invoiced_target: 180_000.0,
        color: 1,
    },
    TeamDef {
        name: "Greater China",
        assignment_domain: Some(
            "['|', ('country_id.code', '=', 'CN'), ('country_id.code', '=', 'SG')]",
        ),
        use_leads: true,
        invoiced_target: 220_000.0,
        color: 2,
    },
    TeamDef {
        name: "Europe & CIS",
        assignment_domain: Some("[('country_id.code', 'in', ['RU', 'GB', 'FR', 'DE'])]"),
        use_leads: true,
        invoiced_target: 160_000.0,
        color: 3,
    },
    TeamDef {
        name: "Americas & Pacific",
        assignment_domain: None,
        use_leads: false,
        invoiced_target: 200_000.0,
        color: 4,
    },
];

/// The team a lead from this country belongs to (index into the teams).
pub(crate) fn team_for_country(code: Option<&str>) -> usize {
    match code {
        Some("VN") => 0,
        Some("CN" | "SG") => 1,
        Some("RU" | "GB" | "FR") => 2,
        _ => 3,
    }
}

struct Person {
    name: &'static str,
    login: &'static str,
    tz: &'static str,
    /// Hours east of UTC, for scheduling meetings in office hours.
    utc_offset: i64,
    /// `None` for telemarketers.
    team: Option<usize>,
    assignment_max: i64,
    assignment_domain: Option<&'static str>,
    optout: bool,
}

const fn sp(
    name: &'static str,
    login: &'static str,
    tz: &'static str,
    utc_offset: i64,
    team: usize,
    assignment_max: i64,
) -> Person {
    Person {
        name,
        login,
        tz,
        utc_offset,
        team: Some(team),
        assignment_max,
        assignment_domain: None,
        optout: false,
    }
}

const fn tm(name: &'static str, login: &'static str, tz: &'static str, utc_offset: i64) -> Person {
    Person {
        name,
        login,
        tz,
        utc_offset,
        team: None,
        assignment_max: 0,
        assignment_domain: None,
        optout: false,
    }
}

const fn with_domain(mut p: Person, domain: &'static str) -> Person {
    p.assignment_domain = Some(domain);
    p
}

const fn opted_out(mut p: Person) -> Person {
    p.optout = true;
    p
}

const HCM: &str = "Asia/Ho_Chi_Minh";
const SHA: &str = "Asia/Shanghai";
const MSK: &str = "Europe/Moscow";
const NYC: &str = "America/New_York";

const PEOPLE: [Person; 28] = [
    with_domain(
        sp("Nguyễn Văn An", "an.nguyen", HCM, 7, 0, 40),
        "[('priority', 'in', ['2', '3'])]",
    ),
    sp("Trần Thị Bích", "bich.tran", HCM, 7, 0, 30),
    sp("Lê Minh Cường", "cuong.le", HCM, 7, 0, 25),
    sp("Phạm Thu Hà", "ha.pham", HCM, 7, 0, 35),
    sp("Hoàng Đức Dũng", "dung.hoang", HCM, 7, 0, 20),
    sp("Vũ Ngọc Lan", "lan.vu", HCM, 7, 0, 30),
    sp("王伟", "wei.wang", SHA, 8, 1, 45),
    with_domain(
        sp("李娜", "na.li", SHA, 8, 1, 30),
        "[('type', '=', 'opportunity')]",
    ),
    sp("张敏", "min.zhang", SHA, 8, 1, 30),
    sp("刘洋", "yang.liu", SHA, 8, 1, 25),
    sp("陈静", "jing.chen", SHA, 8, 1, 35),
    sp("林志强", "zhiqiang.lin", "Asia/Singapore", 8, 1, 20),
    with_domain(
        sp("Иван Петров", "ivan.petrov", MSK, 3, 2, 40),
        "[('country_id.code', '=', 'RU')]",
    ),
    sp("Анна Смирнова", "anna.smirnova", MSK, 3, 2, 30),
    sp("Дмитрий Кузнецов", "dmitry.kuznetsov", MSK, 3, 2, 25),
    with_domain(
        sp(
            "Oliver Bennett",
            "oliver.bennett",
            "Europe/London",
            0,
            2,
            35,
        ),
        "[('country_id.code', '=', 'GB')]",
    ),
    with_domain(
        sp("Camille Dubois", "camille.dubois", "Europe/Paris", 1, 2, 20),
        "[('country_id.code', '=', 'FR')]",
    ),
    sp(
        "Charlotte Hughes",
        "charlotte.hughes",
        "Europe/London",
        0,
        2,
        30,
    ),
    sp("James Carter", "james.carter", NYC, -5, 3, 50),
    with_domain(
        sp("Emily Johnson", "emily.johnson", NYC, -5, 3, 40),
        "[('expected_revenue', '>=', 20000)]",
    ),
    sp("Michael O'Brien", "michael.obrien", NYC, -5, 3, 30),
    opted_out(sp("Sarah Williams", "sarah.williams", NYC, -5, 3, 30)),
    sp("David Nguyen", "david.nguyen", NYC, -5, 3, 25),
    sp("Jessica Lee", "jessica.lee", "Australia/Sydney", 10, 3, 30),
    tm("Đặng Thủy Tiên", "tien.dang", HCM, 7),
    tm("黄丽", "li.huang", SHA, 8),
    tm("Екатерина Волкова", "ekaterina.volkova", MSK, 3),
    tm("Ryan Mitchell", "ryan.mitchell", NYC, -5),
];

/// A created user, as the later stages need it.
#[derive(Clone, Debug)]
pub struct Member {
    pub uid: i64,
    pub partner_id: i64,
    pub role: Role,
    pub team: Option<usize>,
    pub utc_offset: i64,
    /// Relative sales performance (1–5): how often this user wins deals and invoices.
    pub weight: u32,
}

/// The created organisation.
#[derive(Clone, Debug)]
pub(crate) struct Staff {
    pub members: Vec<Member>,
    /// Team ids, in `TEAMS` order.
    pub team_ids: Vec<i64>,
}

impl Staff {
    pub(crate) fn salespeople(&self) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(|m| m.role == Role::Salesperson)
    }

    pub(crate) fn telemarketers(&self) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(|m| m.role == Role::Telemarketer)
    }

    pub(crate) fn team_members(&self, team: usize) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(move |m| m.team == Some(team))
    }

    pub(crate) fn by_uid(&self, uid: i64) -> Option<&Member> {
        self.members.iter().find(|m| m.uid == uid)
    }
}

/// Refuses to run twice on the same store: logins are unique in Odoo.
pub(crate) fn check_not_loaded(store: &dyn crate::record::RecordStore) -> Result<(), DemoError> {
    for p in &PEOPLE {
        if !store
            .search_eq("res.users", "login", &Value::Str(p.login.to_owned()))
            .is_empty()
        {
            return Err(DemoError::AlreadyLoaded {
                login: p.login.to_owned(),
            });
        }
    }
    Ok(())
}

/// One planned karma change of a user.
struct Tracking {
    old: i64,
    new: i64,
    at: i64,
}

/// Most users start with a short karma history so ranks and leaderboards are not all zero.
fn karma_history(rng: &mut StdRng, now: i64) -> Vec<Tracking> {
    if !rng.random_bool(0.75) {
        return Vec::new();
    }
    let n = rng.random_range(1..=4);
    let mut at = now - rng.random_range(60..90) * DAY;
    let mut value = 0;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let gain = rng.random_range(1..=30) * 25;
        out.push(Tracking {
            old: value,
            new: value + gain,
            at,
        });
        value += gain;
        at += rng.random_range(5..20) * DAY + rng.random_range(0..24) * HOUR;
    }
    out
}

/// One person of the staff: their partner, user (password = login), karma history and the
/// draw weight they get leads with.
fn create_user(out: &mut Out, refs: &Refs, rng: &mut StdRng, now: i64, p: &Person) -> Member {
    let email = format!("{}@yourcompany.example.com", p.login);
    let mut partner = Rec::with_capacity(8);
    partner
        .set("name", p.name)
        .set("complete_name", p.name)
        .set("email", email.as_str())
        .set("email_normalized", email)
        .set("tz", p.tz)
        .set("lang", "en_US")
        .set("active", true)
        .m2o("company_id", refs.company);
    let partner_id = out.create("res.partner", partner);

    let history = karma_history(rng, now);
    let karma = history.last().map_or(0, |t| t.new);
    let (rank, next_rank) = refs.rank_for(karma);
    let mut user = Rec::with_capacity(12);
    user.set("login", p.login)
        .set("name", p.name)
        .set("active", true)
        .set("notification_type", "email")
        .m2o("partner_id", partner_id)
        .m2o("company_id", refs.company)
        .ids("company_ids", vec![refs.company])
        .ids(
            refs.user_groups_field,
            vec![refs.group_user, refs.group_salesman],
        )
        .set("karma", karma)
        .m2o_opt("rank_id", rank)
        .m2o_opt("next_rank_id", next_rank);
    let uid = out.create("res.users", user);
    // Documented demo credentials: the password is the login.
    out.set_password(uid, p.login);

    for t in &history {
        let mut r = Rec::with_capacity(8);
        r.m2o("user_id", uid)
            .set("old_value", t.old)
            .set("new_value", t.new)
            .set("reason", "Add Manually")
            .set("origin_ref", format!("res.users,{}", refs.admin_uid))
            .set("origin_ref_model_name", "res.users")
            .set("tracking_date", clock::datetime(t.at))
            .set("create_date", clock::datetime(t.at));
        out.create("gamification.karma.tracking", r);
    }

    Member {
        uid,
        partner_id,
        role: if p.team.is_some() {
            Role::Salesperson
        } else {
            Role::Telemarketer
        },
        team: p.team,
        utc_offset: p.utc_offset,
        weight: rng.random_range(1..=5),
    }
}

/// The sales teams, each led by its first member listed; returns their ids in `TEAMS` order.
fn create_teams(
    out: &mut Out,
    refs: &Refs,
    members: &[Member],
    summary: &mut DatasetSummary,
) -> Vec<i64> {
    let mut team_ids = Vec::with_capacity(TEAMS.len());
    for (i, t) in TEAMS.iter().enumerate() {
        // The first member listed is the team leader.
        let leader = PEOPLE
            .iter()
            .zip(members)
            .find(|(p, _)| p.team == Some(i))
            .map(|(_, m)| m.uid);
        let mut r = Rec::with_capacity(10);
        r.set("name", t.name)
            .set("active", true)
            .set("use_leads", t.use_leads)
            .set("use_opportunities", true)
            .set("assignment_optout", false)
            .opt("assignment_domain", t.assignment_domain)
            .set("invoiced_target", t.invoiced_target)
            .set("color", t.color)
            .set("sequence", 20 + i as i64)
            .m2o("company_id", refs.company)
            .m2o_opt("user_id", leader);
        let id = out.create("crm.team", r);
        team_ids.push(id);
        summary.teams.push((t.name.to_owned(), id));
    }
    team_ids
}

/// Each salesperson's `crm.team.member` row with their assignment settings.
fn create_team_members(out: &mut Out, members: &[Member], team_ids: &[i64]) {
    for (p, m) in PEOPLE.iter().zip(members) {
        let Some(team) = p.team else { continue };
        let mut r = Rec::with_capacity(6);
        r.m2o("crm_team_id", team_ids[team])
            .m2o("user_id", m.uid)
            .set("active", true)
            .set("assignment_max", p.assignment_max)
            .set("assignment_optout", p.optout)
            .opt("assignment_domain", p.assignment_domain);
        out.create("crm.team.member", r);
    }
}

pub(crate) fn create(
    out: &mut Out,
    refs: &Refs,
    spec: &DatasetSpec,
    summary: &mut DatasetSummary,
) -> Staff {
    let mut rng = StdRng::seed_from_u64(spec.seed ^ 0x5747_4146_4600_0001);
    let now = clock::midnight(spec.today);
    let mut members = Vec::with_capacity(PEOPLE.len());
    for p in &PEOPLE {
        let member = create_user(out, refs, &mut rng, now, p);
        summary.users.push(DemoUser {
            uid: member.uid,
            partner_id: member.partner_id,
            login: p.login.to_owned(),
            password: p.login.to_owned(),
            name: p.name.to_owned(),
            role: member.role,
            team: p.team.map(|t| TEAMS[t].name.to_owned()),
        });
        members.push(member);
    }
    let team_ids = create_teams(out, refs, &members, summary);
    create_team_members(out, &members, &team_ids);
    Staff { members, team_ids }
}
