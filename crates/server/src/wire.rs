//! Encoding what the session returns as protocol messages: errors and notices with their
//! fields, row descriptions, data rows in text or binary.

use basalt_common::types::{DataType, TypeContext, Value, format_text};
use basalt_sql::{Notice, SqlError};
use bytes::{BufMut, BytesMut};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::data::{FieldDescription, RowDescription};
use pgwire::messages::response::{ErrorResponse, NoticeResponse};

/// PostgreSQL's ErrorResponse fields for `e`.
pub(crate) fn error_fields(e: &SqlError, severity: &str) -> Vec<(u8, String)> {
    let mut f = vec![
        (b'S', severity.to_string()),
        (b'V', severity.to_string()),
        (b'C', e.code().code().to_string()),
        (b'M', e.message()),
    ];
    if let Some(d) = e.detail() {
        f.push((b'D', d.to_string()));
    }
    if let Some(h) = e.hint() {
        f.push((b'H', h.to_string()));
    }
    if let Some(p) = e.position() {
        f.push((b'P', p.to_string()));
    }
    if let Some(w) = e.context() {
        f.push((b'W', w.to_string()));
    }
    // The objects a constraint violation is about, after the context as PostgreSQL sends
    // them (drivers read them as `constraint()`, `table()`, ...).
    if let Some(o) = e.fields() {
        for (tag, v) in [
            (b's', &o.schema),
            (b't', &o.table),
            (b'c', &o.column),
            (b'd', &o.datatype),
            (b'n', &o.constraint),
        ] {
            if let Some(v) = v {
                f.push((tag, v.clone()));
            }
        }
    }
    f
}

/// An ErrorResponse for `e`.
pub(crate) fn error(e: &SqlError) -> PgWireBackendMessage {
    PgWireBackendMessage::ErrorResponse(ErrorResponse::new(error_fields(e, "ERROR")))
}

/// An ErrorResponse from its parts (errors of the protocol layer itself).
pub(crate) fn error_of(severity: &str, code: &str, message: &str) -> PgWireBackendMessage {
    PgWireBackendMessage::ErrorResponse(ErrorResponse::new(vec![
        (b'S', severity.to_string()),
        (b'V', severity.to_string()),
        (b'C', code.to_string()),
        (b'M', message.to_string()),
    ]))
}

/// A NoticeResponse for `n`.
pub(crate) fn notice(n: &Notice) -> PgWireBackendMessage {
    let severity = n.severity.as_str().to_string();
    let mut f = vec![
        (b'S', severity.clone()),
        (b'V', severity),
        (b'C', n.code.code().to_string()),
        (b'M', n.message.clone()),
    ];
    if let Some(d) = &n.detail {
        f.push((b'D', d.clone()));
    }
    if let Some(h) = &n.hint {
        f.push((b'H', h.clone()));
    }
    PgWireBackendMessage::NoticeResponse(NoticeResponse::new(f))
}

/// The RowDescription of columns `names` of types `types`, each in `formats` (0 text, 1
/// binary; one code for all, or one per column, or none: text).
pub(crate) fn row_description(
    names: &[String],
    types: &[DataType],
    formats: &[i16],
) -> PgWireBackendMessage {
    let fields = names
        .iter()
        .zip(types)
        .enumerate()
        .map(|(i, (n, t))| {
            FieldDescription::new(
                n.clone(),
                0,
                0,
                t.oid(),
                t.typlen(),
                t.typmod(),
                format_of(formats, i),
            )
        })
        .collect();
    PgWireBackendMessage::RowDescription(RowDescription::new(fields))
}

/// The format code of column `i` given the client's format codes.
pub(crate) fn format_of(formats: &[i16], i: usize) -> i16 {
    match formats {
        [] => 0,
        [one] => *one,
        many => many.get(i).copied().unwrap_or(0),
    }
}

/// Appends a DataRow of text values (`None` is NULL).
pub(crate) fn text_row(buf: &mut BytesMut, row: &[Option<String>]) {
    let start = buf.len();
    buf.put_u8(b'D');
    buf.put_i32(0);
    buf.put_i16(i16::try_from(row.len()).unwrap_or(i16::MAX));
    for v in row {
        match v {
            None => buf.put_i32(-1),
            Some(s) => {
                buf.put_i32(i32::try_from(s.len()).unwrap_or(i32::MAX));
                buf.put_slice(s.as_bytes());
            }
        }
    }
    patch_length(buf, start);
}

/// Appends a DataRow of typed values, each column in its format.
pub(crate) fn value_row(
    buf: &mut BytesMut,
    row: &[Value],
    types: &[DataType],
    formats: &[i16],
    ctx: &TypeContext,
    scratch: &mut Vec<u8>,
) -> Result<(), SqlError> {
    let start = buf.len();
    buf.put_u8(b'D');
    buf.put_i32(0);
    buf.put_i16(i16::try_from(row.len()).unwrap_or(i16::MAX));
    for (i, v) in row.iter().enumerate() {
        if matches!(v, Value::Null) {
            buf.put_i32(-1);
            continue;
        }
        if format_of(formats, i) == 1 {
            scratch.clear();
            let ty = types.get(i).cloned().unwrap_or(DataType::Text);
            basalt_common::types::binary::encode(v, &ty, scratch)?;
            buf.put_i32(i32::try_from(scratch.len()).unwrap_or(i32::MAX));
            buf.put_slice(scratch);
        } else {
            match format_text(v, ctx) {
                None => buf.put_i32(-1),
                Some(s) => {
                    buf.put_i32(i32::try_from(s.len()).unwrap_or(i32::MAX));
                    buf.put_slice(s.as_bytes());
                }
            }
        }
    }
    patch_length(buf, start);
    Ok(())
}

/// Writes the length of the message that starts at `start` (type byte, then length).
fn patch_length(buf: &mut BytesMut, start: usize) {
    let len = i32::try_from(buf.len() - start - 1).unwrap_or(i32::MAX);
    buf[start + 1..start + 5].copy_from_slice(&len.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_fields_in_postgres_order() {
        let e = SqlError::new(
            "23505",
            "duplicate key value violates unique constraint \"t_pkey\"",
        )
        .with_detail("Key (id)=(1) already exists.")
        .with_context("COPY t, line 1")
        .with_table("public", "t")
        .with_constraint("t_pkey");
        let tags: Vec<u8> = error_fields(&e, "ERROR").iter().map(|f| f.0).collect();
        // PostgreSQL 15 sends S V C M D W s t n for this error (send_message_to_frontend).
        assert_eq!(tags, b"SVCMDWstn");
        let e =
            SqlError::new("23502", "domain d does not allow null values").with_datatype("s", "d");
        let f = error_fields(&e, "ERROR");
        assert_eq!(&f[4..], [(b's', "s".to_string()), (b'd', "d".to_string())]);
    }
}
