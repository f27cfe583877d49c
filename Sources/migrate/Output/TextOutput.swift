import Runway

/// Human-readable results, in Flyway's layout where Flyway has one.
enum TextOutput {
    static func migrate(_ result: MigrateResult) -> String {
        let schema = "\"\(result.schemas.first ?? "")\""
        if result.migrations.isEmpty {
            return "Schema \(schema) is up to date. No migration necessary."
        }
        var lines = result.migrations.map { m in
            "Applied \(m.version.map { "version \($0)" } ?? "repeatable") - \(m.description) (\(m.script), "
                + "\(m.executionTime) ms\(m.transactional ? "" : ", non-transactional"))"
        }
        lines.append(
            "Successfully applied \(result.migrationsExecuted) migration\(result.migrationsExecuted == 1 ? "" : "s") "
                + "to schema \(schema)" + (result.targetSchemaVersion.map { ", now at version v\($0)" } ?? ""))
        return lines.joined(separator: "\n")
    }

    static func undo(_ result: UndoResult) -> String {
        let schema = "\"\(result.schemas.first ?? "")\""
        if result.migrations.isEmpty {
            return "Schema \(schema) has no versioned migration to undo."
        }
        var lines = result.migrations.map { m in
            "Undid version \(m.version) - \(m.description) (\(m.script), \(m.executionTime) ms)"
        }
        lines.append(
            "Successfully undid \(result.migrationsUndone) migration\(result.migrationsUndone == 1 ? "" : "s") "
                + "to schema \(schema)"
                + (result.targetSchemaVersion.map { ", now at version v\($0)" } ?? ", now at << Empty Schema >>"))
        return lines.joined(separator: "\n")
    }

    static func info(_ result: InfoResult) -> String {
        let rows = result.migrations.map { entry -> [String] in
            // Flyway: every versioned row, the BASELINE marker included, except DELETE, deleted, undone and undo rows.
            let undoable = entry.undoable
            return [
                entry.category, entry.versionText ?? "", entry.description, entry.type.rawValue,
                entry.applied?.installedOn ?? "", entry.state.displayName, undoable,
            ]
        }
        let table = AsciiTable(
            headers: ["Category", "Version", "Description", "Type", "Installed On", "State", "Undoable"], rows: rows)
        return "Schema version: \(result.schemaVersion ?? "<< Empty Schema >>")\n\n" + table.render()
    }

    static func validate(_ result: ValidateResult) -> String {
        if result.isValid {
            return "Successfully validated \(result.validateCount) migration\(result.validateCount == 1 ? "" : "s")"
                + (result.warnings.isEmpty
                    ? "" : "\n" + result.warnings.map { "WARNING: \($0)" }.joined(separator: "\n"))
        }
        return "Validate failed: Migrations have failed validation\n"
            + result.problems.map { "\($0.code): \($0.message)" }.joined(separator: "\n")
    }
}

extension TextOutput {
    static func baseline(_ result: BaselineResult) -> String {
        result.successfullyBaselined
            ? "Successfully baselined schema with version: \(result.baselineVersion)"
            : "Schema history table already initialized with version \(result.baselineVersion). Skipping."
    }

    static func repair(_ result: RepairResult) -> String {
        func describe(_ item: RepairedMigration) -> String {
            (item.version.map { "version \($0)" } ?? "repeatable") + " - \(item.description) (\(item.script))"
        }
        var lines: [String] = []
        lines += result.migrationsRemoved.map { "Removed failed row: \(describe($0))" }
        lines += result.migrationsDeleted.map { "Marked as deleted (file missing): \(describe($0))" }
        lines += result.migrationsAligned.map { "Realigned with its file: \(describe($0))" }
        lines.append(
            result.repairActions.isEmpty
                ? "Nothing to repair."
                : "Successfully repaired schema history table: "
                    + result.repairActions.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }

    static func clean(_ result: CleanResult) -> String {
        var lines = result.schemasCleaned.map { "Cleaned schema \"\($0)\"" }
        lines += result.schemasDropped.map { "Dropped schema \"\($0)\"" }
        lines.append("Successfully cleaned \(result.schemasCleaned.count + result.schemasDropped.count) schema(s)")
        return lines.joined(separator: "\n")
    }
}

/// Flyway's `AsciiTable`: `| value |` cells padded to the widest value, `+---+` rulers. Widths count characters.
struct AsciiTable {
    var headers: [String]
    var rows: [[String]]

    func render() -> String {
        let headerWidths = headers.map(Self.width)
        let cellWidths = rows.map { $0.map(Self.width) }
        var widths = headerWidths
        for row in cellWidths {
            for (index, width) in row.enumerated() { widths[index] = max(widths[index], width) }
        }
        let ruler = Array(
            ("+" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "+") + "+").utf8)
        // One byte buffer for the whole table: `info` on ten thousand migrations prints seventy thousand cells.
        var text: [UInt8] = []
        text.reserveCapacity((ruler.count + 1) * (rows.count + 5))
        func append(_ cells: [String], _ cellWidths: [Int]) {
            text.append(UInt8(ascii: "|"))
            for index in cells.indices {
                text.append(UInt8(ascii: " "))
                text.append(contentsOf: cells[index].utf8)
                text.append(contentsOf: repeatElement(UInt8(ascii: " "), count: widths[index] - cellWidths[index] + 1))
                text.append(UInt8(ascii: "|"))
            }
            text.append(UInt8(ascii: "\n"))
        }
        text += ruler + [UInt8(ascii: "\n")]
        append(headers, headerWidths)
        text += ruler + [UInt8(ascii: "\n")]
        if rows.isEmpty {
            let inner = ruler.count - 5
            let empty = "No migrations found"
            text += Array(("| " + empty + String(repeating: " ", count: max(0, inner - empty.count)) + " |\n").utf8)
        } else {
            for (row, rowWidths) in zip(rows, cellWidths) { append(row, rowWidths) }
        }
        text += ruler
        return String(decoding: text, as: UTF8.self)
    }

    /// The number of characters; the common all-ASCII cell is measured without grapheme breaking.
    private static func width(_ cell: String) -> Int {
        let bytes = cell.utf8
        return bytes.allSatisfy { $0 < 0x80 } ? bytes.count : cell.count
    }
}
