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
}
