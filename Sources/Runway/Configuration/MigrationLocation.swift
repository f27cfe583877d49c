// Foundation for `Bundle` only, in the two functions compiled into the caller (see below).
import Foundation

/// Builds the strings ``Configuration/locations`` holds, for where a Swift server keeps its migrations.
///
/// A location is a folder, scanned recursively (`filesystem:` prefix optional). An application that ships its
/// migrations inside its package declares them as resources of its target and points Runway at the copied folder:
///
/// ```swift
/// // Package.swift
/// .executableTarget(name: "App", dependencies: [...], resources: [.copy("Migrations")])
///
/// // App
/// configuration.locations = [try MigrationLocation.resources("Migrations", in: .module)]
/// ```
///
/// Use `.copy`, not `.process`: `.copy` keeps the folder and the file names as they are (the history table records
/// each script's path relative to its location, as Flyway does, so it must not change between releases).
public enum MigrationLocation {
    /// A folder on the file system, absolute or relative to ``Configuration/workingDirectory`` (or the current
    /// directory).
    public static func folder(_ path: String) -> String { "filesystem:" + path }

    /// The folder `path` among `bundle`'s resources (`Bundle.module` for the calling target), as declared with
    /// `resources: [.copy("Migrations")]`; `path` may go deeper (`Migrations/orders`).
    ///
    /// The bundle is found where SwiftPM put it: next to the executable (`<App>_<App>.resources` on Linux, copy it
    /// into the image with the binary) or inside an app bundle.
    ///
    /// - Throws: ``RunwayError`` `.configuration` when the bundle has no such folder, saying what to declare.
    @_alwaysEmitIntoClient
    public static func resources(_ path: String, in bundle: Bundle) throws(RunwayError) -> String {
        try resources(path, resourceURL: bundle.resourceURL, bundlePath: bundle.bundlePath)
    }

    // `Bundle` is in Foundation, not in FoundationEssentials: the two functions that take one are compiled into the
    // application that calls them (`@_alwaysEmitIntoClient`), so that the library's own code, and the `migrate`
    // binary, link no Foundation (and no ICU, most of a static binary's size).
    @usableFromInline
    static func resources(_ path: String, resourceURL: URL?, bundlePath: String) throws(RunwayError) -> String {
        guard let root = resourceURL else {
            throw .configuration("The bundle at \(bundlePath) has no resources folder: no migrations there")
        }
        let directory = root.appendingPathComponent(path, isDirectory: true)
        guard isDirectory(atPath: directory.path) == true else {
            throw .configuration(
                "No folder '\(path)' among the resources of \(bundlePath): declare it in Package.swift with "
                    + "resources: [.copy(\"\(path.split(separator: "/").first.map(String.init) ?? path)\")] on the "
                    + "target that ships the migrations, and pass that target's Bundle.module")
        }
        return folder(directory.standardizedFileURL.path)
    }
}

// MARK: - Builder

extension Configuration {
    /// A configuration connecting with `url`, with Flyway's defaults otherwise: a JDBC URL
    /// (`jdbc:postgresql://db:5432/orders?user=app`), a `postgresql://` URI or a libpq conninfo string, as the CLI's
    /// `--url` takes them (see ``ConnectionSettings/init(url:)``).
    public init(url: String) throws(RunwayError) {
        self.init()
        connection = try ConnectionSettings(url: url)
    }

    /// This configuration reading the migrations from `locations` (folders, or ``MigrationLocation`` values)
    /// instead of the ones it had.
    public func migrations(in locations: String...) -> Configuration {
        with { $0.locations = locations }
    }

    /// This configuration reading the migrations from the folder `path` among `bundle`'s resources (see
    /// ``MigrationLocation/resources(_:in:)``) instead of the locations it had.
    @_alwaysEmitIntoClient
    public func migrations(fromResources path: String, in bundle: Bundle) throws(RunwayError) -> Configuration {
        migrations(in: try MigrationLocation.resources(path, in: bundle))
    }

    /// This configuration managing `schemas` (the first holds the history table).
    public func schemas(_ schemas: String...) -> Configuration {
        with { $0.schemas = schemas }
    }

    /// This configuration with the `${name}` placeholder set to `value`.
    public func placeholder(_ name: String, _ value: String) -> Configuration {
        with { $0.placeholders[name] = value }
    }

    /// This configuration changed by `body`, for the settings without a builder method of their own:
    /// `.with { $0.connectRetries = 10; $0.outOfOrder = true }`.
    public func with<E: Error>(_ body: (inout Configuration) throws(E) -> Void) throws(E) -> Configuration {
        var copy = self
        try body(&copy)
        return copy
    }
}
