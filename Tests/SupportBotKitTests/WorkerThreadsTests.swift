import Synchronization
import Testing

@testable import SupportBotKit

@Suite struct WorkerThreadsTests {
  @Test("Each job runs once on every thread, and wait returns only when all are done")
  func eachJobOncePerThread() {
    let threads = WorkerThreads(count: 3)
    let runs = Mutex<[Int]>([])
    for job in 0..<50 {
      threads.start { w in
        runs.withLock { $0.append(job * 10 + w) }
      }
      threads.wait()
      let got = runs.withLock { r in
        defer { r.removeAll() }
        return r.sorted()
      }
      #expect(got == [job * 10, job * 10 + 1, job * 10 + 2])
    }
  }

  @Test("wait without a job returns at once; start waits for the job before it")
  func waitAndStart() {
    let threads = WorkerThreads(count: 2)
    threads.wait()
    let total = Atomic<Int>(0)
    for _ in 0..<20 {
      threads.start { _ in total.wrappingAdd(1, ordering: .relaxed) }
    }
    threads.wait()
    #expect(total.load(ordering: .relaxed) == 40)
  }

  @Test("A job for fewer threads runs on just those, and the next job on all")
  func fewerThreads() {
    let threads = WorkerThreads(count: 4)
    let runs = Mutex<[Int]>([])
    threads.start(threads: 2) { w in runs.withLock { $0.append(w) } }
    threads.wait()
    #expect(runs.withLock { $0.sorted() } == [0, 1])
    runs.withLock { $0.removeAll() }
    threads.start { w in runs.withLock { $0.append(w) } }
    threads.wait()
    #expect(runs.withLock { $0.sorted() } == [0, 1, 2, 3])
  }

  @Test("A pool released while a job runs lets the job finish first")
  func releaseWhileRunning() {
    let total = Atomic<Int>(0)
    do {
      let threads = WorkerThreads(count: 2)
      threads.start { _ in
        var x = 0
        for k in 0..<200_000 { x &+= k }
        total.wrappingAdd(x == 0 ? 0 : 1, ordering: .relaxed)
      }
    }
    #expect(total.load(ordering: .relaxed) == 2)
  }

  @Test("A server released with a batch still running waits for it and goes away")
  func serverReleasedWhileRunning() throws {
    let bot = try protocolTestBot()
    var options = ProtocolServer.Options()
    options.workers = 2
    weak var released: ProtocolServer?
    do {
      let server = ProtocolServer(engine: Engine(bot: bot), options: options)
      var batch = ProtocolServer.Batch()
      for k in 0..<40 {
        var line = Array("{\"id\":\(k),\"session\":\"s\(k % 8)\",\"text\":\"hello\"}".utf8)
        line.withUnsafeMutableBufferPointer {
          server.enqueue(line: UnsafeBufferPointer($0), into: &batch)
        }
      }
      var out: [UInt8] = []
      server.begin(&batch, now: 0, today: CivilDate(year: 2026, month: 1, day: 15), into: &out)
      #expect(server.isRunning)
      released = server
    }
    #expect(released == nil)
  }
}
