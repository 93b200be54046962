// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "supportbot",
  products: [
    .executable(name: "supportbot", targets: ["supportbot"]),
    .library(name: "SupportBotKit", targets: ["SupportBotKit"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
  ],
  targets: [
    // The only C in the project: libpcre2-8, found through pkg-config.
    .systemLibrary(
      name: "CPCRE2",
      pkgConfig: "libpcre2-8",
      providers: [.apt(["libpcre2-dev"])]
    ),
    // The only module that imports CPCRE2.
    .target(name: "PCRE2", dependencies: ["CPCRE2"]),
    // libsqlite3 for durable sessions, found through pkg-config.
    .systemLibrary(
      name: "CSQLite",
      pkgConfig: "sqlite3",
      providers: [.apt(["libsqlite3-dev"])]
    ),
    // The only module that imports CSQLite.
    .target(name: "SQLite", dependencies: ["CSQLite"]),
    .target(
      name: "SupportBotKit",
      dependencies: ["PCRE2", "SQLite", .product(name: "Yams", package: "Yams")]
    ),
    .executableTarget(
      name: "supportbot",
      dependencies: [
        "SupportBotKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .testTarget(name: "PCRE2Tests", dependencies: ["PCRE2"]),
    .testTarget(name: "SupportBotKitTests", dependencies: ["SupportBotKit", "SQLite"]),
    // One test case per file in Transcripts/.
    .testTarget(name: "TranscriptTests", dependencies: ["SupportBotKit", "supportbot"]),
    // Runs the built `supportbot` binary; depending on it makes `swift test` build it first.
    .testTarget(
      name: "EndToEndTests", dependencies: ["supportbot", "SupportBotKit"], exclude: ["Fixtures"]),
  ]
)
