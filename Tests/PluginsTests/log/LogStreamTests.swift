import Testing
@testable import Plugins

@Suite struct LogStreamTests {
    @Test("lines from a worker's ring reach the file descriptor whole and in order")
    func linesInOrder() {
        let captured = CapturedStream()
        let ring = captured.stream.ring(forWorker: 0)
        for i in 0..<1000 {
            var line = ring.beginLine()
            line.append("line ")
            line.appendDecimal(i)
            #expect(ring.commit(&line))
        }
        let lines = captured.lines()
        #expect(lines.count == 1000)
        #expect(lines.first == "line 0")
        #expect(lines.last == "line 999")
        #expect(captured.stream.droppedLines == 0)
    }

    @Test("a line that wraps around the ring's end comes out whole")
    func wrapAround() {
        let ring = LogRing(capacity: 64)
        for round in 0..<10 {
            var line = ring.beginLine()
            line.append("0123456789012345678901234567890123456789")
            line.appendDecimal(round)
            #expect(ring.commit(&line))
            #expect(ring.drainText() == "0123456789012345678901234567890123456789\(round)\n")
        }
    }

    @Test("a full ring drops lines and counts them instead of waiting")
    func dropsWhenFull() {
        let ring = LogRing(capacity: 64)
        var accepted = 0
        for _ in 0..<10 {
            var line = ring.beginLine()
            line.append("twenty octets long.")
            if ring.commit(&line) { accepted += 1 }
        }
        #expect(accepted == 3)
        #expect(ring.droppedLines == 7)
        #expect(ring.drainText().split(separator: "\n").count == 3)
        var line = ring.beginLine()
        line.append("room again")
        #expect(ring.commit(&line))
    }

    @Test("lines queued from other threads are written too, newline added")
    func queuedLines() {
        let captured = CapturedStream()
        captured.stream.writeLine("[INFO] from the control thread")
        #expect(captured.lines() == ["[INFO] from the control thread"])
    }

    @Test("workers write concurrently without losing or mixing lines")
    func concurrentWorkers() async {
        let captured = CapturedStream()
        let stream = captured.stream
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    let ring = stream.ring(forWorker: worker)
                    for i in 0..<2000 {
                        var line = ring.beginLine()
                        line.append("w")
                        line.appendDecimal(worker)
                        line.append(" ")
                        line.appendDecimal(i)
                        while !ring.commit(&line) {
                            // Full: let the writer thread catch up, then write the line again.
                            stream.flush()
                            line = ring.beginLine()
                            line.append("w")
                            line.appendDecimal(worker)
                            line.append(" ")
                            line.appendDecimal(i)
                        }
                    }
                }
            }
        }
        let lines = captured.lines()
        #expect(lines.count == 8000)
        for worker in 0..<4 {
            let mine = lines.filter { $0.hasPrefix("w\(worker) ") }
            #expect(mine == (0..<2000).map { "w\(worker) \($0)" })
        }
    }
}
