import ArgumentParser
import Runway

/// Where the database is. Flags override the `DB_*` variables, which override libpq's `PG*` variables.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "A postgresql:// URI or libpq conninfo string (the password in it is never printed).")
    var url: String?

    @Option(help: "Database host, or a comma-separated list for HA (env: DB_HOST).")
    var host: String?

    @Option(help: "Database port (env: DB_PORT).")
    var port: String?

    @Option(help: "Database name (env: DB_NAME).")
    var database: String?

    @Option(help: "Login role (env: DB_USERNAME).")
    var user: String?

    @Option(help: "File holding the password, e.g. a mounted Secret (env: DB_PASSWORD_FILE). Prefer it to DB_PASSWORD.")
    var passwordFile: String?

    @Option(help: "libpq sslmode: disable, allow, prefer, require, verify-ca, verify-full (env: DB_SSLMODE).")
    var sslmode: String?

    @Option(help: "Connection attempts after the first while the database is not reachable yet.")
    var connectRetries: Int?

    @Option(help: "Longest wait between connection attempts, in seconds (default 120).")
    var connectRetriesInterval: Int?

    /// Applies the flags on top of the environment-derived settings.
    func apply(to configuration: inout Configuration) throws(RunwayError) {
        var settings = configuration.connection
        if let url { settings.url = url }
        if let host { settings.host = host }
        if let port {
            var probe = ConnectionSettings()
            probe.port = port
            do { try probe.validate() } catch {
                throw RunwayError(.configuration, "--port '\(port)' is not a valid port: expected 1 to 65535")
            }
            settings.port = port
        }
        if let database {
            guard !database.isEmpty else { throw RunwayError(.configuration, "--database is empty") }
            settings.database = database
        }
        if let user { settings.user = user }
        if let passwordFile {
            settings.password = try ConnectionSettings.readPasswordFile(passwordFile, setting: "--password-file")
        }
        if let sslmode {
            guard ConnectionSettings.sslModes.contains(sslmode) else {
                throw RunwayError(
                    .configuration,
                    "--sslmode '\(sslmode)' is not valid: expected one of "
                        + ConnectionSettings.sslModes.joined(separator: ", "))
            }
            settings.sslMode = sslmode
        }
        configuration.connection = settings
        if let connectRetries {
            guard connectRetries >= 0 else { throw RunwayError(.configuration, "--connect-retries must be 0 or more") }
            configuration.connectRetries = connectRetries
        }
        if let connectRetriesInterval {
            guard connectRetriesInterval >= 1 else {
                throw RunwayError(.configuration, "--connect-retries-interval must be 1 or more seconds")
            }
            configuration.connectRetriesInterval = connectRetriesInterval
        }
    }
}
