import ArgumentParser
import Foundation
import PCRE2
import SupportBotKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Measure classification speed, serve throughput, start-up time and session memory.",
    discussion: """
      Runs in-process classification with the prefilter, deciding only the winner (what \
      `serve` and `chat` do when no explanation is asked for) and ranking every intent (what \
      explanations show), and with the naive loop (every pattern in turn), then starts `supportbot serve` to measure end-to-end throughput over \
      many interleaved sessions, the time to the first reply, and memory per live session. \
      Build in release mode (scripts/bench does). Figures depend on the machine and its load.
      """)

  @OptionGroup var bot: BotOptions

  @Option(help: "Messages to use, one per line (default: a built-in list of varied messages).")
  var messages: String?

  @Option(help: "Rounds per measurement; min, median and max are reported.")
  var rounds = 5

  @Option(help: "Messages classified per round (the list is repeated to reach it).")
  var perRound = 200_000

  @Option(help: "Interleaved sessions in the serve measurement.")
  var sessions = 10_000

  @Option(help: "Request lines sent per serve round.")
  var serveLines = 200_000

  @Option(
    help: ArgumentHelp(
      "Request lines each serve round sends and answers before its clock starts (0 to time "
        + "a cold server: the first tenth of a second after start-up runs every pattern while "
        + "the prefilter is built).",
      valueName: "lines"))
  var serveWarmup = 20_000

  @Option(help: "Sessions held open for the memory measurement.")
  var memorySessions = 100_000

  @Flag(help: "Skip the measurements that start `supportbot serve`.")
  var noServe = false

  @Option(
    help: ArgumentHelp(
      "Also list the N patterns that cost the most time, with what the prefilter knows.",
      valueName: "N"))
  var patterns: Int?

  @Flag(help: "Print a JSON report instead of text.")
  var json = false

  func validate() throws {
    guard rounds > 0 else { throw ValidationError("--rounds must be positive") }
    guard perRound > 0 else { throw ValidationError("--per-round must be positive") }
    guard sessions > 0 else { throw ValidationError("--sessions must be positive") }
    guard serveLines > 0 else { throw ValidationError("--serve-lines must be positive") }
    guard serveWarmup >= 0 else { throw ValidationError("--serve-warmup must not be negative") }
    guard memorySessions > 0 else { throw ValidationError("--memory-sessions must be positive") }
  }

  func run() throws {
    let loadStart = BenchClock.now()
    let loaded = try bot.loadBot()
    let loadSeconds = BenchClock.now() - loadStart
    let texts = try loadMessages()
    guard !texts.isEmpty else {
      stderr("supportbot bench: no messages to classify")
      throw ExitCode(1)
    }
    var report = BenchReport()
    report.sessions = sessions
    report.serveLines = serveLines
    report.serveWarmup = serveWarmup
    report.memorySessions = memorySessions
    report.setup(bot: loaded, messages: texts, loadSeconds: loadSeconds)
    if _isDebugAssertConfiguration() {
      report.notes.append("debug build: numbers are not representative (use scripts/bench)")
    }
    progress("classifying with the prefilter (winner only)")
    report.prefilter = classify(Matcher(bot: loaded), texts, perRound: perRound, .winner)
    progress("classifying with the prefilter (full ranking)")
    report.fullRanking = classify(Matcher(bot: loaded), texts, perRound: perRound, .full)
    progress("classifying with the naive loop")
    report.naive = classify(
      Matcher(bot: loaded, prefilter: false), texts, perRound: max(perRound / 10, 1), .full)
    report.prefilterStats(Matcher(bot: loaded), texts)
    if let patterns {
      progress("timing every pattern")
      report.costs = PatternCosts.measure(loaded, texts, top: patterns)
    }
    progress("serving in-process")
    report.protocolInProcess = protocolInProcess(loaded, texts)
    progress("memory per session in-process")
    report.memoryInProcess = memoryInProcess(loaded, texts)
    if !noServe {
      do {
        let binary = try executablePath()
        let args = serveArguments()
        progress("serve: start-up")
        report.startup = try startup(binary, args)
        progress("serve: throughput")
        report.serve = try serveThroughput(binary, args, texts)
        report.notes.append(
          "serve is timed over \(serveLines) lines after \(serveWarmup) warm-up lines per round "
            + "(start-up is measured on its own)")
        progress("serve: memory per session")
        report.memoryServe = try serveMemory(binary, args, texts)
      } catch {
        report.notes.append("serve measurements skipped: \(error)")
      }
    }
    if json {
      print(report.json())
    } else {
      print(report.text())
    }
  }

  private func progress(_ s: String) {
    if !json { stderr("bench: \(s)…") }
  }

  private func loadMessages() throws -> [String] {
    guard let messages else { return BenchMessages.all }
    guard let data = FileManager.default.contents(atPath: messages) else {
      stderr("supportbot bench: cannot read \(messages)")
      throw ExitCode(1)
    }
    return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
  }

  /// The arguments that start `serve` on the same bot, on a fixed date.
  private func serveArguments() -> [String] {
    var args = ["serve", "--intents", bot.directory, "--today", "2026-01-15"]
    if let p = bot.platform { args += ["--platform", p] }
    args += ["--max-sessions", String(max(memorySessions, sessions) + 10)]
    return args
  }

  // MARK: In-process classification

  private func classify(
    _ matcher: Matcher, _ texts: [String], perRound: Int, _ ranking: Ranking
  ) -> ClassifyRounds {
    var out = ClassifyRounds()
    var sink = 0
    // Warm-up.
    for t in texts.prefix(2000) { sink &+= matcher.classify(t, ranking: ranking).candidates.count }
    let perPass = texts.count
    let passes = max(1, (perRound + perPass - 1) / perPass)
    var latencies = [Double](repeating: 0, count: texts.count)
    for _ in 0..<rounds {
      var start = BenchClock.cpu()
      for _ in 0..<passes {
        for t in texts { sink &+= matcher.classify(t, ranking: ranking).candidates.count }
      }
      var elapsed = BenchClock.cpu() - start
      out.throughput.append(Double(passes * perPass) / elapsed)
      // The part before PCRE2: normalising and prefiltering alone.
      start = BenchClock.cpu()
      for _ in 0..<passes {
        for t in texts { sink &+= matcher.patternsToRun(t) }
      }
      elapsed = BenchClock.cpu() - start
      out.beforeMatching.append(elapsed / Double(passes * perPass) * 1e6)
      for (k, t) in texts.enumerated() {
        let a = BenchClock.now()
        sink &+= matcher.classify(t, ranking: ranking).candidates.count
        latencies[k] = BenchClock.now() - a
      }
      latencies.sort()
      out.p50.append(percentile(latencies, 0.50) * 1e6)
      out.p99.append(percentile(latencies, 0.99) * 1e6)
    }
    out.sink = sink
    return out
  }

  // MARK: In-process protocol

  /// Request lines: `count` turns spread round-robin over `sessions` sessions.
  static func requestLines(_ texts: [String], count: Int, sessions: Int, from: Int = 0)
    -> [UInt8]
  {
    var out: [UInt8] = []
    out.reserveCapacity(count * 80)
    for k in from..<(from + count) {
      out += Array("{\"id\":\(k),\"session\":\"s\(k % sessions)\",\"text\":".utf8)
      BenchJSON.appendString(texts[k % texts.count], to: &out)
      out += Array("}\n".utf8)
    }
    return out
  }

  private func protocolInProcess(_ bot: Bot, _ texts: [String]) -> Rounds {
    var r = Rounds()
    let input = Self.requestLines(texts, count: serveLines, sessions: sessions)
    let today = CivilDate(iso: "2026-01-15") ?? CivilDate.today(secondsSince1970: 0)
    for _ in 0..<rounds {
      var options = ProtocolServer.Options()
      options.maxSessions = sessions + 10
      let server = ProtocolServer(engine: Engine(bot: bot), options: options)
      var out: [UInt8] = []
      out.reserveCapacity(1 << 20)
      let start = BenchClock.cpu()
      input.withUnsafeBufferPointer { buf in
        var lineStart = 0
        for k in 0..<buf.count where buf[k] == 0x0A {
          server.handle(
            line: UnsafeBufferPointer(rebasing: buf[lineStart..<k]), now: 0, today: today,
            into: &out)
          lineStart = k + 1
          if out.count > 1 << 20 { out.removeAll(keepingCapacity: true) }
        }
      }
      r.values.append(Double(serveLines) / (BenchClock.cpu() - start))
    }
    return r
  }

  /// Bytes of resident memory each idle session costs inside a `ProtocolServer`.
  private func memoryInProcess(_ bot: Bot, _ texts: [String]) -> Double? {
    var options = ProtocolServer.Options()
    options.maxSessions = memorySessions + 10
    let server = ProtocolServer(engine: Engine(bot: bot), options: options)
    let today = CivilDate(iso: "2026-01-15") ?? CivilDate.today(secondsSince1970: 0)
    var out: [UInt8] = []
    // Warm up the engine so lazily built state is not counted.
    _ = server.handle("{\"session\":\"warm\",\"text\":\"hi\"}", today: today)
    guard let before = BenchProcess.residentBytes(pid: getpid()) else { return nil }
    let input = Self.requestLines(texts, count: memorySessions, sessions: memorySessions)
    input.withUnsafeBufferPointer { buf in
      var lineStart = 0
      for k in 0..<buf.count where buf[k] == 0x0A {
        server.handle(
          line: UnsafeBufferPointer(rebasing: buf[lineStart..<k]), now: 0, today: today,
          into: &out)
        out.removeAll(keepingCapacity: true)
        lineStart = k + 1
      }
    }
    guard let after = BenchProcess.residentBytes(pid: getpid()) else { return nil }
    withExtendedLifetime(server) {}
    return Double(after - before) / Double(memorySessions)
  }

  // MARK: The serve process

  private func executablePath() throws -> String {
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buf, buf.count - 1)
    guard n > 0 else { throw BenchError("cannot find the supportbot executable") }
    return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  private func startup(_ binary: String, _ args: [String]) throws -> Rounds {
    var r = Rounds()
    let line = Array("{\"id\":1,\"session\":\"a\",\"text\":\"hi\"}\n".utf8)
    for _ in 0..<max(rounds, 5) {
      let start = BenchClock.now()
      let p = try BenchProcess(binary, args)
      p.write(line)
      guard p.readLines(1) == 1 else { throw BenchError("serve gave no reply") }
      r.values.append((BenchClock.now() - start) * 1000)
      p.closeInput()
      p.wait()
    }
    return r
  }

  private func serveThroughput(_ binary: String, _ args: [String], _ texts: [String]) throws
    -> Rounds
  {
    var r = Rounds()
    let input = Self.requestLines(texts, count: serveLines, sessions: sessions)
    // The same sessions, other messages: the timed lines continue live conversations.
    let warmup = Self.requestLines(
      texts, count: serveWarmup, sessions: sessions, from: serveLines)
    for _ in 0..<rounds {
      let p = try BenchProcess(binary, args)
      p.write(Array("{\"id\":0,\"session\":\"warm\",\"text\":\"hi\"}\n".utf8))
      guard p.readLines(1) == 1 else { throw BenchError("serve gave no reply") }
      if serveWarmup > 0 {
        let writer = p.writeInBackground(warmup)
        let got = p.readLines(serveWarmup)
        writer.join()
        guard got == serveWarmup else {
          throw BenchError("serve answered \(got) of \(serveWarmup) warm-up lines")
        }
      }
      let start = BenchClock.now()
      let writer = p.writeInBackground(input)
      let got = p.readLines(serveLines)
      let elapsed = BenchClock.now() - start
      writer.join()
      p.closeInput()
      p.wait()
      guard got == serveLines else {
        throw BenchError("serve answered \(got) of \(serveLines) lines")
      }
      r.values.append(Double(serveLines) / elapsed)
    }
    return r
  }

  private func serveMemory(_ binary: String, _ args: [String], _ texts: [String]) throws
    -> Double?
  {
    let p = try BenchProcess(binary, args)
    defer {
      p.closeInput()
      p.wait()
    }
    p.write(Array("{\"id\":0,\"session\":\"warm\",\"text\":\"hi\"}\n".utf8))
    guard p.readLines(1) == 1 else { throw BenchError("serve gave no reply") }
    guard let before = BenchProcess.residentBytes(pid: p.pid) else { return nil }
    let input = Self.requestLines(texts, count: memorySessions, sessions: memorySessions)
    let writer = p.writeInBackground(input)
    let got = p.readLines(memorySessions)
    writer.join()
    guard got == memorySessions else {
      throw BenchError("serve answered \(got) of \(memorySessions) lines")
    }
    guard let after = BenchProcess.residentBytes(pid: p.pid) else { return nil }
    return Double(after - before) / Double(memorySessions)
  }
}

struct BenchError: Error, CustomStringConvertible {
  var description: String
  init(_ d: String) { description = d }
}

func percentile(_ sorted: [Double], _ q: Double) -> Double {
  guard !sorted.isEmpty else { return 0 }
  let i = min(sorted.count - 1, max(0, Int((Double(sorted.count) * q).rounded(.up)) - 1))
  return sorted[i]
}

enum BenchClock {
  /// Monotonic seconds.
  static func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
  }

  /// CPU seconds used by this thread: throughput on one core, unaffected by other processes
  /// taking turns on the machine.
  static func cpu() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
  }
}

/// Repeated measurements of one quantity.
struct Rounds {
  var values: [Double] = []
  var min: Double { values.min() ?? 0 }
  var max: Double { values.max() ?? 0 }
  var median: Double { percentile(values.sorted(), 0.5) }
  var object: [String: Any] {
    ["min": min, "median": median, "max": max, "rounds": values]
  }
}

struct ClassifyRounds {
  var throughput: [Double] = []
  var p50: [Double] = []
  var p99: [Double] = []
  /// Microseconds per message spent normalising and prefiltering.
  var beforeMatching: [Double] = []
  var sink = 0
  var rate: Rounds { Rounds(values: throughput) }
  var p50Rounds: Rounds { Rounds(values: p50) }
  var p99Rounds: Rounds { Rounds(values: p99) }
  var beforeRounds: Rounds { Rounds(values: beforeMatching) }
}

enum BenchJSON {
  /// Appends `s` as a JSON string literal.
  static func appendString(_ s: String, to out: inout [UInt8]) {
    out.append(0x22)
    for b in s.utf8 {
      switch b {
      case 0x22: out += [0x5C, 0x22]
      case 0x5C: out += [0x5C, 0x5C]
      case 0x0A: out += [0x5C, 0x6E]
      case 0x0D: out += [0x5C, 0x72]
      case 0x09: out += [0x5C, 0x74]
      case 0..<0x20:
        let hex = Array("0123456789abcdef".utf8)
        out += [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]]
      default: out.append(b)
      }
    }
    out.append(0x22)
  }
}

/// A child process with pipes to its standard input and output.
final class BenchProcess: @unchecked Sendable {
  let pid: pid_t
  private var input: Int32
  private let output: Int32
  private var pending: [UInt8] = []

  init(_ path: String, _ args: [String]) throws {
    var toChild: [Int32] = [0, 0]
    var fromChild: [Int32] = [0, 0]
    guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else { throw BenchError("pipe failed") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
    posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
    for fd in toChild + fromChild { posix_spawn_file_actions_addclose(&actions, fd) }
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + args).map { strdup($0) } + [nil]
    defer { for a in argv { free(a) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
    close(toChild[0])
    close(fromChild[1])
    guard rc == 0 else {
      close(toChild[1])
      close(fromChild[0])
      throw BenchError("cannot start \(path): error \(rc)")
    }
    self.pid = pid
    self.input = toChild[1]
    self.output = fromChild[0]
  }

  deinit {
    if input >= 0 { close(input) }
    close(output)
  }

  func write(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { raw in
      guard let base = raw.baseAddress else { return }
      var off = 0
      while off < raw.count {
        let n = Glibc.write(input, base + off, raw.count - off)
        if n <= 0 {
          if n < 0 && errno == EINTR { continue }
          return
        }
        off += n
      }
    }
  }

  /// Writes `bytes` from another thread (so the child's output can be read meanwhile).
  func writeInBackground(_ bytes: [UInt8]) -> BenchThread {
    BenchThread { self.write(bytes) }
  }

  func closeInput() {
    if input >= 0 {
      close(input)
      input = -1
    }
  }

  /// Reads until `count` newlines have arrived or the output ends; returns how many did.
  func readLines(_ count: Int) -> Int {
    // The reader shares the machine with the server it measures: count with memchr, not a
    // byte loop, so that counting costs as little of the CPU as it can.
    var seen = 0
    let size = 1 << 16
    let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    defer { buf.deallocate() }
    while seen < count {
      let n = read(output, buf, size)
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { break }
      var p = UnsafeRawPointer(buf)
      let end = p + n
      while p < end, let nl = memchr(p, 0x0A, end - p) {
        seen += 1
        p = UnsafeRawPointer(nl) + 1
      }
    }
    return seen
  }

  func wait() {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
  }

  /// Resident set size of a process, from /proc.
  static func residentBytes(pid: pid_t) -> Int? {
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/status") else {
      return nil
    }
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n")
    where line.hasPrefix("VmRSS:") {
      let kb = line.split(separator: " ").compactMap { Int($0) }.first
      return kb.map { $0 * 1024 }
    }
    return nil
  }
}

/// A joinable thread.
final class BenchThread: @unchecked Sendable {
  private let done = DispatchSemaphore(value: 0)

  init(_ body: @escaping @Sendable () -> Void) {
    let done = self.done
    Thread.detachNewThread {
      body()
      done.signal()
    }
  }

  func join() { done.wait() }
}

/// What `bench` measured, as text or JSON.
struct BenchReport {
  var intents = 0
  var patterns = 0
  var alwaysRun = 0
  var literals = 0
  var automatonStates = 0
  var loadMilliseconds = 0.0
  var messageCount = 0
  var meanBytes = 0.0
  var maxBytes = 0
  var meanPatternsRun = 0.0
  /// What the prefilter decides about: patterns, or their branches when split.
  var units = 0
  /// With the prefilter: deciding the winner only, and ranking every intent.
  var prefilter = ClassifyRounds()
  var fullRanking = ClassifyRounds()
  var naive = ClassifyRounds()
  var protocolInProcess = Rounds()
  var memoryInProcess: Double?
  var serve: Rounds?
  var startup: Rounds?
  var memoryServe: Double?
  var notes: [String] = []
  var sessions = 0
  var serveLines = 0
  var serveWarmup = 0
  var memorySessions = 0
  var costs: [PatternCosts.Entry]?

  mutating func setup(bot: Bot, messages: [String], loadSeconds: Double) {
    intents = bot.intents.count
    patterns = bot.intents.reduce(0) { $0 + $1.patterns.count + $1.exclusions.count }
    loadMilliseconds = loadSeconds * 1000
    messageCount = messages.count
    let sizes = messages.map(\.utf8.count)
    meanBytes = Double(sizes.reduce(0, +)) / Double(max(sizes.count, 1))
    maxBytes = sizes.max() ?? 0
  }

  mutating func prefilterStats(_ matcher: Matcher, _ texts: [String]) {
    guard let pf = matcher.prefilter else { return }
    alwaysRun = pf.alwaysRunCount
    units = pf.patternCount
    literals = pf.literalCount
    automatonStates = pf.automatonStates
    let scratch = PrefilterScratch(for: pf)
    var total = 0
    for t in texts {
      let bytes = Array(matcher.bot.normalizer.normalize(t).utf8)
      bytes.withUnsafeBufferPointer { pf.run($0, scratch) }
      total += scratch.survivors.count
    }
    meanPatternsRun = Double(total) / Double(max(texts.count, 1))
  }

  var speedup: Double {
    let n = naive.rate.median
    return n > 0 ? fullRanking.rate.median / n : 0
  }

  static var machine: String {
    let cores = sysconf(Int32(_SC_NPROCESSORS_ONLN))
    var model = "unknown CPU"
    if let data = FileManager.default.contents(atPath: "/proc/cpuinfo") {
      for line in String(decoding: data, as: UTF8.self).split(separator: "\n")
      where line.hasPrefix("model name") {
        model =
          line.split(separator: ":", maxSplits: 1).last.map {
            $0.trimmingCharacters(in: .whitespaces)
          } ?? model
        break
      }
    }
    var load = ""
    if let data = FileManager.default.contents(atPath: "/proc/loadavg") {
      load =
        ", load average "
        + (String(decoding: data, as: UTF8.self).split(separator: " ").first ?? "?")
    }
    return "\(cores) cores, \(model)\(load)"
  }

  struct Target {
    var name: String
    var goal: String
    var measured: String
    var met: Bool?
  }

  var targets: [Target] {
    var t: [Target] = []
    let rate = prefilter.rate.median
    t.append(
      Target(
        name: "classification", goal: "≥ 1,000,000 msg/s", measured: Self.int(rate) + " msg/s",
        met: rate >= 1_000_000))
    t.append(
      Target(
        name: "vs naive loop (both ranking every intent)", goal: "≥ 10×",
        measured: String(format: "%.1f×", speedup),
        met: speedup >= 10))
    if let serve {
      t.append(
        Target(
          name: "serve", goal: "≥ 250,000 msg/s", measured: Self.int(serve.median) + " msg/s",
          met: serve.median >= 250_000))
    }
    if let startup {
      t.append(
        Target(
          name: "start-up to first reply", goal: "≤ 50 ms",
          measured: String(format: "%.1f ms", startup.median), met: startup.median <= 50))
    }
    if let m = memoryServe ?? memoryInProcess {
      t.append(
        Target(
          name: "memory per idle session", goal: "≤ 2,048 bytes",
          measured: Self.int(m) + " bytes", met: m <= 2048))
    }
    return t
  }

  static func int(_ v: Double) -> String {
    let n = Int(v.rounded())
    let s = String(abs(n))
    var out = ""
    for (k, c) in s.enumerated() {
      if k > 0 && (s.count - k) % 3 == 0 { out.append(",") }
      out.append(c)
    }
    return (n < 0 ? "-" : "") + out
  }

  func text() -> String {
    var lines: [String] = []
    lines.append(
      "bot: \(intents) intents, \(patterns) patterns (\(alwaysRun) always run, "
        + "\(literals) literals, \(automatonStates) automaton states), loaded in \(String(format: "%.1f", loadMilliseconds)) ms"
    )
    lines.append(
      "messages: \(messageCount) (mean \(Int(meanBytes)) bytes, longest \(maxBytes)); "
        + String(format: "%.1f", meanPatternsRun) + " of \(units) patterns or branches pass the"
        + " prefilter on average")
    lines.append("machine: \(Self.machine)")
    lines.append(
      "in-process rates are per CPU second of one thread; latencies and serve are wall clock")
    lines.append("")
    func row(_ name: String, _ unit: String, _ r: Rounds, _ f: (Double) -> String) -> String {
      name.padding(toLength: 36, withPad: " ", startingAt: 0)
        + [f(r.min), f(r.median), f(r.max)].map {
          $0.padding(toLength: 14, withPad: " ", startingAt: 0)
        }.joined() + unit
    }
    let i = Self.int
    let us = { (v: Double) in String(format: "%.2f", v) }
    lines.append(
      "".padding(toLength: 36, withPad: " ", startingAt: 0)
        + ["min", "median", "max"].map { $0.padding(toLength: 14, withPad: " ", startingAt: 0) }
        .joined())
    lines.append(row("classify, winner only", "msg/s", prefilter.rate, i))
    lines.append(row("  latency p50", "µs", prefilter.p50Rounds, us))
    lines.append(row("  latency p99", "µs", prefilter.p99Rounds, us))
    lines.append(row("  normalise + prefilter", "µs", prefilter.beforeRounds, us))
    lines.append(row("classify, full ranking", "msg/s", fullRanking.rate, i))
    lines.append(row("  latency p50", "µs", fullRanking.p50Rounds, us))
    lines.append(row("  latency p99", "µs", fullRanking.p99Rounds, us))
    lines.append(row("classify, naive loop", "msg/s", naive.rate, i))
    lines.append(row("  latency p50", "µs", naive.p50Rounds, us))
    lines.append(row("  latency p99", "µs", naive.p99Rounds, us))
    lines.append(
      "full ranking vs the naive loop".padding(toLength: 36, withPad: " ", startingAt: 0)
        + String(format: "%.1f×", speedup))
    lines.append(
      row("protocol in-process (\(i(Double(sessions))) sess.)", "msg/s", protocolInProcess, i))
    if let serve {
      lines.append(row("serve end to end (\(i(Double(sessions))) sess.)", "msg/s", serve, i))
    }
    if let startup {
      lines.append(row("start-up to first reply", "ms", startup) { String(format: "%.1f", $0) })
    }
    if let m = memoryServe {
      lines.append(
        "memory per session, serve RSS".padding(toLength: 36, withPad: " ", startingAt: 0)
          + "\(i(m)) bytes (\(i(Double(memorySessions))) sessions)")
    }
    if let m = memoryInProcess {
      lines.append(
        "memory per session, in-process".padding(toLength: 36, withPad: " ", startingAt: 0)
          + "\(i(m)) bytes (\(i(Double(memorySessions))) sessions)")
    }
    if let costs {
      lines.append("")
      lines.append("costliest patterns (total PCRE2 time over the message list, prefilter on):")
      for c in costs {
        lines.append(
          "  \(String(format: "%8.1f", c.microseconds)) µs  runs \(c.runs)/\(c.messages)  "
            + "matches \(c.matches)  \(c.location)")
        lines.append("      needs: \(c.requirement.prefix(160))")
      }
    }
    lines.append("")
    lines.append("targets:")
    for t in targets {
      let mark = t.met == true ? "met" : "NOT met"
      lines.append("  \(t.name): \(t.measured) (goal \(t.goal)) — \(mark)")
    }
    for n in notes { lines.append("note: \(n)") }
    return lines.joined(separator: "\n")
  }

  func json() -> String {
    func classify(_ c: ClassifyRounds) -> [String: Any] {
      [
        "messages_per_second": c.rate.object, "p50_microseconds": c.p50Rounds.object,
        "p99_microseconds": c.p99Rounds.object,
        "normalise_and_prefilter_microseconds": c.beforeRounds.object,
      ]
    }
    var o: [String: Any] = [
      "bot": [
        "intents": intents, "patterns": patterns, "always_run": alwaysRun, "literals": literals,
        "automaton_states": automatonStates,
        "load_milliseconds": loadMilliseconds,
      ],
      "messages": [
        "count": messageCount, "mean_bytes": meanBytes, "max_bytes": maxBytes,
        "mean_units_run": meanPatternsRun, "units": units,
      ],
      "machine": Self.machine,
      "classify_prefilter": classify(prefilter),
      "classify_full_ranking": classify(fullRanking),
      "classify_naive": classify(naive),
      "speedup": speedup,
      "protocol_in_process": [
        "messages_per_second": protocolInProcess.object, "sessions": sessions,
        "lines": serveLines,
      ],
      "targets": targets.map {
        ["name": $0.name, "goal": $0.goal, "measured": $0.measured, "met": $0.met ?? false]
      },
      "notes": notes,
    ]
    if let serve {
      o["serve"] = [
        "messages_per_second": serve.object, "sessions": sessions, "lines": serveLines,
        "warmup_lines": serveWarmup,
      ]
    }
    if let startup { o["startup_milliseconds"] = startup.object }
    if let costs {
      o["costliest_patterns"] = costs.map {
        [
          "location": $0.location, "microseconds": $0.microseconds, "runs": $0.runs,
          "matches": $0.matches, "requirement": $0.requirement,
        ] as [String: Any]
      }
    }
    var memory: [String: Any] = ["sessions": memorySessions]
    if let m = memoryServe { memory["serve_bytes_per_session"] = m }
    if let m = memoryInProcess { memory["in_process_bytes_per_session"] = m }
    o["memory"] = memory
    guard
      let data = try? JSONSerialization.data(
        withJSONObject: o, options: [.sortedKeys, .prettyPrinted])
    else { return "{}" }
    return String(decoding: data, as: UTF8.self)
  }
}

/// Time spent in each pattern over a message list, with the prefilter deciding what runs.
enum PatternCosts {
  struct Entry {
    var location: String
    var requirement: String
    var microseconds: Double
    var runs: Int
    var matches: Int
    var messages: Int
  }

  static func measure(_ bot: Bot, _ texts: [String], top: Int) -> [Entry] {
    let patterns = bot.intents.flatMap { $0.patterns + $0.exclusions }
    let pf = Prefilter(
      patterns: patterns.map { ($0.source, $0.compiled.options.contains(.extended)) })
    let pfs = PrefilterScratch(for: pf)
    let scratch = MatchScratch(groups: patterns.map(\.compiled.captureCount).max() ?? 0)
    var time = [Double](repeating: 0, count: patterns.count)
    var runs = [Int](repeating: 0, count: patterns.count)
    var matches = [Int](repeating: 0, count: patterns.count)
    for t in texts {
      let bytes = Array(bot.normalizer.normalize(t).utf8)
      bytes.withUnsafeBufferPointer { buf in
        pf.run(buf, pfs)
        for p in pfs.survivors {
          let k = Int(p)
          let start = BenchClock.now()
          var hit = false
          for _ in 0..<5 {
            hit = ((try? patterns[k].compiled.firstMatch(in: buf, scratch: scratch)) ?? nil) != nil
          }
          time[k] += (BenchClock.now() - start) / 5
          runs[k] += 1
          if hit { matches[k] += 1 }
        }
      }
    }
    return patterns.indices.sorted { time[$0] > time[$1] }.prefix(top).map { k in
      Entry(
        location: patterns[k].location.description, requirement: pf.requirements[k].description,
        microseconds: time[k] * 1e6, runs: runs[k], matches: matches[k], messages: texts.count)
    }
  }
}
