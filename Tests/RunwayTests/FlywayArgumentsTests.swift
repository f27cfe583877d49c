import Testing

@testable import Runway

@Suite("FlywayArguments (Flyway's -key=value command line)")
struct FlywayArgumentsTests {
    private func pairs(_ arguments: FlywayArguments) -> [String] { arguments.settings.map { "\($0.0)=\($0.1)" } }

    @Test(
        "settings are taken before and after the command words",
        arguments: [
            (
                ["-url=jdbc:postgresql://h:5432/db", "-user=u", "info"],
                ["url=jdbc:postgresql://h:5432/db", "user=u"], ["info"]
            ),
            (["info", "-schemas=a,b", "--output", "json"], ["schemas=a,b"], ["info", "--output", "json"]),
            (
                ["-locations=filesystem:sql", "migrate", "-target=5"], ["locations=filesystem:sql", "target=5"],
                ["migrate"]
            ),
            (
                ["-placeholders.app_role=orders", "-jdbcProperties.sslmode=require", "-environments.prod.url=x"],
                ["placeholders.app_role=orders", "jdbcProperties.sslmode=require", "environments.prod.url=x"], []
            ),
            (
                ["-url=jdbc:postgresql://h/db?user=a&password=b=c", "validate"],
                ["url=jdbc:postgresql://h/db?user=a&password=b=c"], ["validate"]
            ),
            (["-password=", "info"], ["password="], ["info"]),
            (["--locations=a", "-v", "--table", "t", "-1=x"], [], ["--locations=a", "-v", "--table", "t", "-1=x"]),
        ])
    func split(argv: [String], settings: [String], remaining: [String]) throws {
        let arguments = try FlywayArguments(splitting: argv)
        #expect(pairs(arguments) == settings)
        #expect(arguments.remaining == remaining)
    }

    @Test("-X, -q and -outputType=json become --verbose, --quiet and --output json at the end")
    func flags() throws {
        let arguments = try FlywayArguments(splitting: ["-X", "-outputType=json", "info", "-q", "-n", "-table=t"])
        #expect(arguments.remaining == ["info", "--verbose", "--quiet", "--output", "json"])
        #expect(arguments.debug && arguments.quiet && arguments.jsonOutput)
        #expect(pairs(arguments) == ["table=t"])
        let upper = try FlywayArguments(splitting: ["-outputType=JSON"])
        #expect(upper.remaining == ["--output", "json"])
        let empty = try FlywayArguments(splitting: ["-outputType=", "info"])
        #expect(empty.remaining == ["info"])
    }

    @Test("-outputType other than json is Flyway's error")
    func badOutputType() {
        #expect {
            _ = try FlywayArguments(splitting: ["-outputType=xml"])
        } throws: { error in
            (error as? RunwayError)?.message == "'xml' is an invalid value for the -outputType option. Use 'json'."
        }
    }

    @Test("nothing after -- is touched, and translated flags go before it")
    func terminator() throws {
        let arguments = try FlywayArguments(splitting: ["-X", "migrate", "--", "-url=x", "-q"])
        #expect(pairs(arguments).isEmpty)
        #expect(arguments.remaining == ["migrate", "--verbose", "--", "-url=x", "-q"])
    }

    @Test("the split settings load as the highest-precedence source")
    func feedsLoad() throws {
        let sandbox = try ConfigSandbox()
        let arguments = try FlywayArguments(splitting: ["-connectRetries=4", "info", "-schemas=app"])
        let configuration = try sandbox.load(arguments.settings, environment: ["FLYWAY_CONNECT_RETRIES": "2"])
        #expect(configuration.connectRetries == 4)
        #expect(configuration.schemas == ["app"])
    }
}
