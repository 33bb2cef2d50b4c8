import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * Opens one JDBC connection to the URL in argument 1 as JDBC_USER / JDBC_PASSWORD (environment, so
 * the password stays out of the process list) and prints "connected", or every exception of the
 * failure's cause chain, one per line, and exits 1. The tests run it with MySQL Connector/J, the
 * driver Keycloak uses on RDS, and the JVM truststore Keycloak would install (javax.net.ssl).
 */
public class JdbcProbe {
    public static void main(String[] args) {
        try (Connection connection = DriverManager.getConnection(args[0], System.getenv("JDBC_USER"), System.getenv("JDBC_PASSWORD"))) {
            System.out.println("connected");
        } catch (SQLException error) {
            for (Throwable cause = error; cause != null; cause = cause.getCause()) {
                System.out.println(cause.getClass().getName() + ": " + cause.getMessage());
            }
            System.exit(1);
        }
    }
}
