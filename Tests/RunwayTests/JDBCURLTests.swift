import Foundation
import Testing

@testable import Runway

@Suite("JDBCURL (pgjdbc URL syntax, §12.3)")
struct JDBCURLTests {
    typealias Host = JDBCURL.Host

    @Test(
        "parses",
        arguments: [
            ("jdbc:postgresql://db:5432/orders", [Host(name: "db", port: 5432)], "orders", [String]()),
            (
                "jdbc:postgresql://pg-0:5433,pg-1/orders?currentSchema=app&sslmode=require",
                [Host(name: "pg-0", port: 5433), Host(name: "pg-1", port: nil)], "orders",
                ["currentSchema=app", "sslmode=require"]
            ),
            ("jdbc:postgresql:orders", [Host(name: "localhost", port: 5432)], "orders", []),
            ("jdbc:postgresql:/", [Host(name: "localhost", port: 5432)], nil, []),
            ("jdbc:postgresql://db/", [Host(name: "db", port: nil)], nil, []),
            ("jdbc:postgresql://db", [Host(name: "db", port: nil)], nil, []),
            ("jdbc:p6spy:postgresql://db:6000/x", [Host(name: "db", port: 6000)], "x", []),
            ("jdbc:aws-wrapper:postgresql://db/x", [Host(name: "db", port: nil)], "x", []),
            (
                "jdbc:postgresql://[::1]:5433,[fe80::1]/x", [Host(name: "::1", port: 5433), Host(name: "fe80::1")], "x",
                []
            ),
            (
                "jdbc:postgresql:///my%20db?ApplicationName=nightly+job&ssl",
                [Host(name: "localhost", port: nil)], "my db", ["ApplicationName=nightly job", "ssl="]
            ),
        ] as [(String, [Host], String?, [String])])
    func parses(url: String, hosts: [Host], database: String?, parameters: [String]) throws {
        let parsed = try JDBCURL(parsing: url, setting: "url")
        #expect(parsed.hosts == hosts)
        #expect(parsed.database == database)
        #expect(parsed.parameters.map { "\($0.name)=\($0.value)" } == parameters)
    }

    @Test(
        "rejects, naming the setting and never showing the password",
        arguments: [
            ("jdbc:mysql://db:3306/x?password=TopSecret1", "PostgreSQL"),
            ("jdbc:postgresql://db:99999/x?password=TopSecret1", "invalid port '99999'"),
            ("jdbc:postgresql://db:abc/x?user=u&password=TopSecret1", "invalid port 'abc'"),
            ("jdbc:postgresql://admin:TopSecret1@db/x", "user:password@"),
            ("jdbc:postgresql://db/x?password=TopSecret1&bad=%zz", "URL encoding"),
        ])
    func rejects(url: String, fragment: String) {
        #expect {
            _ = try JDBCURL(parsing: url, setting: "url (set by environment variable FLYWAY_URL)")
        } throws: { error in
            let description = (error as? RunwayError)?.description ?? ""
            return description.contains(fragment) && description.contains("FLYWAY_URL")
                && !description.contains("TopSecret1")
        }
    }
}
