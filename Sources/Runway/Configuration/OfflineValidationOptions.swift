/// Options of the checks that need no database.
public struct OfflineValidationOptions: Sendable {
    /// A git revision (`origin/main`) whose migrations must be unchanged and below every new version.
    public var base: String?
    /// The DDL safety lint; `nil` turns it off.
    public var linter: MigrationLinter?

    /// No git check, the lint with its defaults (warnings).
    public init(base: String? = nil, linter: MigrationLinter? = MigrationLinter()) {
        self.base = base
        self.linter = linter
    }
}
