//! The embedded comparison's smoke test: `embedded_compare --quick` runs every workload on
//! both sides without an error and writes rows of the harness's common schema, with ratios
//! consistent with the values they come from.

#![allow(clippy::unwrap_used, reason = "test code: a failure should panic")]

use std::process::Command;

use basalt_bench::embedded::compare::WORKLOADS;
use serde_json::Value;

fn number(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {v}"))
}

fn numbers(row: &Value, key: &str) -> Vec<f64> {
    row[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is not an array: {row}"))
        .iter()
        .map(|v| number(v, key))
        .collect()
}

#[test]
fn quick_mode_writes_every_row_of_the_common_schema() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("embedded.json");
    let out = Command::new(env!("CARGO_BIN_EXE_embedded_compare"))
        .args(["--quick", "--dir"])
        .arg(dir.path())
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}\n{stderr}", out.status);

    let rows: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), WORKLOADS.len());
    for (row, w) in rows.iter().zip(WORKLOADS) {
        assert_eq!(row["group"], "embedded");
        assert_eq!(row["id"], w.id);
        assert_eq!(row["workload"], w.name);
        assert!(["ops/s", "rows/s", "s"].contains(&row["metric"].as_str().unwrap()));
        assert_eq!(row["higher_is_better"], true);
        assert!(
            row["reference"]
                .as_str()
                .unwrap()
                .starts_with("SQLite (WAL, synchronous=")
        );
        assert_eq!(row["errors"]["reference"], 0, "{row}");
        assert_eq!(row["errors"]["basalt"], 0, "{row}");
        assert!(!row["note"].as_str().unwrap().is_empty());
        match w.target {
            Some(t) => assert_eq!(number(&row["target"], "target"), t),
            None => assert!(row["target"].is_null()),
        }
        // Quick mode: one pair, no warm-up; the ratio is Basalt's rate over SQLite's.
        let (r, b, ratios) = (
            numbers(row, "reference_values"),
            numbers(row, "basalt_values"),
            numbers(row, "ratios"),
        );
        assert_eq!((r.len(), b.len(), ratios.len()), (1, 1, 1), "{row}");
        assert!(r[0] > 0.0 && b[0] > 0.0, "{row}");
        assert!((ratios[0] - b[0] / r[0]).abs() < 1e-9 * ratios[0], "{row}");
        for key in ["median", "min", "max"] {
            assert_eq!(number(&row[key], key), ratios[0], "{key}");
        }
    }
    // Bulk loads report both sides' size on disk.
    let copy = rows.iter().find(|r| r["id"] == "bulk_copy").unwrap();
    assert!(number(&copy["disk_mib"]["basalt"], "disk") > 0.0, "{copy}");
    assert!(
        number(&copy["disk_mib"]["reference"], "disk") > 0.0,
        "{copy}"
    );

    // The Markdown table on stdout has a line per workload.
    let table = String::from_utf8(out.stdout).unwrap();
    for w in WORKLOADS {
        assert!(table.contains(&format!("| {} |", w.name)), "{table}");
    }
}

#[test]
fn unknown_workloads_and_missing_output_are_refused() {
    let bin = env!("CARGO_BIN_EXE_embedded_compare");
    let out = Command::new(bin)
        .args(["--quick", "--only", "nosuch", "--json", "/dev/null"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown workload"));
    let out = Command::new(bin).arg("--quick").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
