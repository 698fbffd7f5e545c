//! Roles: PostgreSQL's `pg_authid`, `pg_auth_members` and `pg_db_role_setting`, their DDL
//! (`CREATE` / `ALTER` / `DROP ROLE`, `GRANT` / `REVOKE` role membership, `ALTER ROLE ...
//! SET`), who a session runs as (`SET ROLE`, `SET SESSION AUTHORIZATION`) and the lookup the
//! server authenticates with ([`Session::login_info`]).
//!
//! # Storage
//!
//! Roles live in the database's catalog ([`Catalog::roles`]), so role DDL is transactional
//! like any other and a statement sees the roles of its snapshot. Everything outside this
//! module goes through [`Roles`]' methods, so that the roles can later move to a store shared
//! by several databases (they are cluster-wide in PostgreSQL) without touching the callers.
//!
//! # The bootstrap superuser
//!
//! A database that never ran a role statement has one role, the bootstrap superuser
//! (`basalt`, OID 10, PostgreSQL's `BOOTSTRAP_SUPERUSERID`), which every session of an
//! embedded database runs as and which owns every object (Basalt records no other owner:
//! `relowner` and friends are always 10). It is implied, not stored, until the first role
//! statement writes it out (`Roles::materialize`). It cannot be dropped (2BP01, as the
//! pinned role in PostgreSQL); other roles own nothing, so they drop without dependency checks.
//!
//! # Privileges
//!
//! The role statements check PostgreSQL 15's rules against the current user: CREATEROLE (or
//! superuser) to create, alter, drop and grant roles, superuser for anything touching a
//! superuser, replication or bypassrls role; membership (or superuser) for `SET ROLE`.
//! Table privileges do not exist yet: every role can read and write every table.
//!
//! # Passwords
//!
//! `PASSWORD 'x'` stores a SCRAM-SHA-256 verifier ([`crate::auth`]); `pg_authid` /
//! `pg_shadow` show it, `pg_roles` / `pg_user` show `********`.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use basalt_txn::{TxnKv, TxnOptions};
use pg_query::protobuf::{self, VariableSetKind, node::Node};
use serde::{Deserialize, Serialize};

use crate::binder::pos;
use crate::catalog::Catalog;
use crate::error::{Notice, SqlCode, SqlError};
use crate::session::Session;
use crate::settings::{Scope, Settings};
use crate::system::tables::{ROLE_NAME, ROLE_OID};

/// OID of the bootstrap superuser.
pub const BOOTSTRAP_OID: u32 = ROLE_OID;

fn err(code: &'static str, msg: impl Into<String>) -> SqlError {
    SqlError::new(code, msg)
}

fn notice(message: String) -> Notice {
    crate::ddl::notice(message)
}

fn denied(msg: impl Into<String>) -> SqlError {
    err("42501", msg)
}

/// One role (a row of `pg_authid`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// OID.
    pub oid: u32,
    /// Name.
    pub name: String,
    /// rolsuper.
    pub superuser: bool,
    /// rolinherit.
    pub inherit: bool,
    /// rolcreaterole.
    pub createrole: bool,
    /// rolcreatedb.
    pub createdb: bool,
    /// rolcanlogin.
    pub login: bool,
    /// rolreplication.
    pub replication: bool,
    /// rolbypassrls.
    pub bypassrls: bool,
    /// rolconnlimit (-1: no limit).
    pub conn_limit: i32,
    /// rolpassword: a SCRAM-SHA-256 verifier or an MD5 hash, as PostgreSQL stores them.
    pub password: Option<String>,
    /// rolvaliduntil (timestamptz, microseconds since 2000-01-01 UTC).
    pub valid_until: Option<i64>,
}

impl Role {
    fn new(oid: u32, name: String) -> Role {
        Role {
            oid,
            name,
            superuser: false,
            inherit: true,
            createrole: false,
            createdb: false,
            login: false,
            replication: false,
            bypassrls: false,
            conn_limit: -1,
            password: None,
            valid_until: None,
        }
    }
}

/// The bootstrap superuser as it is before any role statement.
static BOOTSTRAP: LazyLock<Role> = LazyLock::new(|| Role {
    superuser: true,
    createrole: true,
    createdb: true,
    login: true,
    replication: true,
    bypassrls: true,
    ..Role::new(BOOTSTRAP_OID, ROLE_NAME.to_string())
});

/// `member` is a member of `role` (a row of `pg_auth_members`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// roleid.
    pub role: u32,
    /// member.
    pub member: u32,
    /// grantor.
    pub grantor: u32,
    /// admin_option.
    pub admin: bool,
}

/// Settings applied at login (a row of `pg_db_role_setting`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleSetting {
    /// setdatabase (0: every database).
    pub database: u32,
    /// setrole (0: every role).
    pub role: u32,
    /// setconfig: `name=value` items.
    pub config: Vec<String>,
}

/// The roles of a database (see the module doc).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Roles {
    /// Roles by OID; empty while only the implied bootstrap superuser exists.
    #[serde(default)]
    roles: BTreeMap<u32, Role>,
    #[serde(default)]
    members: Vec<Membership>,
    #[serde(default)]
    settings: Vec<RoleSetting>,
}

impl Roles {
    /// Whether nothing was ever stored (only the implied bootstrap superuser exists).
    pub fn is_empty(&self) -> bool {
        self.roles.is_empty() && self.members.is_empty() && self.settings.is_empty()
    }

    /// Every role, by OID.
    pub fn iter(&self) -> Box<dyn Iterator<Item = &Role> + '_> {
        if self.roles.is_empty() {
            Box::new(std::iter::once(&*BOOTSTRAP))
        } else {
            Box::new(self.roles.values())
        }
    }

    /// The role of OID `oid`.
    pub fn by_oid(&self, oid: u32) -> Option<&Role> {
        self.iter().find(|r| r.oid == oid)
    }

    /// The role named `name`.
    pub fn by_name(&self, name: &str) -> Option<&Role> {
        self.iter().find(|r| r.name == name)
    }

    /// `pg_get_userbyid`: the name, or `unknown (OID=n)`.
    pub fn name_of(&self, oid: u32) -> String {
        self.by_oid(oid)
            .map_or_else(|| format!("unknown (OID={oid})"), |r| r.name.clone())
    }

    /// The memberships.
    pub fn members(&self) -> &[Membership] {
        &self.members
    }

    /// The per-role / per-database settings.
    pub fn settings(&self) -> &[RoleSetting] {
        &self.settings
    }

    /// The settings of (`database`, `role`) (0: any), as `name=value` items.
    pub fn config(&self, database: u32, role: u32) -> Option<&[String]> {
        self.settings
            .iter()
            .find(|s| s.database == database && s.role == role)
            .map(|s| s.config.as_slice())
    }

    /// Whether `member` is `role` or a member of it, directly or through other roles
    /// (PostgreSQL's `is_member_of_role_nosuper`).
    pub fn is_member_of(&self, member: u32, role: u32) -> bool {
        let mut seen = vec![member];
        let mut i = 0;
        while let Some(&m) = seen.get(i) {
            if m == role {
                return true;
            }
            for x in &self.members {
                if x.member == m && !seen.contains(&x.role) {
                    seen.push(x.role);
                }
            }
            i += 1;
        }
        false
    }

    /// Whether `member` holds the admin option on `role` (directly or through roles it is
    /// a member of).
    fn is_admin_of(&self, member: u32, role: u32) -> bool {
        self.members
            .iter()
            .any(|m| m.role == role && m.admin && self.is_member_of(member, m.member))
    }

    fn is_superuser(&self, oid: u32) -> bool {
        self.by_oid(oid).is_some_and(|r| r.superuser)
    }

    fn has_createrole(&self, oid: u32) -> bool {
        self.by_oid(oid)
            .is_some_and(|r| r.superuser || r.createrole)
    }

    /// Writes out the implied bootstrap superuser before the first change.
    fn materialize(&mut self) {
        if self.roles.is_empty() {
            self.roles.insert(BOOTSTRAP_OID, BOOTSTRAP.clone());
        }
    }

    fn role_mut(&mut self, oid: u32) -> Option<&mut Role> {
        self.materialize();
        self.roles.get_mut(&oid)
    }

    fn insert(&mut self, role: Role) {
        self.materialize();
        self.roles.insert(role.oid, role);
    }

    /// Drops the settings of a database that was dropped.
    pub fn forget_database(&mut self, database: u32) {
        self.settings.retain(|s| s.database != database);
    }
}

/// What the server needs to authenticate a user ([`Session::login_info`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginInfo {
    /// The role's OID.
    pub oid: u32,
    /// rolcanlogin.
    pub can_login: bool,
    /// rolsuper.
    pub superuser: bool,
    /// The stored password: a SCRAM-SHA-256 verifier ([`crate::auth::parse_verifier`]) or
    /// an MD5 hash (which no SCRAM exchange can match); `None`: no password, so password
    /// authentication always fails.
    pub verifier: Option<String>,
    /// rolvaliduntil (microseconds since 2000-01-01 UTC): the password is not valid after.
    pub valid_until: Option<i64>,
    /// rolconnlimit (-1: none).
    pub connection_limit: i32,
}

/// Who runs a role statement: the current user and the session user (PostgreSQL's
/// `GetUserId` / `GetSessionUserId`).
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    /// The current user.
    pub current: u32,
    /// The session user.
    pub session: u32,
}

impl Actor {
    fn of(settings: &Settings) -> Actor {
        let id = settings.identity();
        Actor {
            current: id.current_user().0,
            session: id.session_user.0,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Names.

/// The name of a role specification; CURRENT_USER / SESSION_USER / CURRENT_ROLE resolve to
/// the actor's. PUBLIC is not a role (42704, as `get_rolespec_oid`).
fn spec_role<'c>(
    cat: &'c Catalog,
    actor: Actor,
    spec: &protobuf::RoleSpec,
) -> Result<&'c Role, SqlError> {
    use protobuf::RoleSpecType as R;
    let oid = match R::try_from(spec.roletype).unwrap_or(R::Undefined) {
        R::RolespecCurrentRole | R::RolespecCurrentUser => Some(actor.current),
        R::RolespecSessionUser => Some(actor.session),
        R::RolespecPublic => return Err(missing("public")),
        _ => None,
    };
    match oid {
        Some(o) => cat.roles.by_oid(o).ok_or_else(|| missing(&o.to_string())),
        None => cat
            .roles
            .by_name(&spec.rolename)
            .ok_or_else(|| missing(&spec.rolename)),
    }
}

fn missing(name: &str) -> SqlError {
    err("42704", format!("role \"{name}\" does not exist"))
}

fn node_spec(n: &protobuf::Node) -> Option<&protobuf::RoleSpec> {
    match n.node.as_ref() {
        Some(Node::RoleSpec(r)) => Some(r),
        _ => None,
    }
}

/// Checks a new role name as `CreateRole` / `RenameRole` do.
fn check_new_name(name: &str) -> Result<(), SqlError> {
    if name.starts_with("pg_") {
        return Err(err("42939", format!("role name \"{name}\" is reserved"))
            .with_detail("Role names starting with \"pg_\" are reserved."));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Options.

/// The options of CREATE / ALTER ROLE, each given at most once.
#[derive(Default)]
struct Options {
    superuser: Option<bool>,
    inherit: Option<bool>,
    createrole: Option<bool>,
    createdb: Option<bool>,
    login: Option<bool>,
    replication: Option<bool>,
    bypassrls: Option<bool>,
    conn_limit: Option<i32>,
    /// `Some(None)`: PASSWORD NULL.
    password: Option<Option<String>>,
    valid_until: Option<String>,
    in_role: Vec<protobuf::RoleSpec>,
    members: Option<Vec<protobuf::RoleSpec>>,
    admins: Vec<protobuf::RoleSpec>,
    sysid: bool,
}

fn parse_options(list: &[protobuf::Node]) -> Result<Options, SqlError> {
    let mut o = Options::default();
    let mut seen: Vec<&str> = Vec::new();
    for n in list {
        let Some(Node::DefElem(d)) = n.node.as_ref() else {
            continue;
        };
        if seen.contains(&d.defname.as_str()) {
            return Err(err("42601", "conflicting or redundant options").at(pos(d.location)));
        }
        seen.push(d.defname.as_str());
        let arg = d.arg.as_deref().and_then(|a| a.node.as_ref());
        let flag = || match arg {
            Some(Node::Boolean(b)) => Ok(b.boolval),
            Some(Node::Integer(i)) => Ok(i.ival != 0),
            _ => Err(err(
                "42601",
                format!("invalid value for option \"{}\"", d.defname),
            )),
        };
        let specs = || -> Vec<protobuf::RoleSpec> {
            match arg {
                Some(Node::List(l)) => l.items.iter().filter_map(node_spec).cloned().collect(),
                _ => Vec::new(),
            }
        };
        match d.defname.as_str() {
            "superuser" => o.superuser = Some(flag()?),
            "inherit" => o.inherit = Some(flag()?),
            "createrole" => o.createrole = Some(flag()?),
            "createdb" => o.createdb = Some(flag()?),
            "canlogin" => o.login = Some(flag()?),
            "isreplication" => o.replication = Some(flag()?),
            "bypassrls" => o.bypassrls = Some(flag()?),
            "connectionlimit" => {
                let Some(Node::Integer(i)) = arg else {
                    return Err(err("42601", "invalid connection limit"));
                };
                o.conn_limit = Some(i.ival);
            }
            "password" => {
                o.password = Some(match arg {
                    Some(Node::String(s)) => Some(s.sval.clone()),
                    _ => None,
                });
            }
            "validUntil" => {
                if let Some(Node::String(s)) = arg {
                    o.valid_until = Some(s.sval.clone());
                }
            }
            "addroleto" => o.in_role = specs(),
            "rolemembers" => o.members = Some(specs()),
            "adminmembers" => o.admins = specs(),
            "sysid" => o.sysid = true,
            other => {
                return Err(SqlError::Unsupported(format!("role option {other}")));
            }
        }
    }
    if let Some(l) = o.conn_limit
        && l < -1
    {
        return Err(err("22023", format!("invalid connection limit: {l}")));
    }
    Ok(o)
}

/// The stored form of a PASSWORD option: `None` for NULL or an empty string (with
/// PostgreSQL's notice for the latter).
fn password_value(given: Option<&str>, notices: &mut Vec<Notice>) -> Option<String> {
    match given {
        None => None,
        Some("") => {
            notices.push(notice(
                "empty string is not a valid password, clearing password".into(),
            ));
            None
        }
        Some(p) => Some(crate::auth::stored_password(p)),
    }
}

fn valid_until(
    text: Option<&str>,
    types: &basalt_common::types::TypeContext,
) -> Result<Option<i64>, SqlError> {
    text.map(|t| basalt_common::types::datetime::parse_timestamp(t, true, types))
        .transpose()
        .map_err(SqlError::from)
}

// ---------------------------------------------------------------------------------------
// Membership changes (PostgreSQL's AddRoleMems / DelRoleMems).

fn check_grant_privilege(cat: &Catalog, actor: Actor, role: &Role) -> Result<(), SqlError> {
    let roles = &cat.roles;
    if role.superuser {
        if !roles.is_superuser(actor.current) {
            return Err(denied("must be superuser to alter superusers"));
        }
    } else if !roles.has_createrole(actor.current) && !roles.is_admin_of(actor.current, role.oid) {
        return Err(denied(format!(
            "must have admin option on role \"{}\"",
            role.name
        )));
    }
    Ok(())
}

fn add_members(
    cat: &mut Catalog,
    actor: Actor,
    role: u32,
    members: &[protobuf::RoleSpec],
    admin: bool,
    notices: &mut Vec<Notice>,
) -> Result<(), SqlError> {
    if members.is_empty() {
        return Ok(());
    }
    let target = cat
        .roles
        .by_oid(role)
        .cloned()
        .ok_or_else(|| missing("?"))?;
    check_grant_privilege(cat, actor, &target)?;
    for spec in members {
        let member = spec_role(cat, actor, spec)?.clone();
        if cat.roles.is_member_of(role, member.oid) {
            return Err(err(
                "0LP01",
                format!(
                    "role \"{}\" is a member of role \"{}\"",
                    target.name, member.name
                ),
            ));
        }
        let roles = &mut cat.roles;
        roles.materialize();
        match roles
            .members
            .iter_mut()
            .find(|m| m.role == role && m.member == member.oid)
        {
            Some(m) if !admin || m.admin => notices.push(notice(format!(
                "role \"{}\" is already a member of role \"{}\"",
                member.name, target.name
            ))),
            Some(m) => m.admin = true,
            None => roles.members.push(Membership {
                role,
                member: member.oid,
                grantor: actor.current,
                admin,
            }),
        }
    }
    Ok(())
}

fn del_members(
    cat: &mut Catalog,
    actor: Actor,
    role: u32,
    members: &[protobuf::RoleSpec],
    admin_only: bool,
    notices: &mut Vec<Notice>,
) -> Result<(), SqlError> {
    let target = cat
        .roles
        .by_oid(role)
        .cloned()
        .ok_or_else(|| missing("?"))?;
    check_grant_privilege(cat, actor, &target)?;
    for spec in members {
        let member = spec_role(cat, actor, spec)?.clone();
        let roles = &mut cat.roles;
        let Some(i) = roles
            .members
            .iter()
            .position(|m| m.role == role && m.member == member.oid)
        else {
            notices.push(Notice::warning(
                SqlCode::new("01000"),
                format!(
                    "role \"{}\" is not a member of role \"{}\"",
                    member.name, target.name
                ),
            ));
            continue;
        };
        if admin_only {
            roles.members[i].admin = false;
        } else {
            roles.members.remove(i);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// DDL.

/// `CREATE ROLE` / `CREATE USER` / `CREATE GROUP`.
pub fn create_role(
    cat: &mut Catalog,
    settings: &Settings,
    types: &basalt_common::types::TypeContext,
    s: &protobuf::CreateRoleStmt,
    notices: &mut Vec<Notice>,
) -> Result<(), SqlError> {
    let actor = Actor::of(settings);
    let o = parse_options(&s.options)?;
    if o.sysid {
        notices.push(notice("SYSID can no longer be specified".into()));
    }
    let roles = &cat.roles;
    if o.superuser == Some(true) {
        if !roles.is_superuser(actor.current) {
            return Err(denied("must be superuser to create superusers"));
        }
    } else if o.replication == Some(true) {
        if !roles.is_superuser(actor.current) {
            return Err(denied("must be superuser to create replication users"));
        }
    } else if o.bypassrls == Some(true) {
        if !roles.is_superuser(actor.current) {
            return Err(denied("must be superuser to create bypassrls users"));
        }
    } else if !roles.has_createrole(actor.current) {
        return Err(denied("permission denied to create role"));
    }
    check_new_name(&s.role)?;
    if roles.by_name(&s.role).is_some() {
        return Err(err("42710", format!("role \"{}\" already exists", s.role)));
    }
    let until = valid_until(o.valid_until.as_deref(), types)?;
    let user = s.stmt_type == protobuf::RoleStmtType::RolestmtUser as i32;
    let mut role = Role::new(cat.new_shared_oid(), s.role.clone());
    role.superuser = o.superuser.unwrap_or(false);
    role.inherit = o.inherit.unwrap_or(true);
    role.createrole = o.createrole.unwrap_or(false);
    role.createdb = o.createdb.unwrap_or(false);
    role.login = o.login.unwrap_or(user);
    role.replication = o.replication.unwrap_or(false);
    role.bypassrls = o.bypassrls.unwrap_or(false);
    role.conn_limit = o.conn_limit.unwrap_or(-1);
    role.password = o
        .password
        .as_ref()
        .and_then(|p| password_value(p.as_deref(), notices));
    role.valid_until = until;
    let oid = role.oid;
    cat.roles.insert(role);
    for spec in &o.in_role {
        let parent = spec_role(cat, actor, spec)?.oid;
        let me = protobuf::RoleSpec {
            roletype: protobuf::RoleSpecType::RolespecCstring as i32,
            rolename: s.role.clone(),
            location: -1,
        };
        add_members(cat, actor, parent, &[me], false, notices)?;
    }
    add_members(cat, actor, oid, &o.admins, true, notices)?;
    add_members(
        cat,
        actor,
        oid,
        o.members.as_deref().unwrap_or_default(),
        false,
        notices,
    )?;
    Ok(())
}

/// `ALTER ROLE name [WITH] options` (and `ALTER GROUP name ADD|DROP USER ...`).
pub fn alter_role(
    cat: &mut Catalog,
    settings: &Settings,
    types: &basalt_common::types::TypeContext,
    s: &protobuf::AlterRoleStmt,
    notices: &mut Vec<Notice>,
) -> Result<(), SqlError> {
    let actor = Actor::of(settings);
    let o = parse_options(&s.options)?;
    let Some(spec) = &s.role else {
        return Err(err("42601", "ALTER ROLE without a role"));
    };
    let role = spec_role(cat, actor, spec)?.clone();
    let roles = &cat.roles;
    let is_super = roles.is_superuser(actor.current);
    if role.superuser || o.superuser.is_some() {
        if !is_super {
            return Err(denied(
                "must be superuser to alter superuser roles or change superuser attribute",
            ));
        }
    } else if role.replication || o.replication.is_some() {
        if !is_super {
            return Err(denied(
                "must be superuser to alter replication roles or change replication attribute",
            ));
        }
    } else if o.bypassrls.is_some() {
        if !is_super {
            return Err(denied("must be superuser to change bypassrls attribute"));
        }
    } else if !roles.has_createrole(actor.current) {
        let only_own_password = o.inherit.is_none()
            && o.createrole.is_none()
            && o.createdb.is_none()
            && o.login.is_none()
            && o.conn_limit.is_none()
            && o.members.is_none()
            && o.valid_until.is_none()
            && o.password.is_some()
            && role.oid == actor.current;
        if !only_own_password {
            return Err(denied("permission denied"));
        }
    }
    let until = valid_until(o.valid_until.as_deref(), types)?;
    let password = o
        .password
        .as_ref()
        .map(|p| password_value(p.as_deref(), notices));
    let Some(r) = cat.roles.role_mut(role.oid) else {
        return Err(missing(&role.name));
    };
    let set = |field: &mut bool, v: Option<bool>| {
        if let Some(v) = v {
            *field = v;
        }
    };
    set(&mut r.superuser, o.superuser);
    set(&mut r.inherit, o.inherit);
    set(&mut r.createrole, o.createrole);
    set(&mut r.createdb, o.createdb);
    set(&mut r.login, o.login);
    set(&mut r.replication, o.replication);
    set(&mut r.bypassrls, o.bypassrls);
    if let Some(l) = o.conn_limit {
        r.conn_limit = l;
    }
    if let Some(p) = password {
        r.password = p;
    }
    if o.valid_until.is_some() {
        r.valid_until = until;
    }
    if let Some(members) = &o.members {
        // ALTER GROUP g ADD USER u (action +1) / DROP USER u (action -1).
        if s.action >= 0 {
            add_members(cat, actor, role.oid, members, false, notices)?;
        } else {
            del_members(cat, actor, role.oid, members, false, notices)?;
        }
    }
    Ok(())
}

/// `ALTER ROLE name RENAME TO new`.
pub fn rename_role(
    cat: &mut Catalog,
    settings: &Settings,
    old: &str,
    new: &str,
    notices: &mut Vec<Notice>,
) -> Result<(), SqlError> {
    let actor = Actor::of(settings);
    let role = cat
        .roles
        .by_name(old)
        .cloned()
        .ok_or_else(|| missing(old))?;
    if role.oid == actor.session {
        return Err(err("0A000", "session user cannot be renamed"));
    }
    if role.oid == actor.current {
        return Err(err("0A000", "current user cannot be renamed"));
    }
    check_new_name(new)?;
    if cat.roles.by_name(new).is_some() {
        return Err(err("42710", format!("role \"{new}\" already exists")));
    }
    if role.superuser {
        if !cat.roles.is_superuser(actor.current) {
            return Err(denied("must be superuser to rename superusers"));
        }
    } else if !cat.roles.has_createrole(actor.current) {
        return Err(denied("permission denied to rename role"));
    }
    let Some(r) = cat.roles.role_mut(role.oid) else {
        return Err(missing(old));
    };
    r.name = new.to_string();
    // An MD5 hash salts with the role name: it no longer matches.
    if r.password.as_deref().is_some_and(crate::auth::is_md5_hash) {
        r.password = None;
        notices.push(notice("MD5 password cleared because of role rename".into()));
    }
    Ok(())
}

/// `DROP ROLE [IF EXISTS] a, b`.
pub fn drop_roles(
    cat: &mut Catalog,
    settings: &Settings,
    s: &protobuf::DropRoleStmt,
    notices: &mut Vec<Notice>,
) -> Result<(), SqlError> {
    let actor = Actor::of(settings);
    if !cat.roles.has_createrole(actor.current) {
        return Err(denied("permission denied to drop role"));
    }
    for spec in s.roles.iter().filter_map(node_spec) {
        if spec.roletype != protobuf::RoleSpecType::RolespecCstring as i32 {
            return Err(err(
                "22023",
                "cannot use special role specifier in DROP ROLE",
            ));
        }
        let Some(role) = cat.roles.by_name(&spec.rolename).cloned() else {
            if s.missing_ok {
                notices.push(notice(format!(
                    "role \"{}\" does not exist, skipping",
                    spec.rolename
                )));
                continue;
            }
            return Err(missing(&spec.rolename));
        };
        if role.oid == actor.current {
            return Err(err("55006", "current user cannot be dropped"));
        }
        if role.oid == actor.session {
            return Err(err("55006", "session user cannot be dropped"));
        }
        if role.superuser && !cat.roles.is_superuser(actor.current) {
            return Err(denied("must be superuser to drop superusers"));
        }
        if role.oid == BOOTSTRAP_OID {
            return Err(err(
                "2BP01",
                format!(
                    "cannot drop role {} because it is required by the database system",
                    crate::parse::quote_identifier(&role.name)
                ),
            ));
        }
        let roles = &mut cat.roles;
        roles.materialize();
        roles.roles.remove(&role.oid);
        roles
            .members
            .retain(|m| m.role != role.oid && m.member != role.oid);
        roles.settings.retain(|x| x.role != role.oid);
    }
    Ok(())
}

/// `GRANT role TO role [WITH ADMIN OPTION]` / `REVOKE [ADMIN OPTION FOR] role FROM role`.
pub fn grant_role(
    cat: &mut Catalog,
    settings: &Settings,
    s: &protobuf::GrantRoleStmt,
    notices: &mut Vec<Notice>,
) -> Result<(), SqlError> {
    let actor = Actor::of(settings);
    let mut admin = false;
    for o in &s.opt {
        let Some(Node::DefElem(d)) = o.node.as_ref() else {
            continue;
        };
        let value = match d.arg.as_deref().and_then(|a| a.node.as_ref()) {
            Some(Node::Boolean(b)) => b.boolval,
            _ => true,
        };
        if d.defname != "admin" || value != s.is_grant {
            return Err(err(
                "42601",
                format!("syntax error at or near \"{}\"", d.defname.to_uppercase()),
            )
            .at(pos(d.location)));
        }
        admin = true;
    }
    if let Some(g) = &s.grantor {
        let grantor = spec_role(cat, actor, g)?;
        if grantor.oid != actor.current {
            return Err(SqlError::Unsupported("GRANTED BY another role".into()));
        }
    }
    let grantees: Vec<protobuf::RoleSpec> = s
        .grantee_roles
        .iter()
        .filter_map(node_spec)
        .cloned()
        .collect();
    for g in &s.granted_roles {
        let name = match g.node.as_ref() {
            Some(Node::AccessPriv(p)) => p.priv_name.clone(),
            _ => continue,
        };
        let role = cat.roles.by_name(&name).ok_or_else(|| missing(&name))?.oid;
        if s.is_grant {
            add_members(cat, actor, role, &grantees, admin, notices)?;
        } else {
            del_members(cat, actor, role, &grantees, admin, notices)?;
        }
    }
    Ok(())
}

/// `ALTER ROLE {name | ALL} [IN DATABASE db] SET param ... | RESET param | RESET ALL`.
pub fn alter_role_set(
    cat: &mut Catalog,
    settings: &Settings,
    s: &protobuf::AlterRoleSetStmt,
    notices: &mut Vec<Notice>,
) -> Result<(), SqlError> {
    let actor = Actor::of(settings);
    let role = match &s.role {
        Some(spec) => {
            let r = spec_role(cat, actor, spec)?;
            if r.superuser {
                if !cat.roles.is_superuser(actor.current) {
                    return Err(denied("must be superuser to alter superusers"));
                }
            } else if !cat.roles.has_createrole(actor.current) && r.oid != actor.current {
                return Err(denied("permission denied"));
            }
            r.oid
        }
        None => {
            if !cat.roles.is_superuser(actor.current) {
                return Err(denied("must be superuser to alter settings globally"));
            }
            0
        }
    };
    let database = match s.database.as_str() {
        "" => 0,
        d => match cat.databases.iter().find(|x| x.name == d) {
            Some(x) => x.oid,
            None => return Err(err("3D000", format!("database \"{d}\" does not exist"))),
        },
    };
    let Some(set) = &s.setstmt else {
        return Err(err("42601", "ALTER ROLE SET without a setting"));
    };
    set_setting(cat, settings, database, role, set, notices)
}

/// `ALTER DATABASE name SET param ... | RESET param | RESET ALL`.
pub fn alter_database_set(
    cat: &mut Catalog,
    settings: &Settings,
    s: &protobuf::AlterDatabaseSetStmt,
    notices: &mut Vec<Notice>,
) -> Result<(), SqlError> {
    let actor = Actor::of(settings);
    let Some(db) = cat.databases.iter().find(|x| x.name == s.dbname).cloned() else {
        return Err(err(
            "3D000",
            format!("database \"{}\" does not exist", s.dbname),
        ));
    };
    if !cat.roles.is_superuser(actor.current) && !cat.roles.is_member_of(actor.current, db.owner) {
        return Err(denied(format!("must be owner of database {}", s.dbname)));
    }
    let Some(set) = &s.setstmt else {
        return Err(err("42601", "ALTER DATABASE SET without a setting"));
    };
    set_setting(cat, settings, db.oid, 0, set, notices)
}

/// Sets, resets or clears (`RESET ALL`) a (`database`, `role`) setting (0: any).
fn set_setting(
    cat: &mut Catalog,
    settings: &Settings,
    database: u32,
    role: u32,
    set: &protobuf::VariableSetStmt,
    notices: &mut Vec<Notice>,
) -> Result<(), SqlError> {
    use VariableSetKind as V;
    let kind = V::try_from(set.kind).unwrap_or(V::Undefined);
    let name = set.name.as_str();
    // The item replacing `name`'s (None: removed), checked as SET would check it.
    let item = match kind {
        V::VarSetValue | V::VarSetCurrent => {
            let value = if kind == V::VarSetCurrent {
                settings.show(name)?.1
            } else {
                let args = set
                    .args
                    .iter()
                    .map(crate::session::set_arg)
                    .collect::<Result<Vec<_>, _>>()?;
                Settings::flatten(name, &args)?
            };
            match name {
                // Checked in the statement's own transaction, which has begun (PostgreSQL).
                "transaction_isolation" => {
                    return Err(err(
                        "25001",
                        "SET TRANSACTION ISOLATION LEVEL must be called before any query",
                    ));
                }
                "transaction_deferrable" => {
                    return Err(err(
                        "25001",
                        "SET TRANSACTION [NOT] DEFERRABLE must be called before any query",
                    ));
                }
                "role" | "session_authorization" => {
                    if !(name == "role" && value == "none") && cat.roles.by_name(&value).is_none() {
                        notices.push(Notice {
                            code: SqlCode::new("42704"),
                            ..notice(format!("role \"{value}\" does not exist"))
                        });
                    }
                    Some((name.to_string(), value))
                }
                _ => {
                    let mut scratch = Settings::new();
                    scratch.set_str(name, Some(&value), Scope::Session)?;
                    let canonical = match scratch.show(name)?.0 {
                        "" => name.to_ascii_lowercase(),
                        c => c.to_string(),
                    };
                    Some((canonical, value))
                }
            }
        }
        V::VarSetDefault | V::VarReset => None,
        V::VarResetAll => {
            cat.roles.materialize();
            cat.roles
                .settings
                .retain(|x| !(x.database == database && x.role == role));
            return Ok(());
        }
        _ => return Err(SqlError::Unsupported("ALTER ROLE SET".into())),
    };
    let roles = &mut cat.roles;
    roles.materialize();
    let i = match roles
        .settings
        .iter()
        .position(|x| x.database == database && x.role == role)
    {
        Some(i) => i,
        None => {
            roles.settings.push(RoleSetting {
                database,
                role,
                config: Vec::new(),
            });
            roles.settings.len() - 1
        }
    };
    let config = &mut roles.settings[i].config;
    let same = |c: &String| {
        c.split_once('=')
            .is_some_and(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    match item {
        Some((canonical, value)) => {
            let text = format!("{canonical}={value}");
            match config.iter().position(same) {
                Some(k) => config[k] = text,
                None => config.push(text),
            }
        }
        None => config.retain(|c| !same(c)),
    }
    if config.is_empty() {
        roles.settings.remove(i);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The session's identity.

/// The name of the role (`oid`, set as `name`): the catalog's (after a rename) or `name`.
pub fn user_name(cat: &Catalog, (oid, name): (u32, &str)) -> String {
    cat.roles
        .by_oid(oid)
        .map_or_else(|| name.to_string(), |r| r.name.clone())
}

impl<K: TxnKv> Session<K> {
    /// The catalog as committed now (a private transaction's changes are not seen).
    fn committed_catalog(&self) -> Result<Arc<Catalog>, SqlError> {
        let mut txn = self.kv.begin(TxnOptions::default())?;
        Self::read_catalog(&mut txn, &self.shared, false)
    }

    /// `is_superuser`: whether the current user is a superuser (in the committed catalog).
    pub fn is_superuser(&self) -> Result<bool, SqlError> {
        let cat = self.committed_catalog()?;
        let user = self.settings.identity().current_user().0;
        Ok(cat.roles.by_oid(user).is_some_and(|r| r.superuser))
    }

    /// What authenticating `name` needs, read from the committed catalog; `None` if no
    /// role has that name.
    pub fn login_info(&self, name: &str) -> Result<Option<LoginInfo>, SqlError> {
        let cat = self.committed_catalog()?;
        Ok(cat.roles.by_name(name).map(|r| LoginInfo {
            oid: r.oid,
            can_login: r.login,
            superuser: r.superuser,
            verifier: r.password.clone(),
            valid_until: r.valid_until,
            connection_limit: r.conn_limit,
        }))
    }

    /// Makes `name` the session's user (and current user), as a login does: `RESET` and
    /// `SET SESSION AUTHORIZATION DEFAULT` return to it. 28000 if no such role exists.
    /// Applies the role's `ALTER ROLE ... SET` settings as the session's defaults.
    pub fn set_session_user(&mut self, name: &str) -> Result<(), SqlError> {
        let cat = self.committed_catalog()?;
        let Some(role) = cat.roles.by_name(name) else {
            return Err(err("28000", format!("role \"{name}\" does not exist")));
        };
        self.log_in(&cat, role);
        Ok(())
    }

    /// Applies the stored settings (`ALTER DATABASE / ROLE ... SET`) of the session's user
    /// and database, as a login does: what an embedded session starts with.
    pub fn apply_login_settings(&mut self) -> Result<(), SqlError> {
        let cat = self.committed_catalog()?;
        let user = self.settings.identity().session_user.0;
        if let Some(role) = cat.roles.by_oid(user) {
            self.log_in(&cat, role);
        }
        Ok(())
    }

    /// Makes `role` the session's user and applies its stored settings.
    fn log_in(&mut self, cat: &Catalog, role: &Role) {
        self.settings.set_login_user(role.oid, &role.name);
        // `$user` in the search path names another schema now.
        self.search_path_cache = None;
        // PostgreSQL applies the database-and-role settings, then the role's, then the
        // database's, then those for every role; the first one wins.
        let mut applied: Vec<String> = Vec::new();
        let database = cat.database;
        for (db, r) in [(database, role.oid), (0, role.oid), (database, 0), (0, 0)] {
            for item in cat.roles.config(db, r).unwrap_or_default() {
                let Some((k, v)) = item.split_once('=') else {
                    continue;
                };
                let key = k.to_ascii_lowercase();
                if applied.contains(&key) {
                    continue;
                }
                applied.push(key);
                match k {
                    // The role the session starts with, if the user may take it.
                    "role" => {
                        let r = cat
                            .roles
                            .by_name(v)
                            .filter(|r| role.superuser || cat.roles.is_member_of(role.oid, r.oid));
                        if let Some(r) = r {
                            self.settings
                                .set_login_role(Some((r.oid, Arc::from(r.name.as_str()))));
                        }
                    }
                    "session_authorization" => {}
                    // A stored value that no longer parses is skipped (PostgreSQL warns).
                    _ => {
                        let _ = self.settings.set_default(k, v);
                    }
                }
            }
        }
    }

    /// `SET ROLE` / `RESET ROLE` / `SET SESSION AUTHORIZATION`: `name` is `role` or
    /// `session_authorization`, `value` the role name (`None`: `RESET` / `DEFAULT`).
    pub(crate) fn set_identity(
        &mut self,
        name: &str,
        value: Option<&str>,
        scope: Scope,
    ) -> Result<(), SqlError> {
        let cat = self.load_catalog()?;
        let roles = &cat.roles;
        let lookup = |n: &str| {
            roles
                .by_name(n)
                .ok_or_else(|| err("22023", format!("role \"{n}\" does not exist")))
        };
        let id = self.settings.identity().clone();
        self.search_path_cache = None;
        if name == "role" {
            match value {
                None => self.settings.reset_role(scope),
                Some("none") => self.settings.set_role(None, scope),
                Some(n) => {
                    let r = lookup(n)?;
                    let session = id.session_user.0;
                    if !roles.is_superuser(session) && !roles.is_member_of(session, r.oid) {
                        return Err(denied(format!("permission denied to set role \"{n}\"")));
                    }
                    self.settings
                        .set_role(Some((r.oid, Arc::from(r.name.as_str()))), scope);
                }
            }
        } else {
            let user = value.map(lookup).transpose()?;
            // Only a session that authenticated as a superuser may change it.
            let login = self.settings.login_user();
            if user.is_some_and(|u| u.oid != login) && !roles.is_superuser(login) {
                return Err(denied("permission denied to set session authorization"));
            }
            self.settings.set_session_authorization(
                user.map(|u| (u.oid, Arc::from(u.name.as_str()))),
                scope,
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use basalt_txn::LocalKv;

    use super::*;

    fn one(s: &mut Session<LocalKv>, sql: &str) -> Option<String> {
        let r = s.execute(sql).unwrap();
        r.last().unwrap().rows[0][0].clone()
    }

    #[test]
    fn login_info_reads_committed_roles() {
        let mut s = Session::new(LocalKv::memory());
        let boot = s.login_info(ROLE_NAME).unwrap().unwrap();
        assert!(boot.superuser && boot.can_login);
        assert_eq!(
            (boot.oid, boot.verifier, boot.connection_limit),
            (10, None, -1)
        );
        assert_eq!(s.login_info("nobody").unwrap(), None);
        s.execute("CREATE USER u PASSWORD 'pencil' CONNECTION LIMIT 2 VALID UNTIL '2000-01-02 00:00:00+00'")
            .unwrap();
        let u = s.login_info("u").unwrap().unwrap();
        assert!(u.can_login && !u.superuser);
        assert_eq!(u.connection_limit, 2);
        assert_eq!(u.valid_until, Some(86_400_000_000));
        let v = crate::auth::parse_verifier(u.verifier.as_deref().unwrap()).unwrap();
        assert!(crate::auth::verify_password(&v, "pencil"));
        // An open transaction's changes are not seen.
        s.execute("BEGIN; CREATE ROLE w LOGIN").unwrap();
        assert_eq!(s.login_info("w").unwrap(), None);
        s.execute("COMMIT").unwrap();
        assert!(s.login_info("w").unwrap().is_some());
    }

    #[test]
    fn roles_survive_encoding() {
        let mut s = Session::new(LocalKv::memory());
        s.execute(
            "CREATE ROLE a LOGIN PASSWORD 'x' VALID UNTIL 'infinity'; CREATE ROLE b IN ROLE a; \
             ALTER ROLE b SET work_mem = '1MB'",
        )
        .unwrap();
        let cat = s.committed_catalog().unwrap();
        let record = cat.shared_record().encode().unwrap();
        let back = crate::cluster::SharedCatalog::decode(&record).unwrap();
        let roles = |r: &Roles| r.iter().cloned().collect::<Vec<_>>();
        assert_eq!(roles(&back.roles), roles(&cat.roles));
        assert_eq!(back.roles.members(), cat.roles.members());
        assert_eq!(back.roles.settings(), cat.roles.settings());
        assert_eq!(back.roles.iter().count(), 3);
        // The database's own catalog record no longer carries them.
        let own = String::from_utf8(cat.encode().unwrap()).unwrap();
        assert!(!own.contains("roles"), "{own}");
    }

    #[test]
    fn roles_of_a_directory_written_before_databases_move_to_the_shared_record() {
        use basalt_txn::Transaction as _;
        let kv = LocalKv::memory();
        // The catalog record as a directory written before databases existed holds it.
        let mut roles = Roles::default();
        roles.insert(Role::new(16_390, "old".into()));
        let mut json: serde_json::Value =
            serde_json::from_slice(&Catalog::default().encode().unwrap()).unwrap();
        json["roles"] = serde_json::to_value(&roles).unwrap();
        let mut txn = kv.begin(TxnOptions::default()).unwrap();
        txn.put(
            crate::catalog::CATALOG_KEY.to_vec(),
            serde_json::to_vec(&json).unwrap(),
        )
        .unwrap();
        txn.commit().unwrap();
        let mut s = Session::new(kv);
        let names = |s: &mut Session<LocalKv>| {
            s.execute("SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles")
                .unwrap()
                .pop()
                .unwrap()
                .rows
        };
        assert_eq!(names(&mut s), [[Some("basalt,old".to_string())]]);
        // A DDL rewrites the catalog record: the roles move, nothing is lost.
        s.execute("CREATE TABLE t (x int)").unwrap();
        assert_eq!(names(&mut s), [[Some("basalt,old".to_string())]]);
        s.execute("CREATE ROLE fresh").unwrap();
        assert_eq!(names(&mut s), [[Some("basalt,fresh,old".to_string())]]);
    }

    #[test]
    fn bootstrap_superuser_and_notices() {
        let mut s = Session::new(LocalKv::memory());
        let code = |s: &mut Session<LocalKv>, sql: &str| {
            s.execute(sql).unwrap_err().code().code().to_string()
        };
        assert_eq!(code(&mut s, "DROP ROLE basalt"), "55006");
        s.execute("CREATE ROLE su SUPERUSER; SET SESSION AUTHORIZATION su")
            .unwrap();
        assert_eq!(code(&mut s, "DROP ROLE basalt"), "2BP01");
        s.execute("ALTER ROLE basalt RENAME TO boss").unwrap();
        assert_eq!(
            one(
                &mut s,
                "SELECT pg_get_userbyid(relowner) FROM pg_class LIMIT 1"
            )
            .as_deref(),
            Some("boss")
        );
        s.execute("RESET SESSION AUTHORIZATION").unwrap();
        assert_eq!(one(&mut s, "SELECT current_user").as_deref(), Some("boss"));
        let notices = |s: &mut Session<LocalKv>, sql: &str| -> Vec<String> {
            let r = s.execute(sql).unwrap();
            r.into_iter()
                .flat_map(|r| r.notices)
                .map(|n| n.message)
                .collect()
        };
        assert_eq!(
            notices(&mut s, "CREATE ROLE a SYSID 3 PASSWORD ''"),
            [
                "SYSID can no longer be specified",
                "empty string is not a valid password, clearing password"
            ]
        );
        s.execute("CREATE ROLE b; GRANT a TO b").unwrap();
        assert_eq!(
            notices(&mut s, "GRANT a TO b"),
            ["role \"b\" is already a member of role \"a\""]
        );
        assert_eq!(
            notices(&mut s, "REVOKE a FROM b; REVOKE a FROM b"),
            ["role \"b\" is not a member of role \"a\""]
        );
        assert_eq!(
            notices(&mut s, "DROP ROLE IF EXISTS nope, b"),
            ["role \"nope\" does not exist, skipping"]
        );
    }

    #[test]
    fn session_user_applies_role_settings_and_rebinds_current_user() {
        let mut s = Session::new(LocalKv::memory());
        s.execute("CREATE ROLE u LOGIN; CREATE ROLE v; GRANT v TO u")
            .unwrap();
        s.execute("CREATE SCHEMA u; CREATE TABLE u.t (x int); INSERT INTO u.t VALUES (7)")
            .unwrap();
        s.execute("ALTER ROLE u SET DateStyle = 'SQL, DMY'; ALTER ROLE ALL SET work_mem = '2MB'")
            .unwrap();
        let q = "SELECT current_user";
        assert_eq!(one(&mut s, q).as_deref(), Some(ROLE_NAME));
        assert_eq!(
            s.set_session_user("nobody").unwrap_err().code().code(),
            "28000"
        );
        s.set_session_user("u").unwrap();
        // The cached plan of the same text is not reused for another user.
        assert_eq!(one(&mut s, q).as_deref(), Some("u"));
        assert_eq!(one(&mut s, "SHOW DateStyle").as_deref(), Some("SQL, DMY"));
        assert_eq!(one(&mut s, "SHOW work_mem").as_deref(), Some("2MB"));
        s.execute("RESET DateStyle").unwrap();
        assert_eq!(one(&mut s, "SHOW DateStyle").as_deref(), Some("SQL, DMY"));
        // `$user` in the search path is the current user's schema.
        assert_eq!(one(&mut s, "SELECT x FROM t").as_deref(), Some("7"));
        s.execute("SET ROLE v").unwrap();
        assert_eq!(one(&mut s, q).as_deref(), Some("v"));
        assert_eq!(one(&mut s, "SELECT session_user").as_deref(), Some("u"));
        assert!(s.execute("SELECT x FROM t").is_err());
        // A SET ROLE undone by a rollback: `$user` is u's schema again.
        s.execute("RESET ROLE").unwrap();
        s.execute("BEGIN; SET ROLE v; SELECT count(*) FROM pg_class; ROLLBACK")
            .unwrap();
        assert_eq!(one(&mut s, "SELECT x FROM t").as_deref(), Some("7"));
        s.execute("SET ROLE v").unwrap();
        s.execute("SET SESSION AUTHORIZATION DEFAULT").unwrap();
        assert_eq!(one(&mut s, q).as_deref(), Some("u"));
        // A role set with ALTER ROLE ... SET role is taken at login; RESET ROLE returns to it.
        s.execute("ALTER ROLE u SET role = 'v'").unwrap();
        s.set_session_user("u").unwrap();
        assert_eq!(one(&mut s, q).as_deref(), Some("v"));
        s.execute("SET ROLE NONE").unwrap();
        assert_eq!(one(&mut s, q).as_deref(), Some("u"));
        s.execute("RESET ROLE").unwrap();
        assert_eq!(one(&mut s, "SHOW role").as_deref(), Some("v"));
        s.execute("SET SESSION AUTHORIZATION DEFAULT").unwrap();
        // u is no superuser: it cannot become another session user.
        let e = s.execute("SET SESSION AUTHORIZATION v").unwrap_err();
        assert_eq!(e.code().code(), "42501");
    }
}
