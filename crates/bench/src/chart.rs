//! Grouped horizontal bar charts as standalone SVG, for BENCHMARKS.md.

use std::fmt::Write as _;

/// One group of bars (a content class), one bar per series.
#[derive(Debug, Clone)]
pub struct Group {
    /// Label left of the group.
    pub label: String,
    /// One value per series, in the chart's series order; `None` draws no bar.
    pub values: Vec<Option<f64>>,
}

/// A chart: `series` names the bars of each group, `format` prints a value
/// at the end of its bar. With `log`, bar lengths are logarithmic (for values
/// spanning several orders of magnitude, like bytes).
#[derive(Debug, Clone)]
pub struct BarChart<'a> {
    /// Title above the chart.
    pub title: &'a str,
    /// Name and colour (any SVG colour) of each series, in bar order.
    pub series: &'a [(&'a str, &'a str)],
    /// The groups, top to bottom.
    pub groups: Vec<Group>,
    /// Logarithmic bar lengths.
    pub log: bool,
    /// Prints a value.
    pub format: fn(f64) -> String,
}

/// Colours that keep one meaning across the charts.
pub const FRAMECAST: &str = "#1b7f5b";
/// framecast with more threads.
pub const FRAMECAST_LIGHT: &str = "#7fb7a0";
/// JPEG.
pub const JPEG: &str = "#c0504d";
/// PNG.
pub const PNG: &str = "#4f81bd";
/// Raw bytes.
pub const RAW: &str = "#999999";
const WIDTH: f64 = 760.0;
const LABEL: f64 = 80.0;
const BAR: f64 = 14.0;
const GAP: f64 = 12.0;
const TOP: f64 = 56.0;
/// Room right of the longest bar for its value.
const VALUE_ROOM: f64 = 90.0;

impl BarChart<'_> {
    /// The chart as an SVG document.
    pub fn svg(&self) -> String {
        let values = self.groups.iter().flat_map(|g| g.values.iter().flatten());
        let max = values.clone().fold(f64::MIN, |a, &b| a.max(b));
        let min = values.fold(f64::MAX, |a, &b| a.min(b));
        let span = WIDTH - LABEL - VALUE_ROOM;
        let length = |value: f64| {
            if self.log {
                // One decade below the smallest value still shows a stub.
                let floor = (min.max(f64::MIN_POSITIVE)).log10().floor() - 1.0;
                span * (value.log10() - floor) / (max.log10() - floor)
            } else {
                span * value / max
            }
        };
        let group_height = self.series.len() as f64 * BAR + GAP;
        let height = TOP + self.groups.len() as f64 * group_height + 10.0;
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\">\n\
             <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
             <text x=\"{LABEL}\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{}</text>\n",
            escape(self.title)
        );
        let mut x = LABEL;
        for (series, colour) in self.series {
            writeln!(svg, "<rect x=\"{x}\" y=\"30\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{}\" y=\"39\">{}</text>", x + 14.0, escape(series)).unwrap();
            x += 24.0 + 7.0 * series.len() as f64;
        }
        for (n, group) in self.groups.iter().enumerate() {
            let y0 = TOP + n as f64 * group_height;
            let middle = y0 + self.series.len() as f64 * BAR / 2.0 + 4.0;
            writeln!(
                svg,
                "<text x=\"{}\" y=\"{middle}\" text-anchor=\"end\">{}</text>",
                LABEL - 8.0,
                escape(&group.label)
            )
            .unwrap();
            for (i, (value, (_, colour))) in group.values.iter().zip(self.series).enumerate() {
                let Some(value) = *value else { continue };
                let y = y0 + i as f64 * BAR;
                let w = length(value).max(1.0);
                writeln!(
                    svg,
                    "<rect x=\"{LABEL}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{}\">{}</text>",
                    BAR - 2.0,
                    LABEL + w + 4.0,
                    y + BAR - 4.0,
                    escape(&(self.format)(value))
                )
                .unwrap();
            }
        }
        svg.push_str("</svg>\n");
        svg
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bar_per_value_longest_for_the_largest() {
        let chart = BarChart {
            title: "encode <ms>",
            series: &[("a", "red"), ("b", "blue")],
            groups: vec![
                Group {
                    label: "x".into(),
                    values: vec![Some(1.0), Some(4.0)],
                },
                Group {
                    label: "y".into(),
                    values: vec![Some(2.0), None],
                },
            ],
            log: false,
            format: |v| format!("{v} ms"),
        };
        let svg = chart.svg();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("encode &lt;ms&gt;"));
        // Two legend swatches, three bars.
        assert_eq!(svg.matches("<rect").count(), 1 + 2 + 3);
        let widths: Vec<f64> = svg
            .split("width=\"")
            .skip(2) // the document's own width
            .filter_map(|rest| rest.split('"').next()?.parse().ok())
            .filter(|&w: &f64| w > 10.0)
            .collect();
        let longest = widths.iter().cloned().fold(0.0, f64::max);
        assert_eq!(longest, WIDTH - LABEL - VALUE_ROOM, "4 ms fills the span");
        assert!(svg.contains(">4 ms<") && svg.contains(">2 ms<"));
    }
}
