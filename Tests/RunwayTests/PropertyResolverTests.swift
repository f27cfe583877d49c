import Foundation
import Testing

@testable import Runway

@Suite("ConfigFiles.resolveProperties (TOML ${env.NAME})")
struct PropertyResolverTests {
    let environment = ["PG_PASS": "s3cret!", "PORT_X": "54a32"]

    @Test(
        "resolves",
        arguments: [
            ("${env.PG_PASS}", "s3cret!"),
            ("pre-${env.PG_PASS}-post", "pre-s3cret!-post"),
            ("${env.PORT_X:D}", "5432"),
            ("$${env.PG_PASS}", "${env.PG_PASS}"),
            ("!{${env.PG_PASS}}", "${env.PG_PASS}"),
            ("${flyway:user}", "${flyway:user}"),
            ("plain", "plain"),
        ])
    func resolves(input: String, expected: String) throws {
        let source = SettingSource.file("/p/flyway.toml", line: nil)
        #expect(
            try ConfigFiles.resolveProperties(input, key: "password", source: source, environment: environment)
                == expected)
    }

    @Test("in a password, an unresolvable reference is an error that does not repeat any part of the value")
    func secretErrors() {
        let source = SettingSource.file("/p/flyway.toml", line: nil)
        for value in ["pa${vault.Hunter2}ss", "pa${env.Hunter2}ss"] {
            #expect {
                _ = try ConfigFiles.resolveProperties(value, key: "password", source: source, environment: environment)
            } throws: { error in
                let message = (error as? RunwayError)?.message ?? ""
                return message.contains("password") && !message.contains("Hunter2") && !message.contains("vault")
            }
        }
    }

    @Test("an unset variable and other resolvers are errors naming the setting")
    func errors() {
        let source = SettingSource.file("/p/flyway.toml", line: nil)
        #expect {
            _ = try ConfigFiles.resolveProperties(
                "${env.MISSING_X}", key: "password", source: source, environment: environment)
        } throws: { error in
            let message = (error as? RunwayError)?.message ?? ""
            return message.contains("MISSING_X") && message.contains("password")
        }
        #expect {
            _ = try ConfigFiles.resolveProperties(
                "${vault.secret}", key: "url", source: source, environment: environment)
        } throws: { error in
            (error as? RunwayError)?.message.contains("'vault'") == true
        }
    }
}
