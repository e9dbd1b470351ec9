//! Config errors an admin can act on: `file:line:column key.path: message (hint: ...)`.
//! Also the helpers that produce them: byte offset → line/column, and "did you mean" by
//! edit distance.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One mistake in a config file, located precisely.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    /// 1-based line and column (in characters, not bytes: admins write Vietnamese names).
    pub line: usize,
    pub column: usize,
    /// Dotted key path with array indices, e.g. `odoo.password_env` or `scoring.rules[2].domain`.
    pub key: String,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)?;
        if !self.key.is_empty() {
            write!(f, " {}", self.key)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

/// Why a config could not be loaded. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: cannot read config file: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// One or more located mistakes; all of them are reported at once when possible.
    #[error("{}", render(.0))]
    Invalid(Vec<Diagnostic>),
}

impl ConfigError {
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            ConfigError::Invalid(d) => d,
            ConfigError::Read { .. } => &[],
        }
    }
}

fn render(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Maps byte offsets of one source text to 1-based line and column.
#[derive(Clone, Debug)]
pub struct SourceMap<'a> {
    file: &'a Path,
    text: &'a str,
}

impl<'a> SourceMap<'a> {
    pub(crate) fn new(file: &'a Path, text: &'a str) -> Self {
        Self { file, text }
    }

    pub(crate) fn file(&self) -> &'a Path {
        self.file
    }

    pub(crate) fn text(&self) -> &'a str {
        self.text
    }

    /// 1-based (line, column) of byte `offset`; offsets past the end or inside a UTF-8
    /// sequence are clamped to the previous character boundary.
    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }

    pub(crate) fn diagnostic(
        &self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Diagnostic {
        let (line, column) = self.line_col(span.start);
        Diagnostic {
            file: self.file.to_path_buf(),
            line,
            column,
            key: key.into(),
            message: message.into(),
            hint,
        }
    }
}

/// The candidate closest to `word` if it is a plausible typo (small edit distance relative to
/// the word's length), for "did you mean ...?" hints.
pub fn did_you_mean<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let text = "a = 1\nname = \"Hà Nội\" x\n";
        let map = SourceMap::new(Path::new("c.toml"), text);
        assert_eq!(map.line_col(0), (1, 1));
        assert_eq!(map.line_col(6), (2, 1));
        let x = text.find(" x").unwrap() + 1;
        assert_eq!(map.line_col(x), (2, 17));
        assert_eq!(map.line_col(10_000), (3, 1));
    }

    #[test]
    fn renders_like_a_compiler() {
        let map = SourceMap::new(Path::new("config/prod.toml"), "\n\n[odoo]\nurl = 1\n");
        let d = map.diagnostic(
            15..16,
            "odoo.url",
            "expected a string",
            Some("quote it".into()),
        );
        assert_eq!(
            d.to_string(),
            "config/prod.toml:4:7 odoo.url: expected a string (hint: quote it)"
        );
    }

    #[test]
    fn suggests_close_names_only() {
        let keys = ["url", "database", "login", "password_env", "password_file"];
        assert_eq!(did_you_mean("pasword_env", keys), Some("password_env"));
        assert_eq!(did_you_mean("databse", keys), Some("database"));
        assert_eq!(did_you_mean("colour", keys), None);
        assert_eq!(
            did_you_mean("contry_id", ["country_id", "city"]),
            Some("country_id")
        );
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
