//! Run-time settings (PostgreSQL's GUC variables) with PostgreSQL's names, value syntax,
//! normalisation, error messages and transactional behaviour.
//!
//! Each parameter has three layers of values:
//! - the *reset* value: the default, or what the client asked for at connection start
//!   ([`Settings::set_default`]); `RESET` and `SET ... TO DEFAULT` go back to it;
//! - the *session* value: what stays after the transaction commits (`SET`, `SET SESSION`);
//! - the *current* value: what statements see (`SET LOCAL` changes only this one).
//!
//! The session (crate::session) snapshots the layers at transaction start and at each savepoint
//! so that a rollback undoes `SET`, and sets *current* back to *session* when a transaction ends
//! so that `SET LOCAL` lasts until then, as PostgreSQL does.
//!
//! Values are normalised as PostgreSQL normalises them, so `SHOW` prints what PostgreSQL
//! prints: times in the largest unit that divides them (`90s`, `1500ms`), booleans as `on`/`off`,
//! enumerations by their canonical name, `DateStyle` as `ISO, MDY`, time zones by their
//! canonical spelling, `search_path` with identifiers quoted as needed.
//!
//! The planner-method parameters (`enable_seqscan`, `enable_hashjoin`, ..., `geqo`) exist so that
//! scripts written for PostgreSQL can set and show them; like PostgreSQL's they never change a
//! query's result, and Basalt's optimizer does not consult them.
//!
//! Names containing a dot (`myapp.user_id`) are custom parameters, stored as strings, as
//! PostgreSQL allows.

use std::collections::BTreeMap;
use std::time::Duration;

use basalt_txn::IsolationLevel;

use crate::error::{Severity, SqlCode, SqlError};
use crate::parse::quote_identifier;
use crate::timezone;

/// The PostgreSQL version Basalt reports (`server_version`); drivers read the leading number.
pub const SERVER_VERSION: &str = concat!("15.0 (Basalt ", env!("CARGO_PKG_VERSION"), ")");
/// `server_version_num` matching [`SERVER_VERSION`].
pub const SERVER_VERSION_NUM: &str = "150000";

/// PostgreSQL's transaction isolation levels as SQL names them; READ UNCOMMITTED runs as READ
/// COMMITTED but is reported as what was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Isolation {
    /// `serializable`.
    Serializable,
    /// `repeatable read`.
    RepeatableRead,
    /// `read committed`.
    ReadCommitted,
    /// `read uncommitted`.
    ReadUncommitted,
}

impl Isolation {
    /// The level the transaction layer runs.
    pub fn level(self) -> IsolationLevel {
        match self {
            Isolation::Serializable => IsolationLevel::Serializable,
            Isolation::RepeatableRead => IsolationLevel::RepeatableRead,
            Isolation::ReadCommitted | Isolation::ReadUncommitted => IsolationLevel::ReadCommitted,
        }
    }

    /// The SQL name, lower case, as `SHOW` prints it.
    pub fn name(self) -> &'static str {
        ISOLATION_OPTIONS[self as usize].0
    }

    fn from_index(index: usize) -> Isolation {
        match index {
            0 => Isolation::Serializable,
            1 => Isolation::RepeatableRead,
            3 => Isolation::ReadUncommitted,
            _ => Isolation::ReadCommitted,
        }
    }

    /// The level named `name` (any case), as in `ISOLATION LEVEL` clauses.
    pub fn from_name(name: &str) -> Option<Isolation> {
        ISOLATION_OPTIONS
            .iter()
            .position(|(n, ..)| n.eq_ignore_ascii_case(name))
            .map(|i| Isolation::from_index(ISOLATION_OPTIONS[i].1))
    }
}

/// An enumeration option: name, value, hidden (accepted but not listed).
type EnumOption = (&'static str, usize, bool);

const ISOLATION_OPTIONS: &[EnumOption] = &[
    ("serializable", 0, false),
    ("repeatable read", 1, false),
    ("read committed", 2, false),
    ("read uncommitted", 3, false),
];

const SYNCHRONOUS_COMMIT_OPTIONS: &[EnumOption] = &[
    ("local", 0, false),
    ("remote_write", 1, false),
    ("remote_apply", 2, false),
    ("on", 3, false),
    ("off", 4, false),
    ("true", 3, true),
    ("false", 4, true),
    ("yes", 3, true),
    ("no", 4, true),
    ("1", 3, true),
    ("0", 4, true),
];

const PLAN_CACHE_MODE_OPTIONS: &[EnumOption] = &[
    ("auto", 0, false),
    ("force_generic_plan", 1, false),
    ("force_custom_plan", 2, false),
];

const CLIENT_MIN_MESSAGES_OPTIONS: &[EnumOption] = &[
    ("debug5", 0, false),
    ("debug4", 1, false),
    ("debug3", 2, false),
    ("debug2", 3, false),
    ("debug1", 4, false),
    ("debug", 3, true),
    ("log", 5, false),
    ("info", 6, true),
    ("notice", 7, false),
    ("warning", 8, false),
    ("error", 9, false),
];

const INTERVAL_STYLE_OPTIONS: &[EnumOption] = &[
    ("postgres", 0, false),
    ("postgres_verbose", 1, false),
    ("sql_standard", 2, false),
    ("iso_8601", 3, false),
];

const BYTEA_OUTPUT_OPTIONS: &[EnumOption] = &[("escape", 0, false), ("hex", 1, false)];

/// How a string parameter's value is checked and normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StrCheck {
    Any,
    ApplicationName,
    ClientEncoding,
    DateStyle,
    SearchPath,
    TimeZone,
}

/// The unit of an integer parameter (values may be written with units of its kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IntUnit {
    None,
    /// Milliseconds (`1s`, `5min`).
    Ms,
    /// Kilobytes (`64MB`, `1GB`).
    Kb,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Bool,
    /// An integer in `min..=max`, of `unit`.
    Int {
        min: i64,
        max: i64,
        unit: IntUnit,
    },
    Enum(&'static [EnumOption]),
    Str(StrCheck),
}

/// A parameter's definition.
#[derive(Debug)]
struct Def {
    name: &'static str,
    kind: Kind,
    default: Value,
    read_only: bool,
    /// Accepts a list (`SET x = a, b`).
    list: bool,
    /// Left alone by `RESET ALL`.
    no_reset_all: bool,
    description: &'static str,
}

/// A parameter's value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Bool(bool),
    Int(i64),
    /// The option's value (not its index).
    Enum(usize),
    Str(String),
    /// Computed: read-only parameters whose value is a constant string.
    Const(&'static str),
}

const I32_MAX: i64 = i32::MAX as i64;

/// Every built-in parameter, sorted by name without regard to case (the order of `SHOW ALL`).
static DEFS: &[Def] = &[
    Def {
        name: "application_name",
        kind: Kind::Str(StrCheck::ApplicationName),
        default: Value::Const(""),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Sets the application name to be reported in statistics and logs.",
    },
    Def {
        name: "block_size",
        kind: Kind::Str(StrCheck::Any),
        default: Value::Const("8192"),
        read_only: true,
        list: false,
        no_reset_all: true,
        description: "Shows the size of a disk block.",
    },
    Def {
        name: "bytea_output",
        kind: Kind::Enum(BYTEA_OUTPUT_OPTIONS),
        default: Value::Enum(1),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Sets the output format for bytea.",
    },
    Def {
        name: "check_function_bodies",
        kind: Kind::Bool,
        default: Value::Bool(true),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Check routine bodies during CREATE FUNCTION and CREATE PROCEDURE.",
    },
    Def {
        name: "client_encoding",
        kind: Kind::Str(StrCheck::ClientEncoding),
        default: Value::Const("UTF8"),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Sets the client's character set encoding.",
    },
    Def {
        name: "client_min_messages",
        kind: Kind::Enum(CLIENT_MIN_MESSAGES_OPTIONS),
        default: Value::Enum(7),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Sets the message levels that are sent to the client.",
    },
    Def {
        name: "DateStyle",
        kind: Kind::Str(StrCheck::DateStyle),
        default: Value::Const("ISO, MDY"),
        read_only: false,
        list: true,
        no_reset_all: false,
        description: "Sets the display format for date and time values.",
    },
    Def {
        name: "default_transaction_deferrable",
        kind: Kind::Bool,
        default: Value::Bool(false),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Sets the default deferrable status of new transactions.",
    },
    Def {
        name: "default_transaction_isolation",
        kind: Kind::Enum(ISOLATION_OPTIONS),
        default: Value::Enum(2),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Sets the transaction isolation level of each new transaction.",
    },
    Def {
        name: "default_transaction_read_only",
        kind: Kind::Bool,
        default: Value::Bool(false),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Sets the default read-only status of new transactions.",
    },
    Def {
        name: "enable_async_append",
        kind: Kind::Bool,
        default: Value::Bool(true),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Enables the planner's use of async append plans.",
    },
    Def {
        name: "enable_bitmapscan",
        kind: Kind::Bool,
        default: Value::Bool(true),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Enables the planner's use of bitmap-scan plans.",
    },
    Def {
        name: "enable_gathermerge",
        kind: Kind::Bool,
        default: Value::Bool(true),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Enables the planner's use of gather merge plans.",
    },
    Def {
        name: "enable_hashagg",
        kind: Kind::Bool,
        default: Value::Bool(true),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Enables the planner's use of hashed aggregation plans.",
    },
    Def {
        name: "enable_hashjoin",
        kind: Kind::Bool,
        default: Value::Bool(true),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Enables the planner's use of hash join plans.",
    },
    Def {
        name: "enable_incremental_sort",
        kind: Kind::Bool,
        default: Value::Bool(true),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Enables the planner's use of incremental sort steps.",
    },
    Def {
        name: "enable_indexonlyscan",
        kind: Kind::Bool,
        default: Value::Bool(true),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Enables the planner's use of index-only-scan plans.",
    },
    Def {
        name: "enable_indexscan",
        kind: Kind::Bool,
        default: Value::Bool(true),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Enables the planner's use of index-scan plans.",
    },
    Def {
        name: "enable_material",
        kind: Kind::Bool,
        default: Value::Bool(true),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Enables the planner's use of materialization.",
    },
    Def {
        name: "enable_memoize",
        kind: Kind::Bool,
        default: Value::Bool(true),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Enables the planner's use of memoization.",
    },
    Def {
        name: "enable_mergejoin",
        kind: Kind::Bool,
        default: Value::Bool(true),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Enables the planner's use of merge join plans.",
    },
    Def {
        name: "enable_nestloop",
        kind: Kind::Bool,
        default: Value::Bool(true),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Enables the planner's use of nested-loop join plans.",
    },
    Def {
        name: "enable_parallel_append",
        kind: Kind::Bool,
        default: Value::Bool(true),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Enables the planner's use of parallel append plans.",
    },
    Def {
        name: "enable_parallel_hash",
        kind: Kind::Bool,
        default: Value::Bool(true),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Enables the planner's use of parallel hash plans.",
    },
    Def {
        name: "enable_partition_pruning",
        kind: Kind::Bool,
        default: Value::Bool(true),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Enables plan-time and execution-time partition pruning.",
    },
    Def {
        name: "enable_partitionwise_aggregate",
        kind: Kind::Bool,
        default: Value::Bool(false),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Enables partitionwise aggregation and grouping.",
    },
    Def {
        name: "enable_partitionwise_join",
        kind: Kind::Bool,
        default: Value::Bool(false),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Enables partitionwise join.",
    },
    Def {
        name: "enable_seqscan",
        kind: Kind::Bool,
        default: Value::Bool(true),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Enables the planner's use of sequential-scan plans.",
    },
    Def {
        name: "enable_sort",
        kind: Kind::Bool,
        default: Value::Bool(true),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Enables the planner's use of explicit sort steps.",
    },
    Def {
        name: "enable_tidscan",
        kind: Kind::Bool,
        default: Value::Bool(true),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Enables the planner's use of TID scan plans.",
    },
    Def {
        name: "extra_float_digits",
        kind: Kind::Int {
            min: -15,
            max: 3,
            unit: IntUnit::None,
        },
        default: Value::Int(1),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Sets the number of digits displayed for floating-point values.",
    },
    Def {
        name: "geqo",
        kind: Kind::Bool,
        default: Value::Bool(true),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Enables genetic query optimization.",
    },
    Def {
        name: "geqo_threshold",
        kind: Kind::Int {
            min: 2,
            max: I32_MAX,
            unit: IntUnit::None,
        },
        default: Value::Int(12),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Sets the threshold of FROM items beyond which GEQO is used.",
    },
    Def {
        name: "idle_in_transaction_session_timeout",
        kind: Kind::Int {
            min: 0,
            max: I32_MAX,
            unit: IntUnit::Ms,
        },
        default: Value::Int(0),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Sets the maximum allowed idle time between queries, when in a transaction.",
    },
    Def {
        name: "in_hot_standby",
        kind: Kind::Str(StrCheck::Any),
        default: Value::Const("off"),
        read_only: true,
        list: false,
        no_reset_all: true,
        description: "Shows whether hot standby is currently active.",
    },
    Def {
        name: "integer_datetimes",
        kind: Kind::Bool,
        default: Value::Bool(true),
        read_only: true,
        list: false,
        no_reset_all: true,
        description: "Shows whether datetimes are integer based.",
    },
    Def {
        name: "IntervalStyle",
        kind: Kind::Enum(INTERVAL_STYLE_OPTIONS),
        default: Value::Enum(0),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Sets the display format for interval values.",
    },
    Def {
        name: "jit",
        kind: Kind::Bool,
        default: Value::Bool(false),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Allow JIT compilation.",
    },
    Def {
        name: "lc_collate",
        kind: Kind::Str(StrCheck::Any),
        default: Value::Const("C.UTF-8"),
        read_only: true,
        list: false,
        no_reset_all: true,
        description: "Shows the collation order locale.",
    },
    Def {
        name: "lc_ctype",
        kind: Kind::Str(StrCheck::Any),
        default: Value::Const("C.UTF-8"),
        read_only: true,
        list: false,
        no_reset_all: true,
        description: "Shows the character classification and case conversion locale.",
    },
    Def {
        name: "lock_timeout",
        kind: Kind::Int {
            min: 0,
            max: I32_MAX,
            unit: IntUnit::Ms,
        },
        default: Value::Int(0),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Sets the maximum allowed duration of any wait for a lock.",
    },
    Def {
        name: "max_identifier_length",
        kind: Kind::Int {
            min: 63,
            max: 63,
            unit: IntUnit::None,
        },
        default: Value::Int(63),
        read_only: true,
        list: false,
        no_reset_all: true,
        description: "Shows the maximum identifier length.",
    },
    Def {
        name: "max_index_keys",
        kind: Kind::Str(StrCheck::Any),
        default: Value::Const("32"),
        read_only: true,
        list: false,
        no_reset_all: true,
        description: "Shows the maximum number of index keys.",
    },
    Def {
        name: "plan_cache_mode",
        kind: Kind::Enum(PLAN_CACHE_MODE_OPTIONS),
        default: Value::Enum(0),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Controls the planner's selection of custom or generic plan.",
    },
    Def {
        name: "search_path",
        kind: Kind::Str(StrCheck::SearchPath),
        default: Value::Const("\"$user\", public"),
        read_only: false,
        list: true,
        no_reset_all: false,
        description: "Sets the schema search order for names that are not schema-qualified.",
    },
    Def {
        name: "server_encoding",
        kind: Kind::Str(StrCheck::Any),
        default: Value::Const("UTF8"),
        read_only: true,
        list: false,
        no_reset_all: true,
        description: "Shows the server (database) character set encoding.",
    },
    Def {
        name: "server_version",
        kind: Kind::Str(StrCheck::Any),
        default: Value::Const(SERVER_VERSION),
        read_only: true,
        list: false,
        no_reset_all: true,
        description: "Shows the server version.",
    },
    Def {
        name: "server_version_num",
        kind: Kind::Str(StrCheck::Any),
        default: Value::Const(SERVER_VERSION_NUM),
        read_only: true,
        list: false,
        no_reset_all: true,
        description: "Shows the server version as an integer.",
    },
    Def {
        name: "standard_conforming_strings",
        kind: Kind::Bool,
        default: Value::Bool(true),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Causes '...' strings to treat backslashes literally.",
    },
    Def {
        name: "statement_timeout",
        kind: Kind::Int {
            min: 0,
            max: I32_MAX,
            unit: IntUnit::Ms,
        },
        default: Value::Int(0),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Sets the maximum allowed duration of any statement.",
    },
    Def {
        name: "synchronous_commit",
        kind: Kind::Enum(SYNCHRONOUS_COMMIT_OPTIONS),
        default: Value::Enum(3),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Sets the current transaction's synchronization level.",
    },
    Def {
        name: "TimeZone",
        kind: Kind::Str(StrCheck::TimeZone),
        default: Value::Const("UTC"),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Sets the time zone for displaying and interpreting time stamps.",
    },
    Def {
        name: "transaction_deferrable",
        kind: Kind::Bool,
        default: Value::Bool(false),
        read_only: false,
        list: false,
        no_reset_all: true,
        description: "Whether to defer a read-only serializable transaction until it can be executed with no possible serialization failures.",
    },
    Def {
        name: "transaction_isolation",
        kind: Kind::Enum(ISOLATION_OPTIONS),
        default: Value::Enum(2),
        read_only: false,
        list: false,
        no_reset_all: true,
        description: "Sets the current transaction's isolation level.",
    },
    Def {
        name: "transaction_read_only",
        kind: Kind::Bool,
        default: Value::Bool(false),
        read_only: false,
        list: false,
        no_reset_all: true,
        description: "Sets the current transaction's read-only status.",
    },
    Def {
        name: "work_mem",
        kind: Kind::Int {
            min: 64,
            max: I32_MAX,
            unit: IntUnit::Kb,
        },
        default: Value::Int(4096),
        read_only: false,
        list: false,
        no_reset_all: false,
        description: "Sets the maximum memory to be used for query workspaces.",
    },
];

/// A built-in parameter, by its index in the definition table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Param(usize);

macro_rules! params {
    ($($name:ident = $index:literal, $text:literal;)*) => {
        impl Param {
            $(#[doc = concat!("`", $text, "`.")] pub const $name: Param = Param($index);)*
        }
        #[cfg(test)]
        const PARAM_NAMES: &[(Param, &str)] = &[$((Param::$name, $text),)*];
    };
}

params! {
    APPLICATION_NAME = 0, "application_name";
    BLOCK_SIZE = 1, "block_size";
    BYTEA_OUTPUT = 2, "bytea_output";
    CHECK_FUNCTION_BODIES = 3, "check_function_bodies";
    CLIENT_ENCODING = 4, "client_encoding";
    CLIENT_MIN_MESSAGES = 5, "client_min_messages";
    DATE_STYLE = 6, "DateStyle";
    DEFAULT_TRANSACTION_DEFERRABLE = 7, "default_transaction_deferrable";
    DEFAULT_TRANSACTION_ISOLATION = 8, "default_transaction_isolation";
    DEFAULT_TRANSACTION_READ_ONLY = 9, "default_transaction_read_only";
    ENABLE_ASYNC_APPEND = 10, "enable_async_append";
    ENABLE_BITMAPSCAN = 11, "enable_bitmapscan";
    ENABLE_GATHERMERGE = 12, "enable_gathermerge";
    ENABLE_HASHAGG = 13, "enable_hashagg";
    ENABLE_HASHJOIN = 14, "enable_hashjoin";
    ENABLE_INCREMENTAL_SORT = 15, "enable_incremental_sort";
    ENABLE_INDEXONLYSCAN = 16, "enable_indexonlyscan";
    ENABLE_INDEXSCAN = 17, "enable_indexscan";
    ENABLE_MATERIAL = 18, "enable_material";
    ENABLE_MEMOIZE = 19, "enable_memoize";
    ENABLE_MERGEJOIN = 20, "enable_mergejoin";
    ENABLE_NESTLOOP = 21, "enable_nestloop";
    ENABLE_PARALLEL_APPEND = 22, "enable_parallel_append";
    ENABLE_PARALLEL_HASH = 23, "enable_parallel_hash";
    ENABLE_PARTITION_PRUNING = 24, "enable_partition_pruning";
    ENABLE_PARTITIONWISE_AGGREGATE = 25, "enable_partitionwise_aggregate";
    ENABLE_PARTITIONWISE_JOIN = 26, "enable_partitionwise_join";
    ENABLE_SEQSCAN = 27, "enable_seqscan";
    ENABLE_SORT = 28, "enable_sort";
    ENABLE_TIDSCAN = 29, "enable_tidscan";
    EXTRA_FLOAT_DIGITS = 30, "extra_float_digits";
    GEQO = 31, "geqo";
    GEQO_THRESHOLD = 32, "geqo_threshold";
    IDLE_IN_TRANSACTION_SESSION_TIMEOUT = 33, "idle_in_transaction_session_timeout";
    IN_HOT_STANDBY = 34, "in_hot_standby";
    INTEGER_DATETIMES = 35, "integer_datetimes";
    INTERVAL_STYLE = 36, "IntervalStyle";
    JIT = 37, "jit";
    LC_COLLATE = 38, "lc_collate";
    LC_CTYPE = 39, "lc_ctype";
    LOCK_TIMEOUT = 40, "lock_timeout";
    MAX_IDENTIFIER_LENGTH = 41, "max_identifier_length";
    MAX_INDEX_KEYS = 42, "max_index_keys";
    PLAN_CACHE_MODE = 43, "plan_cache_mode";
    SEARCH_PATH = 44, "search_path";
    SERVER_ENCODING = 45, "server_encoding";
    SERVER_VERSION = 46, "server_version";
    SERVER_VERSION_NUM = 47, "server_version_num";
    STANDARD_CONFORMING_STRINGS = 48, "standard_conforming_strings";
    STATEMENT_TIMEOUT = 49, "statement_timeout";
    SYNCHRONOUS_COMMIT = 50, "synchronous_commit";
    TIME_ZONE = 51, "TimeZone";
    TRANSACTION_DEFERRABLE = 52, "transaction_deferrable";
    TRANSACTION_ISOLATION = 53, "transaction_isolation";
    TRANSACTION_READ_ONLY = 54, "transaction_read_only";
    WORK_MEM = 55, "work_mem";
}

impl Param {
    /// The parameter called `name` (any case), if it is built in.
    pub fn lookup(name: &str) -> Option<Param> {
        DEFS.iter()
            .position(|d| d.name.eq_ignore_ascii_case(name))
            .map(Param)
    }

    /// The canonical name (`TimeZone`, `search_path`, ...), which is also `SHOW`'s column name.
    pub fn name(self) -> &'static str {
        self.def().name
    }

    fn def(self) -> &'static Def {
        // Params are only made from indexes into DEFS.
        &DEFS[self.0]
    }
}

/// Whether a value was set explicitly or is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Default,
    Explicit,
}

/// One layer of values (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Layer {
    builtin: Vec<(Value, Source)>,
    custom: BTreeMap<String, String>,
    /// `session_authorization` and `role` (see [`Identity`]).
    identity: Identity,
}

/// Who the session runs as: PostgreSQL's `session_authorization` and `role` parameters, by
/// role OID with the name they were set by (`SHOW` prints it without a catalog). Part of the
/// setting layers, so `SET ROLE` in a transaction that rolls back is undone and `SET LOCAL
/// ROLE` lasts until the transaction ends, as in PostgreSQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The session user.
    pub session_user: (u32, std::sync::Arc<str>),
    /// The role of `SET ROLE` (`None`: `none`, the session user acts).
    pub role: Option<(u32, std::sync::Arc<str>)>,
}

impl Default for Identity {
    fn default() -> Self {
        Identity {
            session_user: (
                crate::system::tables::ROLE_OID,
                crate::system::tables::ROLE_NAME.into(),
            ),
            role: None,
        }
    }
}

impl Identity {
    /// The current user: the role if one is set, else the session user.
    pub fn current_user(&self) -> (u32, &str) {
        let (oid, name) = self.role.as_ref().unwrap_or(&self.session_user);
        (*oid, name)
    }
}

/// The session and current layers, saved at transaction start and at savepoints.
#[derive(Debug, Clone)]
pub struct Snapshot {
    session: Layer,
    current: Layer,
}

/// A value as written in `SET` (after the parser): PostgreSQL's `A_Const` kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum SetArg {
    /// An integer constant.
    Int(i64),
    /// A numeric constant, as written.
    Float(String),
    /// A string constant or identifier (already case-folded by the parser).
    Str(String),
}

/// Whether a `SET` lasts for the session or until the end of the transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `SET` / `SET SESSION` / `RESET`.
    Session,
    /// `SET LOCAL`.
    Local,
}

/// A session's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    reset: Layer,
    session: Layer,
    current: Layer,
    /// Whether `current` may differ from `session` (a `SET LOCAL` or a restore since the
    /// transaction began): comparing the layers at every commit would cost more.
    local_changes: bool,
    /// Changes whenever a current value may have changed: what is derived from the settings
    /// (time zone, output style, search path, a prepared INSERT's bound form) is kept with
    /// the epoch it was derived at. Drawn from one process-wide counter, so two `Settings`
    /// never share an epoch unless one is a clone of the other (with the same values).
    epoch: u64,
}

/// The source of [`Settings`] epochs.
static EPOCHS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_epoch() -> u64 {
    EPOCHS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Default for Settings {
    fn default() -> Self {
        Settings::new()
    }
}

impl Settings {
    /// PostgreSQL's defaults (with `TimeZone` = `UTC`).
    pub fn new() -> Self {
        let layer = Layer {
            builtin: DEFS
                .iter()
                .map(|d| (d.default.clone(), Source::Default))
                .collect(),
            custom: BTreeMap::new(),
            identity: Identity::default(),
        };
        Settings {
            reset: layer.clone(),
            session: layer.clone(),
            current: layer,
            local_changes: false,
            epoch: next_epoch(),
        }
    }

    /// The epoch of the current values: equal epochs mean equal values (see the field).
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The session and current values, to restore with [`Settings::restore`].
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            session: self.session.clone(),
            current: self.current.clone(),
        }
    }

    /// Goes back to a snapshot (transaction or savepoint rollback).
    pub fn restore(&mut self, snapshot: Snapshot) {
        self.session = snapshot.session;
        self.current = snapshot.current;
        self.local_changes = true;
        self.epoch = next_epoch();
    }

    /// Ends the transaction's `SET LOCAL` values: current values become the session values.
    pub fn end_transaction(&mut self) {
        if self.local_changes && self.current != self.session {
            self.current = self.session.clone();
            self.epoch = next_epoch();
        }
        self.local_changes = false;
    }

    /// Sets the value `RESET` returns to, and the session and current values, as a client's
    /// connection parameters do (`options`, or the startup packet's `application_name`, ...).
    pub fn set_default(&mut self, name: &str, value: &str) -> Result<(), SqlError> {
        // A stored or startup value is the setting's text. `search_path`'s text is a list of
        // identifiers (PostgreSQL's SplitIdentifierString), while SET's arguments are names
        // that `flatten` quotes: the text goes in as the names it lists.
        let identifiers = Param::lookup(name)
            .is_some_and(|p| matches!(p.def().kind, Kind::Str(StrCheck::SearchPath)));
        let args = if identifiers {
            split_identifiers(value)
                .ok_or_else(|| {
                    SqlError::new(
                        "22023",
                        format!("invalid value for parameter \"{name}\": \"{value}\""),
                    )
                    .with_detail("List syntax is invalid.")
                })?
                .into_iter()
                .map(SetArg::Str)
                .collect()
        } else {
            vec![SetArg::Str(value.to_string())]
        };
        self.set(name, Some(&args), Scope::Session)?;
        match Param::lookup(name) {
            Some(p) => {
                let v = self.current.builtin[p.0].clone();
                self.reset.builtin[p.0] = v.clone();
                self.session.builtin[p.0] = v;
            }
            None => {
                let key = name.to_ascii_lowercase();
                if let Some(v) = self.current.custom.get(&key).cloned() {
                    self.reset.custom.insert(key, v);
                }
            }
        }
        Ok(())
    }

    /// `SHOW name`: the column name and the value as PostgreSQL prints it.
    pub fn show(&self, name: &str) -> Result<(&'static str, String), SqlError> {
        if name.eq_ignore_ascii_case("role") {
            let role = self.current.identity.role.as_ref();
            return Ok((
                "role",
                role.map_or_else(|| "none".into(), |r| r.1.to_string()),
            ));
        }
        if name.eq_ignore_ascii_case("session_authorization") {
            let user = &self.current.identity.session_user.1;
            return Ok(("session_authorization", user.to_string()));
        }
        if let Some(p) = Param::lookup(name) {
            return Ok((p.name(), self.display(p)));
        }
        let key = name.to_ascii_lowercase();
        match self.current.custom.get(&key) {
            Some(v) => Ok(("", v.clone())),
            None => Err(SqlError::UnknownParameter(name.to_string())),
        }
    }

    /// `SHOW ALL`: name, setting and description of every parameter, custom ones included.
    pub fn show_all(&self) -> Vec<[String; 3]> {
        let mut rows: Vec<[String; 3]> = DEFS
            .iter()
            .enumerate()
            .map(|(i, d)| {
                [
                    d.name.to_string(),
                    self.display(Param(i)),
                    d.description.to_string(),
                ]
            })
            .collect();
        for (name, value) in &self.current.custom {
            rows.push([name.clone(), value.clone(), String::new()]);
        }
        rows.sort_by_key(|r| r[0].to_ascii_lowercase());
        rows
    }

    /// The value of `param` as `SHOW` prints it.
    pub fn display(&self, param: Param) -> String {
        let def = param.def();
        match (&self.current.builtin[param.0].0, def.kind) {
            (Value::Bool(b), _) => if *b { "on" } else { "off" }.to_string(),
            (
                Value::Int(v),
                Kind::Int {
                    unit: IntUnit::Ms, ..
                },
            ) => format_ms(*v),
            (
                Value::Int(v),
                Kind::Int {
                    unit: IntUnit::Kb, ..
                },
            ) => format_kb(*v),
            (Value::Int(v), _) => v.to_string(),
            (Value::Enum(v), Kind::Enum(options)) => options
                .iter()
                .find(|(_, value, _)| value == v)
                .map_or_else(String::new, |(name, ..)| (*name).to_string()),
            (Value::Enum(v), _) => v.to_string(),
            (Value::Str(s), _) => s.clone(),
            (Value::Const(s), _) => (*s).to_string(),
        }
    }

    /// Turns `SET`'s arguments into the value string (PostgreSQL's
    /// `flatten_set_variable_args`): one argument unless the parameter takes a list; string
    /// arguments of `search_path` are quoted as identifiers where needed.
    pub fn flatten(name: &str, args: &[SetArg]) -> Result<String, SqlError> {
        let def = Param::lookup(name).map(Param::def);
        let list = def.is_some_and(|d| d.list);
        if !list && args.len() != 1 {
            return Err(SqlError::invalid_value(format!(
                "SET {name} takes only one argument"
            )));
        }
        let quote = def.is_some_and(|d| matches!(d.kind, Kind::Str(StrCheck::SearchPath)));
        let parts: Vec<String> = args
            .iter()
            .map(|a| match a {
                SetArg::Int(i) => i.to_string(),
                SetArg::Float(f) => f.clone(),
                SetArg::Str(s) if quote => quote_identifier(s),
                SetArg::Str(s) => s.clone(),
            })
            .collect();
        Ok(parts.join(", "))
    }

    /// Sets `name` from `SET`'s arguments (`None`: `RESET` / `TO DEFAULT`).
    pub fn set(
        &mut self,
        name: &str,
        args: Option<&[SetArg]>,
        scope: Scope,
    ) -> Result<(), SqlError> {
        let value = args.map(|a| Settings::flatten(name, a)).transpose()?;
        self.set_str(name, value.as_deref(), scope)
    }

    /// Sets `name` to the text `value` (`None`: back to the reset value).
    pub fn set_str(
        &mut self,
        name: &str,
        value: Option<&str>,
        scope: Scope,
    ) -> Result<(), SqlError> {
        let Some(param) = Param::lookup(name) else {
            return self.set_custom(name, value, scope);
        };
        let def = param.def();
        if def.read_only {
            return Err(SqlError::ReadOnlyParameter(def.name.to_string()));
        }
        let new = match value {
            None => self.reset.builtin[param.0].clone(),
            Some(text) => (self.parse_value(param, text)?, Source::Explicit),
        };
        self.current.builtin[param.0] = new.clone();
        self.epoch = next_epoch();
        if scope == Scope::Session {
            self.session.builtin[param.0] = new;
        } else {
            self.local_changes = true;
        }
        Ok(())
    }

    fn set_custom(
        &mut self,
        name: &str,
        value: Option<&str>,
        scope: Scope,
    ) -> Result<(), SqlError> {
        if !name.contains('.') {
            return Err(SqlError::UnknownParameter(name.to_string()));
        }
        if !valid_custom_name(name) {
            return Err(SqlError::InvalidValue {
                code: SqlCode::INVALID_NAME,
                message: format!("invalid configuration parameter name \"{name}\""),
                detail: Some(
                    "Custom parameter names must be two or more simple identifiers separated by dots."
                        .to_string(),
                ),
                hint: None,
            });
        }
        let key = name.to_ascii_lowercase();
        let new = match value {
            Some(v) => v.to_string(),
            None => self.reset.custom.get(&key).cloned().unwrap_or_default(),
        };
        self.current.custom.insert(key.clone(), new.clone());
        self.epoch = next_epoch();
        if scope == Scope::Session {
            self.session.custom.insert(key, new);
        } else {
            self.local_changes = true;
        }
        Ok(())
    }

    /// `RESET ALL`: every parameter that allows it back to its reset value.
    pub fn reset_all(&mut self) {
        for (i, def) in DEFS.iter().enumerate() {
            if !def.no_reset_all && !def.read_only {
                let v = self.reset.builtin[i].clone();
                self.current.builtin[i] = v.clone();
                self.session.builtin[i] = v;
            }
        }
        for (key, value) in self.current.custom.iter_mut() {
            *value = self.reset.custom.get(key).cloned().unwrap_or_default();
        }
        self.session.custom = self.current.custom.clone();
        self.epoch = next_epoch();
    }

    /// Parses and normalises `text` for `param`, with PostgreSQL's errors.
    fn parse_value(&self, param: Param, text: &str) -> Result<Value, SqlError> {
        let def = param.def();
        let invalid = |hint: Option<&str>, detail: Option<String>| SqlError::InvalidValue {
            code: SqlCode::INVALID_PARAMETER_VALUE,
            message: format!("invalid value for parameter \"{}\": \"{}\"", def.name, text),
            detail,
            hint: hint.map(String::from),
        };
        match def.kind {
            Kind::Bool => parse_bool(text).map(Value::Bool).ok_or_else(|| {
                SqlError::invalid_value(format!(
                    "parameter \"{}\" requires a Boolean value",
                    def.name
                ))
            }),
            Kind::Int { min, max, unit } => {
                let v = parse_int(text, unit).map_err(|hint| invalid(hint, None))?;
                if v < min || v > max {
                    let unit = match unit {
                        IntUnit::None => "",
                        IntUnit::Ms => " ms",
                        IntUnit::Kb => " kB",
                    };
                    return Err(SqlError::invalid_value(format!(
                        "{v}{unit} is outside the valid range for parameter \"{}\" ({min} .. {max})",
                        def.name
                    )));
                }
                Ok(Value::Int(v))
            }
            Kind::Enum(options) => options
                .iter()
                .find(|(name, ..)| name.eq_ignore_ascii_case(text))
                .map(|(_, v, _)| Value::Enum(*v))
                .ok_or_else(|| {
                    let names: Vec<&str> = options
                        .iter()
                        .filter(|(.., hidden)| !hidden)
                        .map(|(n, ..)| *n)
                        .collect();
                    invalid(
                        Some(&format!("Available values: {}.", names.join(", "))),
                        None,
                    )
                }),
            Kind::Str(check) => match check {
                StrCheck::Any => Ok(Value::Str(text.to_string())),
                StrCheck::ApplicationName => Ok(Value::Str(clean_ascii(text))),
                StrCheck::ClientEncoding => check_client_encoding(text, def.name),
                StrCheck::DateStyle => {
                    let current = self.display(param);
                    let reset = match &self.reset.builtin[param.0].0 {
                        Value::Str(s) => s.clone(),
                        Value::Const(s) => (*s).to_string(),
                        _ => String::from("ISO, MDY"),
                    };
                    check_datestyle(text, &current, &reset)
                        .map(Value::Str)
                        .map_err(|detail| invalid(None, Some(detail)))
                }
                StrCheck::SearchPath => match split_identifiers(text) {
                    Some(_) => Ok(Value::Str(text.to_string())),
                    None => Err(invalid(None, Some("List syntax is invalid.".into()))),
                },
                StrCheck::TimeZone => match timezone::canonical(text) {
                    Ok(name) => Ok(Value::Str(name)),
                    Err(timezone::TzError::Invalid) => Err(invalid(None, None)),
                    Err(timezone::TzError::LeapSeconds) => Err(SqlError::InvalidValue {
                        code: SqlCode::INVALID_PARAMETER_VALUE,
                        message: format!("time zone \"{text}\" appears to use leap seconds"),
                        detail: Some("PostgreSQL does not support leap seconds.".into()),
                        hint: None,
                    }),
                    Err(timezone::TzError::Unsupported(what)) => {
                        Err(SqlError::Unsupported(what.to_string()))
                    }
                },
            },
        }
    }

    fn builtin(&self, param: Param) -> &Value {
        &self.current.builtin[param.0].0
    }

    fn explicit(&self, param: Param) -> bool {
        self.current.builtin[param.0].1 == Source::Explicit
    }

    fn bool(&self, param: Param) -> bool {
        matches!(self.builtin(param), Value::Bool(true))
    }

    fn int(&self, param: Param) -> i64 {
        match self.builtin(param) {
            Value::Int(v) => *v,
            _ => 0,
        }
    }

    fn str(&self, param: Param) -> &str {
        match self.builtin(param) {
            Value::Str(s) => s,
            Value::Const(s) => s,
            _ => "",
        }
    }

    fn ms(&self, param: Param) -> Option<Duration> {
        u64::try_from(self.int(param))
            .ok()
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis)
    }

    /// `default_transaction_isolation`.
    pub fn default_isolation(&self) -> Isolation {
        match self.builtin(Param::DEFAULT_TRANSACTION_ISOLATION) {
            Value::Enum(v) => Isolation::from_index(*v),
            _ => Isolation::ReadCommitted,
        }
    }

    /// `transaction_isolation`: the current transaction's level.
    pub fn transaction_isolation(&self) -> Isolation {
        match self.builtin(Param::TRANSACTION_ISOLATION) {
            Value::Enum(v) => Isolation::from_index(*v),
            _ => Isolation::ReadCommitted,
        }
    }

    /// `transaction_read_only`.
    pub fn transaction_read_only(&self) -> bool {
        self.bool(Param::TRANSACTION_READ_ONLY)
    }

    /// `check_function_bodies`: whether CREATE FUNCTION checks the body.
    pub fn check_function_bodies(&self) -> bool {
        self.bool(Param::CHECK_FUNCTION_BODIES)
    }

    /// `transaction_deferrable`.
    pub fn transaction_deferrable(&self) -> bool {
        self.bool(Param::TRANSACTION_DEFERRABLE)
    }

    /// Sets the transaction characteristics from the defaults, as a transaction starts.
    pub fn start_transaction(&mut self) {
        for (target, source) in [
            (
                Param::TRANSACTION_ISOLATION,
                Param::DEFAULT_TRANSACTION_ISOLATION,
            ),
            (
                Param::TRANSACTION_READ_ONLY,
                Param::DEFAULT_TRANSACTION_READ_ONLY,
            ),
            (
                Param::TRANSACTION_DEFERRABLE,
                Param::DEFAULT_TRANSACTION_DEFERRABLE,
            ),
        ] {
            // Usually unchanged since the last transaction: compare before copying.
            let v = &self.current.builtin[source.0].0;
            let fresh = |t: &(Value, Source)| t.0 == *v && t.1 == Source::Default;
            if fresh(&self.current.builtin[target.0]) && fresh(&self.session.builtin[target.0]) {
                continue;
            }
            let v = v.clone();
            self.current.builtin[target.0] = (v.clone(), Source::Default);
            self.session.builtin[target.0] = (v, Source::Default);
            self.epoch = next_epoch();
        }
    }

    /// `statement_timeout`; `None` when 0 (no limit).
    pub fn statement_timeout(&self) -> Option<Duration> {
        self.ms(Param::STATEMENT_TIMEOUT)
    }

    /// `lock_timeout` for [`basalt_txn::TxnOptions`]: `None` when 0 (wait for ever) or never
    /// set (the database's default applies).
    pub fn lock_timeout(&self) -> Option<Duration> {
        self.ms(Param::LOCK_TIMEOUT)
    }

    /// `idle_in_transaction_session_timeout`; `None` when 0.
    pub fn idle_in_transaction_session_timeout(&self) -> Option<Duration> {
        self.ms(Param::IDLE_IN_TRANSACTION_SESSION_TIMEOUT)
    }

    /// `synchronous_commit` for [`basalt_txn::TxnOptions`]: `None` unless set (the database's
    /// default applies), otherwise whether commits wait for the log to reach disk (every level
    /// but `off` does).
    pub fn synchronous_commit(&self) -> Option<bool> {
        if !self.explicit(Param::SYNCHRONOUS_COMMIT) {
            return None;
        }
        Some(!matches!(
            self.builtin(Param::SYNCHRONOUS_COMMIT),
            Value::Enum(4)
        ))
    }

    /// Whether `plan_cache_mode` is `force_custom_plan`: every statement text is planned
    /// with its own literal values (no plan shared by texts of one shape).
    pub fn force_custom_plan(&self) -> bool {
        matches!(self.builtin(Param::PLAN_CACHE_MODE), Value::Enum(2))
    }

    /// `standard_conforming_strings`.
    pub fn standard_conforming_strings(&self) -> bool {
        self.bool(Param::STANDARD_CONFORMING_STRINGS)
    }

    /// `search_path` as set (unparsed).
    pub fn search_path_text(&self) -> &str {
        self.str(Param::SEARCH_PATH)
    }

    /// `search_path` as a list of schema names (`$user` included as written).
    pub fn search_path(&self) -> Vec<String> {
        split_identifiers(self.str(Param::SEARCH_PATH)).unwrap_or_default()
    }

    /// `TimeZone`.
    pub fn time_zone(&self) -> &str {
        self.str(Param::TIME_ZONE)
    }

    /// `DateStyle`, e.g. `ISO, MDY`.
    pub fn date_style(&self) -> &str {
        self.str(Param::DATE_STYLE)
    }

    /// `IntervalStyle`.
    pub fn interval_style(&self) -> String {
        self.display(Param::INTERVAL_STYLE)
    }

    /// `IntervalStyle` as its option number (0 postgres, 1 postgres_verbose, 2
    /// sql_standard, 3 iso_8601), without allocating.
    pub fn interval_style_code(&self) -> usize {
        match self.builtin(Param::INTERVAL_STYLE) {
            Value::Enum(n) => *n,
            _ => 0,
        }
    }

    /// `extra_float_digits`.
    pub fn extra_float_digits(&self) -> i32 {
        i32::try_from(self.int(Param::EXTRA_FLOAT_DIGITS)).unwrap_or(1)
    }

    /// `bytea_output`: whether it is `hex` (else `escape`).
    pub fn bytea_output_hex(&self) -> bool {
        matches!(self.builtin(Param::BYTEA_OUTPUT), Value::Enum(1))
    }

    /// Who the session runs as now.
    pub fn identity(&self) -> &Identity {
        &self.current.identity
    }

    /// `SET ROLE` (`Some`) / `SET ROLE NONE` (`None`) in `scope`.
    pub fn set_role(&mut self, role: Option<(u32, std::sync::Arc<str>)>, scope: Scope) {
        self.set_identity(scope, |i| i.role = role);
    }

    /// `RESET ROLE`: back to the role the session started with.
    pub fn reset_role(&mut self, scope: Scope) {
        let role = self.reset.identity.role.clone();
        self.set_identity(scope, |i| i.role = role);
    }

    /// `SET SESSION AUTHORIZATION` (`None`: `DEFAULT`, the user the session started as);
    /// the role goes back to none.
    pub fn set_session_authorization(
        &mut self,
        user: Option<(u32, std::sync::Arc<str>)>,
        scope: Scope,
    ) {
        let user = user.unwrap_or_else(|| self.reset.identity.session_user.clone());
        self.set_identity(scope, |i| {
            i.session_user = user;
            i.role = None;
        });
    }

    /// The user the session authenticated as: the session user of every layer, `RESET`
    /// and `SET SESSION AUTHORIZATION DEFAULT` included.
    pub fn set_login_user(&mut self, oid: u32, name: &str) {
        let identity = Identity {
            session_user: (oid, name.into()),
            role: None,
        };
        self.reset.identity = identity.clone();
        self.session.identity = identity.clone();
        self.current.identity = identity;
        self.epoch = next_epoch();
    }

    /// The role a session starts with (`ALTER ROLE ... SET role`): `RESET ROLE` returns
    /// to it.
    pub fn set_login_role(&mut self, role: Option<(u32, std::sync::Arc<str>)>) {
        self.reset.identity.role = role.clone();
        self.session.identity.role = role.clone();
        self.current.identity.role = role;
        self.epoch = next_epoch();
    }

    /// The user the session authenticated as (what `SET SESSION AUTHORIZATION DEFAULT`
    /// returns to).
    pub fn login_user(&self) -> u32 {
        self.reset.identity.session_user.0
    }

    fn set_identity(&mut self, scope: Scope, f: impl FnOnce(&mut Identity)) {
        f(&mut self.current.identity);
        self.epoch = next_epoch();
        if scope == Scope::Session {
            self.session.identity = self.current.identity.clone();
        } else {
            self.local_changes = true;
        }
    }

    /// `application_name`.
    pub fn application_name(&self) -> &str {
        self.str(Param::APPLICATION_NAME)
    }

    /// Whether a notice of `severity` reaches the client under `client_min_messages`.
    pub fn sends(&self, severity: Severity) -> bool {
        let min = match self.builtin(Param::CLIENT_MIN_MESSAGES) {
            Value::Enum(v) => *v,
            _ => 7,
        };
        let level = match severity {
            Severity::Debug => 3,
            Severity::Log => 5,
            // INFO is always sent, as in PostgreSQL.
            Severity::Info => return true,
            Severity::Notice => 7,
            Severity::Warning => 8,
        };
        level >= min
    }
}

/// PostgreSQL's `parse_bool`: unique prefixes of true/false/yes/no, on/off, 1/0, any case.
pub fn parse_bool(text: &str) -> Option<bool> {
    let lower = text.to_ascii_lowercase();
    let prefix_of = |word: &str, min: usize| lower.len() >= min && word.starts_with(&lower);
    match lower.as_bytes().first()? {
        b't' if prefix_of("true", 1) => Some(true),
        b'f' if prefix_of("false", 1) => Some(false),
        b'y' if prefix_of("yes", 1) => Some(true),
        b'n' if prefix_of("no", 1) => Some(false),
        b'o' if prefix_of("on", 2) => Some(true),
        b'o' if prefix_of("off", 2) => Some(false),
        b'1' if lower.len() == 1 => Some(true),
        b'0' if lower.len() == 1 => Some(false),
        _ => None,
    }
}

fn is_c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

/// The longest prefix of `s` that C's `strtol(s, &end, 0)` reads: the value (`None` on
/// overflow) and the number of bytes read (0 if none).
fn strtol(s: &str) -> (Option<i64>, usize) {
    let bytes = s.as_bytes();
    let mut i = bytes.iter().take_while(|b| is_c_space(**b as char)).count();
    let mut negative = false;
    if let Some(sign @ (b'+' | b'-')) = bytes.get(i) {
        negative = *sign == b'-';
        i += 1;
    }
    let (radix, start) = match (bytes.get(i), bytes.get(i + 1), bytes.get(i + 2)) {
        (Some(b'0'), Some(b'x' | b'X'), Some(c)) if c.is_ascii_hexdigit() => (16, i + 2),
        (Some(b'0'), ..) => (8, i),
        _ => (10, i),
    };
    let digits = bytes[start..]
        .iter()
        .take_while(|b| (**b as char).is_digit(radix))
        .count();
    if digits == 0 {
        return (Some(0), 0);
    }
    let end = start + digits;
    let value = s
        .get(start..end)
        .and_then(|d| i64::from_str_radix(d, radix).ok())
        .map(|v| if negative { -v } else { v });
    (value, end)
}

/// The longest prefix of `s` that C's `strtod` reads (decimal notation, `inf`, `nan`): the
/// value and the number of bytes read (0 if none).
fn strtod(s: &str) -> (f64, usize) {
    let bytes = s.as_bytes();
    let start = bytes.iter().take_while(|b| is_c_space(**b as char)).count();
    let mut i = start;
    if matches!(bytes.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let rest = s.get(i..).unwrap_or("").to_ascii_lowercase();
    for word in ["infinity", "inf", "nan"] {
        if rest.starts_with(word) {
            let end = i + word.len();
            return (s[start..end].parse().unwrap_or(f64::NAN), end);
        }
    }
    let int_digits = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
    i += int_digits;
    let mut frac_digits = 0;
    if bytes.get(i) == Some(&b'.') {
        frac_digits = bytes[i + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if int_digits + frac_digits > 0 {
            i += 1 + frac_digits;
        }
    }
    if int_digits + frac_digits == 0 {
        return (0.0, 0);
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(bytes.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp_digits = bytes[j..].iter().take_while(|b| b.is_ascii_digit()).count();
        if exp_digits > 0 {
            i = j + exp_digits;
        }
    }
    (s[start..i].parse().unwrap_or(f64::NAN), i)
}

/// Time units for millisecond parameters, largest first (PostgreSQL's table).
const TIME_UNITS: &[(&str, f64)] = &[
    ("d", 86_400_000.0),
    ("h", 3_600_000.0),
    ("min", 60_000.0),
    ("s", 1000.0),
    ("ms", 1.0),
    ("us", 0.001),
];

const TIME_UNITS_HINT: &str =
    "Valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\".";

/// PostgreSQL's `parse_int` for an integer parameter, in milliseconds when `ms`: the value, or
/// the hint of the error (`None` for a plain syntax error).
fn parse_int(text: &str, unit_kind: IntUnit) -> Result<i64, Option<&'static str>> {
    let (int, mut end) = strtol(text);
    let mut value = int.map_or(f64::INFINITY, |v| v as f64);
    let after = text.as_bytes().get(end).copied();
    if int.is_none() || matches!(after, Some(b'.' | b'e' | b'E')) {
        let (v, e) = strtod(text);
        value = v;
        end = e;
        if v.is_infinite() && !text[..e].to_ascii_lowercase().contains("inf") {
            return Err(None);
        }
    }
    if end == 0 || value.is_nan() {
        return Err(None);
    }
    let rest = text[end..].trim_start_matches(is_c_space);
    if !rest.is_empty() {
        let (units, hint) = match unit_kind {
            IntUnit::None => return Err(None),
            IntUnit::Ms => (TIME_UNITS, TIME_UNITS_HINT),
            IntUnit::Kb => (MEMORY_UNITS, MEMORY_UNITS_HINT),
        };
        let unit_len = rest
            .char_indices()
            .take_while(|(i, c)| !is_c_space(*c) && *i < 3)
            .map(|(i, c)| i + c.len_utf8())
            .last()
            .unwrap_or(0);
        let (unit, tail) = rest.split_at(unit_len);
        if !tail.trim_start_matches(is_c_space).is_empty() {
            return Err(Some(hint));
        }
        let Some(index) = units.iter().position(|(u, _)| *u == unit) else {
            return Err(Some(hint));
        };
        value *= units[index].1;
        // A fraction of a unit is rounded to the next smaller unit ("1.5s" is 1500 ms).
        if let Some((_, smaller)) = units.get(index + 1) {
            value = (value / smaller).round_ties_even() * smaller;
        }
    }
    let value = value.round_ties_even();
    if value > f64::from(i32::MAX) || value < f64::from(i32::MIN) {
        return Err(Some("Value exceeds integer range."));
    }
    Ok(value as i64)
}

/// Memory units in kilobytes, largest first (PostgreSQL's `memory_unit_conversion_table`
/// for a parameter kept in kB).
const MEMORY_UNITS: &[(&str, f64)] = &[
    ("TB", 1024.0 * 1024.0 * 1024.0),
    ("GB", 1024.0 * 1024.0),
    ("MB", 1024.0),
    ("kB", 1.0),
    ("B", 1.0 / 1024.0),
];

const MEMORY_UNITS_HINT: &str =
    "Valid units for this parameter are \"B\", \"kB\", \"MB\", \"GB\", and \"TB\".";

/// A kilobyte value as `SHOW` prints it: in the largest unit that divides it.
fn format_kb(kb: i64) -> String {
    if kb <= 0 {
        return format!("{kb}kB");
    }
    in_largest_unit(kb, MEMORY_UNITS, "kB")
}

/// A positive value of the base unit (multiplier 1) in the largest of `units` (whole ones
/// only) that divides it.
fn in_largest_unit(v: i64, units: &[(&str, f64)], base: &str) -> String {
    for (unit, mult) in units.iter().filter(|(_, m)| *m >= 1.0) {
        let mult = *mult as i64;
        if v % mult == 0 {
            return format!("{}{unit}", v / mult);
        }
    }
    format!("{v}{base}")
}

/// A millisecond value as `SHOW` prints it: in the largest unit that divides it.
fn format_ms(ms: i64) -> String {
    if ms <= 0 {
        return ms.to_string();
    }
    in_largest_unit(ms, TIME_UNITS, "ms")
}

/// PostgreSQL 15's `pg_clean_ascii`: bytes outside printable ASCII become `?`.
fn clean_ascii(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if (32..127).contains(&b) {
                b as char
            } else {
                '?'
            }
        })
        .collect()
}

/// PostgreSQL's `SplitIdentifierString` with `,`: the names (unquoted ones folded to lower
/// case), or `None` for invalid list syntax.
pub fn split_identifiers(text: &str) -> Option<Vec<String>> {
    let mut names = Vec::new();
    let mut rest = text.trim_start_matches(is_c_space);
    if rest.is_empty() {
        return Some(names);
    }
    loop {
        let name;
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                if c == '"' {
                    if quoted[i + 1..].starts_with('"') {
                        value.push('"');
                        chars.next();
                    } else {
                        end = Some(i + 1);
                        break;
                    }
                } else {
                    value.push(c);
                }
            }
            let end = end?;
            name = value;
            rest = &quoted[end..];
        } else {
            let len = rest
                .find(|c: char| c == ',' || is_c_space(c))
                .unwrap_or(rest.len());
            if len == 0 {
                return None;
            }
            name = rest[..len].to_ascii_lowercase();
            rest = &rest[len..];
        }
        names.push(truncate_identifier(name));
        rest = rest.trim_start_matches(is_c_space);
        if let Some(next) = rest.strip_prefix(',') {
            rest = next.trim_start_matches(is_c_space);
        } else if rest.is_empty() {
            return Some(names);
        } else {
            return None;
        }
    }
}

/// Identifiers are cut to 63 bytes (on a character boundary), as PostgreSQL does.
fn truncate_identifier(mut name: String) -> String {
    if name.len() > 63 {
        let mut cut = 63;
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        name.truncate(cut);
    }
    name
}

/// PostgreSQL's `check_datestyle`: the canonical `DateStyle` for `text`, starting from the
/// current value; on error, the detail line.
fn check_datestyle(text: &str, current: &str, reset: &str) -> Result<String, String> {
    let Some(words) = split_identifiers(text) else {
        return Err("List syntax is invalid.".into());
    };
    let (mut style, mut order) = split_datestyle(current);
    let (mut have_style, mut have_order, mut ok) = (false, false, true);
    for word in &words {
        let w = word.to_ascii_uppercase();
        let mut set_style = |s: &'static str, style: &mut &'static str| {
            if have_style && *style != s {
                ok = false;
            }
            *style = s;
            have_style = true;
        };
        if w == "ISO" {
            set_style("ISO", &mut style);
        } else if w == "SQL" {
            set_style("SQL", &mut style);
        } else if w.starts_with("POSTGRES") {
            set_style("Postgres", &mut style);
        } else if w == "GERMAN" {
            set_style("German", &mut style);
            if !have_order {
                order = "DMY";
            }
        } else if w == "YMD"
            || w == "DMY"
            || w.starts_with("EURO")
            || w == "MDY"
            || w == "US"
            || w.starts_with("NONEURO")
        {
            let o = if w == "YMD" {
                "YMD"
            } else if w == "DMY" || w.starts_with("EURO") {
                "DMY"
            } else {
                "MDY"
            };
            if have_order && order != o {
                ok = false;
            }
            order = o;
            have_order = true;
        } else if w == "DEFAULT" {
            let (s, o) = split_datestyle(reset);
            if !have_style {
                style = s;
            }
            if !have_order {
                order = o;
            }
        } else {
            return Err(format!("Unrecognized key word: \"{word}\"."));
        }
    }
    if !ok {
        return Err("Conflicting \"datestyle\" specifications.".into());
    }
    Ok(format!("{style}, {order}"))
}

fn split_datestyle(value: &str) -> (&'static str, &'static str) {
    let mut parts = value.split(", ");
    let style = match parts.next() {
        Some("SQL") => "SQL",
        Some("Postgres") => "Postgres",
        Some("German") => "German",
        _ => "ISO",
    };
    let order = match parts.next() {
        Some("YMD") => "YMD",
        Some("DMY") => "DMY",
        _ => "MDY",
    };
    (style, order)
}

/// PostgreSQL's encoding names (as its name lookup cleans them: lower case, letters and digits
/// only) with their canonical spelling.
const ENCODINGS: &[(&str, &str)] = &[
    ("utf8", "UTF8"),
    ("unicode", "UTF8"),
    ("sqlascii", "SQL_ASCII"),
    ("latin1", "LATIN1"),
    ("iso88591", "LATIN1"),
    ("latin2", "LATIN2"),
    ("iso88592", "LATIN2"),
    ("latin3", "LATIN3"),
    ("latin4", "LATIN4"),
    ("latin5", "LATIN5"),
    ("iso88599", "LATIN5"),
    ("latin6", "LATIN6"),
    ("latin7", "LATIN7"),
    ("latin8", "LATIN8"),
    ("latin9", "LATIN9"),
    ("iso885915", "LATIN9"),
    ("latin10", "LATIN10"),
    ("win1250", "WIN1250"),
    ("win1251", "WIN1251"),
    ("win1252", "WIN1252"),
    ("windows1252", "WIN1252"),
    ("win1253", "WIN1253"),
    ("win1254", "WIN1254"),
    ("win1255", "WIN1255"),
    ("win1256", "WIN1256"),
    ("win1257", "WIN1257"),
    ("win1258", "WIN1258"),
    ("win866", "WIN866"),
    ("win874", "WIN874"),
    ("koi8r", "KOI8R"),
    ("koi8", "KOI8R"),
    ("koi8u", "KOI8U"),
    ("eucjp", "EUC_JP"),
    ("euccn", "EUC_CN"),
    ("euckr", "EUC_KR"),
    ("euctw", "EUC_TW"),
    ("eucjis2004", "EUC_JIS_2004"),
    ("sjis", "SJIS"),
    ("shiftjis", "SJIS"),
    ("mskanji", "SJIS"),
    ("shiftjis2004", "SHIFT_JIS_2004"),
    ("big5", "BIG5"),
    ("gbk", "GBK"),
    ("uhc", "UHC"),
    ("gb18030", "GB18030"),
    ("johab", "JOHAB"),
    ("muleinternal", "MULE_INTERNAL"),
    ("iso88595", "ISO_8859_5"),
    ("iso88596", "ISO_8859_6"),
    ("iso88597", "ISO_8859_7"),
    ("iso88598", "ISO_8859_8"),
];

/// `client_encoding`: UTF-8 under any of its names; other encodings exist but Basalt does not
/// convert to them (PostgreSQL's error for a missing conversion, 0A000).
fn check_client_encoding(text: &str, name: &str) -> Result<Value, SqlError> {
    let clean: String = text
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match ENCODINGS.iter().find(|(alias, _)| *alias == clean) {
        Some((_, "UTF8")) => Ok(Value::Const("UTF8")),
        Some((_, canonical)) => Err(SqlError::InvalidValue {
            code: SqlCode::FEATURE_NOT_SUPPORTED,
            message: format!("invalid value for parameter \"{name}\": \"{text}\""),
            detail: Some(format!(
                "Conversion between {canonical} and UTF8 is not supported."
            )),
            hint: None,
        }),
        None => Err(SqlError::invalid_value(format!(
            "invalid value for parameter \"{name}\": \"{text}\""
        ))),
    }
}

/// PostgreSQL's `valid_custom_variable_name`: two or more identifiers joined by dots.
fn valid_custom_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            let mut chars = p.chars();
            chars
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_' || !c.is_ascii())
                && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$' || !c.is_ascii())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(s: &mut Settings, name: &str, value: &str) -> Result<(), SqlError> {
        s.set_str(name, Some(value), Scope::Session)
    }

    fn show(s: &Settings, name: &str) -> String {
        s.show(name)
            .map(|(_, v)| v)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn param_table_matches_definitions() {
        for (param, name) in PARAM_NAMES {
            assert_eq!(param.name(), *name);
        }
        assert_eq!(PARAM_NAMES.len(), DEFS.len());
        let mut sorted: Vec<String> = DEFS.iter().map(|d| d.name.to_ascii_lowercase()).collect();
        sorted.sort();
        let names: Vec<String> = DEFS.iter().map(|d| d.name.to_ascii_lowercase()).collect();
        assert_eq!(names, sorted);
    }

    /// Outputs checked against PostgreSQL 15.
    #[test]
    fn time_values_are_normalised_like_postgres() {
        let mut s = Settings::new();
        for (input, shown) in [
            ("1000", "1s"),
            ("1s", "1s"),
            ("90s", "90s"),
            ("1.5s", "1500ms"),
            ("100 min", "100min"),
            ("1.5", "2ms"),
            ("500us", "0"),
            ("0.4ms", "0"),
            ("86400000", "1d"),
            ("3600000", "1h"),
            ("60000", "1min"),
            ("0", "0"),
        ] {
            set(&mut s, "statement_timeout", input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(show(&s, "statement_timeout"), shown, "{input}");
        }
        let e = set(&mut s, "statement_timeout", "abc").err();
        assert_eq!(
            e.map(|e| e.to_string()),
            Some("invalid value for parameter \"statement_timeout\": \"abc\"".into())
        );
        let e = set(&mut s, "statement_timeout", "-1").err();
        assert_eq!(
            e.map(|e| e.to_string()),
            Some(
                "-1 ms is outside the valid range for parameter \"statement_timeout\" (0 .. 2147483647)"
                    .into()
            )
        );
        let e = set(&mut s, "statement_timeout", "1 week").err();
        assert_eq!(e.as_ref().and_then(|e| e.hint()), Some(TIME_UNITS_HINT));
        let e = set(&mut s, "statement_timeout", "3000000000").err();
        assert_eq!(
            e.as_ref().and_then(|e| e.hint()),
            Some("Value exceeds integer range.")
        );
        assert_eq!(e.map(|e| e.code()), Some(SqlCode::INVALID_PARAMETER_VALUE));
    }

    #[test]
    fn booleans_and_enums() {
        let mut s = Settings::new();
        for (input, value) in [
            ("tr", true),
            ("OFF", false),
            ("1", true),
            ("no", false),
            ("on", true),
        ] {
            assert_eq!(parse_bool(input), Some(value), "{input}");
        }
        for input in ["o", "truex", "", "2", " on"] {
            assert_eq!(parse_bool(input), None, "{input}");
        }
        set(&mut s, "synchronous_commit", "TRUE").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(show(&s, "synchronous_commit"), "on");
        assert_eq!(s.synchronous_commit(), Some(true));
        set(&mut s, "synchronous_commit", "0").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.synchronous_commit(), Some(false));
        let e = set(&mut s, "synchronous_commit", "x").err();
        assert_eq!(
            e.as_ref().and_then(|e| e.hint()),
            Some("Available values: local, remote_write, remote_apply, on, off.")
        );
        set(&mut s, "default_transaction_isolation", "REPEATABLE READ")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.default_isolation(), Isolation::RepeatableRead);
        assert_eq!(show(&s, "default_transaction_isolation"), "repeatable read");
    }

    #[test]
    fn datestyle() {
        let mut s = Settings::new();
        for (input, shown) in [
            ("German", "German, DMY"),
            ("ISO", "ISO, DMY"),
            ("Postgresql, us", "Postgres, MDY"),
            ("", "Postgres, MDY"),
            ("DEFAULT", "ISO, MDY"),
            ("sql, euro", "SQL, DMY"),
        ] {
            set(&mut s, "DateStyle", input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(show(&s, "datestyle"), shown, "{input}");
        }
        let e = set(&mut s, "DateStyle", "foo").err();
        assert_eq!(
            e.as_ref().and_then(|e| e.detail()),
            Some("Unrecognized key word: \"foo\".")
        );
        let e = set(&mut s, "DateStyle", "ISO, SQL").err();
        assert_eq!(
            e.as_ref().and_then(|e| e.detail()),
            Some("Conflicting \"datestyle\" specifications.")
        );
    }

    #[test]
    fn search_path_quoting_and_lists() {
        let mut s = Settings::new();
        let args = [
            SetArg::Str("foo".into()),
            SetArg::Str("Bar".into()),
            SetArg::Str("$user".into()),
            SetArg::Str("abort".into()),
        ];
        s.set("search_path", Some(&args), Scope::Session)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(show(&s, "search_path"), "foo, \"Bar\", \"$user\", abort");
        assert_eq!(s.search_path(), ["foo", "Bar", "$user", "abort"]);
        assert_eq!(
            split_identifiers("a, \"b\"\"c\" ,D"),
            Some(vec!["a".into(), "b\"c".into(), "d".into()])
        );
        assert_eq!(split_identifiers("a,,b"), None);
        assert_eq!(split_identifiers("\"a"), None);
        let e = s
            .set(
                "statement_timeout",
                Some(&[SetArg::Int(1), SetArg::Int(2)]),
                Scope::Session,
            )
            .err();
        assert_eq!(
            e.map(|e| e.to_string()),
            Some("SET statement_timeout takes only one argument".into())
        );
    }

    #[test]
    fn application_name_and_encoding() {
        let mut s = Settings::new();
        set(&mut s, "application_name", "héllo").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(show(&s, "application_name"), "h??llo");
        set(&mut s, "client_encoding", "utf-8").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(show(&s, "client_encoding"), "UTF8");
        let e = set(&mut s, "client_encoding", "latin1").err();
        assert_eq!(e.map(|e| e.code()), Some(SqlCode::FEATURE_NOT_SUPPORTED));
        let e = set(&mut s, "client_encoding", "foo").err();
        assert_eq!(e.map(|e| e.code()), Some(SqlCode::INVALID_PARAMETER_VALUE));
    }

    #[test]
    fn read_only_unknown_and_custom_parameters() {
        let mut s = Settings::new();
        let e = set(&mut s, "server_version", "1").err();
        assert_eq!(
            e.map(|e| e.code()),
            Some(SqlCode::CANT_CHANGE_RUNTIME_PARAM)
        );
        let e = set(&mut s, "foo", "1").err();
        assert_eq!(e.map(|e| e.code()), Some(SqlCode::UNDEFINED_OBJECT));
        assert!(s.show("app.user").is_err());
        set(&mut s, "App.User", "42").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(show(&s, "app.user"), "42");
        let e = set(&mut s, "app..x", "1").err();
        assert_eq!(e.map(|e| e.code()), Some(SqlCode::INVALID_NAME));
    }

    #[test]
    fn layers_local_reset_and_defaults() {
        let mut s = Settings::new();
        let before = s.snapshot();
        set(&mut s, "lock_timeout", "1s").unwrap_or_else(|e| panic!("{e}"));
        s.set_str("lock_timeout", Some("2s"), Scope::Local)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.lock_timeout(), Some(Duration::from_secs(2)));
        s.end_transaction();
        assert_eq!(s.lock_timeout(), Some(Duration::from_secs(1)));
        s.restore(before);
        assert_eq!(s.lock_timeout(), None);
        s.set_default("application_name", "psql")
            .unwrap_or_else(|e| panic!("{e}"));
        set(&mut s, "application_name", "other").unwrap_or_else(|e| panic!("{e}"));
        s.reset_all();
        assert_eq!(s.application_name(), "psql");
        assert_eq!(s.synchronous_commit(), None);
    }
}
