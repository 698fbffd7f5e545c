// node-postgres (`pg`) against `basalt serve` (port in argv[2]): simple and extended queries,
// typed parameters and results, errors, transactions, a pool. Any failed assert fails it.
'use strict';
const assert = require('assert');
const { Client, Pool } = require('pg');

async function main() {
  const port = Number(process.argv[2]);
  const cfg = { host: '127.0.0.1', port, user: 'basalt', database: 'basalt' };
  const c = new Client(cfg);
  await c.connect();
  await c.query('CREATE TABLE np (id int PRIMARY KEY, name text, amount numeric(8,2), at timestamptz, ok boolean, tags text[], doc jsonb)');
  // Extended protocol with parameters.
  for (let i = 1; i <= 5; i++) {
    const r = await c.query('INSERT INTO np VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [i, `n${i}`, (i * 1.25).toFixed(2), new Date(Date.UTC(2024, 0, i)), i % 2 === 0, ['a', `b${i}`], { k: i }]);
    assert.strictEqual(r.rowCount, 1);
  }
  const r = await c.query({ name: 'by-id', text: 'SELECT id, name, amount, at, ok, tags, doc FROM np WHERE id = $1', values: [2] });
  assert.deepStrictEqual(r.rows[0], {
    id: 2, name: 'n2', amount: '2.50', at: new Date(Date.UTC(2024, 0, 2)), ok: true, tags: ['a', 'b2'], doc: { k: 2 },
  });
  assert.deepStrictEqual(r.fields.map((f) => f.dataTypeID), [23, 25, 1700, 1184, 16, 1009, 3802]);
  // The named statement again (Bind/Execute only).
  const again = await c.query({ name: 'by-id', text: 'SELECT id, name, amount, at, ok, tags, doc FROM np WHERE id = $1', values: [5] });
  assert.strictEqual(again.rows[0].name, 'n5');
  // Simple protocol, several statements.
  const multi = await c.query('SELECT count(*)::int AS n FROM np; SELECT max(id) AS m FROM np');
  assert.strictEqual(multi[0].rows[0].n, 5);
  assert.strictEqual(multi[1].rows[0].m, 5);
  // Errors carry code, detail and position.
  await assert.rejects(c.query('INSERT INTO np (id) VALUES (1)'), (e) => e.code === '23505' && e.detail === 'Key (id)=(1) already exists.');
  await assert.rejects(c.query('SELECT nope FROM np'), (e) => e.code === '42703' && e.position === '8');
  // Transactions.
  await c.query('BEGIN');
  await c.query('DELETE FROM np');
  await c.query('ROLLBACK');
  assert.strictEqual((await c.query('SELECT count(*)::int AS n FROM np')).rows[0].n, 5);
  await c.end();
  // A pool of connections working at once.
  const pool = new Pool({ ...cfg, max: 8 });
  const sums = await Promise.all(Array.from({ length: 32 }, (_, i) =>
    pool.query('SELECT sum(id)::int + $1::int AS s FROM np', [i])));
  sums.forEach((res, i) => assert.strictEqual(res.rows[0].s, 15 + i));
  await pool.end();
  console.log('node-postgres: ok');
}

main().catch((e) => { console.error(e); process.exit(1); });
