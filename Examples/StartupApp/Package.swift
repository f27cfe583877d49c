// swift-tools-version:6.0
import PackageDescription

// A Hummingbird app that applies its migrations at startup (Strategy A) through RunwayServiceLifecycle.
let package = Package(
    name: "StartupApp",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Runway", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        .executableTarget(
            name: "StartupApp",
            dependencies: [
                .product(name: "Runway", package: "Runway"),
                .product(name: "RunwayServiceLifecycle", package: "Runway"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            // The migrations ship inside the app, in a resource bundle next to its binary. `.copy` keeps the folder
            // and the file names as they are (the history table records each script by its path in the folder).
            resources: [.copy("Migrations")]
        )
    ]
)
