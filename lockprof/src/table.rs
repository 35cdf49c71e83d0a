//! Tables of strings, rendered as aligned text or as Markdown.

/// A table of strings; numeric columns are right-aligned.
pub struct Table {
    /// Column titles.
    pub header: Vec<String>,
    /// Which columns are right-aligned.
    pub right: Vec<bool>,
    /// Cells, one `Vec` per row.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with `(title, right-aligned)` columns.
    pub fn new(header: &[(&str, bool)]) -> Self {
        Self {
            header: header.iter().map(|(h, _)| h.to_string()).collect(),
            right: header.iter().map(|(_, r)| *r).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row of cells.
    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) {
        self.rows
            .push(cells.into_iter().map(str::to_string).collect());
    }

    /// Aligned columns, two spaces apart, each line indented by two.
    pub fn text(&self) -> String {
        let widths: Vec<usize> = (0..self.header.len())
            .map(|i| {
                self.rows
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([self.header[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: Vec<&str>| {
            let padded: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(i, c)| match self.right[i] {
                    true => format!("{c:>w$}", w = widths[i]),
                    false => format!("{c:<w$}", w = widths[i]),
                })
                .collect();
            format!("  {}\n", padded.join("  ").trim_end())
        };
        let mut out = line(self.header.iter().map(String::as_str).collect());
        for row in &self.rows {
            out.push_str(&line(row.iter().map(String::as_str).collect()));
        }
        out
    }

    /// A Markdown (GitHub) table.
    pub fn markdown(&self) -> String {
        let mut out = format!("| {} |\n|", self.header.join(" | "));
        for right in &self.right {
            out.push_str(if *right { " ---: |" } else { " --- |" });
        }
        out.push('\n');
        for row in &self.rows {
            out.push_str(&format!("| {} |\n", row.join(" | ")));
        }
        out
    }
}

/// Seconds with two decimals.
pub fn secs(s: f64) -> String {
    format!("{s:.2}s")
}

/// A short duration: milliseconds below a second, else seconds.
pub fn short_secs(s: f64) -> String {
    match s < 1.0 {
        true => format!("{:.1} ms", s * 1e3),
        false => format!("{s:.2}s"),
    }
}

/// An integer with thousands separators.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate, rounded, with thousands separators.
pub fn per_sec(r: f64) -> String {
    count(r.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_and_render_markdown() {
        let mut t = Table::new(&[("name", false), ("n", true)]);
        t.rows.push(vec!["a".into(), "10".into()]);
        t.rows.push(vec!["long".into(), "2".into()]);
        assert_eq!(t.text(), "  name   n\n  a     10\n  long   2\n");
        assert_eq!(
            t.markdown(),
            "| name | n |\n| --- | ---: |\n| a | 10 |\n| long | 2 |\n"
        );
    }

    #[test]
    fn short_durations_switch_to_milliseconds_below_a_second() {
        assert_eq!(short_secs(0.0003), "0.3 ms");
        assert_eq!(short_secs(2.5), "2.50s");
    }

    #[test]
    fn counts_group_thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
    }
}
