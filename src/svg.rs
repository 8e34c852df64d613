//! Small SVG charts for the report: scatter plots and line charts with axes, ticks and a
//! legend, as self-contained SVG text (no scripts, no fonts to fetch).

use std::fmt::Write as _;

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 420.0;
const MARGIN: f64 = 56.0;

/// A chart being drawn: data ranges, then marks, then `finish`.
pub struct Chart {
    x: (f64, f64),
    y: (f64, f64),
    marks: String,
    legend: Vec<(String, String)>,
    title: String,
    x_label: String,
    y_label: String,
}

impl Chart {
    /// A chart of data in `x` × `y` (each (low, high)).
    pub fn new(title: &str, x_label: &str, y_label: &str, x: (f64, f64), y: (f64, f64)) -> Self {
        let widen = |(lo, hi): (f64, f64)| {
            if (hi - lo).abs() < 1e-12 || !lo.is_finite() || !hi.is_finite() {
                let mid = if lo.is_finite() { lo } else { 0.0 };
                (mid - 1.0, mid + 1.0)
            } else {
                (lo, hi)
            }
        };
        Chart {
            x: widen(x),
            y: widen(y),
            marks: String::new(),
            legend: Vec::new(),
            title: escape(title),
            x_label: escape(x_label),
            y_label: escape(y_label),
        }
    }

    fn px(&self, x: f64) -> f64 {
        MARGIN + (x - self.x.0) / (self.x.1 - self.x.0) * (WIDTH - 1.5 * MARGIN)
    }

    fn py(&self, y: f64) -> f64 {
        HEIGHT - MARGIN - (y - self.y.0) / (self.y.1 - self.y.0) * (HEIGHT - 1.5 * MARGIN)
    }

    /// Dots at `(x, y, colour)`.
    pub fn points<'a>(
        &mut self,
        points: impl IntoIterator<Item = (f64, f64, &'a str)>,
        radius: f64,
    ) {
        for (x, y, colour) in points {
            if x.is_finite() && y.is_finite() {
                let _ = writeln!(
                    self.marks,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="{radius}" fill="{colour}" fill-opacity="0.55"/>"#,
                    self.px(x),
                    self.py(y)
                );
            }
        }
    }

    /// A polyline through `points`.
    pub fn line(&mut self, points: &[(f64, f64)], colour: &str) {
        let path: Vec<String> = (points.iter())
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .map(|&(x, y)| format!("{:.1},{:.1}", self.px(x), self.py(y)))
            .collect();
        let _ = writeln!(
            self.marks,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
            path.join(" ")
        );
    }

    /// A legend entry: a swatch of `colour` and its `label`.
    pub fn legend(&mut self, label: &str, colour: &str) {
        self.legend.push((escape(label), colour.to_string()));
    }

    /// The SVG element.
    pub fn finish(self) -> String {
        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11" role="img">"#
        );
        let _ = writeln!(svg, r#"<title>{}</title>"#, self.title);
        let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="18" text-anchor="middle" font-size="13">{}</text>"#,
            WIDTH / 2.0,
            self.title
        );
        let (bottom, top) = (HEIGHT - MARGIN, MARGIN / 2.0);
        let (left, right) = (MARGIN, WIDTH - MARGIN / 2.0);
        for t in ticks(self.x.0, self.x.1) {
            let x = self.px(t);
            let _ = writeln!(
                svg,
                r##"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{bottom}" stroke="#e4e4e4"/><text x="{x:.1}" y="{}" text-anchor="middle">{}</text>"##,
                bottom + 14.0,
                label(t)
            );
        }
        for t in ticks(self.y.0, self.y.1) {
            let y = self.py(t);
            let _ = writeln!(
                svg,
                r##"<line x1="{left}" y1="{y:.1}" x2="{right}" y2="{y:.1}" stroke="#e4e4e4"/><text x="{}" y="{y:.1}" text-anchor="end" dominant-baseline="middle">{}</text>"##,
                left - 4.0,
                label(t)
            );
        }
        let _ = writeln!(
            svg,
            r##"<rect x="{left}" y="{top}" width="{}" height="{}" fill="none" stroke="#999"/>"##,
            right - left,
            bottom - top
        );
        svg.push_str(&self.marks);
        for (i, (text, colour)) in self.legend.iter().enumerate() {
            let y = top + 10.0 + 14.0 * i as f64;
            let _ = writeln!(
                svg,
                r#"<rect x="{}" y="{}" width="10" height="10" fill="{colour}"/><text x="{}" y="{}" dominant-baseline="middle">{text}</text>"#,
                right - 70.0,
                y - 5.0,
                right - 56.0,
                y
            );
        }
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            (left + right) / 2.0,
            HEIGHT - 16.0,
            self.x_label
        );
        let _ = writeln!(
            svg,
            r#"<text x="14" y="{0}" text-anchor="middle" transform="rotate(-90 14 {0})">{1}</text>"#,
            (top + bottom) / 2.0,
            self.y_label
        );
        svg.push_str("</svg>\n");
        svg
    }
}

/// The (low, high) of `values`, finite ones only.
pub fn extent(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    (values.into_iter())
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        })
}

/// A colour along a blue → yellow → red scale for `t` in [0, 1].
pub fn scale_colour(t: f64) -> String {
    let t = t.clamp(0.0, 1.0);
    let hue = 240.0 * (1.0 - t);
    format!("hsl({hue:.0},75%,45%)")
}

/// Distinct colours for categories.
pub const PALETTE: [&str; 8] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
];

/// Round tick values, 1, 2 or 5 × 10ⁿ apart, about six of them across [lo, hi].
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let raw = (hi - lo) / 6.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * magnitude);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// A tick label: no more digits than it needs.
fn label(value: f64) -> String {
    if value.abs() >= 1e5 {
        format!("{value:.1e}")
    } else {
        let text = format!("{value:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Text safe inside SVG and HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(
            ticks(0.0, 1.0),
            vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
        let t = ticks(-3.3, 47.0);
        assert_eq!((t[0], t[1] - t[0]), (0.0, 10.0));
        assert_eq!(label(0.25), "0.25");
        assert_eq!(label(2.0), "2");
    }

    #[test]
    fn a_chart_is_one_svg_element_with_its_marks() {
        let mut chart = Chart::new("a < b", "x", "y", (0.0, 1.0), (0.0, 1.0));
        chart.points([(0.5, 0.5, "#000"), (f64::NAN, 0.0, "#000")], 2.0);
        chart.line(&[(0.0, 0.0), (1.0, 1.0)], "#c33");
        chart.legend("k 3", PALETTE[0]);
        let svg = chart.finish();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<circle").count(), 1, "NaN points are left out");
        assert!(svg.contains("a &lt; b") && svg.contains("<polyline"));
    }
}
