// swift-tools-version:6.1
import PackageDescription

// Targets follow docs/ARCHITECTURE.md: a pure core, wire formats, thin C adapters,
// an engine that sees only ports, and an executable that wires them together.
let v5: [SwiftSetting] = [.swiftLanguageMode(.v5)]
// The modules every sample passes through (decoding, the engine, rating and hashing) are
// optimised in debug builds too: the test suite runs `tally` processes built in debug, and
// unoptimised they rate ~12× slower (12 k against 147 k samples per CPU-second in
// `tally-bench fold`), which made the end-to-end and crash tests take many minutes and
// time out on a loaded machine. Debugging these modules wants `-Onone` locally: drop the flag.
let hot: [SwiftSetting] = v5 + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "Tally",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tally", targets: ["tally"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // Already in the graph through Hummingbird; named here for `Logging` (structured logs).
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
    ],
    targets: [
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(name: "CLua", cSettings: [.unsafeFlags(["-I/usr/include/lua5.4"])],
                linkerSettings: [.linkedLibrary("lua5.4")]),

        // Sixteen-byte SSE2 scans for the JSON decoder, `static inline` so that they inline
        // into TallyWire's loops (docs/ARCHITECTURE.md, "The hot path", step 2), and the
        // prefetch hint the engine's dedupe tables use (step 3).
        .target(name: "CTallySIMD"),

        // Threads of Tally's own and what they share: the bounded hand-off between two threads,
        // the follower thread (started under an OS name, stopped by a flag, joined), the thread
        // CPU and monotonic clocks. No dependencies but libc and Foundation, so that every
        // target, `TallyWire` included, can use the one copy (`CTallyThreads`: the OS thread
        // name, which Swift's Glibc module does not import).
        .target(name: "CTallyThreads"),
        .target(name: "TallyThreads", dependencies: ["CTallyThreads"], swiftSettings: v5),

        .target(name: "TallyCore", dependencies: ["CCrypto"], swiftSettings: hot),
        .target(name: "TallyWire", dependencies: ["TallyCore", "CTallySIMD", "TallyThreads", "Yams"], swiftSettings: hot),
        .target(name: "TallyKafka", dependencies: ["CRdKafka", "TallyThreads"], swiftSettings: v5),
        .target(name: "TallyCrypto", dependencies: ["CCrypto", "TallyWire"], swiftSettings: v5),
        .target(name: "TallyLMDB", dependencies: ["CLMDB"], swiftSettings: v5),
        .target(name: "TallyScript", dependencies: ["TallyCore", "CLua"], swiftSettings: v5),
        .target(name: "TallyEngine", dependencies: ["TallyCore", "TallyWire", "TallyThreads", "CTallySIMD"], swiftSettings: hot),
        // What every Tally process shares: the configuration file, the wall clock and stop
        // signals, structured log lines, whole-topic I/O, the rule-log client and the pricer
        // it folds into.
        .target(name: "TallyRuntime", dependencies: [
            "TallyCore", "TallyWire", "TallyKafka", "TallyScript", "TallyEngine", "TallyCrypto", "TallyThreads", "Yams",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: v5),
        // `tally run` and `tally rate`: the rater's run loop, its outbox sender and its LMDB
        // state store (the engine's ports over the adapters).
        .target(name: "TallyRater", dependencies: [
            "TallyCore", "TallyWire", "TallyKafka", "TallyLMDB", "TallyEngine", "TallyRuntime", "TallyThreads",
        ], swiftSettings: v5),
        // Reading back what the rater wrote: replay, verify, reports and trace (reports and
        // traces from the frame index of `tally serve` when it is caught up).
        .target(name: "TallyAudit", dependencies: [
            "TallyCore", "TallyWire", "TallyKafka", "TallyScript", "TallyEngine", "TallyRuntime", "TallyIndex",
        ], swiftSettings: v5),
        // `tally route`: the keyed repartition of raw input (docs/SCALE.md).
        .target(name: "TallyRoute", dependencies: [
            "TallyCore", "TallyWire", "TallyKafka", "TallyEngine", "TallyRuntime",
        ], swiftSettings: v5),
        // `tally demo` and the usage simulator that tests and benchmarks feed from.
        .target(name: "TallyDemo", dependencies: [
            "TallyCore", "TallyWire", "TallyKafka", "TallyEngine", "TallyRuntime", "TallyRater", "TallyAudit",
            "TallySeededRandom",
        ], swiftSettings: v5),
        // The frame index of `tally serve`: LMDB, fed from the frames topic.
        .target(name: "TallyIndex", dependencies: ["TallyCore", "TallyWire", "TallyKafka", "TallyLMDB", "TallyThreads"], swiftSettings: v5),
        // The HTTP service (`tally serve`): CloudKitty-compatible API, Tally's own API, metrics.
        .target(name: "TallyService", dependencies: [
            "TallyCore", "TallyWire", "TallyRuntime", "TallyRater", "TallyAudit", "TallyIndex", "TallyKafka", "TallyCrypto",
            "TallyEngine", "TallyThreads",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: v5),
        .target(name: "TallyTestSupport", dependencies: ["TallyCore", "TallyWire", "TallyKafka"], swiftSettings: v5),
        .target(name: "TallySeededRandom", swiftSettings: v5),
        .executableTarget(name: "tally", dependencies: [
            "TallyCore", "TallyWire", "TallyKafka", "TallyLMDB", "TallyScript", "TallyEngine", "TallyRuntime",
            "TallyRater", "TallyAudit", "TallyRoute", "TallyDemo", "TallyService", "TallyCrypto", "TallyThreads",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: v5),
        .executableTarget(name: "tally-bench", dependencies: [
            "TallyCore", "TallyWire", "TallyKafka", "TallyLMDB", "TallyScript", "TallyEngine", "TallyRuntime",
            "TallyRater", "TallyDemo", "TallyTestSupport", "TallyCrypto", "TallyIndex", "TallyService",
            "TallySeededRandom", "TallyThreads",
        ], path: "tools/bench", swiftSettings: v5),

        .testTarget(name: "TallyCoreTests", dependencies: [
            "TallyCore", "TallySeededRandom", .product(name: "PropertyBased", package: "swift-property-based"),
        ], swiftSettings: v5),
        .testTarget(name: "TallyWireTests", dependencies: ["TallyCore", "TallyWire", "TallyCrypto", "TallySeededRandom"],
                    resources: [.copy("Fixtures")], swiftSettings: v5),
        .testTarget(name: "TallyThreadsTests", dependencies: ["TallyThreads"], swiftSettings: v5),
        .testTarget(name: "TallyKafkaTests", dependencies: ["TallyKafka", "TallyTestSupport"], swiftSettings: v5),
        .testTarget(name: "TallyLMDBTests", dependencies: ["TallyLMDB"], swiftSettings: v5),
        .testTarget(name: "TallyScriptTests", dependencies: ["TallyScript", "TallyCore"], swiftSettings: v5),
        .testTarget(name: "TallyEngineTests", dependencies: ["TallyEngine", "TallyCore", "TallyWire", "TallySeededRandom"], swiftSettings: v5),
        .testTarget(name: "ServiceTests", dependencies: [
            "TallyCore", "TallyWire", "TallyRuntime", "TallyAudit", "TallyService", "TallyTestSupport", "TallyIndex", "TallyKafka",
            "TallyCrypto", "TallySeededRandom", "TallyThreads",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: v5),
        .testTarget(name: "EndToEndTests", dependencies: [
            "TallyCore", "TallyWire", "TallyKafka", "TallyLMDB", "TallyTestSupport", "TallyRuntime", "TallyRater", "TallyAudit",
            "TallyDemo", "TallyCrypto", "tally", "TallyIndex", "TallySeededRandom",
        ], swiftSettings: v5),
    ]
)
