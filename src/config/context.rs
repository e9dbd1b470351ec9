//! The validation context every section's raw → validated conversion writes into: it locates
//! spans, collects every mistake (so an admin sees them all at once), resolves relative paths
//! against the config file's directory and reads environment variables through an injected
//! lookup (tests do not touch the process environment).

use std::ops::Range;
use std::path::{Path, PathBuf};

use super::assignment::RecordRef;
use super::diagnostic::{Diagnostic, SourceMap};
use super::fields::{DomainRef, FieldRef, Location, MatchRef, RecordRefAt, XmlIdRef};
use crate::domain::Domain;

/// Looks up an environment variable; injected so tests can supply their own.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

pub(crate) struct Ctx<'a> {
    map: SourceMap<'a>,
    base_dir: PathBuf,
    env: EnvLookup<'a>,
    diags: Vec<Diagnostic>,
    field_refs: Vec<FieldRef>,
    domain_refs: Vec<DomainRef>,
    record_refs: Vec<RecordRefAt>,
    model_refs: Vec<FieldRef>,
    xml_id_refs: Vec<XmlIdRef>,
    match_refs: Vec<MatchRef>,
    located: std::collections::BTreeMap<String, Location>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(file: &'a Path, text: &'a str, env: EnvLookup<'a>) -> Self {
        let base_dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        Self {
            map: SourceMap::new(file, text),
            base_dir,
            env,
            diags: Vec::new(),
            field_refs: Vec::new(),
            domain_refs: Vec::new(),
            record_refs: Vec::new(),
            model_refs: Vec::new(),
            xml_id_refs: Vec::new(),
            match_refs: Vec::new(),
            located: std::collections::BTreeMap::new(),
        }
    }

    pub(crate) fn map(&self) -> &SourceMap<'a> {
        &self.map
    }

    /// Records a mistake at `span` under `key`.
    pub(crate) fn error(
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
    pub(crate) fn names_field(
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

    /// The choice `v` names among `choices` (`default` when absent); an unknown name is a
    /// diagnostic under `key` ("unknown <last key part> …", the hint listing the choices) and
    /// `None`.
    pub(crate) fn one_of<T: Copy>(
        &mut self,
        v: Option<&toml::Spanned<String>>,
        key: &str,
        default: T,
        choices: &[(&str, T)],
        hint: &str,
    ) -> Option<T> {
        let Some(v) = v else {
            return Some(default);
        };
        if let Some((_, t)) = choices
            .iter()
            .find(|(name, _)| *name == v.get_ref().as_str())
        {
            return Some(*t);
        }
        let what = key.rsplit('.').next().unwrap_or(key);
        self.error(
            v.span(),
            key,
            format!("unknown {what} {:?}", v.get_ref()),
            Some(hint.to_owned()),
        );
        None
    }

    pub(crate) fn take_field_refs(&mut self) -> Vec<FieldRef> {
        std::mem::take(&mut self.field_refs)
    }

    /// Where `span` is, as a [`Location`].
    pub(crate) fn locate(&self, span: Range<usize>) -> Location {
        let (line, column) = self.map.line_col(span.start);
        Location {
            file: self.map.file().to_path_buf(),
            line,
            column,
        }
    }

    /// Records a parsed domain on `model` written at `span` under `key`: refuses operators
    /// Odoo does not know at once, and keeps it (and the fields it reads) for `check` to
    /// verify against the server's field types. False when it was refused.
    pub(crate) fn names_domain(
        &mut self,
        model: &str,
        domain: &Domain,
        key: &str,
        span: Range<usize>,
    ) -> bool {
        let unknown = domain.unknown_operators();
        if !unknown.is_empty() {
            self.error(
                span,
                key,
                format!("unknown domain operator {}", unknown.join(", ")),
                Some(
                    "Odoo knows =, !=, <, <=, >, >=, =?, like, ilike, not like, not ilike, \
                     =like, =ilike, in, not in, child_of, parent_of, any, not any"
                        .into(),
                ),
            );
            return false;
        }
        for path in domain.fields() {
            self.names_field(model, path, key, span.clone());
        }
        let at = self.locate(span);
        self.domain_refs.push(DomainRef {
            model: model.to_owned(),
            domain: domain.clone(),
            key: key.to_owned(),
            at,
        });
        true
    }

    /// Records that the config names a record of `model` (by name or id) that must exist.
    pub(crate) fn names_record(
        &mut self,
        model: &str,
        record: RecordRef,
        key: impl Into<String>,
        span: Range<usize>,
        hint: Option<String>,
    ) {
        let at = self.locate(span);
        self.record_refs.push(RecordRefAt {
            model: model.to_owned(),
            record,
            key: key.into(),
            at,
            hint,
        });
    }

    /// Records that the config names the Odoo model `model` (a challenge line's or point
    /// rule's `model`), for `check` to report a missing one at this key.
    pub(crate) fn names_model(&mut self, model: &str, key: impl Into<String>, span: Range<usize>) {
        let at = self.locate(span);
        self.model_refs.push(FieldRef {
            model: model.to_owned(),
            path: String::new(),
            key: key.into(),
            at,
        });
    }

    /// Records that the config names a record of `model` by XML id, for `check` to resolve.
    pub(crate) fn names_xml_id(
        &mut self,
        xml_id: &str,
        model: &str,
        key: impl Into<String>,
        span: Range<usize>,
    ) {
        let at = self.locate(span);
        self.xml_id_refs.push(XmlIdRef {
            xml_id: xml_id.to_owned(),
            model: model.to_owned(),
            key: key.into(),
            at,
        });
    }

    /// Records a domain on `model` that must select at least one record, for `check`.
    pub(crate) fn names_match(
        &mut self,
        model: &str,
        domain: Domain,
        key: impl Into<String>,
        span: Range<usize>,
    ) {
        let at = self.locate(span);
        self.match_refs.push(MatchRef {
            model: model.to_owned(),
            domain,
            key: key.into(),
            at,
        });
    }

    /// Remembers where `key` was written, for mistakes only the server reveals about it as a
    /// whole (a person the server puts in two plans).
    pub(crate) fn locates(&mut self, key: impl Into<String>, span: Range<usize>) {
        let at = self.locate(span);
        self.located.insert(key.into(), at);
    }

    pub(crate) fn take_xml_id_refs(&mut self) -> Vec<XmlIdRef> {
        std::mem::take(&mut self.xml_id_refs)
    }

    pub(crate) fn take_match_refs(&mut self) -> Vec<MatchRef> {
        std::mem::take(&mut self.match_refs)
    }

    pub(crate) fn take_located(&mut self) -> std::collections::BTreeMap<String, Location> {
        std::mem::take(&mut self.located)
    }

    pub(crate) fn take_model_refs(&mut self) -> Vec<FieldRef> {
        std::mem::take(&mut self.model_refs)
    }

    pub(crate) fn take_domain_refs(&mut self) -> Vec<DomainRef> {
        std::mem::take(&mut self.domain_refs)
    }

    pub(crate) fn take_record_refs(&mut self) -> Vec<RecordRefAt> {
        std::mem::take(&mut self.record_refs)
    }

    pub(crate) fn env(&self, name: &str) -> Option<String> {
        (self.env)(name)
    }

    /// Relative paths in a config file mean "next to the config file", so the same file works
    /// from cron, systemd or a shell in any directory.
    pub(crate) fn resolve_path(&self, written: &str) -> PathBuf {
        let p = Path::new(written);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }

    /// Records a mistake at every place remembered by [`Self::locates`] under a key `pick`
    /// accepts (for mistakes seen only once another section is read).
    pub(crate) fn error_at_located(
        &mut self,
        pick: impl Fn(&str) -> bool,
        message: &str,
        hint: Option<&str>,
    ) {
        let found: Vec<Diagnostic> = self
            .located
            .iter()
            .filter(|(k, _)| pick(k))
            .map(|(k, at)| at.diagnostic(k.clone(), message, hint.map(str::to_owned)))
            .collect();
        self.diags.extend(found);
    }

    pub(crate) fn has_errors(&self) -> bool {
        !self.diags.is_empty()
    }

    pub(crate) fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diags
    }
}
