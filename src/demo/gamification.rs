//! The demo's gamification: three badges, a goal definition counting booked meetings, and the
//! "Appointment Setting" challenge for the telemarketers. The snapshot's "Monthly Sales Targets"
//! (in progress) and "Lead Acquisition" (draft) are reused as they are: they pick their
//! participants through `user_domain` (the salesman group every demo user belongs to).

use chrono::Duration;

use crate::record::Value;

use super::clock;
use super::emit::{Out, Rec};
use super::refs::Refs;
use super::staff::Staff;
use super::{DatasetSpec, DatasetSummary, DemoChallenge};

pub(crate) const APPOINTMENT_CHALLENGE: &str = "Appointment Setting";
pub(crate) const APPOINTMENT_DEFINITION: &str = "Appointments Booked";
/// Meetings a telemarketer is expected to book per month.
pub(crate) const APPOINTMENT_TARGET: f64 = 20.0;
/// gamification_sale_crm's challenges: (name, [(definition name, target)]), as its data file
/// defines them. Normally in the snapshot; recreated only when a store lacks them.
const SNAPSHOT_CHALLENGES: [(&str, &[(&str, f64)]); 2] = [
    ("Monthly Sales Targets", &[("Total Invoiced", 20_000.0)]),
    (
        "Lead Acquisition",
        &[
            ("New Leads", 7.0),
            ("Time to Qualify a Lead", 15.0),
            ("New Opportunities", 5.0),
        ],
    ),
];

/// Creates a stand-in for a gamification_sale_crm challenge missing from the store: draft,
/// monthly, ranking, participants from the salesman group, lines for the definitions found.
fn recreate_sales_challenge(
    out: &mut Out,
    refs: &Refs,
    spec: &DatasetSpec,
    name: &str,
    lines: &[(&str, f64)],
) -> i64 {
    let mut ch = Rec::with_capacity(12);
    ch.set("name", name)
        .set("state", "draft")
        .set("period", "monthly")
        .set("visibility_mode", "ranking")
        .set("report_message_frequency", "weekly")
        .set("challenge_category", "hr")
        .set("reward_realtime", true)
        .set(
            "user_domain",
            format!(
                "[('{}', 'in', [{}])]",
                refs.member_groups_field, refs.group_salesman
            ),
        )
        .m2o("manager_id", refs.admin_uid)
        .m2o_opt("report_template_id", refs.report_template)
        .set("last_report_date", clock::date(spec.today));
    let challenge = out.create("gamification.challenge", ch);
    for (seq, (definition, target)) in lines.iter().enumerate() {
        let Some(&def) = out
            .search_eq(
                "gamification.goal.definition",
                "name",
                &Value::Str((*definition).to_owned()),
            )
            .first()
        else {
            continue;
        };
        let mut line = Rec::with_capacity(4);
        line.m2o("challenge_id", challenge)
            .m2o("definition_id", def)
            .set("sequence", seq as i64 + 1)
            .set("target_goal", *target);
        out.create("gamification.challenge.line", line);
    }
    challenge
}

fn badge(out: &mut Out, name: &str, level: &str, rule_auth: &str, managers: Vec<i64>) -> i64 {
    let mut r = Rec::with_capacity(6);
    r.set("name", name)
        .set("level", level)
        .set("active", true)
        .set("rule_auth", rule_auth)
        .set("rule_max", false);
    if !managers.is_empty() {
        r.ids("rule_auth_user_ids", managers);
    }
    out.create("gamification.badge", r)
}

/// The appointment-count goal definition: batch mode on the event's organiser and start
/// date when the snapshot names those fields, else a per-user domain.
fn create_appointment_definition(out: &mut Out, refs: &Refs) -> i64 {
    let mut def = Rec::with_capacity(14);
    def.set("name", APPOINTMENT_DEFINITION)
        .set(
            "description",
            "Meetings organised in the period (by start date), cancelled ones excluded",
        )
        .set("computation_mode", "count")
        .set("display_mode", "progress")
        .set("condition", "higher")
        .set("suffix", "meetings")
        .set("monetary", false)
        .m2o_opt("model_id", refs.model_event);
    match (refs.field_event_user, refs.field_event_start) {
        (Some(user_field), Some(start_field)) => {
            def.set("domain", "[]")
                .set("batch_mode", true)
                .m2o("batch_distinctive_field", user_field)
                .set("batch_user_expression", "user.id")
                .m2o("field_date_id", start_field);
        }
        // Without ir.model.fields ids the definition cannot name its fields: fall back to a
        // per-user domain (Odoo's non-batch mode), counting every meeting of the organiser.
        _ => {
            def.set("domain", "[('user_id', '=', user.id)]")
                .set("batch_mode", false);
        }
    }
    out.create("gamification.goal.definition", def)
}

/// The badges the appointment challenge rewards with.
struct Rewards {
    /// For every participant reaching the target.
    reward: i64,
    /// For the first of the ranking.
    first: i64,
}

/// The telemarketers' monthly appointment challenge and its one line; returns its id.
fn create_appointment_challenge(
    out: &mut Out,
    refs: &Refs,
    spec: &DatasetSpec,
    participants: &[i64],
    rewards: &Rewards,
    definition: i64,
) -> i64 {
    let mut ch = Rec::with_capacity(18);
    ch.set("name", APPOINTMENT_CHALLENGE)
        .set(
            "description",
            "Book qualified meetings for the sales teams: 20 a month each.",
        )
        .set("state", "inprogress")
        .set("period", "monthly")
        .set("visibility_mode", "ranking")
        .set("report_message_frequency", "weekly")
        .set("challenge_category", "hr")
        .set("reward_realtime", true)
        .set("reward_failure", false)
        .m2o("reward_id", rewards.reward)
        .m2o("reward_first_id", rewards.first)
        .m2o("manager_id", refs.admin_uid)
        .m2o_opt("report_template_id", refs.report_template)
        .ids("user_ids", participants.to_vec())
        .set("last_report_date", clock::date(spec.today))
        .set(
            "next_report_date",
            clock::date(spec.today + Duration::days(7)),
        );
    let challenge = out.create("gamification.challenge", ch);

    let mut line = Rec::with_capacity(4);
    line.m2o("challenge_id", challenge)
        .m2o("definition_id", definition)
        .set("sequence", 1_i64)
        .set("target_goal", APPOINTMENT_TARGET);
    out.create("gamification.challenge.line", line);
    challenge
}

/// The snapshot's sales challenges: kept when present, recreated when missing.
fn ensure_sales_challenges(
    out: &mut Out,
    refs: &Refs,
    spec: &DatasetSpec,
    summary: &mut DatasetSummary,
) {
    for (name, lines) in SNAPSHOT_CHALLENGES {
        let found = out
            .search_eq(
                "gamification.challenge",
                "name",
                &Value::Str(name.to_owned()),
            )
            .first()
            .copied();
        let (id, created) = match found {
            Some(id) => (id, false),
            None => (recreate_sales_challenge(out, refs, spec, name, lines), true),
        };
        summary.challenges.push(DemoChallenge {
            id,
            name: name.to_owned(),
            created,
            participants: Vec::new(),
        });
    }
}

pub(crate) fn create(
    out: &mut Out,
    refs: &Refs,
    spec: &DatasetSpec,
    staff: &Staff,
    summary: &mut DatasetSummary,
) {
    // Top Closer is granted by hand (or by the daemon's sales rewards), hence `users`.
    badge(out, "Top Closer", "gold", "users", vec![refs.admin_uid]);
    let first = badge(out, "Appointment Ace", "silver", "nobody", Vec::new());
    let reward = badge(out, "Rising Star", "bronze", "nobody", Vec::new());
    let definition = create_appointment_definition(out, refs);
    let participants: Vec<i64> = staff.telemarketers().map(|m| m.uid).collect();
    let challenge = create_appointment_challenge(
        out,
        refs,
        spec,
        &participants,
        &Rewards { reward, first },
        definition,
    );
    ensure_sales_challenges(out, refs, spec, summary);
    summary.challenges.push(DemoChallenge {
        id: challenge,
        name: APPOINTMENT_CHALLENGE.to_owned(),
        created: true,
        participants,
    });
}
