//! `scorekeeper link -c FILE --user ID|LOGIN` prints a person's signed link to their own page
//! (`--board`: the link for a wall screen, the leaderboards and rules only), for an admin to
//! send. A login is looked up in Odoo; an id needs no connection.

use chrono::{DateTime, Utc};

use super::{Failure, write_out};
use crate::http::link::{Subject, sign};

/// Who the link is for.
pub(super) enum LinkFor {
    User(String),
    Board,
}

pub(super) async fn link_cmd(
    path: &std::path::Path,
    who: LinkFor,
    days: Option<u64>,
    now: Option<&str>,
    out: &mut dyn std::io::Write,
) -> Result<(), Failure> {
    let cfg = crate::config::load(path)?;
    let Some(board) = cfg.board.clone() else {
        return Err(Failure::Invalid(anyhow::anyhow!(
            "{} has no [board] section: links open the board's pages",
            path.display()
        )));
    };
    let now: DateTime<Utc> = match now {
        Some(_) => super::args::parse_now(now)?.and_utc(),
        None => Utc::now(),
    };
    let (subject, label) = match who {
        LinkFor::Board => (Subject::Board, "the leaderboards and rules".to_owned()),
        LinkFor::User(u) => match u.parse::<i64>() {
            Ok(id) if id > 0 => (Subject::User(id), format!("user {id}")),
            _ => {
                let (_, client) = super::session::login(path).await?;
                let rows = client
                    .search_read_all(
                        "res.users",
                        vec![crate::odoo::leaf("login", "=", u.as_str())],
                        &["name"],
                    )
                    .await
                    .map_err(|e| Failure::Failed(e.into()))?;
                let Some(id) = rows
                    .first()
                    .and_then(|r| r.get("id"))
                    .and_then(crate::xmlrpc::Value::as_i64)
                else {
                    return Err(Failure::Invalid(anyhow::anyhow!(
                        "no active user with login {u:?} in Odoo"
                    )));
                };
                (Subject::User(id), format!("{u} (user {id})"))
            }
        },
    };
    let days = days.or(board.link_days).filter(|d| *d > 0);
    let expires = days.map(|d| now + chrono::Duration::days(d as i64));
    let token = sign(&board.secret, subject, expires);
    let base = board.public_url.as_ref().map_or_else(
        || format!("http://{}", cfg.http.listen),
        |u| u.as_str().trim_end_matches('/').to_owned(),
    );
    let url = match subject {
        Subject::User(_) => format!("{base}/me/{token}"),
        Subject::Board => format!("{base}/board?k={token}"),
    };
    let until = expires.map_or_else(
        || "never expires (set [board] link_days or --days for links that do)".to_owned(),
        |t| format!("valid until {}", t.format("%Y-%m-%d %H:%M UTC")),
    );
    write_out(out, &format!("{url}\n# {label}; {until}\n"))
}
