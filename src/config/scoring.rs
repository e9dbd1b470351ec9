//! The `[scoring]` section: the score field, the scope, the rules (domains parsed and their
//! fields recorded for `check`), cap groups, decay and bands, validated into
//! [`crate::scoring::Scoring`] plus what the job needs to read and push down.

use std::ops::Range;

use toml::Spanned;

use super::context::Ctx;
use super::fields::{FieldRef, Location};
use super::raw::{RawBand, RawCap, RawRule, RawScoring};
use crate::domain::Domain;
use crate::scoring::{Band, Cap, Decay, Rule, Scoring};

/// The model scoring works on.
pub(crate) const LEAD_MODEL: &str = "crm.lead";

/// Validated scoring settings.
#[derive(Clone, Debug)]
pub struct ScoringConfig {
    /// A crontab line (5 or 6 fields, or `@hourly` and friends), checked here with the
    /// scheduler's own parser.
    pub schedule: Option<String>,
    /// A full pass (every lead, rule domains pushed down) at least this often; incremental
    /// passes in between. 0 = every run is a full pass.
    pub full_pass_hours: u64,
    /// The integer `x_` field the score is written to.
    pub score_field: String,
    /// Where the score field was named (for `check`'s type diagnostic).
    pub score_field_ref: FieldRef,
    /// Whether `setup` may create the score field.
    pub create_score_field: bool,
    /// Which leads are scored (Odoo's default `active_test` applies on top).
    pub scope: Domain,
    /// One domain per rule of `model.rules`, same order.
    pub rule_domains: Vec<Domain>,
    pub model: Scoring,
    /// At most this many rule searches in flight at once during a full pass.
    pub max_concurrency: usize,
    /// The incremental pass re-reads leads written up to this many seconds before the cursor.
    pub overlap_secs: u64,
}

pub(super) fn validate(
    raw: Option<Spanned<RawScoring>>,
    ctx: &mut Ctx<'_>,
) -> Option<ScoringConfig> {
    let raw = raw?.into_inner();
    let mut ok = true;
    let schedule = schedule(raw.schedule, ctx, &mut ok);
    let score_field_ref = score_field(&raw.score_field, ctx, &mut ok);
    let scope = match &raw.scope {
        Some(s) => domain(ctx, s, "scoring.scope", LEAD_MODEL),
        None => Some(Domain::true_()),
    };
    ok &= scope.is_some();
    let caps = caps(raw.caps, ctx, &mut ok);
    let (rules, rule_domains) = rules(raw.rules, &caps, ctx, &mut ok);
    let bands = bands(raw.bands, ctx, &mut ok);
    let max_concurrency = max_concurrency(raw.max_concurrency, ctx, &mut ok);
    if !ok {
        return None;
    }
    Some(ScoringConfig {
        schedule,
        full_pass_hours: raw.full_pass_hours.map_or(24, Spanned::into_inner),
        score_field: raw.score_field.into_inner(),
        score_field_ref,
        create_score_field: raw.create_score_field.is_some_and(|b| *b.get_ref()),
        scope: scope?,
        rule_domains,
        model: Scoring { rules, caps, bands },
        max_concurrency,
        overlap_secs: raw.overlap_secs.map_or(300, Spanned::into_inner),
    })
}

/// `scoring.schedule`, checked with the daemon's own parser.
fn schedule(raw: Option<Spanned<String>>, ctx: &mut Ctx<'_>, ok: &mut bool) -> Option<String> {
    raw.map(|s| {
        // The daemon's own parser (the zone comes from [daemon]; the syntax does not depend
        // on it), so `check`, `run` and `daemon` accept exactly the same lines.
        if let Err(why) = check_cron(s.get_ref()) {
            ctx.error(
                s.span(),
                "scoring.schedule",
                why,
                Some("a crontab line such as \"*/10 * * * *\" or \"@hourly\"".into()),
            );
            *ok = false;
        }
        s.into_inner().trim().to_owned()
    })
}

/// `scoring.score_field`: a custom field name, and where it was written (for `check`).
fn score_field(score_field: &Spanned<String>, ctx: &mut Ctx<'_>, ok: &mut bool) -> FieldRef {
    let name = score_field.get_ref().clone();
    if !valid_custom_name(&name) {
        ctx.error(
            score_field.span(),
            "scoring.score_field",
            format!("'{name}' is not a custom field name"),
            Some("Odoo custom fields start with `x_` and use letters, digits and `_` (at most 63 characters)".into()),
        );
        *ok = false;
    }
    // Not recorded with `names_field`: `check` verifies it separately (it may be missing until
    // `setup` creates it, and it must be an integer field).
    let (line, column) = ctx.map().line_col(score_field.span().start);
    FieldRef {
        model: LEAD_MODEL.into(),
        path: name,
        key: "scoring.score_field".into(),
        at: Location {
            file: ctx.map().file().to_path_buf(),
            line,
            column,
        },
    }
}

/// `[[scoring.caps]]`: each needs a bound, and `min` not above `max`.
fn caps(raw: Vec<Spanned<RawCap>>, ctx: &mut Ctx<'_>, ok: &mut bool) -> Vec<Cap> {
    let mut caps = Vec::new();
    for (i, cap) in raw.into_iter().enumerate() {
        let key = format!("scoring.caps[{i}]");
        let span = cap.span();
        let cap = cap.into_inner();
        let (min, max) = (
            cap.min.map(Spanned::into_inner),
            cap.max.map(Spanned::into_inner),
        );
        if min.is_none() && max.is_none() {
            ctx.error(span, key, "a cap needs `min`, `max` or both", None);
            *ok = false;
        } else if let (Some(lo), Some(hi)) = (min, max)
            && lo > hi
        {
            ctx.error(span, key, format!("min {lo} is above max {hi}"), None);
            *ok = false;
        }
        caps.push(Cap {
            name: cap.name.into_inner(),
            min,
            max,
        });
    }
    caps
}

/// `[[scoring.rules]]`: the rules, and their domains in the same order.
fn rules(
    raw: Vec<Spanned<RawRule>>,
    caps: &[Cap],
    ctx: &mut Ctx<'_>,
    ok: &mut bool,
) -> (Vec<Rule>, Vec<Domain>) {
    let mut rules = Vec::new();
    let mut rule_domains = Vec::new();
    for (i, rule) in raw.into_iter().enumerate() {
        let rule = rule.into_inner();
        let key = format!("scoring.rules[{i}]");
        let d = domain(ctx, &rule.domain, &format!("{key}.domain"), LEAD_MODEL);
        let cap = match &rule.cap {
            None => None,
            Some(name) => match caps.iter().position(|c| &c.name == name.get_ref()) {
                Some(i) => Some(i),
                None => {
                    let known: Vec<&str> = caps.iter().map(|c| c.name.as_str()).collect();
                    ctx.error(
                        name.span(),
                        format!("{key}.cap"),
                        format!("no cap group named '{}'", name.get_ref()),
                        Some(if known.is_empty() {
                            "declare it with [[scoring.caps]] name = ...".into()
                        } else {
                            format!("known groups: {}", known.join(", "))
                        }),
                    );
                    *ok = false;
                    None
                }
            },
        };
        let decay = rule.decay.map(|d| {
            let d = d.into_inner();
            ctx.names_field(
                LEAD_MODEL,
                d.field.get_ref(),
                format!("{key}.decay.field"),
                d.field.span(),
            );
            let half = *d.half_life_days.get_ref();
            if !(half.is_finite() && half > 0.0) {
                ctx.error(
                    d.half_life_days.span(),
                    format!("{key}.decay.half_life_days"),
                    "must be a positive number of days",
                    None,
                );
                *ok = false;
            }
            Decay {
                field: d.field.into_inner(),
                half_life_days: half,
            }
        });
        match d {
            Some(d) => rule_domains.push(d),
            None => *ok = false,
        }
        rules.push(Rule {
            name: rule.name.into_inner(),
            points: rule.points.into_inner(),
            cap,
            decay,
        });
    }
    (rules, rule_domains)
}

/// `[[scoring.bands]]`, highest minimum score first.
fn bands(raw: Vec<Spanned<RawBand>>, ctx: &mut Ctx<'_>, ok: &mut bool) -> Vec<Band> {
    let mut bands = Vec::new();
    for (i, band) in raw.into_iter().enumerate() {
        let band = band.into_inner();
        if let Some(p) = &band.priority
            && !["0", "1", "2", "3"].contains(&p.get_ref().as_str())
        {
            ctx.error(
                p.span(),
                format!("scoring.bands[{i}].priority"),
                format!("'{}' is not a crm.lead priority", p.get_ref()),
                Some("one of \"0\" (low), \"1\", \"2\", \"3\" (very high)".into()),
            );
            *ok = false;
        }
        if let Some(tag) = &band.tag {
            ctx.names_record(
                "crm.tag",
                super::RecordRef::Name(tag.get_ref().clone()),
                format!("scoring.bands[{i}].tag"),
                tag.span(),
                Some("`scorekeeper setup` creates the band tags".into()),
            );
        }
        bands.push(Band {
            name: band.name.into_inner(),
            min_score: band.min_score.into_inner(),
            priority: band.priority.map(Spanned::into_inner),
            tag: band.tag.map(Spanned::into_inner),
        });
    }
    bands.sort_by_key(|b| std::cmp::Reverse(b.min_score));
    if bands.iter().any(|b| b.priority.is_some()) {
        ctx.names_field(LEAD_MODEL, "priority", "scoring.bands", 0..0);
    }
    bands
}

/// `scoring.max_concurrency`: 1 to 16, 2 by default.
fn max_concurrency(raw: Option<Spanned<u64>>, ctx: &mut Ctx<'_>, ok: &mut bool) -> usize {
    match raw {
        Some(n) if *n.get_ref() == 0 || *n.get_ref() > 16 => {
            ctx.error(
                n.span(),
                "scoring.max_concurrency",
                "must be between 1 and 16",
                None,
            );
            *ok = false;
            2
        }
        Some(n) => n.into_inner() as usize,
        None => 2,
    }
}

/// Parses a Python-literal domain, reporting a parse error at its position in the file and
/// recording every field path it reads for `check`.
pub(super) fn domain(
    ctx: &mut Ctx<'_>,
    text: &Spanned<String>,
    key: &str,
    model: &str,
) -> Option<Domain> {
    match Domain::parse(text.get_ref()) {
        Ok(d) => ctx.names_domain(model, &d, key, text.span()).then_some(d),
        Err(e) => {
            let span = text.span();
            let at: Range<usize> = match &e.position {
                // +1 for the opening quote (exact for strings without escapes).
                Some(p) => {
                    let start = (span.start + 1 + p.offset).min(span.end.saturating_sub(1));
                    start..start
                }
                None => span,
            };
            ctx.error(
                at,
                key,
                format!("unparsable domain: {e}"),
                Some(
                    "write the domain as Odoo shows it, e.g. \"[('country_id.code', '=', 'VN')]\""
                        .into(),
                ),
            );
            None
        }
    }
}

/// Whether `name` can be an Odoo custom field (`x_`, letters/digits/underscore, ≤ 63).
fn valid_custom_name(name: &str) -> bool {
    name.starts_with("x_")
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Checks a crontab line with the scheduler's own parser (5 or 6 fields, `@hourly` and
/// friends), so what loads is what the daemon can schedule.
fn check_cron(line: &str) -> Result<(), String> {
    crate::cron::Schedule::parse(line, "UTC")
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::load_str;

    const HEAD: &str = "[odoo]\nurl = \"http://127.0.0.1:8069\"\ndatabase = \"d\"\nlogin = \"a\"\npassword_env = \"P\"\n";

    fn load(body: &str) -> Result<crate::config::Config, Vec<String>> {
        let text = format!("{HEAD}{body}");
        load_str(Path::new("t.toml"), &text, &|_| Some("x".into()))
            .map_err(|e| e.diagnostics().iter().map(|d| d.to_string()).collect())
    }

    #[test]
    fn a_valid_section_becomes_the_scoring_model() {
        let cfg = load(
            "[scoring]\nscore_field = \"x_lead_score\"\nscope = \"[('type', '=', 'lead')]\"\n\
             [[scoring.rules]]\nname = \"vn\"\ndomain = \"[('country_id.code', '=', 'VN')]\"\npoints = 10\ncap = \"c\"\n\
             [[scoring.rules]]\nname = \"fresh\"\ndomain = \"[]\"\npoints = 30\ndecay = { field = \"create_date\", half_life_days = 7 }\n\
             [[scoring.caps]]\nname = \"c\"\nmax = 5\n\
             [[scoring.bands]]\nname = \"Warm\"\nmin_score = 10\n\
             [[scoring.bands]]\nname = \"Hot\"\nmin_score = 40\npriority = \"3\"\n",
        )
        .unwrap();
        let s = cfg.scoring.unwrap();
        assert_eq!(s.model.rules.len(), 2);
        assert_eq!(s.model.rules[0].cap, Some(0));
        assert_eq!(
            s.model.bands[0].name, "Hot",
            "bands sorted by minimum, highest first"
        );
        assert_eq!(
            (s.max_concurrency, s.full_pass_hours, s.overlap_secs),
            (2, 24, 300)
        );
        let paths: Vec<(&str, &str)> = cfg
            .field_refs
            .iter()
            .map(|r| (r.path.as_str(), r.key.as_str()))
            .collect();
        assert!(
            paths.contains(&("country_id.code", "scoring.rules[0].domain")),
            "{paths:?}"
        );
        assert!(
            paths.contains(&("create_date", "scoring.rules[1].decay.field")),
            "{paths:?}"
        );
        assert!(paths.contains(&("type", "scoring.scope")), "{paths:?}");
    }

    #[test]
    fn mistakes_are_located() {
        let errs = load(
            "[scoring]\nscore_field = \"lead_score\"\nschedule = \"every minute\"\n\
             [[scoring.rules]]\nname = \"vn\"\ndomain = \"[('country_id.code', '=', 'VN')\"\npoints = 10\ncap = \"nope\"\n\
             [[scoring.bands]]\nname = \"Hot\"\nmin_score = 40\npriority = \"4\"\n",
        )
        .unwrap_err();
        let all = errs.join("\n");
        assert!(
            all.contains(
                "t.toml:7:15 scoring.score_field: 'lead_score' is not a custom field name"
            ),
            "{all}"
        );
        assert!(all.contains("t.toml:8:12 scoring.schedule:"), "{all}");
        assert!(
            all.contains("scoring.rules[0].domain: unparsable domain"),
            "{all}"
        );
        assert!(
            all.contains("t.toml:11:42 scoring.rules[0].domain: unparsable domain: missing `]`"),
            "{all}"
        );
        assert!(
            all.contains("scoring.rules[0].cap: no cap group named 'nope'"),
            "{all}"
        );
        assert!(
            all.contains("scoring.bands[0].priority: '4' is not a crm.lead priority"),
            "{all}"
        );
    }

    #[test]
    fn schedules_and_operators_are_checked_at_load() {
        let base = "[scoring]\nscore_field = \"x_s\"\n";
        for ok in ["@hourly", "@daily", "*/10 * * * *", "0 0 7 * * MON-FRI"] {
            load(&format!("{base}schedule = \"{ok}\"\n")).unwrap();
        }
        let errs = load(&format!("{base}schedule = \"61 * * * *\"\n"))
            .unwrap_err()
            .join("\n");
        assert!(
            errs.contains(
                "t.toml:8:12 scoring.schedule: schedule \"61 * * * *\" is not a valid crontab line"
            ),
            "{errs}"
        );
        let errs = load(&format!(
            "{base}[[scoring.rules]]\nname = \"r\"\ndomain = \"['|', ('a', '~=', 1), ('b', 'IN', [1])]\"\npoints = 1\n"
        ))
        .unwrap_err()
        .join("\n");
        assert!(
            errs.contains("scoring.rules[0].domain: unknown domain operator '~=', 'IN'"),
            "{errs}"
        );
    }

    #[test]
    fn assignment_section() {
        let cfg = load(
            "[scoring]\nscore_field = \"x_s\"\n[assignment]\nstrategy = \"round_robin\"\nwork_days = 2\n\
             [[assignment.teams]]\nteam = \"Vietnam\"\nmin_score = 30\n\
             [[assignment.teams]]\nteam = 7\ndomain = \"[('country_id.code', '=', 'CN')]\"\n\
             [[assignment.members]]\nuser = \"An\"\nmax = 5\noptout = true\n",
        )
        .unwrap();
        let a = cfg.assignment.unwrap();
        assert_eq!(a.strategy, crate::assignment::Strategy::RoundRobin);
        assert_eq!(a.teams[1].team, crate::config::RecordRef::Id(7));
        assert_eq!(a.teams[1].order, 1);
        assert_eq!(a.members[0].max, Some(5));
        let errs = load("[scoring]\nscore_field = \"x_s\"\n[assignment]\nstrategy = \"random\"\nwork_days = 40\n")
            .unwrap_err()
            .join("\n");
        assert!(
            errs.contains("assignment.strategy: unknown strategy 'random'"),
            "{errs}"
        );
        assert!(
            errs.contains("assignment.work_days: 40 is outside 0.2..30"),
            "{errs}"
        );
        assert!(errs.contains("assignment.teams: no team"), "{errs}");
        let errs = load(
            "[scoring]\nscore_field = \"x_s\"\n[assignment]\n\
             [[assignment.teams]]\nteam = \"Vietnam\"\ndomain = \"[('country_id.code', '=', \"\n\
             [[assignment.members]]\nuser = \"An\"\ndomain = \"[('a', '=', 1)\"\n",
        )
        .unwrap_err()
        .join("\n");
        assert!(errs.contains("assignment.teams[0].domain"), "{errs}");
        assert!(errs.contains("assignment.members[0].domain"), "{errs}");
    }

    #[test]
    fn work_days_follow_the_scoring_schedule_unless_set() {
        let work_days = |scoring_extra: &str, assignment_extra: &str| {
            load(&format!(
                "[scoring]\nscore_field = \"x_s\"\n{scoring_extra}[assignment]\n{assignment_extra}\
                 [[assignment.teams]]\nteam = \"Vietnam\"\n"
            ))
            .unwrap()
            .assignment
            .unwrap()
            .work_days
        };
        // As Odoo derives it from its cron: every 10 minutes → the 0.2 floor, daily → 1,
        // weekly → 7, monthly → the 30 ceiling; no schedule → 1.
        assert_eq!(work_days("schedule = \"*/10 * * * *\"\n", ""), 0.2);
        assert_eq!(work_days("schedule = \"0 7 * * *\"\n", ""), 1.0);
        assert_eq!(work_days("schedule = \"0 7 * * 1\"\n", ""), 7.0);
        assert_eq!(work_days("schedule = \"0 7 * * 1-5\"\n", ""), 1.4);
        assert_eq!(work_days("schedule = \"0 7 1 * *\"\n", ""), 30.0);
        assert_eq!(work_days("", ""), 1.0);
        assert_eq!(
            work_days("schedule = \"0 7 * * *\"\n", "work_days = 2\n"),
            2.0
        );
    }
}
