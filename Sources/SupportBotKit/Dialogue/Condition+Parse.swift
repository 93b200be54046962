import Foundation

/// Parses slot conditions: `days > 30`, `detail == email`, `method is set`, joined by `and`;
/// alternatives joined by `or` (which binds looser than `and`).
enum ConditionParser {
  struct Failure: Error {
    let message: String
    /// Byte offset into the condition text.
    let offset: Int
  }

  /// Parses `A or B or C` into one condition per alternative (each may use `and`). A transition
  /// with alternatives is taken when any of them holds.
  static func parseAlternatives(_ text: String) throws(Failure) -> [Condition] {
    var out: [Condition] = []
    var offset = 0
    for part in text.components(separatedBy: " or ") {
      do {
        out.append(try parse(part))
      } catch {
        throw Failure(message: error.message, offset: offset + error.offset)
      }
      offset += part.utf8.count + 4
    }
    return out
  }

  static func parse(_ text: String) throws(Failure) -> Condition {
    var clauses: [Condition.Clause] = []
    var offset = 0
    let parts = text.components(separatedBy: " and ")
    for part in parts {
      defer { offset += part.utf8.count + 5 }
      let trimmed = part.trimmingCharacters(in: .whitespaces)
      let lead = part.utf8.count - part.drop(while: { $0 == " " }).utf8.count
      if trimmed.isEmpty { throw Failure(message: "empty clause", offset: offset) }
      if trimmed.hasSuffix(" is set") || trimmed.hasSuffix(" is not set") {
        let negated = trimmed.hasSuffix(" is not set")
        let slot = String(trimmed.dropLast(negated ? 11 : 7)).trimmingCharacters(in: .whitespaces)
        guard isSlot(slot) else {
          throw Failure(message: "'\(slot)' is not a slot name", offset: offset + lead)
        }
        clauses.append(.isSet(slot: slot, expected: !negated))
        continue
      }
      guard
        let op = Condition.Operator.allCases.first(where: { trimmed.contains($0.rawValue) }),
        let range = trimmed.range(of: op.rawValue)
      else {
        throw Failure(
          message: "expected `SLOT OP VALUE` with OP one of < <= > >= == !=, or `SLOT is set`",
          offset: offset + lead)
      }
      let slot = trimmed[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
      var value = trimmed[range.upperBound...].trimmingCharacters(in: .whitespaces)
      guard isSlot(slot) else {
        throw Failure(message: "'\(slot)' is not a slot name", offset: offset + lead)
      }
      if value.isEmpty {
        throw Failure(
          message: "missing value after `\(op.rawValue)`", offset: offset + part.utf8.count)
      }
      if value.count >= 2, value.first == "\"" || value.first == "'", value.last == value.first {
        value = String(value.dropFirst().dropLast())
        clauses.append(.compare(slot: slot, op: op, value: .string(value)))
      } else if let n = Int(value) {
        clauses.append(.compare(slot: slot, op: op, value: .number(n)))
      } else {
        clauses.append(.compare(slot: slot, op: op, value: .string(value)))
      }
    }
    return Condition(clauses: clauses, source: text)
  }

  private static func isSlot(_ s: String) -> Bool {
    !s.isEmpty
      && s.unicodeScalars.allSatisfy {
        ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
      }
  }
}

extension Condition {
  /// Whether the condition holds for these slots. A comparison with a missing slot is false.
  public func holds(_ slots: [String: SlotValue]) -> Bool {
    clauses.allSatisfy { clause in
      switch clause {
      case .isSet(let slot, let expected):
        return (slots[slot] != nil) == expected
      case .compare(let slot, let op, let value):
        guard let actual = slots[slot] else { return false }
        switch (actual, value) {
        case (.number(let a), .number(let b)):
          switch op {
          case .lt: return a < b
          case .le: return a <= b
          case .gt: return a > b
          case .ge: return a >= b
          case .eq: return a == b
          case .ne: return a != b
          }
        default:
          let a = actual.description.lowercased()
          let b = value.description.lowercased()
          switch op {
          case .eq: return a == b
          case .ne: return a != b
          case .lt: return a < b
          case .le: return a <= b
          case .gt: return a > b
          case .ge: return a >= b
          }
        }
      }
    }
  }
}
