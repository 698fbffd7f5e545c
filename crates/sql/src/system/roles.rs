//! The role relations of `pg_catalog` (`pg_authid`, `pg_roles`, `pg_user`, `pg_shadow`,
//! `pg_group`, `pg_auth_members`, `pg_db_role_setting`), computed from the catalog's
//! [`Roles`](crate::roles::Roles). The views hide passwords as PostgreSQL's do (`********`);
//! `pg_authid` and `pg_shadow` show the stored verifiers.

use basalt_common::types::{DataType, Value};

use super::tables::{Ctx, T, VRel};
use crate::catalog::PG_CATALOG_OID;
use crate::roles::Role;

fn oid(x: u32) -> Value {
    Value::Int8(i64::from(x))
}
fn name(s: &str) -> Value {
    Value::Text(s.to_string())
}
fn hidden() -> Value {
    name("********")
}
fn until(r: &Role) -> Value {
    r.valid_until.map_or(Value::Null, Value::Timestamptz)
}
fn password(r: &Role) -> Value {
    r.password.as_deref().map_or(Value::Null, name)
}

/// `rolconfig` / `useconfig`: the role's settings for every database.
fn config(ctx: &Ctx<'_>, role: u32) -> Value {
    ctx.cat
        .roles
        .config(0, role)
        .map_or(Value::Null, text_array)
}

fn text_array(items: &[String]) -> Value {
    Value::array(DataType::Text, items.iter().map(|s| name(s)).collect())
}

/// `pg_get_userbyid(x)`.
pub(super) fn user_by_id(ctx: &Ctx<'_>, x: i64) -> String {
    u32::try_from(x).map_or_else(
        |_| format!("unknown (OID={x})"),
        |o| ctx.cat.roles.name_of(o),
    )
}

fn pg_authid_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    ctx.cat
        .roles
        .iter()
        .map(|r| {
            vec![
                oid(r.oid),
                name(&r.name),
                Value::Bool(r.superuser),
                Value::Bool(r.inherit),
                Value::Bool(r.createrole),
                Value::Bool(r.createdb),
                Value::Bool(r.login),
                Value::Bool(r.replication),
                Value::Bool(r.bypassrls),
                Value::Int4(r.conn_limit),
                password(r),
                until(r),
            ]
        })
        .collect()
}

pub(super) fn pg_roles_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    ctx.cat
        .roles
        .iter()
        .map(|r| {
            vec![
                name(&r.name),
                Value::Bool(r.superuser),
                Value::Bool(r.inherit),
                Value::Bool(r.createrole),
                Value::Bool(r.createdb),
                Value::Bool(r.login),
                Value::Bool(r.replication),
                Value::Int4(r.conn_limit),
                hidden(),
                until(r),
                Value::Bool(r.bypassrls),
                config(ctx, r.oid),
                oid(r.oid),
            ]
        })
        .collect()
}

/// `pg_user` (`hide`) and `pg_shadow`: the roles that can log in.
fn users(ctx: &Ctx<'_>, hide: bool) -> Vec<Vec<Value>> {
    ctx.cat
        .roles
        .iter()
        .filter(|r| r.login)
        .map(|r| {
            vec![
                name(&r.name),
                oid(r.oid),
                Value::Bool(r.createdb),
                Value::Bool(r.superuser),
                Value::Bool(r.replication),
                Value::Bool(r.bypassrls),
                if hide { hidden() } else { password(r) },
                until(r),
                config(ctx, r.oid),
            ]
        })
        .collect()
}

pub(super) fn pg_user_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    users(ctx, true)
}

fn pg_shadow_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    users(ctx, false)
}

fn pg_group_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    let roles = &ctx.cat.roles;
    roles
        .iter()
        .filter(|r| !r.login)
        .map(|r| {
            let members = roles
                .members()
                .iter()
                .filter(|m| m.role == r.oid)
                .map(|m| oid(m.member))
                .collect();
            vec![
                name(&r.name),
                oid(r.oid),
                Value::array(DataType::Int8, members),
            ]
        })
        .collect()
}

fn pg_auth_members_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    ctx.cat
        .roles
        .members()
        .iter()
        .map(|m| {
            vec![
                oid(m.role),
                oid(m.member),
                oid(m.grantor),
                Value::Bool(m.admin),
            ]
        })
        .collect()
}

fn pg_db_role_setting_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    ctx.cat
        .roles
        .settings()
        .iter()
        .map(|s| vec![oid(s.database), oid(s.role), text_array(&s.config)])
        .collect()
}

/// `pg_roles`' columns.
pub(super) const PG_ROLES_COLS: &[(&str, T)] = &[
    ("rolname", T::Name),
    ("rolsuper", T::Bool),
    ("rolinherit", T::Bool),
    ("rolcreaterole", T::Bool),
    ("rolcreatedb", T::Bool),
    ("rolcanlogin", T::Bool),
    ("rolreplication", T::Bool),
    ("rolconnlimit", T::I4),
    ("rolpassword", T::Text),
    ("rolvaliduntil", T::Tstz),
    ("rolbypassrls", T::Bool),
    ("rolconfig", T::TextArr),
    ("oid", T::Oid),
];

const USER_COLS: &[(&str, T)] = &[
    ("usename", T::Name),
    ("usesysid", T::Oid),
    ("usecreatedb", T::Bool),
    ("usesuper", T::Bool),
    ("userepl", T::Bool),
    ("usebypassrls", T::Bool),
    ("passwd", T::Text),
    ("valuntil", T::Tstz),
    ("useconfig", T::TextArr),
];

/// `pg_roles`.
pub(super) const PG_ROLES: VRel = VRel {
    schema: PG_CATALOG_OID,
    name: "pg_roles",
    oid: 12000,
    kind: 'v',
    cols: PG_ROLES_COLS,
    rows: pg_roles_rows,
    at_run_time: None,
};

/// `pg_user`.
pub(super) const PG_USER: VRel = VRel {
    schema: PG_CATALOG_OID,
    name: "pg_user",
    oid: 12014,
    kind: 'v',
    cols: USER_COLS,
    rows: pg_user_rows,
    at_run_time: None,
};

/// `pg_shadow`.
pub(super) const PG_SHADOW: VRel = VRel {
    schema: PG_CATALOG_OID,
    name: "pg_shadow",
    oid: 12005,
    kind: 'v',
    cols: USER_COLS,
    rows: pg_shadow_rows,
    at_run_time: None,
};

/// `pg_group`.
pub(super) const PG_GROUP: VRel = VRel {
    schema: PG_CATALOG_OID,
    name: "pg_group",
    oid: 12010,
    kind: 'v',
    cols: &[
        ("groname", T::Name),
        ("grosysid", T::Oid),
        ("grolist", T::OidArr),
    ],
    rows: pg_group_rows,
    at_run_time: None,
};

/// `pg_authid`.
pub(super) const PG_AUTHID: VRel = VRel {
    schema: PG_CATALOG_OID,
    name: "pg_authid",
    oid: 1260,
    kind: 'r',
    cols: &[
        ("oid", T::Oid),
        ("rolname", T::Name),
        ("rolsuper", T::Bool),
        ("rolinherit", T::Bool),
        ("rolcreaterole", T::Bool),
        ("rolcreatedb", T::Bool),
        ("rolcanlogin", T::Bool),
        ("rolreplication", T::Bool),
        ("rolbypassrls", T::Bool),
        ("rolconnlimit", T::I4),
        ("rolpassword", T::Text),
        ("rolvaliduntil", T::Tstz),
    ],
    rows: pg_authid_rows,
    at_run_time: None,
};

/// `pg_auth_members`.
pub(super) const PG_AUTH_MEMBERS: VRel = VRel {
    schema: PG_CATALOG_OID,
    name: "pg_auth_members",
    oid: 1261,
    kind: 'r',
    cols: &[
        ("roleid", T::Oid),
        ("member", T::Oid),
        ("grantor", T::Oid),
        ("admin_option", T::Bool),
    ],
    rows: pg_auth_members_rows,
    at_run_time: None,
};

/// `pg_db_role_setting`.
pub(super) const PG_DB_ROLE_SETTING: VRel = VRel {
    schema: PG_CATALOG_OID,
    name: "pg_db_role_setting",
    oid: 2964,
    kind: 'r',
    cols: &[
        ("setdatabase", T::Oid),
        ("setrole", T::Oid),
        ("setconfig", T::TextArr),
    ],
    rows: pg_db_role_setting_rows,
    at_run_time: None,
};
