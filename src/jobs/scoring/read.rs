//! The read step: which lead fields a pass asks Odoo for, and every row Odoo sends turned
//! into a typed [`LeadRead`] through [`crate::odoo::Row`], so a lead without an id or with a
//! score that is not an integer is a [`RowError`] naming `crm.lead.<field>`, never lead 0 or
//! score 0. Also the band tags' ids (`crm.tag`).

use chrono::NaiveDateTime;

use super::{ScoringError, ScoringJob, dedup};
use crate::config::{LEAD_MODEL, ScoringConfig};
use crate::odoo::{Row, RowError, leaf};
use crate::xmlrpc::{Struct, Value as Wire};

/// Which fields of a lead a pass reads besides what the rules need, and so which of them
/// [`LeadShape::read`] expects in a row.
#[derive(Clone, Debug)]
pub(crate) struct LeadShape {
    score_field: String,
    /// The decay rules' date fields.
    decay_fields: Vec<String>,
    /// A band sets `priority`.
    priority: bool,
    /// A band sets a tag (`tag_ids`).
    tags: bool,
    /// `[assignment]` is set: owner, team, probability and creation date are read.
    routing: bool,
}

/// One lead as Odoo holds it, typed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LeadRead {
    pub(crate) id: i64,
    /// The score field as stored: Odoo reads an empty (never scored) one as `0`.
    pub(crate) score: i64,
    pub(crate) priority: Option<String>,
    pub(crate) tags: Vec<i64>,
    pub(crate) user_id: Option<i64>,
    pub(crate) team_id: Option<i64>,
    pub(crate) probability: f64,
    /// As Odoo sent it (the cursor compares these texts).
    pub(crate) write_date: Option<String>,
    pub(crate) created: Option<NaiveDateTime>,
    /// Each decay field's value (`None` when empty).
    pub(crate) dates: Vec<(String, Option<NaiveDateTime>)>,
}

impl LeadRead {
    /// A lead known only by its id and current score (the grouped read of a full pass whose
    /// plan needs nothing else): no write date, priority, tags, owner or team.
    pub(crate) fn scored(id: i64, score: i64) -> LeadRead {
        LeadRead {
            id,
            score,
            priority: None,
            tags: Vec::new(),
            user_id: None,
            team_id: None,
            probability: 0.0,
            write_date: None,
            created: None,
            dates: Vec::new(),
        }
    }

    /// The value of decay field `field` (`None` when empty or not read).
    pub(crate) fn date(&self, field: &str) -> Option<NaiveDateTime> {
        self.dates
            .iter()
            .find(|(f, _)| f == field)
            .and_then(|(_, d)| *d)
    }
}

impl LeadShape {
    /// What a pass of `scoring` reads; `routing` when `[assignment]` is set (whether or not
    /// this pass routes: the fixed-point rescoring reads the same fields).
    pub(crate) fn of(scoring: &ScoringConfig, routing: bool) -> LeadShape {
        let bands = &scoring.model.bands;
        LeadShape {
            score_field: scoring.score_field.clone(),
            decay_fields: scoring
                .model
                .rules
                .iter()
                .filter_map(|r| r.decay.as_ref().map(|d| d.field.clone()))
                .collect(),
            priority: bands.iter().any(|b| b.priority.is_some()),
            tags: bands.iter().any(|b| b.tag.is_some()),
            routing,
        }
    }

    /// Whether a lead's current score is all the plan needs of it (no decay date, no band
    /// priority or tag, no routing field).
    pub(crate) fn score_only(&self) -> bool {
        self.decay_fields.is_empty() && !self.priority && !self.tags && !self.routing
    }

    /// The lead fields a pass reads besides what rules need.
    pub(crate) fn base_fields(&self) -> Vec<String> {
        let mut f = vec![
            "id".to_owned(),
            "write_date".to_owned(),
            self.score_field.clone(),
        ];
        f.extend(self.decay_fields.iter().cloned());
        if self.priority {
            f.push("priority".into());
        }
        if self.tags {
            f.push("tag_ids".into());
        }
        if self.routing {
            // create_date: 18+ route only leads created within the version's window.
            for x in ["user_id", "team_id", "probability", "create_date"] {
                f.push(x.into());
            }
        }
        dedup(f)
    }

    /// One lead row read with (at least) [`LeadShape::base_fields`]. The fields this shape
    /// does not read are empty (no priority, no tags, no owner or team).
    pub(crate) fn read(&self, row: &Struct) -> Result<LeadRead, RowError> {
        let r = Row::new(LEAD_MODEL, row);
        let dates = self
            .decay_fields
            .iter()
            .map(|f| Ok((f.clone(), r.datetime(f)?)))
            .collect::<Result<Vec<_>, RowError>>()?;
        Ok(LeadRead {
            id: r.id()?,
            score: r.int(&self.score_field)?,
            priority: if self.priority {
                r.text("priority")?
            } else {
                None
            },
            tags: if self.tags {
                r.ids("tag_ids")?
            } else {
                Vec::new()
            },
            user_id: self.opt(|| r.m2o_id("user_id"))?,
            team_id: self.opt(|| r.m2o_id("team_id"))?,
            probability: if self.routing {
                r.float("probability")?
            } else {
                0.0
            },
            write_date: r.text("write_date")?,
            created: self.opt(|| r.datetime("create_date"))?,
            dates,
        })
    }

    /// A routing field: read when routing is configured, else empty.
    fn opt<T>(
        &self,
        read: impl FnOnce() -> Result<Option<T>, RowError>,
    ) -> Result<Option<T>, RowError> {
        if self.routing { read() } else { Ok(None) }
    }
}

/// `(id, write_date)` of a lead listed with only those fields (and `write_uid`).
pub(crate) fn lead_key(row: &Struct) -> Result<(i64, Option<String>), RowError> {
    let r = Row::new(LEAD_MODEL, row);
    Ok((r.id()?, r.text("write_date")?))
}

/// Who last wrote a lead (`None`: Odoo sent no user).
pub(crate) fn write_uid(row: &Struct) -> Result<Option<i64>, RowError> {
    Row::new(LEAD_MODEL, row).m2o_id("write_uid")
}

impl ScoringJob<'_> {
    /// The crm.tag id of each band's tag (by band index), looked up only when leads were read.
    pub(crate) async fn band_tags(&self, needed: bool) -> Result<Vec<Option<i64>>, ScoringError> {
        let bands = &self.scoring.model.bands;
        let names: Vec<&str> = bands.iter().filter_map(|b| b.tag.as_deref()).collect();
        if names.is_empty() || !needed {
            return Ok(vec![None; bands.len()]);
        }
        let rows = self
            .client
            .search_read_all(
                "crm.tag",
                vec![leaf(
                    "name",
                    "in",
                    Wire::Array(names.iter().map(|n| Wire::from(*n)).collect()),
                )],
                &["id", "name"],
            )
            .await?;
        let mut found = Vec::with_capacity(rows.len());
        for row in &rows {
            let r = Row::new("crm.tag", row);
            found.push((r.text("name")?, r.id()?));
        }
        bands
            .iter()
            .map(|b| match &b.tag {
                None => Ok(None),
                Some(name) => found
                    .iter()
                    .find(|(n, _)| n.as_deref() == Some(name))
                    .map(|&(_, id)| Some(id))
                    .ok_or_else(|| {
                        ScoringError::Setup(format!(
                            "band {} sets the tag '{name}', which does not exist in crm.tag (run `scorekeeper setup`)",
                            b.name
                        ))
                    }),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, Wire)]) -> Struct {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    fn shape(routing: bool) -> LeadShape {
        LeadShape {
            score_field: "x_score".into(),
            decay_fields: vec!["date_open".into()],
            priority: true,
            tags: true,
            routing,
        }
    }

    #[test]
    fn a_lead_row_reads_typed_with_odoos_empty_values() {
        let r = row(&[
            ("id", Wire::Int(7)),
            ("write_date", "2026-11-22 13:14:01".into()),
            ("x_score", Wire::Bool(false)),
            ("date_open", "2026-11-20 08:00:00".into()),
            ("priority", "2".into()),
            ("tag_ids", Wire::Array(vec![Wire::Int(4), Wire::Int(9)])),
            ("user_id", Wire::Bool(false)),
            ("team_id", Wire::Array(vec![Wire::Int(3), "Vietnam".into()])),
            ("probability", Wire::Double(12.5)),
            ("create_date", "2026-11-19 07:00:00".into()),
        ]);
        let lead = shape(true).read(&r).unwrap();
        assert_eq!(lead.id, 7);
        assert_eq!(
            lead.score, 0,
            "a never-scored lead reads 0, as Odoo reads it"
        );
        assert_eq!(lead.priority.as_deref(), Some("2"));
        assert_eq!(lead.tags, vec![4, 9]);
        assert_eq!((lead.user_id, lead.team_id), (None, Some(3)));
        assert_eq!(lead.probability, 12.5);
        assert_eq!(lead.write_date.as_deref(), Some("2026-11-22 13:14:01"));
        assert_eq!(
            lead.date("date_open"),
            crate::record::datetime::parse_datetime("2026-11-20 08:00:00")
        );
        assert_eq!(
            lead.created,
            crate::record::datetime::parse_datetime("2026-11-19 07:00:00")
        );
        // Without routing, the routing fields are not expected.
        let lead = shape(false)
            .read(&row(&[
                ("id", Wire::Int(8)),
                ("write_date", "2026-11-22 13:14:01".into()),
                ("x_score", Wire::Int(40)),
                ("date_open", Wire::Bool(false)),
                ("priority", "0".into()),
                ("tag_ids", Wire::Array(Vec::new())),
            ]))
            .unwrap();
        assert_eq!((lead.score, lead.user_id, lead.created), (40, None, None));
        assert_eq!(lead.date("date_open"), None);
    }

    #[test]
    fn a_lead_without_id_or_with_a_non_integer_score_is_an_error_naming_the_field() {
        let ok = [
            ("id", Wire::Int(7)),
            ("write_date", "2026-11-22 13:14:01".into()),
            ("x_score", Wire::Int(10)),
            ("date_open", Wire::Bool(false)),
            ("priority", "0".into()),
            ("tag_ids", Wire::Array(Vec::new())),
        ];
        let without = |field: &str, bad: Option<Wire>| {
            let mut pairs: Vec<(&str, Wire)> =
                ok.iter().filter(|(f, _)| *f != field).cloned().collect();
            if let Some(v) = bad {
                pairs.push((field, v));
            }
            shape(false).read(&row(&pairs)).unwrap_err().to_string()
        };
        assert_eq!(
            without("id", None),
            "unexpected answer for crm.lead.id: expected an integer id, got nothing"
        );
        assert_eq!(
            without("x_score", Some("high".into())),
            "unexpected answer for crm.lead.x_score: expected an integer, got string"
        );
        assert_eq!(
            without("date_open", Some("yesterday".into())),
            "unexpected answer for crm.lead.date_open: expected a YYYY-MM-DD HH:MM:SS datetime, got string"
        );
        assert_eq!(
            without("tag_ids", Some(Wire::Int(3))),
            "unexpected answer for crm.lead.tag_ids: expected a list of ids, got int"
        );
        let err = lead_key(&row(&[("write_date", "2026-11-22 13:14:01".into())])).unwrap_err();
        assert_eq!(err.field, "id");
    }
}
