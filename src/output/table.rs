//! kubectl-look tables: no borders, left-aligned columns, 3-space gutters, upper-case headers.

use std::io::Write;

use crate::error::Error;
use crate::output::ui;

/// Rows laid out by one comfy-table at a time when a table is written.
const BLOCK_ROWS: usize = 1000;

/// A kubectl-look table: no borders, left-aligned, 3-space gutters, upper-case headers.
pub fn table(headers: &[&str], rows: &[Vec<String>], no_headers: bool) -> String {
    let mut t = TableBuilder::new(headers);
    for row in rows {
        t.push_row(row);
    }
    t.render(no_headers)
}

/// A kubectl-look table built row by row. Cells live in one text buffer, so a 100,000-row table
/// costs its text and a few bytes per cell, not a `String` (or a styled cell) each; comfy-table
/// lays the rows out a block at a time when the table is written.
///
/// Layout, as kubectl prints (comfy-table with `presets::NOTHING`, padding `(0, 3)` and
/// `trim_fmt`): each column as wide as its widest cell (display width, at least 1), cells
/// left-aligned and followed by three spaces except in the last column, trailing whitespace
/// trimmed from every line.
#[derive(Debug, Default)]
pub struct TableBuilder {
    headers: Vec<String>,
    /// Every cell's (terminal-safe) text, back to back.
    text: String,
    /// End offset in `text` of each cell, row after row.
    ends: Vec<u32>,
    /// Index in `ends` of each row's first cell, plus one final entry.
    rows: Vec<u32>,
    /// Display width of the widest data cell of each column.
    widths: Vec<usize>,
    /// The order rows are written in, when not the order they were pushed in.
    order: Option<Vec<u32>>,
}

impl TableBuilder {
    pub fn new(headers: &[&str]) -> TableBuilder {
        TableBuilder {
            headers: headers.iter().map(|h| h.to_uppercase()).collect(),
            rows: vec![0],
            ..TableBuilder::default()
        }
    }

    /// A table whose headers print as given (kubectl's custom columns), not upper-cased.
    pub fn with_headers_as_given(headers: &[&str]) -> TableBuilder {
        TableBuilder {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: vec![0],
            ..TableBuilder::default()
        }
    }

    /// Appends a row; control characters in cells are escaped ([`ui::terminal_safe`]).
    pub fn push_row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for (i, cell) in cells.into_iter().enumerate() {
            let cell = cell.as_ref();
            let start = self.text.len();
            if cell.chars().any(ui::needs_escape) {
                self.text.push_str(&ui::terminal_safe(cell));
            } else {
                self.text.push_str(cell);
            }
            let width = display_width(&self.text[start..]);
            if self.widths.len() <= i {
                self.widths.resize(i + 1, 0);
            }
            self.widths[i] = self.widths[i].max(width);
            self.ends
                .push(u32::try_from(self.text.len()).expect("table text under 4 GiB"));
        }
        self.rows
            .push(u32::try_from(self.ends.len()).expect("under 4 billion cells"));
    }

    pub fn len(&self) -> usize {
        self.rows.len() - 1
    }

    /// Writes the rows in this order (indices in push order) instead; rows it leaves out are not
    /// written.
    pub fn set_order(&mut self, order: impl IntoIterator<Item = usize>) {
        let order: Vec<u32> = order
            .into_iter()
            .map(|i| u32::try_from(i).expect("under 4 billion rows"))
            .collect();
        debug_assert!(order.iter().all(|&i| (i as usize) < self.len()));
        if order.len() < self.len() {
            // Rows left out do not widen the columns.
            self.widths = Vec::new();
            for &index in &order {
                let cells: Vec<usize> = self.row(index as usize).map(display_width).collect();
                for (i, width) in cells.into_iter().enumerate() {
                    if self.widths.len() <= i {
                        self.widths.resize(i + 1, 0);
                    }
                    self.widths[i] = self.widths[i].max(width);
                }
            }
        }
        self.order = Some(order);
    }

    fn row(&self, index: usize) -> impl Iterator<Item = &str> {
        let (first, last) = (self.rows[index] as usize, self.rows[index + 1] as usize);
        (first..last).map(move |c| {
            let start = if c == 0 { 0 } else { self.ends[c - 1] as usize };
            &self.text[start..self.ends[c] as usize]
        })
    }

    /// Writes the table (with its header line unless `no_headers`), laid out by comfy-table in
    /// blocks of [`BLOCK_ROWS`] rows: memory stays flat however many rows there are.
    pub fn write_to(&self, out: &mut dyn Write, no_headers: bool) -> std::io::Result<()> {
        self.write_blocks(out, no_headers, BLOCK_ROWS)
    }

    /// Every column's width is fixed up front (the widest cell of the whole table, header
    /// included), so each block comes out exactly as its rows would in one big table.
    fn write_blocks(
        &self,
        out: &mut dyn Write,
        no_headers: bool,
        block_rows: usize,
    ) -> std::io::Result<()> {
        use comfy_table::{
            CellAlignment, ColumnConstraint, ContentArrangement, Table, Width, presets,
        };
        let shown = self.order.as_ref().map_or(self.len(), Vec::len);
        if shown == 0 && no_headers {
            return Ok(());
        }
        let header_cells = if no_headers { 0 } else { self.headers.len() };
        let columns = header_cells.max(self.widths.len());
        if columns == 0 {
            // No cell anywhere: no line to draw, as comfy-table prints it.
            return out.write_all(b"\n");
        }
        let mut widths: Vec<usize> = (0..columns)
            .map(|i| self.widths.get(i).copied().unwrap_or(0))
            .collect();
        if !no_headers {
            for (w, h) in widths.iter_mut().zip(&self.headers) {
                *w = (*w).max(display_width(h));
            }
        }
        // kubectl's gutter is three spaces after every column but the last one named by the
        // headers (columns past it keep theirs; trailing spaces are trimmed anyway).
        let last = self.headers.len().saturating_sub(1);
        let gutter = |i: usize| if i == last { 0 } else { 3 };
        let mut order: Box<dyn Iterator<Item = usize>> = match &self.order {
            Some(order) => Box::new(order.iter().map(|&i| i as usize)),
            None => Box::new(0..self.len()),
        };
        let mut first = true;
        loop {
            let block: Vec<usize> = order.by_ref().take(block_rows.max(1)).collect();
            if block.is_empty() && !first {
                return Ok(());
            }
            let mut table = Table::new();
            table
                .load_style(presets::NOTHING)
                .set_content_arrangement(ContentArrangement::Disabled);
            if first && !no_headers {
                table.set_header(&self.headers);
            }
            for &index in &block {
                // Every row gets every column, so no block has fewer columns than the table.
                let mut cells: Vec<&str> = self.row(index).collect();
                cells.resize(columns, "");
                table.add_row(cells);
            }
            for (i, column) in table.column_iter_mut().enumerate() {
                let content = u16::try_from(widths[i].max(1)).unwrap_or(u16::MAX);
                column.set_cell_alignment(CellAlignment::Left);
                column.set_padding((0, gutter(i)));
                column.set_constraint(ColumnConstraint::Absolute(Width::Fixed(
                    content.saturating_add(gutter(i)),
                )));
            }
            out.write_all(table.trim_fmt().as_bytes())?;
            out.write_all(b"\n")?;
            first = false;
            if block.len() < block_rows.max(1) {
                return Ok(());
            }
        }
    }

    /// The table as text.
    pub fn render(&self, no_headers: bool) -> String {
        let mut out = Vec::new();
        self.write_to(&mut out, no_headers)
            .expect("writing to memory");
        String::from_utf8(out).expect("cells are UTF-8")
    }
}

/// `-o csv`: RFC 4180 with a header row, one record per row; the values are written as they
/// are (CSV quoting, not terminal escaping, keeps each one a field).
pub fn csv<H, R, C>(header: &[H], rows: impl IntoIterator<Item = R>) -> Result<String, Error>
where
    H: AsRef<[u8]>,
    R: IntoIterator<Item = C>,
    C: AsRef<[u8]>,
{
    let failed = |e: csv::Error| Error::output(format!("writing CSV: {e}"));
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header).map_err(failed)?;
    for row in rows {
        writer.write_record(row).map_err(failed)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| Error::output(format!("writing CSV: {e}")))?;
    Ok(String::from_utf8(bytes).expect("CSV of UTF-8 fields"))
}

/// Terminal columns `text` takes (East Asian wide characters count two).
fn display_width(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        unicode_width::UnicodeWidthStr::width(text)
    }
}

/// `<none>` for a missing value, as kubectl prints it.
pub fn or_none(value: Option<&str>) -> String {
    value
        .map(str::to_string)
        .unwrap_or_else(|| "<none>".to_string())
}

/// kubectl's AGE: `45s`, `5m30s`, `90m`, `3h20m`, `36h`, `5d3h`, `30d`, `2y12d`, `9y`.
pub fn age(created: Option<jiff::Timestamp>, now: jiff::Timestamp) -> String {
    let Some(created) = created else {
        return "<unknown>".to_string();
    };
    let seconds = now.as_second() - created.as_second();
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    let seconds = seconds.max(0);
    let minutes = seconds / 60;
    let hours = minutes / 60;
    let days = hours / 24;
    let years = days / 365;
    let with = |big: i64, big_unit: &str, small: i64, small_unit: &str| {
        if small == 0 {
            format!("{big}{big_unit}")
        } else {
            format!("{big}{big_unit}{small}{small_unit}")
        }
    };
    if seconds < 120 {
        format!("{seconds}s")
    } else if minutes < 10 {
        with(minutes, "m", seconds % 60, "s")
    } else if minutes < 180 {
        format!("{minutes}m")
    } else if hours < 8 {
        with(hours, "h", minutes % 60, "m")
    } else if hours < 48 {
        format!("{hours}h")
    } else if hours < 24 * 8 {
        with(days, "d", hours % 24, "h")
    } else if days < 365 * 2 {
        format!("{days}d")
    } else if days < 365 * 8 {
        with(years, "y", days % 365, "d")
    } else {
        format!("{years}y")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_table_look() {
        let out = table(
            &["name", "team"],
            &[
                vec!["api".into(), "payments".into()],
                vec!["ledger-long".into(), "<none>".into()],
            ],
            false,
        );
        assert_eq!(
            out,
            "NAME          TEAM\napi           payments\nledger-long   <none>\n"
        );
        let out = table(
            &["name", "team"],
            &[vec!["api".into(), "payments".into()]],
            true,
        );
        assert_eq!(out, "api   payments\n");
        // Rows without cells in a table without columns draw nothing (as comfy-table did).
        assert_eq!(table(&[""], &[vec![], vec![]], true), "\n");
    }

    /// The reference: every row in one comfy-table, widths found by comfy-table itself.
    fn comfy_table(headers: &[&str], rows: &[Vec<String>], no_headers: bool) -> String {
        use comfy_table::{CellAlignment, ContentArrangement, Table, presets};
        if rows.is_empty() && no_headers {
            return String::new();
        }
        let mut t = Table::new();
        t.load_style(presets::NOTHING)
            .set_content_arrangement(ContentArrangement::Disabled);
        if !no_headers {
            t.set_header(headers.iter().map(|h| h.to_uppercase()));
        }
        for row in rows {
            t.add_row(row.iter().map(|cell| ui::terminal_safe(cell)));
        }
        let last = headers.len().saturating_sub(1);
        for (i, column) in t.column_iter_mut().enumerate() {
            column.set_cell_alignment(CellAlignment::Left);
            column.set_padding((0, if i == last { 0 } else { 3 }));
        }
        let mut out = t.trim_fmt();
        out.push('\n');
        out
    }

    proptest::proptest! {
        // No proptest-regressions/ directory in the repository: failures print their input.
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 4000,
            failure_persistence: None,
            ..Default::default()
        })]
        /// Blocks of any size, each laid out by its own comfy-table with the widths fixed up
        /// front, print the same bytes as one comfy-table of every row.
        #[test]
        fn blocks_print_the_same_bytes_as_one_table(
            headers in proptest::collection::vec("[a-z-]{0,8}", 1..5),
            rows in proptest::collection::vec(
                proptest::collection::vec("([a-z0-9<>./-]{0,12}|[ \t\n\u{1b}\u{200b}\u{a0}\u{3000}]{0,3}|[é中😀\u{301}]{0,4})", 0..6),
                0..12,
            ),
            no_headers in proptest::bool::ANY,
            block_rows in 1usize..6,
        ) {
            let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
            let mut builder = TableBuilder::new(&headers);
            for row in &rows {
                builder.push_row(row);
            }
            let mut blocks = Vec::new();
            builder.write_blocks(&mut blocks, no_headers, block_rows).unwrap();
            let expected = comfy_table(&headers, &rows, no_headers);
            proptest::prop_assert_eq!(String::from_utf8(blocks).unwrap(), expected.clone());
            proptest::prop_assert_eq!(table(&headers, &rows, no_headers), expected);
        }
    }

    #[test]
    fn ages_like_kubectl() {
        let now = jiff::Timestamp::from_second(1_000_000_000).unwrap();
        let ago = |s: i64| {
            age(
                Some(jiff::Timestamp::from_second(1_000_000_000 - s).unwrap()),
                now,
            )
        };
        assert_eq!(ago(45), "45s");
        assert_eq!(ago(119), "119s");
        assert_eq!(ago(5 * 60 + 30), "5m30s");
        assert_eq!(ago(5 * 60), "5m");
        assert_eq!(ago(90 * 60), "90m");
        assert_eq!(ago(3 * 3600 + 20 * 60), "3h20m");
        assert_eq!(ago(36 * 3600), "36h");
        assert_eq!(ago(5 * 86400 + 3 * 3600), "5d3h");
        assert_eq!(ago(2 * 86400), "2d");
        assert_eq!(ago(30 * 86400), "30d");
        assert_eq!(ago(2 * 365 * 86400 + 12 * 86400), "2y12d");
        assert_eq!(ago(9 * 365 * 86400), "9y");
        assert_eq!(age(None, now), "<unknown>");
    }
}
