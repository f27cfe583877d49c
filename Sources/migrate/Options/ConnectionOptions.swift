import ArgumentParser
import Runway

/// Where the database is. Flags override the `DB_*` variables, which override libpq's `PG*` variables.
struct ConnectionOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "A jdbc:postgresql:// URL, postgresql:// URI or libpq conninfo string (the password in it is never "
                + "printed)."))
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

    @Option(help: "CA certificate file (PEM) that must have signed the server's certificate (env: DB_SSLROOTCERT).")
    var sslrootcert: String?

    @Option(help: "Client certificate file (PEM) for certificate authentication (env: DB_SSLCERT).")
    var sslcert: String?

    @Option(
        help: "Private key file of --sslcert, readable by its owner only (env: DB_SSLKEY; passphrase: DB_SSLPASSWORD).")
    var sslkey: String?

    @Option(
        help: ArgumentHelp(
            "application_name shown in pg_stat_activity and in lock diagnostics (default runway; env: "
                + "DB_APPLICATION_NAME)."))
    var applicationName: String?

    @Option(
        help: ArgumentHelp(
            "Longest wait for the migration lock in seconds, in addition to --lock-retry-count (default: no limit).",
            valueName: "seconds"))
    var lockWaitTimeout: Double?

    @Option(help: "Connection attempts after the first while the database is not reachable yet.")
    var connectRetries: Int?

    @Option(help: "Longest wait between connection attempts, in seconds (default 120).")
    var connectRetriesInterval: Int?

    /// Applies the flags on top of the environment-derived settings.
    func apply(to configuration: inout Configuration) throws(RunwayError) {
        var settings = configuration.connection
        if let url { try settings.apply(url: url, setting: "url (--url)") }
        if let host { settings.host = host }
        if let port {
            guard let ports = ConnectionSettings.ports(parsing: port) else {
                throw RunwayError(.configuration, "--port '\(port)' is not a valid port: expected 1 to 65535")
            }
            settings.ports = ports
        }
        if let database {
            guard !database.isEmpty else { throw RunwayError(.configuration, "--database is empty") }
            settings.database = database
        }
        if let user {
            // libpq would log in as the operating-system user.
            guard !user.trimmingSpaces().isEmpty else {
                throw RunwayError(.configuration, "--user is empty")
            }
            settings.user = user
        }
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
        for (flag, value, field) in [
            ("--sslrootcert", sslrootcert, \ConnectionSettings.sslRootCert), ("--sslcert", sslcert, \.sslCert),
            ("--sslkey", sslkey, \.sslKey),
        ] as [(String, String?, WritableKeyPath<ConnectionSettings, String?>)] {
            guard let value else { continue }
            guard !value.isEmpty else { throw RunwayError(.configuration, "\(flag) is empty: give a file") }
            settings[keyPath: field] = value
        }
        if let applicationName {
            guard !applicationName.trimmingSpaces().isEmpty else {
                throw RunwayError(.configuration, "--application-name is empty")
            }
            settings.applicationName = applicationName
        }
        configuration.connection = settings
        if let lockWaitTimeout {
            guard lockWaitTimeout >= 0, lockWaitTimeout.isFinite else {
                throw RunwayError(.configuration, "--lock-wait-timeout must be 0 or more seconds")
            }
            configuration.lockWaitTimeout = lockWaitTimeout
        }
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
