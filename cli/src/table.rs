//! The CLI's text tables (`hookwell events`, `hookwell replay`), drawn by comfy-table: left
//! aligned columns two spaces apart, no borders, no trailing spaces.

use comfy_table::{presets, CellAlignment, ContentArrangement, Table};

/// Renders `rows` under `header`; every row has the header's number of cells.
pub fn render<I>(header: &[&str], rows: I) -> String
where
    I: IntoIterator<Item = Vec<String>>,
{
    let mut t = Table::new();
    t.load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.iter().copied());
    for r in rows {
        t.add_row(r);
    }
    for c in t.column_iter_mut() {
        c.set_padding((0, 2));
        c.set_cell_alignment(CellAlignment::Left);
    }
    let mut out = String::new();
    for line in t.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `2026-11-25T05:00:00.123Z` -> `2026-11-25 05:00:00` (`?` when absent).
pub fn time_cell(t: Option<&str>) -> String {
    match t {
        Some(t) => t.chars().take(19).collect::<String>().replace('T', " "),
        None => "?".to_owned(),
    }
}

/// At most `n` characters, with `…` when cut.
pub fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut c: String = s.chars().take(n.saturating_sub(1)).collect();
        c.push('…');
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_columns_without_borders_or_trailing_space() {
        let out = render(
            &["A", "LONGER"],
            [
                vec!["x".to_owned(), "1".to_owned()],
                vec!["wide cell".to_owned(), String::new()],
            ],
        );
        assert_eq!(out, "A          LONGER\nx          1\nwide cell\n");
        assert_eq!(
            time_cell(Some("2026-11-25T05:00:00.123Z")),
            "2026-11-25 05:00:00"
        );
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
    }
}
