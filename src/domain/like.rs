//! SQL `LIKE` / `ILIKE` matching as PostgreSQL does it for Odoo: `%` any run, `_` one
//! character, backslash escapes, and (for `ILIKE`) Unicode lower-casing of whole characters,
//! so Vietnamese, Russian and Chinese text compare as they do in the database.

/// One element of a general pattern.
#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Char(char),
    One,
    Many,
}

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    /// Only `%`: matches any text.
    Any,
    /// `%text%` without other wildcards.
    Contains(String),
    /// No wildcard at all.
    Exact(String),
    General(Vec<Tok>),
}

/// A compiled LIKE pattern.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Pattern {
    kind: Kind,
    fold: bool,
}

fn lower_into(s: &str, out: &mut String) {
    out.clear();
    if s.is_ascii() {
        out.push_str(s);
        out.make_ascii_lowercase();
    } else {
        for c in s.chars() {
            out.extend(c.to_lowercase());
        }
    }
}

impl Pattern {
    /// Compiles `pattern`; `fold` for ILIKE.
    pub(crate) fn new(pattern: &str, fold: bool) -> Pattern {
        let mut src = String::new();
        let text: &str = if fold {
            lower_into(pattern, &mut src);
            &src
        } else {
            pattern
        };
        let mut toks = Vec::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => toks.push(Tok::Char(chars.next().unwrap_or('\\'))),
                '%' => {
                    if toks.last() != Some(&Tok::Many) {
                        toks.push(Tok::Many);
                    }
                }
                '_' => toks.push(Tok::One),
                c => toks.push(Tok::Char(c)),
            }
        }
        let lit = |ts: &[Tok]| -> Option<String> {
            ts.iter()
                .map(|t| match t {
                    Tok::Char(c) => Some(*c),
                    _ => None,
                })
                .collect()
        };
        let kind = if toks.iter().all(|t| *t == Tok::Many) && !toks.is_empty() {
            Kind::Any
        } else if let Some(s) = lit(&toks) {
            Kind::Exact(s)
        } else if toks.len() >= 2
            && toks.first() == Some(&Tok::Many)
            && toks.last() == Some(&Tok::Many)
        {
            match lit(&toks[1..toks.len() - 1]) {
                Some(s) => Kind::Contains(s),
                None => Kind::General(toks),
            }
        } else {
            Kind::General(toks)
        };
        Pattern { kind, fold }
    }

    /// Whether `text` matches; `buf` is scratch space reused across calls.
    pub(crate) fn matches(&self, text: &str, buf: &mut String, chars: &mut Vec<char>) -> bool {
        if self.kind == Kind::Any {
            return true;
        }
        let text: &str = if self.fold {
            lower_into(text, buf);
            buf
        } else {
            text
        };
        match &self.kind {
            Kind::Any => true,
            Kind::Contains(s) => text.contains(s.as_str()),
            Kind::Exact(s) => text == s,
            Kind::General(toks) => {
                chars.clear();
                chars.extend(text.chars());
                glob(toks, chars)
            }
        }
    }
}

/// Wildcard matching with one backtrack point (enough for `%`, which matches any run).
fn glob(p: &[Tok], s: &[char]) -> bool {
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(Tok::Many) => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(Tok::One) => {
                pi += 1;
                si += 1;
            }
            Some(Tok::Char(c)) if *c == s[si] => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|t| *t == Tok::Many)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, fold: bool, s: &str) -> bool {
        Pattern::new(p, fold).matches(s, &mut String::new(), &mut Vec::new())
    }

    #[test]
    fn like_wildcards_and_escapes() {
        assert!(m("%ab%", false, "xxabyy"));
        assert!(!m("%ab%", false, "xxAByy"));
        assert!(m("kh_@example.%", false, "kh1@example.com"));
        assert!(!m("kh_@example.%", false, "kh12@example.com"));
        assert!(m("a\\_b", false, "a_b"));
        assert!(!m("a\\_b", false, "axb"));
        assert!(m("%", false, ""));
        assert!(m("", false, ""));
        assert!(!m("", false, "x"));
        assert!(m("%a%b%c%", false, "xxaxxbxxcxx"));
        assert!(!m("%a%b%c%", false, "xxaxxcxxbxx"));
        assert!(m("_", false, "đ"));
    }

    #[test]
    fn ilike_folds_unicode_by_character() {
        assert!(m("%nguyễn%", true, "Công ty NGUYỄN Văn A"));
        assert!(m("%ĐÀ NẴNG%", true, "đà nẵng"));
        assert!(m("%москва%", true, "МОСКВА"));
        assert!(m("%北京%", true, "北京公司"));
        assert!(!m("%北京%", true, "上海"));
        assert!(m("%ß%", true, "Straße"));
    }
}
