#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Path arithmetic shared by the configuration (config files, locations) and the scanner.
enum FilePaths {
    /// `path` made absolute against `directory` and standardised (`.` and `..` resolved; `~/` is not expanded: the
    /// shell does that).
    static func absolute(_ path: String, relativeTo directory: String) -> String {
        let joined = path.hasPrefix("/") ? path : join(directory, path)
        return URL(fileURLWithPath: joined).standardizedFileURL.path
    }

    /// `name` inside `directory`, standardised.
    static func join(_ directory: String, _ name: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent(name).standardizedFileURL.path
    }
}
