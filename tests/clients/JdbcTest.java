// The PostgreSQL JDBC driver (Debian's libpostgresql-jdbc-java) against `basalt serve`:
// queries with prepared statements (server-side after five runs), batches, transactions,
// errors, and DatabaseMetaData.getTables / getColumns / getPrimaryKeys.
// Run: java -cp /usr/share/java/postgresql.jar JdbcTest.java PORT

import java.math.BigDecimal;
import java.sql.*;
import java.util.*;

public class JdbcTest {
    static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }

    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:" + args[0] + "/basalt?user=basalt&prepareThreshold=2";
        try (Connection c = DriverManager.getConnection(url)) {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE jt (id int PRIMARY KEY, name varchar(20) NOT NULL, amount numeric(8,2), at timestamp, ok boolean)");
            }
            try (PreparedStatement p = c.prepareStatement("INSERT INTO jt VALUES (?, ?, ?, ?, ?)")) {
                for (int i = 1; i <= 10; i++) {
                    p.setInt(1, i);
                    p.setString(2, "n" + i);
                    p.setBigDecimal(3, new BigDecimal(i).divide(new BigDecimal(4)));
                    p.setTimestamp(4, Timestamp.valueOf("2024-01-0" + (i % 9 + 1) + " 10:00:00"));
                    p.setBoolean(5, i % 2 == 0);
                    p.addBatch();
                }
                int[] counts = p.executeBatch();
                check(counts.length == 10 && Arrays.stream(counts).allMatch(n -> n == 1), "batch counts");
            }
            // Prepared query run often enough to become a server-side statement.
            try (PreparedStatement p = c.prepareStatement("SELECT name, amount, ok FROM jt WHERE id = ?")) {
                for (int i = 1; i <= 6; i++) {
                    p.setInt(1, i);
                    try (ResultSet r = p.executeQuery()) {
                        check(r.next(), "row " + i);
                        check(r.getString(1).equals("n" + i), "name " + i);
                        check(r.getBigDecimal(2).compareTo(new BigDecimal(i).divide(new BigDecimal(4))) == 0, "amount " + i);
                        check(r.getBoolean(3) == (i % 2 == 0), "ok " + i);
                        check(!r.next(), "one row");
                    }
                }
            }
            // Transactions.
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.executeUpdate("DELETE FROM jt WHERE id > 5");
                c.rollback();
                try (ResultSet r = s.executeQuery("SELECT count(*) FROM jt")) {
                    r.next();
                    check(r.getLong(1) == 10, "rollback");
                }
            }
            c.setAutoCommit(true);
            // Errors carry SQLSTATE.
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO jt (id, name) VALUES (1, 'dup')");
                throw new AssertionError("duplicate accepted");
            } catch (SQLException e) {
                check("23505".equals(e.getSQLState()), "sqlstate " + e.getSQLState());
            }
            // Metadata.
            DatabaseMetaData md = c.getMetaData();
            check(md.getDatabaseProductName().equals("PostgreSQL"), "product");
            List<String> tables = new ArrayList<>();
            try (ResultSet r = md.getTables(null, "public", "%", new String[] {"TABLE"})) {
                while (r.next()) tables.add(r.getString("TABLE_NAME"));
            }
            check(tables.contains("jt"), "getTables " + tables);
            List<String> cols = new ArrayList<>();
            try (ResultSet r = md.getColumns(null, "public", "jt", "%")) {
                while (r.next()) cols.add(r.getString("COLUMN_NAME") + ":" + r.getString("TYPE_NAME") + ":" + r.getInt("NULLABLE"));
            }
            check(cols.equals(List.of("id:int4:0", "name:varchar:0", "amount:numeric:1", "at:timestamp:1", "ok:bool:1")), "getColumns " + cols);
            List<String> pk = new ArrayList<>();
            try (ResultSet r = md.getPrimaryKeys(null, "public", "jt")) {
                while (r.next()) pk.add(r.getString("COLUMN_NAME") + ":" + r.getString("PK_NAME"));
            }
            check(pk.equals(List.of("id:jt_pkey")), "getPrimaryKeys " + pk);
        }
        System.out.println("jdbc: ok");
    }
}
