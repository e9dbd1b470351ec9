//! The validation context every section's raw → validated conversion writes into: it locates
//! spans, collects every mistake (so an admin sees them all at once), resolves relative paths
//! against the config file's directory and reads environment variables through an injected
//! lookup (tests do not touch the process environment).

use std::ops::Range;
use std::path::{Path, PathBuf};

use super::diagnostic::{Diagnostic, SourceMap};
use super::fields::{FieldRef, Location};

/// Looks up an environment variable; injected so tests can supply their own.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

pub struct Ctx<'a> {
    map: SourceMap<'a>,
    base_dir: PathBuf,
    env: EnvLookup<'a>,
    diags: Vec<Diagnostic>,
    field_refs: Vec<FieldRef>,
}

impl<'a> Ctx<'a> {
    pub fn new(file: &'a Path, text: &'a str, env: EnvLookup<'a>) -> Self {
        let base_dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        Self {
            map: SourceMap::new(file, text),
            base_dir,
            env,
            diags: Vec::new(),
            field_refs: Vec::new(),
        }
    }

    pub fn map(&self) -> &SourceMap<'a> {
        &self.map
    }

    /// Records a mistake at `span` under `key`.
    pub fn error(
        &mut self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        let d = self.map.diagnostic(span, key, message, hint);
        self.diags.push(d);
    }

    /// Records that the config names Odoo field `path` of `model` at `span` under `key`, for
    /// `check` to verify.
    // Used by the sections that name fields (scoring, assignment, gamification), landing next.
    #[allow(dead_code)]
    pub fn names_field(
        &mut self,
        model: impl Into<String>,
        path: impl Into<String>,
        key: impl Into<String>,
        span: Range<usize>,
    ) {
        let (line, column) = self.map.line_col(span.start);
        self.field_refs.push(FieldRef {
            model: model.into(),
            path: path.into(),
            key: key.into(),
            at: Location {
                file: self.map.file().to_path_buf(),
                line,
                column,
            },
        });
    }

    pub fn take_field_refs(&mut self) -> Vec<FieldRef> {
        std::mem::take(&mut self.field_refs)
    }

    pub fn env(&self, name: &str) -> Option<String> {
        (self.env)(name)
    }

    /// Relative paths in a config file mean "next to the config file", so the same file works
    /// from cron, systemd or a shell in any directory.
    pub fn resolve_path(&self, written: &str) -> PathBuf {
        let p = Path::new(written);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }

    pub fn has_errors(&self) -> bool {
        !self.diags.is_empty()
    }

    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diags
    }
}
