//! The rows of a portal fetched piecewise (an Execute with a row limit), kept between
//! Executes with bounded memory.
//!
//! The executor's reads borrow the transaction for one statement, so a portal's plan cannot
//! stay suspended between protocol messages: the first Execute runs it to its end. Its rows
//! go here as they are produced, encoded with the storage row codec
//! ([`basalt_sql::row::encode_row_into`], which every value type round-trips), length-framed:
//! in memory up to [`MEMORY`] bytes, then in an anonymous temporary file (PostgreSQL's
//! tuplestore spills to `pgsql_tmp` past `work_mem` the same way). Later Executes read them
//! back in order. The file is unlinked from the start, so it disappears with the portal, the
//! connection or the process.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};

use basalt_common::types::Value;
use basalt_sql::SqlError;
use basalt_sql::row::{decode_row, encode_row_into};

/// Bytes of encoded rows kept in memory before they go to a file.
const MEMORY: usize = 8 << 20;
/// Once spilling, encoded rows are written out in pieces of this size.
const CHUNK: usize = 1 << 20;

fn io_error(e: std::io::Error) -> SqlError {
    let code = if e.raw_os_error() == Some(28) {
        "53100" // disk_full
    } else {
        "58030" // io_error
    };
    SqlError::new(
        code,
        format!("could not write or read the temporary file of a portal's rows: {e}"),
    )
}

/// A portal's rows: written once, then read forward.
#[derive(Default)]
pub(crate) struct Spill {
    /// Encoded rows (`u32` length, then the row) not in the file.
    buf: Vec<u8>,
    /// Where `buf` is read from once writing ended (no file).
    read_pos: usize,
    file: Option<File>,
    reader: Option<BufReader<File>>,
    rows: u64,
    taken: u64,
    /// Whether the rows began (the statement streamed into this store).
    pub(crate) begun: bool,
}

impl Spill {
    /// Adds a row.
    pub(crate) fn push(&mut self, row: &[Value]) -> Result<(), SqlError> {
        let start = self.buf.len();
        self.buf.extend_from_slice(&[0; 4]);
        encode_row_into(&mut self.buf, row);
        let len = u32::try_from(self.buf.len() - start - 4)
            .map_err(|_| SqlError::new("54000", "a row of the result is larger than 4 GiB"))?;
        self.buf[start..start + 4].copy_from_slice(&len.to_le_bytes());
        self.rows += 1;
        let limit = if self.file.is_some() { CHUNK } else { MEMORY };
        if self.buf.len() > limit {
            self.write_out()?;
        }
        Ok(())
    }

    fn write_out(&mut self) -> Result<(), SqlError> {
        if self.file.is_none() {
            self.file = Some(tempfile::tempfile().map_err(io_error)?);
        }
        if let Some(f) = self.file.as_mut() {
            f.write_all(&self.buf).map_err(io_error)?;
        }
        self.buf.clear();
        Ok(())
    }

    /// Writing ends; reading starts at the first row.
    pub(crate) fn finish(&mut self) -> Result<(), SqlError> {
        if self.file.is_some() {
            self.write_out()?;
            self.buf = Vec::new();
        }
        if let Some(mut f) = self.file.take() {
            f.seek(SeekFrom::Start(0)).map_err(io_error)?;
            self.reader = Some(BufReader::with_capacity(CHUNK, f));
        }
        Ok(())
    }

    /// Rows not read yet.
    pub(crate) fn remaining(&self) -> u64 {
        self.rows - self.taken
    }

    /// Whether the rows went to a file (more than [`MEMORY`] bytes of them).
    #[cfg(test)]
    pub(crate) fn spilled(&self) -> bool {
        self.reader.is_some() || self.file.is_some()
    }

    /// The next row, if any.
    pub(crate) fn next_row(&mut self) -> Result<Option<Vec<Value>>, SqlError> {
        if self.taken == self.rows {
            return Ok(None);
        }
        let bytes = match self.reader.as_mut() {
            Some(r) => {
                let mut len = [0u8; 4];
                r.read_exact(&mut len).map_err(io_error)?;
                let mut row = vec![0u8; u32::from_le_bytes(len) as usize];
                r.read_exact(&mut row).map_err(io_error)?;
                decode_row(&row)?
            }
            None => {
                let damaged = || SqlError::new("XX000", "a portal's kept rows are damaged");
                let len = self
                    .buf
                    .get(self.read_pos..self.read_pos + 4)
                    .and_then(|b| <[u8; 4]>::try_from(b).ok())
                    .ok_or_else(damaged)?;
                let start = self.read_pos + 4;
                let end = start + u32::from_le_bytes(len) as usize;
                let row = decode_row(self.buf.get(start..end).ok_or_else(damaged)?)?;
                self.read_pos = end;
                row
            }
        };
        self.taken += 1;
        Ok(Some(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: i64, width: usize) -> impl Iterator<Item = Vec<Value>> {
        (0..n).map(move |i| {
            vec![
                Value::Int8(i),
                Value::Text("x".repeat(width)),
                if i % 3 == 0 {
                    Value::Null
                } else {
                    Value::Bool(true)
                },
            ]
        })
    }

    fn round_trip(n: i64, width: usize) -> bool {
        let mut s = Spill::default();
        for r in rows(n, width) {
            s.push(&r).unwrap();
        }
        s.finish().unwrap();
        assert_eq!(s.remaining(), n as u64);
        for (i, want) in rows(n, width).enumerate() {
            assert_eq!(s.next_row().unwrap().as_ref(), Some(&want), "row {i}");
        }
        assert_eq!(s.next_row().unwrap(), None);
        assert_eq!(s.remaining(), 0);
        s.spilled()
    }

    #[test]
    fn small_results_stay_in_memory_large_ones_go_to_a_file() {
        assert!(!round_trip(0, 10));
        assert!(!round_trip(1000, 10));
        // ~20 MB of rows: past the memory bound.
        assert!(round_trip(20_000, 1000));
    }
}
