import Foundation
import Testing

@testable import Runway

@Suite("Configuration.load (Flyway configuration, §12)")
struct FlywayConfigurationTests {
    // MARK: Precedence

    /// Which layers set `connectRetries` (1 in the file, 2 in the environment, 3 as an argument).
    @Test(
        "command line > environment > config file > default, for the same key, in both file formats",
        arguments: [
            (false, false, false, 0), (true, false, false, 1), (true, true, false, 2), (true, true, true, 3),
            (false, true, false, 2), (false, false, true, 3), (true, false, true, 3),
        ], [ConfigFileFormat.conf, .toml])
    func precedence(layers: (Bool, Bool, Bool, Int), format: ConfigFileFormat) throws {
        let (file, variable, argument, expected) = layers
        let sandbox = try ConfigSandbox()
        if file {
            if format == .conf {
                try sandbox.write("flyway.conf", "flyway.connectRetries=1\n")
            } else {
                try sandbox.write("flyway.toml", "[flyway]\nconnectRetries = 1\n")
            }
        }
        let environment = variable ? ["FLYWAY_CONNECT_RETRIES": "2"] : [:]
        let arguments = argument ? [("connectRetries", "3")] : []
        #expect(try sandbox.load(arguments, environment: environment).connectRetries == expected)
    }

    @Test("later files override earlier ones: ~ < . < -workingDirectory < configFiles")
    func fileOrder() throws {
        let sandbox = try ConfigSandbox()
        try sandbox.write(sandbox.home + "/flyway.conf", "flyway.table=home\nflyway.schemas=h\n")
        try sandbox.write("flyway.conf", "flyway.table=current\nflyway.defaultSchema=c\n")
        try sandbox.write("sub/flyway.conf", "flyway.table=sub\n")
        try sandbox.write("extra.conf", "flyway.installedBy=extra\n")
        let configuration = try sandbox.load([("workingDirectory", "sub")])
        #expect(configuration.table == "sub")
        #expect(configuration.schemas == ["h"])
        #expect(configuration.defaultSchema == "c")
        let withFiles = try sandbox.load(
            [("workingDirectory", "sub"), ("configFiles", "extra.conf")],
            environment: ["FLYWAY_CONFIG_FILES": "sub/flyway.conf"])
        #expect(withFiles.installedBy == "extra")
        #expect(withFiles.table == "sub")
    }

    @Test("a non-empty list replaces the lower one, items are trimmed; an empty locations/schemas is an error")
    func lists() throws {
        let sandbox = try ConfigSandbox()
        try sandbox.write("flyway.conf", "flyway.schemas=a,b\nflyway.locations=filesystem:one\n")
        #expect(try sandbox.load(environment: ["FLYWAY_SCHEMAS": " c , d ,"]).schemas == ["c", "d"])
        // An empty value (an unset shell variable) never silently means "the lower layer" or "the default".
        #expect(sandbox.loadError(environment: ["FLYWAY_SCHEMAS": ""])?.message.contains("FLYWAY_SCHEMAS") == true)
        #expect(sandbox.loadError([("schemas", " , ")])?.message.contains("-schemas") == true)
        #expect(sandbox.loadError([("locations", "")])?.message.contains("must not be empty") == true)
        #expect(try ConfigSandbox().loadError(environment: ["FLYWAY_SQL_MIGRATION_SUFFIXES": ""]) != nil)
        let configuration = try sandbox.load([("locations", "filesystem:two, filesystem:three")])
        #expect(configuration.locations == ["filesystem:two", "filesystem:three"])
        #expect(try ConfigSandbox().load().locations == ["migrations"])
        // Lists Runway reads loosely keep "empty = not set".
        let patterns = try sandbox.load(environment: ["FLYWAY_IGNORE_MIGRATION_PATTERNS": ""]).ignoreMigrationPatterns
        #expect(patterns == Configuration().ignoreMigrationPatterns)
    }

    @Test(
        "a NUL byte in a value is an error naming where it was set, whatever the source",
        arguments: [
            ([("table", "hi\0x")], [:], "command-line argument -table"),
            ([], ["FLYWAY_TABLE": "hi\0x"], "environment variable FLYWAY_TABLE"),
            ([], ["FLYWAY_PLACEHOLDERS_OWNER": "a\0"], "environment variable FLYWAY_PLACEHOLDERS_OWNER"),
            ([], ["DB_NAME": "app\0x"], "environment variable DB_NAME"),
            ([("url", "jdbc:postgresql://h/db\0")], [:], "command-line argument -url"),
        ] as [([(String, String)], [String: String], String)])
    func nulByte(arguments: [(String, String)], environment: [String: String], source: String) throws {
        let error = try ConfigSandbox().loadError(arguments, environment: environment)
        #expect(error?.code == .configuration)
        #expect(error?.message.contains("NUL") == true, "\(String(describing: error))")
        #expect(error?.message.contains(source) == true, "\(String(describing: error))")
    }

    @Test(
        "a NUL byte in a config file is an error naming the file and line (a TOML \\u0000 escape too)",
        arguments: [
            ("flyway.conf", "flyway.locations=filesystem:sql\nflyway.table=hi\0x\n", "flyway.conf line 2"),
            ("flyway.conf", "flyway.placeholders.x\0=1\n", "flyway.conf line 1"),
            ("flyway.toml", "[flyway]\ntable = \"hi\\u0000x\"\n", "line 2, column 12"),
            ("flyway.toml", "[flyway]\n\"a\\U00000000\" = 1\n", "line 2, column 3"),
        ])
    func nulByteInFiles(name: String, text: String, location: String) throws {
        let sandbox = try ConfigSandbox()
        try sandbox.write(name, text)
        let error = sandbox.loadError()
        #expect(error?.code == .configuration)
        #expect(error?.message.contains("NUL") == true, "\(String(describing: error))")
        #expect(error?.message.contains(location) == true, "\(String(describing: error))")
    }

    @Test("placeholders merge by name; FLYWAY_PLACEHOLDERS_<NAME> is lower-cased")
    func placeholders() throws {
        let sandbox = try ConfigSandbox()
        try sandbox.write("flyway.conf", "flyway.placeholders.Owner=file\nflyway.placeholders.region=eu\n")
        let configuration = try sandbox.load(
            [("placeholders.region", "us")],
            environment: ["FLYWAY_PLACEHOLDERS_APP_ROLE": "orders_app", "FLYWAY_PLACEHOLDERS_OWNER": "env"])
        #expect(
            configuration.placeholders == ["Owner": "file", "owner": "env", "region": "us", "app_role": "orders_app"])
    }

    // MARK: Values

    @Test("every mapped key reaches its Configuration field")
    func mapping() throws {
        let sandbox = try ConfigSandbox()
        try sandbox.write(
            "flyway.conf",
            """
            flyway.schemas=app,audit
            flyway.defaultSchema=app
            flyway.table=history
            flyway.tablespace=fast
            flyway.createSchemas=false
            flyway.encoding=ISO-8859-1
            flyway.failOnMissingLocations=TRUE
            flyway.sqlMigrationPrefix=M
            flyway.repeatableSqlMigrationPrefix=RR
            flyway.baselineMigrationPrefix=BB
            flyway.sqlMigrationSeparator=___
            flyway.sqlMigrationSuffixes=.sql,.pgsql
            flyway.validateMigrationNaming=true
            flyway.placeholderReplacement=false
            flyway.placeholderPrefix=#[
            flyway.placeholderSuffix=]
            flyway.placeholderSeparator=::
            flyway.validateOnMigrate=False
            flyway.ignoreMigrationPatterns=*:missing, versioned:ignored
            flyway.outOfOrder=true
            flyway.target=5.1?
            flyway.skipExecutingMigrations=true
            flyway.group=true
            flyway.mixed=true
            flyway.executeInTransaction=false
            flyway.postgresql.transactional.lock=false
            flyway.baselineOnMigrate=true
            flyway.baselineVersion=3
            flyway.baselineDescription=legacy
            flyway.cleanDisabled=false
            flyway.installedBy=ci
            flyway.initSql=SET lock_timeout = '5s'
            flyway.connectRetries=5
            flyway.connectRetriesInterval=30
            flyway.lockRetryCount=-1
            flyway.outputQueryResults=false
            """)
        let c = try sandbox.load()
        #expect(c.schemas == ["app", "audit"] && c.defaultSchema == "app" && c.table == "history")
        #expect(c.tablespace == "fast" && !c.createSchemas && c.encoding == "ISO-8859-1" && c.failOnMissingLocations)
        #expect(c.naming.versionedPrefix == "M" && c.naming.repeatablePrefix == "RR" && c.naming.baselinePrefix == "BB")
        #expect(c.naming.separator == "___" && c.naming.suffixes == [".sql", ".pgsql"] && c.validateMigrationNaming)
        #expect(!c.placeholderReplacement && c.placeholderPrefix == "#[" && c.placeholderSuffix == "]")
        #expect(c.placeholderSeparator == "::" && !c.validateOnMigrate)
        #expect(
            c.ignoreMigrationPatterns
                == [ValidatePattern(type: .any, state: .missing), ValidatePattern(type: .versioned, state: .ignored)])
        #expect(c.outOfOrder && c.target == .version(try MigrationVersion("5.1"), optional: true))
        #expect(c.skipExecutingMigrations && c.group && c.mixed && !c.executeInTransaction && !c.transactionalLock)
        #expect(
            c.baselineOnMigrate && c.baselineVersion == "3" && c.baselineDescription == "legacy" && !c.cleanDisabled)
        #expect(c.installedBy == "ci" && c.initSql == "SET lock_timeout = '5s'")
        #expect(c.connectRetries == 5 && c.connectRetriesInterval == 30 && c.lockRetryCount == -1)
    }

    @Test(
        "a bad boolean names the key, the value and the source",
        arguments: [
            ("validateOnMigrate", "yes", true, "command-line argument -validateOnMigrate"),
            ("outOfOrder", "1", false, "environment variable FLYWAY_OUT_OF_ORDER"),
            (
                "postgresql.transactional.lock", "off", false,
                "environment variable FLYWAY_POSTGRESQL_TRANSACTIONAL_LOCK"
            ),
        ])
    func badBoolean(key: String, value: String, asArgument: Bool, source: String) throws {
        let sandbox = try ConfigSandbox()
        let error = try #require(
            asArgument
                ? sandbox.loadError([(key, value)])
                : sandbox.loadError(environment: [FlywayKey.environmentName(for: key): value]))
        #expect(error.message.hasPrefix("Invalid value for \(key) (should be either true or false): \(value)"))
        #expect(error.message.contains(source))
    }

    @Test("true and false are accepted in any case", arguments: ["true", "TRUE", "True", "false", "FALSE", "fAlSe"])
    func booleanCase(value: String) throws {
        let configuration = try ConfigSandbox().load(environment: ["FLYWAY_OUT_OF_ORDER": value])
        #expect(configuration.outOfOrder == (value.lowercased() == "true"))
    }

    @Test(
        "a bad integer names the key",
        arguments: [
            ("connectRetries", "abc", "should be an integer"),
            ("connectRetriesInterval", "1.5", "should be an integer"),
            ("lockRetryCount", "-2", "must be -1 or greater"), ("connectRetries", "-1", "must be 0 or greater"),
        ])
    func badInteger(key: String, value: String, reason: String) throws {
        let sandbox = try ConfigSandbox()
        try sandbox.write("flyway.conf", "\n\nflyway.\(key)=\(value)\n")
        let error = try #require(sandbox.loadError())
        #expect(error.message.hasPrefix("Invalid value for \(key) (\(reason)): \(value)"))
        #expect(error.message.contains(sandbox.current + "/flyway.conf line 3"))
    }

    @Test("other parsers' errors name the source: target, ignoreMigrationPatterns, baselineVersion")
    func parserErrors() throws {
        let sandbox = try ConfigSandbox()
        for (key, value) in [
            ("target", "banana"), ("ignoreMigrationPatterns", "*:sometimes"), ("baselineVersion", "x"),
        ] {
            let error = try #require(sandbox.loadError([(key, value)]))
            #expect(error.message.contains(key))
            #expect(error.message.contains("command-line argument -\(key)"))
        }
    }

    // MARK: Unknown, ignored and unsupported keys

    @Test("an unknown flyway.* key is an error naming it and the source")
    func unknownKey() throws {
        let sandbox = try ConfigSandbox()
        try sandbox.write("flyway.conf", "flyway.locatoins=sql\n")
        let error = try #require(sandbox.loadError())
        let file = "config file \(sandbox.current)/flyway.conf line 1"
        #expect(error.message == "Unknown configuration property: flyway.locatoins (set by \(file))")
        let argument = try #require(try ConfigSandbox().loadError([("pasword", "TopSecret1")]))
        #expect(argument.message.contains("flyway.pasword") && argument.message.contains("-pasword"))
        #expect(!argument.description.contains("TopSecret1"))
        let toml = try ConfigSandbox()
        try toml.write("flyway.toml", "[flyway]\nlocatoins = [\"sql\"]\n")
        #expect(toml.loadError()?.message.contains("flyway.locatoins") == true)
    }

    @Test("unknown FLYWAY_* variables and other keys of flyway.conf are ignored, as Flyway ignores them")
    func unknownVariablesIgnored() throws {
        let sandbox = try ConfigSandbox()
        try sandbox.write("flyway.conf", "spring.flyway.enabled=true\nflyway.table=t\n")
        let configuration = try sandbox.load(environment: ["FLYWAY_ENABLED": "true", "FLYWAY_ENVIRONMENT": "prod"])
        #expect(configuration.table == "t")
    }

    @Test(
        "Flyway-only keys are accepted and ignored",
        arguments: [
            "driver=org.postgresql.Driver", "licenseKey=FL01ABC", "jarDirs=jars", "callbacks=com.example.Cb",
            "resolvers=com.example.R", "skipDefaultResolvers=true", "outputFile=out.txt", "outputLogsInJson=true",
            "color=always", "skipDefaultCallbacks=false", "oracle.sqlplus=true", "sqlserver.clean.mode=all",
            "outputType=json",
        ])
    func ignored(line: String) throws {
        let sandbox = try ConfigSandbox()
        try sandbox.write("flyway.conf", "flyway.\(line)\nflyway.table=kept\n")
        #expect(try sandbox.load().table == "kept")
    }

    @Test(
        "keys whose omission would change the outcome are errors",
        arguments: ["errorOverrides=S0001:0:I-", "skipDefaultCallbacks=true", "callbackLocations=db/callbacks"])
    func unsupported(line: String) throws {
        let sandbox = try ConfigSandbox()
        try sandbox.write("flyway.conf", "flyway.\(line)\n")
        let error = try #require(sandbox.loadError())
        #expect(error.message.contains(String(line.prefix { $0 != "=" })))
        #expect(error.message.contains("not supported"))
    }

    // MARK: TOML environments

    @Test("TOML: the selected environment's connection, its flyway overrides, and -environment/flyway_environment")
    func tomlEnvironments() throws {
        let sandbox = try ConfigSandbox()
        try sandbox.write(
            "flyway.toml",
            """
            [flyway]
            locations = ["filesystem:sql"]
            schemas = ["shared"]

            [flyway.placeholders]
            tier = "base"

            [environments.default]
            url = "jdbc:postgresql://dev-db:5432/orders"
            user = "dev"

            [environments.prod]
            url = "jdbc:postgresql://prod-db:6432/orders?currentSchema=app"
            user = "admin"
            password = "${env.PROD_PASSWORD}"
            schemas = ["app"]
            connectRetries = 7

            [environments.prod.flyway]
            locations = ["filesystem:sql", "filesystem:prod"]

            [environments.prod.flyway.placeholders]
            tier = "prod"
            """)
        let dev = try sandbox.load()
        #expect(dev.connection.host == "dev-db" && dev.connection.user == "dev")
        #expect(dev.schemas == ["shared"] && dev.locations == ["filesystem:sql"] && dev.placeholders["tier"] == "base")

        let environment = ["PROD_PASSWORD": "pw"]
        for prod in [
            try sandbox.load([("environment", "prod")], environment: environment),
            try sandbox.load(environment: environment.merging(["flyway_environment": "prod"]) { $1 }),
        ] {
            #expect(prod.connection.host == "prod-db" && prod.connection.port == 6432)
            #expect(prod.connection.user == "admin" && prod.connection.password == "pw")
            #expect(prod.connection.options == "-c search_path=app")
            #expect(prod.schemas == ["app"] && prod.connectRetries == 7)
            #expect(prod.locations == ["filesystem:sql", "filesystem:prod"] && prod.placeholders["tier"] == "prod")
        }
    }

    @Test("TOML: FLYWAY_URL and -url apply to the selected environment, -environments.<name>.<key> to a named one")
    func tomlOverrides() throws {
        let sandbox = try ConfigSandbox()
        try sandbox.write(
            "flyway.toml", "[environments.default]\nurl = \"jdbc:postgresql://file-db/x\"\nuser = \"file\"\n")
        let fromVariable = try sandbox.load(environment: ["FLYWAY_URL": "jdbc:postgresql://env-db/x"])
        #expect(fromVariable.connection.host == "env-db" && fromVariable.connection.user == "file")
        let fromArgument = try sandbox.load(
            [("url", "jdbc:postgresql://arg-db/x"), ("environments.default.user", "named")],
            environment: ["FLYWAY_URL": "jdbc:postgresql://env-db/x", "FLYWAY_USER": "env"])
        #expect(fromArgument.connection.host == "arg-db" && fromArgument.connection.user == "named")
    }

    @Test("TOML: selecting an environment no file defines is an error")
    func undefinedEnvironment() throws {
        let sandbox = try ConfigSandbox()
        try sandbox.write("flyway.toml", "[environments.default]\nurl = \"jdbc:postgresql://db/x\"\n")
        let error = try #require(sandbox.loadError([("environment", "staging")]))
        #expect(error.message.contains("Environment 'staging' is not defined"))
    }

    @Test("TOML: ${env.NAME} that is not set is an error naming it, not a value")
    func unsetResolverVariable() throws {
        let sandbox = try ConfigSandbox()
        try sandbox.write("flyway.toml", "[environments.default]\npassword = \"${env.NOT_SET_PW}\"\n")
        #expect(sandbox.loadError()?.message.contains("NOT_SET_PW") == true)
    }

    // MARK: Mode selection

    @Test("flyway.toml in a default location wins over flyway.conf")
    func tomlWinsOverConf() throws {
        let sandbox = try ConfigSandbox()
        try sandbox.write("flyway.conf", "flyway.table=from_conf\n")
        try sandbox.write(sandbox.home + "/flyway.toml", "[flyway]\ntable = \"from_toml\"\n")
        #expect(try sandbox.load().table == "from_toml")
        #expect(try sandbox.load([("configFiles", "flyway.conf")]).table == "from_conf")
    }

    @Test("configFiles errors: TOML with CONF, a missing file")
    func configFilesErrors() throws {
        let sandbox = try ConfigSandbox()
        try sandbox.write("a.toml", "[flyway]\n")
        try sandbox.write("b.conf", "\n")
        let mixed = try #require(sandbox.loadError([("configFiles", "a.toml,b.conf")]))
        #expect(mixed.message.contains("Using both TOML configuration and CONF configuration is not supported"))
        let mixedAcross = try #require(
            sandbox.loadError([("configFiles", "a.toml")], environment: ["FLYWAY_CONFIG_FILES": "b.conf"]))
        #expect(mixedAcross.message.contains("Using both TOML"))
        let missing = try #require(sandbox.loadError(environment: ["FLYWAY_CONFIG_FILES": "nope.conf"]))
        #expect(missing.message.contains("Unable to load config file: \(sandbox.current)/nope.conf"))
        #expect(missing.message.contains("FLYWAY_CONFIG_FILES"))
    }

    @Test("configFileEncoding reads a Latin-1 .conf file")
    func encoding() throws {
        let sandbox = try ConfigSandbox()
        let path = sandbox.current + "/latin1.conf"
        try Data("flyway.placeholders.city=Malm\u{F6}\n".data(using: .isoLatin1) ?? Data()).write(
            to: URL(fileURLWithPath: path))
        let configuration = try sandbox.load([("configFiles", "latin1.conf"), ("configFileEncoding", "ISO-8859-1")])
        #expect(configuration.placeholders["city"] == "Malm\u{F6}")
    }

    // MARK: Working directory

    @Test("-workingDirectory makes relative filesystem locations (and the default) relative to it")
    func workingDirectory() throws {
        let sandbox = try ConfigSandbox()
        let directory = sandbox.current + "/deploy"
        let configuration = try sandbox.load([
            ("workingDirectory", "deploy"), ("locations", "filesystem:sql,/abs/sql,more"),
        ])
        #expect(configuration.workingDirectory == directory)
        #expect(configuration.locations == ["filesystem:\(directory)/sql", "/abs/sql", "\(directory)/more"])
        #expect(try sandbox.load([("workingDirectory", directory)]).locations == ["\(directory)/migrations"])
        #expect(try sandbox.load([("locations", "filesystem:sql")]).locations == ["filesystem:sql"])
    }

    // MARK: DB_* and the connection

    @Test("DB_* override the parts of FLYWAY_URL and config-file urls, not those given on the command line")
    func databaseVariables() throws {
        let sandbox = try ConfigSandbox()
        try sandbox.write("flyway.conf", "flyway.url=jdbc:postgresql://file-db/file\nflyway.user=file_user\n")
        // DB_HOST and DB_NAME agree with the URL (host compared without case); the URL names no port; user and
        // password are not compared: DB_* win.
        let environment = [
            "FLYWAY_URL": "jdbc:postgresql://pg-0/orders", "FLYWAY_PASSWORD": "flyway_pw",
            "DB_HOST": "PG-0", "DB_PORT": "5433", "DB_NAME": "orders", "DB_USERNAME": "app", "DB_PASSWORD": "db_pw",
        ]
        let fromEnvironment = try sandbox.load(environment: environment).connection
        #expect(fromEnvironment.host == "PG-0")
        #expect(fromEnvironment.port == 5433)
        #expect(fromEnvironment.database == "orders")
        #expect(fromEnvironment.user == "app" && fromEnvironment.password == "db_pw")

        let fromArguments = try sandbox.load(
            [("url", "jdbc:postgresql://arg-db:6000/arg"), ("user", "arg_user"), ("password", "arg_pw")],
            environment: environment
        ).connection
        #expect(fromArguments.host == "arg-db" && fromArguments.port == 6000 && fromArguments.database == "arg")
        #expect(fromArguments.user == "arg_user" && fromArguments.password == "arg_pw")

        let port = try sandbox.load(environment: ["DB_PORT": "7000"]).connection
        #expect(port.host == "file-db" && port.port == 7000 && port.user == "file_user")
    }

    @Test(
        "a url from a file or FLYWAY_URL and DB_HOST/DB_PORT/DB_NAME naming another server or database are refused",
        arguments: [
            ("jdbc:postgresql://db/orders", ["DB_NAME": "billing"], "DB_NAME", "'orders'"),
            ("jdbc:postgresql://db-a/orders", ["DB_HOST": "db-b"], "DB_HOST", "'db-a'"),
            ("jdbc:postgresql://db:5432/orders", ["DB_PORT": "5433"], "DB_PORT", "'5432'"),
            ("jdbc:postgresql://pg-0:5433,pg-1:5434/orders", ["DB_HOST": "db-a"], "DB_HOST", "'pg-0,pg-1'"),
        ])
    func conflictingDatabaseVariables(url: String, variables: [String: String], variable: String, urlPart: String)
        throws
    {
        let sandbox = try ConfigSandbox()
        let fromVariable = try #require(
            sandbox.loadError(environment: variables.merging(["FLYWAY_URL": url]) { $1 }))
        #expect(fromVariable.code == .configuration)
        #expect(fromVariable.message.contains("environment variable FLYWAY_URL"), "\(fromVariable.message)")
        #expect(fromVariable.message.contains(variable) && fromVariable.message.contains(urlPart))
        try sandbox.write("flyway.conf", "flyway.url=\(url)\n")
        let fromFile = try #require(sandbox.loadError(environment: variables))
        #expect(fromFile.message.contains("flyway.conf") && fromFile.message.contains(variable), "\(fromFile.message)")
        // A -url argument decides: DB_* are not applied to its parts, and nothing is refused.
        let argument = try sandbox.load([("url", url)], environment: variables).connection
        #expect(argument.database == "orders")
    }

    @Test("invalid DB_* values are still rejected by name")
    func badDatabaseVariable() throws {
        let error = try #require(try ConfigSandbox().loadError(environment: ["DB_PORT": "http"]))
        #expect(error.message.contains("DB_PORT"))
    }

    @Test("Configuration.fromEnvironment is unchanged")
    func fromEnvironment() throws {
        let configuration = try Configuration.fromEnvironment(["DB_HOST": "h", "DB_PORT": "5433", "FLYWAY_URL": "x"])
        #expect(configuration.connection.host == "h" && configuration.connection.port == 5433)
        #expect(configuration.connection.url == nil)
    }
}
