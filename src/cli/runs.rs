//! `scorekeeper runs` (recent runs: job, start, duration, counts, status), `scorekeeper
//! show RUN` (what a run changed, entry by entry, with the names people know the records
//! and values by) and `scorekeeper undo RUN` (reverts it where nobody changed it since). All
//! read the journal; `show` asks Odoo for names, and prints ids alone when Odoo cannot be
//! reached.

use std::io::Write;

use anyhow::Context as _;
use unicode_width::UnicodeWidthStr as _;

use super::session::{login, open_state};
use super::{Failure, write_out};
use crate::odoo::OdooClient;
use crate::plan::{Names, Wanted};
use crate::state::{EntryChange, JournalEntry, RunId, RunInfo, State};

/// Rows padded by display width (names in any script line up), columns two spaces apart.
fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .map(|r| r.get(i).map_or(0, |c| c.width()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.width()))))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// How long a run took, from its journal timestamps (RFC 3339).
fn duration(run: &RunInfo) -> String {
    let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
    match (
        parse(&run.started_at),
        run.finished_at.as_deref().and_then(parse),
    ) {
        (Some(a), Some(b)) => {
            let ms = (b - a).num_milliseconds();
            if ms < 10_000 {
                format!("{:.1} s", ms as f64 / 1000.0)
            } else {
                format!("{} s", ms / 1000)
            }
        }
        _ => "-".to_owned(),
    }
}

/// The recent runs as a table, newest first.
pub(super) fn runs_text(runs: &[RunInfo]) -> String {
    let mut rows = vec![
        [
            "run", "job", "started", "took", "changes", "applied", "failed", "skipped", "status",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect::<Vec<_>>(),
    ];
    for r in runs {
        let status = match &r.undo_of {
            Some(target) => format!("{} (undo of {target})", r.status),
            None => r.status.to_string(),
        };
        rows.push(vec![
            r.run_id.to_string(),
            r.job.clone(),
            r.started_at
                .get(..19)
                .unwrap_or(&r.started_at)
                .replace('T', " "),
            duration(r),
            r.entries.to_string(),
            r.applied.to_string(),
            r.failed.to_string(),
            (r.skipped + r.not_applied).to_string(),
            status,
        ]);
    }
    table(&rows)
}

/// `scorekeeper runs -c FILE [--limit N]`.
pub(super) fn runs_cmd(
    path: &std::path::Path,
    limit: usize,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let cfg = crate::config::load(path)?;
    let state = open_state(&cfg)?;
    let runs = state
        .runs(limit)
        .context("cannot read the runs")
        .map_err(Failure::Failed)?;
    if runs.is_empty() {
        return write_out(out, "no runs yet\n");
    }
    write_out(out, &runs_text(&runs))
}

/// What the entries of a run show: the records they touch and their many2one values.
fn wanted(entries: &[JournalEntry]) -> Wanted {
    let mut wanted = Wanted::default();
    for e in entries {
        if let Some(id) = e.record_id {
            wanted.record(&e.model, id);
        }
        if let EntryChange::Write { field, old, new } = &e.change {
            wanted.value(&e.model, field, old);
            wanted.value(&e.model, field, new);
        }
    }
    wanted
}

/// What run `run` changed, entry by entry.
pub(super) fn show_text(info: &RunInfo, entries: &[JournalEntry], names: &Names) -> String {
    let mut text = format!(
        "run {} ({}): {}, started {}, {} change(s): {} applied, {} failed, {} skipped\n",
        info.run_id,
        info.job,
        info.status,
        info.started_at,
        info.entries,
        info.applied,
        info.failed,
        info.skipped + info.not_applied
    );
    if let Some(error) = &info.error {
        text.push_str(&format!("error: {error}\n"));
    }
    let mut rows = vec![
        ["#", "status", "record", "change", "why"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<_>>(),
    ];
    for e in entries {
        let record = match e.record_id {
            Some(id) => match names.name(&e.model, id) {
                Some(name) => format!("{} {name} (#{id})", e.model),
                None => format!("{} #{id}", e.model),
            },
            None => format!("{} (new)", e.model),
        };
        let change = match &e.change {
            EntryChange::Write { field, old, new } => format!(
                "{field}: {} → {}",
                names.value(&e.model, field, old),
                names.value(&e.model, field, new)
            ),
            EntryChange::Create { key, .. } => format!("create [{key}]"),
            EntryChange::Unlink { .. } => "delete (values kept for undo)".to_owned(),
        };
        rows.push(vec![
            e.seq.to_string(),
            e.status.to_string(),
            record,
            change,
            e.reason.clone(),
        ]);
    }
    text.push_str(&table(&rows));
    text
}

/// `scorekeeper show -c FILE RUN`.
pub(super) async fn show_cmd(
    path: &std::path::Path,
    run_id: &str,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let cfg = crate::config::load(path)?;
    let state: State = open_state(&cfg)?;
    let id = RunId::from(run_id);
    let info = state
        .run(&id)
        .context("cannot read the run")
        .map_err(Failure::Failed)?
        .ok_or_else(|| Failure::Invalid(anyhow::anyhow!("no run {run_id:?} in the journal")))?;
    let entries = state
        .journal(&id)
        .context("cannot read the journal")
        .map_err(Failure::Failed)?;
    // Names are a courtesy: without Odoo the ids are shown.
    let names = match OdooClient::from_settings(&cfg.odoo.client_settings()) {
        Ok(client) if client.authenticate().await.is_ok() => {
            super::names::fetch(&client, &wanted(&entries)).await
        }
        _ => Names::default(),
    };
    write_out(out, &show_text(&info, &entries, &names))
}

/// `scorekeeper undo -c FILE RUN_ID`.
pub(super) async fn undo_cmd(
    path: &std::path::Path,
    run_id: &str,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let (cfg, client) = login(path).await?;
    let mut state = open_state(&cfg)?;
    // The jobs' writer knows where every keyed model keeps its keys (goals by line, user and
    // period; grants, karma and statements in `x_sk_key`): undo may re-create or reverse those.
    let writer = crate::jobs::writer(&client);
    let opts = crate::apply::ApplyOptions {
        batch_size: client.batch_size(),
        request_deadline: client.request_deadline(),
        ..crate::apply::ApplyOptions::default()
    };
    let report = crate::apply::undo(
        &crate::state::RunId::from(run_id),
        &mut state,
        &writer,
        &opts,
    )
    .await
    .map_err(|e| Failure::Failed(e.into()))?;
    write_out(out, &format!("{report}\n"))
}
