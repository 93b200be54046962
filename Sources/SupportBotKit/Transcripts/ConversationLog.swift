/// A conversation as it happened: how it started and every turn with the engine's result.
///
/// Chat's `/save` records one of these; ``TranscriptRecorder`` turns it into a transcript file
/// that replays green.
public struct ConversationLog: Sendable {
  /// Settings the conversation started with (what a transcript's header records).
  public var platform: String?
  public var today: CivilDate
  public var startFlow: String?
  public var startState: String?
  public var startSlots: [String: SlotValue]
  public var turns: [(input: Turn.Input, result: StepResult)] = []

  public init(
    platform: String? = nil, today: CivilDate, startFlow: String? = nil, startState: String? = nil,
    startSlots: [String: SlotValue] = [:]
  ) {
    self.platform = platform
    self.today = today
    self.startFlow = startFlow
    self.startState = startState
    self.startSlots = startSlots
  }

  public mutating func append(_ input: Turn.Input, _ result: StepResult) {
    turns.append((input, result))
  }
}
