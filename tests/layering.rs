//! The module layering of `src/`, enforced: every `crate::<module>` edge (use statements,
//! `use crate::{a, b}` groups, paths in code, `super::` climbing out of a top-level module)
//! must be allowed by the module list in the crate doc (`src/lib.rs`), and the edges must not
//! form a cycle. The list is parsed from the doc, so the doc and the test cannot drift; every
//! violation is reported at once, with its file.
//!
//! Comments, doc comments and string literals are not code and are skipped. Test modules
//! (`#[cfg(test)]`) are checked like the rest: a cycle through a test still knots the modules
//! together. The few known exceptions are listed in [`EXCEPTIONS`], each with its reason.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Edges the layering does not allow but that are tolerated for now: (file, module used, why).
const EXCEPTIONS: &[(&str, &str, &str)] = &[];

/// One module of the crate doc's list: its name and the modules it may use.
#[derive(Debug)]
struct Layer {
    name: String,
    uses: BTreeSet<String>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The crate doc's bullet list (`//! - [`name`] (layer): what. Uses: a, b.`), in order.
fn layers_from_crate_doc(lib_rs: &str) -> Result<Vec<Layer>, String> {
    let mut bullets: Vec<String> = Vec::new();
    for line in lib_rs.lines() {
        let Some(doc) = line.strip_prefix("//!") else {
            continue;
        };
        if let Some(item) = doc.strip_prefix(" - [`") {
            bullets.push(item.to_owned());
        } else if let Some(more) = doc.strip_prefix("   ")
            && let Some(last) = bullets.last_mut()
        {
            last.push(' ');
            last.push_str(more.trim());
        }
    }
    let mut layers: Vec<Layer> = Vec::new();
    for bullet in bullets {
        let name = bullet
            .split('`')
            .next()
            .ok_or_else(|| format!("no module name in {bullet:?}"))?
            .to_owned();
        let uses = bullet
            .split_once("Uses: ")
            .map(|(_, rest)| rest.trim_end().trim_end_matches('.'))
            .ok_or_else(|| format!("crate doc: module `{name}` has no `Uses:`"))?;
        let above: BTreeSet<String> = layers.iter().map(|l| l.name.clone()).collect();
        let uses: BTreeSet<String> = match uses {
            "nothing" => BTreeSet::new(),
            "everything above" => above.clone(),
            list => list.split(',').map(|m| m.trim().to_owned()).collect(),
        };
        if let Some(bad) = uses.iter().find(|m| !above.contains(*m)) {
            return Err(format!(
                "crate doc: `{name}` may use `{bad}`, which is not listed above it"
            ));
        }
        layers.push(Layer { name, uses });
    }
    Ok(layers)
}

/// The text with comments, string and char literals blanked out.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let at = |i: usize, s: &str| {
        s.chars()
            .enumerate()
            .all(|(k, c)| chars.get(i + k) == Some(&c))
    };
    while i < chars.len() {
        let c = chars[i];
        if at(i, "//") {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if at(i, "/*") {
            let mut depth = 0;
            while i < chars.len() {
                if at(i, "/*") {
                    depth += 1;
                    i += 2;
                } else if at(i, "*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if let Some((prefix, hashes)) = raw_string_start(&chars, i) {
            // r"..." or r#"..."#: ends at the quote followed by as many hashes.
            i += prefix + hashes + 1;
            let close: String = std::iter::once('"')
                .chain("#".repeat(hashes).chars())
                .collect();
            while i < chars.len() && !at(i, &close) {
                i += 1;
            }
            i += close.len();
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            i += 3;
            out.push_str("' '");
        } else if c == '\'' && chars.get(i + 1) == Some(&'\\') {
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// `r"` / `r#"` (also `br`) starting at `i`, not inside an identifier: the length of the
/// prefix (`r` or `br`) and the number of hashes.
fn raw_string_start(chars: &[char], i: usize) -> Option<(usize, usize)> {
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
        return None;
    }
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = chars[j..].iter().take_while(|c| **c == '#').count();
    (chars.get(j + hashes) == Some(&'"')).then_some((j - i, hashes))
}

fn ident_at(code: &str, from: usize) -> &str {
    let rest = &code[from..];
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    &rest[..end]
}

/// Top-level modules a file's code names: `crate::m`, `crate::{m, n::x}`, and `super::m` that
/// climbs to the crate root (`depth` is the file's module depth, inline `mod x {}` counted).
fn modules_named(code: &str, file_depth: usize) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let bytes = code.as_bytes();
    // Inline modules open at these brace depths: `super::` inside them climbs one more level.
    let mut inline_mods: Vec<usize> = Vec::new();
    let mut braces = 0usize;
    let mut i = 0;
    let word_start =
        |i: usize| i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
    while i < bytes.len() {
        match bytes[i] {
            b'{' => braces += 1,
            b'}' => {
                braces = braces.saturating_sub(1);
                while inline_mods.last().is_some_and(|d| *d > braces) {
                    inline_mods.pop();
                }
            }
            _ => {}
        }
        if word_start(i) && code[i..].starts_with("mod ") {
            let name = ident_at(code, i + 4);
            let after = code[i + 4 + name.len()..].trim_start();
            if after.starts_with('{') {
                inline_mods.push(braces + 1);
            }
        }
        if word_start(i) && code[i..].starts_with("crate::") {
            let at = i + "crate::".len();
            if code[at..].starts_with('{') {
                found.extend(group_heads(code, at));
            } else {
                found.insert(ident_at(code, at).to_owned());
            }
        }
        if word_start(i) && code[i..].starts_with("super::") {
            let mut at = i;
            let mut climbs = 0;
            while code[at..].starts_with("super::") {
                climbs += 1;
                at += "super::".len();
            }
            if climbs >= file_depth + inline_mods.len() {
                if code[at..].starts_with('{') {
                    found.extend(group_heads(code, at));
                } else {
                    found.insert(ident_at(code, at).to_owned());
                }
            }
            i = at;
            continue;
        }
        i += 1;
    }
    found.retain(|m| !m.is_empty() && m != "self");
    found
}

/// The first name of each item of a `{a, b::c, d::{e, f}}` group starting at `open`.
fn group_heads(code: &str, open: usize) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut item_start = true;
    for (k, c) in code[open..].char_indices() {
        match c {
            '{' => {
                depth += 1;
                if depth == 1 {
                    item_start = true;
                    continue;
                }
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => {
                item_start = true;
                continue;
            }
            c if c.is_whitespace() => continue,
            _ => {}
        }
        if item_start && depth == 1 {
            heads.push(ident_at(code, open + k).to_owned());
        }
        item_start = false;
    }
    heads
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `src/` file's top-level module, module depth and the top-level modules it names.
fn edges() -> Vec<(String, String, BTreeSet<String>)> {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut out = Vec::new();
    for path in files {
        let rel = path.strip_prefix(&src).unwrap();
        let parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
            .collect();
        if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
            continue;
        }
        let depth = parts.len() - usize::from(parts.last().is_some_and(|p| p == "mod"));
        let code = code_only(&std::fs::read_to_string(&path).unwrap());
        let mut named = modules_named(&code, depth);
        named.remove(&parts[0]);
        let shown = format!("src/{}", rel.to_string_lossy().replace('\\', "/"));
        out.push((shown, parts[0].clone(), named));
    }
    out
}

/// The edges that form cycles (Tarjan's strongly connected components of more than one module).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'g> {
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        sccs: Vec<Vec<String>>,
    }
    fn visit<'g>(w: &mut Walk<'g>, v: &'g str) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        for u in w.graph.get(v).into_iter().flatten() {
            if !w.index.contains_key(u.as_str()) {
                visit(w, u);
                let lu = w.low[u.as_str()];
                let lv = w.low.get_mut(v).unwrap();
                *lv = (*lv).min(lu);
            } else if w.stack.contains(&u.as_str()) {
                let iu = w.index[u.as_str()];
                let lv = w.low.get_mut(v).unwrap();
                *lv = (*lv).min(iu);
            }
        }
        if w.low[v] == w.index[v] {
            let mut scc = Vec::new();
            while let Some(u) = w.stack.pop() {
                scc.push(u.to_owned());
                if u == v {
                    break;
                }
            }
            if scc.len() > 1 {
                scc.sort();
                w.sccs.push(scc);
            }
        }
    }
    let mut w = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        sccs: Vec::new(),
    };
    for v in graph.keys() {
        if !w.index.contains_key(v.as_str()) {
            visit(&mut w, v);
        }
    }
    w.sccs
}

#[test]
fn every_crate_edge_is_allowed_by_the_crate_doc_and_none_forms_a_cycle() {
    let lib_rs = std::fs::read_to_string(root().join("src/lib.rs")).unwrap();
    let layers = layers_from_crate_doc(&lib_rs).unwrap_or_else(|e| panic!("{e}"));
    let allowed: BTreeMap<&str, &BTreeSet<String>> =
        layers.iter().map(|l| (l.name.as_str(), &l.uses)).collect();
    let mut problems = Vec::new();

    let declared: BTreeSet<String> = lib_rs
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';').to_owned())
        .collect();
    let listed: BTreeSet<String> = layers.iter().map(|l| l.name.clone()).collect();
    for m in declared.symmetric_difference(&listed) {
        problems.push(format!(
            "src/lib.rs: module `{m}` is declared or listed in the crate doc, not both"
        ));
    }

    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, module, named) in edges() {
        for used in named.iter().filter(|m| declared.contains(*m)) {
            // An excused edge is left out of the cycle check too, while it is listed.
            if EXCEPTIONS.iter().any(|(f, m, _)| *f == file && m == used) {
                continue;
            }
            graph
                .entry(module.clone())
                .or_default()
                .insert(used.clone());
            if !allowed
                .get(module.as_str())
                .is_some_and(|u| u.contains(used))
            {
                problems.push(format!(
                    "{file}: `{module}` uses `crate::{used}`, which the crate doc does not allow \
                     (`{module}` may use: {})",
                    allowed
                        .get(module.as_str())
                        .map(|u| u.iter().cloned().collect::<Vec<_>>().join(", "))
                        .filter(|s| !s.is_empty())
                        .unwrap_or_else(|| "nothing".into())
                ));
            }
        }
    }
    for scc in cycles(&graph) {
        problems.push(format!("module cycle: {}", scc.join(" ↔ ")));
    }
    assert!(
        problems.is_empty(),
        "{} layering violation(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn edges_are_read_from_groups_paths_and_super_but_not_from_comments_or_strings() {
    let code = code_only(
        "use crate::{a, b::{c, d}, e::f as g};\n\
         // crate::comment\n\
         let s = \"crate::string\";\n\
         let r = r#\"crate::raw\"#;\n\
         let q = '\"';\n\
         fn x() { crate::h::call(); }\n\
         mod tests { use super::super::i; }\n\
         use super::j;\n",
    );
    let named = modules_named(&code, 1);
    // In `src/x.rs`, `super::j` and (inside `mod tests`) `super::super::i` are `crate::j`
    // and `crate::i`; in `src/x/y.rs` both stay inside `x`.
    let want: BTreeSet<String> = ["a", "b", "e", "h", "i", "j"].map(String::from).into();
    assert_eq!(named, want);
    let deeper = modules_named(&code, 2);
    let want: BTreeSet<String> = ["a", "b", "e", "h"].map(String::from).into();
    assert_eq!(deeper, want);
}

#[test]
fn the_crate_doc_list_parses_with_continuation_lines_and_keywords() {
    let doc = "//! - [`a`] (x): one. Uses: nothing.\n\
               //! - [`b`] (y): two, on\n\
               //!   two lines. Uses: a.\n\
               //! - [`c`] (z): top. Uses: everything above.\n";
    let layers = layers_from_crate_doc(doc).unwrap();
    let uses: Vec<Vec<String>> = layers
        .iter()
        .map(|l| l.uses.iter().cloned().collect())
        .collect();
    assert_eq!(
        uses,
        vec![vec![], vec!["a".to_owned()], vec!["a".into(), "b".into()]]
    );
    let err = layers_from_crate_doc("//! - [`a`] (x): one. Uses: b.\n").unwrap_err();
    assert!(err.contains("not listed above"), "{err}");
}
