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
            ]
        )
    ]
)
