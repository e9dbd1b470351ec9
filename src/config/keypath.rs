//! Finds the dotted key path (`scoring.rules[2].domain`) at a byte offset of a TOML document,
//! so serde's positional errors can name the key an admin has to fix.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The deepest key path whose key or value span contains `offset`; empty if none does (or the
/// document does not parse, in which case the parse error itself is the diagnostic).
pub(crate) fn key_path_at(text: &str, offset: usize) -> String {
    let Ok(root) = DeTable::parse(text) else {
        return String::new();
    };
    let mut path = Vec::new();
    let mut best: Option<Vec<Segment>> = None;
    walk_table(root.get_ref(), offset, &mut path, &mut best);
    best.map(|p| render(&p)).unwrap_or_default()
}

/// Renders a path of segments the way diagnostics show it.
pub(crate) fn render(path: &[Segment]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Segment::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    Key(String),
    Index(usize),
}

fn hit(span: std::ops::Range<usize>, offset: usize) -> bool {
    span.contains(&offset) || (span.is_empty() && span.start == offset)
}

fn consider(path: &[Segment], best: &mut Option<Vec<Segment>>) {
    if best.as_ref().is_none_or(|b| path.len() > b.len()) {
        *best = Some(path.to_vec());
    }
}

fn walk_table(
    table: &DeTable<'_>,
    offset: usize,
    path: &mut Vec<Segment>,
    best: &mut Option<Vec<Segment>>,
) {
    for (key, value) in table.iter() {
        path.push(Segment::Key(key.get_ref().to_string()));
        if hit(key.span(), offset) || hit(value.span(), offset) {
            consider(path, best);
        }
        walk_value(value, offset, path, best);
        path.pop();
    }
}

fn walk_value(
    value: &Spanned<DeValue<'_>>,
    offset: usize,
    path: &mut Vec<Segment>,
    best: &mut Option<Vec<Segment>>,
) {
    match value.get_ref() {
        DeValue::Table(t) => walk_table(t, offset, path, best),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Segment::Index(i));
                if hit(item.span(), offset) {
                    consider(path, best);
                }
                walk_value(item, offset, path, best);
                path.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_keys_and_array_indices() {
        let text = "[odoo]\nurl = \"x\"\n\n[[scoring.rules]]\nname = \"a\"\n\n[[scoring.rules]]\nname = \"b\"\ndomain = \"[]\"\n";
        let at = |needle: &str| key_path_at(text, text.find(needle).unwrap());
        assert_eq!(at("url"), "odoo.url");
        assert_eq!(at("\"x\""), "odoo.url");
        assert_eq!(at("\"b\""), "scoring.rules[1].name");
        assert_eq!(at("domain"), "scoring.rules[1].domain");
        assert_eq!(key_path_at(text, 0), "odoo");
    }
}
