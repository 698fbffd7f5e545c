//! Describing a prepared statement without running it: its parameter types and the columns
//! of the rows it returns ([`Session::describe_prepared`]), for the wire protocol's
//! Describe message.
//!
//! # Design
//!
//! The statement is *bound*, never executed: binding resolves names and types against the
//! catalog and takes no row locks. Parameter types come from the binder's inference
//! (PostgreSQL's variable parameters): the session's `param_sink` starts from the declared
//! types and every binder made while describing starts from it and adds each type it infers
//! there, so a statement whose binding uses several binders (an INSERT's target
//! lookup, then its source) shares one set of types as PostgreSQL's parse analysis does.
//! A parameter still unknown afterwards is `text` when it stands alone as an output column
//! (`SELECT $1`, `VALUES ($1)`: PostgreSQL resolves those unknowns to text), otherwise
//! 42P18 `could not determine data type of parameter $n`.
//!
//! Binding reads the catalog in the block's key-value transaction when it has begun, else in
//! one of its own that is rolled back (`Session::in_reading_transaction`). Execution binds
//! the same way with the same starting types ([`Session::prepare_typed`]), so the columns
//! described are the columns returned.

use basalt_common::types::DataType;
use basalt_txn::TxnKv;
use pg_query::NodeRef;
use pg_query::protobuf::{self, node::Node};

use crate::binder::{Scope, text_for_unknown};
use crate::engine::DmlHost;
use crate::error::SqlError;
use crate::session::{PreparedStatement, Session, TransactionStatus};

/// Column names and their types.
type NamedTypes = (Vec<String>, Vec<DataType>);

/// What [`Session::describe_prepared`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    /// The type of each parameter `$1`, `$2`, ...: the declared ones, the others inferred.
    pub params: Vec<DataType>,
    /// Name and type of each result column, for a statement that returns rows; `None` for
    /// one that does not.
    pub columns: Option<Vec<(String, DataType)>>,
}

/// Name and type of each result column; `None` for a statement without rows.
type Columns = Option<Vec<(String, DataType)>>;

fn err(code: &'static str, msg: impl Into<String>) -> SqlError {
    SqlError::new(code, msg)
}

impl<K: TxnKv> Session<K> {
    /// The parameter types and result columns of `stmt`, without running it (no rows read
    /// or locked, nothing written).
    ///
    /// `declared` gives the types the client declared for some parameters (the wire
    /// protocol's Parse message; `None` is unspecified), in addition to those given to
    /// [`Session::prepare_typed`]; the others are inferred as PostgreSQL infers them
    /// (`WHERE id = $1` takes the column's type, `INSERT INTO t VALUES ($1)` the target
    /// column's, `SELECT $1` is text). Runs inside a transaction block or outside one; in a
    /// failed block only COMMIT / ROLLBACK can be described (else 25P02, as PostgreSQL's
    /// Parse refuses).
    ///
    /// ```
    /// use basalt_common::types::DataType;
    /// use basalt_sql::Session;
    /// use basalt_txn::LocalKv;
    ///
    /// let mut s = Session::new(LocalKv::memory());
    /// s.execute("CREATE TABLE t (id int PRIMARY KEY, name text)")?;
    /// let stmt = s.prepare("SELECT name, id + $2 FROM t WHERE id = $1")?;
    /// let d = s.describe_prepared(&stmt, &[])?;
    /// assert_eq!(d.params, [DataType::Int4, DataType::Int4]);
    /// assert_eq!(
    ///     d.columns,
    ///     Some(vec![("name".into(), DataType::Text), ("?column?".into(), DataType::Int4)])
    /// );
    /// # Ok::<(), basalt_sql::SqlError>(())
    /// ```
    pub fn describe_prepared(
        &mut self,
        stmt: &PreparedStatement,
        declared: &[Option<DataType>],
    ) -> Result<Description, SqlError> {
        let mut seed: Vec<DataType> = stmt.declared.to_vec();
        if seed.len() < declared.len() {
            seed.resize(declared.len(), DataType::Unknown);
        }
        for (s, d) in seed.iter_mut().zip(declared) {
            if let Some(d) = d {
                *s = d.clone();
            }
        }
        let parsed = stmt.parsed();
        if parsed.len() > 1 {
            return Err(err(
                "42601",
                "cannot insert multiple commands into a prepared statement",
            ));
        }
        let Some(s) = parsed.statements().next() else {
            return Ok(Description {
                params: seed.into_iter().map(text_for_unknown).collect(),
                columns: None,
            });
        };
        let Some(node) = s.node() else {
            return Ok(Description {
                params: seed.into_iter().map(text_for_unknown).collect(),
                columns: None,
            });
        };
        if self.transaction_status() == TransactionStatus::Failed {
            if crate::describe::is_transaction_exit(node) {
                return Ok(Description {
                    params: seed.into_iter().map(text_for_unknown).collect(),
                    columns: None,
                });
            }
            return Err(SqlError::InFailedTransaction);
        }
        let max = s.max_param().map_or(0, |(n, _)| n as usize);
        let saved_sql = self.current_sql.replace(parsed.shared_text());
        let r = self.in_reading_transaction(|this| this.describe_node(node, seed));
        self.current_sql = saved_sql;
        let (mut params, columns, analyzed) = r.map_err(|e| e.byte_position_to_chars(s.text()))?;
        if params.len() < max {
            params.resize(max, DataType::Unknown);
        }
        let outputs = if analyzed {
            output_params(node)
        } else {
            Vec::new()
        };
        for (i, p) in params.iter_mut().enumerate() {
            if *p != DataType::Unknown {
                continue;
            }
            if analyzed && !outputs.contains(&(i + 1)) {
                return Err(err(
                    "42P18",
                    format!("could not determine data type of parameter ${}", i + 1),
                ));
            }
            *p = DataType::Text;
        }
        Ok(Description { params, columns })
    }

    /// Binds `node` with parameters starting from `seed`: the parameter types, the result
    /// columns, and whether the statement was analyzed (PostgreSQL infers parameter types of
    /// queries and DML only; other statements keep the declared ones).
    fn describe_node(
        &mut self,
        node: &Node,
        seed: Vec<DataType>,
    ) -> Result<(Vec<DataType>, Columns, bool), SqlError> {
        let saved = self.param_sink.replace(std::cell::RefCell::new(seed));
        let r = self.describe_bound(node);
        let sink = std::mem::replace(&mut self.param_sink, saved);
        let (columns, analyzed) = r?;
        let params = sink.map(|s| s.into_inner()).unwrap_or_default();
        Ok((params, columns, analyzed))
    }

    /// The RETURNING columns of an INSERT, UPDATE or DELETE bound (with its WITH queries)
    /// without running it; `None` without RETURNING.
    fn describe_dml(
        &mut self,
        node: &Node,
        parent: Option<&crate::engine::WithEnv>,
        top: bool,
    ) -> Result<Option<NamedTypes>, SqlError> {
        let with = match node {
            Node::InsertStmt(s) => s.with_clause.as_ref(),
            Node::UpdateStmt(s) => s.with_clause.as_ref(),
            Node::DeleteStmt(s) => s.with_clause.as_ref(),
            _ => None,
        };
        let own = self.describe_with(with, parent, top)?;
        let env = own.as_ref().or(parent);
        let returning = match node {
            Node::InsertStmt(s) => self.bind_insert(s, env)?.returning,
            Node::UpdateStmt(s) => self.bind_update(s, env)?.returning,
            Node::DeleteStmt(s) => self.bind_delete(s, env)?.returning,
            _ => None,
        };
        Ok(returning.map(|(n, t, _)| (n, t)))
    }

    /// A statement's WITH queries bound without running them, as the engine's `run_with`
    /// binds them before running: each query's columns, no rows (what describing the main
    /// part needs). `None` without a WITH clause.
    fn describe_with(
        &mut self,
        with: Option<&protobuf::WithClause>,
        parent: Option<&crate::engine::WithEnv>,
        top: bool,
    ) -> Result<Option<crate::engine::WithEnv>, SqlError> {
        let Some(with) = with else {
            return Ok(None);
        };
        let mut env = crate::engine::WithEnv {
            ctes: parent.map(|p| p.ctes.clone()).unwrap_or_default(),
            before: parent.map(|p| p.before.clone()).unwrap_or_default(),
        };
        let items = crate::binder::with_items(with)?;
        for cte in &items {
            let Some(q) = cte.ctequery.as_deref().and_then(|q| q.node.as_ref()) else {
                continue;
            };
            let (mut cols, types, returning) = match q {
                Node::SelectStmt(_) => {
                    let sel = crate::engine::cte_reader(cte, with.recursive);
                    let catalog = self.load_catalog()?;
                    let bound = self.binder_env(&catalog, Some(&env)).bind_select(&sel)?;
                    let types = bound.types.into_iter().map(text_for_unknown).collect();
                    (bound.names, types, true)
                }
                node => {
                    if !top {
                        return Err(err(
                            "0A000",
                            "WITH clause containing a data-modifying statement must be at the top level",
                        )
                        .at(crate::binder::pos(cte.location)));
                    }
                    match self.describe_dml(node, Some(&env), false)? {
                        Some((n, t)) => (n, t, true),
                        None => (Vec::new(), Vec::new(), false),
                    }
                }
            };
            crate::binder::apply_cte_aliases(cte, &mut cols, returning)?;
            let id = crate::engine::WITH_ENV_IDS + env.ctes.len();
            env.ctes.push(crate::engine::WithCte {
                name: cte.ctename.clone(),
                id,
                names: cols,
                types,
                rows: std::sync::Arc::new(Vec::new()),
                returning,
            });
        }
        Ok(Some(env))
    }

    fn describe_bound(&mut self, node: &Node) -> Result<(Columns, bool), SqlError> {
        let rows = |names: &[String], types: &[DataType]| {
            Some(
                names
                    .iter()
                    .cloned()
                    .zip(types.iter().cloned().map(text_for_unknown))
                    .collect::<Vec<_>>(),
            )
        };
        Ok(match node {
            Node::SelectStmt(s) if with_modifies(s.with_clause.as_ref()) => {
                let env = self.describe_with(s.with_clause.as_ref(), None, true)?;
                let mut main = (**s).clone();
                main.with_clause = None;
                let catalog = self.load_catalog()?;
                let q = self.binder_env(&catalog, env.as_ref()).bind_select(&main)?;
                (rows(&q.names, &q.types), true)
            }
            Node::SelectStmt(s) => {
                // SELECT INTO (on the leftmost SELECT of a set operation) returns no rows;
                // its query is bound without the INTO.
                let into = crate::engine::select_into(s).is_some();
                let mut plain;
                let s = if into {
                    plain = (**s).clone();
                    let mut leaf = &mut plain;
                    while leaf.op != protobuf::SetOperation::SetopNone as i32 {
                        match leaf.larg.as_deref_mut() {
                            Some(l) => leaf = l,
                            None => break,
                        }
                    }
                    leaf.into_clause = None;
                    &plain
                } else {
                    &**s
                };
                let catalog = self.load_catalog()?;
                let q = self.binder(&catalog).bind_select(s)?;
                (if into { None } else { rows(&q.names, &q.types) }, true)
            }
            Node::InsertStmt(_) | Node::UpdateStmt(_) | Node::DeleteStmt(_) => {
                let returning = self.describe_dml(node, None, true)?;
                (returning.and_then(|(n, t)| rows(&n, &t)), true)
            }
            Node::ExplainStmt(e) => {
                if let Some(inner) = e.query.as_deref().and_then(|q| q.node.as_ref())
                    && matches!(
                        inner,
                        Node::SelectStmt(_)
                            | Node::InsertStmt(_)
                            | Node::UpdateStmt(_)
                            | Node::DeleteStmt(_)
                    )
                {
                    self.describe_bound(inner)?;
                }
                (Some(vec![("QUERY PLAN".into(), DataType::Text)]), true)
            }
            Node::VariableShowStmt(s) => {
                let r = self.show_statement(&s.name)?;
                (rows(&r.columns, &r.types), false)
            }
            Node::FetchStmt(f) => {
                if f.ismove {
                    return Ok((None, false));
                }
                let Some(c) = self.cursors.iter().find(|c| c.name == f.portalname) else {
                    return Err(err(
                        "34000",
                        format!("cursor \"{}\" does not exist", f.portalname),
                    ));
                };
                (rows(&c.columns, &c.types), false)
            }
            Node::ExecuteStmt(e) => self.describe_execute(e)?,
            Node::CallStmt(c) => {
                let Some(fc) = c.funccall.as_deref() else {
                    return Err(err("42601", "CALL without a procedure"));
                };
                let catalog = self.load_catalog()?;
                let cols = {
                    let mut b = self.binder(&catalog);
                    let (f, _) = b.bind_procedure_call(fc)?;
                    (!f.out_params.is_empty()).then(|| f.columns())
                };
                (cols, true)
            }
            Node::DeclareCursorStmt(d) => {
                if let Some(Node::SelectStmt(q)) = d.query.as_deref().and_then(|q| q.node.as_ref())
                    && !with_modifies(q.with_clause.as_ref())
                {
                    let catalog = self.load_catalog()?;
                    self.binder(&catalog).bind_select(q)?;
                }
                (None, true)
            }
            _ => (None, false),
        })
    }

    /// `EXECUTE name(args)`: the prepared statement's columns (described with its own
    /// parameter types), and the types of parameters in the arguments.
    fn describe_execute(&mut self, e: &protobuf::ExecuteStmt) -> Result<(Columns, bool), SqlError> {
        let Some(prep) = self.prepared.get(&e.name).cloned() else {
            return Err(err(
                "26000",
                format!("prepared statement \"{}\" does not exist", e.name),
            ));
        };
        let columns = match prep.parsed.statements().next().and_then(|s| s.node()) {
            Some(inner) => {
                let declared = if prep.arg_types.is_empty() {
                    Vec::new()
                } else {
                    prep.param_types.clone()
                };
                let saved = std::mem::replace(&mut self.declared_params, declared.clone());
                let r = self.describe_node(inner, declared);
                self.declared_params = saved;
                r?.1
            }
            None => None,
        };
        if !e.params.is_empty() {
            let catalog = self.load_catalog()?;
            let mut b = self.binder(&catalog);
            for (i, a) in e.params.iter().enumerate() {
                let (x, t) = b.bind_scalar(a, &Scope::default(), "EXECUTE parameter")?;
                if let Some(target) = prep.param_types.get(i) {
                    let _ = b.coerce(x, &t, target, basalt_common::types::CastContext::Assignment);
                }
            }
        }
        Ok((columns, true))
    }
}

/// Whether a WITH clause holds a data-modifying query.
fn with_modifies(w: Option<&protobuf::WithClause>) -> bool {
    w.is_some_and(|w| {
        w.ctes.iter().any(|c| {
            matches!(c.node.as_ref(), Some(Node::CommonTableExpr(cte))
                if !matches!(cte.ctequery.as_deref().and_then(|q| q.node.as_ref()), Some(Node::SelectStmt(_))))
        })
    })
}

/// The parameters that stand alone as an output column somewhere in the statement (a select
/// list item, a VALUES item, a RETURNING item): PostgreSQL resolves those to text when
/// nothing else gave them a type.
fn output_params(node: &Node) -> Vec<usize> {
    let param = |n: Option<&protobuf::Node>| match n.and_then(|n| n.node.as_ref()) {
        Some(Node::ParamRef(p)) => usize::try_from(p.number).ok(),
        _ => None,
    };
    let mut out = Vec::new();
    // RETURNING items (which pg_query's walk does not reach).
    let returning = match node {
        Node::InsertStmt(s) => s.returning_clause.as_ref(),
        Node::UpdateStmt(s) => s.returning_clause.as_ref(),
        Node::DeleteStmt(s) => s.returning_clause.as_ref(),
        _ => None,
    };
    for item in returning.map_or(&[][..], |r| &r.exprs[..]) {
        if let Some(Node::ResTarget(r)) = item.node.as_ref() {
            out.extend(param(r.val.as_deref()));
        }
    }
    for (n, ..) in node.nodes() {
        match n {
            NodeRef::ResTarget(r) => out.extend(param(r.val.as_deref())),
            NodeRef::SelectStmt(s) => {
                for l in &s.values_lists {
                    if let Some(Node::List(list)) = l.node.as_ref() {
                        out.extend(list.items.iter().filter_map(|i| param(Some(i))));
                    }
                }
            }
            _ => {}
        }
    }
    out
}
