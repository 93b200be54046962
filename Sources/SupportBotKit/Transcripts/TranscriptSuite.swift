import Foundation

/// Finds, filters and replays a set of transcript files: what `supportbot test` and the test
/// target share.
public struct TranscriptSuite {
  public struct Result: Sendable {
    public var outcomes: [TranscriptOutcome]
    public var coverage: TranscriptCoverage?

    public var passed: Int { outcomes.filter(\.passed).count }
    public var failed: Int { outcomes.count - passed }
    /// The summary line, exactly `N passed, N failed`.
    public var summary: String { "\(passed) passed, \(failed) failed" }
  }

  /// A transcript that could not be found or read.
  public struct PathError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var description: String { "\(path): no such file or directory" }
  }

  /// Every `.convo` file under `paths` (files as given, directories recursively), sorted.
  public static func files(in paths: [String]) throws(PathError) -> [String] {
    var out: [String] = []
    for path in paths {
      var isDir: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
        throw PathError(path: path)
      }
      if !isDir.boolValue {
        out.append(path)
        continue
      }
      let base = path.hasSuffix("/") ? String(path.dropLast()) : path
      var found: [String] = []
      if let e = FileManager.default.enumerator(atPath: path) {
        while let rel = e.nextObject() as? String {
          if rel.hasSuffix("." + TranscriptSyntax.fileExtension) { found.append(base + "/" + rel) }
        }
      }
      out += found.sorted()
    }
    return out
  }

  public let runner: TranscriptRunner
  /// Keep transcripts whose title or path contains this (case-insensitive).
  public var nameFilter: String?
  /// Keep transcripts that carry every one of these tags.
  public var tags: [String]

  public init(bot: Bot, nameFilter: String? = nil, tags: [String] = []) {
    self.runner = TranscriptRunner(bot: bot)
    self.nameFilter = nameFilter
    self.tags = tags
  }

  func selected(_ t: Transcript) -> Bool {
    if let f = nameFilter?.lowercased(), !f.isEmpty,
      !t.title.lowercased().contains(f) && !t.path.lowercased().contains(f)
    {
      return false
    }
    return tags.allSatisfy { t.tags.contains($0) }
  }

  /// Replays the files; files that fail to parse are reported (a filter cannot hide them
  /// unless their path does not match a name filter).
  public func run(_ files: [String], coverage wantCoverage: Bool = false) -> Result {
    var coverage: TranscriptCoverage? = wantCoverage ? TranscriptCoverage(bot: runner.bot) : nil
    var outcomes: [TranscriptOutcome] = []
    for file in files {
      do {
        let clock = ContinuousClock()
        let start = clock.now
        let t = try TranscriptParser.parse(file: file)
        guard selected(t) else { continue }
        var outcome = runner.run(t, coverage: &coverage)
        let elapsed = clock.now - start
        outcome.seconds =
          Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        outcomes.append(outcome)
      } catch {
        if let f = nameFilter?.lowercased(), !f.isEmpty, !file.lowercased().contains(f) {
          continue
        }
        if !tags.isEmpty { continue }
        outcomes.append(
          TranscriptOutcome(
            path: file, title: file, tags: [], errors: error.diagnostics, failures: [], turns: 0))
      }
    }
    return Result(outcomes: outcomes, coverage: coverage)
  }
}

/// Writes results in the JUnit XML format CI systems read: one `testcase` per transcript.
public enum JUnitWriter {
  public static func xml(_ result: TranscriptSuite.Result, suiteName: String = "transcripts")
    -> String
  {
    var out = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>"]
    out.append(
      "<testsuites tests=\"\(result.outcomes.count)\" failures=\"\(result.failed)\">")
    out.append(
      "  <testsuite name=\"\(escape(suiteName))\" tests=\"\(result.outcomes.count)\" "
        + "failures=\"\(result.failed)\" errors=\"0\" skipped=\"0\" "
        + "time=\"\(seconds(result.outcomes.reduce(0) { $0 + $1.seconds }))\">")
    for o in result.outcomes {
      let head =
        "    <testcase classname=\"\(escape(suiteName))\" name=\"\(escape(o.title))\" "
        + "file=\"\(escape(o.path))\" time=\"\(seconds(o.seconds))\""
      if o.passed {
        out.append(head + "/>")
      } else {
        let first =
          o.errors.first?.description
          ?? o.failures.first.map { "\(o.path):\($0.line): turn \($0.turn) failed" } ?? "failed"
        out.append(head + ">")
        out.append("      <failure message=\"\(escape(first))\">\(escape(o.report))</failure>")
        out.append("    </testcase>")
      }
    }
    out.append("  </testsuite>")
    out.append("</testsuites>")
    return out.joined(separator: "\n") + "\n"
  }

  /// Seconds with three decimals, independent of the locale.
  static func seconds(_ s: Double) -> String {
    let ms = Int((max(0, s) * 1000).rounded())
    let frac = ms % 1000
    return "\(ms / 1000)." + (frac < 10 ? "00" : frac < 100 ? "0" : "") + "\(frac)"
  }

  /// XML text and attribute escaping; control characters XML cannot carry become U+FFFD.
  static func escape(_ s: String) -> String {
    var out = ""
    for u in s.unicodeScalars {
      switch u {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&apos;"
      case "\n", "\t", "\r": out.unicodeScalars.append(u)
      default:
        if u.value < 0x20 || u.value == 0xFFFE || u.value == 0xFFFF {
          out += "\u{FFFD}"
        } else {
          out.unicodeScalars.append(u)
        }
      }
    }
    return out
  }
}
