//! `scorekeeper setup` for pay: the models pay writes to and reads from, as Odoo custom
//! models people work with in Odoo's own screens.
//!
//! * the statement and statement-line models (`statements`), readable by their salesperson
//!   and by sales managers;
//! * the default incidental model `x_sk_incidental` (`incidental`) when a plan records its
//!   incidental amounts there, where managers record them and salespeople read their own.
//!
//! Each step is what `fixtures/odoo17/custom-models/` recorded a real Odoo accepting (004–030).
//! Everything setup needs to look up (the version, the sales groups, the CRM menu, which
//! models exist) is read before the first write, so a missing module stops it with nothing
//! written. Running setup twice writes nothing: a model group that exists is left alone. A
//! setup that fails half-way (Odoo refusing a step, the connection lost) deletes what it had
//! created, newest first (`provision`), so the next setup starts from a clean slate.

mod incidental;
mod provision;
mod screens;
mod statements;

use std::collections::BTreeSet;

use crate::odoo::{OdooClient, OdooError, leaf};
use crate::pay::PayConfig;
use crate::xmlrpc::{Struct, Value as X};

use super::models::{INCIDENTAL, LINE, STATEMENT};
use provision::Provision;
use screens::Anchors;

/// What setup did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SetupReport {
    pub created: Vec<String>,
    pub already_there: Vec<String>,
}

/// Why setup stopped. Only [`SetupError::NotRolledBack`] leaves anything behind in Odoo.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// Odoo failed (or refused) before setup wrote anything.
    #[error(transparent)]
    Odoo(#[from] OdooError),
    /// Some models of a group exist and others not: not setup's to guess which are right.
    #[error(
        "{found} exists in Odoo but {missing} does not (an earlier setup was interrupted, or \
         someone deleted it); delete {found} in Settings → Technical → Models and run setup again"
    )]
    HalfThere { found: String, missing: String },
    /// A step failed after others had written; what they created was deleted again.
    #[error(
        "setup failed half-way, so the {undone} record(s) it had created were deleted again and \
         Odoo is as before setup: {source}"
    )]
    RolledBack {
        #[source]
        source: OdooError,
        undone: usize,
    },
    /// A step failed, and deleting what had been created failed too.
    #[error(
        "setup failed half-way ({source}), and deleting what it had created failed as well \
         ({rollback}); still in Odoo, to delete by hand (Settings → Technical): {}",
        left.join(", ")
    )]
    NotRolledBack {
        #[source]
        source: OdooError,
        rollback: OdooError,
        left: Vec<String>,
    },
}

/// A group of models provisioned together, with their rights and screens.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Group {
    Statements,
    Incidental,
}

impl Group {
    fn models(self) -> &'static [&'static str] {
        match self {
            Group::Statements => &[STATEMENT, LINE],
            Group::Incidental => &[INCIDENTAL],
        }
    }

    /// What the report says once the group is created.
    fn created(self) -> Vec<String> {
        match self {
            Group::Statements => vec![
                format!("models {STATEMENT}, {LINE}"),
                "access rights and record rules".into(),
                "views, action and the CRM menu".into(),
            ],
            Group::Incidental => vec![format!(
                "model {INCIDENTAL} (incidental amounts), its access rights, views and CRM menu"
            )],
        }
    }

    async fn provision(self, p: &mut Provision<'_>, at: Anchors) -> Result<(), OdooError> {
        match self {
            Group::Statements => statements::provision(p, at).await,
            Group::Incidental => incidental::provision(p, at).await,
        }
    }
}

/// The groups `cfg` needs: the statements always, the incidental model when a plan records
/// incidental amounts in it.
fn wanted(cfg: &PayConfig) -> Vec<Group> {
    let mut groups = vec![Group::Statements];
    if cfg.plans.iter().any(|p| {
        p.components
            .incidental
            .as_ref()
            .is_some_and(|i| i.model == INCIDENTAL)
    }) {
        groups.push(Group::Incidental);
    }
    groups
}

/// Provisions the models `cfg` needs that do not exist yet, with their rights and screens.
pub async fn setup(client: &OdooClient, cfg: &PayConfig) -> Result<SetupReport, SetupError> {
    let mut report = SetupReport::default();
    let groups = wanted(cfg);
    let names: Vec<X> = groups
        .iter()
        .flat_map(|g| g.models())
        .map(|m| X::from(*m))
        .collect();
    let rows = client
        .search_read_all(
            "ir.model",
            vec![leaf("model", "in", X::Array(names))],
            &["model"],
        )
        .await?;
    let existing: BTreeSet<&str> = rows
        .iter()
        .filter_map(|r| r.get("model").and_then(X::as_str))
        .collect();
    let mut todo = Vec::new();
    for g in groups {
        let (found, missing): (Vec<&str>, Vec<&str>) = g
            .models()
            .iter()
            .copied()
            .partition(|m| existing.contains(*m));
        match (found.is_empty(), missing.is_empty()) {
            (true, _) => todo.push(g),
            (false, true) => report.already_there.push(found.join(", ")),
            (false, false) => {
                return Err(SetupError::HalfThere {
                    found: found.join(", "),
                    missing: missing.join(", "),
                });
            }
        }
    }
    if todo.is_empty() {
        return Ok(report);
    }
    let at = anchors(client).await?;
    let mut p = Provision::new(client);
    for g in todo {
        if let Err(source) = g.provision(&mut p, at).await {
            let undone = p.len();
            return Err(match p.roll_back().await {
                Ok(()) => SetupError::RolledBack { source, undone },
                Err((rollback, left)) => SetupError::NotRolledBack {
                    source,
                    rollback,
                    left,
                },
            });
        }
        report.created.extend(g.created());
    }
    Ok(report)
}

/// The version and the records every group hangs on, read before anything is written.
async fn anchors(client: &OdooClient) -> Result<Anchors, OdooError> {
    // A server that does not say its major version is taken as 17 (the `tree` list tag).
    let major = client
        .version()
        .await?
        .major()
        .and_then(|m| u32::try_from(m).ok())
        .unwrap_or(17);
    Ok(Anchors {
        salesman: xml_id(client, "sales_team", "group_sale_salesman").await?,
        manager: xml_id(client, "sales_team", "group_sale_manager").await?,
        crm_menu: xml_id(client, "crm", "crm_menu_root").await?,
        major,
    })
}

async fn xml_id(client: &OdooClient, module: &str, name: &str) -> Result<i64, OdooError> {
    let v = client
        .execute_kw(
            "ir.model.data",
            "check_object_reference",
            vec![X::from(module), X::from(name)],
            Struct::new(),
        )
        .await?;
    // `check_object_reference` answers `[model, id]`.
    v.as_array()
        .and_then(|a| a.get(1))
        .and_then(X::as_i64)
        .ok_or_else(|| OdooError::UnexpectedReply {
            call: "ir.model.data.check_object_reference".into(),
            expected: "[model, id]",
            got: v.to_string().chars().take(120).collect(),
        })
}
