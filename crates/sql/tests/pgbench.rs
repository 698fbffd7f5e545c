//! What `pgbench -i -s 1` and `pgbench [-S]` send (captured from PostgreSQL 15's statement log),
//! run on an embedded session: the tables, the COPY with FREEZE after TRUNCATE in one
//! transaction, VACUUM ANALYZE, the primary keys, the catalog query pgbench checks the
//! accounts table with, and the TPC-B and select-only transactions. VACUUM must remove the
//! versions the transactions left behind, and ANALYZE must record the row counts.
#![allow(clippy::unwrap_used)]

use basalt_sql::Session;
use basalt_txn::LocalKv;

fn one(s: &mut Session<LocalKv>, sql: &str) -> String {
    match s.execute(sql) {
        Ok(mut r) => r
            .pop()
            .and_then(|r| r.rows.into_iter().next())
            .map(|row| {
                row.into_iter()
                    .map(|v| v.unwrap_or_else(|| "NULL".into()))
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .unwrap_or_default(),
        Err(e) => panic!("{sql}: {e}"),
    }
}

/// Scale 1 has 100000 accounts; a test does not need them all.
const ACCOUNTS: i64 = 10_000;

fn init(s: &mut Session<LocalKv>) {
    for sql in [
        "drop table if exists pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers",
        "create table pgbench_history(tid int,bid int,aid    int,delta int,mtime timestamp,filler char(22))",
        "create table pgbench_tellers(tid int not null,bid int,tbalance int,filler char(84)) with (fillfactor=100)",
        "create table pgbench_accounts(aid    int not null,bid int,abalance int,filler char(84)) with (fillfactor=100)",
        "create table pgbench_branches(bid int not null,bbalance int,filler char(88)) with (fillfactor=100)",
        "begin",
        "truncate table pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers",
        "insert into pgbench_branches(bid,bbalance) values(1,0)",
    ] {
        one(s, sql);
    }
    for tid in 1..=10 {
        one(
            s,
            &format!("insert into pgbench_tellers(tid,bid,tbalance) values ({tid},1,0)"),
        );
    }
    // pgbench's client-side generation: aid, bid, abalance 0 and an empty filler.
    let mut data = String::new();
    for aid in 1..=ACCOUNTS {
        data.push_str(&format!("{aid}\t1\t0\t\n"));
    }
    let n = s
        .copy_in(
            "copy pgbench_accounts from stdin with (freeze on)",
            &mut data.as_bytes(),
        )
        .unwrap();
    assert_eq!(n, ACCOUNTS as u64);
    one(s, "commit");
    for t in ["branches", "tellers", "accounts", "history"] {
        one(s, &format!("vacuum analyze pgbench_{t}"));
    }
    one(s, "alter table pgbench_branches add primary key (bid)");
    one(s, "alter table pgbench_tellers add primary key (tid)");
    one(s, "alter table pgbench_accounts add primary key (aid)");
}

const CHECK: &str = "select o.n, p.partstrat, pg_catalog.count(i.inhparent) from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on (n.oid = c.relnamespace) cross join lateral (select pg_catalog.array_position(pg_catalog.current_schemas(true), n.nspname)) as o(n) left join pg_catalog.pg_partitioned_table as p on (p.partrelid = c.oid) left join pg_catalog.pg_inherits as i on (c.oid = i.inhparent) where c.relname = 'pgbench_accounts' and o.n is not null group by 1, 2 order by 1 asc limit 1";

/// One TPC-B transaction as pgbench sends it (its variables already substituted).
fn tpcb(s: &mut Session<LocalKv>, aid: i64, tid: i64, delta: i64) -> i64 {
    one(s, "BEGIN;");
    one(
        s,
        &format!("UPDATE pgbench_accounts SET abalance = abalance + {delta} WHERE aid = {aid};"),
    );
    let balance = one(
        s,
        &format!("SELECT abalance FROM pgbench_accounts WHERE aid = {aid};"),
    );
    one(
        s,
        &format!("UPDATE pgbench_tellers SET tbalance = tbalance + {delta} WHERE tid = {tid};"),
    );
    one(
        s,
        &format!("UPDATE pgbench_branches SET bbalance = bbalance + {delta} WHERE bid = 1;"),
    );
    one(
        s,
        &format!(
            "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ({tid}, 1, {aid}, {delta}, CURRENT_TIMESTAMP);"
        ),
    );
    one(s, "END;");
    balance.parse().unwrap()
}

#[test]
fn pgbench_init_and_transactions() {
    // No background garbage collector: only VACUUM removes old versions here.
    let options = basalt_txn::Options {
        background: false,
        synchronous_commit: false,
        ..basalt_txn::Options::default()
    };
    let kv = LocalKv::open_parts(
        std::sync::Arc::new(basalt_storage::MemoryEngine::new()),
        None,
        options,
        None,
    )
    .unwrap();
    let mut s = Session::new(kv.clone());
    init(&mut s);
    assert_eq!(one(&mut s, CHECK), "2|NULL|0");
    assert_eq!(
        one(&mut s, "select count(*) from pgbench_branches"),
        "1",
        "pgbench reads the scale from the branches"
    );
    assert_eq!(
        one(
            &mut s,
            "select count(*), sum(abalance), octet_length(min(filler)), max(aid) from pgbench_accounts"
        ),
        format!("{ACCOUNTS}|0|84|{ACCOUNTS}")
    );
    // What `pgbench` does before a run.
    one(&mut s, "vacuum pgbench_branches");
    one(&mut s, "vacuum pgbench_tellers");
    one(&mut s, "truncate pgbench_history");

    let mut total = 0;
    for i in 0..50 {
        let aid = (i * 7919) % ACCOUNTS + 1;
        let delta = i * 37 - 900;
        let before = one(
            &mut s,
            &format!("SELECT abalance FROM pgbench_accounts WHERE aid = {aid}"),
        );
        let after = tpcb(&mut s, aid, i % 10 + 1, delta);
        assert_eq!(after, before.parse::<i64>().unwrap() + delta);
        total += delta;
    }
    assert_eq!(
        one(&mut s, "select sum(abalance) from pgbench_accounts"),
        total.to_string()
    );
    assert_eq!(
        one(&mut s, "select sum(tbalance) from pgbench_tellers"),
        total.to_string()
    );
    assert_eq!(
        one(&mut s, "select bbalance from pgbench_branches"),
        total.to_string()
    );
    assert_eq!(
        one(&mut s, "select count(*), sum(delta) from pgbench_history"),
        format!("50|{total}")
    );
    // The select-only transaction (-S).
    assert_eq!(
        one(
            &mut s,
            "SELECT abalance FROM pgbench_accounts WHERE aid = 1;"
        ),
        "-900"
    );

    // The 50 transactions left old versions of one branch, ten tellers and 50 accounts;
    // VACUUM removes them, so a collection right after finds nothing left to remove.
    one(&mut s, "vacuum pgbench_accounts");
    assert_eq!(kv.vacuum().unwrap().versions_removed, 0);
    for _ in 0..3 {
        tpcb(&mut s, 5, 5, 1);
    }
    assert!(kv.vacuum().unwrap().versions_removed > 0);

    // ANALYZE recorded the row counts: the planner's estimates and pg_class.reltuples.
    one(&mut s, "analyze pgbench_history");
    assert_eq!(
        one(
            &mut s,
            "select relname, reltuples from pg_class where relname in ('pgbench_accounts', 'pgbench_history') order by 1"
        ),
        format!("pgbench_accounts|{ACCOUNTS}")
    );
    assert_eq!(
        one(
            &mut s,
            "select reltuples from pg_class where relname = 'pgbench_history'"
        ),
        "53"
    );
}
