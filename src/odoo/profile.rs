//! Version profiles: every difference between Odoo versions that changes what scorekeeper
//! reads, writes or computes, as data chosen from the server's `common.version`. Code that
//! depends on the version asks the profile instead of comparing version numbers.
//!
//! Where each entry comes from:
//! - 17 and 19: the recordings (`fixtures/odoo17/`, `fixtures/odoo19/`: `fields_get` of the 29
//!   models, the 103 transcripts, and a real 19 server's cron, see `../shared/odoo19/README.md`);
//! - 18: the recordings of `../shared/odoo18/` (snapshot and transcripts) and Odoo 18's
//!   `crm/models/crm_team_member.py` (`_get_assignment_quota(force_quota)`: daily quota, minus
//!   `lead_day_count`) and `crm_team.py` (`_get_lead_to_assign_domain`: leads created in the
//!   last 7 days for the cron; `_assign_and_convert_leads`: round robin without a preferred
//!   domain);
//! - 16: Odoo 16's source only (no recording): the same fields and the same monthly quota as
//!   17 (`_get_assignment_quota(work_days)` with the compensation term), `tree` list views.

use std::fmt;

use super::version::ServerVersion;
use crate::assignment::{Quota, Rules};

/// The Odoo versions scorekeeper has recordings of (and runs its tests against).
pub const TESTED: std::ops::RangeInclusive<i64> = 17..=19;

/// How grouped aggregates are asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grouping {
    /// `read_group(domain, fields, groupby, lazy=…)`: the only method up to 18.
    ReadGroup,
    /// 19: `read_group` still answers but is deprecated (the server logs a warning);
    /// `formatted_read_group(domain, groupby, aggregates)` is its replacement.
    FormattedReadGroup,
}

/// What differs between Odoo versions, as scorekeeper sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// The major version the profile describes (16..=19).
    pub major: i64,
    /// The server's own major version (`None`: its version answer named none).
    pub server_major: Option<i64>,
    /// `res.users` field holding every group of a user, implied ones included: what a rights
    /// check searches on (`[(field, 'in', [gid])]`). ≤18 `groups_id`; 19 `all_group_ids`
    /// (`group_ids` there holds direct groups only, and `all_group_ids.name` is refused).
    pub user_groups_field: &'static str,
    /// `crm.stage` field naming its team(s): `team_id` (many2one) up to 18, `team_ids`
    /// (many2many) on 19.
    pub stage_team_field: &'static str,
    /// `crm.lead` fields of older versions that this one no longer has (a config naming one
    /// fails `check` with this explanation).
    pub lead_fields_gone: &'static [&'static str],
    /// The lead assignment rules Odoo's own cron follows (quota, creation window, preferred
    /// domain): what routing's `odoo` strategy reproduces.
    pub assignment: Rules,
    pub grouping: Grouping,
    /// `ir.ui.view` type of a list view: `tree` until 17, `list` from 18.
    pub list_view: &'static str,
}

const GONE_18: &[&str] = &["kanban_state"];
const GONE_19: &[&str] = &["kanban_state", "mobile", "mobile_blacklisted", "title"];

impl Profile {
    /// The profile of one major version; versions outside 16..=19 get the nearest one
    /// (their differences are unknown: [`Profile::untested`] says so).
    pub(crate) fn for_major(major: Option<i64>) -> Profile {
        let known = major.unwrap_or(*TESTED.start()).clamp(16, 19);
        let monthly = Rules {
            quota: Quota::Monthly,
            creation_window_days: None,
            preferred_domain: false,
        };
        let daily = Rules {
            quota: Quota::Daily,
            creation_window_days: Some(7),
            preferred_domain: false,
        };
        let mut p = Profile {
            major: known,
            server_major: major,
            user_groups_field: "groups_id",
            stage_team_field: "team_id",
            lead_fields_gone: &[],
            assignment: monthly,
            grouping: Grouping::ReadGroup,
            list_view: "tree",
        };
        if known >= 18 {
            p.lead_fields_gone = GONE_18;
            p.assignment = daily;
            p.list_view = "list";
        }
        if known >= 19 {
            p.user_groups_field = "all_group_ids";
            p.stage_team_field = "team_ids";
            p.lead_fields_gone = GONE_19;
            p.assignment.preferred_domain = true;
            p.grouping = Grouping::FormattedReadGroup;
        }
        p
    }

    pub(crate) fn for_version(v: &ServerVersion) -> Profile {
        Profile::for_major(v.major())
    }

    /// Whether the server runs a version with recordings behind it.
    pub(crate) fn tested(&self) -> bool {
        self.server_major.is_some_and(|m| TESTED.contains(&m))
    }

    /// The warning every command prints for a server outside the tested range: which version,
    /// which profile is used instead, and what is untested.
    pub(crate) fn untested(&self) -> Option<String> {
        if self.tested() {
            return None;
        }
        let server = match self.server_major {
            Some(m) => format!("Odoo {m}"),
            None => "an Odoo of unknown version".to_owned(),
        };
        Some(format!(
            "{server} is outside the tested range (Odoo {}–{}): scorekeeper uses the Odoo {} profile, \
             and these are untested there: the user groups field ({}), the crm.stage team field ({}), \
             the crm.lead fields gone ({}), the lead assignment rules ({}), grouping ({}), list views ({})",
            TESTED.start(),
            TESTED.end(),
            self.major,
            self.user_groups_field,
            self.stage_team_field,
            if self.lead_fields_gone.is_empty() {
                "none".to_owned()
            } else {
                self.lead_fields_gone.join(", ")
            },
            self.assignment,
            match self.grouping {
                Grouping::ReadGroup => "read_group",
                Grouping::FormattedReadGroup => "formatted_read_group",
            },
            self.list_view,
        ))
    }

    /// Why `field` of `model` is missing on this version, if it is one the profile knows was
    /// removed (a hint for `check`).
    pub(crate) fn gone_hint(&self, model: &str, field: &str) -> Option<String> {
        let gone = match model {
            "crm.lead" => self.lead_fields_gone.contains(&field),
            "res.users" => field == "groups_id" && self.user_groups_field != "groups_id",
            "crm.stage" => field == "team_id" && self.stage_team_field != "team_id",
            _ => false,
        };
        if !gone {
            return None;
        }
        let instead = match (model, field) {
            ("res.users", _) => format!(
                "; use {} (direct groups: group_ids)",
                self.user_groups_field
            ),
            ("crm.stage", _) => format!("; use {}", self.stage_team_field),
            ("crm.lead", "mobile") => "; use phone".to_owned(),
            _ => String::new(),
        };
        Some(format!(
            "{model}.{field} no longer exists on Odoo {}{instead}",
            self.major
        ))
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Odoo {}", self.major)?;
        match self.server_major {
            Some(m) if m == self.major => {}
            Some(m) => write!(f, " (server: Odoo {m})")?,
            None => write!(f, " (server version unknown)")?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_known_version_gets_its_own_data() {
        let p17 = Profile::for_major(Some(17));
        assert_eq!(
            (p17.user_groups_field, p17.stage_team_field, p17.list_view),
            ("groups_id", "team_id", "tree")
        );
        assert_eq!(p17.assignment.quota, Quota::Monthly);
        assert_eq!(p17.assignment.creation_window_days, None);
        assert!(p17.tested() && p17.untested().is_none());

        let p18 = Profile::for_major(Some(18));
        assert_eq!(
            (p18.user_groups_field, p18.stage_team_field, p18.list_view),
            ("groups_id", "team_id", "list")
        );
        assert_eq!(p18.assignment.quota, Quota::Daily);
        assert_eq!(p18.assignment.creation_window_days, Some(7));
        assert!(!p18.assignment.preferred_domain);
        assert!(!p18.lead_fields_gone.contains(&"mobile"));

        let p19 = Profile::for_major(Some(19));
        assert_eq!(
            (p19.user_groups_field, p19.stage_team_field, p19.list_view),
            ("all_group_ids", "team_ids", "list")
        );
        assert!(p19.assignment.preferred_domain);
        assert!(p19.lead_fields_gone.contains(&"mobile"));
        assert_eq!(p19.grouping, Grouping::FormattedReadGroup);
        assert!(p19.tested());
        assert_eq!(
            p19.gone_hint("crm.lead", "mobile").as_deref(),
            Some("crm.lead.mobile no longer exists on Odoo 19; use phone")
        );
        assert_eq!(p17.gone_hint("crm.lead", "mobile"), None);
    }

    #[test]
    fn versions_outside_the_range_say_what_is_untested() {
        let p16 = Profile::for_major(Some(16));
        assert_eq!(p16.major, 16);
        let w = p16.untested().unwrap();
        assert!(
            w.starts_with("Odoo 16 is outside the tested range (Odoo 17–19)"),
            "{w}"
        );
        let p20 = Profile::for_major(Some(20));
        assert_eq!(p20.major, 19);
        assert_eq!(p20.to_string(), "Odoo 19 (server: Odoo 20)");
        let w = p20.untested().unwrap();
        assert!(w.contains("Odoo 20 is outside"), "{w}");
        assert!(w.contains("the Odoo 19 profile"), "{w}");
        assert!(w.contains("user groups field (all_group_ids)"), "{w}");
        assert!(w.contains("lead assignment rules (daily quota"), "{w}");
        let p15 = Profile::for_major(Some(15));
        assert_eq!(p15.to_string(), "Odoo 16 (server: Odoo 15)");
        let unknown = Profile::for_major(None);
        assert_eq!(unknown.major, 17);
        assert!(unknown.untested().unwrap().contains("unknown version"));
    }

    /// Each entry of the 17, 18 and 19 profiles against that version's recorded `fields_get`
    /// (`fixtures/odoo<N>/snapshot.json`) and, for list views, the recorded `ir.ui.view.type`
    /// selection (`fixtures/odoo<N>/custom-models/050-fields-get-ir-ui-view.json`).
    #[test]
    fn profiles_agree_with_the_recordings() {
        let root = env!("CARGO_MANIFEST_DIR");
        for major in [17, 18, 19] {
            let text =
                std::fs::read_to_string(format!("{root}/fixtures/odoo{major}/snapshot.json"))
                    .unwrap();
            let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
            let has =
                |model: &str, field: &str| doc["models"][model]["fields"].get(field).is_some();
            let p = Profile::for_major(Some(major));
            assert!(p.tested(), "{major}");
            assert!(has("res.users", p.user_groups_field), "{major}");
            assert_eq!(has("res.users", "groups_id"), major < 19, "{major}");
            assert!(has("crm.stage", p.stage_team_field), "{major}");
            assert!(!has(
                "crm.stage",
                if major < 19 { "team_ids" } else { "team_id" }
            ));
            for gone in p.lead_fields_gone {
                assert!(!has("crm.lead", gone), "{major}: {gone}");
            }
            for kept in ["mobile", "title"] {
                assert_eq!(
                    has("crm.lead", kept),
                    !p.lead_fields_gone.contains(&kept),
                    "{major}: {kept}"
                );
            }
            assert_eq!(
                has("crm.team.member", "lead_day_count"),
                p.assignment.quota == Quota::Daily,
                "{major}"
            );
            assert_eq!(
                has("crm.team.member", "assignment_domain_preferred"),
                p.assignment.preferred_domain,
                "{major}"
            );
            if major != 18 {
                let view = std::fs::read_to_string(format!(
                    "{root}/fixtures/odoo{major}/custom-models/050-fields-get-ir-ui-view.json"
                ))
                .unwrap();
                let other = if p.list_view == "list" {
                    "tree"
                } else {
                    "list"
                };
                assert!(view.contains(&format!("<string>{}</string>", p.list_view)));
                assert!(
                    !view.contains(&format!("<string>{other}</string>")),
                    "{major}"
                );
            }
        }
    }
}
