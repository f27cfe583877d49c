import Foundation
import Testing

@testable import Runway

@Suite("ConfigFiles.parseTOML (flyway.toml, §12.1)")
struct TOMLParserTests {
    @Test("[flyway], placeholders, postgresql, environments with jdbcProperties and flyway overrides")
    func structure() throws {
        let text = """
            databaseType = "PostgreSql"
            name = "orders"

            [flyway]
            environment = "prod"
            locations = ["filesystem:sql", "filesystem:more"]
            validateOnMigrate = false
            connectRetries = 3

            [flyway.placeholders]
            app_role = "orders_app"

            [flyway.postgresql]
            transactional.lock = false

            [flyway.check]
            majorTolerance = 0

            [environments.prod]
            url = "jdbc:postgresql://pg:5432/orders"
            user = "admin"
            schemas = ["app", "audit"]
            driver = "org.postgresql.Driver"

            [environments.prod.jdbcProperties]
            sslmode = "require"

            [environments.prod.flyway]
            locations = ["filesystem:prod"]

            [flywayDesktop]
            developmentEnvironment = "development"
            """
        let file = try ConfigFiles.parseTOML(text, path: "/p/flyway.toml")
        #expect(
            values(file.flyway) == [
                "environment": "prod", "locations": "filesystem:sql,filesystem:more", "validateOnMigrate": "false",
                "connectRetries": "3", "placeholders.app_role": "orders_app", "postgresql.transactional.lock": "false",
                "check.majorTolerance": "0",
            ])
        #expect(file.flyway.first { $0.key == "locations" }?.value == .list(["filesystem:sql", "filesystem:more"]))
        let prod = try #require(file.environments["prod"])
        #expect(
            values(prod.fields) == [
                "url": "jdbc:postgresql://pg:5432/orders", "user": "admin", "schemas": "app,audit",
                "jdbcProperties.sslmode": "require",
            ])
        #expect(values(prod.flyway) == ["locations": "filesystem:prod"])
        #expect(file.ignoredRootKeys == ["databaseType", "flywayDesktop", "name"])
    }

    @Test("a syntax error names the file, line and column")
    func syntaxError() {
        #expect {
            _ = try ConfigFiles.parseTOML("[flyway]\nlocations = [\"a\"\n", path: "/p/flyway.toml")
        } throws: { error in
            let message = (error as? RunwayError)?.message ?? ""
            return message.contains("/p/flyway.toml") && message.contains("[line ") && message.contains("column")
        }
    }

    @Test("an unknown environment field is an error naming it")
    func unknownEnvironmentField() {
        #expect {
            _ = try ConfigFiles.parseTOML("[environments.dev]\nusername = \"bob\"\n", path: "/p/flyway.toml")
        } throws: { error in
            (error as? RunwayError)?.message.contains("environments.dev.username") == true
        }
    }
}
