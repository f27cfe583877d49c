/// Turns scanned files into resolved migrations: applies placeholders to repeatable checksums, sorts them in
/// Flyway's order and rejects duplicates.
struct MigrationResolver {
    var placeholders: PlaceholderReplacer
    var placeholderReplacement: Bool

    /// Resolves and sorts; throws for duplicate versions or descriptions, naming both files.
    func resolve(_ files: [ScannedFile]) throws(RunwayError) -> [ResolvedMigration] {
        let resolved = try resolveAllowingDuplicates(files)
        if let first = Self.duplicates(in: resolved).first { throw first }
        return resolved
    }

    /// Resolves and sorts without the duplicate check (see ``duplicates(in:)``).
    func resolveAllowingDuplicates(_ files: [ScannedFile]) throws(RunwayError) -> [ResolvedMigration] {
        var resolved: [ResolvedMigration] = []
        resolved.reserveCapacity(files.count)
        for file in files {
            guard case .migration(let kind, let version, let description) = file.name else { continue }
            var checksum = file.rawChecksum
            var equivalent: Checksum?
            if kind == .repeatable, file.config.placeholderReplacement ?? placeholderReplacement {
                let replaced = try placeholders.forFile(file.relativePath).replace(try file.text(), file: file.relativePath)
                checksum = Checksum(text: replaced)
                equivalent = file.rawChecksum
            }
            resolved.append(
                ResolvedMigration(
                    kind: kind, version: version, description: description, script: file.relativePath,
                    path: file.path, checksum: checksum, equivalentChecksum: equivalent))
        }
        // Sorting indices moves integers instead of the (large) structs.
        let order = resolved.indices.sorted { Self.flywayOrder(resolved[$0], resolved[$1]) }
        return order.map { resolved[$0] }
    }

    /// Every pair of neighbours with the same version (baseline migrations only clash with each other) or the same
    /// repeatable description, as Flyway reports them.
    static func duplicates(in resolved: [ResolvedMigration]) -> [RunwayError] {
        var errors: [RunwayError] = []
        for (a, b) in zip(resolved, resolved.dropFirst()) {
            if let va = a.version, let vb = b.version, va == vb, (a.kind == .baseline) == (b.kind == .baseline),
                (a.kind == .undo) == (b.kind == .undo)
            {
                errors.append(
                    .invalidMigration(
                        "Found more than one migration with version \(va)\nOffenders:\n-> \(a.path) (\(a.type))\n-> "
                            + "\(b.path) (\(b.type))", file: b.script, problem: .duplicateVersion))
            }
            if a.kind == .repeatable, b.kind == .repeatable, a.description == b.description {
                errors.append(
                    .invalidMigration(
                        "Found more than one repeatable migration with description \(a.description)\nOffenders:\n-> "
                            + "\(a.path) (SQL)\n-> \(b.path) (SQL)", file: b.script, problem: .duplicateDescription))
            }
        }
        return errors
    }

    /// Versioned (ascending version, baseline after regular for equal versions) before repeatables (by
    /// description in UTF-16 order, like Java's `String.compareTo`).
    static func flywayOrder(_ a: ResolvedMigration, _ b: ResolvedMigration) -> Bool {
        switch (a.version, b.version) {
        case (let va?, let vb?):
            if va != vb { return va < vb }
            if (a.kind == .undo) != (b.kind == .undo) { return b.kind == .undo }
            return a.kind != .baseline && b.kind == .baseline
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return JavaStringOrder.less(a.description, b.description)
        }
    }
}

extension PlaceholderReplacer {
    /// A copy whose `${flyway:filename}` (with the configured separator) is the given script's file name.
    func forFile(_ relativePath: String) -> PlaceholderReplacer {
        let filename = relativePath.split(separator: "/").last.map(String.init) ?? relativePath
        return withValue(filename, for: Self.builtInName("filename", separator: separator))
    }
}
