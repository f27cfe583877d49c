/// What happened to one target of a fleet run.
public struct FleetTargetResult: Sendable {
    /// How a target ended.
    public enum Outcome: String, Sendable, Hashable, Codable {
        /// The operation succeeded (for `validate`: the target is valid; for `wait`: it is migrated).
        case succeeded
        /// The operation failed; ``FleetTargetResult/error`` says why.
        case failed
        /// Not started: an earlier target failed with `failFast`, or the run was cancelled.
        case notStarted
    }

    /// The target: a schema, a database, or a redacted URL (never a password).
    public let target: String
    /// How it ended.
    public let outcome: Outcome
    /// The schema version before the operation (`nil`: empty, or not known).
    public let schemaVersionBefore: String?
    /// The schema version after it.
    public let schemaVersionAfter: String?
    /// Migrations applied (for `migrate`, also those that stayed applied before a failure).
    public let migrationsExecuted: Int
    /// Wall time of this target, in milliseconds.
    public let durationMilliseconds: Int
    /// Why it failed (for `validate`, the validation problems as one error).
    public let error: RunwayError?
    /// The full result of `migrate` on this target (after a failure: what stayed applied), `info` or `validate`.
    public let migrate: MigrateResult?
    public let info: InfoResult?
    public let validate: ValidateResult?
    /// For a dry run: the target's script (for `migrationsExecuted`: the migrations it would apply).
    public let dryRunScript: String?
    /// The drift report of `checkDrift` on this target.
    public let drift: DriftReport?

    package init(
        target: String, outcome: Outcome, schemaVersionBefore: String? = nil, schemaVersionAfter: String? = nil,
        migrationsExecuted: Int = 0, durationMilliseconds: Int = 0, error: RunwayError? = nil,
        migrate: MigrateResult? = nil, info: InfoResult? = nil, validate: ValidateResult? = nil,
        dryRunScript: String? = nil,
        drift: DriftReport? = nil
    ) {
        self.target = target
        self.outcome = outcome
        self.schemaVersionBefore = schemaVersionBefore
        self.schemaVersionAfter = schemaVersionAfter
        self.migrationsExecuted = migrationsExecuted
        self.durationMilliseconds = durationMilliseconds
        self.error = error
        self.migrate = migrate
        self.info = info
        self.validate = validate
        self.dryRunScript = dryRunScript
        self.drift = drift
    }
}
