#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension Configuration {
    /// The replacer every script of a run shares: the configured placeholders plus Flyway's built-ins for the given
    /// connection facts (from the session, or stand-ins when there is no database to ask).
    func placeholderReplacer(defaultSchema: String, user: String, database: String) -> PlaceholderReplacer {
        PlaceholderReplacer(
            values: placeholderValues(defaultSchema: defaultSchema, user: user, database: database),
            prefix: placeholderPrefix, suffix: placeholderSuffix, separator: placeholderSeparator)
    }

    /// Configured placeholders (names lower-cased) plus Flyway's built-ins for the given connection facts, named
    /// with the configured `placeholderSeparator` (`flyway:user`, or `flyway_user` with `_`).
    func placeholderValues(defaultSchema: String, user: String, database: String) -> [String: String] {
        var values: [String: String] = [:]
        for (key, value) in placeholders { values[key.lowercased()] = value }
        func builtIn(_ name: String) -> String {
            PlaceholderReplacer.builtInName(name, separator: placeholderSeparator).lowercased()
        }
        values[builtIn("defaultSchema")] = defaultSchema
        values[builtIn("user")] = user
        values[builtIn("database")] = database
        values[builtIn("timestamp")] = Timestamps.local()
        values[builtIn("filename")] = ""
        values[builtIn("workingDirectory")] = workingDirectory ?? FileManager.default.currentDirectoryPath
        values[builtIn("table")] = table
        values[builtIn("environment")] = environment
        return values
    }
}
