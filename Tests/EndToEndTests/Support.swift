import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Paths the end-to-end tests need: the built binary and the fixture bot.
enum Paths {
  static let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static let fixtureBot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/bot").path

  static let shippedBot = root.appendingPathComponent("Intents").path

  /// The `supportbot` executable of this build: `SUPPORTBOT_BIN`, else next to the test
  /// bundle in the build products directory, else `.build/debug/supportbot`.
  static let binary: String = {
    let fm = FileManager.default
    if let env = ProcessInfo.processInfo.environment["SUPPORTBOT_BIN"] { return env }
    var dirs: [URL] = []
    if let exe = Bundle.main.executableURL { dirs.append(exe.deletingLastPathComponent()) }
    dirs.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
    dirs.append(Bundle.main.bundleURL.deletingLastPathComponent())
    dirs.append(root.appendingPathComponent(".build/debug"))
    for d in dirs {
      let p = d.appendingPathComponent("supportbot").path
      if fm.isExecutableFile(atPath: p) { return p }
    }
    return root.appendingPathComponent(".build/debug/supportbot").path
  }()
}

/// What a finished run of the binary printed and returned.
struct RunResult {
  var stdout: Data
  var stderr: Data
  var status: Int32
  var out: String { String(decoding: stdout, as: UTF8.self) }
  var err: String { String(decoding: stderr, as: UTF8.self) }
  var lines: [String] {
    out.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
  }
}

/// Runs `executable` with `stdin` from a file and stdout/stderr to files (no pipe deadlocks
/// with megabytes of input or output).
func run(
  _ args: [String], stdin: Data = Data(), environment: [String: String] = [:],
  executable: String = Paths.binary
) throws -> RunResult {
  let dir = FileManager.default.temporaryDirectory
    .appendingPathComponent("supportbot-e2e-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: dir) }
  let inURL = dir.appendingPathComponent("in")
  let outURL = dir.appendingPathComponent("out")
  let errURL = dir.appendingPathComponent("err")
  try stdin.write(to: inURL)
  FileManager.default.createFile(atPath: outURL.path, contents: nil)
  FileManager.default.createFile(atPath: errURL.path, contents: nil)
  let p = Process()
  p.executableURL = URL(fileURLWithPath: executable)
  p.arguments = args
  var env = ProcessInfo.processInfo.environment
  env["NO_COLOR"] = nil
  for (k, v) in environment { env[k] = v }
  p.environment = env
  p.standardInput = try FileHandle(forReadingFrom: inURL)
  p.standardOutput = try FileHandle(forWritingTo: outURL)
  p.standardError = try FileHandle(forWritingTo: errURL)
  try p.run()
  p.waitUntilExit()
  return RunResult(
    stdout: try Data(contentsOf: outURL), stderr: try Data(contentsOf: errURL),
    status: p.terminationStatus)
}

/// Parses one JSON reply line.
func object(_ line: String) throws -> [String: Any] {
  let o = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
  return try #require(o as? [String: Any])
}

/// A running `supportbot` (or a wrapper such as `script`) fed through a pipe, for tests that
/// must see a reply before sending the next input: flushing, signals, keys at a terminal.
final class LiveProcess: @unchecked Sendable {
  let process = Process()
  private let input = Pipe()
  private let output = Pipe()
  private let lock = NSLock()
  private var buffer = Data()
  private var closed = false
  private let arrived = DispatchSemaphore(value: 0)

  init(
    _ args: [String], environment: [String: String] = [:], executable: String = Paths.binary
  ) throws {
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = args
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = nil
    for (k, v) in environment { env[k] = v }
    process.environment = env
    process.standardInput = input
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    output.fileHandleForReading.readabilityHandler = { [weak self] h in
      let d = h.availableData
      guard let self else { return }
      self.lock.lock()
      if d.isEmpty { self.closed = true } else { self.buffer.append(d) }
      self.lock.unlock()
      self.arrived.signal()
      if d.isEmpty { h.readabilityHandler = nil }
    }
    try process.run()
  }

  func send(_ line: String) {
    input.fileHandleForWriting.write(Data((line + "\n").utf8))
  }

  /// Writes `bytes` as they are, with no newline (a key such as Ctrl-C).
  func type(_ bytes: String) {
    input.fileHandleForWriting.write(Data(bytes.utf8))
  }

  /// Waits up to `timeout` seconds until the output so far contains `text`; consumes nothing.
  func waitFor(_ text: String, timeout: Double = 10) -> Bool {
    let needle = Data(text.utf8)
    return waitForOutput(timeout: timeout) { $0.range(of: needle) != nil ? true : nil } ?? false
  }

  func closeInput() { try? input.fileHandleForWriting.close() }

  /// Waits up to `timeout` seconds for a complete line and returns it.
  func readLine(timeout: Double = 10) -> String? {
    waitForOutput(timeout: timeout) { buffer in
      guard let nl = buffer.firstIndex(of: 0x0A) else { return nil }
      let line = buffer[buffer.startIndex..<nl]
      buffer.removeSubrange(buffer.startIndex...nl)
      return String(decoding: line, as: UTF8.self)
    }
  }

  /// Runs `take` on the output received so far, under the lock, until it returns a value, the
  /// output ends, or `timeout` seconds pass (nil then).
  private func waitForOutput<T>(timeout: Double, _ take: (inout Data) -> T?) -> T? {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      lock.lock()
      let value = take(&buffer)
      let done = closed
      lock.unlock()
      if let value { return value }
      let left = deadline.timeIntervalSinceNow
      if done || left <= 0 { return nil }
      _ = arrived.wait(timeout: .now() + left)
    }
  }

  /// Waits for the process to exit (up to `timeout` seconds) and returns its status.
  func wait(timeout: Double = 10) -> Int32? { process.waitForExit(timeout: timeout) }

  deinit {
    if process.isRunning { process.terminate() }
  }
}

extension Process {
  /// Waits up to `timeout` seconds for the process to exit; its status, or nil if it is still
  /// running.
  func waitForExit(timeout: Double) -> Int32? {
    let deadline = Date().addingTimeInterval(timeout)
    while isRunning {
      if Date() > deadline { return nil }
      usleep(10_000)
    }
    return terminationStatus
  }
}
