// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Runway",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Runway", targets: ["Runway"]),
        .executable(name: "migrate", targets: ["migrate"]),
        .library(name: "RunwayServiceLifecycle", targets: ["RunwayServiceLifecycle"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "Runway",
            dependencies: [
                "CLibPQ",
                "CZlib",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            // Foundation is imported for `Bundle` in one file only (MigrationLocation.swift); without this, its
            // String extensions would be visible, and used, everywhere, linking Foundation and ICU into `migrate`.
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),
        .target(
            name: "RunwayServiceLifecycle",
            dependencies: [
                "Runway",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "migrate",
            dependencies: [
                "Runway",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),
        // Benchmarks (scripts/bench.sh): floors on bare libpq/zlib (no Foundation, no Runway), library probes, and
        // the process timer (C, so that its own resident set does not leak into the children's peak RSS).
        .target(name: "BenchSupport"),
        .executableTarget(name: "runway-bench-floor", dependencies: ["BenchSupport", "CLibPQ", "CZlib"]),
        .executableTarget(name: "runway-bench", dependencies: ["BenchSupport", "Runway"]),
        .executableTarget(name: "runway-bench-run"),
        // Fuzz targets: scripts/fuzz.sh builds them with libFuzzer; a plain build replays Fuzz/corpus once.
        .executableTarget(
            name: "RunwayFuzz",
            dependencies: ["Runway", "CLibFuzzer"]
        ),
        .target(name: "CLibFuzzer"),
        .testTarget(
            name: "RunwayTests",
            dependencies: ["Runway"]
        ),
        // What the database tests share: the throwaway server, test databases, private clusters, gates, the psql
        // differential. Built only with the tests (it imports Runway with @testable, which debug builds allow).
        .target(
            name: "RunwayTestSupport",
            dependencies: ["Runway", .product(name: "Logging", package: "swift-log")],
            path: "Tests/RunwayTestSupport"
        ),
        .testTarget(
            name: "RunwayIntegrationTests",
            dependencies: [
                "Runway", "RunwayTestSupport", "RunwayServiceLifecycle", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "migrateTests",
            dependencies: ["migrate", "Runway", "RunwayTestSupport"]
        ),
    ]
)
