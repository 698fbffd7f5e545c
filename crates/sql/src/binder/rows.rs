//! Composite values in the binder: row constructors, whole-row references and field
//! selection.
//!
//! - `ROW(a, b)` / `(a, b)` outside a row comparison is an anonymous `record` whose fields
//!   are named `f1`, `f2`, ... (untyped literals stay `unknown`, as in PostgreSQL, so that
//!   comparing them with a table's row fails the same way).
//! - A name that is no column but a FROM entry (`SELECT t FROM t`, `t.*` inside an
//!   expression) is that entry's whole row: a [`Expr::Row`] over its columns. Its type is the
//!   table's row type when the entry is a table read whole, else a `record` with the entry's
//!   column names.
//! - `(expr).field` selects a field of a record whose type is known at bind time;
//!   `(expr).*` in a select list expands to every field.

use basalt_common::types::{DataType, RecordType};
use basalt_func::{ResolvedTableFunction, TableFunc};
use pg_query::protobuf::{self, node::Node};

use super::{Binder, Scope, err, expr_start, node_str, pos};
use crate::error::SqlError;
use crate::expr::Expr;

impl Binder<'_> {
    /// `ROW(...)`: an anonymous record (`t.*` items expand to their columns).
    pub(super) fn bind_row_expr(
        &mut self,
        args: &[protobuf::Node],
        scope: &Scope,
    ) -> Result<(Expr, DataType), SqlError> {
        let (items, types) = self.bind_row_items(args, scope)?;
        let rt = RecordType::anonymous(types);
        Ok((Expr::Row(items, rt.names()), DataType::Record(Box::new(rt))))
    }

    /// The items of a row constructor, `t.*` expanded.
    pub(super) fn bind_row_items(
        &mut self,
        args: &[protobuf::Node],
        scope: &Scope,
    ) -> Result<(Vec<Expr>, Vec<DataType>), SqlError> {
        let mut items = Vec::with_capacity(args.len());
        let mut types = Vec::with_capacity(args.len());
        for a in args {
            if let Some(Node::ColumnRef(cr)) = a.node.as_ref()
                && cr.fields.len() >= 2
                && matches!(
                    cr.fields.last().and_then(|f| f.node.as_ref()),
                    Some(Node::AStar(_))
                )
            {
                let (e, t) = self.bind_expr(a, scope)?;
                if let (Expr::Row(es, _), DataType::Record(rt)) = (e, t) {
                    items.extend(es);
                    types.extend(rt.fields.into_iter().map(|(_, t)| t));
                    continue;
                }
            }
            let (e, t) = self.bind_expr(a, scope)?;
            items.push(e);
            types.push(t);
        }
        Ok((items, types))
    }

    /// The whole row of the FROM entry `q` (of this query or an enclosing one), or `None`
    /// when there is no such entry.
    pub(super) fn whole_row(
        &mut self,
        q: &str,
        scope: &Scope,
        location: i32,
    ) -> Option<Result<(Expr, DataType), SqlError>> {
        let pick = |s: &Scope| -> Vec<usize> {
            s.cols
                .iter()
                .enumerate()
                .filter(|(_, c)| c.table.as_deref() == Some(q))
                .map(|(i, _)| i)
                .collect()
        };
        let idx = pick(scope);
        if !idx.is_empty() {
            if self.agg_depth == 0 {
                for &i in &idx {
                    self.col_refs.push((i, location, self.ref_item));
                }
            }
            let ty = self.entry_row_type(scope, &idx);
            let items = idx.iter().map(|&i| Expr::Column(i)).collect();
            return Some(Ok((
                Expr::Row(items, ty.names()),
                DataType::Record(Box::new(ty)),
            )));
        }
        let n = self.levels.len();
        for depth in 1..=n {
            let idx = pick(&self.levels[n - depth].0);
            if idx.is_empty() {
                continue;
            }
            for lvl in (n - depth)..n {
                self.levels[lvl].1 = true;
            }
            for &i in &idx {
                self.level_refs.push((n - depth, i, pos(location)));
            }
            let outer = self.levels[n - depth].0.clone();
            let ty = self.entry_row_type(&outer, &idx);
            let items = idx
                .iter()
                .map(|&index| Expr::Outer { depth, index })
                .collect();
            return Some(Ok((
                Expr::Row(items, ty.names()),
                DataType::Record(Box::new(ty)),
            )));
        }
        None
    }

    /// The type of a FROM entry's whole row: the table's row type when the entry is exactly
    /// a table's columns in order, else a record of the entry's columns.
    fn entry_row_type(&self, scope: &Scope, idx: &[usize]) -> RecordType {
        let cols: Vec<_> = idx.iter().filter_map(|&i| scope.cols.get(i)).collect();
        let table =
            cols.first()
                .and_then(|c| c.origin)
                .and_then(|(oid, _)| self.catalog.tables.get(&oid))
                .filter(|t| {
                    t.columns.len() == cols.len()
                        && cols.iter().enumerate().all(|(k, c)| {
                            c.origin == Some((t.oid, k)) && c.name == t.columns[k].name
                        })
                });
        match table {
            Some(t) => self
                .catalog
                .composite(crate::catalog::ROW_TYPE_OID_BASE + t.oid)
                .unwrap_or_else(|| t.row_type()),
            None => RecordType::named_fields(
                cols.iter()
                    .map(|c| (c.name.clone(), c.ty.clone()))
                    .collect(),
            ),
        }
    }

    /// Subscripts and field selections after an expression (`(a)[1]`, `(r).f`, `(r).f[2]`).
    pub(super) fn bind_indirection(
        &mut self,
        mut e: Expr,
        mut t: DataType,
        arg: &protobuf::Node,
        indirection: &[protobuf::Node],
        scope: &Scope,
    ) -> Result<(Expr, DataType), SqlError> {
        let mut i = 0;
        while i < indirection.len() {
            match indirection[i].node.as_ref() {
                Some(Node::String(f)) => {
                    (e, t) = self.select_field(e, &t, &f.sval, arg)?;
                    i += 1;
                }
                Some(Node::AIndices(_)) => {
                    let start = i;
                    while i < indirection.len()
                        && matches!(indirection[i].node.as_ref(), Some(Node::AIndices(_)))
                    {
                        i += 1;
                    }
                    (e, t) =
                        self.bind_subscripts(e, t, &indirection[start..i], scope, expr_start(arg))?;
                }
                Some(Node::AStar(_)) => {
                    return Err(
                        err("0A000", "row expansion via \"*\" is not supported here")
                            .at(expr_start(arg)),
                    );
                }
                _ => {
                    return Err(err(
                        "0A000",
                        "feature not supported: this kind of indirection",
                    ));
                }
            }
        }
        Ok((e, t))
    }

    /// `(e).name`.
    pub(super) fn select_field(
        &mut self,
        e: Expr,
        t: &DataType,
        name: &str,
        arg: &protobuf::Node,
    ) -> Result<(Expr, DataType), SqlError> {
        let at = expr_start(arg);
        let DataType::Record(rt) = t else {
            return Err(err(
                "42809",
                format!(
                    "column notation .{name} applied to type {}, which is not a composite type",
                    t.format_type()
                ),
            )
            .at(at));
        };
        let Some(i) = rt.fields.iter().position(|(n, _)| n == name) else {
            let msg = match (arg.node.as_ref(), &rt.name) {
                (Some(Node::ColumnRef(cr)), _) if matches!(e, Expr::Row(..)) => {
                    let q = cr
                        .fields
                        .iter()
                        .rev()
                        .find_map(node_str)
                        .unwrap_or_default();
                    format!("column {q}.{name} does not exist")
                }
                (_, Some(tn)) => format!("column \"{name}\" not found in data type {tn}"),
                (_, None) => format!("could not identify column \"{name}\" in record data type"),
            };
            return Err(err("42703", msg).at(at));
        };
        let ft = rt.fields[i].1.clone();
        Ok(match e {
            Expr::Row(mut items, _) if i < items.len() => (items.swap_remove(i), ft),
            e => (Expr::Field(Box::new(e), i), ft),
        })
    }

    /// Every field of a record expression, for `(e).*` in a select list: (expression, name,
    /// type) each.
    pub(super) fn expand_fields(
        &mut self,
        e: Expr,
        t: &DataType,
        arg: &protobuf::Node,
    ) -> Result<Vec<(Expr, String, DataType)>, SqlError> {
        let DataType::Record(rt) = t else {
            return Err(err(
                "42809",
                format!("type {} is not composite", t.format_type()),
            )
            .at(expr_start(arg)));
        };
        if rt.is_anonymous() && rt.fields.is_empty() {
            return Err(err("42809", "record type has not been registered").at(expr_start(arg)));
        }
        Ok(rt
            .fields
            .iter()
            .enumerate()
            .map(|(i, (n, ft))| {
                let fe = match &e {
                    Expr::Row(items, _) if i < items.len() => items[i].clone(),
                    e => Expr::Field(Box::new(e.clone()), i),
                };
                (fe, n.clone(), ft.clone())
            })
            .collect())
    }

    /// PostgreSQL's checks when two records are compared (`record_eq` and friends): the
    /// same number of fields, of the same types. Raised without a position, as PostgreSQL
    /// raises them when the comparison runs.
    pub(super) fn check_record_comparison(
        &mut self,
        a: &RecordType,
        b: &RecordType,
        equality: bool,
    ) -> Result<(), SqlError> {
        let unregistered = |r: &RecordType| r.is_anonymous() && r.fields.is_empty();
        if unregistered(a) || unregistered(b) {
            return Ok(());
        }
        let fail = |this: &mut Self, msg: String| {
            this.unplaced = true;
            Err(err("42804", msg))
        };
        if a.fields.len() != b.fields.len() {
            return fail(
                self,
                "cannot compare record types with different numbers of columns".into(),
            );
        }
        for (k, ((_, x), (_, y))) in a.fields.iter().zip(&b.fields).enumerate() {
            if *x == DataType::Unknown && *y == DataType::Unknown {
                self.unplaced = true;
                return Err(err(
                    "42883",
                    if equality {
                        "could not identify an equality operator for type unknown"
                    } else {
                        "could not identify a comparison function for type unknown"
                    },
                ));
            }
            if !x.same_base(y) {
                return fail(
                    self,
                    format!(
                        "cannot compare dissimilar column types {} and {} at record column {}",
                        x.format_type(),
                        y.format_type(),
                        k + 1
                    ),
                );
            }
        }
        Ok(())
    }
}

impl Binder<'_> {
    /// The JSON record functions (`json[b]_populate_record[set]`, `json[b]_to_record[set]`),
    /// resolved with the columns they produce: the base argument's row type, or the column
    /// definition list `coldefs` (`None` outside FROM or when there is none; `in_from` says
    /// which error a missing list gets). Returns the call and the row type of one result.
    pub(super) fn json_record_call(
        &mut self,
        name: &str,
        types: &[DataType],
        coldefs: Option<Vec<(String, DataType)>>,
        in_from: bool,
        location: i32,
    ) -> Result<Option<(ResolvedTableFunction, DataType)>, SqlError> {
        let (jsonb, populate, set) = match name {
            "json_populate_record" => (false, true, false),
            "json_populate_recordset" => (false, true, true),
            "jsonb_populate_record" => (true, true, false),
            "jsonb_populate_recordset" => (true, true, true),
            "json_to_record" => (false, false, false),
            "json_to_recordset" => (false, false, true),
            "jsonb_to_record" => (true, false, false),
            "jsonb_to_recordset" => (true, false, true),
            _ => return Ok(None),
        };
        let jt = if jsonb {
            DataType::Jsonb
        } else {
            DataType::Json
        };
        let func = TableFunc::JsonToRecord {
            jsonb,
            set,
            populate,
        };
        let json_ok = |t: &DataType| *t == DataType::Unknown || t.same_base(&jt);
        if populate {
            let [bt, j] = types else {
                return Ok(None);
            };
            if !json_ok(j) {
                return Ok(None);
            }
            if *bt == DataType::Unknown {
                self.unplaced = true;
                return Err(err(
                    "42804",
                    "could not determine polymorphic type because input has type unknown",
                ));
            }
            let DataType::Record(rt) = bt else {
                self.unplaced = true;
                return Err(err(
                    "42804",
                    format!("first argument of {name} must be a row type"),
                ));
            };
            if coldefs.is_some() {
                return Err(err(
                    "42601",
                    "a column definition list is only allowed for functions returning \"record\"",
                )
                .at(pos(location)));
            }
            let r = ResolvedTableFunction {
                func,
                arg_types: vec![bt.clone(), jt],
                columns: rt.fields.clone(),
                strict: false,
            };
            return Ok(Some((r, bt.clone())));
        }
        let [j] = types else {
            return Ok(None);
        };
        if !json_ok(j) {
            return Ok(None);
        }
        let Some(columns) = coldefs else {
            if in_from {
                return Err(err(
                    "42601",
                    "a column definition list is required for functions returning \"record\"",
                )
                .at(pos(location)));
            }
            self.unplaced = true;
            return Err(err(
                "0A000",
                format!("could not determine row type for result of {name}"),
            )
            .with_hint("Provide a non-null record argument, or call the function in the FROM clause using a column definition list."));
        };
        let ty = DataType::Record(Box::new(RecordType::named_fields(columns.clone())));
        let r = ResolvedTableFunction {
            func,
            arg_types: vec![jt],
            columns,
            strict: true,
        };
        Ok(Some((r, ty)))
    }

    /// A FROM function's column definition list (`AS x(a int, b text)`).
    pub(super) fn column_definitions(
        &self,
        list: &protobuf::Node,
    ) -> Result<Option<Vec<(String, DataType)>>, SqlError> {
        let Some(Node::List(l)) = list.node.as_ref() else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(l.items.len());
        for item in &l.items {
            let Some(Node::ColumnDef(cd)) = item.node.as_ref() else {
                return Err(err("42601", "bad column definition list"));
            };
            let Some(tn) = &cd.type_name else {
                return Err(err("42601", "column definition without a type"));
            };
            out.push((cd.colname.clone(), self.resolve_type(tn)?));
        }
        Ok(Some(out))
    }
}
