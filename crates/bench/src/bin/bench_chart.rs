//! `bench_chart RESULTS.json OUT_DIR`: one PNG per group of `bench/compare.py`'s results.
//!
//! Each chart has one horizontal bar per row of the group: the median of the pair ratios
//! (Basalt against the reference, turned so that above 1 is always Basalt better), a whisker
//! from the smallest to the largest pair ratio, a line at parity (1.0) and, where the row has
//! one, a dashed line at its target. A row whose runs erred or gave no ratio is drawn as a red
//! label instead of a bar, so a miss stays visible.
//!
//! Text goes through plotters' `ab_glyph` feature (pure Rust) with a TrueType font read at run
//! time from Debian's `fonts-dejavu-core` (or `BENCH_CHART_FONT`): no system font library is
//! linked and no font is kept in the repository.
//!
//! The JSON is either a list of rows or an object with a `rows` list; a row is
//! `{"group", "workload", "metric", "median", "min", "max", "target", "errors", ...}`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};
use serde_json::Value;

/// Where Debian's DejaVu fonts live; the first one found is used.
const FONT_PATHS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
];

/// The family name the charts ask for; `register_font` binds it to the file read.
const FAMILY: &str = "sans-serif";

/// One bar: a row of the results.
struct Bar {
    label: String,
    median: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
    target: Option<f64>,
    errors: u64,
}

type Failure = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 2 {
        eprintln!("usage: bench_chart RESULTS.json OUT_DIR");
        return ExitCode::from(2);
    }
    match run(Path::new(&args[0]), Path::new(&args[1])) {
        Ok(written) => {
            for path in written {
                eprintln!("bench_chart: wrote {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench_chart: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(results: &Path, out_dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    load_font()?;
    let text = std::fs::read_to_string(results)
        .map_err(|e| format!("cannot read {}: {e}", results.display()))?;
    let json: Value = serde_json::from_str(&text)?;
    let rows = match &json {
        Value::Array(rows) => rows,
        Value::Object(map) => map
            .get("rows")
            .and_then(Value::as_array)
            .ok_or("the results object has no `rows` list")?,
        _ => return Err("the results are neither a list nor an object".into()),
    };
    // Groups in their first order of appearance, rows in file order.
    let mut order: Vec<String> = Vec::new();
    let mut groups: BTreeMap<String, Vec<Bar>> = BTreeMap::new();
    for row in rows {
        let group = row.get("group").and_then(Value::as_str).unwrap_or("other");
        if !groups.contains_key(group) {
            order.push(group.to_owned());
        }
        groups
            .entry(group.to_owned())
            .or_default()
            .push(bar_of(row));
    }
    std::fs::create_dir_all(out_dir)?;
    let mut written = Vec::new();
    for group in order {
        let Some(bars) = groups.get(&group) else {
            continue;
        };
        let path = out_dir.join(format!("{group}.png"));
        draw(&path, &group, bars)?;
        written.push(path);
    }
    Ok(written)
}

fn load_font() -> Result<(), Failure> {
    let candidates: Vec<PathBuf> = std::env::var_os("BENCH_CHART_FONT")
        .map(PathBuf::from)
        .into_iter()
        .chain(FONT_PATHS.iter().map(PathBuf::from))
        .collect();
    for path in &candidates {
        if let Ok(bytes) = std::fs::read(path) {
            // plotters keeps fonts for the life of the process.
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            register_font(FAMILY, FontStyle::Normal, bytes)
                .map_err(|_| format!("{} is not a TrueType font", path.display()))?;
            return Ok(());
        }
    }
    Err("no font found: install fonts-dejavu-core or set BENCH_CHART_FONT to a .ttf file".into())
}

fn bar_of(row: &Value) -> Bar {
    let num = |key: &str| {
        row.get(key)
            .and_then(Value::as_f64)
            .filter(|v| v.is_finite())
    };
    let errors = row
        .get("errors")
        .and_then(Value::as_object)
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0);
    let workload = row.get("workload").and_then(Value::as_str).unwrap_or("?");
    let metric = row.get("metric").and_then(Value::as_str).unwrap_or("");
    Bar {
        label: if metric.is_empty() {
            workload.to_owned()
        } else {
            format!("{workload} ({metric})")
        },
        median: num("median"),
        min: num("min"),
        max: num("max"),
        target: num("target"),
        errors,
    }
}

fn draw(path: &Path, group: &str, bars: &[Bar]) -> Result<(), Failure> {
    let height = 110 + 36 * u32::try_from(bars.len()).unwrap_or(u32::MAX / 64).max(1);
    let root = BitMapBackend::new(path, (960, height)).into_drawing_area();
    root.fill(&WHITE)?;
    plot(&root, group, bars)?;
    root.present()?;
    Ok(())
}

fn plot(
    root: &DrawingArea<BitMapBackend<'_>, Shift>,
    group: &str,
    bars: &[Bar],
) -> Result<(), Failure> {
    // Rows run top to bottom in file order: row i is centred at y = n - i - 0.5.
    let n = bars.len() as f64;
    let centre = |i: usize| n - i as f64 - 0.5;
    let highest = bars
        .iter()
        .flat_map(|b| [b.max, b.median, b.target])
        .flatten()
        .fold(1.0_f64, f64::max);
    let x_end = highest * 1.3;
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("{group}: Basalt / reference (above 1 = Basalt better; dashed: target)"),
            (FAMILY, 18),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(330)
        .build_cartesian_2d(0.0..x_end, 0.0..n)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_desc("ratio: median of the pairs, whisker from min to max")
        .label_style((FAMILY, 13))
        .axis_desc_style((FAMILY, 13))
        .draw()?;

    let bar_colour = RGBColor(70, 110, 170);
    let miss_colour = RGBColor(190, 40, 40);
    let label_style =
        TextStyle::from((FAMILY, 13).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
    for (i, bar) in bars.iter().enumerate() {
        let y = centre(i);
        // The row's label, right-aligned against the axis (drawn in pixels: the y axis has no
        // numeric labels).
        let (ax, ay) = chart.backend_coord(&(0.0, y));
        root.draw(&Text::new(
            bar.label.clone(),
            (ax - 8, ay),
            label_style.clone(),
        ))?;
        let Some(median) = bar.median else {
            chart.draw_series(std::iter::once(Text::new(
                if bar.errors > 0 {
                    format!("errors: {} (no ratio)", bar.errors)
                } else {
                    "no ratio".to_owned()
                },
                (0.02 * x_end, y),
                (FAMILY, 13)
                    .into_font()
                    .color(&miss_colour)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            )))?;
            continue;
        };
        // A bar below its target (or below parity when there is none) is a miss.
        let goal = bar.target.unwrap_or(1.0);
        let colour = if median < goal || bar.errors > 0 {
            miss_colour
        } else {
            bar_colour
        };
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, y - 0.32), (median, y + 0.32)],
            colour.mix(0.75).filled(),
        )))?;
        let (lo, hi) = (bar.min.unwrap_or(median), bar.max.unwrap_or(median));
        // The whisker: min to max, with end caps.
        chart.draw_series(
            [
                vec![(lo, y), (hi, y)],
                vec![(lo, y - 0.18), (lo, y + 0.18)],
                vec![(hi, y - 0.18), (hi, y + 0.18)],
            ]
            .into_iter()
            .map(|points| PathElement::new(points, BLACK.stroke_width(2))),
        )?;
        // Two decimals, or four below 0.1: a miss of 1000x is not "0.00".
        let show = |x: f64| {
            if x >= 0.1 {
                format!("{x:.2}")
            } else {
                format!("{x:.4}")
            }
        };
        let mut note = format!("{} ({}-{})", show(median), show(lo), show(hi));
        if bar.errors > 0 {
            note.push_str(&format!(", {} errors", bar.errors));
        }
        chart.draw_series(std::iter::once(Text::new(
            note,
            (hi.max(median) + 0.015 * x_end, y),
            TextStyle::from((FAMILY, 12).into_font()).pos(Pos::new(HPos::Left, VPos::Center)),
        )))?;
    }
    // Parity across the whole chart, and each distinct target dashed.
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(1.0, 0.0), (1.0, n)],
        BLACK.stroke_width(1),
    )))?;
    let mut targets: Vec<f64> = bars.iter().filter_map(|b| b.target).collect();
    targets.sort_by(f64::total_cmp);
    targets.dedup();
    let orange = RGBColor(200, 120, 0);
    let dash = n / 60.0;
    for t in targets {
        chart.draw_series((0..60).step_by(2).map(|k| {
            let from = f64::from(k) * dash;
            PathElement::new(vec![(t, from), (t, from + dash)], orange.stroke_width(2))
        }))?;
    }
    Ok(())
}
