select 1 as a, 'hello' as b, null::text as c, 2.5::numeric as "num col", true as flag;
select * from (values (1,'a'),(22,'bbbb'),(333,null)) v(id, name);
select 'line1
line2' as ml, 42 as n, 'x' as last;
select '日本語' as wide, 'ab' as ascii, 'é' as acc;
select 1 as a where false;
select;
select from generate_series(1,3);
select 'a|b' as "p|q", 'x,y' as c, 'say "hi"' as d, E'tab\there' as e;
select 1.5::float8 as f, 100::bigint as big, 12::oid as o, '{"a":1}'::json as j, '$1.00'::money as m;
select 'a
bb
ccc' as x, 'p
q' as y;
