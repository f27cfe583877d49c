import CLibPQ
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// libpq's connection parameters as plain values: reading a URI or conninfo string (`PQconninfoParse`) and checking
/// the certificate files the parameters name, before libpq is asked to connect. The Configuration layer builds the
/// parameters; only this folder talks to libpq.
enum ConnInfo {
    /// The keyword/value pairs a `postgresql://` URI or `key=value` conninfo string sets (as libpq reads it).
    ///
    /// - Throws: libpq's reason, unscrubbed (the caller redacts it), when the text is not a valid URI or string.
    static func parse(_ text: String) -> Result<[(keyword: String, value: String)], ParseFailure> {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(text, &errorMessage) else {
            let reason = errorMessage.map { String(cString: $0) } ?? "invalid connection string"
            if let errorMessage { PQfreemem(errorMessage) }
            return .failure(ParseFailure(reason: reason.trimmingWhitespace()))
        }
        defer { PQconninfoFree(options) }
        var pairs: [(keyword: String, value: String)] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { pairs.append((String(cString: keyword), String(cString: value))) }
            option += 1
        }
        return .success(pairs)
    }

    /// Why libpq refused a URI or conninfo string.
    struct ParseFailure: Error {
        var reason: String
    }

    /// Checks that the certificate files the parameters name exist and can be read, so that a typo is a
    /// configuration error naming the setting instead of a TLS failure: `sslrootcert` (unless `system`) with a
    /// `verify-*` mode, `sslcert` and `sslkey` unless TLS is disabled.
    static func checkCertificateFiles(_ parameters: [(String, String)]) throws(RunwayError) {
        let value = { (keyword: String) in parameters.last { $0.0 == keyword }?.1 }
        let mode = value("sslmode")
        if mode?.hasPrefix("verify-") == true {
            try checkFile(value("sslrootcert"), setting: "sslrootcert", allowSystem: true)
        }
        if mode != "disable" {
            try checkFile(value("sslcert"), setting: "sslcert")
            try checkFile(value("sslkey"), setting: "sslkey")
        }
    }

    /// A file that must exist and be readable (`system` allowed for `sslrootcert`).
    private static func checkFile(_ path: String?, setting: String, allowSystem: Bool = false) throws(RunwayError) {
        guard let path, !(allowSystem && path == "system") else { return }
        guard !path.isEmpty else { throw .configuration("\(setting) is set but empty: set it to a file (or unset it)") }
        guard isDirectory(atPath: path) == false else {
            throw .configuration("\(setting) '\(path)': the file does not exist")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw .configuration("\(setting) '\(path)': the file cannot be read by this user")
        }
    }
}
