//! The profiles file as a spanned TOML document (`toml::de::DeTable`):
//! where a key or value is written, which entry a span falls in, and
//! typed values read back from part of it. Pure.

use std::ops::Range;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

/// A dotted path of keys from the top of the document.
pub type Path = Vec<String>;

/// A text and where its lines begin, for positions of many offsets.
pub struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Lines<'a> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { text, starts }
    }

    /// As [`position`], without reading the text before the line.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let (_, column) = position(&self.text[start..], offset - start);
        (line, column)
    }
}

/// The 1-based line and column (in characters) of byte `offset`.
pub fn position(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// `T` read from `table` as if it were the whole of a TOML value at `span`
/// (errors carry spans into the file's text).
pub fn read<T: DeserializeOwned>(
    table: &DeTable<'_>,
    span: Range<usize>,
) -> Result<T, toml::de::Error> {
    T::deserialize(ValueDeserializer::from(Spanned::new(
        span,
        DeValue::Table(table.clone()),
    )))
}

/// The sub-table at `path`, if there is one.
pub fn table<'a, 'i>(root: &'a DeTable<'i>, path: &[&str]) -> Option<&'a DeTable<'i>> {
    let mut table = root;
    for key in path {
        table = table.get(*key)?.get_ref().as_table()?;
    }
    Some(table)
}

/// The entry at the dotted `path` below `table`: its key and its value.
pub fn entry<'a, 'i>(
    table: &'a DeTable<'i>,
    path: &[&str],
) -> Option<(
    &'a Spanned<std::borrow::Cow<'i, str>>,
    &'a Spanned<DeValue<'i>>,
)> {
    let (last, parents) = path.split_last()?;
    self::table(table, parents)?.get_key_value(*last)
}

/// Removes the entry at `path` below `table`; whether there was one.
pub fn remove(table: &mut DeTable<'_>, path: &[&str]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut table = table;
    for key in parents {
        match table.get_mut(*key).map(Spanned::get_mut) {
            Some(DeValue::Table(inner)) => table = inner,
            _ => return false,
        }
    }
    table.remove(*last).is_some()
}

/// The path of the entry `span` falls in: the one whose key it is, else
/// the innermost whose value holds it. Tables written as `[a.b]` headers
/// have their entries outside the header's own span, so every entry is
/// searched, not only the enclosing ones.
pub fn locate(table: &DeTable<'_>, span: &Range<usize>) -> Option<Path> {
    let holds = |r: Range<usize>| r.start <= span.start && span.end <= r.end;
    if let Some((key, _)) = table.iter().find(|(key, _)| holds(key.span())) {
        return Some(vec![key.get_ref().to_string()]);
    }
    for (key, value) in table.iter() {
        if let DeValue::Table(inner) = value.get_ref()
            && let Some(mut below) = locate(inner, span)
        {
            below.insert(0, key.get_ref().to_string());
            return Some(below);
        }
    }
    table
        .iter()
        .find(|(_, value)| holds(value.span()))
        .map(|(key, _)| vec![key.get_ref().to_string()])
}

/// Puts the string `text` at `path` below `table`, in place of the value
/// there (keeping its span); whether there was one.
pub fn replace(table: &mut DeTable<'_>, path: &[&str], text: &str) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut table = table;
    for key in parents {
        match table.get_mut(*key).map(Spanned::get_mut) {
            Some(DeValue::Table(inner)) => table = inner,
            _ => return false,
        }
    }
    match table.get_mut(*last) {
        Some(value) => {
            *value.get_mut() = DeValue::String(std::borrow::Cow::Owned(text.to_string()));
            true
        }
        None => false,
    }
}

/// Writes the string `text` at `path` below `table`, where nothing is
/// written, with tables on the way as needed, all at `span`; whether it
/// could.
pub fn insert(table: &mut DeTable<'_>, path: &[&str], text: &str, span: Range<usize>) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut table = table;
    for key in parents {
        if !table.contains_key(*key) {
            table.insert(
                Spanned::new(span.clone(), std::borrow::Cow::Owned(key.to_string())),
                Spanned::new(span.clone(), DeValue::Table(DeTable::new())),
            );
        }
        match table.get_mut(*key).map(Spanned::get_mut) {
            Some(DeValue::Table(inner)) => table = inner,
            _ => return false,
        }
    }
    if table.contains_key(*last) {
        return false;
    }
    table.insert(
        Spanned::new(span.clone(), std::borrow::Cow::Owned(last.to_string())),
        Spanned::new(
            span,
            DeValue::String(std::borrow::Cow::Owned(text.to_string())),
        ),
    );
    true
}

/// Where a table begins: the `[` of its header, else its key.
pub fn start(key: &Spanned<std::borrow::Cow<'_, str>>, value: &Spanned<DeValue<'_>>) -> usize {
    key.span().start.min(value.span().start)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "[defaults]\nmin_ttl = \"60\"\n\n[profiles.a]\nscope = 5\n[profiles.b.response]\ntokne = \"/x\"\n";

    #[test]
    fn positions_are_lines_and_columns_from_one() {
        assert_eq!(position(TEXT, 0), (1, 1));
        let at = TEXT.find("\"60\"").unwrap();
        assert_eq!(position(TEXT, at), (2, 11));
        assert_eq!(position("é = 1\nx", 3), (1, 3));
        assert_eq!(position("é = 1\nx", 1), (1, 1));
        assert_eq!(position("ab", 99), (1, 3));
        let lines = Lines::new(TEXT);
        for offset in 0..TEXT.len() + 3 {
            assert_eq!(lines.position(offset), position(TEXT, offset), "{offset}");
        }
    }

    #[test]
    fn spans_are_found_in_header_tables_and_removed() {
        let doc = DeTable::parse(TEXT).unwrap();
        let at = TEXT.find("tokne").unwrap();
        let path = locate(doc.get_ref(), &(at..at + 5)).unwrap();
        assert_eq!(path, ["profiles", "b", "response", "tokne"]);
        let at = TEXT.find('5').unwrap();
        assert_eq!(
            locate(doc.get_ref(), &(at..at + 1)).unwrap(),
            ["profiles", "a", "scope"]
        );
        let (key, _) = entry(doc.get_ref(), &["defaults", "min_ttl"]).unwrap();
        assert_eq!(position(TEXT, key.span().start), (2, 1));
        let mut root = doc.into_inner();
        assert!(remove(&mut root, &["profiles", "b", "response", "tokne"]));
        assert!(!remove(&mut root, &["profiles", "b", "response", "tokne"]));
        assert!(!remove(&mut root, &["profiles", "a", "scope", "deeper"]));
        assert!(
            table(&root, &["profiles", "b", "response"])
                .unwrap()
                .is_empty()
        );
        assert!(replace(&mut root, &["profiles", "a", "scope"], "x"));
        let (_, value) = entry(&root, &["profiles", "a", "scope"]).unwrap();
        assert_eq!(value.get_ref().as_str(), Some("x"));
        assert!(!replace(&mut root, &["profiles", "a", "nope", "x"], "x"));
        assert!(insert(
            &mut root,
            &["profiles", "a", "new", "deep"],
            "y",
            0..1
        ));
        let (_, value) = entry(&root, &["profiles", "a", "new", "deep"]).unwrap();
        assert_eq!(value.get_ref().as_str(), Some("y"));
        assert!(!insert(
            &mut root,
            &["profiles", "a", "new", "deep"],
            "z",
            0..1
        ));
        assert!(!insert(
            &mut root,
            &["profiles", "a", "scope", "x"],
            "z",
            0..1
        ));
    }
}
