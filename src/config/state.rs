//! The `[state]` section: where the local SQLite state (cursors, journal) lives.

use std::path::PathBuf;

use toml::Spanned;

use super::context::Ctx;
use super::raw::RawState;

/// Validated state settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateConfig {
    /// The database file, resolved against the config file's directory.
    pub path: PathBuf,
}

pub(super) fn validate(raw: Option<Spanned<RawState>>, ctx: &mut Ctx<'_>) -> Option<StateConfig> {
    let Some(raw) = raw else {
        return Some(StateConfig {
            path: ctx.resolve_path("state.db"),
        });
    };
    let path = raw.into_inner().path;
    if path.get_ref().trim().is_empty() {
        ctx.error(
            path.span(),
            "state.path",
            "must not be empty",
            Some("e.g. path = \"state.db\"".into()),
        );
        return None;
    }
    Some(StateConfig {
        path: ctx.resolve_path(path.get_ref()),
    })
}
